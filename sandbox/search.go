package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Relevance of a match, as result_score: a whole-value match beats a prefix, which beats
// the start of a later word, which beats a substring.
const (
	scoreExact     = 1.0
	scorePrefix    = 0.8
	scoreWordStart = 0.6
	scoreSubstring = 0.4
)

func matchScore(term, value string, exact bool) float64 {
	v := strings.ToLower(strings.TrimSpace(value))
	switch {
	case v == "":
		return 0
	case v == term:
		return scoreExact
	case exact:
		return 0
	case strings.HasPrefix(v, term):
		return scorePrefix
	}
	for _, w := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '@' || r == '.' || r == '-' || r == ',' }) {
		if strings.HasPrefix(w, term) {
			return scoreWordStart
		}
	}
	if strings.Contains(v, term) {
		return scoreSubstring
	}
	return 0
}

// searchTerm validates term: at least 2 characters, or 1 with exact_match.
func searchTerm(w http.ResponseWriter, q map[string][]string) (term string, exact, ok bool) {
	if v := first(q, "exact_match"); v != "" {
		b, err := parseBoolParam(v)
		if err != nil {
			badRequest(w, "exact_match must be a boolean")
			return "", false, false
		}
		exact = b
	}
	term = strings.ToLower(first(q, "term"))
	minLen := 2
	if exact {
		minLen = 1
	}
	if utf8.RuneCountInString(term) < minLen {
		badRequest(w, "term is required and must be at least %d characters long", minLen)
		return "", false, false
	}
	return term, exact, true
}

// listParam reads a comma-separated list whose values must all be in allowed.
func listParam(w http.ResponseWriter, q map[string][]string, k string, allowed []string) ([]string, bool) {
	v := first(q, k)
	if v == "" {
		return nil, true
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(allowed, p) {
			badRequest(w, "%s: %q is not one of %s", k, p, strings.Join(allowed, ", "))
			return nil, false
		}
		out = append(out, p)
	}
	return out, true
}

type hit struct {
	score float64
	order int // item type order, then id, for a stable result
	key   string
	item  any
	lead  int64 // seq of a lead hit, whose item is built once it is on the page
}

// topHits keeps the best k hits in sortHits order, k = start+limit+1: enough to answer a
// page and tell whether more follow. A search over a million leads holds that many hits,
// never every match.
type topHits struct {
	k    int
	hits []hit
}

func newTopHits(pg page) *topHits { return &topHits{k: pg.start + pg.limit + 1} }

func (t *topHits) add(h hit) {
	t.hits = append(t.hits, h)
	if len(t.hits) >= 2*t.k+64 {
		sortHits(t.hits)
		t.hits = t.hits[:t.k]
	}
}

// page returns the page's hits and whether more follow.
func (t *topHits) page(pg page) ([]hit, bool) {
	sortHits(t.hits)
	lo, hi, more := pg.window(len(t.hits))
	return t.hits[lo:hi], more
}

// leadScore is bestScore for a lead, whose only searchable field here is its title.
func leadScore(term string, exact bool, fieldsWanted []string, title string) float64 {
	if len(fieldsWanted) > 0 && !slices.Contains(fieldsWanted, "title") {
		return 0
	}
	return matchScore(term, title, exact)
}

// leadHitsLocked scans every lead's title and adds the matches that keep (nil = all) to
// top. st.mu must be held.
func (st *store) leadHitsLocked(top *topHits, term string, exact bool, flds []string, order int, keep func(l *Lead) bool) error {
	return st.eachLeadTitleLocked(func(l *Lead) error {
		if keep != nil && !keep(l) {
			return nil
		}
		if sc := leadScore(term, exact, flds, l.Title); sc > 0 {
			top.add(hit{score: sc, order: order, key: l.ID, lead: l.seq})
		}
		return nil
	})
}

// fillLeadItemsLocked builds the items of the lead hits on a page. st.mu must be held.
func (st *store) fillLeadItemsLocked(hits []hit, wasSeen bool) error {
	var seqs []int64
	for _, h := range hits {
		if h.lead != 0 {
			seqs = append(seqs, h.lead)
		}
	}
	leads, err := st.leadsBySeqLocked(seqs)
	if err != nil {
		return err
	}
	byID := make(map[string]*Lead, len(leads))
	for i := range leads {
		byID[leads[i].ID] = &leads[i]
	}
	for i, h := range hits {
		if h.lead != 0 {
			hits[i].item = st.dir.leadItem(byID[h.key], wasSeen)
		}
	}
	return nil
}

