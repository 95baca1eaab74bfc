// Package ratelimit paces every request of a run: one Pacer per API token, shared by all
// workers. It keeps the steady rate under the server's rolling burst window, adapts to the
// x-ratelimit-* headers, honours Retry-After, and accounts the daily token budget.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
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
	Search         bool          // the answer was to a search endpoint (sent after WaitSearch): its window limit is tracked apart
	Cost           int           // tokens the request cost (the cost given to Wait): it is no longer in flight
	RTT            time.Duration // from the request's release to its answer's headers; 0 = unknown (no answer)
	Seq            uint64        // the request's number taken when it was sent (Pacer.NextSeq); 0 = unknown
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
	SearchLimit int           // search requests per Window (WaitSearch); 0 means start at 10 and learn from headers
}

const (
	defaultLimit       = 20
	defaultSearchLimit = 10
	defaultWindow      = 2 * time.Second
	defaultMaxBackoff  = 60 * time.Second
	baseBackoff        = 250 * time.Millisecond

	// AIMD: a 429 multiplies the rate by decreaseFactor (never below minFactor); every
	// success adds recoverPerWindow/limit, so a full window of successes adds 5%.
	decreaseFactor   = 0.75
	minFactor        = 0.25
	recoverPerWindow = 0.05
)

// Pacer is shared by all workers of a run. It is safe for concurrent use.
//
// The steady pace is a token bucket (golang.org/x/time/rate) of rate (limit-1)/window, whose
// burst is the window's limit (1 after a 429, until the pacer recovers). What keeps the
// server's rolling window is a guard that counts what may have reached the server inside
// the window: requests still in flight plus those answered less than a window ago (less the
// shortest round trip, see guardLocked). A release waits while that count is at the limit,
// which keeps the server's rolling window safe whatever the jitter; releases are not
// arrivals (a new connection or a slow network bunches them up), and the guard counts
// neither too early nor too late for either.
//
// Answers adjust the pacing: the window limit is learned from x-ratelimit-limit; a 429 holds
// every worker until Retry-After and lowers the rate (recovering slowly on successes);
// x-ratelimit-remaining 0 that the pacer's own traffic does not explain (someone else uses
// the token) holds every worker until x-ratelimit-reset. Daily tokens are counted against
// the known budget.
type Pacer struct {
	window     time.Duration
	maxBackoff time.Duration

	main   *lane
	search *lane

	mu         sync.Mutex
	rnd        *rand.Rand
	budget     int       // daily budget configured by Options; 0 unknown
	dailyLimit int       // daily budget as last reported by the server or configured
	remaining  int       // tokens left today; meaningful when known
	flying     int       // tokens of released requests not yet observed
	known      bool      // remaining is known
	resetAt    time.Time // next refill of the daily budget
	stats      Stats
	claimedReq int64 // requests counted by a run's summary already (Claim)
	claimedTok int64
	changed    chan struct{} // closed and replaced by Observe: wakes releases held by the guard
	seq        atomic.Uint64 // numbers handed out by NextSeq
	dailySeq   uint64        // requests numbered when the last daily budget reading was applied
	low        int           // the server's count of tokens left that remaining is taken from; -1 = none (configured, or spent)
}

// NextSeq numbers a request as it is sent: pass it back in its Observation.Seq, and an
// answer overtaken by a newer one cannot put back the higher count of what was left that
// the server gave it earlier (see Observe).
func (p *Pacer) NextSeq() uint64 { return p.seq.Add(1) }

// lane is one window limit: the general one, or the separate one of search endpoints.
type lane struct {
	lim *rate.Limiter

	// Guarded by Pacer.mu.
	limit    int
	factor   float64                   // AIMD multiplier of the rate, in [minFactor, 1]
	hold     time.Time                 // no request of this lane is released before it
	inflight []time.Time               // release times of requests not yet observed, oldest first
	done     []time.Time               // times of the answers observed within the last window, oldest first
	rtts     [rttSamples]time.Duration // the last round trips answered (0 = no sample yet)
	rttNext  int
}

// rttSamples is how many recent round trips the guard's shortest round trip is taken from.
const rttSamples = 64

