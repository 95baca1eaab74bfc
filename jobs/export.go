package jobs

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pdbulk/pdbulk/mapping"
	"github.com/pdbulk/pdbulk/spec"
)

// The entities only an export can name.
const (
	EntityLeadSources Entity = "lead_sources"
	EntitySearch      Entity = "search" // item search results
)

// ExportEntities lists the entities an export job can read, in documentation order.
var ExportEntities = []Entity{EntityLeads, EntityLeadLabels, EntityLeadSources, EntityFilters, EntityFiles, EntityGoals, EntityTeams, EntitySearch}

// Export is what an export job (kind: export) reads and where it writes it.
type Export struct {
	Target Target
	// Sheets is one entry for a job that names entity, query and columns at the top level,
	// and one per sheet of a workbook job (sheets:, XLSX only).
	Sheets []ExportSheet
	// TimeZone is the zone dates and times are written in, and the {date} of the target's
	// name is taken in. Default UTC.
	TimeZone *time.Location
	// Incremental (leads only): export only the records updated since the last run's
	// bookmark, minus Lookback.
	Incremental bool
	Lookback    time.Duration
	// Download (files only) is the folder the files' contents are downloaded into; "" means
	// metadata only.
	Download string
}

// Target is the file an export writes.
type Target struct {
	Path      string // absolute; may hold {date}, {time} and {datetime}, taken at the run's start
	Format    string // "csv" or "xlsx", from the extension
	Delimiter rune   // CSV only; default ','
	BOM       bool   // CSV only: begin with a UTF-8 byte order mark (Excel then reads UTF-8)
	Append    bool   // CSV only: add the rows to the file instead of writing a new one
	// KeepFormulas writes text that starts with = + - @ TAB or CR as it is; by default such
	// cells are neutralized so that a spreadsheet never runs them.
	KeepFormulas bool
}

// ExportSheet is one entity's records, as one file or one sheet of a workbook.
type ExportSheet struct {
	Name   string // sheet name in an XLSX; default the entity
	Entity Entity
	// Query holds the API's query parameters for the entity's list operation (filter_id,
	// owner_id, type, term, …), checked when the job is loaded.
	Query url.Values
	// Archived (leads): "active" (default), "archived" or "all".
	Archived string
	// Sort (leads): the field pages are read in: add_time (default), update_time or id.
	// Incremental exports read by update_time.
	Sort string
	Desc bool
	// Conditions (filters): read each filter's conditions too (one request per filter).
	Conditions bool
	// ResultsStart and ResultsEnd (goals): read each goal's results for the period.
	ResultsStart, ResultsEnd string
	// Users (teams): read each team's users.
	Users   bool
	Columns []ExportColumn // empty: every documented field of the entity
	Line    int            // line of the sheet in the job file, for messages
}

// CellType is how an export column's values are written.
type CellType string

// The export cell types. CellAuto writes numbers as numbers, booleans as booleans and
// everything else as text; ids and phone-like text are never turned into numbers.
const (
	CellAuto     CellType = "auto"
	CellText     CellType = "text"
	CellNumber   CellType = "number"
	CellInt      CellType = "int"
	CellBool     CellType = "bool"
	CellDate     CellType = "date"
	CellDateTime CellType = "datetime"
)

// ExportColumn is one column of an export.
type ExportColumn struct {
	Field  string // dotted path in the record: title, value.amount, label_ids
	Header string
	Type   CellType
	// DateFormat is the Go layout dates and times are written with in CSV ("2006-01-02"
	// for dates and "2006-01-02 15:04:05" for date-times when empty); XLSX gets real dates.
	// The job file may say it as a spreadsheet user does (DD/MM/YYYY HH:mm): the loader
	// stores the Go layout that writes it (02/01/2006 15:04).
	DateFormat string
	// Lookup turns ids into names: lead_labels.name, teams.name or filters.name.
	Lookup string
	// Join separates the values of a list (label_ids) in one cell; default "; ".
	Join string
}

