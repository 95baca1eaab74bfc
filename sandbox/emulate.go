package sandbox

import (
	"bytes"
	"context"

	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pdbulk/pdbulk/spec"
)

// Emulation configures the sandbox's emulation of the real API's limits and faults; the zero
// value emulates nothing.
type Emulation struct {
	RateLimit       int              // requests per Window per token; 0 = unlimited
	SearchRateLimit int              // separate lower limit for search endpoints (itemSearch*, leads/search); 0 = same as RateLimit
	Window          time.Duration    // rolling window; 0 = 2s
	DailyBudget     int              // tokens per day per token (company); 0 = unlimited
	Latency         time.Duration    // added to every answer
	Faults          Faults           // injected faults; zero = none
	Seed            int64            // random seed for faults; 0 = time-based
	Now             func() time.Time // clock for windows, day rollover and the times records carry; nil = time.Now
	SlowAfter       int              // when > 0: the requests after the first SlowAfter are answered after SlowLatency instead of Latency (a server slowing down mid-run)
	SlowLatency     time.Duration    // see SlowAfter
	// NoV2 plays a server without API v2: every /api/v2 path answers 404, unlimited and
	// free, as an unknown path does.
	NoV2 bool
}

// Faults says which share of requests meets which fault. Shares are in [0,1]; each kind is
// drawn independently, in the order 429 storm, 5xx, 52x, reset, lost answer, late, slow.
type Faults struct {
	Error5xx    float64       // share of requests answered 500/502/503 (request NOT processed)
	Gateway52x  float64       // share answered 520–524 by an emulated proxy: 520 and 524 after the request was processed, 521–523 without processing it
	Reset       float64       // share whose connection is reset (request NOT processed)
	Slow        float64       // share answered only after SlowDelay (processed at once, answer held)
	SlowDelay   time.Duration // 0 = 90s
	Storm429    float64       // share of requests that START a 429 storm: every request of the token answers 429 for StormLength
	StormLength time.Duration // 0 = 3s
	LostAnswer  float64       // share of WRITES that are processed (stored) and then the answer is lost: 502 or a dropped connection
	// Late is the share of WRITES that the server applies only LateDelay after they arrived,
	// whether or not the client still waits: a client that gives up sooner (its timeout)
	// sees no answer, and the record appears afterwards.
	Late      float64
	LateDelay time.Duration // 0 = 2s
	// SearchLag is how long a lead written (created or updated) stays out of the answers of
	// the search endpoints, as Pipedrive's search index lags behind its writes; 0 = none.
	// Lists and gets see every write at once.
	SearchLag time.Duration
}

func (f Faults) zero() bool {
	return f.Error5xx == 0 && f.Gateway52x == 0 && f.Reset == 0 && f.Slow == 0 && f.Storm429 == 0 &&
		f.LostAnswer == 0 && f.Late == 0
}

// emuFaultKeys maps the keys of ParseFaults to the share or duration they set.
var emuFaultKeys = map[string]func(f *Faults) (share *float64, dur *time.Duration){
	"5xx":        func(f *Faults) (*float64, *time.Duration) { return &f.Error5xx, nil },
	"52x":        func(f *Faults) (*float64, *time.Duration) { return &f.Gateway52x, nil },
	"late":       func(f *Faults) (*float64, *time.Duration) { return &f.Late, nil },
	"late_delay": func(f *Faults) (*float64, *time.Duration) { return nil, &f.LateDelay },
	"search_lag": func(f *Faults) (*float64, *time.Duration) { return nil, &f.SearchLag },
	"reset":      func(f *Faults) (*float64, *time.Duration) { return &f.Reset, nil },
	"lost":       func(f *Faults) (*float64, *time.Duration) { return &f.LostAnswer, nil },
	"slow":       func(f *Faults) (*float64, *time.Duration) { return &f.Slow, nil },
	"slow_delay": func(f *Faults) (*float64, *time.Duration) { return nil, &f.SlowDelay },
	"429":        func(f *Faults) (*float64, *time.Duration) { return &f.Storm429, nil },
	"storm":      func(f *Faults) (*float64, *time.Duration) { return nil, &f.StormLength },
}

