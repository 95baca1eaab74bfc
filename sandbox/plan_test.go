package sandbox

import (
	"net/http"
	"strconv"
	"testing"
)

// TestPlanHeaders checks that a sandbox given a plan sends that plan's limits on every
// answer, that what Emulation sets wins, and that no plan means no headers.
func TestPlanHeaders(t *testing.T) {
	growth, ok := FindPlan(DefaultPlan)
	if !ok {
		t.Fatalf("FindPlan(%q) found nothing", DefaultPlan)
	}
	tests := []struct {
		name            string
		o               Options
		limit, searchLt int
		budget          int
	}{
		{"default plan", Options{Plan: DefaultPlan}, growth.RateLimit, growth.SearchRateLimit, 30_000 * 2 * PlanSeats},
		{"premium", Options{Plan: "Premium"}, 100, 10, 30_000 * 5 * PlanSeats},
		{"rate and budget override the plan", Options{Plan: DefaultPlan, Emulation: Emulation{RateLimit: 7, DailyBudget: 500}}, 7, 7, 500},
		{"no plan", Options{}, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.o)
			for _, c := range []struct {
				path string
				want int
			}{{"/leads", tt.limit}, {"/leads/search?term=acme", tt.searchLt}} {
				r := e.must(200, "GET", c.path, nil)
				if got := headerInt(t, r.header, "x-ratelimit-limit"); got != c.want {
					t.Errorf("GET %s: x-ratelimit-limit = %d, want %d", c.path, got, c.want)
				}
				if got := headerInt(t, r.header, "x-daily-ratelimit-token-limit"); got != tt.budget {
					t.Errorf("GET %s: x-daily-ratelimit-token-limit = %d, want %d", c.path, got, tt.budget)
				}
			}
		})
	}
	if _, err := New(Options{Token: testToken, Plan: "gold"}); err == nil {
		t.Errorf("New(Plan: gold) = nil error, want an unknown plan refused")
	}
}

// headerInt reads an integer header; 0 when it is absent.
func headerInt(t *testing.T, h http.Header, k string) int {
	t.Helper()
	v := h.Get(k)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("header %s = %q, not an integer", k, v)
	}
	return n
}
