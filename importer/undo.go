package importer

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

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
	Failed      int
	Problems    []string // the first failures
	Stopped     error    // budget spent or interrupted: run undo again to finish
}

// Undo deletes exactly the records job j created, as its checkpoint lists them, and marks
// each one undone as soon as it is gone, so that an interrupted undo resumes where it
// stopped. Records of other jobs, records that existed before and records the job created
// in another account than st's are never touched.
func Undo(stop context.Context, j *jobs.Job, c *pipedrive.Client, st *jobs.State, concurrency int) (*UndoResult, error) {
	// Undo works on what was recorded in the state's account, whatever the job file says
	// now and wherever else the job ran.
	run := st.OpenRun(j.Name)
	recs, err := run.Created(stop)
	if err != nil {
		return nil, fmt.Errorf("importer: undo: %w", err)
	}
	res := &UndoResult{Created: len(recs)}
	rem := newRemote(j, c)
	if concurrency <= 0 {
		concurrency = max(1, j.Options.Concurrency)
	}
	var deleted, gone, failed atomic.Int64
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
			err := rem.remove(ctx, rec.RemoteID)
			switch {
			case err == nil:
				deleted.Add(1)
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
