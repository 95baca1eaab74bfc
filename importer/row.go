package importer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/mapping"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sheet"
)

// process takes one row from mapping to its final state. It returns an error only when the
// whole run must stop (401, a broken checkpoint); row failures end in the reject report.
func (r *run) process(feed, ctx context.Context, t task, stopFeeding func()) error {
	if r.stopped() || ctx.Err() != nil || feed.Err() != nil {
		return nil // stays pending (a row the marker marked in flight is given back)
	}
	payload, err := r.mapper.Map(ctx, toMappingRow(t.row), r.res)
	if err != nil {
		return r.failed(ctx, t, err, stopFeeding)
	}
	if r.job.Entity == jobs.EntityFiles {
		return r.processFile(ctx, t, payload, r.matchOf(payload), stopFeeding) // files_run.go
	}
	if r.o.DryRun {
		r.plan.addRow(r.job.Mode)
		r.stats.DryRunValid.Add(1)
		r.stats.Pending.Add(-1)
		return nil
	}
	match := r.matchOf(payload)
	body := withoutID(payload)
	switch r.job.Mode {
	case jobs.ModeCreate:
		return r.create(ctx, t, body, match, stopFeeding)
	case jobs.ModeUpdate, jobs.ModeUpsert:
		return r.upsert(ctx, t, body, match, stopFeeding)
	case jobs.ModeDelete, jobs.ModeArchive:
		return r.removeRow(ctx, t, match, stopFeeding)
	}
	return fmt.Errorf("importer: mode %q is not supported", r.job.Mode)
}

// withoutID is p without its id (the body of a write: the id goes in the path), or p itself
// when it has none.
func withoutID(p map[string]any) map[string]any {
	if _, ok := p["id"]; !ok {
		return p
	}
	out := make(map[string]any, len(p))
	for k, v := range p {
		if k != "id" {
			out[k] = v
		}
	}
	return out
}

// upsert updates the one record that matches, or (upsert) creates it when none does.
func (r *run) upsert(ctx context.Context, t task, body, match map[string]any, stopFeeding func()) error {
	ids, err := r.findFor(ctx, t, match)
	if err != nil {
		return r.failed(ctx, t, err, stopFeeding)
	}
	switch {
	case len(ids) > 1:
		return r.rejectRow(ctx, t, "", fmt.Sprintf("ambiguous: %d records match %s (%s)", len(ids), r.matchOnText(), strings.Join(ids, ", ")))
	case len(ids) == 1:
		if err := r.remote.update(ctx, ids[0], body); err != nil {
			return r.failed(ctx, t, err, stopFeeding)
		}
		return r.finish(ctx, t, ids[0], "updated")
	case r.job.Mode == jobs.ModeUpsert:
		return r.create(ctx, t, body, match, stopFeeding)
	}
	return r.rejectRow(ctx, t, "", fmt.Sprintf("no record matches %s (%s)", r.matchOnText(), t.key))
}

// removeRow deletes or archives the one record that matches.
func (r *run) removeRow(ctx context.Context, t task, match map[string]any, stopFeeding func()) error {
	ids, err := r.findFor(ctx, t, match)
	if err != nil {
		return r.failed(ctx, t, err, stopFeeding)
	}
	action := "deleted"
	if r.job.Mode == jobs.ModeArchive {
		action = "archived"
	}
	switch {
	case len(ids) > 1:
		return r.rejectRow(ctx, t, "", fmt.Sprintf("ambiguous: %d records match %s (%s)", len(ids), r.matchOnText(), strings.Join(ids, ", ")))
	case len(ids) == 0 && t.inDoubt && r.job.Mode == jobs.ModeDelete:
		// An earlier run sent the delete and stopped before recording the answer.
		return r.finish(ctx, t, "", action)
	case len(ids) == 0:
		return r.rejectRow(ctx, t, "", fmt.Sprintf("no record matches %s (%s)", r.matchOnText(), t.key))
	}
	if err := r.state.MarkInFlight(context.WithoutCancel(ctx), t.row.Num, t.srcKey); err != nil {
		return r.fatal(err)
	}
	if r.job.Mode == jobs.ModeArchive {
		err = r.remote.archive(ctx, ids[0])
	} else {
		err = r.remote.remove(ctx, ids[0])
		if isNotFound(err) {
			err = nil // gone already: what the row asked for
		}
	}
	if err != nil {
		return r.failed(ctx, t, err, stopFeeding)
	}
	return r.finish(ctx, t, ids[0], action)
}

// findFor finds the records a row's match key names, first through the id map of earlier
// jobs and runs, then through the API.
func (r *run) findFor(ctx context.Context, t task, match map[string]any) ([]string, error) {
	if len(match) == 0 {
		return nil, &errUnsupported{fmt.Sprintf("mode %s needs match_on", r.job.Mode)}
	}
	if id, ok := match["id"]; ok && len(match) == 1 {
		s := idText(id)
		found, err := r.remote.exists(ctx, s)
		if err != nil || !found {
			return nil, err
		}
		return []string{s}, nil
	}
	if t.srcKey != "" {
		if id, ok, err := r.o.State.LookupID(ctx, string(r.job.Entity), t.srcKey); err != nil {
			return nil, r.fatal(err)
		} else if ok {
			if found, err := r.remote.exists(ctx, id); err != nil {
				return nil, err
			} else if found {
				return []string{id}, nil
			}
		}
	}
	return r.remote.find(ctx, match)
}

