package sandbox

import (
	"fmt"
	"strings"
)

// Plan is the API limits of one Pipedrive plan, for an API token (../shared/API-NOTES.md,
// "Rate limits"): the burst limit per 2-second window, the lower limit of the search
// endpoints, and the multiplier of the daily token budget (30,000 × multiplier × seats).
type Plan struct {
	Name             string
	RateLimit        int // requests per 2 s
	SearchRateLimit  int // search requests per 2 s (third-party reports: 10 on every plan)
	BudgetMultiplier int
}

// Plans are Pipedrive's plans, smallest first.
var Plans = []Plan{
	{Name: "lite", RateLimit: 20, SearchRateLimit: 10, BudgetMultiplier: 1},
	{Name: "growth", RateLimit: 40, SearchRateLimit: 10, BudgetMultiplier: 2},
	{Name: "premium", RateLimit: 100, SearchRateLimit: 10, BudgetMultiplier: 5},
	{Name: "ultimate", RateLimit: 120, SearchRateLimit: 10, BudgetMultiplier: 7},
}

// DefaultPlan is the plan `pdbulk sandbox` and `pdbulk run --sandbox` emulate unless told
// otherwise: Growth, 40 requests and 10 searches per 2 s, 240,000 tokens a day.
const DefaultPlan = "growth"

// PlanSeats is the number of seats the sandbox company pays for: its active fixture users.
const PlanSeats = 4

// FindPlan returns the plan called name (any case), and whether there is one.
func FindPlan(name string) (Plan, bool) {
	for _, p := range Plans {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Plan{}, false
}

// DailyBudget is the plan's daily token budget for the sandbox company's PlanSeats seats.
func (p Plan) DailyBudget() int { return 30_000 * p.BudgetMultiplier * PlanSeats }

// applyPlan fills the limits e leaves at zero (RateLimit, SearchRateLimit, DailyBudget)
// from the plan called name, so that every answer carries the plan's x-ratelimit-* and
// daily budget headers; what e sets wins. name "" leaves e as it is.
func applyPlan(e Emulation, name string) (Emulation, error) {
	if name == "" {
		return e, nil
	}
	p, ok := FindPlan(name)
	if !ok {
		names := make([]string, len(Plans))
		for i, q := range Plans {
			names[i] = q.Name
		}
		return e, fmt.Errorf("unknown plan %q (plans: %s)", name, strings.Join(names, ", "))
	}
	if e.RateLimit == 0 {
		e.RateLimit = p.RateLimit
	}
	if e.SearchRateLimit == 0 {
		e.SearchRateLimit = min(p.SearchRateLimit, e.RateLimit)
	}
	if e.DailyBudget == 0 {
		e.DailyBudget = p.DailyBudget()
	}
	return e, nil
}