// ParseFaults reads a fault list such as
// "5xx=0.1,52x=0.02,reset=0.02,lost=0.02,late=0.02,late_delay=2s,slow=0.01,slow_delay=2s,429=0.01,storm=3s,search_lag=5s".
// Shares are numbers in [0,1]; slow_delay, late_delay, storm and search_lag are positive Go
// durations. An empty string means no faults. The error names the bad key or value.
func ParseFaults(s string) (Faults, error) {
	var f Faults
	seen := map[string]bool{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		key, val, ok := strings.Cut(item, "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !ok || val == "" {
			return Faults{}, &FaultsError{Key: key, Value: val, Reason: "want key=value"}
		}
		field, known := emuFaultKeys[key]
		if !known {
			return Faults{}, &FaultsError{Key: key, Value: val, Reason: "unknown key (want 5xx, 52x, reset, lost, late, late_delay, slow, slow_delay, 429, storm, search_lag)"}
		}
		if seen[key] {
			return Faults{}, &FaultsError{Key: key, Value: val, Reason: "given twice"}
		}
		seen[key] = true
		share, dur := field(&f)
		if share != nil {
			v, err := strconv.ParseFloat(val, 64)
			if err != nil || math.IsNaN(v) || v < 0 || v > 1 {
				return Faults{}, &FaultsError{Key: key, Value: val, Reason: "want a share between 0 and 1"}
			}
			*share = v
			continue
		}
		d, err := time.ParseDuration(val)
		if err != nil || d <= 0 {
			return Faults{}, &FaultsError{Key: key, Value: val, Reason: "want a positive duration such as 2s"}
		}
		*dur = d
	}
	return f, nil
}

// FaultsError reports a bad item of a fault list given to ParseFaults.
type FaultsError struct {
	Key    string
	Value  string
	Reason string
}

func (e *FaultsError) Error() string {
	return "sandbox: parse faults: " + strconv.Quote(e.Key) + "=" + strconv.Quote(e.Value) + ": " + e.Reason
}

// Bodies of the 429 answers, as the real API words them.
const (
	emuOverLimitBody = `{"success":false,"error":"Request over limit","errorCode":429}`
	emuDailyBody     = `{"success":false,"error":"daily request budget exceeded","errorCode":429}`
)

