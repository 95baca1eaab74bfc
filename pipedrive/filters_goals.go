package pipedrive

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// Filters returns every filter, or those of type typ (deals, leads, org, people, products,
// activity, projects) when typ is not empty.
func (c *Client) Filters(ctx context.Context, typ string) ([]Filter, *Response, error) {
	q := url.Values{}
	addStr(q, "type", typ)
	var env envelope[[]Filter]
	resp, err := c.do(ctx, &call{op: "getFilters", query: q, out: &env})
	return env.Data, resp, err
}

// Filter returns filter id, with its conditions.
func (c *Client) Filter(ctx context.Context, id int) (Filter, *Response, error) {
	return c.filterWrite(ctx, "getFilter", []string{strconv.Itoa(id)}, nil)
}

// FilterInput is the body of POST /filters (all required) and PUT /filters/{id}
// (Conditions required, Type not sent). Conditions is the API's nested condition object.
type FilterInput struct {
	Name       string `json:"name,omitempty"`
	Type       string `json:"type,omitempty"`
	Conditions any    `json:"conditions"`
}

// CreateFilter creates a filter.
func (c *Client) CreateFilter(ctx context.Context, in FilterInput) (Filter, *Response, error) {
	return c.filterWrite(ctx, "addFilter", nil, in)
}

// CreateFilterRaw creates a filter from a caller-built payload.
func (c *Client) CreateFilterRaw(ctx context.Context, payload map[string]any) (Filter, *Response, error) {
	return c.filterWrite(ctx, "addFilter", nil, payload)
}

// UpdateFilter changes filter id; in.Type is ignored (a filter keeps its type).
func (c *Client) UpdateFilter(ctx context.Context, id int, in FilterInput) (Filter, *Response, error) {
	in.Type = ""
	return c.filterWrite(ctx, "updateFilter", []string{strconv.Itoa(id)}, in)
}

// UpdateFilterRaw changes filter id with a caller-built payload.
func (c *Client) UpdateFilterRaw(ctx context.Context, id int, payload map[string]any) (Filter, *Response, error) {
	return c.filterWrite(ctx, "updateFilter", []string{strconv.Itoa(id)}, payload)
}

func (c *Client) filterWrite(ctx context.Context, op string, ids []string, body any) (Filter, *Response, error) {
	var env envelope[Filter]
	cl := &call{op: op, ids: ids, out: &env}
	if body != nil {
		cl.json = body
	}
	resp, err := c.do(ctx, cl)
	return env.Data, resp, err
}

// DeleteFilter deletes filter id.
func (c *Client) DeleteFilter(ctx context.Context, id int) (*Response, error) {
	return c.do(ctx, &call{op: "deleteFilter", ids: []string{strconv.Itoa(id)}, out: &envelope[json.RawMessage]{}})
}

