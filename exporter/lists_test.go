package exporter_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/exporter"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
)

// sendOrder notes, in the order they happen, when a request for a path is sent and when
// its answer comes back: "send /api/v1/leads/archived", "answer /api/v1/leads".
type sendOrder struct {
	next   http.RoundTripper
	mu     sync.Mutex
	events []string
	asked  map[string]int // requests sent, by path and query
}

func (s *sendOrder) note(ev string) {
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
}

func (s *sendOrder) RoundTrip(r *http.Request) (*http.Response, error) {
	s.note("send " + r.URL.Path)
	s.mu.Lock()
	if s.asked == nil {
		s.asked = map[string]int{}
	}
	s.asked[r.URL.Path+"?"+r.URL.Query().Encode()]++
	s.mu.Unlock()
	resp, err := s.next.RoundTrip(r)
	s.note("answer " + r.URL.Path)
	return resp, err
}

// orderedClient is a client for the sandbox at base whose requests a sendOrder notes.
func orderedClient(t *testing.T, base string) (*pipedrive.Client, *sendOrder) {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	order := &sendOrder{next: tr}
	c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: testToken,
		Pacer: ratelimit.New(ratelimit.Options{Limit: 100000}), HTTPClient: &http.Client{Transport: order}})
	if err != nil {
		t.Fatal(err)
	}
	return c, order
}

// TestExportArchivedAllReadsListsTogether: a sheet of "archived: all" reads the active and
// the archived leads, two lists. The archived list's first page goes out while the active
// list is still being read (not one round trip after its end), and the sheet still holds
// every lead once: the active leads first, then the archived ones.
func TestExportArchivedAllReadsListsTogether(t *testing.T) {
	srv, base := startSandbox(t, sandbox.Options{Emulation: sandbox.Emulation{Latency: 20 * time.Millisecond}})
	const n = 600
	seeds := sandbox.SampleLeads(n, time.Now(), srv.LeadLabelIDs())
	// Titles as customers type them: the archived list's pages wait on disk for their
	// turn, and must come back byte for byte.
	titles := []string{"Café Müller, \"the\" deal", "line one\nline two", "北京 ☃ 🚀", "=SUM(A1:A9)", "tab\there", "  spaced  "}
	odd := func(i int) sandbox.LeadSeed {
		sd := seeds(i)
		sd.Title = titles[i%len(titles)] + " " + sd.Title
		return sd
	}
	if err := srv.InsertLeads(context.Background(), n, odd); err != nil {
		t.Fatal(err)
	}
	all := allLeads(t, newClient(t, base))
	archived := 0
	for _, l := range all {
		if l.IsArchived {
			archived++
		}
	}
	if archived == 0 || archived == n {
		t.Fatalf("the sample has %d archived leads of %d; the test needs both lists", archived, n)
	}

	c, order := orderedClient(t, base)
	dir := t.TempDir()
	j := writeJob(t, dir, "kind: export\nentity: leads\nquery: {archived: all}\ntarget: out/leads.csv\ncolumns: {id: ID, title: Title}\n")
	// 50 records a page, two in flight: the active list is read in several round trips.
	res, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: openState(t, dir), PageSize: 50, Concurrency: 2})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	firstArchived, lastActive := -1, -1
	for i, ev := range order.events {
		switch {
		case ev == "send /api/v1/leads/archived" && firstArchived < 0:
			firstArchived = i
		case ev == "answer /api/v1/leads":
			lastActive = i
		}
	}
	if firstArchived < 0 || lastActive < 0 {
		t.Fatalf("requests seen: %s", strings.Join(order.events, ", "))
	}
	if firstArchived > lastActive {
		t.Errorf("the archived list's first page was sent after the active list's last answer (event %d > %d): the lists were read one after the other", firstArchived, lastActive)
	}

	_, rows := readRows(t, res.Path)
	seen := map[string]int{}
	lastActiveRow, firstArchivedRow := -1, len(rows)
	for i, r := range rows {
		id := r[0].Text
		seen[id]++
		l, ok := all[id]
		if ok && r[1].Text != l.Title && r[1].Text != "'"+l.Title {
			t.Errorf("row %d: lead %s has title %q, want %q", i+2, id, r[1].Text, l.Title)
		}
		switch {
		case !ok:
			t.Errorf("row %d: lead %s is not in the sandbox", i+2, id)
		case l.IsArchived:
			firstArchivedRow = min(firstArchivedRow, i)
		default:
			lastActiveRow = i
		}
	}
	if len(rows) != n || len(seen) != n {
		t.Errorf("the sheet has %d rows of %d distinct leads, want %d each", len(rows), len(seen), n)
	}
	if lastActiveRow > firstArchivedRow {
		t.Errorf("an active lead (row %d) comes after an archived one (row %d): the lists are mixed", lastActiveRow+2, firstArchivedRow+2)
	}
	left, err := os.ReadDir(filepath.Dir(res.Path))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		if e.Name() != filepath.Base(res.Path) {
			t.Errorf("%s is left in the target's folder", e.Name())
		}
	}
}

