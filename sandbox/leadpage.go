package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// leadQuery is what a GET /leads or /leads/archived page selects and how it is ordered.
type leadQuery struct {
	archived           bool
	owner, person, org int       // 0 = any
	since              string    // update_time at or after this (leadTimeLayout); "" = any
	flt                *filter   // evaluated in Go on each row; nil = none
	keys               []sortKey // empty = insertion order
}

// Columns of the sortable fields; title sorts case-insensitively.
var leadSortColumns = map[string]string{
	"id": "id", "title": "title_key", "owner_id": "owner_id", "creator_id": "creator_id",
	"was_seen": "was_seen", "expected_close_date": "expected_close_date", "next_activity_id": "next_activity_id",
	"add_time": "add_time", "update_time": "update_time",
}

// indexed returns the leading column of an ordering an index serves: "seq" (insertion
// order, no sort), id, or add_time or update_time, whose ties are broken by id ("add_time"
// and "add_time, id" in one direction are the same ordering). Other orderings are sorted
// by SQLite per page.
func (q *leadQuery) indexed() (col string, desc, ok bool) {
	k := q.keys
	timed := func(f string) bool { return f == "add_time" || f == "update_time" }
	switch {
	case len(k) == 0:
		return "seq", false, true
	case len(k) == 1 && (timed(k[0].field) || k[0].field == "id"),
		len(k) == 2 && timed(k[0].field) && k[1].field == "id" && k[1].desc == k[0].desc:
		return k[0].field, k[0].desc, true
	}
	return "", false, false
}

// where returns the SQL condition and its arguments for everything but the Go filter.
func (q *leadQuery) where() (string, []any) {
	conds, args := []string{"is_archived = ?"}, []any{q.archived}
	for _, c := range []struct {
		col string
		v   int
	}{{"owner_id", q.owner}, {"person_id", q.person}, {"organization_id", q.org}} {
		if c.v != 0 {
			conds, args = append(conds, c.col+" = ?"), append(args, c.v)
		}
	}
	if q.since != "" {
		conds, args = append(conds, "update_time >= ?"), append(args, q.since)
	}
	return strings.Join(conds, " AND "), args
}

// orderBy returns the ORDER BY list. id is unique; an indexed ordering by time breaks
// ties by id; any other ordering by seq in the direction of its last key, so that ties
// come in insertion order (newest first under a descending sort).
func (q *leadQuery) orderBy() string {
	switch col, desc, ok := q.indexed(); {
	case ok && col == "id":
		return "id" + dir(desc)
	case ok && col != "seq":
		return col + dir(desc) + ", id" + dir(desc)
	}
	var parts []string
	desc := false
	for _, k := range q.keys {
		desc = k.desc
		parts = append(parts, leadSortColumns[k.field]+dir(desc))
	}
	return strings.Join(append(parts, "seq"+dir(desc)), ", ")
}

func dir(desc bool) string {
	if desc {
		return " DESC"
	}
	return ""
}

// matches is the query's selection evaluated on a lead, the same as where plus the filter.
func (q *leadQuery) matches(l *Lead) bool {
	switch {
	case l.IsArchived != q.archived,
		q.owner != 0 && l.OwnerID != q.owner,
		q.person != 0 && (l.PersonID == nil || *l.PersonID != q.person),
		q.org != 0 && (l.OrganizationID == nil || *l.OrganizationID != q.org),
		q.since != "" && l.UpdateTime < q.since:
		return false
	}
	return q.flt == nil || q.flt.matchLead(l)
}

// cacheKey names the query's selection and indexed ordering for the position memo.
func (q *leadQuery) cacheKey() string {
	col, desc, _ := q.indexed()
	flt := ""
	if q.flt != nil {
		flt = strconv.Itoa(q.flt.ID) + ":" + string(q.flt.Conditions)
	}
	return fmt.Sprintf("%t|%d|%d|%d|%s|%s%s|%s", q.archived, q.owner, q.person, q.org, q.since, col, dir(desc), flt)
}

func (q *leadQuery) desc() bool {
	_, desc, _ := q.indexed()
	return desc
}

// sortPos is a lead's place in an indexed ordering, compared field by field: the sort
// column (add_time, update_time or id; "" in insertion order), the id that breaks ties of
// a time ("" otherwise), and seq (insertion order only; 0 otherwise).
type sortPos struct {
	key string
	id  string
	seq int64
}

// pos returns l's place in the query's indexed ordering.
func (q *leadQuery) pos(l *Lead) sortPos {
	switch col, _, _ := q.indexed(); col {
	case "add_time":
		return q.posOf(l.seq, l.ID, l.AddTime)
	case "update_time":
		return q.posOf(l.seq, l.ID, l.UpdateTime)
	}
	return q.posOf(l.seq, l.ID, "")
}

// posOf returns the place of the lead with this seq, id and value of the sort column.
func (q *leadQuery) posOf(seq int64, id, value string) sortPos {
	switch col, _, _ := q.indexed(); col {
	case "add_time", "update_time":
		return sortPos{key: value, id: id}
	case "id":
		return sortPos{key: id}
	}
	return sortPos{seq: seq}
}

