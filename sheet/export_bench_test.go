package sheet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// exportBenchHeader is a lead export of 12 typed columns.
var exportBenchHeader = []string{"ID", "Title", "Amount", "Currency", "Owner", "Person", "Phone", "Email", "Close", "Added", "Archived", "Labels"}

// fillLead sets cells to lead i: text, numbers, a date, a date-time and a
// boolean, with the text an export mapper produces.
func fillLead(cells []Cell, i int) {
	base := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	cells[0] = Cell{Text: fmt.Sprintf("%08d", i), Kind: KindString}
	cells[1] = Cell{Text: "Lead number " + strconv.Itoa(i), Kind: KindString}
	amount := float64(i%100_000) * 7.25
	cells[2] = Cell{Text: strconv.FormatFloat(amount, 'f', -1, 64), Kind: KindNumber, Number: amount}
	cells[3] = Cell{Text: "EUR", Kind: KindString}
	cells[4] = Cell{Text: strconv.Itoa(i % 50), Kind: KindNumber, Number: float64(i % 50)}
	cells[5] = Cell{Text: "Person " + strconv.Itoa(i%5000), Kind: KindString}
	cells[6] = Cell{Text: "+49 30 " + strconv.Itoa(1_000_000+i), Kind: KindString}
	cells[7] = Cell{Text: "user" + strconv.Itoa(i) + "@example.com", Kind: KindString}
	cells[8] = Cell{Kind: KindDate, Time: base.AddDate(0, 0, i%365).Truncate(24 * time.Hour)}
	cells[9] = Cell{Kind: KindDateTime, Time: base.Add(time.Duration(i) * time.Minute)}
	cells[10] = Cell{Text: "FALSE", Kind: KindBool, Number: float64(i % 2)}
	cells[11] = Cell{Text: "Hot; Follow-up", Kind: KindString}
}

// heapPeak samples the heap while rows are written: the most in use
// (garbage included) and the most live right after a collection.
type heapPeak struct {
	inUse, live uint64
	ms          runtime.MemStats
}

// sample reads the heap in use; with gc it first collects, off the clock,
// to read the live heap.
func (h *heapPeak) sample(b *testing.B, gc bool) {
	if gc {
		b.StopTimer()
		defer b.StartTimer()
	}
	runtime.ReadMemStats(&h.ms)
	h.inUse = max(h.inUse, h.ms.HeapInuse)
	if gc {
		runtime.GC()
		runtime.ReadMemStats(&h.ms)
		h.live = max(h.live, h.ms.HeapAlloc)
	}
}

// benchExport writes rows leads through the writer that create returns,
// and reports rows/s, the peak heap in use (sampled every 5,000 rows), the
// peak live heap (after a collection every 25,000 rows and before Close),
// the bytes allocated per row and the file's size.
func benchExport(b *testing.B, rows int, create func(path string) (Writer, error), ext string) {
	cells := make([]Cell, len(exportBenchHeader))
	dir := b.TempDir()
	var h heapPeak
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		p := filepath.Join(dir, "leads"+ext)
		w, err := create(p)
		must(b, err)
		for i := range rows {
			fillLead(cells, i)
			must(b, w.WriteCells(cells))
			if i%5000 == 4999 {
				h.sample(b, i%25_000 == 24_999)
			}
		}
		h.sample(b, true)
		must(b, w.Close())
		h.sample(b, false)
		n += rows
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	fi, err := os.Stat(filepath.Join(dir, "leads"+ext))
	must(b, err)
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(h.inUse)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(h.live)/(1<<20), "live-heap-MiB")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n), "B/row")
	b.ReportMetric(float64(fi.Size())/(1<<20), "file-MiB")
}

var benchRowCounts = []int{10_000, 100_000, 300_000}

// BenchmarkExportCSV writes 12 typed columns to CSV; the peak heap stays
// flat from 10,000 to 300,000 rows.
func BenchmarkExportCSV(b *testing.B) {
	for _, rows := range benchRowCounts {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			benchExport(b, rows, func(p string) (Writer, error) {
				return CreateCSV(context.Background(), p, exportBenchHeader, ExportOptions{BOM: true})
			}, ".csv")
		})
	}
}

// BenchmarkExportXLSX writes 12 typed columns to XLSX through the stream
// writer; the peak heap is bounded by excelize's 16 MiB in-memory chunk of
// sheet XML, whatever the number of rows.
func BenchmarkExportXLSX(b *testing.B) {
	for _, rows := range benchRowCounts {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			benchExport(b, rows, func(p string) (Writer, error) {
				return CreateExport(context.Background(), p, exportBenchHeader, ExportOptions{Sheet: "Leads"})
			}, ".xlsx")
		})
	}
}

// BenchmarkExportCSVAppend appends 1,000 rows to a CSV of 100,000 rows: the
// cost of an atomic append is a copy of the existing file.
func BenchmarkExportCSVAppend(b *testing.B) {
	dir := b.TempDir()
	seed := filepath.Join(dir, "seed.csv")
	cells := make([]Cell, len(exportBenchHeader))
	w, err := CreateCSV(context.Background(), seed, exportBenchHeader, ExportOptions{})
	must(b, err)
	for i := range 100_000 {
		fillLead(cells, i)
		must(b, w.WriteCells(cells))
	}
	must(b, w.Close())
	data, err := os.ReadFile(seed)
	must(b, err)
	p := filepath.Join(dir, "leads.csv")
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		must(b, os.WriteFile(p, data, 0o600))
		b.StartTimer()
		w, err := CreateCSV(context.Background(), p, exportBenchHeader, ExportOptions{Append: true})
		must(b, err)
		for i := range 1000 {
			fillLead(cells, i)
			must(b, w.WriteCells(cells))
		}
		must(b, w.Close())
	}
}
