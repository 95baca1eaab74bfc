package sheet

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/sheet/hostile"
)

const relsNS = `xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`

// junkWorkbook writes a workbook whose workbook.xml (and, with rels, its relationships)
// holds about size bytes of elements that mean nothing, under MaxMetadataBytes, around one
// real sheet.
func junkWorkbook(t testing.TB, size int, rels bool) string {
	t.Helper()
	const junk = `<sheet a="1" b="2" c="3" d="4" e="5" f="6" g="7" h="8"/>`
	const junkRel = `<Relationship Id="x" Type="y" Target="z" a="1" b="2" c="3"/>`
	parts := []hostile.Part{
		{Name: "xl/workbook.xml", Fill: func(w io.Writer) error {
			if _, err := io.WriteString(w, `<workbook `+relsNS+`><sheets><sheet name="Leads" sheetId="1" r:id="rId1"/>`); err != nil {
				return err
			}
			if err := hostile.Repeat(w, junk, int64(size/len(junk)*len(junk))); err != nil {
				return err
			}
			_, err := io.WriteString(w, `</sheets></workbook>`)
			return err
		}},
		sheetOf(hostile.XML(hostile.Row(1, "Title", "Email")), hostile.XML(hostile.Row(2, "A", "a@x.example"))),
	}
	if rels {
		parts = append(parts, hostile.Part{Name: "xl/_rels/workbook.xml.rels", Fill: func(w io.Writer) error {
			if _, err := io.WriteString(w, `<Relationships>`+
				`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`); err != nil {
				return err
			}
			if err := hostile.Repeat(w, junkRel, int64(size/len(junkRel)*len(junkRel))); err != nil {
				return err
			}
			_, err := io.WriteString(w, `</Relationships>`)
			return err
		}})
	}
	p := filepath.Join(t.TempDir(), "junk.xlsx")
	must(t, hostile.WriteXLSX(p, parts...))
	return p
}

// TestXLSXWorkbookPartsStreamed: a workbook.xml and relationships of 2 MiB of elements
// that mean nothing are read as streams (see BenchmarkXLSXJunkWorkbookPart for the
// memory): the workbook opens on its one sheet.
func TestXLSXWorkbookPartsStreamed(t *testing.T) {
	p := junkWorkbook(t, 2<<20, true)
	res := readAll(t, p, Options{})
	if res.final != io.EOF || !reflect.DeepEqual(texts(res.rows), [][]string{{"A", "a@x.example"}}) {
		t.Errorf("read: rows %q, final %v; want one row", texts(res.rows), res.final)
	}
	if n, err := CountRows(p, Options{}); err != nil || n != 1 {
		t.Errorf("CountRows = %d, %v, want 1", n, err)
	}
}

// TestXLSXWorkbookSheetsCapped: a workbook listing more sheets than a package can hold
// parts is refused with a clear error, before any sheet is read.
func TestXLSXWorkbookSheetsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<workbook ` + relsNS + `><workbookPr date1904="1"/><sheets>`)
	for i := range MaxSheets + 1 {
		fmt.Fprintf(&b, `<sheet name="S%d" sheetId="%d" r:id="rId1"/>`, i, i+1)
	}
	b.WriteString(`</sheets></workbook>`)
	p := filepath.Join(t.TempDir(), "sheets.xlsx")
	must(t, hostile.WriteXLSX(p, hostile.Part{Name: "xl/workbook.xml", Fill: hostile.XML(b.String())},
		sheetOf(hostile.XML(hostile.Row(1, "a")))))
	_, err := Open(p, Options{})
	var fe *FileError
	if !errors.As(err, &fe) || fe.Path != p || !errors.Is(err, ErrTooLarge) ||
		!strings.Contains(err.Error(), fmt.Sprintf("the workbook lists more than %d sheets", MaxSheets)) {
		t.Errorf("Open(%d sheets) = %v, want a FileError wrapping ErrTooLarge saying the workbook lists more than %d sheets", MaxSheets+1, err, MaxSheets)
	}
}

// TestXLSXWorkbookPart: what is kept of workbook.xml and its relationships, read as
// streams: the sheets in order with their parts (prefixed names too), the 1904 date
// system, and a part cut short is damage.
func TestXLSXWorkbookPart(t *testing.T) {
	rels := hostile.Part{Name: "xl/_rels/workbook.xml.rels", Fill: hostile.XML(`<Relationships>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet2.xml"/>` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
		`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
		`</Relationships>`)}
	sheet2 := hostile.Part{Name: "xl/worksheets/sheet2.xml", Fill: hostile.Sheet(hostile.XML(hostile.Row(1, "Day")),
		hostile.XML(`<row r="2"><c r="A2" s="1"><v>0</v></c></row>`))}
	p := filepath.Join(t.TempDir(), "two.xlsx")
	must(t, hostile.WriteXLSX(p, rels, sheet2, sheetOf(hostile.XML(hostile.Row(1, "Title"))),
		hostile.Part{Name: "xl/workbook.xml", Fill: hostile.XML(`<?xml version="1.0"?><x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` + relsNS +
			`><x:workbookPr date1904="true"/><x:sheets><x:sheet name="First" sheetId="1" r:id="rId1"/><x:sheet name="Second" sheetId="2" state="hidden" r:id="rId2"/></x:sheets></x:workbook>`)}))
	res := readAll(t, p, Options{Sheet: "Second"})
	if res.final != io.EOF || len(res.rows) != 1 || res.rows[0].Cells[0].Text != "1904-01-01" {
		t.Errorf("sheet Second: rows %q, errors %v, final %v; want 1904-01-01", texts(res.rows), res.rowErrs, res.final)
	}
	r, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); !reflect.DeepEqual(h, []string{"Title"}) {
		t.Errorf("first sheet header = %q, want [Title]", h)
	}
	r.Close()

	cut := filepath.Join(t.TempDir(), "cut.xlsx")
	must(t, hostile.WriteXLSX(cut, sheetOf(hostile.XML(hostile.Row(1, "a"))),
		hostile.Part{Name: "xl/workbook.xml", Fill: hostile.XML(`<workbook ` + relsNS + `><sheets><sheet name="S" sheetId="1" r:id="rId1"/>`)}))
	if _, err := Open(cut, Options{}); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "xl/workbook.xml") {
		t.Errorf("Open(workbook.xml cut short) = %v, want ErrMalformed naming xl/workbook.xml", err)
	}
}

// BenchmarkXLSXJunkWorkbookPart measures the peak heap of opening a workbook whose
// workbook.xml is 15 MiB of <sheet a="1" .../> elements (sampled every millisecond while
// it opens): before workbook.xml was streamed, every attribute was kept.
func BenchmarkXLSXJunkWorkbookPart(b *testing.B) {
	p := junkWorkbook(b, 15<<20, false)
	var peak uint64
	b.ReportAllocs()
	for b.Loop() {
		runtime.GC()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ms runtime.MemStats
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		r, err := Open(p, Options{})
		if err != nil {
			b.Fatal(err)
		}
		r.Close()
		close(stop)
		wg.Wait()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
