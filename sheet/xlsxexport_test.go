package sheet

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// exportHeader and exportRow are a lead as an export mapper would type it.
var (
	exportHeader = []string{"ID", "Title", "Amount", "Discount", "Won", "Close", "Updated", "Phone", "Zip", "Note", "Person ID", "Empty"}
	exportRow    = []Cell{
		{Text: "00123", Kind: KindString},
		{Text: "ACME – 年度契約", Kind: KindString},
		{Text: "1234.5", Kind: KindNumber, Number: 1234.5},
		{Text: "-7.25", Kind: KindNumber, Number: -7.25},
		{Text: "TRUE", Kind: KindBool, Number: 1},
		{Kind: KindDate, Time: day(2024, 1, 31, 0, 0)},
		{Kind: KindDateTime, Time: time.Date(2024, 1, 31, 13, 45, 30, 0, time.UTC)},
		{Text: "+49 30 1234567", Kind: KindString},
		{Text: "01067", Kind: KindString},
		{Text: "=HYPERLINK(\"http://evil\")", Kind: KindString},
		{Text: "12345678901234567890", Kind: KindString},
		{},
	}
)

// excelizeOpen opens a written workbook with excelize, closed with the test.
func excelizeOpen(t *testing.T, path string) *excelize.File {
	t.Helper()
	f, err := excelize.OpenFile(path)
	must(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// zipPart returns the text of one part of an XLSX package.
func zipPart(t *testing.T, path, part string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	must(t, err)
	defer zr.Close()
	for _, zf := range zr.File {
		if zf.Name == part {
			rc, err := zf.Open()
			must(t, err)
			defer rc.Close()
			b, err := io.ReadAll(rc)
			must(t, err)
			return string(b)
		}
	}
	t.Fatalf("%s has no part %s", path, part)
	return ""
}

func TestWorkbookTypedCells(t *testing.T) {
	p := filepath.Join(t.TempDir(), "leads.xlsx")
	wb, err := NewWorkbook(context.Background(), p, ExportOptions{})
	must(t, err)
	leads, err := wb.AddSheet("Leads", exportHeader)
	must(t, err)
	labels, err := wb.AddSheet("Labels", []string{"Name", "Color"})
	must(t, err)
	// Sheets are written interleaved, as a workbook job may do.
	must(t, leads.WriteCells(exportRow))
	must(t, labels.Write([]string{"Hot", "red"}))
	must(t, leads.WriteCells([]Cell{{Text: "7", Kind: KindString}}))
	must(t, wb.Close())
	if leads.Rows() != 2 || labels.Rows() != 1 {
		t.Errorf("Rows() = %d, %d, want 2, 1", leads.Rows(), labels.Rows())
	}

	f := excelizeOpen(t, p)
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"Leads", "Labels"}) {
		t.Errorf("GetSheetList() = %q", got)
	}
	// A cell without a t attribute is a number in OOXML; excelize reports it
	// as CellTypeUnset.
	cells := []struct {
		ref    string
		typ    excelize.CellType
		value  string // raw value
		numFmt int
		custom string
	}{
		{"A1", excelize.CellTypeInlineString, "ID", 49, ""},
		{"A2", excelize.CellTypeInlineString, "00123", 49, ""},
		{"B2", excelize.CellTypeInlineString, "ACME – 年度契約", 49, ""},
		{"C2", excelize.CellTypeUnset, "1234.5", 0, ""},
		{"D2", excelize.CellTypeUnset, "-7.25", 0, ""},
		{"E2", excelize.CellTypeBool, "1", 0, ""},
		{"F2", excelize.CellTypeUnset, "45322", 0, "yyyy-mm-dd"},
		{"G2", excelize.CellTypeUnset, "45322.57326388889", 0, "yyyy-mm-dd hh:mm:ss"},
		{"H2", excelize.CellTypeInlineString, "'+49 30 1234567", 49, ""},
		{"I2", excelize.CellTypeInlineString, "01067", 49, ""},
		{"J2", excelize.CellTypeInlineString, "'=HYPERLINK(\"http://evil\")", 49, ""},
		{"K2", excelize.CellTypeInlineString, "12345678901234567890", 49, ""},
		{"L2", excelize.CellTypeUnset, "", 0, ""},
		{"A3", excelize.CellTypeInlineString, "7", 49, ""},
	}
	for _, c := range cells {
		typ, err := f.GetCellType("Leads", c.ref)
		must(t, err)
		if typ != c.typ {
			t.Errorf("GetCellType(%s) = %v, want %v", c.ref, typ, c.typ)
		}
		v, err := f.GetCellValue("Leads", c.ref, excelize.Options{RawCellValue: true})
		must(t, err)
		if v != c.value {
			t.Errorf("GetCellValue(%s) = %q, want %q", c.ref, v, c.value)
		}
		if fm, err := f.GetCellFormula("Leads", c.ref); err != nil || fm != "" {
			t.Errorf("GetCellFormula(%s) = %q, %v, want no formula", c.ref, fm, err)
		}
		id, err := f.GetCellStyle("Leads", c.ref)
		must(t, err)
		st, err := f.GetStyle(id)
		must(t, err)
		custom := ""
		if st.CustomNumFmt != nil {
			custom = *st.CustomNumFmt
		}
		if st.NumFmt != c.numFmt || custom != c.custom {
			t.Errorf("style of %s: NumFmt %d, custom %q, want %d, %q", c.ref, st.NumFmt, custom, c.numFmt, c.custom)
		}
		bold := st.Font != nil && st.Font.Bold
		if header := c.ref[1] == '1'; bold != header {
			t.Errorf("style of %s: bold %v, want %v", c.ref, bold, header)
		}
	}
	if v, err := f.GetCellValue("Leads", "F2"); err != nil || v != "2024-01-31" {
		t.Errorf("formatted F2 = %q, %v, want 2024-01-31", v, err)
	}

	for _, name := range []string{"Leads", "Labels"} {
		panes, err := f.GetPanes(name)
		must(t, err)
		if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
			t.Errorf("GetPanes(%s) = %+v, want the header row frozen", name, panes)
		}
	}
	// excelize writes the filter range with absolute references.
	for part, ref := range map[string]string{"xl/worksheets/sheet1.xml": "$A$1:$L$3", "xl/worksheets/sheet2.xml": "$A$1:$B$2"} {
		if got := regexp.MustCompile(`<autoFilter ref="([^"]+)"`).FindStringSubmatch(zipPart(t, p, part)); got == nil || got[1] != ref {
			t.Errorf("%s autoFilter = %q, want %s", part, got, ref)
		}
	}
	filters := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" {
			filters[dn.Scope] = dn.RefersTo
		}
	}
	if want := map[string]string{"Leads": "'Leads'!$A$1:$L$3", "Labels": "'Labels'!$A$1:$B$2"}; !reflect.DeepEqual(filters, want) {
		t.Errorf("filter names = %q, want %q", filters, want)
	}

	widths := map[string]float64{}
	for _, col := range []string{"A", "B", "C", "F", "G", "J", "L"} {
		w, err := f.GetColWidth("Leads", col)
		must(t, err)
		widths[col] = w
	}
	// A: the minimum of 8; B: 11 characters, 4 of them wide, and a margin
	// of 2; C: the header and 3 for the filter's drop-down button; G: the
	// date-time format; L: the header alone.
	want := map[string]float64{"A": 8, "B": 17, "C": 9, "F": 12, "G": 21, "J": 28, "L": 8}
	if !reflect.DeepEqual(widths, want) {
		t.Errorf("column widths = %v, want %v", widths, want)
	}

	// The package's own reader sees the same types.
	res := readAll(t, p, Options{Sheet: "Leads"})
	if res.final != io.EOF || len(res.rows) != 2 {
		t.Fatalf("read back: %d rows, final %v", len(res.rows), res.final)
	}
	kinds := []Kind{KindString, KindString, KindNumber, KindNumber, KindBool, KindDate, KindDateTime, KindString, KindString, KindString, KindString, KindEmpty}
	for i, c := range res.rows[0].Cells {
		if c.Kind != kinds[i] {
			t.Errorf("read back %s: kind %v, want %v", exportHeader[i], c.Kind, kinds[i])
		}
	}
	if got := res.rows[0].Cells[6].Time; !got.Equal(time.Date(2024, 1, 31, 13, 45, 30, 0, time.UTC)) {
		t.Errorf("date-time read back = %v", got)
	}
	if got := res.rows[0].Cells[3].Number; got != -7.25 {
		t.Errorf("negative number read back = %v", got)
	}
}