// minRTTLocked is the shortest of l's recent round trips; 0 before any.
func (l *lane) minRTTLocked() time.Duration {
	var m time.Duration
	for _, d := range l.rtts {
		if d > 0 && (m == 0 || d < m) {
			m = d
		}
	}
	return m
}

// New returns a Pacer for o.
func New(o Options) *Pacer {
	if o.Limit <= 0 {
		o.Limit = defaultLimit
	}
	if o.SearchLimit <= 0 {
		o.SearchLimit = defaultSearchLimit
	}
	if o.Window <= 0 {
		o.Window = defaultWindow
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = defaultMaxBackoff
	}
	p := &Pacer{
		window:     o.Window,
		maxBackoff: o.MaxBackoff,
		rnd:        rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x5eed)),
		budget:     max(0, o.DailyBudget),
		low:        -1,
		changed:    make(chan struct{}),
	}
	p.main = p.newLane(o.Limit)
	p.search = p.newLane(o.SearchLimit)
	now := time.Now()
	p.resetAt = nextMidnight(now)
	if p.budget > 0 {
		p.dailyLimit, p.remaining, p.known = p.budget, p.budget, true
	}
	return p
}

func (p *Pacer) newLane(limit int) *lane {
	l := &lane{limit: limit, factor: 1}
	l.lim = rate.NewLimiter(p.rateFor(l), burstFor(l))
	return l
}

// rateFor is the steady rate of l, less the AIMD backoff: limit-1 per window, so that a
// steady stream leaves the guard one request of room for the jitter of the machine and the
// network. (The bucket alone would let burst + rate·window go in one window after an idle
// spell; the guard, not the bucket, keeps a window at most limit.)
func (p *Pacer) rateFor(l *lane) rate.Limit {
	per := float64(max(1, l.limit-1)) * l.factor
	return rate.Limit(per / p.window.Seconds())
}

// burstFor is how many requests of l may go at once while the window has room: all of a
// window's limit while no 429 backs the pacer off (the server's rolling window allows
// them, and the guard counts them), one at a time after a 429 (someone else may share the
// token: the pacer spaces its requests until it has recovered).
//
// A run's first round trip is where this counts: nothing is known of the latency or the
// limit until the first answers come back, so the first window's requests go at once (the
// 20 that the smallest plan allows, before the headers say more), and after a long round
// trip the window's room is filled at once rather than at the steady rate.
func burstFor(l *lane) int {
	if l.factor < 1 {
		return 1
	}
	return max(1, l.limit)
}

// fillLocked lets up to room requests of l go at once from now, if its bucket holds fewer
// (while the pacer is not backed off: after a 429 they go one at a time). The guard still
// keeps every window at the limit.
func (p *Pacer) fillLocked(l *lane, room int) {
	if l.factor < 1 || room <= 0 || float64(room) <= l.lim.Tokens() {
		return
	}
	// The bucket cannot be topped up: a new one starts full, at room, and keeps l's burst.
	lim := rate.NewLimiter(p.rateFor(l), room)
	lim.SetBurst(burstFor(l))
	l.lim = lim
}

func (p *Pacer) retuneLocked(l *lane) {
	l.lim.SetLimit(p.rateFor(l))
	l.lim.SetBurst(burstFor(l))
}

// Wait blocks until a request costing cost tokens may be sent, or ctx ends. It returns a
// *BudgetError, without waiting, when the daily budget is known not to cover cost.
func (p *Pacer) Wait(ctx context.Context, cost int) error {
	return p.wait(ctx, cost, p.main)
}

// WaitSearch is Wait for a request to a search endpoint (itemSearch, leads/search): it also
// keeps the separate, lower window limit of search. Report its answer with Observation.Search.
func (p *Pacer) WaitSearch(ctx context.Context, cost int) error {
	return p.wait(ctx, cost, p.search, p.main)
}

