package jobs

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pdbulk/pdbulk/mapping"
	"github.com/pdbulk/pdbulk/sheet"
	"github.com/pdbulk/pdbulk/spec"
)

var fieldKeys = []string{"column", "type", "value", "default", "trim", "format", "formats", "date_format",
	"decimal_comma", "split", "enum", "lowercase", "lookup", "create_missing", "empty", "serial"}

var types = []string{string(mapping.TypeString), string(mapping.TypeInt), string(mapping.TypeNumber),
	string(mapping.TypeBool), string(mapping.TypeDate), string(mapping.TypeDateTime), string(mapping.TypeUUID),
	string(mapping.TypeEnum), string(mapping.TypeJSON)}

// Lookups lists the fixed lookups a column may name; "ids.<entity>" (the cross-job id map)
// is accepted too.
var Lookups = []string{"lead_labels.name", "persons.email", "persons.name", "organizations.name"}

// customField matches the key of a Pipedrive custom field (40 hex digits).
var customField = regexp.MustCompile(`^[0-9a-f]{40}$`)

var lookupIDs = regexp.MustCompile(`^ids\.[a-z][a-z_]*$`)

// schemas returns the seed request schema a payload must satisfy for entity and mode (""
// when the mode sends no body), and the schema whose fields the columns may name.
func schemas(e Entity, m Mode) (check, fields string) {
	create, update := "", ""
	switch e {
	case EntityLeads:
		create, update = "LeadsCreateLeadRequest", "LeadsUpdateLeadPropertiesRequest"
	case EntityLeadLabels:
		create, update = "LeadLabelsAddNewLabelRequest", "LeadLabelsUpdatePropertiesRequest"
	case EntityFilters:
		create, update = "FiltersAddNewFilterRequest", "FiltersUpdateFilterRequest"
	case EntityGoals:
		create, update = "GoalsCreateReportRequest", "GoalsUpdateExistingGoalRequest"
	case EntityTeams:
		// The seed has no update schema for teams: updates are checked against nothing
		// but their fields must still be fields of a team.
		create = "LegacyTeamsAddNewTeamRequest"
	case EntityFiles:
		create = "FilesUploadAndAssociateRequest"
	}
	switch m {
	case ModeCreate, ModeUpsert:
		return create, create
	case ModeUpdate:
		if update == "" {
			return "", create
		}
		return update, update
	default: // delete, archive: only the key is read
		return "", create
	}
}

// schemaField describes one payload path of a seed schema.
type schemaField struct {
	typ    string // JSON schema type
	format string
	enum   []string
	items  *schemaField // for arrays
	open   bool         // an object without documented properties: any sub-path is allowed
}

func describe(m map[string]any) *schemaField {
	f := &schemaField{}
	f.typ, _ = m["type"].(string)
	f.format, _ = m["format"].(string)
	enum, _ := m["enum"].([]any)
	if all, ok := m["allOf"].([]any); ok && enum == nil {
		for _, a := range all {
			if am, ok := a.(map[string]any); ok {
				if e, ok := am["enum"].([]any); ok {
					enum = e
				}
			}
		}
	}
	for _, e := range enum {
		if s, ok := e.(string); ok {
			f.enum = append(f.enum, s)
		}
	}
	if it, ok := m["items"].(map[string]any); ok {
		f.items = describe(it)
	}
	if f.typ == "object" {
		_, has := m["properties"].(map[string]any)
		f.open = !has
	}
	return f
}

// schemaPaths lists every payload path of schema name ("value", "value.amount", ...).
func schemaPaths(name string) map[string]*schemaField {
	out := map[string]*schemaField{}
	sch, ok := spec.Schema(name)
	if !ok {
		return out
	}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		props, _ := m["properties"].(map[string]any)
		for k, v := range props {
			vm, ok := v.(map[string]any)
			if !ok {
				continue
			}
			out[prefix+k] = describe(vm)
			walk(prefix+k+".", vm)
		}
	}
	walk("", sch)
	return out
}

// lookupField finds path in paths, allowing sub-paths of open objects.
func lookupField(paths map[string]*schemaField, path string) (*schemaField, bool) {
	if f, ok := paths[path]; ok {
		return f, true
	}
	parts := strings.Split(path, ".")
	for i := len(parts) - 1; i > 0; i-- {
		if f, ok := paths[strings.Join(parts[:i], ".")]; ok && f.open {
			return &schemaField{}, true
		}
	}
	return nil, false
}

