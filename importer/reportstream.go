package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/sheet"
)

// reportWindow bounds the rows whose report lines wait for an earlier row to settle:
// reading waits beyond it, so that the memory of a run does not grow with its rows.
const reportWindow = 4096

// outcome is how a row ended, for the reports: done (with the record's id and what was
// done to it), rejected (with the reason), or neither (still pending: not reported).
type outcome struct {
	status jobs.Status
	id     string
	action string
	reason string
}

// reportSlot is the line of one row read, waiting for the row to settle.
type reportSlot struct {
	row     int
	cells   []string
	out     outcome
	settled bool
	// reason is, with OnlyFailed, the reason the reject report gave the row: a row left
	// pending goes back to the reject report with it, and with the user's fix.
	reason string
}

// reportStream writes the success and reject reports of a run as its rows settle, in the
// order they were read, so that no run keeps every row's state to write them at the end.
// Rows the run did not read (it stopped early) are reported after the run from the
// checkpoint's earlier runs (finish). A nil *reportStream reports nothing. Safe for
// concurrent use.
type reportStream struct {
	ok, bad sheet.Writer
	width   int // the source's header cells
	// onlyFailed: the run reads the reject report. The rows left pending are written back to
	// the new reject report (nothing the user fixed is lost); ok is then a side file of the
	// rows done now, merged into the success report at the end (run.mergeSuccess).
	onlyFailed bool

	mu     sync.Mutex
	cond   *sync.Cond
	window []*reportSlot // rows read and not yet written, oldest first
	err    error         // the first write error
}

// newReportStream creates the job's two report files (written to temporary files and
// renamed into place by finish) for a source whose header is header.
func newReportStream(j *jobs.Job, header []string, onlyFailed bool) (*reportStream, error) {
	okPath := j.Reports.Success
	if onlyFailed {
		okPath = sidePath(j)
	}
	okw, err := createReport(okPath, append(append([]string{}, header...), reportRowColumn, reportStatusColumn, reportIDColumn))
	if err != nil {
		return nil, err
	}
	badw, err := createReport(j.Reports.Rejects, append(append([]string{}, header...), reportRowColumn, reportErrorColumn))
	if err != nil {
		return nil, errors.Join(err, okw.Abort())
	}
	rs := &reportStream{ok: okw, bad: badw, width: len(header), onlyFailed: onlyFailed}
	rs.cond = sync.NewCond(&rs.mu)
	return rs, nil
}

// open takes the line of row, just read, in reading order. It waits while reportWindow
// rows wait to be written, unless ctx ends.
func (rs *reportStream) open(ctx context.Context, row sheet.Row, reason string) *reportSlot {
	if rs == nil {
		return nil
	}
	s := &reportSlot{row: row.Num, cells: row.Texts(), reason: reason}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.window) >= reportWindow {
		stop := context.AfterFunc(ctx, func() {
			rs.mu.Lock()
			defer rs.mu.Unlock()
			rs.cond.Broadcast()
		})
		for len(rs.window) >= reportWindow && ctx.Err() == nil {
			rs.cond.Wait()
		}
		stop()
	}
	rs.window = append(rs.window, s)
	return s
}

