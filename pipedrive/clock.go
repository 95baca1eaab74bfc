package pipedrive

import (
	"net/http"
	"sync"
	"time"
)

// serverClock bounds from below the offset between the server's clock and ours, from the
// Date headers of the answers: an answer received at our time recv was dated by the server
// at or before recv, in whole seconds, so its clock read at least Date when ours read recv.
// Safe for concurrent use.
type serverClock struct {
	mu sync.Mutex
	lo time.Duration // server time - our time >= lo
	ok bool
}

// observe takes the Date header of an answer whose headers arrived at our time recv.
func (k *serverClock) observe(date string, recv time.Time) {
	if date == "" {
		return
	}
	d, err := http.ParseTime(date)
	if err != nil {
		return
	}
	lo := d.Sub(recv)
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.ok || lo > k.lo {
		k.lo, k.ok = lo, true
	}
}

// ServerTime returns the earliest time the server's clock can read when ours reads t, as
// the Date headers of the answers so far tell, and whether any answer carried a Date. The
// true server time is later by at most about a second plus the answer's latency.
func (c *Client) ServerTime(t time.Time) (time.Time, bool) {
	c.clock.mu.Lock()
	defer c.clock.mu.Unlock()
	if !c.clock.ok {
		return t, false
	}
	return t.Add(c.clock.lo), true
}

// Timeout returns the time an attempt of a JSON request may take (Config.Timeout): a
// create that got no answer within it may still be running on the server.
func (c *Client) Timeout() time.Duration { return c.timeout }
