package ratelimit

import (
	"context"
	"errors"
	"testing"
	"time"
)

// answers releases n answers of rtt through g, one slot at a time.
func answers(t *testing.T, g *Gate, n int, rtt time.Duration, struggling bool) {
	t.Helper()
	for range n {
		s, err := g.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		g.release(s.seq, rtt, struggling)
	}
}

func TestGateFollowsLittlesLaw(t *testing.T) {
	rate := 60.0 // 120 requests / 2 s
	tests := []struct {
		name string
		rtt  time.Duration
		want int // ceil(rate × rtt × 1.25) + 2, within 1..64 (steady round trips: no deviation)
	}{
		{"20 ms", 20 * time.Millisecond, 4},
		{"100 ms", 100 * time.Millisecond, 10},
		{"300 ms", 300 * time.Millisecond, 25},
		{"1 s", time.Second, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGate(func() float64 { return rate }, 0, 0)
			answers(t, g, 200, tt.rtt, false)
			if got := g.Limit(); got != tt.want {
				t.Errorf("Limit() after 200 answers of %v at %v/s = %d, want %d", tt.rtt, rate, got, tt.want)
			}
		})
	}
}

func TestGateFollowsChanges(t *testing.T) {
	rate := 20.0
	g := NewGate(func() float64 { return rate }, 32, 0)
	answers(t, g, 100, 500*time.Millisecond, false)
	if got := g.Limit(); got != 15 { // ceil(20 × 0.5 × 1.25) + 2
		t.Fatalf("Limit() at 500 ms = %d, want 15", got)
	}
	answers(t, g, 100, 20*time.Millisecond, false) // the server got fast: fewer suffice
	if got := g.Limit(); got != 3 {
		t.Errorf("Limit() after the server sped up = %d, want 3", got)
	}
	rate = 200 // a higher plan learnt from the headers
	answers(t, g, 100, 100*time.Millisecond, false)
	if got := g.Limit(); got != 27 { // ceil(200 × 0.1 × 1.25) + 2
		t.Errorf("Limit() at 200/s and 100 ms = %d, want 27", got)
	}
	if got := g.Limit(); got > 32 {
		t.Errorf("Limit() = %d beyond the maximum 32", got)
	}
}

func TestGateBacksOffWhenStruggling(t *testing.T) {
	g := NewGate(func() float64 { return 60 }, 0, 0)
	answers(t, g, 200, 300*time.Millisecond, false)
	before := g.Limit()
	answers(t, g, 1, 300*time.Millisecond, true)
	after := g.Limit()
	if after != before*2/3 {
		t.Fatalf("Limit() after a 5xx = %d, want %d (two thirds of %d)", after, before*2/3, before)
	}
	answers(t, g, after-1, 300*time.Millisecond, false)
	if got := g.Limit(); got != after {
		t.Errorf("Limit() during the cool-down = %d, want it held at %d", got, after)
	}
	answers(t, g, 50, 300*time.Millisecond, false)
	if got := g.Limit(); got != before {
		t.Errorf("Limit() after the cool-down = %d, want it back at %d", got, before)
	}
	for range 20 {
		answers(t, g, 1, 300*time.Millisecond, true)
	}
	if got := g.Limit(); got != 1 {
		t.Errorf("Limit() after a storm of 5xx = %d, want 1", got)
	}
}

func TestGatePinned(t *testing.T) {
	g := NewGate(func() float64 { return 60 }, 0, 7)
	answers(t, g, 100, time.Second, false)
	answers(t, g, 5, time.Second, true)
	if got := g.Limit(); got != 7 {
		t.Errorf("pinned Limit() = %d, want 7", got)
	}
}

func TestGateBlocksAtTheLimit(t *testing.T) {
	g := NewGate(func() float64 { return 1 }, 0, 2)
	ctx := context.Background()
	s1, err1 := g.Acquire(ctx)
	_, err2 := g.Acquire(ctx)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := g.Acquire(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire beyond the limit = %v, want it to wait until ctx ends", err)
	}
	got := make(chan error, 1)
	go func() { _, err := g.Acquire(ctx); got <- err }()
	s1.Release(false)
	s1.Release(false) // a second Release of the same slot frees nothing more
	if err := <-got; err != nil {
		t.Errorf("Acquire after a Release = %v", err)
	}
	if n := g.InFlight(); n != 2 {
		t.Errorf("InFlight() = %d, want 2", n)
	}
}

// A burst of 429s to requests that were all in flight together is one signal, not one per
// answer: the bound is cut once, and again only by answers to requests sent after the cut.
func TestGateCutsOncePerBurst(t *testing.T) {
	g := NewGate(func() float64 { return 60 }, 0, 0)
	answers(t, g, 200, 300*time.Millisecond, false)
	before := g.Limit() // 25
	var slots []*Slot
	for range before {
		s, err := g.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		slots = append(slots, s)
	}
	for _, s := range slots {
		g.release(s.seq, 300*time.Millisecond, true)
	}
	if got, want := g.Limit(), before*2/3; got != want {
		t.Fatalf("Limit() after a burst of %d 429s in flight together = %d, want one cut to %d", before, got, want)
	}
	answers(t, g, 1, 300*time.Millisecond, true) // sent after the cut: cuts again
	if got, want := g.Limit(), before*2/3*2/3; got != want {
		t.Errorf("Limit() after a 429 to a later request = %d, want %d", got, want)
	}
	if st := g.Stats(); st.Cuts != 2 || st.Peak != before {
		t.Errorf("Stats() = %+v, want 2 cuts and a peak of %d", st, before)
	}
}

// Set pins a running Gate and lets it adapt again.
func TestGateSet(t *testing.T) {
	g := NewGate(func() float64 { return 60 }, 0, 0)
	g.Set(0, 16)
	if !g.Pinned() || g.Limit() != 16 || g.Max() != 16 {
		t.Fatalf("after Set(0, 16): pinned %v, limit %d, max %d; want pinned at 16", g.Pinned(), g.Limit(), g.Max())
	}
	g.Set(10, 0)
	answers(t, g, 100, time.Second, false)
	if g.Pinned() || g.Limit() != 10 {
		t.Errorf("after Set(10, 0) and 1 s answers: pinned %v, limit %d; want adaptive at its max 10", g.Pinned(), g.Limit())
	}
}

// Round trips that spread (a loaded machine) get more room than their mean alone asks for.
func TestGatePadsForSpread(t *testing.T) {
	g := NewGate(func() float64 { return 60 }, 0, 0)
	for range 100 {
		answers(t, g, 1, 10*time.Millisecond, false)
		answers(t, g, 1, 50*time.Millisecond, false)
	}
	// mean about 30 ms, deviation about 20 ms: 60 × 0.07 × 1.25 + 2 ≈ 8, where a steady
	// 30 ms gives 5.
	if got := g.Limit(); got < 7 || got > 9 {
		t.Errorf("Limit() with round trips of 10 and 50 ms = %d, want about 8", got)
	}
}
