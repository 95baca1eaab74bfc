package sheet

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxColumns is the widest sheet Excel allows (XFD).
const maxColumns = 16384

// xlsxReader streams the rows of one worksheet.
type xlsxReader struct {
	pkg    *xlsxPkg
	sheet  sheetRef
	o      Options
	rc     io.ReadCloser
	dec    *xml.Decoder
	header []string
	last   int   // number of the last row element read
	err    error // sticky final error
}

func openXLSX(filePath string, o Options) (*xlsxReader, error) {
	p, err := openPkg(filePath)
	if err != nil {
		return nil, err
	}
	r := &xlsxReader{pkg: p, o: o}
	if err := r.start(); err != nil {
		p.zr.Close()
		return nil, err
	}
	return r, nil
}

func (r *xlsxReader) fileErr(line int, err error) error {
	return &FileError{Path: r.pkg.path, Sheet: r.sheet.name, Line: line, Err: err}
}

func (r *xlsxReader) start() error {
	sh, err := r.pkg.chooseSheet(r.o)
	if err != nil {
		return err
	}
	r.sheet = sh
	rc, ok, err := r.pkg.open(sh.part)
	if err != nil {
		return err
	}
	if !ok {
		return r.fileErr(0, detail(ErrMalformed, "missing part %s", sh.part))
	}
	r.rc = rc
	r.dec = xml.NewDecoder(bufio.NewReaderSize(rc, bufSize))
	want := r.o.headerRow()
	for {
		num, cells, err := r.readRow()
		if err == io.EOF {
			return r.fileErr(0, detail(ErrEmptyFile, "no header on row %d", want))
		}
		if err != nil {
			return err
		}
		if num < want {
			continue
		}
		if num > want || blank(cells) {
			return r.fileErr(want, detail(ErrEmptyFile, "header row %d is empty", want))
		}
		raw := make([]string, len(cells))
		for i, c := range cells {
			raw[i] = c.Text
		}
		h, err := cleanHeader(raw)
		if err != nil {
			return r.fileErr(num, err)
		}
		r.header = h
		return nil
	}
}

func blank(cells []Cell) bool {
	for _, c := range cells {
		if c.Kind != KindEmpty {
			return false
		}
	}
	return true
}

// Header returns the column names.
func (r *xlsxReader) Header() []string { return r.header }

// Close closes the sheet stream and the package.
func (r *xlsxReader) Close() error {
	if r.pkg == nil {
		return nil
	}
	var err error
	if r.rc != nil {
		err = r.rc.Close()
	}
	if cerr := r.pkg.zr.Close(); err == nil {
		err = cerr
	}
	if r.err == nil {
		r.err = r.fileErr(0, fmt.Errorf("read: reader closed"))
	}
	r.pkg, r.rc, r.dec = nil, nil, nil
	return err
}

// Next returns the next non-blank row.
func (r *xlsxReader) Next() (Row, error) {
	for {
		if r.err != nil {
			return Row{}, r.err
		}
		num, cells, err := r.readRow()
		if err != nil {
			if err != io.EOF {
				err = r.fileErr(r.last, err)
			}
			r.err = err
			return Row{}, err
		}
		if blank(cells) {
			continue
		}
		return r.finish(num, cells)
	}
}

// finish pads the cells to the header and checks them.
func (r *xlsxReader) finish(num int, cells []Cell) (Row, error) {
	var cellErr *RowError
	for i := range cells {
		if cells[i].Kind == kindBad {
			cells[i].Kind = KindString
			if cellErr == nil {
				cellErr = r.rowErr(num, i, detail(ErrMalformed, "bad cell value %q", clip(cells[i].Text)))
			}
		}
	}
	cells, extra := fitCells(cells, len(r.header))
	row := Row{Num: num, Cells: cells}
	if extra >= 0 {
		return row, &RowError{Path: r.pkg.path, Sheet: r.sheet.name, Row: num,
			Err: detail(ErrTooManyFields, "%d columns in header, column %s holds %q",
				len(r.header), colName(extra), clip(cells[extra].Text))}
	}
	if cellErr != nil {
		return row, cellErr
	}
	for i, c := range cells {
		if len(c.Text) > r.o.maxCell() {
			return row, r.rowErr(num, i, detail(ErrCellTooLarge, "%d bytes, limit %d", len(c.Text), r.o.maxCell()))
		}
	}
	return row, nil
}

