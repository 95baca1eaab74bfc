package sandbox

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// emuAPI is the trivial API behind emulate in these tests: it counts what reached it.
type emuAPI struct{ calls atomic.Int64 }

func (a *emuAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.calls.Add(1)
	w.Header().Set("Content-Type", "application/json")
	if r.Method == http.MethodPost {
		w.WriteHeader(http.StatusCreated)
	}
	_, _ = io.WriteString(w, `{"success":true,"data":{"id":1}}`)
}

func newEmuServer(t *testing.T, e Emulation) (*httptest.Server, *emuAPI) {
	t.Helper()
	api := &emuAPI{}
	srv := httptest.NewServer(emulate(api, e))
	t.Cleanup(srv.Close)
	return srv, api
}

type emuAnswer struct {
	status int
	header http.Header
	body   string
}

// call sends one request with token (header, or query when it starts with "?") and returns
// the answer, or the transport error.
func emuCall(t *testing.T, client *http.Client, method, url, token string) (emuAnswer, error) {
	t.Helper()
	if strings.HasPrefix(token, "?") {
		url += "?api_token=" + token[1:]
	}
	var body io.Reader
	if method != http.MethodGet {
		body = strings.NewReader(`{"title":"x"}`)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if token != "" && !strings.HasPrefix(token, "?") {
		req.Header.Set("x-api-token", token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return emuAnswer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return emuAnswer{}, err
	}
	return emuAnswer{status: resp.StatusCode, header: resp.Header, body: string(b)}, nil
}

func emuMustCall(t *testing.T, method, url, token string) emuAnswer {
	t.Helper()
	a, err := emuCall(t, http.DefaultClient, method, url, token)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return a
}

func emuWantHeaders(t *testing.T, a emuAnswer, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := a.header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

func TestEmulateZeroPassesThrough(t *testing.T) {
	srv, api := newEmuServer(t, Emulation{})
	a := emuMustCall(t, "GET", srv.URL+"/v1/leads", "tok")
	if a.status != 200 || api.calls.Load() != 1 || a.header.Get("x-ratelimit-limit") != "" {
		t.Errorf("zero Emulation: status %d, %d calls, limit header %q; want 200, 1, none",
			a.status, api.calls.Load(), a.header.Get("x-ratelimit-limit"))
	}
}

func TestEmulateWindow(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	srv, api := newEmuServer(t, Emulation{RateLimit: 3, Now: clock.Now})
	for i, prefix := range []string{"/v1", "/api/v1", "/v1"} {
		a := emuMustCall(t, "GET", srv.URL+prefix+"/leads", "tok")
		if a.status != 200 {
			t.Fatalf("request %d: status %d, want 200", i+1, a.status)
		}
		emuWantHeaders(t, a, map[string]string{
			"x-ratelimit-limit":     "3",
			"x-ratelimit-remaining": strconv.Itoa(2 - i),
			"x-ratelimit-reset":     "2",
		})
	}
	clock.Advance(500 * time.Millisecond)
	a := emuMustCall(t, "POST", srv.URL+"/v1/leads", "tok")
	if a.status != http.StatusTooManyRequests || a.body != `{"success":false,"error":"Request over limit","errorCode":429}` {
		t.Errorf("over the limit: %d %s, want 429 Request over limit", a.status, a.body)
	}
	emuWantHeaders(t, a, map[string]string{"Retry-After": "2", "x-ratelimit-remaining": "0"})
	if got := api.calls.Load(); got != 3 {
		t.Errorf("calls reaching the API = %d, want 3 (a 429 is not processed)", got)
	}

	t.Run("other token has its own window", func(t *testing.T) {
		a := emuMustCall(t, "GET", srv.URL+"/v1/leads", "?other")
		emuWantHeaders(t, a, map[string]string{"x-ratelimit-remaining": "2"})
	})
	t.Run("unauthenticated and unknown pass through", func(t *testing.T) {
		before := api.calls.Load()
		for _, c := range []struct{ path, token string }{{"/v1/leads", ""}, {"/v1/nowhere", "tok"}, {"/leads", "tok"}} {
			a := emuMustCall(t, "GET", srv.URL+c.path, c.token)
			if a.header.Get("x-ratelimit-limit") != "" {
				t.Errorf("GET %s: limit headers set, want none", c.path)
			}
		}
		if got := api.calls.Load() - before; got != 3 {
			t.Errorf("calls reaching the API = %d, want 3", got)
		}
	})
	t.Run("window rolls", func(t *testing.T) {
		clock.Advance(1500 * time.Millisecond)
		a := emuMustCall(t, "GET", srv.URL+"/v1/leads", "tok")
		if a.status != 200 {
			t.Errorf("after the window: status %d, want 200", a.status)
		}
		emuWantHeaders(t, a, map[string]string{"x-ratelimit-remaining": "2"})
	})
}

func TestEmulateSearchLimit(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	srv, _ := newEmuServer(t, Emulation{RateLimit: 10, SearchRateLimit: 2, Now: clock.Now})
	for _, path := range []string{"/v1/leads/search", "/v1/itemSearch"} {
		a := emuMustCall(t, "GET", srv.URL+path, "tok")
		emuWantHeaders(t, a, map[string]string{"x-ratelimit-limit": "2"})
	}
	a := emuMustCall(t, "GET", srv.URL+"/v1/itemSearch/field", "tok")
	if a.status != http.StatusTooManyRequests {
		t.Errorf("third search: status %d, want 429", a.status)
	}
	a = emuMustCall(t, "GET", srv.URL+"/v1/leads", "tok")
	if a.status != 200 {
		t.Errorf("list after searches: status %d, want 200", a.status)
	}
	// The two admitted searches also took slots of the general window.
	emuWantHeaders(t, a, map[string]string{"x-ratelimit-limit": "10", "x-ratelimit-remaining": "7"})
}

func TestEmulateDailyBudget(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC))
	srv, api := newEmuServer(t, Emulation{DailyBudget: 50, Now: clock.Now})
	for i, left := range []string{"30", "10"} {
		a := emuMustCall(t, "GET", srv.URL+"/v1/leads", "tok") // costs 20
		if a.status != 200 {
			t.Fatalf("request %d: status %d, want 200", i+1, a.status)
		}
		emuWantHeaders(t, a, map[string]string{"x-daily-ratelimit-token-limit": "50", "x-daily-ratelimit-token-remaining": left})
	}
	a := emuMustCall(t, "GET", srv.URL+"/v1/leads", "tok")
	if a.status != 429 || a.body != `{"success":false,"error":"daily request budget exceeded","errorCode":429}` {
		t.Errorf("budget spent: %d %s, want 429 daily request budget exceeded", a.status, a.body)
	}
	emuWantHeaders(t, a, map[string]string{"Retry-After": "60", "x-daily-ratelimit-token-remaining": "10"})

	a = emuMustCall(t, "GET", srv.URL+"/v1/leads/4c5d", "tok") // costs 2: still fits
	if a.status != 200 {
		t.Errorf("cheap request with budget left: status %d, want 200", a.status)
	}
	emuWantHeaders(t, a, map[string]string{"x-daily-ratelimit-token-remaining": "8"})
	if got := api.calls.Load(); got != 3 {
		t.Errorf("calls reaching the API = %d, want 3", got)
	}

	clock.Advance(61 * time.Second) // past UTC midnight
	a = emuMustCall(t, "GET", srv.URL+"/v1/leads", "tok")
	if a.status != 200 {
		t.Errorf("after midnight: status %d, want 200", a.status)
	}
	emuWantHeaders(t, a, map[string]string{"x-daily-ratelimit-token-remaining": "30"})
}

func TestEmulateFaults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		faults    Faults
		method    string
		timeout   time.Duration
		wantCalls int64 // requests that reached the API
		check     func(t *testing.T, a emuAnswer, err error)
	}{
		{"5xx is not processed", Faults{Error5xx: 1}, "POST", 0, 0, func(t *testing.T, a emuAnswer, err error) {
			if err != nil || (a.status != 500 && a.status != 502 && a.status != 503) {
				t.Errorf("answer %d, %v; want 500, 502 or 503", a.status, err)
			}
			if !strings.Contains(a.body, `"errorCode":`+strconv.Itoa(a.status)) {
				t.Errorf("body %s, want errorCode %d", a.body, a.status)
			}
		}},
		{"reset is not processed", Faults{Reset: 1}, "POST", 0, 0, func(t *testing.T, a emuAnswer, err error) {
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("answer %d, %v; want a connection reset", a.status, err)
			}
		}},
		{"lost answer of a write is stored", Faults{LostAnswer: 1}, "POST", 0, 1, func(t *testing.T, a emuAnswer, err error) {
			if err == nil && a.status != 502 {
				t.Errorf("answer %d, want 502 or a connection error", a.status)
			}
		}},
		{"lost answer spares reads", Faults{LostAnswer: 1}, "GET", 0, 1, func(t *testing.T, a emuAnswer, err error) {
			if err != nil || a.status != 200 {
				t.Errorf("answer %d, %v; want 200", a.status, err)
			}
		}},
		{"slow answer is processed", Faults{Slow: 1, SlowDelay: 50 * time.Millisecond}, "POST", 0, 1, func(t *testing.T, a emuAnswer, err error) {
			if err != nil || a.status != 201 || !strings.Contains(a.body, `"success":true`) {
				t.Errorf("answer %d %s, %v; want the API's 201", a.status, a.body, err)
			}
		}},
		{"slow answer times the client out", Faults{Slow: 1, SlowDelay: time.Minute}, "POST", 100 * time.Millisecond, 1, func(t *testing.T, a emuAnswer, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("answer %d, %v; want a client timeout", a.status, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, api := newEmuServer(t, Emulation{Faults: tc.faults, Seed: 1})
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			defer client.CloseIdleConnections()
			ctx := t.Context()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			req, err := http.NewRequestWithContext(ctx, tc.method, srv.URL+"/v1/leads", strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("x-api-token", "tok")
			var a emuAnswer
			resp, err := client.Do(req)
			if err == nil {
				b, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				a, err = emuAnswer{status: resp.StatusCode, header: resp.Header, body: string(b)}, rerr
			}
			tc.check(t, a, err)
			srv.Close() // waits for the handler: the write, if any, has happened
			if got := api.calls.Load(); got != tc.wantCalls {
				t.Errorf("calls reaching the API = %d, want %d", got, tc.wantCalls)
			}
		})
	}
}

