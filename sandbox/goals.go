package sandbox

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

type goalParams struct {
	PipelineID     []int `json:"pipeline_id"`
	ActivityTypeID []int `json:"activity_type_id"`
	StageID        *int  `json:"stage_id,omitempty"`
}

type goalType struct {
	Name   string     `json:"name"`
	Params goalParams `json:"params"`
}

type goalAssignee struct {
	ID   int    `json:"id"`
	Type string `json:"type"`
}

type goalDuration struct {
	Start string  `json:"start"`
	End   *string `json:"end"`
}

type goalOutcome struct {
	Target         float64 `json:"target"`
	TrackingMetric string  `json:"tracking_metric"`
	CurrencyID     *int    `json:"currency_id,omitempty"`
}

type goal struct {
	ID              string       `json:"id"`
	Type            goalType     `json:"type"`
	Title           string       `json:"title"`
	Assignee        goalAssignee `json:"assignee"`
	Duration        goalDuration `json:"duration"`
	Interval        string       `json:"interval"`
	OwnerID         int          `json:"owner_id"`
	IsActive        bool         `json:"is_active"`
	ReportIDs       []string     `json:"report_ids"`
	ExpectedOutcome goalOutcome  `json:"expected_outcome"`
	seq             int64
}

var (
	goalTypeNames   = []string{"deals_won", "deals_progressed", "activities_completed", "activities_added", "deals_started", "revenue_forecast"}
	goalIntervals   = []string{"weekly", "monthly", "quarterly", "yearly"}
	assigneeTypes   = []string{"person", "company", "team"}
	trackingMetrics = []string{"quantity", "sum"}
)

// numberish reads a JSON number or a numeric string (the documentation shows both).
func numberish(raw json.RawMessage) (float64, bool) {
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return f, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if v, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
			return v, true
		}
	}
	return 0, false
}

func intList(raw json.RawMessage) ([]int, bool) {
	if raw == nil || string(raw) == "null" {
		return nil, true
	}
	var fl []float64
	if json.Unmarshal(raw, &fl) != nil {
		return nil, false
	}
	out := make([]int, len(fl))
	for i, f := range fl {
		if f != float64(int64(f)) || f < 1 || f > 1<<31 {
			return nil, false
		}
		out[i] = int(f)
	}
	return out, true
}

// applyGoalInput validates the body m over g; create requires every documented field.
func (st *store) applyGoalInputLocked(m map[string]json.RawMessage, g *goal, create bool) string {
	f := &fields{m: m}
	if t, present, null := f.object("type"); present {
		tf := &fields{m: t}
		name, _, _ := tf.str("name")
		if null || !slices.Contains(goalTypeNames, name) {
			f.fail("type.name must be one of %s", strings.Join(goalTypeNames, ", "))
		} else {
			g.Type = goalType{Name: name}
			if p, pPresent, pNull := tf.object("params"); pPresent && !pNull {
				var okP, okA bool
				g.Type.Params.PipelineID, okP = intList(p["pipeline_id"])
				g.Type.Params.ActivityTypeID, okA = intList(p["activity_type_id"])
				if !okP || !okA {
					f.fail("type.params.pipeline_id and activity_type_id must be arrays of positive integers or null")
				}
				pf := &fields{m: p}
				if n, present, null := pf.integer("stage_id"); present && !null {
					g.Type.Params.StageID = &n
				}
				f.errs = append(f.errs, pf.errs...)
			}
		}
		f.errs = append(f.errs, tf.errs...)
	} else if create {
		f.fail("type is required")
	}
	if a, present, null := f.object("assignee"); present {
		af := &fields{m: a}
		typ, _, _ := af.str("type")
		id, idOK := numberish(a["id"])
		switch {
		case null || !slices.Contains(assigneeTypes, typ):
			f.fail("assignee.type must be one of %s", strings.Join(assigneeTypes, ", "))
		case !idOK || id != float64(int(id)) || id < 1:
			f.fail("assignee.id must be a positive integer")
		default:
			n := int(id)
			_, isUser := findUser(n)
			_, isTeam := st.teams[n]
			if (typ == "person" && !isUser) || (typ == "team" && !isTeam) {
				f.fail("assignee: %s %d does not exist", typ, n)
			}
			g.Assignee = goalAssignee{ID: n, Type: typ}
		}
	} else if create {
		f.fail("assignee is required")
	}
	if o, present, null := f.object("expected_outcome"); present {
		of := &fields{m: o}
		metric, _, _ := of.str("tracking_metric")
		target, tOK := numberish(o["target"])
		switch {
		case null || !tOK || target < 0:
			f.fail("expected_outcome.target must be a non-negative number")
		case !slices.Contains(trackingMetrics, metric):
			f.fail("expected_outcome.tracking_metric must be quantity or sum")
		default:
			g.ExpectedOutcome = goalOutcome{Target: target, TrackingMetric: metric}
			if n, present, null := of.integer("currency_id"); present && !null {
				if metric != "sum" {
					f.fail("expected_outcome.currency_id is only allowed with tracking_metric sum")
				}
				g.ExpectedOutcome.CurrencyID = &n
			}
		}
		f.errs = append(f.errs, of.errs...)
	} else if create {
		f.fail("expected_outcome is required")
	}
	if d, present, null := f.object("duration"); present {
		df := &fields{m: d}
		start, _, _ := df.str("start")
		end, endPresent, endNull := df.str("end")
		switch {
		case null || !validDate(start):
			f.fail("duration.start must be a date in YYYY-MM-DD format")
		case endPresent && !endNull && !validDate(end):
			f.fail("duration.end must be a date in YYYY-MM-DD format or null")
		case endPresent && !endNull && end < start:
			f.fail("duration.end must not be before duration.start")
		default:
			g.Duration = goalDuration{Start: start}
			if endPresent && !endNull {
				g.Duration.End = &end
			}
		}
	} else if create {
		f.fail("duration is required")
	}
	if v, present, null := f.str("interval"); present {
		if null || !slices.Contains(goalIntervals, v) {
			f.fail("interval must be one of %s", strings.Join(goalIntervals, ", "))
		} else {
			g.Interval = v
		}
	} else if create {
		f.fail("interval is required")
	}
	if v, present, null := f.str("title"); present && !null {
		g.Title = v
	}
	return f.err()
}

