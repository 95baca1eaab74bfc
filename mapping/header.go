package mapping

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// headerIndex finds columns by name: exactly, or ignoring case and surrounding spaces. It
// remembers which header names its messages have shown, so that each is shown once.
type headerIndex struct {
	exact  map[string][]int
	folded map[string][]int
	listed bool            // a message listed the header's columns
	shown  map[string]bool // names a message suggested
}

// maxShown is how many characters of a column name or a cell a message shows: a header
// cell may be megabytes long.
const maxShown = 80

// clip shortens s to maxShown characters for a message, marking the cut with "…".
func clip(s string) string {
	if len(s) <= maxShown {
		return s
	}
	i, n := 0, 0
	for i < len(s) && n < maxShown-1 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	if i >= len(s) {
		return s
	}
	return s[:i] + "…"
}

func indexHeader(header []string) *headerIndex {
	h := &headerIndex{exact: map[string][]int{}, folded: map[string][]int{}, shown: map[string]bool{}}
	for i, name := range header {
		h.exact[name] = append(h.exact[name], i)
		k := strings.ToLower(strings.TrimSpace(name))
		h.folded[k] = append(h.folded[k], i)
	}
	return h
}

// findColumn finds a column by exact name, else by a unique match ignoring case and
// surrounding spaces.
func findColumn(name string, header []string, h *headerIndex) (int, error) {
	idx := h.exact[name]
	if len(idx) == 0 {
		idx = h.folded[strings.ToLower(strings.TrimSpace(name))]
	}
	switch len(idx) {
	case 1:
		return idx[0], nil
	case 0:
		return -1, h.missingColumn(name, header)
	}
	return -1, fmt.Errorf("column %q appears %d times in the header (columns %d and %d)", clip(name), len(idx), idx[0]+1, idx[1]+1)
}

// missingColumn explains that name is not in the header: with the closest name, and the
// header's columns the first time. Names are clipped, and each header name is shown once
// over all the messages of one header.
func (h *headerIndex) missingColumn(name string, header []string) error {
	if len(header) == 0 {
		return fmt.Errorf("column %q is not in the header: the sheet has no header row", clip(name))
	}
	best, bestD := "", math.MaxInt
	for _, c := range header {
		if len(c) > 4*maxShown || len(name) > 4*maxShown {
			continue // no suggestion between long texts (and no quadratic distance)
		}
		if d := distance(strings.ToLower(name), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	var hint []string
	if bestD <= max(2, len(name)/3) && !h.shown[best] {
		h.shown[best] = true
		hint = append(hint, fmt.Sprintf("did you mean %q?", clip(best)))
	}
	if !h.listed {
		h.listed = true
		var quoted []string
		for _, c := range header {
			if len(quoted) == 12 {
				break
			}
			if !h.shown[c] {
				h.shown[c] = true
				quoted = append(quoted, fmt.Sprintf("%q", clip(c)))
			}
		}
		list := "columns: " + strings.Join(quoted, ", ")
		if more := len(header) - len(quoted); more > 0 {
			list += fmt.Sprintf(", … %d more", more)
		}
		hint = append(hint, list)
	}
	if len(hint) == 0 {
		return fmt.Errorf("column %q is not in the header", clip(name))
	}
	return fmt.Errorf("column %q is not in the header (%s)", clip(name), strings.Join(hint, " "))
}

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
