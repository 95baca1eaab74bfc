package sheet

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Writer writes rows to a spreadsheet file. Nothing is visible at the path
// until Close succeeds: rows go to a temporary file in the same directory
// that Close renames over the path. A Writer is not safe for concurrent use.
type Writer interface {
	// Write writes one row of text cells, escaped with EscapeFormula.
	Write(row []string) error
	// WriteCells writes one row of typed cells: KindString and KindError
	// cells are written as escaped text, KindNumber as numbers, KindBool as
	// booleans, KindDate and KindDateTime as dates (typed cells in XLSX; in
	// CSV the number's digits, TRUE/FALSE, and the dates as 2006-01-02 or
	// 2006-01-02 15:04:05).
	WriteCells(cells []Cell) error
	// Close finishes the file and moves it into place. After a failed Write
	// or Close the temporary file is removed and the path is left untouched.
	// It is safe to call more than once.
	Close() error
	// Abort removes the temporary file without writing the path.
	Abort() error
}

// EscapeFormula protects text against formula injection (OWASP "CSV
// injection"): text whose first character after leading white space is
// = + - @ TAB or CR is prefixed with a single quote ', so that no spreadsheet
// program runs it as a formula. The quote is visible in the cell; a reader of
// the file can strip it. Typed numbers are never escaped (-5 stays a number).
func EscapeFormula(s string) string {
	t := strings.TrimLeft(s, " \u00a0")
	if t == "" {
		if s != "" && (s[len(s)-1] == '\t' || s[len(s)-1] == '\r') {
			return "'" + s
		}
		return s
	}
	switch t[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Create creates a writer for path by its extension (.csv, .tsv, .txt → CSV
// with ',' or TAB for .tsv; .xlsx → one sheet named "Sheet1" written with
// excelize's StreamWriter) and writes the header row. Errors name the path.
func Create(path string, header []string) (Writer, error) {
	var w Writer
	var err error
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv", ".txt":
		w, err = newCSVWriter(path, ',')
	case ".tsv":
		w, err = newCSVWriter(path, '\t')
	case ".xlsx":
		w, err = newXLSXWriter(path)
	default:
		return nil, fmt.Errorf("create %s: unsupported extension %q (use .csv, .tsv or .xlsx)", path, ext)
	}
	if err != nil {
		return nil, err
	}
	if err := w.Write(header); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

// tempFile creates the temporary file next to path.
func tempFile(path, suffix string) (*os.File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*"+suffix)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return f, nil
}

// commit syncs, closes and renames tmp over path; on any error it removes
// tmp.
func commit(tmp *os.File, path string) error {
	err := tmp.Sync()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

var errClosed = errors.New("writer is closed")

type csvWriter struct {
	path string
	tmp  *os.File
	bw   *bufio.Writer
	cw   *csv.Writer
	rec  []string
	err  error // first error; the file is then discarded
	done bool
}

func newCSVWriter(path string, comma rune) (*csvWriter, error) {
	tmp, err := tempFile(path, ".tmp")
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(tmp, bufSize)
	cw := csv.NewWriter(bw)
	cw.Comma = comma
	return &csvWriter{path: path, tmp: tmp, bw: bw, cw: cw}, nil
}

func (w *csvWriter) Write(row []string) error {
	if err := w.usable(); err != nil {
		return err
	}
	w.rec = w.rec[:0]
	for _, s := range row {
		w.rec = append(w.rec, EscapeFormula(s))
	}
	return w.write()
}

func (w *csvWriter) WriteCells(cells []Cell) error {
	if err := w.usable(); err != nil {
		return err
	}
	w.rec = w.rec[:0]
	for _, c := range cells {
		w.rec = append(w.rec, cellText(c))
	}
	return w.write()
}

// cellText renders a typed cell as CSV text.
func cellText(c Cell) string {
	switch c.Kind {
	case KindNumber:
		if plainNumber(c.Text) {
			return c.Text
		}
		if math.IsNaN(c.Number) || math.IsInf(c.Number, 0) {
			return EscapeFormula(c.Text)
		}
		return strconv.FormatFloat(c.Number, 'f', -1, 64)
	case KindBool:
		if c.Number != 0 || c.Text == "TRUE" {
			return "TRUE"
		}
		return "FALSE"
	case KindDate:
		return c.Time.Format(time.DateOnly)
	case KindDateTime:
		return c.Time.Format("2006-01-02 15:04:05.999")
	}
	return EscapeFormula(c.Text)
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

func (w *csvWriter) usable() error {
	if w.done {
		return fmt.Errorf("write %s: %w", w.path, errClosed)
	}
	return w.err
}

func (w *csvWriter) write() error {
	if err := w.cw.Write(w.rec); err != nil {
		w.err = fmt.Errorf("write %s: %w", w.path, err)
		return w.err
	}
	return nil
}

func (w *csvWriter) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	if w.err != nil {
		w.discard()
		return w.err
	}
	w.cw.Flush()
	err := w.cw.Error()
	if err == nil {
		err = w.bw.Flush()
	}
	if err != nil {
		w.discard()
		w.err = fmt.Errorf("write %s: %w", w.path, err)
		return w.err
	}
	if err := commit(w.tmp, w.path); err != nil {
		w.err = err
	}
	return w.err
}

func (w *csvWriter) discard() {
	w.tmp.Close()
	os.Remove(w.tmp.Name())
}

func (w *csvWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.discard()
	return nil
}

// maxXLSXRows is the most rows a sheet holds.
const maxXLSXRows = 1 << 20

type xlsxWriter struct {
	path      string
	f         *excelize.File
	sw        *excelize.StreamWriter
	row       int
	dateStyle int
	timeStyle int
	vals      []any
	err       error
	done      bool
}

func newXLSXWriter(path string) (*xlsxWriter, error) {
	f := excelize.NewFile()
	fail := func(err error) (*xlsxWriter, error) {
		f.Close()
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return fail(err)
	}
	ds, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return fail(err)
	}
	custom := "yyyy-mm-dd hh:mm:ss"
	ts, err := f.NewStyle(&excelize.Style{CustomNumFmt: &custom})
	if err != nil {
		return fail(err)
	}
	return &xlsxWriter{path: path, f: f, sw: sw, dateStyle: ds, timeStyle: ts}, nil
}

func (w *xlsxWriter) usable() error {
	if w.done {
		return fmt.Errorf("write %s: %w", w.path, errClosed)
	}
	if w.err == nil && w.row >= maxXLSXRows {
		w.err = fmt.Errorf("write %s: more than %d rows for one sheet", w.path, maxXLSXRows)
	}
	return w.err
}

func (w *xlsxWriter) Write(row []string) error {
	if err := w.usable(); err != nil {
		return err
	}
	w.vals = w.vals[:0]
	for _, s := range row {
		w.vals = append(w.vals, EscapeFormula(s))
	}
	return w.setRow()
}

func (w *xlsxWriter) WriteCells(cells []Cell) error {
	if err := w.usable(); err != nil {
		return err
	}
	w.vals = w.vals[:0]
	for _, c := range cells {
		var v any
		switch c.Kind {
		case KindEmpty:
			v = nil
		case KindNumber:
			if math.IsNaN(c.Number) || math.IsInf(c.Number, 0) {
				v = EscapeFormula(c.Text)
			} else {
				v = c.Number
			}
		case KindBool:
			v = c.Number != 0 || c.Text == "TRUE"
		case KindDate, KindDateTime:
			style := w.dateStyle
			if c.Kind == KindDateTime {
				style = w.timeStyle
			}
			if x, ok := timeSerial(c.Time); ok {
				v = excelize.Cell{StyleID: style, Value: x}
			} else {
				v = cellText(c)
			}
		default:
			v = EscapeFormula(c.Text)
		}
		w.vals = append(w.vals, v)
	}
	return w.setRow()
}

// timeSerial converts a wall-clock time to an Excel 1900 serial.
func timeSerial(t time.Time) (float64, bool) {
	t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	if t.Before(time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC)) || t.Year() > 9999 {
		return 0, false
	}
	return float64(t.Sub(epoch1900).Milliseconds()) / 86400000, true
}

func (w *xlsxWriter) setRow() error {
	w.row++
	cell, err := excelize.CoordinatesToCellName(1, w.row)
	if err == nil {
		err = w.sw.SetRow(cell, w.vals)
	}
	if err != nil {
		w.err = fmt.Errorf("write %s: row %d: %w", w.path, w.row, err)
	}
	return w.err
}

func (w *xlsxWriter) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	if w.err != nil {
		w.f.Close()
		return w.err
	}
	err := w.sw.Flush()
	var tmp *os.File
	if err == nil {
		tmp, err = tempFile(w.path, ".xlsx")
	}
	if err == nil {
		if _, err = w.f.WriteTo(tmp); err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = cerr
		tmp.Close()
		os.Remove(tmp.Name())
	}
	if err != nil {
		w.err = fmt.Errorf("write %s: %w", w.path, err)
		return w.err
	}
	if err := commit(tmp, w.path); err != nil {
		w.err = err
	}
	return w.err
}

func (w *xlsxWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	return w.f.Close()
}
