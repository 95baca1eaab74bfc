package sandbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLeadsPersistAcrossRestart: leads loaded in bulk and written through the API live in
// the SQLite file under DataDir; a new server on the same folder holds the same leads in
// the same order, answers the same pages, and places a new lead after them.
func TestLeadsPersistAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	e1 := newEnv(t, Options{DataDir: dir})
	end := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	if err := e1.s.InsertLeads(context.Background(), 1500, SampleLeads(1500, end, e1.s.LeadLabelIDs())); err != nil {
		t.Fatalf("InsertLeads() = %v", err)
	}
	created := e1.must(201, "POST", "/leads", validLead(map[string]any{"title": "made through the API"})).data(t)["id"].(string)
	held := heldLeads(t, e1.s)
	e1.must(200, "PATCH", "/leads/"+held[3].ID, map[string]any{"is_archived": true, "title": "archived later"})
	e1.must(200, "DELETE", "/leads/"+held[4].ID, nil)
	paths := []string{"/leads?sort=update_time%20DESC", "/leads/archived?sort=add_time", "/leads?owner_id=5&sort=id%20DESC"}
	pages := map[string][]string{}
	for _, p := range paths {
		pages[p] = e1.pageThrough(p, 200)
	}
	before := heldLeads(t, e1.s)
	if err := e1.s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sandbox.db")); err != nil {
		t.Fatalf("no SQLite file under DataDir: %v", err)
	}

	e2 := newEnv(t, Options{DataDir: dir})
	after := heldLeads(t, e2.s)
	if len(after) != 1500 || !reflect.DeepEqual(after, before) {
		t.Fatalf("after restart %d leads, want the %d held before, the same", len(after), len(before))
	}
	if after[len(after)-1].ID != created {
		t.Errorf("the last lead in insertion order is %s, want the one made through the API", after[len(after)-1].ID)
	}
	for _, p := range paths {
		if got := e2.pageThrough(p, 200); !slices.Equal(got, pages[p]) {
			t.Errorf("after restart, paging %s gives %d leads, want the %d it gave before", p, len(got), len(pages[p]))
		}
	}
	id := e2.must(201, "POST", "/leads", validLead(map[string]any{"title": "after restart"})).data(t)["id"].(string)
	if all := heldLeads(t, e2.s); all[len(all)-1].ID != id || all[len(all)-1].seq <= after[len(after)-1].seq {
		t.Errorf("a lead made after the restart is not last in insertion order")
	}
}

// TestInsertLeadsBulk: a load large enough to rebuild the indexes leaves them all in
// place, and pages are right.
func TestInsertLeadsBulk(t *testing.T) {
	e := newEnv(t, Options{DataDir: t.TempDir()})
	n := bulkRebuildMin
	if err := e.s.InsertLeads(context.Background(), n, SampleLeads(n, time.Now(), e.s.LeadLabelIDs())); err != nil {
		t.Fatalf("InsertLeads(%d) = %v", n, err)
	}
	var names []string
	rows, err := e.s.store.db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'leads'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		names = append(names, s)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	for _, ix := range leadIndexes {
		if !slices.Contains(names, ix.name) {
			t.Errorf("index %s missing after a bulk load (indexes: %q)", ix.name, names)
		}
	}
	leads := heldLeads(t, e.s)
	if len(leads) != n {
		t.Fatalf("%d leads held, want %d", len(leads), n)
	}
	keys, _ := parseSort("update_time DESC", leadSortFields)
	want := refOrder(leads, func(l *Lead) bool { return !l.IsArchived }, keys)
	if got := e.pageThrough("/leads?sort=update_time%20DESC", 500); !slices.Equal(got, want) {
		t.Errorf("paging %d leads by update_time DESC differs from the reference", len(want))
	}
}

