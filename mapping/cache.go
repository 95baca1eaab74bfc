package mapping

import (
	"context"
	"errors"
	"sync"
)

// Resolver finds the id behind a lookup key: a lead label's name, a person's email, a key of
// the cross-job id map. lookup is one of the Lookup constants or "ids.<entity>". id is a
// string (UUID) or an int64, and goes into the payload as it is. When nothing matches and
// create is false, err must match ErrNotFound; when several records match, ErrAmbiguous.
// With create set, a missing record is created and its id returned. Any other error is
// fatal for the run (network, authentication, cancelled context).
type Resolver interface {
	Resolve(ctx context.Context, lookup, key string, create bool) (id any, err error)
}

// NewCache wraps r with a cache safe for concurrent use. Concurrent misses on one key call r
// once and share its answer. Ids and negative answers (ErrNotFound, ErrAmbiguous) are kept
// for the cache's life; other errors are not, so the next call tries again. A create call
// after a cached not-found calls r once more with create set, and only once however many
// callers ask at the same time.
func NewCache(r Resolver) Resolver {
	return &cache{r: r, entries: make(map[cacheKey]*cacheEntry)}
}

type cacheKey struct{ lookup, key string }

// cacheEntry is one answer, or one call in flight while done is open.
type cacheEntry struct {
	done   chan struct{}
	create bool // the call was made with create set
	id     any
	err    error
}

type cache struct {
	r Resolver

	mu      sync.Mutex
	entries map[cacheKey]*cacheEntry
}

func cacheable(err error) bool {
	return err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrAmbiguous)
}

// Resolve answers from the cache, waits for a call in flight on the same key, or calls the
// wrapped resolver.
func (c *cache) Resolve(ctx context.Context, lookup, key string, create bool) (any, error) {
	k := cacheKey{lookup, key}
	for {
		c.mu.Lock()
		e, ok := c.entries[k]
		if !ok || (isDone(e) && create && !e.create && errors.Is(e.err, ErrNotFound)) {
			e = &cacheEntry{done: make(chan struct{}), create: create}
			c.entries[k] = e
			c.mu.Unlock()
			return c.call(ctx, k, e)
		}
		c.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if !cacheable(e.err) {
			// The caller that made the call failed (perhaps its own context ended): try again
			// unless this caller's context has ended too.
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			continue
		}
		if create && !e.create && errors.Is(e.err, ErrNotFound) {
			continue // a plain lookup missed; this caller may create
		}
		return e.id, e.err
	}
}

// call runs the wrapped resolver for the in-flight entry e and publishes its answer.
func (c *cache) call(ctx context.Context, k cacheKey, e *cacheEntry) (id any, err error) {
	defer func() {
		e.id, e.err = id, err
		c.mu.Lock()
		if !cacheable(err) && c.entries[k] == e {
			delete(c.entries, k)
		}
		c.mu.Unlock()
		close(e.done)
	}()
	return c.r.Resolve(ctx, k.lookup, k.key, e.create)
}

func isDone(e *cacheEntry) bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}
