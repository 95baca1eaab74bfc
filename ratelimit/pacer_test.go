package ratelimit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// releases runs workers goroutines that together pass n requests through wait, answer each
// after 20ms with a 200 that p observes, and returns the release times, sorted.
func releases(t *testing.T, p *Pacer, search bool, workers, n int, wait func(context.Context) error) []time.Time {
	t.Helper()
	var (
		mu    sync.Mutex
		times []time.Time
		wg    sync.WaitGroup
	)
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	for range workers {
		wg.Go(func() {
			for range jobs {
				if err := wait(t.Context()); err != nil {
					t.Errorf("Wait = %v, want nil", err)
					return
				}
				mu.Lock()
				times = append(times, time.Now())
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
				p.Observe(Observation{Status: 200, Search: search, Remaining: -1, DailyRemaining: -1})
			}
		})
	}
	wg.Wait()
	return times // appended under one lock in release order: already sorted
}

// maxInWindow is the largest number of times inside any half-open span of length w.
func maxInWindow(times []time.Time, w time.Duration) int {
	best, lo := 0, 0
	for hi := range times {
		for !times[lo].After(times[hi].Add(-w)) {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func TestWaitKeepsRollingWindow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limit  int
		window time.Duration
	}{
		{"growth 40 per 2s", 40, 2 * time.Second},
		{"lite 20 per 2s", 20, 2 * time.Second},
		{"ultimate 120 per 2s", 120, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := New(Options{Limit: tc.limit, Window: tc.window})
				n := tc.limit * 5
				start := time.Now()
				times := releases(t, p, false, 8, n, func(ctx context.Context) error { return p.Wait(ctx, 10) })
				if got := maxInWindow(times, tc.window); got > tc.limit {
					t.Errorf("max requests in one %s window = %d, want <= %d", tc.window, got, tc.limit)
				}
				allowed := float64(tc.limit) / tc.window.Seconds()
				got := float64(n) / time.Since(start).Seconds()
				if got < 0.95*allowed {
					t.Errorf("rate = %.2f/s, want >= 95%% of %.2f/s", got, allowed)
				}
				if s := p.Stats(); s.Requests != int64(n) || s.TokensSpent != int64(10*n) {
					t.Errorf("Stats() = %d requests, %d tokens; want %d, %d", s.Requests, s.TokensSpent, n, 10*n)
				}
			})
		})
	}
}

func TestObserveLearnsLimit(t *testing.T) {
	for _, tc := range []struct {
		name      string
		configure int
		server    int
		wantRate  float64
	}{
		{"lower than configured", 100, 20, 9.5},
		{"higher than configured", 20, 40, 19.5},
		{"unconfigured starts at lite", 0, 0, 9.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := New(Options{Limit: tc.configure})
			if tc.server > 0 {
				p.Observe(Observation{Status: 200, Limit: tc.server, Remaining: tc.server - 1, HasWindow: true, DailyRemaining: -1})
			}
			if got := p.Stats().Rate; got != tc.wantRate {
				t.Errorf("Stats().Rate = %v, want %v", got, tc.wantRate)
			}
		})
	}
}

// TestLearntLimitLetsTheWindowsRoomGo: a pacer starts at the 20 a window of the smallest plan
// allows. When the first answer says the limit is 120 and 119 of them are left in the
// window, those 119 may go at once, as the rest of any window does: the bucket had filled
// for 20 only and paced the rest at 60 a second (a short export at 20 ms took 3.3 s instead
// of 2.4 s, and at 1 s its first round trip carried half of what it could). Fewer left
// (someone else uses the token) lets fewer go.
func TestLearntLimitLetsTheWindowsRoomGo(t *testing.T) {
	for _, tc := range []struct {
		name       string
		remaining  int
		wantAtOnce int
	}{
		{"the window is empty", 119, 119},
		{"someone else used most of it", 40, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := New(Options{})
				if err := p.Wait(t.Context(), 1); err != nil { // GET /users/me
					t.Fatal(err)
				}
				p.Observe(Observation{Status: 200, Limit: 120, Remaining: tc.remaining, HasWindow: true, DailyRemaining: -1})
				start := time.Now()
				atOnce := 0
				for range 200 {
					if err := p.Wait(t.Context(), 1); err != nil {
						t.Fatal(err)
					}
					if time.Since(start) > 0 {
						break
					}
					atOnce++
				}
				if atOnce != tc.wantAtOnce {
					t.Errorf("%d requests went at once after the answer said %d of 120 are left, want %d", atOnce, tc.remaining, tc.wantAtOnce)
				}
			})
		})
	}

	// Workers waiting for their turn while the answer that teaches the limit comes back
	// (the bucket is replaced under the pacer's lock; go test -race checks the rest).
	synctest.Test(t, func(t *testing.T) {
		p := New(Options{})
		var wg sync.WaitGroup
		for range 60 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := p.Wait(t.Context(), 1); err != nil {
					t.Error(err)
				}
			}()
		}
		time.Sleep(500 * time.Millisecond)
		p.Observe(Observation{Status: 200, Limit: 120, Remaining: 100, HasWindow: true, DailyRemaining: -1})
		wg.Wait()
		if got := p.Stats().Requests; got != 60 {
			t.Errorf("%d requests released, want 60", got)
		}
	})
}

