package mapping

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 is 1900-02-29, a day that
// never existed (Lotus 1-2-3's leap-year bug, kept by Excel). Serials after 60 count from
// 1899-12-30, those before from 1899-12-31; serial 0 is Excel's "1900-01-00", the day of a
// time of day alone. In the 1904 system serial 0 is 1904-01-01 and there is no phantom day.
// The sheet reader applies the same rules to XLSX cells formatted as dates.
const (
	excelLeapBug       = 60
	excelMaxSerial     = 2958465 // 9999-12-31 in the 1900 system
	excelMaxSerial1904 = 2957003 // 9999-12-31 in the 1904 system
)

// excelDay0 is the date Excel gives a time of day alone in the 1900 system (serial 0,
// "1900-01-00"): the sheet reader gives such a cell this date, which no datetime cell of a
// workbook holds otherwise.
var excelDay0 = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)

// formatDate renders a calendar date as YYYY-MM-DD.
func formatDate(y int, m time.Month, d int) string {
	if y < 0 || y > 9999 {
		return fmt.Sprintf("%04d-%02d-%02d", y, int(m), d)
	}
	var b [10]byte
	b[0] = byte('0' + y/1000)
	b[1] = byte('0' + y/100%10)
	b[2] = byte('0' + y/10%10)
	b[3] = byte('0' + y%10)
	b[4] = '-'
	b[5] = byte('0' + int(m)/10)
	b[6] = byte('0' + int(m)%10)
	b[7] = '-'
	b[8] = byte('0' + d/10)
	b[9] = byte('0' + d%10)
	return string(b[:])
}

// daysIn returns the number of days of month m in year y (proleptic Gregorian).
func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// parseISODate reads YYYY-MM-DD. ok is false when s does not have that shape; err is set
// when it does but names a day that does not exist (2024-02-30).
func parseISODate(s string) (y int, m time.Month, d int, ok bool, err error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, false, nil
	}
	num := func(p string) (int, bool) {
		n := 0
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return 0, false
			}
			n = n*10 + int(p[i]-'0')
		}
		return n, true
	}
	y, ok1 := num(s[:4])
	mm, ok2 := num(s[5:7])
	d, ok3 := num(s[8:])
	if !ok1 || !ok2 || !ok3 {
		return 0, 0, 0, false, nil
	}
	m = time.Month(mm)
	if m < time.January || m > time.December {
		return 0, 0, 0, true, reason(ErrBadDate, "is not a valid date: there is no month %d", mm)
	}
	if d < 1 || d > daysIn(m, y) {
		return 0, 0, 0, true, reason(ErrBadDate, "is not a valid date: %s %d has no day %d", m, y, d)
	}
	return y, m, d, true, nil
}

// excelSerialDays splits an Excel serial of the given date system (Serial1900 or
// Serial1904) into the calendar date of its whole part and the seconds of its fraction.
func excelSerialDays(serial float64, system int) (date time.Time, seconds int64, err error) {
	maxSerial, first := excelMaxSerial, "1 (1900-01-01)"
	if system == Serial1904 {
		maxSerial, first = excelMaxSerial1904, "0 (1904-01-01)"
	}
	if math.IsNaN(serial) || serial < 0 || serial >= float64(maxSerial+1) {
		return time.Time{}, 0, reason(ErrBadDate, "is not a date: Excel serial numbers of the %d date system run from %s to %d (9999-12-31)", system, first, maxSerial)
	}
	whole := math.Floor(serial)
	seconds = int64(math.Round((serial - whole) * 86400))
	n := int(whole)
	switch {
	case system == Serial1904:
		date = time.Date(1904, 1, 1+n, 0, 0, 0, 0, time.UTC)
	case n == 0:
		return time.Time{}, 0, reason(ErrBadDate, "is not a date: Excel serial 0 is the day before 1900-01-01 (Excel shows 1900-01-00), which a time of day alone has")
	case n == excelLeapBug:
		return time.Time{}, 0, reason(ErrBadDate, "is not a date: Excel serial 60 is 1900-02-29, a day that never existed")
	case n < excelLeapBug:
		date = time.Date(1899, 12, 31+n, 0, 0, 0, 0, time.UTC)
	default:
		date = time.Date(1899, 12, 30+n, 0, 0, 0, 0, time.UTC)
	}
	return date, seconds, nil
}

