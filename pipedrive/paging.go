package pipedrive

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"

	"github.com/pdbulk/pdbulk/spec"
)

// Page says where a page sits in its collection. It reads both shapes of the API:
// additional_data.pagination{start, limit, more_items_in_collection, next_start} and, for
// GET /leads, start/limit/more_items_in_collection directly in additional_data.
type Page struct {
	Start     int  // start of this page
	Limit     int  // page size the server applied
	More      bool // more_items_in_collection
	NextStart int  // start of the next page: next_start, or Start + items on this page
}

// pageFields is either pagination shape.
type pageFields struct {
	Start     *int  `json:"start"`
	Limit     *int  `json:"limit"`
	More      *bool `json:"more_items_in_collection"`
	NextStart *int  `json:"next_start"`
}

// parsePage reads additional_data of a page that asked for start and got n items.
func parsePage(raw json.RawMessage, start, n int) (Page, error) {
	p := Page{Start: start}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		p.NextStart = start + n
		return p, nil
	}
	var ad struct {
		pageFields
		Pagination *pageFields `json:"pagination"`
	}
	if err := json.Unmarshal(raw, &ad); err != nil {
		return p, fmt.Errorf("additional_data: %w", err)
	}
	f := ad.pageFields
	if ad.Pagination != nil {
		f = *ad.Pagination
	}
	if f.Start != nil {
		p.Start = *f.Start
	}
	if f.Limit != nil {
		p.Limit = *f.Limit
	}
	if f.More != nil {
		p.More = *f.More
	}
	p.NextStart = p.Start + n
	if f.NextStart != nil {
		p.NextStart = *f.NextStart
	}
	return p, nil
}

// clampLimit returns the page size to ask op for: limit, at most the endpoint's MaxLimit;
// zero or negative means the MaxLimit (fewest requests, fewest tokens).
func clampLimit(op string, limit int) int {
	ep, _ := spec.Find(op)
	if ep.MaxLimit == 0 {
		if limit <= 0 {
			return 100
		}
		return limit
	}
	if limit <= 0 || limit > ep.MaxLimit {
		return ep.MaxLimit
	}
	return limit
}

// setPage writes start and limit into q.
func setPage(q url.Values, op string, start, limit int) {
	if start > 0 {
		q.Set("start", strconv.Itoa(start))
	}
	q.Set("limit", strconv.Itoa(clampLimit(op, limit)))
}

// fetchFunc fetches the page that starts at start.
type fetchFunc[T any] func(ctx context.Context, start int) ([]T, Page, error)

// all walks every page from start until more_items_in_collection is false, yielding each
// item, or one error (then stops). Breaking out of the loop stops fetching.
func all[T any](ctx context.Context, op string, start int, fetch fetchFunc[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		for {
			items, page, err := fetch(ctx, start)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if !page.More {
				return
			}
			if page.NextStart <= start {
				yield(zero, fmt.Errorf("pipedrive: %s: pagination does not advance past start %d", op, start))
				return
			}
			start = page.NextStart
		}
	}
}

// listPage fetches one page of a list whose data is an array of T.
func listPage[T any](ctx context.Context, c *Client, op string, q url.Values, start int) ([]T, Page, *Response, error) {
	var env envelope[[]T]
	resp, err := c.do(ctx, &call{op: op, query: q, out: &env})
	if err != nil {
		return nil, Page{}, resp, err
	}
	page, err := parsePage(env.AdditionalData, start, len(env.Data))
	if err != nil {
		return nil, Page{}, resp, &DecodeError{Op: op, Status: resp.Status, Err: err}
	}
	return env.Data, page, resp, nil
}

// addInt sets key to v when v is not zero.
func addInt(q url.Values, key string, v int) {
	if v != 0 {
		q.Set(key, strconv.Itoa(v))
	}
}

// addStr sets key to v when v is not empty.
func addStr(q url.Values, key, v string) {
	if v != "" {
		q.Set(key, v)
	}
}

// addBool sets key to "true" when v is true (false is every flag's default).
func addBool(q url.Values, key string, v bool) {
	if v {
		q.Set(key, "true")
	}
}
