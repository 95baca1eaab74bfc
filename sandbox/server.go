// Package sandbox is a local, Pipedrive-compatible HTTP server for the endpoints pdbulk uses.
// It stores its data in SQLite (a file under a data directory, or in memory), starts with
// fixture users, persons, organizations and lead sources, answers with the real status codes
// and body shapes of the Pipedrive API v1 (and of the API v2 search endpoints, search_v2.go),
// and emulates rate limits and faults (emulate.go).
//
// Leads are rows of an indexed table and are read a page at a time (leadpage.go), so a
// sandbox on a data directory holds a million leads in a few tens of MB of memory. Tests
// and benchmarks load many leads with InsertLeads and SampleLeads and read them back with
// EachLead.
//
// Where the seed schemas and Pipedrive's current OpenAPI document differ, it answers as
// the document does (spec.Differences): ten label colours; origin, origin_id, channel and
// channel_id on leads. It leaves next_start out on a list's last page and sends "" in a
// file's empty string fields, as Pipedrive does. null stays only where Pipedrive sends or
// documents it: a lead's value, person_id, organization_id, expected_close_date,
// next_activity_id, origin_id, channel, channel_id; the ids of the items a file is not
// linked to (deal_id, person_id, org_id, product_id, activity_id, lead_id); a filter's
// custom_view_id; a goal's type.params.pipeline_id and activity_type_id ("all") and
// duration.end (open-ended); value, currency, person and organization of a lead search item.
// The tests check every answer against Pipedrive's document with kin-openapi
// (openapi_test.go, which lists where the document is narrower than the API).
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// Options configures a Server. Zero values are documented per field.
type Options struct {
	Token        string               // required API token; requests without it get 401
	DataDir      string               // SQLite file DataDir/sandbox.db and uploads under DataDir/files; "" = in memory (every lead in RAM: about 2 KB each)
	Addr         string               // listen address for Start; "" = 127.0.0.1:0
	AllowRemote  bool                 // let Start listen on a non-loopback address
	MaxBodyBytes int64                // largest upload body (POST /files, streamed to a file under DataDir/files, never held in memory; 413 above it); 0 = 32 MiB; `pdbulk sandbox --max-upload`. JSON and form bodies are capped at 1 MiB
	Emulation    Emulation            // rate limits, latency and faults; zero = none
	Company      Company              // the account it plays; zero = the one kept with DataDir, or a new random one
	Logf         func(string, ...any) // nil = silent
	Contacts     Contacts             // generated persons and organizations beside the fixtures; zero = fixtures only

	// Plan names the Pipedrive plan (Plans; DefaultPlan for what users run) whose burst
	// limit, search limit and daily budget fill what Emulation leaves at zero, so that
	// every answer carries that plan's x-ratelimit-* and daily budget headers. "" = no
	// plan: only Emulation's own limits, none when it is zero (what tests and raw
	// benchmarks want).
	Plan string
}

const (
	defaultMaxBody = 32 << 20
	maxJSONBody    = 1 << 20
)

// Server is a sandbox instance. Its handler is safe for concurrent use.
type Server struct {
	opts    Options
	store   *store
	handler http.Handler
	tmpDir  string // uploads directory removed on Close (in-memory mode only)

	mu       sync.Mutex // guards srv, closed
	srv      *http.Server
	serveErr chan error
	closed   bool

	connMu sync.Mutex
	fresh  map[net.Conn]struct{} // connections accepted that have not sent a request yet
}

