package pipedrive

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/ratelimit"
)

// answer is one scripted server answer; hang makes the server hold the request until the
// client gives up; drop closes the connection without an answer.
type answer struct {
	status  int
	body    string
	headers map[string]string
	hang    bool
	drop    bool
}

// scripted answers the i-th request with answers[i] (the last one repeats).
func scripted(t *testing.T, answers ...answer) (*fakeAPI, *atomic.Int32) {
	var n atomic.Int32
	fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		a := answers[min(i, len(answers)-1)]
		for k, v := range a.headers {
			w.Header().Set(k, v)
		}
		switch {
		case a.hang:
			<-r.Context().Done()
			return
		case a.drop:
			hj, ok := w.(http.Hijacker)
			if !ok {
				t.Error("cannot hijack")
				return
			}
			conn, _, err := hj.Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
			return
		}
		writeJSON(w, a.status, a.body)
	})
	return fake, &n
}

var (
	ok200      = answer{status: 200, body: env(leadJSON)}
	created201 = answer{status: 201, body: env(leadJSON)}
	err503     = answer{status: 503, body: `{"success":false,"error":"service unavailable"}`}
	err500     = answer{status: 500, body: `<html>internal error</html>`}
	burst429   = answer{status: 429, body: `{"success":false,"error":"Request over limit","errorCode":429}`,
		headers: map[string]string{"Retry-After": "7", "x-ratelimit-limit": "20", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "2"}}
	reset429 = answer{status: 429, body: `{"success":false,"error":"Request over limit"}`, headers: map[string]string{"x-ratelimit-reset": "2"}}
	daily429 = answer{status: 429, body: `{"success":false,"error":"daily request budget exceeded","errorCode":429}`,
		headers: map[string]string{"Retry-After": "3939"}}
	dailyHeader429 = answer{status: 429, body: `{"success":false,"error":"Request over limit"}`,
		headers: map[string]string{"x-daily-ratelimit-token-remaining": "0", "x-daily-ratelimit-token-limit": "60000"}}
)

