package importer_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
	"github.com/pdbulk/pdbulk/spec"
)

// adaptiveJob is faultJob with no options.concurrency: the requests in flight adapt.
func adaptiveJob(name string) string {
	j := fmt.Sprintf(faultJob, name, 1)
	return strings.Replace(j, "options: {concurrency: 1}\n", "", 1)
}

// TestBudgetEndsWithout429: a Growth-like token (120 requests / 2 s) 200 ms away whose
// daily budget covers 150 creates and half of one more, and an import of 200 rows with no
// concurrency given, so that a dozen creates or more are in flight when the budget runs out
// (the server's count of what is left, in every answer, does not know about them yet). The run stops on the budget, having spent
// it (a create more would not fit), without a single 429: the creates in flight count
// against what the server says is left. The summary counts every request the run made, the
// budget probe before it included.
func TestBudgetEndsWithout429(t *testing.T) {
	t.Parallel()
	cost := spec.ByOp("addLead").Cost
	probeCost := spec.ByOp("getCurrentUser").Cost
	budget := probeCost + 150*cost + cost/2
	base := startSandbox(t, sandbox.Emulation{DailyBudget: budget, RateLimit: 120, Latency: 200 * time.Millisecond})
	dir := t.TempDir()
	genLeads(t, dir, 200, 1000)
	j := loadJob(t, dir, "budget-inflight", adaptiveJob("budget-inflight"))
	st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
	cn := newConn(t, base)
	cn.pacer = ratelimit.New(ratelimit.Options{}) // the defaults: limits learnt from the headers
	cn.c = newClient(t, base, cn.pacer)

	// What `pdbulk run` does before a run: ask the cheapest endpoint what is left today.
	if _, _, err := cn.c.CurrentUser(context.Background()); err != nil {
		t.Fatalf("budget probe: %v", err)
	}
	stats := importer.NewStats(cn.pacer, false)
	res, err := importer.Run(context.Background(), context.Background(), importer.Options{
		Job: j, Client: cn.c, Pacer: cn.pacer, State: st, Stats: stats})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !errors.Is(res.Stopped, ratelimit.ErrBudgetExhausted) {
		t.Fatalf("Stopped = %v, want the daily budget spent; %s", res.Stopped, res.Stats)
	}
	ps := cn.pacer.Stats()
	// Answers can come back out of order: an answer the server wrote before another may
	// arrive after it and report a little more left than there is; the pacer applies only
	// the reading of the newest request sent. Before the pacer counted the creates in
	// flight, a dozen were answered 429 here, and one could slip through while it applied
	// overtaken readings.
	if ps.TooMany != 0 {
		t.Errorf("%d requests were answered 429 at the end of the budget (pacer: %s), want none", ps.TooMany, ps)
	}
	if s := res.Stats; s.Created < 145 || s.Created > 150 {
		t.Errorf("%s: want the 150 creates the budget covers (145 at least: a run may stop a few early while answers are on their way)", s)
	}
	if peak := res.Stats.PeakConcurrency; peak < 8 {
		t.Errorf("at most %d requests were in flight: the test did not have many in flight at the end of the budget", peak)
	}
	if s := res.Stats; s.Requests != ps.Requests || s.Requests != s.Created+1+ps.TooMany {
		t.Errorf("summary counts %d requests; the run made %d (%d creates, %d answered 429, and the probe)", s.Requests, ps.Requests, s.Created, ps.TooMany)
	}
	if !strings.Contains(res.Stats.String(), "concurrency ") {
		t.Errorf("summary %q does not show the concurrency", res.Stats)
	}
	t.Logf("%s", res.Stats)
}

// newClient is a client of the sandbox at base paced by p, with its own transport.
func newClient(t *testing.T, base string, p *ratelimit.Pacer) *pipedrive.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: testToken, Pacer: p, HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return c
}