// inferType returns the mapping type for a schema field (and its enum values).
func inferType(f *schemaField) (mapping.Type, []string) {
	if f.typ == "array" && f.items != nil {
		f = f.items
	}
	switch {
	case len(f.enum) > 0:
		return mapping.TypeEnum, f.enum
	case f.typ == "integer":
		return mapping.TypeInt, nil
	case f.typ == "number":
		return mapping.TypeNumber, nil
	case f.typ == "boolean":
		return mapping.TypeBool, nil
	case f.typ == "object":
		return mapping.TypeJSON, nil
	case f.format == "date":
		return mapping.TypeDate, nil
	case f.format == "date-time":
		return mapping.TypeDateTime, nil
	case f.format == "uuid":
		return mapping.TypeUUID, nil
	}
	return "", nil
}

// idType is the type of a record id of entity e.
func idType(e Entity) mapping.Type {
	if e == EntityLeads || e == EntityLeadLabels {
		return mapping.TypeUUID
	}
	return mapping.TypeInt
}

// anyModePaths lists the payload paths a column may name for entity e in any mode: the
// fields of the create schema and of the update schema. Where both describe a path, the
// create schema's description wins.
func anyModePaths(e Entity) map[string]*schemaField {
	_, create := schemas(e, ModeCreate)
	_, update := schemas(e, ModeUpdate)
	paths := schemaPaths(create)
	if update != create {
		for p, f := range schemaPaths(update) {
			if _, ok := paths[p]; !ok {
				paths[p] = f
			}
		}
	}
	return paths
}

// columns checks and compiles the columns section. entityOK and modeOK tell whether the
// entity and the mode are valid: columns are checked even when they are not, so that their
// problems are reported along with the others.
//   - An unknown or missing entity leaves only the shape of the section to check (present,
//     a mapping, keys neither repeated nor tokens): which fields exist, and so which types
//     and formats apply to them, depends on the entity.
//   - An invalid mode still lets every column be checked, against the fields of any mode
//     of the entity (see anyModePaths); what depends on the mode (the schema the payload
//     must satisfy, the required fields, the need for match_on) is not checked then.
func (l *loader) columns(n *yaml.Node, root *yaml.Node, entityOK, modeOK bool) {
	j := l.job
	if n == nil {
		l.errAt(root, "missing key \"columns\" (which spreadsheet column fills which field)")
		return
	}
	if n.Kind != yaml.MappingNode {
		l.errAt(n, "columns must be a mapping of field: column")
		return
	}
	if !entityOK {
		l.pairs(n, "columns", nil)
		return
	}
	var check string
	var paths map[string]*schemaField
	if modeOK {
		var fieldsSchema string
		check, fieldsSchema = schemas(j.Entity, j.Mode)
		paths = schemaPaths(fieldsSchema)
		if j.Entity == EntityFiles {
			check, paths = filesSchemas(j.Mode, n) // files.go: uploads, remote files, updates
		}
	} else {
		paths = anyModePaths(j.Entity)
	}
	j.Mapping = mapping.Spec{Entity: string(j.Entity), Schema: check}
	names := make([]string, 0, len(paths)+1)
	for p := range paths {
		names = append(names, p)
	}
	names = append(names, "id")
	sort.Strings(names)

	mapped := map[string]bool{}
	for _, kv := range l.pairs(n, "columns", nil) {
		path := kv[0].Value
		sf, ok := lookupField(paths, path)
		switch {
		case ok:
		case path == "id":
			sf = &schemaField{}
		case j.Entity == EntityLeads && customField.MatchString(path):
			sf = &schemaField{}
		default:
			l.errAt(kv[0], "unknown field %q for %s%s", path, j.Entity, suggest(path, names))
			continue
		}
		f, ok := l.field(path, kv[1], sf)
		mapped[path] = true // even when wrong: its problems are reported, not a missing field
		if !ok {
			continue
		}
		f.Line = kv[0].Line
		if path == "id" && f.Type == "" && f.Lookup == "" {
			f.Type = idType(j.Entity)
		}
		j.Mapping.Fields = append(j.Mapping.Fields, f)
	}
	l.checkKeys(mapped, check, modeOK)
}