func sortHits(h []hit) {
	sort.Slice(h, func(i, j int) bool {
		if h[i].score != h[j].score {
			return h[i].score > h[j].score
		}
		if h[i].order != h[j].order {
			return h[i].order < h[j].order
		}
		return h[i].key < h[j].key
	})
}

func bestScore(term string, exact bool, fieldsWanted []string, values map[string][]string) float64 {
	best := 0.0
	for f, vs := range values {
		if len(fieldsWanted) > 0 && !slices.Contains(fieldsWanted, f) {
			continue
		}
		for _, v := range vs {
			best = max(best, matchScore(term, v, exact))
		}
	}
	return best
}

func (d *directory) personItem(p person) map[string]any {
	o, _ := d.org(p.OrgID)
	return map[string]any{
		"id": p.ID, "type": "person", "name": p.Name, "phones": []string{p.Phone}, "emails": []string{p.Email},
		"visible_to": 3, "owner": map[string]any{"id": 1}, "organization": map[string]any{"id": o.ID, "name": o.Name, "address": o.Address},
		"custom_fields": []string{}, "notes": []string{},
	}
}

func orgItem(o org) map[string]any {
	return map[string]any{
		"id": o.ID, "type": "organization", "name": o.Name, "address": o.Address, "visible_to": 3,
		"owner": map[string]any{"id": 1}, "custom_fields": []string{}, "notes": []string{},
	}
}

func (d *directory) leadItem(l *Lead, wasSeen bool) map[string]any {
	item := map[string]any{
		"id": l.ID, "type": "lead", "title": l.Title, "owner": map[string]any{"id": l.OwnerID},
		"person": nil, "organization": nil, "phones": []string{}, "emails": []string{},
		"custom_fields": []string{}, "notes": []string{}, "value": nil, "currency": nil,
		"visible_to": map[string]int{"1": 1, "3": 3, "5": 5, "7": 7}[l.VisibleTo], "is_archived": l.IsArchived,
	}
	if l.PersonID != nil {
		if p, ok := d.person(*l.PersonID); ok {
			item["person"] = map[string]any{"id": p.ID, "name": p.Name}
			item["phones"], item["emails"] = []string{p.Phone}, []string{p.Email}
		}
	}
	if l.OrganizationID != nil {
		if o, ok := d.org(*l.OrganizationID); ok {
			item["organization"] = map[string]any{"id": o.ID, "name": o.Name}
		}
	}
	if l.Value != nil {
		item["value"], item["currency"] = l.Value.Amount, l.Value.Currency
	}
	if wasSeen {
		item["was_seen"] = l.WasSeen
	}
	return item
}

var (
	searchItemTypes  = []string{"deal", "person", "organization", "product", "lead", "file", "mail_attachment", "project"}
	searchFields     = []string{"address", "code", "custom_fields", "email", "name", "notes", "phone", "title", "description"}
	leadSearchFields = []string{"custom_fields", "notes", "title"}
)

func (s *Server) searchItems(w http.ResponseWriter, r *http.Request, maxLimit int) {
	s.searchItemsPaged(w, r, maxLimit, parsePage, writeHits)
}

// searchItemsPaged answers an item search of API v1 or v2, which share every parameter and
// rule but the paging: parse reads the page asked for, write answers the hits.
func (s *Server) searchItemsPaged(w http.ResponseWriter, r *http.Request, maxLimit int,
	parse func(map[string][]string, int) (page, error), write func(http.ResponseWriter, []hit, bool, page, bool)) {
	q := r.URL.Query()
	term, exact, okTerm := searchTerm(w, q)
	if !okTerm {
		return
	}
	types, okT := listParam(w, q, "item_types", searchItemTypes)
	if !okT {
		return
	}
	flds, okF := listParam(w, q, "fields", searchFields)
	if !okF {
		return
	}
	if _, okI := listParam(w, q, "include_fields", []string{"deal.cc_email", "person.picture", "product.price"}); !okI {
		return
	}
	if v := first(q, "search_for_related_items"); v != "" {
		if _, err := parseBoolParam(v); err != nil {
			badRequest(w, "search_for_related_items must be a boolean")
			return
		}
	}
	pg, err := parse(q, maxLimit)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	hits, more, err := s.itemHits(pg, term, exact, types, flds)
	if err != nil {
		internalError(w, s, "search items", err)
		return
	}
	write(w, hits, more, pg, true)
}

