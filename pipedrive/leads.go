package pipedrive

import (
	"context"
	"iter"
	"net/url"
	"strings"
)

// LeadsQuery selects leads for GET /leads and GET /leads/archived. Zero fields are not sent.
type LeadsQuery struct {
	Start          int    // offset of the first lead
	Limit          int    // page size; 0 or above the endpoint's maximum (500) means 500
	OwnerID        int    // owner_id
	PersonID       int    // person_id
	OrganizationID int    // organization_id
	FilterID       int    // filter_id
	UpdatedSince   string // updated_since (RFC 3339); GET /leads only, not sent for archived leads
	Sort           string // sort, e.g. "update_time DESC"
}

func (q LeadsQuery) values(op string, start int) url.Values {
	v := url.Values{}
	setPage(v, op, start, q.Limit)
	addInt(v, "owner_id", q.OwnerID)
	addInt(v, "person_id", q.PersonID)
	addInt(v, "organization_id", q.OrganizationID)
	addInt(v, "filter_id", q.FilterID)
	if op == "getLeads" {
		addStr(v, "updated_since", q.UpdatedSince)
	}
	addStr(v, "sort", q.Sort)
	return v
}

// ListLeads returns one page of non-archived leads, starting at q.Start.
func (c *Client) ListLeads(ctx context.Context, q LeadsQuery) ([]Lead, Page, *Response, error) {
	return listPage[Lead](ctx, c, "getLeads", q.values("getLeads", q.Start), q.Start)
}

// AllLeads iterates over every non-archived lead matching q, page by page from q.Start.
// It stops at the first error, which it yields.
func (c *Client) AllLeads(ctx context.Context, q LeadsQuery) iter.Seq2[Lead, error] {
	return all(ctx, "getLeads", q.Start, func(ctx context.Context, start int) ([]Lead, Page, error) {
		items, page, _, err := listPage[Lead](ctx, c, "getLeads", q.values("getLeads", start), start)
		return items, page, err
	})
}

// ListArchivedLeads returns one page of archived leads, starting at q.Start.
func (c *Client) ListArchivedLeads(ctx context.Context, q LeadsQuery) ([]Lead, Page, *Response, error) {
	return listPage[Lead](ctx, c, "getArchivedLeads", q.values("getArchivedLeads", q.Start), q.Start)
}

// AllArchivedLeads iterates over every archived lead matching q.
func (c *Client) AllArchivedLeads(ctx context.Context, q LeadsQuery) iter.Seq2[Lead, error] {
	return all(ctx, "getArchivedLeads", q.Start, func(ctx context.Context, start int) ([]Lead, Page, error) {
		items, page, _, err := listPage[Lead](ctx, c, "getArchivedLeads", q.values("getArchivedLeads", start), start)
		return items, page, err
	})
}

// LeadInput is the body of a new lead (POST /leads). Zero fields are left out. A lead must
// be linked to a person or an organization (or both). VisibleTo is "1", "3", "5" or "7".
type LeadInput struct {
	Title             string     `json:"title"`
	OwnerID           int        `json:"owner_id,omitempty"`
	LabelIDs          []string   `json:"label_ids,omitempty"`
	PersonID          int        `json:"person_id,omitempty"`
	OrganizationID    int        `json:"organization_id,omitempty"`
	Value             *LeadValue `json:"value,omitempty"`
	ExpectedCloseDate string     `json:"expected_close_date,omitempty"`
	VisibleTo         string     `json:"visible_to,omitempty"`
	WasSeen           *bool      `json:"was_seen,omitempty"`
}

