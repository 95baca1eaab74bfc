package importer_test

// Shared helpers of the importer's tests. Everything is real: an in-process sandbox served
// over HTTP on 127.0.0.1, the pipedrive client, job files and spreadsheets on disk, and a
// SQLite checkpoint file. Nothing is mocked.

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
	"github.com/pdbulk/pdbulk/sandbox/sandboxtest"
)

const testToken = "test-token-0123456789abcdef"

// startSandbox starts an in-memory sandbox with emulation e on 127.0.0.1, closed when the
// test ends, and returns its base URL.
func startSandbox(t *testing.T, e sandbox.Emulation) string {
	t.Helper()
	_, base := sandboxtest.Start(t, sandbox.Options{Token: testToken, Emulation: e})
	return base
}

// conn is a client of one sandbox with its own pacer and transport, as one pdbulk process
// would have.
type conn struct {
	c     *pipedrive.Client
	pacer *ratelimit.Pacer
}

// newConn returns a client of the sandbox at base whose pacer does not limit the burst
// rate (the sandbox emulates none) but learns the daily budget from the headers. Its idle
// connections are closed when the test ends, so that the sandbox closes at once.
func newConn(t *testing.T, base string) conn {
	t.Helper()
	p := ratelimit.New(ratelimit.Options{Limit: 100000, SearchLimit: 100000})
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: testToken, Pacer: p, HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return conn{c: c, pacer: p}
}

// openState opens (or creates) the checkpoint file at path, closed when the test ends.
func openState(t *testing.T, path string) *jobs.State {
	t.Helper()
	st, err := jobs.OpenState(path)
	if err != nil {
		t.Fatalf("state %s: %v", path, err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("state close: %v", err)
		}
	})
	return st
}

// writeFile writes data to dir/name and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeCSV writes a CSV of header and rows to dir/name with encoding/csv.
func writeCSV(t *testing.T, dir, name string, header []string, rows [][]string) string {
	t.Helper()
	var b strings.Builder
	w := csv.NewWriter(&b)
	if err := w.Write(header); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, name, []byte(b.String()))
}

// loadJob writes the job file dir/name.yaml with body and loads it.
func loadJob(t *testing.T, dir, name, body string) *jobs.Job {
	t.Helper()
	p := writeFile(t, dir, name+".yaml", []byte(body))
	j, err := jobs.Load(p)
	if err != nil {
		t.Fatalf("load %s: %v\n%s", p, err, body)
	}
	return j
}

// run imports o.Job with background contexts and fails the test on a fatal error.
func run(t *testing.T, o importer.Options) *importer.Result {
	t.Helper()
	res, err := importer.Run(context.Background(), context.Background(), o)
	if err != nil {
		t.Fatalf("Run %s: %v", o.Job.Name, err)
	}
	return res
}

// report is a report file read back: its header and its rows as column → cell.
type report struct {
	header []string
	rows   []map[string]string
}

// readReport reads a report CSV written by the importer.
func readReport(t *testing.T, path string) report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("report %s: %v", path, err)
	}
	if len(recs) == 0 {
		t.Fatalf("report %s has no header", path)
	}
	rep := report{header: recs[0]}
	for _, rec := range recs[1:] {
		m := make(map[string]string, len(rec))
		for i, h := range rep.header {
			if i < len(rec) {
				m[h] = rec[i]
			}
		}
		rep.rows = append(rep.rows, m)
	}
	return rep
}

// byRow indexes report rows by their pdbulk_row, failing on a repeated row.
func (rep report) byRow(t *testing.T) map[string]map[string]string {
	t.Helper()
	out := make(map[string]map[string]string, len(rep.rows))
	for _, r := range rep.rows {
		n := r["pdbulk_row"]
		if _, dup := out[n]; dup {
			t.Errorf("row %s is in the report twice", n)
		}
		out[n] = r
	}
	return out
}

