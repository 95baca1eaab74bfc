package mapping

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Date formats are written in a job file the way spreadsheet users write them
// (DD/MM/YYYY, MM/DD/YYYY, YYYY-MM-DD, with times HH:mm or HH:mm:ss) or as a Go layout
// (02/01/2006). GoLayout turns the first into the second; messages show a format the way
// the user wrote it, and a Go layout in the spreadsheet spelling when it has one.

// IsSpreadsheetFormat reports whether format is written with spreadsheet letters (it holds
// YY or DD in either case), as opposed to a Go layout.
func IsSpreadsheetFormat(format string) bool {
	l := strings.ToLower(format)
	return strings.Contains(l, "yy") || strings.Contains(l, "dd")
}

// layoutInfo is what reading with a format needs: its Go layout, and whether that layout
// holds a two-digit year (and no four-digit one), which is read with Excel's century pivot.
type layoutInfo struct {
	layout    string
	shortYear bool
}

var layoutInfos sync.Map // format → layoutInfo

// GoLayout returns the Go time layout that reads format: a Go layout unchanged, a
// spreadsheet format translated. Spreadsheet tokens (case does not matter except that M
// is a month and m a minute after an hour or before seconds, as in Excel): YYYY, YY;
// MMMM (January), MMM (Jan), MM or M; DDDD (Monday), DDD (Mon), DD or D; HH or H
// (hh with AM/PM for a 12-hour clock); mm or m; ss or s; AM/PM. Numbers are read with or
// without a leading zero (7/3/2027 and 07/03/2027 both read as MM/DD/YYYY). A two-digit
// year read with the layout takes Go's century (00–68 → 20xx); ParseDate applies Excel's.
func GoLayout(format string) string {
	return infoOf(format).layout
}

func infoOf(format string) layoutInfo {
	if v, ok := layoutInfos.Load(format); ok {
		return v.(layoutInfo)
	}
	info := layoutInfo{layout: format}
	if IsSpreadsheetFormat(format) {
		info.layout = translateFormat(format)
	}
	// Go reads the two digits of 06 as 1969–2068: a layout that turns 1950 into 2050 has a
	// two-digit year and no four-digit one.
	ref := time.Date(1950, 3, 14, 0, 0, 0, 0, time.UTC)
	t, err := time.Parse(info.layout, ref.Format(info.layout))
	info.shortYear = err == nil && t.Year() == 2050
	layoutInfos.Store(format, info)
	return info
}

// ParseDate reads text with format, a spreadsheet format or a Go layout, as time.Parse
// does, except that a two-digit year follows Excel and LibreOffice: 00–29 are 2000–2029 and
// 30–99 are 1930–1999 (Go alone would read 30–68 as 2030–2068).
func ParseDate(format, text string) (time.Time, error) {
	info := infoOf(format)
	t, err := time.Parse(info.layout, text)
	if err != nil || !info.shortYear {
		return t, err
	}
	return excelCentury(t), nil
}

