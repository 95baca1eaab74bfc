package pipedrive

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestCreateAnswersInDoubt sends one create per status and checks how the client classifies
// the answer: a 4xx is a refusal (not in doubt), anything else but a 2xx leaves the create
// in doubt, never resent; Answered tells a server's own answer from a gateway's or none.
func TestCreateAnswersInDoubt(t *testing.T) {
	tests := []struct {
		name        string
		a           answer
		inDoubt     bool
		answered    bool
		unavailable bool
	}{
		{name: "500 from the server", a: answer{status: 500, body: `{"success":false}`}, inDoubt: true, answered: true, unavailable: true},
		{name: "503 from the server", a: err503, inDoubt: true, answered: true, unavailable: true},
		{name: "502 from a gateway", a: answer{status: 502, body: `bad gateway`}, inDoubt: true, unavailable: true},
		{name: "504 from a gateway", a: answer{status: 504, body: `gateway timeout`}, inDoubt: true, unavailable: true},
		{name: "520 unknown error", a: answer{status: 520, body: `error code: 520`}, inDoubt: true, unavailable: true},
		{name: "521 web server is down", a: answer{status: 521, body: ``}, inDoubt: true, unavailable: true},
		{name: "522 connection timed out", a: answer{status: 522, body: ``}, inDoubt: true, unavailable: true},
		{name: "523 origin unreachable", a: answer{status: 523, body: ``}, inDoubt: true, unavailable: true},
		{name: "524 a timeout occurred", a: answer{status: 524, body: `error code: 524`}, inDoubt: true, unavailable: true},
		{name: "599 unknown 5xx", a: answer{status: 599, body: ``}, inDoubt: true, unavailable: true},
		{name: "507 from the server", a: answer{status: 507, body: ``}, inDoubt: true, answered: true, unavailable: true},
		{name: "unknown 3xx", a: answer{status: 399, body: ``}, inDoubt: true, unavailable: true},
		{name: "400 is a refusal", a: answer{status: 400, body: `{"success":false,"error":"title is required"}`}},
		{name: "422 is a refusal", a: answer{status: 422, body: `{"success":false}`}},
		{name: "409 is a refusal", a: answer{status: 409, body: `{"success":false}`}},
		{name: "dropped connection", a: answer{drop: true}, inDoubt: true, unavailable: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, n := scripted(t, tc.a, created201)
			c, _ := fake.client(t, func(cfg *Config) { cfg.MaxRetries = 2 })
			_, _, err := c.CreateLead(context.Background(), LeadInput{Title: "T", PersonID: 1})
			if err == nil {
				t.Fatal("CreateLead succeeded, want an error")
			}
			if n.Load() != 1 {
				t.Errorf("server saw %d requests, want 1: a create is never resent by the client", n.Load())
			}
			if got := errors.Is(err, ErrInDoubt); got != tc.inDoubt {
				t.Errorf("errors.Is(%v, ErrInDoubt) = %v, want %v", err, got, tc.inDoubt)
			}
			var ide *InDoubtError
			if errors.As(err, &ide) && ide.Answered != tc.answered {
				t.Errorf("InDoubtError.Answered = %v, want %v", ide.Answered, tc.answered)
			}
			if got := errors.Is(err, ErrUnavailable); got != tc.unavailable {
				t.Errorf("errors.Is(%v, ErrUnavailable) = %v, want %v", err, got, tc.unavailable)
			}
		})
	}
}

// TestReadRetries5xx checks that an idempotent request is retried on any 5xx, a proxy's
// 520–524 included, and not on 501 or an unknown status.
func TestReadRetries5xx(t *testing.T) {
	tests := []struct {
		status    int
		wantCalls int32
	}{
		{status: 520, wantCalls: 2}, {status: 522, wantCalls: 2}, {status: 524, wantCalls: 2},
		{status: 599, wantCalls: 2}, {status: 501, wantCalls: 1}, {status: 399, wantCalls: 1},
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			fake, n := scripted(t, answer{status: tc.status, body: ``}, ok200)
			c, _ := fake.client(t, func(cfg *Config) { cfg.MaxRetries = 2 })
			_, _, err := c.Lead(context.Background(), "adf21080-0e10-11eb-879b-05d71fb426ec")
			if n.Load() != tc.wantCalls {
				t.Errorf("server saw %d requests, want %d (error %v)", n.Load(), tc.wantCalls, err)
			}
		})
	}
}

// TestUnavailable404 checks that a 404 means "unavailable" only on an endpoint that names no
// record: a missing lead is the row's problem, a missing /leads is a wrong base URL.
func TestUnavailable404(t *testing.T) {
	for _, tc := range []struct {
		op   string
		want bool
	}{{"getLead", false}, {"getLeads", true}, {"addLead", true}} {
		err := error(&APIError{Status: 404, Op: tc.op})
		if got := errors.Is(err, ErrUnavailable); got != tc.want {
			t.Errorf("errors.Is(404 %s, ErrUnavailable) = %v, want %v", tc.op, got, tc.want)
		}
	}
}

// TestServerTime checks the bound of the server's clock learnt from Date headers: with a
// server 90 s ahead, ServerTime(t) is at most the server's time and less than 2 s early.
func TestServerTime(t *testing.T) {
	const ahead = 90 * time.Second
	fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", time.Now().Add(ahead).UTC().Format(http.TimeFormat))
		writeJSON(w, 200, env(leadJSON))
	})
	c, _ := fake.client(t, nil)
	if _, ok := c.ServerTime(time.Now()); ok {
		t.Fatal("ServerTime is known before any answer")
	}
	for range 3 {
		if _, _, err := c.Lead(context.Background(), "adf21080-0e10-11eb-879b-05d71fb426ec"); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	got, ok := c.ServerTime(now)
	if !ok {
		t.Fatal("ServerTime unknown after three answers with a Date")
	}
	if truth := now.Add(ahead); got.After(truth) || truth.Sub(got) > 2*time.Second {
		t.Errorf("ServerTime = %v, want within 2 s before the server's %v", got, truth)
	}
}
