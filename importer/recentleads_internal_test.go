package importer

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
	"github.com/pdbulk/pdbulk/sandbox/sandboxtest"
)

// listCounter counts the GET /leads lists a client sends.
type listCounter struct {
	next  http.RoundTripper
	lists atomic.Int64
}

func (lc *listCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/leads") {
		lc.lists.Add(1)
	}
	return lc.next.RoundTrip(req)
}

// TestLeadsFindSearchLag: with a search index that lags a minute behind writes, find still
// finds the leads someone else added or renamed, folded and narrowed as search hits are, but
// never the leads the run itself created; the view is listed once per refresh, and a
// refresh reads only what changed since the last.
func TestLeadsFindSearchLag(t *testing.T) {
	t.Parallel()
	const token = "test-token-0123456789abcdef"
	_, base := sandboxtest.Start(t, sandbox.Options{Token: token, Emulation: sandbox.Emulation{Faults: sandbox.Faults{SearchLag: time.Minute}}})
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	lc := &listCounter{next: tr}
	c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: token,
		Pacer: ratelimit.New(ratelimit.Options{Limit: 100000, SearchLimit: 100000}), HTTPClient: &http.Client{Transport: lc}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := &leadsRemote{c: c, view: newRecentLeads(c)}
	theirs := func(title string, org int) string {
		t.Helper()
		l, _, err := c.CreateLeadRaw(ctx, map[string]any{"title": title, "organization_id": org})
		if err != nil {
			t.Fatal(err)
		}
		return l.ID
	}
	mine, err := r.create(ctx, map[string]any{"title": "Mine", "organization_id": 1})
	if err != nil {
		t.Fatal(err)
	}
	t1, t2 := theirs("Theirs", 1), theirs("Theirs", 2)
	renamed := theirs("Before", 1)
	if _, _, err := c.UpdateLeadRaw(ctx, renamed, map[string]any{"title": "After"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		title string
		org   int
		want  []string
	}{
		{"Mine", 0, nil}, // the run's own: search decides, as before
		{"theirs ", 0, sortedIDs(t1, t2)},
		{"THEIRS", 2, []string{t2}},
		{"After", 0, []string{renamed}},
		{"Before", 0, nil},
		{"Nobody", 0, nil},
	} {
		match := map[string]any{"title": tc.title}
		if tc.org != 0 {
			match["organization_id"] = tc.org
		}
		got, err := r.find(ctx, match)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("find(%v) = %v, %v; want %v", match, got, err, tc.want)
		}
		if !r.view.refreshed.IsZero() {
			// However slow the machine, the finds below come within the interval.
			r.view.refreshed = time.Now().Add(time.Hour)
		}
	}
	if _, err := r.find(ctx, map[string]any{"title": "Mine"}); err != nil {
		t.Fatal(err)
	}
	if n := lc.lists.Load(); n != 1 {
		t.Errorf("%d lists for finds within %s, want 1", n, recentLeadsEvery)
	}

	// A lead added now is seen at the next refresh, which reads one page from the newest
	// lead the first one read.
	later := theirs("Later", 1)
	r.view.refreshed = time.Now().Add(-recentLeadsEvery) // as if the interval had passed
	got, err := r.find(ctx, map[string]any{"title": "later"})
	if err != nil || !slices.Equal(got, []string{later}) {
		t.Errorf("find(later) after a refresh = %v, %v; want [%s]", got, err, later)
	}
	if n := lc.lists.Load(); n != 2 {
		t.Errorf("%d lists after a second refresh, want 2", n)
	}
	if _, ok := r.view.byID[mine]; !ok || len(r.view.byID) != 5 {
		t.Errorf("the view holds %d leads (the run's own %s: %v), want 5, the run's own included", len(r.view.byID), mine, ok)
	}
}

func sortedIDs(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
