package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

type filter struct {
	ID            int             `json:"id"`
	Name          string          `json:"name"`
	Type          string          `json:"type"`
	UserID        int             `json:"user_id"`
	AddTime       string          `json:"add_time"`
	Conditions    json.RawMessage `json:"conditions"`
	VisibleTo     int             `json:"visible_to"`
	ActiveFlag    bool            `json:"active_flag"`
	UpdateTime    string          `json:"update_time"`
	CustomViewID  *int            `json:"custom_view_id"`
	TemporaryFlag bool            `json:"temporary_flag"`
	seq           int64
	cond          *condNode // parsed Conditions, rebuilt on load
}

var filterTypes = []string{"deals", "leads", "org", "people", "products", "activity", "projects"}

// maxFilterConditions is Pipedrive's limit of leaf conditions in one filter.
const maxFilterConditions = 16

// condNode is a group (glue + children) or a leaf condition.
type condNode struct {
	glue     string
	children []*condNode
	field    string
	operator string
	value    string
	null     bool // value is JSON null
}

type rawCond struct {
	Glue       *string           `json:"glue"`
	Conditions []json.RawMessage `json:"conditions"`
	Object     string            `json:"object"`
	FieldID    json.RawMessage   `json:"field_id"`
	Operator   *string           `json:"operator"`
	Value      json.RawMessage   `json:"value"`
	ExtraValue json.RawMessage   `json:"extra_value"`
}

var filterOperators = []string{"=", "!=", "<", ">", "<=", ">=", "IS NULL", "IS NOT NULL",
	"LIKE '%$%'", "NOT LIKE '%$%'", "LIKE '$%'", "LIKE '%$'"}

// relativeDates are the relative date values a date condition may have instead of a
// YYYY-MM-DD date (GET /filters/helpers lists them).
var relativeDates = []string{"yesterday", "today", "tomorrow", "last_week", "this_week", "next_week",
	"last_month", "this_month", "next_month"}

// dateFields are the lead fields whose condition values are dates.
var dateFields = []string{"expected_close_date", "add_time", "update_time"}

// parseConditions validates a filter's conditions tree as Pipedrive reads it (addFilter's
// description): one first-level group glued with "and", holding exactly two second-level
// groups, the first glued with "and" and the second with "or", each a list of condition
// objects (possibly empty); at most 16 conditions; date values as YYYY-MM-DD.
func parseConditions(raw json.RawMessage, leaves *int) (*condNode, error) {
	top, err := parseGroup(raw)
	if err != nil {
		return nil, err
	}
	if *top.Glue != "and" {
		return nil, fmt.Errorf("conditions: the first-level group must be glued with \"and\"")
	}
	if len(top.Conditions) != 2 {
		return nil, fmt.Errorf("conditions: the first-level group must hold two groups, the first glued with \"and\", the second with \"or\"")
	}
	root := &condNode{glue: "and"}
	for i, want := range []string{"and", "or"} {
		g, err := parseGroup(top.Conditions[i])
		if err != nil {
			return nil, err
		}
		if *g.Glue != want {
			return nil, fmt.Errorf("conditions: second-level group %d must be glued with %q", i+1, want)
		}
		n := &condNode{glue: want}
		for _, c := range g.Conditions {
			leaf, err := parseLeaf(c, leaves)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, leaf)
		}
		root.children = append(root.children, n)
	}
	return root, nil
}

// parseGroup reads a group: an object with glue ("and" or "or") and a conditions list.
func parseGroup(raw json.RawMessage) (rawCond, error) {
	var rc rawCond
	if err := json.Unmarshal(raw, &rc); err != nil {
		return rc, fmt.Errorf("conditions must be objects")
	}
	if rc.Glue == nil || rc.Conditions == nil {
		return rc, fmt.Errorf("conditions must have glue and conditions")
	}
	if *rc.Glue != "and" && *rc.Glue != "or" {
		return rc, fmt.Errorf("conditions: glue must be \"and\" or \"or\"")
	}
	return rc, nil
}

