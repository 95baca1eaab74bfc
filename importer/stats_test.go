package importer_test

import (
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/importer"
)

// TestRateShare: the share of the allowed rate is the run's requests over what the server
// allows in the run's time, and in no less than one window: 4 requests in 60 ms under
// 20 / 2 s used a fifth of a window, not 336 % of the rate.
func TestRateShare(t *testing.T) {
	for _, tc := range []struct {
		name     string
		requests int64
		elapsed  time.Duration
		want     float64
	}{
		{"a few requests in less than a window", 4, 60 * time.Millisecond, 0.2},
		{"a window's limit at once", 20, 100 * time.Millisecond, 1},
		{"a long run at 96 %", 960, 100 * time.Second, 0.96},
	} {
		s := importer.Snapshot{Requests: tc.requests, Elapsed: tc.elapsed, Allowed: 10, Window: 2 * time.Second}
		got, ok := s.RateShare()
		if !ok || got < tc.want-1e-9 || got > tc.want+1e-9 {
			t.Errorf("%s: RateShare() = %v, %v; want %v", tc.name, got, ok, tc.want)
		}
	}
	if _, ok := (importer.Snapshot{Requests: 5, Elapsed: time.Second}).RateShare(); ok {
		t.Errorf("RateShare() with no known limit is told; want false")
	}
}
