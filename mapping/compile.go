package mapping

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/pdbulk/pdbulk/spec"
)

// The lookups a field can name. ids.<entity> reads the cross-job id map (key → id as stored
// by an earlier job of that entity).
const (
	LookupLeadLabelName    = "lead_labels.name"
	LookupPersonEmail      = "persons.email"
	LookupPersonName       = "persons.name"
	LookupOrganizationName = "organizations.name"
	lookupIDsPrefix        = "ids."
)

// Mapper turns rows into payloads. It is immutable after Compile and safe for concurrent use.
type Mapper struct {
	schema   string
	root     *rule // nil when the spec names no schema
	fields   []*field
	byPath   map[string]*field
	columns  []string
	topKeys  int
	lookups  bool
	supplied map[string]bool
	groups   []string // top-level objects that some column fills: value, duration...
	leadLink bool     // a new lead: the row needs a person_id or an organization_id
}

// field is a compiled Field.
type field struct {
	Field
	idx      int      // header index; -1 for a constant
	segs     []string // Path split on dots
	typ      Type     // after inference from the schema
	trim     bool
	listOne  bool     // the API wants an array and no split is set: one cell, one item
	hasConst bool     // a constant whose payload value is constVal
	constVal any      // (normalized) constant value
	keys     []string // a constant's lookup keys
	lookup   string
	group    int // index in Mapper.groups of the top-level object the field fills, or -1
}

