package sandbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/pdbulk/pdbulk/spec"
)

// The independent validator: every request the conformance suite sends through the real
// client and every answer the sandbox gives is validated with kin-openapi's openapi3filter
// against Pipedrive's own OpenAPI document, not with spec/check.go, so that a misreading
// of the schemas in spec cannot hide in both the thing tested and the test.
//
// The document is testdata/openapi-v1-2026-01-14.pdbulk.yaml: Pipedrive's
// openapi-v1-2026-01-14.yaml (see ../shared/pipedrive-openapi/README.md; the copy there
// is 2.7 MB) cut to the paths pdbulk uses, unchanged otherwise. Refresh it with
//
//	go test ./sandbox/ -run TestOpenAPISubset -update-openapi ../../shared/pipedrive-openapi/openapi-v1-2026-01-14.yaml

// openapiFile is the document the validator loads, relative to the package directory.
const openapiFile = "testdata/openapi-v1-2026-01-14.pdbulk.yaml"

// openapiServer is the document's server: requests are matched as if sent to it.
const openapiServer = "https://api.pipedrive.com/v1"

// The v2 search endpoints (spec.EndpointsV2) are validated the same way against
// testdata/openapi-v2.pdbulk.yaml: Pipedrive's openapi-v2.yaml cut to those paths.
// Refresh it with
//
//	go test ./sandbox/ -run TestOpenAPISubset -update-openapi-v2 ../../shared/pipedrive-openapi/openapi-v2.yaml
const (
	openapiV2File   = "testdata/openapi-v2.pdbulk.yaml"
	openapiV2Server = "https://api.pipedrive.com/api/v2"
)

// openapiException is a place where Pipedrive's document is wrong or stricter than the
// API, so that the sandbox, answering as Pipedrive does, cannot satisfy it. A problem is
// excused when its operation, body path (a JSON pointer, "*" matching one segment) and
// rule all match. op and each pointer segment may list alternatives: "getFile|addFile",
// "/data/deal_id|org_id".
type openapiException struct {
	op, pointer, rule, why string
}

// openapiExceptions lists every such place, with the reason. Each is something the
// document's own text, its examples or the API contradict; the sandbox's docs (doc.go)
// list the nulls among them.
var openapiExceptions = []openapiException{
	// Query parameters typed more narrowly than their description.
	{"getLeads|getArchivedLeads", "?sort", "enum", "the schema lists field names, the description (and the API) " +
		"takes \"field_name_1 ASC, field_name_2 DESC\""},
	{"searchItem", "?item_types", "enum", "the schema is one enum value, the description a " +
		"comma-separated list of them"},
	// Ids of items a file is not linked to: the document types them as integers (a string
	// for lead_id), the API sends null, as the document's own example does for log_id.
	{"getFiles", "/data/*/deal_id|person_id|org_id|product_id|activity_id|lead_id", "nullable",
		"null when the file is not linked to an item of that kind"},
	{"getFile|addFile|updateFile|linkFileToItem|addFileAndLinkIt", "/data/deal_id|person_id|org_id|product_id|activity_id|lead_id",
		"nullable", "null when the file is not linked to an item of that kind"},
	{"downloadFile", "/", "response", "the document marks the answer x-binary-response: the " +
		"file's bytes, served with the file's own type rather than application/octet-stream"},
	// A filter not tied to a custom view.
	{"addFilter|updateFilter|getFilter", "/data/custom_view_id", "nullable", "null when the filter belongs to no custom view"},
	{"getFilters", "/data/*/custom_view_id", "nullable", "null when the filter belongs to no custom view"},
	// Goals: the request descriptions say null means all pipelines, all activity types, no end.
	{"addGoal|updateGoal|getGoalResult", "/data/goal/type/params/pipeline_id|activity_type_id", "nullable",
		"null tracks all pipelines or all activity types (addGoal's description)"},
	{"addGoal|updateGoal|getGoalResult", "/data/goal/duration/end", "nullable", "null is an open-ended goal (addGoal's description)"},
	{"getGoals", "/data/goals/*/type/params/pipeline_id|activity_type_id", "nullable", "null tracks all pipelines or activity types"},
	{"getGoals", "/data/goals/*/duration/end", "nullable", "null is an open-ended goal"},
	// Goal types: addGoal's own type description lists six types, revenue_forecast among
	// them; getGoals' type.name enum lists the other five, so a goal the document lets one
	// create could not be looked up by its type (the goals sample's "2027 revenue").
	{"getGoals", "?type.name", "enum", "revenue_forecast is a goal type (addGoal's and updateGoal's " +
		"description of type), missing from getGoals' enum"},
	// Lead search items: the example shows a lead with every link and a value; a lead has
	// value, person and organization nullable (the lead object of GET /leads says so).
	{"searchLeads|searchItem", "/data/items/*/item/value|currency", "nullable", "null for a lead without a value"},
	{"searchLeads|searchItem", "/data/items/*/item/person|organization", "nullable", "null for an item without that link"},
	// API v2 search: the description of additional_data.next_cursor says it is null on the
	// last page; the schema types it as a string without nullable.
	{"searchItem|searchLeads|searchPersons|searchOrganization", "/additional_data/next_cursor", "nullable",
		"null when there are no more pages (the field's own description)"},
	// A person without an organization: the v2 document's own example sends its address null.
	{"searchPersons|searchItem", "/data/items/*/item/organization/address", "nullable", "null in the document's own example"},
	// Field search: a lead's id is a UUID string; the document types every id as an integer.
	{"searchItemByField", "/data/*/id", "type", "a lead's id is a UUID string (field_type=leadField)"},
}

