package sheet

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

const benchCols = 10

func benchCSV(b *testing.B, rows int) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), "bench.csv")
	f, err := os.Create(p)
	must(b, err)
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,title,amount,currency,owner,email,phone,close,label,note")
	for i := 0; i < rows; i++ {
		fmt.Fprintf(w, "%d,Lead number %d,%d.%02d,EUR,owner%d,user%d@example.com,+49 30 %07d,2024-%02d-%02d,hot,\"note, with comma %d\"\n",
			i, i, i*7, i%100, i%50, i, i, i%12+1, i%28+1, i)
	}
	must(b, w.Flush())
	must(b, f.Close())
	return p
}

func benchXLSX(b *testing.B, rows int) string {
	b.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	must(b, err)
	ds, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	must(b, err)
	must(b, sw.SetRow("A1", []any{"id", "title", "amount", "currency", "owner", "email", "phone", "close", "label", "note"}))
	vals := make([]any, benchCols)
	for i := 0; i < rows; i++ {
		vals[0] = i
		vals[1] = fmt.Sprintf("Lead number %d", i)
		vals[2] = float64(i) * 7.25
		vals[3] = "EUR"
		vals[4] = fmt.Sprintf("owner%d", i%50)
		vals[5] = fmt.Sprintf("user%d@example.com", i)
		vals[6] = fmt.Sprintf("+49 30 %07d", i)
		vals[7] = excelize.Cell{StyleID: ds, Value: 45292 + i%365}
		vals[8] = "hot"
		vals[9] = fmt.Sprintf("note %d", i)
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		must(b, sw.SetRow(cell, vals))
	}
	must(b, sw.Flush())
	p := filepath.Join(b.TempDir(), "bench.xlsx")
	must(b, f.SaveAs(p))
	return p
}

func benchRead(b *testing.B, path string, want int) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	total := 0
	for b.Loop() {
		r, err := Open(path, Options{})
		must(b, err)
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			must(b, err)
			n++
		}
		must(b, r.Close())
		if n != want {
			b.Fatalf("read %d rows, want %d", n, want)
		}
		total += n
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCSVRead reads a 100,000-row, 10-column CSV.
func BenchmarkCSVRead(b *testing.B) {
	const rows = 100_000
	benchRead(b, benchCSV(b, rows), rows)
}

// BenchmarkXLSXRead reads a 20,000-row, 10-column XLSX (shared strings,
// numbers, dates).
func BenchmarkXLSXRead(b *testing.B) {
	const rows = 20_000
	benchRead(b, benchXLSX(b, rows), rows)
}
