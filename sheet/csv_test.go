package sheet

import (
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

func encode(t *testing.T, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCSVEncodings(t *testing.T) {
	const text = "Name,City\nJosé,Köln\n\"Zoë, Ltd\",Zürich\n"
	utf16le := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	utf16be := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	tests := []struct {
		name string
		data func(t *testing.T) []byte
		enc  string
	}{
		{"utf-8", func(t *testing.T) []byte { return []byte(text) }, ""},
		{"utf-8 bom", func(t *testing.T) []byte { return append([]byte("\xEF\xBB\xBF"), text...) }, ""},
		{"utf-8 bom explicit", func(t *testing.T) []byte { return append([]byte("\xEF\xBB\xBF"), text...) }, "utf-8"},
		{"utf-16le bom", func(t *testing.T) []byte { return append([]byte{0xFF, 0xFE}, encode(t, utf16le, text)...) }, ""},
		{"utf-16be bom", func(t *testing.T) []byte { return append([]byte{0xFE, 0xFF}, encode(t, utf16be, text)...) }, ""},
		{"utf-16le no bom detected", func(t *testing.T) []byte { return encode(t, utf16le, text) }, ""},
		{"utf-16le explicit", func(t *testing.T) []byte { return encode(t, utf16le, text) }, "utf-16le"},
		{"utf-16be explicit", func(t *testing.T) []byte { return encode(t, utf16be, text) }, "UTF-16BE"},
		{"utf-16 with bom", func(t *testing.T) []byte { return append([]byte{0xFE, 0xFF}, encode(t, utf16be, text)...) }, "utf-16"},
		{"utf-16 no bom", func(t *testing.T) []byte { return encode(t, utf16le, text) }, "utf-16"},
		{"windows-1252", func(t *testing.T) []byte { return encode(t, charmap.Windows1252, text) }, "windows-1252"},
		{"cp1252 alias", func(t *testing.T) []byte { return encode(t, charmap.Windows1252, text) }, "CP1252"},
		{"iso-8859-1", func(t *testing.T) []byte { return encode(t, charmap.ISO8859_1, text) }, "latin1"},
		{"iso-8859-15", func(t *testing.T) []byte { return encode(t, charmap.ISO8859_15, text) }, "iso-8859-15"},
		{"latin9 alias", func(t *testing.T) []byte { return encode(t, charmap.ISO8859_15, text) }, "latin_9"},
		{"macintosh", func(t *testing.T) []byte { return encode(t, charmap.Macintosh, text) }, "macintosh"},
		{"mac-roman alias", func(t *testing.T) []byte { return encode(t, charmap.Macintosh, text) }, "Mac-Roman"},
	}
	want := [][]string{{"José", "Köln"}, {"Zoë, Ltd", "Zürich"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "in.csv", tt.data(t))
			res := readAll(t, p, Options{Encoding: tt.enc})
			if res.final != io.EOF {
				t.Fatalf("read %s: final error %v, want io.EOF", tt.name, res.final)
			}
			if !reflect.DeepEqual(res.header, []string{"Name", "City"}) {
				t.Errorf("Header() = %q, want [Name City]", res.header)
			}
			if got := texts(res.rows); !reflect.DeepEqual(got, want) {
				t.Errorf("rows = %q, want %q", got, want)
			}
			if got := res.nums(); !reflect.DeepEqual(got, []int{2, 3}) {
				t.Errorf("row numbers = %v, want [2 3]", got)
			}
		})
	}
}

