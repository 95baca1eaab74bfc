package exporter_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/exporter"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
	"github.com/pdbulk/pdbulk/sheet"
)

// cancelAfter is an HTTP transport that cancels a run's context once it has sent `after`
// requests: an interruption in the middle of an export, whatever the machine's speed.
type cancelAfter struct {
	next   http.RoundTripper
	sent   atomic.Int64
	after  int64
	cancel context.CancelFunc
}

func (c *cancelAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.sent.Add(1) == c.after {
		c.cancel()
	}
	return c.next.RoundTrip(r)
}

// interruptedClient returns a client of the sandbox at base and a context that is
// cancelled when the client sends its after-th request.
func interruptedClient(t testing.TB, base string, after int64) (*pipedrive.Client, context.Context) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	p := ratelimit.New(ratelimit.Options{Limit: 100000, SearchLimit: 100000})
	c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: testToken, Pacer: p,
		HTTPClient: &http.Client{Transport: &cancelAfter{next: tr, after: after, cancel: cancel}}})
	if err != nil {
		t.Fatal(err)
	}
	return c, ctx
}

// rowTexts is what a user compares of two exports: every cell's kind and text, in order.
func rowTexts(rows [][]sheet.Cell) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprint(r)
	}
	return out
}

func tempFiles(t testing.TB, dir string) []string {
	t.Helper()
	left, err := filepath.Glob(filepath.Join(dir, ".*"))
	if err != nil {
		t.Fatal(err)
	}
	return left
}

// TestExportResume: an export of 3,000 leads interrupted twice (the context cancelled in
// the middle of the pages) goes on from where it stopped and writes the same file as an
// export that was never interrupted: the same rows in the same order, none twice, none
// missing, for CSV and XLSX. Until it is complete the target keeps last week's file.
func TestExportResume(t *testing.T) {
	srv, base := startSandbox(t, sandbox.Options{Emulation: sandbox.Emulation{Latency: 2 * time.Millisecond}})
	const n = 3000
	if err := srv.InsertLeads(context.Background(), n, sandbox.SampleLeads(n, time.Now(), srv.LeadLabelIDs())); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, base)
	for _, ext := range []string{"csv", "xlsx"} {
		t.Run(ext, func(t *testing.T) {
			job := `kind: export
entity: leads
query: {archived: all}
target: out/leads.` + ext + `
columns:
  id: ID
  title: Title
  value.amount: {column: Amount, type: number}
  value.currency: Currency
  label_ids: {column: Labels, lookup: lead_labels.name}
  add_time: {column: Created, type: datetime}
  expected_close_date: {column: Close, type: date}
`
			refDir := t.TempDir()
			ref, err := exporter.Run(context.Background(), exporter.Options{Job: writeJob(t, refDir, job), Client: c, State: openState(t, refDir), PageSize: 100})
			if err != nil {
				t.Fatalf("uninterrupted Run: %v", err)
			}
			refHeader, refRows := readRows(t, ref.Path)
			if len(refRows) != n {
				t.Fatalf("uninterrupted export: %d rows, want %d", len(refRows), n)
			}

			dir := t.TempDir()
			j := writeJob(t, dir, job)
			st := openState(t, dir)
			target := filepath.Join(dir, "out", "leads."+ext)
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(target, []byte("last week's export"), 0o644); err != nil {
				t.Fatal(err)
			}
			opts := exporter.Options{Job: j, State: st, PageSize: 100, Concurrency: 4, CheckpointEvery: -1}
			for i, after := range []int64{8, 12} {
				ic, ctx := interruptedClient(t, base, after)
				o := opts
				o.Client = ic
				_, err := exporter.Run(ctx, o)
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("run %d interrupted = %v, want context.Canceled", i+1, err)
				}
				if b, err := os.ReadFile(target); err != nil || string(b) != "last week's export" {
					t.Fatalf("target after interrupted run %d = %.40q, %v; want last week's file", i+1, b, err)
				}
				if _, ok, err := st.ExportProgress(context.Background(), j.Name); !ok || err != nil {
					t.Fatalf("after interrupted run %d the checkpoint holds no position (%v)", i+1, err)
				}
				if len(tempFiles(t, filepath.Dir(target))) == 0 {
					t.Fatalf("after interrupted run %d no temporary file is kept to go on from", i+1)
				}
			}
			opts.Client = c
			res, err := exporter.Run(context.Background(), opts)
			if err != nil {
				t.Fatalf("resumed Run: %v", err)
			}
			if res.Resumed == 0 || res.Resumed >= n {
				t.Errorf("resumed run kept %d records of the interrupted ones, want some but not all", res.Resumed)
			}
			if res.Sheets[0].Records != n {
				t.Errorf("resumed run counts %d records, want %d", res.Sheets[0].Records, n)
			}
			header, rows := readRows(t, res.Path)
			if !slices.Equal(header, refHeader) {
				t.Errorf("header %v, want %v", header, refHeader)
			}
			got, want := rowTexts(rows), rowTexts(refRows)
			if !slices.Equal(got, want) {
				seen := map[string]int{}
				dups := 0
				for _, r := range rows {
					if seen[r[0].Text]++; seen[r[0].Text] == 2 {
						dups++
					}
				}
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						t.Errorf("row %d: %s, want %s", i+1, got[i], want[i])
						break
					}
				}
				t.Fatalf("resumed export: %d rows (%d ids twice), want the %d rows of the uninterrupted export in its order", len(rows), dups, len(refRows))
			}
			if left := tempFiles(t, filepath.Dir(target)); len(left) != 0 {
				t.Errorf("temporary files left after the export completed: %v", left)
			}
			if _, ok, _ := st.ExportProgress(context.Background(), j.Name); ok {
				t.Errorf("the checkpoint still holds the position of a completed export")
			}
		})
	}
}