func TestRetryRules(t *testing.T) {
	const leadID = "adf21080-0e10-11eb-879b-05d71fb426ec"
	get := func(ctx context.Context, c *Client) (*Response, error) {
		_, r, err := c.Lead(ctx, leadID)
		return r, err
	}
	post := func(ctx context.Context, c *Client) (*Response, error) {
		_, r, err := c.CreateLead(ctx, LeadInput{Title: "T", PersonID: 1})
		return r, err
	}
	patch := func(ctx context.Context, c *Client) (*Response, error) {
		_, r, err := c.UpdateLead(ctx, leadID, LeadPatch{Title: Set("T")})
		return r, err
	}
	tests := []struct {
		name      string
		do        func(context.Context, *Client) (*Response, error)
		answers   []answer
		timeout   time.Duration
		wantCalls int32
		wantErr   []error // each must match (errors.Is)
		notErr    []error // none may match
		wantSleep []time.Duration
		status    int
	}{
		{name: "GET 503 then 200 is retried", do: get, answers: []answer{err503, ok200}, wantCalls: 2, status: 200},
		{name: "PATCH 500 with HTML body is retried", do: patch, answers: []answer{err500, ok200}, wantCalls: 2, status: 200},
		{name: "GET gives up after MaxRetries", do: get, answers: []answer{err503}, wantCalls: 3, wantErr: []error{&APIError{}}, notErr: []error{ErrInDoubt}, status: 503},
		{name: "POST 503 is in doubt, never resent", do: post, answers: []answer{err503, created201}, wantCalls: 1, wantErr: []error{ErrInDoubt}, status: 503},
		{name: "POST 201 succeeds", do: post, answers: []answer{created201}, wantCalls: 1, status: 201},
		{name: "POST timeout is in doubt", do: post, answers: []answer{{hang: true}, created201}, timeout: 100 * time.Millisecond, wantCalls: 1, wantErr: []error{ErrInDoubt, context.DeadlineExceeded}},
		{name: "GET timeout is retried", do: get, answers: []answer{{hang: true}, ok200}, timeout: 100 * time.Millisecond, wantCalls: 2, status: 200},
		{name: "POST dropped connection is in doubt", do: post, answers: []answer{{drop: true}, created201}, wantCalls: 1, wantErr: []error{ErrInDoubt}},
		{name: "GET dropped connection is retried", do: get, answers: []answer{{drop: true}, ok200}, wantCalls: 2, status: 200},
		{name: "GET 429 waits Retry-After", do: get, answers: []answer{burst429, ok200}, wantCalls: 2, wantSleep: []time.Duration{7 * time.Second}, status: 200},
		{name: "POST 429 is resent after Retry-After", do: post, answers: []answer{burst429, created201}, wantCalls: 2, wantSleep: []time.Duration{7 * time.Second}, status: 201},
		{name: "429 without Retry-After waits x-ratelimit-reset", do: post, answers: []answer{reset429, created201}, wantCalls: 2, wantSleep: []time.Duration{2 * time.Second}, status: 201},
		{name: "daily budget 429 is not retried", do: get, answers: []answer{daily429, ok200}, wantCalls: 1, wantErr: []error{ratelimit.ErrBudgetExhausted, ErrRateLimited}, notErr: []error{ErrInDoubt}, status: 429},
		{name: "daily token header 0 is budget exhaustion", do: post, answers: []answer{dailyHeader429, created201}, wantCalls: 1, wantErr: []error{ratelimit.ErrBudgetExhausted}, notErr: []error{ErrInDoubt}, status: 429},
		{name: "404 maps to ErrNotFound", do: get, answers: []answer{{status: 404, body: `{"success":false,"error":"requested lead not found","error_info":"Object was not found.","data":null,"additional_data":null}`}}, wantCalls: 1, wantErr: []error{ErrNotFound}, status: 404},
		{name: "403 maps to ErrForbidden", do: post, answers: []answer{{status: 403, body: `{"success":false,"error":"forbidden"}`}}, wantCalls: 1, wantErr: []error{ErrForbidden}, notErr: []error{ErrInDoubt}, status: 403},
		{name: "GET bad JSON is a decode error", do: get, answers: []answer{{status: 200, body: `{"success":true,"data":{"id":`}}, wantCalls: 1, wantErr: []error{&DecodeError{}}, notErr: []error{ErrInDoubt}, status: 200},
		{name: "POST bad JSON is in doubt", do: post, answers: []answer{{status: 201, body: `<html>ok</html>`}}, wantCalls: 1, wantErr: []error{ErrInDoubt, &DecodeError{}}, status: 201},
		{name: "success false on 200 is an API error", do: get, answers: []answer{{status: 200, body: `{"success":false,"error":"weird"}`}}, wantCalls: 1, wantErr: []error{&APIError{}}, status: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, n := scripted(t, tc.answers...)
			c, sl := fake.client(t, func(cfg *Config) {
				cfg.MaxRetries = 2
				if tc.timeout > 0 {
					cfg.Timeout = tc.timeout
				}
			})
			resp, err := tc.do(context.Background(), c)
			if n.Load() != tc.wantCalls {
				t.Errorf("server saw %d requests, want %d", n.Load(), tc.wantCalls)
			}
			if len(tc.wantErr) == 0 && err != nil {
				t.Fatalf("error = %v, want none", err)
			}
			for _, want := range tc.wantErr {
				if !matches(err, want) {
					t.Errorf("error = %v, want it to match %T %v", err, want, want)
				}
			}
			for _, not := range tc.notErr {
				if matches(err, not) {
					t.Errorf("error = %v, must not match %v", err, not)
				}
			}
			if tc.wantSleep != nil && !reflect.DeepEqual(sl.all(), tc.wantSleep) {
				t.Errorf("backoff waits = %v, want %v", sl.all(), tc.wantSleep)
			}
			if tc.status != 0 && (resp == nil || resp.Status != tc.status) {
				t.Errorf("response = %+v, want status %d", resp, tc.status)
			}
		})
	}
}

