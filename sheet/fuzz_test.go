package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
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
		cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))))
		cr.FieldsPerRecord = -1
		n := 0
		for {
			_, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
			n++
		}
		if got := len(res.rows) + len(res.rowErrs); got != n-1 {
			t.Errorf("rows %d + row errors %d = %d, want %d records after the header", len(res.rows), len(res.rowErrs), got, n-1)
		}
	})
}
