package mapping

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Kind is the kind of an input cell, mirroring the sheet reader's cell kinds.
type Kind uint8

// The kinds of input cells. CSV cells arrive as KindString (or KindEmpty); XLSX cells keep
// the type the workbook stores.
const (
	KindEmpty    Kind = iota // no value at all
	KindString               // text; Text holds it
	KindNumber               // a number; Number holds it, Text its formatted form (may be "")
	KindBool                 // a boolean; Text is "TRUE"/"FALSE" or Number is 1/0
	KindDate                 // a date; Time is midnight UTC of the calendar date
	KindDateTime             // a date and time; Time holds it
	KindError                // a formula error such as #N/A; Text holds it
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindEmpty:
		return "empty"
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindBool:
		return "bool"
	case KindDate:
		return "date"
	case KindDateTime:
		return "datetime"
	case KindError:
		return "error"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Cell is one typed cell as the sheet reader delivers it.
type Cell struct {
	Text   string    // the cell's text (for XLSX, its formatted value)
	Kind   Kind      // what the cell holds
	Number float64   // KindNumber (and KindBool as 1/0)
	Time   time.Time // KindDate (midnight UTC of the date) and KindDateTime
}

// Row is one input row: Num is its 1-based row number in the sheet, Cells are in header order.
// A row shorter than the header has empty cells at the end.
type Row struct {
	Num   int
	Cells []Cell
}

// text returns the text a cell stands for: its Text, or for typed cells without text a
// rendering of the typed value.
func (c Cell) text() string {
	if c.Text != "" || c.Kind == KindString || c.Kind == KindEmpty {
		return c.Text
	}
	switch c.Kind {
	case KindNumber:
		return strconv.FormatFloat(c.Number, 'f', -1, 64)
	case KindBool:
		if c.Number != 0 {
			return "TRUE"
		}
		return "FALSE"
	case KindDate:
		y, m, d := c.Time.UTC().Date()
		return formatDate(y, m, d)
	case KindDateTime:
		return c.Time.UTC().Format(time.RFC3339)
	}
	return c.Text
}

// isBlank reports whether s is empty, or only white space when trim is set.
func isBlank(s string, trim bool) bool {
	if s == "" {
		return true
	}
	if !trim {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.TrimFunc(s, unicode.IsSpace) == ""
		}
		switch s[i] {
		case ' ', '\t', '\n', '\r', '\v', '\f':
		default:
			return false
		}
	}
	return true
}

// trimSpace trims white space, with a fast path for ASCII.
func trimSpace(s string) string {
	if s == "" {
		return s
	}
	first, last := s[0], s[len(s)-1]
	if first > ' ' && first < 0x80 && last > ' ' && last < 0x80 {
		return s
	}
	return strings.TrimSpace(s)
}
