package jobs

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestRowCursor: a job of 3,000 rows (more than two pages) read in row order gives every
// recorded row and no pending one, and a row asked for out of order is still found.
func TestRowCursor(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestState(t)
	r, err := s.BeginJob(ctx, &Job{Name: "big", Entity: EntityLeads}, "fp", false)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000
	var wg sync.WaitGroup
	for row := 1; row <= n; row++ {
		if row%7 == 0 {
			continue // pending
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if row%5 == 0 {
				err = r.MarkRejected(ctx, row, "bad amount")
			} else {
				err = r.MarkDone(ctx, row, fmt.Sprintf("id-%d", row), "created")
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	c := r.Cursor()
	for row := 1; row <= n+5; row++ {
		st, ok, err := c.Get(ctx, row)
		switch {
		case err != nil:
			t.Fatal(err)
		case row%7 == 0 || row > n:
			if ok {
				t.Errorf("row %d: %+v, want pending", row, st)
			}
		case !ok:
			t.Errorf("row %d: pending, want recorded", row)
		case row%5 == 0 && (st.Status != StatusRejected || st.Reason != "bad amount"):
			t.Errorf("row %d: %+v, want rejected", row, st)
		case row%5 != 0 && (st.Status != StatusDone || st.RemoteID != fmt.Sprintf("id-%d", row)):
			t.Errorf("row %d: %+v, want done with id-%d", row, st, row)
		}
	}
	if st, ok, err := c.Get(ctx, 12); err != nil || !ok || st.RemoteID != "id-12" {
		t.Errorf("row 12 asked again: %+v %v %v", st, ok, err)
	}
	if row, ok, err := r.DoneWith(ctx, "id-12", 0); err != nil || !ok || row != 12 {
		t.Errorf("DoneWith(id-12) = %d %v %v, want row 12", row, ok, err)
	}
	if _, ok, _ := r.DoneWith(ctx, "id-12", 12); ok {
		t.Errorf("DoneWith(id-12) except row 12 found a row")
	}
}

// TestMarkDoneClaimed: of two jobs sharing a checkpoint whose rows claim the same record
// concurrently, exactly one row is marked done and holds the claim; the other is told who
// holds it and stays as it was.
func TestMarkDoneClaimed(t *testing.T) {
	ctx := context.Background()
	s, path := openTestState(t)
	other, err := OpenState(path) // a second process on the same checkpoint
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	a, err := s.BeginJob(ctx, &Job{Name: "a", Entity: EntityLeads}, "fp", false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := other.BeginJob(ctx, &Job{Name: "b", Entity: EntityLeads}, "fp", false)
	if err != nil {
		t.Fatal(err)
	}
	const claims = "pdbulk.claims.leads"
	for i := range 50 {
		id := fmt.Sprintf("rec-%d", i)
		var held [2]string
		var errs [2]error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			held[0], errs[0] = a.MarkDoneClaimed(ctx, i+1, id, "created", claims, fmt.Sprintf("a#%d", i+1))
		}()
		go func() {
			defer wg.Done()
			held[1], errs[1] = b.MarkDoneClaimed(ctx, i+1, id, "created", claims, fmt.Sprintf("b#%d", i+1))
		}()
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
		if (held[0] == "") == (held[1] == "") {
			t.Fatalf("record %s: holders told %q and %q; want exactly one claim to win", id, held[0], held[1])
		}
		sa, oka, _ := a.Row(ctx, i+1)
		sb, okb, _ := b.Row(ctx, i+1)
		if oka == okb || (oka && sa.RemoteID != id) || (okb && sb.RemoteID != id) {
			t.Fatalf("record %s: job a row %+v (%v), job b row %+v (%v); want only the winner done", id, sa, oka, sb, okb)
		}
		// The winner asking again still holds it.
		win, row := a, fmt.Sprintf("a#%d", i+1)
		if okb {
			win, row = b, fmt.Sprintf("b#%d", i+1)
		}
		if h, err := win.MarkDoneClaimed(ctx, i+1, id, "created", claims, row); err != nil || h != "" {
			t.Fatalf("winner again: %q %v", h, err)
		}
	}
}

// TestUndoPagesAndBatch: the created records are read in pages in row order, a batch marks
// them undone with their rows pending again, and a record undone is not listed again.
func TestUndoPagesAndBatch(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestState(t)
	r, err := s.BeginJob(ctx, &Job{Name: "u", Entity: EntityLeads}, "fp", false)
	if err != nil {
		t.Fatal(err)
	}
	for row := 1; row <= 25; row++ {
		if err := r.MarkInFlight(ctx, row, fmt.Sprintf("K%d", row)); err != nil {
			t.Fatal(err)
		}
		if err := r.MarkDone(ctx, row, fmt.Sprintf("id-%02d", row), "created"); err != nil {
			t.Fatal(err)
		}
	}
	var all []CreatedRecord
	row, id := 0, ""
	for {
		page, err := r.CreatedAfter(ctx, row, id, 10)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 10 {
			break
		}
		row, id = page[len(page)-1].Row, page[len(page)-1].RemoteID
	}
	if len(all) != 25 || all[0].Row != 1 || all[24].Row != 25 {
		t.Fatalf("paged created records: %d (%v)", len(all), all)
	}
	if err := r.MarkUndoneBatch(ctx, all[:20]); err != nil {
		t.Fatal(err)
	}
	left, err := r.CreatedAfter(ctx, 0, "", 100)
	if err != nil || len(left) != 5 || left[0].Row != 21 {
		t.Fatalf("after undoing 20: %v %v; want rows 21..25", left, err)
	}
	created, undone, at, err := r.CreatedCounts(ctx)
	if err != nil || created != 25 || undone != 20 || at.IsZero() {
		t.Errorf("counts: %d created, %d undone at %v (%v)", created, undone, at, err)
	}
	if _, ok, _ := r.Row(ctx, 3); ok {
		t.Errorf("row 3 is still recorded after its record was undone")
	}
	if _, ok, _ := s.LookupID(ctx, "leads", "K3"); ok {
		t.Errorf("the id map still holds K3 after its record was undone")
	}
	if id, ok, _ := s.LookupID(ctx, "leads", "K22"); !ok || id != "id-22" {
		t.Errorf("the id map lost K22 (not undone): %q %v", id, ok)
	}
}

// TestMarkBatches: rows marked in flight together, recorded done together with their claims
// (one of them a record another job's row holds), and those never sent made pending again,
// in a checkpoint reopened from its file as a resumed run would read it.
func TestMarkBatches(t *testing.T) {
	ctx := context.Background()
	s, path := openTestState(t)
	other, err := s.BeginJob(ctx, &Job{Name: "other", Entity: EntityLeads}, "fp", false)
	if err != nil {
		t.Fatal(err)
	}
	const claims = "pdbulk.claims.leads"
	if h, err := other.MarkDoneClaimed(ctx, 7, "id-3", "created", claims, "other#7"); err != nil || h != "" {
		t.Fatalf("other job's claim: %q %v", h, err)
	}
	r, err := s.BeginJob(ctx, &Job{Name: "leads", Entity: EntityLeads}, "fp", false)
	if err != nil {
		t.Fatal(err)
	}
	var rows []InFlight
	for row := 1; row <= 6; row++ {
		rows = append(rows, InFlight{Row: row, Key: fmt.Sprintf("K-%d", row)})
	}
	if err := r.MarkInFlightBatch(ctx, rows); err != nil {
		t.Fatal(err)
	}
	// Rows 1–3 were sent and answered, row 4 was rejected, rows 5 and 6 were never sent.
	held, err := r.MarkDoneClaimedBatch(ctx, []DoneClaim{
		{Row: 1, RemoteID: "id-1", Action: "created", ClaimEntity: claims, Holder: "leads#1"},
		{Row: 2, RemoteID: "id-2", Action: "created", ClaimEntity: claims, Holder: "leads#2"},
		{Row: 3, RemoteID: "id-3", Action: "created", ClaimEntity: claims, Holder: "leads#3"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if held[0] != "" || held[1] != "" || held[2] != "other#7" {
		t.Errorf("held = %q, want rows 1 and 2 claimed and id-3 held by other#7", held)
	}
	if err := r.MarkRejected(ctx, 4, "bad amount"); err != nil {
		t.Fatal(err)
	}
	if err := r.ForgetUnsent(ctx, []int{4, 5, 6}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := OpenState(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	r2, err := s2.BeginJob(ctx, &Job{Name: "leads", Entity: EntityLeads}, "fp", false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r2.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]Status{1: StatusDone, 2: StatusDone, 3: StatusInFlight, 4: StatusRejected}
	for row := 1; row <= 6; row++ {
		st, ok := got[row]
		switch w, recorded := want[row]; {
		case !recorded && ok:
			t.Errorf("row %d: %+v, want pending (never sent)", row, st)
		case recorded && (!ok || st.Status != w):
			t.Errorf("row %d: %+v, want %s", row, st, w)
		}
	}
	if got[1].RemoteID != "id-1" || got[3].Key != "K-3" {
		t.Errorf("row 1 %+v, row 3 %+v: want id-1 recorded and row 3's key kept", got[1], got[3])
	}
	if id, ok, err := s2.LookupID(ctx, string(EntityLeads), "K-2"); err != nil || !ok || id != "id-2" {
		t.Errorf("id map for K-2: %q %v %v, want id-2", id, ok, err)
	}
	created, err := r2.Created(ctx)
	if err != nil || len(created) != 2 {
		t.Errorf("created log %+v (%v), want the records of rows 1 and 2", created, err)
	}
}
