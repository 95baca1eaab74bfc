package sheet

import (
	"archive/zip"
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Excel's limits.
const (
	maxXLSXRows = 1 << 20 // rows of a sheet
	maxXLSXCols = 1 << 14 // columns of a sheet
)

// Workbook writes an XLSX file of one or more sheets through excelize's
// StreamWriter, atomically: nothing is visible at the path until Close
// succeeds, which writes the package to a temporary file in the same folder,
// syncs it and renames it over the path. Any failed write, a cancelled
// context or Abort discards the whole workbook and leaves the path untouched.
//
// Every sheet gets a bold header row that stays frozen on top, an autofilter
// over the written range and column widths sized from its first rows (see
// ExportOptions.WidthRows). Cells are typed: numbers, booleans, dates and
// date-times (real Excel dates with ExportOptions' number formats) and text,
// which is always a string cell in the Text format ("@"), so ids such as
// 00123 or 12345678901234567890 and phone numbers stay as written, even when
// a user edits them. Text is neutralized like CSV text unless
// ExportOptions.AllowFormulas is set, and cut to Excel's 32,767 characters
// with a marker (see Truncated).
//
// Memory does not grow with the number of rows: besides the held-back rows
// of each sheet, excelize keeps up to 16 MiB of each sheet's XML in memory
// and spills the rest to a temporary file in os.TempDir(), which Close and
// Abort remove. A Workbook and its Worksheets are not safe for concurrent
// use; sheets may be written in any order, interleaved.
type Workbook struct {
	path      string
	o         ExportOptions
	f         *excelize.File
	style     xlsxStyles
	sheets    []*Worksheet
	names     map[string]bool // lower-cased names in use
	truncated int
	cancel    *cancelFlag
	err       error // first error; the workbook is then discarded
	done      bool
}

// xlsxStyles are the style ids of a workbook's cells.
type xlsxStyles struct {
	header, text, date, dateTime int
}

// NewWorkbook prepares a workbook for path, to which sheets are added with
// AddSheet. Once ctx is done, the next write or Close fails with the
// context's cause. Errors name the path.
func NewWorkbook(ctx context.Context, path string, o ExportOptions) (*Workbook, error) {
	o, err := o.applyDefaults(path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if o.Append {
		return nil, fmt.Errorf("create %s: append works only for csv files", path)
	}
	if err := checkDestination(path); err != nil {
		return nil, err
	}
	cancel := watchContext(ctx)
	if err := cancel.err(); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	f := excelize.NewFile()
	st, err := newXLSXStyles(f, &o)
	if err != nil {
		f.Close()
		cancel.stop()
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &Workbook{path: path, o: o, f: f, style: st, names: map[string]bool{}, cancel: cancel}, nil
}

func newXLSXStyles(f *excelize.File, o *ExportOptions) (xlsxStyles, error) {
	var st xlsxStyles
	var err error
	textFmt := 49 // "@", the Text format
	if st.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: textFmt}); err != nil {
		return st, err
	}
	if st.text, err = f.NewStyle(&excelize.Style{NumFmt: textFmt}); err != nil {
		return st, err
	}
	if st.date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &o.DateFormat}); err != nil {
		return st, fmt.Errorf("date format %q: %w", o.DateFormat, err)
	}
	if st.dateTime, err = f.NewStyle(&excelize.Style{CustomNumFmt: &o.DateTimeFormat}); err != nil {
		return st, fmt.Errorf("date-time format %q: %w", o.DateTimeFormat, err)
	}
	return st, nil
}

// Worksheet is one sheet of a Workbook. Its Write and WriteCells follow the
// Writer contract; the file is finished by the Workbook's Close.
type Worksheet struct {
	wb      *Workbook
	name    string
	sw      *excelize.StreamWriter
	header  []any
	held    [][]any   // rows held back to size the columns; nil once streaming
	widths  []float64 // widest cell seen per column while holding rows back
	cols    int       // widest row written
	row     int       // rows written or held, header included
	vals    []any
	started bool
}

// AddSheet adds a sheet named name and writes its header row. The name is
// made valid for Excel: characters : \ / ? * [ ] and control characters
// become '_', a leading or trailing ' is dropped, "" becomes "Sheet", the
// reserved "History" becomes "History_", it is cut to 31 characters and made
// unique (case-insensitively) with a " (2)", " (3)"… suffix. Name returns
// the result.
func (wb *Workbook) AddSheet(name string, header []string) (*Worksheet, error) {
	if err := wb.usable(); err != nil {
		return nil, err
	}
	if len(header) > maxXLSXCols {
		return nil, wb.fail(fmt.Errorf("sheet %q: %d columns, more than excel's %d", name, len(header), maxXLSXCols))
	}
	name = uniqueSheetName(sanitizeSheetName(name), wb.names)
	var err error
	if len(wb.sheets) == 0 {
		err = wb.f.SetSheetName("Sheet1", name)
	} else {
		_, err = wb.f.NewSheet(name)
	}
	var sw *excelize.StreamWriter
	if err == nil {
		sw, err = wb.f.NewStreamWriter(name)
	}
	if err != nil {
		return nil, wb.fail(fmt.Errorf("sheet %q: %w", name, err))
	}
	wb.names[strings.ToLower(name)] = true
	ws := &Worksheet{wb: wb, name: name, sw: sw, held: [][]any{}}
	for i, s := range header {
		if s == "" {
			ws.header = append(ws.header, nil)
			continue
		}
		text, _ := wb.truncate(wb.o.text(s))
		ws.header = append(ws.header, excelize.Cell{StyleID: wb.style.header, Value: text})
		// Room for the autofilter's drop-down button.
		ws.fit(i, textWidth(text)+3)
	}
	ws.cols = len(header)
	ws.row = 1
	wb.sheets = append(wb.sheets, ws)
	if wb.o.WidthRows == 0 {
		if err := ws.start(); err != nil {
			return nil, err
		}
	}
	return ws, nil
}

