package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pdbulk/pdbulk/spec"
)

type money struct {
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
}

// lead is stored and answered as is: its JSON is the seed's lead object, key for key.
type lead struct {
	ID                string   `json:"id"`
	Title             string   `json:"title"`
	Value             *money   `json:"value"`
	AddTime           string   `json:"add_time"`
	CCEmail           string   `json:"cc_email"`
	OwnerID           int      `json:"owner_id"`
	WasSeen           bool     `json:"was_seen"`
	LabelIDs          []string `json:"label_ids"`
	PersonID          *int     `json:"person_id"`
	CreatorID         int      `json:"creator_id"`
	VisibleTo         string   `json:"visible_to"`
	IsArchived        bool     `json:"is_archived"`
	SourceName        string   `json:"source_name"`
	UpdateTime        string   `json:"update_time"`
	OrganizationID    *int     `json:"organization_id"`
	NextActivityID    *int     `json:"next_activity_id"`
	ExpectedCloseDate *string  `json:"expected_close_date"`
	seq               int64
}

var visibleToValues = []string{"1", "3", "5", "7"}

// leadInput is a validated create or update body; nil pointers are fields not sent.
type leadInput struct {
	title      *string
	value      **money
	ownerID    *int
	labelIDs   *[]string
	personID   **int
	orgID      **int
	visibleTo  *string
	closeDate  **string
	wasSeen    *bool
	isArchived *bool
}

func parseLeadInput(m map[string]json.RawMessage, create bool) (leadInput, string) {
	f := &fields{m: m}
	var in leadInput
	if t, present, null := f.str("title"); present {
		if null || strings.TrimSpace(t) == "" {
			f.fail("title must be a non-empty string")
		} else {
			in.title = &t
		}
	} else if create {
		f.fail("title is required")
	}
	if vm, present, null := f.object("value"); present {
		var v *money
		if !null {
			vf := &fields{m: vm}
			amount, aok := vm["amount"]
			cur, cPresent, cNull := vf.str("currency")
			var a float64
			switch {
			case !aok || json.Unmarshal(amount, &a) != nil:
				f.fail("value.amount must be a number")
			case !cPresent || cNull || len(cur) != 3:
				f.fail("value.currency must be a 3-letter currency code")
			default:
				v = &money{Amount: a, Currency: strings.ToUpper(cur)}
			}
			f.errs = append(f.errs, vf.errs...)
		}
		in.value = &v
	}
	if n, present, null := f.integer("owner_id"); present {
		if null {
			f.fail("owner_id must be an integer")
		} else if u, ok := findUser(n); !ok || !u.Active {
			f.fail("owner_id %d is not an active user", n)
		} else {
			in.ownerID = &n
		}
	}
	for _, k := range []string{"person_id", "organization_id"} {
		n, present, null := f.integer(k)
		if !present {
			continue
		}
		var p *int
		if !null {
			_, okP := findPerson(n)
			_, okO := findOrg(n)
			if (k == "person_id" && !okP) || (k == "organization_id" && !okO) {
				f.fail("%s %d does not exist", k, n)
			}
			p = &n
		}
		if k == "person_id" {
			in.personID = &p
		} else {
			in.orgID = &p
		}
	}
	if raw, present, null := f.raw("label_ids"); present {
		var ids []string
		if null || json.Unmarshal(raw, &ids) != nil {
			f.fail("label_ids must be an array of UUID strings")
		} else {
			for _, id := range ids {
				if !spec.IsUUID(id) {
					f.fail("label_ids: %q is not a UUID", id)
				}
			}
			if ids == nil {
				ids = []string{}
			}
			in.labelIDs = &ids
		}
	}
	if v, present, null := f.str("visible_to"); present {
		if null || !slices.Contains(visibleToValues, v) {
			f.fail("visible_to must be one of 1, 3, 5, 7")
		} else {
			in.visibleTo = &v
		}
	}
	if d, present, null := f.str("expected_close_date"); present {
		var p *string
		if !null {
			if !validDate(d) {
				f.fail("expected_close_date must be a date in YYYY-MM-DD format")
			}
			p = &d
		}
		in.closeDate = &p
	}
	if b, present := f.boolean("was_seen"); present {
		in.wasSeen = &b
	}
	if !create {
		if b, present := f.boolean("is_archived"); present {
			in.isArchived = &b
		}
	}
	return in, f.err()
}

