package pipedrive

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"
)

// The API v2 search endpoints (spec.EndpointsV2): GET /api/v2/itemSearch,
// /api/v2/persons/search, /api/v2/organizations/search and /api/v2/leads/search. They take
// the parameters of their v1 counterparts, cost 20 tokens where v1 costs 40, and page with
// an opaque cursor: each answer's additional_data.next_cursor names the next page, null
// (or absent) on the last one. They are paced in the search window like v1 search.

// CursorPage says where a cursor-paged answer leaves off.
type CursorPage struct {
	Cursor     string // the cursor this page was asked with ("" for the first page)
	NextCursor string // additional_data.next_cursor: "" when this is the last page
}

// parseCursorPage reads additional_data of a cursor-paged answer.
func parseCursorPage(raw json.RawMessage, cursor string) (CursorPage, error) {
	p := CursorPage{Cursor: cursor}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return p, nil
	}
	var ad struct {
		NextCursor *string `json:"next_cursor"`
	}
	if err := json.Unmarshal(raw, &ad); err != nil {
		return p, fmt.Errorf("additional_data: %w", err)
	}
	if ad.NextCursor != nil {
		p.NextCursor = *ad.NextCursor
	}
	return p, nil
}

// cursorFetch fetches the page that the cursor names ("" = the first).
type cursorFetch[T any] func(ctx context.Context, cursor string) ([]T, CursorPage, error)

// maxCursorPages bounds one walk: 10,000 pages of at least 100 items is past any search's
// result cap, so a server that hands out cursors forever cannot keep a lookup running.
const maxCursorPages = 10000

// allCursor walks every page from cursor until next_cursor is empty, yielding each item,
// or one error (then stops). A next cursor equal to one already used is an error, not a
// loop. Breaking out of the loop stops fetching.
func allCursor[T any](ctx context.Context, op, cursor string, fetch cursorFetch[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		seen := map[string]bool{cursor: true}
		for range maxCursorPages {
			items, page, err := fetch(ctx, cursor)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if page.NextCursor == "" {
				return
			}
			if seen[page.NextCursor] {
				yield(zero, fmt.Errorf("pipedrive: %s: cursor paging does not advance (cursor %q repeats)", op, page.NextCursor))
				return
			}
			seen[page.NextCursor] = true
			cursor = page.NextCursor
		}
		yield(zero, fmt.Errorf("pipedrive: %s: more than %d pages", op, maxCursorPages))
	}
}

// searchV2Page fetches one page of a v2 search endpoint whose data is {items: [T]}.
func searchV2Page[T any](ctx context.Context, c *Client, op string, v url.Values, cursor string) ([]T, CursorPage, *Response, error) {
	addStr(v, "cursor", cursor)
	var env envelope[struct {
		Items []T `json:"items"`
	}]
	resp, err := c.do(ctx, &call{op: op, query: v, out: &env})
	if err != nil {
		return nil, CursorPage{}, resp, err
	}
	page, err := parseCursorPage(env.AdditionalData, cursor)
	if err != nil {
		return nil, CursorPage{}, resp, &DecodeError{Op: op, Status: resp.Status, Err: err}
	}
	return env.Data.Items, page, resp, nil
}

// setLimit sets the page size of a v2 search (limit, at most the endpoint's maximum; 0 =
// the maximum: fewest requests, fewest tokens).
func setLimit(v url.Values, op string, limit int) {
	if l := clampLimit(op, limit); l > 0 {
		v.Set("limit", strconv.Itoa(l))
	}
}

// PersonSearchQuery is GET /api/v2/persons/search. Term is required: at least 2
// characters, or 1 with ExactMatch. Fields is a subset of custom_fields, email, notes,
// phone, name; IncludeFields of person.picture.
type PersonSearchQuery struct {
	Term           string
	Fields         []string
	ExactMatch     bool
	OrganizationID int
	IncludeFields  []string
	Limit          int    // 0 or above 500 means 500
	Cursor         string // "" = the first page
}

func (q PersonSearchQuery) values() (url.Values, error) {
	if err := checkTerm("searchPersons", q.Term, q.ExactMatch); err != nil {
		return nil, err
	}
	v := url.Values{"term": {q.Term}}
	addStr(v, "fields", strings.Join(q.Fields, ","))
	addBool(v, "exact_match", q.ExactMatch)
	addInt(v, "organization_id", q.OrganizationID)
	addStr(v, "include_fields", strings.Join(q.IncludeFields, ","))
	setLimit(v, "searchPersonsV2", q.Limit)
	return v, nil
}

// PersonSearchResult is one hit of a person search (v2 /persons/search, or a person of
// v1 /itemSearch: the item has the same shape).
type PersonSearchResult struct {
	ResultScore float64          `json:"result_score"`
	Item        PersonSearchItem `json:"item"`
}

