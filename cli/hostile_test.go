package cli_test

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/cli"
	"github.com/pdbulk/pdbulk/sandbox"
	"github.com/pdbulk/pdbulk/sheet/hostile"
)

// hostileCase is one broken or hostile input of the corpus: the source it is made of, the
// job's extra keys, and what pdbulk must do with it: its exit code, what its messages say,
// and how its rows are accounted for (read = valid + rejected, nothing lost).
type hostileCase struct {
	name    string
	source  func(t *testing.T, dir string) string // writes the source; returns its name in dir
	source2 string                                // extra keys of source:, "key: value, ..."
	close   string                                // the Close column's mapping; "" = {column: Close}
	code    int
	says    []string // in stderr
	read    int      // rows read; -1 when the file is refused before any row
	valid   int
	reject  int
}

// lines writes a CSV (or any text) source.
func lines(name, text string) func(t *testing.T, dir string) string {
	return func(t *testing.T, dir string) string {
		writeFile(t, dir, name, text)
		return name
	}
}

// generated writes a source with a generator of sheet/hostile.
func generated(name string, gen func(path string) error) func(t *testing.T, dir string) string {
	return func(t *testing.T, dir string) string {
		if err := gen(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		return name
	}
}

// fixture copies a file of importer/testdata/bad.
func fixture(name string) func(t *testing.T, dir string) string {
	return func(t *testing.T, dir string) string {
		b, err := os.ReadFile(filepath.Join("..", "importer", "testdata", "bad", name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, name, string(b))
		return name
	}
}

func csvGen(head string, fill func(w io.Writer) error, tail string) func(path string) error {
	return func(p string) error {
		return hostile.WriteFile(p, func(w io.Writer) error {
			if _, err := io.WriteString(w, head); err != nil {
				return err
			}
			if err := fill(w); err != nil {
				return err
			}
			_, err := io.WriteString(w, tail)
			return err
		})
	}
}

func xlsxGen(rows ...func(io.Writer) error) func(path string) error {
	return func(p string) error {
		return hostile.WriteXLSX(p, hostile.Part{Name: "xl/worksheets/sheet1.xml", Fill: hostile.Sheet(rows...)})
	}
}

// dateCell is an XLSX cell of column B holding v with style s (1 = a date format).
func dateRow(num int, title, v, style string) func(io.Writer) error {
	return hostile.XML(`<row r="` + itoa(num) + `"><c r="A` + itoa(num) + `" t="inlineStr"><is><t>` + title +
		`</t></is></c><c r="B` + itoa(num) + `" s="` + style + `"><v>` + v + `</v></c><c r="C` + itoa(num) + `"><v>1</v></c></row>`)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

const head = "Title,Close,Amount\n"

var xlsxHeader = hostile.XML(hostile.Row(1, "Title", "Close", "Amount"))

func hostileCorpus() []hostileCase {
	none := -1
	return []hostileCase{
		// Files refused whole.
		{name: "empty file", source: lines("in.csv", ""), code: cli.ExitFatal, says: []string{"file is empty"}, read: none},
		{name: "blank lines only", source: lines("in.csv", "\n\r\n\n"), code: cli.ExitFatal, says: []string{"no header row"}, read: none},
		{name: "duplicate header", source: lines("in.csv", "Title,Close,Title\nA,2024-01-01,1\n"), code: cli.ExitFatal, says: []string{`duplicate column name in header: "Title" in columns 1 and 3`}, read: none},
		{name: "empty header name", source: lines("in.csv", "Title,,Close,Amount\n"), code: cli.ExitFatal, says: []string{"empty column name in header: column 2"}, read: none},
		{name: "header not utf-8", source: lines("in.csv", "T\xeftle,Close,Amount\n"), source2: "encoding: utf-8", code: cli.ExitFatal, says: []string{"header column 1: byte 0xEF is not valid utf-8: set encoding: windows-1252"}, read: none},
		{name: "header row past the end", source: lines("in.csv", head+"A,2024-01-01,1\n\nB,2024-01-02,2\n"), source2: "header_row: 9",
			code: cli.ExitFatal, says: []string{"header row 9 is past the end of the file (it has 4 rows)"}, read: none},
		{name: "header cell over the cell limit", source: generated("in.csv", csvGen("Title,Close,Amount,", hostile.Padded("", "H", 2<<20, ""), "\n")),
			code: cli.ExitFatal, says: []string{"header column 4 is 2097152 bytes, limit 1048576"}, read: none},
		{name: "missing column named once, clipped", source: generated("in.csv", csvGen("Title,Amount,", hostile.Padded("", "H", 900<<10, ""), "\n")),
			code: cli.ExitUsage, says: []string{`column "Close" is not in the header`, "…"}, read: none},
		{name: "endless line of nul bytes", source: generated("in.csv", csvGen("", hostile.Padded("", "\x00", 6<<20, ""), "")),
			code: cli.ExitFatal, says: []string{"header column 1 is 6291456 bytes, limit 1048576"}, read: none},
		{name: "old xls renamed", source: fixture("old_xls.xlsx"), code: cli.ExitFatal, says: []string{"old excel 97-2003 .xls format"}, read: none},
		{name: "password-protected workbook", source: fixture("encrypted.xlsx"), code: cli.ExitFatal, says: []string{"password-protected"}, read: none},
		{name: "text named .xlsx", source: fixture("not_a_spreadsheet.xlsx"), code: cli.ExitFatal, says: []string{"must be a zip package"}, read: none},
		{name: "damaged zip", source: fixture("damaged_zip.xlsx"), code: cli.ExitFatal, says: []string{"not a csv or xlsx spreadsheet"}, read: none},
		{name: "xlsx markup bomb", source: generated("in.xlsx", xlsxGen(xlsxHeader, hostile.Padded(`<row r="2" x="`, "y", 3<<20, `"/>`))),
			code: cli.ExitFatal, says: []string{"xml markup is longer than 1048576 bytes"}, read: none},
		{name: "xlsx declaring 5 GiB inflated", source: generated("in.xlsx", func(p string) error {
			return hostile.WriteXLSX(p, hostile.Part{Name: "xl/worksheets/sheet1.xml", Declared: 5 << 30, Fill: hostile.Sheet(xlsxHeader)})
		}), code: cli.ExitFatal, says: []string{"the workbook inflates to 5368", "limit 4294967296"}, read: none},
		{name: "xlsx inflating past its zip directory", source: generated("in.xlsx", func(p string) error {
			return hostile.WriteXLSX(p, hostile.Part{Name: "xl/worksheets/sheet1.xml", Declared: 2000,
				Fill: hostile.Sheet(xlsxHeader, hostile.Padded("", " ", 1<<20, ""))})
		}), code: cli.ExitFatal, says: []string{"malformed xlsx"}, read: none},

		// Rows refused one by one; the others go on.
		{name: "bare quote", source: lines("in.csv", head+"A \"x,2024-01-01,1\nB,2024-01-02,2\n"), code: cli.ExitRejected,
			says: []string{`bare " in non-quoted-field at line 2`}, read: 2, valid: 1, reject: 1},
		{name: "quote never closed", source: lines("in.csv", head+"\"A,2024-01-01,1\nB,2024-01-02,2\nC,2024-01-03,3\n"), code: cli.ExitRejected,
			says: []string{"quote opened on line 2 is never closed"}, read: 3, valid: 2, reject: 1},
		{name: "short row", source: lines("in.csv", head+"A,2024-01-01,1\nB,2024-01-02\n"), code: cli.ExitRejected,
			says: []string{`row 3: fewer fields than header columns: 2 fields for 3 columns: "Amount" missing`}, read: 2, valid: 1, reject: 1},
		{name: "long row", source: lines("in.csv", head+"A,2024-01-01,1,extra\nB,2024-01-02,2\n"), code: cli.ExitRejected,
			says: []string{"more fields than header columns"}, read: 2, valid: 1, reject: 1},
		{name: "windows-1252 found and said", source: lines("in.csv", head+"Caf\xe9,2024-01-01,1\nB,2024-01-02,2\n"), code: cli.ExitOK,
			says: []string{"is not UTF-8 (line 2 has the byte 0xE9", "read as windows-1252"}, read: 2, valid: 2, reject: 0},
		{name: "invalid utf-8 in a cell", source: lines("in.csv", head+"Caf\xe9,2024-01-01,1\nB,2024-01-02,2\n"), source2: "encoding: utf-8", code: cli.ExitRejected,
			says: []string{"invalid utf-8 in field", "windows-1252"}, read: 2, valid: 1, reject: 1},
		{name: "all-empty rows skipped, rows numbered as a spreadsheet shows them", source: lines("in.csv", head+"\"A\nmulti-line\",2024-01-01,1\n,,\n\"B\",2024-13-02,2\n,,\n"), code: cli.ExitRejected,
			says: []string{`"row":4,"type":"row_rejected"`}, read: 2, valid: 1, reject: 1},
		{name: "all-empty rows counted as skipped", source: lines("in.csv", head+",,\nA,2024-01-01,1\n,,\n,,\n"), source2: "encoding: utf-8", code: cli.ExitOK,
			says: []string{`"skipped":3`}, read: 1, valid: 1, reject: 0},
		{name: "nul byte in a cell", source: lines("in.csv", head+"A\x00,2024-01-01,1\nB,2024-01-02,2\n"), code: cli.ExitRejected,
			says: []string{`column "Title": nul byte in field`}, read: 2, valid: 1, reject: 1},
		{name: "cell over the limit", source: generated("in.csv", csvGen(head+"A,2024-01-01,1\n", hostile.Padded("B,2024-01-02,", "9", 3<<20, "\n"), "C,2024-01-03,3\n")),
			code: cli.ExitRejected, says: []string{`row 3 column "Amount": cell too large: 3145728 bytes, limit 1048576`}, read: 3, valid: 2, reject: 1},
		{name: "nul bytes without a line ending after the header", source: generated("in.csv", csvGen(head, hostile.Padded("", "\x00", 3<<20, ""), "")),
			code: cli.ExitRejected, says: []string{"cell too large: 3145728 bytes"}, read: 1, valid: 0, reject: 1},
		{name: "more fields than a sheet has columns", source: generated("in.csv", csvGen(head, hostile.Padded("A,2024-01-01,1", ",", 20000, "\n"), "B,2024-01-02,2\n")),
			code: cli.ExitRejected, says: []string{"20003 fields, more than the 16384 columns"}, read: 2, valid: 1, reject: 1},
		{name: "year in a date column", source: lines("in.csv", head+"A,2027,1\nB,12,2\nC,2024-01-03,3\n"), code: cli.ExitRejected,
			says: []string{`"2027" is a number, not a date: set serial: true`}, read: 3, valid: 1, reject: 2},
		{name: "serials said so", source: lines("in.csv", head+"A,45292,1\nB,61,2\nC,60,3\nD,0,4\n"), close: "{column: Close, serial: true}",
			code: cli.ExitRejected, says: []string{"Excel serial 60 is 1900-02-29", "Excel serial 0 is the day before 1900-01-01"}, read: 4, valid: 2, reject: 2},
		{name: "numbers that cannot be sent exactly", source: lines("in.csv", head+"A,2024-01-01,0.1e-400\nB,2024-01-01,9007199254740993\nC,2024-01-01,1.10\n"),
			code: cli.ExitRejected, says: []string{"would become 0", "it would be sent as 9007199254740992"}, read: 3, valid: 1, reject: 2},
		{name: "bad values", source: lines("in.csv", head+"A,2026-02-30,1\nB,2026-13-01,2\nC,soon,3\nD,2026-01-01,12abc\nE,2026-01-01,\"1,5\"\nF,2026-01-01,$12\nG,2026-01-01,5\n"),
			code: cli.ExitRejected, says: []string{"has no day 30", "no month 13", `"soon" is not a valid date`, `"12abc" is not a number`, "thousands separators", "currency symbol"},
			read: 7, valid: 1, reject: 6},
		{name: "xlsx white space bomb", source: generated("in.xlsx", xlsxGen(xlsxHeader, hostile.Padded("", " ", 4<<20, ""), dateRow(2, "A", "45292", "1"))),
			code: cli.ExitOK, read: 1, valid: 1},
		{name: "xlsx cell bomb", source: generated("in.xlsx", xlsxGen(xlsxHeader,
			hostile.Padded(`<row r="2"><c r="A2" t="inlineStr"><is><t>`, "x", 4<<20, `</t></is></c></row>`), dateRow(3, "B", "45292", "1"))),
			code: cli.ExitRejected, says: []string{`row 2 column "Title": cell too large: more than 1048576 bytes`}, read: 2, valid: 1, reject: 1},
		{name: "xlsx serials 0 60 61 and a number", source: generated("in.xlsx", xlsxGen(xlsxHeader,
			dateRow(2, "A", "0", "1"), dateRow(3, "B", "60", "1"), dateRow(4, "C", "61", "1"), dateRow(5, "D", "45292", "0"), dateRow(6, "E", "0.5", "3"))),
			code: cli.ExitRejected, says: []string{"serial 0 is not a date", "serial 60 is 1900-02-29", `"45292" is a number, not a date`, "a time of day without a date"},
			read: 5, valid: 1, reject: 4},
		{name: "xlsx cell beyond XFD", source: generated("in.xlsx", xlsxGen(xlsxHeader, hostile.XML(`<row r="2"><c r="XFE2"><v>1</v></c></row>`), dateRow(3, "B", "45292", "1"))),
			code: cli.ExitRejected, says: []string{"beyond column XFD"}, read: 2, valid: 1, reject: 1},
		{name: "fixture bad values", source: fixture("bad_values.csv"), code: cli.ExitRejected, says: []string{`"12abc" is not a number`},
			read: 7, valid: 3, reject: 4},
		{name: "fixture ragged", source: fixture("ragged.csv"), code: cli.ExitRejected, says: []string{"fewer fields than header columns", "more fields than header columns"},
			read: 4, valid: 2, reject: 2},
		{name: "fixture bad quotes", source: fixture("badquotes.csv"), code: cli.ExitRejected, says: []string{"bad quotes"}, read: -2},
		{name: "fixture header only", source: fixture("header_only.csv"), code: cli.ExitOK, read: 0},
		{name: "utf-16 with a byte order mark", source: lines("in.csv", "\xff\xfeT\x00i\x00t\x00l\x00e\x00,\x00C\x00l\x00o\x00s\x00e\x00,\x00A\x00m\x00o\x00u\x00n\x00t\x00\n\x00A\x00,\x002\x000\x002\x004\x00-\x000\x001\x00-\x000\x001\x00,\x001\x00\n\x00"),
			code: cli.ExitOK, read: 1, valid: 1},
		{name: "semicolons and crlf", source: lines("in.csv", "Title;Close;Amount\r\nA;2024-01-01;1,5\r\n"), close: "", code: cli.ExitRejected,
			says: []string{"decimal_comma"}, read: 1, valid: 0, reject: 1},
	}
}

// TestHostileCorpus runs `pdbulk validate --json` on every input of the corpus.
func TestHostileCorpus(t *testing.T) {
	for _, tc := range hostileCorpus() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			src := tc.source(t, dir)
			job := corpusJob(t, dir, src, tc.source2, tc.close)
			r := pdbulk(t, nil, "validate", "--json", job)
			checkOutcome(t, tc, r)
		})
	}
}

