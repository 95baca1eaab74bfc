package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The methods of this file serve jobs of a million rows: nothing in them holds every row of a
// job. Row states are read a page at a time in row order (RowCursor), records by their
// indexes (DoneWith), created records a page at a time (CreatedAfter), and undo marks its
// records in batches (MarkUndoneBatch).

// rowPage is how many row states a RowCursor reads at once.
const rowPage = 1024

// RowCursor reads a job's row states in row order, a page at a time, for a caller that asks
// for rows in increasing order (the rows of a file, as they are read): its memory is one page,
// whatever the job's size. A row asked for out of order is read on its own. Each page is read
// when the first row beyond the previous one is asked for, so it holds the states recorded
// before that moment. Not safe for concurrent use.
type RowCursor struct {
	r    *Run
	page []RowState
	from int // the page covers rows from..to (inclusive); to = 0: nothing read yet
	to   int
	end  bool // no row after to
}

// Cursor returns a RowCursor over the job's rows.
func (r *Run) Cursor() *RowCursor { return &RowCursor{r: r} }

// Get returns what is recorded for row; ok is false for a pending row.
func (c *RowCursor) Get(ctx context.Context, row int) (RowState, bool, error) {
	if c.to == 0 || row < c.from {
		if c.to != 0 {
			return c.r.Row(ctx, row)
		}
		if err := c.load(ctx, row); err != nil {
			return RowState{}, false, err
		}
	}
	for row > c.to && !c.end {
		if err := c.load(ctx, c.to+1); err != nil {
			return RowState{}, false, err
		}
	}
	if row > c.to {
		return RowState{}, false, nil
	}
	// The page is in row order: binary search.
	lo, hi := 0, len(c.page)
	for lo < hi {
		m := (lo + hi) / 2
		if c.page[m].Row < row {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(c.page) && c.page[lo].Row == row {
		return c.page[lo], true, nil
	}
	return RowState{}, false, nil
}

// load reads the page of rows from from on; the page ends at its last row, or covers every
// row after from when it is not full.
func (c *RowCursor) load(ctx context.Context, from int) error {
	rs, err := c.r.s.rdb.QueryContext(ctx, `SELECT row, key, status, remote_id, action, reason, attempts, updated_at
		FROM rows WHERE account = ? AND job = ? AND row >= ? ORDER BY row LIMIT ?`, c.r.account, c.r.job, from, rowPage)
	if err != nil {
		return fmt.Errorf("jobs: rows of %s: %w", c.r.job, err)
	}
	defer rs.Close()
	c.page = c.page[:0]
	for rs.Next() {
		st, err := scanRow(rs)
		if err != nil {
			return fmt.Errorf("jobs: rows of %s: %w", c.r.job, err)
		}
		c.page = append(c.page, st)
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("jobs: rows of %s: %w", c.r.job, err)
	}
	c.from = from
	if len(c.page) < rowPage {
		c.end, c.to = true, int(^uint(0)>>1)
		return nil
	}
	c.end, c.to = false, c.page[len(c.page)-1].Row
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanRow(s scanner) (RowState, error) {
	var st RowState
	var status string
	var t int64
	if err := s.Scan(&st.Row, &st.Key, &status, &st.RemoteID, &st.Action, &st.Reason, &st.Attempts, &t); err != nil {
		return RowState{}, err
	}
	st.Status, st.UpdatedAt = Status(status), fromMicros(t)
	return st, nil
}

// Row returns what is recorded for one row; ok is false for a pending row.
func (r *Run) Row(ctx context.Context, row int) (RowState, bool, error) {
	st, err := scanRow(r.s.rdb.QueryRowContext(ctx, `SELECT row, key, status, remote_id, action, reason, attempts, updated_at
		FROM rows WHERE account = ? AND job = ? AND row = ?`, r.account, r.job, row))
	if errors.Is(err, sql.ErrNoRows) {
		return RowState{}, false, nil
	}
	if err != nil {
		return RowState{}, false, fmt.Errorf("jobs: row %d of %s: %w", row, r.job, err)
	}
	return st, true, nil
}

// DoneWith returns a row of the job recorded done with the record remoteID, other than
// except: a row that created the record through the created log (by its primary key, under
// the run's entity or the unknown one, as MarkUndone finds it), any other through the index
// of rows by remote id.
func (r *Run) DoneWith(ctx context.Context, remoteID string, except int) (row int, ok bool, err error) {
	err = r.s.rdb.QueryRowContext(ctx, `SELECT rows.row FROM created JOIN rows
			ON rows.account = created.account AND rows.job = created.job AND rows.row = created.row
		WHERE created.account = ?1 AND created.entity IN (?2, '') AND created.remote_id = ?3 AND created.job = ?4
			AND rows.remote_id = ?3 AND rows.action = 'created' AND rows.status = 'done' AND rows.row <> ?5
		UNION ALL
		SELECT row FROM rows INDEXED BY rows_by_remote WHERE account = ?1 AND job = ?4 AND remote_id = ?3
			AND `+rowsByRemoteWhere+` AND status = 'done' AND row <> ?5
		LIMIT 1`, r.account, r.Entity, remoteID, r.job, except).Scan(&row)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("jobs: rows of %s with %s: %w", r.job, remoteID, err)
	}
	return row, true, nil
}

// MarkDoneClaimed is MarkDone for a record that one row at most may hold: in the same
// transaction, it claims remoteID for holder in the id map under claimEntity (insert if
// absent) and marks row done only when the claim is holder's. It returns "" when row holds
// the record now (claimed now or before), or the holder that has it, and then marks nothing.
// A crash can leave neither a claimed record without its done row nor a done row whose
// record is unclaimed; and the claim is atomic across processes sharing the checkpoint
// (SQLite's write lock serializes the transactions).
func (r *Run) MarkDoneClaimed(ctx context.Context, row int, remoteID, action, claimEntity, holder string) (string, error) {
	held, err := r.MarkDoneClaimedBatch(ctx, []DoneClaim{{Row: row, RemoteID: remoteID, Action: action, ClaimEntity: claimEntity, Holder: holder}})
	if err != nil {
		return "", err
	}
	return held[0], nil
}

// DoneClaim is one row's MarkDoneClaimed in MarkDoneClaimedBatch.
type DoneClaim struct {
	Row                                   int
	RemoteID, Action, ClaimEntity, Holder string
}

// MarkDoneClaimedBatch is MarkDoneClaimed for each claim, in one transaction: held[i] is ""
// when claims[i].Row holds its record now, else the other holder (and that row is not
// marked). Either every claim is recorded or, on error, none is.
func (r *Run) MarkDoneClaimedBatch(ctx context.Context, claims []DoneClaim) (held []string, err error) {
	for _, c := range claims {
		if err := checkRow("mark done", c.Row); err != nil {
			return nil, err
		}
		if c.RemoteID == "" || c.ClaimEntity == "" || c.Holder == "" {
			return nil, fmt.Errorf("jobs: mark row %d done: a claim needs a record id, an entity and a holder", c.Row)
		}
	}
	held = make([]string, len(claims))
	err = r.s.do(ctx, func(sqlTx *sql.Tx) error {
		tx := r.s.bind(sqlTx)
		if r.setRunnable(claims) {
			return r.claimCreatedSet(tx, claims, held)
		}
		for i, c := range claims {
			var err error
			if held[i], err = r.claimDone(tx, c.Row, c.RemoteID, c.Action, c.ClaimEntity, c.Holder); err != nil {
				return err
			}
		}
		return nil
	})
	switch {
	case err != nil && len(claims) == 1:
		return nil, fmt.Errorf("jobs: mark row %d done: %w", claims[0].Row, err)
	case err != nil:
		return nil, fmt.Errorf("jobs: mark %d rows done (rows %d…%d): %w", len(claims), claims[0].Row, claims[len(claims)-1].Row, err)
	}
	return held, nil
}

// InFlight is one row of MarkInFlightBatch: its number and source key.
type InFlight struct {
	Row int
	Key string
}

// MarkInFlightBatch is MarkInFlight for each row, in one transaction: an importer marks rows
// in flight ahead of their sends, many to a commit. A row marked so and then not sent must be
// given back with ForgetUnsent.
func (r *Run) MarkInFlightBatch(ctx context.Context, rows []InFlight) error {
	for _, f := range rows {
		if err := checkRow("mark in flight", f.Row); err != nil {
			return err
		}
	}
	err := r.s.do(ctx, func(tx *sql.Tx) error {
		st := tx.Stmt(r.s.hot.inFlight)
		t := now()
		for _, f := range rows {
			if _, err := st.Exec(r.account, r.job, f.Row, f.Key, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("jobs: mark %d rows in flight: %w", len(rows), err)
	}
	return nil
}

// ForgetUnsent makes pending again (no record, as before MarkInFlightBatch) those of rows
// that are still in flight: the caller names rows it marked ahead and never sent. A row
// recorded since as done or rejected keeps its record.
func (r *Run) ForgetUnsent(ctx context.Context, rows []int) error {
	err := r.s.do(ctx, func(tx *sql.Tx) error {
		st, err := tx.Prepare(`DELETE FROM rows WHERE account = ? AND job = ? AND row = ? AND status = 'in_flight'`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, row := range rows {
			if _, err := st.Exec(r.account, r.job, row); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("jobs: forget %d unsent rows: %w", len(rows), err)
	}
	return nil
}

// claimDone claims remoteID for holder and marks row done when the claim is holder's; it
// returns the other holder that has the record, if any (see MarkDoneClaimed).
func (r *Run) claimDone(tx *txHot, row int, remoteID, action, claimEntity, holder string) (string, error) {
	res, err := tx.stmt(&tx.claim, r.s.hot.claim).Exec(r.account, claimEntity, remoteID, holder, r.job, now())
	if err != nil {
		return "", err
	}
	if n, err := res.RowsAffected(); err != nil {
		return "", err
	} else if n == 1 {
		return "", r.markDone(tx, row, remoteID, action) // claimed now
	}
	var cur string
	if err := tx.stmt(&tx.claimed, r.s.hot.claimed).QueryRow(r.account, claimEntity, remoteID).Scan(&cur); err != nil {
		return "", err
	}
	if cur != holder {
		return cur, nil
	}
	return "", r.markDone(tx, row, remoteID, action)
}

// CreatedAfter returns, in (row, id) order, at most limit records the job created that undo
// has not removed, after the record (row, id) (0, "" for the first page).
func (r *Run) CreatedAfter(ctx context.Context, row int, id string, limit int) ([]CreatedRecord, error) {
	rs, err := r.s.rdb.QueryContext(ctx, `SELECT entity, remote_id, row FROM created
		WHERE account = ? AND job = ? AND undone = 0 AND (row > ? OR (row = ? AND remote_id > ?))
		ORDER BY row, remote_id LIMIT ?`, r.account, r.job, row, row, id, limit)
	if err != nil {
		return nil, fmt.Errorf("jobs: created records of %s: %w", r.job, err)
	}
	defer rs.Close()
	var out []CreatedRecord
	for rs.Next() {
		var c CreatedRecord
		if err := rs.Scan(&c.Entity, &c.RemoteID, &c.Row); err != nil {
			return nil, fmt.Errorf("jobs: created records of %s: %w", r.job, err)
		}
		out = append(out, c)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("jobs: created records of %s: %w", r.job, err)
	}
	return out, nil
}

// CreatedCounts returns how many records the job created in the run's account and how many
// of them undo removed, with when it removed the last one.
func (r *Run) CreatedCounts(ctx context.Context) (created, undone int, lastUndone time.Time, err error) {
	return r.s.undoneIn(ctx, r.account, r.job)
}

// MarkUndoneBatch is MarkUndone for many records, in one transaction: each record is found
// through its primary key (its own entity, as the created log has it) and the row that
// created it through the index of rows by remote id. A record the job did not create is
// skipped.
func (r *Run) MarkUndoneBatch(ctx context.Context, recs []CreatedRecord) error {
	if len(recs) == 0 {
		return nil
	}
	err := r.s.do(ctx, func(tx *sql.Tx) error {
		t := now()
		up, err := tx.Prepare(`UPDATE created SET undone = 1, undone_at = coalesce(undone_at, ?)
			WHERE account = ? AND entity = ? AND remote_id = ? AND job = ? RETURNING row`)
		if err != nil {
			return err
		}
		defer up.Close()
		delID, err := tx.Prepare(`DELETE FROM ids INDEXED BY ids_by_remote WHERE account = ? AND entity = ? AND remote_id = ?`)
		if err != nil {
			return err
		}
		defer delID.Close()
		delRow, err := tx.Prepare(deleteCreatedRowSQL)
		if err != nil {
			return err
		}
		defer delRow.Close()
		for _, c := range recs {
			var row int
			err := up.QueryRow(t, r.account, c.Entity, c.RemoteID, r.job).Scan(&row)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			entity := c.Entity
			if entity == "" {
				entity = r.Entity
			}
			if _, err := delID.Exec(r.account, entity, c.RemoteID); err != nil {
				return err
			}
			if _, err := delRow.Exec(r.account, r.job, row, c.RemoteID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("jobs: mark %d records undone: %w", len(recs), err)
	}
	return nil
}

// UndoneIn returns how many records job created in account a, how many of them undo
// removed, and when it removed the last one.
func (s *State) UndoneIn(ctx context.Context, a Account, jobName string) (created, undone int, lastUndone time.Time, err error) {
	return s.undoneIn(ctx, a.Key(), jobName)
}

func (s *State) undoneIn(ctx context.Context, account, jobName string) (created, undone int, lastUndone time.Time, err error) {
	var last sql.NullInt64
	err = s.rdb.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(undone), 0), max(undone_at) FROM created
		WHERE account = ? AND job = ?`, account, jobName).Scan(&created, &undone, &last)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("jobs: created records of %s: %w", jobName, err)
	}
	return created, undone, fromMicros(last.Int64), nil
}

// LookupIDIn is LookupID in account a rather than the bound one (status reads every
// account's entries).
func (s *State) LookupIDIn(ctx context.Context, a Account, entity, key string) (id string, ok bool, err error) {
	err = s.rdb.QueryRowContext(ctx, `SELECT remote_id FROM ids WHERE account = ? AND entity = ? AND key = ?`,
		a.Key(), entity, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("jobs: lookup id %s: %w", entity, err)
	}
	return id, true, nil
}
