package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pdbulk/pdbulk/mapping"
	"github.com/pdbulk/pdbulk/sheet"
)

// guess is how Draft maps a header to a field.
type guess struct {
	field   string
	names   []string // normalized header names that map to field
	extra   string   // the rest of the long form, "" = short form
	comment string
}

var guesses = map[Entity][]guess{
	EntityLeads: {
		{field: "id", names: []string{"id", "lead id", "pipedrive id"}, comment: "the Pipedrive id: used by match_on [id]"},
		{field: "title", names: []string{"title", "lead title", "name", "lead name", "subject", "deal name", "lead", "deal title"}},
		{field: "value.amount", names: []string{"amount", "value", "deal value", "lead value", "price", "revenue"}, extra: "type: number"},
		{field: "value.currency", names: []string{"currency", "currency code"}},
		{field: "expected_close_date", names: []string{"expected close date", "close date", "close", "closing date", "expected close", "due date"}},
		{field: "label_ids", names: []string{"label", "labels", "tags", "tag", "lead label", "lead labels"},
			extra: `split: ";", lookup: lead_labels.name, create_missing: true`},
		{field: "person_id", names: []string{"email", "e mail", "contact email", "contact e mail", "person email", "person e mail", "email address", "e mail address"}, extra: "lookup: persons.email"},
		{field: "person_id", names: []string{"person", "contact", "contact name", "person name", "contact person", "contact person name"}, extra: "lookup: persons.name"},
		{field: "organization_id", names: []string{"organization", "organisation", "company", "org", "account", "company name", "organization name", "organisation name", "org name"}, extra: "lookup: organizations.name"},
		{field: "owner_id", names: []string{"owner id", "owner", "user", "owner user", "sales rep"}, extra: "type: int"},
		{field: "visible_to", names: []string{"visible to", "visibility"}},
		{field: "was_seen", names: []string{"was seen", "seen"}, extra: "type: bool"},
	},
	EntityLeadLabels: {
		{field: "id", names: []string{"id", "label id"}},
		{field: "name", names: []string{"name", "label", "label name"}},
		{field: "color", names: []string{"color", "colour"}, extra: "lowercase: true"},
	},
	EntityFilters: {
		{field: "id", names: []string{"id", "filter id"}},
		{field: "name", names: []string{"name", "filter", "filter name"}},
		{field: "type", names: []string{"type", "filter type"}},
		{field: "conditions", names: []string{"conditions", "condition", "conditions json"}, extra: "type: json"},
	},
	EntityGoals: {
		{field: "id", names: []string{"id", "goal id"}},
		{field: "title", names: []string{"title", "goal", "name", "goal title"}},
		{field: "type", names: []string{"type", "goal type", "type json", "goal type json"}, extra: "type: json"},
		{field: "assignee", names: []string{"assignee", "assignee json"}, extra: "type: json"},
		{field: "expected_outcome", names: []string{"expected outcome", "target", "outcome", "expected outcome json", "target json", "outcome json"}, extra: "type: json"},
		{field: "duration", names: []string{"duration", "period", "duration json", "period json"}, extra: "type: json"},
		{field: "duration.start", names: []string{"start", "start date", "period start", "from"}, extra: "type: date"},
		{field: "duration.end", names: []string{"end", "end date", "period end", "to", "until"}, extra: "type: date"},
		{field: "interval", names: []string{"interval"}, extra: "lowercase: true"},
	},
	EntityTeams: {
		{field: "id", names: []string{"id", "team id"}},
		{field: "name", names: []string{"name", "team", "team name"}},
		{field: "manager_id", names: []string{"manager", "manager id", "manager user id", "manager user"}},
		{field: "description", names: []string{"description", "about"}},
		{field: "users", names: []string{"users", "members", "user ids", "member ids"}, extra: `split: ","`},
	},
	EntityFiles: {
		{field: "id", names: []string{"id", "file id"}},
		{field: "file", names: []string{"file", "path", "file path", "filename", "file name", "document", "attachment"}},
		{field: "lead_id", names: []string{"lead", "lead key", "lead external id"}, extra: "lookup: ids.leads"},
		{field: "lead_id", names: []string{"lead id"}},
		{field: "deal_id", names: []string{"deal id", "deal"}},
		{field: "person_id", names: []string{"person id", "person"}},
		{field: "org_id", names: []string{"org id", "organization id", "organization"}},
		{field: "product_id", names: []string{"product id", "product"}},
		{field: "activity_id", names: []string{"activity id", "activity"}},
	},
}

