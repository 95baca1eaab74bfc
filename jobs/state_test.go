package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func openTestState(t testing.TB) (*State, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".pdbulk", "state.db")
	s, err := OpenState(path)
	if err != nil {
		t.Fatalf("OpenState: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, path
}

func TestDefaultStatePath(t *testing.T) {
	j := &Job{Dir: "/data/jobs"}
	if got, want := DefaultStatePath(j), filepath.Join("/data/jobs", ".pdbulk", "state.db"); got != want {
		t.Errorf("DefaultStatePath = %q, want %q", got, want)
	}
}

func TestStateResume(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := OpenState(path)
	if err != nil {
		t.Fatal(err)
	}
	run, err := s.BeginJob(ctx, &Job{Name: "leads", Entity: EntityLeads}, "fp1", false)
	if err != nil {
		t.Fatal(err)
	}
	steps := []error{
		run.SetTotal(ctx, 5),
		run.MarkInFlight(ctx, 1, "Acme"),
		run.MarkDone(ctx, 1, "uuid-1", "created"),
		run.MarkInFlight(ctx, 2, "Beta"),
		run.MarkRejected(ctx, 3, "title is empty"),
		run.MarkInFlight(ctx, 4, "Gamma"),
		run.MarkDone(ctx, 4, "uuid-4", "updated"),
	}
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = OpenState(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	run, err = s.Begin(ctx, "leads", "fp1", false)
	if err != nil {
		t.Fatalf("resume Begin: %v", err)
	}
	if run.Entity != "leads" {
		t.Errorf("resumed run Entity = %q, want leads (from the first BeginJob)", run.Entity)
	}
	rows, err := run.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]RowState{
		1: {Row: 1, Key: "Acme", Status: StatusDone, RemoteID: "uuid-1", Action: "created", Attempts: 1},
		2: {Row: 2, Key: "Beta", Status: StatusInFlight, Attempts: 1},
		3: {Row: 3, Status: StatusRejected, Reason: "title is empty"},
		4: {Row: 4, Key: "Gamma", Status: StatusDone, RemoteID: "uuid-4", Action: "updated", Attempts: 1},
	}
	if len(rows) != len(want) {
		t.Fatalf("Rows = %v, want %d rows", rows, len(want))
	}
	for n, w := range want {
		got := rows[n]
		if got.UpdatedAt.IsZero() {
			t.Errorf("row %d UpdatedAt is zero", n)
		}
		got.UpdatedAt = w.UpdatedAt
		if got != w {
			t.Errorf("row %d = %+v, want %+v", n, got, w)
		}
	}
	sum, err := run.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Total != 5 || sum.Done != 2 || sum.Rejected != 1 || sum.InFlight != 1 || sum.Pending != 1 || sum.Fingerprint != "fp1" {
		t.Errorf("Summary = %+v, want 5 total, 2 done, 1 rejected, 1 in flight, 1 pending, fp1", sum)
	}
	if sum.StartedAt.IsZero() || sum.UpdatedAt.Before(sum.StartedAt) {
		t.Errorf("Summary times = %v .. %v", sum.StartedAt, sum.UpdatedAt)
	}
	st, ok, err := s.Job(ctx, "leads")
	if err != nil || !ok || st.Done != 2 {
		t.Errorf("Job(leads) = %+v, %v, %v; want the same summary", st, ok, err)
	}
	if _, ok, err := s.Job(ctx, "nope"); ok || err != nil {
		t.Errorf("Job(nope) = %v, %v; want not found", ok, err)
	}

	// A retry of an in-flight row counts attempts; ResetRow makes a row pending.
	if err := run.MarkInFlight(ctx, 2, "Beta"); err != nil {
		t.Fatal(err)
	}
	if err := run.ResetRow(ctx, 3); err != nil {
		t.Fatal(err)
	}
	rows, _ = run.Rows(ctx)
	if rows[2].Attempts != 2 {
		t.Errorf("row 2 attempts = %d, want 2", rows[2].Attempts)
	}
	if _, ok := rows[3]; ok {
		t.Errorf("row 3 after ResetRow = %+v, want pending (absent)", rows[3])
	}
}

func TestStateChangedAndRestart(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestState(t)
	run, err := s.BeginJob(ctx, &Job{Name: "j", Entity: EntityLeads}, "fp1", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(run.MarkInFlight(ctx, 1, "k1"), run.MarkDone(ctx, 1, "id-1", "created")); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		fp      string
		restart bool
		changed bool
		rows    int
	}{
		{"same fingerprint resumes", "fp1", false, false, 1},
		{"changed fingerprint refused", "fp2", false, true, 1},
		{"restart clears rows", "fp2", true, false, 0},
		{"new fingerprint after restart resumes", "fp2", false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := s.Begin(ctx, "j", tt.fp, tt.restart)
			if got := errors.Is(err, ErrChanged); got != tt.changed {
				t.Fatalf("Begin(%s, restart=%v) = %v; ErrChanged %v, want %v", tt.fp, tt.restart, err, got, tt.changed)
			}
			if tt.changed {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rows, err := r.Rows(ctx)
			if err != nil || len(rows) != tt.rows {
				t.Errorf("Rows = %v, %v; want %d rows", rows, err, tt.rows)
			}
			created, err := r.Created(ctx)
			if err != nil || len(created) != 1 || created[0] != (CreatedRecord{Entity: "leads", RemoteID: "id-1", Row: 1}) {
				t.Errorf("Created = %+v, %v; want the record of row 1 kept across restart", created, err)
			}
			if id, ok, err := s.LookupID(ctx, "leads", "k1"); id != "id-1" || !ok || err != nil {
				t.Errorf("LookupID = %q, %v, %v; want id-1 kept across restart", id, ok, err)
			}
		})
	}

	// A job whose rows were never recorded may change without --restart.
	if _, err := s.Begin(ctx, "fresh", "a", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Begin(ctx, "fresh", "b", false); err != nil {
		t.Errorf("Begin(fresh, changed, nothing recorded) = %v, want nil", err)
	}
}

func TestStateIDMapAcrossJobs(t *testing.T) {
	ctx := context.Background()
	s, path := openTestState(t)
	leads, err := s.BeginJob(ctx, &Job{Name: "leads", Entity: EntityLeads}, "f", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(
		leads.MarkInFlight(ctx, 1, "A-1"), leads.MarkDone(ctx, 1, "lead-uuid-1", "created"),
		leads.MarkInFlight(ctx, 2, "A-2"), leads.MarkDone(ctx, 2, "lead-uuid-2", "updated"),
		s.PutID(ctx, "persons", "ann@example.com", "17"),
	); err != nil {
		t.Fatal(err)
	}
	// Another job (and another handle on the same file) sees the id map.
	other, err := OpenState(path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tests := []struct {
		entity, key, id string
		ok              bool
	}{
		{"leads", "A-1", "lead-uuid-1", true},
		{"leads", "A-2", "lead-uuid-2", true},
		{"persons", "ann@example.com", "17", true},
		{"leads", "A-3", "", false},
		{"lead_labels", "A-1", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.entity+"/"+tt.key, func(t *testing.T) {
			id, ok, err := other.LookupID(ctx, tt.entity, tt.key)
			if err != nil || ok != tt.ok || id != tt.id {
				t.Errorf("LookupID(%s, %s) = %q, %v, %v; want %q, %v", tt.entity, tt.key, id, ok, err, tt.id, tt.ok)
			}
		})
	}
	// A deleted record leaves the id map.
	del, err := s.BeginJob(ctx, &Job{Name: "cleanup", Entity: EntityLeads}, "f", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(del.MarkInFlight(ctx, 1, "A-2"), del.MarkDone(ctx, 1, "lead-uuid-2", "deleted")); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.LookupID(ctx, "leads", "A-2"); ok {
		t.Error("LookupID(A-2) found a deleted lead")
	}
}

func TestStateUndo(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestState(t)
	run, err := s.BeginJob(ctx, &Job{Name: "labels", Entity: EntityLeadLabels}, "f", false)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		action := "created"
		if i == 2 {
			action = "updated"
		}
		if err := errors.Join(run.MarkInFlight(ctx, i, fmt.Sprint("k", i)), run.MarkDone(ctx, i, fmt.Sprint("id-", i), action)); err != nil {
			t.Fatal(err)
		}
	}
	created, err := run.Created(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []CreatedRecord{{"lead_labels", "id-1", 1, false}, {"lead_labels", "id-3", 3, false}}
	if fmt.Sprint(created) != fmt.Sprint(want) {
		t.Fatalf("Created = %+v, want %+v", created, want)
	}
	if err := run.MarkUndone(ctx, "lead_labels", "id-1"); err != nil {
		t.Fatal(err)
	}
	if err := run.MarkUndone(ctx, "lead_labels", "id-1"); err != nil {
		t.Errorf("MarkUndone twice = %v, want nil (undo is resumable)", err)
	}
	if err := run.MarkUndone(ctx, "lead_labels", "id-2"); !errors.Is(err, ErrUnknownRecord) {
		t.Errorf("MarkUndone(updated record) = %v, want ErrUnknownRecord", err)
	}
	created, _ = run.Created(ctx)
	if !created[0].Undone || created[1].Undone {
		t.Errorf("Created after undo = %+v, want id-1 undone only", created)
	}
	if _, ok, _ := s.LookupID(ctx, "lead_labels", "k1"); ok {
		t.Error("undone record still in the id map")
	}
	rows, _ := run.Rows(ctx)
	if _, ok := rows[1]; ok {
		t.Errorf("row 1 after undo = %+v, want pending", rows[1])
	}
	if rows[3].Status != StatusDone {
		t.Errorf("row 3 = %+v, want done", rows[3])
	}
}

func TestStateRunWithoutEntity(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestState(t)
	run, err := s.Begin(ctx, "plain", "f", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(run.MarkInFlight(ctx, 1, "k"), run.MarkDone(ctx, 1, "9", "created")); err != nil {
		t.Fatal(err)
	}
	created, err := run.Created(ctx)
	if err != nil || len(created) != 1 || created[0].RemoteID != "9" {
		t.Fatalf("Created = %+v, %v; want record 9", created, err)
	}
	if err := run.MarkUndone(ctx, "teams", "9"); err != nil {
		t.Errorf("MarkUndone(teams, 9) = %v, want the record found by id", err)
	}
}

func TestStateBookmarks(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestState(t)
	if _, ok, err := s.Bookmark(ctx, "weekly"); ok || err != nil {
		t.Fatalf("Bookmark before any = %v, %v", ok, err)
	}
	for _, v := range []string{"2026-11-01 00:00:00", "2026-11-08 00:00:00"} {
		if err := s.SetBookmark(ctx, "weekly", v); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.Bookmark(ctx, "weekly")
		if got != v || !ok || err != nil {
			t.Errorf("Bookmark = %q, %v, %v; want %q", got, ok, err, v)
		}
	}
}

func TestStateErrors(t *testing.T) {
	ctx := context.Background()
	s, path := openTestState(t)
	run, err := s.Begin(ctx, "j", "f", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.MarkInFlight(ctx, 0, "k"); err == nil {
		t.Error("MarkInFlight(row 0) = nil, want an error")
	}
	if _, err := s.Begin(ctx, "", "f", false); err == nil {
		t.Error("Begin(no name) = nil, want an error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := run.MarkRejected(cctx, 1, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("MarkRejected(cancelled) = %v, want context.Canceled", err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("state file mode = %v, %v; want 0600", st.Mode().Perm(), err)
	}
	other, err := OpenState(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	if err := other.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if err := other.PutID(ctx, "leads", "k", "1"); !errors.Is(err, ErrClosed) {
		t.Errorf("PutID after Close = %v, want ErrClosed", err)
	}
}

func TestStateNewerSchemaRefused(t *testing.T) {
	s, path := openTestState(t)
	if err := s.do(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations)+1))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenState(path); err == nil {
		t.Error("OpenState(newer schema) = nil, want an error")
	}
}

func TestStateConcurrent(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestState(t)
	run, err := s.BeginJob(ctx, &Job{Name: "c", Entity: EntityLeads}, "f", false)
	if err != nil {
		t.Fatal(err)
	}
	const workers, perWorker = 32, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				row := w*perWorker + i + 1
				err := errors.Join(
					run.MarkInFlight(ctx, row, fmt.Sprint("key-", row)),
					run.MarkDone(ctx, row, fmt.Sprint("id-", row), "created"),
				)
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sum, err := run.Summary(ctx)
	if err != nil || sum.Done != workers*perWorker {
		t.Errorf("Summary = %+v, %v; want %d done", sum, err, workers*perWorker)
	}
	created, err := run.Created(ctx)
	if err != nil || len(created) != workers*perWorker {
		t.Errorf("Created = %d records, %v; want %d", len(created), err, workers*perWorker)
	}
	if id, ok, _ := s.LookupID(ctx, "leads", "key-77"); !ok || id != "id-77" {
		t.Errorf("LookupID(key-77) = %q, %v", id, ok)
	}
}

func BenchmarkMarkInFlightDone(b *testing.B) {
	ctx := context.Background()
	s, _ := openTestState(b)
	run, err := s.BeginJob(ctx, &Job{Name: "bench", Entity: EntityLeads}, "f", false)
	if err != nil {
		b.Fatal(err)
	}
	var next sync.Mutex
	row := 0
	b.SetParallelism(16) // 16 × GOMAXPROCS callers, as many importer workers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			next.Lock()
			row++
			n := row
			next.Unlock()
			if err := run.MarkInFlight(ctx, n, fmt.Sprint("k", n)); err != nil {
				b.Error(err)
				return
			}
			if err := run.MarkDone(ctx, n, fmt.Sprint("id", n), "created"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "marks/s")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s") // a row is two marks
}
