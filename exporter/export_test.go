package exporter_test

// Everything here is real: an in-process sandbox over HTTP on 127.0.0.1, the pipedrive
// client, job files on disk, a SQLite checkpoint, and the files the export writes, read
// back with pdbulk's own readers.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/exporter"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
	"github.com/pdbulk/pdbulk/sandbox/sandboxtest"
	"github.com/pdbulk/pdbulk/sheet"
)

const testToken = "test-token-0123456789abcdef"

func startSandbox(t testing.TB, o sandbox.Options) (*sandbox.Server, string) {
	t.Helper()
	o.Token = testToken
	return sandboxtest.Start(t, o)
}

func newClient(t testing.TB, base string) *pipedrive.Client {
	t.Helper()
	p := ratelimit.New(ratelimit.Options{Limit: 100000, SearchLimit: 100000})
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: testToken, Pacer: p, HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return c
}

func openState(t testing.TB, dir string) *jobs.State {
	t.Helper()
	st, err := jobs.OpenState(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// writeJob writes an export job file and loads it.
func writeJob(t testing.TB, dir, yaml string) *jobs.Job {
	t.Helper()
	p := filepath.Join(dir, "export.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := jobs.Load(p)
	if err != nil {
		t.Fatalf("Load:\n%v", err)
	}
	return j
}

// createLeads creates n leads through the API, concurrently; lead i has title
// fmt.Sprintf(title, i), amount i and the given labels.
func createLeads(t testing.TB, c *pipedrive.Client, n int, title string, labels []string) []pipedrive.Lead {
	t.Helper()
	out := make([]pipedrive.Lead, n)
	var wg sync.WaitGroup
	var failed atomic.Value
	next := atomic.Int64{}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				l, _, err := c.CreateLead(context.Background(), pipedrive.LeadInput{
					Title: fmt.Sprintf(title, i), OrganizationID: 1 + i%10, OwnerID: 1 + i%4, LabelIDs: labels,
					Value: &pipedrive.LeadValue{Amount: float64(i) + 0.5, Currency: "EUR"},
				})
				if err != nil {
					failed.Store(err)
					return
				}
				out[i] = l
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatalf("create leads: %v", err)
	}
	return out
}

// allLeads lists what the sandbox holds, active and archived, the way the test's own
// client sees it.
func allLeads(t testing.TB, c *pipedrive.Client) map[string]pipedrive.Lead {
	t.Helper()
	out := map[string]pipedrive.Lead{}
	for _, all := range []func(context.Context, pipedrive.LeadsQuery) iter.Seq2[pipedrive.Lead, error]{c.AllLeads, c.AllArchivedLeads} {
		for l, err := range all(context.Background(), pipedrive.LeadsQuery{}) {
			if err != nil {
				t.Fatal(err)
			}
			out[l.ID] = l
		}
	}
	return out
}

// readRows reads an exported file back with pdbulk's reader.
func readRows(t testing.TB, path string) (header []string, rows [][]sheet.Cell) {
	t.Helper()
	r, err := sheet.Open(path, sheet.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer r.Close()
	header = r.Header()
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		rows = append(rows, append([]sheet.Cell(nil), row.Cells...))
	}
	return header, rows
}

func TestExportLeadsTyped(t *testing.T) {
	_, base := startSandbox(t, sandbox.Options{})
	c := newClient(t, base)
	hot, _, err := c.CreateLeadLabel(context.Background(), pipedrive.LeadLabelInput{Name: "Hot deal", Color: "red"})
	if err != nil {
		t.Fatal(err)
	}
	created := createLeads(t, c, 30, "Lead %02d", []string{hot.ID})
	if _, _, err := c.CreateLeadRaw(context.Background(), map[string]any{"title": "=HYPERLINK(\"http://evil\")", "organization_id": 1}); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"csv", "xlsx"} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			j := writeJob(t, dir, `kind: export
entity: leads
target: out/leads-{date}.`+ext+`
time_zone: Europe/Berlin
columns:
  id: ID
  title: Title
  value.amount: {column: Amount, type: number}
  value.currency: Currency
  label_ids: {column: Labels, lookup: lead_labels.name}
  owner_id: {column: Owner, type: int}
  add_time: {column: Created, type: datetime}
`)
			now := time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC) // already Dec 1 in Berlin
			res, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: openState(t, dir), Now: func() time.Time { return now }})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if want := filepath.Join(dir, "out", "leads-2026-12-01."+ext); res.Path != want {
				t.Errorf("Path = %s, want %s ({date} in the job's time zone)", res.Path, want)
			}
			header, rows := readRows(t, res.Path)
			if got := strings.Join(header, ","); got != "ID,Title,Amount,Currency,Labels,Owner,Created" {
				t.Errorf("header = %s", got)
			}
			if len(rows) != 31 {
				t.Fatalf("%d rows, want 31", len(rows))
			}
			byID := map[string][]sheet.Cell{}
			for _, r := range rows {
				byID[r[0].Text] = r
			}
			for _, l := range created {
				r, ok := byID[l.ID]
				if !ok {
					t.Fatalf("lead %s (%s) missing from the export", l.ID, l.Title)
				}
				amount, err := strconv.ParseFloat(r[2].Text, 64) // CSV cells are text; XLSX keeps the digits too
				if r[1].Text != l.Title || err != nil || amount != l.Value.Amount || r[3].Text != "EUR" || r[4].Text != "Hot deal" {
					t.Fatalf("row of %s = %+v, want title %q, amount %v, EUR, label name", l.ID, r, l.Title, l.Value.Amount)
				}
				if ext == "xlsx" && (r[2].Kind != sheet.KindNumber || r[5].Kind != sheet.KindNumber || r[6].Kind != sheet.KindDateTime) {
					t.Errorf("row of %s: kinds %v %v %v, want number, number, date-time", l.ID, r[2].Kind, r[5].Kind, r[6].Kind)
				}
				added, _ := time.Parse("2006-01-02T15:04:05.000Z", l.AddTime)
				berlin := added.In(mustZone(t, "Europe/Berlin")).Format("2006-01-02 15:04:05")
				if !strings.HasPrefix(r[6].Text, berlin) {
					t.Errorf("Created = %q, want %s (Berlin time)", r[6].Text, berlin)
				}
			}
			for _, r := range rows {
				if strings.Contains(r[1].Text, "HYPERLINK") && !strings.HasPrefix(r[1].Text, "'") {
					t.Errorf("a formula title was written as %q: a spreadsheet would run it", r[1].Text)
				}
			}
		})
	}
}

