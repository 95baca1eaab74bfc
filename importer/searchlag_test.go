package importer_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
	"github.com/pdbulk/pdbulk/sandbox/sandboxtest"
)

// countingTransport counts the requests it carries by method and path.
type countingTransport struct {
	next              http.RoundTripper
	lists, searches   atomic.Int64 // GET /leads; lead searches (v1 or v2)
	leadGets, creates atomic.Int64 // GET /leads/{id}; POST /leads
	all               atomic.Int64
}

func (ct *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ct.all.Add(1)
	p := req.URL.Path
	switch {
	case strings.Contains(p, "/leads/search") || strings.Contains(p, "itemSearch"):
		ct.searches.Add(1)
	case req.Method == http.MethodGet && strings.HasSuffix(p, "/leads"):
		ct.lists.Add(1)
	case req.Method == http.MethodGet && strings.Contains(p, "/leads/"):
		ct.leadGets.Add(1)
	case req.Method == http.MethodPost && strings.HasSuffix(p, "/leads"):
		ct.creates.Add(1)
	}
	return ct.next.RoundTrip(req)
}

// countedConn is newConn with a transport that counts the client's requests.
func countedConn(tb testing.TB, base string) (conn, *countingTransport) {
	tb.Helper()
	p := ratelimit.New(ratelimit.Options{Limit: 100000, SearchLimit: 100000})
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tb.Cleanup(tr.CloseIdleConnections)
	ct := &countingTransport{next: tr}
	c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: testToken, Pacer: p, HTTPClient: &http.Client{Transport: ct}})
	if err != nil {
		tb.Fatalf("client: %v", err)
	}
	return conn{c: c, pacer: p}, ct
}

// searchLagged is a sandbox whose search index holds a lead only 20 s after its last write,
// as `pdbulk sandbox --faults search_lag=20s`.
var searchLagged = sandbox.Emulation{Faults: sandbox.Faults{SearchLag: 20 * time.Second}}

// upsertJob writes rows (title, organization) and an upsert job over them matched on
// matchOn, with concurrency 8.
func upsertJob(t *testing.T, dir, name, matchOn string, rows [][]string) *importer.Options {
	t.Helper()
	writeCSV(t, dir, name+".csv", []string{"Title", "Org"}, rows)
	j := loadJob(t, dir, name, fmt.Sprintf(`kind: import
name: %s
entity: leads
source: %s.csv
mode: upsert
match_on: [%s]
columns:
  title: Title
  organization_id: {column: Org, type: int}
options: {concurrency: 8}
`, name, name, matchOn))
	return &importer.Options{Job: j}
}

// TestUpsertFindsLeadsSearchLagsBehind: leads created through the API just before an upsert
// are not in the search index yet; the upsert must update them, not create them again. A
// lead of another organization with the same title is not the row's when the job matches
// on the organization too.
func TestUpsertFindsLeadsSearchLagsBehind(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		matchOn string
		rows    func(i int) []string // row i of 10, on lead SL-i (organization 1)
		// updated is how many rows update a lead created before; the others create one.
		updated int
	}{
		{
			name: "title", matchOn: "title", updated: 10,
			rows: func(i int) []string {
				title := fmt.Sprintf("SL-%d", i)
				if i%3 == 0 {
					title = " " + strings.ToLower(title) + " " // folded as search hits are
				}
				return []string{title, "1"}
			},
		},
		{
			name: "title and organization", matchOn: "title, organization_id", updated: 5,
			rows: func(i int) []string { return []string{fmt.Sprintf("SL-%d", i), fmt.Sprint(1 + i%2)} },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cn, _ := countedConn(t, startSandbox(t, searchLagged))
			dir := t.TempDir()
			var before []string
			for i := 1; i <= 10; i++ {
				before = append(before, createLead(t, cn.c, fmt.Sprintf("SL-%d", i), 1))
			}
			var rows [][]string
			for i := 1; i <= 10; i++ {
				rows = append(rows, tc.rows(i))
			}
			o := upsertJob(t, dir, "upsert", tc.matchOn, rows)
			o.Client, o.Pacer, o.State = cn.c, cn.pacer, openState(t, filepath.Join(dir, "state.db"))
			res := run(t, *o)
			s := res.Stats
			t.Logf("%s", s)
			if s.Updated != int64(tc.updated) || s.Created != int64(10-tc.updated) || s.Rejected != 0 {
				t.Errorf("stats %s; want %d updated, %d created", s, tc.updated, 10-tc.updated)
			}
			success, _ := checkCounts(t, o.Job, res)
			ids := map[string]bool{}
			for _, r := range success.rows {
				if r["pdbulk_status"] == "updated" {
					ids[r["pipedrive_id"]] = true
				}
			}
			for i, id := range before {
				if want := tc.rows(i + 1)[1] == "1"; ids[id] != want {
					t.Errorf("lead SL-%d (%s) updated %v, want %v", i+1, id, ids[id], want)
				}
			}
			if n, want := len(allLeads(t, cn.c)), 10+10-tc.updated; n != want {
				t.Errorf("%d leads in the account, want %d", n, want)
			}
		})
	}
}

