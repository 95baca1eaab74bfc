package importer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/mapping"
	"github.com/pdbulk/pdbulk/pipedrive"
)

// plannedLabelID stands in, during a dry run, for the id of a label that would be created.
const plannedLabelID = "00000000-0000-4000-8000-000000000000"

// resolver answers the mapping's lookups through the API and the checkpoint's id map. It is
// wrapped in mapping.NewCache, so each distinct key reaches it once per run.
type resolver struct {
	run *run

	mu     sync.Mutex
	labels map[string][]label // by name folded (mapping.FoldKey); loaded once, then kept up to date

	noConn sync.Once // says once that a dry run without a connection skips lookups
}

// unchecked stands in for a lookup a dry run without a connection cannot answer: the row is
// still read, mapped and checked in every other way.
func (rs *resolver) unchecked(lookup string) any {
	rs.noConn.Do(func() {
		if rs.run.o.Logf != nil {
			rs.run.o.Logf("no connection: lookups (%s, ...) are not checked in this dry run", lookup)
		}
	})
	if lookup == mapping.LookupLeadLabelName {
		return plannedLabelID
	}
	return int64(1)
}

// Resolve implements mapping.Resolver.
func (rs *resolver) Resolve(ctx context.Context, lookup, key string, create bool) (any, error) {
	r := rs.run
	if ent, ok := strings.CutPrefix(lookup, "ids."); ok {
		return rs.idMap(ctx, ent, key)
	}
	if r.o.Client == nil {
		if r.o.DryRun {
			return rs.unchecked(lookup), nil
		}
		return nil, &errUnsupported{fmt.Sprintf("lookup %s needs a connection to Pipedrive (set PIPEDRIVE_API_TOKEN, or use --sandbox)", lookup)}
	}
	switch lookup {
	case mapping.LookupLeadLabelName:
		return rs.label(ctx, key, create)
	case mapping.LookupPersonEmail:
		return rs.person(ctx, "email", key)
	case mapping.LookupPersonName:
		return rs.person(ctx, "name", key)
	case mapping.LookupOrganizationName:
		return rs.organization(ctx, key)
	}
	return nil, &errUnsupported{fmt.Sprintf("lookup %s is not supported by the Pipedrive API endpoints pdbulk uses", lookup)}
}

func (rs *resolver) idMap(ctx context.Context, entity, key string) (any, error) {
	st := rs.run.o.State
	if st == nil {
		return nil, &errUnsupported{"ids lookups need the checkpoint store"}
	}
	id, ok, err := st.LookupID(ctx, entity, key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("no %s imported with key %q (run the %s job first): %w", entity, key, entity, mapping.ErrNotFound)
	}
	switch entity {
	case "files", "filters", "teams":
		if n, ok := intOf(id); ok {
			return int64(n), nil
		}
	}
	return id, nil
}

// label is a lead label of the account, as label lookups compare them.
type label struct{ name, id string }

// label finds the lead label whose name folds (mapping.FoldKey: Unicode form, case, white
// space) to name's, and creates it (gray) when there is none and it is asked to. When several
// labels fold to name the lookup is ambiguous, naming them: none is picked and none created.
// A create is journaled in the checkpoint before it is sent, so that a label whose answer was
// lost, or whose run ended before the answer came, is found and adopted, never created twice
// (labeljournal.go).
func (rs *resolver) label(ctx context.Context, name string, create bool) (any, error) {
	r := rs.run
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.labels == nil {
		if err := rs.loadLabelsLocked(ctx); err != nil {
			return nil, err
		}
	}
	id, err := findLabel(rs.labels, name)
	if !create || !errors.Is(err, mapping.ErrNotFound) {
		if err == nil && create && !r.o.DryRun {
			// A create an earlier run sent without learning the id has landed: forget it.
			if ferr := rs.forgetLabelCreate(ctx, name, ""); ferr != nil {
				return nil, ferr
			}
		}
		return id, err
	}
	if r.o.DryRun {
		r.plan.addLookup("addLeadLabel")
		rs.addLabelLocked(name, plannedLabelID)
		return plannedLabelID, nil
	}
	if id, found, err := rs.adoptJournaledLabelLocked(ctx, name); found || err != nil {
		return id, err
	}
	c, err := rs.journalLabelCreate(ctx, name)
	if err != nil {
		return nil, err
	}
	l, _, err := r.o.Client.CreateLeadLabelRaw(ctx, map[string]any{"name": name, "color": "gray"})
	if err == nil {
		rs.addLabelLocked(name, l.ID)
		if ferr := rs.forgetLabelCreate(ctx, name, c.value); ferr != nil {
			return nil, ferr
		}
		return l.ID, nil
	}
	if !errors.Is(err, pipedrive.ErrInDoubt) {
		// The server did not take the create (validation, budget, not sent).
		if ferr := rs.forgetLabelCreate(ctx, name, c.value); ferr != nil {
			return nil, ferr
		}
		return nil, labelCreateError(name, err)
	}
	if ctx.Err() != nil {
		// Stopped before the answer: the journal entry stays, and the next run looks for
		// the label before it creates one.
		return nil, labelCreateError(name, err)
	}
	// The label may exist now or soon: look for it until the settle time has passed since
	// the send (a create the server itself answered with an error has finished: a second).
	deadline := c.sent.Add(r.o.SettleTime)
	var ide *pipedrive.InDoubtError
	if errors.As(err, &ide) && ide.Answered {
		deadline = time.Now().Add(min(r.o.SettleTime, answeredWait))
	}
	r.logf("lead label %q: create in doubt (%v); looking for it until %s", name, err, deadline.Format(time.RFC3339))
	id, ferr := rs.settleLabelLocked(ctx, name, deadline)
	switch {
	case errors.Is(ferr, mapping.ErrNotFound):
		// Not applied: the row is rejected; the entry stays, so a later row or run that
		// creates the label looks once more first.
		return nil, labelCreateError(name, err)
	case ferr != nil:
		return nil, ferr
	}
	if ferr := rs.forgetLabelCreate(ctx, name, c.value); ferr != nil {
		return nil, ferr
	}
	return id, nil
}