// looksSerial reports whether s is a plain number (digits with at most one point, and an
// optional sign), as a year, a count or an Excel serial typed into a CSV would be.
func looksSerial(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" || s == "." {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
		case s[i] == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return true
}

// errNumberNotDate is the reason of a plain number in a date column that does not say it
// holds serials.
func errNumberNotDate(sentinel error) error {
	return reason(sentinel, "is a number, not a date: set serial: true on the column if it holds Excel serial day numbers")
}

// serialValue converts a serial number of a column that says it holds serials. It returns
// errNumberNotDate when the column does not.
func serialValue(f float64, system int, sentinel error) (time.Time, int64, error) {
	if system == 0 {
		return time.Time{}, 0, errNumberNotDate(sentinel)
	}
	date, secs, err := excelSerialDays(f, system)
	if err != nil && sentinel != ErrBadDate {
		err = reason(sentinel, "%s", err.Error())
	}
	return date, secs, err
}

// sheetTime checks a date or datetime cell of an XLSX workbook and returns its wall-clock
// time: a time of day alone (on Excel's day 0, see excelDay0) holds no date.
func sheetTime(c Cell, sentinel error) (time.Time, error) {
	y, m, d := c.Time.Date()
	if c.Kind == KindDateTime && y == excelDay0.Year() && m == excelDay0.Month() && d == excelDay0.Day() {
		return time.Time{}, reason(sentinel, "is a time of day without a date")
	}
	return c.Time, nil
}

// toDate converts a cell to YYYY-MM-DD from its calendar date alone: no conversion through
// time.Local ever happens, so the date never shifts with the machine's time zone.
func toDate(c Cell, text string, layouts []string, serial int) (string, error) {
	switch c.Kind {
	case KindDate, KindDateTime:
		t, err := sheetTime(c, ErrBadDate)
		if err != nil {
			return "", err
		}
		if c.Kind == KindDate {
			t = t.UTC()
		}
		return formatDate(t.Date()), nil // the wall date as the sheet holds it
	case KindNumber:
		date, _, err := serialValue(c.Number, serial, ErrBadDate)
		if err != nil {
			return "", err
		}
		return formatDate(date.Date()), nil
	}
	var sentences []string
	if len(layouts) == 0 {
		y, m, d, ok, err := parseISODate(text)
		if ok {
			if err != nil {
				return "", err
			}
			return formatDate(y, m, d), nil
		}
		if t, err := time.Parse(time.RFC3339, text); err == nil {
			return formatDate(t.Date()), nil
		}
	} else {
		for _, l := range layouts {
			t, err := ParseDate(l, text)
			if err == nil {
				return formatDate(t.Date()), nil
			}
			if s := rangeSentence(l, err); s != "" {
				sentences = append(sentences, s)
			}
		}
	}
	if looksSerial(text) {
		f, err := parseNumber(text, false)
		if err != nil {
			return "", reason(ErrBadDate, "is not a date: %s", errString(err))
		}
		date, _, err := serialValue(f, serial, ErrBadDate)
		if err != nil {
			return "", err
		}
		return formatDate(date.Date()), nil
	}
	msg := "is not a valid date"
	if len(sentences) > 0 {
		msg += ": " + strings.Join(sentences, "; ")
	} else {
		msg += " (want " + wantLayouts(layouts, "YYYY-MM-DD") + ")"
	}
	failed := layouts
	if len(failed) == 0 {
		failed = []string{time.DateOnly, time.RFC3339}
	}
	if hint := orderHint(dateOrders(text), failed); hint != "" {
		msg += "; " + hint
	}
	return "", reason(ErrBadDate, "%s", msg)
}

// dateTimeHint is orderHint for text, a date and a time of day ("07/21/2027 18:30"),
// when the formats that failed do not read it.
func dateTimeHint(text string, failed []string) string {
	date, clock, ok := strings.Cut(strings.TrimSpace(text), " ")
	if !ok {
		return ""
	}
	var suffix string
	switch strings.Count(clock, ":") {
	case 1:
		suffix = " HH:mm"
	case 2:
		suffix = " HH:mm:ss"
	default:
		return ""
	}
	var fits []reading
	for _, r := range dateOrders(date) {
		f := r.format + suffix
		if t, err := ParseDate(f, text); err == nil {
			fits = append(fits, reading{f, t})
		}
	}
	return orderHint(fits, failed)
}

