package mapping

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/spec"
)

// mapOne maps a single cell through a one-field mapping without a schema.
func mapOne(t *testing.T, f Field, c Cell) (any, error) {
	t.Helper()
	f.Path, f.Column = "x", "X"
	m, err := Compile(Spec{Fields: []Field{f}}, []string{"X"})
	if err != nil {
		t.Fatalf("Compile(%+v): %v", f, err)
	}
	p, err := m.Map(context.Background(), Row{Num: 2, Cells: []Cell{c}}, nil)
	if err != nil {
		return nil, err
	}
	v, ok := p["x"]
	if !ok {
		return omitted{}, nil
	}
	return v, nil
}

// omitted marks a field left out of the payload.
type omitted struct{}

func s(t string) Cell      { return Cell{Kind: KindString, Text: t} }
func num(f float64) Cell   { return Cell{Kind: KindNumber, Number: f} }
func boolCell(b bool) Cell { return Cell{Kind: KindBool, Number: map[bool]float64{true: 1}[b]} }

type convCase struct {
	name  string
	field Field
	cell  Cell
	want  any   // when wantErr is nil
	err   error // sentinel the error must match
}

func runConv(t *testing.T, tests []convCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mapOne(t, tt.field, tt.cell)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Map(%+v) = %v, %v; want error %v", tt.cell, got, err, tt.err)
				}
				if !IsRowError(err) {
					t.Errorf("IsRowError(%v) = false, want true", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Map(%+v) error: %v", tt.cell, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Map(%+v) = %#v, want %#v", tt.cell, got, tt.want)
			}
		})
	}
}

func TestConvertString(t *testing.T) {
	runConv(t, []convCase{
		{"trimmed", Field{}, s("  Acme \t"), "Acme", nil},
		{"no trim", Field{NoTrim: true}, s("  Acme "), "  Acme ", nil},
		{"lowercase", Field{Lowercase: true}, s("ACME"), "acme", nil},
		{"number cell text", Field{}, Cell{Kind: KindNumber, Number: 12, Text: "12.00"}, "12.00", nil},
		{"number cell no text", Field{}, num(12.5), "12.5", nil},
		{"date cell", Field{}, Cell{Kind: KindDate, Time: date(2024, 1, 5)}, "2024-01-05", nil},
		{"formula error", Field{}, Cell{Kind: KindError, Text: "#N/A"}, nil, ErrCellError},
		{"invalid utf-8", Field{}, s("caf\xe9"), nil, ErrEncoding},
	})
}

func TestConvertInt(t *testing.T) {
	runConv(t, []convCase{
		{"plain", Field{Type: TypeInt}, s("42"), int64(42), nil},
		{"signed", Field{Type: TypeInt}, s("-7"), int64(-7), nil},
		{"plus", Field{Type: TypeInt}, s("+7"), int64(7), nil},
		{"xlsx integral", Field{Type: TypeInt}, num(12.0), int64(12), nil},
		{"xlsx fraction", Field{Type: TypeInt}, num(12.5), nil, ErrNotInt},
		{"text fraction", Field{Type: TypeInt}, s("12.5"), nil, ErrNotInt},
		{"thousands", Field{Type: TypeInt}, s("1,234"), nil, ErrNotInt},
		{"space thousands", Field{Type: TypeInt}, s("1 234"), nil, ErrNotInt},
		{"letters", Field{Type: TypeInt}, s("12abc"), nil, ErrNotInt},
		{"sign only", Field{Type: TypeInt}, s("-"), nil, ErrNotInt},
		{"too large", Field{Type: TypeInt}, s("99999999999999999999"), nil, ErrNotInt},
		{"xlsx NaN", Field{Type: TypeInt}, num(math.NaN()), nil, ErrNotInt},
		{"currency", Field{Type: TypeInt}, s("$12"), nil, ErrNotInt},
	})
}

