package sandbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// heldLeads reads back every lead the sandbox holds, in insertion order (seq set).
func heldLeads(t *testing.T, s *Server) []Lead {
	t.Helper()
	var out []Lead
	if err := s.EachLead(context.Background(), func(l Lead) error {
		out = append(out, l)
		return nil
	}); err != nil {
		t.Fatalf("EachLead() = %v", err)
	}
	return out
}

// refCompare orders two leads by one field as the sandbox documents it: titles without
// regard to case, a missing id or date before any.
func refCompare(a, b *Lead, field string) int {
	ip := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	sp := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	bi := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	switch field {
	case "id":
		return strings.Compare(a.ID, b.ID)
	case "title":
		return strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title))
	case "owner_id":
		return a.OwnerID - b.OwnerID
	case "creator_id":
		return a.CreatorID - b.CreatorID
	case "was_seen":
		return bi(a.WasSeen) - bi(b.WasSeen)
	case "expected_close_date":
		return strings.Compare(sp(a.ExpectedCloseDate), sp(b.ExpectedCloseDate))
	case "next_activity_id":
		return ip(a.NextActivityID) - ip(b.NextActivityID)
	case "add_time":
		return strings.Compare(a.AddTime, b.AddTime)
	case "update_time":
		return strings.Compare(a.UpdateTime, b.UpdateTime)
	}
	panic("refCompare: unknown field " + field)
}

// refOrder is the reference answer of a list: the ids of the leads keep selects, sorted
// by keys; a sort by add_time or update_time alone breaks ties by id, any other in
// insertion order in the direction of the last key.
func refOrder(leads []Lead, keep func(l *Lead) bool, keys []sortKey) []string {
	if len(keys) == 1 && (keys[0].field == "add_time" || keys[0].field == "update_time") {
		keys = append(keys, sortKey{"id", keys[0].desc})
	}
	var sel []Lead
	for _, l := range leads {
		if keep(&l) {
			sel = append(sel, l)
		}
	}
	desc := len(keys) > 0 && keys[len(keys)-1].desc
	sort.SliceStable(sel, func(i, j int) bool {
		for _, k := range keys {
			if c := refCompare(&sel[i], &sel[j], k.field); c != 0 {
				return (c < 0) != k.desc
			}
		}
		return (sel[i].seq < sel[j].seq) != desc
	})
	ids := make([]string, len(sel))
	for i, l := range sel {
		ids[i] = l.ID
	}
	return ids
}

// leadPage gets one page of path (which has a query already) and returns its ids.
func (e *env) leadPage(path string, start, limit int) (ids []string, more bool) {
	e.t.Helper()
	m := e.must(200, "GET", fmt.Sprintf("%s&start=%d&limit=%d", path, start, limit), nil).json(e.t)
	for _, d := range m["data"].([]any) {
		ids = append(ids, d.(map[string]any)["id"].(string))
	}
	ad := m["additional_data"].(map[string]any)
	return ids, ad["more_items_in_collection"].(bool)
}

// pageThrough reads path page by page until more_items_in_collection is false.
func (e *env) pageThrough(path string, limit int) []string {
	e.t.Helper()
	var all []string
	for start := 0; ; start += limit {
		ids, more := e.leadPage(path, start, limit)
		if len(ids) > limit {
			e.t.Fatalf("GET %s start %d: %d leads, more than limit %d", path, start, len(ids), limit)
		}
		all = append(all, ids...)
		if !more {
			return all
		}
		if start > 100000 {
			e.t.Fatalf("GET %s: more_items_in_collection never ends", path)
		}
	}
}

// tieLeads makes leads whose times repeat (7 add times, 5 update times), with owners,
// persons, organizations and archived leads spread over them.
func tieLeads(base time.Time) func(i int) LeadSeed {
	return func(i int) LeadSeed {
		sd := LeadSeed{
			Title:    fmt.Sprintf("Lead %c%d", 'a'+rune(i%3), i),
			OwnerID:  1 + i%5,
			Archived: i%6 == 1,
			AddTime:  base.Add(time.Duration(i%7) * time.Hour),
		}
		sd.UpdateTime = sd.AddTime.Add(time.Duration(i%5) * time.Minute)
		if i%4 == 0 {
			sd.OrganizationID = 1 + i%10
		} else {
			sd.PersonID = 1 + i%20
			sd.OrganizationID = persons[i%20].OrgID
		}
		if i%3 == 0 {
			sd.Value = &Money{Amount: float64(i * 100), Currency: "EUR"}
		}
		if i%2 == 0 {
			sd.ExpectedCloseDate = base.AddDate(0, 0, i%9).Format(time.DateOnly)
		}
		return sd
	}
}

