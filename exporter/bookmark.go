package exporter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/pdbulk/pdbulk/jobs"
)

// bookmark is where an incremental export of leads stopped: the newest update_time it saw,
// and the ids of the leads updated at that very time (written already; a lead updated in the
// same millisecond later is not among them and is exported by the next run). Read is what
// the read that found them asked for (readKey): the bookmark holds for that read only.
type bookmark struct {
	UpdateTime string   `json:"update_time"`
	IDs        []string `json:"ids"`
	// Read is readKey of the job that saved the bookmark; "" in a bookmark saved before
	// pdbulk recorded it, which is taken to match (so that an upgrade does not read every
	// lead again), and is given the job's read by the next run that writes a record.
	Read string `json:"read,omitempty"`
}

// readKey names what an incremental export's read depends on: the entity, the lists
// (active or archived leads) and the query that filters them (filter_id, owner_id,
// person_id, organization_id), as "leads getLeads?owner_id=4". The sort is left out: an
// incremental read is always by update_time, newest first, whatever the file's order.
func readKey(x *jobs.Export) string {
	parts := make([]string, 0, 2*len(x.Sheets))
	for _, s := range x.Sheets {
		parts = append(parts, string(s.Entity))
		for _, op := range sheetOps(s) {
			parts = append(parts, listKey(op, s.Query))
		}
	}
	return strings.Join(parts, " ")
}

// staleFor reports whether b was saved for another read than x's (readKey, returned as
// now). A bookmark that records no read matches.
func (b bookmark) staleFor(x *jobs.Export) (now string, stale bool) {
	now = readKey(x)
	return now, b.Read != "" && b.Read != now
}

// loadBookmark returns the bookmark the job's last run saved, or none (read every lead)
// when there is none or it was saved for another read: the records of a new query that
// were updated before the old bookmark would never be read otherwise. It says so in one
// line.
func (o *Options) loadBookmark(ctx context.Context) (bookmark, error) {
	j := o.Job
	var bm bookmark
	v, ok, err := o.State.Bookmark(ctx, j.Name)
	if err != nil {
		return bm, fmt.Errorf("exporter: %w", err)
	}
	if !ok {
		return bm, nil
	}
	if err := json.Unmarshal([]byte(v), &bm); err != nil {
		return bm, fmt.Errorf("exporter: the bookmark of %s is unreadable (%v): run with --restart to export everything again", j.Name, err)
	}
	if now, stale := bm.staleFor(j.Export); stale {
		o.Logf("the job's query changed since its bookmark was saved (was %s, now %s): reading all its leads, not only those updated since %s",
			bm.Read, now, bm.UpdateTime)
		return bookmark{}, nil
	}
	return bm, nil
}

// ErrTargetExists: an incremental export's target is there already. Its rows are what
// changed since the run before it, which replacing the file would lose while the bookmark
// moves on; nothing was written and the bookmark stays.
var ErrTargetExists = errors.New("the target exists already")

// refuseReplace returns ErrTargetExists, with the path and what to do, when an
// incremental export that does not append would replace a file at path.
func refuseReplace(x *jobs.Export, path string) error {
	if !x.Incremental || x.Target.Append {
		return nil
	}
	_, err := os.Lstat(path)
	switch {
	case err == nil:
		return fmt.Errorf("exporter: %s: %w: it holds an earlier incremental run's leads, which this run would replace "+
			"(name each run's file with {datetime}, or append to one CSV with append: true); nothing was written", path, ErrTargetExists)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	}
	return fmt.Errorf("exporter: %w", err)
}
