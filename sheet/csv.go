package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// maxQuoteRecoveries bounds how often a CSV reader re-reads the file to
// recover from a quote left open to the end of the file.
const maxQuoteRecoveries = 100

const bufSize = 64 << 10

// csvReader reads a CSV file with encoding/csv over a decoding stream.
type csvReader struct {
	path      string
	o         Options
	enc       string // resolved encoding name
	checkUTF8 bool
	comma     rune

	file       *os.File
	br         *bufio.Reader // decoded text, shared with cr
	cr         *csv.Reader
	lineOffset int // lines skipped before cr started (after a recovery)
	recoveries int

	// A second view of the decoded text, only moving forward, to re-read
	// the first line of a record with bad quotes (see rawFields).
	rawFile *os.File
	rawBr   *bufio.Reader
	rawLine int // lines rawBr has consumed

	header []string
	err    error // sticky final error (io.EOF or *FileError)
}

func openCSV(path string, o Options) (*csvReader, error) {
	r := &csvReader{path: path, o: o, comma: o.Delimiter}
	if err := r.open(0); err != nil {
		return nil, err
	}
	if err := r.readHeader(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *csvReader) fileErr(line int, err error) error {
	return &FileError{Path: r.path, Line: line, Err: err}
}

// open opens the file, sets up decoding, skips skipLines decoded lines and
// starts a csv.Reader. The first call resolves encoding and delimiter.
func (r *csvReader) open(skipLines int) error {
	if r.file != nil {
		r.file.Close()
		r.file = nil
	}
	f, br, err := r.openText()
	if err != nil {
		return err
	}
	r.file, r.br = f, br
	if r.comma == 0 {
		r.comma = detectDelimiter(r.br)
	}
	skipText(r.br, skipLines)
	r.lineOffset = skipLines
	r.cr = csv.NewReader(r.br)
	r.cr.Comma = r.comma
	r.cr.FieldsPerRecord = -1
	r.cr.ReuseRecord = true
	if !validDelim(r.comma) {
		return r.fileErr(0, fmt.Errorf("open csv: invalid delimiter %q", r.comma))
	}
	return nil
}

// openText opens the file and returns it with its decoded text, byte order
// mark removed. The first call resolves the encoding.
func (r *csvReader) openText() (*os.File, *bufio.Reader, error) {
	f, err := os.Open(r.path)
	if err != nil {
		return nil, nil, r.fileErr(0, err)
	}
	raw := bufio.NewReaderSize(f, bufSize)
	dec, err := r.decoder(raw)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	var text io.Reader = raw
	if dec != nil {
		text = transform.NewReader(raw, dec.NewDecoder())
	}
	br := bufio.NewReaderSize(text, bufSize)
	if r.checkUTF8 {
		// A BOM written after a transcoding step is still a BOM.
		if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xEF\xBB\xBF")) {
			br.Discard(3)
		}
	}
	return f, br, nil
}

// skipText consumes up to n lines of br, in bounded memory, and returns how
// many it consumed (fewer at the end of the text).
func skipText(br *bufio.Reader, n int) int {
	done := 0
	for done < n {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			continue // same line continues
		}
		if err != nil {
			if len(b) > 0 {
				done++ // last line, without a line ending
			}
			break
		}
		done++
	}
	return done
}