// TestExportFindsTheEndOfTheList: GET /leads does not say how many leads there are, so a
// read with many pages in flight used to send a burst of pages past the end of a short
// list (about as many as were in flight), and as many past the end of a long one: each a
// request of the account's limit and 20 tokens of its daily budget for nothing. The read
// now probes (asks for pages out of turn) where the list may end: the pages and probes it sends stay
// within a few of the pages the list holds, and every lead is written once.
func TestExportFindsTheEndOfTheList(t *testing.T) {
	cases := []struct {
		name        string
		leads, page int
		conc        int
		spare       int // requests allowed over the pages the list holds
	}{
		{"short list, 32 at once", 230, 50, 32, 8},
		{"long list, 64 at once", 3000, 20, 64, 24},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, base := startSandbox(t, sandbox.Options{Emulation: sandbox.Emulation{Latency: 20 * time.Millisecond}})
			if err := srv.InsertLeads(context.Background(), tc.leads, sandbox.SampleLeads(tc.leads, time.Now(), srv.LeadLabelIDs())); err != nil {
				t.Fatal(err)
			}
			active := 0
			for _, l := range allLeads(t, newClient(t, base)) {
				if !l.IsArchived {
					active++
				}
			}
			c, order := orderedClient(t, base)
			dir := t.TempDir()
			j := writeJob(t, dir, "kind: export\nentity: leads\ntarget: out/leads.csv\ncolumns: {id: ID, title: Title}\n")
			res, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: openState(t, dir), PageSize: tc.page, Concurrency: tc.conc})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			_, rows := readRows(t, res.Path)
			seen := map[string]bool{}
			for _, r := range rows {
				seen[r[0].Text] = true
			}
			if len(rows) != active || len(seen) != active {
				t.Errorf("the sheet has %d rows of %d distinct leads, want the %d active leads once each", len(rows), len(seen), active)
			}

			sent := 0
			for _, ev := range order.events {
				if ev == "send /api/v1/leads" {
					sent++
				}
			}
			// Pages overlap by a 25th (at least 2 records): page k starts at k·step.
			step := tc.page - max(tc.page/25, 2)
			pages := 1 + max(active-tc.page+step-1, 0)/step
			t.Logf("%d active leads, %d pages: %d requests sent", active, pages, sent)
			// Nobody edits the list: no page is read again, and none is asked for twice
			// (a probe is the page itself).
			for q, k := range order.asked {
				if k > 1 {
					t.Errorf("%s was asked for %d times", q, k)
				}
			}
			if res.Repairs != 0 {
				t.Errorf("%d pages read again", res.Repairs)
			}
			if sent > pages+tc.spare {
				t.Errorf("%d GET /leads sent for a list of %d pages: more than %d past its end", sent, pages, tc.spare)
			}
		})
	}
}

