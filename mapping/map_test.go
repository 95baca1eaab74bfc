package mapping

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
)

var leadHeader = []string{"Title", "Amount", "Currency", "Close", "Labels", "Email", "Visibility", "Owner", "Seen", "Org"}

func leadSpec() Spec {
	return Spec{Entity: "leads", Schema: "LeadsCreateLeadRequest", Fields: []Field{
		{Path: "title", Column: "Title", Line: 1},
		{Path: "value.amount", Column: "Amount", Type: TypeNumber, Line: 2},
		{Path: "value.currency", Column: "Currency", Default: str("EUR"), Line: 3},
		{Path: "expected_close_date", Column: "Close", Line: 4},
		{Path: "label_ids", Column: "Labels", Split: ";", Lookup: LookupLeadLabelName, CreateMissing: true, Line: 5},
		{Path: "person_id", Column: "Email", Lookup: LookupPersonEmail, Line: 6},
		{Path: "visible_to", Column: "Visibility", Line: 7},
		{Path: "owner_id", Column: "Owner", Line: 8},
		{Path: "was_seen", Column: "Seen", Line: 9},
		{Path: "organization_id", Column: "Org", Lookup: LookupOrganizationName, Line: 10},
	}}
}

func mustCompile(t testing.TB, s Spec, header []string) *Mapper {
	t.Helper()
	m, err := Compile(s, header)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return m
}

func asJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	return string(b)
}

