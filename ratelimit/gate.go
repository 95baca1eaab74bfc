package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"
)

// Gate bounds how many requests are in flight, and adapts the bound so that the pacer's
// rate is reached at any latency without the user knowing Little's law: to send `rate`
// requests a second when each takes `rtt` seconds, rate × rtt must be in flight.
//
// After every answer the bound moves one step toward rate × rtt × 1.25 + 1 (the pacer's
// steady rate and the recent round trips), within [1, max]: it grows while requests wait on
// latency and the pacer has room, and shrinks when the pacer is the bottleneck (fewer in
// flight would send as many). An answer that says the server is struggling (429, 5xx, a
// timeout) cuts the bound by a third at once, and it does not grow again until as many
// answers as it allows came back. A pinned Gate (--concurrency N) never moves.
//
// A Gate is safe for concurrent use.
type Gate struct {
	rate   func() float64 // the pacer's steady rate, requests per second
	max    int
	pinned bool

	// mu guards everything below.
	mu       sync.Mutex
	limit    float64
	inFlight int
	rtt      float64       // recent round trips (moving average), seconds
	cool     int           // answers to wait for before the bound may grow again
	wake     chan struct{} // closed (and replaced) when a slot frees or the bound grows
}

// Headroom over rate × rtt, for the spread of round trips around their average.
const gateHeadroom = 1.25

// NewGate returns a Gate for requests paced at rate() per second (Pacer.Rate), that lets at
// most max be in flight (1..64; 0 = 64). pinned > 0 fixes the bound at pinned instead of
// adapting it. An adaptive Gate starts at 4 and learns from the first answers.
func NewGate(rate func() float64, max, pinned int) *Gate {
	if max <= 0 || max > 64 {
		max = 64
	}
	g := &Gate{rate: rate, max: max, limit: float64(min(4, max)), wake: make(chan struct{})}
	if pinned > 0 {
		g.pinned, g.limit = true, float64(pinned)
	}
	return g
}

// Acquire waits for a slot, or for ctx to end. Every successful Acquire must be followed by
// one Release.
func (g *Gate) Acquire(ctx context.Context) error {
	for {
		g.mu.Lock()
		if g.inFlight < int(g.limit) {
			g.inFlight++
			g.mu.Unlock()
			return nil
		}
		wake := g.wake
		g.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}

// Release frees a slot after an answer that took rtt (the round trip only, not the wait
// for the pacer); struggling says the answer was a 429, a 5xx or a timeout.
func (g *Gate) Release(rtt time.Duration, struggling bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
	defer g.wakeLocked()
	if g.pinned {
		return
	}
	if struggling {
		g.limit = math.Max(1, math.Floor(g.limit*2/3))
		g.cool = int(g.limit) + g.inFlight
		return
	}
	if rtt > 0 {
		s := rtt.Seconds()
		if g.rtt == 0 {
			g.rtt = s
		} else {
			g.rtt += (s - g.rtt) * 0.2
		}
	}
	target := math.Min(float64(g.max), math.Max(1, math.Ceil(g.rate()*g.rtt*gateHeadroom)+1))
	switch {
	case g.cool > 0:
		g.cool--
		if target < g.limit {
			g.limit = math.Max(target, g.limit-1)
		}
	case target > g.limit:
		g.limit = math.Min(target, g.limit+1)
	case target < g.limit:
		g.limit = math.Max(target, g.limit-1)
	}
}

func (g *Gate) wakeLocked() {
	close(g.wake)
	g.wake = make(chan struct{})
}

// Limit returns the bound now: how many requests may be in flight.
func (g *Gate) Limit() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return int(g.limit)
}

// InFlight returns how many requests hold a slot now.
func (g *Gate) InFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inFlight
}

// Rate returns the pacer's steady rate for general requests now, in requests per second
// (it follows the limit learnt from the server and the backoff after 429s).
func (p *Pacer) Rate() float64 {
	return float64(p.main.lim.Limit())
}