// itemHits answers the page pg of an item search: persons, organizations and leads of
// types (nil = all) whose fields flds (nil = all) match term.
func (s *Server) itemHits(pg page, term string, exact bool, types, flds []string) ([]hit, bool, error) {
	wants := func(t string) bool { return len(types) == 0 || slices.Contains(types, t) }
	top := newTopHits(pg)
	st := s.store
	if wants("person") {
		st.dir.personHits(top, term, exact, flds, 0, 1)
	}
	if wants("organization") {
		st.dir.orgHits(top, term, exact, flds, 2)
	}
	var err error
	st.mu.RLock()
	defer st.mu.RUnlock()
	if wants("lead") {
		err = st.leadHitsLocked(top, term, exact, flds, 3, func(l *Lead) bool { return !s.searchLagging(l) })
	}
	hits, more := top.page(pg)
	if err == nil {
		err = st.fillLeadItemsLocked(hits, false)
	}
	return hits, more, err
}

// personHits adds to top the persons (of organization orgID; 0 = any) whose fields flds
// (nil = all of name, email, phone) match term.
func (d *directory) personHits(top *topHits, term string, exact bool, flds []string, orgID, order int) {
	for _, p := range d.people() {
		if orgID != 0 && p.OrgID != orgID {
			continue
		}
		if sc := bestScore(term, exact, flds, map[string][]string{"name": {p.Name}, "email": {p.Email}, "phone": {p.Phone}}); sc > 0 {
			top.add(hit{score: sc, order: order, key: pad(p.ID), item: d.personItem(p)})
		}
	}
}

// orgHits adds to top the organizations whose fields flds (nil = all of name, address)
// match term.
func (d *directory) orgHits(top *topHits, term string, exact bool, flds []string, order int) {
	for _, o := range d.companies() {
		if sc := bestScore(term, exact, flds, map[string][]string{"name": {o.Name}, "address": {o.Address}}); sc > 0 {
			top.add(hit{score: sc, order: order, key: pad(o.ID), item: orgItem(o)})
		}
	}
}

func pad(n int) string { return fmt.Sprintf("%010d", n) }

// writeHits answers a page of search hits.
func writeHits(w http.ResponseWriter, hits []hit, more bool, pg page, related bool) {
	items := make([]map[string]any, 0, len(hits))
	for _, h := range hits {
		items = append(items, map[string]any{"result_score": h.score, "item": h.item})
	}
	data := map[string]any{"items": items}
	if related {
		data["related_items"] = []any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"success": true, "data": data,
		"additional_data": map[string]any{"pagination": pg.pagination(more)},
	})
}

func (s *Server) searchLeads(w http.ResponseWriter, r *http.Request, maxLimit int) {
	s.searchLeadsPaged(w, r, maxLimit, parsePage, writeHits)
}

// searchLeadsPaged answers a lead search of API v1 or v2, which share every parameter and
// rule but the paging: parse reads the page asked for, write answers the hits.
func (s *Server) searchLeadsPaged(w http.ResponseWriter, r *http.Request, maxLimit int,
	parse func(map[string][]string, int) (page, error), write func(http.ResponseWriter, []hit, bool, page, bool)) {
	q := r.URL.Query()
	term, exact, okTerm := searchTerm(w, q)
	if !okTerm {
		return
	}
	flds, okF := listParam(w, q, "fields", leadSearchFields)
	if !okF {
		return
	}
	inc, okI := listParam(w, q, "include_fields", []string{"lead.was_seen"})
	if !okI {
		return
	}
	personID, _, err := parseIDParam(q, "person_id")
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	orgID, _, err := parseIDParam(q, "organization_id")
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	pg, err := parse(q, maxLimit)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	hits, more, err := s.leadSearchHits(pg, term, exact, flds, personID, orgID, len(inc) > 0)
	if err != nil {
		internalError(w, s, "search leads", err)
		return
	}
	write(w, hits, more, pg, false)
}

