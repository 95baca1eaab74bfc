package mapping

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// result is what one cell (or one text) converts to.
type result struct {
	value any      // payload value, when there is no lookup
	keys  []string // lookup keys, when the field has a lookup
	empty bool     // nothing in the cell: the empty policy applies
	errs  []badValue
}

type badValue struct {
	text string
	err  error
}

// convertCell converts a sheet cell. Typed cells (numbers, dates, booleans) are used as
// typed values where the field's type takes them; their text otherwise.
func (f *field) convertCell(c Cell) result {
	switch c.Kind {
	case KindEmpty:
		return result{empty: true}
	case KindError:
		return result{errs: []badValue{{c.Text, ErrCellError}}}
	case KindNumber, KindBool, KindDate, KindDateTime:
		if f.Split == "" && f.lookup == "" {
			v, err := f.convertOne(c, c.text())
			if err != nil {
				return result{errs: []badValue{{c.text(), err}}}
			}
			if f.listOne {
				v = []any{v}
			}
			return result{value: v}
		}
	}
	return f.convertText(c.text())
}

// convertText converts a cell's text: trimming, empty check, split, lookup keys, type.
func (f *field) convertText(text string) result {
	if f.trim {
		text = trimSpace(text)
	}
	if isBlank(text, f.trim) {
		return result{empty: true}
	}
	if !utf8.ValidString(text) {
		return result{errs: []badValue{{text, ErrEncoding}}}
	}
	if f.Split == "" {
		if f.lookup != "" {
			return result{keys: []string{f.lookupKey(text)}}
		}
		v, err := f.convertOne(Cell{Kind: KindString, Text: text}, text)
		if err != nil {
			return result{errs: []badValue{{text, err}}}
		}
		if f.listOne {
			v = []any{v}
		}
		return result{value: v}
	}
	var out result
	var list []any
	for part := range strings.SplitSeq(text, f.Split) {
		if f.trim {
			part = trimSpace(part)
		}
		if isBlank(part, f.trim) {
			continue
		}
		if f.lookup != "" {
			out.keys = append(out.keys, f.lookupKey(part))
			continue
		}
		v, err := f.convertOne(Cell{Kind: KindString, Text: part}, part)
		if err != nil {
			out.errs = append(out.errs, badValue{part, err})
			continue
		}
		list = append(list, v)
	}
	if len(out.errs) == 0 && len(out.keys) == 0 && len(list) == 0 {
		return result{empty: true}
	}
	out.value = list
	return out
}

// lookupKey normalizes a lookup key: emails fold case, id-map keys are canonical.
func (f *field) lookupKey(s string) string {
	switch {
	case f.lookup == LookupPersonEmail:
		return strings.ToLower(s)
	case strings.HasPrefix(f.lookup, lookupIDsPrefix):
		return CanonicalKey(s)
	}
	return s
}

// convertOne converts one value to the field's type.
func (f *field) convertOne(c Cell, text string) (any, error) {
	switch f.typ {
	case TypeInt:
		if c.Kind == KindNumber {
			n, err := numberCell(c)
			if err != nil {
				return nil, reason(ErrNotInt, "%s", errString(err))
			}
			return intFromFloat(n)
		}
		return parseInt(text)
	case TypeNumber:
		if c.Kind == KindNumber {
			return numberCell(c)
		}
		return parseNumber(text, f.DecimalComma)
	case TypeBool:
		if c.Kind == KindBool && c.Text == "" || c.Kind == KindNumber {
			switch c.Number {
			case 0:
				return false, nil
			case 1:
				return true, nil
			}
			return nil, ErrNotBool
		}
		return parseBool(text)
	case TypeDate:
		return toDate(c, text, f.Formats, f.Serial)
	case TypeDateTime:
		return toDateTime(c, text, f.Formats, f.Serial)
	case TypeUUID:
		return parseUUID(text)
	case TypeEnum:
		if f.Lowercase {
			text = strings.ToLower(text)
		}
		if slices.Contains(f.Enum, text) {
			return text, nil
		}
		return nil, &enumError{allowed: f.Enum}
	case TypeJSON:
		return parseJSON(text)
	}
	if f.Lowercase {
		return strings.ToLower(text), nil
	}
	return text, nil
}

// pending is a lookup to resolve once the rest of the row is valid.
type pending struct {
	f    *field
	keys []string
}

