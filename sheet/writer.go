package sheet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// Writer writes rows to a spreadsheet file. Nothing is visible at the path
// until Close succeeds: rows go to a temporary file in the same directory
// that Close syncs and renames over the path. A Writer is not safe for
// concurrent use; it does not keep the slices passed to it.
type Writer interface {
	// Write writes one row of text cells, neutralized with EscapeFormula
	// unless ExportOptions.AllowFormulas is set.
	Write(row []string) error
	// WriteCells writes one row of typed cells: KindString and KindError
	// cells (and a KindEmpty cell that has Text) are written as text, neutralized
	// like Write; KindNumber as numbers, KindBool as booleans, KindDate and
	// KindDateTime as dates (typed cells in XLSX; in CSV the number's digits,
	// TRUE/FALSE, and the dates in ExportOptions' layouts). Numbers are never
	// neutralized: -5 stays a number.
	WriteCells(cells []Cell) error
	// Close finishes the file and moves it into place. After a failed Write,
	// a failed Close or a cancelled context the temporary file is removed and
	// the path is left untouched. It is safe to call more than once.
	Close() error
	// Abort removes the temporary file without writing the path. It is a
	// no-op after Close, so `defer w.Abort()` is the way to clean up.
	Abort() error
}

// EscapeFormula protects text against formula injection (OWASP "CSV
// injection"): text that starts with = + - @ (or their full-width forms ＝ ＋
// － ＠, which spreadsheets in East Asian locales read as the signs) after
// leading white space, control and invisible format characters (a byte-order
// mark, a zero-width space), or whose leading run holds a TAB or CR, is
// prefixed with a single quote ', so that no spreadsheet program runs it as a
// formula. The quote is visible in the cell; a reader of the file can strip
// it. Typed numbers are never escaped (-5 stays a number).
func EscapeFormula(s string) string {
	for _, r := range s {
		switch r {
		case '=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠':
			return "'" + s
		}
		if !unicode.IsSpace(r) && !unicode.IsControl(r) && !unicode.Is(unicode.Cf, r) {
			return s
		}
	}
	return s
}

// ExportOptions tunes CreateExport, CreateCSV and NewWorkbook. The zero value
// writes a comma-separated CSV without a BOM, with LF line ends and
// neutralized formulas, or an XLSX with a bold frozen header, an autofilter
// and columns sized from the first 100 rows.
type ExportOptions struct {
	// Delimiter separates CSV fields; 0 means ',' (TAB for a .tsv path).
	// It cannot be '"', CR or LF. Ignored for XLSX.
	Delimiter rune
	// BOM starts a new CSV file with the UTF-8 byte order mark, which Excel
	// needs to read UTF-8 text right. When appending, the existing file keeps
	// what it has. Ignored for XLSX.
	BOM bool
	// CRLF ends CSV records with CR LF instead of LF. When appending, the
	// existing file's header line decides. Ignored for XLSX.
	CRLF bool
	// Append adds the rows to the end of an existing CSV file instead of
	// replacing it; the file's first record must equal the header
	// (ErrHeaderMismatch otherwise). A missing or empty file is created with
	// the header. The file is copied to the temporary file first, so that it
	// is whole or untouched at every instant: an append costs a copy of the
	// existing file, in time and in free disk space. Refused for XLSX.
	Append bool
	// AllowFormulas writes text exactly as given. The zero value neutralizes
	// text that a spreadsheet would run as a formula (see EscapeFormula), in
	// the header and in every text cell, for CSV and XLSX alike.
	AllowFormulas bool
	// DateLayout and DateTimeLayout are the Go time layouts of KindDate and
	// KindDateTime cells in CSV; "" means "2006-01-02" and
	// "2006-01-02 15:04:05.999". XLSX uses them only for a date Excel cannot
	// hold (before 1900-03-01 or after 9999), which it writes as text.
	DateLayout, DateTimeLayout string
	// DateFormat and DateTimeFormat are the Excel number formats of XLSX date
	// and date-time cells; "" means "yyyy-mm-dd" and "yyyy-mm-dd hh:mm:ss".
	// Ignored for CSV.
	DateFormat, DateTimeFormat string
	// Sheet names the one sheet that CreateExport and Create write to an XLSX
	// file; "" means "Sheet1". It is sanitized like Workbook.AddSheet's names.
	Sheet string
	// WidthRows is how many data rows of each XLSX sheet are held back to size
	// the columns before they are streamed; 0 means 100, a negative value
	// sizes the columns from the header alone, and at most 10,000 are held.
	WidthRows int
	// MaxWidth caps an XLSX column's width, in characters; 0 means 60, and
	// Excel's own limit of 255 caps it too.
	MaxWidth int
}

const (
	defaultWidthRows = 100
	maxWidthRows     = 10_000
	defaultMaxWidth  = 60
	excelMaxWidth    = 255
)