// emulate wraps next with the rate limits, latency and faults of e. Every answer gets the
// latency; requests without a token or for an unknown endpoint then go straight to next,
// which answers 401/404, with no limit, budget or fault applied.
func emulate(next http.Handler, e Emulation) http.Handler {
	if e.RateLimit == 0 && e.SearchRateLimit == 0 && e.DailyBudget == 0 && e.Latency == 0 && e.SlowAfter == 0 && e.Faults.zero() {
		return next
	}
	if e.Window <= 0 {
		e.Window = 2 * time.Second
	}
	if e.Faults.SlowDelay <= 0 {
		e.Faults.SlowDelay = 90 * time.Second
	}
	if e.Faults.StormLength <= 0 {
		e.Faults.StormLength = 3 * time.Second
	}
	if e.Faults.LateDelay <= 0 {
		e.Faults.LateDelay = 2 * time.Second
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	seed := uint64(e.Seed)
	if e.Seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	return &emulator{
		next:   next,
		e:      e,
		rnd:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		tokens: map[string]*emuToken{},
	}
}

// emulator is the middleware behind emulate. It is safe for concurrent use.
type emulator struct {
	next http.Handler
	e    Emulation

	served atomic.Int64 // requests seen, for SlowAfter

	mu     sync.Mutex
	rnd    *rand.Rand
	tokens map[string]*emuToken
}

// emuToken is what the emulator knows about one API token.
type emuToken struct {
	window     []time.Time // arrival times of admitted requests inside the window, oldest first
	search     []time.Time // the same for search endpoints only
	day        time.Time   // UTC midnight starting the day that spent belongs to
	spent      int         // tokens spent on day
	stormUntil time.Time   // every request answers 429 until then
}

// emuVerdict is what the emulator decided for one request.
type emuVerdict int

const (
	emuAdmit emuVerdict = iota
	emuReject429
	emuRejectDaily
	emuFault5xx
	emuFault52x
	emuFaultReset
	emuFaultLost
	emuFaultLate
	emuFaultSlow
)

func emuIsSearch(op string) bool {
	switch op {
	case "searchItem", "searchItemByField", "searchLeads",
		"searchItemV2", "searchPersonsV2", "searchOrganizationV2", "searchLeadsV2":
		return true
	}
	return false
}

func (m *emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token := r.Header.Get("x-api-token")
	if token == "" {
		token = r.URL.Query().Get("api_token")
	}
	path := r.URL.Path
	match := spec.Match
	switch {
	case strings.HasPrefix(path, "/api/v1/"):
		path = strings.TrimPrefix(path, "/api/v1")
	case strings.HasPrefix(path, "/v1/"):
		path = strings.TrimPrefix(path, "/v1")
	case strings.HasPrefix(path, "/api/v2/") && !m.e.NoV2:
		path, match = strings.TrimPrefix(path, "/api/v2"), spec.MatchV2
	default:
		path = ""
	}
	ep, ok := match(r.Method, path)
	limited := token != "" && path != "" && ok
	latency := m.e.Latency
	if m.e.SlowAfter > 0 && m.served.Add(1) > int64(m.e.SlowAfter) {
		latency = m.e.SlowLatency
	}
	if latency > 0 || (limited && (m.e.Faults.Slow > 0 || m.e.Faults.Late > 0)) {
		// Read the body now: only then does net/http watch the connection and end the
		// request's context when the client goes away during the waits below (and a late
		// write still has its body after the client went away).
		// An upload goes to a temporary file, not to memory (files_body.go).
		body, err := spoolBody(r, limited && (m.e.Faults.Slow > 0 || m.e.Faults.Late > 0))
		if err != nil {
			return // the client went away mid-body
		}
		defer body.Close()
		r.Body = body
	}
	if !emuSleep(r, latency) {
		return // the client went away: nobody to answer
	}
	if !limited {
		m.next.ServeHTTP(w, r) // it answers 401 or 404
		return
	}
	v, retryAfter := m.decide(w.Header(), token, ep, r.Method)
	switch v {
	case emuReject429:
		emuWrite429(w, retryAfter, emuOverLimitBody)
	case emuRejectDaily:
		emuWrite429(w, retryAfter, emuDailyBody)
	case emuFault5xx:
		codes := [...]int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}
		m.mu.Lock()
		code := codes[m.rnd.IntN(len(codes))]
		m.mu.Unlock()
		emuWriteJSON(w, code, `{"success":false,"error":"`+strings.ToLower(http.StatusText(code))+`","errorCode":`+strconv.Itoa(code)+`}`)
	case emuFault52x:
		m.mu.Lock()
		code := 520 + m.rnd.IntN(5)
		m.mu.Unlock()
		if code == 520 || code == 524 {
			// 520: the server answered something the proxy could not read; 524: the proxy
			// stopped waiting for it. Either way the server did the work.
			m.next.ServeHTTP(newEmuBuffer(), r)
		}
		emuWriteGateway(w, code)
	case emuFaultReset:
		emuResetConn(w)
	case emuFaultLate:
		// The server gets to the write only LateDelay after it arrived, and applies it even
		// if the client has given up by then.
		t := time.NewTimer(m.e.Faults.LateDelay)
		<-t.C
		buf := newEmuBuffer()
		m.next.ServeHTTP(buf, r.WithContext(context.WithoutCancel(r.Context())))
		if r.Context().Err() != nil {
			return // applied; nobody is left to answer
		}
		buf.copyTo(w)
	case emuFaultLost:
		buf := newEmuBuffer()
		m.next.ServeHTTP(buf, r) // the write really happens
		m.mu.Lock()
		drop := m.rnd.IntN(2) == 0
		m.mu.Unlock()
		if drop {
			emuResetConn(w)
			return
		}
		emuWriteJSON(w, http.StatusBadGateway, `{"success":false,"error":"bad gateway","errorCode":502}`)
	case emuFaultSlow:
		buf := newEmuBuffer()
		m.next.ServeHTTP(buf, r)
		if !emuSleep(r, m.e.Faults.SlowDelay) {
			return // processed, but the client gave up on the answer
		}
		buf.copyTo(w)
	default:
		m.next.ServeHTTP(w, r)
	}
}

