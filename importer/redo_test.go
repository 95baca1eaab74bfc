package importer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
)

// fixedJob is a create job of 1 good row and n rows whose amount is not a number, run once:
// the n rows are rejected, then fixed by hand in the reject report (row r gets 1000+r), as a
// user would. It returns the job and its checkpoint.
func fixedJob(t *testing.T, name string, n int) (*jobs.Job, *jobs.State) {
	t.Helper()
	dir := t.TempDir()
	rows := [][]string{{"Fine lead", "5"}}
	for i := range n {
		rows = append(rows, []string{fmt.Sprintf("Lead %03d", i), "12 EUR?"})
	}
	writeCSV(t, dir, "leads.csv", []string{"Lead Title", "Amount"}, rows)
	j := loadJob(t, dir, name, `kind: import
entity: leads
source: leads.csv
mode: create
columns:
  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: {value: EUR}
  organization_id: {value: 4}
`)
	return j, openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
}

// logLines returns a Logf that keeps what the run says, and the lines kept so far.
func logLines() (func(string, ...any), func() []string) {
	var said []string
	return func(f string, a ...any) { said = append(said, fmt.Sprintf(f, a...)) }, func() []string { return said }
}

func fixOf(row string) string { r, _ := strconv.Atoi(row); return strconv.Itoa(1000 + r) }

// fixRejects writes the user's fix into every line of the reject report.
func fixRejects(t *testing.T, path string) {
	t.Helper()
	recs := readRecords(t, path)
	ri, ai := slices.Index(recs[0], "pdbulk_row"), slices.Index(recs[0], "Amount")
	for _, rec := range recs[1:] {
		rec[ai] = fixOf(rec[ri])
	}
	writeRecords(t, path, recs)
}

// wantAmounts checks that every lead of the job is in Pipedrive once, with the amount the
// user fixed (5 for the good row), and that the success report shows those amounts.
func wantAmounts(t *testing.T, when string, cn conn, success string, n int) {
	t.Helper()
	titles := []string{"Fine lead"}
	for i := range n {
		titles = append(titles, fmt.Sprintf("Lead %03d", i))
	}
	leads := wantExactlyOnce(t, allLeads(t, cn.c), titles)
	for i := range n {
		l := leads[fmt.Sprintf("Lead %03d", i)]
		want, _ := strconv.Atoi(fixOf(strconv.Itoa(i + 3)))
		if l.Value == nil || l.Value.Amount != float64(want) {
			t.Errorf("%s: lead %q has value %+v, want the fixed amount %d", when, l.Title, l.Value, want)
		}
	}
	recs := readRecords(t, success)
	ri, ai, si := slices.Index(recs[0], "pdbulk_row"), slices.Index(recs[0], "Amount"), slices.Index(recs[0], "pdbulk_status")
	if len(recs)-1 != n+1 {
		t.Errorf("%s: success report has %d rows, want %d", when, len(recs)-1, n+1)
	}
	for _, rec := range recs[1:] {
		if rec[si] != "created" {
			t.Errorf("%s: success report row %s says %q, want created", when, rec[ri], rec[si])
		}
		if rec[ri] != "2" && rec[ai] != fixOf(rec[ri]) {
			t.Errorf("%s: success report row %s has amount %q, want the value sent %q", when, rec[ri], rec[ai], fixOf(rec[ri]))
		}
	}
}

