package pipedrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// SearchAPI chooses which search endpoints the Find methods call.
type SearchAPI string

const (
	// SearchAuto (the zero value) calls API v2 and, from the first time a v2 search
	// endpoint answers 404 on (a server without v2), API v1 for the rest of the client's
	// life, saying so once through Config.Notice.
	SearchAuto SearchAPI = ""
	// SearchV2 calls API v2 only: a 404 is an error.
	SearchV2 SearchAPI = "v2"
	// SearchV1 calls API v1 only: GET /itemSearch (deprecated) and GET /leads/search, at
	// 40 tokens each.
	SearchV1 SearchAPI = "v1"
)

// ParseSearchAPI reads a job's or a flag's search_api value: "", "auto", "v1" or "v2".
func ParseSearchAPI(s string) (SearchAPI, error) {
	switch s {
	case "", "auto":
		return SearchAuto, nil
	case "v1":
		return SearchV1, nil
	case "v2":
		return SearchV2, nil
	}
	return SearchAuto, fmt.Errorf("search api %q is not one of auto, v1, v2", s)
}

// searchFallback is a client's memory that the server has no v2 search.
type searchFallback struct {
	v1     atomic.Bool
	notice sync.Once
}

// useV2 reports whether a search with api goes to v2 now.
func (c *Client) useV2(api SearchAPI) bool {
	switch api {
	case SearchV1:
		return false
	case SearchV2:
		return true
	}
	return !c.search.v1.Load()
}

// fallBack records that op's v2 endpoint answered 404 (err) and says so once.
func (c *Client) fallBack(op string, err error) {
	c.search.v1.Store(true)
	c.search.notice.Do(func() {
		msg := fmt.Sprintf("the server answers 404 for the API v2 search (%s: %v): searching through API v1 for the rest of this run, at 40 tokens a request instead of 20 (set options.search_api: v1 or --search-api v1 to say so up front)", op, err)
		c.logf("pipedrive: %s", msg)
		if c.notice != nil {
			c.notice(c.red.redact(msg))
		}
	})
}

