// Package sheet streams rows out of CSV and XLSX files and writes CSV and XLSX
// files atomically.
//
// Readers keep the spreadsheet's own row numbers (1-based, header counted) so
// that a reject report can point a user at the line they see. Problems with
// one row come back from Next as a *RowError together with the Row, and the
// reader goes on with the next row; problems with the file as a whole come
// back as a *FileError. Every record of the file is either returned as a Row
// or reported in a *RowError: none is dropped silently.
//
// Writers escape text that a spreadsheet program would run as a formula (see
// EscapeFormula).
package sheet

import "time"

// Kind is the type of a cell's value.
type Kind uint8

// The kinds of cell value. CSV readers only produce KindEmpty and KindString;
// XLSX readers produce every kind.
const (
	KindEmpty    Kind = iota // no value
	KindString               // text, kept as written (leading zeros too)
	KindNumber               // a number; Cell.Number holds it, Cell.Text its exact digits
	KindBool                 // a boolean; Cell.Text is "TRUE" or "FALSE", Cell.Number 1 or 0
	KindDate                 // a date without time of day; Cell.Time is midnight UTC
	KindDateTime             // a date and time (or a time of day); Cell.Time in UTC
	KindError                // a spreadsheet error value such as #N/A; Cell.Text holds it
)

// String returns the kind's lowercase name.
func (k Kind) String() string {
	switch k {
	case KindEmpty:
		return "empty"
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindBool:
		return "bool"
	case KindDate:
		return "date"
	case KindDateTime:
		return "datetime"
	case KindError:
		return "error"
	}
	return "unknown"
}

// Cell is one value of a row.
//
// Text is what a user sees: for CSV the field exactly as read; for an XLSX
// number the digits stored in the file (so 12345678901234.56 keeps every
// digit), for an XLSX date "2006-01-02" and for a date-time
// "2006-01-02 15:04:05" (fractional seconds when present). Number is set for
// KindNumber (and 1/0 for KindBool). Time is set for KindDate and
// KindDateTime, in UTC with no zone shift: the wall-clock value stored in the
// file.
type Cell struct {
	Text   string
	Kind   Kind
	Number float64
	Time   time.Time
}

// Row is one data row.
//
// Num is the row's 1-based number as a spreadsheet program shows it, header
// row counted. For XLSX it is the sheet's row number; for CSV it counts
// records, as Excel and LibreOffice do when they open the file: a record is one
// row however many lines its quoted cells span, and a blank line is a row.
//
// Cells has one entry per header column, padded with empty cells when the
// record is shorter. When a record has more non-empty fields than the header
// (ErrTooManyFields) Cells holds all of them, so that the original fields can
// be written to a reject report.
type Row struct {
	Num   int
	Cells []Cell
}

// Texts returns the Text of every cell, for writing the row to a report.
func (r Row) Texts() []string {
	out := make([]string, len(r.Cells))
	for i, c := range r.Cells {
		out[i] = c.Text
	}
	return out
}

// Options tunes Open and CountRows. The zero value reads the first sheet or
// the whole CSV with the header on row 1, detecting delimiter and encoding.
type Options struct {
	// Sheet names the XLSX sheet to read; "" means SheetIndex or the first.
	Sheet string
	// SheetIndex is the 1-based position of the XLSX sheet; 0 means the first
	// (or Sheet when set).
	SheetIndex int
	// HeaderRow is the 1-based row that holds the column names; 0 means 1.
	// Rows above it are skipped. For CSV it counts rows as Row.Num does
	// (records, and blank lines), not lines.
	HeaderRow int
	// Delimiter is the CSV field separator; 0 detects it among , ; TAB and |
	// from the header line (the most frequent outside quotes, ',' on a tie or
	// when none occurs).
	Delimiter rune
	// Encoding of a CSV file: "" detects it (a BOM for UTF-8, UTF-16LE or
	// UTF-16BE; a BOM-less file whose first four bytes alternate zero and
	// non-zero as UTF-16; otherwise UTF-8), or one of Encodings or an alias
	// that EncodingName accepts ("utf-16" takes the byte order from the BOM,
	// little endian without one). Any other name, or a UTF-16 BOM with an
	// encoding that is not UTF-16, gives a FileError wrapping ErrEncoding.
	// The text is checked in every encoding: a header that cannot be decoded
	// gives a FileError wrapping ErrEncoding, a field a RowError (wrapping
	// ErrInvalidUTF8 in UTF-8, ErrEncoding in the others) naming the byte (a
	// byte windows-1252 does not define, an unpaired UTF-16 surrogate) and
	// suggesting encoding:. Nothing is replaced with U+FFFD; a U+FFFD the
	// file holds is read as it is.
	Encoding string
	// MaxCellBytes is the largest cell accepted, in bytes; 0 means
	// DefaultMaxCellBytes. A larger cell gives a RowError wrapping
	// ErrCellTooLarge (a FileError in the header); the Row then holds the
	// cell's first MaxCellBytes bytes. The limit is applied while the cell is
	// read: no more than that is ever held.
	MaxCellBytes int
	// MaxRowBytes is the largest row accepted, all its cells together (for
	// CSV, the record's text); 0 means DefaultMaxRowBytes. A larger row gives
	// a RowError wrapping ErrRowTooLarge and the reader goes on with the next
	// row; the Row holds the cells read before the limit.
	MaxRowBytes int
	// MaxSharedStringsBytes bounds the shared strings table of an XLSX
	// workbook, which is held in memory: its text plus 16 bytes per string;
	// 0 means DefaultMaxSharedStringsBytes. A larger table gives a FileError
	// wrapping ErrTooLarge.
	MaxSharedStringsBytes int64
	// MaxWorkbookBytes bounds the inflated size of an XLSX package: the sum
	// of the sizes its zip directory declares for its parts, checked before
	// anything is inflated (a part that inflates beyond its declared size is
	// an error of the zip reader); 0 means DefaultMaxWorkbookBytes. A larger
	// package gives a FileError wrapping ErrTooLarge.
	MaxWorkbookBytes int64
	// Folder, when set, makes Open and CountRows list the folder given as their path, one
	// row per file (folder.go), instead of reading a spreadsheet.
	Folder *Folder
}