func TestCSVEncodingErrors(t *testing.T) {
	cp1252 := []byte("Stra\xdfe,City\nJos\xe9,K\xf6ln\n")
	utf16le := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	utf16be := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	tests := []struct {
		name   string
		data   []byte
		enc    string
		want   error
		advice bool // the message suggests encoding: windows-1252
	}{
		{"windows-1252 header read as utf-8", cp1252, "utf-8", ErrEncoding, true},
		{"unknown encoding", []byte("a\n1\n"), "ebcdic", ErrEncoding, false},
		{"unsupported charset", []byte("a\n1\n"), "iso-8859-2", ErrEncoding, false},
		{"utf-16 bom read as utf-8", append([]byte{0xFF, 0xFE}, encode(t, utf16le, "a\n1\n")...), "utf-8", ErrEncoding, false},
		{"utf-16 bom read as windows-1252", append([]byte{0xFE, 0xFF}, encode(t, utf16be, "a\n1\n")...), "cp1252", ErrEncoding, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(writeFile(t, "in.csv", tt.data), Options{Encoding: tt.enc})
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, tt.want) {
				t.Fatalf("Open = %v, want *FileError wrapping %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), "in.csv") {
				t.Errorf("error %q does not name the file", err)
			}
			if got := strings.Contains(err.Error(), "encoding: windows-1252"); got != tt.advice {
				t.Errorf("error %q suggests windows-1252: %v, want %v", err, got, tt.advice)
			}
		})
	}
}

// TestCSVWindows1252Detected: without an encoding or a BOM, a file that is not UTF-8 is
// found so before any row is read, read as windows-1252, and the reader says so.
func TestCSVWindows1252Detected(t *testing.T) {
	p := writeFile(t, "in.csv", []byte("Name,City\nAnn,Bonn\nJos\xe9,K\xf6ln\n"))
	in, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if n := Notice(in); !strings.Contains(n, "in.csv is not UTF-8 (line 3") || !strings.Contains(n, "read as windows-1252") {
		t.Errorf("Notice = %q, want it to say line 3 is not UTF-8 and the file is read as windows-1252", n)
	}
	res := readAll(t, p, Options{})
	if got, want := texts(res.rows), [][]string{{"Ann", "Bonn"}, {"José", "Köln"}}; !reflect.DeepEqual(got, want) || len(res.rowErrs) > 0 {
		t.Errorf("rows %q, errors %v; want %q", got, res.rowErrs, want)
	}
}

// TestCSVMixedEncodingRefused: a file of valid UTF-8 text with a stray byte that is not
// is refused at open, naming the line, before any row is sent.
func TestCSVMixedEncodingRefused(t *testing.T) {
	_, err := Open(writeFile(t, "in.csv", []byte("Name,City\nJosé,Köln\nZoë,Zürich\nBad\xff,x\n")), Options{})
	var fe *FileError
	if !errors.As(err, &fe) || !errors.Is(err, ErrEncoding) || fe.Line != 4 || !strings.Contains(err.Error(), "line 4 is not valid utf-8") {
		t.Fatalf("Open = %v, want a FileError at line 4 wrapping ErrEncoding", err)
	}
}

// TestCSVInvalidUTF8Field: with encoding utf-8, a field that is not UTF-8 rejects its row
// with advice, the rows around it read, and the row's cells are valid UTF-8 for a report.
func TestCSVInvalidUTF8Field(t *testing.T) {
	res := readAll(t, writeFile(t, "in.csv", []byte("Name,City\nJos\xe9,K\xf6ln\nAnn,Bonn\n")), Options{Encoding: "utf-8"})
	if res.final != io.EOF || len(res.rowErrs) != 1 || len(res.rows) != 1 {
		t.Fatalf("final %v, rows %q, row errors %v; want one row, one row error", res.final, texts(res.rows), res.rowErrs)
	}
	if e := res.rowErrs[0]; e.Row != 2 || !errors.Is(e, ErrInvalidUTF8) || !strings.Contains(e.Error(), "encoding: windows-1252") {
		t.Errorf("row error %v, want row 2 ErrInvalidUTF8 suggesting encoding: windows-1252", e)
	}
	if got := res.errRows[0].Texts(); !reflect.DeepEqual(got, []string{"José", "Köln"}) {
		t.Errorf("cells of the refused row = %q, want valid UTF-8 %q", got, []string{"José", "Köln"})
	}
}

