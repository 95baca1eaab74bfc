// Command gen writes the lead spreadsheets that bench/rss.sh validates: a 10-column sheet
// (7 columns a lead job maps and 3 it leaves out) as CSV or as XLSX. The XLSX is written with
// excelize's StreamWriter, so that generating 200,000 rows takes little memory: the close
// date is an Excel serial with a date style, amounts and owners are numbers, seen a boolean.
//
//	go run ./bench/gen -format csv -rows 1000000 -out /tmp/leads.csv
//	go run ./bench/gen -format xlsx -rows 200000 -out /tmp/leads.xlsx
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/xuri/excelize/v2"
)

var header = []string{"External ID", "Lead Title", "Amount", "Currency", "Close", "Visible to", "Seen", "Owner id", "Notes", "Phone"}

var visible = [...]string{"1", "3", "5", "7"}

func main() {
	format := flag.String("format", "csv", "csv or xlsx")
	rows := flag.Int("rows", 1000, "data rows to write")
	out := flag.String("out", "", "file to write (required)")
	flag.Parse()
	if *out == "" || *rows < 0 {
		flag.Usage()
		os.Exit(2)
	}
	var err error
	switch *format {
	case "csv":
		err = writeCSV(*out, *rows)
	case "xlsx":
		err = writeXLSX(*out, *rows)
	default:
		err = fmt.Errorf("unknown format %q (want csv or xlsx)", *format)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func writeCSV(path string, rows int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	fmt.Fprintln(w, strings.Join(header, ","))
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

func writeXLSX(path string, rows int) error {
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
	head := make([]any, len(header))
	for i, h := range header {
		head[i] = h
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	vals := make([]any, len(header))
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