// decide admits or rejects one request of token for ep, sets the limit headers on h, and
// draws its fault. It returns the Retry-After of a 429.
func (m *emulator) decide(h http.Header, token string, ep spec.Endpoint, method string) (emuVerdict, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.e.Now()
	ts := m.tokens[token]
	if ts == nil {
		if len(m.tokens) >= emuMaxTokens {
			m.sweepLocked(now)
		}
		ts = &emuToken{}
		m.tokens[token] = ts
	}
	day := now.UTC().Truncate(24 * time.Hour)
	if !ts.day.Equal(day) {
		ts.day, ts.spent = day, 0
	}
	ts.window = emuPrune(ts.window, now.Add(-m.e.Window))
	ts.search = emuPrune(ts.search, now.Add(-m.e.Window))
	search := emuIsSearch(ep.Op)
	limit, win := m.e.RateLimit, &ts.window
	if search && m.e.SearchRateLimit > 0 {
		limit, win = m.e.SearchRateLimit, &ts.search
	}

	switch {
	case now.Before(ts.stormUntil):
		m.setHeadersLocked(h, ts, limit, *win, now, ep.Cost)
		return emuReject429, ts.stormUntil.Sub(now)
	case m.e.DailyBudget > 0 && ts.spent+ep.Cost > m.e.DailyBudget:
		m.setHeadersLocked(h, ts, limit, *win, now, ep.Cost)
		return emuRejectDaily, day.Add(24 * time.Hour).Sub(now)
	case limit > 0 && len(*win) >= limit:
		m.setHeadersLocked(h, ts, limit, *win, now, ep.Cost)
		return emuReject429, (*win)[len(*win)-limit].Add(m.e.Window).Sub(now)
	case m.e.RateLimit > 0 && len(ts.window) >= m.e.RateLimit:
		// A search request within its own limit still needs a slot of the general window.
		m.setHeadersLocked(h, ts, limit, *win, now, ep.Cost)
		return emuReject429, ts.window[len(ts.window)-m.e.RateLimit].Add(m.e.Window).Sub(now)
	}
	f := m.e.Faults
	if f.Storm429 > 0 && m.rnd.Float64() < f.Storm429 {
		ts.stormUntil = now.Add(f.StormLength)
		m.setHeadersLocked(h, ts, limit, *win, now, ep.Cost)
		return emuReject429, f.StormLength
	}

	// Admitted: the request takes a slot of the window(s) it counts against.
	ts.window = append(ts.window, now)
	if search {
		ts.search = append(ts.search, now)
	}
	v := emuAdmit
	switch {
	case f.Error5xx > 0 && m.rnd.Float64() < f.Error5xx:
		v = emuFault5xx
	case f.Gateway52x > 0 && m.rnd.Float64() < f.Gateway52x:
		v = emuFault52x
	case f.Reset > 0 && m.rnd.Float64() < f.Reset:
		v = emuFaultReset
	case f.LostAnswer > 0 && method != http.MethodGet && m.rnd.Float64() < f.LostAnswer:
		v = emuFaultLost
	case f.Late > 0 && method != http.MethodGet && m.rnd.Float64() < f.Late:
		v = emuFaultLate
	case f.Slow > 0 && m.rnd.Float64() < f.Slow:
		v = emuFaultSlow
	}
	if v != emuFault5xx && v != emuFaultReset {
		ts.spent += ep.Cost // only processed requests cost tokens
	}
	m.setHeadersLocked(h, ts, limit, *win, now, ep.Cost)
	return v, 0
}

// emuMaxTokens bounds the tokens tracked before idle ones are forgotten: requests with
// made-up tokens must not grow the emulator's memory without end.
const emuMaxTokens = 1024