// TestUndoThenRunKeepsFixes: rows fixed in the reject report and sent with --only-failed,
// then undone; a plain run of the same job makes the same records again, with the fixed
// values (the source still has the bad ones), and the reports keep the fixes. A --restart
// sends the source's values instead.
func TestUndoThenRunKeepsFixes(t *testing.T) {
	t.Parallel()
	const n = 40
	cn := newConn(t, startSandbox(t, sandboxNoEmulation))
	j, st := fixedJob(t, "redo", n)
	if s := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st}).Stats; s.Created != 1 || s.Rejected != n {
		t.Fatalf("first run: %s; want 1 created, %d rejected", s, n)
	}
	fixRejects(t, j.Reports.Rejects)
	if s := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, OnlyFailed: true}).Stats; s.Created != n || s.Rejected != 0 {
		t.Fatalf("only-failed: %s; want %d created", s, n)
	}
	wantAmounts(t, "after --only-failed", cn, j.Reports.Success, n)

	ures, err := importer.Undo(context.Background(), j, cn.c, st, 4)
	if err != nil || ures.Deleted != n+1 {
		t.Fatalf("undo: %+v, %v; want %d deleted", ures, err, n+1)
	}
	wantExactlyOnce(t, allLeads(t, cn.c), nil)

	logf, said := logLines()
	res := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, Logf: logf})
	if s := res.Stats; s.Created != n+1 || s.Rejected != 0 {
		t.Errorf("plain run after undo: %s; want all %d rows created again, none rejected", s, n+1)
	}
	wantAmounts(t, "after undo and a plain run", cn, j.Reports.Success, n)
	if !slices.ContainsFunc(said(), func(s string) bool {
		return strings.Contains(s, fmt.Sprintf("%d rows were sent with the values of the success report", n))
	}) {
		t.Errorf("the run did not say that %d rows were sent with the report's values: %q", n, said())
	}
	if recs := readRecords(t, j.Reports.Rejects); len(recs) != 1 {
		t.Errorf("reject report has %d rows after the redo, want none", len(recs)-1)
	}

	// Undo again, then --restart: the source's values, so the bad rows are rejected again.
	if _, err := importer.Undo(context.Background(), j, cn.c, st, 4); err != nil {
		t.Fatal(err)
	}
	res = run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, Restart: true})
	if s := res.Stats; s.Created != 1 || s.Rejected != n {
		t.Errorf("--restart after undo: %s; want the source's values: 1 created, %d rejected", s, n)
	}
}

// TestOnlyFailedSideFileRecovered: an --only-failed run killed after it wrote the rows it
// sent to its side file and rewrote the reject report, before it merged the side file into
// the success report. The files are left on disk exactly as such a kill leaves them; the
// next run (plain or --only-failed) merges them first, so that the success report has the
// values those rows were really sent with.
func TestOnlyFailedSideFileRecovered(t *testing.T) {
	t.Parallel()
	const n = 30
	cn := newConn(t, startSandbox(t, sandboxNoEmulation))
	j, st := fixedJob(t, "side", n)
	run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	fixRejects(t, j.Reports.Rejects)
	before, err := os.ReadFile(j.Reports.Success)
	if err != nil {
		t.Fatal(err)
	}
	run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, OnlyFailed: true})
	wantAmounts(t, "after --only-failed", cn, j.Reports.Success, n)

	// What the kill leaves: the side file (the rows sent, as --only-failed writes it), the
	// new reject report (empty), and the success report as it was before the run.
	recs := readRecords(t, j.Reports.Success)
	ri := slices.Index(recs[0], "pdbulk_row")
	side := [][]string{recs[0]}
	for _, rec := range recs[1:] {
		if rec[ri] != "2" {
			side = append(side, rec)
		}
	}
	sidePath := filepath.Join(filepath.Dir(j.Reports.Success), "."+filepath.Base(j.Reports.Success)+".only-failed.csv")
	writeRecords(t, sidePath, side)
	if err := os.WriteFile(j.Reports.Success, before, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, onlyFailed := range []bool{false, true} {
		logf, said := logLines()
		res := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, OnlyFailed: onlyFailed, Logf: logf})
		if s := res.Stats; s.Created != 0 {
			t.Errorf("run (only-failed %v) after the kill: %s; want nothing sent", onlyFailed, s)
		}
		wantAmounts(t, fmt.Sprintf("run (only-failed %v) after the kill", onlyFailed), cn, j.Reports.Success, n)
		if _, err := os.Stat(sidePath); !os.IsNotExist(err) {
			t.Errorf("the side file is still there after the run: %v", err)
		}
		if !onlyFailed && !slices.ContainsFunc(said(), func(s string) bool { return strings.Contains(s, "interrupted --only-failed run") }) {
			t.Errorf("the run did not say it recovered the side file: %q", said())
		}
		if onlyFailed {
			break
		}
		// The kill again, for the --only-failed case.
		writeRecords(t, sidePath, side)
		if err := os.WriteFile(j.Reports.Success, before, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
