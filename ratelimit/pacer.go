// Package ratelimit paces every request of a run: one Pacer per API token, shared by all
// workers. It keeps the steady rate under the server's rolling burst window, adapts to the
// x-ratelimit-* headers, honours Retry-After, and accounts the daily token budget.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Observation is what one response said about the limits. Fields the server did not send
// are negative (counts) or zero (durations); the Has* flags say which were present.
type Observation struct {
	Status         int           // HTTP status; 0 when no answer arrived
	Limit          int           // x-ratelimit-limit: requests allowed per window
	Remaining      int           // x-ratelimit-remaining: requests left in the window
	Reset          time.Duration // x-ratelimit-reset: time until the window frees up
	RetryAfter     time.Duration // Retry-After on a 429 (or 503)
	DailyLimit     int           // x-daily-ratelimit-token-limit
	DailyRemaining int           // x-daily-ratelimit-token-remaining
	HasWindow      bool          // x-ratelimit-limit and -remaining were present
	HasDaily       bool          // x-daily-ratelimit-token-remaining was present
	DailyExhausted bool          // the 429 says the daily budget is spent
}

// ErrBudgetExhausted is matched (errors.Is) by a *BudgetError.
var ErrBudgetExhausted = errors.New("daily token budget exhausted")

// BudgetError says a request was not sent because the daily token budget cannot cover it.
type BudgetError struct {
	Cost      int       // tokens the refused request needed
	Remaining int       // tokens left, as last known
	ResetAt   time.Time // when the budget is expected to refill
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("daily token budget exhausted (%d left, %d needed); it refills at %s",
		e.Remaining, e.Cost, e.ResetAt.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrBudgetExhausted) true.
func (e *BudgetError) Is(target error) bool { return target == ErrBudgetExhausted }

// Options configures a Pacer. Zero values are documented per field.
type Options struct {
	Limit       int           // requests per Window; 0 means start at 20 (Lite) and learn from headers
	Window      time.Duration // rolling window; 0 means 2s
	DailyBudget int           // daily tokens; 0 means unknown until the server reports it
	MaxBackoff  time.Duration // cap of retry backoff; 0 means 60s
}

// Pacer is shared by all workers of a run. It is safe for concurrent use.
type Pacer struct {
	// TODO(ratelimit owner): real implementation.
}

// New returns a Pacer for o.
func New(o Options) *Pacer { return &Pacer{} }

// Wait blocks until a request costing cost tokens may be sent, or ctx ends. It returns a
// *BudgetError, without waiting, when the daily budget is known not to cover cost.
func (p *Pacer) Wait(ctx context.Context, cost int) error { return ctx.Err() }

// Observe feeds the pacer what a response said about the limits.
func (p *Pacer) Observe(o Observation) {}

// Backoff waits before retry number attempt (1-based) of a request whose last answer was o:
// exactly Retry-After or x-ratelimit-reset when the server gave one, otherwise exponential
// with jitter up to MaxBackoff. It returns ctx.Err() if ctx ends first.
func (p *Pacer) Backoff(ctx context.Context, attempt int, o Observation) error { return ctx.Err() }