// TestLeadPagesIndexedOrders pages through active and archived leads in every indexed
// ordering, in both directions, with and without the owner, person and organization
// filters, and reads random windows out of order: every answer must be the reference
// ordering's slice, ties of a time broken by id.
func TestLeadPagesIndexedOrders(t *testing.T) {
	e := newEnv(t, Options{})
	base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	if err := e.s.InsertLeads(context.Background(), 150, tieLeads(base)); err != nil {
		t.Fatalf("InsertLeads() = %v", err)
	}
	leads := heldLeads(t, e.s)
	filters := []struct {
		query string
		keep  func(l *Lead) bool
	}{
		{"", func(*Lead) bool { return true }},
		{"owner_id=2", func(l *Lead) bool { return l.OwnerID == 2 }},
		{"person_id=4", func(l *Lead) bool { return l.PersonID != nil && *l.PersonID == 4 }},
		{"organization_id=4", func(l *Lead) bool { return l.OrganizationID != nil && *l.OrganizationID == 4 }},
	}
	sorts := []string{"", "add_time", "add_time DESC", "update_time ASC", "update_time DESC", "id", "id DESC",
		"add_time ASC, id ASC", "update_time DESC, id DESC"}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, archived := range []bool{false, true} {
		list := "/leads?"
		if archived {
			list = "/leads/archived?"
		}
		for _, f := range filters {
			for _, srt := range sorts {
				path := list + f.query
				if srt != "" {
					path += "&sort=" + url.QueryEscape(srt)
				}
				t.Run(path, func(t *testing.T) {
					keys, err := parseSort(srt, leadSortFields)
					if err != nil {
						t.Fatal(err)
					}
					want := refOrder(leads, func(l *Lead) bool { return l.IsArchived == archived && f.keep(l) }, keys)
					if len(want) == 0 {
						t.Fatalf("the fixture selects no lead for %s", path)
					}
					ee := &env{t: t, s: e.s, base: e.base}
					if got := ee.pageThrough(path, 7); !slices.Equal(got, want) {
						t.Fatalf("paging %s by 7 =\n%q\nwant\n%q", path, got, want)
					}
					for range 12 {
						start, limit := rng.IntN(len(want)+3), 1+rng.IntN(9)
						got, more := ee.leadPage(path, start, limit)
						lo, hi := min(start, len(want)), min(start+limit, len(want))
						if !slices.Equal(got, want[lo:hi]) || more != (hi < len(want)) {
							t.Errorf("GET %s start %d limit %d = %q (more %v), want %q (more %v)", path, start, limit, got, more, want[lo:hi], hi < len(want))
						}
					}
				})
			}
		}
	}
}

// TestLeadPagesOtherOrders: the sort fields no index serves, alone and combined, with a
// filter; ties in insertion order in the direction of the last key.
func TestLeadPagesOtherOrders(t *testing.T) {
	e := newEnv(t, Options{})
	if err := e.s.InsertLeads(context.Background(), 90, tieLeads(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))); err != nil {
		t.Fatalf("InsertLeads() = %v", err)
	}
	// Titles that differ only in case sort together.
	e.must(201, "POST", "/leads", validLead(map[string]any{"title": "lead A0"}))
	e.must(201, "POST", "/leads", validLead(map[string]any{"title": "LEAD b1", "owner_id": 2}))
	leads := heldLeads(t, e.s)
	for _, srt := range []string{"title", "title DESC", "owner_id DESC", "creator_id", "was_seen DESC",
		"expected_close_date", "expected_close_date DESC", "next_activity_id", "owner_id DESC, title ASC",
		"owner_id, update_time DESC", "add_time, id DESC"} {
		for _, owner := range []int{0, 2} {
			path := "/leads?sort=" + url.QueryEscape(srt)
			if owner != 0 {
				path += fmt.Sprintf("&owner_id=%d", owner)
			}
			t.Run(path, func(t *testing.T) {
				keys, err := parseSort(srt, leadSortFields)
				if err != nil {
					t.Fatal(err)
				}
				want := refOrder(leads, func(l *Lead) bool { return !l.IsArchived && (owner == 0 || l.OwnerID == owner) }, keys)
				ee := &env{t: t, s: e.s, base: e.base}
				if got := ee.pageThrough(path, 11); !slices.Equal(got, want) {
					t.Errorf("paging %s =\n%q\nwant\n%q", path, got, want)
				}
			})
		}
	}
}

