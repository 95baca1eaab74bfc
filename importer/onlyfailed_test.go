package importer_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/importer"
)

// TestOnlyFailed: the reject report, fixed by the user and fed back with OnlyFailed, sends
// only its rows; fixed rows are created once, a row still wrong stays rejected; afterwards
// the reports and the checkpoint cover every row of the source, and a normal run sends
// nothing. Cells the report escaped against formula injection come back as they were.
func TestOnlyFailed(t *testing.T) {
	t.Parallel()
	cn := newConn(t, startSandbox(t, sandboxNoEmulation))
	dir := t.TempDir()
	st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
	header := []string{"Lead Title", "Amount", "Close", "Notes"}
	writeCSV(t, dir, "leads.csv", header, [][]string{
		{"Good one", "10", "2026-05-01", "fine"},                      // 2
		{"Bad amount", "12,5x", "2026-05-01", "=HYPERLINK(\"x\")"},    // 3
		{"-20% renewal discount", "abc", "2026-05-01", "+49 30 1234"}, // 4: its title is escaped in the report
		{"Good two", "20", "", ""},                                    // 5
		{"Bad date", "30", "2026-02-30", "@mention"},                  // 6
	})
	j := loadJob(t, dir, "fix", `kind: import
entity: leads
source: leads.csv
mode: create
columns:
  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: {value: EUR}
  expected_close_date: {column: Close, type: date}
  organization_id: {value: 4}
`)
	res := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	if s := res.Stats; s.Created != 2 || s.Rejected != 3 {
		t.Fatalf("first run: %s; want 2 created, 3 rejected", s)
	}
	_, rejects := checkCounts(t, j, res)
	if len(rejects.rows) != 3 {
		t.Fatalf("reject report: %v", rejects.rows)
	}

	// The user fixes the amounts in the reject report (not the date), and runs again.
	recs := readRecords(t, j.Reports.Rejects)
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, rec := range recs[1:] {
		switch rec[col["pdbulk_row"]] {
		case "3":
			rec[col["Amount"]] = "12.5"
		case "4":
			rec[col["Amount"]] = "99"
		case "6":
			rec[col["Notes"]] = "date asked from sales" // a partial fix: the date is still wrong
		}
	}
	writeRecords(t, j.Reports.Rejects, recs)

	res = run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, OnlyFailed: true})
	if s := res.Stats; s.Read != 3 || s.Created != 2 || s.Rejected != 1 || s.Pending != 0 || s.Unchanged != 0 {
		t.Errorf("only-failed run: %s; want 3 read, 2 created, 1 rejected", s)
	}
	if len(res.Problems) != 1 || res.Problems[0].Row != 6 {
		t.Errorf("problems %+v, want row 6", res.Problems)
	}
	leads := wantExactlyOnce(t, allLeads(t, cn.c), []string{"Good one", "Good two", "Bad amount", "-20% renewal discount"})
	if l, ok := leads["Bad amount"]; ok && amountOf(l) != 12.5 {
		t.Errorf("fixed row 3: amount %v, want 12.5", amountOf(l))
	}
	if l, ok := leads["-20% renewal discount"]; ok && amountOf(l) != 99 {
		t.Errorf("fixed row 4: amount %v, want 99", amountOf(l))
	}

	// The reports are rebuilt from the checkpoint: every row of the source, in one of them.
	success := readReport(t, j.Reports.Success)
	rejects = readReport(t, j.Reports.Rejects)
	if len(success.rows) != 4 || len(rejects.rows) != 1 {
		t.Errorf("after only-failed: %d success rows and %d rejects, want 4 and 1", len(success.rows), len(rejects.rows))
	}
	ok := success.byRow(t)
	for title, n := range map[string]int{"Good one": 2, "Bad amount": 3, "-20% renewal discount": 4, "Good two": 5} {
		if l, found := leads[title]; found {
			wantDone(t, success, n, "created", l.ID)
		}
		if _, found := ok[rowNum(n)]; !found {
			t.Errorf("row %d is not in the success report", n)
		}
	}
	wantRejected(t, rejects, 6, `column "Close"`)
	// The reports show the rows as the user fixed them: the amount sent, the partial fix kept.
	for _, c := range []struct {
		path, row, column, want string
	}{
		{j.Reports.Success, "3", "Amount", "12.5"},
		{j.Reports.Success, "4", "Lead Title", "-20% renewal discount"},
		{j.Reports.Rejects, "6", "Notes", "date asked from sales"},
	} {
		if got := reportCell(t, c.path, c.row, c.column); strings.TrimPrefix(got, "'") != c.want {
			t.Errorf("%s row %s column %q = %q, want %q", filepath.Base(c.path), c.row, c.column, got, c.want)
		}
	}
	sum, found, err := st.Job(context.Background(), j.Name)
	if err != nil || !found || sum.Done != 4 || sum.Rejected != 1 || sum.Total != 5 {
		t.Errorf("checkpoint %+v (%v, %v); want 5 rows: 4 done, 1 rejected", sum, found, err)
	}

	// A normal run now finds every row finished: nothing is sent.
	before := cn.pacer.Stats().Requests
	res = run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	if s := res.Stats; s.Read != 5 || s.Unchanged != 4 || s.Rejected != 1 || s.Created != 0 {
		t.Errorf("resume after only-failed: %s; want 4 done before, 1 rejected", s)
	}
	if n := cn.pacer.Stats().Requests - before; n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
	wantExactlyOnce(t, allLeads(t, cn.c), []string{"Good one", "Good two", "Bad amount", "-20% renewal discount"})
}

