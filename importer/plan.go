package importer

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sheet"
	"github.com/pdbulk/pdbulk/spec"
)

// Plan is what a job's rows cost: requests, daily-budget tokens, and how long the requests
// take at each plan's burst limit.
type Plan struct {
	Rows     int64 // rows that would be sent
	Requests int64
	Searches int64 // requests to search endpoints (their own, lower burst limit)
	Tokens   int64
}

// Plans are the burst limits of API tokens by Pipedrive plan (requests per 2 s).
var Plans = []struct {
	Name  string
	Limit int
}{{"Lite", 20}, {"Growth", 40}, {"Premium", 100}, {"Ultimate", 120}}

// searchLimit is the burst limit of search endpoints per 2 s (third-party reports).
const searchLimit = 10

// Duration estimates how long the plan's requests take at limit requests per 2 s.
func (p Plan) Duration(limit int) time.Duration {
	if limit <= 0 {
		return 0
	}
	all := time.Duration(float64(p.Requests) / float64(limit) * 2 * float64(time.Second))
	search := time.Duration(float64(p.Searches) / float64(min(limit, searchLimit)) * 2 * float64(time.Second))
	return max(all, search)
}

// String prints the plan for a summary.
func (p Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d rows to send: about %d requests (%d searches), %d tokens of the daily budget\n", p.Rows, p.Requests, p.Searches, p.Tokens)
	for _, pl := range Plans {
		fmt.Fprintf(&b, "  at %-8s (%3d requests/2 s): %s\n", pl.Name, pl.Limit, p.Duration(pl.Limit).Round(time.Second))
	}
	return b.String()
}

// planner accumulates a plan from the rows a run handles. Safe for concurrent use.
type planner struct {
	entity jobs.Entity
	// findOp names the search a row's find calls now: the client's choice between API v2
	// and v1 (which changes when it falls back), or the job's when there is no client.
	findOp func() string

	mu   sync.Mutex
	plan Plan
}

func newPlanner(j *jobs.Job) *planner { return newPlannerFor(j, nil) }

// newPlannerFor is newPlanner counting the search endpoints c calls for j (nil = the ones
// j's options.search_api names: v2 unless pinned to v1).
func newPlannerFor(j *jobs.Job, c *pipedrive.Client) *planner {
	api := searchAPI(j)
	return &planner{entity: j.Entity, findOp: func() string {
		if c == nil {
			return pipedrive.SearchOpFor(api != pipedrive.SearchV1, "leads")
		}
		return c.SearchOp(api, "leads")
	}}
}

type opCost struct{ create, update, del, find string }

// ops names, per entity, the operations a row's mode uses (see spec.Endpoints).
var ops = map[jobs.Entity]opCost{
	jobs.EntityLeads:      {"addLead", "updateLead", "deleteLead", "searchLeads"},
	jobs.EntityLeadLabels: {"addLeadLabel", "updateLeadLabel", "deleteLeadLabel", "getLeadLabels"},
	jobs.EntityFilters:    {"addFilter", "updateFilter", "deleteFilter", "getFilters"},
	jobs.EntityGoals:      {"addGoal", "updateGoal", "deleteGoal", "getGoals"},
	jobs.EntityTeams:      {"addTeam", "updateTeam", "", "getTeams"},
	jobs.EntityFiles:      {"addFile", "updateFile", "deleteFile", "getFiles"},
}

// addRow adds the requests a row in mode costs when all goes well.
func (p *planner) addRow(mode jobs.Mode) {
	o := ops[p.entity]
	var names []string
	switch mode {
	case jobs.ModeCreate:
		names = []string{o.create}
	case jobs.ModeUpdate, jobs.ModeUpsert:
		names = []string{p.find(o), o.update}
	case jobs.ModeDelete:
		names = []string{p.find(o), o.del}
	case jobs.ModeArchive:
		names = []string{p.find(o), o.update}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plan.Rows++
	for _, n := range names {
		p.addLocked(n)
	}
}

// find is the operation a row's find calls: for leads, the search the client calls now.
func (p *planner) find(o opCost) string {
	if p.entity == jobs.EntityLeads && p.findOp != nil {
		return p.findOp()
	}
	return o.find
}

// addLookup adds one lookup request (a cache miss of a resolver).
func (p *planner) addLookup(op string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.addLocked(op)
}

func (p *planner) addLocked(op string) {
	if op == "" {
		return
	}
	e := spec.ByOp(op)
	p.plan.Requests++
	p.plan.Tokens += int64(e.Cost)
	if strings.Contains(strings.ToLower(e.Op), "search") {
		p.plan.Searches++
	}
}

func (p *planner) snapshot() Plan {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.plan
}

// Estimate is the plan of sending rows rows of job j, lookups not counted.
func Estimate(j *jobs.Job, rows int) Plan {
	p := newPlanner(j)
	for range rows {
		p.addRow(j.Mode)
	}
	return p.snapshot()
}

// RemainingRows is how many rows of j its checkpoint does not record as finished: the rows
// a run (or a resume) still has to send; and how many data rows j's source has, which a
// caller can hand to Run (Options.SourceRows) so that the file is not counted twice.
func RemainingRows(ctx context.Context, j *jobs.Job, st *jobs.State) (remaining, total int, err error) {
	total, err = sheet.CountRowsContext(ctx, j.Source.Path, sourceOptions(j, false))
	if err != nil {
		return 0, 0, err
	}
	sum, ok, err := st.Job(ctx, j.Name)
	if err != nil || !ok {
		return total, total, err
	}
	return max(0, total-sum.Done-sum.Rejected), total, nil
}
