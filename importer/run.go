// Package importer runs an import job: source rows → mapping → a worker pool → the API,
// with every row's outcome journaled in the job's checkpoint so that a run stopped at any
// moment resumes where it stopped, with no duplicate and no lost row.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/mapping"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sheet"
)

// Options configures Run. Job is required; Client and State are required unless DryRun.
type Options struct {
	Job         *jobs.Job
	Client      *pipedrive.Client // nil in a dry run without a connection: lookups then fail per row
	Pacer       *ratelimit.Pacer  // the client's pacer, for request counts; nil = none
	State       *jobs.State       // the checkpoint store; nil only in a dry run
	DryRun      bool              // read, map and validate every row; send no write
	Restart     bool              // forget the job's recorded progress (a changed job or input)
	OnlyFailed  bool              // re-run only the rows of the reject report, as the user fixed them
	Concurrency int               // pins the requests in flight (--concurrency); 0 = the job's options.concurrency if it gives one, else adaptive (the client's Gate)
	Stats       *Stats            // counters for a progress display (NewStats); nil = internal
	MaxProblems int               // problems kept for the summary; 0 = 20
	SourceRows  int               // data rows of the job's source, when the caller counted them (RemainingRows); 0 = count them
	// SettleTime is how long after a create got no usable answer its record is looked for
	// before the create is sent again: a create the client gave up on may still be running
	// on the server. 0 = DefaultSettleTime.
	SettleTime time.Duration
	// Fingerprint is the job's fingerprint (Job.Fingerprint), when the caller computed it
	// already: the source is not read once more for it. "" = compute it.
	Fingerprint string
	Logf        func(format string, args ...any)
}

// Result is the outcome of a run.
type Result struct {
	Stats    Snapshot
	Problems []Problem // the first rejected rows, in row order
	// Stopped says why the run stopped before every row was finished (a *ratelimit.BudgetError,
	// or context.Canceled on interruption); nil when every row read was finished.
	Stopped error
	Plan    Plan // what the rows finished in this run would cost (always filled)
	// FirstWrite is when the job first sent a create (our clock; kept across restarts);
	// zero when it never did.
	FirstWrite time.Time
}

// Problem is one rejected row, for the summary.
type Problem struct {
	Row    int
	Column string
	Reason string
}

// ErrChanged is returned (wrapped) when the job or its input changed since its checkpoint
// was written and Restart was not given.
var ErrChanged = jobs.ErrChanged

// Run imports o.Job. stop ends the feeding of new rows (rows in flight finish); abort
// cancels requests in flight. Run returns after every goroutine it started has ended, and
// writes the reports from the checkpoint on every way out. A non-nil error is fatal (the
// job could not run: invalid mapping, unreadable file, 401, state failure); row failures
// are in Result.
func Run(stop, abort context.Context, o Options) (*Result, error) {
	r, err := newRun(o)
	if err != nil {
		return nil, err
	}
	defer r.close()
	return r.run(stop, abort)
}

type run struct {
	o       Options
	job     *jobs.Job
	stats   *Stats
	mapper  *mapping.Mapper
	header  []string
	remote  remote
	state   *jobs.Run
	cursor  *jobs.RowCursor // the checkpoint's row states, read in row order by the feed
	res     mapping.Resolver
	plan    *planner
	logf    func(string, ...any)
	keyCols []keyCol
	idCols  []int // columns whose values form the row's source key for the id map
	// rowCol and errCol are, with OnlyFailed, the reject report's pdbulk_row and
	// pdbulk_error columns; -1 otherwise.
	rowCol, errCol int
	// oldOK and oldBad read the reports of earlier runs, in row order: a row settled before
	// is reported with the values it was really sent with (or, rejected, the user's fix),
	// not the source's. nil when there is none (or it does not fit the source).
	oldOK, oldBad *reportReader
	redone        int // rows sent with the values they had before an undo (redo)

	gate      *gate         // keeps creates and reconciliations of one identity apart
	claims    *claimBook    // which job row holds which record
	rec       *recorder     // records created rows done (record.go); nil in a dry run
	forget    *unsentRows   // rows marked in flight ahead and never sent
	rep       *reportStream // the reports, as rows settle; nil in a dry run
	firstOnce sync.Once     // records the job's first write, before its first create
	firstErr  error

	mu       sync.Mutex
	problems []Problem
	firstRow keyRows // dupKey → first row that has it (duplicates in one file)
	stopErr  error
}

