package mapping

import (
	"fmt"
	"math"
	"strings"
)

// headerIndex finds columns by name: exactly, or ignoring case and surrounding spaces.
type headerIndex struct {
	exact  map[string][]int
	folded map[string][]int
}

func indexHeader(header []string) headerIndex {
	h := headerIndex{exact: map[string][]int{}, folded: map[string][]int{}}
	for i, name := range header {
		h.exact[name] = append(h.exact[name], i)
		k := strings.ToLower(strings.TrimSpace(name))
		h.folded[k] = append(h.folded[k], i)
	}
	return h
}

// findColumn finds a column by exact name, else by a unique match ignoring case and
// surrounding spaces.
func findColumn(name string, header []string, h headerIndex) (int, error) {
	idx := h.exact[name]
	if len(idx) == 0 {
		idx = h.folded[strings.ToLower(strings.TrimSpace(name))]
	}
	switch len(idx) {
	case 1:
		return idx[0], nil
	case 0:
		return -1, missingColumn(name, header)
	}
	return -1, fmt.Errorf("column %q appears %d times in the header (columns %d and %d)", name, len(idx), idx[0]+1, idx[1]+1)
}

func missingColumn(name string, header []string) error {
	if len(header) == 0 {
		return fmt.Errorf("column %q is not in the header: the sheet has no header row", name)
	}
	best, bestD := "", math.MaxInt
	for _, h := range header {
		if d := distance(strings.ToLower(name), strings.ToLower(h)); d < bestD {
			best, bestD = h, d
		}
	}
	list := header
	if len(list) > 12 {
		list = list[:12]
	}
	quoted := make([]string, len(list))
	for i, h := range list {
		quoted[i] = fmt.Sprintf("%q", h)
	}
	more := ""
	if len(header) > len(list) {
		more = fmt.Sprintf(", … %d more", len(header)-len(list))
	}
	if bestD <= max(2, len(name)/3) {
		return fmt.Errorf("column %q is not in the header (did you mean %q? columns: %s%s)", name, best, strings.Join(quoted, ", "), more)
	}
	return fmt.Errorf("column %q is not in the header (columns: %s%s)", name, strings.Join(quoted, ", "), more)
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
