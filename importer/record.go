package importer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
)

// A create costs the checkpoint two durable writes: the row in flight before it is sent, done
// after the answer. Made one row at a time, each worker waited for two commits per row, and
// the checkpoint's single writer was the import's bottleneck. Both are made many rows at a
// time, and no worker waits for either:
//
//   - The marker, between the feed and the workers, marks the next plain creates in flight
//     together (aheadLimit at most), in one commit, before any worker takes them. A row is
//     still on disk in flight before it is sent; a row marked and then not sent (the run
//     stopped, a lookup failed, the row was rejected) is made pending again (unsentRows).
//     Only a crash can leave such a row in flight: the next run looks it up once before
//     sending it, as for any lost answer.
//   - A worker hands the answer of its create to the recorder and goes on; the recorder
//     claims the records of all the answers waiting and marks their rows done in one commit
//     (jobs.Run.MarkDoneClaimedBatch). Until its record is claimed, a row's identity stays
//     sent in the gate, so no reconciliation of that identity can adopt the record; its
//     report line is written once the checkpoint has it. A crash before that commit leaves
//     the row in flight, reconciled on resume like any lost answer (indoubt.go).
//
// Creates that are retried, reconciled, or made by upsert, by a --only-failed run or for an
// entity without add_time keep the one-row marks.
const (
	// markAhead is how many rows the feed may read ahead of the marker.
	markAhead = 128
	// recordBatch bounds the answers recorded in one commit.
	recordBatch = 256
	// recordLinger is how long the recorder waits for more answers before a commit.
	recordLinger = 10 * time.Millisecond
	// forgetBatch is how many unsent rows are gathered before they are made pending.
	forgetBatch = 256
)

// rowLife follows one row through the run: marked in flight by the marker, sent by a worker,
// handed to the recorder. Only the goroutine that holds the task reads or writes it.
type rowLife struct {
	marked   bool // marked in flight by the marker (MarkInFlightBatch)
	sent     bool // a write of the row was sent
	recorded bool // handed to the recorder: it settles the row's report line
}

// marksAhead reports whether the marker marks t in flight: a fresh plain create, whose first
// send needs nothing but the mark. A files create (an upload, a remote file) is one too: a
// row whose file is then refused (missing, empty, too large) is given back like any row
// marked and not sent, and an upload answered is recorded done with the other answers.
func (r *run) marksAhead(t task) bool {
	return r.state != nil && !r.o.DryRun && !r.o.OnlyFailed && !t.inDoubt &&
		r.job.Mode == jobs.ModeCreate && r.remote.dated()
}

// startMarker starts the marker: it takes the feed's rows from admitted, marks those that
// marksAhead in flight, all it has gathered in one commit, and hands every row to the
// workers through tasks, in order. It commits while the workers take the rows of the last
// commit, and the feed reads on meanwhile: the busier the checkpoint, the more rows to a
// commit. It keeps no more rows marked and not yet taken than aheadLimit. It closes tasks
// when admitted is closed and every row is handed over or left, and then sends the first
// checkpoint failure, if any, on the returned channel.
func (r *run) startMarker(feed, ctx context.Context, admitted <-chan task, tasks chan<- task) <-chan error {
	out := make(chan error, 1)
	go func() {
		defer close(tasks)
		var (
			ready     []task     // marked (or needing no mark), in order, for the workers
			next      []task     // admitted, to mark in the next commit
			inCommit  []task     // being marked
			committed chan error // the commit of inCommit; nil when none runs
			failed    error
			in        = admitted
		)
		stopping := func() bool { return failed != nil || ctx.Err() != nil || feed.Err() != nil || r.stopped() }
		gather := func(t task, ok bool) { // a row from the feed, or its end
			if !ok {
				in = nil
				return
			}
			next = append(next, t)
		}
		landed := func(err error) { // the commit of inCommit ended
			committed = nil
			if err != nil {
				failed = err
				r.leave(inCommit)
			} else {
				ready = append(ready, inCommit...)
			}
			inCommit = nil
		}
		for in != nil || len(next) > 0 || committed != nil || len(ready) > 0 {
			if stopping() && committed == nil {
				// Nothing more is marked or handed over: what is left stays pending.
				r.leave(ready)
				r.leave(next)
				ready, next = nil, nil
				if in == nil {
					break
				}
			}
			// A commit when the rows marked run low (half the limit), of all the rows
			// gathered: few large commits, not one per row a worker took.
			limit := r.aheadLimit()
			if committed == nil && len(next) > 0 && !stopping() && len(ready) <= limit/2 {
				inCommit, next = next, nil
				committed = make(chan error, 1)
				go func(batch []task, done chan<- error) { done <- r.markBatch(ctx, batch) }(inCommit, committed)
			}
			var give chan<- task
			var head task
			if len(ready) > 0 {
				give, head = tasks, ready[0]
			}
			take := in
			if len(next) >= limit {
				take = nil // enough gathered for the next commit
			}
			select {
			case give <- head:
				ready = ready[1:]
			case t, ok := <-take:
				gather(t, ok)
			case err := <-committed:
				landed(err)
			case <-ctx.Done():
				// Stopping: no row is handed over; the feed's last rows and the commit
				// running are waited for, and left pending at the top of the loop.
				if in == nil && committed == nil {
					continue // nothing to wait for
				}
				select {
				case t, ok := <-in:
					gather(t, ok)
				case err := <-committed:
					landed(err)
				}
			}
		}
		out <- failed
	}()
	return out
}

