package exporter

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/sheet"
)

// TestAutoCell: an auto column writes the API's dates and times (fields ending in _time or
// _date, a goal's duration, custom fields) as dates, and every other field's text as text,
// however much it looks like a time; what auto cannot read stays text and never fails the
// row. Numbers are numbers, but for whole numbers past a spreadsheet's 15 digits (ids).
func TestAutoCell(t *testing.T) {
	const custom = "0123456789abcdef0123456789abcdef01234567"
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		entity jobs.Entity
		field  string
		v      any
		kind   sheet.Kind
		text   string // the cell's text (date-times in Berlin time)
	}{
		{"title like a time and a note", jobs.EntityLeads, "title", "2024-06-01 10:00 call back Bob", sheet.KindString, "2024-06-01 10:00 call back Bob"},
		{"title that is an API time", jobs.EntityLeads, "title", "2024-03-31T10:00:00.000Z", sheet.KindString, "2024-03-31T10:00:00.000Z"},
		{"title like a date", jobs.EntityLeads, "title", "2024-03-31", sheet.KindString, "2024-03-31"},
		{"search item title", jobs.EntitySearch, "item.title", "2024-03-31 10:00:00", sheet.KindString, "2024-03-31 10:00:00"},
		{"add_time", jobs.EntityLeads, "add_time", "2024-03-31T10:00:00.000Z", sheet.KindDateTime, "2024-03-31 12:00:00"},
		{"files update_time", jobs.EntityFiles, "update_time", "2024-03-31 10:00:00", sheet.KindDateTime, "2024-03-31 12:00:00"},
		{"expected_close_date", jobs.EntityLeads, "expected_close_date", "2024-03-31", sheet.KindDate, "2024-03-31"},
		{"goal duration.start", jobs.EntityGoals, "duration.start", "2024-01-04", sheet.KindDate, "2024-01-04"},
		{"custom field time", jobs.EntityLeads, custom, "2024-03-31T10:00:00.000Z", sheet.KindDateTime, "2024-03-31 12:00:00"},
		{"custom field text like a time", jobs.EntityLeads, custom, "2024-06-01 10:00 call back Bob", sheet.KindString, "2024-06-01 10:00 call back Bob"},
		{"_time field not a time", jobs.EntityLeads, "next_activity_time", "2024-06-01 10:00 soon", sheet.KindString, "2024-06-01 10:00 soon"},
		{"_date field not a date", jobs.EntityLeads, "expected_close_date", "2024-13-45", sheet.KindString, "2024-13-45"},
		{"fraction of 18 characters", jobs.EntityLeads, "value.amount", json.Number("33.333333333333336"), sheet.KindNumber, "33.333333333333336"},
		{"negative fraction", jobs.EntityLeads, "value.amount", json.Number("-1234567.8901234567"), sheet.KindNumber, "-1234567.8901234567"},
		{"exponent", jobs.EntityLeads, "value.amount", json.Number("1.5e+21"), sheet.KindNumber, "1.5e+21"},
		{"15-digit whole number", jobs.EntityLeads, "value.amount", json.Number("-123456789012345"), sheet.KindNumber, "-123456789012345"},
		{"16-digit whole number", jobs.EntityLeads, "id", json.Number("1234567890123456"), sheet.KindString, "1234567890123456"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := jobs.ExportSheet{Entity: tt.entity, Columns: []jobs.ExportColumn{{Field: tt.field, Header: "X", Type: jobs.CellAuto}}}
			w := newRow(s, berlin, nil, false)
			r := record{}
			if parts := strings.Split(tt.field, "."); len(parts) == 2 {
				r[parts[0]] = map[string]any{parts[1]: tt.v}
			} else {
				r[tt.field] = tt.v
			}
			cells, err := w.cellsOf(r)
			if err != nil {
				t.Fatalf("cellsOf(%s: %v) error %v, want a cell", tt.field, tt.v, err)
			}
			if c := cells[0]; c.Kind != tt.kind || c.Text != tt.text {
				t.Errorf("cellsOf(%s: %v) = %v %q, want %v %q", tt.field, tt.v, c.Kind, c.Text, tt.kind, tt.text)
			}
		})
	}
}