// TestUpsertSearchLagListCost: a 300-row upsert that creates every lead consults the view of
// recently updated leads for every row (search finds none), but lists GET /leads only when
// the view is refreshed: at most once every importer.RecentLeadsEvery (the first refresh
// included), each refresh reading one page of up to 500 leads updated since the last (the
// run's own creates, updated_since narrowing the list), plus one more page for every 500
// more. A run of d makes at most d/every + 1 refreshes, and its 300 creates fill at most
// 300/500 + 1 extra pages over all of them:
//
//	lists <= (d/every + 1) + rows/500 + 1
//
// and, whatever d, far fewer than one per row (asserted: at most rows/10).
func TestUpsertSearchLagListCost(t *testing.T) {
	t.Parallel()
	const rows = 300
	cn, ct := countedConn(t, startSandbox(t, searchLagged))
	dir := t.TempDir()
	var in [][]string
	for i := range rows {
		in = append(in, []string{fmt.Sprintf("Cost %03d", i), "1"})
	}
	o := upsertJob(t, dir, "cost", "title", in)
	o.Client, o.Pacer, o.State = cn.c, cn.pacer, openState(t, filepath.Join(dir, "state.db"))
	start := time.Now()
	res := run(t, *o)
	d := time.Since(start)
	if s := res.Stats; s.Created != rows || s.Updated != 0 || s.Rejected != 0 {
		t.Fatalf("stats %s; want %d created", s, rows)
	}
	lists, searches := ct.lists.Load(), ct.searches.Load()
	t.Logf("%d rows in %s: %d requests, %d searches, %d GET /leads lists, %d GET /leads/{id}, %d creates",
		rows, d.Round(time.Millisecond), ct.all.Load(), searches, lists, ct.leadGets.Load(), ct.creates.Load())
	bound := int64(d/importer.RecentLeadsEvery) + 1 + rows/500 + 1
	if lists > bound {
		t.Errorf("%d GET /leads lists for %d rows in %s, want at most %d (one refresh per %s)", lists, rows, d, bound, importer.RecentLeadsEvery)
	}
	if lists > rows/10 {
		t.Errorf("%d GET /leads lists for %d rows: the view must not be listed per row", lists, rows)
	}
	if searches != rows {
		t.Errorf("%d searches, want one per row (%d)", searches, rows)
	}
	if n := len(allLeads(t, cn.c)); n != rows {
		t.Errorf("%d leads, want %d", n, rows)
	}
}

// BenchmarkUpsertSearchLagCreates measures what the view of recently updated leads costs a
// 1,000-row upsert that creates every lead, with search lagging 20 s: GET /leads lists per
// run (lists/op) beside every request (requests/op), without and with 50 ms of latency per
// answer (a longer run refreshes the view more often).
//
//	go test -run '^$' -bench UpsertSearchLagCreates -benchtime 1x ./importer/
func BenchmarkUpsertSearchLagCreates(b *testing.B) {
	const rows = 1000
	var csv strings.Builder
	csv.WriteString("Title,Org\n")
	for i := range rows {
		fmt.Fprintf(&csv, "Bench %04d,1\n", i)
	}
	for _, latency := range []time.Duration{0, 50 * time.Millisecond} {
		b.Run(fmt.Sprintf("latency=%s", latency), func(b *testing.B) {
			var lists, all, searches int64
			var elapsed time.Duration
			for range b.N {
				e := searchLagged
				e.Latency = latency
				_, base := sandboxtest.Start(b, sandbox.Options{Token: testToken, Emulation: e})
				cn, ct := countedConn(b, base)
				dir := b.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "bench.csv"), []byte(csv.String()), 0o644); err != nil {
					b.Fatal(err)
				}
				jp := filepath.Join(dir, "bench.yaml")
				job := "kind: import\nname: bench\nentity: leads\nsource: bench.csv\nmode: upsert\nmatch_on: [title]\n" +
					"columns:\n  title: Title\n  organization_id: {column: Org, type: int}\noptions: {concurrency: 8}\n"
				if err := os.WriteFile(jp, []byte(job), 0o644); err != nil {
					b.Fatal(err)
				}
				j, err := jobs.Load(jp)
				if err != nil {
					b.Fatal(err)
				}
				st, err := jobs.OpenState(filepath.Join(dir, "state.db"))
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				res, err := importer.Run(context.Background(), context.Background(), importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
				elapsed = time.Since(start)
				if cerr := st.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					b.Fatal(err)
				}
				if res.Stats.Created != rows {
					b.Fatalf("stats %s; want %d created", res.Stats, rows)
				}
				lists, all, searches = ct.lists.Load(), ct.all.Load(), ct.searches.Load()
			}
			b.ReportMetric(float64(lists), "lists/op")
			b.ReportMetric(float64(searches), "searches/op")
			b.ReportMetric(float64(all), "requests/op")
			b.ReportMetric(elapsed.Seconds(), "s/run")
		})
	}
}
