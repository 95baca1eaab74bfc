package sheet

import (
	"archive/zip"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// excelizeFile builds a workbook with fill and saves it into a temp dir.
func excelizeFile(t testing.TB, fill func(f *excelize.File), o excelize.Options) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	fill(f)
	p := filepath.Join(t.TempDir(), "book.xlsx")
	if err := f.SaveAs(p, o); err != nil {
		t.Fatalf("save test workbook: %v", err)
	}
	return p
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func day(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func TestXLSXTypedCells(t *testing.T) {
	path := excelizeFile(t, func(f *excelize.File) {
		dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
		must(t, err)
		dtCode := `yyyy-mm-dd hh:mm;@`
		dtStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dtCode})
		must(t, err)
		dmyCode := `dd/mm/yyyy`
		dmyStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dmyCode})
		must(t, err)
		moneyCode := `#,##0.00 "EUR"`
		moneyStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &moneyCode})
		must(t, err)
		sw, err := f.NewStreamWriter("Sheet1")
		must(t, err)
		must(t, sw.SetRow("A1", []any{"Date", "When", "Amount", "Zip", "Sum", "Active", "Concat", "Close", "Money", "Neg"}))
		must(t, sw.SetRow("A2", []any{
			excelize.Cell{StyleID: dateStyle, Value: 45292},
			excelize.Cell{StyleID: dtStyle, Value: 45292.5},
			1234567890123.45,
			"00123",
			excelize.Cell{Formula: "1+2", Value: 3},
			true,
			excelize.Cell{Formula: `"a"&"b"`, Value: "ab"},
			excelize.Cell{StyleID: dmyStyle, Value: 45657},
			excelize.Cell{StyleID: moneyStyle, Value: 1234.5},
			-7.25,
		}))
		must(t, sw.Flush())
	}, excelize.Options{})

	res := readAll(t, path, Options{})
	if res.final != io.EOF || len(res.rowErrs) > 0 || len(res.rows) != 1 {
		t.Fatalf("read: final %v, row errors %v, rows %d", res.final, res.rowErrs, len(res.rows))
	}
	want := []Cell{
		{Text: "2024-01-01", Kind: KindDate, Time: day(2024, 1, 1, 0, 0)},
		{Text: "2024-01-01 12:00:00", Kind: KindDateTime, Time: day(2024, 1, 1, 12, 0)},
		{Text: "1234567890123.45", Kind: KindNumber, Number: 1234567890123.45},
		{Text: "00123", Kind: KindString},
		{Text: "3", Kind: KindNumber, Number: 3},
		{Text: "TRUE", Kind: KindBool, Number: 1},
		{Text: "ab", Kind: KindString},
		{Text: "2024-12-31", Kind: KindDate, Time: day(2024, 12, 31, 0, 0)},
		{Text: "1234.5", Kind: KindNumber, Number: 1234.5},
		{Text: "-7.25", Kind: KindNumber, Number: -7.25},
	}
	got := res.rows[0].Cells
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("cell %s (%s) = %+v, want %+v", colName(i), res.header[i], got[i], want[i])
		}
	}
	if res.rows[0].Num != 2 {
		t.Errorf("Num = %d, want 2", res.rows[0].Num)
	}
}

