package jobs

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/pdbulk/pdbulk/sheet"
)

// readSource opens j's source the way the importer does (Source.Delimiter and
// Source.Encoding passed through, "" left to the reader) and checks the header
// against the mapping. It returns the header and the data rows' texts.
func readSource(t *testing.T, j *Job) ([]string, [][]string) {
	t.Helper()
	o := sheet.Options{HeaderRow: j.Source.HeaderRow, Encoding: j.Source.Encoding}
	if j.Source.Delimiter != "" {
		o.Delimiter = []rune(j.Source.Delimiter)[0]
	}
	r, err := sheet.Open(j.Source.Path, o)
	if err != nil {
		t.Fatalf("sheet.Open(%s, %+v): %v", filepath.Base(j.Source.Path), o, err)
	}
	defer r.Close()
	if err := j.CheckHeader(r.Header()); err != nil {
		t.Fatalf("CheckHeader(%q): %v", r.Header(), err)
	}
	var rows [][]string
	for {
		row, err := r.Next()
		if err == io.EOF {
			return r.Header(), rows
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row.Texts())
	}
}

const labelJob = "entity: lead_labels\nsource:\n  path: %s\n%scolumns:\n  name: Name\n  color: Color\n"

func sourceJob(file, extra string) string {
	return strings.Replace(strings.Replace(labelJob, "%s", file, 1), "%s", extra, 1)
}

func TestSourceDelimiterDetected(t *testing.T) {
	tests := []struct {
		name, file, data, quoted string
	}{
		{"semicolon", "in.csv", "Name;Color\nAnna Weiß;red\n\"Bo; Jr\";blue\n", "Bo; Jr"},
		{"tab in .csv", "in.csv", "Name\tColor\nAnna Weiß\tred\n\"Bo\tJr\"\tblue\n", "Bo\tJr"},
		{"tab in .txt", "in.txt", "Name\tColor\nAnna Weiß\tred\n\"Bo\tJr\"\tblue\n", "Bo\tJr"},
		{"pipe", "in.csv", "Name|Color\nAnna Weiß|red\n\"Bo| Jr\"|blue\n", "Bo| Jr"},
		{"comma", "in.csv", "Name,Color\nAnna Weiß,red\n\"Bo, Jr\",blue\n", "Bo, Jr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := Load(writeJob(t, sourceJob(tt.file, ""), map[string]string{tt.file: tt.data}))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if j.Source.Delimiter != "" || j.Source.Encoding != "" {
				t.Errorf("Source delimiter %q encoding %q, want both empty (detected by the reader)", j.Source.Delimiter, j.Source.Encoding)
			}
			header, rows := readSource(t, j)
			if !slices.Equal(header, []string{"Name", "Color"}) {
				t.Errorf("header = %q, want [Name Color]", header)
			}
			want := [][]string{{"Anna Weiß", "red"}, {tt.quoted, "blue"}}
			if !slices.EqualFunc(rows, want, slices.Equal) {
				t.Errorf("rows = %q, want %q", rows, want)
			}
		})
	}
}

func TestSourceTSVDefaultsToTab(t *testing.T) {
	// A .tsv file is tab-separated even when a comma occurs more often.
	j, err := Load(writeJob(t, sourceJob("in.tsv", ""), map[string]string{"in.tsv": "Name\tColor\nA, B, C\tred\n"}))
	if err != nil {
		t.Fatal(err)
	}
	if j.Source.Delimiter != "\t" {
		t.Fatalf("Delimiter = %q, want tab", j.Source.Delimiter)
	}
	if _, rows := readSource(t, j); len(rows) != 1 || rows[0][0] != "A, B, C" {
		t.Errorf("rows = %q", rows)
	}
}

func encodeWith(t *testing.T, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSourceEncodingDetected(t *testing.T) {
	const text = "Name;Color\r\nJosé Müller;green\r\n"
	le := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	be := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	tests := []struct {
		name string
		data []byte
	}{
		{"utf-16le bom", append([]byte{0xFF, 0xFE}, encodeWith(t, le, text)...)},
		{"utf-16be bom", append([]byte{0xFE, 0xFF}, encodeWith(t, be, text)...)},
		{"utf-8 bom", append([]byte("\xEF\xBB\xBF"), text...)},
		{"utf-8", []byte(text)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := Load(writeJob(t, sourceJob("in.csv", ""), map[string]string{"in.csv": string(tt.data)}))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			_, rows := readSource(t, j)
			if want := [][]string{{"José Müller", "green"}}; !slices.EqualFunc(rows, want, slices.Equal) {
				t.Errorf("rows = %q, want %q", rows, want)
			}
		})
	}
}

