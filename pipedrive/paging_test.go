package pipedrive

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// pagedServer serves total items of a list, honouring start and limit, in the pagination
// shape of the endpoint: GET /leads puts start/limit/more directly in additional_data,
// every other list nests them in additional_data.pagination with next_start.
func pagedServer(t *testing.T, total int, item func(i int) string) *fakeAPI {
	return newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		start, _ := strconv.Atoi(q.Get("start"))
		limit, err := strconv.Atoi(q.Get("limit"))
		if err != nil || limit <= 0 {
			t.Errorf("limit = %q, want a positive number", q.Get("limit"))
			limit = 100
		}
		end := min(start+limit, total)
		var items []string
		for i := start; i < end; i++ {
			items = append(items, item(i))
		}
		more := end < total
		data := "[" + strings.Join(items, ",") + "]"
		switch r.URL.Path {
		case "/v1/leads":
			writeJSON(w, 200, envPaged(data, fmt.Sprintf(`{"start":%d,"limit":%d,"more_items_in_collection":%t}`, start, limit, more)))
		case "/v1/leads/search":
			writeJSON(w, 200, envPaged(`{"items":`+data+`}`, pagination(start, limit, more, end)))
		default:
			writeJSON(w, 200, envPaged(data, pagination(start, limit, more, end)))
		}
	})
}

func pagination(start, limit int, more bool, next int) string {
	ns := "null"
	if more {
		ns = strconv.Itoa(next)
	}
	return fmt.Sprintf(`{"pagination":{"start":%d,"limit":%d,"more_items_in_collection":%t,"next_start":%s}}`, start, limit, more, ns)
}

func leadN(i int) string {
	return fmt.Sprintf(`{"id":"00000000-0000-0000-0000-%012d","title":"Lead %d"}`, i, i)
}

func TestPagingBothShapes(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		total      int
		run        func(c *Client) ([]string, error)
		wantStarts []string
		wantLimit  string
	}{
		{name: "leads, flat additional_data", total: 5, wantStarts: []string{"", "2", "4"}, wantLimit: "2",
			run: func(c *Client) ([]string, error) {
				var got []string
				for l, err := range c.AllLeads(ctx, LeadsQuery{Limit: 2}) {
					if err != nil {
						return got, err
					}
					got = append(got, l.Title)
				}
				return got, nil
			}},
		{name: "files, nested pagination with next_start", total: 5, wantStarts: []string{"", "2", "4"}, wantLimit: "2",
			run: func(c *Client) ([]string, error) {
				var got []string
				for f, err := range c.AllFiles(ctx, FilesQuery{Limit: 2}) {
					if err != nil {
						return got, err
					}
					got = append(got, f.Name)
				}
				return got, nil
			}},
		{name: "lead search, items inside data", total: 5, wantStarts: []string{"", "3"}, wantLimit: "3",
			run: func(c *Client) ([]string, error) {
				var got []string
				for r, err := range c.AllSearchLeads(ctx, LeadSearchQuery{Term: "lead", Limit: 3}) {
					if err != nil {
						return got, err
					}
					got = append(got, r.Item.Title)
				}
				return got, nil
			}},
		{name: "files limit above maximum is clamped to 100", total: 150, wantStarts: []string{"", "100"}, wantLimit: "100",
			run: func(c *Client) ([]string, error) {
				n := 0
				for _, err := range c.AllFiles(ctx, FilesQuery{Limit: 1000}) {
					if err != nil {
						return nil, err
					}
					n++
				}
				return []string{strconv.Itoa(n)}, nil
			}},
		{name: "leads default page size is the maximum", total: 3, wantStarts: []string{""}, wantLimit: "500",
			run: func(c *Client) ([]string, error) {
				n := 0
				for _, err := range c.AllLeads(ctx, LeadsQuery{}) {
					if err != nil {
						return nil, err
					}
					n++
				}
				return []string{strconv.Itoa(n)}, nil
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := pagedServer(t, tc.total, func(i int) string {
				if strings.Contains(tc.name, "search") {
					return `{"result_score":1,"item":` + leadN(i) + `}`
				}
				if strings.Contains(tc.name, "files") {
					return fmt.Sprintf(`{"id":%d,"name":"Lead %d"}`, i+1, i)
				}
				return leadN(i)
			})
			c, _ := fake.client(t, nil)
			got, err := tc.run(c)
			if err != nil {
				t.Fatalf("iterate: %v", err)
			}
			var want []string
			if len(got) == 1 && !strings.HasPrefix(got[0], "Lead") {
				want = []string{strconv.Itoa(tc.total)}
			} else {
				for i := range tc.total {
					want = append(want, fmt.Sprintf("Lead %d", i))
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("items = %v, want %v", got, want)
			}
			var starts []string
			for _, rc := range fake.calls() {
				starts = append(starts, firstOr(rc.Query["start"]))
				if l := firstOr(rc.Query["limit"]); l != tc.wantLimit {
					t.Errorf("limit = %s, want %s", l, tc.wantLimit)
				}
			}
			if !reflect.DeepEqual(starts, tc.wantStarts) {
				t.Errorf("page starts = %q, want %q", starts, tc.wantStarts)
			}
		})
	}
}

