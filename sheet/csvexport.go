package sheet

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// utf8BOM is the byte order mark that tells Excel a CSV file is UTF-8.
const utf8BOM = "\xEF\xBB\xBF"

// CSVWriter writes a CSV file atomically: see Writer, which it implements.
// Number cells are written as their plain decimal digits without a quote,
// so -7.25 stays a number for Excel; only text is neutralized. A CSVWriter
// holds one buffer of 64 KiB, whatever the number of rows. It is not safe for
// concurrent use.
type CSVWriter struct {
	path   string
	o      ExportOptions
	tmp    *os.File
	bw     *bufio.Writer
	cw     *csv.Writer
	rec    []string
	rows   int
	cancel *cancelFlag
	err    error // first error; the temporary file is then gone
	done   bool
}

// CreateCSV creates a CSV writer for path with o (see ExportOptions: the
// delimiter, BOM, line ends, append mode and formula neutralization) and
// writes the header row, neutralized like the text cells; when appending to
// an existing file the header is checked instead. Once ctx is done, the next
// Write or Close fails with the context's cause. Errors name the path.
func CreateCSV(ctx context.Context, path string, header []string, o ExportOptions) (*CSVWriter, error) {
	o, err := o.applyDefaults(path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if err := checkDestination(path); err != nil {
		return nil, err
	}
	cancel := watchContext(ctx)
	if err := cancel.err(); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	w := &CSVWriter{path: path, o: o, cancel: cancel}
	w.rec = make([]string, 0, len(header))
	for _, s := range header {
		w.rec = append(w.rec, o.text(s))
	}
	var existing bool
	if o.Append {
		w.tmp, existing, err = appendCopy(path, w.rec, &w.o)
	} else {
		w.tmp, err = tempFile(path, ".tmp")
	}
	if err != nil {
		cancel.stop()
		return nil, err
	}
	w.bw = bufio.NewWriterSize(w.tmp, bufSize)
	w.cw = csv.NewWriter(w.bw)
	w.cw.Comma = w.o.Delimiter
	w.cw.UseCRLF = w.o.CRLF
	if existing {
		return w, nil
	}
	if o.BOM {
		w.bw.WriteString(utf8BOM) // errors surface at Flush
	}
	if err := w.write(); err != nil {
		return nil, err
	}
	return w, nil
}

// Rows returns the number of data rows written so far, not counting the
// header or the rows of an appended file.
func (w *CSVWriter) Rows() int { return w.rows }

// Write writes one row of text cells (see Writer).
func (w *CSVWriter) Write(row []string) error {
	if err := w.usable(); err != nil {
		return err
	}
	w.rec = w.rec[:0]
	for _, s := range row {
		w.rec = append(w.rec, w.o.text(s))
	}
	w.rows++
	return w.write()
}

// WriteCells writes one row of typed cells (see Writer).
func (w *CSVWriter) WriteCells(cells []Cell) error {
	if err := w.usable(); err != nil {
		return err
	}
	w.rec = w.rec[:0]
	for _, c := range cells {
		w.rec = append(w.rec, cellText(c, &w.o))
	}
	w.rows++
	return w.write()
}

// cellText renders a typed cell as CSV text. A number is written as its
// plain digits (the cell's Text when it is a plain decimal, so every digit
// is kept), never neutralized: a field that is only a number literal is a
// number to every spreadsheet program and cannot hold a formula.
func cellText(c Cell, o *ExportOptions) string {
	switch c.Kind {
	case KindNumber:
		if plainNumber(c.Text) {
			return c.Text
		}
		if math.IsNaN(c.Number) || math.IsInf(c.Number, 0) {
			return o.text(c.Text)
		}
		return strconv.FormatFloat(c.Number, 'f', -1, 64)
	case KindBool:
		return boolText(c)
	case KindDate:
		return c.Time.Format(o.DateLayout)
	case KindDateTime:
		return c.Time.Format(o.DateTimeLayout)
	}
	return o.text(c.Text)
}

func boolValue(c Cell) bool { return c.Number != 0 || c.Text == "TRUE" }

func boolText(c Cell) string {
	if boolValue(c) {
		return "TRUE"
	}
	return "FALSE"
}

// plainNumber reports whether s is a decimal number: an optional '-',
// digits with an optional fraction and an optional exponent.
func plainNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	mant, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	ip, fp, _ := strings.Cut(mant, ".")
	if ip == "" && fp == "" || !digits(ip) || !digits(fp) {
		return false
	}
	if hasExp {
		if exp != "" && (exp[0] == '+' || exp[0] == '-') {
			exp = exp[1:]
		}
		return exp != "" && digits(exp)
	}
	return true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (w *CSVWriter) usable() error {
	if w.done {
		return fmt.Errorf("write %s: %w", w.path, errClosed)
	}
	if w.err == nil {
		if err := w.cancel.err(); err != nil {
			w.fail(err)
		}
	}
	return w.err
}

func (w *CSVWriter) write() error {
	if err := w.cw.Write(w.rec); err != nil {
		w.fail(err)
	}
	return w.err
}

// fail records the first error and removes the temporary file.
func (w *CSVWriter) fail(err error) {
	if w.err != nil {
		return
	}
	w.err = fmt.Errorf("write %s: %w", w.path, err)
	w.tmp.Close()
	os.Remove(w.tmp.Name())
	w.cancel.stop()
}

// Close flushes the rows, syncs the file and renames it over the path (see
// Writer).
func (w *CSVWriter) Close() error {
	if w.done {
		return w.err
	}
	if w.usable() != nil {
		w.done = true
		return w.err
	}
	w.done = true
	w.cw.Flush()
	err := w.cw.Error()
	if err == nil {
		err = w.bw.Flush()
	}
	if err != nil {
		w.fail(err)
		return w.err
	}
	w.err = commit(w.tmp, w.path, w.cancel)
	w.cancel.stop()
	return w.err
}

// Abort removes the temporary file; the path is untouched (see Writer).
func (w *CSVWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	if w.err == nil {
		w.fail(errClosed)
	}
	return nil
}

// CSVCheckpoint is what a CSV writer has made durable: its temporary file holds the header
// and Rows data rows in its first Size bytes. An export saves it so that an interrupted run
// can reopen the temporary file with ResumeCSV and go on from there.
type CSVCheckpoint struct {
	Temp string `json:"temp"` // the temporary file, in the folder of the path
	Size int64  `json:"size"`
	Rows int    `json:"rows"`
	CRLF bool   `json:"crlf"` // the line ends in use (an appended file's own)
}

// Checkpoint writes out the rows buffered so far and syncs the temporary file, and returns
// what is now durable in it.
func (w *CSVWriter) Checkpoint() (CSVCheckpoint, error) {
	if err := w.usable(); err != nil {
		return CSVCheckpoint{}, err
	}
	w.cw.Flush()
	err := w.cw.Error()
	if err == nil {
		err = w.bw.Flush()
	}
	if err == nil {
		err = w.tmp.Sync()
	}
	var size int64
	if err == nil {
		size, err = w.tmp.Seek(0, io.SeekCurrent)
	}
	if err != nil {
		w.fail(err)
		return CSVCheckpoint{}, w.err
	}
	return CSVCheckpoint{Temp: w.tmp.Name(), Size: size, Rows: w.rows, CRLF: w.o.CRLF}, nil
}

// Suspend closes the temporary file and keeps it, for ResumeCSV; rows written since the
// last Checkpoint may or may not be in it (ResumeCSV cuts them off). The writer is then
// closed; the path is untouched.
func (w *CSVWriter) Suspend() error {
	if w.done {
		return w.err
	}
	w.done = true
	w.cancel.stop()
	if w.err != nil {
		return w.err
	}
	return w.tmp.Close()
}

// ResumeCSV reopens the temporary file of a CSV writer that made checkpoint cp (see
// Checkpoint) for path, cuts it to what cp made durable, and returns a writer that goes on
// after it, with the same options as the writer that made it. The temporary file must lie
// in the folder of path and be one of path's; the file's size must be at least cp.Size.
func ResumeCSV(ctx context.Context, path string, cp CSVCheckpoint, o ExportOptions) (*CSVWriter, error) {
	o, err := o.applyDefaults(path)
	if err != nil {
		return nil, fmt.Errorf("resume %s: %w", path, err)
	}
	o.CRLF = cp.CRLF
	if filepath.Dir(cp.Temp) != filepath.Dir(path) || !strings.HasPrefix(filepath.Base(cp.Temp), "."+filepath.Base(path)+".") {
		return nil, fmt.Errorf("resume %s: %s is not one of its temporary files", path, cp.Temp)
	}
	cancel := watchContext(ctx)
	if err := cancel.err(); err != nil {
		return nil, fmt.Errorf("resume %s: %w", path, err)
	}
	f, err := os.OpenFile(cp.Temp, os.O_RDWR, 0)
	if err == nil {
		var fi os.FileInfo
		if fi, err = f.Stat(); err == nil && fi.Size() < cp.Size {
			err = fmt.Errorf("%s holds %d bytes, fewer than the %d it had", cp.Temp, fi.Size(), cp.Size)
		}
		if err == nil {
			err = f.Truncate(cp.Size)
		}
		if err == nil {
			_, err = f.Seek(cp.Size, io.SeekStart)
		}
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		cancel.stop()
		return nil, fmt.Errorf("resume %s: %w", path, err)
	}
	w := &CSVWriter{path: path, o: o, cancel: cancel, tmp: f, rows: cp.Rows}
	w.bw = bufio.NewWriterSize(f, bufSize)
	w.cw = csv.NewWriter(w.bw)
	w.cw.Comma = w.o.Delimiter
	w.cw.UseCRLF = w.o.CRLF
	return w, nil
}
