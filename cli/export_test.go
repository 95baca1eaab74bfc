package cli_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/cli"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sandbox"
)

// leadFacts is what a round trip must keep of a lead: title, amount, currency, expected
// close date, label names and owner.
func leadFacts(t *testing.T, c *pipedrive.Client) []string {
	t.Helper()
	labels, _, err := c.LeadLabels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	name := map[string]string{}
	for _, l := range labels {
		name[l.ID] = l.Name
	}
	var out []string
	for _, l := range leads(t, c) {
		var ln []string
		for _, id := range l.LabelIDs {
			ln = append(ln, name[id])
		}
		sort.Strings(ln)
		amount, currency := 0.0, ""
		if l.Value != nil {
			amount, currency = l.Value.Amount, l.Value.Currency
		}
		date := ""
		if l.ExpectedCloseDate != nil {
			date = *l.ExpectedCloseDate
		}
		out = append(out, fmt.Sprintf("%s|%.2f|%s|%s|%s|%d", l.Title, amount, currency, date, strings.Join(ln, ";"), l.OwnerID))
	}
	slices.Sort(out)
	return out
}

// TestExportRoundTrip: the labels and leads of one sandbox, exported to CSV and to XLSX
// and imported into an empty sandbox, come back with the same titles, amounts,
// currencies, dates, labels and owners.
func TestExportRoundTrip(t *testing.T) {
	t.Parallel()
	baseA := startSandbox(t, sandbox.Options{})
	dir := copySamples(t)
	inA := connectedTo(baseA, testToken)
	wantCode(t, pdbulk(t, inA, "run", filepath.Join(dir, "lead_labels.yaml"), filepath.Join(dir, "leads.yaml")), cli.ExitOK)
	want := leadFacts(t, apiClient(t, baseA))
	if len(want) != 120 {
		t.Fatalf("sandbox A holds %d leads, want 120", len(want))
	}

	for _, ext := range []string{"csv", "xlsx"} {
		t.Run(ext, func(t *testing.T) {
			t.Parallel()
			rt := t.TempDir()
			labelsOut := writeFile(t, rt, "export_labels.yaml", `kind: export
entity: lead_labels
target: out/labels.`+ext+`
columns: {name: Label, color: Colour}
`)
			leadsOut := writeFile(t, rt, "export_leads.yaml", `kind: export
entity: leads
target: out/leads.`+ext+`
columns:
  title: Title
  value.amount: {column: Amount, type: number}
  value.currency: Currency
  expected_close_date: {column: Close, type: date}
  label_ids: {column: Labels, lookup: lead_labels.name, join: ";"}
  owner_id: {column: Owner, type: int}
  organization_id: {column: Organization, type: int}
  person_id: {column: Person, type: int}
`)
			r := pdbulk(t, inA, "run", labelsOut, leadsOut)
			wantCode(t, r, cli.ExitOK)
			wantContains(t, "stderr", r.stderr, "120 records written to "+filepath.Join(rt, "out", "leads."+ext))

			labelsIn := writeFile(t, rt, "import_labels.yaml", `kind: import
entity: lead_labels
source: out/labels.`+ext+`
mode: upsert
match_on: [name]
columns: {name: Label, color: Colour}
`)
			leadsIn := writeFile(t, rt, "import_leads.yaml", `kind: import
entity: leads
source: out/leads.`+ext+`
mode: create
columns:
  title: Title
  value.amount: {column: Amount, type: number}
  value.currency: Currency
  expected_close_date: Close
  label_ids: {column: Labels, split: ";", lookup: lead_labels.name}
  owner_id: {column: Owner, type: int}
  organization_id: {column: Organization, type: int}
  person_id: {column: Person, type: int}
`)
			baseB := startSandbox(t, sandbox.Options{})
			r = pdbulk(t, connectedTo(baseB, testToken), "run", labelsIn, leadsIn)
			wantCode(t, r, cli.ExitOK)
			got := leadFacts(t, apiClient(t, baseB))
			if !slices.Equal(got, want) {
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						t.Errorf("first difference: got %q, want %q", got[i], want[i])
						break
					}
				}
				t.Fatalf("round trip through %s: %d leads differ from the %d of the source", ext, len(got), len(want))
			}
		})
	}
}

// TestExportCommand: an export job through the command line: a dry run prints its plan
// and sends nothing, a run writes the file, and a job that cannot be read exits 2 naming
// the line.
func TestExportCommand(t *testing.T) {
	t.Parallel()
	base := startSandbox(t, sandbox.Options{})
	e := connectedTo(base, testToken)
	dir := t.TempDir()
	job := writeFile(t, dir, "labels.yaml", "kind: export\nentity: lead_labels\ntarget: out/labels-{date}.csv\n")

	r := pdbulk(t, e, "run", "--dry-run", job)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stderr", r.stderr, "GET /leadLabels: 1 request, 10 tokens")

	r = pdbulk(t, e, "run", job)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stderr", r.stderr, "3 records written to "+filepath.Join(dir, "out", "labels-"))
	matches, _ := filepath.Glob(filepath.Join(dir, "out", "labels-*.csv"))
	if len(matches) != 1 {
		t.Fatalf("files written: %v, want one dated labels file", matches)
	}
	h, rows := readCSV(t, matches[0])
	if len(rows) != 3 || h[0] != "id" || h[1] != "name" {
		t.Errorf("labels export: header %v, %d rows; want id, name first and the 3 default labels", h, len(rows))
	}

	bad := writeFile(t, dir, "bad.yaml", "kind: export\nentity: leads\ntarget: out/leads.pdf\ncolumns:\n  titel: Title\n")
	r = pdbulk(t, e, "run", bad)
	wantCode(t, r, cli.ExitUsage)
	wantContains(t, "stderr", r.stderr, "bad.yaml:3:", "use a .csv, .tsv or .xlsx file", "bad.yaml:5:", `leads has no field "titel"`)
}