func TestWorkbookAllowFormulas(t *testing.T) {
	p := filepath.Join(t.TempDir(), "raw.xlsx")
	w, err := CreateExport(context.Background(), p, []string{"-A"}, ExportOptions{AllowFormulas: true, Sheet: "Raw"})
	must(t, err)
	must(t, w.Write([]string{"=1+2", "+49 30 1234567"}))
	must(t, w.Close())
	f := excelizeOpen(t, p)
	for ref, want := range map[string]string{"A1": "-A", "A2": "=1+2", "B2": "+49 30 1234567"} {
		v, err := f.GetCellValue("Raw", ref)
		must(t, err)
		typ, err := f.GetCellType("Raw", ref)
		must(t, err)
		fm, err := f.GetCellFormula("Raw", ref)
		must(t, err)
		if v != want || typ != excelize.CellTypeInlineString || fm != "" {
			t.Errorf("%s = %q (type %v, formula %q), want text %q", ref, v, typ, fm, want)
		}
	}
}

func TestWorkbookWidthSample(t *testing.T) {
	long := strings.Repeat("x", 40)
	tests := []struct {
		name      string
		o         ExportOptions
		wantWidth float64
	}{
		{"first 100 rows sized", ExportOptions{}, 22},
		{"long row within the sample", ExportOptions{WidthRows: 150}, 42},
		{"capped", ExportOptions{WidthRows: 150, MaxWidth: 30}, 30},
		{"header only", ExportOptions{WidthRows: -1}, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "w.xlsx")
			w, err := CreateExport(context.Background(), p, []string{"Name"}, tt.o)
			must(t, err)
			for i := range 200 {
				s := strings.Repeat("y", 20)
				if i == 120 {
					s = long
				}
				must(t, w.Write([]string{s}))
			}
			must(t, w.Close())
			f := excelizeOpen(t, p)
			got, err := f.GetColWidth("Sheet1", "A")
			must(t, err)
			if got != tt.wantWidth {
				t.Errorf("GetColWidth(A) = %v, want %v", got, tt.wantWidth)
			}
			res := readAll(t, p, Options{})
			if len(res.rows) != 200 || res.rows[120].Cells[0].Text != long {
				t.Errorf("read back %d rows, row 121 %q", len(res.rows), res.rows[120].Cells[0].Text)
			}
		})
	}
}

