package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	defaultErrorInfo  = "Please check developers.pipedrive.com for more information about Pipedrive API."
	notFoundErrorInfo = "Object was not found."
	leadTimeLayout    = "2006-01-02T15:04:05.000Z"
	fileTimeLayout    = "2006-01-02 15:04:05"
)

func errBody(msg, info string) map[string]any {
	return map[string]any{"success": false, "error": msg, "error_info": info, "data": nil, "additional_data": nil}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"success":false,"error":"internal server error","error_info":"` + defaultErrorInfo + `","data":null,"additional_data":null}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client went away: nothing left to tell it
}

// writeData answers {"success": true, "data": <data>} with data already encoded as JSON by
// json.Marshal: the same bytes as writeJSON of that map (whose keys json.Marshal sorts),
// without encoding the object a second time.
func writeData(w http.ResponseWriter, status int, data []byte) {
	const head, tail = `{"data":`, `,"success":true}`
	b := make([]byte, 0, len(head)+len(data)+len(tail))
	b = append(append(append(b, head...), data...), tail...)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client went away: nothing left to tell it
}

func writeError(w http.ResponseWriter, status int, msg, info string) {
	writeJSON(w, status, errBody(msg, info))
}

func badRequest(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusBadRequest, fmt.Sprintf(format, args...), defaultErrorInfo)
}

func notFound(w http.ResponseWriter, what string) {
	writeError(w, http.StatusNotFound, "requested "+what+" not found", notFoundErrorInfo)
}

func ok(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": data})
}

func internalError(w http.ResponseWriter, s *Server, op string, err error) {
	s.opts.Logf("sandbox: %s: %v", op, err)
	writeError(w, http.StatusInternalServerError, "internal server error", defaultErrorInfo)
}

// pagination of offset-paged v1 lists: limit > max is clamped to max, as Pipedrive does.
type page struct{ start, limit int }

func parsePage(q map[string][]string, max int) (page, error) {
	p := page{start: 0, limit: 100}
	if max > 0 && max < p.limit {
		p.limit = max
	}
	if v := first(q, "start"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, fmt.Errorf("start must be a non-negative integer")
		}
		p.start = n
	}
	if v := first(q, "limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, fmt.Errorf("limit must be a positive integer")
		}
		if max > 0 && n > max {
			n = max
		}
		p.limit = n
	}
	return p, nil
}

// window returns the slice bounds of this page over n items and whether more follow.
func (p page) window(n int) (lo, hi int, more bool) {
	lo = min(p.start, n)
	hi = min(lo+p.limit, n)
	return lo, hi, hi < n
}

// pagination is the additional_data.pagination object. next_start is there only when more
// items follow: on the last page Pipedrive leaves the key out rather than sending null.
func (p page) pagination(more bool) map[string]any {
	pg := map[string]any{"start": p.start, "limit": p.limit, "more_items_in_collection": more}
	if more {
		pg["next_start"] = p.start + p.limit
	}
	return pg
}

func first(q map[string][]string, k string) string {
	if v := q[k]; len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

func parseBoolParam(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", v)
}

func parseIDParam(q map[string][]string, k string) (int, bool, error) {
	v := first(q, k)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, false, fmt.Errorf("%s must be a positive integer", k)
	}
	return n, true, nil
}

func validDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// readJSONObject reads a JSON object body (at most 1 MiB). It writes the error answer
// (415, 413 or 400) itself and returns ok=false when the body is unusable.
func readJSONObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, bool) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			writeError(w, http.StatusUnsupportedMediaType, "unsupported content type, expected application/json", defaultErrorInfo)
			return nil, false
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body too large", defaultErrorInfo)
			return nil, false
		}
		badRequest(w, "could not read request body")
		return nil, false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		badRequest(w, "request body is required")
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		badRequest(w, "malformed JSON: the request body must be a JSON object")
		return nil, false
	}
	return m, true
}

// fields reads typed values out of a decoded JSON object, collecting type errors.
type fields struct {
	m    map[string]json.RawMessage
	errs []string
}

func (f *fields) fail(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

// err returns the collected problems as one message, or "".
func (f *fields) err() string { return strings.Join(f.errs, "; ") }

// raw returns the raw value of k; present is false when k is absent, null reports JSON null.
func (f *fields) raw(k string) (v json.RawMessage, present, null bool) {
	v, present = f.m[k]
	if !present {
		return nil, false, false
	}
	return v, true, bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

func (f *fields) str(k string) (s string, present, null bool) {
	v, present, null := f.raw(k)
	if !present || null {
		return "", present, null
	}
	if err := json.Unmarshal(v, &s); err != nil {
		f.fail("%s must be a string", k)
		return "", false, false
	}
	return s, true, false
}

// nullableStr reads a string that may be null: nil when k is absent, a pointer to nil
// when it is null.
func (f *fields) nullableStr(k string) **string {
	s, present, null := f.str(k)
	if !present && !null {
		return nil
	}
	var p *string
	if !null {
		p = &s
	}
	return &p
}

func (f *fields) integer(k string) (n int, present, null bool) {
	v, present, null := f.raw(k)
	if !present || null {
		return 0, present, null
	}
	var x float64
	if err := json.Unmarshal(v, &x); err != nil || x != float64(int64(x)) || x > 1<<53 || x < -(1<<53) {
		f.fail("%s must be an integer", k)
		return 0, false, false
	}
	return int(x), true, false
}

func (f *fields) boolean(k string) (b, present bool) {
	v, present, null := f.raw(k)
	if !present {
		return false, false
	}
	if null || json.Unmarshal(v, &b) != nil {
		f.fail("%s must be a boolean", k)
		return false, false
	}
	return b, true
}

func (f *fields) object(k string) (m map[string]json.RawMessage, present, null bool) {
	v, present, null := f.raw(k)
	if !present || null {
		return nil, present, null
	}
	if err := json.Unmarshal(v, &m); err != nil || m == nil {
		f.fail("%s must be an object", k)
		return nil, false, false
	}
	return m, true, false
}
