package importer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/pdbulk/pdbulk/mapping"
)

// A lead label that create_missing makes is created once, however the run ends:
//
//  1. Before POST /leadLabels is sent, the checkpoint records that a label of the name
//     (folded: mapping.FoldKey) may be on its way, and when (our clock). The entry is
//     the account's, not a job's: any job of the account about to create a label of that
//     name learns of it.
//  2. The entry is forgotten once the label's id is known (answered, or found in the list),
//     or when the server did not take the create (an answer that is not in doubt).
//  3. While the entry is there (an answer lost or late, Ctrl-C, a crash, kill -9), a label of
//     the name is not created again before GET /leadLabels was read until the settle time
//     (Options.SettleTime) had passed since the create was sent, with the waits of a row in
//     doubt (1, 2, 4… s). GET /leadLabels is consistent at once: a label the create made is
//     in it as soon as the server has applied the create. The label found is adopted; when
//     none is, it is created (journaled again first).
//
// Several labels folding to the name still reject the row as ambiguous (findLabel).

// labelCreateKey is the checkpoint entry (a bookmark of the bound account, under a key no
// job name can take) of a create of a lead label whose name folds to folded.
func labelCreateKey(folded string) string { return "\x1flabel-create\x1f" + folded }

// labelCreate is a journaled create of a lead label: the entry's value and when it was
// sent.
type labelCreate struct {
	value string
	sent  time.Time
}

// journaledLabelCreate returns the create of a label of name an earlier run (or an earlier
// attempt of this one) recorded without learning the label's id, and whether there is one.
func (rs *resolver) journaledLabelCreate(ctx context.Context, name string) (labelCreate, bool, error) {
	v, ok, err := rs.run.o.State.Bookmark(ctx, labelCreateKey(mapping.FoldKey(name)))
	if err != nil || !ok {
		return labelCreate{}, false, err
	}
	us, perr := strconv.ParseInt(v, 10, 64)
	if perr != nil {
		// Unreadable: when it was sent is unknown, so it may have been sent just now.
		return labelCreate{value: v, sent: time.Now()}, true, nil
	}
	return labelCreate{value: v, sent: time.UnixMicro(us)}, true, nil
}

// journalLabelCreate records, durably, that a create of a label of name is about to be sent.
// A failure stops the run: nothing may be sent that a crash would leave unknown.
func (rs *resolver) journalLabelCreate(ctx context.Context, name string) (labelCreate, error) {
	now := time.Now()
	c := labelCreate{value: strconv.FormatInt(now.UnixMicro(), 10), sent: now}
	if err := rs.run.o.State.SetBookmark(ctx, labelCreateKey(mapping.FoldKey(name)), c.value); err != nil {
		return labelCreate{}, rs.checkpointErr(ctx, err)
	}
	return c, nil
}

// checkpointErr stops the run for a checkpoint failure, unless ctx ended (then the run is
// being stopped anyway, and the row stays pending).
func (rs *resolver) checkpointErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return rs.run.fatal(err)
}

// forgetLabelCreate removes the journaled create of a label of name, when there is one and
// it is still the one whose value is value ("" = whichever there is): a create another job
// journaled since is kept.
func (rs *resolver) forgetLabelCreate(ctx context.Context, name, value string) error {
	ctx = context.WithoutCancel(ctx) // the label's id is known: this must not be lost to a Ctrl-C
	c, ok, err := rs.journaledLabelCreate(ctx, name)
	if err != nil {
		return rs.run.fatal(err)
	}
	if !ok || (value != "" && c.value != value) {
		return nil
	}
	if err := rs.run.o.State.DeleteBookmark(ctx, labelCreateKey(mapping.FoldKey(name))); err != nil {
		return rs.run.fatal(err)
	}
	return nil
}

// settleLabelLocked reads the account's lead labels until one folds to name's key or
// deadline has passed (at least once), waiting 1, 2, 4… s between reads. It returns what
// findLabel says of the last read: an error matching mapping.ErrNotFound when the label did
// not appear.
func (rs *resolver) settleLabelLocked(ctx context.Context, name string, deadline time.Time) (any, error) {
	step := firstLookStep
	for {
		if err := rs.loadLabelsLocked(ctx); err != nil {
			return nil, err
		}
		id, err := findLabel(rs.labels, name)
		if !errors.Is(err, mapping.ErrNotFound) {
			return id, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, err
		}
		if serr := sleep(ctx, min(step, left)); serr != nil {
			return nil, serr
		}
		step *= 2
	}
}

// adoptJournaledLabelLocked waits for the label a journaled create of name may have made
// (see the top of this file). found is false when there was no such create, or its label did
// not appear before the settle time had passed since it was sent: then a create may be sent.
func (rs *resolver) adoptJournaledLabelLocked(ctx context.Context, name string) (id any, found bool, err error) {
	c, ok, err := rs.journaledLabelCreate(ctx, name)
	if err != nil {
		return nil, false, rs.checkpointErr(ctx, err)
	}
	if !ok {
		return nil, false, nil
	}
	deadline := c.sent.Add(rs.run.o.SettleTime)
	rs.run.logf("lead label %q: a create of it was sent at %s without an answer; looking for it until %s",
		name, c.sent.Format(time.RFC3339), deadline.Format(time.RFC3339))
	id, err = rs.settleLabelLocked(ctx, name, deadline)
	switch {
	case errors.Is(err, mapping.ErrNotFound):
		return nil, false, nil
	case err != nil:
		return nil, true, err // ambiguous, or the read failed
	}
	if ferr := rs.forgetLabelCreate(ctx, name, c.value); ferr != nil {
		return nil, true, ferr
	}
	return id, true, nil
}

// labelCreateError is the error of a create of lead label name that failed with err.
func labelCreateError(name string, err error) error {
	return fmt.Errorf("create lead label %q: %w", name, err)
}
