package jobs

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/pdbulk/pdbulk/sheet"
)

var (
	sourceKeys  = []string{"path", "sheet", "header_row", "delimiter", "encoding", "limits", "folder", "glob", "pattern"}
	limitKeys   = []string{"cell", "row", "shared_strings", "workbook"}
	optionKeys  = append([]string{"concurrency", "max_rejects", "duplicates", "daily_budget", "rate_limit", "search_api"}, uploadOptionKeys...)
	reportKeys  = []string{"success", "rejects"}
	filesKeys   = []string{"root"}
	encodingAka = map[string]string{
		"utf8": "utf-8", "utf-8": "utf-8", "utf-8-sig": "utf-8", "utf-8-bom": "utf-8",
		"utf-16": "utf-16le", "utf-16le": "utf-16le", "utf16le": "utf-16le",
		"utf-16be": "utf-16be", "utf16be": "utf-16be",
		"windows-1252": "windows-1252", "cp1252": "windows-1252", "win1252": "windows-1252",
		"iso-8859-1": "iso-8859-1", "latin1": "iso-8859-1", "latin-1": "iso-8859-1", "iso8859-1": "iso-8859-1",
		"iso-8859-15": "iso-8859-15", "latin9": "iso-8859-15", "latin-9": "iso-8859-15",
		"macintosh": "macintosh", "mac-roman": "macintosh", "macroman": "macintosh",
	}
)

// sourceFormat maps a file extension to the source format.
func sourceFormat(p string) string {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".csv", ".tsv", ".txt":
		return "csv"
	case ".xlsx", ".xlsm":
		return "xlsx"
	}
	return ""
}

func (l *loader) source(n *yaml.Node) {
	src := &l.job.Source
	src.HeaderRow = 1
	var pathNode *yaml.Node
	fields := map[string]*yaml.Node{}
	switch n.Kind {
	case yaml.ScalarNode:
		pathNode = n
	case yaml.MappingNode:
		for _, kv := range l.pairs(n, "source", sourceKeys) {
			fields[kv[0].Value] = kv[1]
		}
		pathNode = fields["path"]
		if fields["folder"] != nil || fields["glob"] != nil || fields["pattern"] != nil {
			l.folder(n, fields) // files.go
			return
		}
		if pathNode == nil {
			l.errAt(n, "source: missing key \"path\" (the CSV or XLSX file to read)")
		}
	default:
		l.errAt(n, "source must be a file path or a mapping with path, sheet, header_row, delimiter, encoding, limits")
		return
	}
	if pathNode != nil {
		if p, ok := l.scalar(pathNode, "source path"); ok {
			src.Path = l.path(p)
			src.Format = sourceFormat(p)
			switch {
			case src.Format == "":
				l.errAt(pathNode, "source %q: unknown file type; use a .csv, .tsv, .txt, .xlsx or .xlsm file", p)
			case l.checkFiles:
				if st, err := os.Stat(src.Path); err != nil {
					l.errAt(pathNode, "source %q: file not found (relative paths start at the job file's folder %s)", p, l.job.Dir)
				} else if st.IsDir() {
					l.errAt(pathNode, "source %q is a folder, not a file", p)
				}
			}
		}
	}
	// Without delimiter and encoding the reader detects them from the file
	// (see sheet.Options); a .tsv file is tab-separated.
	if src.Format == "csv" && strings.ToLower(filepath.Ext(src.Path)) == ".tsv" {
		src.Delimiter = "\t"
	}
	if v := fields["sheet"]; v != nil {
		if s, ok := l.scalar(v, "sheet"); ok {
			switch {
			case src.Format == "csv":
				l.errAt(v, "sheet applies to XLSX sources only")
			case v.Tag == "!!int":
				if i, ok := l.intVal(v, "sheet number", 1, 1<<16); ok {
					src.SheetIndex = i
				}
			default:
				src.Sheet = s
			}
		}
	}
	if v := fields["header_row"]; v != nil {
		if i, ok := l.intVal(v, "header_row", 1, 1<<20); ok {
			src.HeaderRow = i
		}
	}
	if v := fields["delimiter"]; v != nil {
		if s, ok := l.scalar(v, "delimiter"); ok {
			switch {
			case src.Format == "xlsx":
				l.errAt(v, "delimiter applies to CSV sources only")
			case strings.EqualFold(s, "tab") || s == `\t`:
				src.Delimiter = "\t"
			case len([]rune(s)) != 1 || s == "\"" || s == "\r" || s == "\n":
				l.errAt(v, "delimiter must be one character (for example \",\", \";\", \"|\" or tab), not %q", s)
			default:
				src.Delimiter = s
			}
		}
	}
	if v := fields["limits"]; v != nil {
		l.limits(v)
	}
	if v := fields["encoding"]; v != nil {
		if s, ok := l.scalar(v, "encoding"); ok {
			canon, known := sheet.EncodingName(s)
			switch {
			case src.Format == "xlsx":
				l.errAt(v, "encoding applies to CSV sources only (XLSX files are always Unicode)")
			case !known:
				l.errAt(v, "encoding %q is not one of %s%s", s, strings.Join(Encodings, ", "), suggest(s, sheet.EncodingAliases()))
			default:
				src.Encoding = canon
			}
		}
	}
}