// LeadPatch is the body of PATCH /leads/{id}: a field left zero is not sent, Set(v) sends v,
// Null[T]() sends null (clears it: person_id, organization_id, value, expected_close_date).
type LeadPatch struct {
	Title             Nullable[string]    `json:"title,omitzero"`
	OwnerID           Nullable[int]       `json:"owner_id,omitzero"`
	LabelIDs          Nullable[[]string]  `json:"label_ids,omitzero"`
	PersonID          Nullable[int]       `json:"person_id,omitzero"`
	OrganizationID    Nullable[int]       `json:"organization_id,omitzero"`
	IsArchived        Nullable[bool]      `json:"is_archived,omitzero"`
	Value             Nullable[LeadValue] `json:"value,omitzero"`
	ExpectedCloseDate Nullable[string]    `json:"expected_close_date,omitzero"`
	VisibleTo         Nullable[string]    `json:"visible_to,omitzero"`
	WasSeen           Nullable[bool]      `json:"was_seen,omitzero"`
}

// CreateLead creates a lead (POST /leads, answered 201). On an error matching ErrInDoubt
// the lead may exist: look it up before sending again.
func (c *Client) CreateLead(ctx context.Context, in LeadInput) (Lead, *Response, error) {
	return c.leadWrite(ctx, "addLead", nil, in)
}

// CreateLeadRaw creates a lead from a payload built by the caller (keys as in the API).
func (c *Client) CreateLeadRaw(ctx context.Context, payload map[string]any) (Lead, *Response, error) {
	return c.leadWrite(ctx, "addLead", nil, payload)
}

// Lead returns the lead with id; a missing one is an error matching ErrNotFound.
func (c *Client) Lead(ctx context.Context, id string) (Lead, *Response, error) {
	var env envelope[Lead]
	resp, err := c.do(ctx, &call{op: "getLead", ids: []string{id}, out: &env})
	return env.Data, resp, err
}

// UpdateLead changes the fields of patch on lead id (PATCH /leads/{id}).
func (c *Client) UpdateLead(ctx context.Context, id string, patch LeadPatch) (Lead, *Response, error) {
	return c.leadWrite(ctx, "updateLead", []string{id}, patch)
}

// UpdateLeadRaw changes lead id with a caller-built payload: a key absent is left alone,
// a key holding nil is sent as null.
func (c *Client) UpdateLeadRaw(ctx context.Context, id string, payload map[string]any) (Lead, *Response, error) {
	return c.leadWrite(ctx, "updateLead", []string{id}, payload)
}

func (c *Client) leadWrite(ctx context.Context, op string, ids []string, body any) (Lead, *Response, error) {
	var env envelope[Lead]
	resp, err := c.do(ctx, &call{op: op, ids: ids, json: body, out: &env})
	return env.Data, resp, err
}

// DeleteLead deletes lead id and returns its id as the server confirmed it.
func (c *Client) DeleteLead(ctx context.Context, id string) (string, *Response, error) {
	var env envelope[struct {
		ID string `json:"id"`
	}]
	resp, err := c.do(ctx, &call{op: "deleteLead", ids: []string{id}, out: &env})
	return env.Data.ID, resp, err
}

// LeadPermittedUsers returns the ids of the users allowed to see lead id.
func (c *Client) LeadPermittedUsers(ctx context.Context, id string) ([]int, *Response, error) {
	var env envelope[[]int]
	resp, err := c.do(ctx, &call{op: "getLeadUsers", ids: []string{id}, out: &env})
	return env.Data, resp, err
}

// LeadSearchQuery is GET /leads/search. Term is required: at least 2 characters, or 1 with
// ExactMatch. Fields is a subset of custom_fields, notes, title.
type LeadSearchQuery struct {
	Term           string
	Fields         []string
	ExactMatch     bool
	PersonID       int
	OrganizationID int
	IncludeFields  []string // e.g. lead.was_seen
	Start          int
	Limit          int // 0 or above 500 means 500
}

func (q LeadSearchQuery) values(start int) (url.Values, error) {
	if err := checkTerm("searchLeads", q.Term, q.ExactMatch); err != nil {
		return nil, err
	}
	v := url.Values{"term": {q.Term}}
	addStr(v, "fields", strings.Join(q.Fields, ","))
	addBool(v, "exact_match", q.ExactMatch)
	addInt(v, "person_id", q.PersonID)
	addInt(v, "organization_id", q.OrganizationID)
	addStr(v, "include_fields", strings.Join(q.IncludeFields, ","))
	setPage(v, "searchLeads", start, q.Limit)
	return v, nil
}