// apply writes the input over l; it reports a problem the whole lead has afterwards.
func (in leadInput) apply(l *lead) string {
	if in.title != nil {
		l.Title = *in.title
	}
	if in.value != nil {
		l.Value = *in.value
	}
	if in.ownerID != nil {
		l.OwnerID = *in.ownerID
	}
	if in.labelIDs != nil {
		l.LabelIDs = *in.labelIDs
	}
	if in.personID != nil {
		l.PersonID = *in.personID
	}
	if in.orgID != nil {
		l.OrganizationID = *in.orgID
	}
	if in.visibleTo != nil {
		l.VisibleTo = *in.visibleTo
	}
	if in.closeDate != nil {
		l.ExpectedCloseDate = *in.closeDate
	}
	if in.wasSeen != nil {
		l.WasSeen = *in.wasSeen
	}
	if in.isArchived != nil {
		l.IsArchived = *in.isArchived
	}
	if l.PersonID == nil && l.OrganizationID == nil {
		return "a lead must be linked to a person or an organization"
	}
	return ""
}

func (st *store) missingLabelLocked(ids []string) string {
	for _, id := range ids {
		if _, ok := st.labels[id]; !ok {
			return fmt.Sprintf("label_ids: lead label %s does not exist", id)
		}
	}
	return ""
}

func (s *Server) addLead(w http.ResponseWriter, r *http.Request) {
	m, okBody := readJSONObject(w, r)
	if !okBody {
		return
	}
	in, msg := parseLeadInput(m, true)
	if msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	t := now().Format(leadTimeLayout)
	id := newUUID()
	l := &lead{
		ID: id, OwnerID: 1, CreatorID: 1, LabelIDs: []string{}, VisibleTo: "3", SourceName: "API",
		AddTime: t, UpdateTime: t, CCEmail: "sandbox+lead" + id[:8] + "@pipedrivemail.com",
	}
	if msg := in.apply(l); msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	st := s.store
	st.mu.Lock()
	if msg := st.missingLabelLocked(l.LabelIDs); msg != "" {
		st.mu.Unlock()
		badRequest(w, "%s", msg)
		return
	}
	err := st.saveLocked(kindLead, l.ID, &l.seq, l)
	if err == nil {
		st.leads[l.ID] = l
	}
	st.mu.Unlock()
	if err != nil {
		internalError(w, s, "add lead", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"success": true, "data": l})
}

// leadCopy returns a copy of lead id safe to marshal outside the lock (slices are
// replaced, never modified in place).
func (st *store) leadCopy(id string) (lead, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	l, ok := st.leads[id]
	if !ok {
		return lead{}, false
	}
	return *l, true
}

func (s *Server) getLead(w http.ResponseWriter, id string) {
	l, found := s.store.leadCopy(id)
	if !found {
		notFound(w, "lead")
		return
	}
	ok(w, &l)
}

func (s *Server) updateLead(w http.ResponseWriter, r *http.Request, id string) {
	if _, found := s.store.leadCopy(id); !found {
		notFound(w, "lead")
		return
	}
	m, okBody := readJSONObject(w, r)
	if !okBody {
		return
	}
	in, msg := parseLeadInput(m, false)
	if msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	st := s.store
	st.mu.Lock()
	cur, found := st.leads[id]
	if !found {
		st.mu.Unlock()
		notFound(w, "lead")
		return
	}
	l := *cur
	msg = in.apply(&l)
	if msg == "" {
		msg = st.missingLabelLocked(l.LabelIDs)
	}
	if msg != "" {
		st.mu.Unlock()
		badRequest(w, "%s", msg)
		return
	}
	l.UpdateTime = now().Format(leadTimeLayout)
	err := st.saveLocked(kindLead, id, &l.seq, &l)
	if err == nil {
		st.leads[id] = &l
	}
	st.mu.Unlock()
	if err != nil {
		internalError(w, s, "update lead", err)
		return
	}
	ok(w, &l)
}

func (s *Server) deleteLead(w http.ResponseWriter, id string) {
	st := s.store
	st.mu.Lock()
	_, found := st.leads[id]
	var err error
	if found {
		if err = st.deleteLocked(kindLead, id); err == nil {
			delete(st.leads, id)
		}
	}
	st.mu.Unlock()
	switch {
	case !found:
		notFound(w, "lead")
	case err != nil:
		internalError(w, s, "delete lead", err)
	default:
		ok(w, map[string]any{"id": id})
	}
}

func (s *Server) getLeadUsers(w http.ResponseWriter, id string) {
	l, found := s.store.leadCopy(id)
	if !found {
		notFound(w, "lead")
		return
	}
	ids := []int{}
	for _, u := range users {
		if u.Active && (u.Admin || u.ID == l.OwnerID || l.VisibleTo != "1") {
			ids = append(ids, u.ID)
		}
	}
	ok(w, ids)
}

