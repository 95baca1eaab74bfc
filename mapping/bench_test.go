package mapping

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/pdbulk/pdbulk/spec"
)

var benchHeader = []string{"Title", "Amount", "Currency", "Close", "Visibility", "Owner", "Seen", "Person", "Org", "Label"}

func benchSpec(schema string) Spec {
	return Spec{Entity: "leads", Schema: schema, Fields: []Field{
		{Path: "title", Column: "Title"},
		{Path: "value.amount", Column: "Amount", Type: TypeNumber, DecimalComma: true},
		{Path: "value.currency", Column: "Currency"},
		{Path: "expected_close_date", Column: "Close", Type: TypeDate, Formats: []string{"02/01/2006"}},
		{Path: "visible_to", Column: "Visibility"},
		{Path: "owner_id", Column: "Owner", Type: TypeInt},
		{Path: "was_seen", Column: "Seen", Type: TypeBool},
		{Path: "person_id", Column: "Person", Type: TypeInt},
		{Path: "organization_id", Column: "Org", Type: TypeInt},
		{Path: "label_ids", Column: "Label", Type: TypeUUID, Split: ";"},
	}}
}

var benchRow = text(2, "Acme Corp – 50 seats", "12.345,67", "EUR", "31/12/2024", "3", "12", "no", "1042", "77",
	"0b1e1e1e-1111-4111-8111-111111111111")

func reportRows(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkMap10Columns maps a 10-column lead row (no lookups) and checks it against the
// seed's LeadsCreateLeadRequest rules, as every import row is.
func BenchmarkMap10Columns(b *testing.B) {
	m := mustCompile(b, benchSpec("LeadsCreateLeadRequest"), benchHeader)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Map(ctx, benchRow, nil); err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b)
}

// BenchmarkMap10ColumnsMarshal adds the json.Marshal the client does to each payload.
func BenchmarkMap10ColumnsMarshal(b *testing.B) {
	m := mustCompile(b, benchSpec("LeadsCreateLeadRequest"), benchHeader)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := m.Map(ctx, benchRow, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(p); err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b)
}

// BenchmarkMap10ColumnsCheckRequest is the alternative Map does not take: mapping without
// compiled rules, then marshal and spec.CheckRequest (a JSON round trip per row).
func BenchmarkMap10ColumnsCheckRequest(b *testing.B) {
	m := mustCompile(b, benchSpec(""), benchHeader)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := m.Map(ctx, benchRow, nil)
		if err != nil {
			b.Fatal(err)
		}
		body, err := json.Marshal(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := spec.CheckRequest("LeadsCreateLeadRequest", body); err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b)
}
