package jobs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/mapping"
)

// want is one expected problem: its line (0 = no position) and a phrase of its message.
type want struct {
	line   int
	phrase string
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		file string
		want []want // every problem, in order
	}{
		{"unknown_key.yaml", []want{
			{1, `missing key "columns"`},
			{4, `unknown key "colums" (did you mean "columns"?)`},
		}},
		{"many_problems.yaml", []want{
			{1, `missing key "columns"`},
			{1, `kind "imprt" is not one of import, export (did you mean "import"?)`},
			{2, `entity "leeds" is not one of`},
			{3, "sheet applies to XLSX sources only"},
			{6, "concurrency must be between 1 and 64, not 100"},
			{7, `max_rejects must be a whole number, not "many"`},
			{8, `unknown key "duplicate" in options (did you mean "duplicates"?)`},
			{9, "reports.success and reports.rejects must be different files"},
			{9, `unknown key "extra" in reports`},
			{10, "tokens never live in job files; use PIPEDRIVE_API_TOKEN or --token-file"},
		}},
		{"token.yaml", []want{{3, `key "token": tokens never live in job files`}}},
		{"missing_entity.yaml", []want{{1, `missing key "entity"`}}},
		{"export.yaml", []want{{1, `missing key "target"`}, {3, `unknown key "source"`}, {6, `lookup "persons.email" is not one of lead_labels.name`}}},
		{"bad_columns.yaml", []want{
			{4, `field "title" is required to create leads`},
			{5, `unknown field "titel" for leads (did you mean "title"?)`},
			{6, `type "money" is not one of`},
			{7, "give column or value, not both"},
			{8, `date format "%d/%m/%Y" is neither a spreadsheet format`},
			{9, "create_missing works with lookup lead_labels.name only"},
			{10, `lookup "people.email" is not one of`},
			{11, "give column (a spreadsheet column) or value (a constant)"},
			{11, `unknown key "colum" in field organization_id (did you mean "column"?)`},
		}},
		{"bad_mode.yaml", []want{{3, "mode archive applies to leads only"}}},
		// An invalid mode does not hide the problems of the columns.
		{"bad_mode_columns.yaml", []want{
			{4, `mode "creat" is not one of create, update, upsert, delete, archive (did you mean "create"?)`},
			{6, `unknown field "titel" for leads (did you mean "title"?)`},
			{7, `type "numbr" is not one of`},
		}},
		{"bad_mode_entity_columns.yaml", []want{
			{3, "mode archive applies to leads only"},
			{4, `match_on "id" is not a field mapped in columns`},
			{7, `unknown field "colour" for lead_labels (did you mean "color"?)`},
		}},
		// An unknown entity leaves only the shape of columns to check.
		{"bad_entity_columns.yaml", []want{
			{1, `entity "leeds" is not one of`},
			{3, `mode "creat" is not one of`},
			{6, `key "titel" is repeated (first at line 5)`},
		}},
		{"missing_required.yaml", []want{
			{3, `field "title" is required to create leads`},
			{3, "map person_id or organization_id"},
		}},
		{"match_unmapped.yaml", []want{{4, `match_on "name" is not a field mapped in columns`}}},
		{"no_source.yaml", []want{{2, `source "nothere.csv": file not found`}}},
		{"bad_source_type.yaml", []want{
			{2, `source "labels.json": unknown file type`},
			{2, "header_row must be between 1 and"},
		}},
		{"syntax.yaml", []want{{2, "did not find expected ',' or ']'"}}},
		{"not_mapping.yaml", []want{{1, "a job file is a mapping of keys"}}},
		{"duplicate_key.yaml", []want{{6, `key "entity" is repeated (first at line 1)`}}},
		{"files_outside.yaml", []want{{3, "files applies to entity files only"}}},
		{"empty.yaml", []want{{0, "the job file is empty"}}},
		{"bad_search_api.yaml", []want{{7, `search_api "v3" is not one of auto, v1, v2`}}},
		// Day-first and month-first in one list would read each value with the first that
		// fits: 03/04 as 3 April and 04/13 as 13 April, in one column.
		{"mixed_date_orders.yaml", []want{{6, `formats DD/MM/YYYY and MM/DD/YYYY read the same text as different dates`}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "load", tt.file)
			j, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%q) = %+v, want problems", path, j)
			}
			var p *Problem
			if !errors.As(err, &p) {
				t.Fatalf("Load(%q) error %v is not a *Problem", path, err)
			}
			got := Problems(err)
			if len(got) != len(tt.want) {
				t.Fatalf("Load(%q) reported %d problems, want %d:\n%v", path, len(got), len(tt.want), err)
			}
			for i, w := range tt.want {
				if got[i].Line != w.line || !strings.Contains(got[i].Msg, w.phrase) {
					t.Errorf("problem %d = %q, want line %d with %q", i, got[i].Error(), w.line, w.phrase)
				}
				if got[i].File != path {
					t.Errorf("problem %d file = %q, want %q", i, got[i].File, path)
				}
			}
		})
	}
}