var leadSortFields = []string{"id", "title", "owner_id", "creator_id", "was_seen", "expected_close_date", "next_activity_id", "add_time", "update_time"}

type sortKey struct {
	field string
	desc  bool
}

// parseSort reads "field ASC, other DESC" against the allowed fields.
func parseSort(v string, allowed []string) ([]sortKey, error) {
	var keys []sortKey
	if v == "" {
		return nil, nil
	}
	for _, part := range strings.Split(v, ",") {
		words := strings.Fields(part)
		if len(words) == 0 || len(words) > 2 || !slices.Contains(allowed, words[0]) {
			return nil, fmt.Errorf("sort: %q is not a sortable field (allowed: %s)", strings.TrimSpace(part), strings.Join(allowed, ", "))
		}
		k := sortKey{field: words[0]}
		if len(words) == 2 {
			switch strings.ToUpper(words[1]) {
			case "ASC":
			case "DESC":
				k.desc = true
			default:
				return nil, fmt.Errorf("sort: direction must be ASC or DESC, not %q", words[1])
			}
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func compareLeadField(a, b *lead, field string) int {
	ip := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	sp := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	bi := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	switch field {
	case "id":
		return strings.Compare(a.ID, b.ID)
	case "title":
		return strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title))
	case "owner_id":
		return a.OwnerID - b.OwnerID
	case "creator_id":
		return a.CreatorID - b.CreatorID
	case "was_seen":
		return bi(a.WasSeen) - bi(b.WasSeen)
	case "expected_close_date":
		return strings.Compare(sp(a.ExpectedCloseDate), sp(b.ExpectedCloseDate))
	case "next_activity_id":
		return ip(a.NextActivityID) - ip(b.NextActivityID)
	case "add_time":
		return strings.Compare(a.AddTime, b.AddTime)
	case "update_time":
		return strings.Compare(a.UpdateTime, b.UpdateTime)
	}
	return 0
}

func (s *Server) listLeads(w http.ResponseWriter, r *http.Request, archived bool, maxLimit int) {
	q := r.URL.Query()
	pg, err := parsePage(q, maxLimit)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	var want struct{ owner, person, org int }
	for k, dst := range map[string]*int{"owner_id": &want.owner, "person_id": &want.person, "organization_id": &want.org} {
		n, _, err := parseIDParam(q, k)
		if err != nil {
			badRequest(w, "%v", err)
			return
		}
		*dst = n
	}
	var since time.Time
	if v := first(q, "updated_since"); v != "" && !archived {
		if since, err = time.Parse(time.RFC3339, v); err != nil {
			badRequest(w, "updated_since must be an RFC 3339 time, like 2025-01-01T10:20:00Z")
			return
		}
	}
	keys, err := parseSort(first(q, "sort"), leadSortFields)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	st := s.store
	st.mu.RLock()
	var flt *filter
	if fid, present, err := parseIDParam(q, "filter_id"); err != nil || present {
		f, found := st.filters[fid]
		if err != nil || !found || !f.ActiveFlag || f.Type != "leads" {
			st.mu.RUnlock()
			badRequest(w, "filter_id must name an existing filter of type leads")
			return
		}
		flt = f
	}
	var list []*lead
	for _, l := range st.leads {
		if l.IsArchived != archived ||
			(want.owner != 0 && l.OwnerID != want.owner) ||
			(want.person != 0 && (l.PersonID == nil || *l.PersonID != want.person)) ||
			(want.org != 0 && (l.OrganizationID == nil || *l.OrganizationID != want.org)) {
			continue
		}
		if !since.IsZero() {
			if ut, err := time.Parse(time.RFC3339, l.UpdateTime); err == nil && ut.Before(since) {
				continue
			}
		}
		if flt != nil && !flt.matchLead(l) {
			continue
		}
		c := *l
		list = append(list, &c)
	}
	st.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool {
		for _, k := range keys {
			if c := compareLeadField(list[i], list[j], k.field); c != 0 {
				return (c < 0) != k.desc
			}
		}
		return list[i].seq < list[j].seq
	})
	lo, hi, more := pg.window(len(list))
	data := list[lo:hi]
	if data == nil {
		data = []*lead{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"success": true, "data": data,
		"additional_data": map[string]any{"start": pg.start, "limit": pg.limit, "more_items_in_collection": more},
	})
}
