package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func FuzzCSV(f *testing.F) {
	seeds := []string{
		"a,b\n1,2\n",
		"a,b\n1,\"x\ny\"\n3,4\n",
		"a,b\n1,\"open\n2,3\n",
		"a,b\n1,x\"y\n\"z\"w,2\n",
		"a;b\r\n1;2\r\n\r\n3\n",
		"\xEF\xBB\xBFa,b\n\x00,\xff\n",
		"\xFF\xFEa\x00,\x00b\x00\n\x001\x00",
		"a,a\n",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(0))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		p := filepath.Join(dir, "fuzz.csv")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		o := Options{Delimiter: ',', Encoding: "utf-8"}
		if mode%2 == 1 {
			o = Options{HeaderRow: int(mode % 4), MaxCellBytes: 8}
		}
		res := readAll(t, p, o)
		var fe *FileError
		if res.final != io.EOF && !errors.As(res.final, &fe) {
			t.Fatalf("final error %v is neither io.EOF nor *FileError", res.final)
		}
		last := 0
		for _, re := range res.rowErrs {
			if re.Row < 1 || re.Path != p {
				t.Errorf("row error without location: %+v", re)
			}
		}
		for _, r := range res.rows {
			if r.Num <= last {
				t.Errorf("row numbers not increasing: %d after %d", r.Num, last)
			}
			last = r.Num
			if len(r.Cells) != len(res.header) {
				t.Errorf("row %d has %d cells for %d columns", r.Num, len(r.Cells), len(res.header))
			}
		}
		if res.final != io.EOF || mode%2 == 1 {
			return
		}
		// Every record encoding/csv sees is accounted for when the file
		// parses cleanly.
		cr := csv.NewReader(bytes.NewReader(bareCRToLF(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")))))
		cr.FieldsPerRecord = -1
		// All-empty records after the header (",,,") are skipped, neither rows nor errors.
		n, empty := 0, 0
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
			n++
			if n > 1 && strings.Join(rec, "") == "" {
				empty++
			}
		}
		if got := len(res.rows) + len(res.rowErrs); got != n-1-empty {
			t.Errorf("rows %d + row errors %d = %d, want %d records after the header (%d all-empty skipped)", len(res.rows), len(res.rowErrs), got, n-1-empty, empty)
		}
	})
}

// bareCRToLF returns data with each bare \r (one not followed by \n) made a \n: the text
// encoding/csv reads as csvScanner reads data, which ends a line at a bare \r (keeping it
// as data inside quotes).
func bareCRToLF(data []byte) []byte {
	out := bytes.Clone(data)
	for i, c := range out {
		if c == '\r' && (i+1 == len(out) || out[i+1] != '\n') {
			out[i] = '\n'
		}
	}
	return out
}

// FuzzCSVScanner checks the bounded scanner against encoding/csv, which it replaces: for
// text within the limits, every record has the same fields, the same first line and the
// same quote error. A bare \r ends a line (see bareCRToLF); inside quotes it is kept.
func FuzzCSVScanner(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n", "a,\"b\nc\",d\r\n\r\n\"e\"\"f\",g", "x\"y,z\n1,2", "\"open,1\n2,3\n",
		"\"a\"b,c\n", "a,b,\n,\n\n\r\n", "\r", "a\rb,c\r\r\n", "\"a\"\r", "§a§\"b§\"§c\n",
		"a§b\n\xC2\xA7\xC2,\"\xA7\"\n", "\"\"\"\n", "a,\"b\r\nc\r\"\r\n", "\n\n\"x\"\"\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, section bool) {
		comma := ','
		if section {
			comma = '§'
		}
		want := csv.NewReader(bytes.NewReader(bareCRToLF(data)))
		want.Comma, want.FieldsPerRecord = comma, -1
		sc := newCSVScanner(bufio.NewReaderSize(bytes.NewReader(data), 16), comma, 1<<20, 1<<20)
		for n := 0; ; n++ {
			wrec, werr := want.Read()
			err := sc.scan()
			if werr == io.EOF || err == io.EOF {
				if werr != err {
					t.Fatalf("record %d: scan() = %v, encoding/csv %v", n, err, werr)
				}
				return
			}
			if err != nil {
				t.Fatalf("record %d: scan() = %v", n, err)
			}
			rec := &sc.rec
			var pe *csv.ParseError
			switch {
			case errors.As(werr, &pe):
				if !errors.Is(rec.quoteErr, pe.Err) || rec.start != pe.StartLine || rec.quoteLine != pe.Line {
					t.Fatalf("record %d: quote error %v at line %d (record on line %d), encoding/csv %v", n, rec.quoteErr, rec.quoteLine, rec.start, werr)
				}
			case werr != nil:
				t.Fatalf("record %d: encoding/csv %v", n, werr)
			case rec.quoteErr != nil:
				t.Fatalf("record %d: quote error %v, encoding/csv read %q", n, rec.quoteErr, wrec)
			default:
				line, _ := want.FieldPos(0)
				got := slices.Clone(rec.fields())
				for i := range got {
					got[i] = strings.ReplaceAll(got[i], "\r", "\n") // a bare \r kept in quotes
				}
				if !reflect.DeepEqual(got, wrec) || rec.start != line {
					t.Fatalf("record %d: %q on line %d, encoding/csv %q on line %d", n, got, rec.start, wrec, line)
				}
			}
			if n > len(data) {
				t.Fatal("more records than bytes")
			}
		}
	})
}