func TestXLSXRowNumbersAndSheets(t *testing.T) {
	path := excelizeFile(t, func(f *excelize.File) {
		_, err := f.NewSheet("Leads")
		must(t, err)
		must(t, f.SetCellStr("Sheet1", "A1", "ignored"))
		must(t, f.SetCellStr("Leads", "A1", "Leads export"))
		must(t, f.SetSheetRow("Leads", "A3", &[]any{" Title ", "Value"}))
		must(t, f.SetSheetRow("Leads", "A4", &[]any{"first", 1}))
		must(t, f.SetSheetRow("Leads", "A7", &[]any{"second", 2}))
		// A row holding only an empty string is blank.
		must(t, f.SetSheetRow("Leads", "A8", &[]any{""}))
		must(t, f.SetSheetRow("Leads", "B9", &[]any{3}))
	}, excelize.Options{})
	for _, o := range []Options{{Sheet: "Leads", HeaderRow: 3}, {Sheet: "leads", HeaderRow: 3}, {SheetIndex: 2, HeaderRow: 3}} {
		t.Run(o.Sheet+"#"+string(rune('0'+o.SheetIndex)), func(t *testing.T) {
			res := readAll(t, path, o)
			if res.final != io.EOF || len(res.rowErrs) > 0 {
				t.Fatalf("read: final %v, row errors %v", res.final, res.rowErrs)
			}
			if !reflect.DeepEqual(res.header, []string{"Title", "Value"}) {
				t.Errorf("Header() = %q, want [Title Value]", res.header)
			}
			if got := res.nums(); !reflect.DeepEqual(got, []int{4, 7, 9}) {
				t.Errorf("row numbers = %v, want [4 7 9]", got)
			}
			if got := texts(res.rows); !reflect.DeepEqual(got, [][]string{{"first", "1"}, {"second", "2"}, {"", "3"}}) {
				t.Errorf("rows = %q", got)
			}
			n, err := CountRows(path, o)
			if err != nil || n < 3 {
				t.Errorf("CountRows = %d, %v, want at least 3", n, err)
			}
		})
	}
	_, err := Open(path, Options{Sheet: "Deals"})
	var fe *FileError
	if !errors.As(err, &fe) || !errors.Is(err, ErrSheetNotFound) || fe.Sheet != "Deals" {
		t.Fatalf("Open(sheet Deals) = %v, want FileError ErrSheetNotFound", err)
	}
	if !strings.Contains(err.Error(), `"Sheet1", "Leads"`) {
		t.Errorf("error %q does not list the sheets", err)
	}
}

// TestXLSXHandWritten reads a package written without excelize: inline and
// ISO-date cells, error cells, rich and phonetic text, cells and rows with no
// reference, a 1904 date system and a namespace prefix.
func TestXLSXHandWritten(t *testing.T) {
	parts := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"></Types>`,
		"_rels/.rels": `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml": `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<workbookPr date1904="1"/><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="/xl/sharedStrings.xml"/>` +
			`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`,
		"xl/sharedStrings.xml": `<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">` +
			`<si><t>Name</t></si><si><r><t>Ri</t></r><r><t xml:space="preserve">ch &amp; co</t></r><rPh><t>ignored</t></rPh></si><si><t>When</t></si></sst>`,
		"xl/styles.xml": `<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
			`<numFmts count="1"><numFmt numFmtId="164" formatCode="[$-409]d\-mmm\-yy;@"/></numFmts>` +
			`<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="22"/></cellXfs></styleSheet>`,
		"xl/worksheets/sheet1.xml": `<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>` +
			`<x:row><x:c t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>2</x:v></x:c><x:c t="inlineStr"><x:is><x:t>Err</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t>Amount</x:t></x:is></x:c></x:row>` +
			`<x:row r="2"><x:c r="A2" t="s"><x:v>1</x:v></x:c><x:c r="B2" s="1"><x:v>0</x:v></x:c><x:c r="C2" t="e"><x:v>#N/A</x:v></x:c><x:c r="D2"><x:v>12345678901234.56</x:v></x:c></x:row>` +
			`<x:row r="4"><x:c r="B4" t="d" s="2"><x:v>2024-03-05T10:30:00</x:v></x:c><x:c r="C4" t="b"><x:v>0</x:v></x:c></x:row>` +
			`<x:row r="5"><x:c r="A5" t="s"><x:v>99</x:v></x:c></x:row>` +
			`</x:sheetData></x:worksheet>`,
	}
	p := filepath.Join(t.TempDir(), "hand.xlsx")
	writeZip(t, p, parts)
	res := readAll(t, p, Options{})
	if res.final != io.EOF {
		t.Fatalf("read: final %v", res.final)
	}
	if !reflect.DeepEqual(res.header, []string{"Name", "When", "Err", "Amount"}) {
		t.Errorf("Header() = %q", res.header)
	}
	wantRows := [][]Cell{
		{{Text: "Rich & co", Kind: KindString}, {Text: "1904-01-01", Kind: KindDate, Time: day(1904, 1, 1, 0, 0)}, {Text: "#N/A", Kind: KindError}, {Text: "12345678901234.56", Kind: KindNumber, Number: 12345678901234.56}},
		{{}, {Text: "2024-03-05 10:30:00", Kind: KindDateTime, Time: day(2024, 3, 5, 10, 30)}, {Text: "FALSE", Kind: KindBool}, {}},
	}
	if len(res.rows) != len(wantRows) {
		t.Fatalf("rows = %d, want %d", len(res.rows), len(wantRows))
	}
	for i, w := range wantRows {
		if !reflect.DeepEqual(res.rows[i].Cells, w) {
			t.Errorf("row %d cells = %+v, want %+v", res.rows[i].Num, res.rows[i].Cells, w)
		}
	}
	if got := res.nums(); !reflect.DeepEqual(got, []int{2, 4}) {
		t.Errorf("row numbers = %v, want [2 4]", got)
	}
	if len(res.rowErrs) != 1 || res.rowErrs[0].Row != 5 || res.rowErrs[0].Column != "Name" || !errors.Is(res.rowErrs[0], ErrMalformed) {
		t.Errorf("row errors = %v, want one ErrMalformed on row 5 column Name", res.rowErrs)
	}
}

