package ratelimit

import (
	"fmt"
	"strings"
	"time"
)

// Plan is a Pipedrive subscription plan; it sets the burst limit of API tokens and the
// multiplier of the daily token budget.
type Plan string

// The plans of Pipedrive, as named in its documentation.
const (
	PlanLite     Plan = "lite"
	PlanGrowth   Plan = "growth"
	PlanPremium  Plan = "premium"
	PlanUltimate Plan = "ultimate"
)

// planFacts holds, per plan, the API-token requests per 2 s and the daily budget multiplier.
var planFacts = map[Plan]struct{ limit, multiplier int }{
	PlanLite:     {20, 1},
	PlanGrowth:   {40, 2},
	PlanPremium:  {100, 5},
	PlanUltimate: {120, 7},
}

// DailyTokensPerSeat is the base of the daily budget: 30,000 tokens × plan multiplier × seats.
const DailyTokensPerSeat = 30000

// ParsePlan reads a plan name, case-insensitively.
func ParsePlan(s string) (Plan, error) {
	p := Plan(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := planFacts[p]; !ok {
		return "", fmt.Errorf("ratelimit: parse plan %q: want lite, growth, premium or ultimate", s)
	}
	return p, nil
}

// Options returns the pacer options of an API token on plan p for a company with seats
// seats (at least 1): its burst limit per 2 s window and its daily token budget. An unknown
// plan gives the zero Options (learn everything from the server).
func (p Plan) Options(seats int) Options {
	f, ok := planFacts[p]
	if !ok {
		return Options{}
	}
	return Options{
		Limit:       f.limit,
		Window:      2 * time.Second,
		DailyBudget: DailyTokensPerSeat * f.multiplier * max(1, seats),
	}
}
