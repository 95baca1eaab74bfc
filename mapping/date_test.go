package mapping

import (
	"strings"
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestConvertDate(t *testing.T) {
	dmy := []string{"02/01/2006"}
	runConv(t, []convCase{
		{"iso", Field{Type: TypeDate}, s("2024-03-01"), "2024-03-01", nil},
		{"leap day", Field{Type: TypeDate}, s("2024-02-29"), "2024-02-29", nil},
		{"not a leap year", Field{Type: TypeDate}, s("2023-02-29"), nil, ErrBadDate},
		{"impossible", Field{Type: TypeDate}, s("2024-02-30"), nil, ErrBadDate},
		{"month 13", Field{Type: TypeDate}, s("2024-13-01"), nil, ErrBadDate},
		{"rfc3339 keeps its wall date", Field{Type: TypeDate}, s("2024-03-01T23:30:00-08:00"), "2024-03-01", nil},
		{"layout", Field{Type: TypeDate, Formats: dmy}, s("31/12/2024"), "2024-12-31", nil},
		{"second layout", Field{Type: TypeDate, Formats: []string{"02/01/2006", "2.1.2006"}}, s("5.3.2024"), "2024-03-05", nil},
		{"layout impossible", Field{Type: TypeDate, Formats: dmy}, s("30/02/2024"), nil, ErrBadDate},
		{"layout mismatch", Field{Type: TypeDate, Formats: dmy}, s("2024-12-31"), nil, ErrBadDate},
		{"garbage", Field{Type: TypeDate}, s("soon"), nil, ErrBadDate},
		{"xlsx date cell", Field{Type: TypeDate}, Cell{Kind: KindDate, Time: date(2024, 1, 1)}, "2024-01-01", nil},
		{"xlsx datetime cell", Field{Type: TypeDate}, Cell{Kind: KindDateTime, Time: time.Date(2024, 1, 1, 23, 59, 0, 0, time.UTC)}, "2024-01-01", nil},
		{"number is not a date", Field{Type: TypeDate}, num(45292), nil, ErrBadDate},
		{"year typed in a csv", Field{Type: TypeDate}, s("2027"), nil, ErrBadDate},
		{"day typed in a csv", Field{Type: TypeDate}, s("12"), nil, ErrBadDate},
		{"number with layouts", Field{Type: TypeDate, Formats: dmy}, s("45292"), nil, ErrBadDate},
		{"serial 1", Field{Type: TypeDate, Serial: Serial1900}, num(1), "1900-01-01", nil},
		{"serial 59", Field{Type: TypeDate, Serial: Serial1900}, num(59), "1900-02-28", nil},
		{"serial 60 is the 1900 bug", Field{Type: TypeDate, Serial: Serial1900}, num(60), nil, ErrBadDate},
		{"serial 60 text", Field{Type: TypeDate, Serial: Serial1900}, s("60"), nil, ErrBadDate},
		{"serial 61", Field{Type: TypeDate, Serial: Serial1900}, num(61), "1900-03-01", nil},
		{"serial 61 text", Field{Type: TypeDate, Serial: Serial1900}, s("61"), "1900-03-01", nil},
		{"serial 45292", Field{Type: TypeDate, Serial: Serial1900}, num(45292), "2024-01-01", nil},
		{"serial with time", Field{Type: TypeDate, Serial: Serial1900}, num(45292.99), "2024-01-01", nil},
		{"serial as text", Field{Type: TypeDate, Serial: Serial1900}, s("45292"), "2024-01-01", nil},
		{"serial as text with layouts", Field{Type: TypeDate, Formats: dmy, Serial: Serial1900}, s("45292"), "2024-01-01", nil},
		{"serial 0", Field{Type: TypeDate, Serial: Serial1900}, num(0), nil, ErrBadDate},
		{"serial 0 text", Field{Type: TypeDate, Serial: Serial1900}, s("0"), nil, ErrBadDate},
		{"serial negative", Field{Type: TypeDate, Serial: Serial1900}, num(-3), nil, ErrBadDate},
		{"serial negative text", Field{Type: TypeDate, Serial: Serial1900}, s("-3"), nil, ErrBadDate},
		{"serial too large", Field{Type: TypeDate, Serial: Serial1900}, num(3e6), nil, ErrBadDate},
		{"serial max", Field{Type: TypeDate, Serial: Serial1900}, num(2958465), "9999-12-31", nil},
		{"serial 1904 day 0", Field{Type: TypeDate, Serial: Serial1904}, num(0), "1904-01-01", nil},
		{"serial 1904 day 60", Field{Type: TypeDate, Serial: Serial1904}, s("60"), "1904-03-01", nil},
		{"serial 1904 of 2024-01-01", Field{Type: TypeDate, Serial: Serial1904}, s("43830"), "2024-01-01", nil},
		{"serial 1904 max", Field{Type: TypeDate, Serial: Serial1904}, num(2957003), "9999-12-31", nil},
		{"serial 1904 too large", Field{Type: TypeDate, Serial: Serial1904}, num(2957004), nil, ErrBadDate},
		{"time of day alone", Field{Type: TypeDate}, Cell{Kind: KindDateTime, Time: time.Date(1899, 12, 31, 12, 0, 0, 0, time.UTC), Text: "12:00:00"}, nil, ErrBadDate},
	})
}

func TestConvertDateTime(t *testing.T) {
	runConv(t, []convCase{
		{"rfc3339 to utc", Field{Type: TypeDateTime}, s("2024-03-01T10:00:00+02:00"), "2024-03-01T08:00:00Z", nil},
		{"fraction", Field{Type: TypeDateTime}, s("2024-03-01T10:00:00.123Z"), "2024-03-01T10:00:00Z", nil},
		{"no zone is utc", Field{Type: TypeDateTime}, s("2024-03-01 10:00:00"), "2024-03-01T10:00:00Z", nil},
		{"date only", Field{Type: TypeDateTime}, s("2024-03-01"), "2024-03-01T00:00:00Z", nil},
		{"layout", Field{Type: TypeDateTime, Formats: []string{"02/01/2006 15:04"}}, s("31/12/2024 18:30"), "2024-12-31T18:30:00Z", nil},
		{"number is not a date", Field{Type: TypeDateTime}, num(45292.75), nil, ErrBadTime},
		{"number text is not a date", Field{Type: TypeDateTime}, s("45292.5"), nil, ErrBadTime},
		{"serial with time", Field{Type: TypeDateTime, Serial: Serial1900}, num(45292.75), "2024-01-01T18:00:00Z", nil},
		{"serial text", Field{Type: TypeDateTime, Serial: Serial1900}, s("45292.5"), "2024-01-01T12:00:00Z", nil},
		{"serial 1904 text", Field{Type: TypeDateTime, Serial: Serial1904}, s("43830.5"), "2024-01-01T12:00:00Z", nil},
		{"serial 0.5 is a time alone", Field{Type: TypeDateTime, Serial: Serial1900}, s("0.5"), nil, ErrBadTime},
		{"time of day alone", Field{Type: TypeDateTime}, Cell{Kind: KindDateTime, Time: time.Date(1899, 12, 31, 12, 0, 0, 0, time.UTC), Text: "12:00:00"}, nil, ErrBadTime},
		{"xlsx datetime", Field{Type: TypeDateTime}, Cell{Kind: KindDateTime, Time: time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)}, "2024-01-01T09:00:00Z", nil},
		{"serial 60", Field{Type: TypeDateTime, Serial: Serial1900}, num(60.5), nil, ErrBadTime},
		{"garbage", Field{Type: TypeDateTime}, s("2024-03-01T25:00:00Z"), nil, ErrBadTime},
	})
}