// PersonSearchItem is the person of a person search hit.
type PersonSearchItem struct {
	ID           int      `json:"id"`
	Type         string   `json:"type"`
	Name         string   `json:"name"`
	Phones       []string `json:"phones"`
	Emails       []string `json:"emails"`
	VisibleTo    int      `json:"visible_to"`
	Owner        IDRef    `json:"owner"`
	Organization *NameRef `json:"organization"`
	CustomFields []string `json:"custom_fields"`
	Notes        []string `json:"notes"`
}

// SearchPersonsV2 returns one page of persons matching q, and where the next page starts.
func (c *Client) SearchPersonsV2(ctx context.Context, q PersonSearchQuery) ([]PersonSearchResult, CursorPage, *Response, error) {
	v, err := q.values()
	if err != nil {
		return nil, CursorPage{}, nil, err
	}
	return searchV2Page[PersonSearchResult](ctx, c, "searchPersonsV2", v, q.Cursor)
}

// AllSearchPersonsV2 iterates over every person matching q, from q.Cursor on.
func (c *Client) AllSearchPersonsV2(ctx context.Context, q PersonSearchQuery) iter.Seq2[PersonSearchResult, error] {
	return allCursor(ctx, "searchPersonsV2", q.Cursor, func(ctx context.Context, cursor string) ([]PersonSearchResult, CursorPage, error) {
		q := q
		q.Cursor = cursor
		items, page, _, err := c.SearchPersonsV2(ctx, q)
		return items, page, err
	})
}

// OrganizationSearchQuery is GET /api/v2/organizations/search. Term is required: at least
// 2 characters, or 1 with ExactMatch. Fields is a subset of address, custom_fields, notes,
// name.
type OrganizationSearchQuery struct {
	Term       string
	Fields     []string
	ExactMatch bool
	Limit      int    // 0 or above 500 means 500
	Cursor     string // "" = the first page
}

func (q OrganizationSearchQuery) values() (url.Values, error) {
	if err := checkTerm("searchOrganization", q.Term, q.ExactMatch); err != nil {
		return nil, err
	}
	v := url.Values{"term": {q.Term}}
	addStr(v, "fields", strings.Join(q.Fields, ","))
	addBool(v, "exact_match", q.ExactMatch)
	setLimit(v, "searchOrganizationV2", q.Limit)
	return v, nil
}

// OrganizationSearchResult is one hit of an organization search (v2
// /organizations/search, or an organization of v1 /itemSearch).
type OrganizationSearchResult struct {
	ResultScore float64                `json:"result_score"`
	Item        OrganizationSearchItem `json:"item"`
}

// OrganizationSearchItem is the organization of an organization search hit.
type OrganizationSearchItem struct {
	ID           int      `json:"id"`
	Type         string   `json:"type"`
	Name         string   `json:"name"`
	Address      string   `json:"address"`
	VisibleTo    int      `json:"visible_to"`
	Owner        IDRef    `json:"owner"`
	CustomFields []string `json:"custom_fields"`
	Notes        []string `json:"notes"`
}

// SearchOrganizationsV2 returns one page of organizations matching q.
func (c *Client) SearchOrganizationsV2(ctx context.Context, q OrganizationSearchQuery) ([]OrganizationSearchResult, CursorPage, *Response, error) {
	v, err := q.values()
	if err != nil {
		return nil, CursorPage{}, nil, err
	}
	return searchV2Page[OrganizationSearchResult](ctx, c, "searchOrganizationV2", v, q.Cursor)
}

// AllSearchOrganizationsV2 iterates over every organization matching q, from q.Cursor on.
func (c *Client) AllSearchOrganizationsV2(ctx context.Context, q OrganizationSearchQuery) iter.Seq2[OrganizationSearchResult, error] {
	return allCursor(ctx, "searchOrganizationV2", q.Cursor, func(ctx context.Context, cursor string) ([]OrganizationSearchResult, CursorPage, error) {
		q := q
		q.Cursor = cursor
		items, page, _, err := c.SearchOrganizationsV2(ctx, q)
		return items, page, err
	})
}

// LeadSearchV2Query is GET /api/v2/leads/search: LeadSearchQuery's parameters, with a
// cursor instead of a start.
type LeadSearchV2Query struct {
	Term           string
	Fields         []string // subset of custom_fields, notes, title
	ExactMatch     bool
	PersonID       int
	OrganizationID int
	IncludeFields  []string // subset of lead.was_seen
	Limit          int      // 0 or above 500 means 500
	Cursor         string   // "" = the first page
}