func firstOr(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func TestPagingBreakStopsFetching(t *testing.T) {
	fake := pagedServer(t, 10, leadN)
	c, _ := fake.client(t, nil)
	n := 0
	for _, err := range c.AllLeads(context.Background(), LeadsQuery{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 3 {
			break
		}
	}
	if got := len(fake.calls()); got != 2 {
		t.Errorf("server saw %d page requests, want 2", got)
	}
}

func TestPagingErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    error
	}{
		{name: "page that does not advance", want: nil, handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, envPaged(`[{"id":1}]`, `{"pagination":{"start":0,"limit":1,"more_items_in_collection":true,"next_start":0}}`))
		}},
		{name: "error on a later page", want: ErrUnauthorized, handler: func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("start") == "" {
				writeJSON(w, 200, envPaged(`[{"id":1}]`, pagination(0, 1, true, 1)))
				return
			}
			writeJSON(w, 401, `{"success":false,"error":"unauthorized access","errorCode":401}`)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeAPI(t, tc.handler)
			c, _ := fake.client(t, nil)
			var items, errs int
			var last error
			for _, err := range c.AllFiles(context.Background(), FilesQuery{Limit: 1}) {
				if err != nil {
					errs++
					last = err
					continue
				}
				items++
			}
			if items != 1 || errs != 1 {
				t.Fatalf("got %d items and %d errors, want 1 and 1", items, errs)
			}
			if tc.want != nil && !errors.Is(last, tc.want) {
				t.Errorf("error = %v, want %v", last, tc.want)
			}
			if got := len(fake.calls()); got != 2 && tc.want != nil {
				t.Errorf("server saw %d requests, want 2", got)
			}
		})
	}
}

func TestParsePage(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		n    int
		want Page
	}{
		{name: "absent", raw: ``, n: 3, want: Page{Start: 10, NextStart: 13}},
		{name: "null", raw: `null`, n: 3, want: Page{Start: 10, NextStart: 13}},
		{name: "flat", raw: `{"start":10,"limit":3,"more_items_in_collection":true}`, n: 3, want: Page{Start: 10, Limit: 3, More: true, NextStart: 13}},
		{name: "nested", raw: `{"pagination":{"start":10,"limit":3,"more_items_in_collection":true,"next_start":13}}`, n: 3, want: Page{Start: 10, Limit: 3, More: true, NextStart: 13}},
		{name: "nested without next_start", raw: `{"pagination":{"start":10,"limit":5,"more_items_in_collection":false}}`, n: 2, want: Page{Start: 10, Limit: 5, NextStart: 12}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parsePage([]byte(tc.raw), 10, tc.n)
			if err != nil || got != tc.want {
				t.Errorf("parsePage(%s) = %+v, %v; want %+v", tc.raw, got, err, tc.want)
			}
		})
	}
}

func TestSearchTermChecked(t *testing.T) {
	fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, env(`{"items":[]}`)) })
	c, _ := fake.client(t, nil)
	ctx := context.Background()
	if _, _, _, err := c.SearchLeads(ctx, LeadSearchQuery{Term: "j"}); err == nil {
		t.Error("SearchLeads accepted a 1-character term without exact match")
	}
	if _, _, _, err := c.SearchItems(ctx, ItemSearchQuery{Term: " "}); err == nil {
		t.Error("SearchItems accepted a blank term")
	}
	if _, _, _, err := c.SearchItemsByField(ctx, FieldSearchQuery{Term: "x", FieldType: "dealField"}); err == nil {
		t.Error("SearchItemsByField accepted a missing field key")
	}
	if n := len(fake.calls()); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
	if _, _, _, err := c.SearchLeads(ctx, LeadSearchQuery{Term: "j", ExactMatch: true}); err != nil {
		t.Errorf("SearchLeads with exact match and 1 character: %v", err)
	}
}
