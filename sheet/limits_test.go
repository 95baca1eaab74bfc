package sheet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/sheet/hostile"
)

// limitCase is a file read under small limits: what must come out of it.
type limitCase struct {
	name   string
	write  func(path string) error
	ext    string
	opts   Options
	ok     []int // rows read without error
	errs   []wantRowErr
	final  error  // nil: io.EOF
	phrase string // in the final error, or in the first row error
}

func runLimits(t *testing.T, tests []limitCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ext := tt.ext
			if ext == "" {
				ext = ".csv"
			}
			p := filepath.Join(t.TempDir(), "in"+ext)
			if err := tt.write(p); err != nil {
				t.Fatal(err)
			}
			res := readAll(t, p, tt.opts)
			msg := ""
			if tt.final == nil {
				if res.final != io.EOF {
					t.Fatalf("final error %v, want io.EOF", res.final)
				}
				if len(res.rowErrs) > 0 {
					msg = res.rowErrs[0].Error()
				}
			} else {
				var fe *FileError
				if !errors.As(res.final, &fe) || !errors.Is(res.final, tt.final) || fe.Path != p {
					t.Fatalf("final error %v, want a *FileError of %s wrapping %v", res.final, p, tt.final)
				}
				msg = fe.Error()
			}
			if !strings.Contains(msg, tt.phrase) {
				t.Errorf("message %q does not say %q", msg, tt.phrase)
			}
			if len(msg) > 600 {
				t.Errorf("message of %d bytes: %.200q", len(msg), msg)
			}
			if got := res.nums(); !reflect.DeepEqual(got, tt.ok) {
				t.Errorf("rows read = %s, want %s", short(got), short(tt.ok))
			}
			if len(res.rowErrs) != len(tt.errs) {
				t.Fatalf("row errors = %v, want %d", res.rowErrs, len(tt.errs))
			}
			for i, w := range tt.errs {
				got := res.rowErrs[i]
				if got.Row != w.row || got.Column != w.col || !errors.Is(got, w.err) {
					t.Errorf("row error %d = {Row %d Column %q %v}, want {Row %d Column %q %v}", i, got.Row, got.Column, got.Err, w.row, w.col, w.err)
				}
				for _, c := range res.errRows[i].Cells {
					if len(c.Text) > tt.opts.maxCell() {
						t.Errorf("row %d holds a cell of %d bytes, over the limit %d", got.Row, len(c.Text), tt.opts.maxCell())
					}
				}
			}
		})
	}
}