// TestExportAgainKnowsItsLists: a scheduled export runs the same job again and again. Its
// first run learns how long the list is from the answers of its first page and probes; a
// later run remembers it (per job, account and list) and asks for the pages it expects at
// once: in the first round trip it sends as many pages as may be in flight, not the first
// page and a few probes, and it asks for no page past the end. When the list shrank
// meanwhile, the pages sent past its end are at most those in flight; when it grew, the
// pages past what it held are probed as on a first run; every lead is written once.
func TestExportAgainKnowsItsLists(t *testing.T) {
	const n, page, conc = 1000, 20, 32
	srv, base, j, st := nightlyExport(t, n)
	run := func(name string) (firstTrip, sent, pages int) {
		t.Helper()
		firstTrip, sent, pages, _ = exportRun(t, name, base, j, st, page, conc)
		return firstTrip, sent, pages
	}

	first, _, _ := run("first run")
	if first > 4 {
		t.Errorf("first run: %d requests before the first answer, want the first page and at most 3 probes", first)
	}
	again, sent, pages := run("second run")
	if again < conc*3/4 {
		t.Errorf("second run: %d requests before the first answer, want about the %d allowed in flight", again, conc)
	}
	if sent > pages+1 {
		t.Errorf("second run: %d requests for a list of %d pages", sent, pages)
	}

	// Two thirds of the leads are deleted before the next run.
	c := newClient(t, base)
	var ids []string
	for id := range allLeads(t, c) {
		ids = append(ids, id)
	}
	var wg sync.WaitGroup
	work := make(chan string)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				if _, _, err := c.DeleteLead(context.Background(), id); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for _, id := range ids[:len(ids)*2/3] {
		work <- id
	}
	close(work)
	wg.Wait()
	_, sent, pages = run("after deletes")
	if sent > pages+conc+2 {
		t.Errorf("after deletes: %d requests for a list of %d pages, more than the %d in flight past its end", sent, pages, conc)
	}

	// The list grows to four times what the last run read: the pages past the hint are
	// probed as on a first run.
	if err := srv.InsertLeads(context.Background(), 3*n, sandbox.SampleLeads(3*n, time.Now(), srv.LeadLabelIDs())); err != nil {
		t.Fatal(err)
	}
	_, sent, pages = run("after inserts")
	if sent > pages+conc {
		t.Errorf("after inserts: %d requests for a list of %d pages", sent, pages)
	}
}

// TestExportFirstRunAtTheBound: when the round trips are so long that the requests in flight,
// not the account's limit, set the pace (at 1 s and 120 / 2 s the 64 allowed in flight), a
// round trip that carries a page and a few probes is lost to the whole export. There a
// first run sends its share of the pages in flight blind in the first round trip. On a long
// list that is the pages it reads anyway, and no page is asked for twice; on a list of one
// page it is at most the share past the end, and once: the job's next run remembers the
// length and asks for the one page alone. (A client whose limit no round trip can reach
// stands in for the long round trips: its Gate is at its bound from the start.)
func TestExportFirstRunAtTheBound(t *testing.T) {
	// The 64 answers of the first round trip come back together and queue for the client's
	// answer budget (pages of unknown length reserve their bound: a few are read at once),
	// so the pager can learn that page 0 ends the list after some slots have freed and a few
	// more requests have gone: 2 to 4 in 1 run of 10 under -race (pipedrive/answer.go).
	const slip = 8
	cases := []struct {
		name        string
		leads, page int
	}{
		{"one page", 25, 50},
		{"many pages", 3000, 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, base, j, st := nightlyExport(t, tc.leads)
			run := func(name string) (firstTrip, sent, pages int) {
				t.Helper()
				firstTrip, sent, pages, c := exportRun(t, name, base, j, st, tc.page, 0)
				if g := c.Gate().Stats(); g.Pinned || g.Peak != ratelimit.MaxGate {
					t.Fatalf("%s: the Gate is %+v, want it adaptive and at its bound", name, g)
				}
				return firstTrip, sent, pages
			}

			firstTrip, sent, pages := run("first run")
			// The share: the bound (64) for the one list, less one; and the ladder's probe
			// past it (page 128) when the list might be longer.
			if firstTrip < min(pages, ratelimit.MaxGate/2) {
				t.Errorf("first run: %d requests in the first round trip for a list of %d pages, want its share of the %d in flight", firstTrip, pages, ratelimit.MaxGate)
			}
			switch {
			case pages < ratelimit.MaxGate && sent > ratelimit.MaxGate+slip:
				t.Errorf("first run: %d requests for a list of %d pages, more than the %d in flight and %d more", sent, pages, ratelimit.MaxGate, slip)
			case pages >= ratelimit.MaxGate && sent > pages+24:
				// As many as TestExportFindsTheEndOfTheList allows with 64 in flight.
				t.Errorf("first run: %d requests for a list of %d pages", sent, pages)
			}
			_, sent, _ = run("second run")
			if sent != pages {
				t.Errorf("second run: %d requests for a list of %d pages, want exactly those", sent, pages)
			}
		})
	}
}

