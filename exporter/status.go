package exporter

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
)

// saveLast keeps what this complete run wrote, for `pdbulk status`. A failure costs status
// its report, not this run its file: it is logged.
func (o *Options) saveLast(ctx context.Context, res *Result) {
	b, err := json.Marshal(LastRun{Path: res.Path, Sheets: res.Sheets, Requests: res.Requests, Since: res.Since})
	if err == nil {
		err = o.State.SetExportLast(ctx, o.Job.Name, string(b))
	}
	if err != nil {
		o.Logf("the checkpoint could not keep what this run wrote (%v): status will not show it", err)
	}
}

// Status is what the checkpoint holds of an export job in one account (pdbulk status).
type Status struct {
	Last     *LastRun     // the last complete run; nil: none recorded
	Stopped  *Stopped     // a run stopped part-way, or running now; nil: none
	Bookmark *Bookmark    // an incremental export's bookmark; nil: the next run reads every record
	Lists    []ListLength // the lengths of the lists as last read to their end, by list
}

// LastRun is the last complete run of an export job, as the run saves it once its file is in
// place (Finished is when the checkpoint saved it).
type LastRun struct {
	Finished time.Time     `json:"-"`
	Path     string        `json:"path"`   // the file written
	Sheets   []SheetResult `json:"sheets"` // records per sheet
	Requests int64         `json:"requests"`
	Since    string        `json:"since,omitempty"` // incremental: the bookmark it started from ("" every record)
}

// Records is the records written, every sheet.
func (l *LastRun) Records() int {
	n := 0
	for _, s := range l.Sheets {
		n += s.Records
	}
	return n
}

// Stopped is where a run that did not finish stands: what the next run continues.
type Stopped struct {
	Saved   time.Time // when the position was last saved
	Path    string    // the target it writes ({date} as when the run began)
	Records int       // records durable in its temporary file, every sheet
	Sheet   string    // the sheet being written (of a workbook: its name)
	List    string    // the list being read ("active leads", "archived leads", "files"), "" when none has begun
	After   string    // the last record written, in the list's order; "" when its read has not begun
	Stale   string    // not "": why the next run cannot continue it and starts over
}

// Bookmark is where an incremental export's next run stops reading.
type Bookmark struct {
	UpdateTime string // the newest update_time written
	IDs        int    // leads written at that very time (not written again)
	Saved      time.Time
	// Stale is not "" when the bookmark was saved for another query than the job's: why
	// the next run reads every lead of the job's query instead of stopping at it.
	Stale string
}

// ListLength is how many records a list held when a run last read it to its end.
type ListLength struct {
	List    string
	Records int
}

// StatusIn reads what the checkpoint st holds of export job j in account a. It writes nothing.
func StatusIn(ctx context.Context, st *jobs.State, a jobs.Account, j *jobs.Job) (*Status, error) {
	e, err := st.ExportIn(ctx, a, j.Name)
	if err != nil {
		return nil, err
	}
	s := &Status{}
	if e.Last.Value != "" {
		s.Last = &LastRun{}
		if err := json.Unmarshal([]byte(e.Last.Value), s.Last); err != nil {
			return nil, fmt.Errorf("exporter: the last run of %s is unreadable: %w", j.Name, err)
		}
		s.Last.Finished = e.Last.Saved
	}
	if e.Bookmark.Value != "" {
		var b bookmark
		if err := json.Unmarshal([]byte(e.Bookmark.Value), &b); err != nil {
			return nil, fmt.Errorf("exporter: the bookmark of %s is unreadable (run with --restart to export everything again): %w", j.Name, err)
		}
		s.Bookmark = &Bookmark{UpdateTime: b.UpdateTime, IDs: len(b.IDs), Saved: e.Bookmark.Saved}
		if now, stale := b.staleFor(j.Export); stale {
			s.Bookmark.Stale = fmt.Sprintf("it was saved for %s, the job now reads %s", b.Read, now)
		}
	}
	if e.Progress.Value != "" {
		s.Stopped = stopped(j, e.Progress)
	}
	if e.Lists.Value != "" {
		var m map[string]int
		if json.Unmarshal([]byte(e.Lists.Value), &m) == nil {
			for k, n := range m {
				s.Lists = append(s.Lists, ListLength{List: listName(k), Records: n})
			}
			sort.Slice(s.Lists, func(i, k int) bool { return s.Lists[i].List < s.Lists[k].List })
		}
	}
	return s, nil
}

// stopped describes progress entry e of job j.
func stopped(j *jobs.Job, e jobs.ExportEntry) *Stopped {
	var p progress
	if err := json.Unmarshal([]byte(e.Value), &p); err != nil {
		return &Stopped{Saved: e.Saved, Stale: "its position is unreadable"}
	}
	s := &Stopped{Saved: e.Saved, Path: p.Path, Records: sum(p.Done) + p.Records}
	x := j.Export
	switch {
	case p.Version != progressVersion || p.Fingerprint != fingerprint(j):
		s.Stale = "the job's export settings changed since"
		return s
	case p.Sheet >= len(x.Sheets):
		return s // every sheet is in: the file is being written
	}
	sh := x.Sheets[p.Sheet]
	s.Sheet = sh.Name
	if ops := sheetOps(sh); p.Begun && p.Op < len(ops) && (sh.Entity == jobs.EntityLeads || sh.Entity == jobs.EntityFiles) {
		s.List = opName(ops[p.Op])
		if p.At.Started {
			field := "add_time"
			switch {
			case x.Incremental:
				field = "update_time"
			case sh.Entity == jobs.EntityFiles:
				field = "id"
			case sh.Sort != "":
				field = sh.Sort
			}
			if field == "id" {
				s.After = "id " + p.At.Last.ID
			} else {
				s.After = fmt.Sprintf("%s %s, id %s", field, p.At.Last.Value, p.At.Last.ID)
			}
		}
	}
	return s
}

// listName names the list of key listKey(op, q) for a user: "active leads (owner_id=3)".
func listName(key string) string {
	op, rawq, _ := strings.Cut(key, "?")
	name := opName(op)
	q, err := url.ParseQuery(rawq)
	if err != nil {
		return name
	}
	q.Del("sort")
	if len(q) > 0 {
		name += " (" + strings.ReplaceAll(q.Encode(), "&", ", ") + ")"
	}
	return name
}

func opName(op string) string {
	switch op {
	case "getLeads":
		return "active leads"
	case "getArchivedLeads":
		return "archived leads"
	case "getFiles":
		return "files"
	}
	return op
}
