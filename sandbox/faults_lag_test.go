package sandbox

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestEmulateGateway52x sends writes through a proxy that answers every one 520–524: the
// server did the work behind a 520 or a 524, not behind a 521, 522 or 523.
func TestEmulateGateway52x(t *testing.T) {
	srv, api := newEmuServer(t, Emulation{Faults: Faults{Gateway52x: 1}, Seed: 3})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	seen := map[int]int{}
	for range 60 {
		before := api.calls.Load()
		a, err := emuCall(t, client, "POST", srv.URL+"/v1/leads", "tok")
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		processed := api.calls.Load() > before
		seen[a.status]++
		switch a.status {
		case 520, 524:
			if !processed {
				t.Errorf("%d: the write was not processed, want it processed", a.status)
			}
		case 521, 522, 523:
			if processed {
				t.Errorf("%d: the write was processed, want it not", a.status)
			}
		default:
			t.Fatalf("answer %d %s, want 520–524", a.status, a.body)
		}
		if !strings.Contains(a.body, "error code:") || a.header.Get("Content-Type") != "text/html" {
			t.Errorf("%d: body %q (%s), want a proxy's HTML page", a.status, a.body, a.header.Get("Content-Type"))
		}
	}
	if len(seen) != 5 {
		t.Errorf("statuses seen %v, want all of 520–524 in 60 answers", seen)
	}
}

// TestEmulateLate sends a write that the server applies only after late_delay: a client
// that gives up first gets no answer, and the write still happens, after the delay.
func TestEmulateLate(t *testing.T) {
	const delay = 300 * time.Millisecond
	for _, tc := range []struct {
		name     string
		method   string
		timeout  time.Duration
		wantErr  bool
		minDelay time.Duration // before the API saw the request
	}{
		{name: "client gives up first", method: "POST", timeout: 50 * time.Millisecond, wantErr: true, minDelay: delay},
		{name: "client waits", method: "POST", timeout: 5 * time.Second, minDelay: delay},
		{name: "reads are spared", method: "GET", timeout: 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var reached time.Time
			api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = time.Now()
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, `{"success":true,"data":{"id":1}}`)
			})
			srv := newEmuHandlerServer(t, emulate(api, Emulation{Faults: Faults{Late: 1, LateDelay: delay}, Seed: 1}))
			ctx, cancel := context.WithTimeout(t.Context(), tc.timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, tc.method, srv.URL+"/v1/leads", strings.NewReader(`{"title":"x"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("x-api-token", "tok")
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			if got := err != nil; got != tc.wantErr {
				t.Errorf("error = %v, want an error: %v", err, tc.wantErr)
			}
			if tc.wantErr && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error = %v, want the client's timeout", err)
			}
			srv.Close() // waits for the handler, which applies the write before it ends
			if reached.IsZero() {
				t.Fatal("the write never reached the API")
			}
			if d := reached.Sub(start); d < tc.minDelay {
				t.Errorf("the write reached the API after %s, want at least %s", d, tc.minDelay)
			}
		})
	}
}

// TestSearchLag creates a lead in a sandbox whose search index lags 400 ms: the lead is in
// the list and gettable at once, missing from every search until the lag has passed.
func TestSearchLag(t *testing.T) {
	e := newEnv(t, Options{Emulation: Emulation{Faults: Faults{SearchLag: 400 * time.Millisecond}}})
	created := time.Now()
	id := e.must(http.StatusCreated, "POST", "/leads", validLead(map[string]any{"title": "Lagging lead"})).data(t)["id"].(string)
	answered := time.Now() // the lead's update_time is before this
	searches := []string{
		"/leads/search?term=Lagging+lead&exact_match=true",
		"/itemSearch?term=Lagging+lead&item_types=lead",
		"/itemSearch/field?term=Lagging&field_type=leadField&field_key=title&return_item_ids=true",
	}
	found := func(path string) bool {
		return strings.Contains(string(e.must(http.StatusOK, "GET", path, nil).body), id)
	}
	if !found("/leads?limit=500") {
		t.Fatal("GET /leads does not list the new lead at once")
	}
	e.must(http.StatusOK, "GET", "/leads/"+id, nil)
	for _, p := range searches {
		if found(p) && time.Since(created) < 400*time.Millisecond {
			t.Errorf("GET %s finds the lead %s after its creation, want it missing for 400 ms", p, time.Since(created))
		}
	}
	time.Sleep(time.Until(answered.Add(450 * time.Millisecond)))
	for _, p := range searches {
		if !found(p) {
			t.Errorf("GET %s does not find the lead after the lag", p)
		}
	}
}

// newEmuHandlerServer serves h on 127.0.0.1 until the test ends.
func newEmuHandlerServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
