package pipedrive

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/pdbulk/pdbulk/spec"
)

// Sentinels that callers branch on. An *APIError matches the one of its status
// (errors.Is); ErrInDoubt is matched by an *InDoubtError.
var (
	// ErrNotFound is matched by a 404 answer.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized is matched by a 401 answer (bad or missing token).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden is matched by a 403 answer.
	ErrForbidden = errors.New("forbidden")
	// ErrRateLimited is matched by a 429 answer, of the burst or of the daily kind.
	ErrRateLimited = errors.New("rate limited")
	// ErrInDoubt says a create (POST) may or may not have been applied: it was sent and no
	// usable answer came back (timeout, dropped connection, 5xx, undecodable success body).
	// The caller must look the record up before sending it again.
	ErrInDoubt = errors.New("request in doubt")
	// ErrUnavailable is matched by an error that says the API is out of reach or failing for
	// a reason that is not the request's: no answer at all (a *TransportError), a 429, a 5xx
	// or an unknown status (after the retries of idempotent requests), or a 404 on an
	// endpoint that names no record (the base URL points at no Pipedrive API). A caller
	// stops and resumes later rather than blaming the request.
	ErrUnavailable = errors.New("api unavailable")
)

// APIError is an error answer of the API. Message is the body's "error", Info its
// "error_info", Code its "errorCode" (0 when absent), Op the operationId of the request.
// Err, when set, is a more specific cause (a *ratelimit.BudgetError for a daily-budget 429).
type APIError struct {
	Status  int
	Message string
	Info    string
	Code    int
	Op      string
	Err     error
}

// Error reads like "pipedrive: addLead: 400 Bad Request: title is required".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pipedrive: %s: %d %s", e.Op, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is maps the status to its sentinel: 401 ErrUnauthorized, 403 ErrForbidden,
// 404 ErrNotFound, 429 ErrRateLimited; 429, 5xx, statuses outside 2xx and 4xx, and a 404 on
// an endpoint without a record id match ErrUnavailable.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnavailable:
		switch {
		case e.Status == http.StatusTooManyRequests, e.Status >= 500, e.Status < 400:
			return true
		case e.Status == http.StatusNotFound:
			ep, ok := spec.Find(e.Op)
			return ok && !strings.Contains(ep.Path, "{")
		}
		return false
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	}
	return false
}

// Unwrap returns the more specific cause, if any.
func (e *APIError) Unwrap() error { return e.Err }

// InDoubtError says a create was sent and may have been applied; see ErrInDoubt.
// Err is the cause (an *APIError for a 5xx or an unknown status, a transport error, a
// context error).
type InDoubtError struct {
	Op  string
	Err error
	// Answered says the server itself answered (500, 501, 503, 505–519, or a success whose
	// body could not be read): it has finished with the request, so a record it made can be
	// looked up now. False when no answer came (timeout, reset) or a gateway answered for it
	// (502, 504, 520–527, 598, 599) or the status is unknown (1xx, 3xx): the request may
	// still be running on the server, and its record may appear later.
	Answered bool
}

// Error reads like "pipedrive: addLead: request in doubt (it may have been applied): ...".
func (e *InDoubtError) Error() string {
	return "pipedrive: " + e.Op + ": request in doubt (it may have been applied; look the record up before resending): " + e.Err.Error()
}

// Is makes errors.Is(err, ErrInDoubt) true.
func (e *InDoubtError) Is(target error) bool { return target == ErrInDoubt }

// Unwrap returns the cause.
func (e *InDoubtError) Unwrap() error { return e.Err }

// TransportError is a request that got no HTTP answer (dial failure, timeout, reset).
// Its message never holds the request URL or the token; Err keeps the cause for errors.Is.
type TransportError struct {
	Op     string
	Method string
	Path   string // endpoint path, without query
	Err    error
	msg    string // redacted text of Err
}

// Error reads like "pipedrive: getLeads: GET /leads: dial tcp 127.0.0.1:1: connection refused".
func (e *TransportError) Error() string {
	return fmt.Sprintf("pipedrive: %s: %s %s: %s", e.Op, e.Method, e.Path, e.msg)
}

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnavailable) true: no answer came.
func (e *TransportError) Is(target error) bool { return target == ErrUnavailable }

// DecodeError is a success answer whose body could not be decoded.
type DecodeError struct {
	Op      string
	Status  int
	Excerpt string // start of the body, redacted
	Err     error
}

// Error reads like `pipedrive: getLeads: 200 OK: decode response: unexpected EOF (body "{\"succ")`.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("pipedrive: %s: %d %s: decode response: %v (body %q)",
		e.Op, e.Status, http.StatusText(e.Status), e.Err, e.Excerpt)
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }

var apiTokenQuery = regexp.MustCompile(`(?i)(api_token=)[^&\s"']*`)

// redactor removes a token from any text the client builds.
type redactor struct{ token string }

func (r redactor) redact(s string) string {
	if r.token != "" {
		s = strings.ReplaceAll(s, r.token, "[REDACTED]")
	}
	return apiTokenQuery.ReplaceAllString(s, "${1}[REDACTED]")
}

// excerpt returns the first max bytes of body as redacted text.
func (r redactor) excerpt(body []byte, max int) string {
	s := r.redact(string(body))
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return s
}