// normHeader folds a header for matching: lower case, words separated by one space, a
// word boundary inside camel case (OrgId, PersonID) counted as a space.
func normHeader(h string) string {
	var b strings.Builder
	var prev rune
	for _, r := range h {
		if unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)) {
			b.WriteRune(' ')
		}
		b.WriteRune(r)
		prev = r
	}
	f := strings.FieldsFunc(strings.ToLower(b.String()), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	return strings.Join(f, " ")
}

// quote writes s as a YAML double-quoted scalar (Go escapes are valid YAML escapes).
func quote(s string) string { return strconv.Quote(s) }

// DraftSource is what a draft is written from: where the job finds its source, where the
// header and the data are, and the first data rows, whose values decide the types and
// formats the draft proposes.
type DraftSource struct {
	Path       string      // the source as the job names it (relative to the job's folder)
	Sheet      string      // XLSX: the sheet by name, "" for the first (or SheetIndex)
	SheetIndex int         // XLSX: the sheet by number, 0 for the first
	HeaderRow  int         // the row of the column names; 0 or 1 is the default
	Encoding   string      // CSV: written when it is not utf-8
	Header     []string    // the column names
	Rows       []sheet.Row // data rows sampled; cells in header order
	Notes      []string    // what was chosen and why, written as comments at the top
	FilesRoot  string      // files: the folder the file paths start from, as the job names it
}

// Draft returns a commented job file for entity that reads sourcePath (written as given:
// relative to the folder where the job file will be saved) and maps the columns of header
// to the fields they most likely fill: DraftJob without data rows.
func Draft(entity Entity, sourcePath string, header []string) ([]byte, error) {
	return DraftJob(entity, DraftSource{Path: sourcePath, Header: header})
}

