// Package spec holds the facts of the Pipedrive API that both the client and the sandbox
// depend on: the v1 endpoints pdbulk uses (Endpoints) and the v2 search endpoints that
// replace v1's deprecated item search (EndpointsV2), with their token costs, paging limits
// and deprecation marks, and the
// project's own copy of the seed request/response schemas, widened where Pipedrive's current
// OpenAPI document widens them (see Differences), with a checker for them.
//
// It is a leaf: pure data and pure functions, no I/O beyond the embedded schema file.
package spec

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Endpoint describes one operation of the API.
type Endpoint struct {
	Op            string // operationId in the OpenAPI document (v2: DocOp, suffixed V2)
	Method        string
	Path          string // template, relative to /v1 (to /api/v2 when Version is 2), e.g. /leads/{id}
	Cost          int    // x-token-cost: tokens the operation takes from the daily budget
	Status        int    // status of a successful answer
	Request       string // seed schema of the request body, "" if none
	Response      string // seed schema of the success body, "" if none (binary or undocumented)
	ErrorResponse string // seed schema of the documented 403/404 body, "" if none
	MaxLimit      int    // largest accepted `limit` query value; 0 when the endpoint does not page
	Version       int    // API version: 0 (v1) for Endpoints, 2 for EndpointsV2
	DocOp         string // operationId in the v2 document when Op differs from it; "" otherwise
	Deprecated    bool   // the current OpenAPI document marks the operation deprecated
}

// ByOp returns the endpoint with operationId op. It panics on an unknown op: ops are
// compile-time constants of the callers, so an unknown one is a programming error.
func ByOp(op string) Endpoint {
	e, ok := Find(op)
	if !ok {
		panic("spec: unknown operation " + op)
	}
	return e
}

// Find returns the endpoint with operationId op, and false when there is none (an op
// read from an answer or an error rather than written in the code).
func Find(op string) (Endpoint, bool) {
	for _, list := range [][]Endpoint{Endpoints, EndpointsV2} {
		for _, e := range list {
			if e.Op == op {
				return e, true
			}
		}
	}
	return Endpoint{}, false
}

// Match returns the v1 endpoint serving method and path (path relative to /v1, without
// query), and whether one does. Literal segments win over {id} segments.
func Match(method, path string) (Endpoint, bool) { return match(Endpoints, method, path) }

// MatchV2 is Match for the v2 endpoints (EndpointsV2), path relative to /api/v2.
func MatchV2(method, path string) (Endpoint, bool) { return match(EndpointsV2, method, path) }

func match(list []Endpoint, method, path string) (Endpoint, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	best, bestScore := Endpoint{}, -1
	for _, e := range list {
		if e.Method != method {
			continue
		}
		tsegs := strings.Split(strings.Trim(e.Path, "/"), "/")
		if len(tsegs) != len(segs) {
			continue
		}
		score := 0
		ok := true
		for i, t := range tsegs {
			switch {
			case strings.HasPrefix(t, "{"):
			case t == segs[i]:
				score++
			default:
				ok = false
			}
		}
		if ok && score > bestScore {
			best, bestScore = e, score
		}
	}
	return best, bestScore >= 0
}

//go:embed schemas/pipedrive-schemas.json
var schemaJSON []byte

var (
	schemasOnce sync.Once
	schemas     map[string]map[string]any
	schemasErr  error
)

func loadSchemas() (map[string]map[string]any, error) {
	schemasOnce.Do(func() {
		if schemasErr = json.Unmarshal(schemaJSON, &schemas); schemasErr == nil {
			schemasErr = widen(schemas)
		}
	})
	return schemas, schemasErr
}

// SchemaNames returns the names of every seed schema, sorted.
func SchemaNames() []string {
	s, err := loadSchemas()
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Schema returns the seed schema called name as parsed JSON, with Differences applied, and
// whether it exists.
// Callers must not modify it.
func Schema(name string) (map[string]any, bool) {
	s, err := loadSchemas()
	if err != nil {
		return nil, false
	}
	v, ok := s[name]
	return v, ok
}

// CheckResponse checks body against the seed response schema name the way the sandbox
// promises to answer: every documented key present at every level (null where empty), and
// every non-null value of the documented type, enum and format.
func CheckResponse(name string, body []byte) error {
	return check(name, body, true)
}

// CheckRequest checks body against the seed request schema name as the real API reads it:
// required keys present, nullable honoured, types, enums and formats.
func CheckRequest(name string, body []byte) error {
	return check(name, body, false)
}

func check(name string, body []byte, response bool) error {
	sch, ok := Schema(name)
	if !ok {
		return fmt.Errorf("spec: no schema %q", name)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("spec: %s: body is not JSON: %w", name, err)
	}
	c := &checker{response: response}
	c.value("$", sch, v)
	if len(c.problems) > 0 {
		return &SchemaError{Schema: name, Problems: c.problems}
	}
	return nil
}

// SchemaError lists every place where a body departs from its schema.
type SchemaError struct {
	Schema   string
	Problems []string
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("spec: %s: %s", e.Schema, strings.Join(e.Problems, "; "))
}
