package sheet_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/pdbulk/pdbulk/sheet"
)

// A workbook job writes several sheets into one file; nothing is at the
// path until Close succeeds, and the deferred Abort cleans up on any error.
func ExampleNewWorkbook() {
	dir, err := os.MkdirTemp("", "export")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	run := time.Date(2024, 1, 31, 23, 30, 0, 0, time.UTC)
	name, err := sheet.ExpandPath("leads-{date}.xlsx", run, time.FixedZone("CET", 3600))
	if err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(dir, name)

	wb, err := sheet.NewWorkbook(context.Background(), path, sheet.ExportOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer wb.Abort()
	leads, err := wb.AddSheet("Leads", []string{"ID", "Title", "Amount", "Close"})
	if err != nil {
		log.Fatal(err)
	}
	labels, err := wb.AddSheet("Labels: 2024/01", []string{"Name"})
	if err != nil {
		log.Fatal(err)
	}
	if err := leads.WriteCells([]sheet.Cell{
		{Text: "00042", Kind: sheet.KindString},
		{Text: "=HYPERLINK(\"http://evil\")", Kind: sheet.KindString},
		{Text: "-7.25", Kind: sheet.KindNumber, Number: -7.25},
		{Kind: sheet.KindDate, Time: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
	}); err != nil {
		log.Fatal(err)
	}
	if err := labels.Write([]string{"Hot"}); err != nil {
		log.Fatal(err)
	}
	if err := wb.Close(); err != nil {
		log.Fatal(err)
	}

	r, err := sheet.Open(path, sheet.Options{Sheet: "Leads"})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	row, err := r.Next()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(name, labels.Name())
	for _, c := range row.Cells {
		fmt.Printf("%s %q\n", c.Kind, c.Text)
	}
	// Output:
	// leads-2024-02-01.xlsx Labels_ 2024_01
	// string "00042"
	// string "'=HYPERLINK(\"http://evil\")"
	// number "-7.25"
	// date "2024-02-29"
}