// DraftJob returns a commented job file for entity that reads src. Columns are mapped to
// the fields they most likely fill, by name (id columns such as "Org ID" or "Contact
// Person ID" to the id fields, as whole numbers); the sampled rows decide number formats
// (decimal_comma), date formats (day or month first), list separators (split). Sheet,
// header row and encoding are written when they are not the defaults. Headers it cannot
// place are listed as comments. Load accepts the draft once the required fields are
// mapped.
func DraftJob(entity Entity, src DraftSource) ([]byte, error) {
	table, ok := guesses[entity]
	if !ok {
		return nil, fmt.Errorf("jobs: draft: unknown entity %q (one of leads, lead_labels, filters, goals, teams, files)", entity)
	}
	sourcePath, header := src.Path, src.Header
	if sourcePath == "" {
		return nil, fmt.Errorf("jobs: draft: no source file")
	}
	var b bytes.Buffer
	base := strings.TrimSuffix(filepath.Base(sourcePath), filepath.Ext(sourcePath))
	fmt.Fprintf(&b, "# pdbulk job drafted from the header row of %s.\n", oneLine(filepath.Base(sourcePath)))
	for _, n := range src.Notes {
		fmt.Fprintf(&b, "# %s\n", oneLine(n))
	}
	b.WriteString("# Check every mapping, then: pdbulk validate THIS_FILE, and pdbulk run THIS_FILE --dry-run.\n")
	b.WriteString("# Reference of every key: docs/jobs.md.\n")
	b.WriteString("kind: import\n")
	fmt.Fprintf(&b, "entity: %s\n", entity)
	fmt.Fprintf(&b, "source: {path: %s", quote(sourcePath))
	if sourceFormat(sourcePath) == "xlsx" {
		switch {
		case src.Sheet != "":
			fmt.Fprintf(&b, ", sheet: %s", quote(src.Sheet))
		case src.SheetIndex > 1:
			fmt.Fprintf(&b, ", sheet: %d", src.SheetIndex)
		}
	}
	if src.HeaderRow > 1 {
		fmt.Fprintf(&b, ", header_row: %d", src.HeaderRow)
	}
	if src.Encoding != "" && src.Encoding != "utf-8" && sourceFormat(sourcePath) != "xlsx" {
		fmt.Fprintf(&b, ", encoding: %s", src.Encoding)
	}
	b.WriteString("}\n")
	b.WriteString("mode: create               # create | update | upsert | delete")
	if entity == EntityLeads {
		b.WriteString(" | archive")
	}
	b.WriteString("\n")

	used := map[string]bool{}  // fields already mapped
	taken := map[string]bool{} // headers already mapped
	var lines []string
	mapped := map[string]string{} // field → header
	for col, h := range header {
		n := normHeader(h)
		if n == "" || taken[h] {
			continue
		}
		g, byID := matchGuess(table, used, n)
		if g == nil {
			continue
		}
		used[g.field], taken[h], mapped[g.field] = true, true, h
		props, note := propose(g, byID, columnValues(src.Rows, col))
		line := fmt.Sprintf("  %s: %s", g.field, quote(h))
		if len(props) > 0 {
			line = fmt.Sprintf("  %s: {column: %s, %s}", g.field, quote(h), strings.Join(props, ", "))
		}
		switch {
		case note != "":
			line += "  # " + note
		case g.comment != "":
			line += "  # " + g.comment
		}
		lines = append(lines, line)
	}
	if _, ok := mapped["id"]; ok {
		b.WriteString("# match_on: [id]           # needed by update, upsert, delete")
	} else if t, ok := mapped[titleField(entity)]; ok {
		fmt.Fprintf(&b, "# match_on: [%s]         # needed by update, upsert, delete (matches on column %s)", titleField(entity), quote(t))
	} else {
		b.WriteString("# match_on: [id]           # needed by update, upsert, delete")
	}
	b.WriteString("\n")
	for _, h := range header {
		if !taken[h] && (normHeader(h) == "external id" || normHeader(h) == "key") {
			fmt.Fprintf(&b, "# key: %s            # lets later jobs (files) find these records by this column\n", quote(h))
			break
		}
	}
	// With no field line, YAML would read "columns:" as no mapping at all, and validate would
	// not say which field to map. Field lines: the columns mapped (a currency only comes with
	// an amount), and a label's default colour.
	b.WriteString("columns:")
	if len(lines) == 0 && entity != EntityLeadLabels {
		b.WriteString(" {}")
	}
	b.WriteString("\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	if len(lines) == 0 {
		b.WriteString("  # no column was recognised: map fields as  field: Column Name\n")
	}
	switch entity {
	case EntityLeads:
		if !used["person_id"] && !used["organization_id"] {
			b.WriteString("  # person_id: {column: Contact email, lookup: persons.email}   # a lead needs a person or an organization\n")
		}
		if used["value.amount"] && !used["value.currency"] {
			b.WriteString("  value.currency: {value: EUR}   # the currency of every amount: check it\n")
		}
	case EntityLeadLabels:
		if !used["color"] {
			b.WriteString("  color: {value: gray}           # blue, brown, dark-gray, gray, green, orange, pink, purple, red or yellow\n")
		}
	}
	var rest []string
	for col, h := range header {
		if !taken[h] && strings.TrimSpace(h) != "" {
			r := oneLine(h)
			if what := describeValues(columnValues(src.Rows, col)); what != "" {
				r += "   (" + what + ")"
			}
			rest = append(rest, r)
		}
	}
	if len(rest) > 0 {
		b.WriteString("  # Columns not mapped (map them as  field: Column Name, or leave them out):\n")
		for _, r := range rest {
			fmt.Fprintf(&b, "  #   %s\n", r)
		}
	}
	b.WriteString("options: {max_rejects: 0, duplicates: first}   # concurrency adapts by itself; concurrency: N pins it\n")
	fmt.Fprintf(&b, "reports: {success: %s, rejects: %s}\n",
		quote("out/"+safeName(base)+".success.csv"), quote("out/"+safeName(base)+".rejects.csv"))
	if entity == EntityFiles {
		root := src.FilesRoot
		if root == "" {
			root = "."
		}
		fmt.Fprintf(&b, "files: {root: %s}             # the folder the file paths in the sheet start from\n", quote(root))
	}
	return b.Bytes(), nil
}