// excelCentury moves a year Go read from two digits into Excel's century: Go reads 69–99
// as 19xx and 00–68 as 20xx, Excel 30–99 as 19xx and 00–29 as 20xx, so 2030–2068 become
// 1930–1968. No century year lies between, so a 29 February stays a real day.
func excelCentury(t time.Time) time.Time {
	if y := t.Year(); y >= 2030 && y <= 2068 {
		return time.Date(y-100, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	}
	return t
}

type fmtToken struct {
	letter byte // lower-case letter, 0 for a literal
	n      int  // repeat count
	lit    string
}

func tokenizeFormat(s string) []fmtToken {
	var out []fmtToken
	for i := 0; i < len(s); {
		if strings.HasPrefix(strings.ToUpper(s[i:]), "AM/PM") {
			out = append(out, fmtToken{letter: 'a', n: 1})
			i += 5
			continue
		}
		c := s[i] | 0x20
		if c == 'y' || c == 'm' || c == 'd' || c == 'h' || c == 's' {
			j := i
			for j < len(s) && s[j]|0x20 == c {
				j++
			}
			out = append(out, fmtToken{letter: c, n: j - i, lit: s[i:j]})
			i = j
			continue
		}
		out = append(out, fmtToken{lit: s[i : i+1]})
		i++
	}
	return out
}

func translateFormat(s string) string {
	toks := tokenizeFormat(s)
	ampm := false
	for _, t := range toks {
		ampm = ampm || t.letter == 'a'
	}
	var b strings.Builder
	lastField := byte(0)
	for i, t := range toks {
		switch t.letter {
		case 0:
			b.WriteString(t.lit)
			continue
		case 'y':
			if t.n >= 3 {
				b.WriteString("2006")
			} else {
				b.WriteString("06")
			}
		case 'm':
			minute := lastField == 'h'
			for _, u := range toks[i+1:] {
				if u.letter != 0 {
					minute = minute || u.letter == 's'
					break
				}
			}
			// An upper-case M is a month unless it sits between an hour and seconds.
			if t.lit[0] == 'M' && t.n <= 2 && !(lastField == 'h') {
				minute = false
			}
			switch {
			case minute && t.n <= 2:
				b.WriteString("4")
			case t.n >= 4:
				b.WriteString("January")
			case t.n == 3:
				b.WriteString("Jan")
			default:
				b.WriteString("1")
			}
		case 'd':
			switch {
			case t.n >= 4:
				b.WriteString("Monday")
			case t.n == 3:
				b.WriteString("Mon")
			default:
				b.WriteString("2")
			}
		case 'h':
			if ampm {
				b.WriteString("3")
			} else {
				b.WriteString("15")
			}
		case 's':
			b.WriteString("5")
		case 'a':
			b.WriteString("PM")
		}
		lastField = t.letter
	}
	return b.String()
}

// goTokens are the Go layout elements ShowFormat translates, longest first.
var goTokens = []struct{ goTok, sheet string }{
	{"January", "MMMM"}, {"Monday", "DDDD"}, {"2006", "YYYY"}, {"Jan", "MMM"}, {"Mon", "DDD"},
	{"01", "MM"}, {"02", "DD"}, {"_2", "D"}, {"06", "YY"}, {"15", "HH"}, {"03", "hh"}, {"04", "mm"},
	{"05", "ss"}, {"PM", "AM/PM"}, {"1", "M"}, {"2", "D"}, {"3", "h"}, {"4", "m"}, {"5", "s"},
}

// ShowFormat returns format the way a spreadsheet user reads it: a spreadsheet format as
// written, a Go layout in spreadsheet letters (02/01/2006 → DD/MM/YYYY) when every element
// of it has a spreadsheet spelling, else unchanged.
func ShowFormat(format string) string {
	if IsSpreadsheetFormat(format) {
		return format
	}
	var b strings.Builder
	for i := 0; i < len(format); {
		matched := false
		for _, t := range goTokens {
			if strings.HasPrefix(format[i:], t.goTok) {
				b.WriteString(t.sheet)
				i += len(t.goTok)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		c := format[i]
		if c >= '0' && c <= '9' || (c|0x20 >= 'a' && c|0x20 <= 'z' && c != 'T') {
			return format // an element with no spreadsheet spelling (a zone, a fraction)
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// showFormats lists formats for a message: "DD/MM/YYYY or YYYY-MM-DD".
func showFormats(formats []string) string {
	out := make([]string, len(formats))
	for i, f := range formats {
		out[i] = ShowFormat(f)
	}
	return strings.Join(out, " or ")
}

// orderFormats are the numeric date orders a hint can name, with separator sep.
func orderFormats(sep string) []string {
	return []string{
		"DD" + sep + "MM" + sep + "YYYY",
		"MM" + sep + "DD" + sep + "YYYY",
		"YYYY" + sep + "MM" + sep + "DD",
		"DD" + sep + "MM" + sep + "YY",
		"MM" + sep + "DD" + sep + "YY",
		"YY" + sep + "MM" + sep + "DD",
	}
}

// reading is a format under which a text is a valid date, and the date it reads as.
type reading struct {
	format string
	t      time.Time
}

// dateOrders returns the numeric date orders under which text reads, with its dates.
func dateOrders(text string) []reading {
	text = strings.TrimSpace(text)
	var sep string
	for _, s := range []string{"/", ".", "-"} {
		if strings.Count(text, s) == 2 {
			sep = s
			break
		}
	}
	if sep == "" {
		return nil
	}
	var out []reading
	for _, f := range orderFormats(sep) {
		if t, err := ParseDate(f, text); err == nil && t.Year() > 0 {
			out = append(out, reading{f, t})
		}
	}
	return out
}

// DateOrders returns the numeric date formats (DD/MM/YYYY, MM/DD/YYYY, YYYY-MM-DD, and
// the two-digit-year forms DD/MM/YY, MM/DD/YY, YY/MM/DD) under which text is a valid date,
// with the separator text uses; nil when it uses none of / . - or reads under none of them.
func DateOrders(text string) []string {
	var out []string
	for _, r := range dateOrders(text) {
		out = append(out, r.format)
	}
	return out
}

// orderHint returns the sentence that follows a rejected value's reason, given fits, the
// orders under which the value reads, and failed, the formats that did not read it (the
// column's, or the defaults); "" when it has nothing to say. One order that reads it is
// named as the date_format to set, unless it is spelled like a failed format (a Go layout
// that wants leading zeros): then the value is shown as that format writes it. Several
// orders are each listed with their date, and the order is said to be ambiguous, naming
// none. A failed format is never suggested.
func orderHint(fits []reading, failed []string) string {
	var left []reading
	var strict string // a failed Go layout spelled like the one order that reads
	for _, r := range fits {
		if f := failedAs(r.format, failed); f != "" {
			strict = f
			continue
		}
		left = append(left, r)
	}
	switch {
	case len(fits) == 1 && len(left) == 1:
		return "it reads as " + left[0].format + ": set date_format: " + left[0].format
	case len(fits) == 1 && !IsSpreadsheetFormat(strict):
		return "write it " + fits[0].t.Format(strict) + ", with a leading zero on one-digit numbers"
	case len(fits) == 1 || len(left) < 2:
		return ""
	}
	parts := make([]string, len(left))
	for i, r := range left {
		parts[i] = r.format + " (" + showTime(r.t) + ")"
	}
	return "it reads as " + strings.Join(parts, " and as ") + ": the order is ambiguous, set date_format to the one the sheet uses"
}

// failedAs returns the failed format spelled like format, "" when none is.
func failedAs(format string, failed []string) string {
	for _, f := range failed {
		if strings.EqualFold(ShowFormat(f), format) {
			return f
		}
	}
	return ""
}

// showTime writes t as YYYY-MM-DD, with HH:mm:ss when it has a time of day.
func showTime(t time.Time) string {
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return formatDate(t.Date())
	}
	return t.Format("2006-01-02 15:04:05")
}

// probeTimes are the dates CheckDateFormats writes with each format and reads back with the
// other: every day 1–28 of every month of years whose two digits can pass for a day or a
// month, at a time of day whose hour is past 12. The first, whose numbers all have two
// digits, is the example a message shows when it is enough.
var probeTimes = func() []time.Time {
	out := []time.Time{time.Date(2027, 11, 10, 13, 30, 45, 0, time.UTC)}
	for _, y := range []int{2027, 2003, 2011} {
		for m := time.January; m <= time.December; m++ {
			for d := 1; d <= 28; d++ {
				out = append(out, time.Date(y, m, d, 13, 30, 45, 0, time.UTC))
			}
		}
	}
	return out
}()

// CheckDateFormats reports every two formats of one column's list that read the same text
// as different dates, such as DD/MM/YYYY and MM/DD/YYYY ("03/04/2027") or DD-MM-YY and
// YY-MM-DD ("27-04-03"): taking the first that reads would mix day-first and month-first
// values row by row. Formats of different shapes (DD/MM/YYYY and YYYY-MM-DD, DD/MM/YYYY
// and DD.MM.YYYY) never read one text, and may be listed together. nil when no two
// formats disagree.
func CheckDateFormats(formats []string) error {
	var errs []error
	for i, a := range formats {
		for _, b := range formats[i+1:] {
			if text, ta, tb, ok := disagree(a, b); ok {
				errs = append(errs, fmt.Errorf("formats %s and %s read the same text as different dates (%q is %s as %s and %s as %s): list only the one the sheet uses",
					ShowFormat(a), ShowFormat(b), text, showTime(ta), ShowFormat(a), showTime(tb), ShowFormat(b)))
			}
		}
	}
	return errors.Join(errs...)
}

// disagree looks for a text that formats a and b both read, as different times.
func disagree(a, b string) (text string, ta, tb time.Time, found bool) {
	la, lb := GoLayout(a), GoLayout(b)
	for _, p := range probeTimes {
		for _, text := range [2]string{p.Format(la), p.Format(lb)} {
			ta, errA := ParseDate(a, text)
			tb, errB := ParseDate(b, text)
			if errA == nil && errB == nil && !ta.Equal(tb) {
				return text, ta, tb, true
			}
		}
	}
	return "", time.Time{}, time.Time{}, false
}