func newRun(o Options) (*run, error) {
	if o.Job == nil {
		return nil, errors.New("importer: no job")
	}
	if !o.DryRun && (o.Client == nil || o.State == nil) {
		return nil, errors.New("importer: a run that writes needs a client and a state store")
	}
	if o.MaxProblems <= 0 {
		o.MaxProblems = 20
	}
	o.Concurrency = workers(o)
	if o.SettleTime <= 0 {
		o.SettleTime = DefaultSettleTime
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	st := o.Stats
	if st == nil {
		st = NewStats(o.Pacer, o.DryRun)
	}
	if o.Client != nil {
		st.SetGate(o.Client.Gate())
	}
	r := &run{
		o: o, job: o.Job, stats: st, logf: logf, gate: newGate(),
		firstRow: keyRows{}, rowCol: -1, errCol: -1,
	}
	if o.State != nil {
		r.claims = newClaimBook(o.Job.Entity, o.Job.Name)
	}
	return r, nil
}

func (r *run) close() {
	r.oldOK.close()
	r.oldBad.close()
}

// inputPath is the file this run reads: the job's source, or its reject report with
// OnlyFailed.
func (r *run) inputPath() string {
	if r.o.OnlyFailed {
		return r.job.Reports.Rejects
	}
	return r.job.Source.Path
}

func (r *run) sheetOptions() sheet.Options { return r.readOptions(r.o.OnlyFailed) }

func (r *run) readOptions(rejects bool) sheet.Options { return sourceOptions(r.job, rejects) }

// sourceOptions are the reader options of j's source, or of its reject report.
func sourceOptions(j *jobs.Job, rejects bool) sheet.Options {
	o := j.Source.ReaderOptions()
	if rejects {
		// The reject report is a UTF-8 CSV written by pdbulk with its header on row 1.
		o = sheet.Options{Delimiter: ',', MaxCellBytes: o.MaxCellBytes, MaxRowBytes: o.MaxRowBytes}
	}
	return o
}

func (r *run) run(stop, abort context.Context) (*Result, error) {
	ctx, cancel := context.WithCancelCause(abort)
	defer cancel(nil)
	// Until the first row is sent, the first signal ends the run as well: reading a large
	// source to hash or count it stops at once.
	before, cancelBefore := context.WithCancel(ctx)
	defer cancelBefore()
	defer context.AfterFunc(stop, cancelBefore)()

	if r.o.OnlyFailed {
		if _, err := os.Stat(r.inputPath()); errors.Is(err, fs.ErrNotExist) {
			return nil, &JobError{Path: r.inputPath(), Err: errors.New("no rejects report: --only-failed sends again the rows a run rejected, and no run of this job wrote them here yet (run it without --only-failed first)")}
		}
	}
	in, err := sheet.Open(r.inputPath(), r.sheetOptions())
	if err != nil {
		return nil, fmt.Errorf("importer: %w", err)
	}
	defer in.Close()
	if n := sheet.Notice(in); n != "" {
		r.logf("%s", n) // an encoding chosen for the user, said before any row is sent
	}
	r.header = in.Header()
	if err := r.compile(); err != nil {
		return nil, err
	}
	if r.job.Options.Duplicates == jobs.DuplicatesError {
		if err := r.checkDuplicates(); err != nil {
			return nil, err
		}
	}
	r.remote = newRemote(r.job, r.o.Client)
	r.plan = newPlannerFor(r.job, r.o.Client)
	r.res = mapping.NewCache(&resolver{run: r})

	if r.o.SourceRows > 0 && !r.o.OnlyFailed {
		r.stats.Total.Store(int64(r.o.SourceRows))
	} else if n, err := sheet.CountRowsContext(before, r.inputPath(), r.sheetOptions()); err == nil {
		r.stats.Total.Store(int64(n))
	}
	if !r.o.DryRun {
		if err := r.begin(ctx, before); err != nil {
			return nil, err
		}
		width := len(r.header)
		if r.o.OnlyFailed {
			width = r.rowCol
		}
		if err := r.recoverSide(width); err != nil {
			return nil, err
		}
		// The reports of earlier runs are read before the new ones replace them.
		r.oldOK = openReportReader(r.job.Reports.Success, r.header[:width], r.readOptions(true))
		if !r.o.OnlyFailed {
			r.oldBad = openReportReader(r.job.Reports.Rejects, r.header[:width], r.readOptions(true))
		}
		if r.rep, err = newReportStream(r.job, r.header[:width], r.o.OnlyFailed); err != nil {
			return nil, err
		}
	}

	feed, stopFeeding := context.WithCancel(stop)
	defer stopFeeding()
	// A fixed pool of workers takes the rows from the feed: one goroutine per worker, not
	// per row (a goroutine per row paid for its stack growth on every row). There are as
	// many as the client's Gate may let through at its most (workers): the Gate, not the
	// pool, bounds the requests in flight.
	g, gctx := errgroup.WithContext(ctx)
	// The feed's rows go through the marker, which marks them in flight ahead of the
	// workers, and the workers hand their answers to the recorder (record.go). The marker
	// holds the marked rows until a worker takes one: tasks has no buffer.
	admitted, tasks := make(chan task, markAhead), make(chan task)
	r.forget = &unsentRows{r: r}
	if !r.o.DryRun {
		r.rec = r.startRecorder()
	}
	marked := r.startMarker(feed, gctx, admitted, tasks)
	for range r.o.Concurrency {
		g.Go(func() error { return r.work(feed, gctx, tasks, stopFeeding) })
	}
	readErr := r.feed(feed, gctx, admitted, in)
	r.stats.Skipped.Store(int64(sheet.Skipped(in)))
	close(admitted)
	// The marker closes tasks once every row is handed over or left pending (it stops
	// handing rows over when the workers stop early: gctx is then cancelled).
	markErr := <-marked
	werr := g.Wait()
	if werr == nil {
		werr = markErr
	}
	if r.rec != nil {
		if err := r.rec.close(); werr == nil {
			werr = err
		}
	}
	r.forget.flush()

	res := &Result{Plan: r.plan.snapshot()}
	if r.state != nil {
		// Reports are written on every way out, and agree with the checkpoint even after a
		// crash of an earlier run: the rows of this run as they settled, the others as the
		// checkpoint has them, with the values of the reports of the runs that settled them.
		err := r.rep.finish(in, readErr == nil, r.tail)
		if err == nil && r.o.OnlyFailed {
			err = r.mergeSuccess()
		}
		if err != nil && werr == nil && readErr == nil {
			werr = err
		}
		if t, ok, err := lookupFirstWrite(context.Background(), r.o.State, r.job.Name); err == nil && ok {
			res.FirstWrite = t
		}
	}
	r.mu.Lock()
	res.Problems = r.problems
	sort.Slice(res.Problems, func(a, b int) bool { return res.Problems[a].Row < res.Problems[b].Row })
	res.Stopped = r.stopErr
	r.mu.Unlock()
	if res.Stopped == nil && stop.Err() != nil {
		res.Stopped = context.Canceled
	}
	if r.redone > 0 {
		r.logf("%d rows were sent with the values of the success report, not the source's: undo had removed "+
			"what they were sent with before (fixes made for --only-failed included); --restart sends the source's values", r.redone)
	}
	res.Stats = r.stats.Snapshot()
	if abort.Err() != nil && werr != nil {
		werr = fmt.Errorf("importer: aborted: %w", context.Canceled)
	}
	if werr != nil {
		return res, werr
	}
	if readErr != nil {
		return res, readErr
	}
	return res, nil
}

func (r *run) compile() error {
	spec := r.job.Mapping
	m, err := mapping.Compile(spec, r.header)
	if err != nil {
		return &JobError{Path: r.job.Path, Err: err}
	}
	r.mapper = m
	cols, err := r.matchColumns()
	if err != nil {
		return &JobError{Path: r.job.Path, Err: err}
	}
	r.keyCols = cols
	if r.job.Key != "" {
		i := indexOf(r.header, r.job.Key)
		if i < 0 {
			return &JobError{Path: r.job.Path, Err: fmt.Errorf("key column %q is not in %s (columns: %s)",
				sheet.Clip(r.job.Key, sheet.MaxShown), r.inputPath(), shownColumns(r.header))}
		}
		r.idCols = []int{i}
	}
	if r.o.OnlyFailed {
		r.rowCol, r.errCol = indexOf(r.header, reportRowColumn), indexOf(r.header, reportErrorColumn)
		if r.rowCol < 0 {
			return &JobError{Path: r.job.Path, Err: fmt.Errorf("%s is not a pdbulk reject report: it has no %q column", r.inputPath(), reportRowColumn)}
		}
	}
	return nil
}

// JobError is a problem of the job itself (mapping, columns), found before any write.
type JobError struct {
	Path string
	Err  error
}

// Error reads "PATH: reason"; problems of the mapping read one a line, "PATH:LINE: field:
// reason", like the job file's own problems.
func (e *JobError) Error() string {
	var list []error
	if j, ok := e.Err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{e.Err}
	}
	lines := make([]string, 0, len(list))
	for _, err := range list {
		se, ok := err.(*mapping.SpecError)
		if !ok {
			return fmt.Sprintf("%s: %v", e.Path, e.Err)
		}
		at := e.Path
		if se.Line > 0 {
			at += ":" + strconv.Itoa(se.Line)
		}
		lines = append(lines, at+": "+(&mapping.SpecError{Field: se.Field, Column: se.Column, Err: se.Err}).Error())
	}
	return strings.Join(lines, "\n")
}
func (e *JobError) Unwrap() error { return e.Err }

