package importer

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strings"

	"github.com/pdbulk/pdbulk/mapping"
	"github.com/pdbulk/pdbulk/sheet"
)

// keyCol is one part of a row's match key: the column that maps a match_on field, or the
// field's constant.
type keyCol struct {
	field string
	col   int    // index in the header, -1 for a constant
	value string // the constant's text
}

// matchColumns finds, for every match_on field, the column (or constant) that maps it.
// Keys are built from the cells, before mapping, so that duplicates inside one file are
// found in row order without any lookup.
func (r *run) matchColumns() ([]keyCol, error) {
	var cols []keyCol
	for _, f := range r.job.MatchOn {
		field, ok := fieldFor(r.job.Mapping, f)
		if !ok {
			return nil, fmt.Errorf("match_on %q is not a mapped field (map it under columns)", f)
		}
		if field.HasValue {
			cols = append(cols, keyCol{field: f, col: -1, value: fmt.Sprint(field.Value)})
			continue
		}
		i := indexOf(r.header, field.Column)
		if i < 0 {
			return nil, fmt.Errorf("match_on %q: column %q is not in the file", f, field.Column)
		}
		cols = append(cols, keyCol{field: f, col: i})
	}
	return cols, nil
}

func fieldFor(s mapping.Spec, path string) (mapping.Field, bool) {
	for _, f := range s.Fields {
		if f.Path == path {
			return f, true
		}
	}
	return mapping.Field{}, false
}

// matchKey is the row's match key as the checkpoint stores it: the match_on cells, folded by
// mapping.CanonicalKey (so "Acme " and "acme" are the same key), joined. "" when the job has
// no match_on or every part is empty (such rows are never duplicates of each other).
func (r *run) matchKey(row sheet.Row) string { return r.keyOf(row, mapping.CanonicalKey) }

// dupKey is the key the duplicates check of one sheet compares: matchKey folded further by
// mapping.FoldKey (Unicode form and full case folding), as rows are matched with the account's
// records, so that "Café" typed in two forms is one key. It is never stored: a stored key
// keeps CanonicalKey's form, which every version of pdbulk finds.
func (r *run) dupKey(row sheet.Row) string { return r.keyOf(row, mapping.FoldKey) }

func (r *run) keyOf(row sheet.Row, fold func(string) string) string {
	if len(r.keyCols) == 0 {
		return ""
	}
	parts := make([]string, len(r.keyCols))
	empty := true
	for i, k := range r.keyCols {
		v := k.value
		if k.col >= 0 {
			v = fold(cellText(row, k.col))
		}
		if v != "" {
			empty = false
		}
		parts[i] = v
	}
	if empty {
		return ""
	}
	return strings.Join(parts, " | ")
}

// sourceKey is the row's key in the cross-job id map: the job's key column, or its match key.
func (r *run) sourceKey(row sheet.Row) string {
	if len(r.idCols) == 0 {
		return r.matchKey(row)
	}
	// Stored canonical: ids.<entity> lookups of later jobs fold their cells the same way.
	return mapping.CanonicalKey(cellText(row, r.idCols[0]))
}

// matchOf picks the match_on fields out of a mapped payload.
func (r *run) matchOf(p map[string]any) map[string]any {
	if len(r.job.MatchOn) == 0 {
		return nil
	}
	m := make(map[string]any, len(r.job.MatchOn))
	for _, f := range r.job.MatchOn {
		m[f] = lookupPath(p, f)
	}
	return m
}

func (r *run) matchOnText() string {
	return strings.Join(r.job.MatchOn, " + ")
}

// checkDuplicates reads the whole input before any write and fails, listing every repeated
// match key, when the job's duplicates rule is "error".
func (r *run) checkDuplicates() error {
	if len(r.keyCols) == 0 {
		return nil
	}
	in, err := sheet.Open(r.inputPath(), r.sheetOptions())
	if err != nil {
		return fmt.Errorf("importer: %w", err)
	}
	defer in.Close()
	first := keyRows{}
	var dups []string
	total := 0
	for {
		row, err := in.Next()
		if err == io.EOF {
			break
		}
		var rowErr *sheet.RowError
		if err != nil && !errors.As(err, &rowErr) {
			return fmt.Errorf("importer: %w", err)
		}
		k := r.dupKey(row)
		if k == "" {
			continue
		}
		if f, ok := first.first(k); ok {
			total++
			if len(dups) < 50 {
				dups = append(dups, fmt.Sprintf("row %d repeats row %d (%s)", row.Num, f, k))
			}
			continue
		}
		first.note(k, row.Num)
	}
	if total == 0 {
		return nil
	}
	return &JobError{Path: r.job.Path, Err: fmt.Errorf("options.duplicates is error and %d rows repeat the %s of an earlier row; nothing was sent:\n  %s",
		total, r.matchOnText(), strings.Join(dups, "\n  "))}
}

// keyRows maps match keys to the first row that has each. It keeps a 128-bit hash of a
// key (FNV-128a) instead of the key, so that it costs about 40 bytes per distinct key
// whatever the keys' length; two distinct keys of n share a hash with a chance of about
// n²/2^129 (10^-27 for a million keys). Not safe for concurrent use.
type keyRows map[[16]byte]int

func keyHash(key string) [16]byte {
	h := fnv.New128a()
	_, _ = h.Write([]byte(key)) // a hash.Hash never fails to write
	var out [16]byte
	h.Sum(out[:0])
	return out
}

// first returns the row noted for key.
func (k keyRows) first(key string) (int, bool) {
	row, ok := k[keyHash(key)]
	return row, ok
}

// note records row as the first with key.
func (k keyRows) note(key string, row int) { k[keyHash(key)] = row }
