package exporter_test

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/exporter"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sandbox"
)

// TestExportGoalResultsWithinDuration exports a quarter's results of goals that do not all
// run the whole quarter: Pipedrive refuses a results period that begins before a goal or ends
// after it, so each goal is asked for the part of the quarter it runs, and a goal that does
// not run in it at all gets no request and an empty result.
func TestExportGoalResultsWithinDuration(t *testing.T) {
	_, base := startSandbox(t, sandbox.Options{})
	c, log, _ := loggedClient(t, base)
	goals := map[string]pipedrive.GoalDuration{
		"Whole year":  {Start: "2027-01-01", End: "2027-12-31"},
		"Late start":  {Start: "2027-01-04", End: "2027-06-30"},
		"Early end":   {Start: "2026-10-01", End: "2027-02-15"},
		"Open ended":  {Start: "2026-01-01"},
		"Next summer": {Start: "2027-05-01", End: "2027-08-31"},
	}
	ids := map[string]string{}
	for title, d := range goals {
		g, _, err := c.CreateGoal(context.Background(), pipedrive.GoalInput{
			Title: title, Assignee: pipedrive.GoalAssignee{ID: 1, Type: "person"},
			Type:            pipedrive.GoalType{Name: "deals_won", Params: pipedrive.GoalTypeParams{PipelineID: []int{1}}},
			ExpectedOutcome: pipedrive.GoalExpectedOutcome{Target: 10, TrackingMetric: "quantity"},
			Duration:        d, Interval: "monthly",
		})
		if err != nil {
			t.Fatalf("create goal %s: %v", title, err)
		}
		ids[title] = g.ID
	}
	dir := t.TempDir()
	j := writeJob(t, dir, `kind: export
entity: goals
query: {results.start: "2027-01-01", results.end: "2027-03-31"}
columns:
  title: Goal
  results.progress: {column: Progress, type: number}
target: out/goals.csv
`)
	if _, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: openState(t, dir)}); err != nil {
		t.Fatalf("export: %v", err)
	}
	_, rows := readRows(t, filepath.Join(dir, "out", "goals.csv"))
	progress := map[string]string{}
	for _, r := range rows {
		progress[r[0].Text] = r[1].Text
	}
	if len(progress) != len(goals) {
		t.Fatalf("rows %v, want one per goal", progress)
	}
	want := map[string]string{
		"Whole year": "period.end=2027-03-31&period.start=2027-01-01",
		"Late start": "period.end=2027-03-31&period.start=2027-01-04",
		"Early end":  "period.end=2027-02-15&period.start=2027-01-01",
		"Open ended": "period.end=2027-03-31&period.start=2027-01-01",
	}
	for title, id := range ids {
		var asked []string
		for _, q := range log.queries {
			if strings.Contains(q, "/goals/"+id+"/results?") {
				asked = append(asked, q[strings.Index(q, "?")+1:])
			}
		}
		w, runs := want[title]
		switch {
		case !runs && (len(asked) != 0 || progress[title] != ""):
			t.Errorf("%s runs outside the quarter: asked %q, progress %q; want no request and no progress", title, asked, progress[title])
		case runs && !slices.Equal(asked, []string{w}):
			t.Errorf("%s: results asked with %q, want %q", title, asked, w)
		case runs && progress[title] == "":
			t.Errorf("%s: no progress written", title)
		}
	}
}

// TestExportFilesDownloadSkipsRemote: a file that links to a Google Drive document has no
// contents in Pipedrive to download; its row is written, the stored files are downloaded,
// and the export succeeds.
func TestExportFilesDownloadSkipsRemote(t *testing.T) {
	_, base := startSandbox(t, sandbox.Options{})
	c := newClient(t, base)
	if _, _, err := c.UploadFile(context.Background(), pipedrive.Upload{Name: "Offer.pdf", OrgID: 1,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("%PDF-1.4 offer")), nil }}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.LinkRemoteFile(context.Background(), pipedrive.RemoteLink{ItemType: "person", ItemID: 1,
		RemoteID: "1vQ2sample-Globex-NDA", RemoteLocation: "googledrive"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	j := writeJob(t, dir, "kind: export\nentity: files\ntarget: out/files.csv\ndownload: out/files\ncolumns: {id: ID, file_name: File}\n")
	res, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: openState(t, dir)})
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	if res.Downloaded != 1 || res.Remote != 1 || res.Sheets[0].Records != 2 {
		t.Errorf("downloaded %d, remote %d, rows %d; want 1, 1, 2", res.Downloaded, res.Remote, res.Sheets[0].Records)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "out", "files", "*"))
	if len(matches) != 1 || !strings.HasSuffix(matches[0], "-Offer.pdf") {
		t.Errorf("download folder holds %q, want the offer only", matches)
	}
}
