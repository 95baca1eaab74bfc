package importer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pdbulk/pdbulk/mapping"
	"github.com/pdbulk/pdbulk/pipedrive"
)

// Search lags behind writes: a lead added or renamed seconds before an upsert row looks
// for it is not in the index yet, and the row would create it a second time. leadsRemote.find
// therefore confirms a search that found nothing against recentLeads, a view of the leads
// updated within the lag, read from a list that is consistent at once (GET /leads sorted by
// update_time, newest first). The view is shared by every worker of a run and refreshed
// incrementally, at most every recentLeadsEvery: a run lists a page or two every few seconds,
// never once per row.

const (
	// recentLeadsWindow is how far back the view reaches: the lag search is assumed to stay
	// within, the time a create in doubt is looked for (DefaultSettleTime). A lead last
	// updated earlier is in the index, and search finds it.
	recentLeadsWindow = DefaultSettleTime
	// recentLeadsEvery is the least time between two refreshes of the view. A lead updated
	// by someone else less than this before a row looked for it may still be missed.
	recentLeadsEvery = 2 * time.Second
	// recentLeadsOverlap is how far before the newest lead the last refresh read the next
	// one reads again: a write stamped just before that lead may commit just after the read.
	recentLeadsOverlap = time.Second
)

// recentLead is what the view keeps of one lead: what find compares, as it compares a
// search hit.
type recentLead struct {
	key         string // mapping.FoldKey of the title
	person, org int    // person_id, organization_id; 0 when none
	updated     time.Time
}

// recentLeads is a run's view of the leads added or updated within recentLeadsWindow, by the
// server's clock. Safe for concurrent use: one refresh runs at a time, and a caller that finds
// one running waits for it (or for its ctx) and uses what it read.
type recentLeads struct {
	c *pipedrive.Client

	// lock is held by the one caller reading or refreshing the view; a channel, so that a
	// caller waiting behind a refresh gives up with its ctx.
	lock chan struct{}
	// refreshed is our time when the last refresh began; zero before the first.
	refreshed time.Time
	// newest is the update_time of the newest lead the refreshes read: the next refresh
	// stops at the first lead older than it.
	newest time.Time
	byID   map[string]recentLead
	byKey  map[string]map[string]bool // title key → ids

	ownMu sync.Mutex
	// own holds the ids of the leads this run created: a later row never matches them
	// through the view (rows of one key are rejected as duplicates before any request, and
	// search decides about the run's own leads as it did).
	own map[string]bool
}

func newRecentLeads(c *pipedrive.Client) *recentLeads {
	return &recentLeads{c: c, lock: make(chan struct{}, 1), byID: map[string]recentLead{}, byKey: map[string]map[string]bool{}, own: map[string]bool{}}
}

func (v *recentLeads) acquire(ctx context.Context) error {
	select {
	case v.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (v *recentLeads) release() { <-v.lock }

// created records that this run created lead id.
func (v *recentLeads) created(id string) {
	v.ownMu.Lock()
	defer v.ownMu.Unlock()
	v.own[id] = true
}

func (v *recentLeads) isOwn(id string) bool {
	v.ownMu.Lock()
	defer v.ownMu.Unlock()
	return v.own[id]
}

// find returns the ids of the leads of the view, other than skip and this run's own, whose
// title folds to key and, when non-zero, whose person and organization are person and org,
// refreshing the view first when the last refresh began recentLeadsEvery ago or more.
func (v *recentLeads) find(ctx context.Context, key string, person, org int, skip map[string]bool) ([]string, error) {
	if err := v.acquire(ctx); err != nil {
		return nil, err
	}
	defer v.release()
	if time.Since(v.refreshed) >= recentLeadsEvery { // a zero time is long past
		if err := v.refreshLocked(ctx); err != nil {
			return nil, err
		}
	}
	var ids []string
	for id := range v.byKey[key] {
		l := v.byID[id]
		if skip[id] || v.isOwn(id) || (person != 0 && l.person != person) || (org != 0 && l.org != org) {
			continue
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// serverNow is the server's time now, as early as the Date headers allow; without one yet,
// earlier by unknownClockSkew, so that the window reaches back far enough.
func (v *recentLeads) serverNow() time.Time {
	now, ok := v.c.ServerTime(time.Now())
	if !ok {
		now = now.Add(-unknownClockSkew)
	}
	return now
}

// refreshLocked reads the leads updated since the last refresh, newest first, down to the
// first lead older than the newest the refreshes read (less recentLeadsOverlap; the first
// refresh: older than the window), then forgets the leads that left the window. v.lock must be held.
func (v *recentLeads) refreshLocked(ctx context.Context) error {
	began := time.Now()
	floor := v.serverNow().Add(-recentLeadsWindow)
	stop := v.newest.Add(-recentLeadsOverlap)
	if stop.Before(floor) {
		stop = floor
	}
	var newest time.Time
	// updated_since spares the pages of older leads; the list is still read down to the
	// first lead older than stop, whatever the server did with it (whole seconds: the
	// parameter's documented form).
	q := pipedrive.LeadsQuery{Sort: "update_time DESC", Limit: max(recentLeadsPage, recentPage),
		UpdatedSince: stop.UTC().Truncate(time.Second).Format(time.RFC3339)}
read:
	for {
		list, page, _, err := v.c.ListLeads(ctx, q)
		if err != nil {
			return err
		}
		for _, l := range list {
			updated, after, ok := addedSince(l.UpdateTime, stop)
			if !ok {
				continue // nothing shows it is recent
			}
			if !after {
				break read
			}
			if newest.IsZero() {
				newest = updated
			}
			v.putLocked(l, updated)
		}
		if !page.More {
			break
		}
		if page.NextStart <= q.Start {
			return fmt.Errorf("GET /leads: pagination does not advance past start %d", q.Start)
		}
		q.Start = page.NextStart
	}
	v.refreshed = began
	if newest.After(v.newest) {
		v.newest = newest
	}
	for id, l := range v.byID {
		if l.updated.Before(floor) {
			v.dropLocked(id)
		}
	}
	return nil
}

func (v *recentLeads) putLocked(l pipedrive.Lead, updated time.Time) {
	v.dropLocked(l.ID)
	r := recentLead{key: mapping.FoldKey(l.Title), updated: updated}
	if l.PersonID != nil {
		r.person = *l.PersonID
	}
	if l.OrganizationID != nil {
		r.org = *l.OrganizationID
	}
	v.byID[l.ID] = r
	if v.byKey[r.key] == nil {
		v.byKey[r.key] = map[string]bool{}
	}
	v.byKey[r.key][l.ID] = true
}

func (v *recentLeads) dropLocked(id string) {
	old, ok := v.byID[id]
	if !ok {
		return
	}
	delete(v.byID, id)
	if ids := v.byKey[old.key]; ids != nil {
		delete(ids, id)
		if len(ids) == 0 {
			delete(v.byKey, old.key)
		}
	}
}
