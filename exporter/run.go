// Package exporter runs an export job: API pages (fetched concurrently within the shared
// pacer, handed on in order, each record once, proven complete) → the job's columns read
// the other way (ids to names, nested fields, typed cells) → a CSV or XLSX file written
// under a temporary name and renamed into place only when every record is in.
package exporter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sheet"
)

// Options configures Run. Job (kind: export) and Client are required; State is required
// unless DryRun.
type Options struct {
	Job    *jobs.Job
	Client *pipedrive.Client
	State  *jobs.State // holds the bookmark of an incremental export
	DryRun bool        // read nothing, write nothing: print what the export will cost
	// Concurrency pins how many pages are fetched at once; 0 = the job's
	// options.concurrency if it gives one, otherwise the client's Gate adapts it.
	Concurrency int
	PageSize    int              // records per page; 0 = the endpoint's maximum
	Now         func() time.Time // the run's time, for {date} in the target; nil = time.Now
	Logf        func(format string, args ...any)
	// CheckpointEvery is how often the rows written are synced and the position saved, so
	// that an interrupted export goes on from there; 0 = every second, negative = after
	// every page.
	CheckpointEvery time.Duration
}

// Result is what an export did.
type Result struct {
	Path       string        // the file written
	Sheets     []SheetResult // per sheet, in order
	Requests   int64         // list pages read (lookups and per-record reads not counted)
	Repairs    int64         // pages read again because the collection shifted under them
	Downloaded int           // files downloaded (files export with download)
	Skipped    int           // files already in the download folder with the same size
	Remote     int           // files that link to a file kept elsewhere (remote_location not s3): not downloaded
	Since      string        // an incremental export: the bookmark it started from
	Resumed    int           // records an interrupted run had written, which this run kept
}

// SheetResult counts one sheet's records.
type SheetResult struct {
	Name    string
	Records int
}

