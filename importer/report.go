package importer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/sheet"
)

// The columns pdbulk adds to the original row in its reports.
const (
	reportRowColumn    = "pdbulk_row"    // the row's number in the source file
	reportStatusColumn = "pdbulk_status" // created, updated, deleted, archived
	reportIDColumn     = "pipedrive_id"
	reportErrorColumn  = "pdbulk_error" // why the row was rejected

	// undoneStatus is the status undo gives a created row in the success report.
	undoneStatus = "undone"
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

// seek skips the lines of rows before num and returns the line of row num, without
// consuming it; ok is false when the report has no line for num. Rows are asked for in
// increasing order.
func (rr *reportReader) seek(num int) (cells []string, ok bool) {
	for {
		n, cells, ok := rr.line()
		switch {
		case !ok || n > num:
			return nil, false
		case n == num:
			return cells, true
		}
		rr.consume()
	}
}

// get returns the source cells the report has for row num, skipping the lines of earlier
// rows; nil when it has none. Rows are asked for in increasing order.
func (rr *reportReader) get(num int) []string {
	cells, ok := rr.seek(num)
	if !ok {
		return nil
	}
	rr.consume()
	return fit(cells, rr.width)
}

// undone returns the source cells of row num when the report has the row with the status
// undo gives it ("undone"): the values the row was sent with before undo removed its record.
// Nil otherwise. It does not consume the line, which get may still read.
func (rr *reportReader) undone(num int) []string {
	cells, ok := rr.seek(num)
	if !ok || cellAt(cells, rr.width+1) != undoneStatus {
		return nil
	}
	return fit(cells, rr.width)
}

func (rr *reportReader) close() {
	if rr != nil && rr.in != nil {
		rr.in.Close()
		rr.in, rr.end = nil, true
	}
}

// redo gives a source row that undo took back the values it was sent with before (the
// success report says "undone" with them), when they differ from the source's: a value the
// user fixed in the reject report and sent with --only-failed is sent again as fixed, and
// undo followed by run makes the same records again. Not with OnlyFailed (its rows are the
// user's latest word) nor Restart (which starts over from the source).
func (r *run) redo(row *sheet.Row) {
	if r.o.OnlyFailed || r.o.Restart {
		return
	}
	cells := r.oldOK.undone(row.Num)
	if cells == nil {
		return
	}
	same := true
	for i, c := range cells {
		if cellText(*row, i) != c {
			same = false
			break
		}
	}
	if same {
		return
	}
	out := make([]sheet.Cell, len(cells))
	for i, c := range cells {
		out[i] = sheet.Cell{Text: c}
		if c != "" {
			out[i].Kind = sheet.KindString
		}
	}
	row.Cells = out
	r.redone++
}

// sidePath is where an OnlyFailed run writes the rows it finished, before they are merged
// into the success report.
func sidePath(j *jobs.Job) string {
	return filepath.Join(filepath.Dir(j.Reports.Success), "."+filepath.Base(j.Reports.Success)+".only-failed.csv")
}

// mergeSuccess writes the success report of an OnlyFailed run: the lines of the success
// report before it, and the rows done now (the side file), both in row order, merged; a
// row in both is reported as done now. Memory: one line of each.
func (r *run) mergeSuccess() error {
	// oldOK was opened before the run; the new file replaces it only at Close.
	return mergeSide(r.job, r.header[:r.rowCol], r.readOptions(true), r.oldOK)
}

// recoverSide merges into the success report the side file an OnlyFailed run left behind
// when it was killed after writing it and before merging it (its rows are done in the
// checkpoint and gone from the reject report: the side file is the only place that has
// the values they were sent with). It runs before a run opens the earlier reports; a merge
// that is repeated (killed after the rename, before the side file was removed) changes
// nothing.
func (r *run) recoverSide(width int) error {
	// The run starts writing its reports here, its job's lock held: what a killed run
	// left half-written goes first.
	if n, err := removeLeftovers(r.job); err != nil {
		r.logf("reports: %v", err)
	} else if n > 0 {
		r.logf("removed %d temporary report files that an interrupted run left beside %s", n, r.job.Reports.Success)
	}
	side := sidePath(r.job)
	if _, err := os.Stat(side); err != nil {
		return nil
	}
	old := openReportReader(r.job.Reports.Success, r.header[:width], r.readOptions(true))
	defer old.close()
	if err := mergeSide(r.job, r.header[:width], r.readOptions(true), old); err != nil {
		return err
	}
	r.logf("the rows an interrupted --only-failed run sent (%s) are now in the success report %s", side, r.job.Reports.Success)
	return nil
}

// mergeSide writes the job's success report from old (the report before, or nil) and the
// side file, and removes the side file.
func mergeSide(j *jobs.Job, source []string, o sheet.Options, old *reportReader) (err error) {
	side := sidePath(j)
	now := openReportReader(side, source, o)
	if now == nil {
		return fmt.Errorf("importer: reports: the rows done by an --only-failed run (%s) cannot be read back: "+
			"check the file, or remove it to report those rows with the source's values", side)
	}
	defer now.close()
	header := append(append([]string{}, source...), reportRowColumn, reportStatusColumn, reportIDColumn)
	w, err := createReport(j.Reports.Success, header)
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
			now.close()
			if err := os.Remove(side); err != nil && !os.IsNotExist(err) {
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

// cellAt is cells[i], or "" past the end.
func cellAt(cells []string, i int) string {
	if i >= 0 && i < len(cells) {
		return cells[i]
	}
	return ""
}

// removeLeftovers removes the temporary files a killed process left beside the job's own
// reports (the success and reject reports, and the side file of --only-failed). The
// reports are written to a temporary file beside them, then renamed over them
// (sheet.Create: "." + name + "." + random digits + ".tmp", or ".xlsx" for a workbook); a
// SIGKILL before the rename leaves that file behind. Only names of exactly that pattern
// for those reports, in their folders, are removed; nothing else is touched. The caller
// holds the job's lock: no other process writes these reports meanwhile. It returns how
// many files it removed, and the first failure.
func removeLeftovers(j *jobs.Job) (int, error) {
	n := 0
	var first error
	for _, report := range []string{j.Reports.Success, j.Reports.Rejects, sidePath(j)} {
		if report == "" {
			continue
		}
		dir, prefix := filepath.Dir(report), "."+filepath.Base(report)+"."
		entries, err := os.ReadDir(dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && first == nil {
				first = err
			}
			continue
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || !isLeftover(e.Name(), prefix) {
				continue
			}
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				if first == nil {
					first = err
				}
				continue
			}
			n++
		}
	}
	return n, first
}

// isLeftover reports whether name is prefix, one or more digits, and ".tmp" or ".xlsx":
// a temporary file os.CreateTemp made for the report that prefix names.
func isLeftover(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return false
	}
	digits, ok := strings.CutSuffix(rest, ".tmp")
	if !ok {
		if digits, ok = strings.CutSuffix(rest, ".xlsx"); !ok {
			return false
		}
	}
	if digits == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