func TestTooManyHoldsEveryWorker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Options{Limit: 40})
		p.Observe(Observation{Status: 429, RetryAfter: 3 * time.Second, Remaining: -1, DailyRemaining: -1})
		s := p.Stats()
		if s.TooMany != 1 {
			t.Errorf("Stats().TooMany = %d, want 1", s.TooMany)
		}
		if want := 19.5 * decreaseFactor; s.Rate != want {
			t.Errorf("Stats().Rate after a 429 = %v, want %v", s.Rate, want)
		}
		start := time.Now()
		times := releases(t, p, false, 4, 4, func(ctx context.Context) error { return p.Wait(ctx, 2) })
		if first := times[0].Sub(start); first != 3*time.Second {
			t.Errorf("first release after %v, want exactly the Retry-After 3s", first)
		}
		for range 201 {
			p.Observe(Observation{Status: 200, Limit: 40, Remaining: 10, HasWindow: true})
		}
		if s := p.Stats(); s.Rate != 19.5 {
			t.Errorf("Stats().Rate after 201 successes = %v, want recovered 19.5", s.Rate)
		}
	})
}

func TestRemainingZero(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ownSends int // requests this pacer sent just before the answer
		wantHold time.Duration
	}{
		{"someone else fills the window", 0, 2 * time.Second},
		{"own full pace is not held", 39, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := New(Options{Limit: 40})
				for range tc.ownSends {
					if err := p.Wait(t.Context(), 1); err != nil {
						t.Fatalf("Wait = %v", err)
					}
				}
				p.Observe(Observation{Status: 200, Limit: 40, Remaining: 0, Reset: 2 * time.Second, HasWindow: true})
				r := p.main.lim.Reserve()
				bucket := r.Delay()
				r.Cancel()
				start := time.Now()
				if err := p.Wait(t.Context(), 1); err != nil {
					t.Fatalf("Wait = %v", err)
				}
				if got := time.Since(start); got != max(tc.wantHold, bucket) {
					t.Errorf("Wait took %v, want %v", got, max(tc.wantHold, bucket))
				}
			})
		})
	}
}

func TestDailyBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Options{Limit: 100, DailyBudget: 100})
		if ok, rem, known := p.Fits(100); !ok || rem != 100 || !known {
			t.Errorf("Fits(100) = %v, %d, %v; want true, 100, true", ok, rem, known)
		}
		for i := range 2 {
			if err := p.Wait(t.Context(), 40); err != nil {
				t.Fatalf("Wait #%d = %v, want nil", i+1, err)
			}
		}
		if ok, rem, _ := p.Fits(40); ok || rem != 20 {
			t.Errorf("Fits(40) = %v, %d; want false, 20", ok, rem)
		}
		start := time.Now()
		err := p.Wait(t.Context(), 40)
		var be *BudgetError
		if !errors.Is(err, ErrBudgetExhausted) || !errors.As(err, &be) {
			t.Fatalf("Wait = %v, want a *BudgetError", err)
		}
		if be.Cost != 40 || be.Remaining != 20 || !be.ResetAt.Equal(nextMidnight(start)) {
			t.Errorf("BudgetError = %+v, want cost 40, 20 left, reset at %v", *be, nextMidnight(start))
		}
		if time.Since(start) != 0 {
			t.Errorf("Wait refused after %v, want at once", time.Since(start))
		}
		if err := p.Wait(t.Context(), 20); err != nil {
			t.Errorf("Wait(20) with 20 left = %v, want nil", err)
		}

		// The server's figure wins over the local count once nothing is in flight.
		p.Observe(Observation{Status: 200, Remaining: -1, DailyRemaining: -1, Cost: 40})
		p.Observe(Observation{Status: 200, Remaining: -1, DailyRemaining: -1, Cost: 40})
		p.Observe(Observation{Status: 200, HasDaily: true, DailyLimit: 1000, DailyRemaining: 500, Remaining: -1, Cost: 20})
		if ok, rem, _ := p.Fits(500); !ok || rem != 500 {
			t.Errorf("Fits(500) after the server said 500 = %v, %d; want true, 500", ok, rem)
		}
		p.Observe(Observation{Status: 429, DailyExhausted: true, RetryAfter: time.Hour, Remaining: -1, DailyRemaining: -1})
		if err := p.Wait(t.Context(), 2); !errors.Is(err, ErrBudgetExhausted) {
			t.Errorf("Wait after a daily 429 = %v, want ErrBudgetExhausted", err)
		}
		if err := p.Backoff(t.Context(), 1, Observation{Status: 429, DailyExhausted: true}); !errors.Is(err, ErrBudgetExhausted) {
			t.Errorf("Backoff on a daily 429 = %v, want ErrBudgetExhausted", err)
		}

		time.Sleep(time.Hour) // the refill the 429 announced
		if err := p.Wait(t.Context(), 40); err != nil {
			t.Errorf("Wait after the refill = %v, want nil", err)
		}
		if s := p.Stats(); s.DailyRemaining != 60 || s.BudgetRefusals != 2 {
			t.Errorf("Stats() = %d left, %d refusals; want 60, 2", s.DailyRemaining, s.BudgetRefusals)
		}
	})
}

func TestUnknownBudgetFits(t *testing.T) {
	p := New(Options{})
	if ok, rem, known := p.Fits(1 << 30); !ok || rem != -1 || known {
		t.Errorf("Fits = %v, %d, %v; want true, -1, false", ok, rem, known)
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		name    string
		attempt int
		obs     Observation
		exact   time.Duration // 0: jittered, at most ceiling
		ceiling time.Duration
	}{
		{"retry-after exactly", 1, Observation{Status: 429, RetryAfter: 7 * time.Second}, 7 * time.Second, 0},
		{"reset of a 429", 3, Observation{Status: 429, Reset: 2 * time.Second, HasWindow: true, Remaining: 0}, 2 * time.Second, 0},
		{"first attempt jittered", 1, Observation{Status: 502}, 0, 250 * time.Millisecond},
		{"third attempt jittered", 3, Observation{Status: 503}, 0, time.Second},
		{"capped", 30, Observation{Status: 500}, 0, 5 * time.Second},
		{"no answer", 2, Observation{}, 0, 500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := New(Options{MaxBackoff: 5 * time.Second})
				for range 20 {
					start := time.Now()
					if err := p.Backoff(t.Context(), tc.attempt, tc.obs); err != nil {
						t.Fatalf("Backoff = %v", err)
					}
					got := time.Since(start)
					if tc.exact > 0 && got != tc.exact {
						t.Fatalf("Backoff waited %v, want exactly %v", got, tc.exact)
					}
					if tc.exact == 0 && (got <= 0 || got > tc.ceiling) {
						t.Fatalf("Backoff waited %v, want in (0, %v]", got, tc.ceiling)
					}
				}
			})
		})
	}
}

func TestContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Options{Limit: 40})
		p.Observe(Observation{Status: 429, RetryAfter: time.Minute})
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := p.Wait(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Wait = %v, want context.DeadlineExceeded", err)
		}
		if err := p.Backoff(ctx, 1, Observation{Status: 429, RetryAfter: time.Minute}); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Backoff = %v, want context.DeadlineExceeded", err)
		}
	})
}

