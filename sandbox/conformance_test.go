package sandbox_test

// The conformance suite: every endpoint of the sandbox called through the real client
// (package pipedrive) over real HTTP on loopback. A recording RoundTripper under the
// client checks every exchange against the seed schemas of package spec: the request
// bodies the client sends against the request schemas, the answers against the response
// schemas (every documented key present, null where empty), and the error answers against
// the documented error schemas. At the end every response schema named by spec.Endpoints
// must have been validated at least once, and every operation answered with success.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sandbox"
	"github.com/pdbulk/pdbulk/spec"
)

// Tokens are long and distinctive so that a leak is found by a substring search.
const (
	confToken   = "conf-tok-4e8a1c9d2b7f6a3e5c0d9b8a7f6e5d4c"
	wrongToken  = "wrong-tok-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	apiPrefix   = "/api/v1"
	apiV2Prefix = "/api/v2"
)

// recorder is an http.RoundTripper that checks every exchange against the spec and
// records which schemas it validated and which operations it saw answered.
type recorder struct {
	next http.RoundTripper

	mu        sync.Mutex
	t         *testing.T             // the (sub)test being run; problems are reported to it
	validated map[string]int         // response schema (success or error) -> times validated
	requests  map[string]int         // request schema -> times validated
	answered  map[string]map[int]int // op -> status -> count
	openapi   openapiTally           // ops validated against Pipedrive's document (openapi_test.go)
}

func newRecorder(t *testing.T, next http.RoundTripper) *recorder {
	return &recorder{next: next, t: t, validated: map[string]int{}, requests: map[string]int{}, answered: map[string]map[int]int{}}
}

// bind makes t the test problems are reported to until t ends.
func (r *recorder) bind(t *testing.T) {
	r.mu.Lock()
	prev := r.t
	r.t = t
	r.mu.Unlock()
	t.Cleanup(func() {
		r.mu.Lock()
		r.t = prev
		r.mu.Unlock()
	})
}

func (r *recorder) errorf(format string, args ...any) {
	r.mu.Lock()
	t := r.t
	r.mu.Unlock()
	t.Helper()
	t.Errorf(format, args...)
}

func (r *recorder) count(m map[string]int, k string) {
	r.mu.Lock()
	m[k]++
	r.mu.Unlock()
}

// RoundTrip checks the request, sends it, and checks the answer. It never modifies req:
// it sends a clone carrying the body it read.
func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	path, found := strings.CutPrefix(req.URL.Path, apiPrefix)
	match := spec.Match
	if v2, ok := strings.CutPrefix(req.URL.Path, apiV2Prefix); ok && !found {
		path, found, match = v2, true, spec.MatchV2
	}
	if !found {
		r.errorf("%s %s: path outside %s and %s", req.Method, req.URL.Path, apiPrefix, apiV2Prefix)
	}
	ep, known := match(req.Method, path)
	if !known {
		r.errorf("%s %s: no endpoint of spec.Endpoints serves it", req.Method, path)
	}
	if req.URL.Query().Has("api_token") {
		r.errorf("%s: token sent in the query", ep.Op)
	}
	if req.Header.Get("x-api-token") == "" {
		r.errorf("%s: no x-api-token header", ep.Op)
	}
	out := req
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(req.Body)
		reqBody = body
		_ = req.Body.Close() // read to the end; the client closes its own stream too
		if err != nil {
			return nil, fmt.Errorf("recorder: read request body: %w", err)
		}
		out = req.Clone(req.Context())
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.ContentLength = int64(len(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		if known {
			r.checkRequest(ep, req.Header.Get("Content-Type"), body)
		}
	} else if known && (ep.Request != "" || ep.Op == "addFileAndLinkIt" || ep.Op == "updateTeam") {
		r.errorf("%s: no request body; the endpoint takes one", ep.Op)
	}
	resp, err := r.next.RoundTrip(out)
	if err != nil {
		r.errorf("%s: transport: %v", ep.Op, err)
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("recorder: read response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if known {
		r.checkResponse(ep, req.URL.Query(), resp, body)
		r.checkOpenAPI(ep, req, path, reqBody, resp, body)
	}
	return resp, nil
}

// Fields the seed has no request schema for: POST /files/remote and PUT /legacyTeams/{id}
// (from the OpenAPI document), name -> JSON type.
var undocumentedRequestFields = map[string]map[string]string{
	"addFileAndLinkIt": {"file_type": "string", "title": "string", "item_type": "string", "item_id": "integer", "remote_location": "string"},
	"updateTeam":       {"name": "string", "manager_id": "integer", "users": "array", "description": "string", "active_flag": "integer", "deleted_flag": "integer"},
}

// requestFields returns the documented top-level fields of ep's request, name -> type.
func requestFields(ep spec.Endpoint) (map[string]string, bool) {
	if f, ok := undocumentedRequestFields[ep.Op]; ok {
		return f, true
	}
	sch, ok := spec.Schema(ep.Request)
	if !ok {
		return nil, false
	}
	props, _ := sch["properties"].(map[string]any)
	out := map[string]string{}
	for k, v := range props {
		m, _ := v.(map[string]any)
		typ, _ := m["type"].(string)
		out[k] = typ
	}
	return out, true
}

func (r *recorder) checkRequest(ep spec.Endpoint, ctype string, body []byte) {
	fields, documented := requestFields(ep)
	if !documented {
		r.errorf("%s: sent a body (%s) to an endpoint that documents none", ep.Op, ctype)
		return
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		r.errorf("%s: Content-Type %q: %v", ep.Op, ctype, err)
		return
	}
	switch mt {
	case "application/json":
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
			r.errorf("%s: request body %s is not a JSON object", ep.Op, body)
			return
		}
		for k := range obj {
			if _, ok := fields[k]; !ok {
				r.errorf("%s: request key %q is not documented (body %s)", ep.Op, k, body)
			}
		}
		if ep.Request != "" {
			if err := spec.CheckRequest(ep.Request, body); err != nil {
				r.errorf("%s: request body %s: %v", ep.Op, body, err)
				return
			}
			r.count(r.requests, ep.Request)
		}
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			r.errorf("%s: form body %q: %v", ep.Op, body, err)
			return
		}
		r.checkForm(ep, fields, form)
	case "multipart/form-data":
		form := url.Values{}
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				r.errorf("%s: multipart body: %v", ep.Op, err)
				return
			}
			v, err := io.ReadAll(p)
			if err != nil {
				r.errorf("%s: multipart part %q: %v", ep.Op, p.FormName(), err)
				return
			}
			if p.FileName() != "" {
				if p.FormName() != "file" {
					r.errorf("%s: file sent in part %q, want \"file\"", ep.Op, p.FormName())
				}
				form.Add(p.FormName(), "(binary)")
				continue
			}
			form.Add(p.FormName(), string(v))
		}
		r.checkForm(ep, fields, form)
	default:
		r.errorf("%s: unexpected request Content-Type %q", ep.Op, ctype)
	}
}

// checkForm checks form or multipart fields: every one documented, sent once, of its
// type; then the fields as a JSON object against the request schema.
func (r *recorder) checkForm(ep spec.Endpoint, fields map[string]string, form url.Values) {
	obj := map[string]any{}
	for k, vs := range form {
		typ, ok := fields[k]
		switch {
		case !ok:
			r.errorf("%s: form field %q is not documented", ep.Op, k)
			continue
		case len(vs) != 1:
			r.errorf("%s: form field %q sent %d times", ep.Op, k, len(vs))
			continue
		}
		if typ == "integer" {
			n, err := strconv.Atoi(vs[0])
			if err != nil {
				r.errorf("%s: form field %q = %q, want an integer", ep.Op, k, vs[0])
				continue
			}
			obj[k] = n
		} else {
			obj[k] = vs[0]
		}
	}
	if ep.Request == "" {
		return
	}
	b, err := json.Marshal(obj)
	if err != nil {
		r.errorf("%s: marshal form fields: %v", ep.Op, err)
		return
	}
	if err := spec.CheckRequest(ep.Request, b); err != nil {
		r.errorf("%s: form fields %v: %v", ep.Op, form, err)
		return
	}
	r.count(r.requests, ep.Request)
}

