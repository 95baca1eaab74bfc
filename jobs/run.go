package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Status is the recorded state of a row. A row with no record is pending.
type Status string

// The row states.
const (
	StatusPending  Status = "pending"   // nothing recorded: the row was never attempted
	StatusInFlight Status = "in_flight" // a write was about to be sent; in doubt after a crash
	StatusDone     Status = "done"
	StatusRejected Status = "rejected"
)

// RowState is what the store recorded for one row of a job.
type RowState struct {
	Row       int    // 1-based, as a spreadsheet user counts
	Key       string // the row's source key (match key), as given to MarkInFlight
	Status    Status
	RemoteID  string // Pipedrive id, when done
	Action    string // created, updated, deleted, archived, skipped, unchanged
	Reason    string // why the row was rejected
	Attempts  int    // how many times the row was marked in flight
	UpdatedAt time.Time
}

// Summary is the recorded progress of a job. Pending is Total less the recorded rows.
type Summary struct {
	Total, Done, Rejected, InFlight, Pending int
	Fingerprint                              string
	StartedAt, UpdatedAt                     time.Time
}

// CreatedRecord is a record that a job created, for undo.
type CreatedRecord struct {
	Entity   string
	RemoteID string
	Row      int
	Undone   bool
}

// Run records the progress of one job in a State. Its methods are safe for concurrent use
// by many workers; every Mark method returns after its change is durable.
type Run struct {
	s           *State
	account     string // the bound account's key, fixed when the run began
	job         string
	fingerprint string
	// Entity is the entity the job writes (Job.Entity): the created log and the id map are
	// kept per entity. BeginJob sets it; Begin takes it from the job's earlier BeginJob, if
	// any. Set it before the first Mark call. With no Entity, MarkDone logs created records
	// with an empty entity (MarkUndone still finds them by id) and leaves the id map alone.
	Entity string
}

// BeginJob is Begin for j: the run is named j.Name and its Entity is j.Entity.
func (s *State) BeginJob(ctx context.Context, j *Job, fingerprint string, restart bool) (*Run, error) {
	return s.begin(ctx, j.Name, string(j.Entity), fingerprint, restart)
}

// Begin starts or resumes the run of the job called jobName whose current fingerprint is
// fingerprint. A job seen for the first time is recorded. A job whose recorded fingerprint
// differs is refused with an error matching ErrChanged, unless restart is set or nothing was
// recorded for its rows yet. Restart clears the job's row states and total, but keeps the
// log of the records it created (undo still finds them) and the id map.
//
// The run is the bound account's. When the job has recorded row states in another account
// (the unknown account of an older checkpoint included), Begin refuses with an
// *AccountError matching ErrOtherAccount before writing anything, unless restart is set:
// restart then forgets the other accounts' row states for this job too (their created logs
// and id maps stay, bound to their accounts, so undo there still works).
func (s *State) Begin(ctx context.Context, jobName, fingerprint string, restart bool) (*Run, error) {
	return s.begin(ctx, jobName, "", fingerprint, restart)
}

