package importer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/sandbox"
)

// killedRun runs job j against a sandbox that loses the answer of 30% of its writes (the
// write happens) and applies the others only after the client gave up on them, and aborts
// the run, as a kill -9 would end it, once at least want rows wait in doubt: the run had
// not found their leads, which appear afterwards, and the checkpoint has the rows in
// flight. It then serves the same account again with lost answers only, and returns a
// connection to it and how many rows the checkpoint has in flight.
func killedRun(t *testing.T, j *jobs.Job, st *jobs.State, want int) (conn, int) {
	t.Helper()
	base, reopen := reopenableSandbox(t, sandbox.Emulation{Faults: sandbox.Faults{LostAnswer: 0.3, Late: 0.7, LateDelay: time.Second}, Seed: 5}, nil)
	cn := newConnTimeout(t, base, 300*time.Millisecond)
	stats := importer.NewStats(cn.pacer, false)
	abort, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		deadline := time.Now().Add(20 * time.Second)
		for stats.InDoubt.Load() < int64(want) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	// The settle time outlasts the run: the rows in doubt are still being looked for when
	// the run is aborted, and stay in flight.
	_, _ = importer.Run(abort, abort, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, Stats: stats, SettleTime: time.Hour})
	time.Sleep(1500 * time.Millisecond) // the late writes land
	cn = newConn(t, reopen(sandbox.Emulation{Faults: sandbox.Faults{LostAnswer: 0.1}, Seed: 6}))
	sum, err := st.OpenRun(j.Name).Summary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum.InFlight < want {
		t.Fatalf("the run left %d rows in flight, want at least %d", sum.InFlight, want)
	}
	return cn, sum.InFlight
}

// TestUndoInDoubtRows is the review's case: a run killed while the answers of its creates
// were lost leaves leads the checkpoint does not list as created. Undo reconciles those rows
// first, as a resumed run would, and deletes their leads with the others: the account holds
// none of the job's leads afterwards, counted through the API.
func TestUndoInDoubtRows(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	genLeads(t, dir, 60, 0)
	j := loadJob(t, dir, "doubt", fmt.Sprintf(faultJob, "doubt", 8))
	st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
	cn, inFlight := killedRun(t, j, st, 6)
	before := len(allLeads(t, cn.c))
	created, _, _, err := st.OpenRun(j.Name).CreatedCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("killed run: %d leads in the account, %d recorded created, %d rows in flight", before, created, inFlight)
	if before <= created {
		t.Fatalf("the account holds %d leads and the checkpoint lists %d: no lead of a row in doubt to find", before, created)
	}

	// A dry run finds them and lists them, deleting nothing.
	d, err := importer.ReconcileInDoubt(context.Background(), importer.UndoOptions{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, SettleTime: 100 * time.Millisecond}, true)
	if err != nil {
		t.Fatalf("ReconcileInDoubt: %v", err)
	}
	if d.Rows != inFlight || d.Found != before-created || d.Left != 0 || d.Found+d.NotMade != d.Rows {
		t.Errorf("dry run: %+v; want %d rows in doubt, %d leads found, none left", d, inFlight, before-created)
	}
	if n := len(allLeads(t, cn.c)); n != before {
		t.Errorf("after the dry run the account holds %d leads, want %d", n, before)
	}

	res, err := importer.UndoWith(context.Background(), importer.UndoOptions{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, Concurrency: 4, SettleTime: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("UndoWith: %v", err)
	}
	t.Logf("undo: %d created: %d deleted, %d gone, %d failed; in doubt %+v", res.Created, res.Deleted, res.Gone, res.Failed, res.InDoubt)
	if res.Created != before || res.Deleted+res.Gone != before || res.Failed != 0 || res.InDoubt.Left != 0 {
		t.Errorf("undo: %+v; want the %d leads deleted", res, before)
	}
	if left := allLeads(t, cn.c); len(left) != 0 {
		ids := make([]string, 0, len(left))
		for _, l := range left {
			ids = append(ids, l.ID+" "+l.Title)
		}
		sort.Strings(ids)
		t.Errorf("after undo the account holds %d of the job's leads: %v", len(left), ids)
	}
	if sum, err := st.OpenRun(j.Name).Summary(context.Background()); err != nil || sum.InFlight != 0 {
		t.Errorf("after undo: %d rows in flight (%v), want none", sum.InFlight, err)
	}
}

// TestUndoInDoubtChangedInput: when the input changed since the killed run, the rows in
// doubt cannot be looked up by what was sent; undo deletes what the checkpoint lists and
// says how many rows stay in doubt, and why, instead of keeping quiet about them.
func TestUndoInDoubtChangedInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	genLeads(t, dir, 30, 0)
	j := loadJob(t, dir, "changed", fmt.Sprintf(faultJob, "changed", 4))
	st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
	cn, inFlight := killedRun(t, j, st, 2)
	f, err := os.OpenFile(j.Source.Path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("X-99999,Added later,1,1\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	res, err := importer.UndoWith(context.Background(), importer.UndoOptions{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, SettleTime: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("UndoWith: %v", err)
	}
	if d := res.InDoubt; d.Rows != inFlight || d.Left != inFlight || d.Why == nil {
		t.Errorf("undo after a changed input: in doubt %+v; want all %d rows left in doubt, with the reason", d, inFlight)
	}
	if sum, err := st.OpenRun(j.Name).Summary(context.Background()); err != nil || sum.InFlight != inFlight {
		t.Errorf("after undo: %d rows in flight (%v), want the %d still in doubt", sum.InFlight, err, inFlight)
	}
}
