package mapping

import (
	"errors"
	"strings"
	"testing"
)

func TestCompileSpecErrors(t *testing.T) {
	header := []string{"Title", "Amount", "Close", "Email", "Dup", "Dup"}
	tests := []struct {
		name  string
		spec  Spec
		line  int
		field string
		hint  string // what the user must read in the message
	}{
		{"missing column", Spec{Fields: []Field{{Path: "a", Column: "Amout", Line: 3}}}, 3, "a", `did you mean "Amount"`},
		{"missing column lists header", Spec{Fields: []Field{{Path: "a", Column: "Zebra", Line: 3}}}, 3, "a", `"Title", "Amount"`},
		{"duplicate header", Spec{Fields: []Field{{Path: "a", Column: "Dup", Line: 4}}}, 4, "a", "appears 2 times"},
		{"unknown type", Spec{Fields: []Field{{Path: "a", Column: "Title", Type: "money", Line: 5}}}, 5, "a", `unknown type "money"`},
		{"bad path", Spec{Fields: []Field{{Path: "value..amount", Column: "Amount", Line: 6}}}, 6, "value..amount", "empty part"},
		{"bad path char", Spec{Fields: []Field{{Path: "a b", Column: "Amount", Line: 6}}}, 6, "a b", "not allowed"},
		{"enum without values", Spec{Fields: []Field{{Path: "a", Column: "Title", Type: TypeEnum, Line: 7}}}, 7, "a", "needs a list of values"},
		{"bad date layout", Spec{Fields: []Field{{Path: "a", Column: "Close", Type: TypeDate, Formats: []string{"dd/mm"}, Line: 8}}}, 8, "a", `write it as DD/MM/YYYY, MM/DD/YYYY or YYYY-MM-DD`},
		{"column and value", Spec{Fields: []Field{{Path: "a", Column: "Title", HasValue: true, Value: "x", Line: 9}}}, 9, "a", "not both"},
		{"neither", Spec{Fields: []Field{{Path: "a", Line: 10}}}, 10, "a", "set a column or a value"},
		{"same path twice", Spec{Fields: []Field{{Path: "a", Column: "Title", Line: 1}, {Path: "a", Column: "Amount", Line: 11}}}, 11, "a", "also on line 1"},
		{"path inside another", Spec{Fields: []Field{{Path: "value", Column: "Title", Line: 1}, {Path: "value.amount", Column: "Amount", Line: 12}}}, 12, "value.amount", "inside value"},
		{"unknown lookup", Spec{Fields: []Field{{Path: "a", Column: "Email", Lookup: "deals.title", Line: 13}}}, 13, "a", `unknown lookup "deals.title"`},
		{"create on persons", Spec{Fields: []Field{{Path: "a", Column: "Email", Lookup: LookupPersonEmail, CreateMissing: true, Line: 14}}}, 14, "a", "create_missing"},
		{"empty policy", Spec{Fields: []Field{{Path: "a", Column: "Title", Empty: "skip", Line: 15}}}, 15, "a", `unknown empty policy "skip"`},
		{"decimal comma on int", Spec{Fields: []Field{{Path: "a", Column: "Amount", Type: TypeInt, DecimalComma: true, Line: 16}}}, 16, "a", "decimal_comma"},
		{"bad constant", Spec{Fields: []Field{{Path: "a", Value: "soon", HasValue: true, Type: TypeDate, Line: 17}}}, 17, "a", `"soon" is not a valid date`},
		{"unknown schema", Spec{Schema: "NoSuchRequest", Fields: []Field{{Path: "a", Column: "Title", Line: 1}}}, 0, "", "unknown request schema"},
		{"type against schema", Spec{Schema: "LeadsUpdateLeadPropertiesRequest", Fields: []Field{{Path: "owner_id", Column: "Title", Type: TypeDate, Line: 18}}}, 18, "owner_id", "the API wants an integer"},
		{"unknown nested field", Spec{Schema: "LeadsUpdateLeadPropertiesRequest", Fields: []Field{{Path: "value.amout", Column: "Amount", Line: 19}}}, 19, "value.amout", "has no field"},
		{"required unmapped", Spec{Schema: "LeadsCreateLeadRequest", Fields: []Field{{Path: "person_id", Column: "Email", Line: 1}}}, 0, "title", "requires it"},
		{"nested required unmapped", Spec{Schema: "LeadsUpdateLeadPropertiesRequest", Fields: []Field{{Path: "value.amount", Column: "Amount", Line: 1}}}, 0, "value.currency", "requires it"},
		{"serial on a number field", Spec{Fields: []Field{{Path: "a", Column: "Amount", Type: TypeNumber, Serial: Serial1900, Line: 21}}}, 21, "a", "serial applies to date and datetime"},
		{"serial of an unknown system", Spec{Fields: []Field{{Path: "a", Column: "Close", Type: TypeDate, Serial: 2000, Line: 22}}}, 22, "a", "serial 2000"},
		{"split on a scalar", Spec{Schema: "LeadsUpdateLeadPropertiesRequest", Fields: []Field{{Path: "title", Column: "Title", Split: ";", Line: 20}}}, 20, "title", "split makes a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.spec, header)
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("Compile = %v, want a *SpecError", err)
			}
			for _, e := range specErrors(err) {
				if e.Line == tt.line && e.Field == tt.field && strings.Contains(e.Error(), tt.hint) {
					return
				}
			}
			t.Errorf("Compile = %v\nwant an error at line %d, field %q, saying %q", err, tt.line, tt.field, tt.hint)
		})
	}
}