func (s *State) begin(ctx context.Context, jobName, entity, fingerprint string, restart bool) (*Run, error) {
	if jobName == "" || fingerprint == "" {
		return nil, fmt.Errorf("jobs: begin: job name and fingerprint must not be empty")
	}
	acct := s.account.Key()
	err := s.do(ctx, func(tx *sql.Tx) error {
		if err := otherAccounts(tx, jobName, s.account, restart); err != nil {
			return err
		}
		var old, oldEntity string
		err := tx.QueryRow(`SELECT fingerprint, entity FROM jobs WHERE account = ? AND name = ?`, acct, jobName).Scan(&old, &oldEntity)
		if err == nil && entity == "" {
			entity = oldEntity
		}
		t := now()
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.Exec(`INSERT INTO jobs (account, name, fingerprint, entity, total, started_at, updated_at)
				VALUES (?, ?, ?, ?, 0, ?, ?)`, acct, jobName, fingerprint, entity, t, t)
			return err
		case err != nil:
			return err
		}
		if !restart && old != fingerprint {
			var n int
			if err := tx.QueryRow(`SELECT count(*) FROM rows WHERE account = ? AND job = ?`, acct, jobName).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return ErrChanged
			}
		}
		if restart {
			if _, err := tx.Exec(`DELETE FROM rows WHERE account = ? AND job = ?`, acct, jobName); err != nil {
				return err
			}
			_, err = tx.Exec(`UPDATE jobs SET fingerprint = ?, entity = CASE WHEN ? = '' THEN entity ELSE ? END,
				total = 0, started_at = ?, updated_at = ? WHERE account = ? AND name = ?`, fingerprint, entity, entity, t, t, acct, jobName)
			return err
		}
		_, err = tx.Exec(`UPDATE jobs SET fingerprint = ?, entity = CASE WHEN ? = '' THEN entity ELSE ? END,
			updated_at = ? WHERE account = ? AND name = ?`, fingerprint, entity, entity, t, acct, jobName)
		return err
	})
	if errors.Is(err, ErrChanged) {
		return nil, fmt.Errorf("jobs: begin %s: %w (use --restart to start over; records already created are kept for undo)", jobName, err)
	}
	if err != nil {
		return nil, fmt.Errorf("jobs: begin %s: %w", jobName, err)
	}
	return &Run{s: s, account: acct, job: jobName, fingerprint: fingerprint, Entity: entity}, nil
}

// otherAccounts refuses (or, with restart, forgets) the row states that job recorded in
// accounts other than current.
func otherAccounts(tx *sql.Tx, job string, current Account, restart bool) error {
	err := otherAccount(tx, job, current)
	if err == nil || !restart || !errors.Is(err, ErrOtherAccount) {
		return err
	}
	if _, err := tx.Exec(`DELETE FROM rows WHERE job = ? AND account <> ?`, job, current.Key()); err != nil {
		return err
	}
	_, err = tx.Exec(`DELETE FROM jobs WHERE name = ? AND account <> ?`, job, current.Key())
	return err
}

// OpenRun returns the Run of the job called jobName in the bound account without beginning
// it: no account or fingerprint check, nothing written. It serves undo, which works on the
// records the job created in this account (Created, MarkUndone) whatever the job's progress
// elsewhere.
func (s *State) OpenRun(jobName string) *Run {
	return &Run{s: s, account: s.account.Key(), job: jobName}
}

// Job returns the name of the job the run records.
func (r *Run) Job() string { return r.job }

func checkRow(op string, row int) error {
	if row < 1 {
		return fmt.Errorf("jobs: %s: row %d: rows are numbered from 1", op, row)
	}
	return nil
}

// MarkInFlight records that a write for row (whose source key is key) is about to be sent.
// It returns only after the record is committed to disk: send the write after it returns.
// The key is kept for the id map (MarkDone) and for reconciling the row if it is found in
// flight on resume.
func (r *Run) MarkInFlight(ctx context.Context, row int, key string) error {
	if err := checkRow("mark in flight", row); err != nil {
		return err
	}
	err := r.s.do(ctx, func(tx *sql.Tx) error {
		_, err := tx.Stmt(r.s.hot.inFlight).Exec(r.account, r.job, row, key, now())
		return err
	})
	if err != nil {
		return fmt.Errorf("jobs: mark row %d in flight: %w", row, err)
	}
	return nil
}

// MarkDone records that row was written: remoteID is the Pipedrive id of the record and
// action what was done (created, updated, deleted, archived, skipped, unchanged). When action
// is "created" the record joins the job's created log (for undo). When the row has a key,
// the id map gets (Entity, key) → remoteID; a "deleted" record leaves the id map.
func (r *Run) MarkDone(ctx context.Context, row int, remoteID, action string) error {
	if err := checkRow("mark done", row); err != nil {
		return err
	}
	err := r.s.do(ctx, func(tx *sql.Tx) error { return r.markDone(r.s.bind(tx), row, remoteID, action) })
	if err != nil {
		return fmt.Errorf("jobs: mark row %d done: %w", row, err)
	}
	return nil
}