// New opens (or creates) the sandbox's store, seeding fixtures on first start.
func New(o Options) (*Server, error) {
	if o.Token == "" {
		return nil, errors.New("sandbox: new: token is required")
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = defaultMaxBody
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	em, err := applyPlan(o.Emulation, o.Plan)
	if err != nil {
		return nil, fmt.Errorf("sandbox: new: %w", err)
	}
	o.Emulation = em
	s := &Server{opts: o}
	filesDir := ""
	if o.DataDir == "" {
		d, err := os.MkdirTemp("", "pdbulk-sandbox-")
		if err != nil {
			return nil, fmt.Errorf("sandbox: new: %w", err)
		}
		s.tmpDir, filesDir = d, d
	} else {
		filesDir = filepath.Join(o.DataDir, "files")
		if err := os.MkdirAll(filesDir, 0o700); err != nil {
			return nil, fmt.Errorf("sandbox: new: %w", err)
		}
	}
	dir, err := newDirectory(o.Contacts)
	if err != nil {
		s.removeTmp()
		return nil, fmt.Errorf("sandbox: new: %w", err)
	}
	st, err := openStore(o.DataDir, filesDir, o.Emulation.Now)
	if err != nil {
		s.removeTmp()
		return nil, fmt.Errorf("sandbox: new: %w", err)
	}
	st.dir = dir
	if err := st.loadCompany(o.Company); err != nil {
		s.removeTmp()
		return nil, errors.Join(fmt.Errorf("sandbox: new: %w", err), st.close())
	}
	s.store = st
	s.handler = emulate(s.recoverer(http.HandlerFunc(s.serveAPI)), o.Emulation)
	return s, nil
}

func (s *Server) removeTmp() {
	if s.tmpDir != "" {
		if err := os.RemoveAll(s.tmpDir); err != nil {
			s.opts.Logf("sandbox: remove %s: %v", s.tmpDir, err)
		}
	}
}

// Handler returns the whole stack: emulation (limits, faults) in front of the API.
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on Options.Addr (127.0.0.1:0 when empty) and serves in the background.
// It refuses a non-loopback address unless Options.AllowRemote is set. It returns the
// base URL of the API, like http://127.0.0.1:PORT/api/v1.
func (s *Server) Start() (string, error) {
	addr := s.opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if !s.opts.AllowRemote && !IsLoopbackAddr(addr) {
		return "", fmt.Errorf("sandbox: start: %s is not a loopback address (set AllowRemote to serve it)", addr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errors.New("sandbox: start: server is closed")
	}
	if s.srv != nil {
		return "", errors.New("sandbox: start: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sandbox: start: %w", err)
	}
	s.fresh = map[net.Conn]struct{}{}
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, ConnState: s.trackFresh}
	s.serveErr = make(chan error, 1)
	go func() { s.serveErr <- s.srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/api/v1", nil
}

// IsLoopbackAddr reports whether a listen address (host:port) names a loopback host.
func IsLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Close stops serving (waiting up to 5 s for requests in flight) and closes the store.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.srv != nil {
		// Shutdown waits 5 s for a connection that was opened but never used (a client's
		// spare dial) before it counts it as idle; nothing will come on it, so close it now.
		s.closeFresh()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
		cancel()
		if err := <-s.serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	if err := s.store.close(); err != nil {
		errs = append(errs, err)
	}
	s.removeTmp()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sandbox: close: %w", err)
	}
	return nil
}

// trackFresh keeps the set of connections that have not sent a request yet.
func (s *Server) trackFresh(c net.Conn, state http.ConnState) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if state == http.StateNew {
		s.fresh[c] = struct{}{}
	} else {
		delete(s.fresh, c)
	}
}

func (s *Server) closeFresh() {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	for c := range s.fresh {
		_ = c.Close() // the client sees a closed connection before any request: safe to retry
		delete(s.fresh, c)
	}
}

// recoverer turns a panic into a logged 500; bad input must never get here.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.opts.Logf("sandbox: panic serving %s %s: %v\n%s", r.Method, r.URL.Path, v, debug.Stack())
				writeJSON(w, http.StatusInternalServerError, errBody("internal server error", defaultErrorInfo))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// serveAPI authenticates, strips the /api/v1 or /v1 prefix (or /api/v2, unless
// Emulation.NoV2) and dispatches.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if v2, ok := strings.CutPrefix(p, "/api/v2/"); ok && !s.opts.Emulation.NoV2 {
		if !s.authorized(r) {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"success": false, "error": "unauthorized access", "errorCode": 401})
			return
		}
		s.routeV2(w, r, "/"+v2)
		return
	}
	switch {
	case strings.HasPrefix(p, "/api/v1/"):
		p = p[len("/api/v1"):]
	case strings.HasPrefix(p, "/v1/"):
		p = p[len("/v1"):]
	default:
		writeError(w, http.StatusNotFound, "unknown path", defaultErrorInfo)
		return
	}
	if !s.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"success": false, "error": "unauthorized access", "errorCode": 401})
		return
	}
	s.route(w, r, p)
}

func (s *Server) authorized(r *http.Request) bool {
	tok := r.Header.Get("x-api-token")
	if tok == "" {
		tok = r.URL.Query().Get("api_token")
	}
	return tok != "" && constEq(tok, s.opts.Token)
}

func constEq(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return v == 0
}