// TestDateNeverShifts runs date conversions with time.Local set to zones far from UTC on
// both sides: a date-only value must come out as the same calendar date.
func TestDateNeverShifts(t *testing.T) {
	saved := time.Local
	t.Cleanup(func() { time.Local = saved })
	for _, zone := range []string{"Pacific/Auckland", "America/Los_Angeles", "Pacific/Kiritimati", "Pacific/Pago_Pago"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Skipf("time zone data missing: %v", err)
		}
		time.Local = loc
		t.Run(zone, func(t *testing.T) {
			cases := []struct {
				name  string
				field Field
				cell  Cell
			}{
				{"iso text", Field{Type: TypeDate}, s("2024-03-31")},
				{"layout text", Field{Type: TypeDate, Formats: []string{"02.01.2006"}}, s("31.03.2024")},
				{"xlsx date", Field{Type: TypeDate}, Cell{Kind: KindDate, Time: date(2024, 3, 31)}},
				{"serial", Field{Type: TypeDate, Serial: Serial1900}, num(45382)},
				{"serial text", Field{Type: TypeDate, Serial: Serial1900}, s("45382")},
				{"datetime cell near midnight", Field{Type: TypeDate}, Cell{Kind: KindDateTime, Time: time.Date(2024, 3, 31, 23, 59, 59, 0, time.UTC)}},
			}
			for _, c := range cases {
				got, err := mapOne(t, c.field, c.cell)
				if err != nil || got != "2024-03-31" {
					t.Errorf("%s: Map(%+v) = %v, %v; want 2024-03-31", c.name, c.cell, got, err)
				}
			}
		})
	}
}