func (r *recorder) checkResponse(ep spec.Endpoint, query url.Values, resp *http.Response, body []byte) {
	r.mu.Lock()
	if r.answered[ep.Op] == nil {
		r.answered[ep.Op] = map[int]int{}
	}
	r.answered[ep.Op][resp.StatusCode]++
	r.mu.Unlock()

	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if resp.StatusCode != ep.Status {
			r.errorf("%s: status %d, the spec documents %d", ep.Op, resp.StatusCode, ep.Status)
		}
		if ep.Op == "downloadFile" {
			if mt == "application/json" {
				r.errorf("%s: file content answered as JSON: %.200s", ep.Op, body)
			}
			return
		}
		var env struct {
			Success *bool           `json:"success"`
			Data    json.RawMessage `json:"data"`
		}
		if mt != "application/json" || json.Unmarshal(body, &env) != nil {
			r.errorf("%s: success answer is not JSON (%s): %.200s", ep.Op, resp.Header.Get("Content-Type"), body)
			return
		}
		if env.Success == nil || !*env.Success {
			r.errorf("%s: success answer without \"success\": true: %.300s", ep.Op, body)
		}
		if ep.Response == "" {
			// No seed schema (POST /files/remote, legacy teams): the envelope at least.
			if env.Data == nil {
				r.errorf("%s: success answer without \"data\": %.300s", ep.Op, body)
			}
			return
		}
		checked := body
		if ep.Op == "searchItemByField" {
			var err error
			if checked, err = substituteFieldKey(body, query.Get("field_key")); err != nil {
				r.errorf("%s: %v: %.300s", ep.Op, err, body)
				return
			}
		}
		if err := spec.CheckResponse(ep.Response, checked); err != nil {
			r.errorf("%s: %d answer does not match %s: %v\nbody: %s", ep.Op, resp.StatusCode, ep.Response, err, body)
			return
		}
		r.count(r.validated, ep.Response)
		return
	}

	// An error answer: the failure envelope always, the documented error schema when the
	// spec has one. A 401 comes from the authentication layer in Pipedrive's own 401 shape
	// ({"success":false,"error":"unauthorized access","errorCode":401}), which the 403/404
	// schemas of the seed do not describe.
	var fail struct {
		Success   *bool   `json:"success"`
		Error     *string `json:"error"`
		ErrorCode *int    `json:"errorCode"`
	}
	if mt != "application/json" || json.Unmarshal(body, &fail) != nil {
		r.errorf("%s: %d answer is not JSON (%s): %.200s", ep.Op, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		return
	}
	if fail.Success == nil || *fail.Success {
		r.errorf("%s: %d answer without \"success\": false: %s", ep.Op, resp.StatusCode, body)
	}
	if fail.Error == nil || strings.TrimSpace(*fail.Error) == "" {
		r.errorf("%s: %d answer without an error message: %s", ep.Op, resp.StatusCode, body)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		if fail.ErrorCode == nil || *fail.ErrorCode != 401 {
			r.errorf("%s: 401 answer without errorCode 401: %s", ep.Op, body)
		}
		return
	}
	if ep.ErrorResponse != "" {
		if err := spec.CheckResponse(ep.ErrorResponse, body); err != nil {
			r.errorf("%s: %d answer does not match %s: %v\nbody: %s", ep.Op, resp.StatusCode, ep.ErrorResponse, err, body)
			return
		}
		r.count(r.validated, ep.ErrorResponse)
	}
}

// substituteFieldKey prepares a GET /itemSearch/field answer for its schema, which
// documents each hit's value under the placeholder key "$field_key" (the real key is the
// searched field's name): every hit must carry the searched key, whose value is then
// checked in the placeholder's place.
func substituteFieldKey(body []byte, key string) ([]byte, error) {
	if key == "" {
		return nil, errors.New("no field_key in the query")
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	data, ok := m["data"].([]any)
	if !ok {
		return body, nil // the schema check reports it
	}
	for i, it := range data {
		hit, ok := it.(map[string]any)
		if !ok {
			continue // the schema check reports it
		}
		v, has := hit[key]
		if !has {
			return nil, fmt.Errorf("data[%d] has no key %q (the searched field)", i, key)
		}
		hit["$field_key"] = v
	}
	return json.Marshal(m)
}

// harness is one sandbox on loopback and real clients over the recorder.
type harness struct {
	srv    *sandbox.Server
	base   string
	rec    *recorder
	tr     *http.Transport
	c      *pipedrive.Client
	called map[string]bool // exported *pipedrive.Client methods exercised
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	srv, err := sandbox.New(sandbox.Options{Token: confToken})
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	base, err := srv.Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("sandbox Close: %v", err)
		}
	})
	// A clone of http.DefaultTransport, so that this test's idle connections are closed
	// before the sandbox shuts down.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	h := &harness{srv: srv, base: base, rec: newRecorder(t, tr), tr: tr, called: map[string]bool{}}
	h.c = h.client(t, confToken)
	return h
}

// client returns a real pipedrive.Client for the sandbox with token, over the recorder.
// Retries are off: the sandbox has no faults enabled, so any failure must show at once.
func (h *harness) client(t *testing.T, token string) *pipedrive.Client {
	t.Helper()
	c, err := pipedrive.New(pipedrive.Config{
		BaseURL:    h.base,
		Token:      token,
		HTTPClient: &http.Client{Transport: h.rec},
		MaxRetries: -1,
		Timeout:    10 * time.Second,
	})
	if err != nil {
		t.Fatalf("pipedrive.New: %v", err)
	}
	return c
}

// use marks client methods as exercised.
func (h *harness) use(names ...string) {
	for _, n := range names {
		h.called[n] = true
	}
}

// step binds the recorder to subtest t.
func (h *harness) step(t *testing.T) { h.rec.bind(t) }

// okResp fails t unless err is nil and resp carries status.
func okResp(t *testing.T, what string, resp *pipedrive.Response, err error, status int) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if resp == nil || resp.Status != status {
		t.Fatalf("%s: response %+v, want status %d", what, resp, status)
	}
}

// wantAPIError checks that err is an *APIError of status matching sentinel (nil: none of
// the status sentinels), that it names op, and that its text holds no token.
func wantAPIError(t *testing.T, what string, err error, status int, sentinel error, op string) *pipedrive.APIError {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %d", what, status)
	}
	var ae *pipedrive.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("%s: error %v (%T) is not an *APIError", what, err, err)
	}
	if ae.Status != status {
		t.Errorf("%s: status %d, want %d (%v)", what, ae.Status, status, err)
	}
	if ae.Op != op {
		t.Errorf("%s: Op %q, want %q", what, ae.Op, op)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Errorf("%s: errors.Is(%v, %v) = false", what, err, sentinel)
	}
	for _, s := range []error{pipedrive.ErrNotFound, pipedrive.ErrUnauthorized, pipedrive.ErrForbidden, pipedrive.ErrRateLimited, pipedrive.ErrInDoubt} {
		if s != sentinel && errors.Is(err, s) {
			t.Errorf("%s: error %v matches %v too", what, err, s)
		}
	}
	noToken(t, what, err)
	return ae
}

// noToken fails t when any rendering of err holds either token.
func noToken(t *testing.T, what string, err error) {
	t.Helper()
	for _, text := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		for _, tok := range []string{confToken, wrongToken} {
			if strings.Contains(text, tok) {
				t.Errorf("%s: error text holds a token: %s", what, text)
			}
		}
	}
}

// leadConds is a leads filter on title containing value.
func leadConds(value string) map[string]any {
	return map[string]any{"glue": "and", "conditions": []any{
		map[string]any{"glue": "and", "conditions": []any{
			map[string]any{"object": "lead", "field_id": "title", "operator": "LIKE '%$%'", "value": value, "extra_value": nil},
		}},
		map[string]any{"glue": "or", "conditions": []any{}},
	}}
}

func jsonEqual(t *testing.T, got json.RawMessage, want any) bool {
	t.Helper()
	wb, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		return false
	}
	if err := json.Unmarshal(wb, &w); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(g, w)
}

func boolp(b bool) *bool                     { return &b }
func flagp(f pipedrive.Flag) *pipedrive.Flag { return &f }

func derefInt(p *int) string {
	if p == nil {
		return "null"
	}
	return strconv.Itoa(*p)
}

// missingUUID names no record of any kind.
const missingUUID = "0b1e1e1e-1111-4111-8111-111111111111"