// Map turns a row into the payload to send, ready for json.Marshal. Row problems come back
// as errors.Join of *FieldError, all of them at once: conversions, empty required cells,
// lookup misses and the rules of the request schema, each naming the column that maps the
// field. A top-level object filled from columns (value, duration...) is left out when all
// its cells are empty, even if constants or defaults fill some of its keys: value.currency
// EUR with an empty Amount sends no value at all. Lookups run only when the rest of the row is valid, so a rejected row never costs a
// search nor creates a label. A resolver failure other than ErrNotFound/ErrAmbiguous
// (network, cancelled context) is returned wrapped with the row number and no FieldError:
// IsRowError tells the two apart. res may be nil when the mapping has no lookups.
// Map is safe for concurrent use.
func (m *Mapper) Map(ctx context.Context, r Row, res Resolver) (map[string]any, error) {
	payload := make(map[string]any, m.topKeys)
	var errs []error
	var failed []*field
	var pend []pending
	// For each group (top-level object filled from columns): 1 = a cell gave a value,
	// 2 = a column's cell was empty.
	var groups []uint8
	if len(m.groups) > 0 {
		groups = make([]uint8, len(m.groups))
	}
	for _, f := range m.fields {
		var out result
		switch {
		case f.hasConst:
			if f.keys != nil {
				pend = append(pend, pending{f, f.keys})
			} else {
				setPath(payload, f.segs, copyValue(f.constVal))
			}
			continue
		case f.idx >= 0 && f.idx < len(r.Cells):
			out = f.convertCell(r.Cells[f.idx])
		default:
			out.empty = true
		}
		if f.group >= 0 {
			if out.empty {
				groups[f.group] |= 2
			} else {
				groups[f.group] |= 1
			}
		}
		if out.empty && f.Default != nil {
			out = f.convertText(*f.Default)
		}
		switch {
		case len(out.errs) > 0:
			for _, b := range out.errs {
				errs = append(errs, &FieldError{Row: r.Num, Column: f.Column, Field: f.Path, Value: truncate(b.text), Err: b.err})
			}
			failed = append(failed, f)
		case out.empty:
			switch f.Empty {
			case EmptyNull:
				setPath(payload, f.segs, nil)
			case EmptyError:
				errs = append(errs, &FieldError{Row: r.Num, Column: f.Column, Field: f.Path, Err: ErrEmpty})
				failed = append(failed, f)
			}
		case out.keys != nil:
			pend = append(pend, pending{f, out.keys})
		default:
			setPath(payload, f.segs, out.value)
		}
	}
	for g, state := range groups {
		if state == 2 {
			delete(payload, m.groups[g]) // only constants and defaults in it: no object
		}
	}
	if len(errs) > 0 {
		for _, p := range pend {
			failed = append(failed, p.f)
		}
	} else if len(pend) > 0 {
		ferrs, err := m.resolve(ctx, r, res, pend, payload)
		if err != nil {
			return nil, err
		}
		for _, fe := range ferrs {
			errs = append(errs, fe)
			failed = append(failed, m.byPath[fe.Field])
		}
	}
	if m.root != nil {
		v := validator{stack: make([]seg, 0, 8)}
		v.value(m.root, payload)
		for _, p := range v.problems {
			if fe := m.problemError(r.Num, p, failed); fe != nil {
				errs = append(errs, fe)
			}
		}
	}
	if m.leadLink {
		if fe := m.leadLinkError(r.Num, payload, failed); fe != nil {
			errs = append(errs, fe)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return payload, nil
}

// leadCreateSchema is the request schema of addLead. The API refuses a new lead that has
// neither a person nor an organization, a rule the schema cannot express; an update
// (PATCH) may leave both out and keeps the lead's links.
const leadCreateSchema = "LeadsCreateLeadRequest"

// leadLinkPaths are the payload fields that link a lead, in the order errors name them.
var leadLinkPaths = [...]string{"person_id", "organization_id"}

// leadLinkError returns the row error of a new lead whose payload has neither a non-null
// person_id nor a non-null organization_id, naming the columns that map them. It returns
// nil when either has a value, or when a link field already failed (a conversion error,
// an empty required cell, a lookup miss, or a lookup not run because the row has other
// errors): that error is the one to fix.
func (m *Mapper) leadLinkError(row int, payload map[string]any, failed []*field) *FieldError {
	var cols, nulls []*field
	for _, p := range leadLinkPaths {
		if payload[p] != nil {
			return nil
		}
		f := m.byPath[p]
		if f == nil {
			continue
		}
		if slices.Contains(failed, f) {
			return nil
		}
		if f.Column != "" {
			cols = append(cols, f)
		} else {
			nulls = append(nulls, f) // a constant null (or empty) value
		}
	}
	fe := &FieldError{Row: row}
	var nullNote string
	switch len(nulls) {
	case 1:
		nullNote = nulls[0].Path + " is null"
	case 2:
		nullNote = nulls[0].Path + " and " + nulls[1].Path + " are null"
	}
	switch {
	case len(cols) == 2:
		fe.Err = reason(ErrNoLeadLink, "columns %s (%s) and %s (%s): %v",
			strconv.Quote(cols[0].Column), cols[0].Path, strconv.Quote(cols[1].Column), cols[1].Path, ErrNoLeadLink)
	case len(cols) == 1:
		fe.Column, fe.Field = cols[0].Column, cols[0].Path
		fe.Err = ErrNoLeadLink
		if nullNote != "" {
			fe.Err = reason(ErrNoLeadLink, "%v (%s)", ErrNoLeadLink, nullNote)
		}
	case nullNote != "":
		fe.Err = reason(ErrNoLeadLink, "%s: %v", nullNote, ErrNoLeadLink)
	default:
		fe.Err = reason(ErrNoLeadLink, "%v: map person_id or organization_id", ErrNoLeadLink)
	}
	return fe
}

// resolve runs the row's lookups; it returns the lookup misses, or a fatal error.
func (m *Mapper) resolve(ctx context.Context, r Row, res Resolver, pend []pending, payload map[string]any) ([]*FieldError, error) {
	var ferrs []*FieldError
	for _, p := range pend {
		if res == nil {
			return nil, fmt.Errorf("map row %d: field %s: lookup %s needs a resolver", r.Num, p.f.Path, p.f.lookup)
		}
		ids := make([]any, 0, len(p.keys))
		bad := false
		for _, k := range p.keys {
			id, err := res.Resolve(ctx, p.f.lookup, k, p.f.CreateMissing)
			if err != nil {
				if errors.Is(err, ErrNotFound) || errors.Is(err, ErrAmbiguous) {
					ferrs = append(ferrs, &FieldError{Row: r.Num, Column: p.f.Column, Field: p.f.Path, Value: truncate(k),
						Err: &LookupError{Lookup: p.f.lookup, Key: k, Err: err}})
					bad = true
					continue
				}
				where := "field " + p.f.Path
				if p.f.Column != "" {
					where = "column " + strconv.Quote(p.f.Column)
				}
				return nil, fmt.Errorf("map row %d: %s: lookup %s: %w", r.Num, where, p.f.lookup, err)
			}
			ids = append(ids, id)
		}
		if bad {
			continue
		}
		if p.f.Split != "" || p.f.listOne {
			setPath(payload, p.f.segs, uniqueIDs(ids))
		} else {
			setPath(payload, p.f.segs, ids[0])
		}
	}
	return ferrs, nil
}

// problemError turns a schema problem into a FieldError naming the column that maps the
// path; it returns nil for problems of fields that already failed.
func (m *Mapper) problemError(row int, p problem, failed []*field) *FieldError {
	path := pathString(p.path)
	owner := m.owner(p.path)
	if owner != nil && slices.Contains(failed, owner) {
		return nil
	}
	if errors.Is(p.err, ErrRequired) && m.supplied[path] {
		return nil
	}
	fe := &FieldError{Row: row, Field: path, Value: renderValue(p.value), Err: p.err}
	if owner != nil {
		fe.Column = owner.Column
		if errors.Is(p.err, ErrRequired) && owner.Path == path && owner.Column != "" {
			fe.Err = reason(ErrRequired, "the cell is empty, and the API requires a value")
		}
	}
	return fe
}

// owner finds the field that maps a problem's path: the field at or above it, else the first
// field below it.
func (m *Mapper) owner(path []seg) *field {
	names := make([]string, 0, len(path))
	for _, s := range path {
		if s.idx >= 0 {
			break
		}
		names = append(names, s.name)
	}
	for n := len(names); n > 0; n-- {
		if f := m.byPath[strings.Join(names[:n], ".")]; f != nil {
			return f
		}
	}
	prefix := strings.Join(names, ".") + "."
	for _, f := range m.fields {
		if strings.HasPrefix(f.Path, prefix) {
			return f
		}
	}
	return nil
}

// setPath stores v at segs, creating the objects on the way.
func setPath(payload map[string]any, segs []string, v any) {
	cur := payload
	for _, s := range segs[:len(segs)-1] {
		next, ok := cur[s].(map[string]any)
		if !ok {
			next = make(map[string]any, 2)
			cur[s] = next
		}
		cur = next
	}
	cur[segs[len(segs)-1]] = v
}

// copyValue copies composite constants so that payloads never share them.
func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = copyValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyValue(e)
		}
		return out
	}
	return v
}

