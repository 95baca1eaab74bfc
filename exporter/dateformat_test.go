package exporter_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/exporter"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sandbox"
)

// TestExportSpreadsheetDateFormats writes a CSV whose date columns say their format the way
// a spreadsheet user does: a close date day-first, a creation time month-first with a
// 12-hour clock in the job's time zone, and one in a Go layout, all read back from the file.
func TestExportSpreadsheetDateFormats(t *testing.T) {
	_, base := startSandbox(t, sandbox.Options{})
	c := newClient(t, base)
	closes := []string{"2027-03-07", "2027-12-31", "2028-01-05"}
	for i, d := range closes {
		if _, _, err := c.CreateLead(context.Background(), pipedrive.LeadInput{
			Title: fmt.Sprintf("Renewal %d", i), OrganizationID: 1, ExpectedCloseDate: d,
		}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	j := writeJob(t, dir, `kind: export
entity: leads
time_zone: America/New_York
query: {sort: id}
columns:
  title: Title
  expected_close_date: {column: Close, type: date, date_format: DD/MM/YYYY}
  add_time: {column: Created, type: datetime, date_format: "MM/DD/YYYY hh:mm AM/PM"}
  update_time: {column: Updated, type: datetime, date_format: "2006-01-02 15:04"}
target: out/leads.csv
`)
	if _, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: openState(t, dir)}); err != nil {
		t.Fatal(err)
	}
	_, rows := readRows(t, filepath.Join(dir, "out", "leads.csv"))
	leads := allLeads(t, c)
	if len(rows) != len(closes) {
		t.Fatalf("%d rows, want %d", len(rows), len(closes))
	}
	ny := mustZone(t, "America/New_York")
	byTitle := map[string]pipedrive.Lead{}
	for _, l := range leads {
		byTitle[l.Title] = l
	}
	for _, r := range rows {
		l, ok := byTitle[r[0].Text]
		if !ok {
			t.Fatalf("row %v names no lead", r)
		}
		d, err := time.Parse("2006-01-02", *l.ExpectedCloseDate)
		if err != nil {
			t.Fatal(err)
		}
		if want := d.Format("02/01/2006"); r[1].Text != want {
			t.Errorf("%s: Close %q, want %q (DD/MM/YYYY)", l.Title, r[1].Text, want)
		}
		added, err := time.Parse("2006-01-02T15:04:05.000Z", l.AddTime)
		if err != nil {
			t.Fatal(err)
		}
		if want := added.In(ny).Format("01/02/2006 03:04 PM"); r[2].Text != want {
			t.Errorf("%s: Created %q, want %q (MM/DD/YYYY hh:mm AM/PM in New York)", l.Title, r[2].Text, want)
		}
		if !strings.HasSuffix(r[2].Text, " AM") && !strings.HasSuffix(r[2].Text, " PM") {
			t.Errorf("%s: Created %q has no AM/PM", l.Title, r[2].Text)
		}
		if _, err := time.Parse("2006-01-02 15:04", r[3].Text); err != nil {
			t.Errorf("%s: Updated %q is not in the Go layout 2006-01-02 15:04", l.Title, r[3].Text)
		}
	}
}
