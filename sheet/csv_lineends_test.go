package sheet

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// TestCSVBareCRLineEndings: a CSV saved by old Excel for Mac ("CSV (Macintosh)") ends its
// lines with a bare \r. Excel and LibreOffice read each as a line of its own, so pdbulk
// does too: the rows, their numbers, the header and the line numbers of errors are those
// of the same file with \n line endings. \r\n stays one line ending; a \r inside quotes
// stays in the cell.
func TestCSVBareCRLineEndings(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		o        Options
		wantHead []string
		wantNums []int
		wantRows [][]string
	}{
		{
			name:     "CSV (Macintosh)",
			data:     "Title,Email\rA,a@x.example\rB,b@x.example\r",
			wantHead: []string{"Title", "Email"},
			wantNums: []int{2, 3},
			wantRows: [][]string{{"A", "a@x.example"}, {"B", "b@x.example"}},
		},
		{
			name:     "no line ending at the end",
			data:     "Title,Email\rA,a@x.example\rB,b@x.example",
			wantHead: []string{"Title", "Email"},
			wantNums: []int{2, 3},
			wantRows: [][]string{{"A", "a@x.example"}, {"B", "b@x.example"}},
		},
		{
			name:     "blank lines are rows",
			data:     "Title,Email\r\rA,a@x.example\r\r\rB,b@x.example\r",
			wantHead: []string{"Title", "Email"},
			wantNums: []int{3, 6},
			wantRows: [][]string{{"A", "a@x.example"}, {"B", "b@x.example"}},
		},
		{
			name:     "quoted last field",
			data:     "Title,Email\r\"A\",\"a@x.example\"\r\"B\",\"b@x.example\"\r",
			wantHead: []string{"Title", "Email"},
			wantNums: []int{2, 3},
			wantRows: [][]string{{"A", "a@x.example"}, {"B", "b@x.example"}},
		},
		{
			name:     "crlf is one line ending",
			data:     "Title,Email\r\nA,a@x.example\r\n\r\nB,b@x.example\r\n",
			wantHead: []string{"Title", "Email"},
			wantNums: []int{2, 4},
			wantRows: [][]string{{"A", "a@x.example"}, {"B", "b@x.example"}},
		},
		{
			name:     "mixed endings",
			data:     "Title,Email\r\nA,a@x.example\rB,b@x.example\n",
			wantHead: []string{"Title", "Email"},
			wantNums: []int{2, 3},
			wantRows: [][]string{{"A", "a@x.example"}, {"B", "b@x.example"}},
		},
		{
			name:     "cr inside quotes is data",
			data:     "Title,Notes\r\"A\",\"one\rtwo\"\rB,x\r",
			wantHead: []string{"Title", "Notes"},
			wantNums: []int{2, 3},
			wantRows: [][]string{{"A", "one\rtwo"}, {"B", "x"}},
		},
		{
			name:     "header on row 3",
			data:     "Leads export\r\rTitle;Email\rA;a@x.example\r",
			o:        Options{HeaderRow: 3},
			wantHead: []string{"Title", "Email"},
			wantNums: []int{4},
			wantRows: [][]string{{"A", "a@x.example"}},
		},
		{
			name:     "windows-1252 detected",
			data:     "Title,City\rJos\xe9,K\xf6ln\r",
			wantHead: []string{"Title", "City"},
			wantNums: []int{2},
			wantRows: [][]string{{"José", "Köln"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "mac.csv", []byte(tt.data))
			res := readAll(t, p, tt.o)
			if res.final != io.EOF || len(res.rowErrs) > 0 {
				t.Fatalf("read %q: final %v, row errors %v", tt.data, res.final, res.rowErrs)
			}
			if !reflect.DeepEqual(res.header, tt.wantHead) {
				t.Errorf("Header() = %q, want %q", res.header, tt.wantHead)
			}
			if got := res.nums(); !reflect.DeepEqual(got, tt.wantNums) {
				t.Errorf("row numbers = %v, want %v", got, tt.wantNums)
			}
			if got := texts(res.rows); !reflect.DeepEqual(got, tt.wantRows) {
				t.Errorf("rows = %q, want %q", got, tt.wantRows)
			}
			if n, err := CountRows(p, tt.o); err != nil || n != len(tt.wantRows) {
				t.Errorf("CountRows = %d, %v, want %d", n, err, len(tt.wantRows))
			}
		})
	}
}

