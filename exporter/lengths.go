package exporter

import (
	"context"
	"encoding/json"
	"net/url"
)

// listLengths is what an export job knows of its lists from its last complete run: how
// many records each held, by list (its operation and query, filters and sort included).
// The next run asks for the pages it expects at once instead of first learning the list's
// length from its first pages' answers: at a long round trip, that first round trip is
// otherwise spent on a page and a few probes, and the rolling window carries its gap to the
// end of the run. A hint only: the pages past what it promises are probed as usual, a list
// that shrank ends where a page says so (the pages sent past its end, at most those in
// flight, are the cost), and nothing of the export's completeness rests on it. Used by the
// goroutine that runs the export only.
type listLengths struct {
	last map[string]int // from the last complete run
	now  map[string]int // the lists read to their end by this run
}

func listKey(op string, q url.Values) string { return op + "?" + q.Encode() }

// maxLists bounds what a job keeps: past it (a query that changes from run to run), only the
// lists of the last run.
const maxLists = 64

// loadLengths reads what the last complete run of the job saved. An unreadable entry is
// no hint.
func (o *Options) loadLengths(ctx context.Context) *listLengths {
	l := &listLengths{last: map[string]int{}, now: map[string]int{}}
	if v, ok, err := o.State.ExportLists(ctx, o.Job.Name); err == nil && ok {
		if json.Unmarshal([]byte(v), &l.last) != nil {
			l.last = map[string]int{}
		}
	}
	return l
}

// hint is how many records the list held when last read to its end; 0 = unknown.
func (l *listLengths) hint(key string) int {
	return max(l.last[key], 0)
}

// read records that this run read the list to its end, n records in all.
func (l *listLengths) read(key string, n int) {
	l.now[key] = n
}

// save keeps the lengths of the lists this run read to their end, beside those of the lists
// it did not read (another sheet's, skipped on resume). A failure costs the next run its
// hint, not this run its file: it is logged.
func (o *Options) saveLengths(ctx context.Context, l *listLengths) {
	if len(l.now) == 0 {
		return
	}
	all := map[string]int{}
	if len(l.last)+len(l.now) <= maxLists {
		for k, n := range l.last {
			all[k] = n
		}
	}
	for k, n := range l.now {
		all[k] = n
	}
	b, err := json.Marshal(all)
	if err == nil {
		err = o.State.SetExportLists(ctx, o.Job.Name, string(b))
	}
	if err != nil {
		o.Logf("the lengths of the lists read could not be kept for the next run (%v): it will learn them again", err)
	}
}
