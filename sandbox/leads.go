package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pdbulk/pdbulk/spec"
)

// Money is a lead's value: an amount in a 3-letter currency.
type Money struct {
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
}

// Lead is a lead as the sandbox stores and answers it: its JSON is the seed's lead object,
// key for key, with the four keys Pipedrive's current document adds (origin, origin_id,
// channel, channel_id). Times are UTC in Pipedrive's form, like 2026-03-01T12:00:00.000Z.
type Lead struct {
	ID                string   `json:"id"`
	Title             string   `json:"title"`
	Value             *Money   `json:"value"`
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
	Origin            string   `json:"origin"`     // how the lead was created: "API" through the API
	OriginID          *string  `json:"origin_id"`  // set on create only; null when not sent
	Channel           *int     `json:"channel"`    // a Marketing channel id (see marketingChannels)
	ChannelID         *string  `json:"channel_id"` // null when not sent
	UpdateTime        string   `json:"update_time"`
	OrganizationID    *int     `json:"organization_id"`
	NextActivityID    *int     `json:"next_activity_id"`
	ExpectedCloseDate *string  `json:"expected_close_date"`
	seq               int64    // insertion order: the rowid of the lead table
}

var visibleToValues = []string{"1", "3", "5", "7"}

// leadInput is a validated create or update body; nil pointers are fields not sent.
type leadInput struct {
	title      *string
	value      **Money
	ownerID    *int
	labelIDs   *[]string
	personID   **int
	orgID      **int
	visibleTo  *string
	closeDate  **string
	wasSeen    *bool
	isArchived *bool
	originID   **string
	channel    **int
	channelID  **string
}

func parseLeadInput(m map[string]json.RawMessage, create bool, dir *directory) (leadInput, string) {
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
		var v *Money
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
				v = &Money{Amount: a, Currency: strings.ToUpper(cur)}
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
			_, okP := dir.person(n)
			_, okO := dir.org(n)
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
	} else {
		in.originID = f.nullableStr("origin_id")
	}
	in.channelID = f.nullableStr("channel_id")
	if n, present, null := f.integer("channel"); present {
		var p *int
		if !null {
			if !slices.Contains(marketingChannels, n) {
				f.fail("channel %d is not one of the company's Marketing channels", n)
			}
			p = &n
		}
		in.channel = &p
	}
	return in, f.err()
}

