package sheet

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// utf16Text encodes s as UTF-16 (little or big endian) with a BOM, with each "{XXXX}"
// replaced by the code unit 0xXXXX as it is: an unpaired surrogate can be written.
func utf16Text(t *testing.T, s string, bigEndian bool) []byte {
	t.Helper()
	out := []byte{0xFF, 0xFE}
	if bigEndian {
		out = []byte{0xFE, 0xFF}
	}
	put := func(u uint16) {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	for s != "" {
		if strings.HasPrefix(s, "{") {
			var u uint16
			if _, err := fmt.Sscanf(s[1:5], "%04X", &u); err != nil {
				t.Fatal(err)
			}
			put(u)
			s = s[6:]
			continue
		}
		r, size := utf8.DecodeRuneInString(s)
		if r > 0xFFFF {
			r -= 0x10000
			put(uint16(0xD800 + r>>10))
			put(uint16(0xDC00 + r&0x3FF))
		} else {
			put(uint16(r))
		}
		s = s[size:]
	}
	return out
}

// TestCSVUndecodableBytesRefused: a byte the file's encoding does not define (0x81, 0x8D,
// 0x8F, 0x90, 0x9D in windows-1252) or an unpaired UTF-16 surrogate was read as U+FFFD
// and sent. Its row is now refused, as a field that is not UTF-8 is with encoding: utf-8:
// the error names the file, the row, the column and the byte, and suggests encoding:. The
// rows around it are read, and the refused row's cells are valid UTF-8 for the rejects
// report.
func TestCSVUndecodableBytesRefused(t *testing.T) {
	type tc struct {
		name    string
		data    []byte
		enc     string
		wantErr error
		phrase  string
		utf16   bool
	}
	var tests []tc
	for _, b := range []byte{0x81, 0x8D, 0x8F, 0x90, 0x9D} {
		tests = append(tests, tc{
			name: fmt.Sprintf("windows-1252 byte 0x%02X", b),
			data: []byte("Name,City\nJos\xe9,K\xf6ln\nAnn,Bo" + string(b) + "nn\nZo\xeb,Z\xfcrich\n"),
			enc:  "windows-1252", wantErr: ErrEncoding, phrase: fmt.Sprintf("byte 0x%02X is not a character in windows-1252", b),
		})
	}
	tests = append(tests,
		tc{name: "windows-1252 detected", data: []byte("Name,City\nJos\xe9,K\xf6ln\nAnn,Bo\x9dnn\nZo\xeb,Z\xfcrich\n"),
			wantErr: ErrEncoding, phrase: "byte 0x9D is not a character in windows-1252"},
		tc{name: "iso-8859-15 c1 byte", data: []byte("Name,City\nJos\xe9,K\xf6ln\nAnn,Bo\x80nn\nZo\xeb,Z\xfcrich\n"),
			enc: "iso-8859-15", wantErr: ErrEncoding, phrase: `byte 0x80 is not a character in iso-8859-15: set encoding: to the encoding the file was saved with (in windows-1252 it is '€')`},
		tc{name: "utf-16le high surrogate alone", data: utf16Text(t, "Name,City\nJosé,Köln\nAnn,Bo{D83D}nn\nZoë,Zürich 😀\n", false),
			wantErr: ErrEncoding, phrase: "utf-16le code unit 0xD83D is half of a character (an unpaired surrogate)", utf16: true},
		tc{name: "utf-16be low surrogate alone", data: utf16Text(t, "Name,City\nJosé,Köln\nAnn,Bo{DE00}nn\nZoë,Zürich 😀\n", true),
			wantErr: ErrEncoding, phrase: "utf-16be code unit 0xDE00 is half of a character (an unpaired surrogate)", utf16: true},
		tc{name: "utf-16le surrogate at the end of a field", data: utf16Text(t, "Name,City\nJosé,Köln\nAnn,Bonn{D800}\nZoë,Zürich 😀\n", false),
			enc: "utf-16", wantErr: ErrEncoding, phrase: "utf-16le code unit 0xD800 is half of a character", utf16: true},
		tc{name: "utf-8 stray byte", data: []byte("Name,City\nJosé,Köln\nAnn,Bo\xffnn\nZoë,Zürich\n"),
			enc: "utf-8", wantErr: ErrInvalidUTF8, phrase: "byte 0xFF is not valid utf-8: set encoding: windows-1252"},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "in.csv", tt.data)
			res := readAll(t, p, Options{Encoding: tt.enc})
			if res.final != io.EOF {
				t.Fatalf("final error %v, want io.EOF", res.final)
			}
			want := [][]string{{"José", "Köln"}, {"Zoë", "Zürich"}}
			if tt.utf16 {
				want[1][1] = "Zürich 😀" // a surrogate pair is one character
			}
			if got := texts(res.rows); !reflect.DeepEqual(got, want) {
				t.Errorf("rows read = %q, want %q", got, want)
			}
			if got := res.nums(); !reflect.DeepEqual(got, []int{2, 4}) {
				t.Errorf("rows read = %v, want [2 4]", got)
			}
			if len(res.rowErrs) != 1 {
				t.Fatalf("row errors = %v, want one on row 3", res.rowErrs)
			}
			re := res.rowErrs[0]
			if re.Path != p || re.Row != 3 || re.Column != "City" || !errors.Is(re, tt.wantErr) ||
				!strings.Contains(re.Error(), tt.phrase) || !strings.Contains(re.Error(), "set encoding:") {
				t.Errorf("row error = %q, want %v on row 3 column City saying %q and set encoding:", re, tt.wantErr, tt.phrase)
			}
			for _, c := range res.errRows[0].Cells {
				if !utf8.ValidString(c.Text) {
					t.Errorf("refused row cell %q is not valid UTF-8", c.Text)
				}
			}
			if n, err := CountRows(p, Options{Encoding: tt.enc}); err != nil || n != 3 {
				t.Errorf("CountRows = %d, %v, want 3", n, err)
			}
		})
	}
}