func (r *xlsxReader) rowErr(num, col int, err error) *RowError {
	e := &RowError{Path: r.pkg.path, Sheet: r.sheet.name, Row: num, Err: err}
	if col < len(r.header) {
		e.Column = r.header[col]
	}
	return e
}

// kindBad marks a cell whose stored value does not fit its type; finish
// turns it into a RowError.
const kindBad Kind = 255

// readRow reads up to the end of the next row element. It returns io.EOF at
// the end of the sheet data.
func (r *xlsxReader) readRow() (int, []Cell, error) {
	for {
		tok, err := r.dec.RawToken()
		if err == io.EOF {
			return 0, nil, io.EOF
		}
		if err != nil {
			return 0, nil, detail(ErrMalformed, "%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "row" {
				continue
			}
			num := r.last + 1
			if v := attr(t, "r"); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 1<<20 {
					return 0, nil, detail(ErrMalformed, "row number %q", v)
				}
				num = n
			}
			if num <= r.last {
				return 0, nil, detail(ErrMalformed, "row %d after row %d", num, r.last)
			}
			r.last = num
			cells, err := r.readCells()
			return num, cells, err
		case xml.EndElement:
			if t.Name.Local == "sheetData" {
				return 0, nil, io.EOF
			}
		}
	}
}

// readCells reads the cells of a row up to </row>.
func (r *xlsxReader) readCells() ([]Cell, error) {
	var cells []Cell
	col := 0
	for {
		tok, err := r.dec.RawToken()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return cells, detail(ErrMalformed, "%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "c" {
				continue
			}
			col++
			var typ, style string
			for _, a := range t.Attr {
				switch a.Name.Local {
				case "r":
					c, ok := refColumn(a.Value)
					if !ok || c < col {
						return cells, detail(ErrMalformed, "row %d: cell reference %q", r.last, a.Value)
					}
					col = c
				case "t":
					typ = a.Value
				case "s":
					style = a.Value
				}
			}
			v, inline, err := r.cellContent()
			if err != nil {
				return cells, err
			}
			for len(cells) < col-1 {
				cells = append(cells, Cell{})
			}
			cells = append(cells, r.pkg.cell(typ, style, v, inline))
		case xml.EndElement:
			if t.Name.Local == "row" {
				return cells, nil
			}
		}
	}
}

// cellContent reads up to </c>: the <v> text and the inline string, if any.
func (r *xlsxReader) cellContent() (v, inline string, err error) {
	for {
		tok, err := r.dec.RawToken()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", "", detail(ErrMalformed, "%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "v":
				if v, err = r.text("v"); err != nil {
					return "", "", err
				}
			case "is":
				if inline, err = richText(r.dec, "is"); err != nil {
					return "", "", detail(ErrMalformed, "%v", err)
				}
			}
		case xml.EndElement:
			if t.Name.Local == "c" {
				return v, inline, nil
			}
		}
	}
}

// text reads character data up to the end of the element named end.
func (r *xlsxReader) text(end string) (string, error) {
	var s string
	for {
		tok, err := r.dec.RawToken()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", detail(ErrMalformed, "%v", err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			s += string(t)
		case xml.EndElement:
			if t.Name.Local == end {
				return s, nil
			}
		}
	}
}

// refColumn returns the 1-based column of a cell reference such as "AB12".
func refColumn(ref string) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			break
		}
		col = col*26 + int(c-'A'+1)
		if col > maxColumns {
			return 0, false
		}
	}
	return col, i > 0
}

// colName returns the letters of a 0-based column index.
func colName(i int) string {
	var b []byte
	for n := i + 1; n > 0; n = (n - 1) / 26 {
		b = append([]byte{byte('A' + (n-1)%26)}, b...)
	}
	return string(b)
}