// TestExportResumeAfterEdits: between the interrupted run and the next, other clients
// delete leads on both sides of where it stopped and create new ones. The resumed file
// holds every lead that existed throughout exactly once.
func TestExportResumeAfterEdits(t *testing.T) {
	srv, base := startSandbox(t, sandbox.Options{})
	const n = 2000
	if err := srv.InsertLeads(context.Background(), n, sandbox.SampleLeads(n, time.Now(), srv.LeadLabelIDs())); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, base)
	before := allLeads(t, c)
	dir := t.TempDir()
	j := writeJob(t, dir, "kind: export\nentity: leads\nquery: {archived: all}\ntarget: out/leads.csv\ncolumns: {id: ID, title: Title}\n")
	st := openState(t, dir)
	opts := exporter.Options{Job: j, State: st, PageSize: 50, Concurrency: 2, CheckpointEvery: -1}
	ic, ctx := interruptedClient(t, base, 15)
	o := opts
	o.Client = ic
	if _, err := exporter.Run(ctx, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Run = %v", err)
	}
	// Delete every 20th lead (before and after the position reached) and create 30.
	ids := make([]string, 0, len(before))
	for id := range before {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	deleted := map[string]bool{}
	for i := 0; i < len(ids); i += 20 {
		if _, _, err := c.DeleteLead(context.Background(), ids[i]); err != nil {
			t.Fatal(err)
		}
		deleted[ids[i]] = true
	}
	createLeads(t, c, 30, "New %d", nil)
	opts.Client = c
	res, err := exporter.Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("resumed Run: %v", err)
	}
	if res.Resumed == 0 {
		t.Fatalf("the second run kept nothing of the first: it did not resume")
	}
	_, rows := readRows(t, res.Path)
	seen := map[string]int{}
	for _, r := range rows {
		seen[r[0].Text]++
	}
	missing, twice := 0, 0
	for id := range before {
		if !deleted[id] && seen[id] == 0 {
			missing++
		}
	}
	for _, k := range seen {
		if k > 1 {
			twice++
		}
	}
	t.Logf("%d rows, %d kept from the interrupted run, %d list requests, %d pages read again", len(rows), res.Resumed, res.Requests, res.Repairs)
	if missing+twice > 0 {
		t.Errorf("resumed export: %d leads that existed throughout are missing, %d written twice", missing, twice)
	}
}