// parseLeaf reads one condition object and counts it.
func parseLeaf(raw json.RawMessage, leaves *int) (*condNode, error) {
	var rc rawCond
	if err := json.Unmarshal(raw, &rc); err != nil {
		return nil, fmt.Errorf("conditions must be objects")
	}
	if rc.Glue != nil || rc.Conditions != nil {
		return nil, fmt.Errorf("conditions: groups can be nested two levels deep only")
	}
	*leaves++
	if *leaves > maxFilterConditions {
		return nil, fmt.Errorf("a filter can have at most %d conditions", maxFilterConditions)
	}
	n := &condNode{}
	var fs string
	var fn float64
	switch {
	case json.Unmarshal(rc.FieldID, &fs) == nil && fs != "":
		n.field = fs
	case json.Unmarshal(rc.FieldID, &fn) == nil:
		n.field = strconv.FormatFloat(fn, 'f', -1, 64)
	default:
		return nil, fmt.Errorf("condition: field_id is required")
	}
	if rc.Operator == nil || !slices.Contains(filterOperators, *rc.Operator) {
		return nil, fmt.Errorf("condition: operator must be one of %s", strings.Join(filterOperators, ", "))
	}
	n.operator = *rc.Operator
	var v any
	if len(rc.Value) > 0 {
		if err := json.Unmarshal(rc.Value, &v); err != nil {
			return nil, fmt.Errorf("condition: bad value")
		}
	}
	switch x := v.(type) {
	case nil:
		n.null = true
	case string:
		n.value = x
	case float64:
		n.value = strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		n.value = strconv.FormatBool(x)
	default:
		return nil, fmt.Errorf("condition: value must be a string, number, boolean or null")
	}
	if slices.Contains(dateFields, n.field) && !n.null && n.value != "" &&
		!validDate(n.value) && !slices.Contains(relativeDates, n.value) {
		return nil, fmt.Errorf("condition: %s: date values must be in the YYYY-MM-DD format", n.field)
	}
	return n, nil
}

// leadField returns a lead's value for a filter field key; known is false for fields the
// sandbox does not filter on (such conditions match everything).
func leadField(l *Lead, field string) (v string, null, known bool) {
	ip := func(p *int) (string, bool, bool) {
		if p == nil {
			return "", true, true
		}
		return strconv.Itoa(*p), false, true
	}
	switch field {
	case "title":
		return l.Title, false, true
	case "owner_id", "user_id":
		return strconv.Itoa(l.OwnerID), false, true
	case "creator_id":
		return strconv.Itoa(l.CreatorID), false, true
	case "person_id":
		return ip(l.PersonID)
	case "organization_id", "org_id":
		return ip(l.OrganizationID)
	case "source_name":
		return l.SourceName, false, true
	case "expected_close_date":
		if l.ExpectedCloseDate == nil {
			return "", true, true
		}
		return *l.ExpectedCloseDate, false, true
	case "value":
		if l.Value == nil {
			return "", true, true
		}
		return strconv.FormatFloat(l.Value.Amount, 'f', -1, 64), false, true
	case "label", "label_ids":
		return strings.Join(l.LabelIDs, ","), len(l.LabelIDs) == 0, true
	}
	return "", false, false
}

func (n *condNode) matchLead(l *Lead) bool {
	if n.operator == "" {
		if len(n.children) == 0 {
			return true
		}
		for _, c := range n.children {
			m := c.matchLead(l)
			if n.glue == "or" && m {
				return true
			}
			if n.glue == "and" && !m {
				return false
			}
		}
		return n.glue == "and"
	}
	v, null, known := leadField(l, n.field)
	if !known {
		return true
	}
	lv, want := strings.ToLower(v), strings.ToLower(n.value)
	cmp := func() int {
		a, errA := strconv.ParseFloat(v, 64)
		b, errB := strconv.ParseFloat(n.value, 64)
		if errA == nil && errB == nil {
			switch {
			case a < b:
				return -1
			case a > b:
				return 1
			}
			return 0
		}
		return strings.Compare(lv, want)
	}
	switch n.operator {
	case "IS NULL":
		return null || v == ""
	case "IS NOT NULL":
		return !null && v != ""
	}
	if null {
		return n.operator == "!=" && !n.null
	}
	switch n.operator {
	case "=":
		return cmp() == 0
	case "!=":
		return cmp() != 0
	case "<":
		return cmp() < 0
	case ">":
		return cmp() > 0
	case "<=":
		return cmp() <= 0
	case ">=":
		return cmp() >= 0
	case "LIKE '%$%'":
		return strings.Contains(lv, want)
	case "NOT LIKE '%$%'":
		return !strings.Contains(lv, want)
	case "LIKE '$%'":
		return strings.HasPrefix(lv, want)
	case "LIKE '%$'":
		return strings.HasSuffix(lv, want)
	}
	return false
}