// TestLeadPagesFilterID: a filter evaluated per lead pages like any other selection, in
// an indexed ordering and in one SQLite sorts.
func TestLeadPagesFilterID(t *testing.T) {
	e := newEnv(t, Options{})
	if err := e.s.InsertLeads(context.Background(), 200, tieLeads(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))); err != nil {
		t.Fatalf("InsertLeads() = %v", err)
	}
	fid := int(e.must(200, "POST", "/filters", map[string]any{"name": "big", "type": "leads", "conditions": conds("value", ">", 5000)}).data(t)["id"].(float64))
	leads := heldLeads(t, e.s)
	keep := func(l *Lead) bool { return !l.IsArchived && l.Value != nil && l.Value.Amount > 5000 }
	for _, srt := range []string{"", "update_time DESC", "add_time", "title"} {
		path := fmt.Sprintf("/leads?filter_id=%d&sort=%s", fid, url.QueryEscape(srt))
		keys, err := parseSort(srt, leadSortFields)
		if err != nil {
			t.Fatal(err)
		}
		want := refOrder(leads, keep, keys)
		if len(want) < 20 {
			t.Fatalf("the filter selects %d leads, want a few pages", len(want))
		}
		if got := e.pageThrough(path, 6); !slices.Equal(got, want) {
			t.Errorf("paging %s =\n%q\nwant\n%q", path, got, want)
		}
		if got, _ := e.leadPage(path, 13, 5); !slices.Equal(got, want[13:18]) {
			t.Errorf("GET %s start 13 limit 5 = %q, want %q", path, got, want[13:18])
		}
	}
}

// TestLeadPagesShift: offset pages are honest, as on Pipedrive: a lead deleted on an
// earlier page makes the next page skip one lead, and a lead updated to the front of
// update_time DESC makes the next page repeat one. Nothing hides the shift.
func TestLeadPagesShift(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC))
	e := newEnv(t, Options{Emulation: Emulation{Now: clock.Now}})
	for i := range 30 {
		e.must(201, "POST", "/leads", validLead(map[string]any{"title": fmt.Sprintf("Lead %02d", i)}))
		clock.Advance(time.Second)
	}
	for _, path := range []string{"/leads?sort=add_time", "/leads?sort=update_time%20DESC"} {
		before := e.pageThrough(path, 10)
		t.Run(path, func(t *testing.T) {
			ee := &env{t: t, s: e.s, base: e.base}
			page1, _ := ee.leadPage(path, 0, 10)
			ee.must(200, "DELETE", "/leads/"+page1[3], nil)
			page2, _ := ee.leadPage(path, 10, 10)
			if want := before[11:21]; !slices.Equal(page2, want) {
				t.Errorf("after a delete on page 1, page 2 = %q, want %q (shifted by one)", page2, want)
			}
			clock.Advance(time.Minute)
			ee.must(200, "PATCH", "/leads/"+page2[9], map[string]any{"title": "moved"})
			page3, _ := ee.leadPage(path, 20, 10)
			now := ee.pageThrough(path, 100)
			if !slices.Equal(page3, now[20:min(30, len(now))]) {
				t.Errorf("page 3 = %q, want rows 20–29 of the ordering now %q", page3, now)
			}
		})
	}
	// The update moved a lead from page 2 to the front of update_time DESC: page 3 now
	// starts with the lead page 2 ended with before it.
	got := e.pageThrough("/leads?sort=update_time%20DESC", 100)
	if got[0] == "" || e.must(200, "GET", "/leads/"+got[0], nil).data(t)["title"] != "moved" {
		t.Errorf("the updated lead is not first in update_time DESC: %q", got)
	}
}