func TestWorkbookTruncatesLongText(t *testing.T) {
	tests := []struct {
		name, text string
		cut        bool
	}{
		{"at the limit", strings.Repeat("a", maxCellChars), false},
		{"one over", strings.Repeat("a", maxCellChars+1), true},
		{"astral runes count twice", strings.Repeat("😀", maxCellChars/2+1), true},
		{"bytes over, characters under", strings.Repeat("é", maxCellChars), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "long.xlsx")
			wb, err := NewWorkbook(context.Background(), p, ExportOptions{})
			must(t, err)
			ws, err := wb.AddSheet("Notes", []string{"Note"})
			must(t, err)
			must(t, ws.WriteCells([]Cell{{Text: tt.text, Kind: KindString}}))
			must(t, wb.Close())
			if got, want := wb.Truncated(), map[bool]int{false: 0, true: 1}[tt.cut]; got != want {
				t.Errorf("Truncated() = %d, want %d", got, want)
			}
			res := readAll(t, p, Options{})
			if len(res.rows) != 1 {
				t.Fatalf("read back %d rows", len(res.rows))
			}
			got := res.rows[0].Cells[0].Text
			if n := utf16Len(got); n > maxCellChars {
				t.Errorf("cell holds %d UTF-16 units, more than %d", n, maxCellChars)
			}
			if !tt.cut && got != tt.text {
				t.Errorf("text of %d bytes changed to %d bytes", len(tt.text), len(got))
			}
			if tt.cut {
				marker := fmt.Sprintf(" …[truncated from %d characters]", utf8.RuneCountInString(tt.text))
				kept, ok := strings.CutSuffix(got, marker)
				if !ok || !strings.HasPrefix(tt.text, kept) || utf16Len(got) < maxCellChars-1 {
					t.Errorf("cut text ends %q, want as much of the text as fits and %q", got[max(0, len(got)-60):], marker)
				}
			}
		})
	}
}