// unsend puts back the checkpoint state of a row whose write the server did not take: pending,
// or, for a row an OnlyFailed run read from the reject report, rejected with its reason as
// before (a plain run must not send the source's unfixed row in its place).
func (r *run) unsend(ctx context.Context, t task) error {
	if r.o.OnlyFailed && t.prevRejected {
		return r.state.MarkRejected(ctx, t.row.Num, t.prevReason)
	}
	return r.state.ResetRow(ctx, t.row.Num)
}

// finish records a row as done.
func (r *run) finish(ctx context.Context, t task, id, action string) error {
	wctx := context.WithoutCancel(ctx)
	if err := r.state.MarkDone(wctx, t.row.Num, id, action); err != nil {
		return r.fatal(err)
	}
	return r.settled(ctx, t, id, action)
}

// settled counts and reports a row its checkpoint records done.
func (r *run) settled(ctx context.Context, t task, id, action string) error {
	wctx := context.WithoutCancel(ctx)
	r.rep.settle(t.slot, outcome{status: jobs.StatusDone, id: id, action: action})
	if action == "updated" && t.srcKey != "" {
		// Creates, deletes and archives went through MarkInFlight, which keeps the key for
		// the id map; an update did not.
		if err := r.o.State.PutID(wctx, string(r.job.Entity), t.srcKey, id); err != nil {
			return r.fatal(err)
		}
	}
	switch action {
	case "created":
		r.stats.Created.Add(1)
	case "updated":
		r.stats.Updated.Add(1)
	default:
		r.stats.Deleted.Add(1)
	}
	r.stats.Pending.Add(-1)
	return nil
}

func (r *run) rejectRow(ctx context.Context, t task, column, reason string) error {
	r.stats.Pending.Add(-1)
	r.rep.settle(t.slot, r.reject(ctx, t.row.Num, column, reason, t.key))
	return nil
}

// fatal stops the run for a checkpoint failure and returns the error for the group.
func (r *run) fatal(err error) error {
	r.fail(err)
	return fmt.Errorf("importer: checkpoint: %w", err)
}

func (r *run) failedOrNil(ctx context.Context, t task, err error, stopFeeding func()) error {
	if err == nil {
		return nil
	}
	return r.failed(ctx, t, err, stopFeeding)
}

// failed classifies a row's error once: fatal for the run (401, 403 on auth), a stop
// (budget spent, interrupted: the row stays pending and a later run resumes it), or a
// rejected row.
func (r *run) failed(ctx context.Context, t task, err error, stopFeeding func()) error {
	var unsupported *errUnsupported
	switch {
	case ctx.Err() != nil:
		return nil // interrupted: pending
	case isBudget(err):
		r.setStopped(err)
		stopFeeding()
		return nil
	case errors.Is(err, pipedrive.ErrUnauthorized):
		r.setStopped(err)
		return fmt.Errorf("importer: %w", err)
	case errors.As(err, &unsupported):
		r.setStopped(&JobError{Path: r.job.Path, Err: err})
		return &JobError{Path: r.job.Path, Err: err}
	case errors.Is(err, pipedrive.ErrUnavailable):
		// Nothing is wrong with the row: the API cannot be reached, or keeps failing after
		// the client's retries. Rejecting would make every row after it a reject; the row
		// stays pending (or in doubt) and the run stops, resumable.
		r.setStopped(&UnavailableError{Row: t.row.Num, Err: err})
		stopFeeding()
		return nil
	}
	if fes := mapping.FieldErrors(err); len(fes) > 0 {
		return r.rejectRow(ctx, t, fes[0].Column, fieldReasons(fes))
	}
	return r.rejectRow(ctx, t, "", err.Error())
}

// ErrUnavailable is matched by an *UnavailableError.
var ErrUnavailable = errors.New("the API is unavailable")

// UnavailableError stops a run when the API cannot be reached or keeps failing for a
// reason that is not the row's; a later run resumes where it stopped.
type UnavailableError struct {
	Row int // the row whose request failed last
	Err error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("the API kept failing (row %d: %v)", e.Row, e.Err)
}
func (e *UnavailableError) Unwrap() error        { return e.Err }
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// fieldReasons renders a row's field errors without the row number the report already has:
// column "Amount" (value.amount): "12,3x" is not a number; column "Close" ...
func fieldReasons(fes []*mapping.FieldError) string {
	parts := make([]string, len(fes))
	for i, fe := range fes {
		switch {
		case fe.Column != "" && fe.Field != "":
			parts[i] = fmt.Sprintf("column %q (%s): %s", fe.Column, fe.Field, fe.Reason())
		case fe.Column != "":
			parts[i] = fmt.Sprintf("column %q: %s", fe.Column, fe.Reason())
		case fe.Field != "":
			parts[i] = fmt.Sprintf("field %s: %s", fe.Field, fe.Reason())
		default:
			parts[i] = fe.Reason()
		}
	}
	return strings.Join(parts, "; ")
}

func isNotFound(err error) bool { return errors.Is(err, pipedrive.ErrNotFound) }

// toMappingRow hands a row's typed cells to the mapper, which keeps its own cell type: it
// imports no other package of the tool (DESIGN.md).
func toMappingRow(row sheet.Row) mapping.Row {
	cells := make([]mapping.Cell, len(row.Cells))
	for i, c := range row.Cells {
		cells[i] = mapping.Cell{Text: c.Text, Kind: mapping.Kind(c.Kind), Number: c.Number, Time: c.Time}
	}
	return mapping.Row{Num: row.Num, Cells: cells}
}