func TestInsertLeadsRefuses(t *testing.T) {
	const unknownLabel = "0b1e1e1e-1111-4111-8111-111111111111"
	e := newEnv(t, Options{})
	good := LeadSeed{Title: "ok", PersonID: 1}
	tests := []struct {
		name string
		bad  LeadSeed
		want string
	}{
		{"no title", LeadSeed{PersonID: 1}, "title is required"},
		{"no link", LeadSeed{Title: "x"}, "linked to a person or an organization"},
		{"unknown person", LeadSeed{Title: "x", PersonID: 99}, "person_id 99 does not exist"},
		{"unknown organization", LeadSeed{Title: "x", OrganizationID: 11}, "organization_id 11 does not exist"},
		{"unknown owner", LeadSeed{Title: "x", PersonID: 1, OwnerID: 6}, "owner_id 6 is not a user"},
		{"unknown label", LeadSeed{Title: "x", PersonID: 1, LabelIDs: []string{unknownLabel}}, "lead label " + unknownLabel + " does not exist"},
		{"bad currency", LeadSeed{Title: "x", PersonID: 1, Value: &Money{1, "EURO"}}, "3-letter"},
		{"bad visibility", LeadSeed{Title: "x", PersonID: 1, VisibleTo: "2"}, "visible_to"},
		{"bad date", LeadSeed{Title: "x", PersonID: 1, ExpectedCloseDate: "31/12/2026"}, "YYYY-MM-DD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.s.InsertLeads(context.Background(), 3, func(i int) LeadSeed {
				if i == 2 {
					return tt.bad
				}
				return good
			})
			if err == nil || !strings.Contains(err.Error(), "lead 2: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("InsertLeads(%s) = %v, want an error about lead 2: %s", tt.name, err, tt.want)
			}
			if n := len(heldLeads(t, e.s)); n != 0 {
				t.Errorf("%d leads stored, want none (one batch, rolled back)", n)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.s.InsertLeads(ctx, 5, func(int) LeadSeed { return good }); !errors.Is(err, context.Canceled) {
		t.Errorf("InsertLeads(cancelled) = %v, want context.Canceled", err)
	}
}

// TestSampleLeads: the generator is deterministic and gives the variety it documents.
func TestSampleLeads(t *testing.T) {
	end := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
	labels := []string{"11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"}
	const n = 5000
	a, b := SampleLeads(n, end, labels), SampleLeads(n, end, labels)
	titles, owners, currencies := map[string]int{}, map[int]int{}, map[string]bool{}
	var archived, withLabels, noValue int
	prev := time.Time{}
	for i := range n {
		sd := a(i)
		if !reflect.DeepEqual(sd, b(i)) {
			t.Fatalf("SampleLeads(%d) differs between two generators", i)
		}
		titles[sd.Title]++
		owners[sd.OwnerID]++
		if sd.Archived {
			archived++
		}
		if len(sd.LabelIDs) > 0 {
			withLabels++
		}
		if sd.Value == nil {
			noValue++
		} else {
			currencies[sd.Value.Currency] = true
		}
		switch {
		case sd.AddTime.Before(end.AddDate(-1, 0, 0)) || sd.AddTime.After(end):
			t.Errorf("lead %d add_time %v outside the year before %v", i, sd.AddTime, end)
		case sd.UpdateTime.Before(sd.AddTime) || sd.UpdateTime.After(end):
			t.Errorf("lead %d update_time %v not between add_time %v and end", i, sd.UpdateTime, sd.AddTime)
		case sd.AddTime.Before(prev.Add(-13 * time.Hour)):
			t.Errorf("lead %d add_time %v far before lead %d's %v: not spread in order", i, sd.AddTime, i-1, prev)
		}
		prev = sd.AddTime
		if sd.PersonID == 0 && sd.OrganizationID == 0 {
			t.Errorf("lead %d links to no person or organization", i)
		}
	}
	if len(owners) != 5 || len(currencies) != 4 {
		t.Errorf("owners %v, currencies %v: want all 5 owners and 4 currencies", owners, currencies)
	}
	if len(titles) > n/10 {
		t.Errorf("%d distinct titles in %d leads, want titles that repeat", len(titles), n)
	}
	for _, c := range []struct {
		what   string
		got    int
		lo, hi int
	}{{"archived", archived, n / 20, n / 5}, {"with labels", withLabels, n / 3, n}, {"without value", noValue, n / 20, n / 5}} {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("%d of %d leads %s, want between %d and %d", c.got, n, c.what, c.lo, c.hi)
		}
	}
}