func TestSearchLane(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Options{Limit: 40, SearchLimit: 10})
		times := releases(t, p, true, 4, 40, func(ctx context.Context) error { return p.WaitSearch(ctx, 40) })
		if got := maxInWindow(times, 2*time.Second); got > 10 {
			t.Errorf("max searches in one window = %d, want <= 10", got)
		}
		p.Observe(Observation{Status: 200, Search: true, Limit: 6, Remaining: 3, HasWindow: true})
		if s := p.Stats(); s.SearchLimit != 6 || s.Limit != 40 {
			t.Errorf("Stats() = limit %d, search %d; want 40, 6", s.Limit, s.SearchLimit)
		}
	})
}

func TestPlanOptions(t *testing.T) {
	for _, tc := range []struct {
		in     string
		seats  int
		limit  int
		budget int
	}{
		{"Lite", 1, 20, 30000},
		{"growth", 3, 40, 180000},
		{" premium ", 2, 100, 300000},
		{"ULTIMATE", 0, 120, 210000},
	} {
		t.Run(tc.in, func(t *testing.T) {
			plan, err := ParsePlan(tc.in)
			if err != nil {
				t.Fatalf("ParsePlan(%q) = %v", tc.in, err)
			}
			if o := plan.Options(tc.seats); o.Limit != tc.limit || o.DailyBudget != tc.budget {
				t.Errorf("Options(%d) = %+v, want limit %d, budget %d", tc.seats, o, tc.limit, tc.budget)
			}
		})
	}
	if _, err := ParsePlan("gold"); err == nil {
		t.Error(`ParsePlan("gold") = nil error, want one`)
	}
}

func TestGuardCountsWhatMayHaveArrived(t *testing.T) {
	for _, tc := range []struct {
		name      string
		limit     int
		answerAt  time.Duration // when the released requests are answered; 0 = never
		raiseTo   int           // limit the answers report; 0 = none
		wantAfter time.Duration // when the next request goes
	}{
		// Answered late, the requests may have arrived late: the window is theirs until
		// a window after the answers, and the slack for the answers' way back (the spacing
		// of one request, 200 ms at 10 / 2 s).
		{"answered late", 10, 2500 * time.Millisecond, 0, 4700 * time.Millisecond},
		// An answer that raises the limit wakes the held release at once.
		{"answer raises the limit", 10, 2500 * time.Millisecond, 40, 2500 * time.Millisecond},
		// Never answered: the requests stop counting two windows after their release.
		{"never answered", 10, 0, 0, 4 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := New(Options{Limit: tc.limit})
				start := time.Now()
				for range tc.limit {
					if err := p.Wait(t.Context(), 1); err != nil {
						t.Fatalf("Wait = %v", err)
					}
				}
				if tc.answerAt > 0 {
					go func() {
						time.Sleep(tc.answerAt - time.Since(start))
						for range tc.limit {
							p.Observe(Observation{Status: 200, Limit: tc.raiseTo, HasWindow: tc.raiseTo > 0, Remaining: 1, DailyRemaining: -1})
						}
					}()
				}
				if err := p.Wait(t.Context(), 1); err != nil {
					t.Fatalf("Wait = %v", err)
				}
				if got := time.Since(start); got != tc.wantAfter {
					t.Errorf("request %d released after %v, want %v", tc.limit+1, got, tc.wantAfter)
				}
			})
		})
	}
}

