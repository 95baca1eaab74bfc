package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/pdbulk/pdbulk/sheet"
)

// maxJobFileSize bounds what Load reads: a job file is a few kilobytes.
const maxJobFileSize = 1 << 20

var topKeys = []string{"kind", "name", "entity", "source", "mode", "match_on", "key", "columns", "options", "reports", "files"}

// Load reads, parses and validates the job file at path: LoadContext without a context.
func Load(path string) (*Job, error) {
	return LoadContext(context.Background(), path)
}

// LoadContext reads, parses and validates the job file at path. It reports every problem
// of the file at once: the error is an errors.Join of *Problem values, each with the file,
// line and column (see Problems). It also checks that the source file exists; it does not
// read it. The job file may be a pipe: the wait for its writer and its reads end with ctx.
func LoadContext(ctx context.Context, path string) (*Job, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("jobs: load %s: %w", path, err)
	}
	if st, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("jobs: load %s: %w", path, err)
	} else if st.IsDir() {
		return nil, fmt.Errorf("jobs: load %s: is a folder, not a job file", path)
	}
	f, err := sheet.OpenStream(ctx, abs)
	if err != nil {
		return nil, fmt.Errorf("jobs: load %s: %w", path, err)
	}
	data, err := readLimited(f, maxJobFileSize)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("jobs: load %s: %w", path, err)
	}
	return parse(path, abs, data, true)
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("job file is larger than %d bytes", limit)
	}
	return data, nil
}

// loader collects the problems of one job file while it builds the Job.
type loader struct {
	file       string // path as the user gave it
	checkFiles bool   // stat the source file and the files root
	problems   []error
	job        *Job
	lines      map[string]*yaml.Node // top-level key → its value node, for later checks
	keys       map[string]*yaml.Node // top-level key → its key node
}

func (l *loader) errAt(n *yaml.Node, format string, args ...any) {
	p := &Problem{File: l.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	l.problems = append(l.problems, p)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// maxSyntaxProbes bounds the parses syntaxPosition spends to find where an error is.
const maxSyntaxProbes = 400

// syntaxPosition finds the line and column (1-based) of a YAML syntax error of data, and its
// message. yaml.v3 gives a line only, counted from 0 for most errors and sometimes the line
// where the construct around the problem starts: the position is found again by parsing
// ever longer prefixes of data, from the line yaml.v3 names, until one fails with the same
// message; the problem is at the end of the shortest. Past maxSyntaxProbes parses, or when
// no prefix fails the same way, the line yaml.v3 gives is kept (plus 1, as it counts from 0).
func syntaxPosition(data []byte, err error) (line, col int, msg string) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	given := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		given, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	fails := func(prefix []byte) bool {
		var n yaml.Node
		e := yaml.Unmarshal(prefix, &n)
		if e == nil {
			return false
		}
		got := strings.TrimPrefix(e.Error(), "yaml: ")
		if m := yamlLine.FindStringSubmatch(e.Error()); m != nil {
			got = m[2]
		}
		return got == msg
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	probes := 0
	end := 0 // bytes of the lines before the one probed
	for i, l := range lines {
		if i+1 < given || probes >= maxSyntaxProbes {
			end += len(l)
			continue
		}
		probes++
		if !fails(data[:end+len(l)]) {
			end += len(l)
			continue
		}
		// The problem is on line i+1: find its column the same way, up to the line's end.
		text := bytes.TrimRight(l, "\r\n")
		for c := 1; c <= len(text) && probes < maxSyntaxProbes; c++ {
			if !utf8.RuneStart(text[c-1]) {
				continue
			}
			probes++
			if fails(data[:end+c]) {
				return i + 1, utf8.RuneCount(text[:c]), msg
			}
		}
		return i + 1, 0, msg
	}
	return given + 1, 0, msg
}

// parse builds a Job from data; abs is the absolute path of the job file.
func parse(file, abs string, data []byte, checkFiles bool) (*Job, error) {
	l := &loader{file: file, checkFiles: checkFiles, lines: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	dir := filepath.Dir(abs)
	base := filepath.Base(abs)
	l.job = &Job{Path: abs, Dir: dir, Name: strings.TrimSuffix(base, filepath.Ext(base)), file: file}

	var doc yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.errAt(nil, "the job file is empty")
			return nil, errors.Join(l.problems...)
		}
		line, col, msg := syntaxPosition(data, err)
		return nil, errors.Join(&Problem{File: file, Line: line, Column: col, Msg: msg})
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		l.errAt(&extra, "a job file holds one YAML document; found another after \"---\"")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			l.errAt(nil, "the job file is empty")
			return nil, errors.Join(l.problems...)
		}
		root = root.Content[0]
	}
	root = deref(root)
	if root.Kind != yaml.MappingNode {
		l.errAt(root, "a job file is a mapping of keys (kind, entity, source, ...), not a %s", kindName(root))
		return nil, errors.Join(l.problems...)
	}
	l.topLevel(root)
	if len(l.problems) > 0 {
		sortProblems(l.problems)
		return nil, errors.Join(l.problems...)
	}
	return l.job, nil
}