// minimalXLSX writes a one-sheet package (no shared strings, no styles)
// around sheetData rows.
func minimalXLSX(t testing.TB, rows string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "min.xlsx")
	writeZip(t, p, map[string]string{
		"xl/workbook.xml":            `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml":   `<worksheet><sheetData>` + rows + `</sheetData></worksheet>`,
	})
	return p
}

func inline(ref, s string) string {
	return `<c r="` + ref + `" t="inlineStr"><is><t>` + s + `</t></is></c>`
}

func writeZip(t testing.TB, path string, parts map[string]string) {
	t.Helper()
	var files []string
	for name := range parts {
		files = append(files, name)
	}
	f, err := createFile(path)
	must(t, err)
	zw := zip.NewWriter(f)
	for _, name := range files {
		w, err := zw.Create(name)
		must(t, err)
		_, err = io.WriteString(w, parts[name])
		must(t, err)
	}
	must(t, zw.Close())
	must(t, f.Close())
}

func TestFormatKind(t *testing.T) {
	tests := []struct {
		code string
		want Kind
	}{
		{"General", KindEmpty},
		{"0.00E+00", KindEmpty},
		{`#,##0.00 "days"`, KindEmpty},
		{"[Red]0.00;[Blue]-0.00", KindEmpty},
		{"[h]:mm:ss", KindEmpty},
		{"@", KindEmpty},
		{"dd/mm/yyyy", KindDate},
		{`[$-409]mmmm\ d\,\ yyyy;@`, KindDate},
		{"yyyy-mm-dd hh:mm", KindDateTime},
		{"h:mm AM/PM", KindDateTime},
		{"mm:ss.0", KindDateTime},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := formatKind(tt.code); got != tt.want {
				t.Errorf("formatKind(%q) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

func TestSerialTime(t *testing.T) {
	tests := []struct {
		serial float64
		d1904  bool
		want   time.Time
	}{
		{1, false, day(1900, 1, 1, 0, 0)},
		{59, false, day(1900, 2, 28, 0, 0)},
		{61, false, day(1900, 3, 1, 0, 0)},
		{45292, false, day(2024, 1, 1, 0, 0)},
		{45292.75, false, day(2024, 1, 1, 18, 0)},
		{0, true, day(1904, 1, 1, 0, 0)},
		{45292.000011574, false, time.Date(2024, 1, 1, 0, 0, 1, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, ok := serialTime(tt.serial, tt.d1904)
		if !ok || !got.Equal(tt.want) {
			t.Errorf("serialTime(%v, %v) = %v, %v, want %v", tt.serial, tt.d1904, got, ok, tt.want)
		}
	}
}
