package sheet

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf16"
)

var (
	zipMagic  = []byte("PK\x03\x04")
	zipEmpty  = []byte("PK\x05\x06")
	ole2Magic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

type format int

const (
	formatCSV format = iota
	formatXLSX
)

// Open opens a spreadsheet for streaming: OpenContext without a context.
func Open(path string, o Options) (Reader, error) {
	return OpenContext(context.Background(), path, o)
}

// OpenContext opens a spreadsheet for streaming. The format is chosen by content first: a
// ZIP file is read as XLSX; an OLE2 compound file is reported as a password-protected
// workbook (ErrEncrypted) or an old .xls (ErrLegacyXLS). Anything else is read as CSV when
// the extension is .csv, .tsv or .txt and refused with ErrNotSpreadsheet otherwise.
//
// The file is opened once. A CSV source may be a pipe (FIFO) or a device: it is read as a
// stream, and opening a FIFO waits for its writer. An XLSX workbook must be a regular file
// (ErrNotSeekable). When ctx ends, a wait to open or to read ends, and the reader's next
// call returns a *FileError wrapping ctx's error. Errors are *FileError.
func OpenContext(ctx context.Context, path string, o Options) (Reader, error) {
	if o.Folder != nil {
		return openFolder(path, o)
	}
	fh, err := openFile(ctx, path)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	f, src, regular, format, err := sniff(ctx, path, fh)
	if err != nil {
		return nil, err
	}
	if format == formatXLSX {
		f.stop() // the workbook reads fh at offsets
		return openXLSX(fh, path, o)
	}
	return openCSV(ctx, path, o, f, src, regular)
}

// CountRows is CountRowsContext without a context.
func CountRows(path string, o Options) (int, error) {
	return CountRowsContext(context.Background(), path, o)
}

// CountRowsContext returns the number of data rows after the header, for a progress
// estimate. For CSV it is exact (records, blank lines not counted, a record
// with bad quotes counted once). For XLSX it counts the row elements below
// the header, so rows whose cells are all blank are counted too: an upper
// bound of what Next returns. A pipe or a device cannot be read twice: it is
// not opened, and the error wraps ErrNotSeekable.
//
// When ctx ends, counting stops within a buffer's work (64 KiB of a CSV, of a workbook's
// compressed bytes, or one file of a folder), and the error wraps ctx's error.
func CountRowsContext(ctx context.Context, path string, o Options) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, &FileError{Path: path, Err: err}
	}
	if o.Folder != nil {
		return countFolder(ctx, path, o)
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, &FileError{Path: path, Err: err}
	}
	if !st.Mode().IsRegular() {
		return 0, &FileError{Path: path, Err: detail(ErrNotSeekable, "a pipe or a device is read once, so its rows are not counted")}
	}
	fh, err := os.Open(path)
	if err != nil {
		return 0, &FileError{Path: path, Err: err}
	}
	f, src, _, format, err := sniff(ctx, path, fh)
	if err != nil {
		return 0, err
	}
	if format == formatXLSX {
		f.stop()
		return countXLSX(ctx, fh, path, o)
	}
	return countCSV(ctx, f, src, path, o)
}

// sniff reads the first bytes of the open file fh and tells its format. It returns the
// file wrapped to end its reads with ctx, and a buffered reader of it from its first byte.
// On error fh is closed.
func sniff(ctx context.Context, path string, fh *os.File) (f *ctxFile, src *bufio.Reader, regular bool, _ format, _ error) {
	fail := func(err error) (*ctxFile, *bufio.Reader, bool, format, error) {
		fh.Close()
		return nil, nil, false, 0, &FileError{Path: path, Err: err}
	}
	st, err := fh.Stat()
	if err != nil {
		return fail(err)
	}
	if st.IsDir() {
		return fail(detail(ErrNotSpreadsheet, "is a folder"))
	}
	regular = st.Mode().IsRegular()
	f = newCtxFile(ctx, fh)
	src = bufio.NewReaderSize(f, bufSize)
	head, err := src.Peek(8)
	if err != nil && !errors.Is(err, io.EOF) {
		f.stop()
		return fail(err)
	}
	if len(head) == 0 {
		f.stop()
		return fail(ErrEmptyFile)
	}
	bad := func(err error) (*ctxFile, *bufio.Reader, bool, format, error) {
		f.stop()
		return fail(err)
	}
	switch {
	case bytes.HasPrefix(head, zipMagic):
		if !regular {
			return bad(detail(ErrNotSeekable, "an xlsx workbook is read from a file, not from a pipe or a device: save it to a file"))
		}
		return f, src, regular, formatXLSX, nil
	case bytes.HasPrefix(head, zipEmpty):
		return bad(detail(ErrNotSpreadsheet, "empty zip archive"))
	case bytes.HasPrefix(head, ole2Magic):
		if ole2Encrypted(src) {
			return bad(ErrEncrypted)
		}
		return bad(ErrLegacyXLS)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv", ".txt":
		return f, src, regular, formatCSV, nil
	case ".xlsx", ".xlsm", ".xltx", ".xltm":
		return bad(detail(ErrNotSpreadsheet, "an .xlsx file must be a zip package"))
	case ".xls":
		return bad(detail(ErrNotSpreadsheet, "not an excel workbook"))
	}
	return bad(detail(ErrNotSpreadsheet, "unsupported extension %q (use .csv, .tsv, .txt or .xlsx)", filepath.Ext(path)))
}

// ole2Encrypted reports whether a compound file holds an "EncryptionInfo"
// stream, which is how Office stores a password-protected .xlsx. The directory
// entry names are UTF-16LE; the first 64 MiB are searched.
func ole2Encrypted(r io.Reader) bool {
	needle := utf16le("EncryptionInfo")
	buf := make([]byte, 0, 1<<16+len(needle))
	chunk := make([]byte, 1<<16)
	lr := io.LimitReader(r, 64<<20)
	for {
		n, err := lr.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if bytes.Contains(buf, needle) {
			return true
		}
		if len(buf) > len(needle) {
			buf = append(buf[:0], buf[len(buf)-len(needle):]...)
		}
		if err != nil {
			return false
		}
	}
}

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u))
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	return b
}

// cleanHeader trims names, drops trailing empty ones and checks the rest:
// an empty name before a named column or a repeated name is an error.
func cleanHeader(raw []string) ([]string, error) {
	h := make([]string, len(raw))
	for i, s := range raw {
		h[i] = strings.TrimSpace(s)
	}
	for len(h) > 0 && h[len(h)-1] == "" {
		h = h[:len(h)-1]
	}
	if len(h) == 0 {
		return nil, detail(ErrEmptyFile, "header row has no column names")
	}
	seen := make(map[string]int, len(h))
	for i, s := range h {
		if s == "" {
			return nil, detail(ErrEmptyHeader, "column %d", i+1)
		}
		if j, ok := seen[s]; ok {
			return nil, detail(ErrDuplicateHeader, "%q in columns %d and %d", clip(s), j+1, i+1)
		}
		seen[s] = i
	}
	return h, nil
}

// fitCells pads cells to n, or reports the first non-empty cell beyond n.
// It returns the (possibly padded) cells and the index of the first extra
// non-empty cell, or -1.
func fitCells(cells []Cell, n int) ([]Cell, int) {
	if len(cells) < n {
		out := make([]Cell, n)
		copy(out, cells)
		return out, -1
	}
	for i := n; i < len(cells); i++ {
		if cells[i].Text != "" {
			return cells, i
		}
	}
	return cells[:n], -1
}
