package importer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/mapping"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sheet"
)

// UndoResult counts what Undo did.
type UndoResult struct {
	Created     int // records the job created, over all its runs
	AlreadyDone int // removed by an earlier undo
	Deleted     int
	Gone        int // already missing in Pipedrive (deleted by someone else)
	// Refused counts records kept because Pipedrive says they were added before the job's
	// first write: no create of the job made them, whatever the checkpoint says. Each is
	// named in RefusedRecords (and in Problems), and counted in Failed too.
	Refused        int
	RefusedRecords []string // "leads ID (row N): reason", the first maxRefusedShown
	Failed         int
	Problems       []string // the first failures
	Stopped        error    // budget spent or interrupted: run undo again to finish
	Stats          Snapshot // counts for the same summary line as a run
	// UndoneAt is when undo last removed a record of the job (this undo or an earlier one).
	UndoneAt time.Time
	// InDoubt is what undo found, before deleting, for the rows a run left in flight.
	InDoubt InDoubt
}

// InDoubt is what reconciling the rows a run left in flight found (a crash or kill -9
// between a create's send and its answer: the record may exist while the checkpoint does
// not list it as created).
type InDoubt struct {
	Rows    int      // rows in flight in the checkpoint before the lookup
	Found   int      // their records found and recorded as created by the job
	NotMade int      // looked for until the settle time without a record: made pending again (kept in flight by a dry run)
	Left    int      // still in doubt: nothing concluded for them (Why says why)
	Why     error    // why rows are left in doubt; nil when Left is 0
	Records []string // "leads ID (row N)", the first maxRefusedShown records found
	// Problems names rows that could not be looked up, with the reason (the first 20).
	Problems []string
}

// UndoOptions configures UndoWith.
type UndoOptions struct {
	Job         *jobs.Job
	Client      *pipedrive.Client
	Pacer       *ratelimit.Pacer // the client's pacer, for request counts; nil = none
	State       *jobs.State
	Concurrency int    // 0 = the job's options.concurrency
	Stats       *Stats // counters for a progress display (NewStats); nil = internal
	// SettleTime is how long after a row in doubt was sent its record is looked for
	// (Options.SettleTime); 0 = DefaultSettleTime.
	SettleTime time.Duration
}

const (
	// undoPage is how many created records Undo reads from the checkpoint at once.
	undoPage = 1024
	// undoBatch bounds how many records one checkpoint transaction marks undone.
	undoBatch = 256
	// undoFlush is the longest a removed record waits to be marked undone.
	undoFlush = 250 * time.Millisecond
	// maxRefusedShown bounds the refused records an UndoResult names.
	maxRefusedShown = 1000
)

// Undo is UndoWith with the job's pacer unknown and internal counters.
func Undo(stop context.Context, j *jobs.Job, c *pipedrive.Client, st *jobs.State, concurrency int) (*UndoResult, error) {
	return UndoWith(stop, UndoOptions{Job: j, Client: c, State: st, Concurrency: concurrency})
}

