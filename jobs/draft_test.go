package jobs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/sheet"
)

func TestDraft(t *testing.T) {
	tests := []struct {
		entity  Entity
		source  string
		header  []string
		fields  map[string]string // field → column the draft must map
		comment []string          // headers the draft must list as not mapped
		needs   []string          // phrases of the only problems Load may report
	}{
		{EntityLeads, "leads.csv",
			[]string{"Lead Title", "Amount", "Currency", "Close Date", "Labels", "Contact E-mail", "Company", "Notes", "Weird \"col\"\nx"},
			map[string]string{"title": "Lead Title", "value.amount": "Amount", "value.currency": "Currency",
				"expected_close_date": "Close Date", "label_ids": "Labels", "person_id": "Contact E-mail", "organization_id": "Company"},
			[]string{"Notes", "Weird \"col\" x"}, nil},
		{EntityLeads, "book.xlsx", []string{"Name", "Value"},
			map[string]string{"title": "Name", "value.amount": "Value"}, nil,
			[]string{"a lead must be linked to a person or an organization"}},
		{EntityLeadLabels, "labels.csv", []string{"Label", "Colour"},
			map[string]string{"name": "Label", "color": "Colour"}, nil, nil},
		{EntityTeams, "teams.csv", []string{"Team", "Manager", "Members", "Budget"},
			map[string]string{"name": "Team", "manager_id": "Manager", "users": "Members"}, []string{"Budget"}, nil},
		{EntityFiles, "files.csv", []string{"File path", "Lead"},
			map[string]string{"file": "File path", "lead_id": "Lead"}, nil, nil},
		{EntityFilters, "filters.csv", []string{"Filter name", "Type", "Conditions"},
			map[string]string{"name": "Filter name", "type": "Type", "conditions": "Conditions"}, nil, nil},
		{EntityGoals, "goals.csv", []string{"Goal", "Interval"},
			map[string]string{"title": "Goal", "interval": "Interval"}, nil,
			[]string{`"type" is required`, `"assignee" is required`, `"expected_outcome" is required`, `"duration" is required`}},
	}
	for _, tt := range tests {
		t.Run(string(tt.entity)+"/"+tt.source, func(t *testing.T) {
			out, err := Draft(tt.entity, tt.source, tt.header)
			if err != nil {
				t.Fatalf("Draft: %v", err)
			}
			p := writeJob(t, string(out), map[string]string{tt.source: "x\n"})
			j, err := Load(p)
			if len(tt.needs) > 0 {
				got := Problems(err)
				if len(got) != len(tt.needs) {
					t.Fatalf("Load(draft) = %v, want %d problems\n%s", err, len(tt.needs), out)
				}
				for i, n := range tt.needs {
					if !strings.Contains(got[i].Msg, n) {
						t.Errorf("problem %d = %q, want %q", i, got[i].Msg, n)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load(draft) = %v\n%s", err, out)
			}
			cols := map[string]string{}
			for _, f := range j.Mapping.Fields {
				cols[f.Path] = f.Column
			}
			for field, col := range tt.fields {
				if cols[field] != col {
					t.Errorf("draft maps %s to %q, want %q\n%s", field, cols[field], col, out)
				}
			}
			for _, c := range tt.comment {
				if !strings.Contains(string(out), "#   "+c+"\n") {
					t.Errorf("draft does not list unmapped column %q\n%s", c, out)
				}
			}
		})
	}
}

func TestDraftUnknownEntity(t *testing.T) {
	if _, err := Draft("deals", "x.csv", []string{"a"}); err == nil {
		t.Error("Draft(deals) succeeded, want an error")
	}
}

func TestDraftReportsUnderJobFolder(t *testing.T) {
	out, err := Draft(EntityLeadLabels, "my labels.csv", []string{"Name", "Color"})
	if err != nil {
		t.Fatal(err)
	}
	p := writeJob(t, string(out), map[string]string{"my labels.csv": "Name,Color\n"})
	j, err := Load(p)
	if err != nil {
		t.Fatalf("Load(draft): %v\n%s", err, out)
	}
	if want := filepath.Join(filepath.Dir(p), "out", "my_labels.success.csv"); j.Reports.Success != want {
		t.Errorf("Reports.Success = %q, want %q", j.Reports.Success, want)
	}
	if _, err := os.Stat(j.Source.Path); err != nil {
		t.Errorf("draft source %q: %v", j.Source.Path, err)
	}
}

func textRow(num int, vals ...string) sheet.Row {
	r := sheet.Row{Num: num}
	for _, v := range vals {
		c := sheet.Cell{Text: v}
		if v != "" {
			c.Kind = sheet.KindString
		}
		r.Cells = append(r.Cells, c)
	}
	return r
}

func TestFindHeader(t *testing.T) {
	rows := []sheet.Row{
		textRow(1, "Leads export", ""),                  // a title
		textRow(2, "Exported by", "ops"),                // a note, narrower than the table
		textRow(4, "Title", "Amount", "Close", "Owner"), // the header
		textRow(5, "Acme", "10", "2027-01-02", "1"),
	}
	if got := findHeader(rows); got != 2 {
		t.Errorf("findHeader = %d, want 2 (row 4)", got)
	}
	// A row of numbers or dates is no header, even first.
	rows = []sheet.Row{textRow(1, "2027-01-01", "12"), textRow(2, "Name", "Color"), textRow(3, "Hot", "red")}
	if got := findHeader(rows); got != 1 {
		t.Errorf("findHeader = %d, want 1", got)
	}
}

func TestDraftDateFormatFromValues(t *testing.T) {
	cells := func(vals ...string) []sheet.Cell {
		return textRow(1, vals...).Cells
	}
	for _, tt := range []struct {
		vals       []string
		want, note string
	}{
		{[]string{"21/07/2027", "03/04/2027"}, "DD/MM/YYYY", ""},
		{[]string{"07/21/2027", "03/04/2027"}, "MM/DD/YYYY", ""},
		{[]string{"2027-07-21"}, "", ""},
		{[]string{"03/04/2027", "05/06/2027"}, "DD/MM/YYYY", "check which the sheet uses"},
		{[]string{"21.07.2027"}, "DD.MM.YYYY", ""},
	} {
		got, note := dateFormat(cells(tt.vals...))
		if got != tt.want || !strings.Contains(note, tt.note) {
			t.Errorf("dateFormat(%q) = %q, %q; want %q with a note holding %q", tt.vals, got, note, tt.want, tt.note)
		}
	}
	if !decimalComma(cells("33600,00", "1.234,5")) || decimalComma(cells("12.50", "3,5")) || decimalComma(cells("1,234")) {
		t.Error("decimalComma does not tell 33600,00 from 12.50 and 1,234")
	}
}

func TestDraftIDColumns(t *testing.T) {
	out, err := Draft(EntityLeads, "leads.csv", []string{"Title", "Contact Person ID", "OrgId", "Owner Id"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`person_id: {column: "Contact Person ID", type: int}`, `organization_id: {column: "OrgId", type: int}`, `owner_id: {column: "Owner Id", type: int}`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("draft lacks %s\n%s", want, out)
		}
	}
	if _, err := Load(writeJob(t, string(out), map[string]string{"leads.csv": "x\n"})); err != nil {
		t.Errorf("Load(draft): %v\n%s", err, out)
	}
}