// exportTopKeys are the keys of an export job file.
var exportTopKeys = []string{"kind", "name", "entity", "query", "columns", "target", "sheets", "time_zone", "incremental", "download", "options"}

// exportLookups are the reverse lookups an export column may name.
var exportLookups = []string{"lead_labels.name", "teams.name", "filters.name"}

// queryKeys are the query keys each export entity accepts, mapped to how a value is
// checked: "int", "bool", "date", or an enum's values separated by '|'; "" accepts text.
var queryKeys = map[Entity]map[string]string{
	EntityLeads: {"archived": "active|archived|all", "filter_id": "int", "owner_id": "int", "person_id": "int",
		"organization_id": "int", "sort": "add_time|update_time|id|add_time DESC|update_time DESC|id DESC"},
	EntityLeadLabels:  {},
	EntityLeadSources: {},
	EntityFilters:     {"type": "deals|leads|org|people|products|activity|projects", "conditions": "bool"},
	EntityFiles:       {},
	EntityGoals: {"type.name": "deals_won|deals_progressed|activities_completed|activities_added|deals_started", "title": "",
		"is_active": "bool", "assignee.id": "int", "assignee.type": "person|company|team", "period.start": "date",
		"period.end": "date", "results.start": "date", "results.end": "date"},
	EntityTeams:  {"users": "bool", "order_by": "id|name|manager_id|active_flag"},
	EntitySearch: {"term": "", "item_types": "", "fields": "", "exact_match": "bool"},
}

var placeholder = regexp.MustCompile(`\{[^{}]*\}`)

// export loads an export job's keys; root is the job file's top-level mapping.
func (l *loader) export(root *yaml.Node) {
	j := l.job
	x := &Export{TimeZone: time.UTC}
	j.Export = x
	if n := l.lines["time_zone"]; n != nil {
		if s, ok := l.scalar(n, "time_zone"); ok {
			loc, err := time.LoadLocation(s)
			if err != nil {
				l.errAt(n, "time_zone %q is not a known IANA time zone (like Europe/Berlin or UTC)", s)
			} else {
				x.TimeZone = loc
			}
		}
	}
	l.target(l.lines["target"], root)
	if n := l.lines["sheets"]; n != nil {
		for _, k := range []string{"entity", "query", "columns"} {
			if l.lines[k] != nil {
				l.errAt(l.keys[k], "%s belongs in each entry of sheets in a workbook job", k)
			}
		}
		if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
			l.errAt(n, "sheets must be a list of {name, entity, query, columns}")
		} else {
			for _, it := range n.Content {
				it = deref(it)
				if it.Kind != yaml.MappingNode {
					l.errAt(it, "a sheet is a mapping of name, entity, query and columns, not a %s", kindName(it))
					continue
				}
				kv := map[string]*yaml.Node{}
				for _, p := range l.pairs(it, "sheets", []string{"name", "entity", "query", "columns"}) {
					kv[p[0].Value] = p[1]
				}
				l.exportSheet(it, kv)
			}
		}
		if x.Target.Format == "csv" && len(n.Content) > 1 {
			l.errAt(n, "a CSV file holds one sheet: write a workbook of several sheets to an .xlsx target")
		}
	} else {
		l.exportSheet(root, map[string]*yaml.Node{"entity": l.lines["entity"], "query": l.lines["query"], "columns": l.lines["columns"]})
	}
	names := map[string]int{}
	for _, s := range x.Sheets {
		if prev, dup := names[strings.ToLower(s.Name)]; dup {
			l.errAt(l.lines["sheets"], "sheet name %q is used twice (lines %d and %d)", s.Name, prev, s.Line)
		}
		names[strings.ToLower(s.Name)] = s.Line
	}
	if n := l.lines["incremental"]; n != nil {
		l.incremental(n)
	}
	if n := l.lines["download"]; n != nil {
		if s, ok := l.scalar(n, "download"); ok && s != "" {
			x.Download = l.path(s)
			if len(x.Sheets) != 1 || x.Sheets[0].Entity != EntityFiles {
				l.errAt(n, "download applies to an export of files only")
			}
		}
	}
	l.options(l.lines["options"])
	if !hasKey(l.lines["options"], "concurrency") {
		j.Options.Concurrency = DefaultExportConcurrency
	}
}