// TestEachLead: the walk sees every lead once, in insertion order, lets fn call the
// server, and stops at fn's error.
func TestEachLead(t *testing.T) {
	e := newEnv(t, Options{})
	n := 2*eachLeadChunk + 7
	if err := e.s.InsertLeads(context.Background(), n, func(i int) LeadSeed {
		return LeadSeed{Title: fmt.Sprintf("Lead %d", i), OrganizationID: 1 + i%10}
	}); err != nil {
		t.Fatal(err)
	}
	var i int
	err := e.s.EachLead(context.Background(), func(l Lead) error {
		if want := fmt.Sprintf("Lead %d", i); l.Title != want {
			return fmt.Errorf("lead %d is %q, want %q", i, l.Title, want)
		}
		if i%eachLeadChunk == 0 { // the store is not locked while fn runs
			e.must(200, "PATCH", "/leads/"+l.ID, map[string]any{"was_seen": true})
		}
		i++
		return nil
	})
	if err != nil || i != n {
		t.Fatalf("EachLead() = %v after %d leads, want nil after %d", err, i, n)
	}
	stop := errors.New("stop")
	i = 0
	if err := e.s.EachLead(context.Background(), func(Lead) error { i++; return stop }); err != stop || i != 1 {
		t.Errorf("EachLead(fn failing) = %v after %d calls, want stop after 1", err, i)
	}
}

// TestLeadsMigrateFromObjects: a data folder written before the lead table (leads as JSON
// objects) opens with its leads in the table, in their order.
func TestLeadsMigrateFromObjects(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "sandbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE objects (kind TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID`); err != nil {
		t.Fatal(err)
	}
	person := 2
	var ids []string
	for i, seq := range []int64{9, 4, 6} { // stored out of order; seq is the order
		l := Lead{ID: newUUID(), Title: fmt.Sprintf("old %d", seq), OwnerID: 1 + i, CreatorID: 1, LabelIDs: []string{}, PersonID: &person,
			VisibleTo: "3", SourceName: "API", AddTime: "2025-01-01T00:00:00.000Z", UpdateTime: "2025-01-02T00:00:00.000Z", IsArchived: i == 2}
		body, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO objects VALUES ('lead', ?, ?, ?)`, l.ID, seq, body); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Options{DataDir: dir})
	if got := e.pageThrough("/leads?sort=", 10); !slices.Equal(got, []string{ids[1], ids[0]}) {
		t.Errorf("active leads after the move = %q, want %q (seq 4, then 9)", got, []string{ids[1], ids[0]})
	}
	if got := e.pageThrough("/leads/archived?sort=", 10); !slices.Equal(got, ids[2:]) {
		t.Errorf("archived leads after the move = %q, want %q", got, ids[2:])
	}
	var left int
	if err := e.s.store.db.QueryRow(`SELECT COUNT(*) FROM objects WHERE kind = 'lead'`).Scan(&left); err != nil || left != 0 {
		t.Errorf("lead objects left after the move: %d (%v)", left, err)
	}
	if id := e.must(201, "POST", "/leads", validLead(nil)).data(t)["id"].(string); heldLeads(t, e.s)[3].ID != id {
		t.Errorf("a new lead does not come after the moved ones")
	}
}

// TestDataFileIsPrivate: the rows a sandbox keeps under DataDir (names, e-mail addresses,
// amounts) are readable by their user only, even in a folder others may read.
func TestDataFileIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Options{DataDir: dir})
	e.must(201, "POST", "/leads", validLead(map[string]any{"title": "Private"}))
	for _, name := range []string{"sandbox.db", "sandbox.db-wal", "sandbox.db-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if m := fi.Mode().Perm(); m&0o077 != 0 {
			t.Errorf("%s has mode %o: others may read it", name, m)
		}
	}
}
