package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
)

// ErrHeaderMismatch: the CSV file appended to does not start with the header
// of the rows being appended.
var ErrHeaderMismatch = errors.New("header differs from the existing file's")

// appendCopy prepares an append to the CSV file at path: it checks that the
// file's first record equals header (as written, after neutralization) and
// copies the file to a temporary file next to it, positioned at the end and
// ended by a line break, so that the rows can be added and the copy renamed
// over the file. It sets o.CRLF to the line ending of the file's header.
// existing is false when the file is missing or empty: the temporary file is
// then empty and the caller writes the header.
func appendCopy(path string, header []string, o *ExportOptions) (tmp *os.File, existing bool, err error) {
	src, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		tmp, err = tempFile(path, ".tmp")
		return tmp, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("append %s: %w", path, err)
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return nil, false, fmt.Errorf("append %s: %w", path, err)
	}
	if fi.Size() == 0 {
		tmp, err = tempFile(path, ".tmp")
		return tmp, false, err
	}
	crlf, endsLine, err := checkAppendHeader(src, fi.Size(), header, o.Delimiter)
	if err != nil {
		return nil, false, fmt.Errorf("append %s: %w", path, err)
	}
	o.CRLF = crlf
	tmp, err = tempFile(path, ".tmp")
	if err != nil {
		return nil, false, err
	}
	fail := func(err error) (*os.File, bool, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, false, fmt.Errorf("append %s: copy: %w", path, err)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return fail(err)
	}
	// ReadFrom lets the kernel copy (copy_file_range on Linux).
	n, err := tmp.ReadFrom(src)
	if err != nil {
		return fail(err)
	}
	if n != fi.Size() {
		return fail(fmt.Errorf("copied %d of %d bytes: the file changed during the copy", n, fi.Size()))
	}
	if !endsLine {
		eol := "\n"
		if crlf {
			eol = "\r\n"
		}
		if _, err := tmp.WriteString(eol); err != nil {
			return fail(err)
		}
	}
	return tmp, true, nil
}

// checkAppendHeader reads the first record of the file src of the given
// size and compares it with header. It reports whether the header line ends
// with CR LF and whether the file's last byte ends a line.
func checkAppendHeader(src *os.File, size int64, header []string, comma rune) (crlf, endsLine bool, err error) {
	br := bufio.NewReader(src)
	head, _ := br.Peek(3)
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return false, false, detail(ErrEncoding, "the file is UTF-16: only a UTF-8 file can be appended to")
	}
	skip := int64(0)
	if bytes.HasPrefix(head, []byte(utf8BOM)) {
		skip = int64(len(utf8BOM))
		br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	have, err := cr.Read()
	if err != nil {
		return false, false, fmt.Errorf("read header: %w", err)
	}
	if !slices.Equal(have, header) {
		hint := ""
		if len(have) == 1 && len(header) > 1 {
			hint = fmt.Sprintf(" (is the delimiter %q right?)", comma)
		}
		return false, false, fmt.Errorf("%w: the file has %q, the rows have %q%s", ErrHeaderMismatch, have, header, hint)
	}
	end := skip + cr.InputOffset()
	var b [2]byte
	if end >= 2 {
		if _, err := src.ReadAt(b[:], end-2); err != nil {
			return false, false, err
		}
		crlf = b == [2]byte{'\r', '\n'}
	}
	if _, err := src.ReadAt(b[:1], size-1); err != nil {
		return false, false, err
	}
	return crlf, b[0] == '\n', nil
}
