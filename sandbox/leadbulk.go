package sandbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// LeadSeed is one lead for InsertLeads. Zero values take the defaults of a lead created
// through the API, as documented per field.
type LeadSeed struct {
	Title             string    // required
	Value             *Money    // nil = no value; the currency is a 3-letter code
	OwnerID           int       // a fixture user 1–5 (5 is deactivated, as after someone left); 0 = 1
	PersonID          int       // a fixture person 1–20; 0 = none
	OrganizationID    int       // a fixture organization 1–10; 0 = none (one of the two is required)
	LabelIDs          []string  // ids of existing lead labels (see LeadLabelIDs)
	VisibleTo         string    // "1", "3", "5" or "7"; "" = "3"
	ExpectedCloseDate string    // YYYY-MM-DD; "" = none
	WasSeen           bool      // the owner has opened it
	Archived          bool      // stored as an archived lead
	SourceName        string    // "" = "API"
	AddTime           time.Time // zero = the sandbox's clock (Options.Emulation.Now)
	UpdateTime        time.Time // zero = AddTime
}

// Bulk loads of at least bulkRebuildMin leads, and at least as many as the table holds
// already, drop the lead indexes and build them again at the end: sorting once is several
// times faster than a million inserts at random places in five indexes.
const (
	bulkBatch      = 10_000
	bulkRebuildMin = 10_000
)

// InsertLeads stores n leads, gen(0) to gen(n-1), straight into the sandbox's store, as
// if they had been created through the API in that order (each gets a new id and the next
// place in insertion order), for tests and benchmarks that need many leads fast: a million
// take well under a minute. Leads are written in transactions of 10,000; a lead that the
// API would refuse (see LeadSeed) stops the load with an error. The store is locked for
// the whole load: requests wait until InsertLeads returns. On an error or a cancelled ctx,
// the batches committed before stay stored. gen is called in order, once per lead.
func (s *Server) InsertLeads(ctx context.Context, n int, gen func(i int) LeadSeed) error {
	if err := s.store.insertLeads(ctx, n, gen); err != nil {
		return fmt.Errorf("sandbox: insert leads: %w", err)
	}
	return nil
}

func (st *store) insertLeads(ctx context.Context, n int, gen func(i int) LeadSeed) (err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	defer st.pos.reset()
	var held int
	if err := st.db.QueryRow(`SELECT COUNT(*) FROM leads`).Scan(&held); err != nil {
		return err
	}
	if n >= bulkRebuildMin && n >= held {
		for _, ix := range leadIndexes {
			if _, err := st.db.Exec(`DROP INDEX IF EXISTS ` + ix.name); err != nil {
				return errors.Join(err, st.createLeadIndexes(st.db))
			}
		}
		defer func() { err = errors.Join(err, st.createLeadIndexes(st.db)) }()
	}
	now := st.now()
	for start := 0; start < n; start += bulkBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := st.insertBatchLocked(start, min(start+bulkBatch, n), gen, now); err != nil {
			return err
		}
	}
	return nil
}

// bulkRows is how many leads one INSERT statement of a bulk load writes: fewer
// statements, less overhead per lead.
const bulkRows = 100

func insertLeadsSQL(rows int) string {
	row := "(?" + strings.Repeat(", ?", leadInsertArity-1) + ")"
	return `INSERT INTO leads (` + leadInsertColumns + `) VALUES ` + row + strings.Repeat(", "+row, rows-1)
}