// rangeSentence turns a layout's out-of-range parse error into a sentence, "" for any
// other error: read as DD/MM/YYYY, it has no month 13.
func rangeSentence(layout string, err error) string {
	pe, ok := err.(*time.ParseError)
	if !ok {
		return ""
	}
	switch {
	case strings.Contains(pe.Message, "month out of range"):
		return "read as " + ShowFormat(layout) + " its month is not between 1 and 12"
	case strings.Contains(pe.Message, "day out of range"):
		return "read as " + ShowFormat(layout) + " its day does not exist in that month"
	case strings.Contains(pe.Message, "out of range"):
		return "read as " + ShowFormat(layout) + " its " + strings.TrimSpace(strings.TrimPrefix(strings.TrimSuffix(pe.Message, " out of range"), ":")) + " is out of range"
	}
	return ""
}

// datetimeLayouts are tried, in order, when a datetime field names no layout. Layouts
// without a zone read the time as UTC.
var datetimeLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", time.DateOnly}

// toDateTime converts a cell to an RFC 3339 time in UTC.
func toDateTime(c Cell, text string, layouts []string, serial int) (string, error) {
	switch c.Kind {
	case KindDate, KindDateTime:
		t, err := sheetTime(c, ErrBadTime)
		if err != nil {
			return "", err
		}
		return t.UTC().Format(time.RFC3339), nil
	case KindNumber:
		date, secs, err := serialValue(c.Number, serial, ErrBadTime)
		if err != nil {
			return "", err
		}
		return date.Add(time.Duration(secs) * time.Second).Format(time.RFC3339), nil
	}
	try := layouts
	if len(try) == 0 {
		try = datetimeLayouts
	}
	var sentences []string
	for _, l := range try {
		t, err := ParseDate(l, text)
		if err == nil {
			return t.UTC().Format(time.RFC3339), nil
		}
		if s := rangeSentence(l, err); s != "" && len(layouts) > 0 {
			sentences = append(sentences, s)
		}
	}
	if looksSerial(text) {
		f, err := parseNumber(text, false)
		if err != nil {
			return "", reason(ErrBadTime, "is not a date: %s", errString(err))
		}
		date, secs, err := serialValue(f, serial, ErrBadTime)
		if err != nil {
			return "", err
		}
		return date.Add(time.Duration(secs) * time.Second).Format(time.RFC3339), nil
	}
	msg := "is not a valid date and time"
	if len(sentences) > 0 {
		msg += ": " + strings.Join(sentences, "; ")
	} else {
		msg += " (want " + wantLayouts(layouts, "YYYY-MM-DD HH:mm:ss, or RFC 3339 such as 2027-07-21T09:30:00Z") + ")"
	}
	if hint := dateTimeHint(text, try); hint != "" {
		msg += "; " + hint
	}
	return "", reason(ErrBadTime, "%s", msg)
}

func wantLayouts(layouts []string, def string) string {
	if len(layouts) == 0 {
		return def
	}
	return showFormats(layouts)
}

// checkLayout verifies that layout, a Go time layout or a spreadsheet format
// (DD/MM/YYYY), carries a full date, by formatting a reference time and reading it back.
func checkLayout(layout string) error {
	if err := CheckDateFormat(layout); err != nil {
		return err
	}
	return nil
}

// CheckDateFormat reports why format, a spreadsheet format such as DD/MM/YYYY or
// MM/DD/YYYY HH:mm, or a Go layout such as 02/01/2006, cannot read a full date; nil when
// it can.
func CheckDateFormat(format string) error {
	if checkLayoutPlain(GoLayout(format)) {
		return nil
	}
	if IsSpreadsheetFormat(format) {
		return fmt.Errorf("date format %q does not name a year, a month and a day: write it as DD/MM/YYYY, MM/DD/YYYY or YYYY-MM-DD (with a time: DD/MM/YYYY HH:mm)", format)
	}
	return fmt.Errorf("date format %q is neither a spreadsheet format with a year, a month and a day (DD/MM/YYYY, MM/DD/YYYY, YYYY-MM-DD) nor a Go time layout such as 02/01/2006", format)
}

func checkLayoutPlain(layout string) bool {
	ref := time.Date(2013, 11, 27, 13, 45, 56, 0, time.UTC)
	p, err := time.Parse(layout, ref.Format(layout))
	return err == nil && p.Year() == 2013 && p.Month() == 11 && p.Day() == 27
}