// Default limits of Options, and the fixed ones. A reader's memory is bounded by them
// whatever the input: a line, a cell, a row, a piece of XML markup, the shared strings, the
// zip directory and every part of a workbook are checked before their bytes are buffered.
const (
	DefaultMaxCellBytes          = 1 << 20 // 1 MiB
	DefaultMaxRowBytes           = 4 << 20 // 4 MiB
	DefaultMaxSharedStringsBytes = 48 << 20
	DefaultMaxWorkbookBytes      = 4 << 30

	// MaxColumns is the widest row read (Excel's XFD): a CSV record with more fields,
	// or an XLSX cell beyond it, is an error.
	MaxColumns = 16384
	// MaxMarkupBytes bounds one piece of XML markup in a workbook: a tag with its
	// attributes, a comment, a processing instruction, a CDATA section.
	MaxMarkupBytes = 1 << 20
	// MaxMetadataBytes bounds the inflated size of a workbook's small parts (workbook,
	// relationships, styles), which are read whole.
	MaxMetadataBytes = 16 << 20
	// MaxZipEntries bounds the number of parts of a workbook (its zip directory is read
	// into memory).
	MaxZipEntries = 10000
	// MaxSheets bounds the sheets a workbook lists (each is a part of the package, so no
	// real workbook has more than MaxZipEntries).
	MaxSheets = MaxZipEntries
	// MaxSkipBytes bounds how far a CSV reader scans for the end of a row that broke
	// MaxRowBytes (or of a quote never closed) before it gives up on the file.
	MaxSkipBytes = 1 << 30
)

func (o Options) headerRow() int {
	if o.HeaderRow <= 0 {
		return 1
	}
	return o.HeaderRow
}

func (o Options) maxCell() int {
	if o.MaxCellBytes <= 0 {
		return DefaultMaxCellBytes
	}
	return o.MaxCellBytes
}

func (o Options) maxRow() int {
	if o.MaxRowBytes <= 0 {
		return DefaultMaxRowBytes
	}
	return o.MaxRowBytes
}

func (o Options) maxSST() int64 {
	if o.MaxSharedStringsBytes <= 0 {
		return DefaultMaxSharedStringsBytes
	}
	return o.MaxSharedStringsBytes
}

func (o Options) maxWorkbook() int64 {
	if o.MaxWorkbookBytes <= 0 {
		return DefaultMaxWorkbookBytes
	}
	return o.MaxWorkbookBytes
}

// Reader streams the data rows of one sheet or CSV file. A Reader is not safe
// for concurrent use; the Rows it returns are not reused and may be handed to
// other goroutines.
type Reader interface {
	// Header returns the column names of the header row (trimmed of white
	// space; trailing empty names dropped).
	Header() []string
	// Next returns the next data row, skipping blank rows. It returns io.EOF
	// after the last row. With a *RowError it also returns the Row (Num set,
	// cells as far as they could be read) and the following call goes on with
	// the next row. Any other error is a *FileError and is final: Next keeps
	// returning it.
	Next() (Row, error)
	// Close releases the file. It is safe to call more than once.
	Close() error
}

// Skipped returns how many all-empty rows r has skipped so far: records whose fields are
// all empty in a CSV (",,,", which spreadsheet programs write for an empty row), rows
// without a value in a sheet. Blank lines of a CSV are not counted. Such rows are never
// returned by Next, neither as rows nor as errors.
func Skipped(r Reader) int {
	if s, ok := r.(interface{ Skipped() int }); ok {
		return s.Skipped()
	}
	return 0
}

// Notice returns what r chose on its own that the user should be told, "" when nothing:
// for a CSV without a BOM that is not UTF-8, that it is read as windows-1252.
func Notice(r Reader) string {
	if n, ok := r.(interface{ Notice() string }); ok {
		return n.Notice()
	}
	return ""
}

// EncodingOf returns the encoding r reads its CSV file with (one of Encodings), "" for a
// workbook.
func EncodingOf(r Reader) string {
	if e, ok := r.(interface{ Encoding() string }); ok {
		return e.Encoding()
	}
	return ""
}