func (f *filter) matchLead(l *Lead) bool {
	if f.cond == nil {
		var leaves int
		c, err := parseConditions(f.Conditions, &leaves)
		if err != nil {
			return false
		}
		return c.matchLead(l)
	}
	return f.cond.matchLead(l)
}

// filterListItem is a filter as GET /filters lists it (without conditions).
type filterListItem struct {
	ID           int    `json:"id"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	UserID       int    `json:"user_id"`
	AddTime      string `json:"add_time"`
	VisibleTo    int    `json:"visible_to"`
	ActiveFlag   bool   `json:"active_flag"`
	UpdateTime   string `json:"update_time"`
	CustomViewID *int   `json:"custom_view_id"`
}

func (s *Server) getFilters(w http.ResponseWriter, r *http.Request) {
	typ := first(r.URL.Query(), "type")
	if typ != "" && !slices.Contains(filterTypes, typ) {
		badRequest(w, "type must be one of %s", strings.Join(filterTypes, ", "))
		return
	}
	st := s.store
	st.mu.RLock()
	list := []filterListItem{}
	for _, f := range st.filters {
		if f.ActiveFlag && (typ == "" || f.Type == typ) {
			list = append(list, filterListItem{f.ID, f.Name, f.Type, f.UserID, f.AddTime, f.VisibleTo, f.ActiveFlag, f.UpdateTime, f.CustomViewID})
		}
	}
	st.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	ok(w, list)
}

// parseFilterBody validates name/type/conditions; create requires all three, update
// requires conditions.
func parseFilterBody(m map[string]json.RawMessage, create bool) (name, typ string, cond *condNode, raw json.RawMessage, msg string) {
	f := &fields{m: m}
	if n, present, null := f.str("name"); present && !null && strings.TrimSpace(n) != "" {
		name = n
	} else if create || present {
		f.fail("name must be a non-empty string")
	}
	if create {
		t, present, null := f.str("type")
		if !present || null || !slices.Contains(filterTypes, t) {
			f.fail("type must be one of %s", strings.Join(filterTypes, ", "))
		}
		typ = t
	}
	if _, present, null := f.object("conditions"); !present || null {
		f.fail("conditions must be an object")
	} else {
		raw = m["conditions"]
		var leaves int
		c, err := parseConditions(raw, &leaves)
		if err != nil {
			f.fail("%v", err)
		}
		cond = c
	}
	return name, typ, cond, raw, f.err()
}

func (s *Server) addFilter(w http.ResponseWriter, r *http.Request) {
	m, okBody := readJSONObject(w, r)
	if !okBody {
		return
	}
	name, typ, cond, raw, msg := parseFilterBody(m, true)
	if msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	t := s.store.now().Format(fileTimeLayout)
	st := s.store
	st.mu.Lock()
	f := &filter{ID: st.allocIntLocked(kindFilter), Name: name, Type: typ, UserID: 1, AddTime: t, UpdateTime: t,
		Conditions: raw, VisibleTo: 1, ActiveFlag: true, cond: cond}
	err := st.saveLocked(kindFilter, strconv.Itoa(f.ID), &f.seq, f)
	if err == nil {
		st.filters[f.ID] = f
	}
	st.mu.Unlock()
	if err != nil {
		internalError(w, s, "add filter", err)
		return
	}
	ok(w, f)
}

func (st *store) activeFilter(id string) (filter, bool) {
	n, err := strconv.Atoi(id)
	if err != nil {
		return filter{}, false
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	f, found := st.filters[n]
	if !found || !f.ActiveFlag {
		return filter{}, false
	}
	return *f, true
}

func (s *Server) getFilter(w http.ResponseWriter, id string) {
	f, found := s.store.activeFilter(id)
	if !found {
		notFound(w, "filter")
		return
	}
	ok(w, &f)
}

func (s *Server) updateFilter(w http.ResponseWriter, r *http.Request, id string) {
	if _, found := s.store.activeFilter(id); !found {
		notFound(w, "filter")
		return
	}
	m, okBody := readJSONObject(w, r)
	if !okBody {
		return
	}
	name, _, cond, raw, msg := parseFilterBody(m, false)
	if msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	n, _ := strconv.Atoi(id) // activeFilter parsed it
	st := s.store
	st.mu.Lock()
	cur, found := st.filters[n]
	if !found || !cur.ActiveFlag {
		st.mu.Unlock()
		notFound(w, "filter")
		return
	}
	f := *cur
	if name != "" {
		f.Name = name
	}
	f.Conditions, f.cond = raw, cond
	f.UpdateTime = s.store.now().Format(fileTimeLayout)
	err := st.saveLocked(kindFilter, id, &f.seq, &f)
	if err == nil {
		st.filters[n] = &f
	}
	st.mu.Unlock()
	if err != nil {
		internalError(w, s, "update filter", err)
		return
	}
	ok(w, &f)
}

// markFiltersDeletedLocked soft-deletes every id, or none when one is missing.
func (st *store) markFiltersDeletedLocked(ids []int) (missing int, err error) {
	for _, id := range ids {
		if f, found := st.filters[id]; !found || !f.ActiveFlag {
			return id, nil
		}
	}
	t := st.now().Format(fileTimeLayout)
	for _, id := range ids {
		f := *st.filters[id]
		f.ActiveFlag, f.UpdateTime = false, t
		if err := st.saveLocked(kindFilter, strconv.Itoa(id), &f.seq, &f); err != nil {
			return 0, err
		}
		st.filters[id] = &f
	}
	return 0, nil
}

func (s *Server) deleteFilter(w http.ResponseWriter, id string) {
	n, err := strconv.Atoi(id)
	if err != nil || n < 1 {
		notFound(w, "filter")
		return
	}
	s.deleteFilterIDs(w, []int{n}, func() any { return map[string]any{"id": n} })
}

func (s *Server) deleteFilters(w http.ResponseWriter, r *http.Request) {
	v := first(r.URL.Query(), "ids")
	if v == "" {
		badRequest(w, "ids is required")
		return
	}
	var ids []int
	for _, p := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 {
			badRequest(w, "ids must be a comma-separated list of filter ids")
			return
		}
		if !slices.Contains(ids, n) {
			ids = append(ids, n)
		}
	}
	s.deleteFilterIDs(w, ids, func() any { return map[string]any{"id": ids} })
}

func (s *Server) deleteFilterIDs(w http.ResponseWriter, ids []int, data func() any) {
	st := s.store
	st.mu.Lock()
	missing, err := st.markFiltersDeletedLocked(ids)
	st.mu.Unlock()
	switch {
	case err != nil:
		internalError(w, s, "delete filters", err)
	case missing != 0:
		notFound(w, "filter")
	default:
		ok(w, data())
	}
}

func (s *Server) getFilterHelpers(w http.ResponseWriter) {
	ops := func(list ...string) []map[string]string {
		out := make([]map[string]string, len(list))
		for i, o := range list {
			out[i] = map[string]string{"id": o, "name": o}
		}
		return out
	}
	ok(w, map[string]any{
		"operators": map[string]any{
			"varchar": ops("=", "!=", "IS NULL", "IS NOT NULL", "LIKE '%$%'", "NOT LIKE '%$%'", "LIKE '$%'", "LIKE '%$'"),
			"int":     ops("=", "!=", "<", ">", "<=", ">=", "IS NULL", "IS NOT NULL"),
			"double":  ops("=", "!=", "<", ">", "<=", ">=", "IS NULL", "IS NOT NULL"),
			"date":    ops("=", "!=", "<", ">", "<=", ">=", "IS NULL", "IS NOT NULL"),
			"user":    ops("=", "!=", "IS NULL", "IS NOT NULL"),
			"people":  ops("=", "!=", "IS NULL", "IS NOT NULL"),
			"org":     ops("=", "!=", "IS NULL", "IS NOT NULL"),
		},
		"deprecated_operators": map[string]any{},
		"relative_dates": map[string]string{
			"yesterday": "Yesterday", "today": "Today", "tomorrow": "Tomorrow",
			"last_week": "Last week", "this_week": "This week", "next_week": "Next week",
			"last_month": "Last month", "this_month": "This month", "next_month": "Next month",
		},
		"address_field_components": map[string]string{
			"street_number": "House number", "route": "Street/road name", "locality": "City/town/village",
			"country": "Country", "postal_code": "ZIP/Postal code",
		},
		"lead_field_keys": []string{"title", "owner_id", "creator_id", "person_id", "organization_id", "source_name", "expected_close_date", "value", "label_ids"},
	})
}
