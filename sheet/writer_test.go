package sheet

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestEscapeFormula(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=1+2", "'=1+2"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"  =cmd|' /C calc'!A0", "'  =cmd|' /C calc'!A0"},
		{"plain", "plain"},
		{"a=b", "a=b"},
		{"", ""},
		{"   ", "   "},
		{"0012", "0012"},
		// Full-width signs, and what a reader does not see before a sign.
		{"＝HYPERLINK(\"http://x/\")", "'＝HYPERLINK(\"http://x/\")"},
		{"＋1", "'＋1"},
		{"－1", "'－1"},
		{"＠SUM(A1)", "'＠SUM(A1)"},
		{"\n=1+1", "'\n=1+1"},
		{"\u3000=cmd|' /C calc'!A0", "'\u3000=cmd|' /C calc'!A0"},
		{"\u2003=1", "'\u2003=1"},
		{"\ufeff=1", "'\ufeff=1"},
		{"\u200b@x", "'\u200b@x"},
		{"\v=1", "'\v=1"},
		{"\f-1", "'\f-1"},
		{" \tx", "' \tx"},
		{"\u3000text", "\u3000text"},
		{"text＝", "text＝"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := EscapeFormula(tt.in); got != tt.want {
				t.Errorf("EscapeFormula(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

var writerRows = struct {
	header []string
	text   []string
	cells  []Cell
}{
	header: []string{"A", "B", "C", "D", "E"},
	text:   []string{"=1+2", " @SUM(A1)", "-5", "0012", "ok"},
	cells: []Cell{
		{Text: "-7.25", Kind: KindNumber, Number: -7.25},
		{Text: "2024-01-31", Kind: KindDate, Time: day(2024, 1, 31, 0, 0)},
		{Text: "2024-01-31 13:45:00", Kind: KindDateTime, Time: day(2024, 1, 31, 13, 45)},
		{Text: "TRUE", Kind: KindBool, Number: 1},
		{Text: "=HYPERLINK(\"http://x\")", Kind: KindString},
	},
}

func TestWriterRoundTrip(t *testing.T) {
	wantText := [][]string{
		{"'=1+2", "' @SUM(A1)", "'-5", "0012", "ok"},
		{"-7.25", "2024-01-31", "2024-01-31 13:45:00", "TRUE", "'=HYPERLINK(\"http://x\")"},
	}
	tests := []struct {
		ext       string
		wantKinds []Kind
	}{
		{".csv", []Kind{KindString, KindString, KindString, KindString, KindString}},
		{".tsv", []Kind{KindString, KindString, KindString, KindString, KindString}},
		{".xlsx", []Kind{KindNumber, KindDate, KindDateTime, KindBool, KindString}},
	}
	for _, tt := range tests {
		t.Run(tt.ext, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "out"+tt.ext)
			w, err := Create(p, writerRows.header)
			must(t, err)
			must(t, w.Write(writerRows.text))
			must(t, w.WriteCells(writerRows.cells))
			if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Stat before Close = %v, want not exist (atomic write)", err)
			}
			must(t, w.Close())
			must(t, w.Close())
			if err := w.Write([]string{"late"}); err == nil {
				t.Errorf("Write after Close = nil, want error")
			}
			res := readAll(t, p, Options{})
			if res.final != io.EOF || len(res.rowErrs) > 0 {
				t.Fatalf("read back: final %v, row errors %v", res.final, res.rowErrs)
			}
			if !reflect.DeepEqual(res.header, writerRows.header) {
				t.Errorf("Header() = %q", res.header)
			}
			if got := texts(res.rows); !reflect.DeepEqual(got, wantText) {
				t.Errorf("rows = %q, want %q", got, wantText)
			}
			for i, c := range res.rows[1].Cells {
				if c.Kind != tt.wantKinds[i] {
					t.Errorf("typed cell %d kind = %v, want %v", i, c.Kind, tt.wantKinds[i])
				}
			}
			if tt.ext == ".xlsx" {
				if got := res.rows[1].Cells[1].Time; !got.Equal(day(2024, 1, 31, 0, 0)) {
					t.Errorf("date read back = %v", got)
				}
				f, err := excelize.OpenFile(p)
				must(t, err)
				defer f.Close()
				for _, ref := range []string{"A2", "B2", "E3"} {
					if fm, err := f.GetCellFormula("Sheet1", ref); err != nil || fm != "" {
						t.Errorf("GetCellFormula(%s) = %q, %v, want no formula", ref, fm, err)
					}
				}
			}
			entries, err := os.ReadDir(filepath.Dir(p))
			must(t, err)
			if len(entries) != 1 {
				t.Errorf("directory holds %d entries after Close, want only the output", len(entries))
			}
		})
	}
}

func TestWriterAbortKeepsOldFile(t *testing.T) {
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run(ext, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "out"+ext)
			must(t, os.WriteFile(p, []byte("old"), 0o600))
			w, err := Create(p, []string{"a"})
			must(t, err)
			must(t, w.Write([]string{"new"}))
			must(t, w.Abort())
			got, err := os.ReadFile(p)
			if err != nil || string(got) != "old" {
				t.Errorf("file after Abort = %q, %v, want the old content", got, err)
			}
			entries, err := os.ReadDir(filepath.Dir(p))
			must(t, err)
			if len(entries) != 1 {
				t.Errorf("directory holds %d entries after Abort, want 1", len(entries))
			}
		})
	}
}

func TestCreateErrors(t *testing.T) {
	tests := []struct{ name, path string }{
		{"unsupported extension", filepath.Join(t.TempDir(), "out.json")},
		{"missing directory", filepath.Join(t.TempDir(), "no", "such", "dir", "out.csv")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if w, err := Create(tt.path, []string{"a"}); err == nil {
				w.Abort()
				t.Errorf("Create(%s) = nil error, want an error", tt.path)
			}
		})
	}
}