func TestConvertNumber(t *testing.T) {
	runConv(t, []convCase{
		{"decimal point", Field{Type: TypeNumber}, s("1234.56"), 1234.56, nil},
		{"negative", Field{Type: TypeNumber}, s("-0.5"), -0.5, nil},
		{"exponent", Field{Type: TypeNumber}, s("1.5e3"), 1500.0, nil},
		{"leading point", Field{Type: TypeNumber}, s(".5"), 0.5, nil},
		{"xlsx number", Field{Type: TypeNumber}, num(99.95), 99.95, nil},
		{"comma without option", Field{Type: TypeNumber}, s("1234,56"), nil, ErrNotNumber},
		{"thousands without option", Field{Type: TypeNumber}, s("1,234.56"), nil, ErrNotNumber},
		{"decimal comma", Field{Type: TypeNumber, DecimalComma: true}, s("1234,56"), 1234.56, nil},
		{"decimal comma grouped", Field{Type: TypeNumber, DecimalComma: true}, s("1.234,56"), 1234.56, nil},
		{"decimal comma millions", Field{Type: TypeNumber, DecimalComma: true}, s("-1.234.567,5"), -1234567.5, nil},
		{"decimal comma space groups", Field{Type: TypeNumber, DecimalComma: true}, s("1 234,5"), 1234.5, nil},
		{"decimal comma nbsp groups", Field{Type: TypeNumber, DecimalComma: true}, s("1\u00a0234,5"), 1234.5, nil},
		{"decimal comma integer", Field{Type: TypeNumber, DecimalComma: true}, s("12"), 12.0, nil},
		{"decimal comma bad group", Field{Type: TypeNumber, DecimalComma: true}, s("1.23,4"), nil, ErrNotNumber},
		{"decimal comma two commas", Field{Type: TypeNumber, DecimalComma: true}, s("1,2,3"), nil, ErrNotNumber},
		{"decimal comma point decimals", Field{Type: TypeNumber, DecimalComma: true}, s("12,3.4"), nil, ErrNotNumber},
		{"trailing letters", Field{Type: TypeNumber}, s("12abc"), nil, ErrNotNumber},
		{"typo", Field{Type: TypeNumber, DecimalComma: true}, s("12,3x"), nil, ErrNotNumber},
		{"dollar", Field{Type: TypeNumber}, s("$12.50"), nil, ErrNotNumber},
		{"euro", Field{Type: TypeNumber, DecimalComma: true}, s("12,50 €"), nil, ErrNotNumber},
		{"NaN text", Field{Type: TypeNumber}, s("NaN"), nil, ErrNotNumber},
		{"Inf text", Field{Type: TypeNumber}, s("Inf"), nil, ErrNotNumber},
		{"hex", Field{Type: TypeNumber}, s("0x1p-2"), nil, ErrNotNumber},
		{"overflow", Field{Type: TypeNumber}, s("1e999"), nil, ErrNotNumber},
		{"underscore", Field{Type: TypeNumber}, s("1_000"), nil, ErrNotNumber},
		{"xlsx Inf", Field{Type: TypeNumber}, num(math.Inf(1)), nil, ErrNotNumber},
		{"underflow", Field{Type: TypeNumber}, s("0.1e-400"), nil, ErrNotNumber},
		{"underflow with decimal comma", Field{Type: TypeNumber, DecimalComma: true}, s("0,1e-400"), nil, ErrNotNumber},
		{"more digits than a float", Field{Type: TypeNumber}, s("9007199254740993"), nil, ErrNotNumber},
		{"more decimals than a float", Field{Type: TypeNumber}, s("0.12345678901234567891"), nil, ErrNotNumber},
		{"zero with exponent", Field{Type: TypeNumber}, s("0.000e-999"), 0.0, nil},
		{"trailing zeros are exact", Field{Type: TypeNumber}, s("1.100000000000000000000"), 1.1, nil},
		{"2^53 is exact", Field{Type: TypeNumber}, s("9007199254740992"), 9007199254740992.0, nil},
		{"subnormal", Field{Type: TypeNumber}, s("1e-320"), 1e-320, nil},
		{"xlsx 17 digits", Field{Type: TypeNumber}, Cell{Kind: KindNumber, Number: 1.1, Text: "1.1000000000000001"}, 1.1, nil},
		{"xlsx more digits than a float", Field{Type: TypeNumber}, Cell{Kind: KindNumber, Number: 9007199254740992, Text: "9007199254740993"}, nil, ErrNotNumber},
		{"xlsx underflow", Field{Type: TypeNumber}, Cell{Kind: KindNumber, Number: 0, Text: "1E-400"}, nil, ErrNotNumber},
		{"xlsx int more digits than a float", Field{Type: TypeInt}, Cell{Kind: KindNumber, Number: 9007199254740992, Text: "9007199254740993"}, nil, ErrNotInt},
	})
}

