package sheet

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeCSV writes header and rows of cells to name in a new folder and
// returns the path and the file's bytes.
func writeCSV(t *testing.T, name string, o ExportOptions, header []string, rows ...[]Cell) (string, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	w, err := CreateCSV(context.Background(), p, header, o)
	must(t, err)
	for _, r := range rows {
		must(t, w.WriteCells(r))
	}
	if w.Rows() != len(rows) {
		t.Errorf("Rows() = %d, want %d", w.Rows(), len(rows))
	}
	must(t, w.Close())
	b, err := os.ReadFile(p)
	must(t, err)
	return p, string(b)
}

func text(s string) Cell { return Cell{Text: s, Kind: KindString} }

func TestCSVExportLayout(t *testing.T) {
	row := []Cell{text("a;b"), {Text: "2", Kind: KindNumber, Number: 2}, text("x\ty")}
	tests := []struct {
		name string
		file string
		o    ExportOptions
		want string
	}{
		{"defaults", "a.csv", ExportOptions{}, "A,B,C\na;b,2,x\ty\n"},
		{"bom", "a.csv", ExportOptions{BOM: true}, "\xEF\xBB\xBFA,B,C\na;b,2,x\ty\n"},
		{"semicolon", "a.csv", ExportOptions{Delimiter: ';'}, "A;B;C\n\"a;b\";2;x\ty\n"},
		{"tsv by extension", "a.tsv", ExportOptions{}, "A\tB\tC\na;b\t2\t\"x\ty\"\n"},
		{"pipe and crlf", "a.txt", ExportOptions{Delimiter: '|', CRLF: true}, "A|B|C\r\na;b|2|x\ty\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, got := writeCSV(t, tt.file, tt.o, []string{"A", "B", "C"}, row)
			if got != tt.want {
				t.Errorf("file = %q, want %q", got, tt.want)
			}
			// The package's reader finds the delimiter and skips the BOM.
			res := readAll(t, p, Options{})
			if !reflect.DeepEqual(res.header, []string{"A", "B", "C"}) || len(res.rows) != 1 {
				t.Fatalf("read back header %q, %d rows, final %v", res.header, len(res.rows), res.final)
			}
			if got := res.rows[0].Texts(); !reflect.DeepEqual(got, []string{"a;b", "2", "x\ty"}) {
				t.Errorf("read back %q", got)
			}
		})
	}
}

// TestCSVNeutralization pins down what a cell becomes in CSV. A number cell
// is written as bare digits, a leading '-' included: a field that is only a
// number literal is read as a number by Excel, LibreOffice and Google Sheets
// and cannot carry a formula, so -7.25 stays a number. Text that merely looks
// like a number ("-5") cannot be told apart from "-cmd" by the writer and is
// neutralized: the mapper types what it means as a number.
func TestCSVNeutralization(t *testing.T) {
	tests := []struct {
		name  string
		cell  Cell
		want  string // the field with neutralization on
		allow string // the field with AllowFormulas
	}{
		{"negative number", Cell{Text: "-7.25", Kind: KindNumber, Number: -7.25}, "-7.25", "-7.25"},
		{"number from its value", Cell{Text: "−7,25", Kind: KindNumber, Number: -7.25}, "-7.25", "-7.25"},
		{"exponent kept as written", Cell{Text: "-1E5", Kind: KindNumber, Number: -1e5}, "-1E5", "-1E5"},
		{"digits beyond float64", Cell{Text: "-12345678901234567890", Kind: KindNumber, Number: -1.2345678901234567e19}, "-12345678901234567890", "-12345678901234567890"},
		{"number text with a formula", Cell{Text: "-2+3+cmd|' /C calc'!A0", Kind: KindNumber, Number: -2}, "-2", "-2"},
		{"NaN shows its text", Cell{Text: "=NA()", Kind: KindNumber, Number: math.NaN()}, "'=NA()", "=NA()"},
		{"minus text", text("-cmd"), "'-cmd", "-cmd"},
		{"minus digits as text", text("-5"), "'-5", "-5"},
		{"equals", text("=1+2"), "'=1+2", "=1+2"},
		{"plus phone", text("+49 30 1234567"), "'+49 30 1234567", "+49 30 1234567"},
		{"at", text("@SUM(A1)"), "'@SUM(A1)", "@SUM(A1)"},
		{"tab", text("\tcmd"), "'\tcmd", "\tcmd"},
		{"carriage return", text("\r=cmd"), "'\r=cmd", "\r=cmd"},
		{"after spaces", text("  =cmd"), "'  =cmd", "  =cmd"},
		{"error value", Cell{Text: "#N/A", Kind: KindError}, "#N/A", "#N/A"},
		{"untyped text", Cell{Text: "=x"}, "'=x", "=x"},
		{"inner equals", text("a=b"), "a=b", "a=b"},
		{"leading zeros", text("00123"), "00123", "00123"},
		{"bool", Cell{Text: "TRUE", Kind: KindBool, Number: 1}, "TRUE", "TRUE"},
		{"date", Cell{Kind: KindDate, Time: day(2024, 1, 31, 0, 0)}, "2024-01-31", "2024-01-31"},
		{"date-time", Cell{Kind: KindDateTime, Time: time.Date(2024, 1, 31, 13, 45, 30, 250e6, time.UTC)}, "2024-01-31 13:45:30.25", "2024-01-31 13:45:30.25"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, allow := range []bool{false, true} {
				want := tt.want
				if allow {
					want = tt.allow
				}
				p, _ := writeCSV(t, "n.csv", ExportOptions{AllowFormulas: allow}, []string{"V", "K"}, []Cell{tt.cell, text("k")})
				res := readAll(t, p, Options{})
				if len(res.rows) != 1 {
					t.Fatalf("read back %d rows, final %v", len(res.rows), res.final)
				}
				if got := res.rows[0].Cells[0].Text; got != want {
					t.Errorf("AllowFormulas %v: field = %q, want %q", allow, got, want)
				}
			}
		})
	}
	// Write neutralizes the header and text rows alike.
	_, got := writeCSV(t, "h.csv", ExportOptions{}, []string{"-Amount", "=x"})
	if want := "'-Amount,'=x\n"; got != want {
		t.Errorf("header written as %q, want %q", got, want)
	}
}