// Name returns the sheet's name as written, after AddSheet made it valid.
func (ws *Worksheet) Name() string { return ws.name }

// Rows returns the number of data rows written so far, header not counted.
func (ws *Worksheet) Rows() int { return ws.row - 1 }

// Write writes one row of text cells (see Writer).
func (ws *Worksheet) Write(row []string) error {
	if err := ws.usable(); err != nil {
		return err
	}
	ws.vals = ws.vals[:0]
	for i, s := range row {
		ws.vals = append(ws.vals, ws.textValue(i, s))
	}
	return ws.add()
}

// WriteCells writes one row of typed cells (see Writer).
func (ws *Worksheet) WriteCells(cells []Cell) error {
	if err := ws.usable(); err != nil {
		return err
	}
	ws.vals = ws.vals[:0]
	for i, c := range cells {
		ws.vals = append(ws.vals, ws.cellValue(i, c))
	}
	return ws.add()
}

// cellValue converts c to a value for excelize and widens column i for it
// while rows are held back.
func (ws *Worksheet) cellValue(i int, c Cell) any {
	o := &ws.wb.o
	switch c.Kind {
	case KindEmpty:
		if c.Text == "" {
			return nil
		}
	case KindNumber:
		if !math.IsNaN(c.Number) && !math.IsInf(c.Number, 0) {
			if ws.held != nil {
				ws.fit(i, float64(min(len(numberText(c)), 15))+2)
			}
			return c.Number
		}
	case KindBool:
		ws.fit(i, 7)
		return boolValue(c)
	case KindDate, KindDateTime:
		style, format := ws.wb.style.date, o.DateFormat
		if c.Kind == KindDateTime {
			style, format = ws.wb.style.dateTime, o.DateTimeFormat
		}
		if t, ok := excelTime(c.Time); ok {
			ws.fit(i, float64(len(format))+2)
			// excelize writes a time's serial with every digit; a float64
			// would be cut to 15 significant digits, which can show
			// 13:45:30 as 13:45:29.
			return excelize.Cell{StyleID: style, Value: t}
		}
		return ws.textValue(i, cellText(c, o))
	}
	return ws.textValue(i, c.Text)
}

// numberText is how a number shows at its widest: its digits, or the
// shortest form of its value when they are not plain.
func numberText(c Cell) string {
	if plainNumber(c.Text) {
		return c.Text
	}
	return strconv.FormatFloat(c.Number, 'g', -1, 64)
}

// textValue neutralizes and bounds s and returns it as a text cell.
func (ws *Worksheet) textValue(i int, s string) any {
	if s == "" {
		return nil
	}
	s, _ = ws.wb.truncate(ws.wb.o.text(s))
	if ws.held != nil {
		ws.fit(i, textWidth(s)+2)
	}
	return excelize.Cell{StyleID: ws.wb.style.text, Value: s}
}

// fit widens column i to w characters, within MaxWidth.
func (ws *Worksheet) fit(i int, w float64) {
	if ws.held == nil || i >= maxXLSXCols {
		return
	}
	for len(ws.widths) <= i {
		ws.widths = append(ws.widths, 0)
	}
	ws.widths[i] = max(ws.widths[i], min(w, float64(ws.wb.o.MaxWidth)))
}

func (ws *Worksheet) usable() error {
	if err := ws.wb.usable(); err != nil {
		return err
	}
	if ws.row >= maxXLSXRows {
		return ws.wb.fail(fmt.Errorf("sheet %q: more than %d rows", ws.name, maxXLSXRows))
	}
	return nil
}

// add holds the row in ws.vals back or streams it.
func (ws *Worksheet) add() error {
	ws.row++
	ws.cols = max(ws.cols, len(ws.vals))
	if ws.held != nil {
		ws.held = append(ws.held, append([]any(nil), ws.vals...))
		if len(ws.held) >= ws.wb.o.WidthRows {
			return ws.start()
		}
		return nil
	}
	return ws.setRow(ws.row, ws.vals)
}