func (s *Server) addGoal(w http.ResponseWriter, r *http.Request) {
	m, okBody := readJSONObject(w, r)
	if !okBody {
		return
	}
	st := s.store
	st.mu.Lock()
	g := &goal{ID: strings.ReplaceAll(uuid.NewString(), "-", ""), OwnerID: 1, IsActive: true, ReportIDs: []string{}}
	if msg := st.applyGoalInputLocked(m, g, true); msg != "" {
		st.mu.Unlock()
		badRequest(w, "%s", msg)
		return
	}
	err := st.saveLocked(kindGoal, g.ID, &g.seq, g)
	if err == nil {
		st.goals[g.ID] = g
	}
	st.mu.Unlock()
	if err != nil {
		internalError(w, s, "add goal", err)
		return
	}
	ok(w, map[string]any{"goal": g})
}

func (s *Server) updateGoal(w http.ResponseWriter, r *http.Request, id string) {
	st := s.store
	st.mu.RLock()
	cur, found := st.goals[id]
	found = found && cur.IsActive
	st.mu.RUnlock()
	if !found {
		notFound(w, "goal")
		return
	}
	m, okBody := readJSONObject(w, r)
	if !okBody {
		return
	}
	st.mu.Lock()
	cur, found = st.goals[id]
	if !found || !cur.IsActive {
		st.mu.Unlock()
		notFound(w, "goal")
		return
	}
	g := *cur
	if msg := st.applyGoalInputLocked(m, &g, false); msg != "" {
		st.mu.Unlock()
		badRequest(w, "%s", msg)
		return
	}
	err := st.saveLocked(kindGoal, id, &g.seq, &g)
	if err == nil {
		st.goals[id] = &g
	}
	st.mu.Unlock()
	if err != nil {
		internalError(w, s, "update goal", err)
		return
	}
	ok(w, map[string]any{"goal": &g})
}

func (s *Server) deleteGoal(w http.ResponseWriter, id string) {
	st := s.store
	st.mu.Lock()
	cur, found := st.goals[id]
	found = found && cur.IsActive
	var err error
	if found {
		g := *cur
		g.IsActive = false
		if err = st.saveLocked(kindGoal, id, &g.seq, &g); err == nil {
			st.goals[id] = &g
		}
	}
	st.mu.Unlock()
	switch {
	case !found:
		notFound(w, "goal")
	case err != nil:
		internalError(w, s, "delete goal", err)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"success": true})
	}
}

// outside says what is wrong with a results period that leaves the goal's duration, ""
// when it lies inside. Pipedrive's document (getGoalResult) requires period.start to be the
// same as or after duration.start and period.end the same as or before duration.end; it
// does not document the answer to a period outside, so the sandbox answers it like every
// other invalid parameter: 400 with the reason. A goal without an end has no upper bound.
func (d goalDuration) outside(start, end string) string {
	switch {
	case start < d.Start:
		return fmt.Sprintf("period.start %s is before the goal's duration.start %s", start, d.Start)
	case d.End != nil && end > *d.End:
		return fmt.Sprintf("period.end %s is after the goal's duration.end %s", end, *d.End)
	}
	return ""
}