// settle gives s its outcome, unless it has one already, and writes every line that no
// earlier row holds back any more.
func (rs *reportStream) settle(s *reportSlot, out outcome) {
	if rs == nil || s == nil {
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if s.settled {
		return
	}
	s.out, s.settled = out, true
	n := 0
	for n < len(rs.window) && rs.window[n].settled {
		rs.writeLocked(rs.window[n])
		rs.window[n] = nil
		n++
	}
	if n > 0 {
		rs.window = rs.window[n:]
		if len(rs.window) == 0 {
			rs.window = nil // let the backing array go
		}
		rs.cond.Broadcast()
	}
}

func (rs *reportStream) writeLocked(s *reportSlot) {
	if rs.err != nil {
		return
	}
	cells := fit(s.cells, rs.width)
	num := fmt.Sprint(s.row)
	var err error
	switch out := s.out; {
	case out.status == jobs.StatusDone:
		err = rs.ok.Write(append(cells, num, out.action, out.id))
	case out.status == jobs.StatusRejected:
		err = rs.bad.Write(append(cells, num, out.reason))
	case rs.onlyFailed:
		// Not sent (interrupted, budget spent, in doubt): back to the reject report as the
		// user fixed it, for the next --only-failed.
		err = rs.bad.Write(append(cells, num, s.reason))
	}
	if err != nil {
		rs.err = fmt.Errorf("importer: reports: %w", err)
	}
}

// finish writes what is left once every worker has ended: the lines still waiting (rows
// left pending are not reported, except with onlyFailed), then, reading on in src, the rows
// the run did not reach, as tail reports them. It then closes both reports.
func (rs *reportStream) finish(src sheet.Reader, readOn bool, tail func(row sheet.Row) (*reportSlot, bool)) error {
	if rs == nil {
		return nil
	}
	rs.mu.Lock()
	for _, s := range rs.window {
		if s.settled || rs.onlyFailed {
			rs.writeLocked(s)
		}
	}
	rs.window = nil
	err := rs.err
	rs.mu.Unlock()
	for readOn && err == nil {
		row, rerr := src.Next()
		if rerr == io.EOF {
			break
		}
		var rowErr *sheet.RowError
		if rerr != nil && !errors.As(rerr, &rowErr) {
			err = fmt.Errorf("importer: reports: %w", rerr)
			break
		}
		if s, ok := tail(row); ok {
			rs.mu.Lock()
			rs.writeLocked(s)
			err = rs.err
			rs.mu.Unlock()
		}
	}
	if err != nil {
		return errors.Join(err, rs.ok.Abort(), rs.bad.Abort())
	}
	if err := rs.ok.Close(); err != nil {
		return errors.Join(fmt.Errorf("importer: reports: %w", err), rs.bad.Abort())
	}
	if err := rs.bad.Close(); err != nil {
		return fmt.Errorf("importer: reports: %w", err)
	}
	return nil
}

// priorOutcome is the outcome an earlier run recorded for row num: done or rejected.
func (r *run) priorOutcome(num int) (outcome, bool) {
	p, ok := r.prior(num)
	if !ok || (p.Status != jobs.StatusDone && p.Status != jobs.StatusRejected) {
		return outcome{}, false
	}
	return outcome{status: p.Status, id: p.RemoteID, action: p.Action, reason: p.Reason}, true
}

// tail reports a row of the input that the run did not reach. A plain run reports it as
// the checkpoint settled it, with the values of the report that had it; an OnlyFailed run
// keeps it in the reject report as the user fixed it (or, done already, reports it done).
func (r *run) tail(row sheet.Row) (*reportSlot, bool) {
	if err := r.reportRow(&row); err != nil {
		return nil, false
	}
	s := &reportSlot{row: row.Num, cells: row.Texts(), settled: true}
	out, ok := r.priorOutcome(row.Num)
	if r.o.OnlyFailed {
		if ok && out.status == jobs.StatusDone {
			s.out = out
		} else {
			s.out = outcome{status: jobs.StatusRejected, reason: cellText(row, r.errCol)}
		}
		return s, true
	}
	if !ok {
		return nil, false
	}
	s.out = out
	r.carryInto(s, row.Num, out)
	return s, true
}

// carryInto gives a row that an earlier run settled the cells of the report that run wrote
// for it: the values really sent (done), or the user's fix not yet sent (rejected). A row
// the old reports lack keeps the source's cells.
func (r *run) carryInto(s *reportSlot, num int, out outcome) {
	if s == nil || r.o.OnlyFailed {
		return
	}
	var rr *reportReader
	switch out.status {
	case jobs.StatusDone:
		rr = r.oldOK
	case jobs.StatusRejected:
		rr = r.oldBad
	}
	if cells := rr.get(num); cells != nil {
		s.cells = cells
	}
}