// exportPositionSaved reports whether the checkpoint at statePath holds the position of an
// interrupted export (read with plain SQL while the run writes it).
func exportPositionSaved(t *testing.T, statePath string) bool {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+statePath+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM bookmarks WHERE job LIKE '%export-progress%'`).Scan(&n); err != nil {
		return false // not created yet
	}
	return n > 0
}

// TestExportInterruptResume: a Ctrl-C in the middle of an export exits 75 and leaves last
// week's file in place; a second run of the same job refuses to start while the first
// runs; the same command then goes on from where it stopped and writes every lead once, in
// order; --restart after another interruption starts over and writes the same file.
func TestExportInterruptResume(t *testing.T) {
	t.Parallel()
	const n = 6000
	e := connectedTo(slowLeadsSandbox(t, n), testToken)
	dir := t.TempDir()
	state := filepath.Join(dir, "state.db")
	job := writeFile(t, dir, "leads.yaml", "kind: export\nentity: leads\nquery: {archived: all}\ntarget: out/leads.csv\ncolumns: {id: ID, title: Title, add_time: Created}\noptions: {concurrency: 1}\n")
	target := filepath.Join(dir, "out", "leads.csv")
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte("last week\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	interrupt := func(args ...string) result {
		t.Helper()
		stop, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan result, 1)
		go func() { done <- pdbulkCtx(t, stop, e, append([]string{"run", "--state", state}, args...)...) }()
		deadline := time.Now().Add(30 * time.Second)
		for !exportPositionSaved(t, state) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		return <-func() chan result {
			if args[len(args)-1] == job {
				// While it runs, a second run of the job is refused at once.
				second := pdbulk(t, e, "run", "--state", state, job)
				wantCode(t, second, cli.ExitResumable)
				wantContains(t, "stderr", second.stderr, "is already running", "Nothing was written: two runs of one export")
			}
			cancel()
			return done
		}()
	}
	r := interrupt(job)
	wantCode(t, r, cli.ExitResumable)
	wantContains(t, "stderr", r.stderr, "interrupted; nothing was written at the target yet", "continue where it stopped")
	if b, _ := os.ReadFile(target); string(b) != "last week\n" {
		t.Fatalf("target after the interruption = %.60q, want last week's file", b)
	}

	r = pdbulk(t, e, "run", "--state", state, job)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stderr", r.stderr, fmt.Sprintf("%d records", n), "kept from the interrupted run")
	_, resumed := readCSV(t, target)

	// Against an export that was never interrupted: the same rows in the same order.
	refDir := t.TempDir()
	refJob := writeFile(t, refDir, "leads.yaml", "kind: export\nentity: leads\nquery: {archived: all}\ntarget: out/leads.csv\ncolumns: {id: ID, title: Title, add_time: Created}\n")
	wantCode(t, pdbulk(t, e, "run", refJob), cli.ExitOK)
	_, want := readCSV(t, filepath.Join(refDir, "out", "leads.csv"))
	if len(resumed) != n || !slices.EqualFunc(resumed, want, slices.Equal[[]string]) {
		t.Fatalf("resumed export: %d rows, want the %d rows of an uninterrupted export in its order", len(resumed), len(want))
	}

	// --restart forgets an interrupted run.
	r = interrupt(job)
	wantCode(t, r, cli.ExitResumable)
	r = pdbulk(t, e, "run", "--state", state, "--restart", job)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stderr", r.stderr, "--restart: the interrupted run's rows are discarded")
	if strings.Contains(r.stderr, "kept from the interrupted run") {
		t.Errorf("--restart kept the interrupted run's rows:\n%s", r.stderr)
	}
	if _, rows := readCSV(t, target); !slices.EqualFunc(rows, want, slices.Equal[[]string]) {
		t.Errorf("export after --restart: %d rows, want the %d of an uninterrupted export", len(rows), len(want))
	}
	left, _ := filepath.Glob(filepath.Join(dir, "out", ".*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// slowLeadsSandbox starts a sandbox holding n sample leads that answers after 150 ms (so
// that an export of them can be stopped part-way), and returns its base URL.
func slowLeadsSandbox(t *testing.T, n int) string {
	t.Helper()
	srv, err := sandbox.New(sandbox.Options{Token: testToken, Emulation: sandbox.Emulation{RateLimit: 2000, Latency: 150 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	base, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if err := srv.InsertLeads(context.Background(), n, sandbox.SampleLeads(n, time.Now(), srv.LeadLabelIDs())); err != nil {
		t.Fatal(err)
	}
	return base
}
