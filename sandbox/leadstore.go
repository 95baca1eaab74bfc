package sandbox

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Leads live in their own table, not in memory: one row per lead (active and archived),
// with a column for everything lists filter and sort on and the answer's JSON as body. seq
// is the insertion order and the rowid: the stable unique key that breaks every tie.
// title_key is the title in lower case, what sort=title orders by.
const leadsTable = `CREATE TABLE IF NOT EXISTS leads (
	seq INTEGER PRIMARY KEY,
	id TEXT NOT NULL,
	title TEXT NOT NULL,
	title_key TEXT NOT NULL,
	owner_id INTEGER NOT NULL,
	creator_id INTEGER NOT NULL,
	person_id INTEGER,
	organization_id INTEGER,
	was_seen INTEGER NOT NULL,
	expected_close_date TEXT,
	next_activity_id INTEGER,
	add_time TEXT NOT NULL,
	update_time TEXT NOT NULL,
	is_archived INTEGER NOT NULL,
	body BLOB NOT NULL)`

// leadIndexes serve GET /leads and /leads/archived: one per indexed ordering, each led by
// is_archived, then the ordering's keys (insertion order: seq; add_time or update_time,
// then id, the tie-breaker a client can see; id), so that the index is the page order,
// then the owner, person and organization filters, so that a filtered page is read from
// the index alone; plus the unique id for lookups. InsertLeads drops and rebuilds them
// around a bulk load.
var leadIndexes = []struct{ name, def string }{
	{"leads_id", "UNIQUE INDEX leads_id ON leads (id)"},
	{"leads_by_seq", "INDEX leads_by_seq ON leads (is_archived, seq, owner_id, person_id, organization_id)"},
	{"leads_by_add_time", "INDEX leads_by_add_time ON leads (is_archived, add_time, id, owner_id, person_id, organization_id)"},
	{"leads_by_update_time", "INDEX leads_by_update_time ON leads (is_archived, update_time, id, owner_id, person_id, organization_id)"},
	{"leads_by_id", "INDEX leads_by_id ON leads (is_archived, id, owner_id, person_id, organization_id)"},
}

