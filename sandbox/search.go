package sandbox

import (
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

func personItem(p person) map[string]any {
	o, _ := findOrg(p.OrgID)
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

func leadItem(l *lead, wasSeen bool) map[string]any {
	item := map[string]any{
		"id": l.ID, "type": "lead", "title": l.Title, "owner": map[string]any{"id": l.OwnerID},
		"person": nil, "organization": nil, "phones": []string{}, "emails": []string{},
		"custom_fields": []string{}, "notes": []string{}, "value": nil, "currency": nil,
		"visible_to": map[string]int{"1": 1, "3": 3, "5": 5, "7": 7}[l.VisibleTo], "is_archived": l.IsArchived,
	}
	if l.PersonID != nil {
		if p, ok := findPerson(*l.PersonID); ok {
			item["person"] = map[string]any{"id": p.ID, "name": p.Name}
			item["phones"], item["emails"] = []string{p.Phone}, []string{p.Email}
		}
	}
	if l.OrganizationID != nil {
		if o, ok := findOrg(*l.OrganizationID); ok {
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
	pg, err := parsePage(q, maxLimit)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	wants := func(t string) bool { return len(types) == 0 || slices.Contains(types, t) }
	var hits []hit
	if wants("person") {
		for _, p := range persons {
			if sc := bestScore(term, exact, flds, map[string][]string{"name": {p.Name}, "email": {p.Email}, "phone": {p.Phone}}); sc > 0 {
				hits = append(hits, hit{sc, 1, pad(p.ID), personItem(p)})
			}
		}
	}
	if wants("organization") {
		for _, o := range orgs {
			if sc := bestScore(term, exact, flds, map[string][]string{"name": {o.Name}, "address": {o.Address}}); sc > 0 {
				hits = append(hits, hit{sc, 2, pad(o.ID), orgItem(o)})
			}
		}
	}
	if wants("lead") {
		st := s.store
		st.mu.RLock()
		for _, l := range st.leads {
			if sc := bestScore(term, exact, flds, map[string][]string{"title": {l.Title}}); sc > 0 && !s.searchLagging(l) {
				hits = append(hits, hit{sc, 3, l.ID, leadItem(l, false)})
			}
		}
		st.mu.RUnlock()
	}
	writeHits(w, hits, pg, true)
}

func pad(n int) string { return fmt.Sprintf("%010d", n) }

func writeHits(w http.ResponseWriter, hits []hit, pg page, related bool) {
	sortHits(hits)
	lo, hi, more := pg.window(len(hits))
	items := make([]map[string]any, 0, hi-lo)
	for _, h := range hits[lo:hi] {
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
	pg, err := parsePage(q, maxLimit)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	var hits []hit
	st := s.store
	st.mu.RLock()
	for _, l := range st.leads {
		if (personID != 0 && (l.PersonID == nil || *l.PersonID != personID)) ||
			(orgID != 0 && (l.OrganizationID == nil || *l.OrganizationID != orgID)) || s.searchLagging(l) {
			continue
		}
		if sc := bestScore(term, exact, flds, map[string][]string{"title": {l.Title}}); sc > 0 {
			hits = append(hits, hit{sc, 0, l.ID, leadItem(l, len(inc) > 0)})
		}
	}
	st.mu.RUnlock()
	writeHits(w, hits, pg, false)
}

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
	type val struct {
		id    any
		value string
	}
	var vals []val
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
	switch ft {
	case "personField":
		for _, p := range persons {
			v := map[string]string{"name": p.Name, "email": p.Email, "phone": p.Phone}[key]
			if match(v) {
				vals = append(vals, val{p.ID, v})
			}
		}
	case "organizationField":
		for _, o := range orgs {
			v := map[string]string{"name": o.Name, "address": o.Address}[key]
			if match(v) {
				vals = append(vals, val{o.ID, v})
			}
		}
	case "leadField":
		st := s.store
		st.mu.RLock()
		ls := make([]*lead, 0, len(st.leads))
		for _, l := range st.leads {
			if match(l.Title) && !s.searchLagging(l) {
				ls = append(ls, l)
			}
		}
		st.mu.RUnlock()
		sort.Slice(ls, func(i, j int) bool { return ls[i].seq < ls[j].seq })
		for _, l := range ls {
			vals = append(vals, val{l.ID, l.Title})
		}
	}
	data := []map[string]any{}
	seen := map[string]bool{}
	for _, v := range vals {
		if !withIDs {
			if seen[v.value] {
				continue
			}
			seen[v.value] = true
			v.id = nil
		}
		data = append(data, map[string]any{"id": v.id, key: v.value})
	}
	lo, hi, more := pg.window(len(data))
	writeJSON(w, http.StatusOK, map[string]any{
		"success": true, "data": data[lo:hi],
		"additional_data": map[string]any{"pagination": pg.pagination(more)},
	})
}
