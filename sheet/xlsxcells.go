package sheet

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Excel's limits on text, in UTF-16 code units as Excel counts them.
const (
	maxCellChars      = 32767
	maxSheetNameChars = 31
)

// truncate cuts s to Excel's limit of a cell, ending it with a marker that
// says how long the text was, and counts the cut in the workbook.
func (wb *Workbook) truncate(s string) (string, bool) {
	if len(s) <= maxCellChars || utf16Len(s) <= maxCellChars {
		return s, false
	}
	wb.truncated++
	marker := fmt.Sprintf(" …[truncated from %d characters]", utf8.RuneCountInString(s))
	return cutUTF16(s, maxCellChars-utf16Len(marker)) + marker, true
}

// utf16Len returns the length of s in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// cutUTF16 returns the longest prefix of s, whole runes, of at most n UTF-16
// code units.
func cutUTF16(s string, n int) string {
	units := 0
	for i, r := range s {
		units += utf16.RuneLen(r)
		if units > n {
			return s[:i]
		}
	}
	return s
}

// textWidth estimates how many character widths Excel needs to show s: its
// longest line, East Asian wide and full-width characters counted twice. It
// stops counting past Excel's widest column.
func textWidth(s string) float64 {
	line, widest := 0, 0
	for _, r := range s {
		if r == '\n' {
			line = 0
			continue
		}
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			line += 2
		default:
			line++
		}
		widest = max(widest, line)
		if widest > excelMaxWidth {
			break
		}
	}
	return float64(widest)
}

// sanitizeSheetName makes name a valid Excel sheet name (see AddSheet).
func sanitizeSheetName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`:\/?*[]`, r) {
			r = '_'
		}
		b.WriteRune(r)
	}
	s := strings.Trim(b.String(), "'")
	if s == "" {
		s = "Sheet"
	}
	if strings.EqualFold(s, "History") {
		s = "History_"
	}
	return strings.TrimRight(cutUTF16(s, maxSheetNameChars), "'")
}

// uniqueSheetName returns name, or name with the first free " (n)" suffix
// when a name in used (lower-cased) already has it, within 31 characters.
func uniqueSheetName(name string, used map[string]bool) string {
	if !used[strings.ToLower(name)] {
		return name
	}
	for n := 2; ; n++ {
		suffix := fmt.Sprintf(" (%d)", n)
		base := strings.TrimRight(cutUTF16(name, maxSheetNameChars-len(suffix)), "'")
		if c := base + suffix; !used[strings.ToLower(c)] {
			return c
		}
	}
}