func TestMapLead(t *testing.T) {
	m := mustCompile(t, leadSpec(), leadHeader)
	res := newFake()
	tests := []struct {
		name string
		row  Row
		want string
	}{
		{"full row", text(2, "Big deal", "1234.5", "USD", "2024-03-01", "Hot; Cold", "Ann@Example.com", "3", "5", "yes", "Acme"),
			`{"expected_close_date":"2024-03-01","label_ids":["11111111-1111-4111-8111-111111111111","22222222-2222-4222-8222-222222222222"],"organization_id":3,"owner_id":5,"person_id":7,"title":"Big deal","value":{"amount":1234.5,"currency":"USD"},"visible_to":"3","was_seen":true}`},
		{"defaults and omitted empties", text(3, "  Small  ", "10", "", "", "", "ann@example.com", "  ", "", "", ""),
			`{"person_id":7,"title":"Small","value":{"amount":10,"currency":"EUR"}}`},
		{"short row", text(4, "Only title", "", "", "", "", "ann@example.com"),
			`{"person_id":7,"title":"Only title"}`},
		{"xlsx typed cells", Row{Num: 5, Cells: []Cell{s("T"), num(99.5), {}, {Kind: KindDate, Time: date(2024, 12, 31)}, {}, {}, num(7), num(12), boolCell(false), s("Acme")}},
			`{"expected_close_date":"2024-12-31","organization_id":3,"owner_id":12,"title":"T","value":{"amount":99.5,"currency":"EUR"},"visible_to":"7","was_seen":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Map(context.Background(), tt.row, res)
			if err != nil {
				t.Fatalf("Map(%v) error: %v", tt.row.Cells, err)
			}
			if s := asJSON(t, got); s != tt.want {
				t.Errorf("Map(%v) =\n%s\nwant\n%s", tt.row.Cells, s, tt.want)
			}
		})
	}
}

func TestMapReportsAllErrorsOfARow(t *testing.T) {
	m := mustCompile(t, leadSpec(), leadHeader)
	res := newFake()
	row := text(12, "", "12,3x", "", "2024-02-30", "Nope", "nobody@x.org", "2", "5.5", "maybe", "")
	_, err := m.Map(context.Background(), row, res)
	want := []struct {
		column string
		err    error
	}{
		{"Amount", ErrNotNumber},
		{"Close", ErrBadDate},
		{"Owner", ErrNotInt},
		{"Seen", ErrNotBool},
		{"Title", ErrRequired},
		{"Visibility", ErrNotEnum},
	}
	fes := FieldErrors(err)
	if len(fes) != len(want) {
		t.Fatalf("Map(row 12) gave %d field errors, want %d:\n%v", len(fes), len(want), err)
	}
	byColumn := map[string]*FieldError{}
	for _, fe := range fes {
		byColumn[fe.Column] = fe
		if fe.Row != 12 {
			t.Errorf("FieldError %v has Row %d, want 12", fe, fe.Row)
		}
	}
	for _, w := range want {
		fe := byColumn[w.column]
		if fe == nil || !errors.Is(fe, w.err) {
			t.Errorf("column %q: got %v, want an error matching %v", w.column, fe, w.err)
		}
	}
	if got := byColumn["Visibility"].Error(); got != `row 12, column "Visibility" (visible_to): "2" is not one of 1, 3, 5, 7` {
		t.Errorf("visible_to error = %q", got)
	}
	if n := res.calls.Load(); n != 0 {
		t.Errorf("resolver called %d times for a row with errors, want 0 (no search, no label created)", n)
	}
}

func TestMapEmptyPolicies(t *testing.T) {
	header := []string{"Person", "Title"}
	tests := []struct {
		name  string
		field Field
		cell  Cell
		want  string
		err   error
	}{
		{"omit", Field{Empty: EmptyOmit}, Cell{}, `{"title":"T"}`, nil},
		{"default policy omits", Field{}, s("   "), `{"title":"T"}`, nil},
		{"null", Field{Empty: EmptyNull}, Cell{}, `{"person_id":null,"title":"T"}`, nil},
		{"null from white space", Field{Empty: EmptyNull}, s(" \t "), `{"person_id":null,"title":"T"}`, nil},
		{"error", Field{Empty: EmptyError}, Cell{}, ``, ErrEmpty},
		{"default text", Field{Empty: EmptyError, Default: str("42")}, Cell{}, `{"person_id":42,"title":"T"}`, nil},
		{"value present", Field{Empty: EmptyNull}, s("8"), `{"person_id":8,"title":"T"}`, nil},
		{"no trim keeps spaces", Field{NoTrim: true, Type: TypeString}, s("  "), ``, ErrSchema},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.field
			f.Path, f.Column = "person_id", "Person"
			sp := Spec{Schema: "LeadsUpdateLeadPropertiesRequest", Fields: []Field{f, {Path: "title", Column: "Title"}}}
			m, err := Compile(sp, header)
			if tt.name == "no trim keeps spaces" {
				// A string for an integer field is refused when the job is compiled.
				if err == nil {
					t.Fatalf("Compile(type string on person_id) succeeded, want a spec error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.Map(context.Background(), Row{Num: 2, Cells: []Cell{tt.cell, s("T")}}, nil)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Map = %v, %v; want %v", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if js := asJSON(t, got); js != tt.want {
				t.Errorf("Map(%+v) = %s, want %s", tt.cell, js, tt.want)
			}
		})
	}
}

func TestMapSchemaRules(t *testing.T) {
	t.Run("null where the API wants a value", func(t *testing.T) {
		m := mustCompile(t, Spec{Schema: "LeadsCreateLeadRequest", Fields: []Field{
			{Path: "title", Column: "Title", Empty: EmptyNull}, {Path: "person_id", Value: 1, HasValue: true}}}, []string{"Title"})
		_, err := m.Map(context.Background(), text(3, ""), nil)
		fes := FieldErrors(err)
		if len(fes) != 1 || fes[0].Column != "Title" || !errors.Is(fes[0], ErrSchema) {
			t.Errorf("Map(null title) = %v, want one schema error on column Title", err)
		}
	})
	t.Run("label ids must be uuids", func(t *testing.T) {
		m := mustCompile(t, Spec{Schema: "LeadsUpdateLeadPropertiesRequest", Fields: []Field{
			{Path: "label_ids", Column: "Labels", Split: ","}}}, []string{"Labels"})
		_, err := m.Map(context.Background(), text(4, "11111111-1111-4111-8111-111111111111,nope"), nil)
		fes := FieldErrors(err)
		if len(fes) != 1 || fes[0].Column != "Labels" || fes[0].Value != "nope" || !errors.Is(fes[0], ErrNotUUID) {
			t.Errorf("Map(bad label id) = %v, want a uuid error naming column Labels and value nope", err)
		}
	})
	t.Run("filter conditions must be an object", func(t *testing.T) {
		m := mustCompile(t, Spec{Schema: "FiltersAddNewFilterRequest", Fields: []Field{
			{Path: "name", Column: "Name"}, {Path: "type", Value: "leads", HasValue: true}, {Path: "conditions", Column: "Conditions"}}},
			[]string{"Name", "Conditions"})
		_, err := m.Map(context.Background(), text(5, "F", `[{"glue":"and"}]`), nil)
		fes := FieldErrors(err)
		if len(fes) != 1 || fes[0].Column != "Conditions" || !errors.Is(fes[0], ErrSchema) {
			t.Fatalf("Map(array conditions) = %v, want a schema error on Conditions", err)
		}
		if !strings.Contains(fes[0].Error(), "is an array, the API wants an object") {
			t.Errorf("message %q does not say array versus object", fes[0].Error())
		}
		p, err := m.Map(context.Background(), text(6, "F", `{"glue":"and","conditions":[]}`), nil)
		if err != nil || asJSON(t, p) != `{"conditions":{"conditions":[],"glue":"and"},"name":"F","type":"leads"}` {
			t.Errorf("Map(object conditions) = %s, %v", asJSON(t, p), err)
		}
	})
	t.Run("goal with nested paths and an interval enum", func(t *testing.T) {
		m := mustCompile(t, Spec{Schema: "GoalsCreateReportRequest", Fields: []Field{
			{Path: "title", Column: "Title"},
			{Path: "type.name", Column: "Type"},
			{Path: "type.params.pipeline_id", Column: "Pipelines", Type: TypeInt, Split: ","},
			{Path: "assignee.id", Column: "Assignee", Type: TypeInt},
			{Path: "assignee.type", Value: "person", HasValue: true},
			{Path: "expected_outcome", Value: map[string]any{"target": 50, "tracking_metric": "quantity"}, HasValue: true},
			{Path: "duration.start", Column: "Start", Type: TypeDate},
			{Path: "duration.end", Column: "End", Type: TypeDate, Empty: EmptyNull},
			{Path: "interval", Column: "Interval", Lowercase: true},
		}}, []string{"Title", "Type", "Pipelines", "Assignee", "Start", "End", "Interval"})
		p, err := m.Map(context.Background(), text(2, "Q1", "deals_won", "1, 2", "7", "2024-01-01", "", "Monthly"), nil)
		want := `{"assignee":{"id":7,"type":"person"},"duration":{"end":null,"start":"2024-01-01"},"expected_outcome":{"target":50,"tracking_metric":"quantity"},"interval":"monthly","title":"Q1","type":{"name":"deals_won","params":{"pipeline_id":[1,2]}}}`
		if err != nil || asJSON(t, p) != want {
			t.Errorf("Map(goal) = %s, %v; want %s", asJSON(t, p), err, want)
		}
		_, err = m.Map(context.Background(), text(3, "Q1", "deals_won", "", "7", "2024-01-01", "", "daily"), nil)
		if fes := FieldErrors(err); len(fes) != 1 || fes[0].Column != "Interval" || !errors.Is(fes[0], ErrNotEnum) {
			t.Errorf("Map(interval daily) = %v, want an enum error on Interval", err)
		}
	})
}

func TestMapLookups(t *testing.T) {
	header := []string{"Labels", "Person", "Org", "Lead"}
	sp := Spec{Fields: []Field{
		{Path: "label_ids", Column: "Labels", Split: ";", Lookup: LookupLeadLabelName, CreateMissing: true},
		{Path: "person_id", Column: "Person", Lookup: LookupPersonName},
		{Path: "org_id", Column: "Org", Lookup: LookupOrganizationName},
		{Path: "lead_id", Column: "Lead", Lookup: "ids.leads"},
	}}
	m := mustCompile(t, sp, header)
	res := newFake()
	p, err := m.Map(context.Background(), text(2, "Hot;Warm", "", "Acme", "  ACME   Deal "), res)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"label_ids":["11111111-1111-4111-8111-111111111111","99999999-9999-4999-8999-000000000001"],"lead_id":"33333333-3333-4333-8333-333333333333","org_id":3}`
	if got := asJSON(t, p); got != want {
		t.Errorf("Map = %s, want %s", got, want)
	}
	if n := res.creates.Load(); n != 1 {
		t.Errorf("labels created = %d, want 1 (Warm)", n)
	}
	// A label named twice in one cell is sent once.
	p, err = m.Map(context.Background(), text(2, "Hot;Warm; Hot", "", "Acme", "  ACME   Deal "), res)
	if err != nil {
		t.Fatal(err)
	}
	if got := asJSON(t, p); got != want {
		t.Errorf("Map with a repeated label = %s, want %s", got, want)
	}

	tests := []struct {
		name   string
		row    Row
		column string
		err    error
		msg    string
	}{
		{"organization missing", text(3, "", "", "Globex"), "Org", ErrNotFound, `row 3, column "Org" (org_id): no organization named "Globex"`},
		{"person ambiguous", text(4, "", "Bob"), "Person", ErrAmbiguous, `row 4, column "Person" (person_id): several persons named "Bob" (ids 3, 4 have persons.name "Bob")`},
		{"id map miss", text(5, "", "", "", "Other"), "Lead", ErrNotFound, `row 5, column "Lead" (lead_id): no record imported by the leads job with key "other"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Map(context.Background(), tt.row, res)
			fes := FieldErrors(err)
			if len(fes) != 1 || fes[0].Column != tt.column || !errors.Is(err, tt.err) {
				t.Fatalf("Map = %v, want one %v on %s", err, tt.err, tt.column)
			}
			var le *LookupError
			if !errors.As(err, &le) {
				t.Errorf("errors.As(%v, *LookupError) = false", err)
			}
			if fes[0].Error() != tt.msg {
				t.Errorf("Error() = %q, want %q", fes[0].Error(), tt.msg)
			}
		})
	}
}

func TestMapFatalResolverError(t *testing.T) {
	m := mustCompile(t, Spec{Fields: []Field{{Path: "person_id", Column: "Email", Lookup: LookupPersonEmail}}}, []string{"Email"})
	netErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	res := newFake()
	res.fail = netErr
	_, err := m.Map(context.Background(), text(9, "a@b.c"), res)
	if err == nil || IsRowError(err) {
		t.Fatalf("Map with a failing resolver = %v; want a fatal (non-row) error", err)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "row 9") {
		t.Errorf("Map error %q does not wrap the network error with the row number", err)
	}

	_, err = m.Map(context.Background(), text(9, "a@b.c"), nil)
	if err == nil || IsRowError(err) {
		t.Errorf("Map with a lookup and no resolver = %v, want a fatal error", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res.fail = nil
	_, err = m.Map(ctx, text(9, "a@b.c"), NewCache(ctxResolver{}))
	if !errors.Is(err, context.Canceled) || IsRowError(err) {
		t.Errorf("Map with a cancelled context = %v, want context.Canceled", err)
	}
}

// ctxResolver answers only while its context lives.
type ctxResolver struct{}

func (ctxResolver) Resolve(ctx context.Context, lookup, key string, create bool) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return int64(1), nil
}

func TestMapConstants(t *testing.T) {
	header := []string{"Title"}
	sp := Spec{Schema: "LeadsCreateLeadRequest", Fields: []Field{
		{Path: "title", Column: "Title"},
		{Path: "value", Value: map[string]any{"amount": 10, "currency": "EUR"}, HasValue: true},
		{Path: "expected_close_date", Value: "31/12/2024", HasValue: true, Type: TypeDate, Formats: []string{"02/01/2006"}},
		{Path: "person_id", Value: "ann@example.com", HasValue: true, Lookup: LookupPersonEmail},
		{Path: "was_seen", Value: true, HasValue: true},
		{Path: "label_ids", Value: "0B1E1E1E-1111-4111-8111-111111111111", HasValue: true},
	}}
	m := mustCompile(t, sp, header)
	res := newFake()
	p1, err := m.Map(context.Background(), text(2, "A"), res)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"expected_close_date":"2024-12-31","label_ids":["0b1e1e1e-1111-4111-8111-111111111111"],"person_id":7,"title":"A","value":{"amount":10,"currency":"EUR"},"was_seen":true}`
	if got := asJSON(t, p1); got != want {
		t.Errorf("Map = %s, want %s", got, want)
	}
	p1["value"].(map[string]any)["amount"] = 99
	p2, err := m.Map(context.Background(), text(3, "B"), res)
	if err != nil {
		t.Fatal(err)
	}
	if got := p2["value"].(map[string]any)["amount"]; got != int64(10) {
		t.Errorf("second payload's constant amount = %v after changing the first, want 10", got)
	}
}

func TestKey(t *testing.T) {
	m := mustCompile(t, leadSpec(), leadHeader)
	p, err := m.Map(context.Background(), text(2, "  Big   Deal ", "1", "", "", "Hot;Cold", "ann@example.com"), newFake())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		fields []string
		want   string
		err    error
	}{
		{[]string{"title"}, "big deal", nil},
		{[]string{"title", "person_id"}, "big deal\x1f7", nil},
		{[]string{"value.amount"}, "1", nil},
		{[]string{"label_ids"}, "11111111-1111-4111-8111-111111111111;22222222-2222-4222-8222-222222222222", nil},
		{[]string{"organization_id"}, "", ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.fields, "+"), func(t *testing.T) {
			got, err := m.Key(p, tt.fields)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Errorf("Key(%v) = %q, %v; want %v", tt.fields, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Key(%v) = %q, %v; want %q", tt.fields, got, err, tt.want)
			}
		})
	}
	if k, _ := m.Key(map[string]any{"title": "big deal"}, []string{"title"}); k != CanonicalKey("  BIG deal") {
		t.Errorf("Key(title) = %q, want CanonicalKey of the same text", k)
	}
	if err := m.CheckKey([]string{"title", "nope"}); err == nil {
		t.Errorf("CheckKey(nope) = nil, want an error for an unmapped path")
	}
	if err := m.CheckKey([]string{"title", "value.amount"}); err != nil {
		t.Errorf("CheckKey(title, value.amount) = %v", err)
	}
}

func TestColumns(t *testing.T) {
	sp := Spec{Fields: []Field{
		{Path: "a", Column: "B"}, {Path: "c", Value: "x", HasValue: true}, {Path: "d", Column: "A"}, {Path: "e", Column: "B"},
	}}
	m := mustCompile(t, sp, []string{"A", "B", "C"})
	if got := strings.Join(m.Columns(), ","); got != "B,A" {
		t.Errorf("Columns() = %q, want B,A", got)
	}
}

// TestMapLeadLink checks the API's rule that a new lead is linked to a person or an
// organization: a row that has neither is a row error naming the columns, before any
// request is sent; an update may leave both out.
func TestMapLeadLink(t *testing.T) {
	header := []string{"Title", "Contact email", "Company"}
	person := Field{Path: "person_id", Column: "Contact email", Lookup: LookupPersonEmail}
	org := Field{Path: "organization_id", Column: "Company", Lookup: LookupOrganizationName}
	title := Field{Path: "title", Column: "Title"}
	konst := func(path string, v any) Field { return Field{Path: path, Value: v, HasValue: true} }
	tests := []struct {
		name   string
		schema string
		fields []Field
		row    Row
		want   string // payload, when the row is valid
		msg    string // else the Error() of the link error
		others int    // field errors besides the link error
	}{
		{"person only", leadCreateSchema, []Field{title, person, org}, text(2, "A", "ann@example.com", ""),
			`{"person_id":7,"title":"A"}`, "", 0},
		{"organization only", leadCreateSchema, []Field{title, person, org}, text(3, "A", "", "Acme"),
			`{"organization_id":3,"title":"A"}`, "", 0},
		{"both", leadCreateSchema, []Field{title, person, org}, text(4, "A", "ann@example.com", "Acme"),
			`{"organization_id":3,"person_id":7,"title":"A"}`, "", 0},
		{"both empty", leadCreateSchema, []Field{title, person, org}, text(5, "A", " ", ""), "",
			`row 5: columns "Contact email" (person_id) and "Company" (organization_id): a lead must be linked to a person or an organization`, 0},
		{"short row", leadCreateSchema, []Field{title, person, org}, text(6, "A"), "",
			`row 6: columns "Contact email" (person_id) and "Company" (organization_id): a lead must be linked to a person or an organization`, 0},
		{"typed ids both empty", leadCreateSchema, []Field{title, {Path: "person_id", Column: "Contact email"}, {Path: "organization_id", Column: "Company"}},
			text(7, "A", "", ""), "",
			`row 7: columns "Contact email" (person_id) and "Company" (organization_id): a lead must be linked to a person or an organization`, 0},
		{"constant organization", leadCreateSchema, []Field{title, person, konst("organization_id", 2)}, text(8, "A", ""),
			`{"organization_id":2,"title":"A"}`, "", 0},
		{"constant organization by lookup", leadCreateSchema, []Field{title, person, {Path: "organization_id", Value: "Acme", HasValue: true, Lookup: LookupOrganizationName}}, text(9, "A", ""),
			`{"organization_id":3,"title":"A"}`, "", 0},
		{"only person mapped", leadCreateSchema, []Field{title, person}, text(10, "A", ""), "",
			`row 10, column "Contact email" (person_id): a lead must be linked to a person or an organization`, 0},
		{"id map lookup", leadCreateSchema, []Field{title, {Path: "person_id", Column: "Contact email", Lookup: "ids.persons"}, org},
			text(11, "A", "", ""), "",
			`row 11: columns "Contact email" (person_id) and "Company" (organization_id): a lead must be linked to a person or an organization`, 0},
		// An explicit null links nothing (and the create schema refuses it besides).
		{"explicit null from an empty cell", leadCreateSchema, []Field{title, person, {Path: "organization_id", Column: "Company", Empty: EmptyNull}},
			text(12, "A", "", ""), "",
			`row 12: columns "Contact email" (person_id) and "Company" (organization_id): a lead must be linked to a person or an organization`, 1},
		{"constant null", leadCreateSchema, []Field{title, person, konst("organization_id", nil)}, text(13, "A", ""), "",
			`row 13, column "Contact email" (person_id): a lead must be linked to a person or an organization (organization_id is null)`, 1},
		{"person null, organization set", leadCreateSchema, []Field{title, konst("person_id", nil), org}, text(14, "A", "", "Acme"),
			"", "", 1},
		// A link field that failed already is the error to fix: no second message.
		{"lookup miss", leadCreateSchema, []Field{title, person, org}, text(15, "A", "nobody@x.org", ""), "", "", 1},
		{"lookup not run for a row with errors", leadCreateSchema, []Field{{Path: "title", Column: "Title", Empty: EmptyError}, person, org},
			text(16, "", "ann@example.com", ""), "", "", 1},
		{"bad id", leadCreateSchema, []Field{title, {Path: "person_id", Column: "Contact email"}, org}, text(17, "A", "x7", ""), "", "", 1},
		{"empty cell in a required field", leadCreateSchema, []Field{title, {Path: "person_id", Column: "Contact email", Lookup: LookupPersonEmail, Empty: EmptyError}, org},
			text(18, "A", "", ""), "", "", 1},
		// Updates keep the lead's links: neither field is needed.
		{"update may omit both", "LeadsUpdateLeadPropertiesRequest", []Field{title, person, org}, text(19, "A", "", ""),
			`{"title":"A"}`, "", 0},
		{"no schema", "", []Field{title, person, org}, text(20, "A", "", ""), `{"title":"A"}`, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustCompile(t, Spec{Entity: "leads", Schema: tt.schema, Fields: tt.fields}, header)
			res := newFake()
			p, err := m.Map(context.Background(), tt.row, res)
			if tt.want != "" {
				if err != nil {
					t.Fatalf("Map(%v) error: %v", tt.row.Cells, err)
				}
				if got := asJSON(t, p); got != tt.want {
					t.Errorf("Map = %s, want %s", got, tt.want)
				}
				return
			}
			if err == nil || !IsRowError(err) {
				t.Fatalf("Map(%v) = %s, %v; want a row error", tt.row.Cells, asJSON(t, p), err)
			}
			var link *FieldError
			others := 0
			for _, fe := range FieldErrors(err) {
				if errors.Is(fe, ErrNoLeadLink) {
					if link != nil {
						t.Errorf("two link errors: %v", err)
					}
					link = fe
				} else {
					others++
				}
			}
			if others != tt.others {
				t.Errorf("Map gave %d other field errors, want %d:\n%v", others, tt.others, err)
			}
			if tt.msg == "" {
				if link != nil {
					t.Errorf("Map gave a link error %q besides the link field's own error", link)
				}
				return
			}
			if link == nil {
				t.Fatalf("Map = %v, want an error matching ErrNoLeadLink", err)
			}
			if got := link.Error(); got != tt.msg {
				t.Errorf("Error() = %q\nwant      %q", got, tt.msg)
			}
			if link.Row != tt.row.Num {
				t.Errorf("Row = %d, want %d", link.Row, tt.row.Num)
			}
		})
	}
}

// TestMapLeadLinkSupplied checks that a link field the caller fills in after Map is not
// asked of the row.
func TestMapLeadLinkSupplied(t *testing.T) {
	m := mustCompile(t, Spec{Schema: leadCreateSchema, Supplied: []string{"organization_id"},
		Fields: []Field{{Path: "title", Column: "Title"}}}, []string{"Title"})
	if _, err := m.Map(context.Background(), text(2, "A"), nil); err != nil {
		t.Errorf("Map = %v, want no error when organization_id is supplied by the caller", err)
	}
}
