package sheet

import (
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

type wantRowErr struct {
	row int
	col string
	err error
}

func bad(name string) func(t *testing.T) string {
	return func(t *testing.T) string { return filepath.Join("testdata", "bad", name) }
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name    string
		path    func(t *testing.T) string
		opts    Options
		final   error // nil: reading ends with io.EOF
		ok      []int // numbers of the rows returned without error
		errs    []wantRowErr
		records int // data records in the file
	}{
		{name: "ragged", path: bad("ragged.csv"), ok: []int{2, 5},
			errs: []wantRowErr{{3, "", ErrTooFewFields}, {4, "", ErrTooManyFields}}, records: 4},
		{name: "bad quotes", path: bad("badquotes.csv"), ok: []int{2, 5, 7, 8},
			errs: []wantRowErr{{3, "name", ErrBadQuotes}, {4, "name", ErrBadQuotes}, {6, "name", ErrBadQuotes}}, records: 7},
		{name: "empty", path: bad("empty.csv"), final: ErrEmptyFile},
		{name: "header only", path: bad("header_only.csv")},
		{name: "duplicate headers", path: bad("dup_headers.csv"), final: ErrDuplicateHeader},
		{name: "invalid utf-8 read as windows-1252", path: bad("invalid_utf8.csv"),
			ok: []int{2, 3, 4}, records: 3},
		{name: "invalid utf-8 in a field", path: bad("invalid_utf8.csv"), opts: Options{Encoding: "utf-8"},
			ok: []int{2, 4}, errs: []wantRowErr{{3, "b", ErrInvalidUTF8}}, records: 3},
		{name: "nul byte", path: bad("nul.csv"), ok: []int{3},
			errs: []wantRowErr{{2, "b", ErrNUL}}, records: 2},
		{name: "text renamed xlsx", path: bad("not_a_spreadsheet.xlsx"), final: ErrNotSpreadsheet},
		{name: "old xls", path: bad("old.xls"), final: ErrLegacyXLS},
		{name: "missing file", path: bad("no_such_file.csv"), final: fs.ErrNotExist},
		{name: "empty header name", path: func(t *testing.T) string {
			return writeFile(t, "h.csv", []byte("a,,c\n1,2,3\n"))
		}, final: ErrEmptyHeader},
		{name: "2 MB cell", path: func(t *testing.T) string {
			return writeFile(t, "big.csv", []byte("a,b\n1,"+strings.Repeat("x", 2<<20)+"\n2,ok\n"))
		}, ok: []int{3}, errs: []wantRowErr{{2, "b", ErrCellTooLarge}}, records: 2},
		{name: "2 MB cell xlsx", path: func(t *testing.T) string {
			return minimalXLSX(t, `<row r="1">`+inline("A1", "a")+inline("B1", "b")+`</row>`+
				`<row r="2">`+inline("A2", "1")+inline("B2", strings.Repeat("x", 2<<20))+`</row>`+
				`<row r="3">`+inline("A3", "2")+inline("B3", "ok")+`</row>`)
		}, ok: []int{3}, errs: []wantRowErr{{2, "b", ErrCellTooLarge}}, records: 2},
		{name: "xlsx truncated sheet", path: func(t *testing.T) string {
			return minimalXLSX(t, `<row r="1">`+inline("A1", "a")+`</row><row r="2">`+inline("A2", "x")+`</row><row r="3"><c r="A3"><v>1`)
		}, ok: []int{2}, final: ErrMalformed, records: 1},
		{name: "xlsx rows out of order", path: func(t *testing.T) string {
			return minimalXLSX(t, `<row r="1">`+inline("A1", "a")+`</row><row r="3">`+inline("A3", "x")+`</row><row r="2">`+inline("A2", "y")+`</row>`)
		}, ok: []int{3}, final: ErrMalformed, records: 1},
		{name: "password-protected xlsx", path: func(t *testing.T) string {
			return excelizeFile(t, func(f *excelize.File) {
				f.SetSheetRow("Sheet1", "A1", &[]any{"a", "b"})
			}, excelize.Options{Password: "secret"})
		}, final: ErrEncrypted},
		{name: "wrong sheet name", path: func(t *testing.T) string {
			return excelizeFile(t, func(f *excelize.File) {
				f.SetSheetRow("Sheet1", "A1", &[]any{"a", "b"})
			}, excelize.Options{})
		}, opts: Options{Sheet: "Leads"}, final: ErrSheetNotFound},
		{name: "sheet index out of range", path: func(t *testing.T) string {
			return excelizeFile(t, func(f *excelize.File) {
				f.SetSheetRow("Sheet1", "A1", &[]any{"a", "b"})
			}, excelize.Options{})
		}, opts: Options{SheetIndex: 2}, final: ErrSheetNotFound},
		{name: "damaged zip", path: func(t *testing.T) string {
			return writeFile(t, "broken.xlsx", []byte("PK\x03\x04 this is not really a zip"))
		}, final: ErrNotSpreadsheet},
		{name: "xlsx duplicate headers", path: func(t *testing.T) string {
			return excelizeFile(t, func(f *excelize.File) {
				f.SetSheetRow("Sheet1", "A1", &[]any{"a", "a"})
			}, excelize.Options{})
		}, final: ErrDuplicateHeader},
		{name: "xlsx empty sheet", path: func(t *testing.T) string {
			return excelizeFile(t, func(f *excelize.File) {}, excelize.Options{})
		}, final: ErrEmptyFile},
		{name: "xlsx ragged", path: func(t *testing.T) string {
			return excelizeFile(t, func(f *excelize.File) {
				f.SetSheetRow("Sheet1", "A1", &[]any{"a", "b"})
				f.SetSheetRow("Sheet1", "A2", &[]any{"1"})
				f.SetSheetRow("Sheet1", "A3", &[]any{"1", "2", "3"})
			}, excelize.Options{})
		}, ok: []int{2}, errs: []wantRowErr{{3, "", ErrTooManyFields}}, records: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t)
			res := readAll(t, path, tt.opts)
			if tt.final == nil {
				if res.final != io.EOF {
					t.Fatalf("read %s: final error %v, want io.EOF", path, res.final)
				}
			} else {
				var fe *FileError
				if !errors.As(res.final, &fe) || !errors.Is(res.final, tt.final) {
					t.Fatalf("read %s: final error %v, want *FileError wrapping %v", path, res.final, tt.final)
				}
				if fe.Path != path || !strings.Contains(fe.Error(), path) {
					t.Errorf("FileError %q does not name %s", fe, path)
				}
			}
			if got := res.nums(); !reflect.DeepEqual(got, tt.ok) {
				t.Errorf("rows returned = %v, want %v", got, tt.ok)
			}
			if len(res.rowErrs) != len(tt.errs) {
				t.Fatalf("row errors = %v, want %d", res.rowErrs, len(tt.errs))
			}
			for i, w := range tt.errs {
				got := res.rowErrs[i]
				if got.Row != w.row || got.Column != w.col || !errors.Is(got, w.err) || got.Path != path {
					t.Errorf("row error %d = {Row %d Column %q %v}, want {Row %d Column %q %v}",
						i, got.Row, got.Column, got.Err, w.row, w.col, w.err)
				}
				if res.errRows[i].Num != w.row {
					t.Errorf("row returned with error %d has Num %d, want %d", i, res.errRows[i].Num, w.row)
				}
			}
			if n := len(res.rows) + len(res.rowErrs); n != tt.records {
				t.Errorf("rows %d + row errors %d = %d, want %d records", len(res.rows), len(res.rowErrs), n, tt.records)
			}
		})
	}
}
