package jobs

import (
	"context"
	"fmt"
	"time"
)

// An export job's last complete run (its file, its records per sheet) is one more entry of
// the bookmarks table, bound to the account, under a key no job name can take.
func exportLastKey(job string) string { return "\x1fexport-last\x1f" + job }

// SetExportLast saves what the last complete run of export job wrote, replacing the last one.
func (s *State) SetExportLast(ctx context.Context, job, value string) error {
	return s.SetBookmark(ctx, exportLastKey(job), value)
}

// ExportEntry is one of an export job's checkpoint entries and when it was saved. The zero
// ExportEntry is no entry.
type ExportEntry struct {
	Value string
	Saved time.Time
}

// ExportEntries is what the checkpoint holds of an export job in one account.
type ExportEntries struct {
	Bookmark ExportEntry // an incremental export's bookmark (Bookmark)
	Progress ExportEntry // the position of a run stopped part-way, or running (ExportProgress)
	Lists    ExportEntry // its lists' lengths (ExportLists)
	Last     ExportEntry // its last complete run (SetExportLast)
}

// ExportIn returns the entries of export job in account a rather than the bound account
// (for `pdbulk status`, which shows a job in every account it ran in). It writes nothing.
func (s *State) ExportIn(ctx context.Context, a Account, job string) (ExportEntries, error) {
	var e ExportEntries
	slots := map[string]*ExportEntry{job: &e.Bookmark, exportProgressKey(job): &e.Progress,
		exportListsKey(job): &e.Lists, exportLastKey(job): &e.Last}
	rs, err := s.rdb.QueryContext(ctx, `SELECT job, value, updated_at FROM bookmarks WHERE account = ? AND job IN (?, ?, ?, ?)`,
		a.Key(), job, exportProgressKey(job), exportListsKey(job), exportLastKey(job))
	if err != nil {
		return e, fmt.Errorf("jobs: export status %s: %w", job, err)
	}
	defer rs.Close()
	for rs.Next() {
		var key, v string
		var at int64
		if err := rs.Scan(&key, &v, &at); err != nil {
			return e, fmt.Errorf("jobs: export status %s: %w", job, err)
		}
		*slots[key] = ExportEntry{Value: v, Saved: fromMicros(at)}
	}
	if err := rs.Err(); err != nil {
		return e, fmt.Errorf("jobs: export status %s: %w", job, err)
	}
	return e, nil
}

// ExportAccounts returns every account in which export job has an entry (a bookmark, a
// position, lists' lengths, a last run), the unknown account included, in the order they
// were first seen. It writes nothing.
func (s *State) ExportAccounts(ctx context.Context, job string) ([]Account, error) {
	return s.accountsOf(ctx, job, `SELECT DISTINCT account FROM bookmarks WHERE job IN (?, ?, ?, ?)`,
		job, exportProgressKey(job), exportListsKey(job), exportLastKey(job))
}