// apply writes the input over l; it reports a problem the whole lead has afterwards.
func (in leadInput) apply(l *Lead) string {
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
	if in.originID != nil {
		l.OriginID = *in.originID
	}
	if in.channel != nil {
		l.Channel = *in.channel
	}
	if in.channelID != nil {
		l.ChannelID = *in.channelID
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
	in, msg := parseLeadInput(m, true, s.store.dir)
	if msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	st := s.store
	t := st.now().Format(leadTimeLayout)
	id := newUUID()
	l := &Lead{
		ID: id, OwnerID: 1, CreatorID: 1, LabelIDs: []string{}, VisibleTo: "3", SourceName: "API",
		Origin: "API", AddTime: t, UpdateTime: t, CCEmail: "sandbox+lead" + id[:8] + "@pipedrivemail.com",
	}
	if msg := in.apply(l); msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	st.mu.Lock()
	if msg := st.missingLabelLocked(l.LabelIDs); msg != "" {
		st.mu.Unlock()
		badRequest(w, "%s", msg)
		return
	}
	body, err := st.saveLeadLocked(nil, l)
	st.mu.Unlock()
	if err != nil {
		internalError(w, s, "add lead", err)
		return
	}
	writeData(w, http.StatusCreated, body)
}

func (s *Server) getLead(w http.ResponseWriter, id string) {
	l, found, err := s.store.lead(id)
	switch {
	case err != nil:
		internalError(w, s, "get lead", err)
	case !found:
		notFound(w, "lead")
	default:
		ok(w, &l)
	}
}

func (s *Server) updateLead(w http.ResponseWriter, r *http.Request, id string) {
	if _, found, err := s.store.lead(id); err != nil || !found {
		if err != nil {
			internalError(w, s, "update lead", err)
		} else {
			notFound(w, "lead")
		}
		return
	}
	m, okBody := readJSONObject(w, r)
	if !okBody {
		return
	}
	in, msg := parseLeadInput(m, false, s.store.dir)
	if msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	st := s.store
	st.mu.Lock()
	cur, found, err := st.leadLocked(id)
	if err != nil || !found {
		st.mu.Unlock()
		if err != nil {
			internalError(w, s, "update lead", err)
		} else {
			notFound(w, "lead")
		}
		return
	}
	l := cur
	msg = in.apply(&l)
	if msg == "" {
		msg = st.missingLabelLocked(l.LabelIDs)
	}
	if msg != "" {
		st.mu.Unlock()
		badRequest(w, "%s", msg)
		return
	}
	l.UpdateTime = st.now().Format(leadTimeLayout)
	body, err := st.saveLeadLocked(&cur, &l)
	st.mu.Unlock()
	if err != nil {
		internalError(w, s, "update lead", err)
		return
	}
	writeData(w, http.StatusOK, body)
}

func (s *Server) deleteLead(w http.ResponseWriter, id string) {
	st := s.store
	st.mu.Lock()
	l, found, err := st.leadLocked(id)
	if err == nil && found {
		err = st.deleteLeadLocked(&l)
	}
	st.mu.Unlock()
	switch {
	case err != nil:
		internalError(w, s, "delete lead", err)
	case !found:
		notFound(w, "lead")
	default:
		ok(w, map[string]any{"id": id})
	}
}

func (s *Server) getLeadUsers(w http.ResponseWriter, id string) {
	l, found, err := s.store.lead(id)
	if err != nil {
		internalError(w, s, "get lead users", err)
		return
	}
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

// listLeads answers GET /leads and /leads/archived a page at a time from the lead
// table's indexes (leadpage.go): never more than a page of leads in memory.
func (s *Server) listLeads(w http.ResponseWriter, r *http.Request, archived bool, maxLimit int) {
	q := r.URL.Query()
	pg, err := parsePage(q, maxLimit)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	lq := leadQuery{archived: archived}
	for k, dst := range map[string]*int{"owner_id": &lq.owner, "person_id": &lq.person, "organization_id": &lq.org} {
		n, _, err := parseIDParam(q, k)
		if err != nil {
			badRequest(w, "%v", err)
			return
		}
		*dst = n
	}
	if v := first(q, "updated_since"); v != "" && !archived {
		since, err := time.Parse(time.RFC3339, v)
		if err != nil {
			badRequest(w, "updated_since must be an RFC 3339 time, like 2025-01-01T10:20:00Z")
			return
		}
		lq.since = sinceKey(since)
	}
	if lq.keys, err = parseSort(first(q, "sort"), leadSortFields); err != nil {
		badRequest(w, "%v", err)
		return
	}
	st := s.store
	if fid, present, err := parseIDParam(q, "filter_id"); err != nil || present {
		st.mu.RLock()
		f, found := st.filters[fid]
		st.mu.RUnlock()
		if err != nil || !found || !f.ActiveFlag || f.Type != "leads" {
			badRequest(w, "filter_id must name an existing filter of type leads")
			return
		}
		lq.flt = f // filters are replaced on update, never changed in place
	}
	data, more, err := st.leadPage(&lq, pg)
	if err != nil {
		internalError(w, s, "list leads", err)
		return
	}
	if data == nil {
		data = []json.RawMessage{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"success": true, "data": data,
		"additional_data": map[string]any{"start": pg.start, "limit": pg.limit, "more_items_in_collection": more},
	})
}

// sinceKey turns an updated_since time into the stored form of update_time that a lead
// must reach: times are stored to the millisecond, so a finer one rounds up.
func sinceKey(t time.Time) string {
	t = t.UTC()
	if r := t.Truncate(time.Millisecond); !r.Equal(t) {
		t = r.Add(time.Millisecond)
	}
	return t.Format(leadTimeLayout)
}