// applyDefaults returns o with its zero values filled in for path, or an
// error naming what is wrong with o.
func (o ExportOptions) applyDefaults(path string) (ExportOptions, error) {
	if o.Delimiter == 0 {
		o.Delimiter = ','
		if strings.EqualFold(filepath.Ext(path), ".tsv") {
			o.Delimiter = '\t'
		}
	}
	if !validDelimiter(o.Delimiter) {
		return o, fmt.Errorf("invalid delimiter %q", o.Delimiter)
	}
	if o.DateLayout == "" {
		o.DateLayout = "2006-01-02"
	}
	if o.DateTimeLayout == "" {
		o.DateTimeLayout = "2006-01-02 15:04:05.999"
	}
	if o.DateFormat == "" {
		o.DateFormat = "yyyy-mm-dd"
	}
	if o.DateTimeFormat == "" {
		o.DateTimeFormat = "yyyy-mm-dd hh:mm:ss"
	}
	switch {
	case o.WidthRows == 0:
		o.WidthRows = defaultWidthRows
	case o.WidthRows < 0:
		o.WidthRows = 0
	case o.WidthRows > maxWidthRows:
		o.WidthRows = maxWidthRows
	}
	switch {
	case o.MaxWidth <= 0:
		o.MaxWidth = defaultMaxWidth
	case o.MaxWidth > excelMaxWidth:
		o.MaxWidth = excelMaxWidth
	}
	return o, nil
}

// validDelimiter is encoding/csv's rule for a field separator.
func validDelimiter(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

// text neutralizes s unless formulas are allowed.
func (o *ExportOptions) text(s string) string {
	if o.AllowFormulas {
		return s
	}
	return EscapeFormula(s)
}

// Create creates a writer for path with the default ExportOptions and writes
// the header row: a report writer. See CreateExport.
func Create(path string, header []string) (Writer, error) {
	return CreateExport(context.Background(), path, header, ExportOptions{})
}

// CreateExport creates a writer for path by its extension (.csv, .txt and
// .tsv are CSV, .xlsx is a workbook of one sheet) and writes the header row.
// The file appears at path only when Close succeeds. Once ctx is done, the
// next Write or Close fails with the context's cause and removes the
// temporary file; the path is then never written. Errors name the path.
func CreateExport(ctx context.Context, path string, header []string, o ExportOptions) (Writer, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv", ".txt", ".tsv":
		return CreateCSV(ctx, path, header, o)
	case ".xlsx":
		if o.Append {
			return nil, fmt.Errorf("create %s: append works only for csv files", path)
		}
		wb, err := NewWorkbook(ctx, path, o)
		if err != nil {
			return nil, err
		}
		name := o.Sheet
		if name == "" {
			name = "Sheet1"
		}
		ws, err := wb.AddSheet(name, header)
		if err != nil {
			wb.Abort()
			return nil, err
		}
		return oneSheet{ws}, nil
	default:
		return nil, fmt.Errorf("create %s: unsupported extension %q (use .csv, .tsv or .xlsx)", path, ext)
	}
}

// checkDestination refuses a path that is a directory, before any work is
// done for it.
func checkDestination(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("create %s: is a directory", path)
	}
	return nil
}

// tempFile creates the temporary file next to path. When path exists its
// permissions are kept; a new file gets 0600.
func tempFile(path, suffix string) (*os.File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*"+suffix)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		if err := f.Chmod(fi.Mode().Perm()); err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, fmt.Errorf("create %s: %w", path, err)
		}
	}
	return f, nil
}

// commit syncs and closes tmp and, unless the writer was cancelled, renames
// it over path and syncs path's folder; on any error before the rename it
// removes tmp and path is untouched.
func commit(tmp *os.File, path string, c *cancelFlag) error {
	err := tmp.Sync()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = c.err()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("write %s: sync folder: %w", path, err)
	}
	return nil
}

// syncDir makes a rename in dir durable. Windows cannot sync a folder and
// makes renames durable by itself.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

var errClosed = errors.New("writer is closed")

// cancelFlag records that a writer's context is done without keeping the
// context: the writer checks it on each call and before the rename.
type cancelFlag struct {
	cause atomic.Pointer[error]
	stop  func() bool
}

func watchContext(ctx context.Context) *cancelFlag {
	c := &cancelFlag{stop: func() bool { return false }}
	if err := ctx.Err(); err != nil {
		err = context.Cause(ctx)
		c.cause.Store(&err)
		return c
	}
	if ctx.Done() != nil {
		c.stop = context.AfterFunc(ctx, func() {
			err := context.Cause(ctx)
			c.cause.Store(&err)
		})
	}
	return c
}

// err returns the context's cause once it is done, nil before.
func (c *cancelFlag) err() error {
	if p := c.cause.Load(); p != nil {
		return *p
	}
	return nil
}