// limits reads source.limits: sizes in bytes, as a number or with a unit (64 MiB, 2GB).
func (l *loader) limits(n *yaml.Node) {
	lim := &l.job.Source.Limits
	if n.Kind != yaml.MappingNode {
		l.errAt(n, "source.limits must be a mapping of %s", strings.Join(limitKeys, ", "))
		return
	}
	bounds := map[string][2]int64{ // smallest and largest accepted
		"cell": {1 << 10, 256 << 20}, "row": {1 << 10, 1 << 30},
		"shared_strings": {1 << 20, 16 << 30}, "workbook": {1 << 20, 1 << 40},
	}
	for _, kv := range l.pairs(n, "source.limits", limitKeys) {
		k, v := kv[0].Value, kv[1]
		s, ok := l.scalar(v, "source.limits."+k)
		if !ok {
			continue
		}
		size, err := parseSize(s)
		b := bounds[k]
		switch {
		case err != nil:
			l.errAt(v, "source.limits.%s: %v", k, err)
			continue
		case size < b[0] || size > b[1]:
			l.errAt(v, "source.limits.%s must be between %s and %s, not %s", k, formatSize(b[0]), formatSize(b[1]), s)
			continue
		}
		switch k {
		case "cell":
			lim.Cell = int(size)
		case "row":
			lim.Row = int(size)
		case "shared_strings":
			lim.SharedStrings = size
		case "workbook":
			lim.Workbook = size
		}
	}
	cell, row := lim.Cell, lim.Row
	if cell == 0 {
		cell = sheet.DefaultMaxCellBytes
	}
	if row == 0 {
		row = sheet.DefaultMaxRowBytes
	}
	if cell > row {
		l.errAt(n, "source.limits: a cell (%s) cannot be larger than a row (%s): raise row too", formatSize(int64(cell)), formatSize(int64(row)))
	}
}

// sizeUnits are the units parseSize reads, by their lower-case spelling.
var sizeUnits = map[string]int64{"": 1, "b": 1, "k": 1 << 10, "kb": 1000, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1000 * 1000, "mib": 1 << 20, "g": 1 << 30, "gb": 1000 * 1000 * 1000, "gib": 1 << 30,
	"t": 1 << 40, "tb": 1000 * 1000 * 1000 * 1000, "tib": 1 << 40}

// parseSize reads a size in bytes: 1048576, 64 MiB, 64MiB, 2 GB.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	unit, ok := sizeUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	if i == 0 || i > 15 || !ok {
		return 0, fmt.Errorf("%q is not a size: write bytes, or a number with KiB, MiB or GiB (64 MiB)", s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil || n > (1<<62)/unit {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * unit, nil
}

// formatSize writes a size with the largest binary unit that divides it.
func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

func (l *loader) options(n *yaml.Node) {
	o := &l.job.Options
	o.Concurrency = DefaultConcurrency
	o.Duplicates = DuplicatesFirst
	if n == nil {
		return
	}
	if n.Kind != yaml.MappingNode {
		l.errAt(n, "options must be a mapping of %s", strings.Join(optionKeys, ", "))
		return
	}
	for _, kv := range l.pairs(n, "options", optionKeys) {
		k, v := kv[0].Value, kv[1]
		switch k {
		case "concurrency":
			if i, ok := l.intVal(v, "concurrency", 1, MaxConcurrency); ok {
				o.Concurrency, o.ConcurrencySet = i, true
			}
		case "max_rejects":
			if i, ok := l.intVal(v, "max_rejects", 0, 1<<31-1); ok {
				o.MaxRejects = i
			}
		case "duplicates":
			if s, ok := l.enum(v, "duplicates", []string{string(DuplicatesFirst), string(DuplicatesError)}); ok {
				o.Duplicates = DuplicateRule(s)
			}
		case "daily_budget":
			if i, ok := l.intVal(v, "daily_budget", 0, 1<<31-1); ok {
				o.DailyBudget = i
			}
		case "rate_limit":
			if i, ok := l.intVal(v, "rate_limit", 0, 10000); ok {
				o.RateLimit = i
			}
		case "search_api":
			o.SearchAPI = l.searchAPI(v)
		default:
			l.uploadOption(k, v) // files.go
		}
	}
}

func (l *loader) reports(n *yaml.Node) {
	r := &l.job.Reports
	out := filepath.Join(l.job.Dir, "out")
	defer func() {
		// Defaults use the final name, which `name:` may have set.
		if r.Success == "" {
			r.Success = filepath.Join(out, l.job.Name+".success.csv")
		}
		if r.Rejects == "" {
			r.Rejects = filepath.Join(out, l.job.Name+".rejects.csv")
		}
	}()
	if n == nil {
		return
	}
	if n.Kind != yaml.MappingNode {
		l.errAt(n, "reports must be a mapping with success and rejects")
		return
	}
	for _, kv := range l.pairs(n, "reports", reportKeys) {
		s, ok := l.scalar(kv[1], "reports."+kv[0].Value)
		if !ok {
			continue
		}
		p := l.path(s)
		if p == l.job.Source.Path || p == l.job.Path {
			l.errAt(kv[1], "reports.%s %q would overwrite the job's own files", kv[0].Value, s)
			continue
		}
		if kv[0].Value == "success" {
			r.Success = p
		} else {
			r.Rejects = p
		}
	}
	if r.Success != "" && r.Success == r.Rejects {
		l.errAt(n, "reports.success and reports.rejects must be different files")
	}
}

func (l *loader) files(n *yaml.Node, entityOK bool) {
	f := &l.job.Files
	f.Root = l.job.Dir
	if n == nil {
		return
	}
	if entityOK && l.job.Entity != EntityFiles {
		l.errAt(n, "files applies to entity files only")
		return
	}
	if n.Kind != yaml.MappingNode {
		l.errAt(n, "files must be a mapping with root")
		return
	}
	for _, kv := range l.pairs(n, "files", filesKeys) {
		s, ok := l.scalar(kv[1], "files.root")
		if !ok {
			continue
		}
		f.Root = l.path(s)
		if l.checkFiles {
			if st, err := os.Stat(f.Root); err != nil || !st.IsDir() {
				l.errAt(kv[1], "files.root %q: folder not found", s)
			}
		}
	}
}
