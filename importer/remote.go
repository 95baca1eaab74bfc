package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
)

// remote performs one entity's operations through the client. Every method is safe for
// concurrent use.
type remote interface {
	// create sends one create and returns the new record's id.
	create(ctx context.Context, payload map[string]any) (string, error)
	update(ctx context.Context, id string, payload map[string]any) error
	remove(ctx context.Context, id string) error
	archive(ctx context.Context, id string) error
	// find returns the ids of the records whose fields equal every entry of match
	// (payload path → mapped value), in a stable order.
	find(ctx context.Context, match map[string]any) ([]string, error)
	// exists reports whether the record with id exists.
	exists(ctx context.Context, id string) (bool, error)
}

func newRemote(j *jobs.Job, c *pipedrive.Client) remote {
	switch j.Entity {
	case jobs.EntityLeads:
		return &leadsRemote{c: c}
	case jobs.EntityLeadLabels:
		return &labelsRemote{c: c}
	case jobs.EntityFilters:
		return &filtersRemote{c: c}
	case jobs.EntityGoals:
		return &goalsRemote{c: c}
	case jobs.EntityTeams:
		return &teamsRemote{c: c}
	case jobs.EntityFiles:
		return &filesRemote{c: c, job: j}
	}
	return nil
}

// errUnsupported is a job-level error: the API has no such operation for the entity.
type errUnsupported struct{ what string }

func (e *errUnsupported) Error() string { return e.what }

// record turns a typed API object into the map its JSON makes, for comparing fields.
func record(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	err = json.Unmarshal(b, &m)
	return m, err
}

// matches reports whether rec holds every value of match (paths are dot-separated).
func matches(rec, match map[string]any) bool {
	for path, want := range match {
		if !sameValue(lookupPath(rec, path), want) {
			return false
		}
	}
	return true
}

func lookupPath(m map[string]any, path string) any {
	var cur any = m
	for _, part := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[part]
	}
	return cur
}

// sameValue compares a value read back from the API with a mapped one: numbers by value,
// ids as text, lists in any order.
func sameValue(got, want any) bool {
	return canonical(got) == canonical(want)
}

func canonical(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "s:" + x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return "n:" + strconv.FormatInt(int64(x), 10)
		}
		return "n:" + strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return canonical(float64(x))
	case int:
		return "n:" + strconv.Itoa(x)
	case int64:
		return "n:" + strconv.FormatInt(x, 10)
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return canonical(f)
		}
		return "s:" + x.String()
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = canonical(e)
		}
		sort.Strings(parts)
		return "[" + strings.Join(parts, ",") + "]"
	case []string:
		parts := make([]any, len(x))
		for i, e := range x {
			parts[i] = e
		}
		return canonical(parts)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("{")
		for _, k := range keys {
			b.WriteString(k + "=" + canonical(x[k]) + ";")
		}
		b.WriteString("}")
		return b.String()
	}
	b, _ := json.Marshal(v)
	return "j:" + string(b)
}

// filterRecords returns the ids of recs that match, sorted for a stable choice.
func filterRecords[T any](items []T, id func(T) string, match map[string]any) ([]string, error) {
	var ids []string
	for _, it := range items {
		rec, err := record(it)
		if err != nil {
			return nil, err
		}
		if matches(rec, match) {
			ids = append(ids, id(it))
		}
	}
	sort.Strings(ids)
	return ids, nil
}

func intOf(v any) (int, bool) {
	switch x := v.(type) {
	case float64:
		return int(x), x == math.Trunc(x)
	case int:
		return x, true
	case int64:
		return int(x), true
	case string:
		n, err := strconv.Atoi(x)
		return n, err == nil
	}
	return 0, false
}

func idText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	if n, ok := intOf(v); ok {
		return strconv.Itoa(n)
	}
	return fmt.Sprint(v)
}

// ---- leads ----

type leadsRemote struct{ c *pipedrive.Client }

func (r *leadsRemote) create(ctx context.Context, p map[string]any) (string, error) {
	l, _, err := r.c.CreateLeadRaw(ctx, p)
	return l.ID, err
}

func (r *leadsRemote) update(ctx context.Context, id string, p map[string]any) error {
	_, _, err := r.c.UpdateLeadRaw(ctx, id, p)
	return err
}

func (r *leadsRemote) remove(ctx context.Context, id string) error {
	_, _, err := r.c.DeleteLead(ctx, id)
	return err
}

func (r *leadsRemote) archive(ctx context.Context, id string) error {
	_, _, err := r.c.UpdateLeadRaw(ctx, id, map[string]any{"is_archived": true})
	return err
}

func (r *leadsRemote) exists(ctx context.Context, id string) (bool, error) {
	return existsBy(func() error { _, _, err := r.c.Lead(ctx, id); return err })
}

func existsBy(get func() error) (bool, error) {
	err := get()
	switch {
	case err == nil:
		return true, nil
	case isNotFound(err):
		return false, nil
	}
	return false, err
}

// find looks leads up by title through search (narrowed by person and organization when
// matched on), then compares every matched field with the lead itself.
func (r *leadsRemote) find(ctx context.Context, match map[string]any) ([]string, error) {
	person, _ := intOf(match["person_id"])
	org, _ := intOf(match["organization_id"])
	var candidates []string
	if title, ok := match["title"].(string); ok && title != "" {
		q := pipedrive.LeadSearchQuery{Term: title, Fields: []string{"title"}, ExactMatch: true, PersonID: person, OrganizationID: org}
		for hit, err := range r.c.AllSearchLeads(ctx, q) {
			if err != nil {
				return nil, err
			}
			if hit.Item.Title == title {
				candidates = append(candidates, hit.Item.ID)
			}
		}
	} else if person != 0 || org != 0 {
		for l, err := range r.c.AllLeads(ctx, pipedrive.LeadsQuery{PersonID: person, OrganizationID: org}) {
			if err != nil {
				return nil, err
			}
			candidates = append(candidates, l.ID)
		}
	} else {
		return nil, &errUnsupported{"leads are found by title, person_id or organization_id: put one of them in match_on"}
	}
	var ids []string
	for _, id := range candidates {
		l, _, err := r.c.Lead(ctx, id)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		rec, err := record(l)
		if err != nil {
			return nil, err
		}
		if matches(rec, match) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// ---- lead labels ----

type labelsRemote struct{ c *pipedrive.Client }

func (r *labelsRemote) create(ctx context.Context, p map[string]any) (string, error) {
	l, _, err := r.c.CreateLeadLabelRaw(ctx, p)
	return l.ID, err
}

func (r *labelsRemote) update(ctx context.Context, id string, p map[string]any) error {
	_, _, err := r.c.UpdateLeadLabelRaw(ctx, id, p)
	return err
}

func (r *labelsRemote) remove(ctx context.Context, id string) error {
	_, err := r.c.DeleteLeadLabel(ctx, id)
	return err
}

func (r *labelsRemote) archive(context.Context, string) error {
	return &errUnsupported{"lead labels cannot be archived"}
}

func (r *labelsRemote) exists(ctx context.Context, id string) (bool, error) {
	ids, err := r.find(ctx, map[string]any{"id": id})
	return len(ids) > 0, err
}

func (r *labelsRemote) find(ctx context.Context, match map[string]any) ([]string, error) {
	labels, _, err := r.c.LeadLabels(ctx)
	if err != nil {
		return nil, err
	}
	return filterRecords(labels, func(l pipedrive.LeadLabel) string { return l.ID }, match)
}
