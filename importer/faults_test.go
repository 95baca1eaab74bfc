package importer_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/sandbox"
)

// faultJob creates a lead per row; its fields identify it when an answer is lost.
// The leads are spread over the ten fixture organizations, as an account's are: the
// lookup of a lead in doubt reads the leads of its organization.
const faultJob = `kind: import
name: %s
entity: leads
source: leads.csv
mode: create
key: External ID
columns:
  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: {value: EUR}
  organization_id: {column: Org, type: int}
options: {concurrency: %d}
`

// genLeads writes leads.csv with n rows into dir: every invalidEvery-th row has an amount
// that is not a number. It returns the titles of the valid rows and the numbers of the
// invalid ones.
func genLeads(t *testing.T, dir string, n, invalidEvery int) (valid []string, invalid []int) {
	t.Helper()
	rows := make([][]string, n)
	for i := range n {
		title := fmt.Sprintf("Fault lead %05d", i)
		amount := fmt.Sprint(i)
		if invalidEvery > 0 && i%invalidEvery == invalidEvery-1 {
			amount = "not a number"
			invalid = append(invalid, i+2)
		} else {
			valid = append(valid, title)
		}
		rows[i] = []string{fmt.Sprintf("X-%05d", i), title, amount, fmt.Sprint(1 + i%10)}
	}
	writeCSV(t, dir, "leads.csv", []string{"External ID", "Lead Title", "Amount", "Org"}, rows)
	return valid, invalid
}

// checkFaultReports checks that the reports of a finished run list every valid row once
// with the id of its lead, and every invalid row with the reason.
func checkFaultReports(t *testing.T, j *jobs.Job, res *importer.Result, leads map[string]leadID, valid []string, invalid []int) {
	t.Helper()
	success, rejects := checkCounts(t, j, res)
	if len(success.rows) != len(valid) || len(rejects.rows) != len(invalid) {
		t.Errorf("reports: %d success rows, %d rejects; want %d and %d", len(success.rows), len(rejects.rows), len(valid), len(invalid))
	}
	bad := 0
	for _, r := range success.rows {
		if l, ok := leads[r["Lead Title"]]; !ok || l.id != r["pipedrive_id"] || r["pdbulk_status"] != "created" {
			if bad++; bad <= 5 {
				t.Errorf("success row %s: %s %s, want created %s", r["pdbulk_row"], r["pdbulk_status"], r["pipedrive_id"], l.id)
			}
		}
	}
	rej := rejects.byRow(t)
	isInvalid := map[string]bool{}
	for _, n := range invalid {
		isInvalid[rowNum(n)] = true
	}
	for n, r := range rej {
		if !isInvalid[n] {
			t.Errorf("valid row %s was rejected: %s", n, r["pdbulk_error"])
		}
	}
	for _, n := range invalid {
		if r, ok := rej[rowNum(n)]; !ok || r["pdbulk_error"] == "" {
			if bad++; bad <= 5 {
				t.Errorf("invalid row %d is not in the reject report with its reason", n)
			}
		}
	}
}

type leadID struct{ id string }

// settleNoLate is the settle time of runs against a sandbox where no create completes
// after its answer (no late fault): the record of a lost answer exists when it is looked
// for, and waiting longer would only slow the test.
const settleNoLate = 50 * time.Millisecond

// TestFaults imports 2,000 leads (40 of them invalid) into a sandbox that answers 10% of
// requests with a 5xx, resets 2% of connections and loses the answer of 2% of writes after
// storing them. The run must end with exactly one lead per valid row, and reports that add up.
func TestFaults(t *testing.T) {
	t.Parallel()
	const rows = 2000 // TestExactlyOnceMessyData imports 5,000 under more faults
	base := startSandbox(t, sandbox.Emulation{
		Faults: sandbox.Faults{Error5xx: 0.10, Reset: 0.02, LostAnswer: 0.02},
		Seed:   20260301,
	})
	cn := newConn(t, base)
	dir := t.TempDir()
	valid, invalid := genLeads(t, dir, rows, 50)
	j := loadJob(t, dir, "faults", fmt.Sprintf(faultJob, "faults", 12))
	st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))

	start := time.Now()
	// No create of this sandbox completes after its answer: a short settle time is safe.
	res := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, SettleTime: settleNoLate})
	t.Logf("%s in %s", res.Stats, time.Since(start).Round(time.Millisecond))
	if res.Stopped != nil {
		t.Fatalf("stopped: %v", res.Stopped)
	}
	s := res.Stats
	if s.Read != rows || s.Created != int64(len(valid)) || s.Rejected != int64(len(invalid)) || s.Pending != 0 {
		t.Errorf("stats %s; want %d read, %d created, %d rejected; problems %v", s, rows, len(valid), len(invalid), res.Problems)
	}
	if s.InDoubt == 0 || s.Reconciled == 0 {
		t.Errorf("stats %s: no create was in doubt or reconciled: the faults did not happen", s)
	}
	leads := map[string]leadID{}
	for title, l := range wantExactlyOnce(t, allLeads(t, cn.c), valid) {
		leads[title] = leadID{l.ID}
	}
	checkFaultReports(t, j, res, leads, valid, invalid)
}

