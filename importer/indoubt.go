package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
)

// A create whose answer was lost (a timeout, a reset, a 5xx, a proxy's 520–524, an
// unknown status) may or may not have made its record. It is never sent again blindly:
//
//  1. The record is looked for in a list that is consistent at once, newest first (leads
//     sorted by add_time; never search, whose index lags behind writes).
//  2. A record is adopted only if its fields match the row's in the form the server stores
//     them (match.go), it was added after the row first went in flight (by the server's
//     clock, learnt from the Date headers; an add_time truncated to the second counts from
//     the end of its second), and no row of any job holds it (claimBook). Records that
//     existed before cannot be taken.
//  3. "Not found" is not proof: a create the client gave up on can still be running on the
//     server. pdbulk looks again after 1, 2, 4, 8… seconds until Options.SettleTime (30 s)
//     has passed since the failure, and only then sends the create again. A create the
//     server itself answered with an error (500, 503) has finished: it is looked for at once
//     and once more a second later. A row an earlier run left in flight is looked for until
//     the settle time has passed since it was sent (at least once).
//  4. While a row of some identity is being reconciled, no other row of the same identity
//     sends its create, and the reconciliation waits for those already sent: a record whose
//     answer is on its way is never adopted by another row.
//  5. The id of every created or adopted record is claimed in the checkpoint before the
//     row is marked done.

const (
	// DefaultSettleTime is how long after a create failed without a usable answer pdbulk
	// keeps looking for its record before it sends the create again (Options.SettleTime).
	DefaultSettleTime = 30 * time.Second
	// answeredWait is how long a create the server answered with an error is looked for.
	answeredWait = time.Second
	// firstLookStep is the wait before the second lookup; each next wait doubles.
	firstLookStep = time.Second
	// unknownClockSkew bounds the clock difference assumed while no answer has told the
	// server's time (no Date header yet).
	unknownClockSkew = time.Minute
)

// maxCreateAttempts bounds how often one row's create is sent when every answer is lost:
// each resend comes only after the record was looked for until the settle time had passed.
// The bound only gives up on a server that never takes the create: with 4, a server that
// fails 12% of creates without taking them (5xx, resets) rejected about one valid row in
// 5,000 (0.12^4); with 8, about one in 20 million.
const maxCreateAttempts = 8

// doubt is what reconciling one row's create needs.
type doubt struct {
	t     task
	ident map[string]any // the fields that identify the record, as sent
	key   string         // identKey(ident)
	// first is our time before the row's first create was sent (in this run, or the time
	// an earlier run recorded it in flight): its record cannot be older.
	first time.Time
	// before holds, for an entity whose records carry no add_time (goals), the matching
	// records that existed before the first send; nil for the others.
	before map[string]bool
}

// create sends a row's create exactly once: journaled in flight first; after an answer
// that may have been lost, the record is looked up before anything is sent again.
func (r *run) create(ctx context.Context, t task, body, match map[string]any, stopFeeding func()) error {
	ident, err := r.identityOf(body, match)
	if err != nil {
		return r.failed(ctx, t, err, stopFeeding)
	}
	d := &doubt{t: t, ident: ident, key: identKey(ident)}
	if t.inDoubt {
		r.stats.InDoubt.Add(1)
		d.first = t.inFlightAt
		// The earlier run ended without the answer, as if the connection had dropped right
		// after the send: the create is given the settle time from when it was sent.
		deadline := t.inFlightAt.Add(r.o.SettleTime)
		done, err := r.reconcile(ctx, d, deadline)
		if err != nil || done {
			return r.failedOrNil(ctx, t, err, stopFeeding)
		}
	}
	for attempt := 1; ; attempt++ {
		if d.first.IsZero() {
			if err := r.beforeFirstSend(ctx, d); err != nil {
				return r.failed(ctx, t, err, stopFeeding)
			}
		}
		if attempt > 1 || !t.life.marked { // else the marker marked it (record.go)
			if err := r.state.MarkInFlight(context.WithoutCancel(ctx), t.row.Num, t.srcKey); err != nil {
				return r.fatal(err)
			}
		}
		r.gate.beginSend(d.key)
		t.life.sent = true
		id, err := r.remote.create(ctx, body)
		if err == nil {
			// The recorder claims the record and marks the row done (record.go) before the
			// gate opens: a reconciliation of the same identity waiting for this send then
			// sees the record as held.
			r.rec.add(answered{t: t, id: id, key: d.key})
			return nil
		}
		r.gate.endSend(d.key)
		if !errors.Is(err, pipedrive.ErrInDoubt) {
			// The server did not take the create (validation, budget, not sent): nothing to
			// reconcile. The row goes back to what it was: pending, or, with OnlyFailed,
			// rejected as before, so that a plain run does not send the source's unfixed row.
			if rerr := r.unsend(context.WithoutCancel(ctx), t); rerr != nil {
				return r.fatal(rerr)
			}
			return r.failed(ctx, t, err, stopFeeding)
		}
		r.stats.InDoubt.Add(1)
		wait := r.o.SettleTime
		var ide *pipedrive.InDoubtError
		if errors.As(err, &ide) && ide.Answered {
			wait = min(wait, answeredWait)
		}
		r.logf("row %d: create in doubt (%v); looking the record up for %s", t.row.Num, err, wait)
		done, rerr := r.reconcile(ctx, d, time.Now().Add(wait))
		if rerr != nil || done {
			return r.failedOrNil(ctx, t, rerr, stopFeeding)
		}
		if attempt >= maxCreateAttempts {
			return r.rejectRow(ctx, t, "", fmt.Sprintf("not created: %d attempts failed and no record was found (%v)", attempt, err))
		}
	}
}