func TestProblemError(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "job.yaml", Line: 12, Column: 5, Msg: `unknown key "colums" (did you mean "columns"?)`},
			`job.yaml:12:5: unknown key "colums" (did you mean "columns"?)`},
		{Problem{File: "job.yaml", Line: 3, Msg: "x"}, "job.yaml:3: x"},
		{Problem{File: "job.yaml", Msg: "the job file is empty"}, "job.yaml: the job file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.p.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadFull(t *testing.T) {
	j, err := Load(filepath.Join("testdata", "load", "leads_full.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	dir, _ := filepath.Abs(filepath.Join("testdata", "load"))
	checks := []struct {
		name      string
		got, want any
	}{
		{"Dir", j.Dir, dir},
		{"Path", j.Path, filepath.Join(dir, "leads_full.yaml")},
		{"Name", j.Name, "leads-2026"},
		{"Kind", j.Kind, KindImport},
		{"Entity", j.Entity, EntityLeads},
		{"Mode", j.Mode, ModeUpsert},
		{"MatchOn", strings.Join(j.MatchOn, ","), "title"},
		{"Key", j.Key, "External ID"},
		{"Source.Path", j.Source.Path, filepath.Join(dir, "leads.csv")},
		{"Source.Format", j.Source.Format, "csv"},
		{"Source.Encoding", j.Source.Encoding, "iso-8859-1"},
		{"Source.Delimiter", j.Source.Delimiter, ","},
		{"Source.HeaderRow", j.Source.HeaderRow, 1},
		{"Options", j.Options, Options{Concurrency: 8, ConcurrencySet: true, MaxRejects: 1000, Duplicates: DuplicatesError, DailyBudget: 60000, RateLimit: 40}},
		{"Reports.Success", j.Reports.Success, filepath.Join(dir, "out", "leads.success.csv")},
		{"Reports.Rejects", j.Reports.Rejects, "/tmp/pdbulk-rejects.csv"},
		{"Mapping.Entity", j.Mapping.Entity, "leads"},
		{"Mapping.Schema", j.Mapping.Schema, "LeadsCreateLeadRequest"},
		{"fields", len(j.Mapping.Fields), 6},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	byPath := map[string]mapping.Field{}
	for _, f := range j.Mapping.Fields {
		byPath[f.Path] = f
	}
	paths := []string{}
	for _, f := range j.Mapping.Fields {
		paths = append(paths, f.Path)
	}
	if want := []string{"title", "value.amount", "value.currency", "expected_close_date", "label_ids", "person_id"}; !slices.Equal(paths, want) {
		t.Errorf("field order = %v, want %v", paths, want)
	}
	fieldChecks := []struct {
		name      string
		got, want any
	}{
		{"title column", byPath["title"].Column, "Lead Title"},
		{"title line", byPath["title"].Line, 10},
		{"title trimmed", byPath["title"].NoTrim, false},
		{"amount type", byPath["value.amount"].Type, mapping.TypeNumber},
		{"amount decimal comma", byPath["value.amount"].DecimalComma, true},
		{"currency constant", byPath["value.currency"].Value, "EUR"},
		{"currency has value", byPath["value.currency"].HasValue, true},
		{"close type (from schema)", byPath["expected_close_date"].Type, mapping.TypeDate},
		{"close formats", strings.Join(byPath["expected_close_date"].Formats, "|"), "02/01/2006"},
		{"labels split", byPath["label_ids"].Split, ";"},
		{"labels lookup", byPath["label_ids"].Lookup, "lead_labels.name"},
		{"labels create", byPath["label_ids"].CreateMissing, true},
		{"labels type (lookup: none)", byPath["label_ids"].Type, mapping.Type("")},
		{"person empty", byPath["person_id"].Empty, mapping.EmptyError},
		{"person lookup", byPath["person_id"].Lookup, "persons.email"},
	}
	for _, c := range fieldChecks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadDefaults(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, j *Job, dir string)
	}{
		{"labels_min.yaml", func(t *testing.T, j *Job, dir string) {
			if j.Kind != KindImport || j.Mode != ModeCreate || j.Name != "labels_min" {
				t.Errorf("kind, mode, name = %s, %s, %s; want import, create, labels_min", j.Kind, j.Mode, j.Name)
			}
			if want := (Options{Concurrency: DefaultConcurrency, Duplicates: DuplicatesFirst}); j.Options != want {
				t.Errorf("Options = %+v, want %+v", j.Options, want)
			}
			if want := filepath.Join(dir, "out", "labels_min.rejects.csv"); j.Reports.Rejects != want {
				t.Errorf("Reports.Rejects = %q, want %q", j.Reports.Rejects, want)
			}
			if want := filepath.Join(dir, "out", "labels_min.success.csv"); j.Reports.Success != want {
				t.Errorf("Reports.Success = %q, want %q", j.Reports.Success, want)
			}
			if j.Files.Root != dir {
				t.Errorf("Files.Root = %q, want %q", j.Files.Root, dir)
			}
			if j.Source.Delimiter != "" || j.Source.Encoding != "" || j.Source.HeaderRow != 1 {
				t.Errorf("Source = %+v, want delimiter and encoding left to detection, header 1", j.Source)
			}
			if j.Mapping.Schema != "LeadLabelsAddNewLabelRequest" {
				t.Errorf("Schema = %q", j.Mapping.Schema)
			}
			color := j.Mapping.Fields[1]
			if color.Type != mapping.TypeEnum || !slices.Contains(color.Enum, "purple") {
				t.Errorf("color = %+v, want an enum from the schema", color)
			}
		}},
		{"files_job.yaml", func(t *testing.T, j *Job, dir string) {
			if want := filepath.Join(dir, "docs"); j.Files.Root != want {
				t.Errorf("Files.Root = %q, want %q", j.Files.Root, want)
			}
			if j.Mapping.Schema != "FilesUploadAndAssociateRequest" {
				t.Errorf("Schema = %q", j.Mapping.Schema)
			}
		}},
		{"teams_sub.yaml", func(t *testing.T, j *Job, dir string) {
			if want := filepath.Join(dir, "data", "teams.csv"); j.Source.Path != want {
				t.Errorf("Source.Path = %q, want %q (relative to the job's folder)", j.Source.Path, want)
			}
			if j.Mapping.Schema != "" {
				t.Errorf("teams update Schema = %q, want none", j.Mapping.Schema)
			}
			if !slices.Equal(j.MatchOn, []string{"id"}) || j.Mapping.Fields[0].Type != mapping.TypeInt {
				t.Errorf("MatchOn %v, id field %+v; want [id] of type int", j.MatchOn, j.Mapping.Fields[0])
			}
		}},
		{"archive.yaml", func(t *testing.T, j *Job, dir string) {
			if j.Mode != ModeArchive || j.Mapping.Schema != "" {
				t.Errorf("mode %s schema %q, want archive and no schema", j.Mode, j.Mapping.Schema)
			}
			if j.Mapping.Fields[0].Type != mapping.TypeUUID {
				t.Errorf("lead id type = %s, want uuid", j.Mapping.Fields[0].Type)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			dir, _ := filepath.Abs(filepath.Join("testdata", "load"))
			j, err := Load(filepath.Join("testdata", "load", tt.file))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, j, dir)
		})
	}
}

// writeJob writes a job file and a source file into a fresh folder.
func writeJob(t *testing.T, yaml string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadInline(t *testing.T) {
	src := map[string]string{"in.csv": "Name,Color\n", "book.xlsx": "not read by Load", "in.tsv": "a\tb\n"}
	tests := []struct {
		name  string
		yaml  string
		check func(j *Job) string // "" when j is right
		want  []want
	}{
		{"xlsx sheet by name", "entity: lead_labels\nsource: {path: book.xlsx, sheet: Leads, header_row: 3}\ncolumns: {name: Name, color: Color}\n",
			func(j *Job) string {
				if j.Source.Format != "xlsx" || j.Source.Sheet != "Leads" || j.Source.SheetIndex != 0 || j.Source.HeaderRow != 3 {
					return "want xlsx, sheet Leads, header row 3"
				}
				return ""
			}, nil},
		{"xlsx sheet by number", "entity: lead_labels\nsource: {path: book.xlsx, sheet: 2}\ncolumns: {name: Name, color: Color}\n",
			func(j *Job) string {
				if j.Source.SheetIndex != 2 || j.Source.Sheet != "" {
					return "want sheet number 2"
				}
				return ""
			}, nil},
		{"tsv default tab", "entity: lead_labels\nsource: in.tsv\ncolumns: {name: a, color: b}\n",
			func(j *Job) string {
				if j.Source.Delimiter != "\t" {
					return "want tab delimiter"
				}
				return ""
			}, nil},
		{"delimiter word tab", "entity: lead_labels\nsource: {path: in.csv, delimiter: tab}\ncolumns: {name: Name, color: Color}\n",
			func(j *Job) string {
				if j.Source.Delimiter != "\t" {
					return "want tab delimiter"
				}
				return ""
			}, nil},
		{"lead with custom field and constant", "entity: leads\nsource: in.csv\ncolumns:\n  title: Name\n  organization_id: {value: 7}\n  0123456789abcdef0123456789abcdef01234567: Color\n",
			func(j *Job) string {
				if len(j.Mapping.Fields) != 3 || j.Mapping.Fields[1].Value != 7 {
					return "want 3 fields, organization_id = 7"
				}
				return ""
			}, nil},
		{"name sets report names", "name: weekly\nentity: lead_labels\nsource: in.csv\ncolumns: {name: Name, color: Color}\n",
			func(j *Job) string {
				if filepath.Base(j.Reports.Success) != "weekly.success.csv" {
					return "want weekly.success.csv, got " + j.Reports.Success
				}
				return ""
			}, nil},
		{"delimiter on xlsx", "entity: lead_labels\nsource: {path: book.xlsx, delimiter: ';', encoding: latin1}\ncolumns: {name: Name, color: Color}\n",
			nil, []want{{2, "delimiter applies to CSV sources only"}, {2, "encoding applies to CSV sources only"}}},
		{"bad delimiter and encoding", "entity: lead_labels\nsource: {path: in.csv, delimiter: ';;', encoding: klingon}\ncolumns: {name: Name, color: Color}\n",
			nil, []want{{2, "delimiter must be one character"}, {2, `encoding "klingon" is not one of`}}},
		{"upsert without match_on", "entity: lead_labels\nsource: in.csv\nmode: upsert\ncolumns: {name: Name, color: Color}\n",
			nil, []want{{4, "mode upsert needs match_on"}}},
		{"upsert teams", "entity: teams\nsource: in.csv\nmode: upsert\nmatch_on: name\ncolumns: {name: Name, manager_id: Color}\n",
			nil, []want{{3, "mode upsert is not available for teams"}}},
		{"bad name", "name: a/b\nentity: lead_labels\nsource: in.csv\ncolumns: {name: Name, color: Color}\n",
			nil, []want{{1, `name "a/b": use letters`}}},
		{"report over source", "entity: lead_labels\nsource: in.csv\nreports: {rejects: in.csv}\ncolumns: {name: Name, color: Color}\n",
			nil, []want{{3, "would overwrite the job's own files"}}},
		{"options types", "entity: lead_labels\nsource: in.csv\noptions: {concurrency: 2.5, duplicates: last, rate_limit: -1}\ncolumns: {name: Name, color: Color}\n",
			nil, []want{{3, "concurrency must be a whole number"}, {3, `duplicates "last" is not one of first, error`}, {3, "rate_limit must be between 0 and"}}},
		{"field flags", "entity: leads\nsource: in.csv\ncolumns:\n  title: {column: Name, trim: maybe, decimal_comma: true}\n  person_id: {value: 3, split: ','}\n  was_seen: {column: Color, empty: blank}\n  value: [1]\n",
			nil, []want{
				{4, "trim must be true or false"},
				{4, "decimal_comma applies to type number only"},
				{5, "split applies to columns, not to a constant value"},
				{6, `empty "blank" is not one of omit, null, error`},
				{7, `field "value": give a column name or a mapping`},
			}},
		{"serial date column", "entity: leads\nsource: in.csv\ncolumns:\n  title: Name\n  person_id: {value: 1}\n  expected_close_date: {column: Color, serial: true}\n",
			func(j *Job) string {
				if f := j.Mapping.Fields[2]; f.Serial != mapping.Serial1900 || f.Type != mapping.TypeDate {
					return fmt.Sprintf("want serial 1900 on a date field, got %d on %s", f.Serial, f.Type)
				}
				return ""
			}, nil},
		{"serial 1904", "entity: leads\nsource: in.csv\ncolumns:\n  title: Name\n  person_id: {value: 1}\n  expected_close_date: {column: Color, serial: 1904}\n",
			func(j *Job) string {
				if f := j.Mapping.Fields[2]; f.Serial != mapping.Serial1904 {
					return fmt.Sprintf("want serial 1904, got %d", f.Serial)
				}
				return ""
			}, nil},
		{"serial misused", "entity: leads\nsource: in.csv\ncolumns:\n  title: {column: Name, serial: true}\n  person_id: {value: 1}\n  expected_close_date: {column: Color, serial: 2000}\n",
			nil, []want{{4, "serial applies to type date or datetime only"}, {6, `serial must be true (Excel's 1900 date system), 1904 or false, not "2000"`}}},
		{"source limits", "entity: lead_labels\nsource: {path: in.csv, limits: {cell: 4 MiB, row: 16MiB, shared_strings: 1073741824, workbook: 8 GB}}\ncolumns: {name: Name, color: Color}\n",
			func(j *Job) string {
				want := Limits{Cell: 4 << 20, Row: 16 << 20, SharedStrings: 1 << 30, Workbook: 8e9}
				if j.Source.Limits != want {
					return fmt.Sprintf("want %+v, got %+v", want, j.Source.Limits)
				}
				if o := j.Source.ReaderOptions(); o.MaxCellBytes != 4<<20 || o.MaxWorkbookBytes != 8e9 {
					return fmt.Sprintf("reader options %+v do not carry the limits", o)
				}
				return ""
			}, nil},
		{"bad source limits", "entity: lead_labels\nsource: {path: in.csv, limits: {cell: 2 MiB, row: 1 MiB, rows: 3, workbook: lots, shared_strings: 1 KiB}}\ncolumns: {name: Name, color: Color}\n",
			nil, []want{
				{2, "a cell (2 MiB) cannot be larger than a row (1 MiB)"},
				{2, `unknown key "rows" in source.limits`},
				{2, `source.limits.workbook: "lots" is not a size`},
				{2, "source.limits.shared_strings must be between 1 MiB and 16 GiB, not 1 KiB"},
			}},
		{"second document", "entity: lead_labels\nsource: in.csv\ncolumns: {name: Name, color: Color}\n---\nentity: leads\n",
			nil, []want{{4, "a job file holds one YAML document"}}},
		{"enum without enum type", "entity: lead_labels\nsource: in.csv\ncolumns:\n  name: {column: Name, type: int, enum: [a]}\n  color: Color\n",
			nil, []want{{4, "enum needs type enum"}}},
		{"format layout without element", "entity: leads\nsource: in.csv\ncolumns:\n  title: Name\n  person_id: {value: 1}\n  expected_close_date: {column: Color, formats: [\"02/01/2006\", \"DD.MM.YYYY\", \"DD.MM\"]}\n",
			nil, []want{{6, `date format "DD.MM" does not name a year, a month and a day`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeJob(t, tt.yaml, src)
			j, err := Load(p)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if msg := tt.check(j); msg != "" {
					t.Errorf("Load: %s; got %+v", msg, j)
				}
				return
			}
			got := Problems(err)
			if len(got) != len(tt.want) {
				t.Fatalf("Load reported %d problems, want %d:\n%v", len(got), len(tt.want), err)
			}
			for i, w := range tt.want {
				if got[i].Line != w.line || !strings.Contains(got[i].Msg, w.phrase) {
					t.Errorf("problem %d = %q, want line %d with %q", i, got[i].Error(), w.line, w.phrase)
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want os.ErrNotExist", err)
	}
}

func TestCheckHeader(t *testing.T) {
	j, err := Load(filepath.Join("testdata", "load", "leads_full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	full := []string{"Lead Title", "Amount", "Currency", "Close", "Labels", "Contact email", "External ID"}
	tests := []struct {
		name   string
		header []string
		want   []want
	}{
		{"all present", full, nil},
		{"two missing", []string{"Lead Title", "amount", "Labels", "Contact email", "External Id"}, []want{
			{11, `column "Amount" (field value.amount) is not in the header row`},
			{13, `column "Close" (field expected_close_date)`},
			{8, `column "External ID" (key)`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := j.CheckHeader(tt.header)
			got := Problems(err)
			if len(got) != len(tt.want) {
				t.Fatalf("CheckHeader(%q) = %v, want %d problems", tt.header, err, len(tt.want))
			}
			for i, w := range tt.want {
				if got[i].Line != w.line || !strings.Contains(got[i].Msg, w.phrase) {
					t.Errorf("problem %d = %q, want line %d with %q", i, got[i].Error(), w.line, w.phrase)
				}
			}
			if len(got) > 0 && !strings.Contains(got[0].Msg, `the sheet has "amount"`) {
				t.Errorf("problem %q does not point at the near match", got[0].Msg)
			}
		})
	}
}

func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "load", "*.yaml"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("columns: {title: {value: &a {b: *a}}}\n"))
	dir, _ := filepath.Abs(filepath.Join("testdata", "load"))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := parse("fuzz.yaml", filepath.Join(dir, "fuzz.yaml"), data, false)
		if err == nil && j == nil {
			t.Fatal("parse returned neither a job nor an error")
		}
		if err != nil && len(Problems(err)) == 0 {
			t.Fatalf("parse error %v carries no *Problem", err)
		}
		if err == nil {
			_ = j.CheckHeader([]string{"a"})
		}
	})
}