// DefaultExportConcurrency is how many pages an export reads at once unless the job says:
// more than an import's default, since reading a page costs the server little and the
// wait for its answer is most of an export's time.
const DefaultExportConcurrency = 8

// hasKey reports whether the mapping n has the key k.
func hasKey(n *yaml.Node, k string) bool {
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == k {
			return true
		}
	}
	return false
}

// target reads target: a path, or {path, delimiter, bom, append, formulas}.
func (l *loader) target(n, root *yaml.Node) {
	x := l.job.Export
	if n == nil {
		l.errAt(root, "missing key \"target\" (the CSV or XLSX file to write, like out/leads-{date}.xlsx)")
		return
	}
	kv := map[string]*yaml.Node{}
	if n.Kind == yaml.MappingNode {
		for _, p := range l.pairs(n, "target", []string{"path", "delimiter", "bom", "append", "formulas"}) {
			kv[p[0].Value] = p[1]
		}
	} else {
		kv["path"] = n
	}
	t := &x.Target
	t.Delimiter = ','
	pn := kv["path"]
	if pn == nil {
		l.errAt(n, "target needs a path")
		return
	}
	p, ok := l.scalar(pn, "target path")
	if !ok {
		return
	}
	for _, ph := range placeholder.FindAllString(p, -1) {
		if !slices.Contains([]string{"{date}", "{time}", "{datetime}"}, ph) {
			l.errAt(pn, "target path: unknown placeholder %s (use {date}, {time} or {datetime})", ph)
		}
	}
	t.Path = l.path(p)
	switch ext := strings.ToLower(filepath.Ext(p)); ext {
	case ".csv", ".txt":
		t.Format = "csv"
	case ".tsv":
		t.Format, t.Delimiter = "csv", '\t'
	case ".xlsx":
		t.Format = "xlsx"
	default:
		l.errAt(pn, "target path %q: use a .csv, .tsv or .xlsx file", p)
	}
	if d := kv["delimiter"]; d != nil {
		if s, ok := l.scalar(d, "delimiter"); ok {
			if r := []rune(s); len(r) != 1 || r[0] == '"' || r[0] == '\n' || r[0] == '\r' {
				l.errAt(d, "delimiter must be one character other than a quote or a line break, not %q", s)
			} else {
				t.Delimiter = r[0]
			}
		}
	}
	for key, dst := range map[string]*bool{"bom": &t.BOM, "append": &t.Append} {
		if b := kv[key]; b != nil {
			if v, ok := l.boolVal(b, key); ok {
				*dst = v
			}
		}
	}
	if f := kv["formulas"]; f != nil {
		if s, ok := l.enum(f, "formulas", []string{"neutralize", "keep"}); ok {
			t.KeepFormulas = s == "keep"
		}
	}
	if t.Format == "xlsx" {
		for _, k := range []string{"delimiter", "bom", "append"} {
			if kv[k] != nil {
				l.errAt(kv[k], "%s applies to CSV targets only", k)
			}
		}
	}
	if t.Append && placeholder.MatchString(p) {
		l.errAt(kv["append"], "append adds to one file: a target path with a {date} placeholder names a new file each run")
	}
}