// TestCSVBareCRPeek: pdbulk init finds the header with Peek; in a CSV (Macintosh) file it
// sees the header as the first of three rows, not one row holding the whole file.
func TestCSVBareCRPeek(t *testing.T) {
	p := writeFile(t, "mac.csv", []byte("Title;Email\rA;a@x.example\rB;b@x.example\r"))
	pk, err := Peek(context.Background(), p, Options{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if pk.Delimiter != ';' {
		t.Errorf("Peek delimiter = %q, want ';'", pk.Delimiter)
	}
	want := [][]string{{"Title", "Email"}, {"A", "a@x.example"}, {"B", "b@x.example"}}
	if got := texts(pk.Rows); !reflect.DeepEqual(got, want) {
		t.Errorf("Peek rows = %q, want %q", got, want)
	}
	var nums []int
	for _, r := range pk.Rows {
		nums = append(nums, r.Num)
	}
	if !reflect.DeepEqual(nums, []int{1, 2, 3}) {
		t.Errorf("Peek row numbers = %v, want [1 2 3]", nums)
	}
}

// TestCSVBareCRErrors: errors in a CSV (Macintosh) file name the row and line a
// spreadsheet program and a text editor show, and a quote left open swallows no row.
func TestCSVBareCRErrors(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		o        Options
		wantNums []int // rows read
		errRow   int
		errIs    error
		errText  string
	}{
		{
			name:     "bare quote",
			data:     "Title,Email\rA,a@x.example\rB,b\"x\rC,c@x.example\r",
			wantNums: []int{2, 4},
			errRow:   3, errIs: ErrBadQuotes, errText: "at line 3",
		},
		{
			name:     "quote never closed",
			data:     "Title,Email\rA,\"a@x.example\rB,b@x.example\rC,c@x.example\r",
			wantNums: []int{3, 4},
			errRow:   2, errIs: ErrBadQuotes, errText: "quote opened on line 2 is never closed",
		},
		{
			// What the open quote swallowed is over the row limit: the file is read again
			// from the line after the quote's, counting bare \r as line endings.
			name:     "quote never closed, file read again",
			data:     "Title,Email\rA,\"a@x.example\r" + strings.Repeat("B,b@x.example\r", 20),
			o:        Options{MaxRowBytes: 64},
			wantNums: seq(3, 22),
			errRow:   2, errIs: ErrBadQuotes, errText: "quote opened on line 2 is never closed",
		},
		{
			name:     "too few fields",
			data:     "Title,Email\rA,a@x.example\rB\rC,c@x.example\r",
			wantNums: []int{2, 4},
			errRow:   3, errIs: ErrTooFewFields, errText: `"Email" missing`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "mac.csv", []byte(tt.data))
			res := readAll(t, p, tt.o)
			if res.final != io.EOF {
				t.Fatalf("final error %v, want io.EOF", res.final)
			}
			if got := res.nums(); !reflect.DeepEqual(got, tt.wantNums) {
				t.Errorf("rows read = %v, want %v", got, tt.wantNums)
			}
			if len(res.rowErrs) != 1 {
				t.Fatalf("row errors = %v, want one on row %d", res.rowErrs, tt.errRow)
			}
			re := res.rowErrs[0]
			if re.Row != tt.errRow || re.Path != p || !errors.Is(re, tt.errIs) || !strings.Contains(re.Error(), tt.errText) {
				t.Errorf("row error = %q (row %d), want row %d, %v, %q", re, re.Row, tt.errRow, tt.errIs, tt.errText)
			}
		})
	}
}

// TestCSVBareCRNotUTF8Line: the notice of a windows-1252 file names the line a text editor
// shows, bare \r counted as a line ending.
func TestCSVBareCRNotUTF8Line(t *testing.T) {
	p := writeFile(t, "mac.csv", []byte("Title,City\rA,x\r\nB,y\rJos\xe9,K\xf6ln\r"))
	r, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n := Notice(r); !strings.Contains(n, "line 4 has the byte 0xE9") {
		t.Errorf("Notice = %q, want it to name line 4 and byte 0xE9", n)
	}
}