func (r *Run) markDone(tx *txHot, row int, remoteID, action string) error {
	t := now()
	var key string
	// A row written through MarkInFlight is recorded already: a plain update (the upsert
	// would first try, and fail, to insert it).
	err := tx.stmt(&tx.doneMarked, r.s.hot.doneMarked).QueryRow(remoteID, action, t, r.account, r.job, row).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.stmt(&tx.done, r.s.hot.done).QueryRow(r.account, r.job, row, remoteID, action, t).Scan(&key)
	}
	if err != nil {
		return err
	}
	if action == "created" && remoteID != "" {
		if _, err := tx.stmt(&tx.logCreated, r.s.hot.logCreated).Exec(r.account, r.Entity, remoteID, r.job, row, t); err != nil {
			return err
		}
	}
	switch {
	case action == "deleted" && remoteID != "":
		_, err = tx.stmt(&tx.dropID, r.s.hot.dropID).Exec(r.account, r.Entity, remoteID)
		return err
	case key != "" && remoteID != "" && r.Entity != "":
		// Without an Entity (Begin, not BeginJob) the id map is the caller's (PutID).
		_, err = tx.stmt(&tx.putID, r.s.hot.putID).Exec(r.account, r.Entity, key, remoteID, r.job, t)
		return err
	}
	return nil
}

// MarkRejected records that row was rejected, and why. The reason must not carry the row's
// payload (it is shown to the user, not stored as data).
func (r *Run) MarkRejected(ctx context.Context, row int, reason string) error {
	if err := checkRow("mark rejected", row); err != nil {
		return err
	}
	err := r.s.do(ctx, func(tx *sql.Tx) error {
		_, err := tx.Stmt(r.s.hot.rejected).Exec(r.account, r.job, row, reason, now())
		return err
	})
	if err != nil {
		return fmt.Errorf("jobs: mark row %d rejected: %w", row, err)
	}
	return nil
}

// ResetRow forgets what was recorded for row, which becomes pending again (for example to
// retry rejected rows with --only-failed).
func (r *Run) ResetRow(ctx context.Context, row int) error {
	err := r.s.do(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM rows WHERE account = ? AND job = ? AND row = ?`, r.account, r.job, row)
		return err
	})
	if err != nil {
		return fmt.Errorf("jobs: reset row %d: %w", row, err)
	}
	return nil
}

// SetTotal records how many data rows the job's input has.
func (r *Run) SetTotal(ctx context.Context, n int) error {
	err := r.s.do(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE jobs SET total = ?, updated_at = ? WHERE account = ? AND name = ?`, n, now(), r.account, r.job)
		return err
	})
	if err != nil {
		return fmt.Errorf("jobs: set total: %w", err)
	}
	return nil
}

// Rows returns everything recorded for the job's rows, by row number. Rows absent from the
// map are pending.
func (r *Run) Rows(ctx context.Context) (map[int]RowState, error) {
	rs, err := r.s.rdb.QueryContext(ctx, `SELECT row, key, status, remote_id, action, reason, attempts, updated_at
		FROM rows WHERE account = ? AND job = ?`, r.account, r.job)
	if err != nil {
		return nil, fmt.Errorf("jobs: rows of %s: %w", r.job, err)
	}
	defer rs.Close()
	out := map[int]RowState{}
	for rs.Next() {
		var st RowState
		var status string
		var t int64
		if err := rs.Scan(&st.Row, &st.Key, &status, &st.RemoteID, &st.Action, &st.Reason, &st.Attempts, &t); err != nil {
			return nil, fmt.Errorf("jobs: rows of %s: %w", r.job, err)
		}
		st.Status, st.UpdatedAt = Status(status), fromMicros(t)
		out[st.Row] = st
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("jobs: rows of %s: %w", r.job, err)
	}
	return out, nil
}

// Summary returns the job's recorded progress.
func (r *Run) Summary(ctx context.Context) (Summary, error) {
	sum, _, err := summary(ctx, r.s.rdb, r.account, r.job)
	if err != nil {
		return Summary{}, fmt.Errorf("jobs: summary of %s: %w", r.job, err)
	}
	return sum, nil
}

