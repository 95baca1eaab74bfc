package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/spec"
)

const testToken = "test-token-123"

// env is one sandbox served over real HTTP on 127.0.0.1.
type env struct {
	t    *testing.T
	s    *Server
	base string // http://127.0.0.1:PORT
}

func newEnv(t *testing.T, o Options) *env {
	t.Helper()
	if o.Token == "" {
		o.Token = testToken
	}
	s, err := New(o)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return &env{t: t, s: s, base: hs.URL}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic map.
func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// data returns body.data as a map.
func (r reply) data(t *testing.T) map[string]any {
	t.Helper()
	d, ok := r.json(t)["data"].(map[string]any)
	if !ok {
		t.Fatalf("body %s has no data object", r.body)
	}
	return d
}

// raw sends a request with the token in the header unless the path carries api_token.
func (e *env) raw(method, path, contentType string, body io.Reader, hdr map[string]string) reply {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, body)
	if err != nil {
		e.t.Fatalf("NewRequest(%s %s) = %v", method, path, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if !strings.Contains(path, "api_token=") {
		req.Header.Set("x-api-token", testToken)
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

// call sends a JSON body (nil for none) to /api/v1+path.
func (e *env) call(method, path string, body any) reply {
	e.t.Helper()
	if body == nil {
		return e.raw(method, "/api/v1"+path, "", nil, nil)
	}
	b, err := json.Marshal(body)
	if err != nil {
		e.t.Fatalf("marshal: %v", err)
	}
	return e.raw(method, "/api/v1"+path, "application/json", bytes.NewReader(b), nil)
}

// must calls and requires status want.
func (e *env) must(want int, method, path string, body any) reply {
	e.t.Helper()
	r := e.call(method, path, body)
	if r.status != want {
		e.t.Fatalf("%s %s = %d %s, want %d", method, path, r.status, r.body, want)
	}
	return r
}

// multipartBody builds a multipart form with fields and, if name != "", one file part.
func multipartBody(t *testing.T, fields map[string]string, name string, content []byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if name != "" {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), &buf
}

func (e *env) upload(fields map[string]string, name string, content []byte) reply {
	e.t.Helper()
	ct, body := multipartBody(e.t, fields, name, content)
	return e.raw("POST", "/api/v1/files", ct, body, nil)
}

// checkSchema validates body against the seed schema. searchItemByField's schema documents
// the placeholder "$field_key" (the real key is the searched field's name), so that one
// problem is expected and tolerated.
func checkSchema(t *testing.T, schema string, body []byte) {
	t.Helper()
	err := spec.CheckResponse(schema, body)
	if err == nil {
		return
	}
	var se *spec.SchemaError
	if errors.As(err, &se) {
		var rest []string
		for _, p := range se.Problems {
			if !strings.HasSuffix(p, ".$field_key: documented key missing") {
				rest = append(rest, p)
			}
		}
		if len(rest) == 0 {
			return
		}
	}
	t.Errorf("CheckResponse(%s) = %v\nbody: %s", schema, err, body)
}

func validLead(extra map[string]any) map[string]any {
	m := map[string]any{"title": "Deal with Acme", "person_id": 1}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// filepathGlob lists the entries of dir whose names start with "upload-" (temporary uploads).
func filepathGlob(dir string) ([]string, error) {
	return filepath.Glob(filepath.Join(dir, "upload-*"))
}