// beforeFirstSend notes the time the row's record cannot predate (and the job's first
// write), and for an entity without add_time the matching records that exist already.
func (r *run) beforeFirstSend(ctx context.Context, d *doubt) error {
	r.firstOnce.Do(func() {
		r.firstErr = noteFirstWrite(context.WithoutCancel(ctx), r.o.State, r.job.Name, time.Now())
	})
	if r.firstErr != nil {
		return r.fatal(r.firstErr)
	}
	if !r.remote.dated() {
		found, err := r.remote.recent(ctx, d.ident, time.Time{})
		if err != nil {
			return err
		}
		d.before = make(map[string]bool, len(found))
		for _, c := range found {
			d.before[c.id] = true
		}
	}
	d.first = time.Now()
	return nil
}

// reconcile looks for the record d's create may have made until deadline, with growing
// waits. It finishes the row and returns true when a record is found that the row may
// take as its own.
func (r *run) reconcile(ctx context.Context, d *doubt, deadline time.Time) (bool, error) {
	r.gate.beginReconcile(d.key)
	defer r.gate.endReconcile(d.key)
	step := firstLookStep
	for {
		found, err := r.remote.recent(ctx, d.ident, r.since(d.first))
		if err != nil {
			return false, err
		}
		if !r.remote.dated() && d.before == nil && len(found) > 0 {
			// In doubt since an earlier run, for an entity without add_time: a matching
			// record may be the row's or may have existed before; nothing tells.
			ids := make([]string, len(found))
			for i, c := range found {
				ids[i] = c.id
			}
			return true, r.rejectRow(ctx, d.t, "", fmt.Sprintf("in doubt: %s %v match the row, and without an add_time nothing tells whether one is its own; check them: if one is, delete this row from the rejects report (--only-failed would create it again); if none is, run with --only-failed", r.job.Entity, ids))
		}
		since := r.since(d.first) // the lookup's answer may have taught the server's clock
		for _, c := range found {
			if d.before[c.id] || (r.remote.dated() && !c.after(since)) || r.heldBefore(c.id, d.t.row.Num) {
				continue
			}
			held, err := r.claims.claimDone(context.WithoutCancel(ctx), r.state, c.id, d.t.row.Num, "created")
			if err != nil {
				return false, r.fatal(err)
			}
			if held == "" {
				r.stats.Reconciled.Add(1)
				return true, r.settled(ctx, d.t, c.id, "created")
			}
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false, nil
		}
		if err := sleep(ctx, min(step, left)); err != nil {
			return false, err
		}
		step *= 2
	}
}

// heldBefore reports whether a row other than row was recorded done with id. Claims say it
// for rows done since claims exist; a checkpoint written by an older pdbulk has none, and
// only its row states tell: they are looked up through the index of rows by remote id.
func (r *run) heldBefore(id string, row int) bool {
	_, held, err := r.state.DoneWith(context.Background(), id, row)
	if err != nil {
		r.fail(err)
		return true // not adopted: the run stops for its checkpoint
	}
	return held
}

// since is the earliest time, by the server's clock, at which a record created after our
// time first can have been added.
func (r *run) since(first time.Time) time.Time {
	if t, ok := r.o.Client.ServerTime(first); ok {
		return t
	}
	return first.Add(-unknownClockSkew)
}

// identityOf is the identity of the record a create of body makes; a file is known by its
// name and size besides what it is attached to.
func (r *run) identityOf(body, match map[string]any) (map[string]any, error) {
	ident := identity(r.job.Entity, body, match)
	if r.job.Entity != jobs.EntityFiles {
		return ident, nil
	}
	if r.job.FilesKindOf() != jobs.FilesUpload {
		return remoteIdentity(body, ident), nil // files_run.go
	}
	rel, _ := body["file"].(string)
	p, err := r.job.ResolveFile(rel)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	ident["file_name"] = filepath.Base(filepath.FromSlash(rel))
	ident["file_size"] = float64(fi.Size())
	return ident, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// gate keeps creates and reconciliations of the same identity apart: a reconciliation
// starts once no create of its identity is on its way, and no create of it is sent until
// the reconciliation has ended. Identities are the keys of identKey. Safe for concurrent use.
type gate struct {
	mu   sync.Mutex
	cond *sync.Cond
	keys map[string]*gateState
}

type gateState struct {
	sending     int  // creates sent and not answered
	reconciling bool // a reconciliation is looking
	users       int  // goroutines using or waiting for this state
}

func newGate() *gate {
	g := &gate{keys: map[string]*gateState{}}
	g.cond = sync.NewCond(&g.mu)
	return g
}

func (g *gate) stateLocked(key string) *gateState {
	s := g.keys[key]
	if s == nil {
		s = &gateState{}
		g.keys[key] = s
	}
	s.users++
	return s
}

func (g *gate) releaseLocked(key string, s *gateState) {
	if s.users--; s.users == 0 {
		delete(g.keys, key)
	}
	g.cond.Broadcast()
}

// beginSend waits until no reconciliation of key is running, and counts a create sent.
// Every wait ends: a reconciliation's lookups and waits end with its context.
func (g *gate) beginSend(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.stateLocked(key)
	for s.reconciling {
		g.cond.Wait()
	}
	s.sending++
}

// endSend counts a create of key answered (or failed).
func (g *gate) endSend(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.keys[key]
	s.sending--
	g.releaseLocked(key, s)
}

// beginReconcile waits until no create of key is on its way and no other reconciliation of
// key runs, then holds key.
func (g *gate) beginReconcile(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.stateLocked(key)
	for s.reconciling || s.sending > 0 {
		g.cond.Wait()
	}
	s.reconciling = true
}

// endReconcile lets key's creates go again.
func (g *gate) endReconcile(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.keys[key]
	s.reconciling = false
	g.releaseLocked(key, s)
}