// TestCSVUndecodableHeader: a header that cannot be decoded refuses the file, as a header
// that is not UTF-8 does with encoding: utf-8.
func TestCSVUndecodableHeader(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		enc    string
		phrase string
	}{
		{"windows-1252", []byte("Name,Ci\x81ty\nAnn,Bonn\n"), "windows-1252", "header column 2: byte 0x81 is not a character in windows-1252"},
		{"utf-16le", utf16Text(t, "Name,Ci{DC00}ty\nAnn,Bonn\n", false), "", "header column 2: the utf-16le code unit 0xDC00 is half of a character"},
		{"utf-16le odd byte", append(utf16Text(t, "Name,City", false), 'x'), "", "the file ends with the odd byte 0x78"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "in.csv", tt.data)
			_, err := Open(p, Options{Encoding: tt.enc})
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != p || fe.Line != 1 || !errors.Is(err, ErrEncoding) ||
				!strings.Contains(err.Error(), tt.phrase) || !strings.Contains(err.Error(), "set encoding:") {
				t.Errorf("Open = %v, want a FileError at line 1 wrapping ErrEncoding saying %q and set encoding:", err, tt.phrase)
			}
		})
	}
}

// TestCSVReplacementCharacterKept: a U+FFFD that the file really holds, in UTF-8 or in
// UTF-16, is a character like any other: read, never refused.
func TestCSVReplacementCharacterKept(t *testing.T) {
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"utf-8", []byte("Name,City\nAnn,Bo\uFFFDnn\n")},
		{"utf-8 bom", []byte("\xEF\xBB\xBFName,City\nAnn,Bo\uFFFDnn\n")},
		{"utf-16le", utf16Text(t, "Name,City\nAnn,Bo\uFFFDnn\n", false)},
		{"utf-16be", utf16Text(t, "Name,City\nAnn,Bo\uFFFDnn\n", true)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := readAll(t, writeFile(t, "in.csv", tt.data), Options{})
			if got, want := texts(res.rows), [][]string{{"Ann", "Bo\uFFFDnn"}}; res.final != io.EOF || len(res.rowErrs) > 0 || !reflect.DeepEqual(got, want) {
				t.Errorf("rows %q, errors %v, final %v; want %q", got, res.rowErrs, res.final, want)
			}
		})
	}
}