func TestSheetNames(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Leads", "Leads"},
		{"a/b\\c?d*e[f]g:h", "a_b_c_d_e_f_g_h"},
		{"'quoted'", "quoted"},
		{"", "Sheet"},
		{"history", "History_"},
		{"tab\there", "tab_here"},
		{strings.Repeat("n", 40), strings.Repeat("n", 31)},
		{strings.Repeat("😀", 20), strings.Repeat("😀", 15)},
		{strings.Repeat("n", 30) + "'x", strings.Repeat("n", 30)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := sanitizeSheetName(tt.in); got != tt.want {
				t.Errorf("sanitizeSheetName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}

	p := filepath.Join(t.TempDir(), "names.xlsx")
	wb, err := NewWorkbook(context.Background(), p, ExportOptions{})
	must(t, err)
	var got []string
	for _, name := range []string{"Leads", "leads", "LEADS", strings.Repeat("x", 35), strings.Repeat("x", 31), "Goals [2024]"} {
		ws, err := wb.AddSheet(name, []string{"A"})
		must(t, err)
		got = append(got, ws.Name())
	}
	must(t, wb.Close())
	want := []string{"Leads", "leads (2)", "LEADS (3)", strings.Repeat("x", 31), strings.Repeat("x", 27) + " (2)", "Goals _2024_"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sheet names = %q, want %q", got, want)
	}
	if list := excelizeOpen(t, p).GetSheetList(); !reflect.DeepEqual(list, want) {
		t.Errorf("GetSheetList() = %q, want %q", list, want)
	}
}

// dirNames lists a folder, to check that no temporary file is left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	must(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWorkbookFailuresKeepOldFile(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, p string) error // returns Close's error
		want error
	}{
		{"abort", func(t *testing.T, p string) error {
			wb, err := NewWorkbook(context.Background(), p, ExportOptions{})
			must(t, err)
			ws, err := wb.AddSheet("A", []string{"a"})
			must(t, err)
			must(t, ws.Write([]string{"new"}))
			must(t, wb.Abort())
			return wb.Close()
		}, errClosed},
		{"cancel while held back", func(t *testing.T, p string) error {
			ctx, cancel := context.WithCancel(context.Background())
			wb, err := NewWorkbook(ctx, p, ExportOptions{})
			must(t, err)
			ws, err := wb.AddSheet("A", []string{"a"})
			must(t, err)
			must(t, ws.Write([]string{"new"}))
			cancel()
			waitCancelled(t, wb.cancel)
			if err := ws.Write([]string{"more"}); !errors.Is(err, context.Canceled) {
				t.Errorf("Write after cancel = %v, want context.Canceled", err)
			}
			return wb.Close()
		}, context.Canceled},
		{"cancel while streaming", func(t *testing.T, p string) error {
			ctx, cancel := context.WithCancelCause(context.Background())
			w, err := CreateExport(ctx, p, []string{"a"}, ExportOptions{WidthRows: 1})
			must(t, err)
			for range 10 {
				must(t, w.Write([]string{"new"}))
			}
			cancel(errStop)
			waitCancelled(t, w.(oneSheet).wb.cancel)
			return w.Close()
		}, errStop},
		{"no sheet", func(t *testing.T, p string) error {
			wb, err := NewWorkbook(context.Background(), p, ExportOptions{})
			must(t, err)
			return wb.Close()
		}, nil},
		{"too many rows", func(t *testing.T, p string) error {
			w, err := CreateExport(context.Background(), p, []string{"a"}, ExportOptions{})
			must(t, err)
			w.(oneSheet).row = maxXLSXRows - 1
			must(t, w.Write([]string{"last"}))
			if err := w.Write([]string{"one too many"}); err == nil {
				t.Errorf("Write of row %d = nil, want an error", maxXLSXRows+1)
			}
			return w.Close()
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "out.xlsx")
			must(t, os.WriteFile(p, []byte("old"), 0o644))
			err := tt.run(t, p)
			if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Close() = %v, want an error wrapping %v", err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file", err)
			}
			if got, err := os.ReadFile(p); err != nil || string(got) != "old" {
				t.Errorf("file after failure = %q, %v, want the old content", got, err)
			}
			if names := dirNames(t, filepath.Dir(p)); len(names) != 1 {
				t.Errorf("folder holds %q, want only the old file", names)
			}
		})
	}
}