const putLeadSQL = `INSERT INTO leads (` + leadInsertColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (seq) DO UPDATE SET id = excluded.id, title = excluded.title, title_key = excluded.title_key,
	owner_id = excluded.owner_id, creator_id = excluded.creator_id, person_id = excluded.person_id,
	organization_id = excluded.organization_id, was_seen = excluded.was_seen,
	expected_close_date = excluded.expected_close_date, next_activity_id = excluded.next_activity_id,
	add_time = excluded.add_time, update_time = excluded.update_time,
	is_archived = excluded.is_archived, body = excluded.body`

// addOriginKeysSQL gives leads stored by an older sandbox, before leads had origin,
// origin_id, channel and channel_id, those keys as a lead created through the API has them.
const addOriginKeysSQL = `UPDATE leads SET body = CAST(json_set(CAST(body AS TEXT),
	'$.origin', 'API', '$.origin_id', json('null'), '$.channel', json('null'), '$.channel_id', json('null')) AS BLOB)
	WHERE json_type(CAST(body AS TEXT), '$.origin') IS NULL`

// leadStmts are the prepared statements of the lead table.
type leadStmts struct {
	put, del, byID *sql.Stmt
}

func (s *leadStmts) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.put, s.del, s.byID} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// initLeads creates the lead table and its indexes, moves the leads an older sandbox kept
// as JSON objects into it, and prepares the statements.
func (st *store) initLeads() error {
	if _, err := st.db.Exec(leadsTable); err != nil {
		return fmt.Errorf("create lead table: %w", err)
	}
	if err := st.createLeadIndexes(st.db); err != nil {
		return err
	}
	var err error
	if st.leadSQL.put, err = st.db.Prepare(putLeadSQL); err != nil {
		return err
	}
	if st.leadSQL.del, err = st.db.Prepare(`DELETE FROM leads WHERE seq = ?`); err != nil {
		return err
	}
	if st.leadSQL.byID, err = st.db.Prepare(`SELECT seq, body FROM leads WHERE id = ?`); err != nil {
		return err
	}
	if err := st.migrateLeads(); err != nil {
		return fmt.Errorf("move leads into their table: %w", err)
	}
	if _, err := st.db.Exec(addOriginKeysSQL); err != nil {
		return fmt.Errorf("add origin and channel to stored leads: %w", err)
	}
	var maxSeq sql.NullInt64
	if err := st.db.QueryRow(`SELECT max(seq) FROM leads`).Scan(&maxSeq); err != nil {
		return err
	}
	st.seq = max(st.seq, maxSeq.Int64)
	return nil
}

type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
}

func (st *store) createLeadIndexes(db execer) error {
	for _, ix := range leadIndexes {
		if _, err := db.Exec("CREATE " + strings.Replace(ix.def, "INDEX ", "INDEX IF NOT EXISTS ", 1)); err != nil {
			return fmt.Errorf("create index %s: %w", ix.name, err)
		}
	}
	return nil
}

// migrateLeads moves leads stored as kind "lead" in the objects table (the layout before
// the lead table) into the lead table, keeping their order, in one transaction.
func (st *store) migrateLeads() error {
	var n int
	if err := st.db.QueryRow(`SELECT COUNT(*) FROM objects WHERE kind = ?`, kindLead).Scan(&n); err != nil || n == 0 {
		return err
	}
	tx, err := st.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit; Commit's error is the one reported
	rows, err := tx.Query(`SELECT seq, body FROM objects WHERE kind = ? ORDER BY seq`, kindLead)
	if err != nil {
		return err
	}
	var leads []Lead
	for rows.Next() {
		var l Lead
		var body []byte
		if err := rows.Scan(&l.seq, &body); err != nil {
			rows.Close()
			return err
		}
		if err := json.Unmarshal(body, &l); err != nil {
			rows.Close()
			return fmt.Errorf("lead seq %d: %w", l.seq, err)
		}
		leads = append(leads, l)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	put := tx.Stmt(st.leadSQL.put)
	for i := range leads {
		if _, err := putLead(put, &leads[i]); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(`DELETE FROM objects WHERE kind = ?`, kindLead); err != nil {
		return err
	}
	return tx.Commit()
}

// leadInsertColumns are the columns putLead and InsertLeads write, in leadArgs' order.
const leadInsertColumns = `seq, id, title, title_key, owner_id, creator_id, person_id,
	organization_id, was_seen, expected_close_date, next_activity_id, add_time, update_time,
	is_archived, body`

// leadInsertArity is the number of leadInsertColumns.
var leadInsertArity = strings.Count(leadInsertColumns, ",") + 1

// leadArgs returns the values of leadInsertColumns for l, and body, the lead's JSON (the
// last of them).
func leadArgs(l *Lead) (args []any, body []byte, err error) {
	body, err = json.Marshal(l)
	if err != nil {
		return nil, nil, err
	}
	return []any{l.seq, l.ID, l.Title, strings.ToLower(l.Title), l.OwnerID, l.CreatorID, nullInt(l.PersonID),
		nullInt(l.OrganizationID), l.WasSeen, nullStr(l.ExpectedCloseDate), nullInt(l.NextActivityID),
		l.AddTime, l.UpdateTime, l.IsArchived, body}, body, nil
}

// putLead writes l (insert, or update of the row with l's seq) through stmt and returns the
// JSON it stored as the lead's body.
func putLead(stmt *sql.Stmt, l *Lead) ([]byte, error) {
	args, body, err := leadArgs(l)
	if err == nil {
		_, err = stmt.Exec(args...)
	}
	if err != nil {
		return nil, fmt.Errorf("save lead %s: %w", l.ID, err)
	}
	return body, nil
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func nullStr(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// saveLeadLocked stores l: a new lead (l.seq == 0) gets the next sequence number, an
// existing one keeps its place. old is the lead as stored before (nil for a new lead),
// so that remembered page positions move with it. st.mu must be held for writing.
// It returns the lead's JSON as stored, which is json.Marshal(l): what an answer carries.
func (st *store) saveLeadLocked(old, l *Lead) ([]byte, error) {
	if l.seq == 0 {
		l.seq = st.seq + 1
	}
	body, err := putLead(st.leadSQL.put, l)
	if err != nil {
		return nil, err
	}
	st.seq = max(st.seq, l.seq)
	st.pos.moved(old, l)
	return body, nil
}

// deleteLeadLocked deletes the stored lead l. st.mu must be held for writing.
func (st *store) deleteLeadLocked(l *Lead) error {
	if _, err := st.leadSQL.del.Exec(l.seq); err != nil {
		return fmt.Errorf("delete lead %s: %w", l.ID, err)
	}
	st.pos.moved(l, nil)
	return nil
}

// leadLocked reads lead id; found is false when there is none. st.mu must be held.
func (st *store) leadLocked(id string) (l Lead, found bool, err error) {
	var body []byte
	err = st.leadSQL.byID.QueryRow(id).Scan(&l.seq, &body)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Lead{}, false, nil
	case err != nil:
		return Lead{}, false, fmt.Errorf("read lead %s: %w", id, err)
	}
	if err := json.Unmarshal(body, &l); err != nil {
		return Lead{}, false, fmt.Errorf("read lead %s: %w", id, err)
	}
	return l, true, nil
}

// lead reads lead id under the read lock.
func (st *store) lead(id string) (Lead, bool, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.leadLocked(id)
}

// eachLeadTitleLocked calls fn with every lead's seq, ID, Title, PersonID,
// OrganizationID, AddTime and UpdateTime (the other fields are zero), in insertion order,
// from one query that reads no JSON: what searches need. fn must not use the store, and l
// is reused between calls. A non-nil error from fn stops the walk and is returned.
// st.mu must be held.
func (st *store) eachLeadTitleLocked(fn func(l *Lead) error) error {
	rows, err := st.db.Query(`SELECT seq, id, title, person_id, organization_id, add_time, update_time FROM leads ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("scan leads: %w", err)
	}
	var l Lead
	var person, org sql.NullInt64
	for rows.Next() {
		if err = rows.Scan(&l.seq, &l.ID, &l.Title, &person, &org, &l.AddTime, &l.UpdateTime); err != nil {
			break
		}
		l.PersonID, l.OrganizationID = intPtr(person), intPtr(org)
		if err = fn(&l); err != nil {
			break
		}
	}
	return errors.Join(err, rows.Err(), rows.Close())
}

