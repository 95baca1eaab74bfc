package importer_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
)

// modesEnv is a sandbox with five leads created by a seed job, and a checkpoint shared by
// the jobs of one folder.
type modesEnv struct {
	cn    conn
	dir   string
	st    *jobs.State
	seeds map[string]pipedrive.Lead // by title
}

func newModesEnv(t *testing.T) *modesEnv {
	t.Helper()
	e := &modesEnv{cn: newConn(t, startSandbox(t, sandboxNoEmulation)), dir: t.TempDir()}
	e.st = openState(t, filepath.Join(e.dir, ".pdbulk", "state.db"))
	writeCSV(t, e.dir, "seed.csv", []string{"Lead Title", "Amount"}, [][]string{
		{"Alpha", "100"}, {"Bravo", "200"}, {"Charlie", "300"}, {"Delta", "400"}, {"Echo", "500"},
	})
	j := e.job(t, "seed", "seed.csv", "create", "", `  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: {value: EUR}
  organization_id: {value: 1}
`)
	res := e.run(t, j)
	if res.Stats.Created != 5 {
		t.Fatalf("seed: %s", res.Stats)
	}
	e.seeds = wantExactlyOnce(t, allLeads(t, e.cn.c), []string{"Alpha", "Bravo", "Charlie", "Delta", "Echo"})
	return e
}

// job writes and loads a job of mode over source with the columns block cols.
func (e *modesEnv) job(t *testing.T, name, source, mode, matchOn, cols string, extra ...string) *jobs.Job {
	t.Helper()
	body := fmt.Sprintf("kind: import\nname: %s\nentity: leads\nsource: %s\nmode: %s\n", name, source, mode)
	if matchOn != "" {
		body += "match_on: [" + matchOn + "]\n"
	}
	body += "columns:\n" + cols + strings.Join(extra, "")
	return loadJob(t, e.dir, name, body)
}

func (e *modesEnv) run(t *testing.T, j *jobs.Job) *importer.Result {
	t.Helper()
	res := run(t, importer.Options{Job: j, Client: e.cn.c, Pacer: e.cn.pacer, State: e.st})
	if res.Stopped != nil {
		t.Fatalf("%s stopped: %v", j.Name, res.Stopped)
	}
	return res
}

func (e *modesEnv) lead(t *testing.T, id string) pipedrive.Lead {
	t.Helper()
	l, _, err := e.cn.c.Lead(context.Background(), id)
	if err != nil {
		t.Fatalf("get lead %s: %v", id, err)
	}
	return l
}

func amountOf(l pipedrive.Lead) float64 {
	if l.Value == nil {
		return -1
	}
	return l.Value.Amount
}

// wantRejected checks that the reject report holds row n with a reason containing every part.
func wantRejected(t *testing.T, rejects report, n int, parts ...string) {
	t.Helper()
	got, ok := rejects.byRow(t)[rowNum(n)]
	if !ok {
		t.Errorf("row %d is not in the reject report %v", n, rejects.rows)
		return
	}
	for _, p := range parts {
		if !strings.Contains(got["pdbulk_error"], p) {
			t.Errorf("row %d: reason %q does not contain %q", n, got["pdbulk_error"], p)
		}
	}
}

// wantDone checks that the success report holds row n with status and id.
func wantDone(t *testing.T, success report, n int, status, id string) {
	t.Helper()
	got, ok := success.byRow(t)[rowNum(n)]
	if !ok {
		t.Errorf("row %d is not in the success report %v", n, success.rows)
		return
	}
	if got["pdbulk_status"] != status || got["pipedrive_id"] != id {
		t.Errorf("success row %d: %s %s, want %s %s", n, got["pdbulk_status"], got["pipedrive_id"], status, id)
	}
}