// checkKeys validates match_on and the required fields against what columns map. With an
// invalid mode (modeOK false) it checks only that match_on names mapped fields: what the
// mode requires is unknown.
func (l *loader) checkKeys(mapped map[string]bool, check string, modeOK bool) {
	j := l.job
	columns := l.keys["columns"]
	mn := l.keys["match_on"]
	for _, m := range j.MatchOn {
		if !mapped[m] {
			l.errAt(mn, "match_on %q is not a field mapped in columns (map it, or use id with a column holding the Pipedrive id)", m)
		}
	}
	if !modeOK {
		return
	}
	needKey := j.Mode == ModeUpdate || j.Mode == ModeUpsert || j.Mode == ModeDelete || j.Mode == ModeArchive
	if needKey && len(j.MatchOn) == 0 {
		l.errAt(columns, "mode %s needs match_on: the fields that find the existing record (for example [id] or [title])", j.Mode)
	}
	if check == "" || (j.Mode != ModeCreate && j.Mode != ModeUpsert) {
		return
	}
	sch, _ := spec.Schema(check)
	req, _ := sch["required"].([]any)
	for _, r := range req {
		name, _ := r.(string)
		if name == "" || mapped[name] {
			continue
		}
		sub := false
		for p := range mapped {
			if strings.HasPrefix(p, name+".") {
				sub = true
			}
		}
		if !sub {
			l.errAt(columns, "field %q is required to create %s; map it to a column or give it a value", name, j.Entity)
		}
	}
	if j.Entity == EntityLeads && !mapped["person_id"] && !mapped["organization_id"] {
		l.errAt(columns, "a lead must be linked to a person or an organization: map person_id or organization_id")
	}
}

// field parses one entry of columns: a column name, or the long form.
func (l *loader) field(path string, n *yaml.Node, sf *schemaField) (mapping.Field, bool) {
	f := mapping.Field{Path: path}
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		f.Column = n.Value
		f.Type, f.Enum = inferType(sf)
		return f, true
	}
	if n.Kind != yaml.MappingNode {
		l.errAt(n, "field %q: give a column name or a mapping with column or value", path)
		return f, false
	}
	before := len(l.problems)
	props := map[string]*yaml.Node{}
	for _, kv := range l.pairs(n, "field "+path, fieldKeys) {
		props[kv[0].Value] = kv[1]
	}
	if v := props["column"]; v != nil {
		if s, ok := l.scalar(v, "column"); ok {
			if s == "" {
				l.errAt(v, "field %q: column name is empty", path)
			}
			f.Column = s
		}
	}
	if v := props["value"]; v != nil {
		var val any
		if err := v.Decode(&val); err != nil {
			l.errAt(v, "field %q: value: %v", path, err)
		}
		f.HasValue, f.Value = true, val
	}
	switch {
	case props["column"] != nil && props["value"] != nil:
		l.errAt(n, "field %q: give column or value, not both", path)
	case props["column"] == nil && props["value"] == nil:
		l.errAt(n, "field %q: give column (a spreadsheet column) or value (a constant)", path)
	}
	if v := props["type"]; v != nil {
		if s, ok := l.enum(v, "type", types); ok {
			f.Type = mapping.Type(s)
		}
	}
	if v := props["enum"]; v != nil {
		f.Enum = l.stringList(v, "enum")
		if f.Type == "" {
			f.Type = mapping.TypeEnum
		}
		if f.Type != mapping.TypeEnum {
			l.errAt(v, "field %q: enum needs type enum", path)
		}
	}
	if v := props["lookup"]; v != nil {
		if s, ok := l.scalar(v, "lookup"); ok {
			if !slices.Contains(Lookups, s) && !lookupIDs.MatchString(s) {
				l.errAt(v, "lookup %q is not one of %s, ids.<entity>%s", s, strings.Join(Lookups, ", "), suggest(s, Lookups))
			}
			f.Lookup = s
		}
	}
	if f.Type == "" && f.Lookup == "" && !f.HasValue {
		f.Type, f.Enum = inferType(sf)
	}
	l.fieldFlags(&f, props)
	return f, len(l.problems) == before
}