// v2Missing reports whether err is a v2 endpoint's 404: the server has no such endpoint.
func v2Missing(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// SearchOp returns the operation (an op of spec.Endpoints or spec.EndpointsV2) that a Find
// method of kind "persons", "organizations", "leads" or "items" calls now with api: what a
// cost estimate should count. It is "" for an unknown kind.
func (c *Client) SearchOp(api SearchAPI, kind string) string {
	return SearchOpFor(c == nil || c.useV2(api), kind)
}

// SearchOpFor is SearchOp without a client: v2 when v2 is true.
func SearchOpFor(v2 bool, kind string) string {
	switch kind {
	case "persons":
		if v2 {
			return "searchPersonsV2"
		}
		return "searchItem"
	case "organizations":
		if v2 {
			return "searchOrganizationV2"
		}
		return "searchItem"
	case "leads":
		if v2 {
			return "searchLeadsV2"
		}
		return "searchLeads"
	case "items":
		if v2 {
			return "searchItemV2"
		}
		return "searchItem"
	}
	return ""
}

// routed yields from v2 and, when api allows it and v2's first page answers 404, from v1
// instead (and for every later search of the client).
func routed[T any](c *Client, api SearchAPI, op string, v2, v1 func() iter.Seq2[T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		if c.useV2(api) {
			first, fell := true, false
			for it, err := range v2() {
				if err != nil && first && api == SearchAuto && v2Missing(err) {
					c.fallBack(op, err)
					fell = true
					break
				}
				first = false
				if !yield(it, err) || err != nil {
					return
				}
			}
			if !fell {
				return
			}
		}
		for it, err := range v1() {
			if !yield(it, err) || err != nil {
				return
			}
		}
	}
}

// FindPersons iterates over every person matching q: GET /api/v2/persons/search, or v1
// GET /itemSearch with item_types=person (q.OrganizationID and q.Cursor then unused; the
// person's organization is in each hit).
func (c *Client) FindPersons(ctx context.Context, api SearchAPI, q PersonSearchQuery) iter.Seq2[PersonSearchResult, error] {
	return routed(c, api, "searchPersonsV2",
		func() iter.Seq2[PersonSearchResult, error] { return c.AllSearchPersonsV2(ctx, q) },
		func() iter.Seq2[PersonSearchResult, error] {
			v1 := ItemSearchQuery{Term: q.Term, ItemTypes: []string{"person"}, Fields: q.Fields, ExactMatch: q.ExactMatch, IncludeFields: q.IncludeFields}
			return itemsAs[PersonSearchResult](c.AllSearchItems(ctx, v1), "person")
		})
}

// FindOrganizations iterates over every organization matching q: GET
// /api/v2/organizations/search, or v1 GET /itemSearch with item_types=organization.
func (c *Client) FindOrganizations(ctx context.Context, api SearchAPI, q OrganizationSearchQuery) iter.Seq2[OrganizationSearchResult, error] {
	return routed(c, api, "searchOrganizationV2",
		func() iter.Seq2[OrganizationSearchResult, error] { return c.AllSearchOrganizationsV2(ctx, q) },
		func() iter.Seq2[OrganizationSearchResult, error] {
			v1 := ItemSearchQuery{Term: q.Term, ItemTypes: []string{"organization"}, Fields: q.Fields, ExactMatch: q.ExactMatch}
			return itemsAs[OrganizationSearchResult](c.AllSearchItems(ctx, v1), "organization")
		})
}

// FindLeads iterates over every lead matching q: GET /api/v2/leads/search, or v1 GET
// /leads/search.
func (c *Client) FindLeads(ctx context.Context, api SearchAPI, q LeadSearchV2Query) iter.Seq2[LeadSearchResult, error] {
	return routed(c, api, "searchLeadsV2",
		func() iter.Seq2[LeadSearchResult, error] { return c.AllSearchLeadsV2(ctx, q) },
		func() iter.Seq2[LeadSearchResult, error] {
			return c.AllSearchLeads(ctx, LeadSearchQuery{Term: q.Term, Fields: q.Fields, ExactMatch: q.ExactMatch,
				PersonID: q.PersonID, OrganizationID: q.OrganizationID, IncludeFields: q.IncludeFields, Limit: q.Limit})
		})
}

// FindItems iterates over every item matching q (then the related items, Related true):
// GET /api/v2/itemSearch, or v1 GET /itemSearch (deprecated). This is what an export of
// search results calls.
func (c *Client) FindItems(ctx context.Context, api SearchAPI, q ItemSearchV2Query) iter.Seq2[SearchResult, error] {
	return routed(c, api, "searchItemV2",
		func() iter.Seq2[SearchResult, error] { return c.AllSearchItemsV2(ctx, q) },
		func() iter.Seq2[SearchResult, error] {
			return c.AllSearchItems(ctx, ItemSearchQuery{Term: q.Term, ItemTypes: q.ItemTypes, Fields: q.Fields,
				SearchForRelatedItems: q.SearchForRelatedItems, ExactMatch: q.ExactMatch, IncludeFields: q.IncludeFields, Limit: q.Limit})
		})
}

// itemsAs decodes the v1 item search hits of type typ (related items left out) into T.
func itemsAs[T any](seq iter.Seq2[SearchResult, error], typ string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		for hit, err := range seq {
			if err != nil {
				yield(zero, err)
				return
			}
			if hit.Related {
				continue
			}
			if t, _ := hit.ItemType(); t != typ {
				continue
			}
			var out T
			b, err := json.Marshal(struct {
				ResultScore float64         `json:"result_score"`
				Item        json.RawMessage `json:"item"`
			}{hit.ResultScore, hit.Item})
			if err == nil {
				err = json.Unmarshal(b, &out)
			}
			if err != nil {
				yield(zero, &DecodeError{Op: "searchItem", Status: http.StatusOK, Err: fmt.Errorf("%s item: %w", typ, err)})
				return
			}
			if !yield(out, nil) {
				return
			}
		}
	}
}

// ItemSearchV2QueryFrom builds an item search from query parameters as a job file gives
// them (term, item_types, fields, search_for_related_items, exact_match, include_fields,
// limit; comma-separated lists), for callers that hold url.Values, such as an export of
// search results. An unknown key or a value that is not a boolean or a number is an error.
func ItemSearchV2QueryFrom(v url.Values) (ItemSearchV2Query, error) {
	var q ItemSearchV2Query
	list := func(s string) []string {
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	for k, vals := range v {
		val := ""
		if len(vals) > 0 {
			val = vals[len(vals)-1]
		}
		var err error
		switch k {
		case "term":
			q.Term = val
		case "item_types":
			q.ItemTypes = list(val)
		case "fields":
			q.Fields = list(val)
		case "include_fields":
			q.IncludeFields = list(val)
		case "search_for_related_items":
			q.SearchForRelatedItems, err = strconv.ParseBool(val)
		case "exact_match":
			q.ExactMatch, err = strconv.ParseBool(val)
		case "limit":
			q.Limit, err = strconv.Atoi(val)
		default:
			return q, fmt.Errorf("pipedrive: item search: unknown parameter %q", k)
		}
		if err != nil {
			return q, fmt.Errorf("pipedrive: item search: %s %q: %w", k, val, err)
		}
	}
	return q, nil
}
