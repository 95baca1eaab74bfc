package importer

import (
	"context"
	"errors"
	"fmt"
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
	// named in Problems and counted in Failed too.
	Refused  int
	Failed   int
	Problems []string // the first failures
	Stopped  error    // budget spent or interrupted: run undo again to finish
}

// Undo deletes exactly the records job j created, as its checkpoint lists them, and marks
// each one undone as soon as it is gone, so that an interrupted undo resumes where it
// stopped. Records of other jobs, records that existed before and records the job created
// in another account than st's are never touched: a record whose add_time is older than
// the job's first write is refused (UndoResult.Refused).
func Undo(stop context.Context, j *jobs.Job, c *pipedrive.Client, st *jobs.State, concurrency int) (*UndoResult, error) {
	// Undo works on what was recorded in the state's account, whatever the job file says
	// now and wherever else the job ran.
	run := st.OpenRun(j.Name)
	recs, err := run.Created(stop)
	if err != nil {
		return nil, fmt.Errorf("importer: undo: %w", err)
	}
	res := &UndoResult{Created: len(recs)}
	first, err := firstWrite(stop, st, j.Name)
	if err != nil {
		return nil, fmt.Errorf("importer: undo: %w", err)
	}
	rem := newRemote(j, c)
	if concurrency <= 0 {
		concurrency = max(1, j.Options.Concurrency)
	}
	var deleted, gone, failed, refused atomic.Int64
	var probs = make(chan string, len(recs))
	var stopped atomic.Pointer[error]
	g, ctx := errgroup.WithContext(context.WithoutCancel(stop))
	g.SetLimit(concurrency)
	for _, rec := range recs {
		if rec.Undone {
			res.AlreadyDone++
			continue
		}
		if stop.Err() != nil || stopped.Load() != nil {
			break
		}
		g.Go(func() error {
			err := refuseOlder(ctx, rem, c, rec.RemoteID, first)
			if err == nil {
				err = rem.remove(ctx, rec.RemoteID)
			}
			var older *olderError
			switch {
			case err == nil:
				deleted.Add(1)
			case errors.As(err, &older):
				refused.Add(1)
				failed.Add(1)
				probs <- fmt.Sprintf("%s %s (row %d): not deleted: %v", j.Entity, rec.RemoteID, rec.Row, err)
				return nil
			case isNotFound(err):
				gone.Add(1)
			case errors.Is(err, ratelimit.ErrBudgetExhausted):
				stopped.CompareAndSwap(nil, &err)
				return nil
			case errors.Is(err, pipedrive.ErrUnauthorized):
				return err
			default:
				failed.Add(1)
				probs <- fmt.Sprintf("%s %s (row %d): %v", j.Entity, rec.RemoteID, rec.Row, err)
				return nil
			}
			if err := run.MarkUndone(ctx, string(j.Entity), rec.RemoteID); err != nil {
				return err
			}
			return nil
		})
	}
	err = g.Wait()
	close(probs)
	for p := range probs {
		if len(res.Problems) < 20 {
			res.Problems = append(res.Problems, p)
		}
	}
	res.Deleted, res.Gone, res.Failed = int(deleted.Load()), int(gone.Load()), int(failed.Load())
	res.Refused = int(refused.Load())
	if p := stopped.Load(); p != nil {
		res.Stopped = *p
	} else if stop.Err() != nil {
		res.Stopped = context.Canceled
	}
	if err != nil {
		return res, fmt.Errorf("importer: undo: %w", err)
	}
	return res, nil
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
