package mapping

import (
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

var goLayouts sync.Map // spreadsheet format → Go layout

// GoLayout returns the Go time layout that reads format: a Go layout unchanged, a
// spreadsheet format translated. Spreadsheet tokens (case does not matter except that M
// is a month and m a minute after an hour or before seconds, as in Excel): YYYY, YY;
// MMMM (January), MMM (Jan), MM or M; DDDD (Monday), DDD (Mon), DD or D; HH or H
// (hh with AM/PM for a 12-hour clock); mm or m; ss or s; AM/PM. Numbers are read with or
// without a leading zero (7/3/2027 and 07/03/2027 both read as MM/DD/YYYY).
func GoLayout(format string) string {
	if !IsSpreadsheetFormat(format) {
		return format
	}
	if l, ok := goLayouts.Load(format); ok {
		return l.(string)
	}
	l := translateFormat(format)
	goLayouts.Store(format, l)
	return l
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

// orderFormats are the numeric date orders a hint can name, by separator.
func orderFormats(sep string) [][2]string {
	return [][2]string{
		{"DD" + sep + "MM" + sep + "YYYY", "2" + sep + "1" + sep + "2006"},
		{"MM" + sep + "DD" + sep + "YYYY", "1" + sep + "2" + sep + "2006"},
		{"YYYY" + sep + "MM" + sep + "DD", "2006" + sep + "1" + sep + "2"},
		{"DD" + sep + "MM" + sep + "YY", "2" + sep + "1" + sep + "06"},
		{"MM" + sep + "DD" + sep + "YY", "1" + sep + "2" + sep + "06"},
	}
}

// DateOrders returns the numeric date formats (DD/MM/YYYY, MM/DD/YYYY, YYYY-MM-DD, and
// the two-digit-year forms) under which text is a valid date, with the separator text
// uses; nil when it uses none of / . - or reads under none of them.
func DateOrders(text string) []string {
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
	var out []string
	for _, f := range orderFormats(sep) {
		if t, err := time.Parse(f[1], text); err == nil && t.Year() > 0 {
			out = append(out, f[0])
		}
	}
	return out
}

// orderHint returns a sentence naming the date_format under which text reads as a
// date, when the formats in use do not read it; "" when none does.
func orderHint(text string) string {
	orders := DateOrders(text)
	switch len(orders) {
	case 0:
		return ""
	case 1:
		return "it reads as " + orders[0] + ": set date_format: " + orders[0]
	}
	return "it reads as " + strings.Join(orders, " and as ") + ": set date_format: " + strings.Join(orders, " or ") + ", the order the sheet uses"
}