// exportSheet reads one sheet (or the single entity of the job).
func (l *loader) exportSheet(at *yaml.Node, kv map[string]*yaml.Node) {
	x := l.job.Export
	s := ExportSheet{Line: at.Line, Archived: "active", Sort: "add_time"}
	en := kv["entity"]
	if en == nil {
		l.errAt(at, "missing key \"entity\" (one of %s)", entityList(ExportEntities))
		return
	}
	e, ok := l.enum(en, "entity", entityNames(ExportEntities))
	if !ok {
		return
	}
	s.Entity, s.Line = Entity(e), en.Line
	s.Name = e
	if n := kv["name"]; n != nil {
		if v, ok := l.scalar(n, "sheet name"); ok {
			s.Name = v
		}
	}
	if len(x.Sheets) == 0 && l.job.Entity == "" {
		l.job.Entity = s.Entity
	}
	l.exportQuery(kv["query"], &s)
	l.exportColumns(kv["columns"], &s)
	x.Sheets = append(x.Sheets, s)
}

func entityNames(list []Entity) []string {
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = string(e)
	}
	return out
}

func entityList(list []Entity) string { return strings.Join(entityNames(list), ", ") }

// exportQuery checks query: against the keys the entity accepts.
func (l *loader) exportQuery(n *yaml.Node, s *ExportSheet) {
	allowed := queryKeys[s.Entity]
	s.Query = url.Values{}
	if n == nil {
		if s.Entity == EntitySearch {
			l.errAt(l.keys["entity"], "an export of search results needs query.term")
		}
		return
	}
	if n.Kind != yaml.MappingNode {
		l.errAt(n, "query must be a mapping of the API's query parameters, not a %s", kindName(n))
		return
	}
	keys := make([]string, 0, len(allowed))
	for k := range allowed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, p := range l.pairs(n, "query of "+string(s.Entity), keys) {
		k, v := p[0].Value, p[1]
		val, ok := l.scalar(v, "query."+k)
		if !ok {
			continue
		}
		switch rule := allowed[k]; rule {
		case "int":
			if _, err := strconv.Atoi(val); err != nil || v.Tag != "!!int" {
				l.errAt(v, "query.%s must be a whole number, not %q", k, val)
				continue
			}
		case "bool":
			b, ok := l.boolVal(v, "query."+k)
			if !ok {
				continue
			}
			val = "0"
			if b {
				val = "1"
			}
		case "date":
			if _, err := time.Parse("2006-01-02", val); err != nil {
				l.errAt(v, "query.%s must be a date like 2026-01-31, not %q", k, val)
				continue
			}
		case "":
		default:
			if !slices.Contains(strings.Split(rule, "|"), val) {
				l.errAt(v, "query.%s %q is not one of %s", k, val, strings.ReplaceAll(rule, "|", ", "))
				continue
			}
		}
		switch k {
		case "archived":
			s.Archived = val
		case "sort":
			f := strings.Fields(val)
			s.Sort, s.Desc = f[0], len(f) == 2
		case "conditions":
			s.Conditions = val == "1"
		case "users":
			s.Users = val == "1"
		case "results.start":
			s.ResultsStart = val
		case "results.end":
			s.ResultsEnd = val
		default:
			s.Query.Set(k, val)
		}
	}
	if (s.ResultsStart == "") != (s.ResultsEnd == "") {
		l.errAt(n, "query.results.start and query.results.end go together (the period of each goal's results)")
	}
	if s.Entity == EntitySearch && s.Query.Get("term") == "" {
		l.errAt(n, "an export of search results needs query.term")
	}
	if t := s.Query.Get("term"); t != "" && len([]rune(strings.TrimSpace(t))) < 2 {
		l.errAt(n, "query.term must be at least 2 characters")
	}
}

