package jobs

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
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
		{field: "person_id", names: []string{"person", "contact", "contact name", "person name"}, extra: "lookup: persons.name"},
		{field: "organization_id", names: []string{"organization", "organisation", "company", "org", "account", "company name", "organization name"}, extra: "lookup: organizations.name"},
		{field: "owner_id", names: []string{"owner id", "owner"}, extra: "type: int"},
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
		{field: "type", names: []string{"type", "goal type"}, extra: "type: json"},
		{field: "assignee", names: []string{"assignee"}, extra: "type: json"},
		{field: "expected_outcome", names: []string{"expected outcome", "target", "outcome"}, extra: "type: json"},
		{field: "duration", names: []string{"duration", "period"}, extra: "type: json"},
		{field: "interval", names: []string{"interval"}, extra: "lowercase: true"},
	},
	EntityTeams: {
		{field: "id", names: []string{"id", "team id"}},
		{field: "name", names: []string{"name", "team", "team name"}},
		{field: "manager_id", names: []string{"manager", "manager id", "manager user id"}},
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

// normHeader folds a header for matching: lower case, words separated by one space.
func normHeader(h string) string {
	f := strings.FieldsFunc(strings.ToLower(h), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	return strings.Join(f, " ")
}

// quote writes s as a YAML double-quoted scalar (Go escapes are valid YAML escapes).
func quote(s string) string { return strconv.Quote(s) }

// Draft returns a commented job file for entity that reads sourcePath (written as given:
// relative to the folder where the job file will be saved) and maps the columns of header
// to the fields they most likely fill. Headers it cannot place are listed as comments. The
// draft is a starting point: Load accepts it once the required fields are mapped.
func Draft(entity Entity, sourcePath string, header []string) ([]byte, error) {
	table, ok := guesses[entity]
	if !ok {
		return nil, fmt.Errorf("jobs: draft: unknown entity %q (one of leads, lead_labels, filters, goals, teams, files)", entity)
	}
	if sourcePath == "" {
		return nil, fmt.Errorf("jobs: draft: no source file")
	}
	var b bytes.Buffer
	base := strings.TrimSuffix(filepath.Base(sourcePath), filepath.Ext(sourcePath))
	fmt.Fprintf(&b, "# pdbulk job drafted from the header row of %s.\n", filepath.Base(sourcePath))
	b.WriteString("# Check every mapping, then: pdbulk validate THIS_FILE, and pdbulk run THIS_FILE --dry-run.\n")
	b.WriteString("# Reference of every key: docs/jobs.md.\n")
	b.WriteString("kind: import\n")
	fmt.Fprintf(&b, "entity: %s\n", entity)
	fmt.Fprintf(&b, "source: {path: %s", quote(sourcePath))
	if sourceFormat(sourcePath) == "xlsx" {
		b.WriteString(", sheet: 1")
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
	for _, h := range header {
		n := normHeader(h)
		if n == "" || taken[h] {
			continue
		}
		for _, g := range table {
			if used[g.field] || !slices.Contains(g.names, n) {
				continue
			}
			used[g.field], taken[h], mapped[g.field] = true, true, h
			line := fmt.Sprintf("  %s: %s", g.field, quote(h))
			if g.extra != "" {
				line = fmt.Sprintf("  %s: {column: %s, %s}", g.field, quote(h), g.extra)
			}
			if g.comment != "" {
				line += "  # " + g.comment
			}
			lines = append(lines, line)
			break
		}
	}
	if _, ok := mapped["id"]; ok {
		b.WriteString("# match_on: [id]           # needed by update, upsert, delete")
	} else if t, ok := mapped[titleField(entity)]; ok {
		fmt.Fprintf(&b, "# match_on: [%s]         # needed by update, upsert, delete (matches on column %s)", titleField(entity), quote(t))
	} else {
		b.WriteString("# match_on: [id]           # needed by update, upsert, delete")
	}
	b.WriteString("\ncolumns:\n")
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
	for _, h := range header {
		if !taken[h] && strings.TrimSpace(h) != "" {
			rest = append(rest, h)
		}
	}
	if len(rest) > 0 {
		b.WriteString("  # Columns not mapped (map them as  field: Column Name, or leave them out):\n")
		for _, h := range rest {
			fmt.Fprintf(&b, "  #   %s\n", oneLine(h))
		}
	}
	b.WriteString("options: {concurrency: 4, max_rejects: 0, duplicates: first}\n")
	fmt.Fprintf(&b, "reports: {success: %s, rejects: %s}\n",
		quote("out/"+safeName(base)+".success.csv"), quote("out/"+safeName(base)+".rejects.csv"))
	if entity == EntityFiles {
		b.WriteString("files: {root: \".\"}             # the folder the file paths in the sheet start from\n")
	}
	return b.Bytes(), nil
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