// readText reads the next line of br without its line ending. A line longer
// than limit bytes is consumed but not kept: ok is false, as at the end of
// the text.
func readText(br *bufio.Reader, limit int) (line []byte, ok bool) {
	n, long := 0, false
	for {
		b, err := br.ReadSlice('\n')
		n += len(b)
		if !long {
			if len(line)+len(b) > limit+len("\r\n") {
				long, line = true, nil
			} else {
				line = append(line, b...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if n == 0 || long {
			return nil, false
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > limit {
			return nil, false
		}
		return line, true
	}
}

func validDelim(c rune) bool {
	return c != 0 && c != '"' && c != '\r' && c != '\n' && utf8.ValidRune(c) && c != utf8.RuneError
}

// decoder resolves the encoding (once), consumes a BOM and returns the
// decoder to apply, nil for UTF-8.
func (r *csvReader) decoder(raw *bufio.Reader) (encoding.Encoding, error) {
	head, _ := raw.Peek(4)
	bom := func(p string) bool { return bytes.HasPrefix(head, []byte(p)) }
	enc := r.enc
	if enc == "" {
		if strings.TrimSpace(r.o.Encoding) == "" {
			switch {
			case bom("\xEF\xBB\xBF"):
				enc = "utf-8"
			case bom("\xFF\xFE"):
				enc = "utf-16le"
			case bom("\xFE\xFF"):
				enc = "utf-16be"
			case len(head) == 4 && head[0] != 0 && head[1] == 0 && head[2] != 0 && head[3] == 0:
				enc = "utf-16le"
			case len(head) == 4 && head[0] == 0 && head[1] != 0 && head[2] == 0 && head[3] != 0:
				enc = "utf-16be"
			default:
				// UTF-8, checked as it is read: an invalid header refuses
				// the file, an invalid field its row, both advising
				// windows-1252.
				enc = "utf-8"
			}
		} else {
			canon, ok := EncodingName(r.o.Encoding)
			if !ok {
				return nil, r.fileErr(0, detail(ErrEncoding,
					"unknown encoding %q (use one of %s)", r.o.Encoding, strings.Join(Encodings, ", ")))
			}
			enc = canon
			if !strings.HasPrefix(enc, "utf-16") && (bom("\xFF\xFE") || bom("\xFE\xFF")) {
				return nil, r.fileErr(1, detail(ErrEncoding,
					"the file starts with a utf-16 byte order mark; set encoding: utf-16 or leave encoding out, not %s", r.o.Encoding))
			}
			if enc == "utf-16" {
				enc = "utf-16le"
				if bom("\xFE\xFF") {
					enc = "utf-16be"
				}
			}
		}
		r.enc = enc
	}
	switch enc {
	case "utf-8":
		r.checkUTF8 = true
		if bom("\xEF\xBB\xBF") {
			raw.Discard(3)
		}
		return nil, nil
	case "utf-16le":
		if bom("\xFF\xFE") {
			raw.Discard(2)
		}
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), nil
	case "utf-16be":
		if bom("\xFE\xFF") {
			raw.Discard(2)
		}
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), nil
	}
	if d := singleByte(enc); d != nil {
		return d, nil
	}
	return nil, r.fileErr(0, detail(ErrEncoding, "unsupported encoding %q", enc))
}

// detectDelimiter picks the candidate occurring most often outside quotes in
// the first lines of the text; ',' on a tie or when none occurs.
func detectDelimiter(br *bufio.Reader) rune {
	b, _ := br.Peek(bufSize)
	cands := []byte{',', ';', '\t', '|'}
	counts := make([]int, len(cands))
	inQuote, lines := false, 0
	for _, c := range b {
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '\n':
			lines++
		default:
			if i := bytes.IndexByte(cands, c); i >= 0 {
				counts[i]++
			}
		}
		if lines >= 10 {
			break
		}
	}
	best := 0
	for i := range cands {
		if counts[i] > counts[best] {
			best = i
		}
	}
	return rune(cands[best])
}

func (r *csvReader) readHeader() error {
	for i := 1; ; i++ {
		rec, err := r.cr.Read()
		if err == io.EOF {
			return r.fileErr(0, detail(ErrEmptyFile, "no header row"))
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if i < r.o.headerRow() {
				continue
			}
			return r.fileErr(pe.StartLine, detail(ErrBadQuotes, "header: %v", pe.Err))
		}
		if err != nil {
			return r.fileErr(0, err)
		}
		if i < r.o.headerRow() {
			continue
		}
		line, _ := r.cr.FieldPos(0)
		for _, s := range rec {
			if r.checkUTF8 && !utf8.ValidString(s) {
				return r.fileErr(line, detail(ErrEncoding, "header is not valid utf-8; set encoding: windows-1252"))
			}
			if strings.IndexByte(s, 0) >= 0 {
				return r.fileErr(line, detail(ErrNUL, "header"))
			}
		}
		h, err := cleanHeader(rec)
		if err != nil {
			return r.fileErr(line, err)
		}
		r.header = h
		return nil
	}
}

// Header returns the column names.
func (r *csvReader) Header() []string { return r.header }

// Close closes the file.
func (r *csvReader) Close() error {
	if r.rawFile != nil {
		r.rawFile.Close()
		r.rawFile, r.rawBr = nil, nil
	}
	if r.file == nil {
		return nil
	}
	err := r.file.Close()
	r.file = nil
	if r.err == nil {
		r.err = &FileError{Path: r.path, Err: os.ErrClosed}
	}
	return err
}

// next reads one record. It returns the record (reused on the next call),
// its first line, and a *RowError for bad quotes; or a final error.
func (r *csvReader) next() ([]string, int, error) {
	if r.err != nil {
		return nil, 0, r.err
	}
	rec, err := r.cr.Read()
	if err == nil {
		line, _ := r.cr.FieldPos(0)
		return rec, line + r.lineOffset, nil
	}
	if err == io.EOF {
		r.err = io.EOF
		return nil, 0, io.EOF
	}
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		r.err = r.fileErr(0, fmt.Errorf("read csv: %w", err))
		return nil, 0, r.err
	}
	start := pe.StartLine + r.lineOffset
	rerr := &RowError{Path: r.path, Row: start, Column: r.column(len(rec)),
		Err: detail(ErrBadQuotes, "%v at line %d", pe.Err, pe.Line+r.lineOffset)}
	if pe.Line > pe.StartLine {
		if _, perr := r.br.Peek(1); perr == io.EOF {
			// The open quote swallowed every following line: go back and
			// read on from the line after the record's first line.
			if r.recoveries >= maxQuoteRecoveries {
				r.err = r.fileErr(start, detail(ErrBadQuotes, "too many unterminated quotes"))
				return nil, 0, r.err
			}
			r.recoveries++
			rerr.Err = detail(ErrBadQuotes, "quote opened on line %d is never closed", start)
			if err := r.open(start); err != nil {
				r.err = err
				return nil, 0, r.err
			}
		}
	}
	return rec, start, rerr
}

