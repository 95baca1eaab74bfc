package pipedrive

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// checkTerm refuses a search term the API would refuse, before any token is spent: at
// least 2 characters, or 1 with exact match.
func checkTerm(op, term string, exact bool) error {
	n := utf8.RuneCountInString(strings.TrimSpace(term))
	if n == 0 || (n < 2 && !exact) {
		return fmt.Errorf("pipedrive: %s: search term %q is too short (2 characters, or 1 with exact match)", op, term)
	}
	return nil
}

// ItemSearchQuery is GET /itemSearch. Term is required. ItemTypes: deal, person,
// organization, product, lead, file, mail_attachment, project. Fields: address, code,
// custom_fields, email, name, notes, phone, title, description. IncludeFields:
// deal.cc_email, person.picture, product.price.
type ItemSearchQuery struct {
	Term                  string
	ItemTypes             []string
	Fields                []string
	SearchForRelatedItems bool
	ExactMatch            bool
	IncludeFields         []string
	Start                 int
	Limit                 int // 0 or above 500 means 500
}

func (q ItemSearchQuery) values(start int) (url.Values, error) {
	if err := checkTerm("searchItem", q.Term, q.ExactMatch); err != nil {
		return nil, err
	}
	v := url.Values{"term": {q.Term}}
	addStr(v, "item_types", strings.Join(q.ItemTypes, ","))
	addStr(v, "fields", strings.Join(q.Fields, ","))
	addBool(v, "search_for_related_items", q.SearchForRelatedItems)
	addBool(v, "exact_match", q.ExactMatch)
	addStr(v, "include_fields", strings.Join(q.IncludeFields, ","))
	setPage(v, "searchItem", start, q.Limit)
	return v, nil
}

// SearchItems returns one page of items matching q: the hits, then the related items
// (Related true) when q.SearchForRelatedItems.
func (c *Client) SearchItems(ctx context.Context, q ItemSearchQuery) ([]SearchResult, Page, *Response, error) {
	v, err := q.values(q.Start)
	if err != nil {
		return nil, Page{}, nil, err
	}
	var env envelope[struct {
		Items        []SearchResult `json:"items"`
		RelatedItems []SearchResult `json:"related_items"`
	}]
	resp, err := c.do(ctx, &call{op: "searchItem", query: v, out: &env})
	if err != nil {
		return nil, Page{}, resp, err
	}
	page, err := parsePage(env.AdditionalData, q.Start, len(env.Data.Items))
	if err != nil {
		return nil, Page{}, resp, &DecodeError{Op: "searchItem", Status: resp.Status, Err: err}
	}
	items := env.Data.Items
	for _, r := range env.Data.RelatedItems {
		r.Related = true
		items = append(items, r)
	}
	return items, page, resp, nil
}

// AllSearchItems iterates over every item matching q.
func (c *Client) AllSearchItems(ctx context.Context, q ItemSearchQuery) iter.Seq2[SearchResult, error] {
	return all(ctx, "searchItem", q.Start, func(ctx context.Context, start int) ([]SearchResult, Page, error) {
		q := q
		q.Start = start
		items, page, _, err := c.SearchItems(ctx, q)
		return items, page, err
	})
}

// FieldSearchQuery is GET /itemSearch/field. Term, FieldType (dealField, leadField,
// personField, organizationField, productField, projectField) and FieldKey are required.
type FieldSearchQuery struct {
	Term          string
	FieldType     string
	FieldKey      string
	ExactMatch    bool
	ReturnItemIDs bool
	Start         int
	Limit         int // 0 or above 500 means 500
}

func (q FieldSearchQuery) values(start int) (url.Values, error) {
	if strings.TrimSpace(q.Term) == "" {
		return nil, errors.New("pipedrive: searchItemByField: no search term")
	}
	if q.FieldType == "" || q.FieldKey == "" {
		return nil, errors.New("pipedrive: searchItemByField: field type and field key are required")
	}
	v := url.Values{"term": {q.Term}, "field_type": {q.FieldType}, "field_key": {q.FieldKey}}
	addBool(v, "exact_match", q.ExactMatch)
	addBool(v, "return_item_ids", q.ReturnItemIDs)
	setPage(v, "searchItemByField", start, q.Limit)
	return v, nil
}