// SearchLeads returns one page of leads matching q.
func (c *Client) SearchLeads(ctx context.Context, q LeadSearchQuery) ([]LeadSearchResult, Page, *Response, error) {
	v, err := q.values(q.Start)
	if err != nil {
		return nil, Page{}, nil, err
	}
	var env envelope[struct {
		Items []LeadSearchResult `json:"items"`
	}]
	resp, err := c.do(ctx, &call{op: "searchLeads", query: v, out: &env})
	if err != nil {
		return nil, Page{}, resp, err
	}
	page, err := parsePage(env.AdditionalData, q.Start, len(env.Data.Items))
	if err != nil {
		return nil, Page{}, resp, &DecodeError{Op: "searchLeads", Status: resp.Status, Err: err}
	}
	return env.Data.Items, page, resp, nil
}

// AllSearchLeads iterates over every lead matching q.
func (c *Client) AllSearchLeads(ctx context.Context, q LeadSearchQuery) iter.Seq2[LeadSearchResult, error] {
	return all(ctx, "searchLeads", q.Start, func(ctx context.Context, start int) ([]LeadSearchResult, Page, error) {
		q := q
		q.Start = start
		items, page, _, err := c.SearchLeads(ctx, q)
		return items, page, err
	})
}

// LeadLabels returns every lead label.
func (c *Client) LeadLabels(ctx context.Context) ([]LeadLabel, *Response, error) {
	var env envelope[[]LeadLabel]
	resp, err := c.do(ctx, &call{op: "getLeadLabels", out: &env})
	return env.Data, resp, err
}

// LeadLabelInput is the body of POST /leadLabels (both required) and PATCH
// /leadLabels/{id} (empty fields left out). Color is green, blue, red, yellow, purple or gray.
type LeadLabelInput struct {
	Name  string `json:"name,omitempty"`
	Color string `json:"color,omitempty"`
}

// CreateLeadLabel creates a lead label.
func (c *Client) CreateLeadLabel(ctx context.Context, in LeadLabelInput) (LeadLabel, *Response, error) {
	return c.labelWrite(ctx, "addLeadLabel", nil, in)
}

// CreateLeadLabelRaw creates a lead label from a caller-built payload.
func (c *Client) CreateLeadLabelRaw(ctx context.Context, payload map[string]any) (LeadLabel, *Response, error) {
	return c.labelWrite(ctx, "addLeadLabel", nil, payload)
}

// UpdateLeadLabel changes lead label id.
func (c *Client) UpdateLeadLabel(ctx context.Context, id string, in LeadLabelInput) (LeadLabel, *Response, error) {
	return c.labelWrite(ctx, "updateLeadLabel", []string{id}, in)
}

// UpdateLeadLabelRaw changes lead label id with a caller-built payload.
func (c *Client) UpdateLeadLabelRaw(ctx context.Context, id string, payload map[string]any) (LeadLabel, *Response, error) {
	return c.labelWrite(ctx, "updateLeadLabel", []string{id}, payload)
}

func (c *Client) labelWrite(ctx context.Context, op string, ids []string, body any) (LeadLabel, *Response, error) {
	var env envelope[LeadLabel]
	resp, err := c.do(ctx, &call{op: op, ids: ids, json: body, out: &env})
	return env.Data, resp, err
}

// DeleteLeadLabel deletes lead label id; a missing one is an error matching ErrNotFound.
func (c *Client) DeleteLeadLabel(ctx context.Context, id string) (*Response, error) {
	return c.do(ctx, &call{op: "deleteLeadLabel", ids: []string{id}, out: &envelope[struct {
		ID string `json:"id"`
	}]{}})
}

// LeadSources returns every lead source.
func (c *Client) LeadSources(ctx context.Context) ([]LeadSource, *Response, error) {
	var env envelope[[]LeadSource]
	resp, err := c.do(ctx, &call{op: "getLeadSources", out: &env})
	return env.Data, resp, err
}