func mustZone(t testing.TB, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestExportCompleteWhileEdited: an export of 20,000 leads read in small pages while a
// second client creates, updates and deletes 5 % of them. Every lead that existed for the
// whole export is in the file exactly once, and nothing that never existed is.
func TestExportCompleteWhileEdited(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 leads")
	}
	// 4 pages at once; and 64, where the read probes ahead for the end of the list (the
	// probes' answers are hints the edits make wrong, which must cost no record).
	for _, conc := range []int{4, 64} {
		t.Run(fmt.Sprintf("%d at once", conc), func(t *testing.T) { exportWhileEdited(t, conc) })
	}
}

func exportWhileEdited(t *testing.T, conc int) {
	srv, base := startSandbox(t, sandbox.Options{})
	c := newClient(t, base)
	const n = 20000
	if err := srv.InsertLeads(context.Background(), n, sandbox.SampleLeads(n, time.Now(), srv.LeadLabelIDs())); err != nil {
		t.Fatal(err)
	}
	before := allLeads(t, c)
	if len(before) != n {
		t.Fatalf("the sandbox holds %d leads, want %d", len(before), n)
	}

	dir := t.TempDir()
	j := writeJob(t, dir, "kind: export\nentity: leads\nquery: {archived: all}\ntarget: out/leads.csv\ncolumns: {id: ID, title: Title}\n")
	var deleted sync.Map
	var edits atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(18, 20000))
		ids := make([]string, 0, len(before))
		for id := range before {
			ids = append(ids, id)
		}
		for i := 0; i < n*5/100 && ctx.Err() == nil; i++ {
			id := ids[rng.IntN(len(ids))]
			var err error
			switch i % 3 {
			case 0:
				if _, loaded := deleted.LoadOrStore(id, true); !loaded {
					_, _, err = c.DeleteLead(ctx, id)
				}
			case 1:
				_, _, err = c.UpdateLead(ctx, id, pipedrive.LeadPatch{Title: pipedrive.Set(fmt.Sprintf("Edited %d", i))})
			case 2:
				_, _, err = c.CreateLead(ctx, pipedrive.LeadInput{Title: fmt.Sprintf("New %d", i), OrganizationID: 1})
			}
			if err != nil && ctx.Err() == nil && !errors.Is(err, pipedrive.ErrNotFound) {
				t.Errorf("edit %d: %v", i, err)
				return
			}
			edits.Add(1)
		}
	}()
	res, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: openState(t, dir), PageSize: 100, Concurrency: conc})
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	after := allLeads(t, c)
	_, rows := readRows(t, res.Path)
	seen := map[string]int{}
	for _, r := range rows {
		seen[r[0].Text]++
	}
	missing, twice, strangers := 0, 0, 0
	for id := range before {
		_, still := after[id]
		if still && seen[id] == 0 {
			missing++
		}
	}
	for id, k := range seen {
		if k > 1 {
			twice++
		}
		if _, b := before[id]; !b {
			if _, a := after[id]; !a {
				strangers++
			}
		}
	}
	t.Logf("%d rows; %d edits during the export; %d list requests, %d pages read again", len(rows), edits.Load(), res.Requests, res.Repairs)
	if missing+twice+strangers > 0 {
		t.Errorf("export: %d leads that existed throughout are missing, %d written twice, %d never existed", missing, twice, strangers)
	}
	if edits.Load() == 0 {
		t.Errorf("no edit happened while the export ran: the test proved nothing")
	}
}