func TestCSVDateLayouts(t *testing.T) {
	o := ExportOptions{DateLayout: "02/01/2006", DateTimeLayout: time.RFC3339}
	_, got := writeCSV(t, "d.csv", o, []string{"D", "T"}, []Cell{
		{Kind: KindDate, Time: day(2024, 1, 31, 0, 0)},
		{Kind: KindDateTime, Time: time.Date(2024, 1, 31, 13, 45, 0, 0, time.FixedZone("CET", 3600))},
	})
	if want := "D,T\n31/01/2024,2024-01-31T13:45:00+01:00\n"; got != want {
		t.Errorf("file = %q, want %q", got, want)
	}
}

func TestCSVAppend(t *testing.T) {
	header := []string{"id", "-amount"}
	tests := []struct {
		name     string
		existing *string // nil: no file
		o        ExportOptions
		want     string
		wantErr  error
	}{
		{"missing file", nil, ExportOptions{BOM: true}, "\xEF\xBB\xBFid,'-amount\n9,-1\n", nil},
		{"empty file", ptr(""), ExportOptions{}, "id,'-amount\n9,-1\n", nil},
		{"matching header", ptr("id,'-amount\n1,2\n"), ExportOptions{}, "id,'-amount\n1,2\n9,-1\n", nil},
		{"bom kept, none added", ptr("\xEF\xBB\xBFid,'-amount\n1,2\n"), ExportOptions{}, "\xEF\xBB\xBFid,'-amount\n1,2\n9,-1\n", nil},
		{"existing without bom", ptr("id,'-amount\n1,2\n"), ExportOptions{BOM: true}, "id,'-amount\n1,2\n9,-1\n", nil},
		{"crlf followed", ptr("id,'-amount\r\n1,2\r\n"), ExportOptions{}, "id,'-amount\r\n1,2\r\n9,-1\r\n", nil},
		{"lf followed", ptr("id,'-amount\n1,2\n"), ExportOptions{CRLF: true}, "id,'-amount\n1,2\n9,-1\n", nil},
		{"no final line break", ptr("id,'-amount\n1,2"), ExportOptions{}, "id,'-amount\n1,2\n9,-1\n", nil},
		{"header only, no line break", ptr("id,'-amount"), ExportOptions{}, "id,'-amount\n9,-1\n", nil},
		{"quoted header", ptr("\"id\",\"'-amount\"\n"), ExportOptions{}, "\"id\",\"'-amount\"\n9,-1\n", nil},
		{"semicolons", ptr("id;'-amount\n1;2\n"), ExportOptions{Delimiter: ';'}, "id;'-amount\n1;2\n9;-1\n", nil},
		{"other columns", ptr("id,amount\n1,2\n"), ExportOptions{}, "", ErrHeaderMismatch},
		{"more columns", ptr("id,'-amount,owner\n1,2,3\n"), ExportOptions{}, "", ErrHeaderMismatch},
		{"other delimiter", ptr("id;'-amount\n1;2\n"), ExportOptions{}, "", ErrHeaderMismatch},
		{"utf-16", ptr("\xFF\xFEi\x00d\x00\n\x00"), ExportOptions{}, "", ErrEncoding},
		{"bad quotes", ptr("\"id,'-amount\n"), ExportOptions{}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "out.csv")
			if tt.existing != nil {
				must(t, os.WriteFile(p, []byte(*tt.existing), 0o640))
			}
			o := tt.o
			o.Append = true
			w, err := CreateCSV(context.Background(), p, header, o)
			if tt.want == "" {
				if err == nil {
					w.Abort()
					t.Fatal("CreateCSV = nil error, want an error")
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("CreateCSV = %v, want %v", err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "append "+p+": ") {
					t.Errorf("error %q does not start with the operation and the file", err)
				}
				if got, _ := os.ReadFile(p); string(got) != *tt.existing {
					t.Errorf("file after refusal = %q, want it untouched", got)
				}
				if names := dirNames(t, filepath.Dir(p)); len(names) != 1 {
					t.Errorf("folder holds %q", names)
				}
				return
			}
			must(t, err)
			must(t, w.WriteCells([]Cell{{Text: "9", Kind: KindNumber, Number: 9}, {Text: "-1", Kind: KindNumber, Number: -1}}))
			if w.Rows() != 1 {
				t.Errorf("Rows() = %d, want 1", w.Rows())
			}
			if tt.existing != nil {
				if got, _ := os.ReadFile(p); string(got) != *tt.existing {
					t.Errorf("file before Close = %q, want it untouched", got)
				}
			}
			must(t, w.Close())
			got, err := os.ReadFile(p)
			must(t, err)
			if string(got) != tt.want {
				t.Errorf("file = %q, want %q", got, tt.want)
			}
			fi, err := os.Stat(p)
			must(t, err)
			if want := map[bool]os.FileMode{true: 0o640, false: 0o600}[tt.existing != nil]; fi.Mode().Perm() != want {
				t.Errorf("mode = %v, want %v", fi.Mode().Perm(), want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestCSVAppendAbortKeepsOldFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out.csv")
	old := "a\n1\n"
	must(t, os.WriteFile(p, []byte(old), 0o600))
	w, err := CreateCSV(context.Background(), p, []string{"a"}, ExportOptions{Append: true})
	must(t, err)
	for range 10_000 {
		must(t, w.Write([]string{"2"}))
	}
	must(t, w.Abort())
	if err := w.Close(); !errors.Is(err, errClosed) {
		t.Errorf("Close after Abort = %v, want errClosed", err)
	}
	if got, _ := os.ReadFile(p); string(got) != old {
		t.Errorf("file after Abort = %q, want %q", got, old)
	}
	if names := dirNames(t, filepath.Dir(p)); len(names) != 1 {
		t.Errorf("folder holds %q", names)
	}
}

func TestCSVCancel(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out.csv")
	must(t, os.WriteFile(p, []byte("old"), 0o600))
	ctx, cancel := context.WithCancelCause(context.Background())
	w, err := CreateCSV(ctx, p, []string{"a"}, ExportOptions{})
	must(t, err)
	must(t, w.Write([]string{"1"}))
	cancel(errStop)
	waitCancelled(t, w.cancel)
	if err := w.Write([]string{"2"}); !errors.Is(err, errStop) {
		t.Errorf("Write after cancel = %v, want %v", err, errStop)
	}
	if names := dirNames(t, filepath.Dir(p)); len(names) != 1 {
		t.Errorf("folder holds %q after the cancelled write", names)
	}
	if err := w.Close(); !errors.Is(err, errStop) {
		t.Errorf("Close after cancel = %v, want %v", err, errStop)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Errorf("file after cancel = %q, want the old content", got)
	}
}

func TestCSVKeepsMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out.csv")
	must(t, os.WriteFile(p, []byte("old"), 0o644))
	w, err := CreateCSV(context.Background(), p, []string{"a"}, ExportOptions{})
	must(t, err)
	must(t, w.Close())
	fi, err := os.Stat(p)
	must(t, err)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode after replace = %v, want 0644", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(p); string(b) != "a\n" {
		t.Errorf("file = %q", b)
	}
}
