package exporter_test

import (
	"context"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/exporter"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sandbox"
	"github.com/pdbulk/pdbulk/sheet"
)

// TestExportAutoKeepsTitlesAndAmounts: with no column types (auto), a lead titled like a
// time is exported with its title as it is (not refused, not shifted to the job's zone),
// its add_time is still a date-time, and an amount of 18 characters is a number a SUM
// counts, in CSV and XLSX.
func TestExportAutoKeepsTitlesAndAmounts(t *testing.T) {
	_, base := startSandbox(t, sandbox.Options{})
	c := newClient(t, base)
	titles := []string{"2024-06-01 10:00 call back Bob", "2024-03-31T10:00:00.000Z", "2024-03-31"}
	for _, title := range titles {
		if _, _, err := c.CreateLead(context.Background(), pipedrive.LeadInput{Title: title, OrganizationID: 1,
			Value: &pipedrive.LeadValue{Amount: 100.0 / 3, Currency: "EUR"}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, ext := range []string{"csv", "xlsx"} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			j := writeJob(t, dir, "kind: export\nentity: leads\ntarget: out/leads."+ext+
				"\ntime_zone: Europe/Berlin\ncolumns: {title: Title, value.amount: Amount, add_time: Created}\n")
			res, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: openState(t, dir)})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if want := filepath.Join(dir, "out", "leads."+ext); res.Path != want {
				t.Fatalf("Path = %s, want %s", res.Path, want)
			}
			_, rows := readRows(t, res.Path)
			got := map[string]bool{}
			for _, r := range rows {
				got[r[0].Text] = true
				if ext == "xlsx" && r[0].Kind != sheet.KindString {
					t.Errorf("title %q is a %v cell, want text", r[0].Text, r[0].Kind)
				}
				// CSV keeps the API's digits; XLSX holds a number (Excel shows 15 digits of it).
				if ext == "csv" && r[1].Text != "33.333333333333336" ||
					ext == "xlsx" && (r[1].Kind != sheet.KindNumber || math.Abs(r[1].Number-100.0/3) > 1e-12) {
					t.Errorf("amount of %q = %v %q, want the number 33.333333333333336", r[0].Text, r[1].Kind, r[1].Text)
				}
				if ext == "xlsx" && r[2].Kind != sheet.KindDateTime {
					t.Errorf("add_time of %q is a %v cell, want a date-time", r[0].Text, r[2].Kind)
				}
				if ext == "csv" && !wholeSeconds.MatchString(r[2].Text) {
					t.Errorf("add_time of %q = %q, want YYYY-MM-DD hh:mm:ss (whole seconds)", r[0].Text, r[2].Text)
				}
			}
			for _, title := range titles {
				if !got[title] {
					t.Errorf("title %q is not in the file; titles: %s", title, strings.Join(keys(got), " | "))
				}
			}
		})
	}
}

// wholeSeconds is a date-time of a CSV cell: the same width on every row.
var wholeSeconds = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
