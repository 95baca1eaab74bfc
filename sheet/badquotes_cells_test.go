package sheet

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// TestCSVBadQuotesCells checks that a row rejected for bad quotes carries the
// best reading of its first line, so that it can be fixed in a reject report,
// and that the rows after it read as before.
func TestCSVBadQuotesCells(t *testing.T) {
	utf16le := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	tests := []struct {
		name     string
		data     func(t *testing.T) []byte
		opts     Options
		wantNums []int      // rows read without error
		wantRows [][]string // their texts
		errNums  []int      // rows with a bad-quotes error
		errRows  [][]string // their texts
		errMsgs  []string   // a part of each error's message
	}{
		{
			name:     "bare quote",
			data:     raw("Title,Amount,Note\nGood,1,ok\nBad \"quote,2,x\nAlso good,3,y\n"),
			wantNums: []int{2, 4},
			wantRows: [][]string{{"Good", "1", "ok"}, {"Also good", "3", "y"}},
			errNums:  []int{3},
			errRows:  [][]string{{"Bad \"quote", "2", "x"}},
			errMsgs:  []string{`bare " in non-quoted-field at line 3`},
		},
		{
			name:     "bare quote after good fields, crlf",
			data:     raw("a,b,c\r\n1,x\"y,z\r\n2,3,4\r\n"),
			wantNums: []int{3},
			wantRows: [][]string{{"2", "3", "4"}},
			errNums:  []int{2},
			errRows:  [][]string{{"1", "x\"y", "z"}},
		},
		{
			name:     "extraneous quote in quoted field",
			data:     raw("a,b,c\n1,\"x\"y,z\n2,3,4\n"),
			wantNums: []int{3},
			wantRows: [][]string{{"2", "3", "4"}},
			errNums:  []int{2},
			errRows:  [][]string{{"1", "x\"y,z", ""}}, // lazy quotes: the field runs on
		},
		{
			name:     "unclosed quote",
			data:     raw("Title,Amount,Note\nGood,1,ok\n\nBad,\"open,5\nAfter,6,z\n\nMore,7,\nLast,8,w"),
			wantNums: []int{2, 5, 7, 8},
			wantRows: [][]string{{"Good", "1", "ok"}, {"After", "6", "z"}, {"More", "7", ""}, {"Last", "8", "w"}},
			errNums:  []int{4},
			errRows:  [][]string{{"Bad", "open,5", ""}},
			errMsgs:  []string{"row 4 column \"Amount\": bad quotes: quote opened on line 4 is never closed"},
		},
		{
			name:     "quote closed on a later line, then an unclosed one",
			data:     raw("a,b\n\"one,1\nx\"y,2\n\"two,3\nok,4\n"),
			wantNums: []int{4}, // rows as a spreadsheet shows them: the record of lines 2-3 is row 2
			wantRows: [][]string{{"ok", "4"}},
			errNums:  []int{2, 3},
			errRows:  [][]string{{"one,1", ""}, {"two,3", ""}},
			errMsgs:  []string{"extraneous or missing \" in quoted-field at line 3", "quote opened on line 4 is never closed"},
		},
		{
			name:     "bare quote right after a recovery",
			data:     raw("a,b\n\"one,1\nbare\"\"q,2\nok,3\n"),
			wantNums: []int{4},
			wantRows: [][]string{{"ok", "3"}},
			errNums:  []int{2, 3},
			errRows:  [][]string{{"one,1", ""}, {"bare\"\"q", "2"}},
			errMsgs:  []string{"quote opened on line 2 is never closed", "row 3 column \"a\": bad quotes: bare \" in non-quoted-field at line 3"},
		},
		{
			name: "utf-16le with bom",
			data: func(t *testing.T) []byte {
				return append([]byte{0xFF, 0xFE}, encode(t, utf16le, "Name;City\nJosé;Köln\nZoë \"Z\";Zürich\n\"Müller;Wien\nÅsa;Malmö\n")...)
			},
			wantNums: []int{2, 5},
			wantRows: [][]string{{"José", "Köln"}, {"Åsa", "Malmö"}},
			errNums:  []int{3, 4},
			errRows:  [][]string{{"Zoë \"Z\"", "Zürich"}, {"Müller;Wien", ""}},
		},
		{
			name: "windows-1252",
			data: func(t *testing.T) []byte {
				return encode(t, charmap.Windows1252, "Name,City\nJosé,Köln\nZoë \"Z\",Zürich – €\nÅsa,Malmö\n")
			},
			opts:     Options{Encoding: "windows-1252"},
			wantNums: []int{2, 4},
			wantRows: [][]string{{"José", "Köln"}, {"Åsa", "Malmö"}},
			errNums:  []int{3},
			errRows:  [][]string{{"Zoë \"Z\"", "Zürich – €"}},
		},
		{
			name:     "a bad line keeps its fields cut to the cell limit",
			data:     raw("a,b\n1,x\"" + strings.Repeat("é", 64) + "\n2,3\n"),
			opts:     Options{MaxCellBytes: 16},
			wantNums: []int{3},
			wantRows: [][]string{{"2", "3"}},
			errNums:  []int{2},
			errRows:  [][]string{{"1", "x\"" + strings.Repeat("é", 7)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "in.csv", tt.data(t))
			res := readAll(t, p, tt.opts)
			if res.final != io.EOF {
				t.Fatalf("final error %v, want io.EOF", res.final)
			}
			if got := res.nums(); !reflect.DeepEqual(got, tt.wantNums) {
				t.Errorf("row numbers = %v, want %v", got, tt.wantNums)
			}
			if got := texts(res.rows); !reflect.DeepEqual(got, tt.wantRows) {
				t.Errorf("rows = %q, want %q", got, tt.wantRows)
			}
			if len(res.rowErrs) != len(tt.errNums) {
				t.Fatalf("row errors = %v, want rows %v", res.rowErrs, tt.errNums)
			}
			for i, re := range res.rowErrs {
				if !errors.Is(re, ErrBadQuotes) || re.Row != tt.errNums[i] || res.errRows[i].Num != tt.errNums[i] {
					t.Errorf("row error %d = %v (row Num %d), want bad quotes at row %d", i, re, res.errRows[i].Num, tt.errNums[i])
				}
				if i < len(tt.errMsgs) && !strings.Contains(re.Error(), tt.errMsgs[i]) {
					t.Errorf("row error %d = %q, want it to contain %q", i, re, tt.errMsgs[i])
				}
			}
			if got := texts(res.errRows); !reflect.DeepEqual(got, tt.errRows) {
				t.Errorf("rejected rows = %q, want %q", got, tt.errRows)
			}
			for _, row := range res.errRows {
				for _, c := range row.Cells {
					if (c.Text != "") != (c.Kind == KindString) {
						t.Errorf("row %d cell %+v: kind does not match text", row.Num, c)
					}
				}
			}
			n, err := CountRows(p, tt.opts)
			if want := len(tt.wantNums) + len(tt.errNums); err != nil || n != want {
				t.Errorf("CountRows = %d, %v, want %d", n, err, want)
			}
		})
	}
}

func raw(s string) func(t *testing.T) []byte {
	return func(t *testing.T) []byte { return []byte(s) }
}
