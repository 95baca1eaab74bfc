package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Errors callers branch on.
var (
	// ErrChanged: the job file or its input changed since the job's recorded run; resume is
	// refused unless the caller restarts.
	ErrChanged = errors.New("the job or its input file changed since its last run")
	// ErrClosed: the State was closed.
	ErrClosed = errors.New("state store is closed")
	// ErrUnknownRecord: MarkUndone named a record that no job created.
	ErrUnknownRecord = errors.New("no such created record")
)

// DefaultStatePath is where a job's state lives unless the caller says otherwise:
// <job folder>/.pdbulk/state.db. Jobs in one folder share it, so the id map crosses them.
func DefaultStatePath(j *Job) string {
	return filepath.Join(j.Dir, ".pdbulk", "state.db")
}

// migrations are applied in order; PRAGMA user_version counts those applied. Never edit one
// that has shipped: append a new one.
var migrations = []string{
	`CREATE TABLE jobs (
		name        TEXT PRIMARY KEY,
		fingerprint TEXT NOT NULL,
		entity      TEXT NOT NULL DEFAULT '',
		total       INTEGER NOT NULL DEFAULT 0,
		started_at  INTEGER NOT NULL,
		updated_at  INTEGER NOT NULL
	);
	CREATE TABLE rows (
		job        TEXT NOT NULL,
		row        INTEGER NOT NULL,
		key        TEXT NOT NULL DEFAULT '',
		status     TEXT NOT NULL,
		remote_id  TEXT NOT NULL DEFAULT '',
		action     TEXT NOT NULL DEFAULT '',
		reason     TEXT NOT NULL DEFAULT '',
		attempts   INTEGER NOT NULL DEFAULT 0,
		updated_at INTEGER NOT NULL,
		PRIMARY KEY (job, row)
	) WITHOUT ROWID;
	CREATE TABLE created (
		entity     TEXT NOT NULL,
		remote_id  TEXT NOT NULL,
		job        TEXT NOT NULL,
		row        INTEGER NOT NULL,
		undone     INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL,
		undone_at  INTEGER,
		PRIMARY KEY (entity, remote_id)
	);
	CREATE INDEX created_by_job ON created (job, row);
	CREATE TABLE ids (
		entity     TEXT NOT NULL,
		key        TEXT NOT NULL,
		remote_id  TEXT NOT NULL,
		job        TEXT NOT NULL DEFAULT '',
		updated_at INTEGER NOT NULL,
		PRIMARY KEY (entity, key)
	) WITHOUT ROWID;
	CREATE INDEX ids_by_remote ON ids (entity, remote_id);
	CREATE TABLE bookmarks (
		job        TEXT PRIMARY KEY,
		value      TEXT NOT NULL,
		updated_at INTEGER NOT NULL
	);`,
	// 2: every entry is bound to the account (company id) it was written against; entries
	// written before are kept under the unknown account ''. The rows index by remote id
	// serves MarkUndone, which scanned every row of the job for each record.
	`CREATE TABLE accounts (
		key        TEXT PRIMARY KEY,
		company_id INTEGER NOT NULL,
		domain     TEXT NOT NULL DEFAULT '',
		name       TEXT NOT NULL DEFAULT '',
		first_seen INTEGER NOT NULL
	);
	ALTER TABLE jobs RENAME TO jobs_v1;
	CREATE TABLE jobs (
		account     TEXT NOT NULL DEFAULT '',
		name        TEXT NOT NULL,
		fingerprint TEXT NOT NULL,
		entity      TEXT NOT NULL DEFAULT '',
		total       INTEGER NOT NULL DEFAULT 0,
		started_at  INTEGER NOT NULL,
		updated_at  INTEGER NOT NULL,
		PRIMARY KEY (account, name)
	);
	INSERT INTO jobs (account, name, fingerprint, entity, total, started_at, updated_at)
		SELECT '', name, fingerprint, entity, total, started_at, updated_at FROM jobs_v1;
	DROP TABLE jobs_v1;
	ALTER TABLE rows RENAME TO rows_v1;
	CREATE TABLE rows (
		account    TEXT NOT NULL DEFAULT '',
		job        TEXT NOT NULL,
		row        INTEGER NOT NULL,
		key        TEXT NOT NULL DEFAULT '',
		status     TEXT NOT NULL,
		remote_id  TEXT NOT NULL DEFAULT '',
		action     TEXT NOT NULL DEFAULT '',
		reason     TEXT NOT NULL DEFAULT '',
		attempts   INTEGER NOT NULL DEFAULT 0,
		updated_at INTEGER NOT NULL,
		PRIMARY KEY (account, job, row)
	) WITHOUT ROWID;
	INSERT INTO rows (account, job, row, key, status, remote_id, action, reason, attempts, updated_at)
		SELECT '', job, row, key, status, remote_id, action, reason, attempts, updated_at FROM rows_v1;
	DROP TABLE rows_v1;
	CREATE INDEX rows_by_remote ON rows (account, job, remote_id);
	DROP INDEX created_by_job;
	ALTER TABLE created RENAME TO created_v1;
	CREATE TABLE created (
		account    TEXT NOT NULL DEFAULT '',
		entity     TEXT NOT NULL,
		remote_id  TEXT NOT NULL,
		job        TEXT NOT NULL,
		row        INTEGER NOT NULL,
		undone     INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL,
		undone_at  INTEGER,
		PRIMARY KEY (account, entity, remote_id)
	);
	INSERT INTO created (account, entity, remote_id, job, row, undone, created_at, undone_at)
		SELECT '', entity, remote_id, job, row, undone, created_at, undone_at FROM created_v1;
	DROP TABLE created_v1;
	CREATE INDEX created_by_job ON created (account, job, row);
	DROP INDEX ids_by_remote;
	ALTER TABLE ids RENAME TO ids_v1;
	CREATE TABLE ids (
		account    TEXT NOT NULL DEFAULT '',
		entity     TEXT NOT NULL,
		key        TEXT NOT NULL,
		remote_id  TEXT NOT NULL,
		job        TEXT NOT NULL DEFAULT '',
		updated_at INTEGER NOT NULL,
		PRIMARY KEY (account, entity, key)
	) WITHOUT ROWID;
	INSERT INTO ids (account, entity, key, remote_id, job, updated_at)
		SELECT '', entity, key, remote_id, job, updated_at FROM ids_v1;
	DROP TABLE ids_v1;
	CREATE INDEX ids_by_remote ON ids (account, entity, remote_id);
	ALTER TABLE bookmarks RENAME TO bookmarks_v1;
	CREATE TABLE bookmarks (
		account    TEXT NOT NULL DEFAULT '',
		job        TEXT NOT NULL,
		value      TEXT NOT NULL,
		updated_at INTEGER NOT NULL,
		PRIMARY KEY (account, job)
	);
	INSERT INTO bookmarks (account, job, value, updated_at) SELECT '', job, value, updated_at FROM bookmarks_v1;
	DROP TABLE bookmarks_v1;`,
	// 3: the index of rows by remote id leaves out the rows that created their record: the
	// created log finds those by its primary key (DoneWith, MarkUndone). A created row's
	// Pipedrive id is random, so its entry landed on a page of its own in every commit of an
	// import: a quarter of the pages the checkpoint wrote per created row. It leaves out the
	// rows with no id yet (in flight, rejected) too, which no lookup by id can find.
	`DROP INDEX rows_by_remote;
	CREATE INDEX rows_by_remote ON rows (account, job, remote_id) WHERE ` + rowsByRemoteWhere + `;`,
}