// TestEncodingNames checks that every name EncodingName accepts opens a file and that
// the canonical names are exactly Encodings.
func TestEncodingNames(t *testing.T) {
	canon := map[string]bool{}
	for _, n := range EncodingAliases() {
		c, ok := EncodingName(n)
		if !ok || !slices.Contains(Encodings, c) {
			t.Errorf("EncodingName(%q) = %q, %v; want one of %q", n, c, ok, Encodings)
		}
		canon[c] = true
		for _, spelling := range []string{n, strings.ToUpper(n), " " + strings.ReplaceAll(n, "-", "_") + " "} {
			r, err := Open(writeFile(t, "in.csv", []byte("a,b\n1,2\n")), Options{Encoding: spelling})
			if err != nil {
				t.Errorf("Open with encoding %q: %v", spelling, err)
				continue
			}
			r.Close()
		}
	}
	for _, e := range Encodings {
		if c, ok := EncodingName(e); !ok || c != e {
			t.Errorf("EncodingName(%q) = %q, %v; want itself", e, c, ok)
		}
	}
	if len(canon) != len(Encodings) {
		t.Errorf("aliases cover %d canonical names, Encodings has %d", len(canon), len(Encodings))
	}
	for _, n := range []string{"", "ebcdic", "utf-32", "iso-8859-2"} {
		if c, ok := EncodingName(n); ok {
			t.Errorf("EncodingName(%q) = %q, want not ok", n, c)
		}
	}
	_, err := Open(writeFile(t, "in.csv", []byte("a\n")), Options{Encoding: "ebcdic"})
	if err == nil || !strings.Contains(err.Error(), strings.Join(Encodings, ", ")) {
		t.Errorf("Open(ebcdic) = %v, want the list of encodings", err)
	}
}

