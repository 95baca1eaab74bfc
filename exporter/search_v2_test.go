package exporter_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pdbulk/pdbulk/exporter"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
)

// pathLog records the method and path of every request a client sends, and what it answered.
type pathLog struct {
	next    http.RoundTripper
	mu      sync.Mutex
	seen    []string // "GET /api/v2/itemSearch 200"
	queries []string // "/api/v1/goals/5/results?period.end=...&period.start=..."
}

func (p *pathLog) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := p.next.RoundTrip(r)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	p.mu.Lock()
	p.seen = append(p.seen, fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, status))
	p.queries = append(p.queries, r.URL.Path+"?"+r.URL.Query().Encode())
	p.mu.Unlock()
	return resp, err
}

func (p *pathLog) count(prefix string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, s := range p.seen {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

// loggedClient is a client for the sandbox whose requests go through a pathLog, and whose
// notices are collected.
func loggedClient(t testing.TB, base string) (*pipedrive.Client, *pathLog, *[]string) {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	log := &pathLog{next: tr}
	var mu sync.Mutex
	var notices []string
	c, err := pipedrive.New(pipedrive.Config{
		BaseURL: base, Token: testToken,
		Pacer:      ratelimit.New(ratelimit.Options{Limit: 100000, SearchLimit: 100000}),
		HTTPClient: &http.Client{Transport: log},
		Notice: func(msg string) {
			mu.Lock()
			notices = append(notices, msg)
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return c, log, &notices
}

// searchFixture fills a sandbox with what a customer's search for "acme" finds: 230 leads
// titled "Acme renewal N" (three v2 pages of 100), 5 titled in capitals, leads of other
// customers that must not be found, and the fixture organization "Acme Corporation".
// It returns the rows the export must write, as "type|id|title or name", sorted.
func searchFixture(t *testing.T, base string) []string {
	t.Helper()
	c := newClient(t, base)
	var want []string
	for _, l := range createLeads(t, c, 230, "Acme renewal %d", nil) {
		want = append(want, "lead|"+l.ID+"|"+l.Title)
	}
	for _, l := range createLeads(t, c, 5, "ACME CORP upsell %d", nil) {
		want = append(want, "lead|"+l.ID+"|"+l.Title)
	}
	createLeads(t, c, 40, "Globex expansion %d", nil)
	want = append(want, "organization|1|Acme Corporation")
	slices.Sort(want)
	return want
}

const searchJob = `kind: export
entity: search
query: {term: acme, item_types: "lead,organization"}
columns:
  item.type: Type
  item.id: ID
  item.title: Title
  item.name: Name
  result_score: Score
target: out/search.csv
`

// exportSearch runs the search export with options (a YAML line or "") and returns its
// rows as "type|id|title or name", sorted, and the result.
func exportSearch(t *testing.T, c *pipedrive.Client, options string) ([]string, *exporter.Result) {
	t.Helper()
	dir := t.TempDir()
	j := writeJob(t, dir, searchJob+options)
	res, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: openState(t, dir)})
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	header, rows := readRows(t, filepath.Join(dir, "out", "search.csv"))
	if want := []string{"Type", "ID", "Title", "Name", "Score"}; !slices.Equal(header, want) {
		t.Fatalf("header = %q, want %q", header, want)
	}
	var got []string
	for _, r := range rows {
		if r[4].Text == "" {
			t.Errorf("row %v has no result score", r)
		}
		got = append(got, r[0].Text+"|"+r[1].Text+"|"+r[2].Text+r[3].Text)
	}
	slices.Sort(got)
	if len(res.Sheets) != 1 || res.Sheets[0].Records != len(rows) {
		t.Errorf("result sheets = %+v, want one of %d records", res.Sheets, len(rows))
	}
	return got, res
}

func sameRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	var missing, extra []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	t.Errorf("%s: %d rows, want %d; missing %.5q, unexpected %.5q", what, len(got), len(want), missing, extra)
}

// TestExportSearchV2 exports search results through API v2 by default, through v1 when
// the job pins it, and through v1 by itself (once, with a notice) against a server without
// v2: the same rows every way, each item once.
func TestExportSearchV2(t *testing.T) {
	_, base := startSandbox(t, sandbox.Options{})
	want := searchFixture(t, base)

	t.Run("v2 by default", func(t *testing.T) {
		c, log, notices := loggedClient(t, base)
		got, res := exportSearch(t, c, "")
		sameRows(t, "v2", got, want)
		if n := log.count("GET /api/v2/itemSearch 200"); n != 3 {
			t.Errorf("GET /api/v2/itemSearch answered %d times, want 3 pages of 100 (log %q)", n, log.seen)
		}
		if n := log.count("GET /api/v1/itemSearch"); n != 0 {
			t.Errorf("v1 itemSearch called %d times on a server with v2", n)
		}
		if res.Requests != 3 {
			t.Errorf("Requests = %d, want 3 (one per page)", res.Requests)
		}
		if len(*notices) != 0 {
			t.Errorf("notices %q, want none", *notices)
		}
	})

	t.Run("v1 when pinned", func(t *testing.T) {
		c, log, _ := loggedClient(t, base)
		got, res := exportSearch(t, c, "options: {search_api: v1}\n")
		sameRows(t, "v1", got, want)
		if n := log.count("GET /api/v2/"); n != 0 {
			t.Errorf("v2 called %d times with search_api: v1", n)
		}
		if n := log.count("GET /api/v1/itemSearch 200"); n != 1 || res.Requests != 1 {
			t.Errorf("v1 itemSearch answered %d times, Requests %d; want 1 page of up to 500", n, res.Requests)
		}
	})

	t.Run("v2 pinned", func(t *testing.T) {
		c, log, _ := loggedClient(t, base)
		got, _ := exportSearch(t, c, "options: {search_api: v2}\n")
		sameRows(t, "v2 pinned", got, want)
		if n := log.count("GET /api/v1/"); n != 0 {
			t.Errorf("v1 called %d times with search_api: v2", n)
		}
	})
}

// TestExportSearchFallsBackToV1 exports search results from a server without API v2: the
// first v2 request answers 404, the client says so once and reads v1, and the rows are
// those a server with v2 gives. A job that pins v2 fails instead, naming the 404.
func TestExportSearchFallsBackToV1(t *testing.T) {
	_, base := startSandbox(t, sandbox.Options{Emulation: sandbox.Emulation{NoV2: true}})
	want := searchFixture(t, base)

	c, log, notices := loggedClient(t, base)
	got, res := exportSearch(t, c, "")
	sameRows(t, "fallback", got, want)
	if n := log.count("GET /api/v2/itemSearch 404"); n != 1 {
		t.Errorf("v2 itemSearch answered 404 %d times, want once (log %q)", n, log.seen)
	}
	if n := log.count("GET /api/v1/itemSearch 200"); n != 1 {
		t.Errorf("v1 itemSearch answered %d times, want 1", n)
	}
	if res.Requests != 2 {
		t.Errorf("Requests = %d, want 2 (the 404 and the v1 page)", res.Requests)
	}
	if len(*notices) != 1 || !strings.Contains((*notices)[0], "404") || !strings.Contains((*notices)[0], "v1") {
		t.Errorf("notices = %q, want one naming the 404 and v1", *notices)
	}
	if strings.Contains(strings.Join(*notices, ""), testToken) {
		t.Errorf("a notice carries the API token")
	}

	// The same client again: v1 straight away, no second 404, no second notice.
	got, _ = exportSearch(t, c, "")
	sameRows(t, "after fallback", got, want)
	if n := log.count("GET /api/v2/"); n != 1 || len(*notices) != 1 {
		t.Errorf("after the fall back: %d v2 requests, %d notices; want 1 and 1", n, len(*notices))
	}

	dir := t.TempDir()
	j := writeJob(t, dir, searchJob+"options: {search_api: v2}\n")
	c2, _, _ := loggedClient(t, base)
	_, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c2, State: openState(t, dir)})
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("export pinned to v2 on a server without v2: err = %v, want the 404", err)
	}
}

// TestExportSearchPlan: a dry run's plan names the endpoint that will be called and its cost.
func TestExportSearchPlan(t *testing.T) {
	for _, tt := range []struct{ options, want, not string }{
		{"", "GET /api/v2/itemSearch, up to 100 results a page: 20 tokens a page (a server without API v2 gets GET /itemSearch instead, 500 results and 40 tokens a page)", ""},
		{"options: {search_api: v2}\n", "GET /api/v2/itemSearch, up to 100 results a page: 20 tokens a page\n", "without API v2"},
		{"options: {search_api: v1}\n", "GET /itemSearch, up to 500 results a page: 40 tokens a page\n", "v2"},
	} {
		j := writeJob(t, t.TempDir(), searchJob+tt.options)
		plan := exporter.Plan(j, 80)
		if !strings.Contains(plan, tt.want) || (tt.not != "" && strings.Contains(plan, tt.not)) {
			t.Errorf("Plan with %q =\n%s\nwant it to hold %q (and not %q)", tt.options, plan, tt.want, tt.not)
		}
	}
}
