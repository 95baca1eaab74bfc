package pipedrive_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
)

// pathCounter counts the requests a client sends, by URL path.
type pathCounter struct {
	next http.RoundTripper
	mu   sync.Mutex
	n    map[string]int
}

func (p *pathCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	p.mu.Lock()
	if p.n == nil {
		p.n = map[string]int{}
	}
	p.n[r.URL.Path]++
	p.mu.Unlock()
	return p.next.RoundTrip(r)
}

func (p *pathCounter) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n[path]
}

// v2Sandbox starts a sandbox (without API v2 when noV2) and a client for it that counts
// its requests and collects its notices.
func v2Sandbox(t *testing.T, em sandbox.Emulation, pacer *ratelimit.Pacer) (*pipedrive.Client, *pathCounter, *[]string) {
	t.Helper()
	const token = "v2-search-token-7d1c"
	srv, err := sandbox.New(sandbox.Options{Token: token, Emulation: em})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	base, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	pc := &pathCounter{next: tr}
	var mu sync.Mutex
	var notices []string
	c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: token, Pacer: pacer, HTTPClient: &http.Client{Transport: pc},
		MaxRetries: -1, Notice: func(msg string) {
			mu.Lock()
			notices = append(notices, msg)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	return c, pc, &notices
}

func personIDs(t *testing.T, c *pipedrive.Client, api pipedrive.SearchAPI, email string) ([]int, error) {
	t.Helper()
	var ids []int
	for hit, err := range c.FindPersons(t.Context(), api, pipedrive.PersonSearchQuery{Term: email, Fields: []string{"email"}, ExactMatch: true}) {
		if err != nil {
			return ids, err
		}
		ids = append(ids, hit.Item.ID)
	}
	return ids, nil
}

// A server without API v2 answers 404 there: the client says so once, finds the person
// through v1 all the same, and sends every later search straight to v1.
func TestFindFallsBackToV1Once(t *testing.T) {
	c, pc, notices := v2Sandbox(t, sandbox.Emulation{NoV2: true}, nil)
	for i, email := range []string{"alice@acme.example", "BOB@globex.example", "carol@initech.example"} {
		ids, err := personIDs(t, c, pipedrive.SearchAuto, email)
		if err != nil || len(ids) != 1 || ids[0] != i+1 {
			t.Fatalf("FindPersons(%s) on a v1-only server = %v, %v; want [%d]", email, ids, err, i+1)
		}
	}
	if got := pc.count("/api/v2/persons/search"); got != 1 {
		t.Errorf("v2 person search sent %d times, want once (then v1 for the rest of the run)", got)
	}
	if got := pc.count("/api/v1/itemSearch"); got != 3 {
		t.Errorf("v1 itemSearch sent %d times, want 3", got)
	}
	if len(*notices) != 1 || !strings.Contains((*notices)[0], "404") || !strings.Contains((*notices)[0], "v1") {
		t.Errorf("notices = %q, want one saying v2 answered 404 and v1 is used", *notices)
	}
	if strings.Contains(strings.Join(*notices, " "), "v2-search-token") {
		t.Errorf("a notice holds the token: %q", *notices)
	}
	// Other kinds follow the fall back without asking v2 again.
	if op := c.SearchOp(pipedrive.SearchAuto, "leads"); op != "searchLeads" {
		t.Errorf("SearchOp(auto, leads) after the fall back = %q, want searchLeads", op)
	}
	for _, err := range c.FindOrganizations(t.Context(), pipedrive.SearchAuto, pipedrive.OrganizationSearchQuery{Term: "Hooli", ExactMatch: true}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := pc.count("/api/v2/organizations/search"); got != 0 {
		t.Errorf("v2 organization search sent %d times after the fall back, want 0", got)
	}
	if len(*notices) != 1 {
		t.Errorf("notices = %q, want still one", *notices)
	}
}

// Pinned to v2, a server without v2 is an error (matching ErrNotFound), not a fall back;
// pinned to v1, v2 is never asked.
func TestFindPinned(t *testing.T) {
	c, pc, notices := v2Sandbox(t, sandbox.Emulation{NoV2: true}, nil)
	_, err := personIDs(t, c, pipedrive.SearchV2, "alice@acme.example")
	if !errors.Is(err, pipedrive.ErrNotFound) {
		t.Errorf("FindPersons(v2) on a v1-only server = %v, want ErrNotFound", err)
	}
	if len(*notices) != 0 || c.SearchOp(pipedrive.SearchAuto, "persons") != "searchPersonsV2" {
		t.Errorf("a pinned v2 search fell back: notices %q, SearchOp %q", *notices, c.SearchOp(pipedrive.SearchAuto, "persons"))
	}

	c, pc, _ = v2Sandbox(t, sandbox.Emulation{}, nil)
	if ids, err := personIDs(t, c, pipedrive.SearchV1, "alice@acme.example"); err != nil || len(ids) != 1 {
		t.Fatalf("FindPersons(v1) = %v, %v", ids, err)
	}
	if pc.count("/api/v2/persons/search") != 0 || pc.count("/api/v1/itemSearch") != 1 {
		t.Errorf("FindPersons(v1) sent %v, want one v1 itemSearch and no v2 request", pc.n)
	}
}

// v2 searches cost 20 tokens of the daily budget (v1 item search 40) and are paced in the
// search window, whose headers they carry.
func TestV2SearchCostAndWindow(t *testing.T) {
	pacer := ratelimit.New(ratelimit.Options{Limit: 100, SearchLimit: 4, Window: time.Second})
	c, _, _ := v2Sandbox(t, sandbox.Emulation{RateLimit: 100, SearchRateLimit: 4, Window: time.Second, DailyBudget: 10000}, pacer)
	if _, err := personIDs(t, c, pipedrive.SearchV2, "alice@acme.example"); err != nil {
		t.Fatal(err)
	}
	after1 := c.LastRateLimit()
	if _, err := personIDs(t, c, pipedrive.SearchV1, "alice@acme.example"); err != nil {
		t.Fatal(err)
	}
	after2 := c.LastRateLimit()
	if after1.DailyTokenRemaining != 10000-20 || after2.DailyTokenRemaining != 10000-20-40 {
		t.Errorf("daily tokens left = %d after a v2 search, %d after a v1 one; want %d and %d",
			after1.DailyTokenRemaining, after2.DailyTokenRemaining, 10000-20, 10000-60)
	}
	if after1.Limit != 4 {
		t.Errorf("x-ratelimit-limit of a v2 search = %d, want the search window's 4", after1.Limit)
	}
	for i := range 10 {
		if _, err := personIDs(t, c, pipedrive.SearchV2, "bob@globex.example"); err != nil {
			t.Fatalf("search %d: %v", i, err)
		}
	}
	if s := pacer.Stats(); s.TooMany != 0 || s.SearchLimit != 4 || s.Limit != 100 {
		t.Errorf("pacer after 10 v2 searches: %d 429s, limits %d/%d; want 0 and 100/4", s.TooMany, s.Limit, s.SearchLimit)
	}
}

// An export job's query values become an item search that reaches v2 and pages with the
// cursor; a bad value names its key.
func TestItemSearchV2QueryFrom(t *testing.T) {
	c, pc, _ := v2Sandbox(t, sandbox.Emulation{}, nil)
	q, err := pipedrive.ItemSearchV2QueryFrom(url.Values{"term": {"acme"}, "item_types": {"person, organization"}, "exact_match": {"false"}, "limit": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for hit, err := range c.FindItems(t.Context(), pipedrive.SearchAuto, q) {
		if err != nil {
			t.Fatal(err)
		}
		typ, _ := hit.ItemType()
		kinds[typ]++
	}
	// Acme Corporation, and its two persons whose e-mails are @acme.example.
	if kinds["organization"] != 1 || kinds["person"] != 2 || len(kinds) != 2 {
		t.Errorf("FindItems(acme, persons and organizations) = %v, want 1 organization and 2 persons", kinds)
	}
	if got := pc.count("/api/v2/itemSearch"); got != 3 {
		t.Errorf("v2 itemSearch sent %d times for 3 hits at 1 a page, want 3", got)
	}
	for _, bad := range []url.Values{{"exact_match": {"yes please"}}, {"start": {"100"}}, {"limit": {"ten"}}} {
		if _, err := pipedrive.ItemSearchV2QueryFrom(bad); err == nil {
			t.Errorf("ItemSearchV2QueryFrom(%v) = nil error", bad)
		}
	}
}