// TestOnlyFailedNotAReport: OnlyFailed with a reject file that pdbulk did not write (no
// pdbulk_row column) is refused before anything is sent, naming the file.
func TestOnlyFailedNotAReport(t *testing.T) {
	t.Parallel()
	cn := newConn(t, startSandbox(t, sandboxNoEmulation))
	dir := t.TempDir()
	st := openState(t, filepath.Join(dir, "state.db"))
	writeCSV(t, dir, "leads.csv", []string{"Lead Title"}, [][]string{{"One"}})
	rej := writeCSV(t, dir, "out/not-a-report.csv", []string{"Lead Title"}, [][]string{{"One"}})
	j := loadJob(t, dir, "nar", `kind: import
entity: leads
source: leads.csv
columns:
  title: Lead Title
  organization_id: {value: 1}
reports: {rejects: out/not-a-report.csv}
`)
	_, err := importer.Run(context.Background(), context.Background(), importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, OnlyFailed: true})
	if _, ok := errorsAs[*importer.JobError](err); !ok || !namesFile(err, rej) || !strings.Contains(err.Error(), "pdbulk_row") {
		t.Fatalf("Run = %v, want a JobError naming %s and pdbulk_row", err, rej)
	}
	if n := cn.pacer.Stats().Requests; n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

// reportCell returns the cell of a report's row (by pdbulk_row) in column.
func reportCell(t *testing.T, path, row, column string) string {
	t.Helper()
	recs := readRecords(t, path)
	ri, ci := slices.Index(recs[0], "pdbulk_row"), slices.Index(recs[0], column)
	for _, rec := range recs[1:] {
		if ri >= 0 && ci >= 0 && rec[ri] == row {
			return rec[ci]
		}
	}
	t.Fatalf("%s: no row %s with a column %q", path, row, column)
	return ""
}

func readRecords(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func writeRecords(t *testing.T, path string, recs [][]string) {
	t.Helper()
	var b strings.Builder
	w := csv.NewWriter(&b)
	if err := w.WriteAll(recs); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOnlyFailedUnreadableRow: a row the reader cannot read whole (here: more fields than
// the header) is rejected; fixed in the reject report and sent with OnlyFailed, it is done.
// A plain run afterwards reads the same broken source row again: it must keep the row done,
// not reject it anew — else the next OnlyFailed run would create the lead a second time.
func TestOnlyFailedUnreadableRow(t *testing.T) {
	t.Parallel()
	cn := newConn(t, startSandbox(t, sandboxNoEmulation))
	dir := t.TempDir()
	st := openState(t, filepath.Join(dir, "state.db"))
	writeFile(t, dir, "leads.csv", []byte("Lead Title,Amount\nFirst,10\nRagged,20,extra\nThird,30\n"))
	j := loadJob(t, dir, "ragged", `kind: import
entity: leads
source: leads.csv
columns:
  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: {value: EUR}
  organization_id: {value: 1}
`)
	res := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	if s := res.Stats; s.Created != 2 || s.Rejected != 1 {
		t.Fatalf("first run: %s; want 2 created, 1 rejected", s)
	}
	recs := readRecords(t, j.Reports.Rejects)
	if len(recs) != 2 {
		t.Fatalf("reject report: %v", recs)
	}
	recs[1][0], recs[1][1] = "Ragged", "20"
	writeRecords(t, j.Reports.Rejects, recs)

	res = run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, OnlyFailed: true})
	if s := res.Stats; s.Created != 1 || s.Rejected != 0 {
		t.Fatalf("only-failed run: %s; want 1 created", s)
	}
	for i := range 2 {
		res = run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
		if s := res.Stats; s.Unchanged != 3 || s.Rejected != 0 || s.Created != 0 {
			t.Errorf("plain run %d after the fix: %s; want 3 already done, nothing rejected", i+1, s)
		}
	}
	res = run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, OnlyFailed: true})
	if s := res.Stats; s.Created != 0 {
		t.Errorf("a second only-failed run: %s; want nothing created", s)
	}
	wantExactlyOnce(t, allLeads(t, cn.c), []string{"First", "Ragged", "Third"})
}