// parsePeriod reads period.start and period.end: both or neither, real dates, in order.
func parsePeriod(q map[string][]string, required bool) (start, end string, msg string) {
	start, end = first(q, "period.start"), first(q, "period.end")
	switch {
	case start == "" && end == "" && !required:
		return "", "", ""
	case !validDate(start) || !validDate(end):
		return "", "", "period.start and period.end are required together, as dates in YYYY-MM-DD format"
	case end < start:
		return "", "", "period.end must not be before period.start"
	}
	return start, end, ""
}

func (s *Server) findGoals(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	enums := map[string]string{}
	for _, e := range []struct {
		k       string
		allowed []string
	}{{"type.name", goalTypeNames}, {"assignee.type", assigneeTypes}, {"expected_outcome.tracking_metric", trackingMetrics}} {
		v := first(q, e.k)
		if v != "" && !slices.Contains(e.allowed, v) {
			badRequest(w, "%s must be one of %s", e.k, strings.Join(e.allowed, ", "))
			return
		}
		enums[e.k] = v
	}
	typeName, aType, metric := enums["type.name"], enums["assignee.type"], enums["expected_outcome.tracking_metric"]
	active := true
	if v := first(q, "is_active"); v != "" {
		b, err := parseBoolParam(v)
		if err != nil {
			badRequest(w, "is_active must be a boolean")
			return
		}
		active = b
	}
	ints := map[string]int{}
	for _, k := range []string{"assignee.id", "expected_outcome.currency_id", "type.params.pipeline_id", "type.params.stage_id", "type.params.activity_type_id"} {
		n, present, err := parseIDParam(q, k)
		if err != nil {
			badRequest(w, "%v", err)
			return
		}
		if present {
			ints[k] = n
		}
	}
	var target *float64
	if v := first(q, "expected_outcome.target"); v != "" {
		t, err := strconv.ParseFloat(v, 64)
		if err != nil {
			badRequest(w, "expected_outcome.target must be a number")
			return
		}
		target = &t
	}
	pStart, pEnd, msg := parsePeriod(q, false)
	if msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	title := first(q, "title")
	st := s.store
	st.mu.RLock()
	list := []*goal{}
	for _, g := range st.goals {
		if g.IsActive != active || (typeName != "" && g.Type.Name != typeName) || (aType != "" && g.Assignee.Type != aType) ||
			(metric != "" && g.ExpectedOutcome.TrackingMetric != metric) || (title != "" && g.Title != title) ||
			(target != nil && g.ExpectedOutcome.Target != *target) {
			continue
		}
		if n, has := ints["assignee.id"]; has && g.Assignee.ID != n {
			continue
		}
		if n, has := ints["expected_outcome.currency_id"]; has && (g.ExpectedOutcome.CurrencyID == nil || *g.ExpectedOutcome.CurrencyID != n) {
			continue
		}
		if n, has := ints["type.params.pipeline_id"]; has && !slices.Contains(g.Type.Params.PipelineID, n) {
			continue
		}
		if n, has := ints["type.params.activity_type_id"]; has && !slices.Contains(g.Type.Params.ActivityTypeID, n) {
			continue
		}
		if n, has := ints["type.params.stage_id"]; has && (g.Type.Params.StageID == nil || *g.Type.Params.StageID != n) {
			continue
		}
		if pStart != "" && (g.Duration.Start > pEnd || (g.Duration.End != nil && *g.Duration.End < pStart)) {
			continue
		}
		c := *g
		list = append(list, &c)
	}
	st.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	ok(w, map[string]any{"goals": list})
}

// goalResult answers the goal's progress over the period. Goals track deals and
// activities, which the sandbox does not hold, so progress is always 0.
func (s *Server) goalResult(w http.ResponseWriter, r *http.Request, id string) {
	st := s.store
	st.mu.RLock()
	cur, found := st.goals[id]
	var g goal
	if found {
		g = *cur
	}
	st.mu.RUnlock()
	if !found || !g.IsActive {
		notFound(w, "goal")
		return
	}
	start, end, msg := parsePeriod(r.URL.Query(), true)
	if msg == "" {
		msg = g.Duration.outside(start, end)
	}
	if msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	ok(w, map[string]any{"goal": &g, "progress": 0})
}
