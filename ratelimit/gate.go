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
// After every answer the bound moves one step toward rate × (rtt + 2·dev) × 1.25 + 2 (the
// pacer's steady rate, the recent round trips and their mean deviation), within [1, max];
// the first round trip measured sets it at once, and while requests find the pacer idle it
// allows a few more (extra). It grows while requests wait on latency and the pacer has room,
// and shrinks when the pacer is the bottleneck (fewer in flight would send as many). An
// answer that says the server is struggling (429, 5xx, a timeout) cuts the bound by a third
// at once, once per burst, and it does not grow again until as many answers as it allows
// came back. A pinned Gate (--concurrency N) never moves.
//
// A Gate is safe for concurrent use.
type Gate struct {
	rate   func() float64 // the pacer's steady rate, requests per second
	first  func() int     // the bound before any round trip is known (nil: 4)
	max    int
	pinned bool

	// mu guards everything below.
	mu       sync.Mutex
	limit    float64
	inFlight int
	rtt      float64       // recent round trips (moving average), seconds
	dev      float64       // their mean deviation (moving average), seconds
	extra    float64       // slots beyond Little's law while requests find the pacer idle
	cool     int           // answers to wait for before the bound may grow again
	wake     chan struct{} // closed (and replaced) when a slot frees or the bound grows
	sent     uint64        // slots handed out so far
	cutAt    uint64        // sent when the bound was last cut: answers to earlier sends cut no more
	cuts     int64         // times the bound was cut
	peak     int           // highest bound so far
}

// Slot is one request's hold on a Gate, from Acquire to its Release.
type Slot struct {
	g        *Gate
	seq      uint64
	acquired time.Time
	start    time.Time
}

// Start marks when the request was sent (after any wait for the pacer): the round trip
// Release measures starts there. Without it, it starts at Acquire.
func (s *Slot) Start() {
	if s != nil {
		s.start = time.Now()
	}
}

// Release frees the slot after the answer; struggling says it was a 429, a 5xx or a timeout.
// Release of a nil Slot does nothing.
func (s *Slot) Release(struggling bool) {
	if s == nil || s.g == nil {
		return
	}
	// A request that found the pacer ready at once (or none: the same) may have come
	// after its turn: the Gate, not the pacer, held the requests back.
	idle := s.start.Sub(s.acquired) < gateIdleWait
	s.g.releaseIdle(s.seq, time.Since(s.start), struggling, idle)
	s.g = nil
}

// Headroom over rate × rtt, for the spread of round trips around their average.
const gateHeadroom = 1.25

// NewGate returns a Gate for requests paced at rate() per second (Pacer.Rate), that lets at
// most max be in flight (1..64; 0 = 64). pinned > 0 fixes the bound at pinned instead of
// adapting it. An adaptive Gate starts at 4 and learns from the first answers.
func NewGate(rate func() float64, hi, pinned int) *Gate {
	return NewGateFrom(rate, nil, hi, pinned)
}

// NewGateFrom is NewGate for a Gate that, until the first round trip is measured, lets
// first() requests be in flight (within 1..max) instead of 4: the requests the pacer may
// send in one window (Pacer.WindowLimit) before any answer, since until one comes back
// nothing says the latency is short, and at 1 s four in flight would send four requests in
// the run's first second where the pacer allows twenty.
func NewGateFrom(rate func() float64, first func() int, hi, pinned int) *Gate {
	g := &Gate{rate: rate, first: first, wake: make(chan struct{})}
	g.Set(hi, pinned)
	return g
}

// startLocked is the bound of an adaptive Gate that knows no round trip yet.
func (g *Gate) startLocked() float64 {
	n := 4
	if g.first != nil {
		n = max(1, g.first())
	}
	return float64(min(n, g.max))
}

// MaxGate is the highest bound a Gate allows.
const MaxGate = 64

// Set changes the Gate's maximum (1..64; 0 = 64) and pins it at pinned when pinned > 0 (at
// most 64), or lets it adapt again from where it stands when pinned is 0.
func (g *Gate) Set(hi, pinned int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if hi <= 0 || hi > MaxGate {
		hi = MaxGate
	}
	g.max = hi
	switch {
	case pinned > 0:
		g.pinned, g.limit = true, float64(min(pinned, MaxGate))
		g.peak = int(g.limit)
	case g.pinned || g.limit == 0:
		g.pinned, g.limit = false, g.startLocked()
	default:
		g.limit = math.Min(g.limit, float64(hi))
	}
	g.peak = max(g.peak, int(g.limit))
	g.wakeLocked()
}

// Abandon frees the slot without teaching the Gate anything: a request that was never
// sent, or a streamed transfer whose duration says nothing about the server's round trip.
// Abandon of a nil or released Slot does nothing.
func (s *Slot) Abandon() {
	if s == nil || s.g == nil {
		return
	}
	g := s.g
	s.g = nil
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
	g.wakeLocked()
}

// Acquire waits for a slot, or for ctx to end. Every Slot it returns must be released once.
// The round trip counts from the Acquire unless Slot.Start marks the send later.
func (g *Gate) Acquire(ctx context.Context) (*Slot, error) {
	for {
		g.mu.Lock()
		if g.inFlight < g.boundLocked() {
			g.inFlight++
			g.sent++
			now := time.Now()
			s := &Slot{g: g, seq: g.sent, acquired: now, start: now}
			g.mu.Unlock()
			return s, nil
		}
		wake := g.wake
		g.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-wake:
		}
	}
}