// start sets the column widths and the frozen header, then streams the
// header and the held rows.
func (ws *Worksheet) start() error {
	if ws.started {
		return nil
	}
	ws.started = true
	held := ws.held
	ws.held = nil
	err := ws.sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	})
	for i, w := range ws.widths {
		if err == nil && w > 0 {
			err = ws.sw.SetColWidth(i+1, i+1, max(w, 8))
		}
	}
	if err != nil {
		return ws.wb.fail(fmt.Errorf("sheet %q: %w", ws.name, err))
	}
	ws.widths = nil
	if err := ws.setRow(1, ws.header); err != nil {
		return err
	}
	ws.header = nil
	for i, vals := range held {
		if err := ws.setRow(i+2, vals); err != nil {
			return err
		}
	}
	return nil
}

func (ws *Worksheet) setRow(n int, vals []any) error {
	cell, err := excelize.CoordinatesToCellName(1, n)
	if err == nil {
		err = ws.sw.SetRow(cell, vals)
	}
	if err != nil {
		return ws.wb.fail(fmt.Errorf("sheet %q row %d: %w", ws.name, n, err))
	}
	return nil
}

// finish streams what is held back, adds the autofilter over the written
// range and ends the sheet's XML.
func (ws *Worksheet) finish() error {
	if err := ws.start(); err != nil {
		return err
	}
	var err error
	if ws.cols > 0 {
		var last string
		last, err = excelize.CoordinatesToCellName(ws.cols, ws.row)
		if err == nil {
			// The stream writer shares the worksheet that AutoFilter edits;
			// its autoFilter element is written by Flush.
			err = ws.wb.f.AutoFilter(ws.name, "A1:"+last, nil)
		}
	}
	if err == nil {
		err = ws.sw.Flush()
	}
	if err != nil {
		return ws.wb.fail(fmt.Errorf("sheet %q: %w", ws.name, err))
	}
	return nil
}

// Truncated returns how many text cells were cut to Excel's limit so far.
func (wb *Workbook) Truncated() int { return wb.truncated }

func (wb *Workbook) usable() error {
	if wb.done {
		return fmt.Errorf("write %s: %w", wb.path, errClosed)
	}
	if wb.err == nil {
		if err := wb.cancel.err(); err != nil {
			wb.fail(err)
		}
	}
	return wb.err
}

// fail records the first error, releases the workbook's temporary files and
// returns the recorded error.
func (wb *Workbook) fail(err error) error {
	if wb.err == nil {
		wb.err = fmt.Errorf("write %s: %w", wb.path, err)
		wb.f.Close()
		wb.cancel.stop()
	}
	return wb.err
}

// Close finishes every sheet, writes the package to a temporary file next
// to the path, syncs it and renames it over the path; the folder is synced
// too. A workbook without sheets is an error. After any error the path is
// untouched. It is safe to call more than once.
func (wb *Workbook) Close() error {
	if wb.done {
		return wb.err
	}
	if wb.usable() != nil {
		wb.done = true
		return wb.err
	}
	wb.done = true
	if len(wb.sheets) == 0 {
		return wb.fail(fmt.Errorf("workbook has no sheet"))
	}
	for _, ws := range wb.sheets {
		if err := ws.finish(); err != nil {
			return err
		}
	}
	tmp, err := tempFile(wb.path, ".xlsx")
	if err != nil {
		wb.f.Close()
		wb.cancel.stop()
		wb.err = err
		return err
	}
	if err := wb.writePackage(tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return wb.fail(err)
	}
	err = wb.f.Close()
	if err == nil {
		err = commit(tmp, wb.path, wb.cancel)
	} else {
		tmp.Close()
		os.Remove(tmp.Name())
		err = fmt.Errorf("write %s: %w", wb.path, err)
	}
	wb.cancel.stop()
	wb.err = err
	return err
}

// writePackage streams the zip package to tmp. excelize's WriteTo builds
// the whole package in a bytes.Buffer first; its ZipWriter hook lets the
// zip writer write to the file instead, so that the buffer stays empty.
func (wb *Workbook) writePackage(tmp *os.File) error {
	bw := bufio.NewWriterSize(tmp, bufSize)
	var zw *zip.Writer
	wb.f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw = zip.NewWriter(bw)
		return zw
	})
	n, err := wb.f.WriteTo(io.Discard)
	if err == nil && (zw == nil || n != 0) {
		err = fmt.Errorf("excelize did not write through its zip writer hook")
	}
	if err == nil {
		err = bw.Flush()
	}
	return err
}

// Abort discards the workbook and its temporary files; the path is
// untouched. It is a no-op after Close.
func (wb *Workbook) Abort() error {
	if wb.done {
		return nil
	}
	wb.done = true
	if wb.err == nil {
		wb.fail(errClosed)
	}
	return nil
}

// oneSheet is the Writer of CreateExport for an XLSX path: one sheet whose
// workbook it closes.
type oneSheet struct{ *Worksheet }

func (w oneSheet) Close() error { return w.wb.Close() }
func (w oneSheet) Abort() error { return w.wb.Abort() }

// excelTime returns t's wall clock as a UTC time, and whether an Excel 1900
// date can hold it: from 1900-03-01 (before it Excel counts a February 29
// that did not exist) to the end of 9999.
func excelTime(t time.Time) (time.Time, bool) {
	t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	return t, !t.Before(time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC)) && t.Year() <= 9999
}