// rawFields returns the best reading of decoded line num (1-based) of the
// file, the first line of a record with bad quotes: its fields split with
// lazy quotes, or else the whole line as one field. It returns nil when the
// line cannot be read or is longer than a row of cells at the size limit.
//
// Records come in file order, so the second view of the text it reads from
// only moves forward: re-reading every bad record reads the file once more
// at most, one line at a time.
func (r *csvReader) rawFields(num int) []string {
	if num <= 0 || r.file == nil {
		return nil
	}
	if r.rawBr == nil || r.rawLine >= num {
		if r.rawFile != nil {
			r.rawFile.Close()
			r.rawFile, r.rawBr = nil, nil
		}
		f, br, err := r.openText()
		if err != nil {
			return nil
		}
		r.rawFile, r.rawBr, r.rawLine = f, br, 0
	}
	want := num - 1 - r.rawLine
	r.rawLine += skipText(r.rawBr, want)
	if r.rawLine < num-1 {
		return nil // the text ends before the line
	}
	line, ok := readText(r.rawBr, r.o.maxCell()*max(len(r.header), 1))
	r.rawLine++
	if !ok {
		return nil
	}
	lr := csv.NewReader(bytes.NewReader(line))
	lr.Comma = r.comma
	lr.LazyQuotes = true
	lr.FieldsPerRecord = -1
	if rec, err := lr.Read(); err == nil && len(rec) > 0 {
		if _, err := lr.Read(); err == io.EOF {
			return rec
		}
	}
	return []string{string(line)}
}

func (r *csvReader) column(i int) string {
	if i < len(r.header) {
		return r.header[i]
	}
	return ""
}

// Next returns the next record as a Row.
func (r *csvReader) Next() (Row, error) {
	rec, num, err := r.next()
	if err != nil {
		var re *RowError
		if !errors.As(err, &re) {
			return Row{}, err
		}
		// Bad quotes: csv.Reader keeps only the fields before the bad
		// one. Give the record's first line as well as it reads, so that
		// the row can be fixed in a reject report.
		if raw := r.rawFields(num); raw != nil {
			rec = raw
		}
	}
	cells := make([]Cell, len(rec))
	for i, s := range rec {
		cells[i] = Cell{Text: s}
		if s != "" {
			cells[i].Kind = KindString
		}
	}
	var extra int
	cells, extra = fitCells(cells, len(r.header))
	row := Row{Num: num, Cells: cells}
	if err != nil {
		return row, err
	}
	if extra >= 0 {
		return row, &RowError{Path: r.path, Row: num,
			Err: detail(ErrTooManyFields, "%d fields for %d columns, column %d holds %q",
				len(cells), len(r.header), extra+1, clip(cells[extra].Text))}
	}
	for i, c := range cells {
		if err := r.checkField(c.Text); err != nil {
			return row, &RowError{Path: r.path, Row: num, Column: r.column(i), Err: err}
		}
	}
	return row, nil
}

func (r *csvReader) checkField(s string) error {
	if len(s) > r.o.maxCell() {
		return detail(ErrCellTooLarge, "%d bytes, limit %d", len(s), r.o.maxCell())
	}
	if strings.IndexByte(s, 0) >= 0 {
		return ErrNUL
	}
	if r.checkUTF8 && !utf8.ValidString(s) {
		return detail(ErrInvalidUTF8, "set encoding: windows-1252 if the file was saved by excel on windows")
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) <= 40 {
		return s
	}
	i := 40
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

func countCSV(path string, o Options) (int, error) {
	r, err := openCSV(path, o)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n := 0
	for {
		_, _, err := r.next()
		if err == io.EOF {
			return n, nil
		}
		var re *RowError
		if err != nil && !errors.As(err, &re) {
			return n, err
		}
		n++
	}
}
