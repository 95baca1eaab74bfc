package importer_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/sheet"
)

// badJob maps the four columns of every file of the bad-input corpus.
const badJob = `kind: import
name: %s
entity: leads
source: %s
mode: create
columns:
  title: Title
  value.amount: {column: Amount, type: number}
  value.currency: {value: EUR}
  expected_close_date: {column: Close, type: date}
  label_ids: {column: Labels, split: ";", lookup: lead_labels.name}
  organization_id: {value: 1}
`

// badCase is one file of the corpus and how its run must end.
type badCase struct {
	name    string
	file    string                                // in testdata/bad, copied to the job's folder
	gen     func(t *testing.T, dir string) string // or generated into dir: returns its name
	source  func(file string) string              // the job's source: value; default the file
	fileErr error                                 // the run fails naming the file, wrapping this
	rejects map[int][]string                      // else: rejected rows → what the reason says
	created int                                   // and how many rows become leads
}

// TestBadInput runs a job over every file of the bad-input corpus against the sandbox. Each
// problem ends either as a rejected row whose reason names the row (its pdbulk_row) and the
// column, or as a file-level error that names the file; nothing panics, and in every run
// success rows + reject rows = rows read.
func TestBadInput(t *testing.T) {
	t.Parallel()
	cn := newConn(t, startSandbox(t, sandboxNoEmulation))
	sheetName := func(name string) func(string) string {
		return func(file string) string { return fmt.Sprintf("{path: %s, sheet: %s}", file, name) }
	}
	cases := []badCase{
		{name: "ragged rows", file: "ragged.csv", created: 2,
			rejects: map[int][]string{3: {"row 3", "more fields than header columns"},
				4: {"row 4", "fewer fields than header columns", `"Close", "Labels" missing`}}},
		{name: "bad quotes", file: "badquotes.csv", created: 3,
			rejects: map[int][]string{3: {"row 3", `column "Title"`, "bad quotes"}, 4: {"row 4", `column "Title"`, "bad quotes"}, 6: {"row 6", `column "Title"`, "bad quotes"}}},
		{name: "empty file", file: "empty.csv", fileErr: sheet.ErrEmptyFile},
		{name: "header only", file: "header_only.csv"},
		{name: "duplicate headers", file: "dup_headers.csv", fileErr: sheet.ErrDuplicateHeader},
		{name: "invalid utf-8 read as windows-1252", file: "invalid_utf8.csv", created: 3},
		{name: "nul byte", file: "nul.csv", created: 2,
			rejects: map[int][]string{3: {"row 3", `column "Title"`, "nul byte"}}},
		{name: "bad values", file: "bad_values.csv", created: 2, rejects: map[int][]string{
			3: {`column "Amount"`, "12abc"},
			4: {`column "Amount"`, "twelve"},
			5: {`column "Close"`, "2026-02-30"},
			6: {`column "Close"`, "2026-13-01"},
			7: {`column "Labels"`, "Lukewarm"},
		}},
		{name: "text renamed xlsx", file: "not_a_spreadsheet.xlsx", fileErr: sheet.ErrNotSpreadsheet},
		{name: "damaged zip", file: "damaged_zip.xlsx", fileErr: sheet.ErrNotSpreadsheet},
		{name: "old xls renamed xlsx", file: "old_xls.xlsx", fileErr: sheet.ErrLegacyXLS},
		{name: "encrypted container", file: "encrypted.xlsx", fileErr: sheet.ErrEncrypted},
		{name: "2 MB cell", gen: func(t *testing.T, dir string) string {
			writeFile(t, dir, "big.csv", []byte("Title,Amount,Close,Labels\nBig ok,1,,\nBig cell,2,,"+strings.Repeat("x", 2<<20)+"\nBig after,3,,\n"))
			return "big.csv"
		}, created: 2, rejects: map[int][]string{3: {"row 3", `column "Labels"`, "cell too large"}}},
		{name: "password-protected xlsx", gen: func(t *testing.T, dir string) string {
			return xlsxFile(t, dir, "protected.xlsx", "Sheet1", excelize.Options{Password: "secret"},
				[]any{"Title", "Amount", "Close", "Labels"}, []any{"Secret", 1, "", ""})
		}, fileErr: sheet.ErrEncrypted},
		{name: "wrong sheet name", gen: func(t *testing.T, dir string) string {
			return xlsxFile(t, dir, "sheets.xlsx", "Sheet1", excelize.Options{},
				[]any{"Title", "Amount", "Close", "Labels"}, []any{"Sheet ok", 1, "", ""})
		}, source: sheetName("Leads"), fileErr: sheet.ErrSheetNotFound},
		{name: "xlsx bad values", gen: func(t *testing.T, dir string) string {
			return xlsxFile(t, dir, "values.xlsx", "Leads", excelize.Options{},
				[]any{"Title", "Amount", "Close", "Labels"},
				[]any{"Xlsx ok", 10, "2026-03-15", "Hot"},
				[]any{"Xlsx amount", "n/a", "", ""},
				[]any{"Xlsx date", 5, "2026-02-30", ""},
				[]any{"Xlsx label", 5, "", "Nope"},
				[]any{"Xlsx too many", 5, "", "", "extra"},
			)
		}, source: sheetName("Leads"), created: 1, rejects: map[int][]string{
			3: {`column "Amount"`, "n/a"},
			4: {`column "Close"`, "2026-02-30"},
			5: {`column "Labels"`, "Nope"},
			6: {"row 6", "more fields than header columns"},
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			file := tc.file
			if tc.gen != nil {
				file = tc.gen(t, dir)
			} else {
				data, err := os.ReadFile(filepath.Join("testdata", "bad", file))
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, dir, file, data)
			}
			src := file
			if tc.source != nil {
				src = tc.source(file)
			}
			j := loadJob(t, dir, "bad", fmt.Sprintf(badJob, fmt.Sprintf("bad-%d", i), src))
			st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
			res, err := runNoPanic(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
			if tc.fileErr != nil {
				if err == nil {
					t.Fatalf("Run succeeded (%s), want an error wrapping %v", res.Stats, tc.fileErr)
				}
				fe, ok := errorsAs[*sheet.FileError](err)
				if !ok || !errors.Is(err, tc.fileErr) || !namesFile(err, j.Source.Path) {
					t.Fatalf("Run = %v, want a *sheet.FileError wrapping %q that names %s", err, tc.fileErr, j.Source.Path)
				}
				if fe.Path != j.Source.Path {
					t.Errorf("FileError.Path = %s, want %s", fe.Path, j.Source.Path)
				}
				if sum, found, _ := st.Job(context.Background(), j.Name); found && sum.Done+sum.Rejected+sum.InFlight != 0 {
					t.Errorf("a refused file has rows in the checkpoint: %+v", sum)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.Stopped != nil {
				t.Fatalf("stopped: %v", res.Stopped)
			}
			s := res.Stats
			if s.Created != int64(tc.created) || s.Rejected != int64(len(tc.rejects)) || s.Pending != 0 {
				t.Errorf("stats %s; want %d created, %d rejected", s, tc.created, len(tc.rejects))
			}
			success, rejects := checkCounts(t, j, res)
			for n, parts := range tc.rejects {
				wantRejected(t, rejects, n, parts...)
			}
			for _, r := range success.rows {
				l, _, err := cn.c.Lead(context.Background(), r["pipedrive_id"])
				if err != nil || l.Title != r["Title"] {
					t.Errorf("success row %s: lead %s = %q (%v), want %q", r["pdbulk_row"], r["pipedrive_id"], l.Title, err, r["Title"])
				}
			}
		})
	}
}

// runNoPanic runs o, turning a panic into a test failure.
func runNoPanic(t *testing.T, o importer.Options) (res *importer.Result, err error) {
	t.Helper()
	defer func() {
		if v := recover(); v != nil {
			t.Fatalf("Run panicked: %v", v)
		}
	}()
	return importer.Run(context.Background(), context.Background(), o)
}

// xlsxFile writes an XLSX with one sheet called sheet holding rows, saved with opts, into
// dir/name, and returns name.
func xlsxFile(t *testing.T, dir, name, sheetName string, opts excelize.Options, rows ...[]any) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if sheetName != "Sheet1" {
		if err := f.SetSheetName("Sheet1", sheetName); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetSheetRow(sheetName, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(filepath.Join(dir, name), opts); err != nil {
		t.Fatal(err)
	}
	return name
}