// rowsByRemoteWhere is the condition of the partial index rows_by_remote: a query that reads
// it says the same, word for word, so that SQLite may use it.
const rowsByRemoteWhere = `remote_id <> '' AND action <> 'created'`

// walCheckpointPages is how many pages the WAL grows to before a commit copies them into
// the database (SQLite's default is 1,000). An import rewrites the same few pages (the rows,
// ids and created tables' last leaves) at every commit: a larger WAL copies each of them once
// for more commits. Durability does not depend on it (a commit is durable in the WAL).
const walCheckpointPages = 4000

// pageCacheKiB is the writer connection's page cache. The id map and the claims are keyed by
// source keys and Pipedrive ids, in no order: a commit of many rows touches pages all over
// their indexes, and with SQLite's default 2 MB those pages were read back from the file and
// spilled in the middle of transactions (a third of the checkpoint's CPU in a 20,000-row
// import). The cache holds only the pages read or written.
const pageCacheKiB = 16 << 10

// maxBatch bounds how many changes one group commit carries.
const maxBatch = 512

// State is the embedded state store of the jobs of one folder. It is safe for concurrent
// use; all changes go through one writer goroutine that commits concurrent callers' changes
// together (group commit), and every change is durable when its method returns.
//
// A State is bound to one Pipedrive account (Bind) before it is used: every entry it reads or
// writes (job progress, row states, the created log, the id map, bookmarks) is that
// account's. An unbound State works in the unknown account, where checkpoints written before
// accounts were recorded live.
type State struct {
	path    string
	rdb     *sql.DB // readers
	wdb     *sql.DB // the single writer connection
	account Account // set by Bind before any other use

	ops     chan *op
	quit    chan struct{}
	stopped chan struct{}

	// hot holds the writer's statements that run once or more per imported row, prepared once
	// on the writer connection: SQLite parses their text once per State, not once per row.
	hot hotStmts
	// sets are the multi-row statements of MarkDoneClaimedBatch (claimbatch.go), prepared on
	// the writer connection when first used.
	sets setStmts

	closeOnce sync.Once
	closeErr  error
}