// TestLeadTimesFollowTheClock: add_time and update_time come from Options.Emulation.Now
// (a ManualClock), in Pipedrive's form.
func TestLeadTimesFollowTheClock(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 5, 6, 7, 8, 9, 123e6, time.UTC))
	e := newEnv(t, Options{Emulation: Emulation{Now: clock.Now}})
	d := e.must(201, "POST", "/leads", validLead(nil)).data(t)
	if d["add_time"] != "2026-05-06T07:08:09.123Z" || d["update_time"] != d["add_time"] {
		t.Errorf("created lead times = %v, %v; want 2026-05-06T07:08:09.123Z twice", d["add_time"], d["update_time"])
	}
	clock.Advance(36 * time.Hour)
	u := e.must(200, "PATCH", "/leads/"+d["id"].(string), map[string]any{"title": "later"}).data(t)
	if u["add_time"] != d["add_time"] || u["update_time"] != "2026-05-07T19:08:09.123Z" {
		t.Errorf("updated lead times = %v, %v; want the add time kept and 2026-05-07T19:08:09.123Z", u["add_time"], u["update_time"])
	}
	if err := e.s.InsertLeads(context.Background(), 1, func(int) LeadSeed { return LeadSeed{Title: "seeded", PersonID: 1} }); err != nil {
		t.Fatal(err)
	}
	if l := heldLeads(t, e.s)[1]; l.AddTime != "2026-05-07T19:08:09.123Z" || l.UpdateTime != l.AddTime {
		t.Errorf("InsertLeads without times = %s, %s; want the clock's time", l.AddTime, l.UpdateTime)
	}
}

// TestLeadSearchPages: lead searches keep only the best hits a page needs, so paging
// through many matches gives the full ranking (score, then id) once, page after page.
func TestLeadSearchPages(t *testing.T) {
	e := newEnv(t, Options{})
	titles := []string{"Acme", "Acme rollout", "Big acme deal", "Megaacmex", "Globex"}
	if err := e.s.InsertLeads(context.Background(), 300, func(i int) LeadSeed {
		return LeadSeed{Title: titles[i%len(titles)], PersonID: 1 + i%20}
	}); err != nil {
		t.Fatal(err)
	}
	type ranked struct {
		score float64
		id    string
	}
	var want []ranked
	var distinct []string
	for _, l := range heldLeads(t, e.s) {
		if sc := matchScore("acme", l.Title, false); sc > 0 {
			want = append(want, ranked{sc, l.ID})
			if !slices.Contains(distinct, l.Title) {
				distinct = append(distinct, l.Title)
			}
		}
	}
	sort.Slice(want, func(i, j int) bool {
		if want[i].score != want[j].score {
			return want[i].score > want[j].score
		}
		return want[i].id < want[j].id
	})
	for _, path := range []string{"/leads/search?term=acme", "/itemSearch?term=acme&item_types=lead"} {
		var got []ranked
		for start := 0; ; {
			m := e.must(200, "GET", fmt.Sprintf("%s&start=%d&limit=7", path, start), nil).json(t)
			d := m["data"].(map[string]any)
			for _, it := range d["items"].([]any) {
				h := it.(map[string]any)
				got = append(got, ranked{h["result_score"].(float64), h["item"].(map[string]any)["id"].(string)})
			}
			next := m["additional_data"].(map[string]any)["pagination"].(map[string]any)["next_start"]
			if next == nil {
				break
			}
			start = int(next.(float64))
		}
		if !slices.Equal(got, want) {
			t.Errorf("paging %s = %d hits, want the %d of the full ranking in order", path, len(got), len(want))
		}
	}
	var values []string
	for start := 0; start < 10; start += 2 {
		for _, d := range e.must(200, "GET", fmt.Sprintf("/itemSearch/field?term=acme&field_type=leadField&field_key=title&start=%d&limit=2", start), nil).json(t)["data"].([]any) {
			values = append(values, d.(map[string]any)["title"].(string))
		}
	}
	if !slices.Equal(values, distinct) {
		t.Errorf("field search pages = %q, want each matching title once in insertion order %q", values, distinct)
	}
}
