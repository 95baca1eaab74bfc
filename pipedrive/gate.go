package pipedrive

import (
	"context"
	"errors"
	"math"
	"net/http"
	"time"

	"github.com/pdbulk/pdbulk/ratelimit"
)

// newGate returns the adaptive Gate of a client paced by p: its bound follows p's rate and
// the round trips. Without a pacer nothing limits the rate, so the bound goes to its maximum.
func newGate(p *ratelimit.Pacer) *ratelimit.Gate {
	rate := func() float64 { return math.Inf(1) }
	var first func() int
	if p != nil {
		rate, first = p.Rate, p.WindowLimit
	}
	return ratelimit.NewGateFrom(rate, first, 0, 0)
}

// Gate returns the bound on the client's requests in flight. A run pins it (--concurrency)
// or sets its maximum with Gate().Set, and sizes its worker pool by Gate().Max().
func (c *Client) Gate() *ratelimit.Gate { return c.gate }

// struggling reports whether an attempt's outcome says the server is struggling: a 429 that
// is not the daily budget's, a 5xx, or no answer at all (a timeout, a reset connection).
// The Gate then cuts the requests in flight.
func struggling(ctx context.Context, o outcome) bool {
	if ctx.Err() != nil {
		return false // our own cancellation says nothing about the server
	}
	switch {
	case o.status == http.StatusTooManyRequests:
		var be *ratelimit.BudgetError
		return !errors.As(o.err, &be)
	case o.status >= 500:
		return true
	case o.status == 0 && o.err != nil:
		var te *TransportError
		return errors.As(o.err, &te)
	}
	return false
}

// answered is o for an answer (its headers arrived) to request number seq, sent at sent.
func answered(o ratelimit.Observation, sent time.Time, seq uint64) ratelimit.Observation {
	o.Seq = seq
	if !sent.IsZero() {
		o.RTT = time.Since(sent)
	}
	return o
}