// Run exports o.Job. It returns after every goroutine it started has ended. On any error
// (an interruption included) nothing is written at the target and the bookmark stays. An
// interrupted export keeps its temporary file and its position in the checkpoint (see
// progress), and the next Run of the same job goes on from there.
func Run(ctx context.Context, o Options) (*Result, error) {
	j := o.Job
	if j == nil || j.Export == nil {
		return nil, errors.New("exporter: not an export job")
	}
	if o.Client == nil || o.State == nil {
		return nil, errors.New("exporter: an export needs a client and a state store")
	}
	// The client's Gate bounds the pages in flight, as it bounds an import's requests: a
	// concurrency given (--concurrency, or the job's options.concurrency) pins it, otherwise
	// it adapts to the pacer's rate and the round trips, and the pager asks for as many
	// pages as it lets through.
	pin := o.Concurrency
	if pin <= 0 && j.Options.ConcurrencySet {
		pin = j.Options.Concurrency
	}
	gate := o.Client.Gate()
	gate.Set(0, pin)
	o.Concurrency = gate.Max()
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.CheckpointEvery == 0 {
		o.CheckpointEvery = time.Second
	}
	x := j.Export
	prog, err := o.loadProgress(ctx)
	if err != nil {
		return nil, err
	}
	path := ""
	if prog != nil {
		path = prog.Path // the file the interrupted run began, whatever {date} says now
	} else if path, err = sheet.ExpandPath(x.Target.Path, o.Now(), x.TimeZone); err != nil {
		return nil, fmt.Errorf("exporter: %w", err)
	}
	res := &Result{Path: path}
	if prog == nil {
		// A resumed run writes the file its first part began; that file may be in place
		// already when the run was killed between moving it there and forgetting its
		// position, and the resume then finishes as before.
		if err := refuseReplace(x, path); err != nil {
			return nil, err
		}
	}

	lookups, err := readLookups(ctx, o.Client, x.Sheets)
	if err != nil {
		return nil, err
	}
	var bm bookmark
	if x.Incremental {
		if bm, err = o.loadBookmark(ctx); err != nil {
			return nil, err
		}
		res.Since = bm.UpdateTime
	}

	if err := os.MkdirAll(filepath.Dir(res.Path), 0o755); err != nil {
		return nil, fmt.Errorf("exporter: %w", err)
	}
	// The writers never see the cancellation: an interrupted export keeps its temporary
	// file for the next run, and stops between two records by itself.
	out, err := o.openOutput(context.WithoutCancel(ctx), res.Path, prog)
	if err != nil {
		if prog == nil {
			return nil, fmt.Errorf("exporter: %w", err)
		}
		o.Logf("the interrupted run cannot be continued (%v): starting over", err)
		o.forget(ctx, prog)
		if prog, err = nil, o.State.DeleteExportProgress(context.WithoutCancel(ctx), j.Name); err != nil {
			return nil, fmt.Errorf("exporter: %w", err)
		}
		if out, err = o.openOutput(context.WithoutCancel(ctx), res.Path, nil); err != nil {
			return nil, fmt.Errorf("exporter: %w", err)
		}
	}
	cp := &checkpointer{o: &o, out: out, prog: prog, saved: prog != nil, last: time.Now(), lists: o.loadLengths(ctx)}
	if prog == nil {
		cp.prog = &progress{Version: progressVersion, Fingerprint: fingerprint(j), Path: res.Path}
	} else {
		res.Requests, res.Repairs, res.Resumed = prog.Requests, prog.Repairs, prog.Records+sum(prog.Done)
		o.Logf("continuing the interrupted export: %d records are in already", res.Resumed)
	}
	fail := func(err error) (*Result, error) {
		if cp.saved && !errors.Is(err, ErrIncomplete) {
			return nil, errors.Join(err, out.suspend())
		}
		if cp.saved {
			err = errors.Join(err, o.State.DeleteExportProgress(context.WithoutCancel(ctx), j.Name))
		}
		return nil, errors.Join(err, out.abort())
	}
	var files []record
	next := &cp.prog.Next
	for si, s := range x.Sheets {
		if si < cp.prog.Sheet {
			res.Sheets = append(res.Sheets, SheetResult{Name: s.Name, Records: cp.prog.Done[si]})
			continue
		}
		w := newRow(s, x.TimeZone, lookups, x.Target.Format == "csv")
		n := 0
		if si == cp.prog.Sheet && cp.prog.Begun {
			n = cp.prog.Records
		} else {
			if err := out.begin(s.Name, w.header()); err != nil {
				return fail(fmt.Errorf("exporter: %w", err))
			}
			cp.prog.Sheet, cp.prog.Begun, cp.prog.Op, cp.prog.At, cp.prog.Records = si, true, 0, position{}, 0
		}
		write := func(r record) error {
			cells, err := w.cellsOf(r)
			if err != nil {
				return fmt.Errorf("exporter: %s: %w", s.Entity, err)
			}
			if s.Entity == jobs.EntityFiles && x.Download != "" {
				if stored(r) {
					files = append(files, fileRef(r))
				} else {
					res.Remote++
				}
			}
			n++
			return out.row(cells)
		}
		if err := o.readSheet(ctx, s, bm, next, res, cp, &n, write); err != nil {
			return fail(err)
		}
		res.Sheets = append(res.Sheets, SheetResult{Name: s.Name, Records: n})
		if len(x.Sheets) > 1 {
			o.Logf("sheet %s: %s: %d records", s.Name, s, n)
		}
		cp.prog.Done = append(cp.prog.Done[:si], n)
		cp.prog.Sheet, cp.prog.Begun, cp.prog.Op, cp.prog.At, cp.prog.Records = si+1, false, 0, position{}, 0
		if err := cp.save(ctx, res, true); err != nil {
			return fail(err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := out.close(ctx); err != nil {
		return fail(fmt.Errorf("exporter: %w", err))
	}
	o.saveLengths(context.WithoutCancel(ctx), cp.lists)
	if cp.saved {
		if err := o.State.DeleteExportProgress(context.WithoutCancel(ctx), j.Name); err != nil {
			return res, fmt.Errorf("exporter: the file is written but the checkpoint could not forget the run's position: %w", err)
		}
	}
	o.saveLast(context.WithoutCancel(ctx), res)
	if x.Download != "" {
		if res.Remote > 0 {
			o.Logf("%d files are links to files kept elsewhere (Google Drive): their rows are written, their contents are not downloaded", res.Remote)
		}
		if err := o.download(ctx, files, res); err != nil {
			return res, err
		}
	}
	if x.Incremental && next.UpdateTime != "" {
		next.Read = readKey(x)
		b, err := json.Marshal(next)
		if err == nil {
			err = o.State.SetBookmark(context.WithoutCancel(ctx), j.Name, string(b))
		}
		if err != nil {
			return res, fmt.Errorf("exporter: the file is written but the bookmark could not be saved (the next run exports these records again): %w", err)
		}
	}
	return res, nil
}

func sum(list []int) int {
	n := 0
	for _, v := range list {
		n += v
	}
	return n
}

// readSheet hands every record of sheet s on to write, in order.
func (o *Options) readSheet(ctx context.Context, s jobs.ExportSheet, bm bookmark, next *bookmark, res *Result, cp *checkpointer, n *int, write func(record) error) error {
	c := o.Client
	switch s.Entity {
	case jobs.EntityLeads, jobs.EntityFiles:
		// A sheet of leads "archived: all" reads two lists, one after the other. Each read
		// begins when the sheet does: both lists' pages go out together, as far ahead as
		// one list alone, instead of the second list's one round trip (or more) after the
		// first's end. The records are handed on in order all the same: the second list's
		// pages wait on disk for their turn (pageSpill), as do a list's pages answered
		// while maxHeld already wait, so the reads hold no more than maxHeld pages in
		// memory each, whatever the round trip.
		var pagers []*pager
		var reads []*reading
		defer func() {
			for _, r := range reads {
				if r != nil {
					r.stop()
				}
			}
		}()
		for i, op := range sheetOps(s) {
			if i < cp.prog.Op {
				continue
			}
			var p *pager
			if s.Entity == jobs.EntityFiles {
				p = o.newPager(op, s.Query, "id", false, true)
			} else {
				p = o.newPager(op, s.Query, s.Sort, s.Desc, false)
			}
			p.keep = keptKeys(s)
			if o.Job.Export.Incremental {
				p.field, p.desc = "update_time", true
				p.query.Set("sort", "update_time DESC, id DESC")
				p.filter = o.incrementalFilter(bm, next)
			}
			if i == cp.prog.Op && cp.prog.At.Started {
				at := cp.prog.At
				p.from = &at
			}
			if !o.Job.Export.Incremental {
				p.hint = cp.lists.hint(listKey(op, p.query))
			}
			pagers = append(pagers, p)
		}
		// The lists of unknown length share the first round trip: an incremental read stops
		// at its bookmark, usually within a page or two, and is not one of them.
		var unknown []*pager
		for _, p := range pagers {
			if p.hint == 0 && p.filter == nil {
				unknown = append(unknown, p)
			}
		}
		for _, p := range unknown {
			p.unknown = len(unknown)
		}
		for _, p := range pagers {
			ahead, err := newPageSpill(filepath.Dir(res.Path))
			if err != nil {
				return err
			}
			reads = append(reads, p.start(ctx, ahead))
		}
		for k, r := range reads {
			i, p := cp.prog.Op, r.p
			var before, repairsBefore int64 = res.Requests, res.Repairs
			p.onPage = func(at position) error {
				cp.prog.Op, cp.prog.At, cp.prog.Records = i, at, *n
				res.Requests, res.Repairs = before+p.requests.Load(), repairsBefore+p.repairs.Load()
				return cp.save(ctx, res, false)
			}
			err := r.each(write)
			reads[k] = nil
			res.Requests, res.Repairs = before+p.requests.Load(), repairsBefore+p.repairs.Load()
			if err != nil {
				return err
			}
			if !o.Job.Export.Incremental {
				cp.lists.read(listKey(p.op, p.query), r.c.pos)
			}
			cp.prog.Op, cp.prog.At, cp.prog.Records = i+1, position{}, *n
			if err := cp.save(ctx, res, true); err != nil {
				return err
			}
		}
		return nil
	case jobs.EntitySearch:
		return o.search(ctx, s, res, write)
	}
	op := sheetOps(s)[0]
	q := cloneValues(s.Query)
	if s.Entity == jobs.EntityTeams {
		q.Set("skip_users", "1")
		if s.Users {
			q.Set("skip_users", "0")
		}
	}
	recs, err := records(c.RecordsKeep(ctx, op, q, 0, 0, nil))
	res.Requests++
	if err != nil {
		return err
	}
	if s.Entity == jobs.EntityGoals && len(recs) == 1 {
		// GET /goals/find answers {goals: [...]}.
		if list, ok := recs[0]["goals"].([]any); ok {
			recs = recs[:0]
			for _, g := range list {
				if m, ok := g.(map[string]any); ok {
					recs = append(recs, record(m))
				}
			}
		}
	}
	if err := o.enrich(ctx, s, recs); err != nil {
		return err
	}
	for _, r := range recs {
		if err := write(r); err != nil {
			return err
		}
	}
	return nil
}

func (o *Options) newPager(op string, q url.Values, field string, desc, numeric bool) *pager {
	q = cloneValues(q)
	dir := "ASC"
	if desc {
		dir = "DESC"
	}
	if field == "id" {
		q.Set("sort", "id "+dir)
	} else {
		q.Set("sort", field+" "+dir+", id "+dir)
	}
	limit := o.PageSize
	if limit <= 0 {
		limit = 500
		if op == "getFiles" {
			limit = 100
		}
	}
	return &pager{client: o.Client, op: op, query: q, field: field, desc: desc, numeric: numeric,
		limit: limit, overlap: max(limit/25, 2), workers: o.Concurrency}
}

// incrementalFilter ends a read by update_time DESC at the bookmark (less the lookback),
// skips the leads the last run wrote at the bookmark's very time, and records the next
// bookmark from the newest records read.
func (o *Options) incrementalFilter(bm bookmark, next *bookmark) func(record) action {
	lookback := o.Job.Export.Lookback
	since := bm.UpdateTime
	if since != "" && lookback > 0 {
		if t, err := time.Parse(leadTime, since); err == nil {
			since = t.Add(-lookback).Format(leadTime)
		}
	}
	written := map[string]bool{}
	for _, id := range bm.IDs {
		written[id] = true
	}
	return func(r record) action {
		ut, id := scalarText(r["update_time"]), scalarText(r["id"])
		if since != "" && ut < since {
			return stopRead
		}
		if next.UpdateTime == "" || ut > next.UpdateTime {
			next.UpdateTime, next.IDs = ut, nil
		}
		if ut == next.UpdateTime {
			next.IDs = append(next.IDs, id)
		}
		if lookback == 0 && ut == bm.UpdateTime && written[id] {
			return skipRecord
		}
		return writeRecord
	}
}

// leadTime is the form of a lead's add_time and update_time.
const leadTime = "2006-01-02T15:04:05.000Z"

// search reads item search results: API v2 GET /itemSearch (cursor paged) unless the job
// pins v1 (options.search_api) or the server has no v2 (the client falls back to v1 by
// itself, once, with a notice). Results are ranked, not sorted, so each item is written once
// (by type and id) but the pages cannot be proven to join. Requests counts the pages read.
func (o *Options) search(ctx context.Context, s jobs.ExportSheet, res *Result, write func(record) error) error {
	q, err := pipedrive.ItemSearchV2QueryFrom(s.Query)
	if err != nil {
		return fmt.Errorf("exporter: %s: %w", s, err)
	}
	// The pages are fetched inside FindItems: each answer the server gives is counted (a
	// page; and the 404 of a fall back to v1, or a retried page, since those were sent too).
	var sent atomic.Int64
	defer func() { res.Requests += sent.Load() }()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotFirstResponseByte: func() { sent.Add(1) }})
	seen := map[string]bool{}
	for hit, err := range o.Client.FindItems(ctx, searchAPI(o.Job), q) {
		if err != nil {
			return err
		}
		d := json.NewDecoder(bytes.NewReader(hit.Item))
		d.UseNumber()
		var item map[string]any
		if err := d.Decode(&item); err != nil {
			return fmt.Errorf("exporter: %s: a search hit's item is not an object: %w", s, err)
		}
		r := record{"result_score": json.Number(strconv.FormatFloat(hit.ResultScore, 'f', -1, 64)), "item": item}
		k := fmt.Sprint(lookupPath(r, "item.type"), "/", lookupPath(r, "item.id"))
		if seen[k] {
			continue
		}
		seen[k] = true
		if err := write(r); err != nil {
			return err
		}
	}
	return nil
}

// searchAPI is the search endpoints job j pins (options.search_api), as the client names them.
func searchAPI(j *jobs.Job) pipedrive.SearchAPI {
	switch j.Options.SearchAPI {
	case jobs.SearchAPIV1:
		return pipedrive.SearchV1
	case jobs.SearchAPIV2:
		return pipedrive.SearchV2
	}
	return pipedrive.SearchAuto
}

// enrich adds what a sheet asks for beyond the list: each filter's conditions, each goal's
// results. The reads run concurrently; records keep their order.
func (o *Options) enrich(ctx context.Context, s jobs.ExportSheet, recs []record) error {
	var op string
	var q url.Values
	switch {
	case s.Entity == jobs.EntityFilters && s.Conditions:
		op = "getFilter"
	case s.Entity == jobs.EntityGoals && s.ResultsStart != "":
		op, q = "getGoalResult", url.Values{"period.start": {s.ResultsStart}, "period.end": {s.ResultsEnd}}
	default:
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Concurrency)
	for _, r := range recs {
		q := q
		if op == "getGoalResult" {
			var inside bool
			if q, inside = goalPeriod(r, s.ResultsStart, s.ResultsEnd); !inside {
				continue // the goal does not run in the period: no results to write
			}
		}
		g.Go(func() error {
			var env struct {
				Data json.RawMessage `json:"data"`
			}
			if _, err := o.Client.Call(gctx, op, []string{scalarText(r["id"])}, q, nil, &env); err != nil {
				return fmt.Errorf("exporter: %s %v: %w", op, r["id"], err)
			}
			d := json.NewDecoder(bytes.NewReader(env.Data))
			d.UseNumber()
			var m map[string]any
			if err := d.Decode(&m); err != nil {
				return fmt.Errorf("exporter: %s %v: %w", op, r["id"], err)
			}
			if op == "getFilter" {
				r["conditions"] = m["conditions"]
			} else {
				r["results"] = m
			}
			return nil
		})
	}
	return g.Wait()
}

// goalPeriod is the part of the period from start to end (YYYY-MM-DD) in which goal r runs
// (its duration.start to duration.end, or on without an end), as getGoalResult's query:
// Pipedrive refuses a period that begins before the goal or ends after it. inside is false
// when the goal does not run at all in the period.
func goalPeriod(r record, start, end string) (q url.Values, inside bool) {
	if ds, ok := lookupPath(r, "duration.start").(string); ok && len(ds) >= 10 && ds[:10] > start {
		start = ds[:10]
	}
	if de, ok := lookupPath(r, "duration.end").(string); ok && len(de) >= 10 && de[:10] < end {
		end = de[:10]
	}
	if start > end {
		return nil, false
	}
	return url.Values{"period.start": {start}, "period.end": {end}}, true
}

// keptKeys lists the top-level keys of a record that sheet s uses: those its columns
// name, the sort keys and what a download needs; nil when it writes every field.
func keptKeys(s jobs.ExportSheet) map[string]bool {
	if len(s.Columns) == 0 {
		return nil
	}
	keep := map[string]bool{"id": true, "add_time": true, "update_time": true, "file_name": true, "file_size": true, "name": true,
		"remote_location": true, "duration": true}
	for _, c := range s.Columns {
		top, _, _ := strings.Cut(c.Field, ".")
		keep[top] = true
	}
	return keep
}

// readLookups reads, once, the names every lookup of the job's columns needs.
func readLookups(ctx context.Context, c *pipedrive.Client, sheets []jobs.ExportSheet) (map[string]names, error) {
	out := map[string]names{}
	for _, s := range sheets {
		for _, col := range s.Columns {
			if col.Lookup == "" || out[col.Lookup] != nil {
				continue
			}
			op, q := "getLeadLabels", url.Values{}
			switch col.Lookup {
			case "teams.name":
				op, q = "getTeams", url.Values{"skip_users": {"1"}}
			case "filters.name":
				op = "getFilters"
			}
			recs, err := records(c.RecordsKeep(ctx, op, q, 0, 0, nil))
			if err != nil {
				return nil, fmt.Errorf("exporter: lookup %s: %w", col.Lookup, err)
			}
			n := names{}
			for _, r := range recs {
				n[scalarText(r["id"])] = scalarText(r["name"])
			}
			out[col.Lookup] = n
		}
	}
	return out, nil
}

// records turns the answer of Client.Records into records.
func records(list []map[string]any, _ pipedrive.Page, _ *pipedrive.Response, err error) ([]record, error) {
	if err != nil {
		return nil, err
	}
	out := make([]record, len(list))
	for i, m := range list {
		out[i] = m
	}
	return out, nil
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// output writes the sheets of one export: one CSV, or one XLSX workbook of one sheet or
// more (spooled, see spool). Nothing is at the path until close succeeds.
type output struct {
	ctx  context.Context
	path string
	opts sheet.ExportOptions
	sp   *spool           // XLSX
	csv  *sheet.CSVWriter // CSV, once begun
}

// openOutput opens the output of the export at path: a new one, or the one the
// interrupted run described by prog left.
func (o *Options) openOutput(ctx context.Context, path string, prog *progress) (*output, error) {
	x := o.Job.Export
	out := &output{ctx: ctx, path: path, opts: sheet.ExportOptions{
		Delimiter: x.Target.Delimiter, BOM: x.Target.BOM, Append: x.Target.Append, AllowFormulas: x.Target.KeepFormulas,
		// Whole seconds, as jobs.ExportColumn documents: every row of a column the same
		// width, not .123 on some rows and nothing on the lead saved at .000.
		DateTimeLayout: "2006-01-02 15:04:05",
	}}
	var err error
	switch {
	case x.Target.Format == "xlsx" && prog != nil && prog.Spool != nil:
		out.sp, err = resumeSpool(path, *prog.Spool)
	case x.Target.Format == "xlsx":
		out.sp, err = newSpool(path)
	case prog != nil && prog.CSV != nil:
		out.csv, err = sheet.ResumeCSV(ctx, path, *prog.CSV, out.opts)
	case prog != nil && prog.Begun:
		err = errors.New("the checkpoint holds no temporary file")
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (o *output) begin(name string, header []string) error {
	if o.sp != nil {
		return o.sp.sheet(name, header)
	}
	w, err := sheet.CreateCSV(o.ctx, o.path, header, o.opts)
	o.csv = w
	return err
}

func (o *output) row(cells []sheet.Cell) error {
	if o.sp != nil {
		return o.sp.row(cells)
	}
	return o.csv.WriteCells(cells)
}

// checkpoint makes the rows written so far durable and records in p what they are.
func (o *output) checkpoint(p *progress) error {
	if o.sp != nil {
		c, err := o.sp.checkpoint()
		p.Spool = &c
		return err
	}
	if o.csv == nil {
		p.CSV = nil
		return nil
	}
	c, err := o.csv.Checkpoint()
	p.CSV = &c
	return err
}

func (o *output) close(ctx context.Context) error {
	if o.sp != nil {
		return o.sp.writeWorkbook(ctx, o.opts)
	}
	if o.csv == nil {
		return nil
	}
	return o.csv.Close()
}

// suspend keeps the temporary file for the next run.
func (o *output) suspend() error {
	if o.sp != nil {
		return o.sp.suspend()
	}
	if o.csv == nil {
		return nil
	}
	return o.csv.Suspend()
}

func (o *output) abort() error {
	if o.sp != nil {
		return o.sp.abort()
	}
	if o.csv == nil {
		return nil
	}
	return o.csv.Abort()
}

// fileRef keeps what a download needs of a file record.
// stored reports whether file record r is kept by Pipedrive (remote_location s3), so that
// GET /files/{id}/download serves its contents; a link to a Google Drive file is not.
func stored(r record) bool {
	loc, ok := r["remote_location"].(string)
	return !ok || loc == "" || loc == "s3"
}

func fileRef(r record) record {
	return record{"id": r["id"], "file_name": r["file_name"], "file_size": r["file_size"], "name": r["name"]}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
