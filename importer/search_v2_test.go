package importer_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
)

// searchJob upserts leads matched on title, each linked to a person found by e-mail and an
// organization found by name; %s is the options line.
const searchJob = `kind: import
name: v2search
entity: leads
source: leads.csv
mode: upsert
match_on: [title]
key: Ref
columns:
  title: Title
  person_id: {column: Contact, lookup: persons.email}
  organization_id: {column: Company, lookup: organizations.name}
options: {concurrency: 2%s}
`

// pathCount is a transport that counts requests by URL path.
type pathCount struct {
	next http.RoundTripper
	mu   sync.Mutex
	n    map[string]int
}

func (p *pathCount) RoundTrip(r *http.Request) (*http.Response, error) {
	p.mu.Lock()
	p.n[r.URL.Path]++
	p.mu.Unlock()
	return p.next.RoundTrip(r)
}

func (p *pathCount) get(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n[path]
}

// TestLookupsAndMatchingThroughV2 runs one upsert three ways, against a sandbox that has
// API v2 (the default, then pinned to v1) and one that has not (the client falls back):
// the leads come out the same every time, and the searches sent and the plan's tokens are
// those of the endpoints really called.
func TestLookupsAndMatchingThroughV2(t *testing.T) {
	t.Parallel()
	rows := [][]string{
		// Mixed case e-mails and names: lookups ignore case.
		{"R-1", "Website relaunch", "Alice@Acme.example", "acme corporation"},
		{"R-2", "Support contract", "bob@globex.example", "Globex Inc"},
		{"R-3", "Training day", "ALICE@acme.example", "Acme Corporation"},
	}
	tests := []struct {
		name     string
		noV2     bool
		option   string
		v2, v1   int   // search requests by version
		search   int64 // tokens of one search request
		tokens   int64
		notices  int
		leadPath string
	}{
		// 3 rows search their lead; the lookup cache asks 2 persons (e-mails ignore case)
		// and 3 organization names. The dry run's plan: 3 × (search 20 + update 10) + 5
		// lookups × 20.
		{name: "v2 by default", v2: 3 + 5, search: 20, tokens: 3*(20+10) + 5*20, leadPath: "/api/v2/leads/search"},
		// The same at 40 tokens a search.
		{name: "pinned to v1", option: ", search_api: v1", v1: 3 + 5, search: 40, tokens: 3*(40+10) + 5*40, leadPath: "/api/v1/leads/search"},
		// The first searches ask v2 (two workers may both ask before the first 404 is
		// back), get 404, and everything goes to v1.
		{name: "server without v2", noV2: true, v2: 2, v1: 3 + 5, search: 40, tokens: 3*(40+10) + 5*40, notices: 1, leadPath: "/api/v1/leads/search"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := startSandbox(t, sandbox.Emulation{NoV2: tt.noV2})
			tr := http.DefaultTransport.(*http.Transport).Clone()
			t.Cleanup(tr.CloseIdleConnections)
			pc := &pathCount{next: tr, n: map[string]int{}}
			var mu sync.Mutex
			var notices []string
			c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: testToken, HTTPClient: &http.Client{Transport: pc},
				Pacer:  ratelimit.New(ratelimit.Options{Limit: 100000, SearchLimit: 100000}),
				Notice: func(m string) { mu.Lock(); notices = append(notices, m); mu.Unlock() }})
			if err != nil {
				t.Fatal(err)
			}
			// Pre-existing leads: the upsert must find and update them, not duplicate them.
			for _, title := range []string{"Website relaunch", "Support contract", "Training day"} {
				if _, _, err := c.CreateLeadRaw(t.Context(), map[string]any{"title": title, "organization_id": 9}); err != nil {
					t.Fatal(err)
				}
			}
			dir := t.TempDir()
			writeCSV(t, dir, "leads.csv", []string{"Ref", "Title", "Contact", "Company"}, rows)
			j := loadJob(t, dir, "v2search", fmt.Sprintf(searchJob, tt.option))
			st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
			res := run(t, importer.Options{Job: j, Client: c, State: st})
			if s := res.Stats; s.Updated != 3 || s.Created != 0 || s.Rejected != 0 {
				t.Fatalf("stats = %s (problems %+v); want 3 updated", s, res.Problems)
			}
			want := map[string][2]int{"Website relaunch": {1, 1}, "Support contract": {2, 2}, "Training day": {1, 1}}
			n := 0
			for l, err := range c.AllLeads(t.Context(), pipedrive.LeadsQuery{}) {
				if err != nil {
					t.Fatal(err)
				}
				n++
				w := want[l.Title]
				if l.PersonID == nil || l.OrganizationID == nil || *l.PersonID != w[0] || *l.OrganizationID != w[1] {
					t.Errorf("lead %q: person %v, organization %v; want %d, %d", l.Title, l.PersonID, l.OrganizationID, w[0], w[1])
				}
			}
			if n != 3 {
				t.Errorf("%d leads, want the 3 that existed", n)
			}
			v2 := pc.get("/api/v2/persons/search") + pc.get("/api/v2/organizations/search") + pc.get("/api/v2/leads/search")
			v1 := pc.get("/api/v1/itemSearch") + pc.get("/api/v1/leads/search")
			if (v2 != tt.v2 && !(tt.noV2 && v2 >= 1 && v2 <= tt.v2)) || v1 != tt.v1 || pc.get(tt.leadPath) < 3 {
				t.Errorf("searches sent: %d to v2, %d to v1 (%v); want %d and %d, lead matching through %s", v2, v1, pc.n, tt.v2, tt.v1, tt.leadPath)
			}
			// A real run's plan counts its lookups (the rows' own requests are counted by the
			// pacer); a dry run's plan counts both, at the cost of the endpoints called.
			if lookups := 5 * tt.search; res.Plan.Tokens != lookups {
				t.Errorf("plan tokens of the run = %d, want %d (lookups at the cost of the endpoints really called)", res.Plan.Tokens, lookups)
			}
			dry := run(t, importer.Options{Job: j, Client: c, DryRun: true})
			if dry.Plan.Tokens != tt.tokens {
				t.Errorf("plan tokens of a dry run = %d, want %d (the endpoints really called)", dry.Plan.Tokens, tt.tokens)
			}
			if len(notices) != tt.notices {
				t.Errorf("notices = %q, want %d", notices, tt.notices)
			}
		})
	}
}

// TestEstimateUsesTheJobsSearchAPI: the cost a validate prints before any request is that
// of v2 search unless the job pins v1.
func TestEstimateUsesTheJobsSearchAPI(t *testing.T) {
	dir := t.TempDir()
	writeCSV(t, dir, "leads.csv", []string{"Ref", "Title", "Contact", "Company"}, [][]string{{"R-1", "A", "alice@acme.example", "Acme Corporation"}})
	for _, tt := range []struct {
		option string
		tokens int64
	}{{"", 10 * (20 + 10)}, {", search_api: v2", 10 * (20 + 10)}, {", search_api: auto", 10 * (20 + 10)}, {", search_api: v1", 10 * (40 + 10)}} {
		j := loadJob(t, dir, "estimate", fmt.Sprintf(searchJob, tt.option))
		if p := importer.Estimate(j, 10); p.Tokens != tt.tokens || p.Searches != 10 {
			t.Errorf("Estimate(options%q, 10 upserts) = %d tokens, %d searches; want %d, 10", strings.TrimPrefix(tt.option, ", "), p.Tokens, p.Searches, tt.tokens)
		}
	}
}