// TestModes runs the other modes against leads a seed job created: update by id and by
// title (a searchable field), upsert, delete and archive; each changes exactly the records
// its rows name, and rows naming no record are rejected with the reason.
func TestModes(t *testing.T) {
	t.Parallel()
	e := newModesEnv(t)
	ctx := context.Background()
	nLeads := func() int { return len(allLeads(t, e.cn.c)) }

	t.Run("update by id", func(t *testing.T) {
		alpha := e.seeds["Alpha"]
		writeCSV(t, e.dir, "update_id.csv", []string{"Pipedrive ID", "Lead Title", "Amount"}, [][]string{
			{alpha.ID, "Alpha renamed", "150"},
			{"6f1a9d0e-1111-4222-8333-444455556666", "Nobody", "1"},
		})
		j := e.job(t, "update-id", "update_id.csv", "update", "id", `  id: Pipedrive ID
  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: {value: EUR}
`)
		res := e.run(t, j)
		if s := res.Stats; s.Updated != 1 || s.Rejected != 1 || s.Created != 0 {
			t.Errorf("stats %s; want 1 updated, 1 rejected", s)
		}
		success, rejects := checkCounts(t, j, res)
		wantDone(t, success, 2, "updated", alpha.ID)
		wantRejected(t, rejects, 3, "no record matches id")
		if l := e.lead(t, alpha.ID); l.Title != "Alpha renamed" || amountOf(l) != 150 {
			t.Errorf("lead after update: %q %v, want Alpha renamed 150", l.Title, amountOf(l))
		}
		if n := nLeads(); n != 5 {
			t.Errorf("%d leads after update, want 5", n)
		}
	})

	t.Run("update by title", func(t *testing.T) {
		bravo := e.seeds["Bravo"]
		writeCSV(t, e.dir, "update_title.csv", []string{"Lead Title", "Amount"}, [][]string{
			{"Bravo", "250"},
			{"Nonexistent lead", "1"},
		})
		j := e.job(t, "update-title", "update_title.csv", "update", "title", `  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: {value: EUR}
`)
		res := e.run(t, j)
		if s := res.Stats; s.Updated != 1 || s.Rejected != 1 || s.Created != 0 {
			t.Errorf("stats %s; want 1 updated, 1 rejected", s)
		}
		success, rejects := checkCounts(t, j, res)
		wantDone(t, success, 2, "updated", bravo.ID)
		wantRejected(t, rejects, 3, "no record matches title", "nonexistent lead")
		if l := e.lead(t, bravo.ID); amountOf(l) != 250 {
			t.Errorf("Bravo amount %v, want 250", amountOf(l))
		}
	})

	t.Run("upsert by title", func(t *testing.T) {
		charlie := e.seeds["Charlie"]
		writeCSV(t, e.dir, "upsert.csv", []string{"Lead Title", "Amount"}, [][]string{
			{"Charlie", "350"},   // 2: updated
			{"Foxtrot", "600"},   // 3: created
			{" foxtrot ", "601"}, // 4: the same key as row 3: rejected, whatever the order of the workers
			{"Golf", "700"},      // 5: created
			{"FOXTROT", "602"},   // 6: the same key again
		})
		j := e.job(t, "upsert", "upsert.csv", "upsert", "title", `  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: {value: EUR}
  organization_id: {value: 2}
`, "options: {concurrency: 8}\n")
		res := e.run(t, j)
		if s := res.Stats; s.Updated != 1 || s.Created != 2 || s.Rejected != 2 {
			t.Errorf("stats %s; want 1 updated, 2 created, 2 rejected", s)
		}
		success, rejects := checkCounts(t, j, res)
		wantDone(t, success, 2, "updated", charlie.ID)
		wantRejected(t, rejects, 4, "duplicate", "row 3", "first row wins")
		wantRejected(t, rejects, 6, "duplicate", "row 3")
		if l := e.lead(t, charlie.ID); amountOf(l) != 350 {
			t.Errorf("Charlie amount %v, want 350", amountOf(l))
		}
		by := leadsByTitle(allLeads(t, e.cn.c))
		if len(by["Foxtrot"]) != 1 || amountOf(by["Foxtrot"][0]) != 600 || len(by["Golf"]) != 1 {
			t.Errorf("after upsert: Foxtrot %v, Golf %v; want one each, Foxtrot from row 3", by["Foxtrot"], by["Golf"])
		}
		if len(by[" foxtrot "])+len(by["FOXTROT"])+len(by["foxtrot"]) != 0 {
			t.Errorf("a duplicate row was sent")
		}
		wantDone(t, success, 3, "created", by["Foxtrot"][0].ID)

		// The same file again: every row finds its record now, nothing is created.
		res = run(t, importer.Options{Job: j, Client: e.cn.c, Pacer: e.cn.pacer, State: e.st, Restart: true})
		if s := res.Stats; s.Updated != 3 || s.Created != 0 || s.Rejected != 2 {
			t.Errorf("upsert again: %s; want 3 updated, 2 rejected", s)
		}
		checkCounts(t, j, res)
		if n := nLeads(); n != 7 {
			t.Errorf("%d leads after two upserts, want 7", n)
		}
	})

	t.Run("duplicates error", func(t *testing.T) {
		writeCSV(t, e.dir, "dups.csv", []string{"Lead Title", "Amount"}, [][]string{
			{"Hotel", "1"}, {"India", "2"}, {"hotel", "3"}, {"Juliett", "4"}, {" INDIA", "5"},
		})
		j := e.job(t, "dups", "dups.csv", "upsert", "title", `  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: {value: EUR}
  organization_id: {value: 2}
`, "options: {duplicates: error}\n")
		before := e.cn.pacer.Stats().Requests
		_, err := importer.Run(ctx, ctx, importer.Options{Job: j, Client: e.cn.c, Pacer: e.cn.pacer, State: e.st})
		je, ok := errorsAs[*importer.JobError](err)
		if !ok {
			t.Fatalf("Run = %v, want a *JobError", err)
		}
		for _, p := range []string{"2 rows", "row 4 repeats row 2", "row 6 repeats row 3", "nothing was sent"} {
			if !strings.Contains(je.Error(), p) {
				t.Errorf("error %q does not say %q", je, p)
			}
		}
		if n := e.cn.pacer.Stats().Requests - before; n != 0 {
			t.Errorf("%d requests sent, want none", n)
		}
		if _, ok, _ := e.st.Job(ctx, j.Name); ok {
			t.Errorf("the refused job has a checkpoint")
		}
	})

	t.Run("delete", func(t *testing.T) {
		delta := e.seeds["Delta"]
		writeCSV(t, e.dir, "delete.csv", []string{"Lead Title"}, [][]string{{"Delta"}, {"Nonexistent lead"}})
		j := e.job(t, "delete", "delete.csv", "delete", "title", "  title: Lead Title\n")
		res := e.run(t, j)
		if s := res.Stats; s.Deleted != 1 || s.Rejected != 1 {
			t.Errorf("stats %s; want 1 deleted, 1 rejected", s)
		}
		success, rejects := checkCounts(t, j, res)
		wantDone(t, success, 2, "deleted", delta.ID)
		wantRejected(t, rejects, 3, "no record matches title")
		if _, _, err := e.cn.c.Lead(ctx, delta.ID); !errors.Is(err, pipedrive.ErrNotFound) {
			t.Errorf("Delta after delete: %v, want not found", err)
		}
		if len(leadsByTitle(allLeads(t, e.cn.c))["Echo"]) != 1 {
			t.Errorf("delete removed another lead")
		}
	})

	t.Run("archive", func(t *testing.T) {
		echo := e.seeds["Echo"]
		writeCSV(t, e.dir, "archive.csv", []string{"Lead Title"}, [][]string{{"Echo"}, {"Nonexistent lead"}})
		j := e.job(t, "archive", "archive.csv", "archive", "title", "  title: Lead Title\n")
		res := e.run(t, j)
		if s := res.Stats; s.Deleted != 1 || s.Rejected != 1 {
			t.Errorf("stats %s; want 1 archived, 1 rejected", s)
		}
		success, rejects := checkCounts(t, j, res)
		wantDone(t, success, 2, "archived", echo.ID)
		wantRejected(t, rejects, 3, "no record matches title")
		if l := e.lead(t, echo.ID); !l.IsArchived || l.Title != "Echo" {
			t.Errorf("Echo after archive: archived %v title %q", l.IsArchived, l.Title)
		}
		if l := e.lead(t, e.seeds["Bravo"].ID); l.IsArchived {
			t.Errorf("archive archived another lead")
		}
	})
}