// op is one change waiting for the writer.
type op struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan error
}

// OpenState opens (creating it and its folder if needed) the state database at path and
// brings its schema up to date.
//
// Durability: the database runs in WAL mode with synchronous=FULL. A committed transaction
// is in the WAL file before the commit returns, so it survives a SIGKILL of the process in
// both NORMAL and FULL mode; FULL also fsyncs the WAL at every commit, so it survives a
// power cut or an OS crash. We need that: MarkInFlight must be on disk before a create is
// sent, or a lost mark after a crash would resend the create and duplicate the record. The
// cost of the fsync is shared by group commit (many workers' marks in one transaction).
func OpenState(path string) (*State, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("jobs: open state %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("jobs: open state %s: %w", path, err)
	}
	// Create the file private to the user: row keys can be e-mail addresses.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("jobs: open state %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("jobs: open state %s: %w", path, err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walCheckpointPages))
	q.Add("_txlock", "immediate")
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: abs, RawQuery: q.Encode()}).String()
	wdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("jobs: open state %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	// The writer's one connection gets the larger page cache (pageCacheKiB); readers keep
	// SQLite's default. Its temporary tables (the rows a RETURNING clause or an UPDATE … FROM
	// gathers, a few dozen per statement) stay in memory: in a temporary file they cost a file
	// opened, written and removed per statement.
	if _, err := wdb.Exec(fmt.Sprintf(`PRAGMA cache_size = -%d; PRAGMA temp_store = MEMORY`, pageCacheKiB)); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("jobs: open state %s: %w", path, err)
	}
	if err := migrate(wdb); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("jobs: open state %s: %w", path, err)
	}
	rdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("jobs: open state %s: %w", path, err)
	}
	rdb.SetMaxOpenConns(4)
	s := &State{path: abs, rdb: rdb, wdb: wdb, ops: make(chan *op), quit: make(chan struct{}), stopped: make(chan struct{})}
	if err := errors.Join(s.hot.prepare(wdb), s.sets.prepare(wdb)); err != nil {
		s.hot.close()
		s.sets.close()
		rdb.Close()
		wdb.Close()
		return nil, fmt.Errorf("jobs: open state %s: %w", path, err)
	}
	go s.writer()
	return s, nil
}

func migrate(db *sql.DB) error {
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("migrate: the state database has schema version %d; this pdbulk knows up to %d (use a newer pdbulk)", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migrate to version %d: %w", i+1, err)
		}
	}
	if v < len(migrations) {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations))); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	return tx.Commit()
}

// Close waits for the writer to finish the changes it holds and closes the database.
// It is safe to call more than once; later calls return the first result.
func (s *State) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.stopped
		s.hot.close()
		s.sets.close()
		err := s.rdb.Close()
		if werr := s.wdb.Close(); err == nil {
			err = werr
		}
		if err != nil {
			s.closeErr = fmt.Errorf("jobs: close state: %w", err)
		}
	})
	return s.closeErr
}

// do runs fn in a write transaction, possibly shared with other callers' changes, and
// returns after that transaction committed (or failed). fn must only touch the database.
func (s *State) do(ctx context.Context, fn func(tx *sql.Tx) error) error {
	o := &op{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.ops <- o:
	case <-s.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// The writer answers every op it took, in bounded time: wait for the real outcome even if
	// ctx ends now, so that a caller never believes an applied change was not made.
	return <-o.done
}

// writer is the only goroutine that writes. Callers blocked in do while it commits are
// taken together into the next transaction.
func (s *State) writer() {
	defer close(s.stopped)
	batch := make([]*op, 0, maxBatch)
	for {
		batch = batch[:0]
		select {
		case o := <-s.ops:
			batch = append(batch, o)
		case <-s.quit:
			return
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case o := <-s.ops:
				batch = append(batch, o)
			default:
				break drain
			}
		}
		s.commit(batch)
	}
}

