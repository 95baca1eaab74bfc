package importer_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/importer"
)

// TestOnlyFailedInterruptedKeepsFixes: 120 rows rejected for a bad amount are fixed by hand
// in the reject report; the --only-failed run is interrupted after a few creates. Every fix
// not sent yet must still be in the reject report (none lost, none reverted to the source's
// value), a plain run in between must keep them too, the next --only-failed sends exactly
// the rest, and the success report then shows the amounts really sent for every row.
func TestOnlyFailedInterruptedKeepsFixes(t *testing.T) {
	t.Parallel()
	const n = 120
	cn := newConn(t, startSandbox(t, sandboxNoEmulation))
	j, st := fixedJob(t, "fixes", n) // row 2 fine, rows 3..: a bad amount
	res := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	if s := res.Stats; s.Created != 1 || s.Rejected != n {
		t.Fatalf("first run: %s; want 1 created, %d rejected", s, n)
	}
	// The user's fix: row r gets the amount 1000+r (fixOf).
	recs := readRecords(t, j.Reports.Rejects)
	ri, ai := slices.Index(recs[0], "pdbulk_row"), slices.Index(recs[0], "Amount")
	for _, rec := range recs[1:] {
		rec[ai] = fixOf(rec[ri])
	}
	writeRecords(t, j.Reports.Rejects, recs)

	// Interrupted after a few creates (one worker, so that few are in flight).
	stop, cancel := context.WithCancel(context.Background())
	defer cancel()
	stats := importer.NewStats(cn.pacer, false)
	go func() {
		for stats.Created.Load() < 5 {
			time.Sleep(200 * time.Microsecond)
		}
		cancel()
	}()
	res, err := importer.Run(stop, context.Background(), importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st,
		OnlyFailed: true, Concurrency: 1, Stats: stats})
	if err != nil {
		t.Fatalf("interrupted only-failed: %v", err)
	}
	sent := int(res.Stats.Created)
	if sent < 5 || sent >= n {
		t.Fatalf("interrupted only-failed created %d rows; the test needs an interruption midway", sent)
	}
	if got := res.Stats.AllPending(); got != int64(n-sent) {
		t.Errorf("interrupted only-failed: %d pending, want %d (read and not sent, and not read yet): %s", got, n-sent, res.Stats)
	}
	checkFixes := func(when string, wantRejects int) {
		t.Helper()
		rej := readRecords(t, j.Reports.Rejects)
		if len(rej)-1 != wantRejects {
			t.Errorf("%s: reject report has %d rows, want the %d unsent ones", when, len(rej)-1, wantRejects)
		}
		for _, rec := range rej[1:] {
			if rec[ai] != fixOf(rec[ri]) {
				t.Errorf("%s: reject report row %s has amount %q, want the user's fix %q", when, rec[ri], rec[ai], fixOf(rec[ri]))
			}
		}
		ok := readRecords(t, j.Reports.Success)
		if len(ok)-1+wantRejects != n+1 {
			t.Errorf("%s: %d success rows and %d rejects, want %d rows in all", when, len(ok)-1, wantRejects, n+1)
		}
		for _, rec := range ok[1:] {
			if rec[ri] != "2" && rec[ai] != fixOf(rec[ri]) {
				t.Errorf("%s: success report row %s has amount %q, want the value sent %q", when, rec[ri], rec[ai], fixOf(rec[ri]))
			}
		}
	}
	checkFixes("after the interrupted only-failed", n-sent)

	// A plain run in between sends nothing and loses nothing.
	before := cn.pacer.Stats().Requests
	res = run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	if s := res.Stats; s.Created != 0 || s.Rejected != int64(n-sent) || s.Resumed != int64(n+1) {
		t.Errorf("plain run after the interruption: %s; want nothing sent, %d rejected before", s, n-sent)
	}
	if d := cn.pacer.Stats().Requests - before; d != 0 {
		t.Errorf("plain run sent %d requests, want none", d)
	}
	checkFixes("after a plain run", n-sent)

	res = run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, OnlyFailed: true})
	if s := res.Stats; s.Created != int64(n-sent) || s.Rejected != 0 {
		t.Errorf("second only-failed: %s; want the %d rows left created", s, n-sent)
	}
	checkFixes("after the second only-failed", 0)
	titles := []string{"Fine lead"}
	for i := range n {
		titles = append(titles, fmt.Sprintf("Lead %03d", i))
	}
	wantExactlyOnce(t, allLeads(t, cn.c), titles)

	// A plain run rebuilds the reports: the amounts really sent stay.
	run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	checkFixes("after a last plain run", 0)
}
