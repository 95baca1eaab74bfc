package importer_test

// Match keys are compared folded one way everywhere (mapping.FoldKey: Unicode NFC, case folding,
// white space trimmed and collapsed): in the sheet's duplicates check, in the match of rows
// with the account's records (update, upsert) and in the label lookup. A record the row's key
// folds to is found, never created again; several are ambiguous, never one picked.

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/importer"
)

// TestUpsertFindsFoldedTitles seeds leads through POST /leads whose titles differ from the
// sheet's only in case, Unicode form and surrounding white space: the upsert updates each,
// creates only the new title, and rejects as ambiguous, naming both, the row whose title folds
// to two leads. (A stored title whose inner spacing differs from the row's is not found by
// the API's exact search: see leadsRemote.find.)
func TestUpsertFindsFoldedTitles(t *testing.T) {
	t.Parallel()
	e := &modesEnv{cn: newConn(t, startSandbox(t, sandboxNoEmulation)), dir: t.TempDir()}
	e.st = openState(t, filepath.Join(e.dir, ".pdbulk", "state.db"))
	seeds := []string{
		"Acme Deal",
		"Caf\u00e9 Project",      // é one code point (NFC)
		"Zoe\u0301 Lead",         // é as e + combining accent (NFD)
		"Big  Space Deal",        // two spaces
		"  Padded Deal  ",        // surrounding spaces
		"Twin Deal", "TWIN DEAL", // two leads of one key
	}
	ids := map[string]string{}
	for _, s := range seeds {
		ids[s] = createLead(t, e.cn.c, s, 1)
	}
	writeCSV(t, e.dir, "fold.csv", []string{"Lead Title", "Amount"}, [][]string{
		{"acme deal", "1"},
		{"Cafe\u0301 Project", "2"},
		{"Zo\u00e9 lead", "3"},
		{"big  SPACE deal", "4"},
		{"Padded Deal", "5"},
		{"twin deal", "6"},
		{"Brand New Deal", "7"},
	})
	j := e.job(t, "fold", "fold.csv", "upsert", "title", `  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: {value: EUR}
  organization_id: {value: 1}
`, "options: {duplicates: first}\n")
	res := e.run(t, j)
	if s := res.Stats; s.Updated != 5 || s.Created != 1 || s.Rejected != 1 {
		t.Errorf("stats %s; want 5 updated, 1 created, 1 rejected", s)
	}
	success, rejects := checkCounts(t, j, res)
	for i, seed := range seeds[:5] {
		wantDone(t, success, 2+i, "updated", ids[seed])
		if l := e.lead(t, ids[seed]); amountOf(l) != float64(1+i) {
			t.Errorf("lead %q has amount %v, want %d from row %d", seed, amountOf(l), 1+i, 2+i)
		}
	}
	wantRejected(t, rejects, 7, "ambiguous", ids["Twin Deal"], ids["TWIN DEAL"])
	leads := allLeads(t, e.cn.c)
	if len(leads) != len(seeds)+1 {
		t.Errorf("%d leads in the account, want %d (the seeds and Brand New Deal)", len(leads), len(seeds)+1)
	}
	// The updated leads now hold the rows' titles; the twins are untouched.
	want := map[string]string{}
	for i, seed := range seeds[:5] {
		want[ids[seed]] = []string{"acme deal", "Cafe\u0301 Project", "Zo\u00e9 lead", "big  SPACE deal", "Padded Deal"}[i]
	}
	want[ids["Twin Deal"]], want[ids["TWIN DEAL"]] = "Twin Deal", "TWIN DEAL"
	var created []string
	for _, l := range leads {
		if title, ok := want[l.ID]; !ok {
			created = append(created, l.Title)
		} else if l.Title != title {
			t.Errorf("lead %s titled %q, want %q", l.ID, l.Title, title)
		}
	}
	if !slices.Equal(created, []string{"Brand New Deal"}) {
		t.Errorf("leads created %q, want only \"Brand New Deal\"", created)
	}

	// update (no create) folds the same way; a title that folds to nothing is not found.
	writeCSV(t, e.dir, "upd.csv", []string{"Lead Title", "Amount"}, [][]string{{"ACME\tDEAL", "11"}, {"Acme Deals", "12"}})
	u := e.job(t, "fold-update", "upd.csv", "update", "title", `  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: {value: EUR}
`)
	res = e.run(t, u)
	if s := res.Stats; s.Updated != 1 || s.Rejected != 1 || s.Created != 0 {
		t.Errorf("update stats %s; want 1 updated, 1 rejected", s)
	}
	success, rejects = checkCounts(t, u, res)
	wantDone(t, success, 2, "updated", ids["Acme Deal"])
	wantRejected(t, rejects, 3, "no record matches")
	if n := len(allLeads(t, e.cn.c)); n != len(seeds)+1 {
		t.Errorf("%d leads after the update, want %d", n, len(seeds)+1)
	}
}