// Compile checks a mapping against the sheet's header and the request schema it names, and
// returns the Mapper. Every problem is reported, joined with errors.Join, each as a
// *SpecError carrying the field's job-file line.
func Compile(s Spec, header []string) (*Mapper, error) {
	m := &Mapper{schema: s.Schema, byPath: make(map[string]*field, len(s.Fields)), supplied: map[string]bool{}}
	for _, p := range s.Supplied {
		m.supplied[p] = true
	}
	var errs []error
	if s.Schema != "" {
		sch, ok := spec.Schema(s.Schema)
		if !ok {
			errs = append(errs, &SpecError{Err: fmt.Errorf("unknown request schema %q", s.Schema)})
		} else {
			m.root = compileRule(sch)
		}
	}
	cols := indexHeader(header)
	seenCol := map[string]bool{}
	top := map[string]bool{}
	failed := map[string]bool{}
	for _, fs := range s.Fields {
		f, ferrs := m.compileField(fs, header, cols)
		for _, err := range ferrs {
			errs = append(errs, &SpecError{Line: fs.Line, Field: fs.Path, Column: fs.Column, Err: err})
		}
		if f == nil {
			failed[fs.Path] = true // mapped, but wrong: not also "required and unmapped"
			continue
		}
		if prev, dup := m.byPath[f.Path]; dup {
			errs = append(errs, &SpecError{Line: fs.Line, Field: fs.Path, Column: fs.Column,
				Err: fmt.Errorf("mapped twice (also on line %d)", prev.Line)})
			continue
		}
		m.byPath[f.Path] = f
		m.fields = append(m.fields, f)
		top[f.segs[0]] = true
		if f.lookup != "" {
			m.lookups = true
		}
		if f.idx >= 0 && !seenCol[header[f.idx]] {
			seenCol[header[f.idx]] = true
			m.columns = append(m.columns, header[f.idx])
		}
	}
	m.topKeys = len(top)
	m.leadLink = s.Schema == leadCreateSchema && m.root != nil &&
		!m.supplied[leadLinkPaths[0]] && !m.supplied[leadLinkPaths[1]]
	m.assignGroups()
	errs = append(errs, m.checkPrefixes()...)
	errs = append(errs, m.checkRequired(failed)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

func validPath(p string) ([]string, error) {
	if p == "" {
		return nil, errors.New("empty field path")
	}
	segs := strings.Split(p, ".")
	for _, s := range segs {
		if s == "" {
			return nil, fmt.Errorf("bad field path %q: empty part", p)
		}
		for _, r := range s {
			if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return nil, fmt.Errorf("bad field path %q: %q is not allowed (letters, digits, _ and - separated by dots)", p, r)
			}
		}
	}
	return segs, nil
}

var knownTypes = map[Type]bool{"": true, TypeString: true, TypeInt: true, TypeNumber: true, TypeBool: true,
	TypeDate: true, TypeDateTime: true, TypeUUID: true, TypeEnum: true, TypeJSON: true}

func validLookup(l string) bool {
	switch l {
	case "", LookupLeadLabelName, LookupPersonEmail, LookupPersonName, LookupOrganizationName:
		return true
	}
	ent, ok := strings.CutPrefix(l, lookupIDsPrefix)
	return ok && ent != "" && !strings.ContainsAny(ent, ". ")
}

// compileField checks one field; it returns nil when the field cannot be used at all.
func (m *Mapper) compileField(fs Field, header []string, cols *headerIndex) (*field, []error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	f := &field{Field: fs, idx: -1, trim: !fs.NoTrim, lookup: fs.Lookup}
	segs, err := validPath(fs.Path)
	if err != nil {
		errs = append(errs, err)
	}
	f.segs = segs
	switch {
	case fs.Column != "" && fs.HasValue:
		bad("set a column or a value, not both")
	case fs.Column == "" && !fs.HasValue:
		bad("set a column or a value")
	case fs.Column != "":
		idx, err := findColumn(fs.Column, header, cols)
		if err != nil {
			errs = append(errs, err)
		}
		f.idx = idx
	}
	if !knownTypes[fs.Type] {
		bad("unknown type %q (string, int, number, bool, date, datetime, uuid, enum, json)", fs.Type)
	}
	switch fs.Empty {
	case "", EmptyOmit, EmptyNull, EmptyError:
	default:
		bad("unknown empty policy %q (omit, null, error)", fs.Empty)
	}
	switch {
	case fs.Lookup == "users.email":
		// The seed API (and so pdbulk's client) has no users endpoint to search.
		bad("lookup users.email is not available: the Pipedrive endpoints pdbulk uses cannot list users; map the user's id (type: int)")
	case !validLookup(fs.Lookup):
		bad("unknown lookup %q (lead_labels.name, persons.email, persons.name, organizations.name, ids.<entity>)", fs.Lookup)
	}
	if fs.CreateMissing && fs.Lookup != LookupLeadLabelName {
		bad("create_missing works only with lookup %s", LookupLeadLabelName)
	}
	if fs.Lookup != "" && fs.Type != "" && fs.Type != TypeString {
		bad("a lookup reads its key as text: drop type %s", fs.Type)
	}
	f.typ = fs.Type
	if f.typ == "" && len(fs.Enum) > 0 {
		f.typ = TypeEnum
	}
	if f.typ == TypeEnum && len(fs.Enum) == 0 {
		bad("type enum needs a list of values")
	}
	if len(fs.Enum) > 0 && f.typ != TypeEnum {
		bad("enum values need type enum, not %s", f.typ)
	}
	if fs.Split != "" && fs.Type == TypeJSON {
		bad("split does not apply to json fields")
	}
	if len(errs) > 0 || segs == nil {
		return nil, errs
	}
	errs = append(errs, m.fitSchema(f)...)
	if len(fs.Formats) > 0 && f.typ != TypeDate && f.typ != TypeDateTime {
		bad("date formats apply to date and datetime fields, not %s", typeName(f.typ))
	}
	badLayout := false
	for _, l := range fs.Formats {
		if err := checkLayout(l); err != nil {
			errs = append(errs, err)
			badLayout = true
		}
	}
	if !badLayout {
		// Two formats that read one text as two dates would mix orders row by row.
		if err := CheckDateFormats(fs.Formats); err != nil {
			if fs.Column != "" {
				err = fmt.Errorf("column %q: %w", fs.Column, err)
			}
			errs = append(errs, err)
		}
	}
	switch {
	case fs.Serial != 0 && fs.Serial != Serial1900 && fs.Serial != Serial1904:
		bad("serial %d: want true (Excel's 1900 date system) or 1904", fs.Serial)
	case fs.Serial != 0 && f.typ != TypeDate && f.typ != TypeDateTime:
		bad("serial applies to date and datetime fields, not %s", typeName(f.typ))
	}
	if fs.DecimalComma && f.typ != TypeNumber {
		bad("decimal_comma applies to number fields, not %s", typeName(f.typ))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if fs.HasValue {
		if err := f.compileConst(); err != nil {
			return nil, []error{err}
		}
	}
	return f, nil
}

func typeName(t Type) string {
	if t == "" {
		return "string"
	}
	return string(t)
}

// fitSchema infers the type of an untyped field from the schema and checks that the type
// fits what the API wants at the field's path.
func (m *Mapper) fitSchema(f *field) []error {
	if m.root == nil {
		if f.typ == "" {
			f.typ = TypeString
		}
		return nil
	}
	if len(f.segs) > 1 {
		parent := m.root.at(f.segs[:len(f.segs)-1])
		if parent != nil && parent.props != nil && parent.props[f.segs[len(f.segs)-1]] == nil {
			names := make([]string, 0, len(parent.props))
			for n := range parent.props {
				names = append(names, n)
			}
			sort.Strings(names)
			return []error{fmt.Errorf("%s has no field %q (it has %s)", strings.Join(f.segs[:len(f.segs)-1], "."), f.segs[len(f.segs)-1], strings.Join(names, ", "))}
		}
	}
	r := m.root.at(f.segs)
	if r == nil {
		if f.typ == "" {
			f.typ = TypeString
		}
		return nil
	}
	item := r
	if r.typ == "array" {
		if f.Split == "" {
			f.listOne = f.typ != TypeJSON
		}
		if f.typ != TypeJSON && r.items != nil {
			item = r.items
		}
	} else if f.Split != "" && r.typ != "" {
		return []error{fmt.Errorf("split makes a list, but the API wants %s here", article(r.typ))}
	}
	if f.lookup != "" {
		return nil
	}
	if f.typ == "" {
		if f.HasValue {
			if _, isStr := f.Value.(string); !isStr {
				return nil // a typed constant goes as it is
			}
		}
		f.typ = inferType(item)
		if r.typ == "array" && f.Split == "" && f.typ == TypeJSON {
			f.listOne = false
		}
		return nil
	}
	want := item.typ
	if f.typ == TypeJSON {
		want = r.typ
	}
	if !typeFitsSchema(f.typ, want) {
		return []error{fmt.Errorf("type %s does not fit: the API wants %s here", typeName(f.typ), article(want))}
	}
	return nil
}

func inferType(r *rule) Type {
	switch r.typ {
	case "integer":
		return TypeInt
	case "number":
		return TypeNumber
	case "boolean":
		return TypeBool
	case "object", "array":
		return TypeJSON
	case "string":
		switch r.format {
		case "date":
			return TypeDate
		case "date-time":
			return TypeDateTime
		case "uuid":
			return TypeUUID
		}
	}
	return TypeString
}

func typeFitsSchema(t Type, want string) bool {
	switch want {
	case "":
		return true
	case "integer":
		return t == TypeInt
	case "number":
		return t == TypeInt || t == TypeNumber
	case "boolean":
		return t == TypeBool
	case "object", "array":
		return t == TypeJSON
	case "string":
		switch t {
		case TypeString, TypeDate, TypeDateTime, TypeUUID, TypeEnum:
			return true
		}
	}
	return false
}

// compileConst converts a constant once: text constants go through the field's type (and
// split, and lookup keys); other constants are sent as they are.
func (f *field) compileConst() error {
	f.hasConst = true
	v, err := normalizeConst(f.Value)
	if err != nil {
		return err
	}
	s, isStr := v.(string)
	if !isStr || (f.typ == TypeString && f.Split == "" && f.lookup == "" && !f.listOne) {
		if !isStr && f.lookup != "" {
			return fmt.Errorf("a lookup needs a text value, not %s", article(jsonKind(v)))
		}
		if !isStr && f.Type != "" && !constFits(f.Type, v) {
			return fmt.Errorf("value %s does not fit type %s", compactJSON(v), f.Type)
		}
		if isStr && f.Lowercase {
			v = strings.ToLower(s)
		}
		f.constVal = v
		return nil
	}
	out := f.convertText(s)
	if len(out.errs) > 0 {
		b := out.errs[0]
		return fmt.Errorf("value %q %w", b.text, b.err)
	}
	if out.empty {
		f.hasConst = false // an empty constant behaves like an empty cell
		f.constVal = nil
		return nil
	}
	f.constVal, f.keys = out.value, out.keys
	return nil
}

func constFits(t Type, v any) bool {
	switch t {
	case TypeInt:
		return typeFits("integer", v)
	case TypeNumber:
		return typeFits("number", v)
	case TypeBool:
		return typeFits("boolean", v)
	case TypeJSON:
		switch v.(type) {
		case map[string]any, []any:
			return true
		}
	}
	return false
}

// normalizeConst turns a YAML value into payload types: int64, float64, string, bool, nil,
// map[string]any and []any.
func normalizeConst(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, int64, json.Number:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case uint:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("value %d is too large", x)
		}
		return int64(x), nil
	case float32:
		return normalizeConst(float64(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errors.New("value must be a finite number")
		}
		return x, nil
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normalizeConst(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalizeConst(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("value has a non-text key %v", k)
			}
			n, err := normalizeConst(e)
			if err != nil {
				return nil, err
			}
			out[ks] = n
		}
		return out, nil
	}
	return nil, fmt.Errorf("value of type %T is not supported", v)
}

// assignGroups numbers the top-level objects built from nested paths of which at least one
// comes from a column: Map leaves out such an object when none of its cells has a value.
func (m *Mapper) assignGroups() {
	idx := map[string]int{}
	for _, f := range m.fields {
		if len(f.segs) > 1 && f.idx >= 0 {
			if _, ok := idx[f.segs[0]]; !ok {
				idx[f.segs[0]] = len(m.groups)
				m.groups = append(m.groups, f.segs[0])
			}
		}
	}
	for _, f := range m.fields {
		f.group = -1
		if g, ok := idx[f.segs[0]]; ok && len(f.segs) > 1 {
			f.group = g
		}
	}
}

// checkPrefixes reports a path that is a prefix of another (title and title.x).
func (m *Mapper) checkPrefixes() []error {
	var errs []error
	for _, a := range m.fields {
		for _, b := range m.fields {
			if a != b && strings.HasPrefix(b.Path, a.Path+".") {
				errs = append(errs, &SpecError{Line: b.Line, Field: b.Path, Column: b.Column,
					Err: fmt.Errorf("is inside %s, which is mapped itself (line %d)", a.Path, a.Line)})
			}
		}
	}
	return errs
}

// checkRequired reports keys the schema requires that no field maps: at the top level, and
// inside any object that some field builds. Paths in failed are mapped by a field that has
// an error of its own already.
func (m *Mapper) checkRequired(failed map[string]bool) []error {
	if m.root == nil {
		return nil
	}
	var errs []error
	var walk func(r *rule, prefix string)
	walk = func(r *rule, prefix string) {
		for _, name := range r.required {
			p := prefix + name
			if !m.mapsAtOrUnder(p) && !m.supplied[p] && !failedAtOrUnder(failed, p) {
				errs = append(errs, &SpecError{Field: p, Err: fmt.Errorf("the %s schema requires it: map a column or a value to it", m.schema)})
			}
		}
		for name, sub := range r.props {
			p := prefix + name
			if _, direct := m.byPath[p]; !direct && sub.props != nil && m.mapsAtOrUnder(p) {
				walk(sub, p+".")
			}
		}
	}
	walk(m.root, "")
	sort.Slice(errs, func(i, j int) bool { return errs[i].(*SpecError).Field < errs[j].(*SpecError).Field })
	return errs
}

func (m *Mapper) mapsAtOrUnder(p string) bool {
	if _, ok := m.byPath[p]; ok {
		return true
	}
	for _, f := range m.fields {
		if strings.HasPrefix(f.Path, p+".") {
			return true
		}
	}
	return false
}

// failedAtOrUnder reports whether a failed field maps p or a path inside it.
func failedAtOrUnder(failed map[string]bool, p string) bool {
	for f := range failed {
		if f == p || strings.HasPrefix(f, p+".") {
			return true
		}
	}
	return false
}