func corpusJob(t *testing.T, dir, src, source2, close string) string {
	t.Helper()
	if close == "" {
		close = "{column: Close}"
	}
	if source2 != "" {
		source2 = ", " + source2
	}
	return writeFile(t, dir, "hostile.yaml", "entity: leads\nsource: {path: "+src+source2+"}\ncolumns:\n"+
		"  title: Title\n  organization_id: {value: 1}\n  expected_close_date: "+close+"\n"+
		"  value.amount: {column: Amount, type: number}\n  value.currency: {value: EUR}\n")
}

// checkOutcome checks the exit code, the messages and the row accounting of a --json run.
func checkOutcome(t *testing.T, tc hostileCase, r result) {
	t.Helper()
	if r.code != tc.code {
		t.Errorf("exit %d, want %d", r.code, tc.code)
	}
	if len(r.stderr) > 64<<10 {
		t.Errorf("stderr is %d bytes long: a cell or a header echoed?", len(r.stderr))
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
		t.Errorf("a panic or a stack trace in stderr")
	}
	for _, s := range tc.says {
		if !strings.Contains(strings.ReplaceAll(r.stderr, `\"`, `"`), s) {
			t.Errorf("stderr does not say %q", s)
		}
	}
	var sum struct {
		Stats struct{ Read, Valid, Rejected, Pending int }
	}
	found := false
	for _, line := range strings.Split(r.stderr, "\n") {
		if strings.Contains(line, `"type":"summary"`) {
			found = json.Unmarshal([]byte(line), &sum) == nil
		}
	}
	switch {
	case tc.read == -1:
		if found && sum.Stats.Read != 0 {
			t.Errorf("%d rows read of a file refused whole", sum.Stats.Read)
		}
	case !found:
		t.Errorf("no summary")
	case tc.read >= 0 && (sum.Stats.Read != tc.read || sum.Stats.Valid != tc.valid || sum.Stats.Rejected != tc.reject):
		t.Errorf("rows read %d, valid %d, rejected %d; want %d, %d, %d", sum.Stats.Read, sum.Stats.Valid, sum.Stats.Rejected, tc.read, tc.valid, tc.reject)
	case sum.Stats.Read != sum.Stats.Valid+sum.Stats.Rejected+sum.Stats.Pending:
		t.Errorf("rows read %d != valid %d + rejected %d + pending %d: a row was lost", sum.Stats.Read, sum.Stats.Valid, sum.Stats.Rejected, sum.Stats.Pending)
	}
}