// exportColumns reads columns: in order, `field: Header` or `field: {column, type,
// date_format, lookup, join}`; no columns means every documented field.
func (l *loader) exportColumns(n *yaml.Node, s *ExportSheet) {
	if n == nil {
		return
	}
	if n.Kind != yaml.MappingNode {
		l.errAt(n, "columns must be a mapping of field: column header, in the order to write them")
		return
	}
	known := FieldsOf(s.Entity)
	headers := map[string]int{}
	for _, p := range l.pairs(n, "columns", nil) {
		k, v := p[0], p[1]
		c := ExportColumn{Field: k.Value, Header: k.Value, Type: CellAuto, Join: "; "}
		if !slices.Contains(known, c.Field) && !openField(s.Entity, c.Field) {
			l.errAt(k, "%s has no field %q%s", s.Entity, c.Field, suggest(c.Field, known))
			continue
		}
		switch v.Kind {
		case yaml.ScalarNode:
			if v.Tag != "!!null" && v.Value != "" {
				c.Header = v.Value
			}
		case yaml.MappingNode:
			for _, q := range l.pairs(v, "column "+c.Field, []string{"column", "type", "date_format", "lookup", "join"}) {
				val, ok := l.scalar(q[1], q[0].Value)
				if !ok {
					continue
				}
				switch q[0].Value {
				case "column":
					c.Header = val
				case "type":
					types := []string{string(CellAuto), string(CellText), string(CellNumber), string(CellInt), string(CellBool), string(CellDate), string(CellDateTime)}
					if t, ok := l.enum(q[1], "type", types); ok {
						c.Type = CellType(t)
					}
				case "date_format":
					layout, msg := exportLayout(val)
					if msg != "" {
						l.errAt(q[1], "date_format %q: %s", val, msg)
					}
					c.DateFormat = layout
				case "lookup":
					if lk, ok := l.enum(q[1], "lookup", exportLookups); ok {
						c.Lookup = lk
					}
				case "join":
					c.Join = val
				}
			}
		default:
			l.errAt(v, "column %s must be a header or a mapping of column, type, date_format, lookup, join", c.Field)
			continue
		}
		if prev, dup := headers[c.Header]; dup {
			l.errAt(k, "column header %q is used twice (first at line %d)", c.Header, prev)
		}
		headers[c.Header] = k.Line
		s.Columns = append(s.Columns, c)
	}
}

// incremental reads incremental: true, or {lookback: 10m}.
func (l *loader) incremental(n *yaml.Node) {
	x := l.job.Export
	switch n.Kind {
	case yaml.ScalarNode:
		if b, ok := l.boolVal(n, "incremental"); ok {
			x.Incremental = b
		}
	case yaml.MappingNode:
		x.Incremental = true
		for _, p := range l.pairs(n, "incremental", []string{"lookback"}) {
			if s, ok := l.scalar(p[1], "lookback"); ok {
				d, err := time.ParseDuration(s)
				if err != nil || d < 0 {
					l.errAt(p[1], "lookback must be a duration like 10m or 2h, not %q", s)
				}
				x.Lookback = d
			}
		}
	default:
		l.errAt(n, "incremental must be true, false or {lookback: 10m}")
		return
	}
	if x.Incremental && (len(x.Sheets) != 1 || x.Sheets[0].Entity != EntityLeads) {
		l.errAt(n, "incremental applies to an export of leads (the only list with an update_time order)")
	}
	if x.Incremental && len(x.Sheets) == 1 && x.Sheets[0].Archived == "all" {
		l.errAt(n, "an incremental export reads active or archived leads, not both")
	}
	if x.Incremental && x.Target.Path != "" && !x.Target.Append && !eachRunNamed(x.Target.Path) {
		at := l.lines["target"]
		if at != nil && at.Kind == yaml.MappingNode {
			at = valueOf(at, "path")
		}
		l.errAt(at, "an incremental export writes only what changed since the last run, so each run needs its own file: "+
			"put {datetime} (or {date} and {time}) in the target's name, like out/leads-{datetime}.csv, or append to one CSV "+
			"with target: {path: out/leads.csv, append: true}; this name would replace the last run's file")
	}
}

// eachRunNamed reports whether the target path template names a different file for every
// run: it holds {datetime}, or both {date} and {time}, which change with every second. A
// fixed name, or {date} alone (two runs in a day), or {time} alone (a daily run at one
// time), names the same file twice.
func eachRunNamed(path string) bool {
	ph := placeholder.FindAllString(path, -1)
	return slices.Contains(ph, "{datetime}") || slices.Contains(ph, "{date}") && slices.Contains(ph, "{time}")
}