// commit applies batch in one transaction and answers each op after it is durable (or
// failed). The ops run one after the other with no savepoint between them: a failure is rare
// (a refused Begin, an unknown record to undo, a broken disk), and when one op fails the
// whole transaction is rolled back and every op of the batch is applied again in a
// transaction of its own, so that one failing op leaves the others' changes intact. An op's
// fn can therefore run twice; each one resets what it reports before it writes. An op is
// answered only after the transaction holding its change committed: a caller never sees
// success for a change that is not on disk.
func (s *State) commit(batch []*op) {
	live := batch[:0:0]
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			o.done <- err
			continue
		}
		live = append(live, o)
	}
	if len(live) == 0 {
		return
	}
	if len(live) > 1 && s.apply(live) {
		return
	}
	for _, o := range live {
		s.apply([]*op{o})
	}
}

// apply runs ops in one transaction and commits it. It answers every op and returns true,
// unless more than one op was given and one of them failed: then it rolls the transaction
// back, answers none and returns false (the caller applies them one by one).
func (s *State) apply(ops []*op) bool {
	// Statements run with a background context: interrupting one statement inside an
	// explicit transaction would roll back every caller's change in it.
	ctx := context.Background()
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		for _, o := range ops {
			o.done <- fmt.Errorf("jobs: state: begin transaction: %w", err)
		}
		return true
	}
	for _, o := range ops {
		if err := o.fn(tx); err != nil {
			if rerr := tx.Rollback(); rerr != nil {
				err = errors.Join(err, rerr)
			}
			if len(ops) > 1 {
				return false
			}
			o.done <- err
			return true
		}
	}
	if err := tx.Commit(); err != nil {
		err = fmt.Errorf("jobs: state: commit: %w", err)
		for _, o := range ops {
			o.done <- err
		}
		return true
	}
	for _, o := range ops {
		o.done <- nil
	}
	return true
}

// hotStmts are the statements prepared once per State on the writer connection (see State.hot).
// A transaction uses one through tx.Stmt, which finds it already prepared on the connection
// (the writer has one connection, kept open for the State's life).
type hotStmts struct {
	inFlight, done, rejected  *sql.Stmt // the row marks
	doneMarked                *sql.Stmt // done for a row already recorded (in flight)
	logCreated, putID, dropID *sql.Stmt // the created log and the id map, from markDone
	claim, claimed            *sql.Stmt // MarkDoneClaimed's claim
}

// txHot is one transaction's view of the hot statements, each bound to the transaction
// (tx.Stmt) once, when first used: a batch of rows runs the same few statements for every row.
type txHot struct {
	tx                            *sql.Tx
	doneMarked, done, logCreated  *sql.Stmt
	dropID, putID, claim, claimed *sql.Stmt
}

func (s *State) bind(tx *sql.Tx) *txHot { return &txHot{tx: tx} }

// stmt returns hot bound to the transaction, kept in *bound.
func (t *txHot) stmt(bound **sql.Stmt, hot *sql.Stmt) *sql.Stmt {
	if *bound == nil {
		*bound = t.tx.Stmt(hot)
	}
	return *bound
}

func (h *hotStmts) prepare(db *sql.DB) error {
	for _, p := range []struct {
		dst *(*sql.Stmt)
		q   string
	}{
		{&h.inFlight, `INSERT INTO rows (account, job, row, key, status, attempts, updated_at) VALUES (?, ?, ?, ?, 'in_flight', 1, ?)
			ON CONFLICT (account, job, row) DO UPDATE SET key = excluded.key, status = 'in_flight', reason = '',
			attempts = rows.attempts + 1, updated_at = excluded.updated_at`},
		{&h.done, `INSERT INTO rows (account, job, row, status, remote_id, action, updated_at) VALUES (?, ?, ?, 'done', ?, ?, ?)
			ON CONFLICT (account, job, row) DO UPDATE SET status = 'done', remote_id = excluded.remote_id,
			action = excluded.action, reason = '', updated_at = excluded.updated_at
			RETURNING key`},
		{&h.doneMarked, `UPDATE rows SET status = 'done', remote_id = ?, action = ?, reason = '', updated_at = ?
			WHERE account = ? AND job = ? AND row = ? RETURNING key`},
		{&h.rejected, `INSERT INTO rows (account, job, row, status, reason, updated_at) VALUES (?, ?, ?, 'rejected', ?, ?)
			ON CONFLICT (account, job, row) DO UPDATE SET status = 'rejected', reason = excluded.reason,
			updated_at = excluded.updated_at`},
		{&h.logCreated, `INSERT INTO created (account, entity, remote_id, job, row, created_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, entity, remote_id) DO NOTHING`},
		{&h.putID, `INSERT INTO ids (account, entity, key, remote_id, job, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, entity, key) DO UPDATE SET remote_id = excluded.remote_id, job = excluded.job,
			updated_at = excluded.updated_at`},
		{&h.dropID, `DELETE FROM ids INDEXED BY ids_by_remote WHERE account = ? AND entity = ? AND remote_id = ?`},
		{&h.claim, `INSERT INTO ids (account, entity, key, remote_id, job, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, entity, key) DO NOTHING`},
		{&h.claimed, `SELECT remote_id FROM ids WHERE account = ? AND entity = ? AND key = ?`},
	} {
		st, err := db.Prepare(p.q)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		*p.dst = st
	}
	return nil
}

