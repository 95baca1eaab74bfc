package sheet

import (
	"context"
	"io"
	"os"
	"strings"
)

// Peeked is what Peek read at the top of a spreadsheet, before any header is chosen.
type Peeked struct {
	// Sheets lists the sheets of a workbook in order; nil for a CSV file.
	Sheets []string
	// Sheet is the name of the sheet read, "" for a CSV file.
	Sheet string
	// Rows are the first rows holding a value, numbered as a spreadsheet program shows
	// them; rows without a value are left out. Cells are as Next gives them, not padded.
	Rows []Row
	// Encoding and Delimiter are those a CSV file is read with; Notice says what the
	// reader chose on its own (see Notice).
	Encoding  string
	Delimiter rune
	Notice    string
}

// Peek reads the first n rows holding a value of the sheet o chooses (of the file, for a
// CSV), with no header row: it serves to find where the header and the data are. Rows
// that break a limit or have bad quotes are returned with what could be read of them.
// Errors are *FileError.
func Peek(ctx context.Context, path string, o Options, n int) (*Peeked, error) {
	fh, err := openFile(ctx, path)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	f, src, regular, format, err := sniff(ctx, path, fh)
	if err != nil {
		return nil, err
	}
	if format == formatXLSX {
		f.stop()
		return peekXLSX(fh, path, o, n)
	}
	r := newCSVReader(ctx, path, o, regular)
	if err := r.start(f, src, 0); err != nil {
		f.Close()
		return nil, err
	}
	defer r.Close()
	p := &Peeked{Encoding: r.enc, Delimiter: r.comma, Notice: r.notice}
	for len(p.Rows) < n {
		err := r.sc.scan()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, r.readErr(err)
		}
		rec := &r.sc.rec
		if rec.rowLen == 0 && rec.quoteErr == nil {
			continue // no value
		}
		fields := rec.fields()
		cells := make([]Cell, len(fields))
		for i, s := range fields {
			s = r.validText(strings.ReplaceAll(s, "\x00", ""))
			cells[i] = Cell{Text: s}
			if s != "" {
				cells[i].Kind = KindString
			}
		}
		p.Rows = append(p.Rows, Row{Num: rec.row, Cells: cells})
	}
	return p, nil
}

func peekXLSX(f *os.File, path string, o Options, n int) (*Peeked, error) {
	pkg, err := openPkg(f, path, o)
	if err != nil {
		return nil, err
	}
	defer pkg.close()
	p := &Peeked{}
	for _, s := range pkg.sheets {
		p.Sheets = append(p.Sheets, s.name)
	}
	r := &xlsxReader{pkg: pkg, o: o}
	sh, err := pkg.chooseSheet(o)
	if err != nil {
		return nil, err
	}
	r.sheet, p.Sheet = sh, sh.name
	rc, ok, err := pkg.open(sh.part, o.maxWorkbook())
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, r.fileErr(0, detail(ErrMalformed, "missing part %s", sh.part))
	}
	defer rc.Close()
	r.rc, r.dec = rc, newXMLDecoder(rc, o.maxCell())
	for len(p.Rows) < n {
		row, err := r.readRow()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, r.fileErr(r.last, err)
		}
		if blank(row.cells) {
			continue
		}
		for i := range row.cells {
			row.cells[i].Text = strings.Replace(row.cells[i].Text, cutMark, "", 1)
		}
		p.Rows = append(p.Rows, Row{Num: row.num, Cells: row.cells})
	}
	return p, nil
}