// valueOf returns the value of key k in mapping n, or n when there is none.
func valueOf(n *yaml.Node, k string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == k {
			return n.Content[i+1]
		}
	}
	return n
}

// listSchema is the seed's answer schema of each export entity's list operation.
var listSchema = map[Entity]string{
	EntityLeads: "LeadsGetAllResponse", EntityLeadLabels: "LeadLabelsGetAllResponse",
	EntityLeadSources: "LeadSourcesGetAllResponse", EntityFilters: "FiltersGetAllResponse",
	EntityFiles: "FilesGetAllFilesResponse", EntityGoals: "GoalsGetByCriteriaResponse",
}

// fixedFields are the fields of entities whose list the seed does not describe.
var fixedFields = map[Entity][]string{
	EntityTeams:  {"id", "name", "description", "manager_id", "users", "active_flag", "deleted_flag", "add_time", "created_by_user_id"},
	EntitySearch: {"item.id", "item.type", "item.title", "item.name", "result_score", "item.owner.id", "item.person.name", "item.organization.name", "item.emails", "item.phones"},
}

// FieldsOf lists every documented field of an export entity's records, as dotted paths of
// leaves: id first, then title or name, then the rest in alphabetical order. It is what an
// export job with no columns writes.
func FieldsOf(e Entity) []string {
	if f, ok := fixedFields[e]; ok {
		return f
	}
	sch, ok := spec.Schema(listSchema[e])
	if !ok {
		return nil
	}
	data, _ := props(sch)["data"].(map[string]any)
	if items, ok := data["items"].(map[string]any); ok {
		data = items
	}
	if e == EntityGoals { // data.goals[]
		g, _ := props(data)["goals"].(map[string]any)
		data, _ = g["items"].(map[string]any)
	}
	var out []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range props(m) {
			vm, _ := v.(map[string]any)
			if len(props(vm)) > 0 {
				walk(prefix+k+".", vm)
				continue
			}
			out = append(out, prefix+k)
		}
	}
	walk("", data)
	if e == EntityFilters {
		out = append(out, "conditions") // with query.conditions
	}
	rank := func(f string) int {
		switch f {
		case "id":
			return 0
		case "title", "name":
			return 1
		}
		return 2
	}
	sort.Slice(out, func(a, b int) bool {
		if ra, rb := rank(out[a]), rank(out[b]); ra != rb {
			return ra < rb
		}
		return out[a] < out[b]
	})
	return out
}

// props returns the properties of a JSON schema object, merged across allOf.
func props(v any) map[string]any {
	m, _ := v.(map[string]any)
	out := map[string]any{}
	if p, ok := m["properties"].(map[string]any); ok {
		for k, v := range p {
			out[k] = v
		}
	}
	if all, ok := m["allOf"].([]any); ok {
		for _, a := range all {
			for k, v := range props(a) {
				out[k] = v
			}
		}
	}
	return out
}

// openField reports whether field lies under an object whose keys the API does not list
// (goal type params, filter conditions), where any sub-path is allowed.
func openField(e Entity, field string) bool {
	for _, prefix := range []string{"type.params.", "conditions.", "item.", "results."} {
		if strings.HasPrefix(field, prefix) {
			return true
		}
	}
	_ = e
	return false
}

// String describes the sheet for messages: "leads (archived, filter_id=3)".
func (s ExportSheet) String() string {
	var parts []string
	if s.Entity == EntityLeads && s.Archived != "active" {
		parts = append(parts, s.Archived)
	}
	keys := make([]string, 0, len(s.Query))
	for k := range s.Query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+s.Query.Get(k))
	}
	if len(parts) == 0 {
		return string(s.Entity)
	}
	return fmt.Sprintf("%s (%s)", s.Entity, strings.Join(parts, ", "))
}