func summary(ctx context.Context, db *sql.DB, account, job string) (Summary, bool, error) {
	var sum Summary
	var started, updated int64
	err := db.QueryRowContext(ctx, `SELECT fingerprint, total, started_at, updated_at FROM jobs WHERE account = ? AND name = ?`, account, job).
		Scan(&sum.Fingerprint, &sum.Total, &started, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Summary{}, false, nil
	}
	if err != nil {
		return Summary{}, false, err
	}
	rs, err := db.QueryContext(ctx, `SELECT status, count(*), max(updated_at) FROM rows WHERE account = ? AND job = ? GROUP BY status`, account, job)
	if err != nil {
		return Summary{}, false, err
	}
	defer rs.Close()
	for rs.Next() {
		var status string
		var n int
		var last int64
		if err := rs.Scan(&status, &n, &last); err != nil {
			return Summary{}, false, err
		}
		switch Status(status) {
		case StatusDone:
			sum.Done = n
		case StatusRejected:
			sum.Rejected = n
		case StatusInFlight:
			sum.InFlight = n
		}
		updated = max(updated, last)
	}
	if err := rs.Err(); err != nil {
		return Summary{}, false, err
	}
	sum.Pending = max(sum.Total-sum.Done-sum.Rejected-sum.InFlight, 0)
	sum.StartedAt, sum.UpdatedAt = fromMicros(started), fromMicros(updated)
	return sum, true, nil
}

// Created returns every record the job created (across restarts), in row order, with
// whether undo already removed it.
func (r *Run) Created(ctx context.Context) ([]CreatedRecord, error) {
	rs, err := r.s.rdb.QueryContext(ctx, `SELECT entity, remote_id, row, undone FROM created WHERE account = ? AND job = ?
		ORDER BY row, created_at`, r.account, r.job)
	if err != nil {
		return nil, fmt.Errorf("jobs: created records of %s: %w", r.job, err)
	}
	defer rs.Close()
	var out []CreatedRecord
	for rs.Next() {
		var c CreatedRecord
		if err := rs.Scan(&c.Entity, &c.RemoteID, &c.Row, &c.Undone); err != nil {
			return nil, fmt.Errorf("jobs: created records of %s: %w", r.job, err)
		}
		out = append(out, c)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("jobs: created records of %s: %w", r.job, err)
	}
	return out, nil
}

// deleteCreatedRowSQL makes pending again the row that created a record (account, job, row,
// the record's id), found through the created log: rows_by_remote leaves such rows out.
const deleteCreatedRowSQL = `DELETE FROM rows WHERE account = ? AND job = ? AND row = ? AND remote_id = ? AND action = 'created'`

// MarkUndone records that undo removed the record entity/remoteID that the job created. The
// record leaves the id map, and the row that created it becomes pending again, so that a
// later run of the job would create it anew. Marking an undone record again is not an error;
// a record the job did not create is (ErrUnknownRecord).
func (r *Run) MarkUndone(ctx context.Context, entity, remoteID string) error {
	err := r.s.do(ctx, func(tx *sql.Tx) error {
		rs, err := tx.Query(`UPDATE created SET undone = 1, undone_at = coalesce(undone_at, ?)
			WHERE account = ? AND (entity = ? OR entity = '') AND remote_id = ? AND job = ? RETURNING row`, now(), r.account, entity, remoteID, r.job)
		if err != nil {
			return err
		}
		var rows []int
		for rs.Next() {
			var row int
			if err := rs.Scan(&row); err != nil {
				rs.Close()
				return err
			}
			rows = append(rows, row)
		}
		if err := errors.Join(rs.Err(), rs.Close()); err != nil {
			return err
		}
		if len(rows) == 0 {
			return ErrUnknownRecord
		}
		if _, err := tx.Exec(`DELETE FROM ids INDEXED BY ids_by_remote WHERE account = ? AND entity = ? AND remote_id = ?`, r.account, entity, remoteID); err != nil {
			return err
		}
		for _, row := range rows {
			if _, err := tx.Exec(deleteCreatedRowSQL, r.account, r.job, row, remoteID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("jobs: mark %s %s undone: %w", entity, remoteID, err)
	}
	return nil
}