// cell builds a typed cell from the stored type, style and value.
func (p *xlsxPkg) cell(typ, style, v, inline string) Cell {
	str := func(s string) Cell {
		if s == "" {
			return Cell{}
		}
		return Cell{Text: s, Kind: KindString}
	}
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= len(p.sst) {
			return Cell{Text: v, Kind: kindBad}
		}
		return str(p.sst[i])
	case "inlineStr":
		return str(inline)
	case "str":
		return str(v)
	case "b":
		switch strings.TrimSpace(v) {
		case "1", "true":
			return Cell{Text: "TRUE", Kind: KindBool, Number: 1}
		case "0", "false":
			return Cell{Text: "FALSE", Kind: KindBool}
		case "":
			return Cell{}
		}
		return Cell{Text: v, Kind: kindBad}
	case "e":
		if v == "" {
			return Cell{}
		}
		return Cell{Text: v, Kind: KindError}
	case "d":
		if v == "" {
			return Cell{}
		}
		t, ok := parseISODate(v)
		if !ok {
			return Cell{Text: v, Kind: kindBad}
		}
		return dateCell(t, p.styleKind(style))
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return Cell{}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return Cell{Text: v, Kind: kindBad}
	}
	if k := p.styleKind(style); k != KindEmpty {
		if t, ok := serialTime(f, p.date1904); ok {
			return dateCell(t, k)
		}
	}
	return Cell{Text: v, Kind: KindNumber, Number: f}
}

func (p *xlsxPkg) styleKind(style string) Kind {
	if style == "" {
		return KindEmpty
	}
	i, err := strconv.Atoi(style)
	if err != nil || i < 0 || i >= len(p.xfKind) {
		return KindEmpty
	}
	return p.xfKind[i]
}

func dateCell(t time.Time, k Kind) Cell {
	if k == KindDate {
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		return Cell{Text: t.Format(time.DateOnly), Kind: KindDate, Time: t}
	}
	return Cell{Text: t.Format("2006-01-02 15:04:05.999"), Kind: KindDateTime, Time: t}
}

var (
	epoch1900 = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	epoch1904 = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
)

// serialTime converts an Excel serial date (days since the epoch, the time of
// day as the fraction) to a UTC wall-clock time rounded to the millisecond.
// Serials before 1900-03-01 follow Excel's fictitious 1900-02-29.
func serialTime(x float64, date1904 bool) (time.Time, bool) {
	if x < 0 || x >= 2958466 { // after 9999-12-31
		return time.Time{}, false
	}
	base := epoch1900
	if date1904 {
		base = epoch1904
	} else if x < 61 {
		base = base.AddDate(0, 0, 1)
	}
	days := math.Floor(x)
	ms := math.Round((x - days) * 86400000)
	return base.AddDate(0, 0, int(days)).Add(time.Duration(ms) * time.Millisecond), true
}

func parseISODate(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02", "15:04:05.999999999"} {
		if t, err := time.Parse(layout, v); err == nil {
			if t.Location() != time.UTC {
				// Keep the wall clock, as for serial dates.
				t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
			}
			return t, true
		}
	}
	return time.Time{}, false
}

// builtinFormatKind classifies Excel's built-in number formats.
func builtinFormatKind(id int) Kind {
	switch {
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id == 36, id >= 50 && id <= 58:
		return KindDate
	case id >= 18 && id <= 22, id >= 32 && id <= 35, id >= 45 && id <= 47:
		return KindDateTime
	}
	return KindEmpty
}

// formatKind classifies a custom number format code: KindDate when it shows
// a date only, KindDateTime when it shows a time of day, KindEmpty (a number)
// otherwise. Only the first section counts; quoted text, escaped characters,
// fill/padding characters and bracketed parts are ignored; an elapsed-time
// format such as [h]:mm is a duration, so a number.
func formatKind(code string) Kind {
	var date, clock bool
	lower := strings.ToLower(code)
	for i := 0; i < len(lower); i++ {
		c := lower[i]
		switch c {
		case ';':
			i = len(lower)
		case '"':
			j := strings.IndexByte(lower[i+1:], '"')
			if j < 0 {
				return KindEmpty
			}
			i += j + 1
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(lower[i+1:], ']')
			if j < 0 {
				return KindEmpty
			}
			in := lower[i+1 : i+1+j]
			if strings.Trim(in, "hms") == "" && in != "" {
				return KindEmpty
			}
			i += j + 1
		case 'y', 'd', 'm':
			date = true
		case 'h', 's':
			clock = true
		case 'a':
			if strings.HasPrefix(lower[i:], "am/pm") || strings.HasPrefix(lower[i:], "a/p") {
				clock = true
			}
		}
	}
	switch {
	case clock:
		return KindDateTime
	case date:
		return KindDate
	}
	return KindEmpty
}