func TestCSVDelimiters(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		delim rune
		want  [][]string
	}{
		{"comma", "a,b,c\n1,2,3\n", 0, [][]string{{"1", "2", "3"}}},
		{"semicolon", "a;b;c\n1,5;2;3\n", 0, [][]string{{"1,5", "2", "3"}}},
		{"tab", "a\tb\tc\n1\t2\t3\n", 0, [][]string{{"1", "2", "3"}}},
		{"pipe", "a|b|c\n1|2|3\n", 0, [][]string{{"1", "2", "3"}}},
		{"quoted commas do not count", "\"a,x\";\"b,y\";c\n1;2;3\n", 0, [][]string{{"1", "2", "3"}}},
		{"explicit", "a;b,c\n1;2,3\n", ',', [][]string{{"1;2", "3"}}},
		{"single column", "name\nx\n", 0, [][]string{{"x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := readAll(t, writeFile(t, "in.csv", []byte(tt.data)), Options{Delimiter: tt.delim})
			if res.final != io.EOF || len(res.rowErrs) > 0 {
				t.Fatalf("read: final %v, row errors %v", res.final, res.rowErrs)
			}
			if got := texts(res.rows); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rows = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCSVRowNumbers(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		header   int
		wantHead []string
		wantNums []int
		wantRows [][]string
	}{
		{
			name:     "multi-line quoted field",
			data:     "id,note\n1,\"line one\nline two\"\n2,plain\n\n3,\"a\r\nb\"\n",
			wantHead: []string{"id", "note"},
			wantNums: []int{2, 3, 5}, // records, and the blank line, as a spreadsheet shows them
			wantRows: [][]string{{"1", "line one\nline two"}, {"2", "plain"}, {"3", "a\nb"}},
		},
		{
			name:     "header on row 3 and blank lines",
			data:     "Report of leads\nexported 2024-01-01\nTitle, Amount \nA,1\n\nB,2\n",
			header:   3,
			wantHead: []string{"Title", "Amount"},
			wantNums: []int{4, 6},
			wantRows: [][]string{{"A", "1"}, {"B", "2"}},
		},
		{
			name:     "leading zeros and crlf",
			data:     "zip,code\r\n00123,0012\r\n",
			wantHead: []string{"zip", "code"},
			wantNums: []int{2},
			wantRows: [][]string{{"00123", "0012"}},
		},
		{
			name:     "trailing empty header names dropped",
			data:     "a,b,,\n1,2,,\n",
			wantHead: []string{"a", "b"},
			wantNums: []int{2},
			wantRows: [][]string{{"1", "2"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "in.csv", []byte(tt.data))
			res := readAll(t, p, Options{HeaderRow: tt.header})
			if res.final != io.EOF || len(res.rowErrs) > 0 {
				t.Fatalf("read: final %v, row errors %v", res.final, res.rowErrs)
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
			n, err := CountRows(p, Options{HeaderRow: tt.header})
			if err != nil || n != len(tt.wantRows) {
				t.Errorf("CountRows = %d, %v, want %d", n, err, len(tt.wantRows))
			}
		})
	}
}

func TestCSVCellKinds(t *testing.T) {
	res := readAll(t, writeFile(t, "in.csv", []byte("a,b\n0012,\n")), Options{})
	if len(res.rows) != 1 {
		t.Fatalf("rows = %d, want 1 (final %v)", len(res.rows), res.final)
	}
	got := res.rows[0].Cells
	want := []Cell{{Text: "0012", Kind: KindString}, {}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cells = %+v, want %+v", got, want)
	}
}

// TestCSVRowsAsASpreadsheetShowsThem: cells with line breaks (as Excel and LibreOffice
// write them) make one row each, so that every row number, of a row or of a row error,
// is the one the spreadsheet program shows; all-empty records (",,," as both programs
// write an empty row) are skipped and counted, never returned or refused.
func TestCSVRowsAsASpreadsheetShowsThem(t *testing.T) {
	data := "Title,Notes,Amount\r\n" +
		"Acme,\"first line\r\nsecond line\r\nthird line\",10\r\n" + // row 2, lines 2-4
		",,\r\n" + // row 3, empty
		"Globex,\"a\nb\",20\r\n" + // row 4, lines 6-7
		"Initech,short\r\n" + // row 5: too few fields
		",,\r\n,,\r\n" + // rows 6, 7
		"Umbrella,\"x\"\"y\",30\r\n" // row 8
	p := writeFile(t, "in.csv", []byte(data))
	in, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var nums []int
	var errRows []int
	for {
		row, err := in.Next()
		if err == io.EOF {
			break
		}
		var re *RowError
		if errors.As(err, &re) {
			errRows = append(errRows, re.Row)
			if !strings.Contains(re.Error(), "row 5") {
				t.Errorf("row error %q does not name row 5", re)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		nums = append(nums, row.Num)
	}
	if want := []int{2, 4, 8}; !reflect.DeepEqual(nums, want) {
		t.Errorf("row numbers = %v, want %v (as LibreOffice shows them)", nums, want)
	}
	if want := []int{5}; !reflect.DeepEqual(errRows, want) {
		t.Errorf("row errors on rows %v, want %v", errRows, want)
	}
	if got := Skipped(in); got != 3 {
		t.Errorf("Skipped = %d, want 3 all-empty rows", got)
	}
	if n, err := CountRows(p, Options{}); err != nil || n != 4 {
		t.Errorf("CountRows = %d, %v; want 4 (empty rows not counted)", n, err)
	}
	// The header found by number counts rows the same way.
	res := readAll(t, writeFile(t, "banner.csv", []byte("Leads export,,\r\n,,\r\n\"Lead\r\nTitle\",Amount,\r\nAcme,1,\r\n")), Options{HeaderRow: 3})
	if res.final != io.EOF || !reflect.DeepEqual(res.header, []string{"Lead\nTitle", "Amount"}) || !reflect.DeepEqual(res.nums(), []int{4}) {
		t.Errorf("header row 3: header %q, rows %v, final %v; want the two-line header and row 4", res.header, res.nums(), res.final)
	}
}