var errStop = errors.New("stop requested")

// waitCancelled waits for the context's AfterFunc to mark the writer.
func waitCancelled(t *testing.T, c *cancelFlag) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.err() == nil {
		if time.Now().After(deadline) {
			t.Fatal("writer never saw the cancelled context")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestExportOptionErrors(t *testing.T) {
	dir := t.TempDir()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		path string
		o    ExportOptions
		ctx  context.Context
	}{
		{"append to xlsx", filepath.Join(dir, "a.xlsx"), ExportOptions{Append: true}, context.Background()},
		{"bad delimiter", filepath.Join(dir, "a.csv"), ExportOptions{Delimiter: '"'}, context.Background()},
		{"newline delimiter", filepath.Join(dir, "a.csv"), ExportOptions{Delimiter: '\n'}, context.Background()},
		{"path is a folder", dir, ExportOptions{}, context.Background()},
		{"folder.xlsx", mkdir(t, filepath.Join(dir, "d.xlsx")), ExportOptions{}, context.Background()},
		{"cancelled csv", filepath.Join(dir, "a.csv"), ExportOptions{}, cancelled},
		{"cancelled xlsx", filepath.Join(dir, "a.xlsx"), ExportOptions{}, cancelled},
		{"unknown extension", filepath.Join(dir, "a.ods"), ExportOptions{}, context.Background()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := CreateExport(tt.ctx, tt.path, []string{"a"}, tt.o)
			if err == nil {
				w.Abort()
				t.Fatalf("CreateExport(%s, %+v) = nil error, want an error", tt.path, tt.o)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name %s", err, tt.path)
			}
		})
	}
	if names := dirNames(t, dir); !reflect.DeepEqual(names, []string{"d.xlsx"}) {
		t.Errorf("folder holds %q after failed creates", names)
	}
}

func mkdir(t *testing.T, p string) string {
	t.Helper()
	must(t, os.Mkdir(p, 0o755))
	return p
}

func TestWorkbookDateTimesExact(t *testing.T) {
	var cells []Cell
	for i := range 2000 {
		tm := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 7919 * time.Second)
		cells = append(cells, Cell{Kind: KindDateTime, Time: tm})
	}
	cells = append(cells,
		Cell{Kind: KindDateTime, Time: time.Date(2030, 6, 1, 8, 0, 1, 500e6, time.UTC)},
		// The wall clock is written, whatever the location.
		Cell{Kind: KindDateTime, Time: time.Date(2024, 7, 1, 23, 30, 0, 0, time.FixedZone("X", -7*3600))},
		Cell{Kind: KindDate, Time: day(1900, 3, 1, 0, 0)},
		Cell{Kind: KindDate, Time: day(9999, 12, 31, 0, 0)},
		// Excel cannot hold these: they are written as text.
		Cell{Kind: KindDate, Time: day(1900, 2, 28, 0, 0)},
		Cell{Kind: KindDateTime, Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	)
	p := filepath.Join(t.TempDir(), "t.xlsx")
	wb, err := NewWorkbook(context.Background(), p, ExportOptions{})
	must(t, err)
	ws, err := wb.AddSheet("T", []string{"When"})
	must(t, err)
	for _, c := range cells {
		must(t, ws.WriteCells([]Cell{c}))
	}
	must(t, wb.Close())
	res := readAll(t, p, Options{})
	if len(res.rows) != len(cells) {
		t.Fatalf("read back %d rows, want %d", len(res.rows), len(cells))
	}
	for i, c := range cells[:len(cells)-2] {
		got := res.rows[i].Cells[0]
		wall := time.Date(c.Time.Year(), c.Time.Month(), c.Time.Day(), c.Time.Hour(), c.Time.Minute(), c.Time.Second(), c.Time.Nanosecond(), time.UTC)
		if got.Kind != c.Kind || !got.Time.Equal(wall) {
			t.Errorf("row %d: read back %v %v, want %v %v", i+2, got.Kind, got.Time, c.Kind, wall)
		}
	}
	for i, want := range []string{"1900-02-28", "10000-01-01 00:00:00"} {
		got := res.rows[len(cells)-2+i].Cells[0]
		if got.Kind != KindString || got.Text != want {
			t.Errorf("out of range date read back as %v %q, want text %q", got.Kind, got.Text, want)
		}
	}
}