func (p *Pacer) wait(ctx context.Context, cost int, lanes ...*lane) error {
	start := time.Now()
	waited := false
	defer func() {
		if waited {
			p.mu.Lock()
			p.stats.Waits++
			p.stats.WaitTime += time.Since(start)
			p.mu.Unlock()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.mu.Lock()
		now := time.Now()
		if answers, err := p.budgetLocked(now, start, cost); answers != nil || err != nil {
			p.mu.Unlock()
			if err != nil {
				return err
			}
			waited = true
			if err := p.waitAnswer(ctx, answers, start); err != nil {
				return err
			}
			continue
		}
		hold := p.holdLocked(lanes)
		lims := make([]*rate.Limiter, len(lanes)) // replaced under p.mu (fillLocked)
		for k, l := range lanes {
			lims[k] = l.lim
		}
		p.mu.Unlock()
		if hold.After(now) {
			waited = true
			if err := sleep(ctx, hold.Sub(now)); err != nil {
				return err
			}
			continue
		}
		for _, lim := range lims {
			r := lim.Reserve()
			if d := r.Delay(); d > 0 {
				waited = true
				if err := sleep(ctx, d); err != nil {
					r.Cancel()
					return err
				}
			}
		}
		released, err := p.release(ctx, cost, lanes, &waited)
		if released || err != nil {
			return err
		}
		// A 429 arrived while this request queued: wait out the hold, then queue again.
	}
}

// release lets a request whose bucket turn has come go, once the window guard of every lane
// has room. It reports false when a hold began meanwhile.
func (p *Pacer) release(ctx context.Context, cost int, lanes []*lane, waited *bool) (bool, error) {
	start := time.Now()
	for {
		p.mu.Lock()
		now := time.Now()
		if p.holdLocked(lanes).After(now) {
			p.mu.Unlock()
			return false, nil
		}
		if answers, err := p.budgetLocked(now, start, cost); answers != nil || err != nil {
			p.mu.Unlock()
			if err != nil {
				return false, err
			}
			*waited = true
			if err := p.waitAnswer(ctx, answers, start); err != nil {
				return false, err
			}
			continue
		}
		wake, full := time.Time{}, false
		for _, l := range lanes {
			if n, free := p.guardLocked(l, now); n >= l.limit {
				full = true
				if wake.IsZero() || free.After(wake) {
					wake = free
				}
			}
		}
		if !full {
			if p.known {
				p.remaining -= cost
			}
			p.flying += max(0, cost)
			p.stats.Requests++
			p.stats.TokensSpent += int64(max(0, cost))
			for _, l := range lanes {
				l.inflight = append(l.inflight, now)
			}
			p.mu.Unlock()
			return true, nil
		}
		changed := p.changed
		p.mu.Unlock()
		*waited = true
		t := time.NewTimer(wake.Sub(now))
		select {
		case <-t.C:
		case <-changed:
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		}
		t.Stop()
	}
}

// holdLocked is the latest hold of lanes.
func (p *Pacer) holdLocked(lanes []*lane) time.Time {
	var hold time.Time
	for _, l := range lanes {
		if l.hold.After(hold) {
			hold = l.hold
		}
	}
	return hold
}

// guardLocked counts the requests of l that may have reached the server within the last
// window: those in flight (released less than two windows ago: older ones have arrived long
// since) and those answered within the window. It also says when that count drops next.
//
// An answered request counts for less than a window when the round trips are long: the
// request released now reaches the server's count at the earliest a shortest round trip m
// from now (half of it on the way there, if the server counts arrivals; all of it if the
// server counts as it answers), and an answered one was counted at the latest m/2 before
// its answer (or at it): by the time the new one counts, those answered more than
// window − m ago have left the server's window. Without this a run 1 s away could use only
// limit / (window + 1 s) of the limit.
func (p *Pacer) guardLocked(l *lane, now time.Time) (n int, free time.Time) {
	keep := p.window - min(l.minRTTLocked(), p.window/2) + l.slackLocked(p.window)
	l.inflight = pruneTimes(l.inflight, now.Add(-2*p.window))
	l.done = pruneTimes(l.done, now.Add(-p.window)) // a full window: ownLocked counts them all
	i := 0
	for i < len(l.done) && !l.done[i].After(now.Add(-keep)) {
		i++
	}
	recent := l.done[i:]
	free = now.Add(keep)
	if len(recent) > 0 {
		free = recent[0].Add(keep)
	}
	if len(l.inflight) > 0 {
		if f := l.inflight[0].Add(2 * p.window); f.Before(free) {
			free = f
		}
	}
	return len(l.inflight) + len(recent), free
}

// slackLocked is how much longer than the window an answered request of l counts, for the
// part of its round trip after the server counted it (the answer's way back, a loaded
// machine's late wake-up), which the shortest round trip subtracted from the window does
// not tell apart from the way there: how much longer than the shortest the recent round
// trips took (twice their mean excess: their spread, which a loaded machine widens), and
// at least the spacing of one request at the steady pace, at most a quarter of the window.
// It costs little while the bucket paces the requests, and keeps the guard's edge safe when
// it holds them (after a window's requests went at once).
func (l *lane) slackLocked(window time.Duration) time.Duration {
	m := l.minRTTLocked()
	var sum time.Duration
	n := 0
	for _, d := range l.rtts {
		if d > 0 {
			sum += d - m
			n++
		}
	}
	s := window / time.Duration(max(1, l.limit))
	if n > 0 {
		s = max(s, 2*sum/time.Duration(n))
	}
	return min(s, window/4)
}

// ownLocked counts the requests of l that the server may have counted within the last
// window, at the most: those in flight and every one answered within the window. It tells
// whether an exhausted window (x-ratelimit-remaining 0) is the pacer's own doing.
func (p *Pacer) ownLocked(l *lane, now time.Time) int {
	p.guardLocked(l, now) // prunes
	return len(l.inflight) + len(l.done)
}

// answeredLocked moves one request of l from in flight to answered.
func (p *Pacer) answeredLocked(l *lane, now time.Time) {
	l.inflight = pruneTimes(l.inflight, now.Add(-2*p.window))
	if len(l.inflight) == 0 {
		return // its entry expired: it no longer counts anyway
	}
	l.inflight = append(l.inflight[:0], l.inflight[1:]...)
	l.done = append(pruneTimes(l.done, now.Add(-p.window)), now)
}

// checkBudgetLocked rolls the day over when due and refuses cost when the known budget
// cannot cover it.
func (p *Pacer) checkBudgetLocked(now time.Time, cost int) error {
	p.rollDayLocked(now)
	if p.known && p.remaining < cost {
		return &BudgetError{Cost: cost, Remaining: max(0, p.remaining), ResetAt: p.resetAt}
	}
	return nil
}

// budgetLocked checks the daily budget for a request of cost that began waiting at since.
// It returns nothing when the budget covers cost. When it does not, but requests are in
// flight (the tokens left are the server's count less every request in flight, and the
// server may have counted some of them already), it returns the channel the next answer
// closes: wait for it (waitAnswer) and check again. Otherwise, or once the request has
// waited two windows for answers (a caller that released a request and never observed it
// must not hold a run forever), it refuses cost.
func (p *Pacer) budgetLocked(now, since time.Time, cost int) (<-chan struct{}, error) {
	err := p.checkBudgetLocked(now, cost)
	if err == nil {
		return nil, nil
	}
	if p.flying > 0 && p.low >= 0 && now.Before(since.Add(2*p.window)) {
		return p.changed, nil
	}
	p.stats.BudgetRefusals++
	return nil, err
}

// waitAnswer waits until ch is closed (an answer came), two windows have passed since
// since (budgetLocked then refuses), or ctx ends.
func (p *Pacer) waitAnswer(ctx context.Context, ch <-chan struct{}, since time.Time) error {
	t := time.NewTimer(time.Until(since.Add(2 * p.window)))
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Pacer) rollDayLocked(now time.Time) {
	if now.Before(p.resetAt) {
		return
	}
	p.resetAt = nextMidnight(now)
	p.known = p.budget > 0
	p.remaining = p.budget
	p.low = -1
	if p.budget > 0 {
		p.dailyLimit = p.budget
	}
}

// Observe feeds the pacer what a response said about the limits. Call it exactly once for
// every request that Wait or WaitSearch released, also when no answer arrived (Status 0): the
// window guard counts requests in flight by it. Answers to WaitSearch requests must carry
// Search, or their lower limit would be learned as the general one.
func (p *Pacer) Observe(o Observation) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	p.rollDayLocked(now)
	l := p.main
	p.answeredLocked(p.main, now)
	if o.Search {
		l = p.search
		p.answeredLocked(p.search, now)
	}
	if o.RTT > 0 && o.Status != 0 {
		l.rtts[l.rttNext] = o.RTT
		l.rttNext = (l.rttNext + 1) % rttSamples
	}
	close(p.changed)
	p.changed = make(chan struct{})
	p.flying = max(0, p.flying-max(0, o.Cost))
	if o.HasWindow && o.Limit > 0 && o.Limit != l.limit {
		l.limit = o.Limit
		p.retuneLocked(l)
		// The bucket was filled for the limit assumed until now (20 at the start): the
		// room the server says its window has goes at once, as the rest of a window does
		// (burstFor), less what this pacer sent since that the count may not hold yet.
		p.fillLocked(l, min(o.Remaining, o.Limit)-len(l.inflight))
	}
	if o.HasDaily && o.DailyRemaining >= 0 {
		// The server's count was taken when it handled this request; the requests still in
		// flight may not be in it yet. Counting them spent keeps the last requests of a
		// budget from being sent into a 429 (at worst a few tokens stay unused until the
		// next answer says so).
		//
		// Answers come back out of order, and the server may handle two requests in flight
		// together in either order: only a request sent after the answer last applied came
		// back was surely counted after it, and its reading replaces the estimate (also
		// upwards: a request the server did not charge). A reading of a request sent
		// before (o.Seq <= dailySeq) may be older than the one applied: it can only lower
		// the estimate, never put back tokens.
		low := o.DailyRemaining
		if p.known && o.Seq != 0 && o.Seq <= p.dailySeq {
			low = min(low, p.low)
		}
		p.low, p.known = low, true
		p.remaining = low - p.flying
		p.dailySeq = p.seq.Load()
		if o.DailyLimit > 0 {
			p.dailyLimit = o.DailyLimit
		}
	}
	switch {
	case o.Status == 429 && o.DailyExhausted:
		p.stats.TooMany++
		p.remaining, p.known, p.low = 0, true, -1
		if o.RetryAfter > 0 {
			p.resetAt = now.Add(o.RetryAfter)
		}
	case o.Status == 429:
		p.stats.TooMany++
		d := o.RetryAfter
		if d <= 0 {
			d = o.Reset
		}
		if d <= 0 {
			d = p.window
		}
		if until := now.Add(d); until.After(l.hold) {
			l.hold = until
		}
		l.factor = max(minFactor, l.factor*decreaseFactor)
		p.retuneLocked(l)
	case o.Status >= 200 && o.Status < 300:
		if l.factor < 1 {
			l.factor += recoverPerWindow / float64(max(1, l.limit))
			if l.factor > 1-1e-9 {
				l.factor = 1
			}
			p.retuneLocked(l)
		}
		if o.HasWindow && o.Remaining == 0 && o.Reset > 0 {
			// At full pace the pacer itself fills the window (limit-1 or limit requests in
			// it) and its bucket and guard already space the next one; fewer means someone
			// else shares the token, so everyone waits for the window to free up.
			if n := p.ownLocked(l, now); n < l.limit-1 {
				if until := now.Add(o.Reset); until.After(l.hold) {
					l.hold = until
				}
			}
		}
	}
}

