// Package leadgen writes the lead spreadsheets and the job that the benchmarks and
// bench/rss.sh measure: a 10-column sheet (7 columns the job maps and 3 it leaves out) as
// CSV or as XLSX. Inputs are generated, never committed.
package leadgen

import (
	"bufio"
	"fmt"
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