// TestDuplicatesDeterministic: with duplicates: first, the first row of each key is the one
// imported and every later one is rejected naming it, at any concurrency.
func TestDuplicatesDeterministic(t *testing.T) {
	t.Parallel()
	e := &modesEnv{cn: newConn(t, startSandbox(t, sandboxNoEmulation)), dir: t.TempDir()}
	e.st = openState(t, filepath.Join(e.dir, ".pdbulk", "state.db"))
	const keys, copies = 20, 5
	var rows [][]string
	for c := range copies {
		for k := range keys {
			title := fmt.Sprintf("Deal %02d", k)
			if c > 0 {
				title = strings.ToUpper(title) + strings.Repeat(" ", c)
			}
			rows = append(rows, []string{title, fmt.Sprint(1000*c + k)})
		}
	}
	writeCSV(t, e.dir, "dups.csv", []string{"Lead Title", "Amount"}, rows)
	j := e.job(t, "dups-first", "dups.csv", "create", "title", `  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: {value: EUR}
  organization_id: {value: 3}
`, "options: {concurrency: 16}\n")
	res := e.run(t, j)
	if s := res.Stats; s.Created != keys || s.Rejected != keys*(copies-1) {
		t.Errorf("stats %s; want %d created, %d rejected", s, keys, keys*(copies-1))
	}
	_, rejects := checkCounts(t, j, res)
	var titles []string
	for k := range keys {
		titles = append(titles, fmt.Sprintf("Deal %02d", k))
	}
	leads := wantExactlyOnce(t, allLeads(t, e.cn.c), titles)
	for k, title := range titles {
		if l, ok := leads[title]; ok && amountOf(l) != float64(k) {
			t.Errorf("%s has amount %v, want %d from its first row", title, amountOf(l), k)
		}
	}
	for c := 1; c < copies; c++ {
		for k := range keys {
			wantRejected(t, rejects, 2+c*keys+k, fmt.Sprintf("row %d has the same title", 2+k))
		}
	}
}

