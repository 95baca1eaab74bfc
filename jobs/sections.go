package jobs

import (
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/pdbulk/pdbulk/sheet"
)

var (
	sourceKeys  = []string{"path", "sheet", "header_row", "delimiter", "encoding"}
	optionKeys  = []string{"concurrency", "max_rejects", "duplicates", "daily_budget", "rate_limit"}
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
		if pathNode == nil {
			l.errAt(n, "source: missing key \"path\" (the CSV or XLSX file to read)")
		}
	default:
		l.errAt(n, "source must be a file path or a mapping with path, sheet, header_row, delimiter, encoding")
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
				o.Concurrency = i
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
