package sandbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLeadPositionsUnderWrites mixes random creates, updates (times, owner, archiving),
// deletes and label deletions with pages read at random offsets of random orderings and
// selections; every page must be the reference slice of the leads as they are at that
// moment, which is what OFFSET over the current rows gives: remembered positions must
// move with every write.
func TestLeadPositionsUnderWrites(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, Options{Emulation: Emulation{Now: clock.Now}})
	labels := e.s.LeadLabelIDs()
	extra := e.must(200, "POST", "/leadLabels", map[string]any{"name": "Temp", "color": "gray"}).data(t)["id"].(string)
	gen := tieLeads(clock.Now())
	if err := e.s.InsertLeads(context.Background(), 120, func(i int) LeadSeed {
		sd := gen(i)
		sd.LabelIDs = []string{labels[i%3]}
		if i%4 == 0 {
			sd.LabelIDs = append(sd.LabelIDs, extra)
		}
		return sd
	}); err != nil {
		t.Fatalf("InsertLeads() = %v", err)
	}
	either := map[string]any{"glue": "and", "conditions": []any{map[string]any{"glue": "and", "conditions": []any{}}, map[string]any{"glue": "or", "conditions": []any{
		map[string]any{"object": "lead", "field_id": "label_ids", "operator": "LIKE '%$%'", "value": extra, "extra_value": nil},
		map[string]any{"object": "lead", "field_id": "owner_id", "operator": "=", "value": 3, "extra_value": nil},
	}}}}
	fid := int(e.must(200, "POST", "/filters", map[string]any{"name": "temp or owner 3", "type": "leads", "conditions": either}).data(t)["id"].(float64))
	type selection struct {
		query string
		keep  func(l *Lead) bool
	}
	sels := []selection{
		{"", func(l *Lead) bool { return !l.IsArchived }},
		{"owner_id=3", func(l *Lead) bool { return !l.IsArchived && l.OwnerID == 3 }},
		{"updated_since=2026-06-01T00:02:00Z", func(l *Lead) bool { return !l.IsArchived && l.UpdateTime >= "2026-06-01T00:02:00.000Z" }},
		{fmt.Sprintf("filter_id=%d", fid), func(l *Lead) bool {
			return !l.IsArchived && (slices.Contains(l.LabelIDs, extra) || l.OwnerID == 3)
		}},
	}
	sorts := []string{"", "add_time", "add_time DESC", "update_time", "update_time DESC, id DESC", "id DESC"}
	rng := rand.New(rand.NewPCG(7, 11))
	ids := func() []string {
		var out []string
		for _, l := range heldLeads(t, e.s) {
			out = append(out, l.ID)
		}
		return out
	}
	for step := range 400 {
		if step == 250 {
			e.must(200, "DELETE", "/leadLabels/"+extra, nil) // the filter matches owner 3 alone from now on
		}
		switch op := rng.IntN(10); {
		case op == 0:
			e.must(201, "POST", "/leads", validLead(map[string]any{"title": fmt.Sprintf("new %d", step), "owner_id": 1 + rng.IntN(4)}))
		case op == 1:
			all := ids()
			e.must(200, "DELETE", "/leads/"+all[rng.IntN(len(all))], nil)
		case op == 2:
			all := ids()
			body := map[string]any{"owner_id": 1 + rng.IntN(4)}
			if rng.IntN(4) == 0 {
				body["is_archived"] = rng.IntN(2) == 0
			}
			if rng.IntN(3) == 0 && step < 250 {
				body["label_ids"] = []string{extra}
			}
			e.must(200, "PATCH", "/leads/"+all[rng.IntN(len(all))], body)
		default:
			sel := sels[rng.IntN(len(sels))]
			srt := sorts[rng.IntN(len(sorts))]
			keys, err := parseSort(srt, leadSortFields)
			if err != nil {
				t.Fatal(err)
			}
			want := refOrder(heldLeads(t, e.s), sel.keep, keys)
			start, limit := rng.IntN(len(want)+2), 1+rng.IntN(15)
			path := "/leads?" + sel.query + "&sort=" + url.QueryEscape(srt)
			got, more := e.leadPage(path, start, limit)
			lo, hi := min(start, len(want)), min(start+limit, len(want))
			if !slices.Equal(got, want[lo:hi]) || more != (hi < len(want)) {
				t.Fatalf("step %d: GET %s start %d limit %d = %q (more %v), want %q (more %v)", step, path, start, limit, got, more, want[lo:hi], hi < len(want))
			}
		}
		clock.Advance(time.Duration(rng.IntN(3)) * time.Second) // some writes share a time
	}
}

