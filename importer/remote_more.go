package importer

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"github.com/pdbulk/pdbulk/jobs"
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

// ---- files ----

// filesRemote uploads files from the job's files root. The payload's "file" is the path
// from the sheet, relative to the root; it is opened inside the root only (jobs.OpenFile).
type filesRemote struct {
	c   *pipedrive.Client
	job *jobs.Job
}

func (r *filesRemote) create(ctx context.Context, p map[string]any) (string, error) {
	rel, _ := p["file"].(string)
	up := pipedrive.Upload{
		Name: filepath.Base(filepath.FromSlash(rel)),
		Open: func() (io.ReadCloser, error) { return r.job.OpenFile(rel) },
	}
	up.DealID, _ = intOf(p["deal_id"])
	up.PersonID, _ = intOf(p["person_id"])
	up.OrgID, _ = intOf(p["org_id"])
	up.ProductID, _ = intOf(p["product_id"])
	up.ActivityID, _ = intOf(p["activity_id"])
	up.LeadID, _ = p["lead_id"].(string)
	f, _, err := r.c.UploadFile(ctx, up)
	return strconv.Itoa(f.ID), err
}

func (r *filesRemote) update(ctx context.Context, id string, p map[string]any) error {
	n, err := intID(id)
	if err != nil {
		return err
	}
	var in pipedrive.FileUpdate
	in.Name, _ = p["name"].(string)
	in.Description, _ = p["description"].(string)
	_, _, err = r.c.UpdateFile(ctx, n, in)
	return err
}

func (r *filesRemote) remove(ctx context.Context, id string) error {
	n, err := intID(id)
	if err != nil {
		return err
	}
	_, err = r.c.DeleteFile(ctx, n)
	return err
}

func (r *filesRemote) archive(context.Context, string) error {
	return &errUnsupported{"files cannot be archived"}
}

func (r *filesRemote) exists(ctx context.Context, id string) (bool, error) {
	n, err := intID(id)
	if err != nil {
		return false, nil
	}
	var active bool
	found, err := existsBy(func() error {
		f, _, err := r.c.File(ctx, n)
		active = f.ActiveFlag
		return err
	})
	return found && active, err
}

// find lists the files and compares: the sheet's path is compared by its base name with
// the stored file name.
func (r *filesRemote) find(ctx context.Context, match map[string]any) ([]string, error) {
	m := make(map[string]any, len(match))
	for k, v := range match {
		if k == "file" {
			s, _ := v.(string)
			m["file_name"] = filepath.Base(filepath.FromSlash(s))
			continue
		}
		m[k] = v
	}
	m["active_flag"] = true
	var ids []string
	for f, err := range r.c.AllFiles(ctx, pipedrive.FilesQuery{}) {
		if err != nil {
			return nil, err
		}
		rec, err := record(f)
		if err != nil {
			return nil, err
		}
		if matches(rec, m) {
			ids = append(ids, strconv.Itoa(f.ID))
		}
	}
	return ids, nil
}
