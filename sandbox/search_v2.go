package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/pdbulk/pdbulk/spec"
)

// The API v2 search endpoints (spec.EndpointsV2), served under /api/v2: the parameters,
// matching rules and item shapes of their v1 counterparts, with cursor paging instead of
// start/limit. A cursor is opaque to clients; here it is the base64url JSON of the offset
// of the next page's first hit, as Pipedrive's are base64url JSON of a position.
// additional_data.next_cursor is null on the last page, as the document's description
// says.

// routeV2 dispatches p (the path after /api/v2) to the handler of its v2 endpoint.
func (s *Server) routeV2(w http.ResponseWriter, r *http.Request, p string) {
	e, found := spec.MatchV2(r.Method, p)
	if !found {
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if _, other := spec.MatchV2(m, p); other && m != r.Method {
				writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed on "+p, defaultErrorInfo)
				return
			}
		}
		writeError(w, http.StatusNotFound, "unknown endpoint "+p, defaultErrorInfo)
		return
	}
	switch e.Op {
	case "searchItemV2":
		s.searchItemsV2(w, r, e.MaxLimit)
	case "searchPersonsV2":
		s.searchPersonsV2(w, r, e.MaxLimit)
	case "searchOrganizationV2":
		s.searchOrganizationsV2(w, r, e.MaxLimit)
	case "searchLeadsV2":
		s.searchLeadsV2(w, r, e.MaxLimit)
	default:
		writeError(w, http.StatusNotFound, "unknown endpoint "+p, defaultErrorInfo)
	}
}

// cursorPos is what a cursor holds.
type cursorPos struct {
	Offset int `json:"offset"`
}

func encodeCursor(offset int) string {
	b, _ := json.Marshal(cursorPos{Offset: offset})
	return base64.RawURLEncoding.EncodeToString(b)
}

var errBadCursor = errors.New("cursor is not a cursor this endpoint handed out")

func decodeCursor(c string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, errBadCursor
	}
	var pos cursorPos
	if json.Unmarshal(b, &pos) != nil || pos.Offset < 1 {
		return 0, errBadCursor
	}
	return pos.Offset, nil
}

// parseCursorPage reads limit (default 100, at most max; larger values are cut to max, as
// v1 does) and cursor into a page.
func parseCursorPage(q map[string][]string, max int) (page, error) {
	p := page{limit: spec.DefaultSearchLimit}
	if max > 0 && max < p.limit {
		p.limit = max
	}
	if v := first(q, "limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, errors.New("limit must be a positive integer")
		}
		p.limit = min(n, max)
	}
	if c := first(q, "cursor"); c != "" {
		off, err := decodeCursor(c)
		if err != nil {
			return p, err
		}
		p.start = off
	}
	return p, nil
}

// writeHitsV2 answers a page of search hits with cursor paging.
func writeHitsV2(w http.ResponseWriter, hits []hit, more bool, pg page, related bool) {
	items := make([]map[string]any, 0, len(hits))
	for _, h := range hits {
		items = append(items, map[string]any{"result_score": h.score, "item": h.item})
	}
	data := map[string]any{"items": items}
	if related {
		data["related_items"] = []any{}
	}
	var next any
	if more {
		next = encodeCursor(pg.start + pg.limit)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"success": true, "data": data,
		"additional_data": map[string]any{"next_cursor": next},
	})
}

func (s *Server) searchItemsV2(w http.ResponseWriter, r *http.Request, maxLimit int) {
	s.searchItemsPaged(w, r, maxLimit, parseCursorPage, writeHitsV2)
}

var (
	personSearchFields = []string{"custom_fields", "email", "notes", "phone", "name"}
	orgSearchFields    = []string{"address", "custom_fields", "notes", "name"}
)

func (s *Server) searchPersonsV2(w http.ResponseWriter, r *http.Request, maxLimit int) {
	q := r.URL.Query()
	term, exact, okTerm := searchTerm(w, q)
	if !okTerm {
		return
	}
	flds, okF := listParam(w, q, "fields", personSearchFields)
	if !okF {
		return
	}
	if _, okI := listParam(w, q, "include_fields", []string{"person.picture"}); !okI {
		return
	}
	orgID, _, err := parseIDParam(q, "organization_id")
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	pg, err := parseCursorPage(q, maxLimit)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	top := newTopHits(pg)
	s.store.dir.personHits(top, term, exact, flds, orgID, 0)
	hits, more := top.page(pg)
	writeHitsV2(w, hits, more, pg, false)
}

func (s *Server) searchOrganizationsV2(w http.ResponseWriter, r *http.Request, maxLimit int) {
	q := r.URL.Query()
	term, exact, okTerm := searchTerm(w, q)
	if !okTerm {
		return
	}
	flds, okF := listParam(w, q, "fields", orgSearchFields)
	if !okF {
		return
	}
	pg, err := parseCursorPage(q, maxLimit)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	top := newTopHits(pg)
	s.store.dir.orgHits(top, term, exact, flds, 0)
	hits, more := top.page(pg)
	writeHitsV2(w, hits, more, pg, false)
}

func (s *Server) searchLeadsV2(w http.ResponseWriter, r *http.Request, maxLimit int) {
	s.searchLeadsPaged(w, r, maxLimit, parseCursorPage, writeHitsV2)
}