func TestCheckLayout(t *testing.T) {
	tests := []struct {
		layout string
		ok     bool
	}{
		{"02/01/2006", true},
		{"2006-01-02T15:04:05Z07:00", true},
		{"January 2, 2006", true},
		{"dd/mm/yyyy", true},
		{"DD/MM/YYYY", true},
		{"MM/DD/YYYY HH:mm", true},
		{"DD.MM", false},
		{"%d/%m/%Y", false},
		{"15:04", false},
		{"01/2006", false},
	}
	for _, tt := range tests {
		t.Run(tt.layout, func(t *testing.T) {
			if err := checkLayout(tt.layout); (err == nil) != tt.ok {
				t.Errorf("checkLayout(%q) = %v, want ok=%v", tt.layout, err, tt.ok)
			}
		})
	}
}

func TestSpreadsheetFormats(t *testing.T) {
	runConv(t, []convCase{
		{"DD/MM/YYYY", Field{Type: TypeDate, Formats: []string{"DD/MM/YYYY"}}, s("21/07/2027"), "2027-07-21", nil},
		{"MM/DD/YYYY", Field{Type: TypeDate, Formats: []string{"MM/DD/YYYY"}}, s("07/21/2027"), "2027-07-21", nil},
		{"MM/DD/YYYY without zeros", Field{Type: TypeDate, Formats: []string{"MM/DD/YYYY"}}, s("7/4/2027"), "2027-07-04", nil},
		{"lower case", Field{Type: TypeDate, Formats: []string{"dd.mm.yyyy"}}, s("04.07.2027"), "2027-07-04", nil},
		{"YYYY-MM-DD", Field{Type: TypeDate, Formats: []string{"YYYY-MM-DD"}}, s("2027-07-21"), "2027-07-21", nil},
		{"two-digit year", Field{Type: TypeDate, Formats: []string{"DD/MM/YY"}}, s("21/07/27"), "2027-07-21", nil},
		{"month name", Field{Type: TypeDate, Formats: []string{"DD MMM YYYY"}}, s("21 Jul 2027"), "2027-07-21", nil},
		{"with time", Field{Type: TypeDateTime, Formats: []string{"DD/MM/YYYY HH:mm"}}, s("21/07/2027 18:30"), "2027-07-21T18:30:00Z", nil},
		{"with seconds", Field{Type: TypeDateTime, Formats: []string{"MM/DD/YYYY HH:mm:ss"}}, s("07/21/2027 18:30:05"), "2027-07-21T18:30:05Z", nil},
		{"12-hour clock", Field{Type: TypeDateTime, Formats: []string{"MM/DD/YYYY hh:mm AM/PM"}}, s("07/21/2027 06:30 PM"), "2027-07-21T18:30:00Z", nil},
		{"go layout still works", Field{Type: TypeDate, Formats: []string{"01/02/2006"}}, s("07/21/2027"), "2027-07-21", nil},
	})
}