// TestLeadLabelsCreate imports lead labels: each valid row becomes one label with its
// colour; a colour the API does not know is rejected naming the column.
func TestLeadLabelsCreate(t *testing.T) {
	t.Parallel()
	cn := newConn(t, startSandbox(t, sandboxNoEmulation))
	dir := t.TempDir()
	st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
	writeCSV(t, dir, "labels.csv", []string{"Label", "Colour"}, [][]string{
		{"Partner", "Purple"}, {"Renewal", "green"}, {"Strange", "Magenta"}, {"Event 2027", ""}, {"", "blue"},
	})
	j := loadJob(t, dir, "labels", `kind: import
entity: lead_labels
source: labels.csv
mode: create
columns:
  name: Label
  color: {column: Colour, lowercase: true, default: gray}
`)
	res := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	if s := res.Stats; s.Created != 3 || s.Rejected != 2 {
		t.Errorf("stats %s; want 3 created, 2 rejected", s)
	}
	success, rejects := checkCounts(t, j, res)
	wantRejected(t, rejects, 4, `column "Colour"`)
	wantRejected(t, rejects, 6, `column "Label"`)
	labels, _, err := cn.c.LeadLabels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The sandbox starts with Hot, Warm and Cold, as a Pipedrive company does.
	want := map[string]string{"Partner": "purple", "Renewal": "green", "Event 2027": "gray", "Hot": "red", "Warm": "yellow", "Cold": "blue"}
	got := map[string]string{}
	ids := map[string]string{}
	for _, l := range labels {
		if _, dup := got[l.Name]; dup {
			t.Errorf("label %q exists twice", l.Name)
		}
		got[l.Name], ids[l.Name] = l.Color, l.ID
	}
	for name, color := range want {
		if got[name] != color {
			t.Errorf("label %q colour %q, want %q", name, got[name], color)
		}
	}
	if _, ok := got["Strange"]; ok {
		t.Errorf("the rejected label was created")
	}
	if len(labels) != len(want) {
		t.Errorf("%d labels, want %d: %+v", len(labels), len(want), labels)
	}
	wantDone(t, success, 2, "created", ids["Partner"])
	wantDone(t, success, 3, "created", ids["Renewal"])
	wantDone(t, success, 5, "created", ids["Event 2027"])
}
