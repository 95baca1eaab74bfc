package mapping

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// gateResolver blocks every call until gate is closed, and counts calls by kind.
type gateResolver struct {
	gate    chan struct{}
	calls   atomic.Int64
	creates atomic.Int64
	exists  bool  // whether the record exists before any create
	fail    error // returned while set
	mu      sync.Mutex
	made    bool
}

func (g *gateResolver) Resolve(ctx context.Context, lookup, key string, create bool) (any, error) {
	g.calls.Add(1)
	if create {
		g.creates.Add(1)
	}
	if g.gate != nil {
		select {
		case <-g.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail != nil {
		return nil, g.fail
	}
	switch {
	case g.exists || g.made:
		return "id-" + key, nil
	case create:
		g.made = true
		return "id-" + key, nil
	}
	return nil, fmt.Errorf("gate: %s %q: %w", lookup, key, ErrNotFound)
}

func TestCacheConcurrentMissCallsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &gateResolver{gate: make(chan struct{}), exists: true}
		c := NewCache(r)
		const n = 50
		ids := make([]any, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				id, err := c.Resolve(context.Background(), LookupPersonEmail, "a@b.c", false)
				if err != nil {
					t.Errorf("Resolve: %v", err)
				}
				ids[i] = id
			})
		}
		synctest.Wait() // every caller is now blocked: one in the resolver, the rest waiting
		if got := r.calls.Load(); got != 1 {
			t.Errorf("resolver calls while %d callers wait = %d, want 1", n, got)
		}
		close(r.gate)
		wg.Wait()
		for i, id := range ids {
			if id != "id-a@b.c" {
				t.Fatalf("caller %d got %v, want id-a@b.c", i, id)
			}
		}
		if _, err := c.Resolve(context.Background(), LookupPersonEmail, "a@b.c", false); err != nil || r.calls.Load() != 1 {
			t.Errorf("cached Resolve: err %v, calls %d; want no new call", err, r.calls.Load())
		}
		if _, err := c.Resolve(context.Background(), LookupPersonName, "a@b.c", false); err != nil || r.calls.Load() != 2 {
			t.Errorf("another lookup kind: err %v, calls %d; want its own call", err, r.calls.Load())
		}
	})
}

func TestCacheNegativeAndCreate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &gateResolver{}
		c := NewCache(r)
		ctx := context.Background()
		for range 3 {
			if _, err := c.Resolve(ctx, LookupLeadLabelName, "Hot", false); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Resolve(Hot) = %v, want ErrNotFound", err)
			}
		}
		if got := r.calls.Load(); got != 1 {
			t.Errorf("calls for a cached miss = %d, want 1", got)
		}
		// Concurrent creates after the cached miss: one create call, everyone gets its id.
		r.gate = make(chan struct{})
		const n = 20
		var wg sync.WaitGroup
		var bad atomic.Int64
		for range n {
			wg.Go(func() {
				id, err := c.Resolve(ctx, LookupLeadLabelName, "Hot", true)
				if err != nil || id != "id-Hot" {
					bad.Add(1)
				}
			})
		}
		synctest.Wait()
		close(r.gate)
		wg.Wait()
		if bad.Load() != 0 {
			t.Errorf("%d of %d create callers did not get the new id", bad.Load(), n)
		}
		if got := r.creates.Load(); got != 1 {
			t.Errorf("create calls = %d, want 1", got)
		}
		if id, err := c.Resolve(ctx, LookupLeadLabelName, "Hot", false); err != nil || id != "id-Hot" {
			t.Errorf("Resolve after create = %v, %v; want the created id from the cache", id, err)
		}
		if got := r.calls.Load(); got != 2 {
			t.Errorf("total calls = %d, want 2 (one miss, one create)", got)
		}
	})
}

func TestCacheMixedCreateUnderConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &gateResolver{gate: make(chan struct{})}
		c := NewCache(r)
		var wg sync.WaitGroup
		var found, missed atomic.Int64
		for i := range 30 {
			wg.Go(func() {
				create := i%3 == 0
				_, err := c.Resolve(context.Background(), LookupLeadLabelName, "Warm", create)
				switch {
				case err == nil:
					found.Add(1)
				case errors.Is(err, ErrNotFound) && !create:
					missed.Add(1)
				default:
					t.Errorf("Resolve(create=%v) = %v", create, err)
				}
			})
		}
		synctest.Wait()
		close(r.gate)
		wg.Wait()
		if got := r.creates.Load(); got != 1 {
			t.Errorf("create calls = %d, want exactly 1", got)
		}
		if found.Load() < 10 {
			t.Errorf("callers that got an id = %d, want at least the 10 creators", found.Load())
		}
	})
}

func TestCacheDoesNotKeepFailures(t *testing.T) {
	r := &gateResolver{exists: true, fail: errors.New("connection reset")}
	c := NewCache(r)
	if _, err := c.Resolve(context.Background(), LookupPersonEmail, "x@y.z", false); err == nil {
		t.Fatal("Resolve with a failing resolver = nil error")
	}
	r.mu.Lock()
	r.fail = nil
	r.mu.Unlock()
	if id, err := c.Resolve(context.Background(), LookupPersonEmail, "x@y.z", false); err != nil || id != "id-x@y.z" {
		t.Errorf("Resolve after the failure cleared = %v, %v; want a fresh call", id, err)
	}
	if got := r.calls.Load(); got != 2 {
		t.Errorf("calls = %d, want 2", got)
	}
}

func TestCacheWaiterHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &gateResolver{gate: make(chan struct{}), exists: true}
		c := NewCache(r)
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := c.Resolve(context.Background(), LookupPersonEmail, "k", false); err != nil {
				t.Errorf("first caller: %v", err)
			}
		})
		synctest.Wait()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := c.Resolve(ctx, LookupPersonEmail, "k", false)
			done <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("waiting caller after cancel = %v, want context.Canceled", err)
		}
		close(r.gate)
		wg.Wait()
	})
}

func TestCacheFailedCallerIsRetriedByWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &gateResolver{gate: make(chan struct{}), exists: true}
		c := NewCache(r)
		ctx1, cancel1 := context.WithCancel(context.Background())
		first := make(chan error, 1)
		go func() {
			_, err := c.Resolve(ctx1, LookupPersonEmail, "k", false)
			first <- err
		}()
		synctest.Wait()
		second := make(chan any, 1)
		go func() {
			id, err := c.Resolve(context.Background(), LookupPersonEmail, "k", false)
			if err != nil {
				t.Errorf("second caller: %v", err)
			}
			second <- id
		}()
		synctest.Wait()
		cancel1() // the caller whose call is in flight goes away
		if err := <-first; !errors.Is(err, context.Canceled) {
			t.Errorf("first caller = %v, want context.Canceled", err)
		}
		synctest.Wait()
		close(r.gate)
		if id := <-second; id != "id-k" {
			t.Errorf("second caller got %v, want id-k from a call of its own", id)
		}
	})
}
