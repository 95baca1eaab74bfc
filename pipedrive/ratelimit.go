package pipedrive

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pdbulk/pdbulk/ratelimit"
)

// RateLimit is what an answer's headers said about the limits. Counts the server did not
// send are -1; durations it did not send are 0 (see the Has* flags).
type RateLimit struct {
	Limit               int           // x-ratelimit-limit: requests per window
	Remaining           int           // x-ratelimit-remaining: requests left in the window
	Reset               time.Duration // x-ratelimit-reset: time until the window frees up
	DailyRequestsLeft   int           // x-daily-requests-left (older POST/PUT counter)
	DailyTokenLimit     int           // x-daily-ratelimit-token-limit
	DailyTokenRemaining int           // x-daily-ratelimit-token-remaining
	RetryAfter          time.Duration // Retry-After (seconds or an HTTP date)
	HasReset            bool          // x-ratelimit-reset was present
	HasRetryAfter       bool          // Retry-After was present
}

// ParseRateLimit reads the rate-limit headers of h. now resolves a Retry-After given as an
// HTTP date. Malformed values count as absent.
func ParseRateLimit(h http.Header, now time.Time) RateLimit {
	rl := RateLimit{
		Limit:               headerInt(h, "X-Ratelimit-Limit"),
		Remaining:           headerInt(h, "X-Ratelimit-Remaining"),
		DailyRequestsLeft:   headerInt(h, "X-Daily-Requests-Left"),
		DailyTokenLimit:     headerInt(h, "X-Daily-Ratelimit-Token-Limit"),
		DailyTokenRemaining: headerInt(h, "X-Daily-Ratelimit-Token-Remaining"),
	}
	if d, ok := headerSeconds(h.Get("X-Ratelimit-Reset")); ok {
		rl.Reset, rl.HasReset = d, true
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if d, ok := headerSeconds(v); ok {
			rl.RetryAfter, rl.HasRetryAfter = d, true
		} else if t, err := http.ParseTime(v); err == nil {
			rl.RetryAfter, rl.HasRetryAfter = max(t.Sub(now), 0), true
		}
	}
	return rl
}

func headerInt(h http.Header, key string) int {
	v := strings.TrimSpace(h.Get(key))
	if v == "" {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// headerSeconds parses a non-negative number of seconds (fractions allowed).
func headerSeconds(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 7*24*3600 {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// observation converts what one answer said into the pacer's terms.
func (rl RateLimit) observation(status int, dailyExhausted bool) ratelimit.Observation {
	o := ratelimit.Observation{
		Status:         status,
		Limit:          rl.Limit,
		Remaining:      rl.Remaining,
		Reset:          rl.Reset,
		RetryAfter:     rl.RetryAfter,
		DailyLimit:     rl.DailyTokenLimit,
		DailyRemaining: rl.DailyTokenRemaining,
		HasWindow:      rl.Limit >= 0 && rl.Remaining >= 0,
		HasDaily:       rl.DailyTokenRemaining >= 0,
		DailyExhausted: dailyExhausted,
	}
	return o
}

// noAnswer is the observation of an attempt that got no HTTP answer.
func noAnswer() ratelimit.Observation {
	return ratelimit.Observation{Limit: -1, Remaining: -1, DailyLimit: -1, DailyRemaining: -1}
}

// nextUTCMidnight returns the first UTC midnight after t.
func nextUTCMidnight(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
}
