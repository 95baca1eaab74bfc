package sheet

import (
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sstWorkbook writes a one-sheet package whose shared strings part holds items (each the
// inside of an <si>), declaring uniqueCount (left out when negative), and whose rows are
// given as sheetData.
func sstWorkbook(t *testing.T, items []string, uniqueCount int, rows string) string {
	t.Helper()
	var sst strings.Builder
	sst.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`)
	if uniqueCount >= 0 {
		fmt.Fprintf(&sst, ` uniqueCount="%d"`, uniqueCount)
	}
	sst.WriteString(`>`)
	for _, it := range items {
		sst.WriteString("<si>" + it + "</si>")
	}
	sst.WriteString(`</sst>`)
	p := filepath.Join(t.TempDir(), "sst.xlsx")
	writeZip(t, p, map[string]string{
		"xl/workbook.xml": `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
		"xl/sharedStrings.xml":     sst.String(),
		"xl/worksheets/sheet1.xml": `<worksheet><sheetData>` + rows + `</sheetData></worksheet>`,
	})
	return p
}

// TestXLSXSharedStringsArena reads shared strings as Excel and LibreOffice write them —
// rich text runs, phonetic runs, xml:space, entities, empty items in both spellings,
// non-ASCII text, items used twice and out of order — and checks each t="s" cell against
// the text written and against the same item written inline in the next column (the
// inline path builds each string on its own, as the table did before the arena).
func TestXLSXSharedStringsArena(t *testing.T) {
	items := []struct{ xml, text string }{
		{`<t>Name</t>`, "Name"},
		{`<t/>`, ""},
		{`<r><rPr><b/></rPr><t>Ri</t></r><r><t xml:space="preserve">ch &amp; co </t></r><rPh sb="0" eb="1"><t>リッチ</t></rPh>`, "Rich & co "},
		{``, ""},
		{`<t xml:space="preserve">  spaced  </t>`, "  spaced  "},
		{`<t>Müller &lt;GmbH&gt; &#8364;5 &quot;q&quot;</t>`, `Müller <GmbH> €5 "q"`},
		{`<r><t></t></r><r><t>after empty run</t></r>`, "after empty run"},
		{`<t>東京</t><rPh><t>とうきょう</t></rPh><phoneticPr fontId="1"/>`, "東京"},
		{`<t>last</t>`, "last"},
	}
	xmls := make([]string, len(items))
	for i, it := range items {
		xmls[i] = it.xml
	}
	// Row 1 is the header; each data row has the shared item, its inline twin and a row
	// number (a row of empty cells only is skipped as blank).
	rows := `<row r="1"><c r="A1" t="s"><v>0</v></c>` + inline("B1", "Inline") + inline("C1", "N") + `</row>`
	order := []int{8, 2, 1, 5, 3, 4, 0, 7, 6, 2, 8}
	for n, i := range order {
		r := n + 2
		rows += fmt.Sprintf(`<row r="%d"><c r="A%d" t="s"><v>%d</v></c><c r="B%d" t="inlineStr"><is>%s</is></c><c r="C%d"><v>%d</v></c></row>`, r, r, i, r, items[i].xml, r, r)
	}
	for _, uc := range []int{len(items), -1, 1, 1 << 20} { // true, absent, too low, too high
		t.Run(fmt.Sprintf("uniqueCount=%d", uc), func(t *testing.T) {
			res := readAll(t, sstWorkbook(t, xmls, uc, rows), Options{})
			if res.final != io.EOF || len(res.rowErrs) != 0 {
				t.Fatalf("read: final %v, row errors %v", res.final, res.rowErrs)
			}
			if !reflect.DeepEqual(res.header, []string{"Name", "Inline", "N"}) {
				t.Errorf("header = %q", res.header)
			}
			if len(res.rows) != len(order) {
				t.Fatalf("rows = %d, want %d", len(res.rows), len(order))
			}
			for n, i := range order {
				cells := res.rows[n].Cells
				want := Cell{Text: items[i].text, Kind: KindString}
				if items[i].text == "" {
					want = Cell{}
				}
				if len(cells) < 1 || cells[0] != want {
					t.Errorf("row %d: shared item %d = %+v, want %+v", res.rows[n].Num, i, cells, want)
					continue
				}
				var twin Cell
				if len(cells) > 1 {
					twin = cells[1]
				}
				if twin != cells[0] {
					t.Errorf("row %d: shared item %d = %+v, inline twin %+v", res.rows[n].Num, i, cells[0], twin)
				}
			}
		})
	}
}

// TestXLSXSharedStringsMany reads a table of 20,000 distinct items, some empty, with the
// arena sized from the declared count and grown past it, and checks every cell.
func TestXLSXSharedStringsMany(t *testing.T) {
	const n = 20000
	items := make([]string, n)
	want := make([]string, n)
	for i := range items {
		switch {
		case i%97 == 0:
			items[i] = `<t/>`
		case i%31 == 0:
			want[i] = fmt.Sprintf("rich %d & more", i)
			items[i] = fmt.Sprintf(`<r><t xml:space="preserve">rich </t></r><r><rPr><i/></rPr><t>%d &amp; more</t></r>`, i)
		default:
			want[i] = fmt.Sprintf("lead %d – Straße", i)
			items[i] = `<t>` + want[i] + `</t>`
		}
	}
	var rows strings.Builder
	rows.WriteString(`<row r="1">` + inline("A1", "Title") + inline("B1", "N") + `</row>`)
	for i := range n {
		j := (i * 7919) % n // every item once, out of order
		fmt.Fprintf(&rows, `<row r="%d"><c r="A%d" t="s"><v>%d</v></c><c r="B%d"><v>%d</v></c></row>`, i+2, i+2, j, i+2, i)
	}
	for _, uc := range []int{n, 10} {
		res := readAll(t, sstWorkbook(t, items, uc, rows.String()), Options{})
		if res.final != io.EOF || len(res.rowErrs) != 0 {
			t.Fatalf("uniqueCount %d: final %v, row errors %v", uc, res.final, res.rowErrs)
		}
		if len(res.rows) != n {
			t.Fatalf("uniqueCount %d: rows = %d, want %d", uc, len(res.rows), n)
		}
		for i, r := range res.rows {
			j := (i * 7919) % n
			got := ""
			if len(r.Cells) > 0 {
				got = r.Cells[0].Text
			}
			if got != want[j] {
				t.Fatalf("uniqueCount %d: row %d (item %d) = %q, want %q", uc, r.Num, j, got, want[j])
			}
		}
	}
}
