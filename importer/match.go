package importer

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/mapping"
)

// Records read back from the API are compared with mapped rows in the form the server
// stores a field in, not the form the row sent it in: a create whose answer was lost is
// found by its fields, and a field the server normalized ("eur" stored as "EUR", " Acme"
// as "Acme", 12 as 12.0) must not hide it, or the create is sent again.

// record turns a typed API object into the map its JSON makes, for comparing fields.
func record(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	err = json.Unmarshal(b, &m)
	return m, err
}

// matches reports whether rec holds every value of match (paths are dot-separated), each
// compared in its stored form.
func matches(rec, match map[string]any) bool {
	for path, want := range match {
		if !sameStored(path, lookupPath(rec, path), want) {
			return false
		}
	}
	return true
}

// keyMatches reports whether rec is a record a row's match_on fields (match) name: text is
// compared as a key, folded by mapping.FoldKey (Unicode form, case and white space, as
// the duplicates check of the sheet folds it), every other value in its stored form. It finds
// the records of update, upsert, delete and archive; the records a create in doubt may have
// made are compared by matches, in stored form, so that a row never adopts a record whose
// text differs from what it sent.
func keyMatches(rec, match map[string]any) bool {
	for path, want := range match {
		got := lookupPath(rec, path)
		if sameStored(path, got, want) {
			continue
		}
		g, gok := got.(string)
		w, wok := want.(string)
		if !gok || !wok || mapping.FoldKey(g) != mapping.FoldKey(w) {
			return false
		}
	}
	return true
}

func lookupPath(m map[string]any, path string) any {
	var cur any = m
	for part := range strings.SplitSeq(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[part]
	}
	return cur
}

// sameStored compares the value got, read back from the API at path, with want, a mapped
// value sent for it: text without its surrounding spaces, a currency code in any case,
// numbers by value whether sent as numbers or as text, lists in any order, objects on the
// keys want has, and null the same as an empty text or list.
func sameStored(path string, got, want any) bool {
	if isEmpty(got) || isEmpty(want) {
		return isEmpty(got) && isEmpty(want)
	}
	if g, ok := number(got); ok {
		if w, ok := number(want); ok {
			return g == w || math.Abs(g-w) <= 1e-9*math.Max(math.Abs(g), math.Abs(w))
		}
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			if !sameStored(path+"."+k, g[k], v) {
				return false
			}
		}
		return true
	case []any, []string:
		return canonical(path, got) == canonical(path, want)
	}
	return canonical(path, got) == canonical(path, want)
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	case []string:
		return len(x) == 0
	}
	return false
}

// number reads v as a number: a JSON or Go number, or text that is one ("12", " 12.50").
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

// canonical is the text of v in its stored form at path, equal for values the server
// stores alike. It keys the records a row may have created (identKey) and compares lists.
func canonical(path string, v any) string {
	if isEmpty(v) {
		return "null"
	}
	if f, ok := number(v); ok {
		if _, isText := v.(string); !isText || !isCode(path) {
			if f == math.Trunc(f) && math.Abs(f) < 1e15 {
				return "n:" + strconv.FormatInt(int64(f), 10)
			}
			return "n:" + strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		if isCurrency(path) {
			s = strings.ToUpper(s)
		}
		return "s:" + s
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = canonical(path, e)
		}
		sort.Strings(parts)
		return "[" + strings.Join(parts, ",") + "]"
	case []string:
		parts := make([]any, len(x))
		for i, e := range x {
			parts[i] = e
		}
		return canonical(path, parts)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("{")
		for _, k := range keys {
			b.WriteString(k + "=" + canonical(path+"."+k, x[k]) + ";")
		}
		b.WriteString("}")
		return b.String()
	}
	b, _ := json.Marshal(v)
	return "j:" + string(b)
}

// isCurrency reports whether path holds a currency code, which the server stores in upper
// case ("eur" is stored as "EUR").
func isCurrency(path string) bool {
	return path == "currency" || strings.HasSuffix(path, ".currency")
}

// isCode reports whether text at path is a code kept as text even when it looks like a
// number (visible_to "3").
func isCode(path string) bool { return path == "visible_to" || strings.HasSuffix(path, ".visible_to") }

// identKey is the text of an identity, equal for identities the server stores alike.
func identKey(ident map[string]any) string {
	keys := make([]string, 0, len(ident))
	for k := range ident {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + canonical(k, ident[k]) + ";")
	}
	return b.String()
}

// identityFields are, per entity, the payload fields that the API's records hold back in
// a comparable form: what tells the record a create made from the records of other rows.
// A field the server rewrites beyond recognition (a filter's conditions, a goal's params)
// is left out, so that it cannot hide the record.
var identityFields = map[jobs.Entity][]string{
	jobs.EntityLeads: {"title", "value", "person_id", "organization_id", "owner_id", "label_ids",
		"expected_close_date", "visible_to", "was_seen"},
	jobs.EntityLeadLabels: {"name", "color"},
	jobs.EntityFilters:    {"name", "type"},
	jobs.EntityGoals:      {"title", "type.name", "assignee.id", "assignee.type", "interval"},
	jobs.EntityTeams:      {"name", "manager_id", "description"},
	jobs.EntityFiles:      {"deal_id", "person_id", "org_id", "product_id", "activity_id", "lead_id"},
}

// identity is what identifies the record a create of payload p made: the match_on fields
// when the job has them, else the entity's identity fields that p holds, as flat paths
// (value.amount, value.currency).
func identity(e jobs.Entity, p, match map[string]any) map[string]any {
	if len(match) > 0 {
		return match
	}
	out := map[string]any{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if obj, ok := v.(map[string]any); ok && len(obj) > 0 {
			for k, sub := range obj {
				walk(prefix+"."+k, sub)
			}
			return
		}
		for _, f := range identityFields[e] {
			if prefix == f || strings.HasPrefix(prefix, f+".") {
				out[prefix] = v
				return
			}
		}
	}
	for k, v := range p {
		walk(k, v)
	}
	return out
}

// addTimeLayouts are the forms of add_time: leads and labels carry RFC 3339 with
// milliseconds, files, filters and teams "2006-01-02 15:04:05" in UTC.
var addTimeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05"}

// parseAddTime reads a record's add_time, and how precise it is: a time written without
// fractional seconds was truncated to the second.
func parseAddTime(s string) (t time.Time, precision time.Duration, ok bool) {
	for _, l := range addTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			precision = time.Second
			if strings.Contains(s, ".") {
				precision = time.Millisecond
			}
			return t, precision, true
		}
	}
	return time.Time{}, 0, false
}

// precisionOf is the precision of add_time s.
func precisionOf(s string) time.Duration {
	_, p, _ := parseAddTime(s)
	return p
}

// addedSince reads add_time s and reports whether the record may have been added at or
// after since (a truncated time is given the benefit of its precision), and whether s could
// be read at all.
func addedSince(s string, since time.Time) (added time.Time, after, ok bool) {
	added, precision, ok := parseAddTime(s)
	if !ok {
		return time.Time{}, false, false
	}
	return added, added.Add(precision).After(since), true
}