// exportRun is one run of an export job of the active leads (pages of page records) on the
// checkpoint st, through a client that notes its requests: it checks that the sheet holds
// every active lead once and that no page was asked for twice, and returns the GET /leads
// sent before the first answer came back, those sent in all, the pages the list holds, and
// the client (for its Gate).
func exportRun(t *testing.T, name, base string, j *jobs.Job, st *jobs.State, page, conc int) (firstTrip, sent, pages int, c *pipedrive.Client) {
	t.Helper()
	active := map[string]bool{}
	for id, l := range allLeads(t, newClient(t, base)) {
		if !l.IsArchived {
			active[id] = true
		}
	}
	c, order := orderedClient(t, base)
	res, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: st, PageSize: page, Concurrency: conc})
	if err != nil {
		t.Fatalf("%s: Run: %v", name, err)
	}
	answered := false
	for _, ev := range order.events {
		answered = answered || strings.HasPrefix(ev, "answer ")
		if ev == "send /api/v1/leads" {
			sent++
			if !answered {
				firstTrip++
			}
		}
	}
	for q, k := range order.asked {
		if k > 1 {
			t.Errorf("%s: %s was asked for %d times", name, q, k)
		}
	}
	_, rows := readRows(t, res.Path)
	seen := map[string]bool{}
	for _, r := range rows {
		if !active[r[0].Text] || seen[r[0].Text] {
			t.Errorf("%s: lead %s written twice or not an active lead", name, r[0].Text)
		}
		seen[r[0].Text] = true
	}
	if len(seen) != len(active) {
		t.Errorf("%s: %d leads written, want the %d active ones", name, len(seen), len(active))
	}
	step := page - max(page/25, 2)
	pages = 1 + max(len(active)-page+step-1, 0)/step
	t.Logf("%s: %d active leads, %d pages: %d requests, %d of them in the first round trip", name, len(active), pages, sent, firstTrip)
	return firstTrip, sent, pages, c
}

// nightlyExport starts a sandbox at 50 ms holding n sample leads, and writes a job that
// exports its active leads, with its checkpoint.
func nightlyExport(t *testing.T, n int) (*sandbox.Server, string, *jobs.Job, *jobs.State) {
	t.Helper()
	srv, base := startSandbox(t, sandbox.Options{Emulation: sandbox.Emulation{Latency: 50 * time.Millisecond}})
	if err := srv.InsertLeads(context.Background(), n, sandbox.SampleLeads(n, time.Now(), srv.LeadLabelIDs())); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	j := writeJob(t, dir, "kind: export\nname: nightly\nentity: leads\ntarget: out/leads.csv\ncolumns: {id: ID, title: Title}\n")
	return srv, base, j, openState(t, dir)
}