// The server's count of the daily budget leaves out the requests still on their way: the
// pacer counts them spent, so that the last ones of a budget are not sent into a 429.
func TestDailyBudgetCountsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Options{Limit: 1000})
		for range 3 { // three creates of 10 tokens in flight
			if err := p.Wait(t.Context(), 10); err != nil {
				t.Fatal(err)
			}
		}
		// The first answer says 25 tokens are left: the two still in flight will take 20.
		p.Observe(Observation{Status: 201, HasDaily: true, DailyLimit: 1000, DailyRemaining: 25, Remaining: -1, Cost: 10})
		if ok, rem, _ := p.Fits(10); ok || rem != 5 {
			t.Errorf("Fits(10) with 25 left and 20 in flight = %v, %d; want false, 5", ok, rem)
		}
		// The server may have counted some of those in flight already: Wait waits for
		// their answers, and refuses once nothing is in flight and the count is exact.
		done := make(chan error, 1)
		go func() { done <- p.Wait(t.Context(), 10) }()
		synctest.Wait()
		select {
		case err := <-done:
			t.Errorf("Wait(10) = %v while the answers in flight may yet show 10 left; want it to wait for them", err)
		default:
		}
		p.Observe(Observation{Status: 201, HasDaily: true, DailyLimit: 1000, DailyRemaining: 15, Remaining: -1, Cost: 10})
		p.Observe(Observation{Status: 201, HasDaily: true, DailyLimit: 1000, DailyRemaining: 5, Remaining: -1, Cost: 10})
		if err := <-done; !errors.Is(err, ErrBudgetExhausted) {
			t.Errorf("Wait(10) with 5 left and nothing in flight = %v, want ErrBudgetExhausted", err)
		}
		if ok, rem, _ := p.Fits(5); !ok || rem != 5 {
			t.Errorf("Fits(5) once nothing is in flight = %v, %d; want true, 5", ok, rem)
		}
		// The answer to a request the server counted before the others: what they say
		// lets a request go that the first answer alone would have refused.
		for range 2 {
			if err := p.Wait(t.Context(), 1); err != nil {
				t.Fatal(err)
			}
		}
		p.Observe(Observation{Status: 201, HasDaily: true, DailyLimit: 1000, DailyRemaining: 3, Remaining: -1, Cost: 1})
		go func() { done <- p.Wait(t.Context(), 3) }()
		synctest.Wait()
		p.Observe(Observation{Status: 201, HasDaily: true, DailyLimit: 1000, DailyRemaining: 3, Remaining: -1, Cost: 1})
		if err := <-done; err != nil {
			t.Errorf("Wait(3) with 3 left once nothing is in flight = %v, want it released", err)
		}
	})
}

func TestDailyBudgetIgnoresOvertakenAnswers(t *testing.T) {
	p := New(Options{})
	older, newer := p.NextSeq(), p.NextSeq()
	daily := func(left int, seq uint64) Observation {
		return Observation{Status: 200, Remaining: -1, DailyLimit: 1000, DailyRemaining: left, HasDaily: true, Seq: seq}
	}
	// The newer request's answer (90 left) arrives first; the older one's (100 left, taken
	// before the newer request was counted) arrives after it and must not put 10 back.
	p.Observe(daily(90, newer))
	p.Observe(daily(100, older))
	if s := p.Stats(); s.DailyRemaining != 90 {
		t.Errorf("DailyRemaining = %d after an overtaken answer said 100, want the newer 90", s.DailyRemaining)
	}
	// A later answer is applied, even when it says more is left (a request the server did
	// not charge, such as a 5xx it did not process).
	p.Observe(daily(95, p.NextSeq()))
	if s := p.Stats(); s.DailyRemaining != 95 {
		t.Errorf("DailyRemaining = %d, want the newest answer's 95", s.DailyRemaining)
	}
	// An answer with no number (not sent through NextSeq) is applied as it comes.
	p.Observe(daily(80, 0))
	if s := p.Stats(); s.DailyRemaining != 80 {
		t.Errorf("DailyRemaining = %d, want 80", s.DailyRemaining)
	}
}

// TestBudgetWaitEnds: a request the budget does not cover waits for the answers in flight
// (they may show the server counted less), but an answer that never comes (a caller that
// released a request and never observed it) must not hold the run: after two windows the
// request is refused with the budget's error.
func TestBudgetWaitEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Options{})
		if err := p.Wait(t.Context(), 2); err != nil {
			t.Fatal(err)
		}
		p.Observe(Observation{Status: 200, Cost: 2, HasDaily: true, DailyLimit: 100, DailyRemaining: 14, Remaining: -1})
		if err := p.Wait(t.Context(), 8); err != nil {
			t.Fatalf("Wait(8) of 14 = %v", err)
		}
		start := time.Now()
		err := p.Wait(t.Context(), 8) // 6 left once the 8 in flight count
		var be *BudgetError
		if !errors.As(err, &be) || be.Cost != 8 {
			t.Fatalf("Wait(8) with 8 in flight never observed = %v, want a *BudgetError for 8", err)
		}
		if d := time.Since(start); d != 2*defaultWindow {
			t.Errorf("refused after %v, want after two windows (%v)", d, 2*defaultWindow)
		}
		if s := p.Stats(); s.BudgetRefusals != 1 {
			t.Errorf("Stats().BudgetRefusals = %d, want 1", s.BudgetRefusals)
		}
	})
}
