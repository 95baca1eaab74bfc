package jobs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