func TestEmulateLostAnswerKinds(t *testing.T) {
	srv, api := newEmuServer(t, Emulation{Faults: Faults{LostAnswer: 1}, Seed: 7})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	var status502, dropped int
	for range 20 {
		a, err := emuCall(t, client, "PATCH", srv.URL+"/v1/leads/4c5d", "tok")
		switch {
		case err != nil:
			dropped++
		case a.status == 502:
			status502++
		default:
			t.Errorf("answer %d, want 502 or none", a.status)
		}
	}
	srv.Close()
	if status502 == 0 || dropped == 0 || api.calls.Load() != 20 {
		t.Errorf("20 lost answers: %d × 502, %d dropped, %d stored; want both kinds, 20 stored", status502, dropped, api.calls.Load())
	}
}

func TestEmulateStorm(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	srv, api := newEmuServer(t, Emulation{Faults: Faults{Storm429: 1, StormLength: 3 * time.Second}, Now: clock.Now})
	for _, retry := range []string{"3", "2", "1"} {
		a := emuMustCall(t, "GET", srv.URL+"/v1/leads", "tok")
		if a.status != 429 || a.header.Get("Retry-After") != retry {
			t.Errorf("in the storm: %d, Retry-After %q; want 429, %s", a.status, a.header.Get("Retry-After"), retry)
		}
		clock.Advance(time.Second)
	}
	if got := api.calls.Load(); got != 0 {
		t.Errorf("calls reaching the API = %d, want 0", got)
	}
}