// TestLeadQueryPlans: every indexed ordering, with and without the owner, person and
// organization filters, is read from an index, without a sort and without a scan of the
// table.
func TestLeadQueryPlans(t *testing.T) {
	e := newEnv(t, Options{})
	if err := e.s.InsertLeads(context.Background(), 50, tieLeads(time.Now())); err != nil {
		t.Fatal(err)
	}
	st := e.s.store
	for _, srt := range []string{"", "add_time", "add_time DESC", "update_time DESC", "update_time DESC, id DESC", "id", "id DESC"} {
		keys, err := parseSort(srt, leadSortFields)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []leadQuery{{keys: keys}, {archived: true, owner: 2, keys: keys}, {person: 3, keys: keys}, {org: 4, owner: 1, keys: keys}} {
			col, _, _ := q.indexed()
			where, args := q.where()
			switch col { // as leadPage reads from a remembered position
			case "seq", "id":
				where += " AND " + col + " >= ?"
				args = append(args, 1)
			default:
				where += " AND (" + col + ", id) >= (?, ?)"
				args = append(args, "x", "y")
			}
			query := `EXPLAIN QUERY PLAN SELECT seq, body FROM leads WHERE ` + where + ` ORDER BY ` + q.orderBy() + ` LIMIT 5 OFFSET 3`
			rows, err := st.db.Query(query, args...)
			if err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
			p := strings.Join(plan, "; ")
			if strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "USING INDEX leads_by_"+col) {
				t.Errorf("sort %q, query %+v: plan %q, want a walk of index leads_by_%s and no sort", srt, q, p, col)
			}
		}
	}
}

// TestLeadPagesConcurrentWrites pages through the leads while other clients create and
// delete: no page fails or holds a lead twice, and once the writers stop every page is
// the reference slice again.
func TestLeadPagesConcurrentWrites(t *testing.T) {
	e := newEnv(t, Options{})
	if err := e.s.InsertLeads(context.Background(), 300, tieLeads(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	start := heldLeads(t, e.s)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	writer := func(w int) {
		defer wg.Done()
		for i := range 40 {
			r := e.call("POST", "/leads", validLead(map[string]any{"title": fmt.Sprintf("w%d-%d", w, i)}))
			if r.status != 201 {
				errs <- fmt.Errorf("create: %d %s", r.status, r.body)
				return
			}
			if r := e.call("DELETE", "/leads/"+start[w*100+i].ID, nil); r.status != 200 {
				errs <- fmt.Errorf("delete: %d %s", r.status, r.body)
				return
			}
		}
	}
	reader := func(path string) {
		defer wg.Done()
		for round := range 3 {
			for off := 0; ; off += 25 {
				r := e.call("GET", fmt.Sprintf("%s&start=%d&limit=25", path, off), nil)
				if r.status != 200 {
					errs <- fmt.Errorf("GET %s round %d: %d %s", path, round, r.status, r.body)
					return
				}
				m := r.json(t)
				seen := map[string]bool{}
				for _, d := range m["data"].([]any) {
					id := d.(map[string]any)["id"].(string)
					if seen[id] {
						errs <- fmt.Errorf("GET %s start %d: lead %s twice on one page", path, off, id)
					}
					seen[id] = true
				}
				if !m["additional_data"].(map[string]any)["more_items_in_collection"].(bool) {
					break
				}
			}
		}
	}
	for w := range 3 {
		wg.Add(1)
		go writer(w)
	}
	for _, p := range []string{"/leads?sort=update_time%20DESC", "/leads?sort=add_time", "/leads?owner_id=2"} {
		wg.Add(1)
		go reader(p)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	leads := heldLeads(t, e.s)
	for _, srt := range []string{"update_time DESC", "add_time", ""} {
		keys, _ := parseSort(srt, leadSortFields)
		want := refOrder(leads, func(l *Lead) bool { return !l.IsArchived }, keys)
		if got := e.pageThrough("/leads?sort="+url.QueryEscape(srt), 25); !slices.Equal(got, want) {
			t.Errorf("after the writers, paging sort %q = %d leads %q, want %d %q", srt, len(got), got, len(want), want)
		}
	}
}

func TestPositionsBounded(t *testing.T) {
	p := newPositions()
	q := leadQuery{}
	for i := range maxPosLists + 5 {
		q.owner = i + 1
		p.list(&q)
	}
	if len(p.lists) != maxPosLists {
		t.Errorf("%d lists remembered, want at most %d", len(p.lists), maxPosLists)
	}
	l := p.list(&leadQuery{})
	for i := range 3 * maxMarks {
		l.remember(i*10, sortPos{seq: int64(i*10 + 1)})
	}
	if len(l.marks) > maxMarks {
		t.Errorf("%d marks kept, want at most %d", len(l.marks), maxMarks)
	}
	last := (3*maxMarks - 1) * 10
	if m, found := l.at(last + 5); !found || m.n != last {
		t.Errorf("at(%d) = %+v, %v; want the newest mark, %d", last+5, m, found, last)
	}
	// Marks were remembered every 10 rows; each thinning doubles the spacing of the older
	// ones, and 3×maxMarks marks need at most 5 of them.
	for _, o := range []int{5, last / 3, last / 2, last - 1000} {
		if m, found := l.at(o); !found || m.n > o || m.n < o-10<<5 {
			t.Errorf("at(%d) = %+v, %v; want a mark at most %d rows before", o, m, found, 10<<5)
		}
	}
}
