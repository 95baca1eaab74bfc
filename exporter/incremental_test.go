package exporter_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/exporter"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sandbox"
)

// TestExportIncrementalKeepsEarlierFile: a second incremental run that would write the same
// file (two runs within one second of a {datetime} name) refuses: the first run's delta is
// still there, whole, and the bookmark has not moved, so the next run that can write its own
// file exports what changed since the first run.
func TestExportIncrementalKeepsEarlierFile(t *testing.T) {
	_, base := startSandbox(t, sandbox.Options{})
	c := newClient(t, base)
	leads := createLeads(t, c, 20, "Lead %02d", nil)
	dir := t.TempDir()
	j := writeJob(t, dir, "kind: export\nentity: leads\nincremental: true\ntarget: out/leads-{datetime}.csv\ncolumns: {id: ID, title: Title}\n")
	st := openState(t, dir)
	run := func(at time.Time) (*exporter.Result, error) {
		return exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: st, PageSize: 10, Now: func() time.Time { return at }})
	}
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	first, err := run(at)
	if err != nil {
		t.Fatalf("first Run: %v", err)
	}
	bm, _, err := st.Bookmark(context.Background(), j.Name)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if _, _, err := c.UpdateLead(context.Background(), leads[3].ID, pipedrive.LeadPatch{Title: pipedrive.Set("Updated 3")}); err != nil {
		t.Fatal(err)
	}
	if res, err := run(at); !errors.Is(err, exporter.ErrTargetExists) {
		t.Fatalf("second Run at the same second = %+v, %v, want ErrTargetExists", res, err)
	} else {
		t.Logf("second Run: %v", err)
	}
	if _, rows := readRows(t, first.Path); len(rows) != 20 {
		t.Errorf("the first run's file holds %d rows after the refused run, want its 20", len(rows))
	}
	if after, _, _ := st.Bookmark(context.Background(), j.Name); after != bm {
		t.Errorf("the refused run moved the bookmark from %s to %s", bm, after)
	}
	res, err := run(at.Add(time.Minute))
	if err != nil {
		t.Fatalf("third Run: %v", err)
	}
	if _, rows := readRows(t, res.Path); len(rows) != 1 || rows[0][1].Text != "Updated 3" {
		t.Errorf("the run after the refused one wrote %d rows, want the lead updated since the first run", len(rows))
	}
}

// TestExportIncrementalQueryChanged: the bookmark holds for the read that saved it. After
// the job's query changes (owner_id 1 → 2), the next run reads every lead of the new query,
// with a notice, not only those updated since the old query's bookmark; the run after it
// goes on from its own bookmark. A bookmark saved before pdbulk recorded its read is taken
// to match.
func TestExportIncrementalQueryChanged(t *testing.T) {
	_, base := startSandbox(t, sandbox.Options{})
	c := newClient(t, base)
	leads := createLeads(t, c, 40, "Lead %02d", nil) // owner 1 + i%4
	time.Sleep(5 * time.Millisecond)
	// Owner 1's newest lead is now newer than every lead of owner 2.
	if _, _, err := c.UpdateLead(context.Background(), leads[0].ID, pipedrive.LeadPatch{Title: pipedrive.Set("Updated 0")}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st := openState(t, dir)
	minute := 0
	run := func(owner int) ([]string, []string) {
		t.Helper()
		j := writeJob(t, dir, fmt.Sprintf("kind: export\nentity: leads\nquery: {owner_id: %d}\nincremental: true\ntarget: out/leads-{datetime}.csv\ncolumns: {id: ID, title: Title}\n", owner))
		minute++
		var notes []string
		res, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: st, PageSize: 10,
			Now:  func() time.Time { return time.Date(2026, 11, 30, 10, minute, 0, 0, time.UTC) },
			Logf: func(f string, a ...any) { notes = append(notes, fmt.Sprintf(f, a...)) }})
		if err != nil {
			t.Fatalf("Run (owner_id %d): %v", owner, err)
		}
		_, rows := readRows(t, res.Path)
		return rowTexts(rows), notes
	}
	if rows, _ := run(1); len(rows) != 10 {
		t.Fatalf("first run (owner_id 1): %d rows, want 10", len(rows))
	}
	changed := writeJob(t, dir, "kind: export\nentity: leads\nquery: {owner_id: 2}\nincremental: true\ntarget: out/leads-{datetime}.csv\ncolumns: {id: ID, title: Title}\n")
	if s, err := exporter.StatusIn(context.Background(), st, st.Account(), changed); err != nil || s.Bookmark == nil || !strings.Contains(s.Bookmark.Stale, "owner_id=1") {
		t.Errorf("StatusIn after the query changed: %+v, %v, want a bookmark that says it was saved for owner_id=1", s, err)
	}
	rows, notes := run(2)
	if len(rows) != 10 {
		t.Errorf("run after owner_id 1 → 2: %d rows, want owner 2's 10 leads", len(rows))
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "owner_id=1") || !strings.Contains(notes[0], "owner_id=2") {
		t.Errorf("run after owner_id 1 → 2 said %q, want one notice naming both queries", notes)
	} else {
		t.Logf("notice: %s", notes[0])
	}
	if rows, notes := run(2); len(rows) != 0 || len(notes) != 0 {
		t.Errorf("second run of owner_id 2 with nothing updated: %d rows, notices %q, want none", len(rows), notes)
	}

	// A bookmark of an older pdbulk (no read recorded) holds for the job as it is.
	j := writeJob(t, dir, "kind: export\nentity: leads\nquery: {owner_id: 2}\nincremental: true\ntarget: out/leads-{datetime}.csv\ncolumns: {id: ID, title: Title}\n")
	v, _, err := st.Bookmark(context.Background(), j.Name)
	if err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(v, `,"read":"leads getLeads?owner_id=2"`, "", 1)
	if old == v {
		t.Fatalf("bookmark %s does not record its read", v)
	}
	if err := st.SetBookmark(context.Background(), j.Name, old); err != nil {
		t.Fatal(err)
	}
	if rows, notes := run(2); len(rows) != 0 || len(notes) != 0 {
		t.Errorf("run from a bookmark without its read: %d rows, notices %q, want none (taken to match)", len(rows), notes)
	}
}
