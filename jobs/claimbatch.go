package jobs

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// The recorder of an import claims the records of many created rows and marks those rows
// done in one transaction (MarkDoneClaimedBatch). Row by row, that is five statements per
// row (claim, done, created log, id map, and the claim's check when it was taken already),
// and running a statement costs more than the B-tree work most of them do. claimCreatedSet
// does the same work for a chunk of rows in four statements: each takes the chunk's rows
// as one multi-row VALUES list, so the database sees the same changes in the same order as
// row by row.

// setSizes are the numbers of rows a multi-row statement carries: a batch goes in chunks of
// the largest, and its last rows in the smaller ones (binary decomposition), so that a handful
// of statements, prepared once per State, serve every batch size.
var setSizes = [...]int{16, 8, 4, 2, 1}

// setKind names the multi-row statements.
type setKind int

const (
	setClaim   setKind = iota // claim the records: insert-if-absent into the id map
	setDone                   // mark rows already in flight done, returning their keys
	setCreated                // log the created records
	setPutID                  // the id map entries of the rows with a key
	setKinds
)

// setStmts are the prepared multi-row statements, by kind and place in setSizes.
type setStmts struct {
	by [setKinds][len(setSizes)]*sql.Stmt
}

// prepare prepares every statement on db (the writer's, outside any transaction: its one
// connection is the transaction's while one runs).
func (m *setStmts) prepare(db *sql.DB) error {
	for k := range m.by {
		for i, n := range setSizes {
			st, err := db.Prepare(setSQL(setKind(k), n))
			if err != nil {
				return err
			}
			m.by[k][i] = st
		}
	}
	return nil
}

func (m *setStmts) close() {
	for k := range m.by {
		for _, st := range m.by[k] {
			if st != nil {
				st.Close()
			}
		}
	}
}

// values returns n parenthesized groups of width placeholders, numbered from first.
func values(n, width, first int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range width {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "?%d", first+i*width+j)
		}
		b.WriteByte(')')
	}
	return b.String()
}

// setSQL is the text of the kind statement for n rows. Parameters ?1…?4 are the account, the
// job, the time and the entity (the claims' entity for setClaim, the run's otherwise; setDone
// leaves it unused); each row's values follow from ?5.
func setSQL(kind setKind, n int) string {
	switch kind {
	case setClaim: // per row: record id, holder
		return `INSERT INTO ids (account, entity, key, remote_id, job, updated_at)
			SELECT ?1, ?4, column1, column2, ?2, ?3 FROM (VALUES ` + values(n, 2, 5) + `) WHERE true
			ON CONFLICT (account, entity, key) DO NOTHING RETURNING key`
	case setDone: // per row: row, record id
		return `UPDATE rows SET status = 'done', remote_id = v.column2, action = 'created', reason = '', updated_at = ?3
			FROM (VALUES ` + values(n, 2, 5) + `) AS v
			WHERE rows.account = ?1 AND rows.job = ?2 AND rows.row = v.column1
			RETURNING rows.row, rows.key`
	case setCreated: // per row: record id, row
		return `INSERT INTO created (account, entity, remote_id, job, row, created_at)
			SELECT ?1, ?4, column1, ?2, column2, ?3 FROM (VALUES ` + values(n, 2, 5) + `) WHERE true
			ON CONFLICT (account, entity, remote_id) DO NOTHING`
	default: // setPutID; per row: key, record id
		return `INSERT INTO ids (account, entity, key, remote_id, job, updated_at)
			SELECT ?1, ?4, column1, column2, ?2, ?3 FROM (VALUES ` + values(n, 2, 5) + `) WHERE true
			ON CONFLICT (account, entity, key) DO UPDATE SET remote_id = excluded.remote_id, job = excluded.job,
			updated_at = excluded.updated_at`
	}
}

// set returns the kind statement for n rows (one of setSizes) bound to the transaction.
func (t *txHot) set(s *State, kind setKind, n int) *sql.Stmt {
	for i, size := range setSizes {
		if size == n {
			return t.tx.Stmt(s.sets.by[kind][i])
		}
	}
	panic(fmt.Sprintf("jobs: no %d-row statement", n)) // chunk sizes come from setSizes
}

