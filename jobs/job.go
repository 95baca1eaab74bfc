// Package jobs reads and validates pdbulk job files and keeps the state of their runs.
//
// A job file is YAML (see docs/jobs.md). Load parses it with line numbers, rejects unknown
// keys and reports every problem at once; the result is a Job with every path resolved
// against the job file's folder and the column mapping compiled into a mapping.Spec.
//
// The state store (OpenState) is an embedded SQLite database that records, per job, the
// fingerprint of the job and its input, the status of every row, the records the job
// created (for undo), a cross-job id map and export bookmarks. It survives a SIGKILL of
// the process at any moment.
package jobs

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pdbulk/pdbulk/mapping"
	"github.com/pdbulk/pdbulk/sheet"
)

// Kind says which way a job moves data.
type Kind string

// The job kinds.
const (
	KindImport Kind = "import"
	KindExport Kind = "export"
)

// Entity is the kind of Pipedrive record a job works on.
type Entity string

// The entities a job can name.
const (
	EntityLeads      Entity = "leads"
	EntityLeadLabels Entity = "lead_labels"
	EntityFilters    Entity = "filters"
	EntityGoals      Entity = "goals"
	EntityTeams      Entity = "teams"
	EntityFiles      Entity = "files"
)

// Entities lists every entity in documentation order.
var Entities = []Entity{EntityLeads, EntityLeadLabels, EntityFilters, EntityGoals, EntityTeams, EntityFiles}

// Mode is what an import does with each row.
type Mode string

// The import modes. ModeArchive applies to leads only.
const (
	ModeCreate  Mode = "create"
	ModeUpdate  Mode = "update"
	ModeUpsert  Mode = "upsert"
	ModeDelete  Mode = "delete"
	ModeArchive Mode = "archive"
)

// DuplicateRule says what happens to rows of one file that share a match key (the values
// of their match_on fields).
type DuplicateRule string

// The duplicate rules.
const (
	// DuplicatesFirst: the first row with a match key is imported; every later row with the
	// same match key is rejected as a duplicate of the first one. It is the default.
	DuplicatesFirst DuplicateRule = "first"
	// DuplicatesError: the whole file is checked before any write; if any match key
	// repeats, the run stops before the first request and lists every duplicate row.
	DuplicatesError DuplicateRule = "error"
)

// Defaults and limits of Options.
const (
	DefaultConcurrency = 4
	MaxConcurrency     = 64
)

// Job is a loaded and validated job file. Every path in it is absolute.
type Job struct {
	Path    string // absolute path of the job file
	Dir     string // folder of the job file; every relative path in the file resolves against it
	Name    string // `name:`, or the job file's base name without extension
	Kind    Kind
	Entity  Entity
	Source  Source
	Mode    Mode
	MatchOn []string // payload field paths, or "id", that find an existing record
	// Key is the spreadsheet column whose value is the row's source key in the cross-job id
	// map (for example "External ID"); "" means the row's match_on values are the key.
	Key     string
	Mapping mapping.Spec
	Options Options
	Reports Reports
	Files   FilesOptions
	Export  *Export // set for kind: export; Source, Mode, Mapping and Reports are then unused

	file    string // the job file's path as given to Load, for messages
	keyLine int    // line of `key:` in the job file
}

// displayName is the job file's name for messages: the path given to Load, else Path.
func (j *Job) displayName() string {
	if j.file != "" {
		return j.file
	}
	return j.Path
}

// Source is the spreadsheet a job reads.
type Source struct {
	Path       string // absolute path
	Format     string // "csv" or "xlsx", from the file name's extension
	Sheet      string // XLSX sheet name; "" = SheetIndex or the first sheet
	SheetIndex int    // XLSX sheet number, 1-based; 0 = not set
	HeaderRow  int    // 1-based row that holds the column names; default 1
	Delimiter  string // CSV field separator, one character; "" = detected by the reader ("\t" for .tsv)
	Encoding   string // CSV text encoding, canonical name (see Encodings); "" = detected by the reader
	Limits     Limits // what the reader may hold in memory; zero fields are the reader's defaults
	// Folder is set for a folder source (source: {folder: ..., glob: ..., pattern: ...}):
	// each file is a row (sheet.Folder). Path is then the folder. See files.go.
	Folder *FolderSource
}

