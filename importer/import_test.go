package importer_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/pipedrive"
)

// leadsJob is a create job for leads.csv with every kind of mapping a lead import uses:
// numbers, dates, a label lookup (no labels created) and an organization lookup.
const leadsJob = `kind: import
name: %s
entity: leads
source: leads.csv
mode: create
key: External ID
columns:
  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: Currency
  expected_close_date: {column: Close, type: date}
  label_ids: {column: Labels, split: ";", lookup: lead_labels.name}
  organization_id: {column: Company, lookup: organizations.name}
  owner_id: {column: Owner id, type: int}
options: {concurrency: 4}
`

var leadsHeader = []string{"External ID", "Lead Title", "Amount", "Currency", "Close", "Labels", "Company", "Owner id"}

// TestImportLeadsEndToEnd imports a lead CSV with valid and invalid rows: every valid row
// becomes exactly one lead with the mapped fields (read back through the client); the
// success report holds each done row's cells, its row number, "created" and the lead's id;
// the reject report each invalid row's cells, its row number and a reason naming the
// column; the counts of the result, the reports and the checkpoint agree.
func TestImportLeadsEndToEnd(t *testing.T) {
	t.Parallel()
	base := startSandbox(t, sandboxNoEmulation)
	cn := newConn(t, base)
	hot, warm := labelID(t, cn.c, "Hot"), labelID(t, cn.c, "Warm") // the sandbox's own labels

	dir := t.TempDir()
	rows := [][]string{
		{"E-1", "Website relaunch", "1200.50", "EUR", "2026-03-15", "Hot", "Acme Corporation", "2"},    // 2
		{"E-2", "Support contract", "300", "USD", "2026-04-01", "Hot;Warm", "Globex Inc", "3"},         // 3
		{"E-3", "Bad amount", "12x", "EUR", "2026-03-15", "Hot", "Acme Corporation", "1"},              // 4: rejected
		{"E-4", "Bad date", "100", "EUR", "2026-02-30", "", "Initech", "1"},                            // 5: rejected
		{"E-5", "Unknown label", "100", "EUR", "2026-05-01", "Lukewarm", "Initech", "1"},               // 6: rejected
		{"E-6", "Unknown company", "100", "EUR", "2026-05-01", "", "No Such Corp", "1"},                // 7: rejected
		{"E-7", "Data migration", "0", "GBP", "2027-01-31", "", "Initech", "4"},                        // 8
		{"E-8", "Training day", "99.99", "EUR", "", "Warm", "Hooli", "1"},                              // 9
		{"E-9", "Annual licence", "45000", "EUR", "2026-12-31", "warm", "Tyrell Systems", "2"},         // 10 (label by case)
		{"E-10", "API integration", "7", "USD", "2026-06-30", " Hot ; Warm ", "Stark Industries", "3"}, // 11
	}
	writeCSV(t, dir, "leads.csv", leadsHeader, rows)
	j := loadJob(t, dir, "e2e", strings.Replace(leadsJob, "%s", "e2e", 1))
	st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))

	res := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	if res.Stopped != nil {
		t.Fatalf("stopped: %v", res.Stopped)
	}
	s := res.Stats
	if s.Read != 10 || s.Total != 10 || s.Created != 6 || s.Rejected != 4 || s.Pending != 0 || s.Updated+s.Deleted+s.Unchanged != 0 {
		t.Errorf("stats = %s; want 10 read (total 10), 6 created, 4 rejected", s)
	}
	success, rejects := checkCounts(t, j, &importer.Result{Stats: s})

	// The leads, read back.
	want := map[string]struct {
		amount   float64
		currency string
		close    string
		labels   []string
		org      int
		owner    int
	}{
		"Website relaunch": {1200.5, "EUR", "2026-03-15", []string{hot}, 1, 2},
		"Support contract": {300, "USD", "2026-04-01", []string{hot, warm}, 2, 3},
		"Data migration":   {0, "GBP", "2027-01-31", nil, 3, 4},
		"Training day":     {99.99, "EUR", "", []string{warm}, 7, 1},
		"Annual licence":   {45000, "EUR", "2026-12-31", []string{warm}, 10, 2},
		"API integration":  {7, "USD", "2026-06-30", []string{hot, warm}, 5, 3},
	}
	var titles []string
	for k := range want {
		titles = append(titles, k)
	}
	leads := wantExactlyOnce(t, allLeads(t, cn.c), titles)
	for title, w := range want {
		l, ok := leads[title]
		if !ok {
			continue
		}
		full, _, err := cn.c.Lead(context.Background(), l.ID)
		if err != nil {
			t.Fatalf("get lead %s: %v", l.ID, err)
		}
		if full.Value == nil || full.Value.Amount != w.amount || full.Value.Currency != w.currency {
			t.Errorf("%s: value = %+v, want %v %s", title, full.Value, w.amount, w.currency)
		}
		gotClose := ""
		if full.ExpectedCloseDate != nil {
			gotClose = *full.ExpectedCloseDate
		}
		if gotClose != w.close {
			t.Errorf("%s: expected_close_date = %q, want %q", title, gotClose, w.close)
		}
		gotLabels := append([]string(nil), full.LabelIDs...)
		wantLabels := append([]string(nil), w.labels...)
		sort.Strings(gotLabels)
		sort.Strings(wantLabels)
		if len(gotLabels)+len(wantLabels) > 0 && !reflect.DeepEqual(gotLabels, wantLabels) {
			t.Errorf("%s: label_ids = %v, want %v", title, gotLabels, wantLabels)
		}
		if full.OrganizationID == nil || *full.OrganizationID != w.org {
			t.Errorf("%s: organization_id = %v, want %d", title, full.OrganizationID, w.org)
		}
		if full.OwnerID != w.owner {
			t.Errorf("%s: owner_id = %d, want %d", title, full.OwnerID, w.owner)
		}
	}

	// The success report: the original cells, the row number, the action and the lead's id.
	wantHeader := append(append([]string{}, leadsHeader...), "pdbulk_row", "pdbulk_status", "pipedrive_id")
	if !reflect.DeepEqual(success.header, wantHeader) {
		t.Errorf("success header = %q, want %q", success.header, wantHeader)
	}
	okRows := success.byRow(t)
	for i, r := range rows {
		num := rowNum(i + 2)
		got, ok := okRows[num]
		if _, valid := want[r[1]]; !valid {
			if ok {
				t.Errorf("rejected row %s is in the success report", num)
			}
			continue
		}
		if !ok {
			t.Errorf("row %s (%s) is not in the success report", num, r[1])
			continue
		}
		for c, h := range leadsHeader {
			if got[h] != r[c] {
				t.Errorf("success row %s column %q = %q, want the original %q", num, h, got[h], r[c])
			}
		}
		if got["pdbulk_status"] != "created" || got["pipedrive_id"] != leads[r[1]].ID || got["pipedrive_id"] == "" {
			t.Errorf("success row %s: status %q id %q, want created %q", num, got["pdbulk_status"], got["pipedrive_id"], leads[r[1]].ID)
		}
	}

	// The reject report: the original cells, the row number and the reason naming the column.
	wantHeader = append(append([]string{}, leadsHeader...), "pdbulk_row", "pdbulk_error")
	if !reflect.DeepEqual(rejects.header, wantHeader) {
		t.Errorf("rejects header = %q, want %q", rejects.header, wantHeader)
	}
	badRows := rejects.byRow(t)
	wantReject := map[int][]string{
		4: {`column "Amount"`, "12x"},
		5: {`column "Close"`, "2026-02-30"},
		6: {`column "Labels"`, "Lukewarm"},
		7: {`column "Company"`, "No Such Corp"},
	}
	for n, parts := range wantReject {
		got, ok := badRows[rowNum(n)]
		if !ok {
			t.Errorf("row %d is not in the reject report", n)
			continue
		}
		for c, h := range leadsHeader {
			if got[h] != rows[n-2][c] {
				t.Errorf("reject row %d column %q = %q, want the original %q", n, h, got[h], rows[n-2][c])
			}
		}
		for _, p := range parts {
			if !strings.Contains(got["pdbulk_error"], p) {
				t.Errorf("reject row %d: reason %q does not contain %q", n, got["pdbulk_error"], p)
			}
		}
	}
	if len(res.Problems) != 4 {
		t.Errorf("problems = %+v, want the 4 rejected rows", res.Problems)
	}
	for i, p := range res.Problems {
		if p.Row != i+4 || p.Column == "" || p.Reason == "" {
			t.Errorf("problem %d = %+v, want row %d with its column and reason", i, p, i+4)
		}
	}

	// The checkpoint agrees, and the id map knows every created lead by its External ID.
	sum, ok, err := st.Job(context.Background(), j.Name)
	if err != nil || !ok {
		t.Fatalf("checkpoint: %v (found %v)", err, ok)
	}
	if sum.Total != 10 || sum.Done != 6 || sum.Rejected != 4 || sum.InFlight != 0 || sum.Pending != 0 {
		t.Errorf("checkpoint summary = %+v, want 10 rows: 6 done, 4 rejected", sum)
	}
	for _, r := range rows {
		l, ok := leads[r[1]]
		if !ok {
			continue
		}
		id, found, err := st.LookupID(context.Background(), "leads", strings.ToLower(r[0]))
		if err != nil || !found || id != l.ID {
			t.Errorf("id map %s = %q (found %v, %v), want %s", r[0], id, found, err, l.ID)
		}
	}

	// A second run of the same job resumes: nothing is sent again, nothing is duplicated.
	before := cn.pacer.Stats().Requests
	res2 := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	if s := res2.Stats; s.Read != 10 || s.Unchanged != 6 || s.Rejected != 4 || s.Created != 0 || s.Pending != 0 {
		t.Errorf("second run: %s; want 6 already done, 4 rejected", s)
	}
	if n := cn.pacer.Stats().Requests - before; n != 0 {
		t.Errorf("second run sent %d requests, want none", n)
	}
	checkCounts(t, j, res2)
	wantExactlyOnce(t, allLeads(t, cn.c), titles)
}

// TestUnauthorized: a wrong token is fatal for the run (no row is rejected for it), and the
// run returns with every worker ended, its rows still pending.
func TestUnauthorized(t *testing.T) {
	t.Parallel()
	base := startSandbox(t, sandboxNoEmulation)
	dir := t.TempDir()
	genLeads(t, dir, 200, 0)
	j := loadJob(t, dir, "unauth", fmt.Sprintf(faultJob, "unauth", 4))
	st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
	c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: "wrong-token-0000000000"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := importer.Run(context.Background(), context.Background(), importer.Options{Job: j, Client: c, State: st})
	if !errors.Is(err, pipedrive.ErrUnauthorized) {
		t.Fatalf("Run = %v, want ErrUnauthorized", err)
	}
	if res == nil {
		t.Fatal("no result")
	}
	if s := res.Stats; s.Created != 0 || s.Rejected != 0 || s.Read != s.Pending || s.Read == 0 {
		t.Errorf("stats %s; want every row read still pending", s)
	}
	checkCounts(t, j, res)
}
