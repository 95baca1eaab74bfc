package sheet

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/sheet/hostile"
)

// FuzzXLSX reads arbitrary worksheet and shared strings XML under small limits: the reader
// must neither panic nor hold a cell over the limit, it must end with io.EOF or a
// *FileError, and every row error must name the file, the sheet and a row.
func FuzzXLSX(f *testing.F) {
	row := hostile.Row
	for _, s := range []string{
		row(1, "a", "b") + row(2, "1", "2"),
		row(1, "a") + `<row r="2"><c r="A2" t="s"><v>0</v></c></row>`,
		row(1, "a") + `<row r="2"><c r="A2" s="1"><v>60</v></c><c r="B2" s="3"><v>0.5</v></c></row>`,
		row(1, "a") + `<row r="2"><c r="A2" t="inlineStr"><is><r><t>x&amp;y</t></r><r><t>` + strings.Repeat("z", 300) + `</t></r></is></c></row>`,
		row(1, "a") + `<row r="3"/><row r="2"/>`,
		row(1, "a") + `<!-- > -- --><?pi x?><![CDATA[<row>]]><row r="2"><c r="XFD2"><v>1</v></c><c><v>2</v></c></row>`,
		row(1, "a") + `<row r="2"><c r="A2" t="d"><v>2024-02-30</v></c><c r="B2" t="b"><v>2</v></c><c r="C2" t="e"><v>#N/A</v></c></row>`,
		row(1, "a") + `<row r="2"><c r="A2"><v>&#x10FFFF;&#0;</v></c></row>`,
		`<row r="1" spans="1:1"><c r="A1" t="inlineStr"><is><t>` + cutEntity + `</t></is></c></row>`,
	} {
		f.Add([]byte(s), []byte(`<sst><si><t>shared</t></si><si><r><t>a</t></r><rPh><t>b</t></rPh></si></sst>`))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, rows, sst []byte) {
		p := filepath.Join(dir, "fuzz.xlsx")
		err := hostile.WriteStoredXLSX(p,
			hostile.Part{Name: "xl/worksheets/sheet1.xml", Fill: hostile.Sheet(hostile.XML(string(rows)))},
			hostile.Part{Name: "xl/sharedStrings.xml", Fill: hostile.XML(string(sst))})
		if err != nil {
			t.Fatal(err)
		}
		o := Options{MaxCellBytes: 64, MaxRowBytes: 256, MaxSharedStringsBytes: 1 << 10}
		res := readAll(t, p, o)
		var fe *FileError
		if res.final != io.EOF && (!errors.As(res.final, &fe) || fe.Path != p) {
			t.Fatalf("final error %v is neither io.EOF nor a *FileError of the file", res.final)
		}
		last := 0
		for i, re := range res.rowErrs {
			if re.Row < 1 || re.Path != p || re.Sheet != "S" {
				t.Errorf("row error without location: %+v", re)
			}
			if n := res.errRows[i].Num; n != re.Row {
				t.Errorf("row error on row %d returned row %d", re.Row, n)
			}
		}
		for _, rows := range [][]Row{res.rows, res.errRows} {
			for _, r := range rows {
				for _, c := range r.Cells {
					if len(c.Text) > o.MaxCellBytes || strings.Contains(c.Text, cutMark) {
						t.Errorf("row %d holds a cell of %d bytes (limit %d): %.80q", r.Num, len(c.Text), o.MaxCellBytes, c.Text)
					}
				}
			}
		}
		for _, r := range res.rows {
			if r.Num <= last || len(r.Cells) != len(res.header) {
				t.Errorf("row %d after row %d with %d cells for %d columns", r.Num, last, len(r.Cells), len(res.header))
			}
			last = r.Num
		}
	})
}