func (st *store) insertBatchLocked(from, to int, gen func(i int) LeadSeed, now time.Time) error {
	tx, err := st.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit; Commit's error is the one reported
	full, err := tx.Prepare(insertLeadsSQL(bulkRows))
	if err != nil {
		return err
	}
	defer full.Close()
	seq := st.seq
	var args []any
	flush := func(last int) error {
		rows := len(args) / leadInsertArity
		var err error
		if rows == bulkRows {
			_, err = full.Exec(args...)
		} else {
			_, err = tx.Exec(insertLeadsSQL(rows), args...)
		}
		if err != nil {
			return fmt.Errorf("leads %d to %d: %w", last-rows+1, last, err)
		}
		args = args[:0]
		return nil
	}
	for i := from; i < to; i++ {
		seq++
		l, err := st.seedLeadLocked(gen(i), now)
		if err != nil {
			return fmt.Errorf("lead %d: %w", i, err)
		}
		l.seq = seq
		a, _, err := leadArgs(&l)
		if err != nil {
			return fmt.Errorf("lead %d: %w", i, err)
		}
		args = append(args, a...)
		if len(args) == bulkRows*leadInsertArity || i == to-1 {
			if err := flush(i); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	st.seq = seq
	return nil
}

// seedLeadLocked makes the stored lead of a seed, refusing what the API would refuse.
func (st *store) seedLeadLocked(sd LeadSeed, now time.Time) (Lead, error) {
	id := newUUID()
	l := Lead{
		ID: id, Title: sd.Title, Value: sd.Value, OwnerID: sd.OwnerID, CreatorID: 1,
		LabelIDs: sd.LabelIDs, VisibleTo: sd.VisibleTo, SourceName: sd.SourceName,
		WasSeen: sd.WasSeen, IsArchived: sd.Archived, Origin: "API",
		CCEmail: "sandbox+lead" + id[:8] + "@pipedrivemail.com",
	}
	var problems []string
	if strings.TrimSpace(l.Title) == "" {
		problems = append(problems, "title is required")
	}
	if l.OwnerID == 0 {
		l.OwnerID = 1
	}
	if _, found := findUser(l.OwnerID); !found {
		problems = append(problems, fmt.Sprintf("owner_id %d is not a user", l.OwnerID))
	}
	if l.Value != nil && len(l.Value.Currency) != 3 {
		problems = append(problems, "value.currency must be a 3-letter currency code")
	}
	if sd.PersonID != 0 {
		if _, found := st.dir.person(sd.PersonID); !found {
			problems = append(problems, fmt.Sprintf("person_id %d does not exist", sd.PersonID))
		}
		l.PersonID = &sd.PersonID
	}
	if sd.OrganizationID != 0 {
		if _, found := st.dir.org(sd.OrganizationID); !found {
			problems = append(problems, fmt.Sprintf("organization_id %d does not exist", sd.OrganizationID))
		}
		l.OrganizationID = &sd.OrganizationID
	}
	if l.PersonID == nil && l.OrganizationID == nil {
		problems = append(problems, "a lead must be linked to a person or an organization")
	}
	if l.LabelIDs == nil {
		l.LabelIDs = []string{}
	}
	if msg := st.missingLabelLocked(l.LabelIDs); msg != "" {
		problems = append(problems, msg)
	}
	if l.VisibleTo == "" {
		l.VisibleTo = "3"
	} else if !slices.Contains(visibleToValues, l.VisibleTo) {
		problems = append(problems, "visible_to must be one of 1, 3, 5, 7")
	}
	if d := sd.ExpectedCloseDate; d != "" {
		if !validDate(d) {
			problems = append(problems, "expected_close_date must be a date in YYYY-MM-DD format")
		}
		l.ExpectedCloseDate = &d
	}
	if l.SourceName == "" {
		l.SourceName = "API"
	}
	add, upd := sd.AddTime, sd.UpdateTime
	if add.IsZero() {
		add = now
	}
	if upd.IsZero() {
		upd = add
	}
	l.AddTime, l.UpdateTime = add.UTC().Format(leadTimeLayout), upd.UTC().Format(leadTimeLayout)
	if len(problems) > 0 {
		return Lead{}, errors.New(strings.Join(problems, "; "))
	}
	return l, nil
}

// LeadLabelIDs returns the ids of the sandbox's lead labels, oldest first (the three a
// new company starts with come first).
func (s *Server) LeadLabelIDs() []string {
	st := s.store
	st.mu.RLock()
	list := make([]*label, 0, len(st.labels))
	for _, l := range st.labels {
		list = append(list, l)
	}
	st.mu.RUnlock()
	slices.SortFunc(list, func(a, b *label) int { return int(a.seq - b.seq) })
	ids := make([]string, len(list))
	for i, l := range list {
		ids[i] = l.ID
	}
	return ids
}

// eachLeadChunk is how many leads EachLead reads per query.
const eachLeadChunk = 1000

// EachLead calls fn with every lead the sandbox holds, active and archived, in insertion
// order, reading a thousand at a time, so memory does not grow with the number of leads.
// The store is not locked while fn runs, so fn may call the server. The walk is not a
// snapshot: a lead written while it runs is seen as it is when the walk reaches it (or not
// at all if deleted before); no lead is seen twice. A non-nil error from fn stops the walk
// and is returned as is; a cancelled ctx stops it with ctx's error.
func (s *Server) EachLead(ctx context.Context, fn func(l Lead) error) error {
	st := s.store
	var after int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk, err := st.leadsAfter(after, eachLeadChunk)
		if err != nil {
			return fmt.Errorf("sandbox: each lead: %w", err)
		}
		for _, l := range chunk {
			if err := fn(l); err != nil {
				return err
			}
			after = l.seq
		}
		if len(chunk) < eachLeadChunk {
			return nil
		}
	}
}

// leadsAfter reads up to n leads with seq > after, in insertion order.
func (st *store) leadsAfter(after int64, n int) ([]Lead, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	rows, err := st.db.Query(`SELECT seq, body FROM leads WHERE seq > ? ORDER BY seq LIMIT ?`, after, n)
	if err != nil {
		return nil, err
	}
	return scanLeads(rows)
}

// scanLeads reads every (seq, body) row of rows as a Lead and closes rows.
func scanLeads(rows *sql.Rows) ([]Lead, error) {
	var out []Lead
	var err error
	for rows.Next() {
		var l Lead
		var body []byte
		if err = rows.Scan(&l.seq, &body); err != nil {
			break
		}
		if err = json.Unmarshal(body, &l); err != nil {
			break
		}
		out = append(out, l)
	}
	return out, errors.Join(err, rows.Err(), rows.Close())
}
