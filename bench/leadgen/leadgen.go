// Package leadgen writes the lead spreadsheets and the job that the benchmarks and
// bench/rss.sh measure: a 10-column sheet (7 columns the job maps and 3 it leaves out) as
// CSV or as XLSX. Inputs are generated, never committed.
package leadgen

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Header is the sheet's header row.
var Header = []string{"External ID", "Lead Title", "Amount", "Currency", "Close", "Visible to", "Seen", "Owner id", "Notes", "Phone"}

var visible = [...]string{"1", "3", "5", "7"}

// Job returns the import job named name that reads source (a path relative to the job
// file's folder). It maps 7 columns without lookups (nothing needs the network in a dry
// run) plus a constant organization, since a lead must link to a person or organization.
func Job(name, source string) string {
	return fmt.Sprintf(`kind: import
name: %s
entity: leads
source: %s
mode: create
columns:
  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: Currency
  expected_close_date: {column: Close, type: date}
  visible_to: Visible to
  was_seen: {column: Seen, type: bool}
  owner_id: {column: Owner id, type: int}
  organization_id: {value: 2}
`, name, source)
}

// WriteCSV writes a lead CSV of rows data rows to path.
func WriteCSV(path string, rows int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	fmt.Fprintln(w, strings.Join(Header, ","))
	for i := range rows {
		fmt.Fprintf(w, "EXT-%07d,Lead number %d,%d.%02d,EUR,2026-%02d-%02d,%s,%t,%d,\"note, with a comma %d\",+49 30 %07d\n",
			i, i, i*7%100000, i%100, i%12+1, i%28+1, visible[i%4], i%2 == 0, i%4+1, i, i)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteXLSX writes a lead XLSX of rows data rows to path with excelize's StreamWriter, so
// that 200,000 rows take little memory: the close date is an Excel serial with a date
// style, amounts and owners are numbers, seen a boolean.
func WriteXLSX(path string, rows int) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Leads"); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter("Leads")
	if err != nil {
		return err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return err
	}
	head := make([]any, len(Header))
	for i, h := range Header {
		head[i] = h
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	vals := make([]any, len(Header))
	for i := range rows {
		vals[0] = fmt.Sprintf("EXT-%07d", i)
		vals[1] = fmt.Sprintf("Lead number %d", i)
		vals[2] = float64(i*7%100000) + float64(i%100)/100
		vals[3] = "EUR"
		vals[4] = excelize.Cell{StyleID: dateStyle, Value: 46023 + i%365} // 2026-01-01 onwards
		vals[5] = visible[i%4]
		vals[6] = i%2 == 0
		vals[7] = i%4 + 1
		vals[8] = fmt.Sprintf("note %d", i)
		vals[9] = fmt.Sprintf("+49 30 %07d", i)
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, vals); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(path)
}

// WriteXLSXShared writes the same lead sheet as WriteXLSX the way Excel and LibreOffice
// save it: every text cell is t="s", an index into xl/sharedStrings.xml. The external id,
// title, notes and phone of each row are distinct, so rows data rows make 4×rows distinct
// strings (800,000 for 200,000 rows) plus the few repeated ones (currency, visibility,
// header). Every 1000th title is a rich text item (<r> runs), as Excel writes a cell with
// mixed formatting. The parts are written with archive/zip directly, in one pass over the
// rows per part, so that generating takes seconds and little memory.
func WriteXLSXShared(path string, rows int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	fixed := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Leads" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/styles.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`},
	}
	for _, p := range fixed {
		w, err := zw.Create(p.name)
		if err == nil {
			_, err = io.WriteString(w, p.body)
		}
		if err != nil {
			f.Close()
			return err
		}
	}
	// Shared string indexes: the header (0-9), "EUR" (10), the visibilities (11-14), then
	// four per row.
	const firstRow = 15
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		f.Close()
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">`)
	for c := range Header {
		fmt.Fprintf(bw, `<c r="%c1" t="s"><v>%d</v></c>`, 'A'+c, c)
	}
	bw.WriteString(`</row>`)
	for i := range rows {
		r, s := i+2, firstRow+4*i
		fmt.Fprintf(bw, `<row r="%d"><c r="A%d" t="s"><v>%d</v></c><c r="B%d" t="s"><v>%d</v></c><c r="C%d"><v>%d.%02d</v></c><c r="D%d" t="s"><v>10</v></c><c r="E%d" s="1"><v>%d</v></c><c r="F%d" t="s"><v>%d</v></c><c r="G%d" t="b"><v>%d</v></c><c r="H%d"><v>%d</v></c><c r="I%d" t="s"><v>%d</v></c><c r="J%d" t="s"><v>%d</v></c></row>`,
			r, r, s, r, s+1, r, i*7%100000, i%100, r, r, 46023+i%365, r, 11+i%4, r, 1-i%2, r, i%4+1, r, s+2, r, s+3)
	}
	bw.WriteString(`</sheetData></worksheet>`)
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if w, err = zw.Create("xl/sharedStrings.xml"); err != nil {
		f.Close()
		return err
	}
	bw = bufio.NewWriterSize(w, 1<<16)
	total := len(Header) + 8*rows // every t="s" cell counted, as Excel does
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, total, firstRow+4*rows)
	for _, h := range Header {
		fmt.Fprintf(bw, `<si><t>%s</t></si>`, h)
	}
	bw.WriteString(`<si><t>EUR</t></si>`)
	for _, v := range visible {
		fmt.Fprintf(bw, `<si><t>%s</t></si>`, v)
	}
	for i := range rows {
		fmt.Fprintf(bw, `<si><t>EXT-%07d</t></si>`, i)
		if i%1000 == 0 {
			fmt.Fprintf(bw, `<si><r><rPr><b/></rPr><t xml:space="preserve">Lead </t></r><r><t>number %d</t></r></si>`, i)
		} else {
			fmt.Fprintf(bw, `<si><t>Lead number %d</t></si>`, i)
		}
		fmt.Fprintf(bw, `<si><t>note &amp; follow-up %d</t></si><si><t>+49 30 %07d</t></si>`, i, i)
	}
	bw.WriteString(`</sst>`)
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
