package sheet

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sentinel errors wrapped by FileError and RowError; test them with errors.Is.
var (
	// ErrEmptyFile: the file has no bytes, or no header row.
	ErrEmptyFile = errors.New("file is empty")
	// ErrNoHeader: the header row the options name is past the end of the
	// file (the error reads "header row N is past the end of the file (it has
	// M rows)").
	ErrNoHeader = errors.New("no header row")
	// ErrDuplicateHeader: two header columns have the same name.
	ErrDuplicateHeader = errors.New("duplicate column name in header")
	// ErrEmptyHeader: a header column has no name but a later one has.
	ErrEmptyHeader = errors.New("empty column name in header")
	// ErrSheetNotFound: the sheet named in Options does not exist.
	ErrSheetNotFound = errors.New("sheet not found")
	// ErrNotSpreadsheet: the file is neither CSV nor XLSX.
	ErrNotSpreadsheet = errors.New("not a csv or xlsx spreadsheet")
	// ErrLegacyXLS: the file is an Excel 97-2003 .xls workbook.
	ErrLegacyXLS = errors.New("old excel 97-2003 .xls format is not supported: save it as .xlsx or .csv")
	// ErrEncrypted: the workbook is password-protected.
	ErrEncrypted = errors.New("workbook is password-protected: save an unprotected copy")
	// ErrEncoding: the file, or a field of a row, cannot be decoded with the
	// chosen encoding.
	ErrEncoding = errors.New("invalid text encoding")
	// ErrTooManyFields: a record has more non-empty fields than the header.
	ErrTooManyFields = errors.New("more fields than header columns")
	// ErrBadQuotes: a CSV record has misplaced or unterminated quotes.
	ErrBadQuotes = errors.New("bad quotes")
	// ErrInvalidUTF8: a field is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("invalid utf-8 in field")
	// ErrNUL: a field contains a NUL byte.
	ErrNUL = errors.New("nul byte in field")
	// ErrCellTooLarge: a cell exceeds Options.MaxCellBytes.
	ErrCellTooLarge = errors.New("cell too large")
	// ErrRowTooLarge: a row exceeds Options.MaxRowBytes.
	ErrRowTooLarge = errors.New("row too large")
	// ErrTooLarge: a file or a part of it exceeds one of the limits of Options
	// or the fixed ones (MaxMarkupBytes, MaxMetadataBytes, MaxZipEntries).
	ErrTooLarge = errors.New("too large")
	// ErrTooFewFields: a CSV record has fewer fields than the header.
	ErrTooFewFields = errors.New("fewer fields than header columns")
	// ErrBadDate: an XLSX cell formatted as a date holds no date Excel can show.
	ErrBadDate = errors.New("not a date")
	// ErrNotSeekable: a stream (a pipe, a device) cannot be read where a
	// regular file is needed (an XLSX workbook, CountRows).
	ErrNotSeekable = errors.New("not a regular file")
	// ErrMalformed: the XLSX package or its XML is damaged.
	ErrMalformed = errors.New("malformed xlsx")
)

// FileError is a problem with a file as a whole: it cannot be opened, read
// or understood. A reader that returned a FileError is done.
type FileError struct {
	Path  string
	Sheet string // "" for CSV
	Line  int    // 1-based line or row where reading stopped; 0 when not known
	Err   error
}

// Error names the file (and sheet, line) and the reason.
func (e *FileError) Error() string {
	s := "sheet: " + e.Path
	if e.Sheet != "" {
		s += fmt.Sprintf(" sheet %q", e.Sheet)
	}
	if e.Line > 0 {
		s += fmt.Sprintf(" line %d", e.Line)
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }

// RowError is a problem with one row; the reader goes on with the next row.
type RowError struct {
	Path   string
	Sheet  string // "" for CSV
	Row    int    // the row's 1-based number (see Row.Num)
	Column string // header name of the offending column; "" when not one column
	Err    error
}

// Error names the file, row, column and the reason.
func (e *RowError) Error() string {
	s := "sheet: " + e.Path
	if e.Sheet != "" {
		s += fmt.Sprintf(" sheet %q", e.Sheet)
	}
	s += fmt.Sprintf(" row %d", e.Row)
	if e.Column != "" {
		s += fmt.Sprintf(" column %q", e.Column)
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *RowError) Unwrap() error { return e.Err }

// detailError adds detail to a sentinel while keeping errors.Is working.
type detailError struct {
	err    error
	detail string
}

func (e *detailError) Error() string { return e.err.Error() + ": " + e.detail }
func (e *detailError) Unwrap() error { return e.err }

func detail(err error, format string, args ...any) error {
	return &detailError{err: err, detail: fmt.Sprintf(format, args...)}
}

// headerPastEnd is the error of a header row beyond the last row of the file.
type headerPastEnd struct{ row, rows int }

func (e *headerPastEnd) Error() string {
	return fmt.Sprintf("header row %d is past the end of the file (it has %d rows)", e.row, e.rows)
}

func (e *headerPastEnd) Unwrap() error { return ErrNoHeader }

// MaxShown is how many characters of a cell or a column name a message shows.
const MaxShown = 80

// clip shortens s to MaxShown characters for a message, marking the cut with "…".
func clip(s string) string {
	return Clip(s, MaxShown)
}

// Clip shortens s to at most n characters (runes), ending a shortened text with "…"; it
// is what every message of pdbulk does with a cell or a column name, which may be
// megabytes long.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i, count := 0, 0
	for i < len(s) && count < n-1 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	if i >= len(s) {
		return s
	}
	return s[:i] + "…"
}

// nameList quotes up to twelve names (of columns, of sheets), clipped, for a message.
func nameList(names []string) string {
	const most = 12
	var b strings.Builder
	for i, n := range names {
		if i == most {
			fmt.Fprintf(&b, " and %d more", len(names)-most)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", clip(n))
	}
	return b.String()
}

// plural writes n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