func specErrors(err error) []*SpecError {
	var out []*SpecError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if se, ok := e.(*SpecError); ok {
				out = append(out, se)
			}
		}
	}
	return out
}

func TestCompileReportsEveryProblem(t *testing.T) {
	sp := Spec{Schema: "LeadsCreateLeadRequest", Fields: []Field{
		{Path: "title", Column: "Titel", Line: 4},
		{Path: "value.amount", Column: "Amount", Type: "money", Line: 5},
		{Path: "value.currency", Value: "EUR", HasValue: true, Line: 6},
		{Path: "expected_close_date", Column: "Close", Formats: []string{"yyyy"}, Line: 7},
	}}
	_, err := Compile(sp, []string{"Title", "Amount", "Close"})
	lines := map[int]bool{}
	for _, se := range specErrors(err) {
		lines[se.Line] = true
	}
	for _, l := range []int{4, 5, 7} {
		if !lines[l] {
			t.Errorf("Compile = %v\nwant an error on line %d", err, l)
		}
	}
	for _, se := range specErrors(err) {
		if se.Line == 0 && se.Field == "title" {
			t.Errorf("title is mapped (to a missing column), yet also reported as required and unmapped: %v", se)
		}
	}
	if !strings.HasPrefix(err.Error(), "line 4: title: ") {
		t.Errorf("first error = %q, want it to start with line 4: title:", strings.SplitN(err.Error(), "\n", 2)[0])
	}
}

func TestCompileMatchesHeaderLoosely(t *testing.T) {
	m, err := Compile(Spec{Fields: []Field{{Path: "title", Column: "lead title"}}}, []string{" Lead Title "})
	if err != nil {
		t.Fatalf("Compile(lead title vs \" Lead Title \") = %v, want a match ignoring case and spaces", err)
	}
	if got := m.Columns(); len(got) != 1 || got[0] != " Lead Title " {
		t.Errorf("Columns() = %q, want the header's own name", got)
	}
}

func TestCompileInfersTypesFromSchema(t *testing.T) {
	sp := Spec{Schema: "LeadsUpdateLeadPropertiesRequest", Fields: []Field{
		{Path: "owner_id", Column: "Owner"},
		{Path: "was_seen", Column: "Seen"},
		{Path: "expected_close_date", Column: "Close"},
		{Path: "label_ids", Column: "Label"},
		{Path: "custom_hash", Column: "Custom"},
	}}
	m := mustCompile(t, sp, []string{"Owner", "Seen", "Close", "Label", "Custom"})
	want := map[string]Type{"owner_id": TypeInt, "was_seen": TypeBool, "expected_close_date": TypeDate, "label_ids": TypeUUID, "custom_hash": TypeString}
	for path, typ := range want {
		if got := m.byPath[path].typ; got != typ {
			t.Errorf("type of %s = %q, want %q", path, got, typ)
		}
	}
	if !m.byPath["label_ids"].listOne {
		t.Errorf("label_ids without split is not sent as a list of one")
	}
}

// TestCompileLongHeader checks that a header of huge names, against a mapping whose columns
// are all missing, gives short messages that show each header name once, clipped.
func TestCompileLongHeader(t *testing.T) {
	huge := strings.Repeat("H", 1<<20)
	header := []string{huge, "Amount", huge + "2"}
	spec := Spec{Fields: []Field{
		{Path: "a", Column: "Amoun", Line: 1}, {Path: "b", Column: "Zebra", Line: 2},
		{Path: "c", Column: "Yak", Line: 3}, {Path: "d", Column: strings.Repeat("Z", 1<<20), Line: 4},
	}}
	_, err := Compile(spec, header)
	if err == nil {
		t.Fatal("Compile = nil, want missing columns")
	}
	msg := err.Error()
	if len(msg) > 2000 {
		t.Errorf("Compile error is %d bytes long, want a few hundred", len(msg))
	}
	if n := strings.Count(msg, strings.Repeat("H", maxShown-1)); n != 2 {
		t.Errorf("the two long header names show %d times in %q, want once each", n, msg)
	}
	if n := strings.Count(msg, `"Amount"`); n != 1 {
		t.Errorf(`"Amount" shows %d times in %q, want once`, n, msg)
	}
}