// release frees the slot of send number seq after an answer that took rtt (the round trip
// only, not the wait for the pacer); struggling says the answer was a 429, a 5xx or a
// timeout.
//
// A struggling answer cuts the bound only if its request was sent after the last cut: the
// answers to requests already in flight when the server began to struggle tell nothing new,
// and cutting once for each of them would take a burst of 429s (all of one window) down to 1.
func (g *Gate) release(seq uint64, rtt time.Duration, struggling bool) {
	g.releaseIdle(seq, rtt, struggling, false)
}

// gateMaxExtra bounds extra: what a loaded machine adds between an answer and the next send
// is a few milliseconds, a slot or two at the pacer's rate; more idle answers than that say
// the pacer still has room in its window (a run's first seconds, when its bucket lets a
// window's requests go at once), which the bound must not keep once the window is full.
const gateMaxExtra = 4

// gateIdleWait: a request that waited less than this for the pacer found it idle.
const gateIdleWait = 200 * time.Microsecond

// releaseIdle is release, told whether the request found the pacer idle. Little's law on
// the round trips misses what a loaded machine adds between the answer and the next send
// (a worker woken late, a slot handed over): while requests find the pacer idle, the Gate
// allows a little more than the law asks (extra grows by a quarter per idle answer, and
// melts by a twentieth per answer that waited for the pacer, which then is the bottleneck).
func (g *Gate) releaseIdle(seq uint64, rtt time.Duration, struggling, idle bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
	defer g.wakeLocked()
	if g.pinned {
		return
	}
	if struggling {
		g.extra = 0
		if seq > g.cutAt {
			g.limit = math.Max(1, math.Floor(g.limit*2/3))
			g.cool = int(g.limit) + g.inFlight
			g.cutAt = g.sent
			g.cuts++
		}
		return
	}
	first := g.rtt == 0
	if rtt > 0 {
		s := rtt.Seconds()
		if first {
			g.rtt = s
		} else {
			g.dev += (math.Abs(s-g.rtt) - g.dev) * 0.25
			g.rtt += (s - g.rtt) * 0.2
		}
	}
	r := g.rate()
	if math.IsInf(r, 1) || math.IsNaN(r) {
		r = float64(g.max) / math.Max(g.rtt, 1e-3) // no pacing: the maximum
	}
	// Little's law on a round trip padded by twice its mean deviation (a loaded machine or
	// network spreads the round trips, and a slot late to come back is a turn of the pacer
	// lost), with a quarter more and two spare: one waiting for the pacer's next turn, one
	// on its way back.
	if idle {
		g.extra = math.Min(g.extra+0.25, gateMaxExtra)
	} else {
		g.extra = math.Max(0, g.extra-0.05)
	}
	target := math.Min(float64(g.max), math.Max(1, math.Ceil(r*(g.rtt+2*g.dev)*gateHeadroom-1e-6)+2+math.Floor(g.extra)))
	defer func() { g.peak = max(g.peak, int(g.limit)) }()
	switch {
	case first && g.cool == 0:
		// The first round trip measured: the bound goes straight where it belongs rather
		// than one step per answer (at 1 s a step per answer loses seconds of the run).
		g.limit = target
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

// boundLocked is the bound Acquire keeps: the limit, or before the first round trip of an
// adaptive Gate, what the pacer may send in one window if that is more (the pacer may have
// learnt its limit from an answer that the Gate did not time, such as a streamed transfer).
func (g *Gate) boundLocked() int {
	if !g.pinned && g.rtt == 0 && g.cuts == 0 {
		return int(math.Max(g.limit, g.startLocked()))
	}
	return int(g.limit)
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

// Pinned reports whether the bound is pinned (--concurrency).
func (g *Gate) Pinned() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pinned
}

// Max returns the highest bound the Gate may reach: the pinned bound, or its maximum.
func (g *Gate) Max() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pinned {
		return int(g.limit)
	}
	return g.max
}

// GateStats is a snapshot of a Gate.
type GateStats struct {
	Limit    int     // requests allowed in flight now
	InFlight int     // requests in flight now
	Peak     int     // highest bound so far
	Cuts     int64   // times a struggling server cut the bound
	RTT      float64 // recent round trip, seconds (0 before the first answer)
	Pinned   bool
}

// Stats returns a snapshot of g.
func (g *Gate) Stats() GateStats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return GateStats{Limit: int(g.limit), InFlight: g.inFlight, Peak: g.peak, Cuts: g.cuts, RTT: g.rtt, Pinned: g.pinned}
}

// InFlight returns how many requests hold a slot now.
func (g *Gate) InFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inFlight
}

// WindowLimit returns how many general requests the pacer may send in one window (the
// limit learnt from the server, or configured): what an adaptive Gate lets be in flight
// before it has measured a round trip.
func (p *Pacer) WindowLimit() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.main.limit
}

// Rate returns the pacer's steady rate for general requests now, in requests per second
// (it follows the limit learnt from the server and the backoff after 429s).
func (p *Pacer) Rate() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return float64(p.main.lim.Limit())
}