// SearchItemsByField returns one page of the distinct values of a field matching q.
func (c *Client) SearchItemsByField(ctx context.Context, q FieldSearchQuery) ([]FieldSearchResult, Page, *Response, error) {
	v, err := q.values(q.Start)
	if err != nil {
		return nil, Page{}, nil, err
	}
	items, page, resp, err := listPage[FieldSearchResult](ctx, c, "searchItemByField", v, q.Start)
	for i := range items {
		if val, ok := items[i].Fields[q.FieldKey]; ok {
			items[i].Value = val
		}
	}
	return items, page, resp, err
}

// AllSearchItemsByField iterates over every value matching q.
func (c *Client) AllSearchItemsByField(ctx context.Context, q FieldSearchQuery) iter.Seq2[FieldSearchResult, error] {
	return all(ctx, "searchItemByField", q.Start, func(ctx context.Context, start int) ([]FieldSearchResult, Page, error) {
		q := q
		q.Start = start
		items, page, _, err := c.SearchItemsByField(ctx, q)
		return items, page, err
	})
}

// TeamsQuery is GET /legacyTeams: OrderBy is id, name, manager_id or active_flag.
type TeamsQuery struct {
	OrderBy   string
	SkipUsers bool
}

// Teams returns every legacy team.
func (c *Client) Teams(ctx context.Context, q TeamsQuery) ([]Team, *Response, error) {
	v := url.Values{}
	addStr(v, "order_by", q.OrderBy)
	if q.SkipUsers {
		v.Set("skip_users", "1")
	}
	var env envelope[[]Team]
	resp, err := c.do(ctx, &call{op: "getTeams", query: v, out: &env})
	return env.Data, resp, err
}

// Team returns legacy team id; skipUsers leaves out its user ids.
func (c *Client) Team(ctx context.Context, id int, skipUsers bool) (Team, *Response, error) {
	v := url.Values{}
	if skipUsers {
		v.Set("skip_users", "1")
	}
	var env envelope[Team]
	resp, err := c.do(ctx, &call{op: "getTeam", ids: []string{strconv.Itoa(id)}, query: v, out: &env})
	return env.Data, resp, err
}

// TeamInput is the body of POST /legacyTeams: Name and ManagerID are required.
type TeamInput struct {
	Name        string `json:"name"`
	ManagerID   int    `json:"manager_id"`
	Description string `json:"description,omitempty"`
	Users       []int  `json:"users,omitempty"`
}

// CreateTeam creates a legacy team (a 403 means the company's plan lacks teams).
func (c *Client) CreateTeam(ctx context.Context, in TeamInput) (Team, *Response, error) {
	return c.teamWrite(ctx, "addTeam", nil, in)
}

// CreateTeamRaw creates a legacy team from a caller-built payload.
func (c *Client) CreateTeamRaw(ctx context.Context, payload map[string]any) (Team, *Response, error) {
	return c.teamWrite(ctx, "addTeam", nil, payload)
}

// TeamUpdate is the body of PUT /legacyTeams/{id}; zero fields are not sent.
type TeamUpdate struct {
	Name        string `json:"name,omitempty"`
	ManagerID   int    `json:"manager_id,omitempty"`
	Description string `json:"description,omitempty"`
	Users       []int  `json:"users,omitempty"`
	ActiveFlag  *Flag  `json:"active_flag,omitempty"`
	DeletedFlag *Flag  `json:"deleted_flag,omitempty"`
}

// UpdateTeam changes legacy team id.
func (c *Client) UpdateTeam(ctx context.Context, id int, in TeamUpdate) (Team, *Response, error) {
	return c.teamWrite(ctx, "updateTeam", []string{strconv.Itoa(id)}, in)
}

// UpdateTeamRaw changes legacy team id with a caller-built payload.
func (c *Client) UpdateTeamRaw(ctx context.Context, id int, payload map[string]any) (Team, *Response, error) {
	return c.teamWrite(ctx, "updateTeam", []string{strconv.Itoa(id)}, payload)
}

func (c *Client) teamWrite(ctx context.Context, op string, ids []string, body any) (Team, *Response, error) {
	var env envelope[Team]
	resp, err := c.do(ctx, &call{op: op, ids: ids, json: body, out: &env})
	return env.Data, resp, err
}