func TestEmulateLatencyClientGone(t *testing.T) {
	srv, api := newEmuServer(t, Emulation{Latency: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/leads", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-api-token", "tok")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("answer %d before the latency, want a client timeout", resp.StatusCode)
	}
	srv.Close() // returns only once the handler has ended: no goroutine left behind
	if got := api.calls.Load(); got != 0 {
		t.Errorf("calls reaching the API = %d, want 0 (the client left during the latency)", got)
	}
}

func TestParseFaults(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Faults
		wantKey string // key named by the error; "" = no error
	}{
		{"", Faults{}, ""},
		{"5xx=0.1,reset=0.02,lost=0.02,slow=0.01,slow_delay=2s,429=0.01,storm=3s",
			Faults{Error5xx: 0.1, Reset: 0.02, LostAnswer: 0.02, Slow: 0.01, SlowDelay: 2 * time.Second, Storm429: 0.01, StormLength: 3 * time.Second}, ""},
		{" 5xx = 1 , ", Faults{Error5xx: 1}, ""},
		{"52x=0.05,late=0.1,late_delay=500ms,search_lag=5s",
			Faults{Gateway52x: 0.05, Late: 0.1, LateDelay: 500 * time.Millisecond, SearchLag: 5 * time.Second}, ""},
		{"late_delay=-1s", Faults{}, "late_delay"},
		{"search_lag=0.5", Faults{}, "search_lag"},
		{"52x=2", Faults{}, "52x"},
		{"5xx=1.5", Faults{}, "5xx"},
		{"reset=-0.1", Faults{}, "reset"},
		{"lost=NaN", Faults{}, "lost"},
		{"slow=abc", Faults{}, "slow"},
		{"slow_delay=0s", Faults{}, "slow_delay"},
		{"storm=3", Faults{}, "storm"},
		{"timeout=0.1", Faults{}, "timeout"},
		{"5xx", Faults{}, "5xx"},
		{"5xx=0.1,5xx=0.2", Faults{}, "5xx"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseFaults(tc.in)
			if tc.wantKey == "" {
				if err != nil || got != tc.want {
					t.Errorf("ParseFaults(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
				}
				return
			}
			var fe *FaultsError
			if !errors.As(err, &fe) || fe.Key != tc.wantKey {
				t.Errorf("ParseFaults(%q) error = %v, want a *FaultsError naming %q", tc.in, err, tc.wantKey)
			}
		})
	}
}