// TestLabelsFoldedNames upserts a label whose name differs from the account's only in case
// (updated, not created), then looks labels up from a leads job with create_missing: a name
// that folds to one label takes it, names that fold alike create one label between them, and a
// name that folds to two labels rejects its row, naming both, and creates nothing.
func TestLabelsFoldedNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cn := newConn(t, startSandbox(t, sandboxNoEmulation))
	dir := t.TempDir()
	st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
	labelNames := func() []string {
		labels, _, err := cn.c.LeadLabels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range labels {
			out = append(out, l.Name)
		}
		slices.Sort(out)
		return out
	}
	prio := createLabel(t, cn.c, "Priority", "red")

	writeCSV(t, dir, "labels.csv", []string{"Label"}, [][]string{{"priority"}})
	lj := loadJob(t, dir, "labels", `kind: import
entity: lead_labels
source: labels.csv
mode: upsert
match_on: [name]
columns:
  name: Label
  color: {value: green}
`)
	res := run(t, importer.Options{Job: lj, Client: cn.c, Pacer: cn.pacer, State: st})
	if s := res.Stats; s.Updated != 1 || s.Created != 0 {
		t.Errorf("labels upsert stats %s; want 1 updated, 0 created", s)
	}
	success, _ := checkCounts(t, lj, res)
	wantDone(t, success, 2, "updated", prio)
	if got, want := labelNames(), []string{"Cold", "Hot", "Warm", "priority"}; !slices.Equal(got, want) {
		t.Fatalf("labels after the upsert %q, want %q", got, want)
	}

	// Someone adds a second label of the same key.
	createLabel(t, cn.c, "PRIORITY", "blue")
	writeCSV(t, dir, "leads.csv", []string{"Lead Title", "Labels"}, [][]string{
		{"Lead A", "PRIORITY"},
		{"Lead B", "hot"},
		{"Lead C", "Brand  new label"},
		{"Lead D", "brand new LABEL"},
	})
	j := loadJob(t, dir, "leads", `kind: import
entity: leads
source: leads.csv
mode: create
columns:
  title: Lead Title
  organization_id: {value: 1}
  label_ids: {column: Labels, split: ";", lookup: lead_labels.name, create_missing: true}
`)
	res = run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	if s := res.Stats; s.Created != 3 || s.Rejected != 1 {
		t.Errorf("leads stats %s; want 3 created, 1 rejected", s)
	}
	_, rejects := checkCounts(t, j, res)
	// The reason names the lookup and the labels (names and ids).
	wantRejected(t, rejects, 2, `several lead labels named "PRIORITY" (2 lead labels have a name that folds to "PRIORITY": `)
	// Rows C and D race for which spelling creates the one label of their key.
	names := labelNames()
	brandName := "Brand  new label"
	if slices.Contains(names, "brand new LABEL") {
		brandName = "brand new LABEL"
	}
	if want := []string{"Cold", "Hot", "PRIORITY", "Warm", "priority", brandName}; !slices.Equal(sortedCopy(names), sortedCopy(want)) {
		t.Errorf("labels after the leads job %q, want %q", names, want)
	}
	leads := wantExactlyOnce(t, allLeads(t, cn.c), []string{"Lead B", "Lead C", "Lead D"})
	if got := leads["Lead B"].LabelIDs; !slices.Equal(got, []string{labelID(t, cn.c, "Hot")}) {
		t.Errorf("Lead B labels %v, want Hot", got)
	}
	brand := labelID(t, cn.c, brandName)
	for _, title := range []string{"Lead C", "Lead D"} {
		if got := leads[title].LabelIDs; !slices.Equal(got, []string{brand}) {
			t.Errorf("%s labels %v, want the one label created (%s)", title, got, brand)
		}
	}
}

// TestDuplicatesUnicodeForms refuses, under duplicates: error, a sheet holding one title in
// two Unicode forms (and cases), before anything is sent.
func TestDuplicatesUnicodeForms(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := &modesEnv{cn: newConn(t, startSandbox(t, sandboxNoEmulation)), dir: t.TempDir()}
	e.st = openState(t, filepath.Join(e.dir, ".pdbulk", "state.db"))
	writeCSV(t, e.dir, "dups.csv", []string{"Lead Title"}, [][]string{
		{"Caf\u00e9 Zeta"}, {"Other"}, {"CAFE\u0301  zeta"},
	})
	j := e.job(t, "dups", "dups.csv", "upsert", "title", `  title: Lead Title
  organization_id: {value: 2}
`, "options: {duplicates: error}\n")
	_, err := importer.Run(ctx, ctx, importer.Options{Job: j, Client: e.cn.c, Pacer: e.cn.pacer, State: e.st})
	je, ok := errorsAs[*importer.JobError](err)
	if !ok {
		t.Fatalf("Run = %v, want a *JobError", err)
	}
	for _, p := range []string{"row 4 repeats row 2", "nothing was sent"} {
		if !strings.Contains(je.Error(), p) {
			t.Errorf("error %q does not say %q", je, p)
		}
	}
	if n := len(allLeads(t, e.cn.c)); n != 0 {
		t.Errorf("%d leads, want none", n)
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