// sweepLocked forgets tokens with nothing left to remember: an empty window, no storm, and
// nothing spent today of a daily budget.
func (m *emulator) sweepLocked(now time.Time) {
	day := now.UTC().Truncate(24 * time.Hour)
	for k, ts := range m.tokens {
		ts.window = emuPrune(ts.window, now.Add(-m.e.Window))
		idle := len(ts.window) == 0 && !now.Before(ts.stormUntil)
		if idle && (m.e.DailyBudget == 0 || ts.spent == 0 || !ts.day.Equal(day)) {
			delete(m.tokens, k)
		}
	}
}

// setHeadersLocked writes the x-ratelimit-* and daily headers describing ts after this request.
func (m *emulator) setHeadersLocked(h http.Header, ts *emuToken, limit int, win []time.Time, now time.Time, cost int) {
	if limit > 0 {
		h.Set("x-ratelimit-limit", strconv.Itoa(limit))
		h.Set("x-ratelimit-remaining", strconv.Itoa(max(0, limit-len(win))))
		reset := time.Duration(0)
		if len(win) > 0 {
			reset = win[0].Add(m.e.Window).Sub(now)
		}
		h.Set("x-ratelimit-reset", strconv.Itoa(emuCeilSeconds(reset)))
	}
	if m.e.DailyBudget > 0 {
		left := max(0, m.e.DailyBudget-ts.spent)
		h.Set("x-daily-ratelimit-token-limit", strconv.Itoa(m.e.DailyBudget))
		h.Set("x-daily-ratelimit-token-remaining", strconv.Itoa(left))
		h.Set("x-daily-requests-left", strconv.Itoa(left/max(1, cost)))
	}
}

// emuPrune drops the times of win at or before cut; win is sorted.
func emuPrune(win []time.Time, cut time.Time) []time.Time {
	i := 0
	for i < len(win) && !win[i].After(cut) {
		i++
	}
	if i == 0 {
		return win
	}
	return append(win[:0], win[i:]...)
}

// emuCeilSeconds rounds d up to whole seconds; a positive d never rounds to 0.
func emuCeilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

func emuWrite429(w http.ResponseWriter, retryAfter time.Duration, body string) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, emuCeilSeconds(retryAfter))))
	emuWriteJSON(w, http.StatusTooManyRequests, body)
}

// emuWriteGateway answers code as Cloudflare does when it cannot get an answer from the
// server behind it: a short HTML page, no JSON.
func emuWriteGateway(w http.ResponseWriter, code int) {
	body := "<html><body>error code: " + strconv.Itoa(code) + "</body></html>"
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body)) // a client that went away is not an error of the server
}

func emuWriteJSON(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body)) // a client that went away is not an error of the server
}

// emuSleep waits d or until the request's context ends; it reports whether d elapsed.
func emuSleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return r.Context().Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// emuResetConn drops the connection without an answer: a TCP RST where the connection allows it.
// When it cannot be hijacked (HTTP/2), the client gets a 502 instead.
func emuResetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		emuWriteJSON(w, http.StatusBadGateway, `{"success":false,"error":"bad gateway","errorCode":502}`)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // best effort: without it the close is a FIN, still no answer
	}
	_ = conn.Close() // nothing to report to: the point is that the client sees no answer
}

// emuBuffer is an http.ResponseWriter that keeps the answer until copyTo.
type emuBuffer struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newEmuBuffer() *emuBuffer { return &emuBuffer{header: http.Header{}} }

func (b *emuBuffer) Header() http.Header { return b.header }

func (b *emuBuffer) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}

func (b *emuBuffer) Write(p []byte) (int, error) {
	if b.code == 0 {
		b.code = http.StatusOK
	}
	return b.body.Write(p)
}

// copyTo sends the kept answer to w, keeping headers w already carries (the limit headers).
func (b *emuBuffer) copyTo(w http.ResponseWriter) {
	for k, vs := range b.header {
		w.Header()[k] = vs
	}
	if b.code == 0 {
		b.code = http.StatusOK
	}
	w.WriteHeader(b.code)
	_, _ = w.Write(b.body.Bytes()) // a client that went away is not an error of the server
}
