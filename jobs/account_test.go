package jobs

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"path/filepath"
	"testing"
)

var (
	acctA = Account{CompanyID: 7391, Domain: "acme", Name: "Acme Ltd"}
	acctB = Account{CompanyID: 1204, Domain: "globex", Name: "Globex"}
)

// bindTo opens a second State on path bound to a (one State per account, as one process
// talks to one account).
func bindTo(t *testing.T, path string, a Account) *State {
	t.Helper()
	s, err := OpenState(path)
	if err != nil {
		t.Fatalf("OpenState: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Bind(context.Background(), a); err != nil {
		t.Fatalf("Bind(%v): %v", a, err)
	}
	return s
}

func TestAccountBindsEveryEntry(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	job := &Job{Name: "leads", Entity: EntityLeads}

	a := bindTo(t, path, acctA)
	run, err := a.BeginJob(ctx, job, "fp", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(run.SetTotal(ctx, 2), run.MarkInFlight(ctx, 1, "k1"), run.MarkDone(ctx, 1, "7", "created"),
		a.SetBookmark(ctx, "leads-export", "2026-11-30T10:00:00Z")); err != nil {
		t.Fatal(err)
	}

	b := bindTo(t, path, acctB)
	t.Run("run refused in another account", func(t *testing.T) {
		_, err := b.BeginJob(ctx, job, "fp", false)
		var ae *AccountError
		if !errors.As(err, &ae) || !errors.Is(err, ErrOtherAccount) {
			t.Fatalf("BeginJob in B = %v, want an AccountError", err)
		}
		if ae.Recorded != acctA || ae.Current != acctB {
			t.Errorf("AccountError = %+v, want recorded %v, current %v", ae, acctA, acctB)
		}
		if sum, ok, _ := b.Job(ctx, "leads"); ok {
			t.Errorf("B.Job(leads) = %+v, want nothing recorded in B after a refusal", sum)
		}
	})
	t.Run("id map and bookmarks are per account", func(t *testing.T) {
		if id, ok, err := b.LookupID(ctx, "leads", "k1"); err != nil || ok {
			t.Errorf("B.LookupID(k1) = %q, %v, %v; want nothing: id 7 is account A's", id, ok, err)
		}
		if id, ok, err := a.LookupID(ctx, "leads", "k1"); err != nil || !ok || id != "7" {
			t.Errorf("A.LookupID(k1) = %q, %v, %v; want 7", id, ok, err)
		}
		if v, ok, err := b.Bookmark(ctx, "leads-export"); err != nil || ok {
			t.Errorf("B.Bookmark = %q, %v, %v; want none", v, ok, err)
		}
	})
	t.Run("restart in B keeps A's created log", func(t *testing.T) {
		runB, err := b.BeginJob(ctx, job, "fp", true)
		if err != nil {
			t.Fatalf("BeginJob(restart) in B = %v", err)
		}
		if recs, err := runB.Created(ctx); err != nil || len(recs) != 0 {
			t.Errorf("B's created records = %v, %v; want none (record 7 is A's)", recs, err)
		}
		if err := runB.MarkUndone(ctx, "leads", "7"); !errors.Is(err, ErrUnknownRecord) {
			t.Errorf("B.MarkUndone(7) = %v, want ErrUnknownRecord", err)
		}
		if err := errors.Join(runB.MarkInFlight(ctx, 1, "k1"), runB.MarkDone(ctx, 1, "7", "created")); err != nil {
			t.Fatal(err)
		}
		if id, ok, _ := b.LookupID(ctx, "leads", "k1"); !ok || id != "7" {
			t.Errorf("B.LookupID(k1) = %q, %v; want B's own 7", id, ok)
		}
		// A still finds what it created, for undo, although its row states were forgotten.
		if _, err := a.Begin(ctx, "leads", "fp", false); !errors.Is(err, ErrOtherAccount) {
			t.Errorf("Begin in A after B's restart = %v, want ErrOtherAccount (the progress is B's now)", err)
		}
		runA := a.OpenRun("leads")
		if recs, err := runA.Created(ctx); err != nil || len(recs) != 1 || recs[0].RemoteID != "7" {
			t.Errorf("A's created records = %+v, %v; want record 7", recs, err)
		}
		accts, err := a.JobAccounts(ctx, "leads")
		if err != nil || len(accts) != 2 || accts[0] != acctA || accts[1] != acctB {
			t.Errorf("JobAccounts = %v, %v; want [%v %v]", accts, err, acctA, acctB)
		}
	})
}

// TestLegacyCheckpoint: a checkpoint written before accounts were recorded keeps its rows
// under the unknown account, and a bound run refuses to take them for its own.
func TestLegacyCheckpoint(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	// Write a version-1 database as the previous pdbulk did.
	db := openRawDB(t, path)
	for _, stmt := range []string{migrations[0], `PRAGMA user_version = 1`,
		`INSERT INTO jobs (name, fingerprint, entity, total, started_at, updated_at) VALUES ('leads', 'fp', 'leads', 3, 1, 1)`,
		`INSERT INTO rows (job, row, key, status, remote_id, action, updated_at) VALUES ('leads', 2, 'k', 'done', '5', 'created', 1)`,
		`INSERT INTO created (entity, remote_id, job, row, created_at) VALUES ('leads', '5', 'leads', 2, 1)`,
		`INSERT INTO ids (entity, key, remote_id, job, updated_at) VALUES ('leads', 'k', '5', 'leads', 1)`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := bindTo(t, path, acctA)
	if _, err := s.BeginJob(ctx, &Job{Name: "leads", Entity: EntityLeads}, "fp", false); !errors.Is(err, ErrOtherAccount) {
		t.Fatalf("BeginJob over a legacy checkpoint = %v, want ErrOtherAccount", err)
	}
	if _, ok, _ := s.LookupID(ctx, "leads", "k"); ok {
		t.Errorf("LookupID found a legacy id in account A; it may be another account's")
	}
	accts, err := s.JobAccounts(ctx, "leads")
	if err != nil || len(accts) != 1 || accts[0].Known() {
		t.Errorf("JobAccounts = %v, %v; want the unknown account only", accts, err)
	}
	// An unbound State (the unknown account) still reads what was written.
	u, err := OpenState(path)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	sum, ok, err := u.Job(ctx, "leads")
	if err != nil || !ok || sum.Total != 3 || sum.Done != 1 {
		t.Errorf("unbound Job(leads) = %+v, %v, %v; want the legacy progress", sum, ok, err)
	}
}

func TestLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	a := bindTo(t, path, acctA)
	a2 := bindTo(t, path, acctA)
	b := bindTo(t, path, acctB)

	l, err := a.Lock(ctx, "leads", "pdbulk run, pid 1", false)
	if err != nil {
		t.Fatalf("Lock = %v", err)
	}
	_, err = a2.Lock(ctx, "leads", "pdbulk run, pid 2", false)
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock = %v, want a LockedError", err)
	}
	if want := "pdbulk run, pid 1"; len(le.Holder) < len(want) || le.Holder[:len(want)] != want {
		t.Errorf("LockedError.Holder = %q, want it to name %q", le.Holder, want)
	}
	if h, running := a2.Running(acctA, "leads"); !running || h != le.Holder {
		t.Errorf("Running(leads) = %q, %v; want the holder", h, running)
	}
	other, err := a2.Lock(ctx, "labels", "x", false)
	if err != nil {
		t.Errorf("Lock of another job = %v, want it free", err)
	}
	if err := other.Unlock(); err != nil {
		t.Error(err)
	}
	inB, err := b.Lock(ctx, "leads", "x", false)
	if err != nil {
		t.Errorf("Lock of the job in another account = %v, want it free", err)
	}
	if err := inB.Unlock(); err != nil {
		t.Error(err)
	}

	// A waiting Lock takes the lock once it is released, and gives up when ctx ends.
	wctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a2.Lock(wctx, "leads", "x", true); !errors.Is(err, ErrLocked) {
		t.Errorf("Lock(wait) with a cancelled context = %v, want ErrLocked", err)
	}
	got := make(chan error, 1)
	go func() {
		l2, err := a2.Lock(ctx, "leads", "pdbulk run, pid 2", true)
		if err == nil {
			err = l2.Unlock()
		}
		got <- err
	}()
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Errorf("Lock(wait) after the holder unlocked = %v", err)
	}
	if _, running := a.Running(acctA, "leads"); running {
		t.Errorf("Running(leads) after every unlock = true")
	}
}

// openRawDB opens the SQLite file at path as an earlier pdbulk did, without State: a test
// writes an older schema through it.
func openRawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}).String())
	if err != nil {
		t.Fatal(err)
	}
	return db
}