// TestResume stops a run in the middle (its requests cancelled, some answers lost), runs
// the job again with the same checkpoint file and checks that it completes with exactly one
// lead per valid row. Then a changed input is refused unless Restart is given.
func TestResume(t *testing.T) {
	t.Parallel()
	const rows = 600
	base := startSandbox(t, sandbox.Emulation{
		Latency: 2 * time.Millisecond,
		Faults:  sandbox.Faults{LostAnswer: 0.05},
		Seed:    7,
	})
	dir := t.TempDir()
	valid, invalid := genLeads(t, dir, rows, 40)
	j := loadJob(t, dir, "resume", fmt.Sprintf(faultJob, "resume", 8))
	statePath := filepath.Join(dir, ".pdbulk", "state.db")

	// First run: interrupted (stop and abort) once a fifth of the rows are created.
	{
		cn := newConn(t, base)
		st, err := jobs.OpenState(statePath)
		if err != nil {
			t.Fatal(err)
		}
		stats := importer.NewStats(cn.pacer, false)
		ctx := cancelOnceCreated(t, stats, rows/5)
		res, err := importer.Run(ctx, ctx, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, Stats: stats, SettleTime: settleNoLate})
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted run: %v", err)
		}
		if res == nil || !errors.Is(res.Stopped, context.Canceled) {
			t.Fatalf("interrupted run: result %+v, want Stopped = context.Canceled", res)
		}
		s := res.Stats
		if s.Created < rows/5 || s.Done()+s.Rejected >= rows {
			t.Fatalf("interrupted run finished %d rows: %s; want an interruption in the middle", s.Done()+s.Rejected, s)
		}
		checkCounts(t, j, res)
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("interrupted: %s", s)
	}

	// Second run, as a new process: the same checkpoint file, a new client.
	cn := newConn(t, base)
	st := openState(t, statePath)
	res := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, SettleTime: settleNoLate})
	t.Logf("resumed: %s", res.Stats)
	if res.Stopped != nil {
		t.Fatalf("resumed run stopped: %v", res.Stopped)
	}
	s := res.Stats
	if s.Read != rows || s.Unchanged == 0 || s.Created+s.Unchanged+s.Rejected != rows || s.Pending != 0 {
		t.Errorf("resumed run: %s; want every row finished, some already done", s)
	}
	leads := map[string]leadID{}
	for title, l := range wantExactlyOnce(t, allLeads(t, cn.c), valid) {
		leads[title] = leadID{l.ID}
	}
	checkFaultReports(t, j, res, leads, valid, invalid)
	sum, _, err := st.Job(context.Background(), j.Name)
	if err != nil || sum.Done != len(valid) || sum.Rejected != len(invalid) || sum.InFlight != 0 {
		t.Errorf("checkpoint %+v (%v), want %d done, %d rejected", sum, err, len(valid), len(invalid))
	}

	// A changed input is refused, before anything is sent.
	f, err := os.OpenFile(j.Source.Path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("X-99999,Added later,5,5\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	before := cn.pacer.Stats().Requests
	_, err = importer.Run(context.Background(), context.Background(), importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	if _, ok := errorsAs[*importer.JobError](err); !ok || !errors.Is(err, importer.ErrChanged) {
		t.Fatalf("Run after the input changed = %v, want a JobError wrapping ErrChanged", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "--restart") || !strings.Contains(msg, "creates every row again") {
		t.Errorf("the refusal of a changed create job does not warn that --restart creates every row again: %v", err)
	}
	if n := cn.pacer.Stats().Requests - before; n != 0 {
		t.Errorf("the refused run sent %d requests", n)
	}
	if sum2, _, _ := st.Job(context.Background(), j.Name); sum2.Done != sum.Done || sum2.Fingerprint != sum.Fingerprint {
		t.Errorf("the refused run changed the checkpoint: %+v, was %+v", sum2, sum)
	}

	// With Restart the changed job runs: its row states are forgotten, every row is sent
	// again (a create job creates again: that is what Restart is for), and the records the
	// first runs created stay in the created log for undo.
	res = run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, Restart: true})
	if s := res.Stats; s.Read != rows+1 || s.Created != int64(len(valid)+1) || s.Unchanged != 0 {
		t.Errorf("restarted run: %s; want %d rows created again", s, len(valid)+1)
	}
	checkCounts(t, j, res)
}
