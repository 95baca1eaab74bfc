package pipedrive

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/spec"
)

// testToken is long and distinctive so that any leak is found by a substring search.
const testToken = "tok-5ecr3t-9f8e7d6c5b4a39281706"

// recorded is one request as the fake server saw it.
type recorded struct {
	Method string
	Path   string // relative to /v1
	Query  map[string][]string
	Body   []byte
	Ctype  string
}

// fakeAPI is an httptest server that answers like the Pipedrive API: it refuses a missing
// or wrong token with the real 401 body, maps every request to its spec endpoint, checks
// JSON and form bodies against the seed request schema, records the request and hands it
// to the test's handler.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	requests []recorded
	handler  http.HandlerFunc
}

func newFakeAPI(t *testing.T, h http.HandlerFunc) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, handler: h}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("x-api-token") != testToken {
		writeJSON(w, http.StatusUnauthorized, `{"success":false,"error":"unauthorized access","errorCode":401}`)
		return
	}
	if r.URL.Query().Has("api_token") {
		f.t.Errorf("%s %s: token sent in the query", r.Method, r.URL.Path)
	}
	path := strings.TrimPrefix(r.URL.Path, "/v1")
	ep, ok := spec.Match(r.Method, path)
	if !ok {
		f.t.Errorf("%s %s: no such endpoint", r.Method, path)
		writeJSON(w, http.StatusNotFound, `{"success":false,"error":"unknown endpoint"}`)
		return
	}
	rec := recorded{Method: r.Method, Path: path, Query: r.URL.Query(), Ctype: r.Header.Get("Content-Type")}
	mt, _, _ := mime.ParseMediaType(rec.Ctype)
	switch mt {
	case "application/json":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			f.t.Errorf("%s: read body: %v", ep.Op, err)
		}
		rec.Body = body
		r.Body = io.NopCloser(bytes.NewReader(body))
		if ep.Request != "" {
			if err := spec.CheckRequest(ep.Request, body); err != nil {
				f.t.Errorf("%s: request body %s: %v", ep.Op, body, err)
			}
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			f.t.Errorf("%s: parse form: %v", ep.Op, err)
		}
		rec.Body = []byte(r.PostForm.Encode())
		checkFields(f.t, ep, r.PostForm)
	}
	f.mu.Lock()
	f.requests = append(f.requests, rec)
	h := f.handler
	f.mu.Unlock()
	h(w, r)
}

// checkFields checks form or multipart fields against ep's request schema (or, for
// addFileAndLinkIt which the seed lacks, the OpenAPI field list).
func checkFields(t *testing.T, ep spec.Endpoint, form map[string][]string) {
	t.Helper()
	props := map[string]string{}
	schemaName := ep.Request
	if ep.Op == "addFileAndLinkIt" {
		props = map[string]string{"file_type": "string", "title": "string", "item_type": "string", "item_id": "integer", "remote_location": "string"}
	} else if sch, ok := spec.Schema(schemaName); ok {
		if p, ok := sch["properties"].(map[string]any); ok {
			for k, v := range p {
				if m, ok := v.(map[string]any); ok {
					t, _ := m["type"].(string)
					props[k] = t
				}
			}
		}
	}
	obj := map[string]any{}
	for k, vs := range form {
		typ, ok := props[k]
		if !ok {
			t.Errorf("%s: field %q is not documented", ep.Op, k)
			continue
		}
		if len(vs) != 1 {
			t.Errorf("%s: field %q sent %d times", ep.Op, k, len(vs))
			continue
		}
		if typ == "integer" {
			n, err := strconv.Atoi(vs[0])
			if err != nil {
				t.Errorf("%s: field %q = %q, want an integer", ep.Op, k, vs[0])
				continue
			}
			obj[k] = n
		} else {
			obj[k] = vs[0]
		}
	}
	if schemaName == "" {
		return
	}
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatalf("marshal fields: %v", err)
	}
	if err := spec.CheckRequest(schemaName, b); err != nil {
		t.Errorf("%s: fields %v: %v", ep.Op, form, err)
	}
}

func (f *fakeAPI) setHandler(h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handler = h
}

func (f *fakeAPI) calls() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.requests...)
}

// client returns a client for f with the given config tweaks; backoff sleeps are recorded
// instead of waited.
func (f *fakeAPI) client(t *testing.T, tweak func(*Config)) (*Client, *sleeps) {
	t.Helper()
	cfg := Config{BaseURL: f.srv.URL + "/v1", Token: testToken, Timeout: 5 * time.Second}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s := &sleeps{}
	c.sleep = s.sleep
	return c, s
}

// sleeps records the backoff waits asked for.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// Fixtures: bodies that pass spec.CheckResponse for their schema (checked in
// TestFixturesMatchSeed).
const (
	leadJSON = `{"id":"adf21080-0e10-11eb-879b-05d71fb426ec","title":"Jane Doe Lead","owner_id":1,"creator_id":1,
"label_ids":["f08b42a0-4e75-11ea-9643-03698ef1cfd6"],"person_id":1092,"organization_id":null,"source_name":"API","origin":"API","origin_id":null,"channel":null,"channel_id":null,
"is_archived":false,"was_seen":false,"value":{"amount":999,"currency":"USD"},"expected_close_date":null,
"next_activity_id":1,"add_time":"2020-10-14T11:30:36.551Z","update_time":"2020-10-14T11:30:36.551Z",
"visible_to":"3","cc_email":"company+1+leadntPaYKA5QRxXkh6WMNHiGh@dev.pipedrivemail.com"}`
	labelJSON = `{"id":"f08b42a0-4e75-11ea-9643-03698ef1cfd6","name":"Hot","color":"red",
"add_time":"2020-02-13T15:31:44.000Z","update_time":"2020-02-13T15:31:44.000Z"}`
	fileJSON = `{"id":123,"user_id":8877,"deal_id":1,"person_id":1,"org_id":1,"product_id":1,"activity_id":1,
"lead_id":"adf21080-0e10-11eb-879b-05d71fb426ec","add_time":"2020-09-16 11:19:36","update_time":"2020-09-16 11:19:36",
"file_name":"contract.pdf","file_size":1234,"active_flag":true,"inline_flag":false,"remote_location":"s3",
"remote_id":"1","cid":"","s3_bucket":"","mail_message_id":"","mail_template_id":"","deal_name":"Deal",
"person_name":"Person","org_name":"Org","product_name":"Product","lead_name":"Lead","url":"https://x/files/123",
"name":"contract.pdf","description":"signed"}`
	filterJSON = `{"id":1,"name":"All open deals","active_flag":true,"type":"deals","temporary_flag":false,
"user_id":927097,"add_time":"2019-10-15 11:01:53","update_time":"2019-10-15 11:01:53","visible_to":7,
"custom_view_id":1,"conditions":{"glue":"and","conditions":[]}}`
	goalJSON = `{"id":"d9bd2a3f-1b3a-4e1d-9a8f-2c0d8b3b8f00","owner_id":1,"title":"Won deals",
"type":{"name":"deals_won","params":{"pipeline_id":[1,2],"activity_type_id":[9]}},"assignee":{"id":1,"type":"person"},
"interval":"monthly","duration":{"start":"2026-01-01","end":"2026-12-31"},
"expected_outcome":{"target":50,"tracking_metric":"quantity"},"is_active":true,"report_ids":["r1"]}`
	teamJSON = `{"id":1,"name":"Closers","description":"Sales","manager_id":4,"users":[2,3,5],"active_flag":1,
"deleted_flag":0,"add_time":"2019-10-07 09:06:09","created_by_user_id":2}`
)