// Backoff waits before retry number attempt (1-based) of a request whose last answer was o:
// exactly Retry-After or x-ratelimit-reset when the server gave one, otherwise exponential
// with jitter up to MaxBackoff. It returns ctx.Err() if ctx ends first, and a *BudgetError
// at once, without waiting, when o says the daily budget is spent.
func (p *Pacer) Backoff(ctx context.Context, attempt int, o Observation) error {
	p.mu.Lock()
	if o.DailyExhausted {
		p.rollDayLocked(time.Now())
		err := &BudgetError{Remaining: max(0, p.remaining), ResetAt: p.resetAt}
		p.mu.Unlock()
		return err
	}
	d := o.RetryAfter
	if d <= 0 && (o.Status == 429 || (o.HasWindow && o.Remaining == 0)) {
		d = o.Reset
	}
	if d <= 0 {
		d = p.jitterLocked(attempt)
	}
	p.stats.Retries++
	p.stats.BackoffTime += d
	p.mu.Unlock()
	return sleep(ctx, d)
}

// jitterLocked is the full-jitter exponential backoff of attempt: uniform in
// [0, min(MaxBackoff, 250ms * 2^(attempt-1))).
func (p *Pacer) jitterLocked(attempt int) time.Duration {
	ceiling := baseBackoff
	for i := 1; i < attempt && ceiling < p.maxBackoff; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, p.maxBackoff)
	return time.Duration(p.rnd.Int64N(int64(ceiling)) + 1)
}