func (rs *resolver) addLabelLocked(name, id string) {
	k := mapping.FoldKey(name)
	rs.labels[k] = append(rs.labels[k], label{name: name, id: id})
}

func (rs *resolver) loadLabelsLocked(ctx context.Context) error {
	rs.run.plan.addLookup("getLeadLabels")
	labels, _, err := rs.run.o.Client.LeadLabels(ctx)
	if err != nil {
		return err
	}
	rs.labels = make(map[string][]label, len(labels))
	for _, l := range labels {
		rs.addLabelLocked(l.Name, l.ID)
	}
	return nil
}

// findLabel is the id of the one label of labels (by folded name) whose name folds to name's;
// an error matching mapping.ErrNotFound when there is none, mapping.ErrAmbiguous naming them
// when there are several.
func findLabel(labels map[string][]label, name string) (any, error) {
	found := labels[mapping.FoldKey(name)]
	switch len(found) {
	case 0:
		return nil, mapping.ErrNotFound
	case 1:
		return found[0].id, nil
	}
	named := make([]string, len(found))
	for i, l := range found {
		named[i] = fmt.Sprintf("%q (%s)", l.name, l.id)
	}
	return nil, fmt.Errorf("%d lead labels have a name that folds to %q: %s: %w", len(found), name, strings.Join(named, ", "), mapping.ErrAmbiguous)
}

// searchAPI is the search endpoints job j pins (options.search_api), as the client names them.
func searchAPI(j *jobs.Job) pipedrive.SearchAPI {
	switch j.Options.SearchAPI {
	case jobs.SearchAPIV1:
		return pipedrive.SearchV1
	case jobs.SearchAPIV2:
		return pipedrive.SearchV2
	}
	return pipedrive.SearchAuto
}

// person finds the one person whose field (email or name) equals key folded as a key
// (mapping.FoldKey: Unicode form, case, white space),
// through person search with exact match: API v2 /persons/search, or v1 /itemSearch
// (options.search_api, or the client's fall back).
func (rs *resolver) person(ctx context.Context, field, key string) (any, error) {
	r := rs.run
	api := searchAPI(r.job)
	// Counted once answered: a fall back to v1 on the way changes what it cost.
	defer func() { r.plan.addLookup(r.o.Client.SearchOp(api, "persons")) }()
	q := pipedrive.PersonSearchQuery{Term: key, Fields: []string{field}, ExactMatch: true}
	var ids []int64
	for hit, err := range r.o.Client.FindPersons(ctx, api, q) {
		if err != nil {
			return nil, err
		}
		it := hit.Item
		if (field == "email" && containsFold(it.Emails, key)) || (field == "name" && sameKey(it.Name, key)) {
			ids = append(ids, int64(it.ID))
		}
	}
	return oneID(ids, "person", field, key)
}

// organization finds the one organization whose name equals key folded as a key, through
// organization search with exact match (v2 /organizations/search, or v1 /itemSearch).
func (rs *resolver) organization(ctx context.Context, key string) (any, error) {
	r := rs.run
	api := searchAPI(r.job)
	// Counted once answered: a fall back to v1 on the way changes what it cost.
	defer func() { r.plan.addLookup(r.o.Client.SearchOp(api, "organizations")) }()
	q := pipedrive.OrganizationSearchQuery{Term: key, Fields: []string{"name"}, ExactMatch: true}
	var ids []int64
	for hit, err := range r.o.Client.FindOrganizations(ctx, api, q) {
		if err != nil {
			return nil, err
		}
		if sameKey(hit.Item.Name, key) {
			ids = append(ids, int64(hit.Item.ID))
		}
	}
	return oneID(ids, "organization", "name", key)
}

// oneID is the lookup's answer: the one id found, or why there is none.
func oneID(ids []int64, itemType, field, key string) (any, error) {
	switch len(ids) {
	case 0:
		return nil, mapping.ErrNotFound
	case 1:
		return ids[0], nil
	}
	return nil, fmt.Errorf("%d %ss have %s %q: %w", len(ids), itemType, field, key, mapping.ErrAmbiguous)
}

// sameKey reports whether a and b are the same key (mapping.FoldKey).
func sameKey(a, b string) bool { return mapping.FoldKey(a) == mapping.FoldKey(b) }

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if sameKey(v, s) {
			return true
		}
	}
	return false
}