// leadSearchHits answers the page pg of a lead search: the leads (of person personID and
// organization orgID; 0 = any) whose title matches term.
func (s *Server) leadSearchHits(pg page, term string, exact bool, flds []string, personID, orgID int, wasSeen bool) ([]hit, bool, error) {
	top := newTopHits(pg)
	st := s.store
	st.mu.RLock()
	defer st.mu.RUnlock()
	err := st.leadHitsLocked(top, term, exact, flds, 0, func(l *Lead) bool {
		return (personID == 0 || (l.PersonID != nil && *l.PersonID == personID)) &&
			(orgID == 0 || (l.OrganizationID != nil && *l.OrganizationID == orgID)) && !s.searchLagging(l)
	})
	if err != nil {
		return nil, false, err
	}
	hits, more := top.page(pg)
	return hits, more, st.fillLeadItemsLocked(hits, wasSeen)
}

// errEnough stops a scan that has found what it needs.
var errEnough = errors.New("enough")

var fieldTypes = []string{"dealField", "leadField", "personField", "organizationField", "productField", "projectField"}

func (s *Server) searchByField(w http.ResponseWriter, r *http.Request, maxLimit int) {
	q := r.URL.Query()
	term, exact, okTerm := searchTerm(w, q)
	if !okTerm {
		return
	}
	ft := first(q, "field_type")
	if !slices.Contains(fieldTypes, ft) {
		badRequest(w, "field_type must be one of %s", strings.Join(fieldTypes, ", "))
		return
	}
	key := first(q, "field_key")
	if key == "" {
		badRequest(w, "field_key is required")
		return
	}
	withIDs := false
	if v := first(q, "return_item_ids"); v != "" {
		b, err := parseBoolParam(v)
		if err != nil {
			badRequest(w, "return_item_ids must be a boolean")
			return
		}
		withIDs = b
	}
	pg, err := parsePage(q, maxLimit)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	known := map[string][]string{"personField": {"name", "email", "phone"}, "organizationField": {"name", "address"}, "leadField": {"title"}}
	if ks, has := known[ft]; has && !slices.Contains(ks, key) {
		badRequest(w, "field_key %q is not a searchable %s (searchable: %s)", key, ft, strings.Join(ks, ", "))
		return
	}
	match := func(v string) bool {
		lv := strings.ToLower(v)
		if exact {
			return lv == term
		}
		return strings.Contains(lv, term)
	}
	// data collects the answer's values (once each unless ids are asked for) up to one
	// past the page: enough to tell whether more follow.
	data := []map[string]any{}
	seen := map[string]bool{}
	enough := func() bool { return len(data) > pg.start+pg.limit }
	add := func(id any, v string) {
		if !withIDs {
			if seen[v] {
				return
			}
			seen[v] = true
			id = nil
		}
		data = append(data, map[string]any{"id": id, key: v})
	}
	switch ft {
	case "personField":
		for _, p := range s.store.dir.people() {
			if v := map[string]string{"name": p.Name, "email": p.Email, "phone": p.Phone}[key]; match(v) && !enough() {
				add(p.ID, v)
			}
		}
	case "organizationField":
		for _, o := range s.store.dir.companies() {
			if v := map[string]string{"name": o.Name, "address": o.Address}[key]; match(v) && !enough() {
				add(o.ID, v)
			}
		}
	case "leadField":
		st := s.store
		st.mu.RLock()
		err := st.eachLeadTitleLocked(func(l *Lead) error {
			if match(l.Title) && !s.searchLagging(l) {
				add(l.ID, l.Title)
			}
			if enough() {
				return errEnough
			}
			return nil
		})
		st.mu.RUnlock()
		if err != nil && !errors.Is(err, errEnough) {
			internalError(w, s, "search by field", err)
			return
		}
	}
	lo, hi, more := pg.window(len(data))
	writeJSON(w, http.StatusOK, map[string]any{
		"success": true, "data": data[lo:hi],
		"additional_data": map[string]any{"pagination": pg.pagination(more)},
	})
}