// openapiPending lists differences that are the sandbox's, not the document's, whose fix
// lies outside this branch (sandbox/search.go is changed on another): each is a known
// bug, excused here only so that the rest is checked, and named in issue 10.
var openapiPending = []openapiException{
	{"searchItemByField", "/data/*/id", "nullable", "without return_item_ids Pipedrive leaves id out; " +
		"the sandbox sends null (search.go: add() should not set the key when !withIDs)"},
}

func (x openapiException) matches(op, pointer, rule string) bool {
	if !slices.Contains(strings.Split(x.op, "|"), op) || x.rule != rule {
		return false
	}
	want, got := strings.Split(x.pointer, "/"), strings.Split(pointer, "/")
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		if want[i] != "*" && !slices.Contains(strings.Split(want[i], "|"), got[i]) {
			return false
		}
	}
	return true
}

type openapiLoaded struct {
	once   sync.Once
	router routers.Router
	err    error
}

var openapiDoc, openapiV2Doc openapiLoaded

// openapiRouter loads the v1 document once per test binary.
func openapiRouter() (routers.Router, error) { return openapiDoc.load(openapiFile) }

// openapiV2Router loads the v2 document once per test binary.
func openapiV2Router() (routers.Router, error) { return openapiV2Doc.load(openapiV2File) }

func (d *openapiLoaded) load(file string) (routers.Router, error) {
	d.once.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile(file)
		if err != nil {
			d.err = fmt.Errorf("load %s: %w", file, err)
			return
		}
		d.router, d.err = legacy.NewRouter(doc)
	})
	return d.router, d.err
}

// openapiProblem is one difference from the document.
type openapiProblem struct {
	op, where, pointer, rule, reason string
}

func (p openapiProblem) String() string {
	return fmt.Sprintf("%s: %s %s: rule %q: %s", p.op, p.where, p.pointer, p.rule, p.reason)
}

// validateOpenAPI validates one exchange against the document and returns the problems
// the exception list does not excuse. path is relative to /v1; reqBody and respBody are
// the bodies as sent.
func validateOpenAPI(req *http.Request, path string, reqBody []byte, status int, header http.Header, respBody []byte) ([]openapiProblem, error) {
	return validateOpenAPIDoc(1, req, path, reqBody, status, header, respBody)
}