func (h *hotStmts) close() {
	for _, st := range []*sql.Stmt{h.inFlight, h.done, h.doneMarked, h.rejected,
		h.logCreated, h.putID, h.dropID, h.claim, h.claimed} {
		if st != nil {
			st.Close()
		}
	}
}

func now() int64 { return time.Now().UnixMicro() }

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// PutID records in the cross-job id map that the record of entity with source key key has
// the Pipedrive id id. It replaces an earlier id for the same key.
func (s *State) PutID(ctx context.Context, entity, key, id string) error {
	if entity == "" || key == "" || id == "" {
		return fmt.Errorf("jobs: put id: entity, key and id must not be empty")
	}
	err := s.do(ctx, func(tx *sql.Tx) error {
		return s.putID(tx, s.account.Key(), entity, key, id, "")
	})
	if err != nil {
		return fmt.Errorf("jobs: put id %s: %w", entity, err)
	}
	return nil
}

func (s *State) putID(tx *sql.Tx, account, entity, key, id, job string) error {
	_, err := tx.Stmt(s.hot.putID).Exec(account, entity, key, id, job, now())
	return err
}

// LookupID returns the Pipedrive id that the id map holds for entity and source key key, in
// the bound account only: an id recorded in another account names another company's record.
func (s *State) LookupID(ctx context.Context, entity, key string) (id string, ok bool, err error) {
	err = s.rdb.QueryRowContext(ctx, `SELECT remote_id FROM ids WHERE account = ? AND entity = ? AND key = ?`,
		s.account.Key(), entity, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("jobs: lookup id %s: %w", entity, err)
	}
	return id, true, nil
}

// Bookmark returns the export bookmark saved for job, and whether there is one.
func (s *State) Bookmark(ctx context.Context, job string) (string, bool, error) {
	var v string
	err := s.rdb.QueryRowContext(ctx, `SELECT value FROM bookmarks WHERE account = ? AND job = ?`, s.account.Key(), job).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("jobs: bookmark %s: %w", job, err)
	}
	return v, true, nil
}

// SetBookmark saves the export bookmark of job (for example the update_time of the newest
// record exported), replacing the previous one.
func (s *State) SetBookmark(ctx context.Context, job, value string) error {
	err := s.do(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO bookmarks (account, job, value, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (account, job) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			s.account.Key(), job, value, now())
		return err
	})
	if err != nil {
		return fmt.Errorf("jobs: set bookmark %s: %w", job, err)
	}
	return nil
}

// DeleteBookmark forgets the export bookmark of job in the bound account: its next
// incremental run exports everything again.
func (s *State) DeleteBookmark(ctx context.Context, job string) error {
	err := s.do(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM bookmarks WHERE account = ? AND job = ?`, s.account.Key(), job)
		return err
	})
	if err != nil {
		return fmt.Errorf("jobs: delete bookmark %s: %w", job, err)
	}
	return nil
}

// Job returns the recorded progress of the job called jobName, and whether the store knows
// it, without beginning a run (for `pdbulk status`).
func (s *State) Job(ctx context.Context, jobName string) (Summary, bool, error) {
	return s.JobIn(ctx, s.account, jobName)
}

// JobIn is Job in account a rather than the bound account (for `pdbulk status`, which shows
// a job's progress in every account it ran in).
func (s *State) JobIn(ctx context.Context, a Account, jobName string) (Summary, bool, error) {
	sum, ok, err := summary(ctx, s.rdb, a.Key(), jobName)
	if err != nil {
		return Summary{}, false, fmt.Errorf("jobs: status %s: %w", jobName, err)
	}
	return sum, ok, nil
}
