package mapping

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pdbulk/pdbulk/sheet"
)

// Cell, Kind and Row are the sheet reader's: mapping works on what the readers produce.
// CSV cells arrive as KindString (or KindEmpty); XLSX cells keep the type the workbook
// stores.
type (
	Cell = sheet.Cell
	Kind = sheet.Kind
	Row  = sheet.Row
)

// The kinds of input cells.
const (
	KindEmpty    = sheet.KindEmpty
	KindString   = sheet.KindString
	KindNumber   = sheet.KindNumber
	KindBool     = sheet.KindBool
	KindDate     = sheet.KindDate
	KindDateTime = sheet.KindDateTime
	KindError    = sheet.KindError
)

// cellText returns the text a cell stands for: its Text, or for typed cells without text a
// rendering of the typed value.
func cellText(c Cell) string {
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