func TestSourceInvalidUTF8Advice(t *testing.T) {
	data := encodeWith(t, charmap.Windows1252, "Name,Color\nJosé,green\n")
	j, err := Load(writeJob(t, sourceJob("in.csv", ""), map[string]string{"in.csv": string(data)}))
	if err != nil {
		t.Fatal(err)
	}
	// Without encoding and without a BOM, a file that is not UTF-8 is read as
	// windows-1252 before any row is read, and the reader says so.
	r, err := sheet.Open(j.Source.Path, sheet.Options{Encoding: j.Source.Encoding})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	row, err := r.Next()
	notice := sheet.Notice(r)
	r.Close()
	if err != nil || row.Cells[0].Text != "José" || !strings.Contains(notice, "read as windows-1252") {
		t.Errorf("Next(windows-1252 row, no encoding) = %q, %v (notice %q), want José read as windows-1252", row.Texts(), err, notice)
	}
	// Told it is UTF-8, a header that is not refuses the file, with the advice.
	if err := os.WriteFile(j.Source.Path, encodeWith(t, charmap.Windows1252, "Name,Farbe Grün\nJosé,green\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = sheet.Open(j.Source.Path, sheet.Options{Encoding: "utf-8"})
	if !errors.Is(err, sheet.ErrEncoding) || !strings.Contains(err.Error(), "encoding: windows-1252") {
		t.Errorf("Open(windows-1252 header, encoding utf-8) = %v, want ErrEncoding suggesting encoding: windows-1252", err)
	}
	// With the advice followed the file reads.
	j2, err := Load(writeJob(t, sourceJob("in.csv", "  encoding: windows-1252\n"), map[string]string{"in.csv": string(data)}))
	if err != nil {
		t.Fatal(err)
	}
	if _, rows := readSource(t, j2); len(rows) != 1 || rows[0][0] != "José" {
		t.Errorf("rows = %q", rows)
	}
}

// TestSourceEveryEncodingReads loads a job naming each encoding spelling the job file accepts
// and reads a file in that encoding with the sheet reader.
func TestSourceEveryEncodingReads(t *testing.T) {
	const text = "Name,Color\nJosé Müller,green\n"
	encoders := map[string]func() []byte{
		"utf-8":        func() []byte { return []byte(text) },
		"utf-16":       func() []byte { return encodeWith(t, unicode.UTF16(unicode.BigEndian, unicode.UseBOM), text) },
		"utf-16le":     func() []byte { return encodeWith(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), text) },
		"utf-16be":     func() []byte { return encodeWith(t, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), text) },
		"windows-1252": func() []byte { return encodeWith(t, charmap.Windows1252, text) },
		"iso-8859-1":   func() []byte { return encodeWith(t, charmap.ISO8859_1, text) },
		"iso-8859-15":  func() []byte { return encodeWith(t, charmap.ISO8859_15, text) },
		"macintosh":    func() []byte { return encodeWith(t, charmap.Macintosh, text) },
	}
	if !slices.Equal(Encodings, sheet.Encodings) {
		t.Fatalf("jobs.Encodings %q != sheet.Encodings %q", Encodings, sheet.Encodings)
	}
	for _, canon := range Encodings {
		if encoders[canon] == nil {
			t.Errorf("no test data for encoding %q", canon)
		}
	}
	names := sheet.EncodingAliases()
	for _, n := range names[:3] {
		names = append(names, strings.ToUpper(n), strings.ReplaceAll(n, "-", "_"))
	}
	names = append(names, "Windows_1252", "ISO-8859-15", "Mac-Roman")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			j, err := Load(writeJob(t, sourceJob("in.csv", "  encoding: \""+name+"\"\n"), map[string]string{"in.csv": "placeholder"}))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !slices.Contains(Encodings, j.Source.Encoding) {
				t.Fatalf("Source.Encoding = %q, not a canonical name of %q", j.Source.Encoding, Encodings)
			}
			enc := encoders[j.Source.Encoding]
			if enc == nil {
				t.Fatalf("no test data for %q", j.Source.Encoding)
			}
			if err := os.WriteFile(j.Source.Path, enc(), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, rows := readSource(t, j); len(rows) != 1 || rows[0][0] != "José Müller" {
				t.Errorf("rows = %q, want José Müller", rows)
			}
		})
	}
}

func TestSourceUnsupportedEncoding(t *testing.T) {
	for _, name := range []string{"ebcdic", "iso-8859-2", "shift_jis", "utf-32", "utf-16-le"} {
		t.Run(name, func(t *testing.T) {
			yaml := "entity: lead_labels\nsource:\n  path: in.csv\n  delimiter: \";\"\n  encoding: " + name + "\ncolumns:\n  name: Name\n  color: Color\n"
			_, err := Load(writeJob(t, yaml, map[string]string{"in.csv": "Name,Color\n"}))
			got := Problems(err)
			if len(got) != 1 {
				t.Fatalf("Load = %v, want one problem", err)
			}
			if got[0].Line != 5 || !strings.Contains(got[0].Msg, "encoding \""+name+"\" is not one of "+strings.Join(sheet.Encodings, ", ")) {
				t.Errorf("problem = %q, want line 5 listing %s", got[0].Error(), strings.Join(sheet.Encodings, ", "))
			}
			if _, ok := sheet.EncodingName(name); ok {
				t.Errorf("sheet accepts %q that jobs refuses", name)
			}
		})
	}
}

// TestSourceEncodingsDocumented checks that the encoding table of docs/jobs.md lists exactly
// the names the job file accepts.
func TestSourceEncodingsDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "jobs.md"))
	if err != nil {
		t.Skipf("docs not found: %v", err)
	}
	var documented, canonical []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| `encoding` | reads |") {
			in = true
			continue
		}
		if !in || strings.HasPrefix(line, "| ---") {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(line, "|")
		canonical = append(canonical, strings.Trim(strings.TrimSpace(cells[1]), "`"))
		documented = append(documented, strings.Trim(strings.TrimSpace(cells[1]), "`"))
		for _, a := range strings.Split(cells[3], ",") {
			documented = append(documented, strings.Trim(strings.TrimSpace(a), "`"))
		}
	}
	if !slices.Equal(canonical, Encodings) {
		t.Errorf("docs list encodings %q, want %q", canonical, Encodings)
	}
	accepted := sheet.EncodingAliases()
	slices.Sort(documented)
	slices.Sort(accepted)
	if !slices.Equal(documented, accepted) {
		t.Errorf("docs list spellings %q, the job file accepts %q", documented, accepted)
	}
}