// changedError refuses a changed job; it matches jobs.ErrChanged.
type changedError string

func (e changedError) Error() string        { return string(e) }
func (e changedError) Is(target error) bool { return target == jobs.ErrChanged }

func (r *run) begin(ctx, before context.Context) error {
	fp := r.o.Fingerprint
	if fp == "" {
		var err error
		if fp, err = r.job.FingerprintContext(before); err != nil {
			return fmt.Errorf("importer: %w", err)
		}
	}
	st, err := r.o.State.BeginJob(ctx, r.job, fp, r.o.Restart)
	if err != nil {
		if errors.Is(err, jobs.ErrChanged) {
			return &JobError{Path: r.job.Path, Err: changedError("the job or its input changed since its checkpoint was written; " + RestartAdvice(r.job))}
		}
		return fmt.Errorf("importer: %w", err)
	}
	r.state = st
	r.cursor = st.Cursor()
	if !r.o.OnlyFailed {
		if err := st.SetTotal(ctx, int(r.stats.Total.Load())); err != nil {
			return fmt.Errorf("importer: %w", err)
		}
	}
	return nil
}

// feed reads every row and hands each to a worker through tasks. It returns a fatal read
// error, if any.
func (r *run) feed(feed, ctx context.Context, tasks chan<- task, in sheet.Reader) error {
	for {
		if feed.Err() != nil || ctx.Err() != nil || r.stopped() {
			return nil
		}
		row, err := in.Next()
		if err == io.EOF {
			return nil
		}
		var rowErr *sheet.RowError
		if err != nil && !errors.As(err, &rowErr) {
			return fmt.Errorf("importer: %w", err)
		}
		if err := r.reportRow(&row); err != nil {
			return err
		}
		if rowErr == nil {
			r.redo(&row)
		}
		r.stats.Read.Add(1)
		slot := r.rep.open(ctx, row, cellText(row, r.errCol))
		if rowErr != nil {
			out := r.unreadable(ctx, row.Num, rowErr)
			r.carryInto(slot, row.Num, out)
			r.rep.settle(slot, out)
			continue
		}
		t, skip := r.admit(ctx, row)
		if skip {
			r.carryInto(slot, row.Num, t.out)
			r.rep.settle(slot, t.out)
			continue
		}
		t.slot, t.life = slot, &rowLife{}
		r.stats.Pending.Add(1)
		select {
		case tasks <- t:
		case <-ctx.Done():
			r.rep.settle(slot, outcome{})
			return nil // aborted, or a worker failed: the row stays pending
		}
	}
}

