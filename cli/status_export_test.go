package cli_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/cli"
	"github.com/pdbulk/pdbulk/sandbox"
)

// TestStatusExport: status of an export job says what its checkpoint holds, as a user
// reads it: never run (and what a run would write), the last complete run (records and
// file, per sheet of a workbook), a run stopped part-way (what the next run goes on from),
// an incremental export's bookmark, and the lengths of the lists it keeps.
func TestStatusExport(t *testing.T) {
	t.Parallel()
	base := startSandbox(t, sandbox.Options{})
	e := connectedTo(base, testToken)
	dir := copySamples(t)
	data := t.TempDir()
	status := func(job string) string {
		t.Helper()
		r := pdbulk(t, e, "status", "--sandbox-data", data, job)
		wantCode(t, r, cli.ExitOK)
		return r.stdout
	}
	run := func(jobs ...string) {
		t.Helper()
		wantCode(t, pdbulk(t, e, append([]string{"run", "--sandbox", "--sandbox-data", data}, jobs...)...), cli.ExitOK)
	}
	leads := filepath.Join(dir, "export_leads.yaml")
	workbook := filepath.Join(dir, "export_workbook.yaml")

	t.Run("never run", func(t *testing.T) {
		out := status(leads)
		wantContains(t, "status", out, "export-leads: never run", "read active leads", "write them to "+filepath.Join(dir, "out", "leads-{date}.xlsx"))
		out = status(workbook)
		wantContains(t, "status", out, "export-workbook: never run", "3 sheets", "Leads: leads (all)", "Labels: lead_labels", "Goals: goals",
			filepath.Join(dir, "out", "weekly-{date}.xlsx"))
	})

	run(filepath.Join(dir, "lead_labels.yaml"), filepath.Join(dir, "leads.yaml"), filepath.Join(dir, "goals.yaml"))
	t.Run("never run beside other jobs", func(t *testing.T) {
		// The checkpoint exists now (the imports'): the export still never ran.
		wantContains(t, "status", status(leads), "export-leads: never run", "write them to ")
	})

	run(leads)
	run(leads)
	run(workbook)
	day := time.Now()
	t.Run("after runs", func(t *testing.T) {
		out := status(leads)
		if strings.Contains(out, "never run") {
			t.Fatalf("status after three runs says never run:\n%s", out)
		}
		target := filepath.Join(dir, "out", "leads-"+day.In(mustZone(t, "Europe/Berlin")).Format("2006-01-02")+".xlsx")
		wantContains(t, "status", out, "account:   ", "last run:  finished ", "120 records written to "+target,
			"active leads: 120 records when last read to its end", "next run:  a new export from the beginning")
		out = status(workbook)
		wantContains(t, "status", out, "129 records written to "+filepath.Join(dir, "out", "weekly-"),
			"sheets:    Leads 120, Labels 6, Goals 3", "archived leads: 0 records")
	})
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestStatusExportPartWayAndBookmark: an export stopped by a Ctrl-C is reported part-way,
// with the records its temporary file holds and the position the next run goes on from;
// once it is finished, status reports the run and no longer part-way. An incremental
// export reports its bookmark (what the next run reads back to) after its first run.
func TestStatusExportPartWayAndBookmark(t *testing.T) {
	t.Parallel()
	const n = 6000
	e := connectedTo(slowLeadsSandbox(t, n), testToken)
	dir := t.TempDir()
	state := filepath.Join(dir, "state.db")
	job := writeFile(t, dir, "leads.yaml", "kind: export\nentity: leads\nquery: {archived: all}\ntarget: out/leads.csv\ncolumns: {id: ID, title: Title, add_time: Created}\noptions: {concurrency: 1}\n")
	target := filepath.Join(dir, "out", "leads.csv")
	status := func(job string) string {
		t.Helper()
		r := pdbulk(t, e, "status", "--state", state, job)
		wantCode(t, r, cli.ExitOK)
		return r.stdout
	}

	stop, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { done <- pdbulkCtx(t, stop, e, "run", "--state", state, job) }()
	deadline := time.Now().Add(30 * time.Second)
	for !exportPositionSaved(t, state) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wantCode(t, <-done, cli.ExitResumable)

	out := status(job)
	wantContains(t, "status", out, "last run:  none finished", "part-way:  stopped part-way", "records are in the temporary file of "+target,
		"next run:  goes on with sheet leads, reading active leads after add_time ")
	if m := regexp.MustCompile(`(\d+) records are in the temporary file`).FindStringSubmatch(out); m == nil || m[1] == "0" || m[1] == fmt.Sprint(n) {
		t.Errorf("status of the interrupted run: want between 1 and %d records kept:\n%s", n-1, out)
	}

	wantCode(t, pdbulk(t, e, "run", "--state", state, job), cli.ExitOK)
	out = status(job)
	wantContains(t, "status", out, fmt.Sprintf("%d records written to %s", n, target))
	if strings.Contains(out, "part-way:  ") {
		t.Errorf("status after the resumed run still says part-way:\n%s", out)
	}

	inc := writeFile(t, dir, "inc.yaml", "kind: export\nname: inc\nentity: leads\nincremental: true\ntarget: {path: out/inc.csv, append: true}\ncolumns: {id: ID, title: Title}\n")
	wantContains(t, "status", status(inc), "inc: never run", "write them to "+filepath.Join(dir, "out", "inc.csv"), "incremental")
	wantCode(t, pdbulk(t, e, "run", "--state", state, inc), cli.ExitOK)
	out = status(inc)
	wantContains(t, "status", out, "records written to "+filepath.Join(dir, "out", "inc.csv"), "bookmark:  update_time 20",
		"the next run reads the leads updated since then", "next run:  a new file of the leads updated since the bookmark")

	// The job's query changed: the bookmark no longer says what the next run reads.
	writeFile(t, dir, "inc.yaml", "kind: export\nname: inc\nentity: leads\nquery: {owner_id: 2}\nincremental: true\ntarget: {path: out/inc.csv, append: true}\ncolumns: {id: ID, title: Title}\n")
	wantContains(t, "status", status(inc), "but it was saved for", "the next run reads every lead of the job's query")
}
