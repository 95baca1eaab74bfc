package sheet

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// soffice converts in to format into outDir with LibreOffice, or skips the
// test when LibreOffice is not installed (bench/xlsx-libreoffice.sh
// installs it). Each call uses its own profile, so runs do not collide.
func soffice(t *testing.T, in, outDir string, args ...string) {
	t.Helper()
	bin, err := exec.LookPath("soffice")
	if err != nil {
		t.Skip("soffice is not on PATH: run bench/xlsx-libreoffice.sh to install LibreOffice")
	}
	if testing.Short() {
		t.Skip("LibreOffice conversions take seconds; skipped with -short")
	}
	profile := url.URL{Scheme: "file", Path: filepath.Join(t.TempDir(), "profile")}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-env:UserInstallation=" + profile.String(), "--headless", "--norestore"}, append(args, "--outdir", outDir, in)...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice %q: %v\n%s", args, err, out)
	}
}

// loField is a CSV field as LibreOffice wrote it: with "Quote all text
// cells" on, a quoted field is a text cell and a bare one a number, date or
// boolean shown in its format.
type loField struct {
	text   string
	quoted bool
}

func (f loField) String() string {
	if f.quoted {
		return fmt.Sprintf("text %q", f.text)
	}
	return fmt.Sprintf("value %q", f.text)
}

// parseLOCSV splits a comma-separated file into fields, keeping whether each
// was quoted.
func parseLOCSV(t *testing.T, path string) [][]loField {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	s := strings.TrimPrefix(string(b), utf8BOM)
	var rows [][]loField
	var row []loField
	for len(s) > 0 {
		var f loField
		if s[0] == '"' {
			f.quoted = true
			s = s[1:]
			for {
				i := strings.IndexByte(s, '"')
				if i < 0 {
					t.Fatalf("%s: unterminated quote", path)
				}
				f.text += s[:i]
				s = s[i+1:]
				if !strings.HasPrefix(s, `"`) {
					break
				}
				f.text += `"`
				s = s[1:]
			}
		} else {
			i := strings.IndexAny(s, ",\r\n")
			if i < 0 {
				i = len(s)
			}
			f.text, s = s[:i], s[i:]
		}
		row = append(row, f)
		switch {
		case strings.HasPrefix(s, ","):
			s = s[1:]
		case strings.HasPrefix(s, "\r\n"), strings.HasPrefix(s, "\n"), s == "":
			s = strings.TrimPrefix(strings.TrimPrefix(s, "\r"), "\n")
			rows = append(rows, row)
			row = nil
		}
	}
	return rows
}

