package pipedrive_test

// The client's Gate against the sandbox over HTTP: it grows with the round trip while the
// pacer has room, and cuts the requests in flight when the server answers 429 or 5xx.

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
	"github.com/pdbulk/pdbulk/sandbox/sandboxtest"
)

const gateToken = "gate-token-0123456789abcdef"

// gateClient starts a sandbox with emulation e and returns a client of it paced by p.
func gateClient(t *testing.T, e sandbox.Emulation, p *ratelimit.Pacer) *pipedrive.Client {
	t.Helper()
	_, base := sandboxtest.Start(t, sandbox.Options{Token: gateToken, Emulation: e})
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections) // before the sandbox's close (cleanups run last first)
	c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: gateToken, Pacer: p, MaxRetries: 20,
		HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// hammer sends n reads through c from 64 goroutines (more than the Gate ever allows), as
// the importer's pool does, and returns how many failed.
func hammer(t *testing.T, c *pipedrive.Client, n int) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var left, failed atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	for range ratelimit.MaxGate {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				if _, _, err := c.CurrentUser(ctx); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return failed.Load()
}

func TestGateGrowsWithLatency(t *testing.T) {
	// A Growth-like token (120 requests / 2 s) far away (300 ms): to send 60 a second,
	// 60 × 0.3 = 18 must be in flight; the Gate starts at the 20 the pacer allows before
	// it has learnt the limit.
	p := ratelimit.New(ratelimit.Options{}) // the defaults: the limit is learnt from the headers
	c := gateClient(t, sandbox.Emulation{RateLimit: 120, Latency: 300 * time.Millisecond}, p)
	if failed := hammer(t, c, 150); failed != 0 {
		t.Fatalf("%d of 150 reads failed", failed)
	}
	gs, ps := c.Gate().Stats(), p.Stats()
	// The first round trips also open the connections (the first window's 20 requests go at
	// once), so the bound may overshoot at first; it settles where Little's law puts it.
	if gs.Limit < 18 || gs.Limit > 30 || gs.Peak < gs.Limit {
		t.Errorf("Gate settled at %d in flight (peak %d) at 300 ms and 60/s, want about 60 × 0.3 × 1.25 + 2 = 25 (18..30)", gs.Limit, gs.Peak)
	}
	if gs.InFlight != 0 {
		t.Errorf("%d slots still held after every request ended", gs.InFlight)
	}
	if ps.TooMany > 1 {
		t.Errorf("%d answers were 429 (pacer: %s), want none", ps.TooMany, ps)
	}
	if gs.Pinned || gs.Cuts != 0 {
		t.Errorf("Gate %+v: want adaptive and never cut", gs)
	}
}

func TestGateShrinksOn5xx(t *testing.T) {
	// No rate limit and a pacer that does not limit either: only the Gate bounds what is in
	// flight, and on a healthy server it goes to its maximum at once. A server that answers
	// a third of the requests 500/502/503 gets far fewer.
	for _, tt := range []struct {
		name  string
		share float64
	}{{"healthy", 0}, {"30% 5xx", 0.3}} {
		t.Run(tt.name, func(t *testing.T) {
			p := ratelimit.New(ratelimit.Options{Limit: 100000, MaxBackoff: 20 * time.Millisecond})
			c := gateClient(t, sandbox.Emulation{Latency: 50 * time.Millisecond, Seed: 7,
				Faults: sandbox.Faults{Error5xx: tt.share}}, p)
			if failed := hammer(t, c, 200); failed != 0 {
				t.Fatalf("%d of 200 reads failed after retries", failed)
			}
			gs := c.Gate().Stats()
			switch {
			case tt.share == 0 && (gs.Limit != ratelimit.MaxGate || gs.Cuts != 0):
				t.Errorf("Gate %+v on a healthy server with an unlimited pacer, want it at %d and never cut", gs, ratelimit.MaxGate)
			case tt.share > 0 && (gs.Cuts == 0 || gs.Limit > 16):
				t.Errorf("Gate %+v after 30%% of answers were 5xx: want it cut to 16 or fewer", gs)
			}
		})
	}
}

func TestGateShrinksOn429(t *testing.T) {
	// A token whose 429 storms (someone else spending the same limit) come with no warning.
	p := ratelimit.New(ratelimit.Options{Limit: 100000, MaxBackoff: 50 * time.Millisecond})
	c := gateClient(t, sandbox.Emulation{Latency: 100 * time.Millisecond, Seed: 11,
		Faults: sandbox.Faults{Storm429: 0.02, StormLength: 300 * time.Millisecond}}, p)
	if failed := hammer(t, c, 300); failed != 0 {
		t.Fatalf("%d of 300 reads failed after retries", failed)
	}
	gs, ps := c.Gate().Stats(), p.Stats()
	if ps.TooMany == 0 {
		t.Fatalf("the sandbox answered no 429 (pacer: %s): the test did not test anything", ps)
	}
	if gs.Cuts == 0 || gs.Cuts > ps.TooMany {
		t.Errorf("Gate %+v after %d × 429: want at least one cut, and at most one per 429", gs, ps.TooMany)
	}
}

func TestGatePinnedAgainstSandbox(t *testing.T) {
	p := ratelimit.New(ratelimit.Options{})
	c := gateClient(t, sandbox.Emulation{RateLimit: 120, Latency: 300 * time.Millisecond}, p)
	c.Gate().Set(0, 3) // --concurrency 3
	if failed := hammer(t, c, 30); failed != 0 {
		t.Fatalf("%d of 30 reads failed", failed)
	}
	if gs := c.Gate().Stats(); gs.Peak != 3 || gs.Limit != 3 {
		t.Errorf("pinned Gate %+v, want it held at 3", gs)
	}
}
