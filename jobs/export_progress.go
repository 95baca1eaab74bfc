package jobs

import "context"

// An interrupted export keeps where it stood (the sheet, the position in the list's total
// order, what is durable in its temporary file) so that the next run goes on from there.
// The entry lives in the bookmarks table, bound to the account like every entry, under a
// key no job name can take: the bookmark of an incremental export and the position of an
// interrupted one are separate entries.
func exportProgressKey(job string) string { return "\x1fexport-progress\x1f" + job }

// ExportProgress returns the saved position of an interrupted run of export job, and
// whether there is one.
func (s *State) ExportProgress(ctx context.Context, job string) (string, bool, error) {
	return s.Bookmark(ctx, exportProgressKey(job))
}

// SetExportProgress saves the position of a running export job, replacing the last one.
// It is durable when it returns.
func (s *State) SetExportProgress(ctx context.Context, job, value string) error {
	return s.SetBookmark(ctx, exportProgressKey(job), value)
}

// DeleteExportProgress forgets the position of export job: its next run starts from the
// beginning.
func (s *State) DeleteExportProgress(ctx context.Context, job string) error {
	return s.DeleteBookmark(ctx, exportProgressKey(job))
}

// An export job also keeps how many records each of its lists held when a run last read it
// to the end: the next run sends as many pages at once as it expects (a scheduled export
// is at the limit from its first round trip) instead of first learning the list's length.
// It is a hint, bound to the account like the rest; a separate entry again.
func exportListsKey(job string) string { return "\x1fexport-lists\x1f" + job }

// ExportLists returns what the last complete run of export job saved of its lists'
// lengths, and whether there is anything.
func (s *State) ExportLists(ctx context.Context, job string) (string, bool, error) {
	return s.Bookmark(ctx, exportListsKey(job))
}

// SetExportLists saves the lengths of export job's lists, replacing the last ones.
func (s *State) SetExportLists(ctx context.Context, job, value string) error {
	return s.SetBookmark(ctx, exportListsKey(job), value)
}