// matches is errors.Is for sentinels and errors.As for typed errors.
func matches(err, want error) bool {
	switch want.(type) {
	case *APIError:
		var e *APIError
		return errors.As(err, &e)
	case *DecodeError:
		var e *DecodeError
		return errors.As(err, &e)
	}
	return errors.Is(err, want)
}

func TestAPIErrorFields(t *testing.T) {
	fake, _ := scripted(t, answer{status: 404, body: `{"success":false,"error":"requested lead not found","error_info":"Object was not found.","errorCode":404,"data":null,"additional_data":null}`})
	c, _ := fake.client(t, nil)
	_, _, err := c.Lead(context.Background(), "adf21080-0e10-11eb-879b-05d71fb426ec")
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want *APIError", err)
	}
	want := APIError{Status: 404, Message: "requested lead not found", Info: "Object was not found.", Code: 404, Op: "getLead"}
	if *ae != want {
		t.Errorf("APIError = %+v, want %+v", *ae, want)
	}
	if got, wantMsg := ae.Error(), "pipedrive: getLead: 404 Not Found: requested lead not found"; got != wantMsg {
		t.Errorf("Error() = %q, want %q", got, wantMsg)
	}
}

func TestBudgetErrorResetAt(t *testing.T) {
	now := time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		a    answer
		want time.Time
	}{
		{name: "Retry-After", a: daily429, want: now.Add(3939 * time.Second)},
		{name: "next UTC midnight", a: dailyHeader429, want: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, _ := scripted(t, tc.a)
			c, _ := fake.client(t, nil)
			c.now = func() time.Time { return now }
			_, _, err := c.LeadSources(context.Background())
			var be *ratelimit.BudgetError
			if !errors.As(err, &be) {
				t.Fatalf("error = %v, want *ratelimit.BudgetError", err)
			}
			if !be.ResetAt.Equal(tc.want) || be.Cost != 2 {
				t.Errorf("BudgetError = %+v, want ResetAt %v and cost 2", be, tc.want)
			}
		})
	}
}

// TestCancelWins cancels the context while the client waits to retry: the context's error
// is reported, not the last API error.
func TestCancelWins(t *testing.T) {
	fake, n := scripted(t, err503)
	c, _ := fake.client(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		return sleepCtx(ctx, d)
	}
	_, _, err := c.Lead(ctx, "adf21080-0e10-11eb-879b-05d71fb426ec")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if errors.Is(err, ErrInDoubt) {
		t.Errorf("a GET must not be in doubt: %v", err)
	}
	if n.Load() != 1 {
		t.Errorf("server saw %d requests, want 1", n.Load())
	}
}

func TestDialFailureRetriedForPOST(t *testing.T) {
	fake, n := scripted(t, created201)
	var dials atomic.Int32
	c, sl := fake.client(t, func(cfg *Config) { cfg.HTTPClient = &http.Client{Transport: failFirstDial(&dials)} })
	if _, _, err := c.CreateLead(context.Background(), LeadInput{Title: "T", PersonID: 1}); err != nil {
		t.Fatalf("CreateLead: %v", err)
	}
	if n.Load() != 1 || dials.Load() != 2 {
		t.Errorf("server saw %d requests after %d dials, want 1 after 2", n.Load(), dials.Load())
	}
	if len(sl.all()) != 1 {
		t.Errorf("backoff waits = %v, want one", sl.all())
	}
}

func TestExponentialBackoffWithoutPacer(t *testing.T) {
	fake, _ := scripted(t, err503)
	c, sl := fake.client(t, func(cfg *Config) { cfg.MaxRetries = 4 })
	_, _, err := c.Lead(context.Background(), "adf21080-0e10-11eb-879b-05d71fb426ec")
	if err == nil {
		t.Fatal("want an error after retries")
	}
	waits := sl.all()
	if len(waits) != 4 {
		t.Fatalf("backoff waits = %v, want 4", waits)
	}
	for i, d := range waits {
		hi := minBackoff << i
		if d < hi/2 || d > hi {
			t.Errorf("wait %d = %v, want within [%v, %v]", i+1, d, hi/2, hi)
		}
	}
}

