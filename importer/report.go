package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/sheet"
)

// The columns pdbulk adds to the original row in its reports.
const (
	reportRowColumn    = "pdbulk_row"    // the row's number in the source file
	reportStatusColumn = "pdbulk_status" // created, updated, deleted, archived
	reportIDColumn     = "pipedrive_id"
	reportErrorColumn  = "pdbulk_error" // why the row was rejected
)

// reportReader reads a report pdbulk wrote earlier (success or reject), in its row order,
// for a run that reports a row the way that report had it. It holds one line. A nil
// *reportReader has no line for any row.
type reportReader struct {
	in     sheet.Reader
	width  int // the source's columns; pdbulk_row follows them
	next   []string
	nextAt int // next's row number; 0 = read the next line first
	end    bool
}

// openReportReader opens the report at path when it exists and its columns are the
// source's (header) followed by pdbulk's; else it returns nil.
func openReportReader(path string, header []string, o sheet.Options) *reportReader {
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	in, err := sheet.Open(path, o)
	if err != nil {
		return nil
	}
	h := in.Header()
	if len(h) <= len(header) || h[len(header)] != reportRowColumn || !equal(h[:len(header)], header) {
		in.Close()
		return nil
	}
	return &reportReader{in: in, width: len(header)}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// line returns the next line with its row number, without consuming it; ok is false at the
// end (or at a line that cannot be read, which ends the reader).
func (rr *reportReader) line() (num int, cells []string, ok bool) {
	if rr == nil || rr.end {
		return 0, nil, false
	}
	if rr.nextAt == 0 {
		row, err := rr.in.Next()
		if err != nil {
			rr.end = true
			return 0, nil, false
		}
		n, err := strconv.Atoi(cellText(row, rr.width))
		if err != nil || n <= 0 {
			rr.end = true
			return 0, nil, false
		}
		unescapeReport(row)
		rr.next, rr.nextAt = row.Texts(), n
	}
	return rr.nextAt, rr.next, true
}

func (rr *reportReader) consume() { rr.nextAt, rr.next = 0, nil }

// get returns the source cells the report has for row num, skipping the lines of earlier
// rows; nil when it has none. Rows are asked for in increasing order.
func (rr *reportReader) get(num int) []string {
	for {
		n, cells, ok := rr.line()
		switch {
		case !ok || n > num:
			return nil
		case n == num:
			rr.consume()
			return fit(cells, rr.width)
		}
		rr.consume()
	}
}

func (rr *reportReader) close() {
	if rr != nil {
		rr.in.Close()
	}
}

// sidePath is where an OnlyFailed run writes the rows it finished, before they are merged
// into the success report.
func sidePath(j *jobs.Job) string {
	return filepath.Join(filepath.Dir(j.Reports.Success), "."+filepath.Base(j.Reports.Success)+".only-failed.csv")
}

// mergeSuccess writes the success report of an OnlyFailed run: the lines of the success
// report before it, and the rows done now (the side file), both in row order, merged; a
// row in both is reported as done now. Memory: one line of each.
func (r *run) mergeSuccess() (err error) {
	side := sidePath(r.job)
	defer os.Remove(side)
	width := r.rowCol
	header := append(append([]string{}, r.header[:width]...), reportRowColumn, reportStatusColumn, reportIDColumn)
	now := openReportReader(side, r.header[:width], r.readOptions(true))
	if now == nil {
		return fmt.Errorf("importer: reports: the rows done by this run (%s) cannot be read back", side)
	}
	defer now.close()
	old := r.oldOK // opened before the run; the new file replaces it only at Close
	w, err := createReport(r.job.Reports.Success, header)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = w.Abort()
		}
	}()
	for {
		on, oc, ook := old.line()
		nn, nc, nok := now.line()
		var cells []string
		switch {
		case !ook && !nok:
			if err := w.Close(); err != nil {
				return fmt.Errorf("importer: reports: %w", err)
			}
			return nil
		case nok && (!ook || nn <= on):
			cells = nc
			now.consume()
			if ook && on == nn {
				old.consume()
			}
		default:
			cells = oc
			old.consume()
		}
		if err := w.Write(cells); err != nil {
			return fmt.Errorf("importer: reports: %w", err)
		}
	}
}

// RestartAdvice is what pdbulk says of --restart for a job whose input or file changed,
// wherever it says it (run, status): in mode create, a restart creates every row again.
func RestartAdvice(j *jobs.Job) string {
	msg := "`pdbulk run --restart` starts it over"
	if j.Mode == jobs.ModeCreate {
		msg += ", and in mode create it creates every row again, the rows created before included:" +
			" run `pdbulk undo` first, give new rows a job of their own, or use mode upsert with match_on"
	}
	return msg
}

func createReport(path string, header []string) (sheet.Writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("importer: reports: %w", err)
	}
	w, err := sheet.Create(path, header)
	if err != nil {
		return nil, fmt.Errorf("importer: reports: %w", err)
	}
	return w, nil
}

// fit pads or cuts a row's texts to n cells, so the added columns line up.
func fit(cells []string, n int) []string {
	out := make([]string, n, n+3)
	copy(out, cells)
	return out
}

// openReportFile opens a CSV report pdbulk wrote.
func openReportFile(path string) (sheet.Reader, error) {
	in, err := sheet.Open(path, sheet.Options{Delimiter: ','})
	if err != nil {
		return nil, fmt.Errorf("importer: reports: %w", err)
	}
	return in, nil
}