func (l *loader) fieldFlags(f *mapping.Field, props map[string]*yaml.Node) {
	path := f.Path
	if v := props["default"]; v != nil {
		if s, ok := l.scalar(v, "default"); ok {
			f.Default = &s
		}
	}
	if v := props["trim"]; v != nil {
		if b, ok := l.boolVal(v, "trim"); ok {
			f.NoTrim = !b
		}
	}
	for _, k := range []string{"format", "date_format", "formats"} {
		v := props[k]
		if v == nil {
			continue
		}
		for _, layout := range l.stringList(v, k) {
			// Spreadsheet formats (DD/MM/YYYY) and Go layouts (02/01/2006) both work.
			if err := mapping.CheckDateFormat(layout); err != nil {
				l.errAt(v, "field %q: %v", path, err)
				continue
			}
			f.Formats = append(f.Formats, layout)
		}
		if f.Type != mapping.TypeDate && f.Type != mapping.TypeDateTime {
			l.errAt(v, "field %q: %s applies to type date or datetime only", path, k)
		}
	}
	if err := mapping.CheckDateFormats(f.Formats); err != nil {
		// Both orders of one shape would read each value with the first that fits: day-first
		// and month-first mixed row by row.
		l.errAt(props["formats"], "field %q: %v", path, err)
	}
	if v := props["serial"]; v != nil {
		l.serial(f, v)
	}
	if v := props["decimal_comma"]; v != nil {
		if b, ok := l.boolVal(v, "decimal_comma"); ok {
			f.DecimalComma = b
			if b && f.Type != mapping.TypeNumber {
				l.errAt(v, "field %q: decimal_comma applies to type number only", path)
			}
		}
	}
	if v := props["split"]; v != nil {
		if s, ok := l.scalar(v, "split"); ok {
			if s == "" {
				l.errAt(v, "field %q: split needs a separator", path)
			}
			f.Split = s
		}
	}
	if v := props["lowercase"]; v != nil {
		if b, ok := l.boolVal(v, "lowercase"); ok {
			f.Lowercase = b
		}
	}
	if v := props["create_missing"]; v != nil {
		if b, ok := l.boolVal(v, "create_missing"); ok {
			f.CreateMissing = b
			if b && f.Lookup != "lead_labels.name" {
				l.errAt(v, "field %q: create_missing works with lookup lead_labels.name only", path)
			}
		}
	}
	if v := props["empty"]; v != nil {
		if s, ok := l.enum(v, "empty", []string{string(mapping.EmptyOmit), string(mapping.EmptyNull), string(mapping.EmptyError)}); ok {
			f.Empty = mapping.Empty(s)
		}
	}
	if f.HasValue {
		for _, k := range []string{"default", "split", "lookup", "create_missing", "empty", "trim"} {
			if props[k] != nil {
				l.errAt(props[k], "field %q: %s applies to columns, not to a constant value", path, k)
			}
		}
	}
}

// serial reads a field's serial: true (Excel's 1900 date system), 1900, 1904 or false.
func (l *loader) serial(f *mapping.Field, v *yaml.Node) {
	s, ok := l.scalar(v, "serial")
	if !ok {
		return
	}
	switch {
	case v.Tag == "!!bool":
		var b bool
		if err := v.Decode(&b); err == nil && b {
			f.Serial = mapping.Serial1900
		}
	case v.Tag == "!!int" && (s == "1900" || s == "1904"):
		f.Serial = mapping.Serial1900
		if s == "1904" {
			f.Serial = mapping.Serial1904
		}
	default:
		l.errAt(v, "field %q: serial must be true (Excel's 1900 date system), 1904 or false, not %q", f.Path, s)
		return
	}
	if f.Serial != 0 && f.Type != mapping.TypeDate && f.Type != mapping.TypeDateTime {
		l.errAt(v, "field %q: serial applies to type date or datetime only", f.Path)
	}
}

// refTime differs from Go's reference time in every element, so that a layout written
// with any element formats to something else than itself.
var refTime = time.Date(2027, time.November, 23, 21, 47, 38, 0, time.UTC)

// checkLayout explains why layout is not a usable Go time layout, or returns "".
func checkLayout(layout string) string {
	if strings.Contains(layout, "%") || strings.Contains(layout, "YYYY") || strings.Contains(layout, "yyyy") {
		return fmt.Sprintf("format %q is not a Go time layout: write the date 2 January 2006 15:04:05 the way the sheet does, for example \"02/01/2006\"", layout)
	}
	text := refTime.Format(layout)
	if text == layout {
		return fmt.Sprintf("format %q has no date or time element (write 2006 for the year, 01 for the month, 02 for the day)", layout)
	}
	if _, err := time.Parse(layout, text); err != nil {
		return fmt.Sprintf("format %q cannot read back what it writes: %v", layout, err)
	}
	return ""
}

// CheckHeader checks that every column the job maps (and its key column) is in header, the
// source's header row. A missing column is a job error, found before any write: the error is
// an errors.Join of *Problem values at the lines of the job file that name the columns.
func (j *Job) CheckHeader(header []string) error {
	have := map[string]bool{}
	for _, h := range header {
		have[h] = true
	}
	var problems []error
	missing := func(col, what string, line int) {
		if have[col] {
			return
		}
		hint := ""
		for _, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(col)) {
				hint = fmt.Sprintf(" (the sheet has %q: names must match exactly)", sheet.Clip(h, sheet.MaxShown))
				break
			}
		}
		if hint == "" {
			hint = suggest(col, header)
		}
		problems = append(problems, &Problem{File: j.displayName(), Line: line,
			Msg: fmt.Sprintf("column %q (%s) is not in the header row of %s%s", sheet.Clip(col, sheet.MaxShown), what, j.Source.Path, hint)})
	}
	for _, f := range j.Mapping.Fields {
		if f.Column != "" {
			missing(f.Column, "field "+f.Path, f.Line)
		}
	}
	if j.Key != "" {
		missing(j.Key, "key", j.keyLine)
	}
	return errors.Join(problems...)
}