func TestNumberKeepsPrecision(t *testing.T) {
	got, err := mapOne(t, Field{Type: TypeNumber}, s("1234567.89"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if string(b) != "1234567.89" {
		t.Errorf("json of 1234567.89 = %s, want 1234567.89", b)
	}
}

func TestConvertBool(t *testing.T) {
	var tests []convCase
	for _, in := range []string{"true", "TRUE", "Yes", "y", "1"} {
		tests = append(tests, convCase{"true " + in, Field{Type: TypeBool}, s(in), true, nil})
	}
	for _, in := range []string{"false", "No", "N", "0"} {
		tests = append(tests, convCase{"false " + in, Field{Type: TypeBool}, s(in), false, nil})
	}
	tests = append(tests,
		convCase{"xlsx bool", Field{Type: TypeBool}, boolCell(true), true, nil},
		convCase{"xlsx bool text", Field{Type: TypeBool}, Cell{Kind: KindBool, Text: "FALSE"}, false, nil},
		convCase{"xlsx 1", Field{Type: TypeBool}, num(1), true, nil},
		convCase{"xlsx 2", Field{Type: TypeBool}, num(2), nil, ErrNotBool},
		convCase{"maybe", Field{Type: TypeBool}, s("maybe"), nil, ErrNotBool},
	)
	runConv(t, tests)
}

func TestConvertUUIDEnumJSON(t *testing.T) {
	runConv(t, []convCase{
		{"uuid", Field{Type: TypeUUID}, s("0B1E1E1E-1111-4111-8111-111111111111"), "0b1e1e1e-1111-4111-8111-111111111111", nil},
		{"uuid bad", Field{Type: TypeUUID}, s("0b1e1e1e-1111"), nil, ErrNotUUID},
		{"enum", Field{Type: TypeEnum, Enum: []string{"weekly", "monthly"}}, s("monthly"), "monthly", nil},
		{"enum case", Field{Enum: []string{"weekly", "monthly"}, Lowercase: true}, s("Weekly"), "weekly", nil},
		{"enum case kept", Field{Type: TypeEnum, Enum: []string{"weekly"}}, s("Weekly"), nil, ErrNotEnum},
		{"enum bad", Field{Type: TypeEnum, Enum: []string{"weekly"}}, s("daily"), nil, ErrNotEnum},
		{"json object", Field{Type: TypeJSON}, s(`{"glue":"and","conditions":[]}`), map[string]any{"glue": "and", "conditions": []any{}}, nil},
		{"json array", Field{Type: TypeJSON}, s(`[1, 2]`), []any{json.Number("1"), json.Number("2")}, nil},
		{"json string", Field{Type: TypeJSON}, s(`"x"`), nil, ErrBadJSON},
		{"json number", Field{Type: TypeJSON}, s(`12`), nil, ErrBadJSON},
		{"json broken", Field{Type: TypeJSON}, s(`{"a":`), nil, ErrBadJSON},
		{"json trailing", Field{Type: TypeJSON}, s(`{} {}`), nil, ErrBadJSON},
		{"json too long", Field{Type: TypeJSON}, s("[" + string(make([]byte, maxJSONLen)) + "]"), nil, ErrBadJSON},
	})
}

func TestSplit(t *testing.T) {
	runConv(t, []convCase{
		{"ints", Field{Type: TypeInt, Split: ","}, s("1, 2,,3 "), []any{int64(1), int64(2), int64(3)}, nil},
		{"strings", Field{Split: ";"}, s("a;b"), []any{"a", "b"}, nil},
		{"only separators is empty", Field{Split: ";"}, s(" ; ;"), omitted{}, nil},
		{"bad item", Field{Type: TypeInt, Split: ","}, s("1,x"), nil, ErrNotInt},
	})
	// Every bad item is reported, each with its own text.
	_, err := mapOne(t, Field{Type: TypeInt, Split: ","}, s("x,1,y"))
	fes := FieldErrors(err)
	if len(fes) != 2 || fes[0].Value != "x" || fes[1].Value != "y" {
		t.Errorf("FieldErrors(Map(x,1,y)) = %v, want two errors for x and y", fes)
	}
}

func TestFieldErrorMessage(t *testing.T) {
	long := strings.Repeat("é", 100)
	tests := []struct {
		name string
		fe   FieldError
		want string
	}{
		{"value", FieldError{Row: 12, Column: "Amount", Field: "value.amount", Value: "12,3x", Err: ErrNotNumber},
			`row 12, column "Amount" (value.amount): "12,3x" is not a number`},
		{"no column", FieldError{Row: 3, Field: "value.currency", Err: ErrRequired},
			`row 3, field value.currency: required field is missing`},
		{"lookup", FieldError{Row: 4, Column: "Labels", Field: "label_ids", Value: "Hot", Err: &LookupError{Lookup: LookupLeadLabelName, Key: "Hot", Err: ErrNotFound}},
			`row 4, column "Labels" (label_ids): no lead label named "Hot"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.fe.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
	if got := []rune(truncate(long)); len(got) != maxValueLen+1 {
		t.Errorf("len(truncate(100 runes)) = %d runes, want %d", len(got), maxValueLen+1)
	}
}

func TestIsUUIDMatchesSpec(t *testing.T) {
	for _, in := range []string{"0b1e1e1e-1111-4111-8111-111111111111", "0B1E1E1E-1111-4111-8111-11111111111F",
		"0b1e1e1e-1111-4111-8111-11111111111", "0b1e1e1e11111-4111-8111-111111111111", "0b1e1e1g-1111-4111-8111-111111111111", ""} {
		if got, want := isUUID(in), spec.IsUUID(in); got != want {
			t.Errorf("isUUID(%q) = %v, spec.IsUUID = %v", in, got, want)
		}
	}
}