func csvText(parts ...func(io.Writer) error) func(string) error {
	return func(p string) error {
		return hostile.WriteFile(p, func(w io.Writer) error {
			for _, f := range parts {
				if err := f(w); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

func TestCSVLimits(t *testing.T) {
	small := Options{MaxCellBytes: 1 << 10, MaxRowBytes: 4 << 10}
	s := hostile.XML
	tests := []limitCase{
		{name: "cell over the limit", write: csvText(s("a,b\n"), hostile.Padded("1,", "x", 1<<20, "\n2,ok\n")),
			opts: small, ok: []int{3}, errs: []wantRowErr{{2, "b", ErrCellTooLarge}}, phrase: "1048576 bytes, limit 1024"},
		{name: "quoted cell of many lines", write: csvText(s("a,b\n"), hostile.Padded("1,\"", "x\n", 1<<16, "\"\n2,ok\n")),
			opts: small, ok: []int{3}, errs: []wantRowErr{{2, "b", ErrCellTooLarge}}, phrase: "65536 bytes"},
		{name: "row over the limit", write: csvText(s("a,b,c,d,e,f\n"), s(strings.Repeat(strings.Repeat("y", 1000)+",", 5)+"z\n3,3,3,3,3,3\n")),
			opts: small, ok: []int{3}, errs: []wantRowErr{{2, "", ErrRowTooLarge}}, phrase: "5001 bytes in its cells, limit 4096"},
		{name: "more fields than a sheet has columns", write: csvText(s("a\n"), hostile.Padded("", ",", MaxColumns+5, "\nok\n")),
			ok: []int{3}, errs: []wantRowErr{{2, "", ErrTooManyFields}}, phrase: "16390 fields, more than the 16384 columns"},
		{name: "short row names the missing columns", write: csvText(s("Title,Amount,Close,Labels\nA,1,2024-01-01,x\nB,2\n")),
			ok: []int{2}, errs: []wantRowErr{{3, "", ErrTooFewFields}}, phrase: `2 fields for 4 columns: "Close", "Labels" missing`},
		{name: "header cell over the limit", write: csvText(hostile.Padded("a,", "h", 1<<20, "\n1,2\n")),
			opts: small, final: ErrCellTooLarge, phrase: "header column 2 is 1048576 bytes, limit 1024"},
		{name: "header row past the end", write: csvText(s("a\n1\n\n2\n")), opts: Options{HeaderRow: 5},
			final: ErrNoHeader, phrase: "header row 5 is past the end of the file (it has 4 rows)"},
		{name: "nul bytes without a line ending", write: csvText(s("a,b\n1,2\n"), hostile.Padded("", "\x00", 3<<20, "")),
			opts: small, ok: []int{2}, final: ErrTooLarge, phrase: "the row starting on line 3 runs past"},
		{name: "quote never closed over more than a row", write: csvText(s("a,b\n1,\"open\n"), hostile.Padded("", "x,y\n", 4*4000, "")),
			opts: small, ok: seq(3, 4002), errs: []wantRowErr{{2, "b", ErrBadQuotes}}, phrase: "quote opened on line 2 is never closed"},
	}
	saved := skipLimit
	skipLimit = 1 << 20
	t.Cleanup(func() { skipLimit = saved })
	runLimits(t, tests)
}

// short shows a list of row numbers in a failure message.
func short(n []int) string {
	if len(n) <= 10 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d rows %v … %v", len(n), n[:3], n[len(n)-3:])
}

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func xlsx(parts ...hostile.Part) func(string) error {
	return func(p string) error { return hostile.WriteXLSX(p, parts...) }
}

func sheetOf(rows ...func(io.Writer) error) hostile.Part {
	return hostile.Part{Name: "xl/worksheets/sheet1.xml", Fill: hostile.Sheet(rows...)}
}

func TestXLSXLimits(t *testing.T) {
	small := Options{MaxCellBytes: 1 << 10, MaxRowBytes: 4 << 10}
	s := hostile.XML
	header := s(hostile.Row(1, "a", "b"))
	tests := []limitCase{
		{name: "white space bomb between rows", write: xlsx(sheetOf(header, hostile.Padded("", " ", 8<<20, ""), s(hostile.Row(2, "1", "2")))),
			opts: small, ok: []int{2}},
		{name: "cell over the limit", write: xlsx(sheetOf(header,
			hostile.Padded(`<row r="2"><c r="A2" t="inlineStr"><is><t>1</t></is></c><c r="B2" t="inlineStr"><is><t>`, "x", 64<<10, `</t></is></c></row>`),
			s(hostile.Row(3, "2", "ok")))),
			opts: small, ok: []int{3}, errs: []wantRowErr{{2, "b", ErrCellTooLarge}}, phrase: "more than 1024 bytes"},
		{name: "rich text runs over the limit", write: xlsx(sheetOf(header,
			s(`<row r="2"><c r="A2" t="inlineStr"><is>`+strings.Repeat("<r><t>"+strings.Repeat("x", 100)+"</t></r>", 20)+`</is></c></row>`))),
			opts: small, errs: []wantRowErr{{2, "a", ErrCellTooLarge}}},
		{name: "entities within the limit", write: xlsx(sheetOf(header, s(hostile.Row(2, strings.Repeat("&amp;", 1<<10), "x")))),
			opts: small, ok: []int{2}},
		{name: "markup bomb", write: xlsx(sheetOf(header, hostile.Padded(`<row r="2" x="`, "y", 2<<20, `"></row>`))),
			final: ErrTooLarge, phrase: "xml markup is longer than 1048576 bytes"},
		{name: "comment bomb", write: xlsx(sheetOf(header, hostile.Padded(`<!--`, "a>", 1<<20, `-->`))),
			final: ErrTooLarge, phrase: "xml markup"},
		{name: "shared strings over the limit", write: xlsx(
			hostile.Part{Name: "xl/sharedStrings.xml", Fill: hostile.Padded("<sst>", "<si><t>twenty bytes of text</t></si>", 100*35, "</sst>")},
			sheetOf(header)),
			opts: Options{MaxSharedStringsBytes: 1000}, final: ErrTooLarge, phrase: "shared strings table holds more than 1000 bytes"},
		{name: "shared string over the cell limit", write: xlsx(
			hostile.Part{Name: "xl/sharedStrings.xml", Fill: hostile.Padded("<sst><si><t>", "z", 10<<10, "</t></si></sst>")},
			sheetOf(header, s(`<row r="2"><c r="A2" t="s"><v>0</v></c></row>`), s(hostile.Row(3, "ok")))),
			opts: small, ok: []int{3}, errs: []wantRowErr{{2, "a", ErrCellTooLarge}}},
		{name: "workbook over the limit", write: xlsx(sheetOf(header, hostile.Padded("", " ", 2<<20, ""))),
			opts: Options{MaxWorkbookBytes: 1 << 20}, final: ErrTooLarge, phrase: "limit 1048576"},
		{name: "part inflating beyond what the directory says", write: xlsx(hostile.Part{Name: "xl/worksheets/sheet1.xml",
			Fill: hostile.Sheet(header, hostile.Padded("", " ", 1<<20, ""), s(hostile.Row(2, "1"))), Declared: 1000}),
			final: ErrMalformed},
		{name: "cell beyond the last column", write: xlsx(sheetOf(header, s(`<row r="2"><c r="XFE2"><v>1</v></c></row>`), s(hostile.Row(3, "ok")))),
			ok: []int{3}, errs: []wantRowErr{{2, "", ErrTooManyFields}}, phrase: "beyond column XFD"},
		{name: "row over the limit", write: xlsx(sheetOf(header, s(hostile.Row(2, strings.Repeat("x", 1000), strings.Repeat("x", 1000), strings.Repeat("x", 1000), strings.Repeat("x", 1000), strings.Repeat("x", 1000))))),
			opts: small, errs: []wantRowErr{{2, "", ErrRowTooLarge}}},
		{name: "header row past the end", write: xlsx(sheetOf(header, s(hostile.Row(2, "1")), s(hostile.Row(3, "2")))),
			opts: Options{HeaderRow: 10}, final: ErrNoHeader, phrase: "header row 10 is past the end of the file (it has 3 rows)"},
	}
	for i := range tests {
		tests[i].ext = ".xlsx"
	}
	runLimits(t, tests)
}

func TestXLSXZipDirectory(t *testing.T) {
	p := filepath.Join(t.TempDir(), "many.xlsx")
	must(t, hostile.WriteXLSX(p, sheetOf(hostile.XML(hostile.Row(1, "a")))))
	data, err := os.ReadFile(p)
	must(t, err)
	i := strings.LastIndex(string(data), "PK\x05\x06")
	data[i+8], data[i+9], data[i+10], data[i+11] = 0x20, 0x4E, 0x20, 0x4E // 20000 entries
	must(t, os.WriteFile(p, data, 0o600))
	_, err = Open(p, Options{})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "20000 entries") {
		t.Errorf("Open(a directory of 20000 entries) = %v, want ErrTooLarge", err)
	}
}

// TestXLSXSerials checks Excel's date rules in cells formatted as dates: serial 0 is no
// date (a time of day alone in a time format), 60 is the phantom 1900-02-29, 61 is
// 1900-03-01, and in the 1904 system serial 0 is 1904-01-01.
func TestXLSXSerials(t *testing.T) {
	cell := func(ref, style, v string) string {
		return fmt.Sprintf(`<c r="%s" s="%s"><v>%s</v></c>`, ref, style, v)
	}
	rows := func(cells ...string) string {
		var b strings.Builder
		b.WriteString(hostile.Row(1, "d"))
		for i, c := range cells {
			fmt.Fprintf(&b, `<row r="%d">%s</row>`, i+2, c)
		}
		return b.String()
	}
	p := filepath.Join(t.TempDir(), "serials.xlsx")
	must(t, hostile.WriteXLSX(p, sheetOf(hostile.XML(rows(
		cell("A2", "1", "0"), cell("A3", "1", "60"), cell("A4", "1", "61"), cell("A5", "1", "59"),
		cell("A6", "3", "0.5"), cell("A7", "2", "60.25"), cell("A8", "1", "-1"), cell("A9", "1", "2958466"))))))
	res := readAll(t, p, Options{})
	wantOK := []Cell{
		{Text: "1900-03-01", Kind: KindDate, Time: day(1900, 3, 1, 0, 0)},
		{Text: "1900-02-28", Kind: KindDate, Time: day(1900, 2, 28, 0, 0)},
		{Text: "12:00:00", Kind: KindDateTime, Time: day(1899, 12, 31, 12, 0)},
	}
	if got := res.nums(); !reflect.DeepEqual(got, []int{4, 5, 6}) {
		t.Fatalf("rows read = %v (errors %v), want [4 5 6]", got, res.rowErrs)
	}
	for i, w := range wantOK {
		if got := res.rows[i].Cells[0]; !reflect.DeepEqual(got, w) {
			t.Errorf("row %d = %+v, want %+v", res.rows[i].Num, got, w)
		}
	}
	for i, w := range []int{2, 3, 7, 8, 9} {
		if re := res.rowErrs[i]; re.Row != w || re.Column != "d" || !errors.Is(re, ErrBadDate) {
			t.Errorf("row error %d = %v, want ErrBadDate on row %d column d", i, re, w)
		}
	}

	p1904 := filepath.Join(t.TempDir(), "1904.xlsx")
	must(t, hostile.WriteXLSX(p1904,
		hostile.Part{Name: "xl/workbook.xml", Fill: hostile.XML(`<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr date1904="1"/><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`)},
		sheetOf(hostile.XML(rows(cell("A2", "1", "0"), cell("A3", "1", "60"), cell("A4", "1", "43830"))))))
	res = readAll(t, p1904, Options{})
	var got []string
	for _, r := range res.rows {
		got = append(got, r.Cells[0].Text)
	}
	if want := []string{"1904-01-01", "1904-03-01", "2024-01-01"}; !reflect.DeepEqual(got, want) || len(res.rowErrs) > 0 {
		t.Errorf("1904 dates = %q (errors %v), want %q", got, res.rowErrs, want)
	}
}
