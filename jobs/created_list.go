package jobs

import (
	"context"
	"fmt"
	"time"
)

// CreatedEntry is a record the job created and has not undone, with when it was recorded
// created.
type CreatedEntry struct {
	CreatedRecord
	CreatedAt time.Time
}

// CreatedPage returns up to limit records of the run's account that the job created and
// undo has not removed, after (row, id) in the order of CreatedAfter, with when each was
// created: what `pdbulk undo --dry-run` lists.
func (r *Run) CreatedPage(ctx context.Context, row int, id string, limit int) ([]CreatedEntry, error) {
	rs, err := r.s.rdb.QueryContext(ctx, `SELECT entity, remote_id, row, created_at FROM created
		WHERE account = ? AND job = ? AND undone = 0 AND (row > ? OR (row = ? AND remote_id > ?))
		ORDER BY row, remote_id LIMIT ?`, r.account, r.job, row, row, id, limit)
	if err != nil {
		return nil, fmt.Errorf("jobs: created records of %s: %w", r.job, err)
	}
	defer rs.Close()
	var out []CreatedEntry
	for rs.Next() {
		var c CreatedEntry
		var at int64
		if err := rs.Scan(&c.Entity, &c.RemoteID, &c.Row, &at); err != nil {
			return nil, fmt.Errorf("jobs: created records of %s: %w", r.job, err)
		}
		c.CreatedAt = fromMicros(at)
		out = append(out, c)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("jobs: created records of %s: %w", r.job, err)
	}
	return out, nil
}