// matchGuess finds the field a header (normalized as n) fills: by one of its names, else,
// for an id column ("Org ID", "Contact Person Id"), the id field whose names hold what
// comes before "id". byID tells the second case: the column holds Pipedrive ids.
func matchGuess(table []guess, used map[string]bool, n string) (g *guess, byID bool) {
	for i := range table {
		if !used[table[i].field] && slices.Contains(table[i].names, n) {
			return &table[i], false
		}
	}
	stem, ok := strings.CutSuffix(n, " id")
	if !ok {
		stem, ok = strings.CutSuffix(n, " ids")
	}
	if !ok || stem == "" {
		return nil, false
	}
	for i := range table {
		f := table[i].field
		if !used[f] && (strings.HasSuffix(f, "_id") || strings.HasSuffix(f, "_ids")) && slices.Contains(table[i].names, stem) {
			return &table[i], true
		}
	}
	return nil, false
}

// propose returns the properties of a mapped field beyond its column: those of its
// guess, adjusted to the sampled values; and a note for the user to check, if any.
func propose(g *guess, byID bool, vals []sheet.Cell) (props []string, note string) {
	if g.extra != "" {
		props = strings.Split(g.extra, ", ")
	}
	if byID {
		// The column holds ids, not names to look up.
		props = slices.DeleteFunc(props, func(p string) bool {
			return strings.HasPrefix(p, "lookup:") || strings.HasPrefix(p, "create_missing:") || strings.HasPrefix(p, "type:")
		})
		if !strings.HasSuffix(g.field, "_ids") {
			props = append([]string{"type: int"}, props...)
		}
	}
	for i, p := range props {
		if strings.HasPrefix(p, "split:") {
			if sep := listSeparator(vals); sep != "" {
				props[i] = "split: " + quote(sep)
			}
		}
	}
	if slices.Contains(props, "type: number") && decimalComma(vals) {
		props = append(props, "decimal_comma: true")
	}
	if dateFields[g.field] {
		var f string
		if f, note = dateFormat(vals); f != "" {
			props = append(props, "date_format: "+quote(f))
		}
	}
	return props, note
}

// dateFields are the fields of type date a draft may map.
var dateFields = map[string]bool{"expected_close_date": true, "duration.start": true, "duration.end": true}

// columnValues returns the non-empty cells of column col in rows.
func columnValues(rows []sheet.Row, col int) []sheet.Cell {
	var out []sheet.Cell
	for _, r := range rows {
		if col < len(r.Cells) && strings.TrimSpace(r.Cells[col].Text) != "" {
			out = append(out, r.Cells[col])
		}
	}
	return out
}

var (
	commaDecimal = regexp.MustCompile(`^[-+]?[0-9]{1,3}(\.[0-9]{3})*,[0-9]+$|^[-+]?[0-9]+,[0-9]+$`)
	dotDecimal   = regexp.MustCompile(`^[-+]?[0-9]{1,3}(,[0-9]{3})*\.[0-9]+$|^[-+]?[0-9]+\.[0-9]+$`)
	plainNumber  = regexp.MustCompile(`^[-+]?[0-9]+([.,][0-9]+)?$`)
)

// decimalComma reports whether the text values write decimals with a comma: some do
// (with other than three digits after it, or with points grouping thousands), none with
// a decimal point.
func decimalComma(vals []sheet.Cell) bool {
	comma := 0
	for _, c := range vals {
		if c.Kind != sheet.KindString {
			continue
		}
		t := strings.TrimSpace(c.Text)
		if dotDecimal.MatchString(t) && !commaDecimal.MatchString(t) {
			return false
		}
		if commaDecimal.MatchString(t) {
			_, frac, _ := strings.Cut(t, ",")
			if len(frac) != 3 || strings.Contains(t, ".") {
				comma++
			}
		}
	}
	return comma > 0
}

