package importer_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
)

// TestBudget: against a sandbox whose daily budget covers 10 creates, a 15-row job stops
// with the budget error in Result.Stopped (what pdbulk run turns into exit 75) and no fatal
// error; a run the same day still stops; after the (emulated) midnight a run as a new
// process completes the job with exactly one lead per valid row.
func TestBudget(t *testing.T) {
	t.Parallel()
	clock := sandbox.NewManualClock(time.Now())
	base := startSandbox(t, sandbox.Emulation{DailyBudget: 100, Now: clock.Now})
	dir := t.TempDir()
	valid, invalid := genLeads(t, dir, 15, 7) // rows 8 and 15 are invalid
	j := loadJob(t, dir, "budget", fmt.Sprintf(faultJob, "budget", 4))
	st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))

	wantBudgetStop := func(res *importer.Result, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("Run: %v, want no fatal error", err)
		}
		be, ok := errorsAs[*ratelimit.BudgetError](res.Stopped)
		if !ok || !errors.Is(res.Stopped, ratelimit.ErrBudgetExhausted) {
			t.Fatalf("Stopped = %v, want a *ratelimit.BudgetError", res.Stopped)
		}
		if be.ResetAt.IsZero() {
			t.Errorf("the budget error does not say when the budget refills")
		}
		if s := res.Stats; s.Pending == 0 {
			t.Errorf("stats %s: a budget stop with nothing pending", s)
		}
		checkCounts(t, j, res)
	}

	cn := newConn(t, base)
	res, err := importer.Run(context.Background(), context.Background(), importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	wantBudgetStop(res, err)
	first := res.Stats
	if first.Created == 0 || first.Created > 10 {
		t.Errorf("first day: %s; want some creates, at most the 10 the budget covers", first)
	}
	t.Logf("first day: %s", first)

	cn = newConn(t, base)
	res, err = importer.Run(context.Background(), context.Background(), importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	wantBudgetStop(res, err)
	if s := res.Stats; s.Created != 0 || s.Unchanged != first.Created {
		t.Errorf("same day again: %s; want nothing created, %d already done", s, first.Created)
	}

	clock.Advance(24 * time.Hour)
	cn = newConn(t, base)
	res = run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	if res.Stopped != nil {
		t.Fatalf("next day: stopped: %v (%s)", res.Stopped, res.Stats)
	}
	if s := res.Stats; s.Read != 15 || s.Pending != 0 || s.Unchanged != first.Created || s.Created != int64(len(valid))-first.Created {
		t.Errorf("next day: %s; want the %d rows left created", s, int64(len(valid))-first.Created)
	}
	leads := map[string]leadID{}
	for title, l := range wantExactlyOnce(t, allLeads(t, cn.c), valid) {
		leads[title] = leadID{l.ID}
	}
	checkFaultReports(t, j, res, leads, valid, invalid)
}

// TestUndo: undo deletes exactly the records the job created, over all its runs: not a
// record it updated, not one another job created, not one made by hand; a record someone
// deleted already counts as gone; a second undo has nothing left to do.
func TestUndo(t *testing.T) {
	t.Parallel()
	cn := newConn(t, startSandbox(t, sandboxNoEmulation))
	dir := t.TempDir()
	st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
	ctx := context.Background()
	existing := createLead(t, cn.c, "Existing", 1)
	byHand := createLead(t, cn.c, "Made by hand", 1)

	writeCSV(t, dir, "a.csv", []string{"Lead Title", "Amount"}, [][]string{
		{"Existing", "1"}, {"New 1", "2"}, {"New 2", "3"}, {"New 3", "x"},
	})
	a := loadJob(t, dir, "a", `kind: import
entity: leads
source: a.csv
mode: upsert
match_on: [title]
columns:
  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: {value: EUR}
  organization_id: {value: 6}
`)
	res := run(t, importer.Options{Job: a, Client: cn.c, Pacer: cn.pacer, State: st})
	if s := res.Stats; s.Updated != 1 || s.Created != 2 || s.Rejected != 1 {
		t.Fatalf("job a: %s", s)
	}
	// The user fixes row 5 and runs only it: the job's second run creates one more lead.
	writeRecords(t, a.Reports.Rejects, [][]string{
		{"Lead Title", "Amount", "pdbulk_row", "pdbulk_error"}, {"New 3", "4", "5", "fixed"},
	})
	res = run(t, importer.Options{Job: a, Client: cn.c, Pacer: cn.pacer, State: st, OnlyFailed: true})
	if s := res.Stats; s.Created != 1 {
		t.Fatalf("job a, only failed: %s", s)
	}

	writeCSV(t, dir, "b.csv", []string{"Lead Title"}, [][]string{{"Other job"}})
	b := loadJob(t, dir, "b", `kind: import
entity: leads
source: b.csv
columns:
  title: Lead Title
  organization_id: {value: 6}
`)
	run(t, importer.Options{Job: b, Client: cn.c, Pacer: cn.pacer, State: st})

	leads := wantExactlyOnce(t, allLeads(t, cn.c), []string{"Existing", "Made by hand", "New 1", "New 2", "New 3", "Other job"})
	// Someone deletes one of the job's leads in Pipedrive before the undo.
	if _, _, err := cn.c.DeleteLead(ctx, leads["New 2"].ID); err != nil {
		t.Fatal(err)
	}

	ures, err := importer.Undo(ctx, a, cn.c, st, 4)
	if err != nil {
		t.Fatalf("Undo: %v", err)
	}
	if ures.Created != 3 || ures.Deleted != 2 || ures.Gone != 1 || ures.Failed != 0 || ures.AlreadyDone != 0 || ures.Stopped != nil {
		t.Errorf("undo: %+v; want 3 created: 2 deleted, 1 gone", ures)
	}
	left := wantExactlyOnce(t, allLeads(t, cn.c), []string{"Existing", "Made by hand", "Other job"})
	if left["Existing"].ID != existing || left["Made by hand"].ID != byHand {
		t.Errorf("undo replaced the leads it must not touch")
	}

	ures, err = importer.Undo(ctx, a, cn.c, st, 4)
	if err != nil {
		t.Fatalf("second Undo: %v", err)
	}
	if ures.Created != 3 || ures.AlreadyDone != 3 || ures.Deleted+ures.Gone+ures.Failed != 0 {
		t.Errorf("second undo: %+v; want the 3 records already undone", ures)
	}
	wantExactlyOnce(t, allLeads(t, cn.c), []string{"Existing", "Made by hand", "Other job"})

	// A job that never ran has nothing to undo.
	never := &jobs.Job{Name: "never", Entity: jobs.EntityLeads}
	if ures, err := importer.Undo(ctx, never, cn.c, st, 1); err != nil || ures.Created != 0 || ures.Deleted != 0 {
		t.Errorf("undo of a job never run: %+v, %v", ures, err)
	}
}
