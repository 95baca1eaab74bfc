package mapping

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// rule is a seed request schema compiled once, so that every row's payload is checked in
// place, without the JSON round trip of spec.CheckRequest. It applies the same rules:
// required keys, nullable, types, enums and formats (uuid, date, date-time).
type rule struct {
	typ      string // JSON schema type, "" = any
	nullable bool
	enum     []any
	format   string
	required []string
	props    map[string]*rule
	items    *rule
}

// compileRule turns a parsed schema into a rule, merging allOf parts into it.
func compileRule(sch map[string]any) *rule {
	r := &rule{}
	r.merge(sch)
	return r
}

func (r *rule) merge(sch map[string]any) {
	if t, ok := sch["type"].(string); ok && r.typ == "" {
		r.typ = t
	}
	if sch["nullable"] == true {
		r.nullable = true
	}
	if e, ok := sch["enum"].([]any); ok && r.enum == nil {
		r.enum = e
	}
	if f, ok := sch["format"].(string); ok && r.format == "" {
		r.format = f
	}
	if req, ok := sch["required"].([]any); ok {
		for _, x := range req {
			if s, ok := x.(string); ok {
				r.required = append(r.required, s)
			}
		}
	}
	if props, ok := sch["properties"].(map[string]any); ok {
		if r.props == nil {
			r.props = make(map[string]*rule, len(props))
		}
		for name, p := range props {
			if ps, ok := p.(map[string]any); ok {
				r.props[name] = compileRule(ps)
			}
		}
	}
	if it, ok := sch["items"].(map[string]any); ok && r.items == nil {
		r.items = compileRule(it)
	}
	if subs, ok := sch["allOf"].([]any); ok {
		for _, s := range subs {
			if sub, ok := s.(map[string]any); ok {
				r.merge(sub)
			}
		}
	}
}

// at returns the rule of the property at path, or nil when the schema does not document it.
func (r *rule) at(segs []string) *rule {
	cur := r
	for _, s := range segs {
		if cur == nil || cur.props == nil {
			return nil
		}
		cur = cur.props[s]
	}
	return cur
}

// seg is one step of a problem's path: a property name, or an array index when idx >= 0.
type seg struct {
	name string
	idx  int
}

// problem is one departure of a payload from its rule.
type problem struct {
	path  []seg
	value any
	err   error
}

// pathString renders a problem path as value.amount or label_ids[2].
func pathString(p []seg) string {
	var b strings.Builder
	for i, s := range p {
		if s.idx >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.idx))
			b.WriteByte(']')
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.name)
	}
	return b.String()
}

// validator walks a payload against a rule; stack holds the current path.
type validator struct {
	stack    []seg
	problems []problem
}

func (v *validator) fail(val any, err error) {
	v.problems = append(v.problems, problem{path: append([]seg(nil), v.stack...), value: val, err: err})
}

func (v *validator) value(r *rule, x any) {
	if x == nil {
		if !r.nullable && r.typ != "" {
			v.fail(nil, reason(ErrSchema, "must have a value (the API does not accept null here)"))
		}
		return
	}
	if r.typ != "" && !typeFits(r.typ, x) {
		v.fail(x, reason(ErrSchema, "is %s, the API wants %s", article(jsonKind(x)), article(r.typ)))
		return
	}
	if r.enum != nil && !inEnum(r.enum, x) {
		v.fail(x, &enumError{allowed: enumStrings(r.enum)})
	}
	if r.format != "" {
		if s, ok := x.(string); ok {
			if err := formatErr(r.format, s); err != nil {
				v.fail(x, err)
			}
		}
	}
	switch val := x.(type) {
	case map[string]any:
		v.object(r, val)
	case []any:
		if r.items != nil {
			for i, it := range val {
				v.stack = append(v.stack, seg{idx: i})
				v.value(r.items, it)
				v.stack = v.stack[:len(v.stack)-1]
			}
		}
	}
}

func (v *validator) object(r *rule, obj map[string]any) {
	for _, name := range r.required {
		if _, ok := obj[name]; !ok {
			v.stack = append(v.stack, seg{name: name, idx: -1})
			v.fail(nil, ErrRequired)
			v.stack = v.stack[:len(v.stack)-1]
		}
	}
	if r.props == nil {
		return
	}
	for name, x := range obj {
		p := r.props[name]
		if p == nil {
			continue
		}
		v.stack = append(v.stack, seg{name: name, idx: -1})
		v.value(p, x)
		v.stack = v.stack[:len(v.stack)-1]
	}
}

// typeFits reports whether a payload value has JSON schema type t.
func typeFits(t string, x any) bool {
	switch t {
	case "string":
		_, ok := x.(string)
		return ok
	case "boolean":
		_, ok := x.(bool)
		return ok
	case "integer":
		switch n := x.(type) {
		case int, int64, int32:
			return true
		case float64:
			return n == math.Trunc(n) && !math.IsInf(n, 0)
		case json.Number:
			f, err := n.Float64()
			return err == nil && f == math.Trunc(f)
		}
		return false
	case "number":
		switch x.(type) {
		case int, int64, int32, float64, json.Number:
			return true
		}
		return false
	case "object":
		_, ok := x.(map[string]any)
		return ok
	case "array":
		_, ok := x.([]any)
		return ok
	}
	return true
}

func toFloat(x any) (float64, bool) {
	switch n := x.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func inEnum(enum []any, x any) bool {
	if s, ok := x.(string); ok {
		for _, e := range enum {
			if es, ok := e.(string); ok && es == s {
				return true
			}
		}
		return false
	}
	if f, ok := toFloat(x); ok {
		for _, e := range enum {
			if ef, ok := toFloat(e); ok && ef == f {
				return true
			}
		}
		return false
	}
	for _, e := range enum {
		if e == x {
			return true
		}
	}
	return false
}

func enumStrings(enum []any) []string {
	out := make([]string, len(enum))
	for i, e := range enum {
		if s, ok := e.(string); ok {
			out[i] = s
		} else {
			out[i] = compactJSON(e)
		}
	}
	return out
}

func formatErr(format, s string) error {
	switch format {
	case "uuid":
		if !isUUID(s) {
			return ErrNotUUID
		}
	case "date":
		_, _, _, ok, err := parseISODate(s)
		if err != nil {
			return err
		}
		if !ok {
			return reason(ErrBadDate, "is not a valid date (want 2006-01-02)")
		}
	case "date-time":
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return reason(ErrBadTime, "is not a valid date and time (want RFC 3339)")
		}
	}
	return nil
}

func article(kind string) string {
	switch kind {
	case "integer", "object", "array":
		return "an " + kind
	case "null", "value":
		return kind
	}
	return "a " + kind
}

// renderValue is the text of a payload value for a FieldError's Value.
func renderValue(x any) string {
	switch v := x.(type) {
	case nil:
		return ""
	case string:
		return truncate(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return truncate(compactJSON(x))
}
