package jobs

import (
	"context"
	"path/filepath"
	"testing"
)

// TestDoneWithAfterMigration: a checkpoint written by the previous schema (every row in the
// index of rows by remote id), opened by this pdbulk, still finds the row that created a
// record and the row that updated one, forgets a re-created row's earlier record, and undo
// makes the creating row pending again.
func TestDoneWithAfterMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	db := openRawDB(t, path)
	for _, stmt := range []string{migrations[0], migrations[1], `PRAGMA user_version = 2`,
		`INSERT INTO jobs (name, fingerprint, entity, total, started_at, updated_at) VALUES ('leads', 'fp', 'leads', 4, 1, 1)`,
		// Row 2 created 6b8c…; row 3 updated a record found by its key; row 4 created a
		// record in a run since restarted and then another.
		`INSERT INTO rows (job, row, key, status, remote_id, action, updated_at) VALUES
			('leads', 2, 'K2', 'done', '6b8c0f0e-aaaa-4000-8000-000000000002', 'created', 1),
			('leads', 3, 'K3', 'done', '77', 'updated', 1),
			('leads', 4, 'K4', 'done', 'f00d0000-bbbb-4000-8000-000000000004', 'created', 1)`,
		`INSERT INTO created (entity, remote_id, job, row, created_at) VALUES
			('leads', '6b8c0f0e-aaaa-4000-8000-000000000002', 'leads', 2, 1),
			('leads', '0ld00000-cccc-4000-8000-000000000004', 'leads', 4, 1),
			('leads', 'f00d0000-bbbb-4000-8000-000000000004', 'leads', 4, 1)`,
		`INSERT INTO ids (entity, key, remote_id, job, updated_at) VALUES
			('leads', 'K2', '6b8c0f0e-aaaa-4000-8000-000000000002', 'leads', 1)`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := OpenState(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.BeginJob(ctx, &Job{Name: "leads", Entity: EntityLeads}, "fp", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id           string
		except, want int
	}{
		{"6b8c0f0e-aaaa-4000-8000-000000000002", 0, 2},
		{"6b8c0f0e-aaaa-4000-8000-000000000002", 2, 0},
		{"77", 0, 3},
		{"77", 3, 0},
		{"f00d0000-bbbb-4000-8000-000000000004", 1, 4},
		{"0ld00000-cccc-4000-8000-000000000004", 0, 0}, // row 4 holds another record now
		{"no-such-record", 0, 0},
	} {
		row, ok, err := r.DoneWith(ctx, c.id, c.except)
		if err != nil || ok != (c.want != 0) || row != c.want {
			t.Errorf("DoneWith(%s, except %d) = %d, %v, %v; want row %d", c.id, c.except, row, ok, err, c.want)
		}
	}
	// A row recorded by this pdbulk, created and then one updated.
	if err := r.MarkInFlight(ctx, 5, "K5"); err != nil {
		t.Fatal(err)
	}
	if err := r.MarkDone(ctx, 5, "a1a1a1a1-dddd-4000-8000-000000000005", "created"); err != nil {
		t.Fatal(err)
	}
	if err := r.MarkDone(ctx, 6, "88", "updated"); err != nil {
		t.Fatal(err)
	}
	if row, ok, _ := r.DoneWith(ctx, "a1a1a1a1-dddd-4000-8000-000000000005", 0); !ok || row != 5 {
		t.Errorf("DoneWith(row 5's new record) = %d, %v; want row 5", row, ok)
	}
	if row, ok, _ := r.DoneWith(ctx, "88", 0); !ok || row != 6 {
		t.Errorf("DoneWith(88) = %d, %v; want row 6", row, ok)
	}

	if err := r.MarkUndone(ctx, "leads", "6b8c0f0e-aaaa-4000-8000-000000000002"); err != nil {
		t.Fatal(err)
	}
	if err := r.MarkUndoneBatch(ctx, []CreatedRecord{{Entity: "leads", RemoteID: "a1a1a1a1-dddd-4000-8000-000000000005", Row: 5}}); err != nil {
		t.Fatal(err)
	}
	for _, row := range []int{2, 5} {
		if st, ok, _ := r.Row(ctx, row); ok {
			t.Errorf("row %d after its record was undone: %+v, want pending", row, st)
		}
	}
	if _, ok, _ := s.LookupID(ctx, "leads", "K2"); ok {
		t.Errorf("the id map still holds K2 after its record was undone")
	}
	if _, ok, _ := r.DoneWith(ctx, "6b8c0f0e-aaaa-4000-8000-000000000002", 0); ok {
		t.Errorf("DoneWith found an undone record")
	}
	if st, ok, _ := r.Row(ctx, 4); !ok || st.Status != StatusDone {
		t.Errorf("row 4 = %+v, %v; want done, untouched", st, ok)
	}
}