// aheadLimit is how many rows the marker gathers for one commit, and how many marked rows may
// wait for a worker before it marks more: four times the requests the client lets in flight
// now, at least 64. It must cover the time a commit waits for the checkpoint's writer, busy
// with the recorder's commits meanwhile, or the workers run dry. A run the pacer holds back
// marks fewer rows ahead, so a crash leaves fewer rows in flight that were never sent (the
// next run looks each up once before sending it).
func (r *run) aheadLimit() int {
	n := r.o.Concurrency
	if r.o.Client != nil && r.o.Client.Gate() != nil {
		n = r.o.Client.Gate().Limit()
	}
	return max(64, 4*n)
}

// markBatch marks in flight, in one commit, the rows of batch that marksAhead.
func (r *run) markBatch(ctx context.Context, batch []task) error {
	var rows []jobs.InFlight
	for _, t := range batch {
		if r.marksAhead(t) {
			rows = append(rows, jobs.InFlight{Row: t.row.Num, Key: t.srcKey})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if err := r.state.MarkInFlightBatch(context.WithoutCancel(ctx), rows); err != nil {
		return r.fatal(err)
	}
	for _, t := range batch {
		t.life.marked = r.marksAhead(t)
	}
	return nil
}

// leave settles rows no worker took as pending, giving back those marked in flight.
func (r *run) leave(batch []task) {
	for _, t := range batch {
		r.rep.settle(t.slot, outcome{})
		if t.life.marked {
			r.forget.add(t.row.Num)
		}
	}
}

// unsentRows gathers the rows marked ahead and never sent, and makes them pending again in
// batches. Safe for concurrent use.
type unsentRows struct {
	r    *run
	mu   sync.Mutex
	rows []int
}

func (u *unsentRows) add(row int) {
	u.mu.Lock()
	u.rows = append(u.rows, row)
	full := len(u.rows) >= forgetBatch
	u.mu.Unlock()
	if full {
		u.flush()
	}
}

// flush makes the gathered rows pending; a failure stops the run (the rows stay in flight,
// looked up by the next run).
func (u *unsentRows) flush() {
	u.mu.Lock()
	rows := u.rows
	u.rows = nil
	u.mu.Unlock()
	if len(rows) == 0 {
		return
	}
	if err := u.r.state.ForgetUnsent(context.Background(), rows); err != nil {
		u.r.fail(err)
	}
}

// answered is a created record waiting for its claim and done mark.
type answered struct {
	t   task
	id  string // the record the create made
	key string // the identity whose send stays open until the claim
}

// recorder records created rows done, many to a commit, in a goroutine of its own.
type recorder struct {
	r    *run
	in   chan answered
	done chan struct{}
	err  error // the first checkpoint failure; read after close
}

func (r *run) startRecorder() *recorder {
	rc := &recorder{r: r, in: make(chan answered, recordBatch), done: make(chan struct{})}
	go rc.loop()
	return rc
}

// add hands a's row to the recorder, which settles it.
func (rc *recorder) add(a answered) {
	a.t.life.recorded = true
	rc.in <- a
}

// close records what is left and returns the first checkpoint failure. Call it once, after
// the last add.
func (rc *recorder) close() error {
	close(rc.in)
	<-rc.done
	return rc.err
}

func (rc *recorder) loop() {
	defer close(rc.done)
	batch := make([]answered, 0, recordBatch)
	linger := time.NewTimer(0)
	<-linger.C
	for a := range rc.in {
		batch = append(batch[:0], a)
		// The answers that come within recordLinger of the first go in the same commit:
		// each commit writes the same few pages to the WAL, whatever its rows.
		linger.Reset(recordLinger)
	gather:
		for len(batch) < recordBatch {
			select {
			case a, ok := <-rc.in:
				if !ok {
					break gather
				}
				batch = append(batch, a)
			case <-linger.C:
				break gather
			}
		}
		if !linger.Stop() {
			select {
			case <-linger.C:
			default:
			}
		}
		rc.record(batch)
	}
}

// record claims the records of batch and marks their rows done in one commit, then settles
// each row: created, or rejected when another row holds its record. After a checkpoint
// failure the rows stay in flight (the next run reconciles them) and pending in the reports.
func (rc *recorder) record(batch []answered) {
	r := rc.r
	var held []string
	if rc.err == nil {
		claims := make([]jobs.DoneClaim, len(batch))
		for i, a := range batch {
			claims[i] = r.claims.claimOf(a.id, a.t.row.Num, "created")
		}
		var err error
		if held, err = r.state.MarkDoneClaimedBatch(context.Background(), claims); err != nil {
			rc.err = r.fatal(err)
		}
	}
	ctx := context.Background()
	for i, a := range batch {
		r.gate.endSend(a.key)
		switch {
		case rc.err != nil:
		case held[i] != "":
			_ = r.rejectRow(ctx, a.t, "", fmt.Sprintf("created %s %s, but %s had already taken it as its own: check both rows", r.job.Entity, a.id, describeHolder(held[i])))
		default:
			_ = r.settled(ctx, a.t, a.id, "created") // fails only for updates
		}
		r.rep.settle(a.t.slot, outcome{}) // pending, unless settled above
	}
}
