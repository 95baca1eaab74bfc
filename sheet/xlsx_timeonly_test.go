package sheet

import (
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/sheet/hostile"
)

// TestXLSXISOTimeOfDayAlone: a t="d" cell holding a time of day alone ("10:00:00", which
// LibreOffice and other writers store for a time) is no date. It is read as the same time
// stored as a serial number is: refused in a cell formatted as a date, and in a cell
// formatted as a time a time of day on Excel's day 0, which a date column refuses ("a time
// of day without a date"). It never becomes the date 0000-01-01.
func TestXLSXISOTimeOfDayAlone(t *testing.T) {
	p := filepath.Join(t.TempDir(), "times.xlsx")
	must(t, hostile.WriteXLSX(p, sheetOf(hostile.XML(hostile.Row(1, "Title", "Close")+
		`<row r="2"><c r="A2" t="inlineStr"><is><t>A</t></is></c><c r="B2" t="d" s="1"><v>10:00:00</v></c></row>`+
		`<row r="3"><c r="A3" t="inlineStr"><is><t>B</t></is></c><c r="B3" s="1"><v>0.4166666666666667</v></c></row>`+
		`<row r="4"><c r="A4" t="inlineStr"><is><t>C</t></is></c><c r="B4" t="d" s="3"><v>10:00:00</v></c></row>`+
		`<row r="5"><c r="A5" t="inlineStr"><is><t>D</t></is></c><c r="B5" s="3"><v>0.4166666666666667</v></c></row>`+
		`<row r="6"><c r="A6" t="inlineStr"><is><t>E</t></is></c><c r="B6" t="d" s="1"><v>2024-03-01T10:00:00</v></c></row>`+
		`<row r="7"><c r="A7" t="inlineStr"><is><t>F</t></is></c><c r="B7" t="d" s="1"><v>10:00</v></c></row>`))))
	res := readAll(t, p, Options{})
	if res.final != io.EOF {
		t.Fatalf("final error %v, want io.EOF", res.final)
	}
	if got, want := res.nums(), []int{4, 5, 6}; !reflect.DeepEqual(got, want) {
		t.Fatalf("rows read = %v (errors %v), want %v", got, res.rowErrs, want)
	}
	timeOfDay := Cell{Text: "10:00:00", Kind: KindDateTime, Time: day(1899, 12, 31, 10, 0)}
	if got := res.rows[0].Cells[1]; !reflect.DeepEqual(got, timeOfDay) {
		t.Errorf("row 4 (t=\"d\" 10:00:00 in a time format) = %+v, want %+v", got, timeOfDay)
	}
	if a, b := res.rows[0].Cells[1], res.rows[1].Cells[1]; !reflect.DeepEqual(a, b) {
		t.Errorf("row 4 (t=\"d\") = %+v, row 5 (serial) = %+v: want the same cell", a, b)
	}
	if got, want := res.rows[2].Cells[1], (Cell{Text: "2024-03-01", Kind: KindDate, Time: day(2024, 3, 1, 0, 0)}); !reflect.DeepEqual(got, want) {
		t.Errorf("row 6 = %+v, want %+v", got, want)
	}
	want := []struct {
		row    int
		phrase string
	}{
		{2, `"10:00:00" is a time of day without a date`},
		{3, "serial 0.4166666666666667 is not a date"},
		{7, `"10:00" is not an ISO 8601 date`},
	}
	if len(res.rowErrs) != len(want) {
		t.Fatalf("row errors = %v, want %d", res.rowErrs, len(want))
	}
	for i, w := range want {
		re := res.rowErrs[i]
		if re.Path != p || re.Sheet != "S" || re.Row != w.row || re.Column != "Close" || !errors.Is(re, ErrBadDate) || !strings.Contains(re.Error(), w.phrase) {
			t.Errorf("row error %d = %q, want ErrBadDate on %s sheet S row %d column Close saying %q", i, re, p, w.row, w.phrase)
		}
	}
	if got := res.errRows[0].Cells[1]; got.Kind != KindString || got.Text != "10:00:00" {
		t.Errorf("refused row 2 holds %+v, want the text 10:00:00 as the sheet has it", got)
	}
}