// TestConformance runs every operation of spec.Endpoints through the real client against
// a real sandbox, then checks the coverage of the seed's response schemas.
func TestConformance(t *testing.T) {
	h := newHarness(t)
	c := h.c
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()

	// State shared by the steps, in order.
	var (
		fixtureLabels                    []pipedrive.LeadLabel // the labels every company starts with
		hotLabel, partnerLabel           pipedrive.LeadLabel
		acme, globex, initech, hooli     pipedrive.Lead
		archived, doomed                 pipedrive.Lead
		acmeFilter, peopleFilter         pipedrive.Filter
		goal, companyGoal                pipedrive.Goal
		contract, notes, linked, created pipedrive.File
		contractBytes                    = []byte("%PDF-1.4\n% signed contract\n\x00\x01\x02\xff binary tail\n")
		closers, hunters                 pipedrive.Team
	)

	t.Run("Client", func(t *testing.T) {
		h.step(t)
		h.use("BaseURL", "LastRateLimit", "String", "GoString")
		if got := c.BaseURL(); got != h.base {
			t.Errorf("BaseURL() = %q, want %q", got, h.base)
		}
		if s := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(s, confToken) {
			t.Errorf("client formatting holds the token: %s", s)
		}
		_ = c.LastRateLimit() // before any request: the zero value, nothing to check
	})

	t.Run("LeadSources", func(t *testing.T) {
		h.step(t)
		h.use("LeadSources", "Call")
		src, resp, err := c.LeadSources(ctx)
		okResp(t, "LeadSources", resp, err, 200)
		names := make([]string, len(src))
		for i, s := range src {
			names[i] = s.Name
		}
		if !slices.Contains(names, "API") || !slices.Contains(names, "Manually created") {
			t.Errorf("lead sources = %v, want API and Manually created among them", names)
		}
		// The escape hatch reaches the same endpoint through the same rules.
		var raw struct {
			Success bool `json:"success"`
			Data    []struct {
				Name string `json:"name"`
			} `json:"data"`
		}
		resp, err = c.Call(ctx, "getLeadSources", nil, nil, nil, &raw)
		okResp(t, "Call(getLeadSources)", resp, err, 200)
		if !raw.Success || len(raw.Data) != len(src) {
			t.Errorf("Call(getLeadSources) = %+v, want %d sources", raw, len(src))
		}
		// The answers' Date headers taught the client the sandbox's clock, which is ours.
		h.use("ServerTime", "Timeout")
		now := time.Now()
		if st, ok := c.ServerTime(now); !ok || st.After(now) || now.Sub(st) > 2*time.Second {
			t.Errorf("ServerTime(now) = %v, %v; want at most 2 s before %v", st, ok, now)
		}
		if got := c.Timeout(); got != 10*time.Second {
			t.Errorf("Timeout() = %v, want the 10s configured", got)
		}
	})

	t.Run("CurrentUser", func(t *testing.T) {
		h.step(t)
		h.use("CurrentUser")
		u, resp, err := c.CurrentUser(ctx)
		okResp(t, "CurrentUser", resp, err, 200)
		want := h.srv.Company()
		if u.CompanyID != want.ID || u.CompanyDomain != want.Domain || u.CompanyName != want.Name || u.ID != 1 {
			t.Errorf("CurrentUser() = %+v, want user 1 of company %+v", u, want)
		}
	})

	t.Run("LeadLabels", func(t *testing.T) {
		h.step(t)
		h.use("CreateLeadLabel", "CreateLeadLabelRaw", "LeadLabels", "UpdateLeadLabel", "UpdateLeadLabelRaw")
		var resp *pipedrive.Response
		var err error
		fixtureLabels, resp, err = c.LeadLabels(ctx)
		okResp(t, "LeadLabels (fixtures)", resp, err, 200)
		hotLabel, resp, err = c.CreateLeadLabel(ctx, pipedrive.LeadLabelInput{Name: "Hot prospect", Color: "red"})
		okResp(t, "CreateLeadLabel", resp, err, 200)
		if !spec.IsUUID(hotLabel.ID) || hotLabel.Name != "Hot prospect" || hotLabel.Color != "red" || hotLabel.AddTime == "" {
			t.Errorf("created label = %+v", hotLabel)
		}
		partnerLabel, resp, err = c.CreateLeadLabelRaw(ctx, map[string]any{"name": "Partner", "color": "green"})
		okResp(t, "CreateLeadLabelRaw", resp, err, 200)
		if partnerLabel.Name != "Partner" || partnerLabel.Color != "green" || partnerLabel.ID == hotLabel.ID {
			t.Errorf("created label = %+v", partnerLabel)
		}
		upd, resp, err := c.UpdateLeadLabel(ctx, hotLabel.ID, pipedrive.LeadLabelInput{Color: "purple"})
		okResp(t, "UpdateLeadLabel", resp, err, 200)
		if upd.ID != hotLabel.ID || upd.Name != "Hot prospect" || upd.Color != "purple" {
			t.Errorf("updated label = %+v, want the color changed only", upd)
		}
		hotLabel = upd
		upd, resp, err = c.UpdateLeadLabelRaw(ctx, partnerLabel.ID, map[string]any{"name": "Partner (EU)"})
		okResp(t, "UpdateLeadLabelRaw", resp, err, 200)
		if upd.Name != "Partner (EU)" || upd.Color != "green" {
			t.Errorf("updated label = %+v, want the name changed only", upd)
		}
		partnerLabel = upd
		all, resp, err := c.LeadLabels(ctx)
		okResp(t, "LeadLabels", resp, err, 200)
		if want := append(slices.Clone(fixtureLabels), hotLabel, partnerLabel); !reflect.DeepEqual(all, want) {
			t.Errorf("LeadLabels() = %+v\nwant the fixtures then both labels as last written: %+v", all, want)
		}
	})

	t.Run("Leads", func(t *testing.T) {
		h.step(t)
		h.use("CreateLead", "CreateLeadRaw", "Lead", "UpdateLead", "UpdateLeadRaw", "LeadPermittedUsers")
		var resp *pipedrive.Response
		var err error
		acme, resp, err = c.CreateLead(ctx, pipedrive.LeadInput{
			Title: "Acme Corporation - 50 seats", OwnerID: 2, LabelIDs: []string{hotLabel.ID, partnerLabel.ID},
			PersonID: 1, OrganizationID: 1, Value: &pipedrive.LeadValue{Amount: 12500.5, Currency: "EUR"},
			ExpectedCloseDate: "2026-03-31", VisibleTo: "3", WasSeen: boolp(true),
		})
		okResp(t, "CreateLead", resp, err, 201)
		if !spec.IsUUID(acme.ID) || acme.Title != "Acme Corporation - 50 seats" || acme.OwnerID != 2 ||
			!slices.Equal(acme.LabelIDs, []string{hotLabel.ID, partnerLabel.ID}) ||
			derefInt(acme.PersonID) != "1" || derefInt(acme.OrganizationID) != "1" ||
			acme.Value == nil || *acme.Value != (pipedrive.LeadValue{Amount: 12500.5, Currency: "EUR"}) ||
			acme.ExpectedCloseDate == nil || *acme.ExpectedCloseDate != "2026-03-31" ||
			acme.VisibleTo != "3" || !acme.WasSeen || acme.IsArchived || acme.SourceName != "API" || acme.CCEmail == "" {
			t.Errorf("created lead = %+v", acme)
		}
		globex, resp, err = c.CreateLeadRaw(ctx, map[string]any{"title": "Globex renewal", "organization_id": 2, "label_ids": []string{partnerLabel.ID}})
		okResp(t, "CreateLeadRaw", resp, err, 201)
		if globex.PersonID != nil || derefInt(globex.OrganizationID) != "2" || globex.Value != nil || globex.ExpectedCloseDate != nil {
			t.Errorf("created lead = %+v, want organization 2 only", globex)
		}
		for _, in := range []struct {
			dst *pipedrive.Lead
			in  pipedrive.LeadInput
		}{
			{&initech, pipedrive.LeadInput{Title: "Initech pilot", PersonID: 3}},
			{&hooli, pipedrive.LeadInput{Title: "Hooli expansion", OrganizationID: 7, Value: &pipedrive.LeadValue{Amount: 900, Currency: "USD"}}},
			{&archived, pipedrive.LeadInput{Title: "Umbrella (lost, archived)", OrganizationID: 4}},
			{&doomed, pipedrive.LeadInput{Title: "Duplicate of Acme", PersonID: 1}},
		} {
			*in.dst, resp, err = c.CreateLead(ctx, in.in)
			okResp(t, "CreateLead "+in.in.Title, resp, err, 201)
			if in.dst.Title != in.in.Title {
				t.Errorf("created lead title %q, want %q", in.dst.Title, in.in.Title)
			}
		}

		got, resp, err := c.Lead(ctx, acme.ID)
		okResp(t, "Lead", resp, err, 200)
		if !reflect.DeepEqual(got, acme) {
			t.Errorf("Lead() = %+v\nwant the lead created %+v", got, acme)
		}

		upd, resp, err := c.UpdateLead(ctx, acme.ID, pipedrive.LeadPatch{
			Title: pipedrive.Set("Acme Corporation - 60 seats"), OwnerID: pipedrive.Set(3),
			Value: pipedrive.Null[pipedrive.LeadValue](), ExpectedCloseDate: pipedrive.Null[string](),
			WasSeen: pipedrive.Set(false),
		})
		okResp(t, "UpdateLead", resp, err, 200)
		if upd.Title != "Acme Corporation - 60 seats" || upd.OwnerID != 3 || upd.Value != nil || upd.ExpectedCloseDate != nil ||
			upd.WasSeen || derefInt(upd.PersonID) != "1" || !slices.Equal(upd.LabelIDs, acme.LabelIDs) {
			t.Errorf("updated lead = %+v", upd)
		}
		acme = upd
		if got, resp, err = c.Lead(ctx, acme.ID); err != nil || !reflect.DeepEqual(got, acme) {
			t.Errorf("Lead() after update = %+v, %v (status %v), want %+v", got, err, resp, acme)
		}

		upd, resp, err = c.UpdateLeadRaw(ctx, archived.ID, map[string]any{"is_archived": true, "organization_id": nil, "person_id": 5})
		okResp(t, "UpdateLeadRaw", resp, err, 200)
		if !upd.IsArchived || upd.OrganizationID != nil || derefInt(upd.PersonID) != "5" {
			t.Errorf("archived lead = %+v", upd)
		}
		archived = upd

		users, resp, err := c.LeadPermittedUsers(ctx, acme.ID)
		okResp(t, "LeadPermittedUsers", resp, err, 200)
		if !slices.Contains(users, 1) || !slices.Contains(users, 3) || slices.Contains(users, 5) {
			t.Errorf("permitted users = %v, want the admin and the owner, not the deactivated user 5", users)
		}
	})

	t.Run("Filters", func(t *testing.T) {
		h.step(t)
		h.use("FilterHelpers", "CreateFilter", "CreateFilterRaw", "Filters", "Filter", "UpdateFilter", "UpdateFilterRaw", "DeleteFilter", "DeleteFilters")
		helpers, resp, err := c.FilterHelpers(ctx)
		okResp(t, "FilterHelpers", resp, err, 200)
		var hv struct {
			Operators map[string][]struct {
				ID string `json:"id"`
			} `json:"operators"`
		}
		if err := json.Unmarshal(helpers, &hv); err != nil || len(hv.Operators["varchar"]) == 0 {
			t.Errorf("FilterHelpers() = %s (%v), want varchar operators", helpers, err)
		}

		conds := leadConds("acme")
		acmeFilter, resp, err = c.CreateFilter(ctx, pipedrive.FilterInput{Name: "Acme leads", Type: "leads", Conditions: conds})
		okResp(t, "CreateFilter", resp, err, 200)
		if acmeFilter.ID < 1 || acmeFilter.Name != "Acme leads" || acmeFilter.Type != "leads" || !acmeFilter.ActiveFlag || !jsonEqual(t, acmeFilter.Conditions, conds) {
			t.Errorf("created filter = %+v (conditions %s)", acmeFilter, acmeFilter.Conditions)
		}
		peopleConds := map[string]any{"glue": "and", "conditions": []any{
			map[string]any{"glue": "and", "conditions": []any{
				map[string]any{"object": "person", "field_id": "name", "operator": "=", "value": "Alice Johnson", "extra_value": nil},
			}},
			map[string]any{"glue": "or", "conditions": []any{}},
		}}
		peopleFilter, resp, err = c.CreateFilterRaw(ctx, map[string]any{"name": "Alice", "type": "people", "conditions": peopleConds})
		okResp(t, "CreateFilterRaw", resp, err, 200)
		if peopleFilter.Type != "people" || peopleFilter.Name != "Alice" {
			t.Errorf("created filter = %+v", peopleFilter)
		}

		leadsOnly, resp, err := c.Filters(ctx, "leads")
		okResp(t, "Filters(leads)", resp, err, 200)
		if len(leadsOnly) != 1 || leadsOnly[0].ID != acmeFilter.ID || leadsOnly[0].Name != "Acme leads" {
			t.Errorf("Filters(leads) = %+v, want the Acme filter only", leadsOnly)
		}
		every, resp, err := c.Filters(ctx, "")
		okResp(t, "Filters()", resp, err, 200)
		if len(every) != 2 {
			t.Errorf("Filters() = %+v, want both filters", every)
		}

		got, resp, err := c.Filter(ctx, acmeFilter.ID)
		okResp(t, "Filter", resp, err, 200)
		if got.ID != acmeFilter.ID || got.Name != "Acme leads" || !jsonEqual(t, got.Conditions, conds) {
			t.Errorf("Filter() = %+v (conditions %s)", got, got.Conditions)
		}

		upd, resp, err := c.UpdateFilter(ctx, acmeFilter.ID, pipedrive.FilterInput{Name: "Acme leads (renamed)", Type: "deals", Conditions: leadConds("acme corp")})
		okResp(t, "UpdateFilter", resp, err, 200)
		if upd.Name != "Acme leads (renamed)" || upd.Type != "leads" || !jsonEqual(t, upd.Conditions, leadConds("acme corp")) {
			t.Errorf("updated filter = %+v, want renamed, type kept, conditions replaced", upd)
		}
		acmeFilter = upd
		upd, resp, err = c.UpdateFilterRaw(ctx, peopleFilter.ID, map[string]any{"conditions": peopleConds, "name": "Alice J."})
		okResp(t, "UpdateFilterRaw", resp, err, 200)
		if upd.Name != "Alice J." || upd.Type != "people" {
			t.Errorf("updated filter = %+v", upd)
		}

		tmp := make([]int, 3)
		for i := range tmp {
			f, resp, err := c.CreateFilter(ctx, pipedrive.FilterInput{Name: fmt.Sprintf("tmp %d", i), Type: "leads", Conditions: leadConds("x")})
			okResp(t, "CreateFilter tmp", resp, err, 200)
			tmp[i] = f.ID
		}
		resp, err = c.DeleteFilter(ctx, tmp[0])
		okResp(t, "DeleteFilter", resp, err, 200)
		if _, _, err := c.Filter(ctx, tmp[0]); !errors.Is(err, pipedrive.ErrNotFound) {
			t.Errorf("Filter(deleted) error = %v, want ErrNotFound", err)
		}
		ids, resp, err := c.DeleteFilters(ctx, tmp[1:])
		okResp(t, "DeleteFilters", resp, err, 200)
		if !slices.Equal(ids, tmp[1:]) {
			t.Errorf("DeleteFilters() = %v, want %v", ids, tmp[1:])
		}
		if left, _, err := c.Filters(ctx, "leads"); err != nil || len(left) != 1 {
			t.Errorf("Filters(leads) after deletes = %+v, %v, want the Acme filter only", left, err)
		}
	})

	t.Run("ListLeads", func(t *testing.T) {
		h.step(t)
		h.use("ListLeads", "AllLeads", "ListArchivedLeads", "AllArchivedLeads", "RawPage", "RecordsKeep")
		titles := func(ls []pipedrive.Lead) []string {
			out := make([]string, len(ls))
			for i, l := range ls {
				out[i] = l.Title
			}
			return out
		}
		active := []string{acme.Title, doomed.Title, globex.Title, hooli.Title, initech.Title}
		sort.Slice(active, func(i, j int) bool { return strings.ToLower(active[i]) < strings.ToLower(active[j]) })

		p1, page, resp, err := c.ListLeads(ctx, pipedrive.LeadsQuery{Limit: 2, Sort: "title ASC"})
		okResp(t, "ListLeads page 1", resp, err, 200)
		if !slices.Equal(titles(p1), active[:2]) || !page.More || page.Limit != 2 || page.NextStart != 2 {
			t.Errorf("page 1 = %v %+v, want %v with more", titles(p1), page, active[:2])
		}
		p3, page, resp, err := c.ListLeads(ctx, pipedrive.LeadsQuery{Start: 4, Limit: 2, Sort: "title ASC"})
		okResp(t, "ListLeads page 3", resp, err, 200)
		if !slices.Equal(titles(p3), active[4:]) || page.More || page.Start != 4 {
			t.Errorf("page 3 = %v %+v, want %v and no more", titles(p3), page, active[4:])
		}
		var walked []string
		for l, err := range c.AllLeads(ctx, pipedrive.LeadsQuery{Limit: 2, Sort: "title ASC"}) {
			if err != nil {
				t.Fatalf("AllLeads: %v", err)
			}
			walked = append(walked, l.Title)
		}
		if !slices.Equal(walked, active) {
			t.Errorf("AllLeads() = %v, want %v", walked, active)
		}
		// RawPage hands on each record as sent, every key included.
		raw, page, resp, err := c.RawPage(ctx, "getLeads", url.Values{"sort": {"title ASC"}}, 2, 2)
		okResp(t, "RawPage(getLeads)", resp, err, 200)
		if len(raw) != 2 || !page.More || page.Start != 2 {
			t.Fatalf("RawPage(getLeads, start 2, limit 2) = %d records %+v, want 2 and more", len(raw), page)
		}
		var rec map[string]any
		if err := json.Unmarshal(raw[0], &rec); err != nil || rec["title"] != active[2] || !hasKeys(rec, "cc_email", "visible_to", "was_seen") {
			t.Errorf("RawPage record = %v, %v; want %q with every documented key", rec, err, active[2])
		}
		// RecordsKeep reads the same page in one pass, keeping the keys asked for.
		recs, page, resp, err := c.RecordsKeep(ctx, "getLeads", url.Values{"sort": {"title ASC"}}, 2, 2, map[string]bool{"id": true, "title": true})
		okResp(t, "RecordsKeep(getLeads)", resp, err, 200)
		if len(recs) != 2 || !page.More || page.Start != 2 || recs[0]["title"] != active[2] || len(recs[0]) != 2 {
			t.Errorf("RecordsKeep(getLeads, start 2, limit 2, id and title) = %v %+v, want %q and one more, id and title only, and more", recs, page, active[2])
		}
		if raw, _, resp, err := c.RawPage(ctx, "getLeadLabels", nil, 0, 0); err != nil || len(raw) < 3 {
			okResp(t, "RawPage(getLeadLabels)", resp, err, 200)
			t.Errorf("RawPage(getLeadLabels) = %d records, want the labels (a list that does not page)", len(raw))
		}

		for _, tc := range []struct {
			name string
			q    pipedrive.LeadsQuery
			want []string
		}{
			{"owner", pipedrive.LeadsQuery{OwnerID: 3}, []string{acme.Title}},
			{"person", pipedrive.LeadsQuery{PersonID: 1, Sort: "title DESC"}, []string{doomed.Title, acme.Title}},
			{"organization", pipedrive.LeadsQuery{OrganizationID: 7}, []string{hooli.Title}},
			{"filter", pipedrive.LeadsQuery{FilterID: acmeFilter.ID}, []string{acme.Title}},
			{"updated since", pipedrive.LeadsQuery{UpdatedSince: time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), Sort: "title ASC"}, active},
			{"updated since (future)", pipedrive.LeadsQuery{UpdatedSince: time.Now().UTC().Add(time.Hour).Format(time.RFC3339)}, []string{}},
		} {
			got, _, resp, err := c.ListLeads(ctx, tc.q)
			okResp(t, "ListLeads "+tc.name, resp, err, 200)
			if !slices.Equal(titles(got), tc.want) {
				t.Errorf("ListLeads(%s) = %v, want %v", tc.name, titles(got), tc.want)
			}
		}

		arch, page, resp, err := c.ListArchivedLeads(ctx, pipedrive.LeadsQuery{Sort: "update_time DESC"})
		okResp(t, "ListArchivedLeads", resp, err, 200)
		if len(arch) != 1 || arch[0].ID != archived.ID || !arch[0].IsArchived || page.More {
			t.Errorf("ListArchivedLeads() = %+v %+v, want the archived lead", arch, page)
		}
		n := 0
		for l, err := range c.AllArchivedLeads(ctx, pipedrive.LeadsQuery{PersonID: 5}) {
			if err != nil {
				t.Fatalf("AllArchivedLeads: %v", err)
			}
			if l.ID != archived.ID {
				t.Errorf("AllArchivedLeads() yields %+v", l)
			}
			n++
		}
		if n != 1 {
			t.Errorf("AllArchivedLeads() yielded %d leads, want 1", n)
		}
	})

	t.Run("Search", func(t *testing.T) {
		h.step(t)
		h.use("SearchLeads", "AllSearchLeads", "SearchItems", "AllSearchItems", "SearchItemsByField", "AllSearchItemsByField")
		hits, page, resp, err := c.SearchLeads(ctx, pipedrive.LeadSearchQuery{Term: "acme", Fields: []string{"title"}, IncludeFields: []string{"lead.was_seen"}})
		okResp(t, "SearchLeads", resp, err, 200)
		if len(hits) != 2 || page.More {
			t.Fatalf("SearchLeads(acme) = %+v, want the Acme lead and its duplicate", hits)
		}
		byID := map[string]pipedrive.LeadSearchItem{}
		for _, hit := range hits {
			byID[hit.Item.ID] = hit.Item
			if hit.ResultScore <= 0 {
				t.Errorf("hit %+v has no score", hit)
			}
		}
		it, found := byID[acme.ID]
		if !found || it.Title != acme.Title || it.Type != "lead" || it.Owner.ID != 3 || it.Person == nil || it.Person.ID != 1 ||
			it.Organization == nil || it.Organization.ID != 1 || it.IsArchived {
			t.Errorf("Acme hit = %+v", it)
		}
		hits, _, resp, err = c.SearchLeads(ctx, pipedrive.LeadSearchQuery{Term: "hooli", OrganizationID: 7, ExactMatch: false, Limit: 10})
		okResp(t, "SearchLeads org", resp, err, 200)
		if len(hits) != 1 || hits[0].Item.ID != hooli.ID || hits[0].Item.Value != 900 || hits[0].Item.Currency != "USD" {
			t.Errorf("SearchLeads(hooli, org 7) = %+v", hits)
		}
		var found2 []string
		for hit, err := range c.AllSearchLeads(ctx, pipedrive.LeadSearchQuery{Term: "acme", Limit: 1}) {
			if err != nil {
				t.Fatalf("AllSearchLeads: %v", err)
			}
			found2 = append(found2, hit.Item.ID)
		}
		if len(found2) != 2 || !slices.Contains(found2, acme.ID) || !slices.Contains(found2, doomed.ID) {
			t.Errorf("AllSearchLeads(acme, 1 per page) = %v", found2)
		}

		items, page, resp, err := c.SearchItems(ctx, pipedrive.ItemSearchQuery{Term: "acme", ItemTypes: []string{"lead", "organization", "person"}, SearchForRelatedItems: true, Limit: 2})
		okResp(t, "SearchItems", resp, err, 200)
		if len(items) != 2 || !page.More || page.NextStart != 2 {
			t.Errorf("SearchItems(acme, limit 2) = %d items %+v, want 2 and more", len(items), page)
		}
		kinds := map[string][]string{}
		for item, err := range c.AllSearchItems(ctx, pipedrive.ItemSearchQuery{Term: "acme", ItemTypes: []string{"lead", "organization", "person"}, Limit: 2}) {
			if err != nil {
				t.Fatalf("AllSearchItems: %v", err)
			}
			typ, id := item.ItemType()
			kinds[typ] = append(kinds[typ], id)
		}
		if !slices.Contains(kinds["organization"], "1") || !slices.Contains(kinds["lead"], acme.ID) || !slices.Contains(kinds["person"], "1") {
			t.Errorf("AllSearchItems(acme) = %v, want organization 1, person 1 (alice@acme) and the Acme lead", kinds)
		}

		vals, _, resp, err := c.SearchItemsByField(ctx, pipedrive.FieldSearchQuery{Term: "alice", FieldType: "personField", FieldKey: "name", ReturnItemIDs: true})
		okResp(t, "SearchItemsByField", resp, err, 200)
		if len(vals) != 1 || vals[0].ID != 1 || string(vals[0].Value) != `"Alice Johnson"` {
			t.Errorf("SearchItemsByField(alice) = %+v", vals)
		}
		vals, _, resp, err = c.SearchItemsByField(ctx, pipedrive.FieldSearchQuery{Term: "Acme Corporation - 60 seats", FieldType: "leadField", FieldKey: "title", ExactMatch: true})
		okResp(t, "SearchItemsByField lead title", resp, err, 200)
		if len(vals) != 1 || string(vals[0].Value) != strconv.Quote(acme.Title) {
			t.Errorf("SearchItemsByField(lead title) = %+v", vals)
		}
		var names []string
		for v, err := range c.AllSearchItemsByField(ctx, pipedrive.FieldSearchQuery{Term: "in", FieldType: "organizationField", FieldKey: "name", Limit: 2}) {
			if err != nil {
				t.Fatalf("AllSearchItemsByField: %v", err)
			}
			var s string
			if err := json.Unmarshal(v.Value, &s); err != nil {
				t.Errorf("value %s is not a string", v.Value)
			}
			names = append(names, s)
		}
		want := []string{"Globex Inc", "Initech", "Stark Industries", "Vandelay Industries"}
		sort.Strings(names)
		sort.Strings(want)
		if !slices.Equal(names, want) {
			t.Errorf("AllSearchItemsByField(in) = %v, want %v", names, want)
		}
	})

	t.Run("SearchV2", func(t *testing.T) { conformanceSearchV2(t, h, ctx, acme, doomed, hooli) })

	// A lead found by field search has a UUID id: the seed types every hit's id as an
	// integer, so this answer cannot match the seed and is checked outside the recorder,
	// for the client's sake (it once failed to decode it).
	t.Run("SearchLeadFieldIDs", func(t *testing.T) {
		h.step(t)
		plain, err := pipedrive.New(pipedrive.Config{BaseURL: h.base, Token: confToken, HTTPClient: &http.Client{Transport: h.tr}, MaxRetries: -1, Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		vals, _, resp, err := plain.SearchItemsByField(ctx, pipedrive.FieldSearchQuery{Term: "acme", FieldType: "leadField", FieldKey: "title", ReturnItemIDs: true})
		okResp(t, "SearchItemsByField(leadField, ids)", resp, err, 200)
		got := map[string]string{}
		for _, v := range vals {
			if v.ID != 0 {
				t.Errorf("lead hit %+v has a numeric id", v)
			}
			got[v.ItemID] = string(v.Value)
		}
		want := map[string]string{acme.ID: strconv.Quote(acme.Title), doomed.ID: strconv.Quote(doomed.Title)}
		if !maps.Equal(got, want) {
			t.Errorf("SearchItemsByField(leadField acme, ids) = %v, want %v", got, want)
		}
		vals, _, resp, err = c.SearchItemsByField(ctx, pipedrive.FieldSearchQuery{Term: "bob", FieldType: "personField", FieldKey: "name", ReturnItemIDs: true})
		okResp(t, "SearchItemsByField(personField, ids)", resp, err, 200)
		if len(vals) != 1 || vals[0].ID != 2 || vals[0].ItemID != "2" {
			t.Errorf("SearchItemsByField(bob) = %+v, want person 2", vals)
		}
	})

	// Empty answers keep their documented shape.
	t.Run("Empty", func(t *testing.T) {
		h.step(t)
		items, page, resp, err := c.SearchItems(ctx, pipedrive.ItemSearchQuery{Term: "zzqx"})
		okResp(t, "SearchItems(no hits)", resp, err, 200)
		if len(items) != 0 || page.More {
			t.Errorf("SearchItems(zzqx) = %+v %+v, want nothing", items, page)
		}
		leads, _, resp, err := c.SearchLeads(ctx, pipedrive.LeadSearchQuery{Term: "q", ExactMatch: true})
		okResp(t, "SearchLeads(no hits)", resp, err, 200)
		if len(leads) != 0 {
			t.Errorf("SearchLeads(q) = %+v, want nothing", leads)
		}
		vals, _, resp, err := c.SearchItemsByField(ctx, pipedrive.FieldSearchQuery{Term: "zzqx", FieldType: "organizationField", FieldKey: "address"})
		okResp(t, "SearchItemsByField(no hits)", resp, err, 200)
		if len(vals) != 0 {
			t.Errorf("SearchItemsByField(zzqx) = %+v, want nothing", vals)
		}
		filters, resp, err := c.Filters(ctx, "products")
		okResp(t, "Filters(products)", resp, err, 200)
		if len(filters) != 0 {
			t.Errorf("Filters(products) = %+v, want none", filters)
		}
		goals, resp, err := c.FindGoals(ctx, pipedrive.GoalQuery{TypeName: "deals_started"})
		okResp(t, "FindGoals(none)", resp, err, 200)
		if len(goals) != 0 {
			t.Errorf("FindGoals(deals_started) = %+v, want none", goals)
		}
		past, _, resp, err := c.ListLeads(ctx, pipedrive.LeadsQuery{Start: 100})
		okResp(t, "ListLeads(past the end)", resp, err, 200)
		if len(past) != 0 {
			t.Errorf("ListLeads(start 100) = %+v, want none", past)
		}
	})

	t.Run("Teams", func(t *testing.T) {
		h.step(t)
		h.use("CreateTeam", "CreateTeamRaw", "Teams", "Team", "UpdateTeam", "UpdateTeamRaw")
		var resp *pipedrive.Response
		var err error
		closers, resp, err = c.CreateTeam(ctx, pipedrive.TeamInput{Name: "Closers", ManagerID: 4, Description: "Berlin sales", Users: []int{2, 3}})
		okResp(t, "CreateTeam", resp, err, 200)
		if closers.ID < 1 || closers.Name != "Closers" || closers.ManagerID != 4 || closers.Description != "Berlin sales" ||
			!slices.Equal(closers.Users, []int{2, 3, 4}) || !bool(closers.ActiveFlag) || bool(closers.DeletedFlag) || closers.AddTime == "" {
			t.Errorf("created team = %+v, want users 2, 3 and the manager 4", closers)
		}
		hunters, resp, err = c.CreateTeamRaw(ctx, map[string]any{"name": "Hunters", "manager_id": 1})
		okResp(t, "CreateTeamRaw", resp, err, 200)
		if hunters.Name != "Hunters" || !slices.Equal(hunters.Users, []int{1}) {
			t.Errorf("created team = %+v", hunters)
		}

		list, resp, err := c.Teams(ctx, pipedrive.TeamsQuery{OrderBy: "name"})
		okResp(t, "Teams", resp, err, 200)
		if len(list) != 2 || !reflect.DeepEqual(list[0], closers) || !reflect.DeepEqual(list[1], hunters) {
			t.Errorf("Teams(by name) = %+v", list)
		}
		list, resp, err = c.Teams(ctx, pipedrive.TeamsQuery{OrderBy: "manager_id", SkipUsers: true})
		okResp(t, "Teams skip users", resp, err, 200)
		if len(list) != 2 || list[0].ID != hunters.ID || list[0].Users != nil || list[1].Users != nil {
			t.Errorf("Teams(by manager, skip users) = %+v", list)
		}

		got, resp, err := c.Team(ctx, closers.ID, false)
		okResp(t, "Team", resp, err, 200)
		if !reflect.DeepEqual(got, closers) {
			t.Errorf("Team() = %+v, want %+v", got, closers)
		}
		got, resp, err = c.Team(ctx, closers.ID, true)
		okResp(t, "Team skip users", resp, err, 200)
		if got.Users != nil || got.Name != "Closers" {
			t.Errorf("Team(skip users) = %+v", got)
		}

		upd, resp, err := c.UpdateTeam(ctx, closers.ID, pipedrive.TeamUpdate{Description: "Munich sales", ActiveFlag: flagp(false)})
		okResp(t, "UpdateTeam", resp, err, 200)
		if upd.Description != "Munich sales" || bool(upd.ActiveFlag) || upd.Name != "Closers" || upd.ManagerID != 4 {
			t.Errorf("updated team = %+v", upd)
		}
		upd, resp, err = c.UpdateTeamRaw(ctx, closers.ID, map[string]any{"users": []int{2}, "active_flag": 1})
		okResp(t, "UpdateTeamRaw", resp, err, 200)
		if !slices.Equal(upd.Users, []int{2, 4}) || !bool(upd.ActiveFlag) {
			t.Errorf("updated team = %+v, want users 2 and the manager 4, active", upd)
		}
		closers = upd
	})

	t.Run("Goals", func(t *testing.T) {
		h.step(t)
		h.use("CreateGoal", "CreateGoalRaw", "FindGoals", "UpdateGoal", "UpdateGoalRaw", "GoalResult", "DeleteGoal")
		in := pipedrive.GoalInput{
			Title:           "Q1 won deals",
			Assignee:        pipedrive.GoalAssignee{ID: 2, Type: "person"},
			Type:            pipedrive.GoalType{Name: "deals_won", Params: pipedrive.GoalTypeParams{PipelineID: []int{1, 2}}},
			ExpectedOutcome: pipedrive.GoalExpectedOutcome{Target: 50, TrackingMetric: "quantity"},
			Duration:        pipedrive.GoalDuration{Start: "2026-01-01", End: "2026-03-31"},
			Interval:        "monthly",
		}
		var resp *pipedrive.Response
		var err error
		goal, resp, err = c.CreateGoal(ctx, in)
		okResp(t, "CreateGoal", resp, err, 200)
		if goal.ID == "" || goal.Title != in.Title || goal.Assignee != in.Assignee || goal.Type.Name != "deals_won" ||
			!slices.Equal(goal.Type.Params.PipelineID, []int{1, 2}) || goal.ExpectedOutcome != in.ExpectedOutcome ||
			goal.Duration != in.Duration || goal.Interval != "monthly" || !goal.IsActive || goal.OwnerID != 1 {
			t.Errorf("created goal = %+v", goal)
		}
		companyGoal, resp, err = c.CreateGoalRaw(ctx, map[string]any{
			"title":            "Team revenue 2026",
			"assignee":         map[string]any{"id": closers.ID, "type": "team"},
			"type":             map[string]any{"name": "deals_won", "params": map[string]any{"pipeline_id": nil}},
			"expected_outcome": map[string]any{"target": 250000, "tracking_metric": "sum", "currency_id": 1},
			"duration":         map[string]any{"start": "2026-01-01", "end": nil},
			"interval":         "quarterly",
		})
		okResp(t, "CreateGoalRaw", resp, err, 200)
		if companyGoal.Assignee != (pipedrive.GoalAssignee{ID: closers.ID, Type: "team"}) || companyGoal.ExpectedOutcome.CurrencyID != 1 ||
			companyGoal.Duration.End != "" || companyGoal.Interval != "quarterly" {
			t.Errorf("created goal = %+v", companyGoal)
		}

		found, resp, err := c.FindGoals(ctx, pipedrive.GoalQuery{TypeName: "deals_won", AssigneeID: 2, AssigneeType: "person",
			PipelineIDs: []int{2}, PeriodStart: "2026-02-01", PeriodEnd: "2026-02-28"})
		okResp(t, "FindGoals", resp, err, 200)
		if len(found) != 1 || !reflect.DeepEqual(found[0], goal) {
			t.Errorf("FindGoals() = %+v, want %+v", found, goal)
		}
		target := 250000.0
		found, resp, err = c.FindGoals(ctx, pipedrive.GoalQuery{Target: &target, TrackingMetric: "sum", CurrencyID: 1, IsActive: boolp(true)})
		okResp(t, "FindGoals by outcome", resp, err, 200)
		if len(found) != 1 || found[0].ID != companyGoal.ID {
			t.Errorf("FindGoals(target 250000) = %+v", found)
		}

		upd, resp, err := c.UpdateGoal(ctx, goal.ID, pipedrive.GoalInput{Title: "Q1 won deals (raised)", ExpectedOutcome: pipedrive.GoalExpectedOutcome{Target: 60, TrackingMetric: "quantity"}})
		okResp(t, "UpdateGoal", resp, err, 200)
		if upd.ID != goal.ID || upd.Title != "Q1 won deals (raised)" || upd.ExpectedOutcome.Target != 60 || upd.Interval != "monthly" || upd.Assignee != goal.Assignee {
			t.Errorf("updated goal = %+v", upd)
		}
		upd, resp, err = c.UpdateGoalRaw(ctx, goal.ID, map[string]any{"interval": "weekly"})
		okResp(t, "UpdateGoalRaw", resp, err, 200)
		if upd.Interval != "weekly" || upd.Title != "Q1 won deals (raised)" {
			t.Errorf("updated goal = %+v", upd)
		}
		goal = upd

		res, resp, err := c.GoalResult(ctx, goal.ID, "2026-01-01", "2026-01-31")
		okResp(t, "GoalResult", resp, err, 200)
		if !reflect.DeepEqual(res.Goal, goal) || res.Progress != 0 {
			t.Errorf("GoalResult() = %+v, want the goal and progress 0", res)
		}

		resp, err = c.DeleteGoal(ctx, companyGoal.ID)
		okResp(t, "DeleteGoal", resp, err, 200)
		found, resp, err = c.FindGoals(ctx, pipedrive.GoalQuery{IsActive: boolp(false)})
		okResp(t, "FindGoals inactive", resp, err, 200)
		if len(found) != 1 || found[0].ID != companyGoal.ID || found[0].IsActive {
			t.Errorf("FindGoals(inactive) = %+v, want the deleted goal", found)
		}
		if _, _, err := c.GoalResult(ctx, companyGoal.ID, "2026-01-01", "2026-01-31"); !errors.Is(err, pipedrive.ErrNotFound) {
			t.Errorf("GoalResult(deleted) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("Files", func(t *testing.T) {
		h.step(t)
		h.use("UploadFile", "File", "DownloadFile", "LinkRemoteFile", "CreateRemoteFile", "UpdateFile", "ListFiles", "AllFiles", "DeleteFile")
		path := filepath.Join(t.TempDir(), "contract.pdf")
		if err := os.WriteFile(path, contractBytes, 0o600); err != nil {
			t.Fatal(err)
		}
		var resp *pipedrive.Response
		var err error
		contract, resp, err = c.UploadFile(ctx, pipedrive.Upload{Path: path, LeadID: acme.ID, PersonID: 2})
		okResp(t, "UploadFile", resp, err, 200)
		if contract.ID < 1 || contract.FileName != "contract.pdf" || contract.Name != "contract.pdf" || contract.FileSize != int64(len(contractBytes)) ||
			contract.LeadID != acme.ID || contract.LeadName != acme.Title || derefInt(contract.PersonID) != "2" || contract.PersonName != "Bob Smith" ||
			contract.DealID != nil || !contract.ActiveFlag || contract.RemoteLocation != "s3" || contract.URL == "" {
			t.Errorf("uploaded file = %+v", contract)
		}
		notesBytes := []byte("call notes: wants 60 seats\n")
		notes, resp, err = c.UploadFile(ctx, pipedrive.Upload{
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(notesBytes)), nil },
			Name: "notes.txt", OrgID: 3,
		})
		okResp(t, "UploadFile (Open)", resp, err, 200)
		if notes.FileName != "notes.txt" || notes.FileSize != int64(len(notesBytes)) || derefInt(notes.OrgID) != "3" || notes.OrgName != "Initech" || notes.LeadID != "" {
			t.Errorf("uploaded file = %+v", notes)
		}

		got, resp, err := c.File(ctx, contract.ID)
		okResp(t, "File", resp, err, 200)
		if !reflect.DeepEqual(got, contract) {
			t.Errorf("File() = %+v\nwant %+v", got, contract)
		}
		var buf bytes.Buffer
		n, resp, err := c.DownloadFile(ctx, contract.ID, &buf)
		okResp(t, "DownloadFile", resp, err, 200)
		if n != int64(len(contractBytes)) || !bytes.Equal(buf.Bytes(), contractBytes) {
			t.Errorf("DownloadFile() = %d bytes %q, want the %d bytes uploaded", n, buf.Bytes(), len(contractBytes))
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "contract.pdf") {
			t.Errorf("Content-Disposition = %q, want the file name", cd)
		}

		linked, resp, err = c.LinkRemoteFile(ctx, pipedrive.RemoteLink{ItemType: "organization", ItemID: 2, RemoteID: "1AbCdEfGhIjK", RemoteLocation: "googledrive"})
		okResp(t, "LinkRemoteFile", resp, err, 200)
		if derefInt(linked.OrgID) != "2" || linked.OrgName != "Globex Inc" || linked.RemoteID != "1AbCdEfGhIjK" || linked.RemoteLocation != "googledrive" {
			t.Errorf("linked file = %+v", linked)
		}
		created, resp, err = c.CreateRemoteFile(ctx, pipedrive.RemoteFile{FileType: "gdoc", Title: "Acme proposal", ItemType: "person", ItemID: 4, RemoteLocation: "googledrive"})
		okResp(t, "CreateRemoteFile", resp, err, 200)
		if created.Name != "Acme proposal" || derefInt(created.PersonID) != "4" || created.RemoteID == "" || created.RemoteLocation != "googledrive" {
			t.Errorf("created remote file = %+v", created)
		}

		upd, resp, err := c.UpdateFile(ctx, contract.ID, pipedrive.FileUpdate{Name: "Contract 2026.pdf", Description: "signed by both parties"})
		okResp(t, "UpdateFile", resp, err, 200)
		if upd.ID != contract.ID || upd.Name != "Contract 2026.pdf" || upd.Description != "signed by both parties" || upd.FileSize != contract.FileSize {
			t.Errorf("updated file = %+v", upd)
		}
		contract = upd

		wantIDs := []int{created.ID, linked.ID, notes.ID, contract.ID} // id DESC
		page1, page, resp, err := c.ListFiles(ctx, pipedrive.FilesQuery{Limit: 3, Sort: "id DESC"})
		okResp(t, "ListFiles", resp, err, 200)
		ids := func(fs []pipedrive.File) []int {
			out := make([]int, len(fs))
			for i, f := range fs {
				out[i] = f.ID
			}
			return out
		}
		if !slices.Equal(ids(page1), wantIDs[:3]) || !page.More || page.NextStart != 3 {
			t.Errorf("ListFiles(3, id DESC) = %v %+v, want %v and more", ids(page1), page, wantIDs[:3])
		}
		var walked []int
		for f, err := range c.AllFiles(ctx, pipedrive.FilesQuery{Limit: 1, Sort: "id DESC"}) {
			if err != nil {
				t.Fatalf("AllFiles: %v", err)
			}
			walked = append(walked, f.ID)
		}
		if !slices.Equal(walked, wantIDs) {
			t.Errorf("AllFiles(1 per page) = %v, want %v", walked, wantIDs)
		}

		resp, err = c.DeleteFile(ctx, notes.ID)
		okResp(t, "DeleteFile", resp, err, 200)
		gone, resp, err := c.File(ctx, notes.ID)
		okResp(t, "File(deleted)", resp, err, 200)
		if gone.ActiveFlag {
			t.Errorf("deleted file = %+v, want active_flag false", gone)
		}
		if _, _, err := c.DownloadFile(ctx, notes.ID, io.Discard); !errors.Is(err, pipedrive.ErrNotFound) {
			t.Errorf("DownloadFile(deleted) error = %v, want ErrNotFound", err)
		}
		if left, _, _, err := c.ListFiles(ctx, pipedrive.FilesQuery{Sort: "id DESC"}); err != nil || slices.Contains(ids(left), notes.ID) || len(left) != 3 {
			t.Errorf("ListFiles() after delete = %v, %v, want the 3 files left", ids(left), err)
		}
	})

	t.Run("Deletes", func(t *testing.T) {
		h.step(t)
		h.use("DeleteLead", "DeleteLeadLabel")
		id, resp, err := c.DeleteLead(ctx, doomed.ID)
		okResp(t, "DeleteLead", resp, err, 200)
		if id != doomed.ID {
			t.Errorf("DeleteLead() = %q, want %q", id, doomed.ID)
		}
		_, _, err = c.Lead(ctx, doomed.ID)
		wantAPIError(t, "Lead(deleted)", err, 404, pipedrive.ErrNotFound, "getLead")

		resp, err = c.DeleteLeadLabel(ctx, partnerLabel.ID)
		okResp(t, "DeleteLeadLabel", resp, err, 200)
		l, resp, err := c.Lead(ctx, acme.ID)
		okResp(t, "Lead after label delete", resp, err, 200)
		if !slices.Equal(l.LabelIDs, []string{hotLabel.ID}) {
			t.Errorf("lead labels after deleting %s = %v, want [%s]", partnerLabel.ID, l.LabelIDs, hotLabel.ID)
		}
		labels, _, err := c.LeadLabels(ctx)
		if want := append(slices.Clone(fixtureLabels), hotLabel); err != nil || !reflect.DeepEqual(labels, want) {
			t.Errorf("LeadLabels() after delete = %+v, %v\nwant %+v", labels, err, want)
		}
	})

	t.Run("Unauthorized", func(t *testing.T) {
		h.step(t)
		bad := h.client(t, wrongToken)
		checks := []struct {
			op   string
			call func() (*pipedrive.Response, error)
		}{
			{"getLeads", func() (*pipedrive.Response, error) {
				_, _, r, err := bad.ListLeads(ctx, pipedrive.LeadsQuery{})
				return r, err
			}},
			{"getLead", func() (*pipedrive.Response, error) { _, r, err := bad.Lead(ctx, acme.ID); return r, err }},
			{"addLead", func() (*pipedrive.Response, error) {
				_, r, err := bad.CreateLead(ctx, pipedrive.LeadInput{Title: "Sneaky", PersonID: 1})
				return r, err
			}},
			{"deleteLeadLabel", func() (*pipedrive.Response, error) { return bad.DeleteLeadLabel(ctx, hotLabel.ID) }},
			{"addFile", func() (*pipedrive.Response, error) {
				_, r, err := bad.UploadFile(ctx, pipedrive.Upload{Name: "x.txt", PersonID: 1,
					Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("x")), nil }})
				return r, err
			}},
			{"downloadFile", func() (*pipedrive.Response, error) {
				var buf bytes.Buffer
				_, r, err := bad.DownloadFile(ctx, contract.ID, &buf)
				if buf.Len() != 0 {
					t.Errorf("DownloadFile with a wrong token wrote %q", buf.Bytes())
				}
				return r, err
			}},
			{"searchItem", func() (*pipedrive.Response, error) {
				_, _, r, err := bad.SearchItems(ctx, pipedrive.ItemSearchQuery{Term: "acme"})
				return r, err
			}},
			{"getTeams", func() (*pipedrive.Response, error) {
				_, r, err := bad.Teams(ctx, pipedrive.TeamsQuery{})
				return r, err
			}},
			{"updateGoal", func() (*pipedrive.Response, error) {
				_, r, err := bad.UpdateGoal(ctx, goal.ID, pipedrive.GoalInput{Title: "hijacked"})
				return r, err
			}},
		}
		for _, ck := range checks {
			resp, err := ck.call()
			ae := wantAPIError(t, ck.op+" with a wrong token", err, 401, pipedrive.ErrUnauthorized, ck.op)
			if ae != nil && ae.Code != 401 {
				t.Errorf("%s: APIError.Code = %d, want 401", ck.op, ae.Code)
			}
			if resp == nil || resp.Status != 401 || resp.Attempts != 1 {
				t.Errorf("%s: response %+v, want one attempt answered 401", ck.op, resp)
			}
		}
		// Nothing was changed by the refused writes.
		if g, _, err := c.Lead(ctx, acme.ID); err != nil || g.Title != acme.Title {
			t.Errorf("Lead() after refused writes = %+v, %v", g, err)
		}
		if labels, _, err := c.LeadLabels(ctx); err != nil || len(labels) != len(fixtureLabels)+1 {
			t.Errorf("LeadLabels() after a refused delete = %+v, %v", labels, err)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		h.step(t)
		const missingInt = 987654
		missingGoal := "0123456789abcdef0123456789abcdef"
		checks := []struct {
			entity, op string
			call       func() error
		}{
			{"lead", "getLead", func() error { _, _, err := c.Lead(ctx, missingUUID); return err }},
			{"lead", "updateLead", func() error {
				_, _, err := c.UpdateLead(ctx, missingUUID, pipedrive.LeadPatch{Title: pipedrive.Set("x")})
				return err
			}},
			{"lead", "deleteLead", func() error { _, _, err := c.DeleteLead(ctx, missingUUID); return err }},
			{"lead", "getLeadUsers", func() error { _, _, err := c.LeadPermittedUsers(ctx, missingUUID); return err }},
			{"lead label", "updateLeadLabel", func() error {
				_, _, err := c.UpdateLeadLabel(ctx, missingUUID, pipedrive.LeadLabelInput{Name: "x"})
				return err
			}},
			{"lead label", "deleteLeadLabel", func() error { _, err := c.DeleteLeadLabel(ctx, partnerLabel.ID); return err }},
			{"filter", "getFilter", func() error { _, _, err := c.Filter(ctx, missingInt); return err }},
			{"filter", "updateFilter", func() error {
				_, _, err := c.UpdateFilter(ctx, missingInt, pipedrive.FilterInput{Conditions: leadConds("x")})
				return err
			}},
			{"filter", "deleteFilter", func() error { _, err := c.DeleteFilter(ctx, missingInt); return err }},
			{"filter", "deleteFilters", func() error { _, _, err := c.DeleteFilters(ctx, []int{acmeFilter.ID, missingInt}); return err }},
			{"goal", "updateGoal", func() error {
				_, _, err := c.UpdateGoal(ctx, missingGoal, pipedrive.GoalInput{Title: "x"})
				return err
			}},
			{"goal", "deleteGoal", func() error { _, err := c.DeleteGoal(ctx, missingGoal); return err }},
			{"goal", "getGoalResult", func() error {
				_, _, err := c.GoalResult(ctx, missingGoal, "2026-01-01", "2026-01-31")
				return err
			}},
			{"file", "getFile", func() error { _, _, err := c.File(ctx, missingInt); return err }},
			{"file", "updateFile", func() error {
				_, _, err := c.UpdateFile(ctx, missingInt, pipedrive.FileUpdate{Name: "x"})
				return err
			}},
			{"file", "deleteFile", func() error { _, err := c.DeleteFile(ctx, notes.ID); return err }},
			{"file", "downloadFile", func() error { _, _, err := c.DownloadFile(ctx, missingInt, io.Discard); return err }},
			{"team", "getTeam", func() error { _, _, err := c.Team(ctx, missingInt, false); return err }},
			{"team", "updateTeam", func() error {
				_, _, err := c.UpdateTeam(ctx, missingInt, pipedrive.TeamUpdate{Name: "x"})
				return err
			}},
		}
		entities := map[string]bool{}
		for _, ck := range checks {
			ae := wantAPIError(t, ck.entity+" "+ck.op, ck.call(), 404, pipedrive.ErrNotFound, ck.op)
			if ae != nil && ae.Message == "" {
				t.Errorf("%s %s: 404 without a message", ck.entity, ck.op)
			}
			entities[ck.entity] = true
		}
		if len(entities) != 6 {
			t.Errorf("404 checked for %v, want lead, lead label, filter, goal, file, team", slices.Sorted(maps.Keys(entities)))
		}
		// The failed bulk delete deleted nothing.
		if f, _, err := c.Filter(ctx, acmeFilter.ID); err != nil || f.ID != acmeFilter.ID {
			t.Errorf("Filter() after a failed bulk delete = %+v, %v", f, err)
		}
	})

	t.Run("Refused", func(t *testing.T) {
		h.step(t)
		// 400: a valid body by the schema that the API refuses, with its message.
		_, resp, err := c.CreateLead(ctx, pipedrive.LeadInput{Title: "Orphan lead"})
		ae := wantAPIError(t, "CreateLead without person or organization", err, 400, nil, "addLead")
		const msg = "a lead must be linked to a person or an organization"
		if ae != nil && ae.Message != msg {
			t.Errorf("APIError.Message = %q, want %q", ae.Message, msg)
		}
		if err != nil && !strings.Contains(err.Error(), msg) {
			t.Errorf("error text %q does not show the API's message", err)
		}
		if resp == nil || resp.Status != 400 || resp.Attempts != 1 {
			t.Errorf("response %+v, want one attempt answered 400", resp)
		}
		_, _, err = c.CreateLeadLabel(ctx, pipedrive.LeadLabelInput{Name: "   ", Color: "blue"})
		if ae := wantAPIError(t, "CreateLeadLabel with a blank name", err, 400, nil, "addLeadLabel"); ae != nil && !strings.Contains(ae.Message, "name") {
			t.Errorf("APIError.Message = %q, want it to name the field", ae.Message)
		}

		// 403: a deactivated user cannot manage a team (the seed's documented 403 body).
		_, resp, err = c.CreateTeam(ctx, pipedrive.TeamInput{Name: "Ghosts", ManagerID: 5})
		ae = wantAPIError(t, "CreateTeam with a deactivated manager", err, 403, pipedrive.ErrForbidden, "addTeam")
		if ae != nil && !strings.Contains(ae.Message, "deactivated") {
			t.Errorf("APIError.Message = %q, want the reason", ae.Message)
		}
		if errors.Is(err, pipedrive.ErrInDoubt) || resp == nil || resp.Attempts != 1 {
			t.Errorf("403 on a create: error %v, response %+v; want one attempt, not in doubt", err, resp)
		}
		if list, _, err := c.Teams(ctx, pipedrive.TeamsQuery{}); err != nil || len(list) != 2 {
			t.Errorf("Teams() after a refused create = %+v, %v, want 2", list, err)
		}
	})

	// Coverage: every response schema the spec names, success and error, validated.
	h.rec.bind(t)
	want := map[string]bool{}
	for _, ep := range spec.Endpoints {
		for _, s := range []string{ep.Response, ep.ErrorResponse} {
			if s != "" {
				want[s] = true
			}
		}
	}
	h.rec.mu.Lock()
	validated := maps.Clone(h.rec.validated)
	requests := maps.Clone(h.rec.requests)
	answered := maps.Clone(h.rec.answered)
	h.rec.mu.Unlock()
	for s := range want {
		if validated[s] == 0 {
			t.Errorf("response schema %s was never validated", s)
		}
	}
	for s := range validated {
		if !want[s] {
			t.Errorf("validated %s, which spec.Endpoints does not name", s)
		}
	}
	if len(want) != 38 {
		t.Errorf("spec.Endpoints names %d response schemas, the issue's contract is 38", len(want))
	}
	t.Logf("validated %d of %d response schemas (%d distinct request schemas)", len(validated), len(want), len(requests))

	openapiOps := h.rec.openapi.names()
	for _, ep := range spec.Endpoints {
		if !slices.Contains(openapiOps, ep.Op) {
			t.Errorf("%s was never validated against Pipedrive's OpenAPI document", ep.Op)
		}
		if ep.Request != "" && requests[ep.Request] == 0 {
			t.Errorf("request schema %s (%s) was never validated", ep.Request, ep.Op)
		}
		if answered[ep.Op][ep.Status] == 0 {
			t.Errorf("%s %s was never answered %d", ep.Method, ep.Path, ep.Status)
		}
	}

	// Every request of the suite went through the client's gate: it learnt a round trip, and
	// nothing is left holding a slot.
	h.use("Gate")
	if gs := c.Gate().Stats(); gs.RTT <= 0 || gs.InFlight != 0 || gs.Limit < 1 {
		t.Errorf("client gate after the suite: %+v, want a round trip learnt, none in flight, a bound of 1 or more", gs)
	}

	// Every exported method of the client was exercised.
	ct := reflect.TypeOf(c)
	for i := range ct.NumMethod() {
		if name := ct.Method(i).Name; !h.called[name] {
			t.Errorf("client method %s is not exercised by the suite", name)
		}
	}
}

// hasKeys reports whether m has every key.
func hasKeys(m map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}
