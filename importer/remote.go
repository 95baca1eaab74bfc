package importer

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/mapping"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/spec"
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
	// recent returns the records added at or after since (by the server's clock) whose
	// fields match ident in their stored form, oldest first. It reads lists that are
	// consistent at once, never search, whose index lags behind writes. For an entity
	// that is not dated, since is ignored and every matching record is returned.
	recent(ctx context.Context, ident map[string]any, since time.Time) ([]candidate, error)
	// dated reports whether the entity's records carry an add_time.
	dated() bool
	// added returns the add_time of record id and its precision (zero for an entity that
	// is not dated); a missing record is an error matching pipedrive.ErrNotFound.
	added(ctx context.Context, id string) (time.Time, time.Duration, error)
}

// candidate is a record that a create in doubt may have made.
type candidate struct {
	id        string
	added     time.Time     // add_time, by the server's clock
	precision time.Duration // of added: a second when the API truncated it
}

// after reports whether the record may have been added at or after since.
func (c candidate) after(since time.Time) bool { return c.added.Add(c.precision).After(since) }

// recentOf picks out of items those added at or after since that match ident, oldest
// first. A record whose add_time cannot be read is left out: nothing shows it is new.
func recentOf[T any](items []T, id func(T) string, addTime func(T) string, ident map[string]any, since time.Time) ([]candidate, error) {
	var out []candidate
	for _, it := range items {
		added, after, ok := addedSince(addTime(it), since)
		if !ok || !after {
			continue
		}
		rec, err := record(it)
		if err != nil {
			return nil, err
		}
		if matches(rec, ident) {
			out = append(out, candidate{id: id(it), added: added, precision: precisionOf(addTime(it))})
		}
	}
	sortCandidates(out)
	return out, nil
}

func sortCandidates(c []candidate) {
	sort.SliceStable(c, func(i, j int) bool { return c[i].added.Before(c[j].added) })
}

// addedOf reads the add_time a record's get returned, and its precision.
func addedOf(s string, err error) (time.Time, time.Duration, error) {
	if err != nil {
		return time.Time{}, 0, err
	}
	t, precision, ok := parseAddTime(s)
	if !ok {
		return time.Time{}, 0, fmt.Errorf("add_time %q is not a time", s)
	}
	return t, precision, nil
}

