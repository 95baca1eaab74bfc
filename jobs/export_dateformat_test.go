package jobs

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// exportJobWithFormat is an export of leads whose close date column has date_format f.
func exportJobWithFormat(f string) string {
	return fmt.Sprintf(`kind: export
entity: leads
target: out/leads.csv
columns:
  title: Title
  expected_close_date: {column: Close, type: date, date_format: %q}
  add_time: {column: Created, type: datetime, date_format: %q}
`, "YYYY-MM-DD", f)
}

// TestExportDateFormats: an export column's date_format is accepted as spreadsheet users
// write it (DD/MM/YYYY, MM/DD/YYYY HH:mm) or as a Go layout, and stored as the Go layout
// that writes it, with leading zeros where the format has two letters.
func TestExportDateFormats(t *testing.T) {
	at := time.Date(2027, time.March, 7, 9, 5, 4, 0, time.UTC)
	tests := []struct{ format, layout, written string }{
		{"DD/MM/YYYY", "02/01/2006", "07/03/2027"},
		{"MM/DD/YYYY HH:mm", "01/02/2006 15:04", "03/07/2027 09:05"},
		{"YYYY-MM-DD", "2006-01-02", "2027-03-07"},
		{"dd.mm.yyyy", "02.01.2006", "07.03.2027"},
		{"D/M/YY", "2/1/06", "7/3/27"},
		{"YYYY-MM-DD HH:mm:ss", "2006-01-02 15:04:05", "2027-03-07 09:05:04"},
		{"MM/DD/YYYY hh:mm AM/PM", "01/02/2006 03:04 PM", "03/07/2027 09:05 AM"},
		{"DD MMM YYYY", "02 Jan 2006", "07 Mar 2027"},
		{"DDDD, D MMMM YYYY", "Monday, 2 January 2006", "Sunday, 7 March 2027"},
		{"YYYY-MM-DDTHH:mm", "2006-01-02T15:04", "2027-03-07T09:05"},
		// Go layouts are taken as they are.
		{"02/01/2006", "02/01/2006", "07/03/2027"},
		{"Jan 2, 2006 3:04pm", "Jan 2, 2006 3:04pm", "Mar 7, 2027 9:05am"},
	}
	for _, tt := range tests {
		p := writeJob(t, exportJobWithFormat(tt.format), nil)
		j, err := Load(p)
		if err != nil {
			t.Errorf("date_format %q: Load: %v", tt.format, err)
			continue
		}
		cols := j.Export.Sheets[0].Columns
		if cols[1].DateFormat != "2006-01-02" {
			t.Errorf("YYYY-MM-DD: layout %q, want 2006-01-02", cols[1].DateFormat)
		}
		c := cols[2]
		if c.DateFormat != tt.layout {
			t.Errorf("date_format %q: layout %q, want %q", tt.format, c.DateFormat, tt.layout)
		}
		if got := at.Format(c.DateFormat); got != tt.written {
			t.Errorf("date_format %q writes %q, want %q", tt.format, got, tt.written)
		}
	}
}

// TestExportDateFormatRejects: a date_format that cannot write a date is refused when the
// job is loaded, with the file, the line of the format and the reason.
func TestExportDateFormatRejects(t *testing.T) {
	tests := []struct{ format, reason string }{
		{"%d/%m/%Y", "strftime directives (%d, %m, %Y) are not read here: write it as DD/MM/YYYY"},
		{"DD/MM", "does not name a year, a month and a day: write it as DD/MM/YYYY"},
		{"YYYY", "does not name a year, a month and a day"},
		{"dates please", "has no date or time element"},
		{"HH:mm", "a time without a date: write the date too, as DD/MM/YYYY HH:mm"},
		{"", "the format is empty"},
	}
	for _, tt := range tests {
		p := writeJob(t, exportJobWithFormat(tt.format), nil)
		_, err := Load(p)
		if err == nil {
			t.Errorf("date_format %q: loaded, want it refused", tt.format)
			continue
		}
		msg := err.Error()
		want := fmt.Sprintf("%s:7:", filepath.Base(p))
		if !strings.Contains(msg, want) || !strings.Contains(msg, fmt.Sprintf("date_format %q", tt.format)) || !strings.Contains(msg, tt.reason) {
			t.Errorf("date_format %q: error\n%v\nwant it to name %s…, the format and %q", tt.format, msg, want, tt.reason)
		}
		if strings.Contains(msg, "panic") || strings.Count(msg, "\n") > 1 {
			t.Errorf("date_format %q: error is not one line: %q", tt.format, msg)
		}
	}
}