// Fits reports whether tokens more tokens fit in what is left of today's budget, the tokens
// remaining, and whether the budget is known at all (when it is not, ok is true and
// remaining is -1).
func (p *Pacer) Fits(tokens int) (ok bool, remaining int, known bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rollDayLocked(time.Now())
	if !p.known {
		return true, -1, false
	}
	return p.remaining >= tokens, p.remaining, true
}

// Claimed returns the requests and tokens that a run's counters (Claim) have counted so far:
// a new run counts from there, so that what was sent between two runs (a budget probe
// before the run) is counted by the next one rather than by none.
func (p *Pacer) Claimed() (requests, tokens int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.claimedReq, p.claimedTok
}

// Claim marks every request and token released so far as counted by a run, and returns
// the totals.
func (p *Pacer) Claim() (requests, tokens int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.claimedReq = max(p.claimedReq, p.stats.Requests)
	p.claimedTok = max(p.claimedTok, p.stats.TokensSpent)
	return p.stats.Requests, p.stats.TokensSpent
}

// Stats is a snapshot of what a Pacer did and what it knows.
type Stats struct {
	Requests       int64         // requests released by Wait/WaitSearch
	Waits          int64         // Wait calls that had to wait
	WaitTime       time.Duration // total time spent waiting in Wait
	Retries        int64         // Backoff calls (waits before a retry)
	BackoffTime    time.Duration // total backoff requested
	TooMany        int64         // 429 answers observed
	BudgetRefusals int64         // Wait calls refused for lack of daily budget
	TokensSpent    int64         // sum of the costs of released requests
	Limit          int           // window limit in use (learned or configured)
	SearchLimit    int           // search window limit in use
	Rate           float64       // steady rate now, requests per second
	Window         time.Duration // the window Limit counts in
	DailyLimit     int           // daily budget, 0 when unknown
	DailyRemaining int           // tokens left today, -1 when unknown
	DailyResetAt   time.Time     // next refill of the daily budget
}

