package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
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
}

// UndoOptions configures UndoWith.
type UndoOptions struct {
	Job         *jobs.Job
	Client      *pipedrive.Client
	Pacer       *ratelimit.Pacer // the client's pacer, for request counts; nil = none
	State       *jobs.State
	Concurrency int    // 0 = the job's options.concurrency
	Stats       *Stats // counters for a progress display (NewStats); nil = internal
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
func UndoWith(stop context.Context, o UndoOptions) (*UndoResult, error) {
	j, c, st := o.Job, o.Client, o.State
	// Undo works on what was recorded in the state's account, whatever the job file says
	// now and wherever else the job ran.
	run := st.OpenRun(j.Name)
	run.Entity = string(j.Entity)
	created, undone, _, err := run.CreatedCounts(stop)
	if err != nil {
		return nil, fmt.Errorf("importer: undo: %w", err)
	}
	res := &UndoResult{Created: created, AlreadyDone: undone}
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
