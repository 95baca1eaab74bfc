package importer_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sandbox"
)

// TestStopGivesBackUnsentRows: the feed marks creates in flight ahead of the workers, many to
// a commit. A run stopped by the user (the first Ctrl-C) must leave no row in flight that was
// never sent: the checkpoint holds exactly one done row per lead made and nothing in flight,
// and the resumed run has nothing to look up (no row in doubt) and makes each lead once.
func TestStopGivesBackUnsentRows(t *testing.T) {
	t.Parallel()
	const rows = 300
	base := startSandbox(t, sandbox.Emulation{Latency: 20 * time.Millisecond})
	dir := t.TempDir()
	valid, _ := genLeads(t, dir, rows, 0)
	j := loadJob(t, dir, "stop", fmt.Sprintf(faultJob, "stop", 4))
	statePath := filepath.Join(dir, ".pdbulk", "state.db")

	cn := newConn(t, base)
	st, err := jobs.OpenState(statePath)
	if err != nil {
		t.Fatal(err)
	}
	stats := importer.NewStats(cn.pacer, false)
	stop := cancelOnceCreated(t, stats, 40)
	res, err := importer.Run(stop, context.Background(), importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, Stats: stats})
	if err != nil {
		t.Fatalf("stopped run: %v", err)
	}
	if s := res.Stats; s.Created < 40 || s.Created >= rows {
		t.Fatalf("stopped run: %s; want a stop in the middle", s)
	}
	sum, _, err := st.Job(context.Background(), j.Name)
	if err != nil {
		t.Fatal(err)
	}
	made := len(allLeads(t, cn.c))
	if sum.InFlight != 0 || sum.Done != made || int64(made) != res.Stats.Created {
		t.Errorf("after the stop: checkpoint %d done, %d in flight; %d leads made, %d counted created; "+
			"want every lead made done and nothing in flight", sum.Done, sum.InFlight, made, res.Stats.Created)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	cn2 := newConn(t, base)
	res2 := run(t, importer.Options{Job: j, Client: cn2.c, Pacer: cn2.pacer, State: openState(t, statePath)})
	if s := res2.Stats; s.InDoubt != 0 || s.Created+s.Unchanged != rows || s.Pending != 0 {
		t.Errorf("resumed run: %s; want the rest created, none in doubt", s)
	}
	wantExactlyOnce(t, allLeads(t, cn2.c), valid)
}

// TestAbortAnywhere: a run aborted at any moment (rows being read, marked in flight, sent,
// answered or recorded) returns promptly, and the next run makes every lead exactly once.
func TestAbortAnywhere(t *testing.T) {
	t.Parallel()
	const tries = 16
	base := startSandbox(t, sandbox.Emulation{Latency: 10 * time.Millisecond})
	for i := range tries {
		// Half the runs read their whole input at once and wait on one worker, the others
		// have more rows than the marker takes ahead.
		rows := 12
		if i%2 == 1 {
			rows = 60
		}
		dir := t.TempDir()
		valid := make([]string, rows)
		for k := range valid {
			valid[k] = fmt.Sprintf("Abort lead %05d try %d", k, i)
		}
		writeCSV(t, dir, "leads.csv", []string{"External ID", "Lead Title", "Amount", "Org"}, titled(valid, i))
		j := loadJob(t, dir, "abort", fmt.Sprintf(faultJob, "abort", 1+i%4))
		statePath := filepath.Join(dir, ".pdbulk", "state.db")
		cn := newConn(t, base)
		st := openState(t, statePath)
		ctx, cancel := context.WithCancel(context.Background())
		after := time.Duration(5+i*4) * time.Millisecond
		timer := time.AfterFunc(after, cancel)
		returned := make(chan struct{})
		go func() {
			defer close(returned)
			_, _ = importer.Run(ctx, ctx, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, SettleTime: settleNoLate})
		}()
		select {
		case <-returned:
		case <-time.After(20 * time.Second):
			t.Fatalf("try %d: the run aborted after %s did not return", i, after)
		}
		timer.Stop()
		cancel()
		cn2 := newConn(t, base)
		res := run(t, importer.Options{Job: j, Client: cn2.c, Pacer: cn2.pacer, State: st, SettleTime: settleNoLate})
		if s := res.Stats; s.Created+s.Unchanged != int64(rows) || s.Pending != 0 {
			t.Errorf("try %d (abort after %s): resumed run %s; want every row done", i, after, s)
		}
		var mine []pipedrive.Lead
		for _, l := range allLeads(t, cn2.c) {
			if strings.HasSuffix(l.Title, fmt.Sprintf(" try %d", i)) {
				mine = append(mine, l)
			}
		}
		wantExactlyOnce(t, mine, valid)
	}
}

// titled gives the rows of genLeads the titles of valid.
func titled(valid []string, try int) [][]string {
	rows := make([][]string, len(valid))
	for k, title := range valid {
		rows[k] = []string{fmt.Sprintf("X-%d-%05d", try, k), title, fmt.Sprint(k), fmt.Sprint(1 + k%10)}
	}
	return rows
}

// cancelOnceCreated returns a context cancelled once stats count n created rows (or when the
// test ends): a user's Ctrl-C in the middle of a run.
func cancelOnceCreated(t *testing.T, stats *importer.Stats, n int64) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		for ctx.Err() == nil && stats.Created.Load() < n {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	return ctx
}