// dateFormat returns the date format under which every text value reads, "" when they
// are ISO dates (the default) or workbook dates, with a note when the values leave the
// order open.
func dateFormat(vals []sheet.Cell) (format, note string) {
	var fits map[string]bool
	count := map[string]int{}
	texts := 0
	for _, c := range vals {
		if c.Kind != sheet.KindString {
			continue
		}
		t := strings.TrimSpace(c.Text)
		texts++
		orders := mapping.DateOrders(t)
		if _, err := time.Parse(time.DateOnly, t); err == nil {
			orders = []string{"YYYY-MM-DD"}
		} else if _, err := time.Parse(time.RFC3339, t); err == nil {
			orders = []string{"YYYY-MM-DD"}
		}
		set := map[string]bool{}
		for _, o := range orders {
			set[o] = true
			count[o]++
		}
		if fits == nil {
			fits = set
			continue
		}
		for o := range fits {
			if !set[o] {
				delete(fits, o)
			}
		}
	}
	if texts == 0 {
		return "", ""
	}
	var left []string
	for o := range fits {
		left = append(left, o)
	}
	slices.Sort(left)
	if len(left) == 0 {
		// No one order reads every value: the one that reads most.
		best := ""
		for o, n := range count {
			if n > count[best] || n == count[best] && o < best {
				best = o
			}
		}
		if best == "" {
			return "", ""
		}
		return best, fmt.Sprintf("%d of %d sampled dates read as %s: check the others", count[best], texts, best)
	}
	if slices.Contains(left, "YYYY-MM-DD") {
		return "", ""
	}
	for _, o := range left {
		if strings.HasPrefix(o, "DD") {
			if len(left) > 1 {
				return o, fmt.Sprintf("every sampled date reads as %s and as %s: check which the sheet uses", left[0], left[len(left)-1])
			}
			return o, ""
		}
	}
	return left[0], ""
}

// listSeparator returns the separator of lists in the values (";", "," or "|"), "" when
// no value holds one.
func listSeparator(vals []sheet.Cell) string {
	best, bestN := "", 0
	for _, sep := range []string{";", ",", "|"} {
		n := 0
		for _, c := range vals {
			n += strings.Count(c.Text, sep)
		}
		if n > bestN {
			best, bestN = sep, n
		}
	}
	return best
}

// describeValues says what an unmapped column holds, for its comment: "numbers",
// "dates DD/MM/YYYY", "text"; "" when nothing was sampled.
func describeValues(vals []sheet.Cell) string {
	if len(vals) == 0 {
		return ""
	}
	nums, dates := 0, 0
	for _, c := range vals {
		t := strings.TrimSpace(c.Text)
		switch {
		case c.Kind == sheet.KindNumber || c.Kind == sheet.KindString && plainNumber.MatchString(t):
			nums++
		case c.Kind == sheet.KindDate || c.Kind == sheet.KindDateTime || c.Kind == sheet.KindString && len(mapping.DateOrders(t)) > 0:
			dates++
		}
	}
	switch {
	case nums == len(vals):
		return "numbers"
	case dates == len(vals):
		if f, _ := dateFormat(vals); f != "" {
			return "dates " + f
		}
		return "dates"
	}
	return "text"
}

func titleField(e Entity) string {
	switch e {
	case EntityLeads, EntityGoals:
		return "title"
	case EntityFiles:
		return "file"
	}
	return "name"
}

// oneLine makes a header safe inside a YAML comment.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, s)
}

func safeName(s string) string {
	out := strings.Map(func(r rune) rune {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-') {
			return r
		}
		return '_'
	}, s)
	if out == "" {
		return "job"
	}
	return out
}

// InspectOptions tell Inspect what the user fixed; the rest it finds.
type InspectOptions struct {
	// Sheet is the XLSX sheet as init --sheet gives it: a name, or a number (1 is the
	// first) when no sheet has that name. "" finds the sheet that holds data.
	Sheet string
	// HeaderRow is the row of the column names; 0 finds it.
	HeaderRow int
	// SampleRows is how many data rows are read for types and formats; 0 means 500.
	SampleRows int
}

// maxSheetsScanned bounds the sheets Inspect reads to find the one holding data.
const maxSheetsScanned = 32