// DeleteFilters deletes the filters ids in one request and returns the ids deleted.
func (c *Client) DeleteFilters(ctx context.Context, ids []int) ([]int, *Response, error) {
	if len(ids) == 0 {
		return nil, nil, errors.New("pipedrive: deleteFilters: no ids")
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	var env envelope[struct {
		ID []int `json:"id"`
	}]
	resp, err := c.do(ctx, &call{op: "deleteFilters", query: url.Values{"ids": {strings.Join(s, ",")}}, out: &env})
	return env.Data.ID, resp, err
}

// FilterHelpers returns the operators and rules for building filter conditions, as sent.
func (c *Client) FilterHelpers(ctx context.Context) (json.RawMessage, *Response, error) {
	var env envelope[json.RawMessage]
	resp, err := c.do(ctx, &call{op: "getFilterHelpers", out: &env})
	return env.Data, resp, err
}

// GoalInput is the body of POST /goals (Type, Assignee, ExpectedOutcome, Duration and
// Interval required) and PUT /goals/{id} (zero fields not sent). Interval is weekly,
// monthly, quarterly or yearly.
type GoalInput struct {
	Title           string              `json:"title,omitempty"`
	Assignee        GoalAssignee        `json:"assignee,omitzero"`
	Type            GoalType            `json:"type,omitzero"`
	ExpectedOutcome GoalExpectedOutcome `json:"expected_outcome,omitzero"`
	Duration        GoalDuration        `json:"duration,omitzero"`
	Interval        string              `json:"interval,omitempty"`
}

// CreateGoal creates a goal.
func (c *Client) CreateGoal(ctx context.Context, in GoalInput) (Goal, *Response, error) {
	return c.goalWrite(ctx, "addGoal", nil, in)
}

// CreateGoalRaw creates a goal from a caller-built payload.
func (c *Client) CreateGoalRaw(ctx context.Context, payload map[string]any) (Goal, *Response, error) {
	return c.goalWrite(ctx, "addGoal", nil, payload)
}

// UpdateGoal changes goal id.
func (c *Client) UpdateGoal(ctx context.Context, id string, in GoalInput) (Goal, *Response, error) {
	return c.goalWrite(ctx, "updateGoal", []string{id}, in)
}

// UpdateGoalRaw changes goal id with a caller-built payload.
func (c *Client) UpdateGoalRaw(ctx context.Context, id string, payload map[string]any) (Goal, *Response, error) {
	return c.goalWrite(ctx, "updateGoal", []string{id}, payload)
}

func (c *Client) goalWrite(ctx context.Context, op string, ids []string, body any) (Goal, *Response, error) {
	var env envelope[struct {
		Goal Goal `json:"goal"`
	}]
	resp, err := c.do(ctx, &call{op: op, ids: ids, json: body, out: &env})
	return env.Data.Goal, resp, err
}

// DeleteGoal marks goal id as deleted.
func (c *Client) DeleteGoal(ctx context.Context, id string) (*Response, error) {
	return c.do(ctx, &call{op: "deleteGoal", ids: []string{id}, out: &envelopeHead{}})
}

// GoalQuery holds the criteria of GET /goals/find; zero fields are not sent. Period needs
// both PeriodStart and PeriodEnd (YYYY-MM-DD).
type GoalQuery struct {
	TypeName        string   // type.name
	Title           string   // title
	IsActive        *bool    // is_active (the server's default is true)
	AssigneeID      int      // assignee.id
	AssigneeType    string   // assignee.type: person, company, team
	Target          *float64 // expected_outcome.target
	TrackingMetric  string   // expected_outcome.tracking_metric: quantity, sum
	CurrencyID      int      // expected_outcome.currency_id
	PipelineIDs     []int    // type.params.pipeline_id
	StageID         int      // type.params.stage_id
	ActivityTypeIDs []int    // type.params.activity_type_id
	PeriodStart     string   // period.start
	PeriodEnd       string   // period.end
}

func (q GoalQuery) values() url.Values {
	v := url.Values{}
	addStr(v, "type.name", q.TypeName)
	addStr(v, "title", q.Title)
	if q.IsActive != nil {
		v.Set("is_active", strconv.FormatBool(*q.IsActive))
	}
	addInt(v, "assignee.id", q.AssigneeID)
	addStr(v, "assignee.type", q.AssigneeType)
	if q.Target != nil {
		v.Set("expected_outcome.target", strconv.FormatFloat(*q.Target, 'f', -1, 64))
	}
	addStr(v, "expected_outcome.tracking_metric", q.TrackingMetric)
	addInt(v, "expected_outcome.currency_id", q.CurrencyID)
	for _, id := range q.PipelineIDs {
		v.Add("type.params.pipeline_id", strconv.Itoa(id))
	}
	addInt(v, "type.params.stage_id", q.StageID)
	for _, id := range q.ActivityTypeIDs {
		v.Add("type.params.activity_type_id", strconv.Itoa(id))
	}
	addStr(v, "period.start", q.PeriodStart)
	addStr(v, "period.end", q.PeriodEnd)
	return v
}

// FindGoals returns the goals matching q.
func (c *Client) FindGoals(ctx context.Context, q GoalQuery) ([]Goal, *Response, error) {
	var env envelope[struct {
		Goals []Goal `json:"goals"`
	}]
	resp, err := c.do(ctx, &call{op: "getGoals", query: q.values(), out: &env})
	return env.Data.Goals, resp, err
}

// GoalResult returns the progress of goal id between start and end (YYYY-MM-DD, both
// required).
func (c *Client) GoalResult(ctx context.Context, id, start, end string) (GoalResult, *Response, error) {
	if start == "" || end == "" {
		return GoalResult{}, nil, errors.New("pipedrive: getGoalResult: period start and end are required")
	}
	var env envelope[GoalResult]
	q := url.Values{"period.start": {start}, "period.end": {end}}
	resp, err := c.do(ctx, &call{op: "getGoalResult", ids: []string{id}, query: q, out: &env})
	return env.Data, resp, err
}