// validateOpenAPIDoc is validateOpenAPI against the document of API version (1 or 2);
// path is relative to /v1 or /api/v2.
func validateOpenAPIDoc(version int, req *http.Request, path string, reqBody []byte, status int, header http.Header, respBody []byte) ([]openapiProblem, error) {
	load, server := openapiRouter, openapiServer
	if version == 2 {
		load, server = openapiV2Router, openapiV2Server
	}
	router, err := load()
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(server + path)
	if err != nil {
		return nil, err
	}
	u.RawQuery = req.URL.RawQuery
	r := req.Clone(context.Background())
	r.URL, r.Host, r.RequestURI = u, u.Host, ""
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := router.FindRoute(r)
	if err != nil {
		return nil, fmt.Errorf("%s %s: no operation of the document: %w", req.Method, path, err)
	}
	op := route.Operation.OperationID
	opts := &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
	var problems []openapiProblem
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		problems = append(problems, flattenOpenAPI(op, "request", err)...)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header, Options: opts}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		problems = append(problems, flattenOpenAPI(op, fmt.Sprintf("answer %d", status), err)...)
	}
	kept := problems[:0]
	for _, p := range problems {
		excused := false
		for _, x := range slices.Concat(openapiExceptions, openapiPending) {
			if x.matches(p.op, p.pointer, p.rule) {
				excused = true
				break
			}
		}
		if !excused {
			kept = append(kept, p)
		}
	}
	return kept, nil
}

// flattenOpenAPI turns openapi3filter's nested errors into one problem per broken rule.
// A problem in a body has a JSON pointer into it ("/data/0/cid"); one in a query
// parameter has "?" and the parameter's name ("?sort").
func flattenOpenAPI(op, where string, err error) []openapiProblem {
	var out []openapiProblem
	var walk func(err error, param string)
	walk = func(err error, param string) {
		var multi openapi3.MultiError
		if errors.As(err, &multi) {
			for _, e := range multi {
				walk(e, param)
			}
			return
		}
		switch e := err.(type) {
		case *openapi3filter.RequestError:
			if e.Parameter != nil {
				param = e.Parameter.Name
			}
			if e.Err != nil {
				walk(e.Err, param)
				return
			}
		case *openapi3filter.ResponseError:
			if e.Err != nil {
				walk(e.Err, param)
				return
			}
			out = append(out, openapiProblem{op, where, "/", "response", e.Reason})
			return
		}
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			if inner, ok := se.Origin.(openapi3.MultiError); ok {
				walk(inner, param)
				return
			}
			ptr := "/" + strings.Join(se.JSONPointer(), "/")
			if param != "" {
				ptr = "?" + param
			}
			out = append(out, openapiProblem{op, where, ptr, se.SchemaField, se.Reason})
			return
		}
		ptr := "/"
		if param != "" {
			ptr = "?" + param
		}
		out = append(out, openapiProblem{op, where, ptr, "", err.Error()})
	}
	walk(err, "")
	return out
}

// openapiTally counts what the validator saw, so that a run that validated nothing fails.
type openapiTally struct {
	mu  sync.Mutex
	ops map[string]int
}

func (t *openapiTally) add(op string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ops == nil {
		t.ops = map[string]int{}
	}
	t.ops[op]++
}

func (t *openapiTally) names() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for k := range t.ops {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIValidatorCatchesDifferences feeds the validator answers that break the
// document, so that it is known to fail where it must: a wrong type deep in a body, an
// enum value the document lacks, a request body the document refuses.
func TestOpenAPIValidatorCatchesDifferences(t *testing.T) {
	lead := `{"success":true,"data":{"id":"adf21080-0e10-11eb-879b-05d71fb426ec","title":5,"owner_id":1,"creator_id":1,"label_ids":[],"person_id":1,"organization_id":null,"source_name":"API","origin":"API","origin_id":null,"channel":null,"channel_id":null,"is_archived":false,"was_seen":false,"value":null,"expected_close_date":null,"next_activity_id":null,"add_time":"2020-10-14T11:30:36.551Z","update_time":"2020-10-14T11:30:36.551Z","visible_to":"3","cc_email":"x@pipedrivemail.com"}}`
	label := `{"success":true,"data":[{"id":"f08b42a0-4e75-11ea-9643-03698ef1cfd6","name":"Hot","color":"teal","add_time":"2020-02-13T15:31:44.000Z","update_time":"2020-02-13T15:31:44.000Z"}]}`
	tests := []struct {
		name, method, path, reqBody, respBody string
		want                                  openapiProblem
	}{
		{"lead title a number", "GET", "/leads/adf21080-0e10-11eb-879b-05d71fb426ec", "", lead,
			openapiProblem{op: "getLead", pointer: "/data/title", rule: "type"}},
		{"label colour not in the enum", "GET", "/leadLabels", "", label,
			openapiProblem{op: "getLeadLabels", pointer: "/data/0/color", rule: "enum"}},
		{"lead request without title", "POST", "/leads", `{"person_id":1}`, `{"success":true,"data":{}}`,
			openapiProblem{op: "addLead", pointer: "/title", rule: "required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, "http://sandbox"+apiPrefix+tt.path, strings.NewReader(tt.reqBody))
			if err != nil {
				t.Fatal(err)
			}
			if tt.reqBody != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			hdr := http.Header{"Content-Type": {"application/json"}}
			problems, err := validateOpenAPI(req, tt.path, []byte(tt.reqBody), 200, hdr, []byte(tt.respBody))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				if p.op == tt.want.op && p.rule == tt.want.rule && strings.HasPrefix(p.pointer, tt.want.pointer) {
					return
				}
			}
			t.Errorf("validateOpenAPI() = %v, want a problem %s at %s (rule %s)", problems, tt.want.op, tt.want.pointer, tt.want.rule)
		})
	}
}