// Stats returns a snapshot of the pacer's counters. It is safe for concurrent use.
func (p *Pacer) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rollDayLocked(time.Now())
	s := p.stats
	s.Limit = p.main.limit
	s.SearchLimit = p.search.limit
	s.Rate = float64(p.main.lim.Limit())
	s.Window = p.window
	s.DailyLimit = p.dailyLimit
	s.DailyRemaining = -1
	if p.known {
		s.DailyRemaining = max(0, p.remaining)
	}
	s.DailyResetAt = p.resetAt
	return s
}

// Allowed is the rate the server allows, requests per second (the window limit over the
// window), that a run's achieved rate is measured against; 0 when unknown.
func (s Stats) Allowed() float64 {
	if s.Limit <= 0 || s.Window <= 0 {
		return 0
	}
	return float64(s.Limit) / s.Window.Seconds()
}

// String is a one-line summary of s.
func (s Stats) String() string {
	daily := "daily budget unknown"
	if s.DailyRemaining >= 0 {
		daily = fmt.Sprintf("%d tokens left today", s.DailyRemaining)
	}
	return fmt.Sprintf("%d requests, %d tokens, %d waits (%s), %d retries, %d × 429, limit %d/window, %s",
		s.Requests, s.TokensSpent, s.Waits, s.WaitTime.Round(time.Millisecond), s.Retries, s.TooMany, s.Limit, daily)
}

func pruneTimes(sends []time.Time, cut time.Time) []time.Time {
	i := 0
	for i < len(sends) && !sends[i].After(cut) {
		i++
	}
	if i == 0 {
		return sends
	}
	return append(sends[:0], sends[i:]...)
}

// sleep waits d with a timer, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func midnight(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

func nextMidnight(t time.Time) time.Time { return midnight(t).Add(24 * time.Hour) }