// exportLayout turns an export column's date_format into the Go layout that writes it, or
// explains why it cannot. A spreadsheet format (DD/MM/YYYY, MM/DD/YYYY HH:mm, YYYY-MM-DD,
// hh:mm AM/PM) needs a year, a month and a day, as an import's date_format does, and is
// written as spreadsheets show it: DD and MM with a leading zero, D and M without. A Go
// layout (02/01/2006) is taken as it is.
func exportLayout(format string) (layout, msg string) {
	if strings.TrimSpace(format) == "" {
		return "", "the format is empty: write it as DD/MM/YYYY, MM/DD/YYYY or YYYY-MM-DD, or leave date_format out for ISO dates"
	}
	if strings.Contains(format, "%") {
		return format, "strftime directives (%d, %m, %Y) are not read here: write it as DD/MM/YYYY, MM/DD/YYYY HH:mm or YYYY-MM-DD, or as a Go layout such as 02/01/2006"
	}
	if !mapping.IsSpreadsheetFormat(format) {
		msg := checkLayout(format)
		if l := strings.ToLower(format); msg != "" && (strings.Contains(l, "hh") || strings.Contains(l, "mm")) {
			msg = "a time without a date: write the date too, as DD/MM/YYYY HH:mm or MM/DD/YYYY hh:mm AM/PM (or as a Go layout such as 02/01/2006 15:04)"
		}
		return format, msg
	}
	if err := mapping.CheckDateFormat(format); err != nil {
		return format, strings.TrimPrefix(err.Error(), fmt.Sprintf("date format %q ", format))
	}
	read := mapping.GoLayout(format)
	layout = padLayout(format, read)
	// What the export writes reads back under the same date_format in an import job.
	if t, err := time.Parse(read, refTime.Format(layout)); err != nil || !t.Equal(refTime.Truncate(layoutPrecision(read))) {
		return read, ""
	}
	return layout, ""
}

// layoutPrecision is the smallest unit a layout writes: a second, a minute, an hour or a day.
func layoutPrecision(layout string) time.Duration {
	t := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, d := range []time.Duration{time.Second, time.Minute, time.Hour} {
		if t.Add(d).Format(layout) != t.Format(layout) {
			return d
		}
	}
	return 24 * time.Hour
}

// layoutElems are the Go layout elements mapping.GoLayout writes for each spreadsheet
// letter, longest first.
var layoutElems = map[byte][]string{
	'y': {"2006", "06"}, 'm': {"January", "Jan", "1", "4"}, 'd': {"Monday", "Mon", "2"},
	'h': {"15", "3"}, 's': {"5"},
}

// padLayout walks a spreadsheet format and the Go layout mapping.GoLayout read from it side
// by side (GoLayout decides what each letter is, minute or month) and writes a number of two
// letters (DD, MM, hh, mm, ss) with its leading zero. It returns read unchanged if the two
// do not line up.
func padLayout(format, read string) string {
	var b strings.Builder
	j := 0
	for i := 0; i < len(format); {
		if strings.HasPrefix(strings.ToUpper(format[i:]), "AM/PM") {
			if !strings.HasPrefix(read[j:], "PM") {
				return read
			}
			b.WriteString("PM")
			i, j = i+5, j+2
			continue
		}
		c := format[i] | 0x20
		elems, letter := layoutElems[c]
		if !letter || format[i] < 'A' {
			if j >= len(read) || read[j] != format[i] {
				return read
			}
			b.WriteByte(format[i])
			i, j = i+1, j+1
			continue
		}
		n := 0
		for i+n < len(format) && format[i+n]|0x20 == c {
			n++
		}
		elem := ""
		for _, e := range elems {
			if strings.HasPrefix(read[j:], e) {
				elem = e
				break
			}
		}
		if elem == "" {
			return read
		}
		if n >= 2 && len(elem) == 1 {
			b.WriteString("0" + elem)
		} else {
			b.WriteString(elem)
		}
		i, j = i+n, j+len(elem)
	}
	if j != len(read) {
		return read
	}
	return b.String()
}
