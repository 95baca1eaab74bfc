package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/cli"
	"github.com/pdbulk/pdbulk/sandbox"
)

// eventSchema is the table of --json events in docs/jobs.md: for each type (and each
// sub-object, "summary.stats"), its keys and their JSON kinds.
type eventSchema map[string]map[string]string

var (
	schemaRow = regexp.MustCompile("^\\| `([a-z_.\\[\\]]+)` \\| (.*) \\|$")
	schemaKey = regexp.MustCompile("`([a-z_]+)` (string|int|number|bool|object|array)( \\(optional)?")
	snakeCase = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// loadEventSchema reads the table between the events markers of docs/jobs.md.
func loadEventSchema(t *testing.T) eventSchema {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "docs", "jobs.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(doc), "<!-- events:begin -->")
	table, _, ok2 := strings.Cut(table, "<!-- events:end -->")
	if !ok || !ok2 {
		t.Fatal("docs/jobs.md has no events table")
	}
	s := eventSchema{}
	for _, line := range strings.Split(table, "\n") {
		m := schemaRow.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		keys := map[string]string{}
		if base, ok := strings.CutPrefix(m[2], "the keys of `"); ok {
			from, _, _ := strings.Cut(base, "`")
			for k, v := range s[from] {
				keys[k] = v
			}
			if _, but, ok := strings.Cut(base, "but `"); ok {
				delete(keys, strings.TrimSuffix(but, "`"))
			}
		}
		for _, k := range schemaKey.FindAllStringSubmatch(m[2], -1) {
			keys[k[1]] = k[2]
			if k[3] != "" {
				keys[k[1]] += "?" // may be left out
			}
		}
		s[m[1]] = keys
	}
	for _, typ := range []string{"start", "progress", "notice", "budget", "row_rejected", "summary", "error"} {
		if len(s[typ]) == 0 {
			t.Fatalf("docs/jobs.md documents no keys for event %q", typ)
		}
	}
	return s
}

// check validates one line of --json stderr.
func (s eventSchema) check(line string) error {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var ev map[string]any
	if err := dec.Decode(&ev); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	typ, _ := ev["type"].(string)
	keys, ok := s[typ]
	if !ok {
		return fmt.Errorf("type %q is not documented", typ)
	}
	delete(ev, "type")
	return s.object(typ, keys, ev)
}

func (s eventSchema) object(name string, keys map[string]string, obj map[string]any) error {
	for k := range obj {
		if _, ok := keys[k]; !ok {
			return fmt.Errorf("%s: key %q is not documented", name, k)
		}
		if !snakeCase.MatchString(k) {
			return fmt.Errorf("%s: key %q is not snake_case", name, k)
		}
	}
	for k, kind := range keys {
		kind, optional := strings.CutSuffix(kind, "?")
		v, ok := obj[k]
		if !ok && optional {
			continue
		}
		if !ok {
			return fmt.Errorf("%s: key %q is missing", name, k)
		}
		if err := s.value(name+"."+k, kind, v); err != nil {
			return err
		}
	}
	return nil
}

func (s eventSchema) value(name, kind string, v any) error {
	bad := func() error { return fmt.Errorf("%s = %#v, want %s", name, v, kind) }
	switch kind {
	case "string":
		if _, ok := v.(string); !ok {
			return bad()
		}
	case "bool":
		if _, ok := v.(bool); !ok {
			return bad()
		}
	case "int":
		n, ok := v.(json.Number)
		if !ok {
			return bad()
		}
		if _, err := n.Int64(); err != nil {
			return bad()
		}
	case "number":
		n, ok := v.(json.Number)
		if !ok {
			return bad()
		}
		if _, err := n.Float64(); err != nil {
			return bad()
		}
	case "object":
		o, ok := v.(map[string]any)
		keys, documented := s[name]
		if !ok || !documented {
			return bad()
		}
		return s.object(name, keys, o)
	case "array":
		list, ok := v.([]any)
		if !ok {
			return bad() // null is not a list
		}
		for i, item := range list {
			o, ok := item.(map[string]any)
			keys, documented := s[name+"[]"]
			if !ok || !documented {
				return fmt.Errorf("%s[%d] = %#v: not a documented object", name, i, item)
			}
			if err := s.object(fmt.Sprintf("%s[%d]", name, i), keys, o); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestJSONEvents runs jobs with --json — with rejected rows, a dry run, a failing run —
// and checks every line of stderr against the table of docs/jobs.md.
func TestJSONEvents(t *testing.T) {
	schema := loadEventSchema(t)
	dir := t.TempDir()
	job := leadsJob(t, dir)
	base := startSandbox(t, sandbox.Options{})
	e := connectedTo(base, testToken)
	seen := map[string]int{}
	runs := []struct {
		args []string
		code int
	}{
		{[]string{"run", "--json", job}, cli.ExitRejected},
		{[]string{"validate", "--json", job}, cli.ExitRejected},
		{[]string{"run", "--json", "--no-such-flag", job}, cli.ExitUsage},
		{[]string{"run", "--json", filepath.Join(dir, "missing.yaml")}, cli.ExitUsage},
		{[]string{"run", "--json", "--sandbox", job}, cli.ExitRejected},
		{[]string{"undo", "--json", "--yes", job}, cli.ExitOK},
	}
	for _, run := range runs {
		r := pdbulk(t, e, run.args...)
		wantCode(t, r, run.code)
		for i, line := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
			if err := schema.check(line); err != nil {
				t.Errorf("pdbulk %s: stderr line %d: %v\n%s", strings.Join(run.args, " "), i+1, err, line)
				continue
			}
			var ev struct {
				Type    string
				Stats   map[string]any
				Deleted int
			}
			_ = json.Unmarshal([]byte(line), &ev)
			seen[ev.Type]++
			if ev.Type == "undo_summary" && (ev.Deleted < 1 || ev.Stats["requests"].(float64) < 1) {
				t.Errorf("pdbulk %s: undo_summary says %d deleted with %v requests, want the leads the run created", strings.Join(run.args, " "), ev.Deleted, ev.Stats["requests"])
			}
			if ev.Type == "summary" && run.code == cli.ExitRejected && run.args[0] == "run" {
				// A run that sent requests says how many it let in flight, and whether it chose.
				if c, _ := ev.Stats["concurrency"].(float64); c < 1 || ev.Stats["concurrency_pinned"] != false {
					t.Errorf("pdbulk %s: summary stats give concurrency %v (pinned %v), want the adaptive gate's",
						strings.Join(run.args, " "), ev.Stats["concurrency"], ev.Stats["concurrency_pinned"])
				}
			}
		}
		if bytes.Contains([]byte(r.stderr), []byte("null")) {
			t.Errorf("pdbulk %s: a null in stderr:\n%s", strings.Join(run.args, " "), r.stderr)
		}
	}
	for _, typ := range []string{"start", "notice", "budget", "row_rejected", "summary", "undo_summary", "error"} {
		if seen[typ] == 0 {
			t.Errorf("no %s event in any run (seen %v)", typ, seen)
		}
	}
}
