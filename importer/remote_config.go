package importer

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/pdbulk/pdbulk/pipedrive"
)

func intID(id string) (int, error) {
	n, err := strconv.Atoi(id)
	if err != nil {
		return 0, fmt.Errorf("id %q is not a number", id)
	}
	return n, nil
}

// ---- filters ----

type filtersRemote struct{ c *pipedrive.Client }

func (r *filtersRemote) create(ctx context.Context, p map[string]any) (string, error) {
	f, _, err := r.c.CreateFilterRaw(ctx, p)
	return strconv.Itoa(f.ID), err
}

func (r *filtersRemote) update(ctx context.Context, id string, p map[string]any) error {
	n, err := intID(id)
	if err != nil {
		return err
	}
	_, _, err = r.c.UpdateFilterRaw(ctx, n, p)
	return err
}

func (r *filtersRemote) remove(ctx context.Context, id string) error {
	n, err := intID(id)
	if err != nil {
		return err
	}
	_, err = r.c.DeleteFilter(ctx, n)
	return err
}

func (r *filtersRemote) archive(context.Context, string) error {
	return &errUnsupported{"filters cannot be archived"}
}

func (r *filtersRemote) exists(ctx context.Context, id string) (bool, error) {
	n, err := intID(id)
	if err != nil {
		return false, nil
	}
	return existsBy(func() error { _, _, err := r.c.Filter(ctx, n); return err })
}

func (r *filtersRemote) find(ctx context.Context, match map[string]any) ([]string, error) {
	typ, _ := match["type"].(string)
	filters, _, err := r.c.Filters(ctx, typ)
	if err != nil {
		return nil, err
	}
	// The conditions come back normalized by the server; filters are told apart by the
	// other fields.
	m := make(map[string]any, len(match))
	for k, v := range match {
		if k != "conditions" {
			m[k] = v
		}
	}
	return filterRecords(filters, func(f pipedrive.Filter) string { return strconv.Itoa(f.ID) }, m)
}

// ---- goals ----

type goalsRemote struct{ c *pipedrive.Client }

func (r *goalsRemote) create(ctx context.Context, p map[string]any) (string, error) {
	g, _, err := r.c.CreateGoalRaw(ctx, p)
	return g.ID, err
}

func (r *goalsRemote) update(ctx context.Context, id string, p map[string]any) error {
	_, _, err := r.c.UpdateGoalRaw(ctx, id, p)
	return err
}

func (r *goalsRemote) remove(ctx context.Context, id string) error {
	_, err := r.c.DeleteGoal(ctx, id)
	return err
}

func (r *goalsRemote) archive(context.Context, string) error {
	return &errUnsupported{"goals cannot be archived"}
}

func (r *goalsRemote) exists(ctx context.Context, id string) (bool, error) {
	ids, err := r.find(ctx, map[string]any{"id": id})
	return len(ids) > 0, err
}

func (r *goalsRemote) find(ctx context.Context, match map[string]any) ([]string, error) {
	q := pipedrive.GoalQuery{}
	if t, ok := match["title"].(string); ok {
		q.Title = t
	}
	if t, ok := lookupPath(match, "type").(map[string]any); ok {
		q.TypeName, _ = t["name"].(string)
	}
	if n, ok := match["type.name"].(string); ok {
		q.TypeName = n
	}
	goals, _, err := r.c.FindGoals(ctx, q)
	if err != nil {
		return nil, err
	}
	return filterRecords(goals, func(g pipedrive.Goal) string { return g.ID }, match)
}

// ---- legacy teams ----

type teamsRemote struct{ c *pipedrive.Client }

func (r *teamsRemote) create(ctx context.Context, p map[string]any) (string, error) {
	t, _, err := r.c.CreateTeamRaw(ctx, p)
	return strconv.Itoa(t.ID), err
}

func (r *teamsRemote) update(ctx context.Context, id string, p map[string]any) error {
	_, err := r.c.Call(ctx, "updateTeam", []string{id}, nil, p, nil)
	return err
}

func (r *teamsRemote) remove(context.Context, string) error {
	return &errUnsupported{"the API cannot delete legacy teams"}
}

func (r *teamsRemote) archive(context.Context, string) error {
	return &errUnsupported{"legacy teams cannot be archived"}
}

func (r *teamsRemote) exists(ctx context.Context, id string) (bool, error) {
	n, err := intID(id)
	if err != nil {
		return false, nil
	}
	return existsBy(func() error { _, _, err := r.c.Team(ctx, n, true); return err })
}

func (r *teamsRemote) find(ctx context.Context, match map[string]any) ([]string, error) {
	teams, _, err := r.c.Teams(ctx, pipedrive.TeamsQuery{SkipUsers: true})
	if err != nil {
		return nil, err
	}
	m := make(map[string]any, len(match))
	for k, v := range match {
		if k != "users" { // users are not listed with skip_users
			m[k] = v
		}
	}
	return filterRecords(teams, func(t pipedrive.Team) string { return strconv.Itoa(t.ID) }, m)
}

func (r *filtersRemote) dated() bool { return true }

func (r *filtersRemote) recent(ctx context.Context, ident map[string]any, since time.Time) ([]candidate, error) {
	typ, _ := ident["type"].(string)
	filters, _, err := r.c.Filters(ctx, typ)
	if err != nil {
		return nil, err
	}
	return recentOf(filters, func(f pipedrive.Filter) string { return strconv.Itoa(f.ID) }, func(f pipedrive.Filter) string { return f.AddTime }, ident, since)
}

func (r *filtersRemote) added(ctx context.Context, id string) (time.Time, time.Duration, error) {
	n, err := intID(id)
	if err != nil {
		return time.Time{}, 0, err
	}
	f, _, err := r.c.Filter(ctx, n)
	return addedOf(f.AddTime, err)
}

// Goals carry no add_time: a goal in doubt is told from older ones by the list of matching
// goals taken before its first create (doubt.before).
func (r *goalsRemote) dated() bool { return false }

func (r *goalsRemote) recent(ctx context.Context, ident map[string]any, _ time.Time) ([]candidate, error) {
	ids, err := r.find(ctx, ident)
	if err != nil {
		return nil, err
	}
	out := make([]candidate, len(ids))
	for i, id := range ids {
		out[i] = candidate{id: id}
	}
	return out, nil
}

func (r *goalsRemote) added(ctx context.Context, id string) (time.Time, time.Duration, error) {
	found, err := r.exists(ctx, id)
	if err == nil && !found {
		err = fmt.Errorf("goal %s: %w", id, pipedrive.ErrNotFound)
	}
	return time.Time{}, 0, err
}

func (r *teamsRemote) dated() bool { return true }

func (r *teamsRemote) recent(ctx context.Context, ident map[string]any, since time.Time) ([]candidate, error) {
	teams, _, err := r.c.Teams(ctx, pipedrive.TeamsQuery{SkipUsers: true})
	if err != nil {
		return nil, err
	}
	return recentOf(teams, func(t pipedrive.Team) string { return strconv.Itoa(t.ID) }, func(t pipedrive.Team) string { return t.AddTime }, ident, since)
}

func (r *teamsRemote) added(ctx context.Context, id string) (time.Time, time.Duration, error) {
	n, err := intID(id)
	if err != nil {
		return time.Time{}, 0, err
	}
	t, _, err := r.c.Team(ctx, n, true)
	return addedOf(t.AddTime, err)
}