// kindOf returns the value of the top-level kind key, "" when there is none.
func kindOf(root *yaml.Node) string {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "kind" {
			return deref(root.Content[i+1]).Value
		}
	}
	return ""
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; i < 8 && n != nil && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty value"
		}
		return "single value"
	}
	return "value"
}

// pairs returns the key/value pairs of a mapping node, reporting duplicate and non-scalar
// keys, and keys not in allowed (when allowed is non-nil).
func (l *loader) pairs(m *yaml.Node, section string, allowed []string) [][2]*yaml.Node {
	seen := map[string]int{}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], deref(m.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			l.errAt(k, "a key must be a plain name")
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			l.errAt(k, "key %q is repeated (first at line %d)", k.Value, prev)
			continue
		}
		seen[k.Value] = k.Line
		if k.Value == "token" || k.Value == "api_token" || k.Value == "apitoken" || k.Value == "api-token" {
			l.errAt(k, "key %q: tokens never live in job files; use PIPEDRIVE_API_TOKEN or --token-file", k.Value)
			continue
		}
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			where := ""
			if section != "" {
				where = " in " + section
			}
			l.errAt(k, "unknown key %q%s%s", k.Value, where, suggest(k.Value, allowed))
			continue
		}
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out
}

func (l *loader) topLevel(root *yaml.Node) {
	j := l.job
	allowed := topKeys
	if kindOf(root) == string(KindExport) {
		allowed = exportTopKeys
	}
	for _, kv := range l.pairs(root, "", allowed) {
		l.lines[kv[0].Value] = kv[1]
		l.keys[kv[0].Value] = kv[0]
	}
	j.Kind = KindImport
	if n := l.lines["kind"]; n != nil {
		if s, ok := l.enum(n, "kind", []string{string(KindImport), string(KindExport)}); ok {
			j.Kind = Kind(s)
		}
	}
	if n := l.lines["name"]; n != nil {
		if s, ok := l.scalar(n, "name"); ok {
			if !validName(s) {
				l.errAt(n, "name %q: use letters, digits, '.', '_' and '-' only (it names the report files)", s)
			} else {
				j.Name = s
			}
		}
	}
	if j.Kind == KindExport {
		l.export(root)
		return
	}
	entityOK := false
	if n := l.lines["entity"]; n != nil {
		names := make([]string, len(Entities))
		for i, e := range Entities {
			names[i] = string(e)
		}
		if s, ok := l.enum(n, "entity", names); ok {
			j.Entity, entityOK = Entity(s), true
		}
	} else {
		l.errAt(root, "missing key \"entity\" (one of leads, lead_labels, filters, goals, teams, files)")
	}
	j.Mode = ModeCreate
	modeOK := true
	if n := l.lines["mode"]; n != nil {
		modes := []string{string(ModeCreate), string(ModeUpdate), string(ModeUpsert), string(ModeDelete), string(ModeArchive)}
		s, ok := l.enum(n, "mode", modes)
		modeOK = ok
		if ok {
			j.Mode = Mode(s)
			if j.Mode == ModeArchive && entityOK && j.Entity != EntityLeads {
				l.errAt(n, "mode archive applies to leads only")
				modeOK = false
			}
			if j.Mode == ModeUpsert && entityOK && j.Entity == EntityTeams {
				l.errAt(n, "mode %s is not available for %s (no way to find an existing record)", j.Mode, j.Entity)
				modeOK = false
			}
		}
	}
	if n := l.lines["source"]; n != nil {
		l.source(n)
	} else {
		l.errAt(root, "missing key \"source\" (the CSV or XLSX file to read)")
	}
	if n := l.lines["match_on"]; n != nil {
		j.MatchOn = l.stringList(n, "match_on")
	}
	if n := l.lines["key"]; n != nil {
		if s, ok := l.scalar(n, "key"); ok {
			j.Key, j.keyLine = s, n.Line
		}
	}
	l.options(l.lines["options"])
	l.reports(l.lines["reports"])
	l.files(l.lines["files"], entityOK)
	l.folderSource(entityOK) // files.go: the folder's place under files.root
	// Columns are checked whatever else is wrong, so that one run reports every problem.
	// An invalid mode still lets each column be checked (against the fields of every mode
	// of the entity); an unknown or missing entity leaves only the shape of columns to check,
	// since the fields a column may name, and their types, depend on the entity.
	l.columns(l.lines["columns"], root, entityOK, modeOK)
}