// TestHostileTokens: a wrong token says it was refused and where it came from; a token in
// the base URL's path is never printed.
func TestHostileTokens(t *testing.T) {
	base := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	job := leadsJob(t, dir)
	const wrong = "wrong-token-0123456789"
	r := pdbulk(t, connectedTo(base, wrong), "run", job)
	wantCode(t, r, cli.ExitFatal)
	wantContains(t, "stderr", r.stderr, "the API token was refused (401 Unauthorized)", "PIPEDRIVE_API_TOKEN")
	tokenFile := writeFile(t, t.TempDir(), "token", wrong+"\n")
	r = pdbulk(t, environ{"PIPEDRIVE_BASE_URL": base}, "run", "--token-file", tokenFile, job)
	wantContains(t, "stderr", r.stderr, "the token file "+tokenFile)

	// validate with a wrong token fails as run does (its plan would check nothing a run
	// needs), and, like every dry run, writes no checkpoint beside the job.
	vdir := t.TempDir()
	vjob := leadsJob(t, vdir)
	r = pdbulk(t, connectedTo(base, wrong), "validate", vjob)
	wantCode(t, r, cli.ExitFatal)
	wantContains(t, "stderr", r.stderr, "the API token was refused (401 Unauthorized)", "PIPEDRIVE_API_TOKEN")
	writeFile(t, vdir, "labels.csv", "Name,Color\nHot,red\n")
	labels := writeFile(t, vdir, "labels.yaml", "kind: import\nentity: lead_labels\nsource: labels.csv\nmode: create\ncolumns: {name: Name, color: Color}\n")
	r = pdbulk(t, connectedTo(base, wrong), "validate", labels) // no lookups: nothing else would fail
	wantCode(t, r, cli.ExitFatal)
	wantContains(t, "stderr", r.stderr, "the API token was refused (401 Unauthorized)")
	if strings.Contains(r.stdout+r.stderr, "plan:") {
		t.Errorf("validate with a refused token printed a plan:\n%s", r.stderr)
	}
	r = pdbulk(t, connectedTo(base, testToken), "validate", vjob)
	wantCode(t, r, cli.ExitRejected) // rows 3, 4 and 5
	r = pdbulk(t, nil, "validate", vjob)
	wantCode(t, r, cli.ExitRejected)
	if _, err := os.Stat(filepath.Join(vdir, ".pdbulk")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("validate left a checkpoint behind (stat: %v)", err)
	}

	inPath := strings.Replace(base, "/api/v1", "/"+testToken+"/api/v1", 1)
	for _, args := range [][]string{{"run", job}, {"run", "--json", job}, {"validate", job}} {
		r = pdbulk(t, connectedTo(inPath, testToken), args...)
		if strings.Contains(r.stderr+r.stdout, testToken) {
			t.Errorf("pdbulk %s printed the token:\n%s", strings.Join(args, " "), r.stderr)
		}
	}
}