// reportRow gives a row read from the reject report (OnlyFailed) its source row number, and
// its cells their values as the user wrote them.
func (r *run) reportRow(row *sheet.Row) error {
	if r.rowCol < 0 {
		return nil
	}
	n, perr := strconv.Atoi(cellText(*row, r.rowCol))
	if perr != nil || n <= 0 {
		return fmt.Errorf("importer: %s row %d: column %q must hold the source row number", r.inputPath(), row.Num, reportRowColumn)
	}
	row.Num = n
	unescapeReport(*row)
	return nil
}

// prior returns what the checkpoint recorded for row num before this run touched it.
func (r *run) prior(num int) (jobs.RowState, bool) {
	if r.cursor == nil {
		return jobs.RowState{}, false
	}
	st, ok, err := r.cursor.Get(context.Background(), num)
	if err != nil {
		r.fail(err)
		return jobs.RowState{}, false
	}
	return st, ok
}

// unreadable settles a row the reader could not read whole (ragged, bad quotes, invalid
// text). A row an earlier run finished keeps its outcome: the row may have been fixed in the
// reject report and sent with OnlyFailed, and rejecting it now would let the next OnlyFailed
// run create it again. A row left in doubt stays so, for an OnlyFailed run to reconcile.
// It returns the row's outcome.
func (r *run) unreadable(ctx context.Context, num int, rowErr *sheet.RowError) outcome {
	switch r.settledBefore(num, rowErr.Column, "") {
	case jobs.StatusDone, jobs.StatusRejected:
		out, _ := r.priorOutcome(num)
		return out
	case jobs.StatusInFlight:
		r.stats.Pending.Add(1)
		r.addProblem(num, rowErr.Column, "in doubt, and unreadable in the source: fix it in the reject report and run with --only-failed to reconcile it")
		return outcome{}
	}
	return r.reject(ctx, num, rowErr.Column, rowErr.Error(), "")
}