// UndoWith deletes exactly the records job o.Job created, as its checkpoint lists them, and
// marks them undone in batches as soon as they are gone, so that an interrupted undo resumes
// where it stopped. Records of other jobs, records that existed before and records the job
// created in another account than the state's are never touched: a record whose add_time
// is older than the job's first write is refused (UndoResult.Refused).
//
// It streams: the created records are read from the checkpoint a page at a time, sent to
// o.Concurrency workers through the client's pacer, and marked by one goroutine in batches
// of up to undoBatch records per transaction (each found by its primary key, its row by the
// index of rows by remote id). Memory does not grow with the job's records. At the end the
// success report says "undone" for every row whose record was removed.
//
// Before it deletes anything, it reconciles the rows a run left in flight (ReconcileInDoubt),
// so that a record a killed run created and never recorded is deleted too; rows it cannot
// settle are counted in UndoResult.InDoubt.
func UndoWith(stop context.Context, o UndoOptions) (*UndoResult, error) {
	j, c, st := o.Job, o.Client, o.State
	doubt, err := ReconcileInDoubt(stop, o, false)
	if err != nil {
		return nil, fmt.Errorf("importer: undo: %w", err)
	}
	// Undo works on what was recorded in the state's account, whatever the job file says
	// now and wherever else the job ran.
	run := st.OpenRun(j.Name)
	run.Entity = string(j.Entity)
	created, undone, _, err := run.CreatedCounts(stop)
	if err != nil {
		return nil, fmt.Errorf("importer: undo: %w", err)
	}
	res := &UndoResult{Created: created, AlreadyDone: undone, InDoubt: doubt}
	stats := o.Stats
	if stats == nil {
		stats = NewStats(o.Pacer, false)
	}
	stats.Total.Store(int64(created))
	stats.Read.Store(int64(undone))
	stats.Unchanged.Store(int64(undone))
	stats.Resumed.Store(int64(undone))
	first, err := firstWrite(stop, st, j.Name)
	if err != nil {
		return nil, fmt.Errorf("importer: undo: %w", err)
	}
	rem := newRemote(j, c)
	concurrency := o.Concurrency
	if concurrency <= 0 {
		concurrency = max(1, j.Options.Concurrency)
	}

	var gone, failed, refused atomic.Int64
	var mu sync.Mutex // guards the lists of res
	note := func(list *[]string, limit int, s string) {
		mu.Lock()
		defer mu.Unlock()
		if len(*list) < limit {
			*list = append(*list, s)
		}
	}
	var stopped atomic.Pointer[error]
	ctx, cancel := context.WithCancel(context.WithoutCancel(stop))
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	recs := make(chan jobs.CreatedRecord, concurrency)
	marks := make(chan jobs.CreatedRecord, undoBatch)

	// The reader: pages of records not undone yet, in row order.
	g.Go(func() error {
		defer close(recs)
		row, id := 0, ""
		for {
			page, err := run.CreatedAfter(gctx, row, id, undoPage)
			if err != nil {
				return err
			}
			for _, rec := range page {
				if stop.Err() != nil || stopped.Load() != nil {
					return nil
				}
				select {
				case recs <- rec:
				case <-gctx.Done():
					return nil
				}
				row, id = rec.Row, rec.RemoteID
			}
			if len(page) < undoPage {
				return nil
			}
		}
	})
	// The workers: one request or two per record (a dated entity is checked first).
	var workers sync.WaitGroup
	for range concurrency {
		workers.Add(1)
		g.Go(func() error {
			defer workers.Done()
			for rec := range recs {
				if stopped.Load() != nil {
					continue // drain: the budget is spent
				}
				stats.Read.Add(1)
				stats.Pending.Add(1)
				err := refuseOlder(gctx, rem, c, rec.RemoteID, first)
				if err == nil {
					err = rem.remove(gctx, rec.RemoteID)
				}
				var older *olderError
				switch {
				case err == nil:
				case errors.As(err, &older):
					refused.Add(1)
					failed.Add(1)
					stats.Rejected.Add(1)
					s := fmt.Sprintf("%s %s (row %d): not deleted: %v", j.Entity, rec.RemoteID, rec.Row, err)
					note(&res.RefusedRecords, maxRefusedShown, s)
					note(&res.Problems, 20, s)
					stats.Pending.Add(-1)
					continue
				case isNotFound(err):
					gone.Add(1)
				case errors.Is(err, ratelimit.ErrBudgetExhausted):
					stopped.CompareAndSwap(nil, &err)
					stats.Pending.Add(-1)
					continue
				case errors.Is(err, pipedrive.ErrUnauthorized):
					return err
				case gctx.Err() != nil:
					return nil
				default:
					failed.Add(1)
					stats.Rejected.Add(1)
					note(&res.Problems, 20, fmt.Sprintf("%s %s (row %d): %v", j.Entity, rec.RemoteID, rec.Row, err))
					stats.Pending.Add(-1)
					continue
				}
				select {
				case marks <- rec:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	go func() {
		workers.Wait()
		close(marks)
	}()
	// The marker: removed records are marked undone in batches, each durable before it
	// counts as deleted.
	g.Go(func() error {
		batch := make([]jobs.CreatedRecord, 0, undoBatch)
		tick := time.NewTicker(undoFlush)
		defer tick.Stop()
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			if err := run.MarkUndoneBatch(context.WithoutCancel(gctx), batch); err != nil {
				return err
			}
			stats.Deleted.Add(int64(len(batch)))
			stats.Pending.Add(-int64(len(batch)))
			batch = batch[:0]
			return nil
		}
		for {
			select {
			case rec, ok := <-marks:
				if !ok {
					return flush()
				}
				batch = append(batch, rec)
				if len(batch) >= undoBatch {
					if err := flush(); err != nil {
						return err
					}
				}
			case <-tick.C:
				if err := flush(); err != nil {
					return err
				}
			}
		}
	})
	err = g.Wait()

	res.Gone, res.Failed, res.Refused = int(gone.Load()), int(failed.Load()), int(refused.Load())
	res.Deleted = int(stats.Deleted.Load()) - res.Gone
	if p := stopped.Load(); p != nil {
		res.Stopped = *p
	} else if stop.Err() != nil {
		res.Stopped = context.Canceled
	}
	if err == nil {
		err = undoReport(j, run)
	}
	_, _, res.UndoneAt, _ = run.CreatedCounts(context.Background())
	res.Stats = stats.Snapshot()
	if err != nil {
		return res, fmt.Errorf("importer: undo: %w", err)
	}
	return res, nil
}

// undoReport rewrites the job's success report after an undo: a row reported "created"
// whose checkpoint no longer records it done with that record (undo removed it) is reported
// "undone". The report is read and written a line at a time, its rows looked up in row
// order.
func undoReport(j *jobs.Job, run *jobs.Run) (err error) {
	path := j.Reports.Success
	if _, serr := os.Stat(path); serr != nil {
		return nil
	}
	in, err := openReportFile(path)
	if err != nil || in == nil {
		return err
	}
	defer in.Close()
	header := in.Header()
	rowCol, statusCol, idCol := indexOf(header, reportRowColumn), indexOf(header, reportStatusColumn), indexOf(header, reportIDColumn)
	if rowCol < 0 || statusCol < 0 || idCol < 0 {
		return nil // not a report pdbulk wrote: left alone
	}
	w, err := createReport(path, header)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = w.Abort()
		}
	}()
	cur := run.Cursor()
	ctx := context.Background()
	for {
		row, rerr := in.Next()
		if rerr != nil {
			break // the end, or a line pdbulk did not write: the rest is dropped with it
		}
		unescapeReport(row)
		cells := fit(row.Texts(), len(header))
		if cells[statusCol] == "created" {
			n, _ := strconv.Atoi(cells[rowCol])
			st, ok, gerr := cur.Get(ctx, n)
			if gerr != nil {
				return fmt.Errorf("reports: %w", gerr)
			}
			if !ok || st.Status != jobs.StatusDone || st.RemoteID != cells[idCol] {
				cells[statusCol] = undoneStatus
			}
		}
		if err = w.Write(cells); err != nil {
			return fmt.Errorf("reports: %w", err)
		}
	}
	if err = w.Close(); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	return nil
}

// olderError says a record was added before the job's first write.
type olderError struct {
	added, first time.Time // by the server's clock
}

func (e *olderError) Error() string {
	return fmt.Sprintf("Pipedrive says it was added at %s, before this job's first write (%s): it is not the job's",
		e.added.UTC().Format(time.RFC3339), e.first.UTC().Format(time.RFC3339))
}

// refuseOlder returns an *olderError when record id was added before first, the job's first
// write (our clock, turned into the server's by the client's Date headers).
func refuseOlder(ctx context.Context, rem remote, c *pipedrive.Client, id string, first time.Time) error {
	if !rem.dated() {
		return nil
	}
	added, precision, err := rem.added(ctx, id)
	if err != nil {
		return err
	}
	since, ok := c.ServerTime(first)
	if !ok {
		since = first.Add(-unknownClockSkew)
	}
	if !added.Add(precision).After(since) {
		return &olderError{added: added, first: since}
	}
	return nil
}

// ReconcileInDoubt settles the rows of o.Job that its checkpoint has in flight, the way a
// run settles them on resume (indoubt.go): for each, the record its create may have made
// is looked for until o.SettleTime has passed since the row was sent, and one found is
// claimed and recorded as created by the row, so that undo deletes it. A row whose record
// is not found by then did not make one: it is made pending again, or, with dryRun, left in
// flight. Only modes that create (create, upsert) have such rows to settle.
//
// It reads the job's source only when rows are in doubt, and concludes nothing (InDoubt.Left,
// InDoubt.Why) when the job or its input changed since the checkpoint was written, when
// the entity carries no add_time (only a run can settle those rows), or when the API cannot
// be reached. The caller holds the job's lock: a row in flight in a running process is on
// its way, not in doubt. A non-nil error is a checkpoint failure.
func ReconcileInDoubt(stop context.Context, o UndoOptions, dryRun bool) (InDoubt, error) {
	var res InDoubt
	j := o.Job
	st := o.State.OpenRun(j.Name)
	st.Entity = string(j.Entity)
	if j.Mode != jobs.ModeCreate && j.Mode != jobs.ModeUpsert {
		return res, nil // its rows in flight are deletes and archives: nothing created
	}
	sum, err := st.Summary(stop)
	if err != nil {
		return res, err
	}
	if res.Rows = sum.InFlight; res.Rows == 0 {
		return res, nil
	}
	left := func(why error) (InDoubt, error) {
		res.Left = res.Rows - res.Found - res.NotMade
		if res.Left > 0 {
			res.Why = why
		}
		return res, nil
	}
	fp, err := j.FingerprintContext(stop)
	if err != nil {
		return left(fmt.Errorf("the job's input cannot be read (%w)", err))
	}
	if fp != sum.Fingerprint {
		return left(errors.New("the job or its input changed since the run that sent them: their records cannot be looked up by what was sent; put the job and its input back as they were and run undo again"))
	}
	r, err := newRun(Options{Job: j, Client: o.Client, Pacer: o.Pacer, State: o.State, Concurrency: o.Concurrency, SettleTime: o.SettleTime})
	if err != nil {
		return res, err
	}
	defer r.close()
	in, err := sheet.Open(j.Source.Path, r.sheetOptions())
	if err != nil {
		return left(fmt.Errorf("the job's input cannot be read (%w)", err))
	}
	defer in.Close()
	r.header = in.Header()
	if err := r.compile(); err != nil {
		return left(err)
	}
	r.remote = newRemote(j, o.Client)
	if !r.remote.dated() {
		return left(fmt.Errorf("%s carry no add_time, so nothing tells whether a matching record is a row's own: run the job (pdbulk run %s) to settle them, then undo", j.Entity, j.Path))
	}
	r.plan = newPlannerFor(j, o.Client)
	r.res = mapping.NewCache(&resolver{run: r})
	r.state, r.cursor = st, st.Cursor()
	// A row sent after an undo carried the values of the success report (redo): it is
	// looked for with them, as the run that sent it read them.
	r.oldOK = openReportReader(j.Reports.Success, r.header, r.readOptions(true))

	var found, notMade atomic.Int64
	var mu sync.Mutex // guards res's lists and why
	var why error
	note := func(list *[]string, limit int, s string) {
		mu.Lock()
		defer mu.Unlock()
		if len(*list) < limit {
			*list = append(*list, s)
		}
	}
	ctx, cancel := context.WithCancel(stop)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, r.o.Concurrency))
	for gctx.Err() == nil && !r.stopped() {
		row, rerr := in.Next()
		if rerr == io.EOF {
			break
		}
		var rowErr *sheet.RowError
		if rerr != nil && !errors.As(rerr, &rowErr) {
			mu.Lock()
			why = fmt.Errorf("the job's input cannot be read (%w)", rerr)
			mu.Unlock()
			break
		}
		p, ok, err := r.cursor.Get(gctx, row.Num)
		if err != nil {
			cancel()
			_ = g.Wait()
			return res, err
		}
		if !ok || p.Status != jobs.StatusInFlight {
			continue
		}
		if rowErr != nil {
			note(&res.Problems, 20, fmt.Sprintf("row %d: unreadable in the source (%v): fix it in the reject report and run with --only-failed to settle it", row.Num, rowErr))
			continue
		}
		r.redo(&row)
		g.Go(func() error {
			id, done, err := r.lookUpDoubt(gctx, row, p)
			switch {
			case err == nil && done:
				found.Add(1)
				note(&res.Records, maxRefusedShown, fmt.Sprintf("%s %s (row %d)", j.Entity, id, row.Num))
			case err == nil && dryRun:
				notMade.Add(1)
			case err == nil:
				if err := st.ResetRow(context.WithoutCancel(gctx), row.Num); err != nil {
					return err
				}
				notMade.Add(1)
			case stop.Err() != nil:
				mu.Lock()
				why = cmp.Or(why, error(context.Canceled))
				mu.Unlock()
				cancel()
			case errors.Is(err, pipedrive.ErrUnavailable), isBudget(err), errors.Is(err, pipedrive.ErrUnauthorized):
				mu.Lock()
				why = cmp.Or(why, err)
				mu.Unlock()
				cancel() // the next rows would fail the same way
			default:
				note(&res.Problems, 20, fmt.Sprintf("row %d: not looked up: %v", row.Num, err))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return res, err
	}
	if err := r.stopError(); err != nil {
		return res, err
	}
	res.Found, res.NotMade = int(found.Load()), int(notMade.Load())
	if why == nil && stop.Err() != nil {
		why = context.Canceled
	}
	if why == nil {
		why = errors.New("they could not be looked up (see the rows named): run the job (pdbulk run) to settle them, then undo")
	}
	return left(why)
}

// lookUpDoubt reconciles one row left in flight by an earlier run with the run's own
// machinery (reconcile, indoubt.go): the row mapped as it was sent, its record looked for
// until the settle time has passed since it went in flight. done says the record was found
// and the row recorded done with it (its id returned).
func (r *run) lookUpDoubt(ctx context.Context, row sheet.Row, p jobs.RowState) (string, bool, error) {
	payload, err := r.mapper.Map(ctx, toMappingRow(row), r.res)
	if err != nil {
		return "", false, err
	}
	match := r.matchOf(payload)
	body := withoutID(payload)
	ident, err := r.identityOf(body, match)
	if err != nil {
		return "", false, err
	}
	t := task{row: row, key: r.matchKey(row), srcKey: r.sourceKey(row), inDoubt: true, inFlightAt: p.UpdatedAt}
	d := &doubt{t: t, ident: ident, key: identKey(ident), first: p.UpdatedAt}
	done, err := r.reconcile(ctx, d, p.UpdatedAt.Add(r.o.SettleTime))
	if err != nil || !done {
		return "", false, err
	}
	now, ok, err := r.state.Row(context.WithoutCancel(ctx), row.Num)
	if err != nil {
		return "", false, err
	}
	if !ok || now.Status != jobs.StatusDone {
		return "", false, errors.New("settled, and not recorded done")
	}
	return now.RemoteID, true, nil
}
