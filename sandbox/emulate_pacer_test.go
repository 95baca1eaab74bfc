package sandbox

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/ratelimit"
)

// observe reads the limit headers of an answer the way a client of the pacer does.
func emuObserve(resp *http.Response) ratelimit.Observation {
	num := func(k string) (int, bool) {
		n, err := strconv.Atoi(resp.Header.Get(k))
		if err != nil {
			return -1, false
		}
		return n, true
	}
	o := ratelimit.Observation{Status: resp.StatusCode}
	var okL, okR, okD bool
	o.Limit, okL = num("x-ratelimit-limit")
	o.Remaining, okR = num("x-ratelimit-remaining")
	o.HasWindow = okL && okR
	if s, ok := num("x-ratelimit-reset"); ok {
		o.Reset = time.Duration(s) * time.Second
	}
	if s, ok := num("Retry-After"); ok {
		o.RetryAfter = time.Duration(s) * time.Second
	}
	o.DailyLimit, _ = num("x-daily-ratelimit-token-limit")
	o.DailyRemaining, okD = num("x-daily-ratelimit-token-remaining")
	o.HasDaily = okD
	return o
}

// emuRun is the outcome of sending requests through a Pacer.
type emuRun struct {
	sent, tooMany int64
	elapsed       time.Duration
	firstHalf429  int64 // 429s answered while the first half of the requests was done
	secondHalf429 int64
}

// emuRunPaced has workers send n GET /v1/leads/{id} through p, retrying 429s with p.Backoff.
func emuRunPaced(ctx context.Context, url string, p *ratelimit.Pacer, workers, n int) (emuRun, error) {
	var (
		run  emuRun
		done atomic.Int64
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	jobs := make(chan int, n)
	for i := range n {
		jobs <- i
	}
	close(jobs)
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for range jobs {
				if err := emuSendPaced(ctx, client, url, p, &run, &done, n); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	run.elapsed = time.Since(start)
	return run, errors.Join(errs...)
}

func emuSendPaced(ctx context.Context, client *http.Client, url string, p *ratelimit.Pacer, run *emuRun, done *atomic.Int64, n int) error {
	for attempt := 1; ; attempt++ {
		if err := p.Wait(ctx, 2); err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, "GET", url+"/v1/leads/4c5d", nil)
		if err != nil {
			return err
		}
		req.Header.Set("x-api-token", "tok")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		if cerr := resp.Body.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		o := emuObserve(resp)
		p.Observe(o)
		atomic.AddInt64(&run.sent, 1)
		if resp.StatusCode != http.StatusTooManyRequests {
			done.Add(1)
			return nil
		}
		atomic.AddInt64(&run.tooMany, 1)
		if done.Load() < int64(n/2) {
			atomic.AddInt64(&run.firstHalf429, 1)
		} else {
			atomic.AddInt64(&run.secondHalf429, 1)
		}
		if err := p.Backoff(ctx, attempt, o); err != nil {
			return err
		}
	}
}

func TestPacerAgainstEmulation(t *testing.T) {
	for _, tc := range []struct {
		name        string
		server      int // emulated limit per window
		configured  int // pacer's starting limit
		n           int
		maxTooMany  int64
		lateTooMany int64 // most 429s allowed in the second half of the run
	}{
		{"steady state at the limit", 40, 40, 80, 0, 0},
		{"learns a lower server limit", 20, 100, 40, 12, 0},
		// One 429 can slip through under the race detector when the window rolls between
		// the header that raised the limit and the next release; more would be a bug.
		{"learns a higher server limit", 40, 20, 60, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			window := 2 * time.Second
			srv := httptest.NewServer(emulate(&emuAPI{}, Emulation{RateLimit: tc.server, Window: window, Latency: 5 * time.Millisecond}))
			defer srv.Close()
			p := ratelimit.New(ratelimit.Options{Limit: tc.configured, Window: window, MaxBackoff: 2 * time.Second})
			run, err := emuRunPaced(t.Context(), srv.URL, p, 8, tc.n)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if run.tooMany > tc.maxTooMany || run.secondHalf429 > tc.lateTooMany {
				t.Errorf("429 answers = %d (%d in the second half), want <= %d (%d)",
					run.tooMany, run.secondHalf429, tc.maxTooMany, tc.lateTooMany)
			}
			if s := p.Stats(); s.Limit != tc.server || s.TooMany != run.tooMany {
				t.Errorf("Stats() = limit %d, %d × 429; want %d, %d", s.Limit, s.TooMany, tc.server, run.tooMany)
			}
		})
	}
}

func TestPacerStopsAtDailyBudget(t *testing.T) {
	srv := httptest.NewServer(emulate(&emuAPI{}, Emulation{RateLimit: 100, DailyBudget: 21}))
	defer srv.Close()
	p := ratelimit.New(ratelimit.Options{Limit: 100})
	_, err := emuRunPaced(t.Context(), srv.URL, p, 4, 20) // 20 × 2 tokens > 21
	if !errors.Is(err, ratelimit.ErrBudgetExhausted) {
		t.Fatalf("run = %v, want ErrBudgetExhausted", err)
	}
	s := p.Stats()
	if s.DailyRemaining < 0 || s.DailyRemaining >= 2 || s.DailyLimit != 21 {
		t.Errorf("Stats() = %d of %d left, want under one request's 2 tokens of 21", s.DailyRemaining, s.DailyLimit)
	}
	if s.TooMany > 4 {
		t.Errorf("daily 429 answers = %d, want at most one per worker", s.TooMany)
	}
}

// BenchmarkPacerAtLimit sends 400 requests from 16 workers through one Pacer against the
// emulation of a Growth token (40 requests per 2 s, 20 ms latency). pct_of_limit is the
// achieved rate as a share of the allowed 20/s, pct_429 the share of answers that were 429.
// One iteration takes about 20 s: run with -benchtime=1x.
func BenchmarkPacerAtLimit(b *testing.B) {
	const (
		workers = 16
		n       = 400
		limit   = 40
		window  = 2 * time.Second
	)
	var sent, tooMany int64
	var elapsed time.Duration
	for b.Loop() {
		srv := httptest.NewServer(emulate(&emuAPI{}, Emulation{RateLimit: limit, Window: window, Latency: 20 * time.Millisecond}))
		p := ratelimit.New(ratelimit.Options{Limit: limit, Window: window})
		run, err := emuRunPaced(b.Context(), srv.URL, p, workers, n)
		srv.Close()
		if err != nil {
			b.Fatalf("run: %v", err)
		}
		sent += run.sent
		tooMany += run.tooMany
		elapsed += run.elapsed
	}
	allowed := float64(limit) / window.Seconds()
	done := float64(sent - tooMany)
	b.ReportMetric(100*done/elapsed.Seconds()/allowed, "pct_of_limit")
	b.ReportMetric(100*float64(tooMany)/float64(sent), "pct_429")
}
