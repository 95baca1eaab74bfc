package mapping

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/spec"
)

var fuzzTypes = []Field{
	{Type: TypeString}, {Type: TypeInt}, {Type: TypeNumber}, {Type: TypeNumber, DecimalComma: true},
	{Type: TypeBool}, {Type: TypeDate}, {Type: TypeDate, Formats: []string{"02/01/2006", "2.1.06"}},
	{Type: TypeDateTime}, {Type: TypeUUID}, {Type: TypeEnum, Enum: []string{"a", "b"}, Lowercase: true},
	{Type: TypeJSON}, {Type: TypeInt, Split: ","}, {Lookup: "ids.leads"},
	{Type: TypeDate, Serial: Serial1900}, {Type: TypeDateTime, Serial: Serial1904},
}

// FuzzMapCell feeds arbitrary cells to every parser: none may panic, and whatever Map
// accepts must marshal to JSON; dates must come out as valid YYYY-MM-DD.
func FuzzMapCell(f *testing.F) {
	for _, seed := range []string{"", " ", "12", "-1.5e3", "1.234,56", "2024-02-29", "2024-02-30", "31/12/2024",
		"45292", "60", "true", "{\"a\":1}", "[1,2]", "0b1e1e1e-1111-4111-8111-111111111111", "$12", "1,2,x", "\x00\xff"} {
		f.Add(seed, uint8(0), 0.0)
	}
	f.Add("", uint8(KindNumber), 60.0)
	f.Add("", uint8(KindNumber), math.Inf(1))
	f.Add("", uint8(KindDate), 1.7e9)
	ms := make([]*Mapper, len(fuzzTypes))
	for i, ft := range fuzzTypes {
		ft.Path, ft.Column, ft.Empty = "x", "X", EmptyNull
		m, err := Compile(Spec{Fields: []Field{ft}}, []string{"X"})
		if err != nil {
			f.Fatalf("Compile(%+v): %v", ft, err)
		}
		ms[i] = m
	}
	res := NewCache(keyEcho{})
	f.Fuzz(func(t *testing.T, text string, kind uint8, number float64) {
		c := Cell{Text: text, Kind: Kind(kind % 7), Number: number}
		if c.Kind == KindString && text == "" {
			c.Kind = KindEmpty
		}
		if c.Kind == KindDate || c.Kind == KindDateTime {
			if math.IsNaN(number) || math.IsInf(number, 0) {
				number = 0
			}
			c.Time = time.Unix(int64(math.Mod(number, 1e11)), 0).UTC()
		}
		for i, m := range ms {
			p, err := m.Map(context.Background(), Row{Num: 1, Cells: []Cell{c}}, res)
			if err != nil {
				if !IsRowError(err) {
					t.Fatalf("type %d: Map(%+v) = fatal %v", i, c, err)
				}
				for _, fe := range FieldErrors(err) {
					_ = fe.Error()
				}
				continue
			}
			if _, err := json.Marshal(p); err != nil {
				t.Fatalf("type %d: json.Marshal(Map(%+v)) = %v", i, c, err)
			}
			if ft := fuzzTypes[i]; ft.Serial == 0 && (ft.Type == TypeDate || ft.Type == TypeDateTime) && len(ft.Formats) == 0 &&
				(c.Kind == KindNumber || looksSerial(trimSpace(c.Text)) && c.Kind == KindString) && p["x"] != nil {
				t.Fatalf("type %d: the number %+v became the date %v in a column that does not hold serials", i, c, p["x"])
			}
			if (fuzzTypes[i].Type == TypeNumber || fuzzTypes[i].Type == TypeInt) && fuzzTypes[i].Split == "" && p["x"] != nil {
				if v, ok := p["x"].(float64); ok && v == 0 && c.Kind == KindString {
					if d, _ := decimalDigits(trimSpace(c.Text)); d != "" && numberSyntax(trimSpace(c.Text)) {
						t.Fatalf("type %d: %q became 0", i, c.Text)
					}
				}
			}
			if fuzzTypes[i].Type == TypeDate && p["x"] != nil {
				d, _ := p["x"].(string)
				if _, err := time.Parse(time.DateOnly, d); err != nil {
					t.Fatalf("date of %+v = %q, not a valid date", c, d)
				}
			}
		}
	})
}

// keyEcho resolves every key to itself.
type keyEcho struct{}

func (keyEcho) Resolve(ctx context.Context, lookup, key string, create bool) (any, error) {
	return key, nil
}

// FuzzCSVRoundTrip writes a row to CSV, reads it back, maps it and checks that the JSON
// payload passes spec.CheckRequest and holds what the cells said: the trimmed title, the exact number, and a date that
// maps to itself again.
func FuzzCSVRoundTrip(f *testing.F) {
	f.Add("Acme deal", "1234.56", "2024-03-01")
	f.Add("  spaced \"quoted\", title ", "-0.001", "45292")
	f.Add("multi\nline", "1e-7", "2024-02-29")
	header := []string{"Title", "Amount", "Close"}
	sp := Spec{Schema: "LeadsUpdateLeadPropertiesRequest", Fields: []Field{
		{Path: "title", Column: "Title"},
		{Path: "value.amount", Column: "Amount"},
		{Path: "value.currency", Value: "EUR", HasValue: true},
		{Path: "expected_close_date", Column: "Close"},
	}}
	m, err := Compile(sp, header)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, title, amount, close string) {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		if err := w.WriteAll([][]string{header, {title, amount, close}}); err != nil {
			t.Skip() // not representable as CSV (invalid UTF-8 handling is the reader's)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(recs) != 2 || len(recs[1]) != 3 {
			t.Skip()
		}
		p, err := m.Map(context.Background(), text(2, recs[1]...), nil)
		if err != nil {
			if !IsRowError(err) {
				t.Fatalf("Map = fatal %v", err)
			}
			return
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		if err := spec.CheckRequest(sp.Schema, b); err != nil {
			t.Errorf("Map accepted a payload that spec.CheckRequest refuses: %s: %v", b, err)
		}
		var back map[string]any
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("json.Unmarshal(%s): %v", b, err)
		}
		if got, ok := back["title"]; ok && got != trimSpace(recs[1][0]) {
			t.Errorf("title %q came back as %q", recs[1][0], got)
		}
		if v, ok := back["value"].(map[string]any); ok {
			want, err := parseNumber(trimSpace(recs[1][1]), false)
			if err != nil || v["amount"] != want {
				t.Errorf("amount %q came back as %v, want %v", recs[1][1], v["amount"], want)
			}
		}
		if d, ok := back["expected_close_date"].(string); ok {
			again, err := m.Map(context.Background(), text(3, "t", "", d), nil)
			if err != nil || again["expected_close_date"] != d {
				t.Errorf("date %q mapped to %q, which maps to %v, %v", recs[1][2], d, again["expected_close_date"], err)
			}
		}
	})
}