// Inspect reads the top of the spreadsheet at path and returns what a draft needs: the
// sheet that holds data (the one whose table has the most cells among the first rows,
// unless o names one), the header row (the first row that looks like one: names only,
// no number or date, no gap and no repeat, two thirds as wide as the rows below it;
// banners, titles and blank rows above it are passed over), the header, sampled data
// rows and the encoding. Notes say what it chose. Path is left for the caller to set.
func Inspect(ctx context.Context, path string, o InspectOptions) (DraftSource, error) {
	n := o.SampleRows
	if n <= 0 {
		n = 500
	}
	peekN := n + 50 // rows above the header too
	if o.HeaderRow > 0 {
		peekN = n + o.HeaderRow
	}
	var src DraftSource
	opts := sheet.Options{}
	if o.Sheet != "" {
		opts.Sheet = o.Sheet
	}
	p, err := sheet.Peek(ctx, path, opts, peekN)
	var fe *sheet.FileError
	if err != nil && o.Sheet != "" && errors.Is(err, sheet.ErrSheetNotFound) && errors.As(err, &fe) {
		// Not a sheet name: a number, as a job's sheet: 2.
		if i, aerr := strconv.Atoi(strings.TrimSpace(o.Sheet)); aerr == nil && i > 0 {
			opts = sheet.Options{SheetIndex: i}
			p, err = sheet.Peek(ctx, path, opts, peekN)
		}
	}
	if err != nil {
		return src, err
	}
	if p.Sheets != nil {
		pos := slices.Index(p.Sheets, p.Sheet) + 1
		if o.Sheet == "" && len(p.Sheets) > 1 {
			best, bestScore := p, tableScore(p.Rows, o.HeaderRow)
			for i := range p.Sheets[1:min(len(p.Sheets), maxSheetsScanned)] {
				q, err := sheet.Peek(ctx, path, sheet.Options{SheetIndex: i + 2}, peekN)
				if err != nil {
					continue
				}
				if sc := tableScore(q.Rows, o.HeaderRow); sc > bestScore {
					best, bestScore, pos = q, sc, i+2
				}
			}
			if best != p {
				src.Notes = append(src.Notes, fmt.Sprintf("init read sheet %q (sheet %d of %d), the one holding a table; give --sheet to read another.", best.Sheet, pos, len(p.Sheets)))
			} else if bestScore > 0 {
				src.Notes = append(src.Notes, fmt.Sprintf("init read sheet %q (the first of %d), the one holding a table; give --sheet to read another.", best.Sheet, len(p.Sheets)))
			}
			p = best
		}
		switch {
		case pos > 1 && opts.SheetIndex > 0:
			src.SheetIndex = pos // given by number: written so
		case pos > 1:
			src.Sheet = p.Sheet
		}
	}
	rows := p.Rows
	if len(rows) == 0 {
		return src, &sheet.FileError{Path: path, Sheet: p.Sheet, Err: fmt.Errorf("%w: no row holds a value", sheet.ErrEmptyFile)}
	}
	hi := 0
	if o.HeaderRow > 0 {
		hi = slices.IndexFunc(rows, func(r sheet.Row) bool { return r.Num >= o.HeaderRow })
		if hi < 0 || rows[hi].Num != o.HeaderRow {
			return src, &sheet.FileError{Path: path, Sheet: p.Sheet, Err: fmt.Errorf("%w: header row %d holds no value", sheet.ErrNoHeader, o.HeaderRow)}
		}
	} else {
		hi = findHeader(rows)
		if rows[hi].Num != 1 {
			src.Notes = append(src.Notes, fmt.Sprintf("init took row %d as the header: the first row that reads as column names (the rows above it are a title, notes or blank).", rows[hi].Num))
		}
	}
	src.HeaderRow = rows[hi].Num
	if p.Sheets == nil && len(rows[hi].Cells) >= sheet.MaxColumns {
		// The sample holds the first MaxColumns cells of a CSV row (an XLSX sheet has no
		// more): a wider header is one the reader refuses, and a draft of it one that
		// validate would refuse.
		r, err := sheet.Open(path, sheet.Options{HeaderRow: src.HeaderRow})
		if err != nil {
			return src, err
		}
		r.Close()
	}
	src.Header = headerNames(rows[hi])
	src.Rows = rows[hi+1:]
	if len(src.Rows) > n {
		src.Rows = src.Rows[:n]
	}
	src.FilesRoot = filesRoot(path, src.Header, src.Rows)
	if p.Sheets == nil {
		src.Encoding = p.Encoding
		if p.Encoding != "utf-8" {
			src.Notes = append(src.Notes, fmt.Sprintf("init read the file as %s%s.", p.Encoding, map[bool]string{true: " (it is not UTF-8 and has no byte order mark)", false: " (from its byte order mark)"}[p.Notice != ""]))
		}
	}
	return src, nil
}