// TestExportIncremental: a second run writes only the leads updated since the first (the
// leads the first run wrote at the bookmark's very millisecond are not written again), and
// a run with nothing updated writes an empty file.
func TestExportIncremental(t *testing.T) {
	_, base := startSandbox(t, sandbox.Options{})
	c := newClient(t, base)
	leads := createLeads(t, c, 50, "Lead %02d", nil)
	dir := t.TempDir()
	j := writeJob(t, dir, "kind: export\nentity: leads\nincremental: true\ntarget: out/leads-{datetime}.csv\ncolumns: {id: ID, title: Title, update_time: Updated}\n")
	st := openState(t, dir)
	run := func(at time.Time) (*exporter.Result, [][]sheet.Cell) {
		t.Helper()
		res, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: st, PageSize: 10, Now: func() time.Time { return at }})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		_, rows := readRows(t, res.Path)
		return res, rows
	}
	if _, rows := run(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)); len(rows) != 50 {
		t.Fatalf("first run: %d rows, want 50", len(rows))
	}
	time.Sleep(5 * time.Millisecond) // the updates below get later update_times
	for _, i := range []int{3, 7, 11} {
		if _, _, err := c.UpdateLead(context.Background(), leads[i].ID, pipedrive.LeadPatch{Title: pipedrive.Set(fmt.Sprintf("Updated %d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	_, rows := run(time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC))
	got := map[string]bool{}
	for _, r := range rows {
		got[r[1].Text] = true
	}
	if len(rows) != 3 || !got["Updated 3"] || !got["Updated 7"] || !got["Updated 11"] {
		t.Errorf("second run wrote %d rows %v, want the 3 updated leads", len(rows), got)
	}
	if _, rows := run(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)); len(rows) != 0 {
		t.Errorf("third run with nothing updated wrote %d rows, want 0", len(rows))
	}
}

// TestExportFilesDownload: file contents land in the download folder under safe, unique
// names whatever the API calls them, and a second run skips what is there.
func TestExportFilesDownload(t *testing.T) {
	_, base := startSandbox(t, sandbox.Options{})
	c := newClient(t, base)
	contents := map[string]string{
		"../../etc/passwd":     "not a password file",
		"contract.pdf":         "%PDF-1.4 one",
		"..":                   "dots",
		"sub\\dir\\report.txt": "windows path",
	}
	for name, body := range contents {
		_, _, err := c.UploadFile(context.Background(), pipedrive.Upload{Name: name, OrgID: 1,
			Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }})
		if err != nil {
			t.Fatalf("upload %q: %v", name, err)
		}
	}
	dir := t.TempDir()
	j := writeJob(t, dir, "kind: export\nentity: files\ntarget: out/files.csv\ndownload: out/files\n")
	st := openState(t, dir)
	res, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: st})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Downloaded != 4 || res.Skipped != 0 {
		t.Errorf("first run: %d downloaded, %d skipped; want 4, 0", res.Downloaded, res.Skipped)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "out", "files"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, "out", "files", e.Name()))
		if err != nil || e.IsDir() {
			t.Errorf("%s: %v (dir %v)", e.Name(), err, e.IsDir())
		}
		found := false
		for _, body := range contents {
			found = found || string(b) == body
		}
		if !found {
			t.Errorf("%s holds %q, which no upload had", e.Name(), b)
		}
	}
	if len(got) != 4 {
		t.Errorf("download folder holds %v, want 4 files", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "etc")); err == nil {
		t.Errorf("a file name from the API chose a path outside the download folder")
	}
	res, err = exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: st})
	if err != nil || res.Downloaded != 0 || res.Skipped != 4 {
		t.Errorf("second run = %+v, %v; want 4 skipped", res, err)
	}
}

// TestExportInterrupted: an export stopped half way leaves the file a scheduler expects
// untouched (no half file, no temporary file).
func TestExportInterrupted(t *testing.T) {
	_, base := startSandbox(t, sandbox.Options{Emulation: sandbox.Emulation{Latency: 20 * time.Millisecond}})
	c := newClient(t, base)
	createLeads(t, c, 300, "Lead %03d", nil)
	dir := t.TempDir()
	target := filepath.Join(dir, "out", "leads.xlsx")
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte("last week's export"), 0o644); err != nil {
		t.Fatal(err)
	}
	j := writeJob(t, dir, "kind: export\nentity: leads\ntarget: out/leads.xlsx\n")
	// 15 pages of 20, one at a time, 20 ms each: cancelled after about 5 of them.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := exporter.Run(ctx, exporter.Options{Job: j, Client: c, State: openState(t, dir), PageSize: 20, Concurrency: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run cancelled = %v, want context.Canceled", err)
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "last week's export" {
		t.Errorf("target after an interrupted export = %q, %v; want last week's file untouched", b, err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "out", ".*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}