// TestDateMessages checks what a user reads in a reject report for a bad date: sentences,
// one per problem, and the date_format to set when the value reads in another order.
func TestDateMessages(t *testing.T) {
	tests := []struct {
		name    string
		formats []string
		value   string
		want    string
	}{
		{"us date against the default", nil, "07/21/2027",
			`"07/21/2027" is not a valid date (want YYYY-MM-DD); it reads as MM/DD/YYYY: set date_format: MM/DD/YYYY`},
		{"day-first date against the default", nil, "21/07/2027",
			`"21/07/2027" is not a valid date (want YYYY-MM-DD); it reads as DD/MM/YYYY: set date_format: DD/MM/YYYY`},
		{"us date against day-first", []string{"DD/MM/YYYY"}, "07/21/2027",
			`"07/21/2027" is not a valid date: read as DD/MM/YYYY its month is not between 1 and 12; it reads as MM/DD/YYYY: set date_format: MM/DD/YYYY`},
		{"go layout shown as a spreadsheet format", []string{"02/01/2006"}, "07/21/2027",
			`"07/21/2027" is not a valid date: read as DD/MM/YYYY its month is not between 1 and 12; it reads as MM/DD/YYYY: set date_format: MM/DD/YYYY`},
		{"impossible day, two layouts", []string{"DD/MM/YYYY", "YYYY-MM-DD"}, "31/02/2027",
			`"31/02/2027" is not a valid date: read as DD/MM/YYYY its day does not exist in that month`},
		{"ambiguous", []string{"YYYY-MM-DD"}, "03/04/2027",
			`"03/04/2027" is not a valid date (want YYYY-MM-DD); it reads as DD/MM/YYYY (2027-04-03) and as MM/DD/YYYY (2027-03-04): the order is ambiguous, set date_format to the one the sheet uses`},
		{"iso without zeros against the default", nil, "2027-4-3",
			`"2027-4-3" is not a valid date (want YYYY-MM-DD); write it 2027-04-03, with a leading zero on one-digit numbers`},
		{"iso without zeros against the default, with a time", nil, "2027-4-3 18:30",
			`"2027-4-3 18:30" is not a valid date and time (want YYYY-MM-DD HH:mm:ss, or RFC 3339 such as 2027-07-21T09:30:00Z); write it 2027-04-03 18:30, with a leading zero on one-digit numbers`},
		{"go layout wants leading zeros", []string{"02/01/2006"}, "13/4/2027",
			`"13/4/2027" is not a valid date (want DD/MM/YYYY); write it 13/04/2027, with a leading zero on one-digit numbers`},
		{"two-digit year first or last", nil, "27-04-03",
			`"27-04-03" is not a valid date (want YYYY-MM-DD); it reads as DD-MM-YY (2003-04-27) and as YY-MM-DD (2027-04-03): the order is ambiguous, set date_format to the one the sheet uses`},
		{"two-digit year first only", []string{"DD-MM-YYYY"}, "50-06-15",
			`"50-06-15" is not a valid date (want DD-MM-YYYY); it reads as YY-MM-DD: set date_format: YY-MM-DD`},
		{"three orders", []string{"YYYY-MM-DD"}, "03/04/05",
			`"03/04/05" is not a valid date (want YYYY-MM-DD); it reads as DD/MM/YY (2005-04-03) and as MM/DD/YY (2005-03-04) and as YY/MM/DD (2003-04-05): the order is ambiguous, set date_format to the one the sheet uses`},
		{"ambiguous date and time", nil, "03/04/2027 18:30",
			`"03/04/2027 18:30" is not a valid date and time (want YYYY-MM-DD HH:mm:ss, or RFC 3339 such as 2027-07-21T09:30:00Z); it reads as DD/MM/YYYY HH:mm (2027-04-03 18:30:00) and as MM/DD/YYYY HH:mm (2027-03-04 18:30:00): the order is ambiguous, set date_format to the one the sheet uses`},
		{"us date and time against the default", nil, "07/21/2027 18:30",
			`"07/21/2027 18:30" is not a valid date and time (want YYYY-MM-DD HH:mm:ss, or RFC 3339 such as 2027-07-21T09:30:00Z); it reads as MM/DD/YYYY HH:mm: set date_format: MM/DD/YYYY HH:mm`},
		{"day-first date and time against month-first", []string{"MM/DD/YYYY HH:mm:ss"}, "21/07/2027 18:30:05",
			`"21/07/2027 18:30:05" is not a valid date and time: read as MM/DD/YYYY HH:mm:ss its month is not between 1 and 12; it reads as DD/MM/YYYY HH:mm:ss: set date_format: DD/MM/YYYY HH:mm:ss`},
		{"garbage", []string{"DD/MM/YYYY", "YYYY-MM-DD"}, "soon",
			`"soon" is not a valid date (want DD/MM/YYYY or YYYY-MM-DD)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ := TypeDate
			if strings.Contains(tt.value, ":") {
				typ = TypeDateTime
			}
			_, err := mapOne(t, Field{Type: typ, Formats: tt.formats}, s(tt.value))
			fes := FieldErrors(err)
			if len(fes) != 1 {
				t.Fatalf("Map(%q) = %v, want one field error", tt.value, err)
			}
			if got := fes[0].Reason(); got != tt.want {
				t.Errorf("reason\n got %s\nwant %s", got, tt.want)
			}
			if strings.Contains(fes[0].Reason(), "::") {
				t.Errorf("reason %q holds \"::\"", fes[0].Reason())
			}
		})
	}
}

func TestShowFormat(t *testing.T) {
	for in, want := range map[string]string{
		"02/01/2006": "DD/MM/YYYY", "01/02/2006": "MM/DD/YYYY", "2006-01-02": "YYYY-MM-DD",
		"02/01/2006 15:04": "DD/MM/YYYY HH:mm", "DD/MM/YYYY": "DD/MM/YYYY",
		"2006-01-02T15:04:05Z07:00": "2006-01-02T15:04:05Z07:00",
	} {
		if got := ShowFormat(in); got != want {
			t.Errorf("ShowFormat(%q) = %q, want %q", in, got, want)
		}
	}
}
