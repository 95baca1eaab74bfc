package sheet

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// xlsxReader streams the rows of one worksheet.
type xlsxReader struct {
	pkg     *xlsxPkg
	sheet   sheetRef
	o       Options
	rc      io.ReadCloser
	dec     *xml.Decoder
	header  []string
	last    int   // number of the last row element read
	skipped int   // row elements without a value skipped
	err     error // sticky final error
}

// Skipped returns the number of row elements without a value skipped so far.
func (r *xlsxReader) Skipped() int { return r.skipped }

// xlsxRow is one row element as read, with what is wrong with it.
type xlsxRow struct {
	num     int
	cells   []Cell
	bad     error // the first cell whose value does not fit its type
	badCol  int   // its index
	wide    bool  // a cell beyond MaxColumns
	bytes   int   // bytes of text in its cells
	tooMany bool  // bytes over MaxRowBytes: the cells after the limit are left empty
}

// openXLSX reads the workbook in the open file f, which it owns.
func openXLSX(f *os.File, filePath string, o Options) (*xlsxReader, error) {
	p, err := openPkg(f, filePath, o)
	if err != nil {
		return nil, err
	}
	r := &xlsxReader{pkg: p, o: o}
	if err := r.start(); err != nil {
		if r.rc != nil {
			r.rc.Close()
		}
		p.close()
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
	rc, ok, err := r.pkg.open(sh.part, r.o.maxWorkbook())
	if err != nil {
		return err
	}
	if !ok {
		return r.fileErr(0, detail(ErrMalformed, "missing part %s", sh.part))
	}
	r.rc = rc
	r.dec = newXMLDecoder(rc, r.o.maxCell())
	want := r.o.headerRow()
	for {
		row, err := r.readRow()
		if err == io.EOF {
			if r.last == 0 {
				return r.fileErr(0, detail(ErrEmptyFile, "the sheet has no rows"))
			}
			return r.fileErr(0, &headerPastEnd{row: want, rows: r.last})
		}
		if err != nil {
			return r.fileErr(r.last, err)
		}
		if row.num < want {
			continue
		}
		if row.num > want || blank(row.cells) {
			return r.fileErr(want, detail(ErrEmptyFile, "header row %d is empty", want))
		}
		raw := make([]string, len(row.cells))
		for i, c := range row.cells {
			raw[i] = c.Text
			if c.Kind != KindEmpty && strings.Contains(c.Text, cutMark) || len(c.Text) > r.o.maxCell() {
				return r.fileErr(row.num, detail(ErrCellTooLarge, "header column %s is more than %d bytes", colName(i), r.o.maxCell()))
			}
		}
		switch {
		case row.wide:
			return r.fileErr(row.num, detail(ErrTooLarge, "the header has a cell beyond column %s", colName(MaxColumns-1)))
		case row.tooMany:
			return r.fileErr(row.num, detail(ErrRowTooLarge, "the header is more than %d bytes", r.o.maxRow()))
		}
		h, err := cleanHeader(raw)
		if err != nil {
			return r.fileErr(row.num, err)
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
	if cerr := r.pkg.close(); err == nil {
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
		row, err := r.readRow()
		if err != nil {
			if err != io.EOF {
				err = r.fileErr(r.last, err)
			}
			r.err = err
			return Row{}, err
		}
		if blank(row.cells) && row.bad == nil && !row.wide && !row.tooMany {
			r.skipped++
			continue
		}
		return r.finish(row)
	}
}

// finish pads the cells to the header and checks them.
func (r *xlsxReader) finish(x xlsxRow) (Row, error) {
	big := -1
	for i := range x.cells {
		c := &x.cells[i]
		if strings.Contains(c.Text, cutMark) || len(c.Text) > r.o.maxCell() {
			c.Text = strings.Replace(c.Text, cutMark, "", 1)
			if big < 0 {
				big = i
			}
		}
	}
	cells, extra := fitCells(x.cells, len(r.header))
	row := Row{Num: x.num, Cells: cells}
	switch {
	case x.wide:
		return row, r.rowErr(x.num, -1, detail(ErrTooManyFields, "a cell is beyond column %s, the last a sheet can have", colName(MaxColumns-1)))
	case x.tooMany:
		return row, r.rowErr(x.num, -1, detail(ErrRowTooLarge, "more than %d bytes in its cells; the cells after the limit are left empty", r.o.maxRow()))
	case big >= 0:
		return row, r.rowErr(x.num, big, detail(ErrCellTooLarge, "more than %d bytes", r.o.maxCell()))
	case extra >= 0:
		return row, r.rowErr(x.num, -1, detail(ErrTooManyFields, "%d columns in header, column %s holds %q",
			len(r.header), colName(extra), clip(cells[extra].Text)))
	case x.bad != nil:
		return row, r.rowErr(x.num, x.badCol, x.bad)
	}
	return row, nil
}

func (r *xlsxReader) rowErr(num, col int, err error) *RowError {
	e := &RowError{Path: r.pkg.path, Sheet: r.sheet.name, Row: num, Err: err}
	if col >= 0 && col < len(r.header) {
		e.Column = r.header[col]
	}
	return e
}

// readRow reads up to the end of the next row element. It returns io.EOF at the end of the
// sheet data; other errors are final.
func (r *xlsxReader) readRow() (xlsxRow, error) {
	for {
		tok, err := r.dec.RawToken()
		if err == io.EOF {
			return xlsxRow{}, io.EOF
		}
		if err != nil {
			return xlsxRow{}, xmlError(r.sheet.part, err)
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
					return xlsxRow{}, detail(ErrMalformed, "row number %q", clip(v))
				}
				num = n
			}
			if num <= r.last {
				return xlsxRow{}, detail(ErrMalformed, "row %d after row %d", num, r.last)
			}
			r.last = num
			row := xlsxRow{num: num, badCol: -1}
			err := r.readCells(&row)
			return row, err
		case xml.EndElement:
			if t.Name.Local == "sheetData" {
				return xlsxRow{}, io.EOF
			}
		}
	}
}

// readCells reads the cells of a row up to </row>, keeping no more than the limits allow.
func (r *xlsxReader) readCells(row *xlsxRow) error {
	col := 0
	for {
		tok, err := r.dec.RawToken()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return xmlError(r.sheet.part, err)
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
					if !ok {
						if c > MaxColumns {
							row.wide = true
							continue
						}
						return detail(ErrMalformed, "row %d: cell reference %q", r.last, clip(a.Value))
					}
					if c < col {
						return detail(ErrMalformed, "row %d: cell reference %q", r.last, clip(a.Value))
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
				return err
			}
			if col > MaxColumns || row.wide {
				row.wide = true
				continue
			}
			row.bytes += len(v) + len(inline)
			if row.bytes > r.o.maxRow() {
				row.tooMany = true
				continue
			}
			c, err := r.pkg.cell(typ, style, v, inline)
			if err != nil && row.bad == nil {
				row.bad, row.badCol = err, col-1
			}
			for len(row.cells) < col-1 {
				row.cells = append(row.cells, Cell{})
			}
			row.cells = append(row.cells, c)
		case xml.EndElement:
			if t.Name.Local == "row" {
				return nil
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
			return "", "", xmlError(r.sheet.part, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "v":
				if v, err = r.text("v"); err != nil {
					return "", "", err
				}
			case "is":
				if inline, err = richText(r.dec, "is", r.o.maxCell()); err != nil {
					return "", "", xmlError(r.sheet.part, err)
				}
			}
		case xml.EndElement:
			if t.Name.Local == "c" {
				return v, inline, nil
			}
		}
	}
}

// text reads character data up to the end of the element named end, within MaxCellBytes
// (see limitedText).
func (r *xlsxReader) text(end string) (string, error) {
	b := limitedText{limit: r.o.maxCell()}
	for {
		tok, err := r.dec.RawToken()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", xmlError(r.sheet.part, err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.EndElement:
			if t.Name.Local == end {
				return b.String(), nil
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
		if col > MaxColumns {
			return col, false
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

// cell builds a typed cell from the stored type, style and value. A value that does not
// fit its type comes back as a text cell with an error saying why.
func (p *xlsxPkg) cell(typ, style, v, inline string) (Cell, error) {
	str := func(s string) Cell {
		if s == "" {
			return Cell{}
		}
		return Cell{Text: s, Kind: KindString}
	}
	bad := func(err error) (Cell, error) { return Cell{Text: v, Kind: KindString}, err }
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= p.sst.len() {
			return bad(detail(ErrMalformed, "shared string %q does not exist", clip(v)))
		}
		return str(p.sst.get(i)), nil
	case "inlineStr":
		return str(inline), nil
	case "str":
		return str(v), nil
	case "b":
		switch strings.TrimSpace(v) {
		case "1", "true":
			return Cell{Text: "TRUE", Kind: KindBool, Number: 1}, nil
		case "0", "false":
			return Cell{Text: "FALSE", Kind: KindBool}, nil
		case "":
			return Cell{}, nil
		}
		return bad(detail(ErrMalformed, "bad boolean %q", clip(v)))
	case "e":
		if v == "" {
			return Cell{}, nil
		}
		return Cell{Text: v, Kind: KindError}, nil
	case "d":
		if v == "" {
			return Cell{}, nil
		}
		c, err := dateCellISO(v, p.styleKind(style))
		if err != nil {
			return bad(err)
		}
		return c, nil
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return Cell{}, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return bad(detail(ErrMalformed, "bad number %q", clip(v)))
	}
	if k := p.styleKind(style); k != KindEmpty {
		c, err := serialCell(v, f, p.date1904, k)
		if err != nil {
			return bad(err)
		}
		return c, nil
	}
	return Cell{Text: v, Kind: KindNumber, Number: f}, nil
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
