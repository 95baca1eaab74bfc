package mapping

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestFormatsThatDisagreeAreRefused checks that a column's list of formats may not hold two
// formats that read one text as two dates: taking the first that reads would mix day-first
// and month-first values row by row.
func TestFormatsThatDisagreeAreRefused(t *testing.T) {
	tests := []struct {
		name    string
		formats []string
		want    string // the whole message, "" when the list is fine
	}{
		{"day-first and month-first", []string{"DD/MM/YYYY", "MM/DD/YYYY"},
			`line 7: expected_close_date: column "Close": formats DD/MM/YYYY and MM/DD/YYYY read the same text as different dates ("10/11/2027" is 2027-11-10 as DD/MM/YYYY and 2027-10-11 as MM/DD/YYYY): list only the one the sheet uses`},
		{"go layouts", []string{"01/02/2006", "02/01/2006"},
			`line 7: expected_close_date: column "Close": formats MM/DD/YYYY and DD/MM/YYYY read the same text as different dates ("11/10/2027" is 2027-11-10 as MM/DD/YYYY and 2027-10-11 as DD/MM/YYYY): list only the one the sheet uses`},
		{"two-digit year first and last", []string{"YYYY-MM-DD", "DD-MM-YY", "YY-MM-DD"},
			`line 7: expected_close_date: column "Close": formats DD-MM-YY and YY-MM-DD read the same text as different dates ("10-11-27" is 2027-11-10 as DD-MM-YY and 2010-11-27 as YY-MM-DD): list only the one the sheet uses`},
		{"with times", []string{"DD.MM.YYYY HH:mm", "MM.DD.YYYY HH:mm"},
			`line 7: expected_close_date: column "Close": formats DD.MM.YYYY HH:mm and MM.DD.YYYY HH:mm read the same text as different dates ("10.11.2027 13:30" is 2027-11-10 13:30:00 as DD.MM.YYYY HH:mm and 2027-10-11 13:30:00 as MM.DD.YYYY HH:mm): list only the one the sheet uses`},
		{"different shapes", []string{"DD/MM/YYYY", "YYYY-MM-DD", "DD.MM.YYYY", "DD MMM YYYY"}, ""},
		{"one order, two spellings", []string{"DD/MM/YYYY", "D/M/YYYY", "02/01/2006"}, ""},
		{"four- and two-digit years", []string{"DD/MM/YYYY", "DD/MM/YY"}, ""},
		{"two separators", []string{"02/01/2006", "2.1.06"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(Spec{Fields: []Field{{Path: "expected_close_date", Column: "Close", Type: TypeDate, Formats: tt.formats, Line: 7}}}, []string{"Close"})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Compile(formats %q) = %v, want no error", tt.formats, err)
				}
				return
			}
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(formats %q) = %v, want a *SpecError", tt.formats, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Compile(formats %q)\n got %s\nwant %s", tt.formats, got, tt.want)
			}
		})
	}
}

// TestTwoDigitYearsFollowExcel checks that YY reads 00–29 as 2000–2029 and 30–99 as
// 1930–1999, as Excel and LibreOffice do, whether the format is a spreadsheet format or a
// Go layout.
func TestTwoDigitYearsFollowExcel(t *testing.T) {
	dmyy := []string{"DD/MM/YY"}
	runConv(t, []convCase{
		{"50 is 1950", Field{Type: TypeDate, Formats: dmyy}, s("15/06/50"), "1950-06-15", nil},
		{"00 is 2000", Field{Type: TypeDate, Formats: dmyy}, s("01/01/00"), "2000-01-01", nil},
		{"29 is 2029", Field{Type: TypeDate, Formats: dmyy}, s("31/12/29"), "2029-12-31", nil},
		{"30 is 1930", Field{Type: TypeDate, Formats: dmyy}, s("01/01/30"), "1930-01-01", nil},
		{"68 is 1968", Field{Type: TypeDate, Formats: dmyy}, s("31/12/68"), "1968-12-31", nil},
		{"69 is 1969", Field{Type: TypeDate, Formats: dmyy}, s("01/01/69"), "1969-01-01", nil},
		{"99 is 1999", Field{Type: TypeDate, Formats: dmyy}, s("31/12/99"), "1999-12-31", nil},
		{"leap day of 1948", Field{Type: TypeDate, Formats: dmyy}, s("29/02/48"), "1948-02-29", nil},
		{"no leap day in 1949", Field{Type: TypeDate, Formats: dmyy}, s("29/02/49"), nil, ErrBadDate},
		{"year first", Field{Type: TypeDate, Formats: []string{"YY-MM-DD"}}, s("50-06-15"), "1950-06-15", nil},
		{"go layout", Field{Type: TypeDate, Formats: []string{"02/01/06"}}, s("15/06/50"), "1950-06-15", nil},
		{"with a time", Field{Type: TypeDateTime, Formats: []string{"DD/MM/YY HH:mm"}}, s("15/06/50 10:30"), "1950-06-15T10:30:00Z", nil},
		{"four digits untouched", Field{Type: TypeDate, Formats: []string{"DD/MM/YYYY"}}, s("15/06/2050"), "2050-06-15", nil},
		{"default iso untouched", Field{Type: TypeDate}, s("2050-06-15"), "2050-06-15", nil},
	})
}

// hintFormats are the column formats FuzzDateHint tries; nil is the default.
var hintFormats = [][]string{nil, {"DD/MM/YYYY"}, {"MM/DD/YYYY"}, {"YYYY-MM-DD"}, {"02/01/2006"}, {"DD-MM-YY"}, {"DD.MM.YYYY", "YYYY-MM-DD"}}

// FuzzDateHint checks the date_format a rejected date's message suggests: never one of
// the formats that failed (the column's, or the defaults), and always one that then reads
// the value.
func FuzzDateHint(f *testing.F) {
	for _, seed := range []string{"2027-4-3", "27-04-03", "03/04/2027", "07/21/2027", "13/4/2027", "50-06-15", "03/04/05", "1.2.3", "07/21/2027 18:30"} {
		f.Add(seed, uint8(0))
	}
	f.Fuzz(func(t *testing.T, value string, which uint8) {
		formats := hintFormats[int(which)%len(hintFormats)]
		typ := TypeDate
		if strings.Contains(value, ":") {
			typ = TypeDateTime
		}
		fld := Field{Path: "x", Column: "X", Type: typ, Formats: formats}
		m, err := Compile(Spec{Fields: []Field{fld}}, []string{"X"})
		if err != nil {
			t.Fatalf("Compile(%+v): %v", fld, err)
		}
		_, err = m.Map(context.Background(), Row{Num: 2, Cells: []Cell{s(value)}}, nil)
		fes := FieldErrors(err)
		if len(fes) != 1 {
			return
		}
		msg := fes[0].Reason()
		_, suggested, ok := strings.Cut(msg, "set date_format: ")
		if !ok {
			return
		}
		failed := formats
		if len(failed) == 0 && typ == TypeDate {
			failed = []string{"YYYY-MM-DD"}
		} else if len(failed) == 0 {
			failed = datetimeLayouts
		}
		for _, f := range failed {
			if strings.EqualFold(ShowFormat(f), suggested) {
				t.Fatalf("Map(%q) with formats %q suggests the format that failed: %s", value, formats, msg)
			}
		}
		fld.Formats = []string{suggested}
		if _, err := mapOne(t, fld, s(value)); err != nil {
			t.Fatalf("Map(%q) with formats %q suggests %s, which does not read it either: %v", value, formats, suggested, err)
		}
	})
}