func (q LeadSearchV2Query) values() (url.Values, error) {
	if err := checkTerm("searchLeads", q.Term, q.ExactMatch); err != nil {
		return nil, err
	}
	v := url.Values{"term": {q.Term}}
	addStr(v, "fields", strings.Join(q.Fields, ","))
	addBool(v, "exact_match", q.ExactMatch)
	addInt(v, "person_id", q.PersonID)
	addInt(v, "organization_id", q.OrganizationID)
	addStr(v, "include_fields", strings.Join(q.IncludeFields, ","))
	setLimit(v, "searchLeadsV2", q.Limit)
	return v, nil
}

// SearchLeadsV2 returns one page of leads matching q (the same typed hits as v1).
func (c *Client) SearchLeadsV2(ctx context.Context, q LeadSearchV2Query) ([]LeadSearchResult, CursorPage, *Response, error) {
	v, err := q.values()
	if err != nil {
		return nil, CursorPage{}, nil, err
	}
	return searchV2Page[LeadSearchResult](ctx, c, "searchLeadsV2", v, q.Cursor)
}

// AllSearchLeadsV2 iterates over every lead matching q, from q.Cursor on.
func (c *Client) AllSearchLeadsV2(ctx context.Context, q LeadSearchV2Query) iter.Seq2[LeadSearchResult, error] {
	return allCursor(ctx, "searchLeadsV2", q.Cursor, func(ctx context.Context, cursor string) ([]LeadSearchResult, CursorPage, error) {
		q := q
		q.Cursor = cursor
		items, page, _, err := c.SearchLeadsV2(ctx, q)
		return items, page, err
	})
}

// ItemSearchV2Query is GET /api/v2/itemSearch: ItemSearchQuery's parameters, with a cursor
// instead of a start, and at most 100 items a page.
type ItemSearchV2Query struct {
	Term                  string
	ItemTypes             []string
	Fields                []string
	SearchForRelatedItems bool
	ExactMatch            bool
	IncludeFields         []string
	Limit                 int    // 0 or above 100 means 100
	Cursor                string // "" = the first page
}

func (q ItemSearchV2Query) values() (url.Values, error) {
	if err := checkTerm("searchItem", q.Term, q.ExactMatch); err != nil {
		return nil, err
	}
	v := url.Values{"term": {q.Term}}
	addStr(v, "item_types", strings.Join(q.ItemTypes, ","))
	addStr(v, "fields", strings.Join(q.Fields, ","))
	addBool(v, "search_for_related_items", q.SearchForRelatedItems)
	addBool(v, "exact_match", q.ExactMatch)
	addStr(v, "include_fields", strings.Join(q.IncludeFields, ","))
	setLimit(v, "searchItemV2", q.Limit)
	return v, nil
}

// SearchItemsV2 returns one page of items matching q: the hits, then the related items
// (Related true) when q.SearchForRelatedItems. The hits are v1's SearchResult.
func (c *Client) SearchItemsV2(ctx context.Context, q ItemSearchV2Query) ([]SearchResult, CursorPage, *Response, error) {
	v, err := q.values()
	if err != nil {
		return nil, CursorPage{}, nil, err
	}
	addStr(v, "cursor", q.Cursor)
	var env envelope[struct {
		Items        []SearchResult `json:"items"`
		RelatedItems []SearchResult `json:"related_items"`
	}]
	resp, err := c.do(ctx, &call{op: "searchItemV2", query: v, out: &env})
	if err != nil {
		return nil, CursorPage{}, resp, err
	}
	page, err := parseCursorPage(env.AdditionalData, q.Cursor)
	if err != nil {
		return nil, CursorPage{}, resp, &DecodeError{Op: "searchItemV2", Status: resp.Status, Err: err}
	}
	items := env.Data.Items
	for _, r := range env.Data.RelatedItems {
		r.Related = true
		items = append(items, r)
	}
	return items, page, resp, nil
}

// AllSearchItemsV2 iterates over every item matching q, from q.Cursor on.
func (c *Client) AllSearchItemsV2(ctx context.Context, q ItemSearchV2Query) iter.Seq2[SearchResult, error] {
	return allCursor(ctx, "searchItemV2", q.Cursor, func(ctx context.Context, cursor string) ([]SearchResult, CursorPage, error) {
		q := q
		q.Cursor = cursor
		items, page, _, err := c.SearchItemsV2(ctx, q)
		return items, page, err
	})
}

// v2Base returns the v2 API root beside the v1 root base: .../api/v1 → .../api/v2, and
// .../v1 (Pipedrive's https://api.pipedrive.com/v1) → .../api/v2, as the v2 document's
// server https://api.pipedrive.com/api/v2 has it. A root that ends in neither gets /api/v2
// appended.
func v2Base(base *url.URL) string {
	u := *base
	p := strings.TrimSuffix(u.Path, "/")
	p = strings.TrimSuffix(p, "/v1")
	p = strings.TrimSuffix(p, "/api")
	u.Path = p + "/api/v2"
	u.RawPath = ""
	return u.String()
}