// before reports whether a comes before b in the query's indexed ordering; it compares as
// SQLite does (text bytewise).
func (q *leadQuery) before(a, b sortPos) bool {
	c := strings.Compare(a.key, b.key)
	if c == 0 {
		c = strings.Compare(a.id, b.id)
	}
	if c == 0 {
		switch {
		case a.seq < b.seq:
			c = -1
		case a.seq > b.seq:
			c = 1
		}
	}
	if q.desc() {
		return c > 0
	}
	return c < 0
}

// leadPage reads one page of q: the leads at offsets [pg.start, pg.start+pg.limit) of the
// ordering as it is now, and whether more follow. Offsets are honest: a lead deleted or
// moved before pg.start shifts the page, as on Pipedrive. An indexed ordering starts from
// the nearest remembered position at or before pg.start, so a page costs about the same
// wherever it lies; a Go filter reads rows until it has pg.limit+1 matches after the start.
func (st *store) leadPage(q *leadQuery, pg page) ([]json.RawMessage, bool, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	col, desc, indexed := q.indexed()
	if !indexed && q.flt == nil {
		return st.sortedPageLocked(q, pg)
	}
	where, args := q.where()
	var memo *posList
	skip := pg.start
	if indexed {
		memo = st.pos.list(q)
		if m, found := memo.at(pg.start); found {
			skip = pg.start - m.n
			op := " >= "
			if desc {
				op = " <= "
			}
			switch col {
			case "seq":
				where += " AND seq" + op + "?"
				args = append(args, m.at.seq)
			case "id":
				where += " AND id" + op + "?"
				args = append(args, m.at.key)
			default:
				where += " AND (" + col + ", id)" + op + "(?, ?)"
				args = append(args, m.at.key, m.at.id)
			}
		}
	}
	query := `SELECT seq, id, ` + col + `, body FROM leads WHERE ` + where + ` ORDER BY ` + q.orderBy()
	if !indexed {
		query = `SELECT seq, id, '', body FROM leads WHERE ` + where + ` ORDER BY ` + q.orderBy()
	}
	if q.flt == nil {
		query += ` LIMIT ? OFFSET ?`
		args = append(args, pg.limit+1, skip)
		skip = 0
	}
	rows, err := st.db.Query(query, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list leads: %w", err)
	}
	var data []json.RawMessage
	var first, next sortPos
	more := false
	for rows.Next() {
		var seq int64
		var id, value string // value: of the sort column
		var body []byte
		if err = rows.Scan(&seq, &id, &value, &body); err != nil {
			break
		}
		p := q.posOf(seq, id, value)
		if q.flt != nil {
			var l Lead
			if err = json.Unmarshal(body, &l); err != nil {
				break
			}
			if !q.flt.matchLead(&l) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
		}
		if len(data) == pg.limit {
			next, more = p, true
			break
		}
		if len(data) == 0 {
			first = p
		}
		data = append(data, body)
	}
	if err := errors.Join(err, rows.Err(), rows.Close()); err != nil {
		return nil, false, fmt.Errorf("list leads: %w", err)
	}
	if memo != nil {
		if len(data) > 0 {
			memo.remember(pg.start, first)
		}
		if more {
			memo.remember(pg.start+pg.limit, next)
		}
	}
	return data, more, nil
}

// sortedPageLocked reads a page of an ordering no index serves: SQLite sorts the seqs of
// the selection (not the bodies), then the page's bodies are read by seq.
func (st *store) sortedPageLocked(q *leadQuery, pg page) ([]json.RawMessage, bool, error) {
	where, args := q.where()
	rows, err := st.db.Query(`SELECT seq FROM leads WHERE `+where+` ORDER BY `+q.orderBy()+` LIMIT ? OFFSET ?`,
		append(args, pg.limit+1, pg.start)...)
	if err != nil {
		return nil, false, fmt.Errorf("list leads: %w", err)
	}
	var seqs []int64
	for rows.Next() {
		var s int64
		if err = rows.Scan(&s); err != nil {
			break
		}
		seqs = append(seqs, s)
	}
	if err := errors.Join(err, rows.Err(), rows.Close()); err != nil {
		return nil, false, fmt.Errorf("list leads: %w", err)
	}
	more := len(seqs) > pg.limit
	if more {
		seqs = seqs[:pg.limit]
	}
	bodies, err := st.bodiesBySeqLocked(seqs)
	if err != nil {
		return nil, false, err
	}
	return bodies, more, nil
}

// bodiesBySeqLocked reads the stored JSON of the leads with the given seqs, in that order.
func (st *store) bodiesBySeqLocked(seqs []int64) ([]json.RawMessage, error) {
	if len(seqs) == 0 {
		return nil, nil
	}
	args := make([]any, len(seqs))
	for i, s := range seqs {
		args[i] = s
	}
	rows, err := st.db.Query(`SELECT seq, body FROM leads WHERE seq IN (?`+strings.Repeat(", ?", len(seqs)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read leads: %w", err)
	}
	bySeq := make(map[int64]json.RawMessage, len(seqs))
	for rows.Next() {
		var s int64
		var body []byte
		if err = rows.Scan(&s, &body); err != nil {
			break
		}
		bySeq[s] = body
	}
	if err := errors.Join(err, rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("read leads: %w", err)
	}
	out := make([]json.RawMessage, 0, len(seqs))
	for _, s := range seqs {
		if b, found := bySeq[s]; found {
			out = append(out, b)
		}
	}
	return out, nil
}
