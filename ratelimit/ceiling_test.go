package ratelimit

import (
	"testing"
	"time"
)

func TestBestWall(t *testing.T) {
	for _, tc := range []struct {
		n, limit int
		latency  time.Duration
		want     time.Duration
	}{
		// 20 at once, the limit learnt after 1 s, then 120 per 2 s (64 in flight at most):
		// the 1,000th goes at 17 s and is answered at 18 s.
		{1000, 120, time.Second, 18 * time.Second},
		// 40 / 2 s: 20 at once every second, the 1,000th at 49 s.
		{1000, 40, time.Second, 50 * time.Second},
		// At 20 ms learning costs 20 ms: the 1,000th goes at 16.02 s.
		{1000, 120, 20 * time.Millisecond, 16*time.Second + 40*time.Millisecond},
		{1, 120, time.Second, time.Second},
	} {
		if got := BestWall(tc.n, tc.limit, 2*time.Second, tc.latency); got != tc.want {
			t.Errorf("BestWall(%d, %d, 2s, %v) = %v, want %v", tc.n, tc.limit, tc.latency, got, tc.want)
		}
	}
}