// headerNames returns the trimmed names of a header row, trailing empty ones dropped.
func headerNames(r sheet.Row) []string {
	h := make([]string, len(r.Cells))
	for i, c := range r.Cells {
		h[i] = strings.TrimSpace(c.Text)
	}
	for len(h) > 0 && h[len(h)-1] == "" {
		h = h[:len(h)-1]
	}
	return h
}

// filled returns how many cells of r hold a value, and the width up to its last one.
func filled(r sheet.Row) (n, width int) {
	for i, c := range r.Cells {
		if strings.TrimSpace(c.Text) != "" || c.Kind != sheet.KindEmpty && c.Kind != sheet.KindString {
			n++
			width = i + 1
		}
	}
	return n, width
}

// looksLikeHeader reports whether r reads as column names: every value text that is not
// a number or a date, names without a gap before the last and without a repeat.
func looksLikeHeader(r sheet.Row) bool {
	names := headerNames(r)
	if len(names) == 0 {
		return false
	}
	seen := map[string]bool{}
	for i, name := range names {
		c := r.Cells[i]
		if name == "" || seen[name] || c.Kind != sheet.KindString {
			return false
		}
		if plainNumber.MatchString(name) || len(mapping.DateOrders(name)) > 0 {
			return false
		}
		if _, err := time.Parse(time.DateOnly, name); err == nil {
			return false
		}
		seen[name] = true
	}
	return true
}

// findHeader returns the index in rows of the first row that looks like a header and is
// at least two thirds as wide as the widest of the ten rows below it; 0 when none does.
func findHeader(rows []sheet.Row) int {
	for i, r := range rows {
		if !looksLikeHeader(r) {
			continue
		}
		n, _ := filled(r)
		below := 0
		for _, d := range rows[i+1 : min(len(rows), i+11)] {
			_, w := filled(d)
			below = max(below, w)
		}
		if below > 0 && 3*n < 2*below {
			continue // a title or a note over a wider table
		}
		return i
	}
	return 0
}

// tableScore measures the table in rows: the cells of the data rows under its header.
func tableScore(rows []sheet.Row, headerRow int) int {
	if len(rows) == 0 {
		return 0
	}
	hi := 0
	if headerRow > 0 {
		hi = slices.IndexFunc(rows, func(r sheet.Row) bool { return r.Num == headerRow })
		if hi < 0 {
			return 0
		}
	} else {
		hi = findHeader(rows)
	}
	width := len(headerNames(rows[hi]))
	if width < 2 && !looksLikeHeader(rows[hi]) {
		return 0
	}
	score := 0
	for _, r := range rows[hi+1:] {
		n, _ := filled(r)
		score += min(n, width)
	}
	return score
}

// filesRoot returns the folder, next to the spreadsheet at path or one level under it,
// in which the most sampled values of a file column name existing files; "" when none
// does.
func filesRoot(path string, header []string, rows []sheet.Row) string {
	var col = -1
	for i, h := range header {
		for _, g := range guesses[EntityFiles] {
			if g.field == "file" && slices.Contains(g.names, normHeader(h)) {
				col = i
			}
		}
		if col >= 0 {
			break
		}
	}
	if col < 0 {
		return ""
	}
	dir := filepath.Dir(path)
	cands := []string{dir}
	if ents, err := os.ReadDir(dir); err == nil {
		for _, e := range ents {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") && len(cands) < 64 {
				cands = append(cands, filepath.Join(dir, e.Name()))
			}
		}
	}
	vals := columnValues(rows, col)
	if len(vals) > 20 {
		vals = vals[:20]
	}
	best, bestN := "", 0
	for _, c := range cands {
		n := 0
		for _, v := range vals {
			if st, err := os.Stat(filepath.Join(c, filepath.FromSlash(strings.TrimSpace(v.Text)))); err == nil && st.Mode().IsRegular() {
				n++
			}
		}
		if n > bestN {
			best, bestN = c, n
		}
	}
	return best
}