// setRunnable reports whether claims can go through claimCreatedSet: every one a created
// record of a run with an entity, under one claims entity, with no row or record twice.
func (r *Run) setRunnable(claims []DoneClaim) bool {
	if r.Entity == "" || len(claims) < 2 {
		return false
	}
	rows := make(map[int]bool, len(claims))
	ids := make(map[string]bool, len(claims))
	for _, c := range claims {
		if c.Action != "created" || c.ClaimEntity != claims[0].ClaimEntity || rows[c.Row] || ids[c.RemoteID] {
			return false
		}
		rows[c.Row], ids[c.RemoteID] = true, true
	}
	return true
}

// claimCreatedSet is claimDone for each of claims (see setRunnable), a chunk of rows per
// statement: the claims are taken, the rows whose claim is theirs marked done, their records
// logged as created and their keys put in the id map. held is filled as MarkDoneClaimedBatch
// returns it.
func (r *Run) claimCreatedSet(tx *txHot, claims []DoneClaim, held []string) error {
	t := now()
	// The claims: those not taken now were taken before, by this row or another.
	taken := make(map[string]bool, len(claims))
	err := r.each(tx, setClaim, claims[0].ClaimEntity, t, claims,
		func(c DoneClaim) (any, any) { return c.RemoteID, c.Holder },
		func(rs *sql.Rows) error {
			var id string
			err := rs.Scan(&id)
			taken[id] = true
			return err
		})
	if err != nil {
		return err
	}
	ours := claims[:0:0]
	for i, c := range claims {
		held[i] = ""
		if !taken[c.RemoteID] {
			var cur string
			if err := tx.stmt(&tx.claimed, r.s.hot.claimed).QueryRow(r.account, c.ClaimEntity, c.RemoteID).Scan(&cur); err != nil {
				return err
			}
			if cur != c.Holder {
				held[i] = cur
				continue
			}
		}
		ours = append(ours, c)
	}
	// The rows done: those in flight by one update; any other (not recorded yet) on its own.
	keys := make(map[int]string, len(ours))
	err = r.each(tx, setDone, r.Entity, t, ours,
		func(c DoneClaim) (any, any) { return c.Row, c.RemoteID },
		func(rs *sql.Rows) error {
			var row int
			var key string
			err := rs.Scan(&row, &key)
			keys[row] = key
			return err
		})
	if err != nil {
		return err
	}
	for _, c := range ours {
		if _, ok := keys[c.Row]; ok {
			continue
		}
		var key string
		if err := tx.stmt(&tx.done, r.s.hot.done).QueryRow(r.account, r.job, c.Row, c.RemoteID, c.Action, t).Scan(&key); err != nil {
			return err
		}
		keys[c.Row] = key
	}
	// The created log.
	err = r.each(tx, setCreated, r.Entity, t, ours, func(c DoneClaim) (any, any) { return c.RemoteID, c.Row }, nil)
	if err != nil {
		return err
	}
	// The id map, for the rows with a key.
	keyed := ours[:0:0]
	for _, c := range ours {
		if keys[c.Row] != "" {
			keyed = append(keyed, c)
		}
	}
	return r.each(tx, setPutID, r.Entity, t, keyed, func(c DoneClaim) (any, any) { return keys[c.Row], c.RemoteID }, nil)
}

// each runs the kind statement over cs, in chunks of setSizes, in order: per gives a row's two
// values; scan, unless nil, reads each row the statement returns.
func (r *Run) each(tx *txHot, kind setKind, entity string, t int64, cs []DoneClaim,
	per func(c DoneClaim) (any, any), scan func(rs *sql.Rows) error) error {
	for len(cs) > 0 {
		n := 1
		for _, size := range setSizes {
			if size <= len(cs) {
				n = size
				break
			}
		}
		args := make([]any, 0, 4+2*n)
		args = append(args, r.account, r.job, t, entity)
		for _, c := range cs[:n] {
			x, y := per(c)
			args = append(args, x, y)
		}
		st := tx.set(r.s, kind, n)
		if scan == nil {
			if _, err := st.Exec(args...); err != nil {
				return err
			}
		} else if err := queryEach(st, args, scan); err != nil {
			return err
		}
		cs = cs[n:]
	}
	return nil
}

func queryEach(st *sql.Stmt, args []any, scan func(rs *sql.Rows) error) error {
	rs, err := st.Query(args...)
	if err != nil {
		return err
	}
	for rs.Next() {
		if err := scan(rs); err != nil {
			rs.Close()
			return err
		}
	}
	return errors.Join(rs.Err(), rs.Close())
}
