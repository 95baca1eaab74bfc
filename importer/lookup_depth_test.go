package importer_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
)

// deepLookups counts the newest-first lookups (GET /leads sorted by add_time) that read
// past their first page.
type deepLookups struct {
	next http.RoundTripper
	deep atomic.Int64
}

func (d *deepLookups) RoundTrip(r *http.Request) (*http.Response, error) {
	q := r.URL.Query()
	if r.Method == http.MethodGet && r.URL.Path == "/api/v1/leads" && q.Get("sort") == "add_time DESC" {
		if start, _ := strconv.Atoi(q.Get("start")); start > 0 {
			d.deep.Add(1)
		}
	}
	return d.next.RoundTrip(r)
}

// TestInDoubtLookupPastFirstPage: a create the client gave up on is stored by the server a
// second later, while the run goes on creating hundreds of leads. Its lookup reads the
// leads newest first past its first page (in larger pages after the first) and must still
// find the late lead and adopt it: every row makes one lead, none twice.
func TestInDoubtLookupPastFirstPage(t *testing.T) {
	t.Parallel()
	rows := make([]leadRow, 1500)
	for i := range rows {
		rows[i] = leadRow{title: fmt.Sprintf("Deep %04d", i), amount: fmt.Sprint(100 + i), currency: "EUR"}
	}
	base, existing := seededLeads(t, sandbox.Emulation{Faults: sandbox.Faults{Late: 0.02, LateDelay: time.Second}, Seed: 4}, nil)
	p := ratelimit.New(ratelimit.Options{Limit: 100000, SearchLimit: 100000})
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	look := &deepLookups{next: tr}
	c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: testToken, Pacer: p, Timeout: 400 * time.Millisecond, HTTPClient: &http.Client{Transport: look}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeLeadRows(t, dir, rows)
	j := loadJob(t, dir, "deep", fmt.Sprintf(onceJob, "deep", 8))
	st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
	res := run(t, importer.Options{Job: j, Client: c, Pacer: p, State: st, SettleTime: 1500 * time.Millisecond})
	t.Logf("%s; %d lookups read past their first page", res.Stats, look.deep.Load())
	if res.Stopped != nil {
		t.Fatalf("stopped: %v", res.Stopped)
	}
	if res.Stats.Reconciled == 0 {
		t.Fatalf("no late create was found by its lookup (%s): the fault did not happen", res.Stats)
	}
	if look.deep.Load() == 0 {
		t.Fatalf("no lookup read past its first page: the test did not test what it is for")
	}
	checkOnce(t, c, j, res, rows, existing)
}
