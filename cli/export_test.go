package cli_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

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