func TestEmulateForgetsIdleTokens(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	h := emulate(&emuAPI{}, Emulation{RateLimit: 5, Now: clock.Now})
	m, ok := h.(*emulator)
	if !ok {
		t.Fatalf("emulate returned %T, want *emulator", h)
	}
	get := func(token string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/v1/leads", nil)
		req.Header.Set("x-api-token", token)
		m.ServeHTTP(rec, req)
		return rec
	}
	get("busy")
	for i := range emuMaxTokens + 10 {
		if i == emuMaxTokens/2 {
			clock.Advance(3 * time.Second) // every window so far is now empty
		}
		get("made-up-" + strconv.Itoa(i))
	}
	get("busy") // the window of "busy" was forgotten with the rest, not corrupted
	if got := len(m.tokens); got > emuMaxTokens {
		t.Errorf("tokens tracked = %d, want at most %d", got, emuMaxTokens)
	}
	if got := get("busy").Header().Get("x-ratelimit-remaining"); got != "3" {
		t.Errorf("remaining of a token used twice since the sweep = %q, want 3", got)
	}
}

func TestEmulateLatencyOnPassThrough(t *testing.T) {
	srv, api := newEmuServer(t, Emulation{Latency: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/leads", nil) // no token
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("answer %d before the latency, want a client timeout", resp.StatusCode)
	}
	srv.Close()
	if got := api.calls.Load(); got != 0 {
		t.Errorf("calls reaching the API = %d, want 0", got)
	}
}