// Columns returns the header names the mapping reads, in field order, each once.
func (m *Mapper) Columns() []string { return slices.Clone(m.columns) }

// CanonicalKey is a key as the checkpoint stores it: surrounding space trimmed, inner runs
// of space collapsed to one, lower case. Key and ids.<entity> lookups both use it, so that a
// key stored by one job is found by another, by any version of pdbulk: it must not change
// (FoldKey compares texts more thoroughly; a stored key keeps this form).
func CanonicalKey(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// FoldKey folds a key text for comparing: Unicode NFC (an "é" typed as one code point or as
// "e" and a combining accent is one letter), case folded (Unicode simple and full folding:
// "ß" and "ss" fold alike), surrounding white space trimmed and inner runs of white space
// (tabs, no-break spaces included) collapsed to one space. Two texts are the same key exactly
// when their FoldKey is equal. The duplicates check of match_on keys in one sheet, the match
// of rows with the account's records and label lookups use it, so that a row is never both a
// duplicate of a sheet row and a stranger to the record that row matched.
func FoldKey(s string) string {
	if isASCII(s) { // the common case, without the tables
		return CanonicalKey(s)
	}
	// NFC again after folding: folding may leave a letter and its accent apart.
	s = norm.NFC.String(cases.Fold().String(norm.NFC.String(s)))
	return strings.Join(strings.Fields(s), " ")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// keySep separates the parts of a multi-field key.
const keySep = "\x1f"

// CheckKey reports match_on paths that the mapping does not fill.
func (m *Mapper) CheckKey(fields []string) error {
	if len(fields) == 0 {
		return errors.New("key: no fields")
	}
	var errs []error
	for _, p := range fields {
		if !m.mapsAtOrUnder(p) && !m.supplied[p] {
			errs = append(errs, fmt.Errorf("key: %s is not mapped", p))
		}
	}
	return errors.Join(errs...)
}

// Key returns the canonical key of a payload for the match_on fields (title, or title and
// person_id...): each value canonical (CanonicalKey for text, lists sorted), parts joined by
// U+001F. A single text field's key is CanonicalKey of its text. An absent or null key field
// is an error matching ErrEmpty.
func (m *Mapper) Key(payload map[string]any, fields []string) (string, error) {
	if len(fields) == 0 {
		return "", errors.New("key: no fields")
	}
	parts := make([]string, len(fields))
	for i, p := range fields {
		v, ok := lookupPath(payload, p)
		if !ok || v == nil {
			return "", fmt.Errorf("key: %s: %w", p, ErrEmpty)
		}
		parts[i] = canonicalValue(v)
	}
	return strings.Join(parts, keySep), nil
}

func lookupPath(payload map[string]any, path string) (any, bool) {
	var cur any = payload
	for s := range strings.SplitSeq(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[s]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func canonicalValue(v any) string {
	switch x := v.(type) {
	case string:
		return CanonicalKey(x)
	case []any:
		items := make([]string, len(x))
		for i, e := range x {
			items[i] = canonicalValue(e)
		}
		slices.Sort(items)
		return strings.Join(items, ";")
	case map[string]any:
		return compactJSON(x)
	}
	return renderValue(v)
}

// uniqueIDs drops repeated ids from a resolved list, keeping the first of each: "Hot; hot"
// names one label, which the API must not get twice.
func uniqueIDs(ids []any) []any {
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) { // lists are a cell's few labels: no map needed
			out = append(out, id)
		}
	}
	return out
}