// checkCounts checks that the run's counters add up and agree with its reports: every row
// read is done, rejected or pending; success rows + reject rows = rows finished.
func checkCounts(t *testing.T, j *jobs.Job, res *importer.Result) (success, rejects report) {
	t.Helper()
	s := res.Stats
	if s.Read != s.Done()+s.Rejected+s.Pending {
		t.Errorf("counts do not add up: read %d != done %d + rejected %d + pending %d (%s)", s.Read, s.Done(), s.Rejected, s.Pending, s)
	}
	success = readReport(t, j.Reports.Success)
	rejects = readReport(t, j.Reports.Rejects)
	if int64(len(success.rows)) != s.Done() {
		t.Errorf("success report has %d rows, the run counts %d done", len(success.rows), s.Done())
	}
	if int64(len(rejects.rows)) != s.Rejected {
		t.Errorf("reject report has %d rows, the run counts %d rejected", len(rejects.rows), s.Rejected)
	}
	if int64(len(success.rows)+len(rejects.rows))+s.Pending != s.Read {
		t.Errorf("success %d + rejects %d + pending %d != %d rows read", len(success.rows), len(rejects.rows), s.Pending, s.Read)
	}
	return success, rejects
}

// allLeads returns every lead of the sandbox, archived ones included.
func allLeads(t *testing.T, c *pipedrive.Client) []pipedrive.Lead {
	t.Helper()
	ctx := context.Background()
	var out []pipedrive.Lead
	for l, err := range c.AllLeads(ctx, pipedrive.LeadsQuery{}) {
		if err != nil {
			t.Fatalf("list leads: %v", err)
		}
		out = append(out, l)
	}
	for l, err := range c.AllArchivedLeads(ctx, pipedrive.LeadsQuery{}) {
		if err != nil {
			t.Fatalf("list archived leads: %v", err)
		}
		out = append(out, l)
	}
	return out
}

// leadsByTitle indexes leads by title, with every lead of each title.
func leadsByTitle(ls []pipedrive.Lead) map[string][]pipedrive.Lead {
	m := map[string][]pipedrive.Lead{}
	for _, l := range ls {
		m[l.Title] = append(m[l.Title], l)
	}
	return m
}

// wantExactlyOnce checks that every title of want is the title of exactly one lead and that
// no other lead exists.
func wantExactlyOnce(t *testing.T, ls []pipedrive.Lead, want []string) map[string]pipedrive.Lead {
	t.Helper()
	by := leadsByTitle(ls)
	out := make(map[string]pipedrive.Lead, len(want))
	missing, dups := 0, 0
	for _, title := range want {
		switch n := len(by[title]); {
		case n == 0:
			if missing++; missing <= 5 {
				t.Errorf("no lead titled %q", title)
			}
		case n > 1:
			if dups++; dups <= 5 {
				t.Errorf("%d leads titled %q, want one", n, title)
			}
		default:
			out[title] = by[title][0]
		}
		delete(by, title)
	}
	if missing+dups > 0 {
		t.Errorf("%d titles missing, %d duplicated of %d", missing, dups, len(want))
	}
	var extra []string
	for title := range by {
		extra = append(extra, title)
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("%d unexpected leads: %.10q", len(extra), extra)
	}
	return out
}

// createLabel creates a lead label directly, as someone using Pipedrive would.
func createLabel(t *testing.T, c *pipedrive.Client, name, color string) string {
	t.Helper()
	l, _, err := c.CreateLeadLabelRaw(context.Background(), map[string]any{"name": name, "color": color})
	if err != nil {
		t.Fatalf("create label %s: %v", name, err)
	}
	return l.ID
}

// createLead creates a lead directly (not through a job).
func createLead(t *testing.T, c *pipedrive.Client, title string, org int) string {
	t.Helper()
	l, _, err := c.CreateLeadRaw(context.Background(), map[string]any{"title": title, "organization_id": org})
	if err != nil {
		t.Fatalf("create lead %s: %v", title, err)
	}
	return l.ID
}

// isFileError reports whether err is (or wraps) an error that names path.
func namesFile(err error, path string) bool {
	return err != nil && strings.Contains(err.Error(), path)
}

// errorsAs is errors.As for a target type, returning the match.
func errorsAs[T error](err error) (T, bool) {
	var target T
	ok := errors.As(err, &target)
	return target, ok
}

func rowNum(n int) string { return fmt.Sprint(n) }

// sandboxNoEmulation is a sandbox that answers at once, with no limit and no fault.
var sandboxNoEmulation = sandbox.Emulation{}

// labelID returns the id of the lead label called name.
func labelID(t *testing.T, c *pipedrive.Client, name string) string {
	t.Helper()
	labels, _, err := c.LeadLabels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range labels {
		if l.Name == name {
			return l.ID
		}
	}
	t.Fatalf("no lead label %q", name)
	return ""
}