// settledBefore looks row num up in the checkpoint of earlier runs (ignored with
// OnlyFailed, which sends its rows again) and returns its status there, "" when it has
// none. A row done or rejected before is counted as such here, and not sent again.
func (r *run) settledBefore(num int, column, key string) jobs.Status {
	prev, ok := r.prior(num)
	if !ok {
		return ""
	}
	if r.o.OnlyFailed {
		if prev.Status != jobs.StatusDone {
			return "" // rejected, or in doubt: sent again, or reconciled
		}
		// Done already (an earlier --only-failed sent it and stopped before rewriting the
		// reject report): never sent twice.
		r.stats.Unchanged.Add(1)
		r.stats.Resumed.Add(1)
		return prev.Status
	}
	switch prev.Status {
	case jobs.StatusDone:
		r.stats.Unchanged.Add(1)
		r.stats.Resumed.Add(1)
		r.noteKey(key, num)
	case jobs.StatusRejected:
		r.stats.Rejected.Add(1)
		r.stats.Resumed.Add(1)
		r.addProblem(num, column, prev.Reason)
	}
	return prev.Status
}

// work is one worker: it takes rows from tasks until the feed closes it or a row stops the
// run.
func (r *run) work(feed, ctx context.Context, tasks <-chan task, stopFeeding func()) error {
	for t := range tasks {
		err := r.process(feed, ctx, t, stopFeeding)
		if t.life.marked && !t.life.sent {
			r.forget.add(t.row.Num) // pending again, unless the row was rejected
		}
		if !t.life.recorded {
			r.rep.settle(t.slot, outcome{}) // a row not finished stays pending
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// task is one row on its way to a worker.
type task struct {
	row     sheet.Row
	key     string // match key ("" when the job has no match_on)
	srcKey  string // source key for the cross-job id map
	inDoubt bool   // recorded in flight by an earlier run: reconcile before sending
	// inFlightAt is when the earlier run recorded the row in flight (inDoubt only).
	inFlightAt time.Time
	// prevRejected and prevReason say, with OnlyFailed, that the checkpoint had the row
	// rejected, and why: a write the server did not take puts it back so.
	prevRejected bool
	prevReason   string
	slot         *reportSlot // the row's report line
	out          outcome     // a row settled before it reaches a worker (admit)
	life         *rowLife    // what became of the row in its worker
}

// admit decides what to do with a row before any work: skip it (done or rejected in an
// earlier run), reject it as a duplicate, or send it to a worker. A skipped row's outcome is
// in the task's out.
func (r *run) admit(ctx context.Context, row sheet.Row) (task, bool) {
	t := task{row: row, key: r.matchKey(row), srcKey: r.sourceKey(row)}
	switch r.settledBefore(row.Num, "", t.key) {
	case jobs.StatusDone, jobs.StatusRejected:
		t.out, _ = r.priorOutcome(row.Num)
		return t, true
	case jobs.StatusInFlight:
		p, _ := r.prior(row.Num)
		t.inDoubt, t.inFlightAt = true, p.UpdatedAt
	}
	if r.o.OnlyFailed && r.state != nil {
		// No reset before the send: the row stays rejected, with its fix in the reject
		// report, until its new outcome is recorded.
		switch p, ok := r.prior(row.Num); {
		case ok && p.Status == jobs.StatusInFlight:
			// Sent by an earlier run that lost the answer: reconciled, never resent blindly.
			t.inDoubt, t.inFlightAt = true, p.UpdatedAt
		case ok && p.Status == jobs.StatusRejected:
			t.prevRejected, t.prevReason = true, p.Reason
		}
	}
	if t.key != "" {
		if first, dup := r.noteKey(r.dupKey(row), row.Num); dup {
			t.out = r.reject(ctx, row.Num, "", fmt.Sprintf("duplicate: row %d has the same %s (%s); the first row wins", first, r.matchOnText(), t.key), t.key)
			return t, true
		}
	}
	return t, false
}

// noteKey records the first row with key, and reports whether an earlier row had it.
func (r *run) noteKey(key string, row int) (first int, dup bool) {
	if key == "" {
		return 0, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if f, ok := r.firstRow.first(key); ok && f != row {
		return f, true
	}
	r.firstRow.note(key, row)
	return row, false
}

func (r *run) addProblem(row int, column, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := Problem{Row: row, Column: column, Reason: reason}
	if len(r.problems) < r.o.MaxProblems {
		r.problems = append(r.problems, p)
		return
	}
	// Full: keep the lowest rows, whatever order the workers finished them in.
	last := 0
	for i, q := range r.problems {
		if q.Row > r.problems[last].Row {
			last = i
		}
	}
	if len(r.problems) > 0 && row < r.problems[last].Row {
		r.problems[last] = p
	}
}

// reject records a rejected row in the checkpoint and the counters, and returns its
// outcome for the reports (pending when the checkpoint could not record it).
func (r *run) reject(ctx context.Context, row int, column, reason, key string) outcome {
	r.stats.Rejected.Add(1)
	r.addProblem(row, column, reason)
	out := outcome{status: jobs.StatusRejected, reason: reason}
	if r.state != nil {
		if err := r.state.MarkRejected(context.WithoutCancel(ctx), row, reason); err != nil {
			r.fail(err)
			out = outcome{}
		}
	}
	if max := r.job.Options.MaxRejects; max > 0 && r.stats.Rejected.Load() > int64(max) {
		r.setStopped(fmt.Errorf("more than %d rows rejected (options.max_rejects)", max))
	}
	return out
}

// fail records a fatal state error: the run cannot keep its promises without a checkpoint.
func (r *run) fail(err error) {
	r.setStopped(fmt.Errorf("importer: checkpoint: %w", err))
}

func (r *run) setStopped(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopErr == nil {
		r.stopErr = err
	}
}

func (r *run) stopped() bool { return r.stopError() != nil }

// stopError returns the checkpoint failure that stopped r, if any.
func (r *run) stopError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopErr
}

func isBudget(err error) bool { return errors.Is(err, ratelimit.ErrBudgetExhausted) }

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// unescapeReport undoes, in place, the quote that sheet.EscapeFormula put before cells
// starting with = + - @ when pdbulk wrote its reject report: the row read back with
// OnlyFailed must carry the user's values, not "'-20% discount".
func unescapeReport(row sheet.Row) {
	for i, c := range row.Cells {
		if strings.HasPrefix(c.Text, "'") && sheet.EscapeFormula(c.Text[1:]) == c.Text {
			row.Cells[i].Text = c.Text[1:]
		}
	}
}

func cellText(row sheet.Row, i int) string {
	if i < 0 || i >= len(row.Cells) {
		return ""
	}
	return row.Cells[i].Text
}

// shownColumns names at most 12 columns of a header, each cut for a message.
func shownColumns(header []string) string {
	var names []string
	for i, h := range header {
		if i == 12 {
			names = append(names, fmt.Sprintf("and %d more", len(header)-12))
			break
		}
		names = append(names, strconv.Quote(sheet.Clip(h, sheet.MaxShown)))
	}
	return strings.Join(names, ", ")
}

// workers sizes the pool of o's run and sets the client's Gate: pinned at o.Concurrency
// (--concurrency) or at the job's options.concurrency when either is given, adaptive
// otherwise, with as many workers as the Gate may let requests through at its most.
func workers(o Options) int {
	pin := o.Concurrency
	if pin <= 0 && o.Job.Options.ConcurrencySet {
		pin = o.Job.Options.Concurrency
	}
	if o.Client == nil {
		// No requests (a dry run without a connection): the rows only need the CPU.
		if pin > 0 {
			return pin
		}
		return jobs.DefaultConcurrency
	}
	g := o.Client.Gate()
	g.Set(0, pin)
	return g.Max()
}