// TestExportResumeIncremental: an incremental export interrupted and continued writes the
// same leads as one that was not, and saves the same bookmark: the next run writes only
// what was updated after it.
func TestExportResumeIncremental(t *testing.T) {
	_, base := startSandbox(t, sandbox.Options{})
	c := newClient(t, base)
	leads := createLeads(t, c, 400, "Lead %03d", nil)
	job := "kind: export\nentity: leads\nincremental: true\ntarget: out/leads-{datetime}.csv\ncolumns: {id: ID, title: Title, update_time: Updated}\n"
	refDir := t.TempDir()
	ref, err := exporter.Run(context.Background(), exporter.Options{Job: writeJob(t, refDir, job), Client: c, State: openState(t, refDir), PageSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	_, want := readRows(t, ref.Path)

	dir := t.TempDir()
	j := writeJob(t, dir, job)
	st := openState(t, dir)
	var runs atomic.Int64 // each run names its own file, a minute after the one before
	now := func() time.Time { return time.Date(2026, 11, 30, 10, int(runs.Add(1)), 0, 0, time.UTC) }
	opts := exporter.Options{Job: j, State: st, PageSize: 20, Concurrency: 2, CheckpointEvery: -1, Now: now}
	ic, ctx := interruptedClient(t, base, 9)
	o := opts
	o.Client = ic
	if _, err := exporter.Run(ctx, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Run = %v", err)
	}
	if _, ok, _ := st.Bookmark(context.Background(), j.Name); ok {
		t.Fatalf("an interrupted incremental export saved its bookmark")
	}
	// A run killed between moving its file into place and forgetting its position leaves
	// the file at the target: the resume must finish (incremental exports refuse to
	// replace an earlier run's file, never their own).
	raw, ok, err := st.ExportProgress(context.Background(), j.Name)
	if err != nil || !ok {
		t.Fatalf("no position saved (%v)", err)
	}
	var prog struct{ Path string }
	if err := json.Unmarshal([]byte(raw), &prog); err != nil || prog.Path == "" {
		t.Fatalf("position %s: %v", raw, err)
	}
	if err := os.WriteFile(prog.Path, []byte("ID,Title,Updated\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts.Client = c
	res, err := exporter.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	_, got := readRows(t, res.Path)
	if res.Resumed == 0 || !slices.Equal(rowTexts(got), rowTexts(want)) {
		t.Fatalf("resumed incremental export: %d rows (%d kept), want the %d rows of an uninterrupted one", len(got), res.Resumed, len(want))
	}
	time.Sleep(5 * time.Millisecond)
	if _, _, err := c.UpdateLead(context.Background(), leads[7].ID, pipedrive.LeadPatch{Title: pipedrive.Set("Updated 7")}); err != nil {
		t.Fatal(err)
	}
	res, err = exporter.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, rows := readRows(t, res.Path); len(rows) != 1 || rows[0][1].Text != "Updated 7" {
		t.Errorf("the run after the resumed one wrote %d rows, want the one updated lead", len(rows))
	}
}

// readSheet reads one sheet of an exported workbook.
func readSheetRows(t testing.TB, path, name string) []string {
	t.Helper()
	r, err := sheet.Open(path, sheet.Options{Sheet: name})
	if err != nil {
		t.Fatalf("open %s sheet %s: %v", path, name, err)
	}
	defer r.Close()
	out := []string{fmt.Sprint(r.Header())}
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read %s sheet %s: %v", path, name, err)
		}
		out = append(out, fmt.Sprint(row.Cells))
	}
}

// TestExportResumeWorkbook: a workbook of three sheets interrupted in each of its two lists
// of leads (active, then archived) is continued into the same workbook as an uninterrupted
// run: every sheet with the same rows.
func TestExportResumeWorkbook(t *testing.T) {
	srv, base := startSandbox(t, sandbox.Options{})
	const n = 1500
	if err := srv.InsertLeads(context.Background(), n, sandbox.SampleLeads(n, time.Now(), srv.LeadLabelIDs())); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, base)
	job := `kind: export
target: out/weekly.xlsx
sheets:
  - name: Labels
    entity: lead_labels
    columns: {name: Label, color: Colour}
  - name: Leads
    entity: leads
    query: {archived: all}
    columns:
      id: ID
      title: "=Title"
      value.amount: {column: Amount, type: number}
      is_archived: {column: Archived, type: bool}
      update_time: {column: Updated, type: datetime}
  - name: Sources
    entity: lead_sources
`
	refDir := t.TempDir()
	ref, err := exporter.Run(context.Background(), exporter.Options{Job: writeJob(t, refDir, job), Client: c, State: openState(t, refDir), PageSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	j := writeJob(t, dir, job)
	st := openState(t, dir)
	opts := exporter.Options{Job: j, State: st, PageSize: 50, Concurrency: 3, CheckpointEvery: -1}
	// Each run is interrupted at its 8th request, until one gets through: the export is
	// continued several times, in the active leads and in the archived ones.
	var res *exporter.Result
	interrupted := 0
	for res == nil {
		ic, ctx := interruptedClient(t, base, 8)
		o := opts
		o.Client = ic
		r, err := exporter.Run(ctx, o)
		switch {
		case err == nil:
			res = r
		case errors.Is(err, context.Canceled):
			interrupted++
		default:
			t.Fatalf("Run: %v", err)
		}
		if interrupted > 30 {
			t.Fatalf("30 interrupted runs and the export is still not complete: the runs do not go on from each other")
		}
	}
	t.Logf("%d interrupted runs before the one that completed; %d list requests in all, %d for the uninterrupted export", interrupted, res.Requests, ref.Requests)
	if interrupted < 3 {
		t.Errorf("only %d interruptions: the test did not interrupt both lists", interrupted)
	}
	if res.Resumed == 0 {
		t.Errorf("the last run kept nothing of the interrupted ones")
	}
	for _, name := range []string{"Labels", "Leads", "Sources"} {
		got, want := readSheetRows(t, res.Path, name), readSheetRows(t, ref.Path, name)
		if !slices.Equal(got, want) {
			t.Errorf("sheet %s: %d rows, want the %d rows of an uninterrupted export", name, len(got)-1, len(want)-1)
		}
	}
	if got := readSheetRows(t, res.Path, "Leads"); len(got) != n+1 || !strings.Contains(got[0], " '=Title ") {
		t.Errorf("Leads sheet: %d rows, header %s; want %d rows and the formula-like header neutralized", len(got)-1, got[0], n)
	}
}

// downAfter is an HTTP transport through which Pipedrive goes out of reach after `after`
// requests: every later one fails to connect.
type downAfter struct {
	next  http.RoundTripper
	sent  atomic.Int64
	after int64
}

func (d *downAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	if d.sent.Add(1) > d.after {
		return nil, errors.New("dial tcp: connection refused")
	}
	return d.next.RoundTrip(r)
}

// TestExportResumeAfterOutage: an export stopped because Pipedrive went out of reach
// (retries spent) keeps what it wrote, and the next run continues it into the same file an
// uninterrupted export writes.
func TestExportResumeAfterOutage(t *testing.T) {
	srv, base := startSandbox(t, sandbox.Options{})
	const n = 1200
	if err := srv.InsertLeads(context.Background(), n, sandbox.SampleLeads(n, time.Now(), srv.LeadLabelIDs())); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, base)
	job := "kind: export\nentity: leads\nquery: {archived: all}\ntarget: out/leads.csv\ncolumns: {id: ID, title: Title, value.amount: Amount}\n"
	refDir := t.TempDir()
	ref, err := exporter.Run(context.Background(), exporter.Options{Job: writeJob(t, refDir, job), Client: c, State: openState(t, refDir), PageSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	_, want := readRows(t, ref.Path)

	dir := t.TempDir()
	j := writeJob(t, dir, job)
	st := openState(t, dir)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	down, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: testToken, MaxRetries: -1,
		Pacer:      ratelimit.New(ratelimit.Options{Limit: 100000, SearchLimit: 100000}),
		HTTPClient: &http.Client{Transport: &downAfter{next: tr, after: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	opts := exporter.Options{Job: j, State: st, PageSize: 50, Concurrency: 2, CheckpointEvery: -1}
	o := opts
	o.Client = down
	var te *pipedrive.TransportError
	if _, err := exporter.Run(context.Background(), o); !errors.As(err, &te) {
		t.Fatalf("Run with Pipedrive out of reach = %v, want a transport error", err)
	}
	opts.Client = c
	res, err := exporter.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	_, got := readRows(t, res.Path)
	if res.Resumed == 0 || !slices.Equal(rowTexts(got), rowTexts(want)) {
		t.Fatalf("export continued after the outage: %d rows (%d kept), want the %d rows of an uninterrupted one", len(got), res.Resumed, len(want))
	}
}

// TestExportResumeJobChanged: a job whose columns changed after an interrupted run starts
// over (the interrupted run's rows had other columns) and leaves no temporary file behind.
func TestExportResumeJobChanged(t *testing.T) {
	srv, base := startSandbox(t, sandbox.Options{})
	const n = 800
	if err := srv.InsertLeads(context.Background(), n, sandbox.SampleLeads(n, time.Now(), srv.LeadLabelIDs())); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st := openState(t, dir)
	ic, ctx := interruptedClient(t, base, 8)
	j := writeJob(t, dir, "kind: export\nentity: leads\nquery: {archived: all}\ntarget: out/leads.csv\ncolumns: {id: ID, title: Title}\n")
	if _, err := exporter.Run(ctx, exporter.Options{Job: j, Client: ic, State: st, PageSize: 50, Concurrency: 2, CheckpointEvery: -1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Run = %v", err)
	}
	j = writeJob(t, dir, "kind: export\nentity: leads\nquery: {archived: all}\ntarget: out/leads.csv\ncolumns: {id: ID, value.currency: Currency}\n")
	res, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: newClient(t, base), State: st, PageSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	header, rows := readRows(t, res.Path)
	if res.Resumed != 0 || len(rows) != n || strings.Join(header, ",") != "ID,Currency" {
		t.Errorf("changed job: kept %d, %d rows, header %v; want a fresh export of %d rows with the new columns", res.Resumed, len(rows), header, n)
	}
	if left := tempFiles(t, filepath.Join(dir, "out")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