// openapiSource is where TestOpenAPISubset reads Pipedrive's whole document from.
var openapiSource = flagString("update-openapi", "", "rewrite "+openapiFile+" from this copy of Pipedrive's openapi-v1-2026-01-14.yaml")

// openapiV2Source is where TestOpenAPISubset reads Pipedrive's whole v2 document from.
var openapiV2Source = flagString("update-openapi-v2", "", "rewrite "+openapiV2File+" from this copy of Pipedrive's openapi-v2.yaml")

// TestOpenAPISubset checks that the cut document holds every path pdbulk uses, and with
// -update-openapi writes it again from Pipedrive's whole document.
func TestOpenAPISubset(t *testing.T) {
	if *openapiSource != "" {
		if err := writeOpenAPISubset(*openapiSource, openapiFile); err != nil {
			t.Fatal(err)
		}
	}
	if *openapiV2Source != "" {
		if err := writeOpenAPIV2Subset(*openapiV2Source, openapiV2File); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{openapiFile, openapiV2File} {
		if _, err := os.Stat(filepath.Clean(f)); err != nil {
			t.Fatalf("the validator's document: %v", err)
		}
	}
	if _, err := openapiRouter(); err != nil {
		t.Fatalf("load the validator's document: %v", err)
	}
	if _, err := openapiV2Router(); err != nil {
		t.Fatalf("load the validator's v2 document: %v", err)
	}
}

// checkOpenAPI validates one exchange of the conformance suite against Pipedrive's
// document and reports every problem to the running test.
func (r *recorder) checkOpenAPI(ep spec.Endpoint, req *http.Request, path string, reqBody []byte, resp *http.Response, body []byte) {
	op := ep.Op
	problems, err := validateOpenAPIDoc(max(ep.Version, 1), req, path, reqBody, resp.StatusCode, resp.Header, body)
	if err != nil {
		r.errorf("openapi: %s: %v", op, err)
		return
	}
	for _, p := range problems {
		r.errorf("openapi: %s\nbody: %.400s", p, body)
	}
	r.openapi.add(op)
}

// TestOpenAPIV2ValidatorCatchesDifferences feeds the v2 validator a person search answer
// that breaks the v2 document, so that it is known to fail where it must.
func TestOpenAPIV2ValidatorCatchesDifferences(t *testing.T) {
	body := `{"success":true,"data":{"items":[{"result_score":1,"item":{"id":"1","type":"person","name":"Alice","phones":[],"emails":["a@b.example"],"visible_to":3,"owner":{"id":1},"custom_fields":[],"notes":[]}}]},"additional_data":{"next_cursor":null}}`
	req, err := http.NewRequest("GET", "http://sandbox"+apiV2Prefix+"/persons/search?term=alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := validateOpenAPIDoc(2, req, "/persons/search", nil, 200, http.Header{"Content-Type": {"application/json"}}, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if p.op == "searchPersons" && p.pointer == "/data/items/0/item/id" && p.rule == "type" {
			return
		}
	}
	t.Errorf("validateOpenAPIDoc(v2, person id a string) = %v, want a type problem at /data/items/0/item/id", problems)
}