func validName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// scalar returns the text of a scalar node, reporting anything else.
func (l *loader) scalar(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.errAt(n, "%s must be a single value, not a %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

func (l *loader) enum(n *yaml.Node, what string, allowed []string) (string, bool) {
	s, ok := l.scalar(n, what)
	if !ok {
		return "", false
	}
	if !slices.Contains(allowed, s) {
		l.errAt(n, "%s %q is not one of %s%s", what, s, strings.Join(allowed, ", "), suggest(s, allowed))
		return "", false
	}
	return s, true
}

// searchAPI reads options.search_api.
func (l *loader) searchAPI(n *yaml.Node) SearchAPI {
	allowed := make([]string, len(SearchAPIs))
	for i, a := range SearchAPIs {
		allowed[i] = string(a)
	}
	s, ok := l.enum(n, "search_api", allowed)
	if !ok {
		return ""
	}
	return SearchAPI(s)
}

func (l *loader) intVal(n *yaml.Node, what string, lo, hi int) (int, bool) {
	s, ok := l.scalar(n, what)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	if err != nil || n.Tag != "!!int" {
		l.errAt(n, "%s must be a whole number, not %q", what, s)
		return 0, false
	}
	if v < lo || v > hi {
		l.errAt(n, "%s must be between %d and %d, not %d", what, lo, hi, v)
		return 0, false
	}
	return v, true
}

func (l *loader) boolVal(n *yaml.Node, what string) (bool, bool) {
	s, ok := l.scalar(n, what)
	if !ok {
		return false, false
	}
	if n.Tag != "!!bool" {
		l.errAt(n, "%s must be true or false, not %q", what, s)
		return false, false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		l.errAt(n, "%s must be true or false, not %q", what, s)
		return false, false
	}
	return b, true
}

// stringList accepts a single value or a list of values.
func (l *loader) stringList(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		l.errAt(n, "%s must be a value or a list of values, not a %s", what, kindName(n))
		return nil
	}
	var out []string
	for _, it := range n.Content {
		it = deref(it)
		if s, ok := l.scalar(it, what+" entry"); ok {
			out = append(out, s)
		}
	}
	return out
}

// path resolves p against the job's folder.
func (l *loader) path(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(l.job.Dir, p)
}

// sortProblems orders problems by position; problems without one come first.
func sortProblems(ps []error) {
	slices.SortStableFunc(ps, func(a, b error) int {
		pa, _ := a.(*Problem)
		pb, _ := b.(*Problem)
		if pa == nil || pb == nil {
			return 0
		}
		if pa.Line != pb.Line {
			return pa.Line - pb.Line
		}
		return pa.Column - pb.Column
	})
}
