package importer_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
	"github.com/pdbulk/pdbulk/spec"
)

// lookupJob creates leads, each linked to a person found by e-mail and an organization
// found by name; %s is the options' search_api.
const lookupJob = `kind: import
name: lookups
entity: leads
source: leads.csv
mode: create
key: Ref
columns:
  title: Title
  person_id: {column: Contact email, lookup: persons.email}
  organization_id: {column: Company, lookup: organizations.name}
options: {concurrency: 8, search_api: %s}
`

// tokenCount is a transport that adds up the x-token-cost of what it sends (spec's cost of
// the endpoint, v1 or v2), split into searches and the rest.
type tokenCount struct {
	next             http.RoundTripper
	mu               sync.Mutex
	search, searches int
	other            int
}

func (c *tokenCount) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err != nil || resp.StatusCode >= 300 {
		return resp, err // a refused request costs nothing in the sandbox
	}
	var ep spec.Endpoint
	var ok bool
	if p, v2 := strings.CutPrefix(r.URL.Path, "/api/v2"); v2 {
		ep, ok = spec.MatchV2(r.Method, p)
	} else {
		ep, ok = spec.Match(r.Method, strings.TrimPrefix(r.URL.Path, "/api/v1"))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !ok:
	case strings.Contains(strings.ToLower(ep.Op), "search"):
		c.search += ep.Cost
		c.searches++
	default:
		c.other += ep.Cost
	}
	return resp, err
}

// lookupRun is what one import of the benchmark spent.
type lookupRun struct {
	lookupTokens, lookups, otherTokens int
	runTokens                          int // the daily budget the sandbox says is gone
	created                            int64
}

// runLookupImport imports rows leads (each resolving a person by e-mail and an
// organization by name, distinct of each) with search_api api against a fresh sandbox
// with a daily budget, and returns what it spent.
func runLookupImport(b *testing.B, api string, rows, distinct, budget int) lookupRun {
	b.Helper()
	srv, err := sandbox.New(sandbox.Options{Token: testToken, Contacts: sandbox.Contacts{Persons: distinct, Organizations: distinct},
		Emulation: sandbox.Emulation{DailyBudget: budget}})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	base, err := srv.Start()
	if err != nil {
		b.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	tc := &tokenCount{next: tr}
	pacer := ratelimit.New(ratelimit.Options{Limit: 100000, SearchLimit: 100000})
	c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: testToken, Pacer: pacer, HTTPClient: &http.Client{Transport: tc}})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	recs := make([][]string, rows)
	for i := range rows {
		// Rows meet their contacts in different orders, as a CRM export does.
		_, email := sandbox.ContactPerson(i%distinct + 1)
		org := sandbox.ContactOrganizationName((i*7)%distinct + 1)
		if i%3 == 0 {
			email = strings.ToUpper(email[:1]) + email[1:] // mixed case, as people type them
		}
		recs[i] = []string{fmt.Sprintf("L-%05d", i+1), fmt.Sprintf("Lead %05d", i+1), email, org}
	}
	writeCSVB(b, filepath.Join(dir, "leads.csv"), []string{"Ref", "Title", "Contact email", "Company"}, recs)
	j := loadJobB(b, dir, fmt.Sprintf(lookupJob, api))
	st := openStateB(b, filepath.Join(dir, "state.db"))
	defer st.Close()
	res, err := importer.Run(context.Background(), context.Background(), importer.Options{Job: j, Client: c, Pacer: pacer, State: st})
	if err != nil {
		b.Fatal(err)
	}
	if res.Stopped != nil || res.Stats.Created != int64(rows) {
		b.Fatalf("search_api %s: %s, stopped %v, problems %+v; want %d created", api, res.Stats, res.Stopped, res.Problems, rows)
	}
	// The daily budget left, read from one more answer once every answer of the run is in
	// (answers to concurrent requests arrive in any order).
	_, resp, err := c.LeadSources(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	extra := spec.ByOp("getLeadSources").Cost
	return lookupRun{
		lookupTokens: tc.search, lookups: tc.searches, otherTokens: tc.other - extra,
		runTokens: budget - resp.RateLimit.DailyTokenRemaining - extra, created: res.Stats.Created,
	}
}

// BenchmarkLookupTokens imports 5,000 leads whose rows each resolve a person by e-mail
// and an organization by name (2,000 distinct of each) against the sandbox with a daily
// budget, once through API v2 search and once pinned to v1, and reports the tokens each
// spent on lookups and in all. Run it with
//
//	go test ./importer/ -run '^$' -bench BenchmarkLookupTokens -benchtime 1x
func BenchmarkLookupTokens(b *testing.B) {
	const rows, distinct, budget = 5000, 2000, 1_000_000
	for b.Loop() {
		v2 := runLookupImport(b, "v2", rows, distinct, budget)
		v1 := runLookupImport(b, "v1", rows, distinct, budget)
		if v2.lookups != 2*distinct || v1.lookups != 2*distinct {
			b.Fatalf("lookups sent: %d with v2, %d with v1; want %d each (one per distinct key)", v2.lookups, v1.lookups, 2*distinct)
		}
		b.ReportMetric(float64(v2.lookupTokens), "v2-lookup-tokens")
		b.ReportMetric(float64(v1.lookupTokens), "v1-lookup-tokens")
		b.ReportMetric(100*float64(v2.lookupTokens)/float64(v1.lookupTokens), "v2/v1-lookup-%")
		b.ReportMetric(float64(v2.runTokens), "v2-run-tokens")
		b.ReportMetric(float64(v1.runTokens), "v1-run-tokens")
		b.ReportMetric(100*float64(v2.runTokens)/float64(v1.runTokens), "v2/v1-run-%")
		if v2.runTokens != v2.lookupTokens+v2.otherTokens || v1.runTokens != v1.lookupTokens+v1.otherTokens {
			b.Errorf("the sandbox's budget says %d (v2) and %d (v1) tokens went, the requests add up to %d and %d",
				v2.runTokens, v1.runTokens, v2.lookupTokens+v2.otherTokens, v1.lookupTokens+v1.otherTokens)
		}
	}
}

func writeCSVB(b *testing.B, path string, header []string, rows [][]string) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := csv.NewWriter(f)
	if err := w.Write(header); err != nil {
		b.Fatal(err)
	}
	if err := w.WriteAll(rows); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

func loadJobB(b *testing.B, dir, body string) *jobs.Job {
	b.Helper()
	p := filepath.Join(dir, "lookups.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		b.Fatal(err)
	}
	j, err := jobs.Load(p)
	if err != nil {
		b.Fatal(err)
	}
	return j
}

func openStateB(b *testing.B, path string) *jobs.State {
	b.Helper()
	st, err := jobs.OpenState(path)
	if err != nil {
		b.Fatal(err)
	}
	return st
}
