package ratelimit

import (
	"testing"
	"time"
)

func TestBestWall(t *testing.T) {
	for _, tc := range []struct {
		n, limit int
		latency  time.Duration
		known    bool
		want     time.Duration
	}{
		// 20 at once, the limit learnt after 1 s, then 120 per 2 s (64 in flight at most):
		// the 1,000th goes at 17 s and is answered at 18 s.
		{1000, 120, time.Second, false, 18 * time.Second},
		// 40 / 2 s: 20 at once every second, the 1,000th at 49 s.
		{1000, 40, time.Second, false, 50 * time.Second},
		// At 20 ms learning costs 20 ms: the 1,000th goes at 16.02 s.
		{1000, 120, 20 * time.Millisecond, false, 16*time.Second + 40*time.Millisecond},
		{1, 120, time.Second, false, time.Second},
		// Knowing the limit: 64 at once (the most in flight), 56 a round trip later, and so
		// on, 120 per 2 s: the 1,000th goes at 16 s.
		{1000, 120, time.Second, true, 17 * time.Second},
		// 200 pages of an export at 1 s: 64, 56, 64, 16; 83 % of 60/s is all any client gets.
		{200, 120, time.Second, true, 4 * time.Second},
		{1000, 40, time.Second, true, 49 * time.Second},
	} {
		if got := BestWall(tc.n, tc.limit, 2*time.Second, tc.latency, tc.known); got != tc.want {
			t.Errorf("BestWall(%d, %d, 2s, %v, known %v) = %v, want %v", tc.n, tc.limit, tc.latency, tc.known, got, tc.want)
		}
	}
}
