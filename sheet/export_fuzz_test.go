package sheet

import (
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzCSVExport writes a text cell through CreateCSV and reads it back with
// encoding/csv and with the package's reader: the field comes back as
// written (neutralized unless formulas are allowed), and a neutralized field
// never starts like a formula.
func FuzzCSVExport(f *testing.F) {
	for _, s := range []string{"plain", "=1+2", " -x", "+49 30 1", "@a", "\t", "\r\n=x", "a,b;c|d\te", `"q"`, "'=x", "\xff\xfe", "é\x00", ""} {
		f.Add(s, uint8(0), false)
	}
	delims := []rune{',', ';', '\t', '|'}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, s string, d uint8, allow bool) {
		comma := delims[int(d)%len(delims)]
		p := filepath.Join(dir, "fuzz.csv")
		w, err := CreateCSV(context.Background(), p, []string{"A", "B"}, ExportOptions{Delimiter: comma, AllowFormulas: allow, BOM: d%2 == 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteCells([]Cell{{Text: s, Kind: KindString}, {Text: "end", Kind: KindString}}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		want := s
		if !allow {
			want = EscapeFormula(s)
			if want != "'"+s && startsLikeFormula(want) {
				t.Fatalf("neutralized text %q starts like a formula", want)
			}
		}
		// encoding/csv reads a CR LF inside a quoted field as LF.
		want = strings.ReplaceAll(want, "\r\n", "\n")

		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		var r io.Reader = fh
		if d%2 == 1 {
			bom := make([]byte, 3)
			if _, err := io.ReadFull(fh, bom); err != nil || string(bom) != utf8BOM {
				t.Fatalf("file starts with %q, want the BOM", bom)
			}
		}
		cr := csv.NewReader(r)
		cr.Comma = comma
		recs, err := cr.ReadAll()
		if err != nil {
			t.Fatalf("encoding/csv: %v", err)
		}
		if len(recs) != 2 || len(recs[1]) != 2 || recs[1][0] != want || recs[1][1] != "end" {
			t.Fatalf("encoding/csv read %q, want [[A B] [%q end]]", recs, want)
		}

		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return // the package's reader reports these as row errors
		}
		res := readAll(t, p, Options{Delimiter: comma})
		if res.final != io.EOF || len(res.rows) != 1 {
			t.Fatalf("sheet reader: %d rows, row errors %v, final %v", len(res.rows), res.rowErrs, res.final)
		}
		if got := res.rows[0].Cells[0].Text; got != want {
			t.Fatalf("sheet reader read %q, want %q", got, want)
		}
	})
}

// startsLikeFormula reports whether a spreadsheet program could read s as a
// formula: its first character other than white space, a control or an
// invisible format character is a sign (ASCII or full-width), or its leading
// run holds a TAB or CR.
func startsLikeFormula(s string) bool {
	rest := strings.TrimLeftFunc(s, func(r rune) bool {
		return r != '\t' && r != '\r' && (unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r))
	})
	return rest != "" && strings.ContainsRune("=+-@\t\r＝＋－＠", []rune(rest)[0])
}
