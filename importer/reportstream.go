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
}

// reportStream writes the success and reject reports of a run as its rows settle, in the
// order they were read, so that no run keeps every row's state to write them at the end.
// Rows the run did not read (it stopped early) are reported after the run from the
// checkpoint's earlier runs (finish). A nil *reportStream reports nothing. Safe for
// concurrent use.
type reportStream struct {
	ok, bad sheet.Writer
	width   int // the source's header cells

	mu     sync.Mutex
	cond   *sync.Cond
	window []*reportSlot // rows read and not yet written, oldest first
	err    error         // the first write error
}

// newReportStream creates the job's two report files (written to temporary files and
// renamed into place by finish) for a source whose header is header.
func newReportStream(j *jobs.Job, header []string) (*reportStream, error) {
	okw, err := createReport(j.Reports.Success, append(append([]string{}, header...), reportRowColumn, reportStatusColumn, reportIDColumn))
	if err != nil {
		return nil, err
	}
	badw, err := createReport(j.Reports.Rejects, append(append([]string{}, header...), reportRowColumn, reportErrorColumn))
	if err != nil {
		return nil, errors.Join(err, okw.Abort())
	}
	rs := &reportStream{ok: okw, bad: badw, width: len(header)}
	rs.cond = sync.NewCond(&rs.mu)
	return rs, nil
}

// open takes the line of row, just read, in reading order. It waits while reportWindow
// rows wait to be written, unless ctx ends.
func (rs *reportStream) open(ctx context.Context, row sheet.Row) *reportSlot {
	if rs == nil {
		return nil
	}
	s := &reportSlot{row: row.Num, cells: row.Texts()}
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
		rs.writeLocked(rs.window[n].row, rs.window[n].cells, rs.window[n].out)
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

func (rs *reportStream) writeLocked(row int, cells []string, out outcome) {
	if rs.err != nil {
		return
	}
	cells = fit(cells, rs.width)
	num := fmt.Sprint(row)
	var err error
	switch out.status {
	case jobs.StatusDone:
		err = rs.ok.Write(append(cells, num, out.action, out.id))
	case jobs.StatusRejected:
		err = rs.bad.Write(append(cells, num, out.reason))
	}
	if err != nil {
		rs.err = fmt.Errorf("importer: reports: %w", err)
	}
}

// finish writes what is left once every worker has ended: the lines still waiting (rows
// left pending are not reported), then, reading on in src, the rows the run did not reach
// that earlier runs settled (prior). It then closes both reports.
func (rs *reportStream) finish(src sheet.Reader, readOn bool, prior func(row int) (outcome, bool)) error {
	if rs == nil {
		return nil
	}
	rs.mu.Lock()
	for _, s := range rs.window {
		if s.settled {
			rs.writeLocked(s.row, s.cells, s.out)
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
		if out, ok := prior(row.Num); ok {
			rs.mu.Lock()
			rs.writeLocked(row.Num, row.Texts(), out)
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
	p, ok := r.prior[num]
	if !ok || (p.Status != jobs.StatusDone && p.Status != jobs.StatusRejected) {
		return outcome{}, false
	}
	return outcome{status: p.Status, id: p.RemoteID, action: p.Action, reason: p.Reason}, true
}