// TestLibreOfficeReadsExport writes a workbook of two sheets and has
// LibreOffice convert it to CSV (every sheet, text cells quoted, values as
// shown) and back to XLSX: the cells, their formats and their types must
// come through as written.
func TestLibreOfficeReadsExport(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "leads.xlsx")
	wb, err := NewWorkbook(context.Background(), p, ExportOptions{})
	must(t, err)
	leads, err := wb.AddSheet("Leads", exportHeader)
	must(t, err)
	labels, err := wb.AddSheet("Labels", []string{"Name", "Color"})
	must(t, err)
	must(t, leads.WriteCells(exportRow))
	must(t, labels.Write([]string{"Hot", "red"}))
	must(t, wb.Close())

	out := filepath.Join(dir, "csv")
	soffice(t, p, out, "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,false,true,false,false,-1")
	q := func(s string) loField { return loField{s, true} }
	v := func(s string) loField { return loField{s, false} }
	var header []loField
	for _, h := range exportHeader {
		header = append(header, q(h))
	}
	want := map[string][][]loField{
		"leads-Leads.csv": {header, {
			q("00123"), q("ACME – 年度契約"), v("1234.5"), v("-7.25"), v("TRUE"), v("2024-01-31"), v("2024-01-31 13:45:30"),
			q("'+49 30 1234567"), q("01067"), q(`'=HYPERLINK("http://evil")`), q("12345678901234567890"), v(""),
		}},
		"leads-Labels.csv": {{q("Name"), q("Color")}, {q("Hot"), q("red")}},
	}
	for name, rows := range want {
		got := parseLOCSV(t, filepath.Join(out, name))
		t.Logf("LibreOffice's %s: %v", name, got)
		if !reflect.DeepEqual(got, rows) {
			t.Errorf("LibreOffice's %s:\n got %v\nwant %v", name, got, rows)
		}
	}

	// LibreOffice's own XLSX of the workbook keeps every cell's type.
	back := filepath.Join(dir, "back")
	soffice(t, p, back, "--convert-to", "xlsx")
	res := readAll(t, filepath.Join(back, "leads.xlsx"), Options{Sheet: "Leads"})
	if res.final != io.EOF || len(res.rows) != 1 {
		t.Fatalf("read LibreOffice's xlsx: %d rows, final %v", len(res.rows), res.final)
	}
	kinds := []Kind{KindString, KindString, KindNumber, KindNumber, KindBool, KindDate, KindDateTime, KindString, KindString, KindString, KindString, KindEmpty}
	for i, c := range res.rows[0].Cells {
		if c.Kind != kinds[i] {
			t.Errorf("LibreOffice's xlsx, column %s: %v %q, want %v", exportHeader[i], c.Kind, c.Text, kinds[i])
		}
	}
}

// TestLibreOfficeReadsCSVNumbers has LibreOffice import a CSV that pdbulk
// wrote: a number cell, negative or not, is read as a number, and text that
// would be a formula or a number stays text.
func TestLibreOfficeReadsCSVNumbers(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "numbers.csv")
	w, err := CreateCSV(context.Background(), p, []string{"Amount", "Big", "Text", "Minus", "Formula", "Phone"}, ExportOptions{BOM: true})
	must(t, err)
	must(t, w.WriteCells([]Cell{
		{Text: "-7.25", Kind: KindNumber, Number: -7.25},
		{Text: "1E+21", Kind: KindNumber, Number: 1e21},
		text("-cmd"), text("-5"), text(`=HYPERLINK("http://evil")`), text("+49 30 1234567"),
	}))
	must(t, w.Close())

	out := filepath.Join(dir, "xlsx")
	soffice(t, p, out, "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx")
	f := excelizeOpen(t, filepath.Join(out, "numbers.xlsx"))
	sheet := f.GetSheetName(0)
	for ref, want := range map[string]float64{"A2": -7.25, "B2": 1e21} {
		typ, err := f.GetCellType(sheet, ref)
		must(t, err)
		val, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
		must(t, err)
		x, err := strconv.ParseFloat(val, 64)
		if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber || err != nil || x != want {
			t.Errorf("LibreOffice read %s as type %v, %q, want the number %v", ref, typ, val, want)
		}
	}
	res := readAll(t, filepath.Join(out, "numbers.xlsx"), Options{})
	if res.final != io.EOF || len(res.rows) != 1 {
		t.Fatalf("read back: %d rows, final %v", len(res.rows), res.final)
	}
	cells := res.rows[0].Cells
	if cells[0].Kind != KindNumber || cells[0].Number != -7.25 || cells[1].Kind != KindNumber || cells[1].Number != 1e21 {
		t.Errorf("numbers read back as %+v, %+v", cells[0], cells[1])
	}
	for i, want := range []string{"'-cmd", "'-5", `'=HYPERLINK("http://evil")`, "'+49 30 1234567"} {
		c := cells[2+i]
		if c.Kind != KindString || c.Text != want {
			t.Errorf("LibreOffice read %q as %v %q, want that text", want, c.Kind, c.Text)
		}
		if fm, err := f.GetCellFormula(sheet, fmt.Sprintf("%c2", 'C'+i)); err != nil || fm != "" {
			t.Errorf("LibreOffice made a formula of %q: %q, %v", want, fm, err)
		}
	}
}