func TestRateLimitHeadersOnResponse(t *testing.T) {
	fake, _ := scripted(t, answer{status: 200, body: env(`[{"name":"API"}]`), headers: map[string]string{
		"x-ratelimit-limit": "40", "x-ratelimit-remaining": "12", "x-ratelimit-reset": "1",
		"x-daily-requests-left": "900", "x-daily-ratelimit-token-limit": "60000", "x-daily-ratelimit-token-remaining": "59998",
	}})
	c, _ := fake.client(t, nil)
	_, resp, err := c.LeadSources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := RateLimit{Limit: 40, Remaining: 12, Reset: time.Second, DailyRequestsLeft: 900, DailyTokenLimit: 60000,
		DailyTokenRemaining: 59998, HasReset: true}
	if resp.RateLimit != want {
		t.Errorf("RateLimit = %+v, want %+v", resp.RateLimit, want)
	}
	if resp.Header.Get("x-ratelimit-limit") != "40" || resp.Attempts != 1 {
		t.Errorf("response = %+v", resp)
	}
	if c.LastRateLimit() != want {
		t.Errorf("LastRateLimit = %+v, want %+v", c.LastRateLimit(), want)
	}
}

func TestParseRateLimit(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		h    http.Header
		want RateLimit
	}{
		{name: "none", h: http.Header{}, want: RateLimit{Limit: -1, Remaining: -1, DailyRequestsLeft: -1, DailyTokenLimit: -1, DailyTokenRemaining: -1}},
		{name: "retry-after date", h: http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}},
			want: RateLimit{Limit: -1, Remaining: -1, DailyRequestsLeft: -1, DailyTokenLimit: -1, DailyTokenRemaining: -1, RetryAfter: 90 * time.Second, HasRetryAfter: true}},
		{name: "garbage", h: http.Header{"X-Ratelimit-Limit": {"many"}, "Retry-After": {"soon"}, "X-Ratelimit-Reset": {"-3"}},
			want: RateLimit{Limit: -1, Remaining: -1, DailyRequestsLeft: -1, DailyTokenLimit: -1, DailyTokenRemaining: -1}},
		{name: "fractional reset", h: http.Header{"X-Ratelimit-Reset": {"1.5"}, "Retry-After": {"0"}},
			want: RateLimit{Limit: -1, Remaining: -1, DailyRequestsLeft: -1, DailyTokenLimit: -1, DailyTokenRemaining: -1, Reset: 1500 * time.Millisecond, HasReset: true, HasRetryAfter: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseRateLimit(tc.h, now); got != tc.want {
				t.Errorf("ParseRateLimit = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestWithPacer runs requests through a real ratelimit.Pacer to check the client honours
// its contract (Wait before each attempt, Observe after) without deadlock.
func TestWithPacer(t *testing.T) {
	fake, n := scripted(t, answer{status: 200, body: env(`[]`), headers: map[string]string{"x-ratelimit-limit": "100", "x-ratelimit-remaining": "99"}})
	c, _ := fake.client(t, func(cfg *Config) { cfg.Pacer = ratelimit.New(ratelimit.Options{Limit: 100}) })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < 3; i++ {
		if _, _, err := c.LeadSources(ctx); err != nil {
			t.Fatalf("LeadSources: %v", err)
		}
	}
	if n.Load() != 3 {
		t.Errorf("server saw %d requests, want 3", n.Load())
	}
}

// TestCancelDuringCreateStaysInDoubt cancels the context while a create is on the wire:
// the error matches context.Canceled (the cancel wins) and ErrInDoubt (it may be applied).
func TestCancelDuringCreateStaysInDoubt(t *testing.T) {
	arrived := make(chan struct{}, 1)
	fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	})
	c, _ := fake.client(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, _, err := c.CreateLead(ctx, LeadInput{Title: "T", PersonID: 1})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrInDoubt) {
		t.Errorf("error = %v, want both context.Canceled and ErrInDoubt", err)
	}
}