// Limits are the reader limits a job may raise (or lower) under source.limits, in bytes; 0
// means the default of sheet.Options (DefaultMaxCellBytes and the like).
type Limits struct {
	Cell          int   // one cell (sheet.Options.MaxCellBytes)
	Row           int   // one row, all its cells (MaxRowBytes)
	SharedStrings int64 // an XLSX workbook's shared strings table (MaxSharedStringsBytes)
	Workbook      int64 // an XLSX workbook's inflated size (MaxWorkbookBytes)
}

// ReaderOptions are the sheet reader options of the source: sheet, header row, delimiter,
// encoding and limits.
func (s Source) ReaderOptions() sheet.Options {
	o := sheet.Options{Sheet: s.Sheet, SheetIndex: s.SheetIndex, HeaderRow: s.HeaderRow, Encoding: s.Encoding,
		MaxCellBytes: s.Limits.Cell, MaxRowBytes: s.Limits.Row,
		MaxSharedStringsBytes: s.Limits.SharedStrings, MaxWorkbookBytes: s.Limits.Workbook}
	if s.Delimiter != "" {
		o.Delimiter = []rune(s.Delimiter)[0]
	}
	if s.Folder != nil {
		o.Folder = &sheet.Folder{Glob: s.Folder.Glob, Pattern: s.Folder.Pattern, Prefix: s.Folder.Prefix}
	}
	return o
}

// Encodings lists the source encodings a job may name, by canonical name. It is the list
// the sheet reader supports; aliases are those of sheet.EncodingName.
var Encodings = sheet.Encodings

// Options tune a run. The zero value of each field is documented.
type Options struct {
	Concurrency    int           // parallel requests; default 4, at most 64
	ConcurrencySet bool          // the job gave options.concurrency: it pins the requests in flight
	MaxRejects     int           // stop the run when more rows than this are rejected; 0 = unlimited
	Duplicates     DuplicateRule // rule for repeated match keys in one file; default DuplicatesFirst
	DailyBudget    int           // daily token budget of the company; 0 = learn from the server
	RateLimit      int           // requests per 2 s window; 0 = learn from the server's headers
	// SearchAPI pins the search endpoints that lookups and matching call: SearchAPIV1
	// (v1 GET /itemSearch and /leads/search, 40 tokens a request) or SearchAPIV2 (API v2
	// only, 20 tokens). SearchAPIAuto, the default, is v2, falling back to v1 by itself
	// when the server answers 404 for v2. Like the other tuning options it is not part of
	// the job's fingerprint: changing it never needs --restart.
	SearchAPI SearchAPI
	Uploads   UploadOptions // files jobs: file size limit, upload concurrency (files.go)
}

// SearchAPI is the value of options.search_api.
type SearchAPI string

// The values of options.search_api.
const (
	SearchAPIAuto SearchAPI = "auto"
	SearchAPIV1   SearchAPI = "v1"
	SearchAPIV2   SearchAPI = "v2"
)

// SearchAPIs lists the values options.search_api accepts.
var SearchAPIs = []SearchAPI{SearchAPIAuto, SearchAPIV1, SearchAPIV2}

// Reports are the files a run writes. Paths are absolute.
type Reports struct {
	Success string // default <Dir>/out/<Name>.success.csv
	Rejects string // default <Dir>/out/<Name>.rejects.csv
}

// FilesOptions configure a files job.
type FilesOptions struct {
	// Root is the folder that the file paths in the sheet are relative to; default Dir.
	// No file outside it is ever read (see Job.ResolveFile).
	Root string
}

// Problem is one thing wrong with a job file, at a position in it. Load returns every
// problem of a file joined with errors.Join; use errors.As or Problems to get them.
type Problem struct {
	File   string // the job file's path as given to Load
	Line   int    // 1-based; 0 when the problem has no position
	Column int    // 1-based; 0 when unknown
	Msg    string
}

func (p *Problem) Error() string {
	switch {
	case p.Line > 0 && p.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Msg)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	default:
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	}
}

// Problems returns every *Problem inside err (as joined by Load or CheckHeader), in order.
func Problems(err error) []*Problem {
	var out []*Problem
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if p, ok := e.(*Problem); ok {
			out = append(out, p)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// ErrOutsideRoot is matched (errors.Is) by ResolveFile and OpenFile errors for a path that
// is absolute, climbs out with "..", or leads out of the files root through a symlink.
var ErrOutsideRoot = errors.New("path is outside the files root")

// suggest returns ` (did you mean "x"?)` for the closest candidate to s, or "".
func suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	ls := strings.ToLower(s)
	for _, c := range candidates {
		d := distance(ls, strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(s) > 8 {
		limit = 3
	}
	if best == "" || bestD > limit || bestD >= len(s) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