func intPtr(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

// leadsBySeqLocked reads the leads with the given sequence numbers, in that order; a lead
// deleted meanwhile is left out. st.mu must be held.
func (st *store) leadsBySeqLocked(seqs []int64) ([]Lead, error) {
	bodies, err := st.bodiesBySeqLocked(seqs)
	if err != nil {
		return nil, err
	}
	out := make([]Lead, len(bodies))
	for i, b := range bodies {
		if err := json.Unmarshal(b, &out[i]); err != nil {
			return nil, fmt.Errorf("read leads: %w", err)
		}
	}
	return out, nil
}

// removeLabelLocked deletes label id and takes it off every lead that carries it, in one
// transaction, a few hundred leads at a time: never all leads in memory. Leads keep their
// update_time, as before. st.mu must be held for writing.
func (st *store) removeLabelLocked(id string) error {
	tx, err := st.db.Begin()
	if err != nil {
		return fmt.Errorf("delete label %s: %w", id, err)
	}
	defer tx.Rollback() // a no-op after Commit; Commit's error is the one reported
	if _, err := tx.Stmt(st.del).Exec(kindLabel, id); err != nil {
		return fmt.Errorf("delete label %s: %w", id, err)
	}
	put := tx.Stmt(st.leadSQL.put)
	const chunk = 500
	var after int64
	for {
		rows, err := tx.Query(`SELECT seq, body FROM leads WHERE seq > ? AND instr(body, ?) > 0 ORDER BY seq LIMIT ?`, after, id, chunk)
		if err != nil {
			return fmt.Errorf("delete label %s: %w", id, err)
		}
		batch, err := scanLeads(rows)
		if err != nil {
			return fmt.Errorf("delete label %s: %w", id, err)
		}
		for i := range batch {
			l := &batch[i]
			after = l.seq
			if !slices.Contains(l.LabelIDs, id) {
				continue // the id appeared elsewhere in the body
			}
			l.LabelIDs = slices.DeleteFunc(l.LabelIDs, func(x string) bool { return x == id })
			if _, err := putLead(put, l); err != nil {
				return fmt.Errorf("delete label %s: %w", id, err)
			}
		}
		if len(batch) < chunk {
			break
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete label %s: %w", id, err)
	}
	// Only a filter on labels can see the change: the orderings filtered in Go forget
	// their positions, the others are unmoved.
	st.pos.forgetFiltered()
	return nil
}