func newRemote(j *jobs.Job, c *pipedrive.Client) remote {
	switch j.Entity {
	case jobs.EntityLeads:
		return &leadsRemote{c: c, api: searchAPI(j), view: newRecentLeads(c)}
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

// filterRecords returns the ids of recs that match (keyMatches: text folded as keys), sorted
// for a stable choice.
func filterRecords[T any](items []T, id func(T) string, match map[string]any) ([]string, error) {
	var ids []string
	for _, it := range items {
		rec, err := record(it)
		if err != nil {
			return nil, err
		}
		if keyMatches(rec, match) {
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

type leadsRemote struct {
	c   *pipedrive.Client
	api pipedrive.SearchAPI // the search endpoints find calls (options.search_api)
	// view holds the leads updated within search's lag, shared by the run's workers: find
	// confirms with it a search that found nothing (recentleads.go).
	view *recentLeads
}

func (r *leadsRemote) create(ctx context.Context, p map[string]any) (string, error) {
	l, _, err := r.c.CreateLeadRaw(ctx, p)
	if err == nil && r.view != nil {
		r.view.created(l.ID)
	}
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
// matched on), then compares every matched field with the lead itself, text folded as keys
// (keyMatches). Search with exact_match ignores case but not the Unicode form of a letter nor
// the runs of white space inside a title, so the title is searched in each form that differs
// (as written, NFC, NFD, inner white space collapsed: a title in plain ASCII with single
// spaces costs one search). A stored title whose inner spacing differs from every one of
// those forms ("Big  Space Deal" for a row's "Big Space Deal") is not found: a search by word
// would find it, at one more search for every row an upsert creates, which would double the
// search cost of a first run. Every lead the row's title folds to is returned: several are
// the row's to reject as ambiguous, never one picked.
//
// Search lags behind writes (up to recentLeadsWindow): a lead added or renamed by someone
// else seconds ago is not in its index. When search found no lead for the row, find
// confirms with the run's view of the leads updated within the lag (recentLeads, read from
// GET /leads sorted by update_time, consistent at once), compared as search hits are; the
// leads this run created are left out of the view. Only rows that search found nothing for
// consult the view, and it is listed at most every recentLeadsEvery, not once per row.
func (r *leadsRemote) find(ctx context.Context, match map[string]any) ([]string, error) {
	person, _ := intOf(match["person_id"])
	org, _ := intOf(match["organization_id"])
	var candidates []string
	var key string
	seen := map[string]bool{}
	titled := false
	if title, ok := match["title"].(string); ok && strings.TrimSpace(title) != "" {
		titled = true
		key = mapping.FoldKey(title)
		for _, term := range titleTerms(title) {
			q := pipedrive.LeadSearchV2Query{Term: term, Fields: []string{"title"}, ExactMatch: true, PersonID: person, OrganizationID: org}
			for hit, err := range r.c.FindLeads(ctx, r.api, q) {
				if err != nil {
					return nil, err
				}
				if id := hit.Item.ID; !seen[id] && mapping.FoldKey(hit.Item.Title) == key {
					seen[id] = true
					candidates = append(candidates, id)
				}
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
	ids, err := r.confirm(ctx, candidates, match)
	if err != nil || len(ids) > 0 || !titled || r.view == nil {
		return ids, err
	}
	// Search's candidates were read again just now: the view's copy of them is no fresher.
	recent, err := r.view.find(ctx, key, person, org, seen)
	if err != nil || len(recent) == 0 {
		return nil, err
	}
	return r.confirm(ctx, recent, match)
}

// confirm reads each candidate lead and returns, sorted, the ids of those that exist and
// whose fields match (keyMatches).
func (r *leadsRemote) confirm(ctx context.Context, candidates []string, match map[string]any) ([]string, error) {
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
		if keyMatches(rec, match) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// titleTerms are the distinct forms of title an exact search is asked for: as written
// (trimmed), NFC, NFD, and with inner white space collapsed. A title in plain ASCII with
// single spaces has one.
func titleTerms(title string) []string {
	t := strings.TrimSpace(title)
	var out []string
	for _, s := range []string{t, norm.NFC.String(t), norm.NFD.String(t), strings.Join(strings.Fields(norm.NFC.String(t)), " ")} {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func (r *leadsRemote) dated() bool { return true }

func (r *leadsRemote) added(ctx context.Context, id string) (time.Time, time.Duration, error) {
	l, _, err := r.c.Lead(ctx, id)
	return addedOf(l.AddTime, err)
}

// recentPage is the page size of the newest-first lists read by recent.
const recentPage = 100

// recentLeadsPage is the size of the pages of leads a lookup reads after its first: most
// lookups end within the first page, but one made while a run creates at the account's
// limit goes back past every lead added since the row was first sent (a few seconds of
// the run, hundreds of leads), and pages of the most GET /leads allows cost it five times
// fewer requests.
var recentLeadsPage = spec.ByOp("getLeads").MaxLimit

// recent reads the leads newest first (GET /leads sorted by add_time, narrowed by person
// or organization when ident has one) down to the first lead added before since.
func (r *leadsRemote) recent(ctx context.Context, ident map[string]any, since time.Time) ([]candidate, error) {
	q := pipedrive.LeadsQuery{Sort: "add_time DESC", Limit: recentPage}
	q.PersonID, _ = intOf(ident["person_id"])
	q.OrganizationID, _ = intOf(ident["organization_id"])
	var out []candidate
	for {
		list, page, _, err := r.c.ListLeads(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, l := range list {
			added, after, ok := addedSince(l.AddTime, since)
			if ok && !after {
				sortCandidates(out)
				return out, nil
			}
			rec, err := record(l)
			if err != nil {
				return nil, err
			}
			if ok && matches(rec, ident) {
				out = append(out, candidate{id: l.ID, added: added, precision: precisionOf(l.AddTime)})
			}
		}
		if !page.More {
			break
		}
		if page.NextStart <= q.Start {
			return nil, fmt.Errorf("GET /leads: pagination does not advance past start %d", q.Start)
		}
		q.Start, q.Limit = page.NextStart, max(recentLeadsPage, recentPage)
	}
	sortCandidates(out)
	return out, nil
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

func (r *labelsRemote) dated() bool { return true }

func (r *labelsRemote) recent(ctx context.Context, ident map[string]any, since time.Time) ([]candidate, error) {
	labels, _, err := r.c.LeadLabels(ctx)
	if err != nil {
		return nil, err
	}
	return recentOf(labels, func(l pipedrive.LeadLabel) string { return l.ID }, func(l pipedrive.LeadLabel) string { return l.AddTime }, ident, since)
}

func (r *labelsRemote) added(ctx context.Context, id string) (time.Time, time.Duration, error) {
	labels, _, err := r.c.LeadLabels(ctx)
	if err != nil {
		return time.Time{}, 0, err
	}
	for _, l := range labels {
		if l.ID == id {
			return addedOf(l.AddTime, nil)
		}
	}
	return time.Time{}, 0, fmt.Errorf("lead label %s: %w", id, pipedrive.ErrNotFound)
}
