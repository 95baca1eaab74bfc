package sheet

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// maxQuoteRecoveries bounds how often a CSV reader re-reads the file to
// recover from a quote left open to the end of the file.
const maxQuoteRecoveries = 100

const bufSize = 64 << 10

// csvReader reads a CSV file with csvScanner over a decoding stream.
type csvReader struct {
	path      string
	o         Options
	enc       string // resolved encoding name
	checkUTF8 bool
	comma     rune
	regular   bool // a regular file, which can be opened again; not a pipe or a device
	// reopen opens the file again, its reads ending with the context the reader was
	// opened with (to check its encoding, to recover from a quote never closed).
	reopenFile func() (io.ReadCloser, error)

	file       io.Closer     // the open file
	br         *bufio.Reader // decoded text
	sc         *csvScanner
	lineOffset int // lines skipped before sc started (after a recovery)
	rowOffset  int // rows before sc started (after a recovery)
	skipped    int // all-empty records skipped
	recoveries int

	header []string
	notice string // what the reader chose on its own, for the user to read
	err    error  // sticky final error (io.EOF or *FileError)
}

// openCSV starts reading the CSV file path, whose first bytes src holds; f is the open
// file, regular tells whether it can be opened again. Every read of the file ends when
// ctx ends.
func openCSV(ctx context.Context, path string, o Options, f io.Closer, src *bufio.Reader, regular bool) (*csvReader, error) {
	r := newCSVReader(ctx, path, o, regular)
	if err := r.start(f, src, 0); err != nil {
		f.Close()
		return nil, err
	}
	if err := r.readHeader(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// newCSVReader returns a reader of path, to be started.
func newCSVReader(ctx context.Context, path string, o Options, regular bool) *csvReader {
	return &csvReader{path: path, o: o, comma: o.Delimiter, regular: regular,
		reopenFile: func() (io.ReadCloser, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			return newCtxFile(ctx, f), nil
		}}
}

func (r *csvReader) fileErr(line int, err error) error {
	return &FileError{Path: r.path, Line: line, Err: err}
}

// start sets up decoding of the raw bytes src of the open file f, skips skipLines decoded
// lines and starts a scanner. The first call resolves encoding and delimiter.
func (r *csvReader) start(f io.Closer, src *bufio.Reader, skipLines int) error {
	r.file = f
	dec, err := r.decoder(src)
	if err != nil {
		return err
	}
	var text io.Reader = src
	if dec != nil {
		text = transform.NewReader(src, dec)
	}
	r.br = bufio.NewReaderSize(text, bufSize)
	if r.checkUTF8 {
		// A BOM written after a transcoding step is still a BOM.
		if b, _ := r.br.Peek(3); bytes.Equal(b, []byte("\xEF\xBB\xBF")) {
			r.br.Discard(3)
		}
	}
	if r.comma == 0 {
		r.comma = detectDelimiter(r.br)
	}
	if !validDelim(r.comma) {
		return r.fileErr(0, fmt.Errorf("open csv: invalid delimiter %q", r.comma))
	}
	skipText(r.br, skipLines)
	r.lineOffset = skipLines
	r.sc = newCSVScanner(r.br, r.comma, r.o.maxCell(), r.o.maxRow())
	return nil
}

// reopen opens the file again, to read on from decoded line skipLines+1.
func (r *csvReader) reopen(skipLines int) error {
	if r.file != nil {
		r.file.Close()
		r.file = nil
	}
	f, err := r.reopenFile()
	if err != nil {
		return r.fileErr(0, err)
	}
	return r.start(f, bufio.NewReaderSize(f, bufSize), skipLines)
}

// skipText consumes up to n lines of br, in bounded memory, and returns how
// many it consumed (fewer at the end of the text). Lines end as csvScanner counts
// them: with \n, \r\n or a bare \r.
func skipText(br *bufio.Reader, n int) int {
	done, inLine := 0, false
	for done < n {
		b, _ := br.Peek(1)
		if len(b) == 0 {
			if inLine {
				done++ // last line, without a line ending
			}
			break
		}
		b, _ = br.Peek(br.Buffered())
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			br.Discard(len(b)) // same line continues
			inLine = true
			continue
		}
		c := b[i]
		br.Discard(i + 1)
		if c == '\r' {
			if nx, _ := br.Peek(1); len(nx) == 1 && nx[0] == '\n' {
				br.Discard(1)
			}
		}
		done++
		inLine = false
	}
	return done
}

func validDelim(c rune) bool {
	return c != 0 && c != '"' && c != '\r' && c != '\n' && utf8.ValidRune(c) && c != utf8.RuneError
}

// decoder resolves the encoding (once), consumes a BOM and returns the
// decoder to apply, nil for UTF-8. What a decoder cannot decode it passes on as text that
// is not valid UTF-8, for Next to refuse the row (see undecodable).
func (r *csvReader) decoder(raw *bufio.Reader) (transform.Transformer, error) {
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
				// No BOM: UTF-8 unless the text is not, checked before any row
				// is read (see sniffUTF8).
				var err error
				if enc, err = r.sniffUTF8(raw); err != nil {
					return nil, err
				}
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
		return utf16Decoder{}, nil
	case "utf-16be":
		if bom("\xFE\xFF") {
			raw.Discard(2)
		}
		return utf16Decoder{bigEndian: true}, nil
	}
	if t := singleByte(enc); t != nil {
		return byteDecoder{table: t}, nil
	}
	return nil, r.fileErr(0, detail(ErrEncoding, "unsupported encoding %q", enc))
}

// detectDelimiter picks the candidate occurring most often outside quotes in
// the first lines of the text; ',' on a tie or when none occurs.
func detectDelimiter(br *bufio.Reader) rune {
	// The lines buffered once the first one is whole: a stream whose writer pauses after
	// its header is not waited for.
	b, err := br.Peek(1)
	for err == nil && bytes.IndexAny(b, "\r\n") < 0 && len(b) < bufSize {
		b, err = br.Peek(len(b) + 1)
		b, _ = br.Peek(br.Buffered())
	}
	cands := []byte{',', ';', '\t', '|'}
	counts := make([]int, len(cands))
	inQuote, lines, prevCR := false, 0, false
	for _, c := range b {
		cr := prevCR
		prevCR = c == '\r'
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '\r', c == '\n' && !cr: // \r\n is one line ending
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
	want := r.o.headerRow()
	for i := 1; ; i++ {
		err := r.sc.scan()
		if err == io.EOF {
			if i == 1 {
				return r.fileErr(0, detail(ErrEmptyFile, "no header row: the file has blank lines only"))
			}
			return r.fileErr(0, &headerPastEnd{row: want, rows: r.sc.rows})
		}
		if err != nil {
			return r.readErr(err)
		}
		// Rows count as a spreadsheet program shows them: a record is one row however
		// many lines its quoted cells span, a blank line is a row too.
		if r.sc.rec.row < want {
			continue
		}
		rec := &r.sc.rec
		line := rec.start + r.lineOffset
		switch {
		case rec.quoteErr != nil:
			return r.fileErr(line, detail(ErrBadQuotes, "header: %v", rec.quoteErr))
		case rec.nfields > MaxColumns:
			return r.fileErr(line, detail(ErrTooLarge, "the header has %d columns, more than %d", rec.nfields, MaxColumns))
		case rec.bigField >= 0:
			return r.fileErr(line, detail(ErrCellTooLarge, "header column %d is %d bytes, limit %d", rec.bigField+1, rec.bigLen, r.o.maxCell()))
		case rec.rowLen > r.o.maxRow():
			return r.fileErr(line, detail(ErrRowTooLarge, "the header is %d bytes, limit %d", rec.rowLen, r.o.maxRow()))
		}
		fields := rec.fields()
		for i, s := range fields {
			if why, bad := undecodable(r.enc, s); bad {
				return r.fileErr(line, detail(ErrEncoding, "header column %d: %s", i+1, why))
			}
			if strings.IndexByte(s, 0) >= 0 {
				return r.fileErr(line, detail(ErrNUL, "header"))
			}
		}
		h, err := cleanHeader(fields)
		if err != nil {
			return r.fileErr(line, err)
		}
		r.header = h
		return nil
	}
}

// readErr turns an error of the scanner into the reader's final error.
func (r *csvReader) readErr(err error) error {
	line := r.sc.rec.start + r.lineOffset
	if errors.Is(err, errRunaway) {
		return r.fileErr(line, detail(ErrTooLarge, "the row starting on line %d runs past %d bytes without ending: is this a CSV file?", line, int64(r.o.maxRow())+skipLimit))
	}
	var fe *FileError
	if errors.As(err, &fe) {
		return err
	}
	return r.fileErr(line, fmt.Errorf("read csv: %w", err))
}

// Header returns the column names.
func (r *csvReader) Header() []string { return r.header }

// Encoding returns the encoding the file is read with, one of Encodings.
func (r *csvReader) Encoding() string { return r.enc }

// Notice returns what the reader chose on its own that the user should know ("" when
// nothing): the encoding it detected for a file that is not UTF-8.
func (r *csvReader) Notice() string { return r.notice }

// Skipped returns the number of all-empty records skipped so far.
func (r *csvReader) Skipped() int { return r.skipped }

// allEmpty reports whether every field of rec is empty (",,,", or a lone "").
func allEmpty(rec *record) bool {
	if rec.rowLen > 0 {
		return false
	}
	for _, e := range rec.ends {
		if e != 0 {
			return false
		}
	}
	return true
}

// Close closes the file.
func (r *csvReader) Close() error {
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

// csvRecord is one record as the reader returns it.
type csvRecord struct {
	fields   []string // for bad quotes, the best reading of the record's first line
	num      int      // its row as a spreadsheet program shows it
	line     int      // the line it starts on
	nfields  int      // fields in the record, also those beyond MaxColumns
	bigField int      // the first field longer than MaxCellBytes, -1 when none
	bigLen   int
	rowLen   int // bytes in its fields, each counted up to MaxCellBytes
}

// next reads one record, skipping those whose fields are all empty (",,,", as spreadsheet
// programs write empty rows), which it counts in skipped. With bad quotes it returns it
// with a *RowError; any other error is final.
func (r *csvReader) next() (csvRecord, error) {
	if r.err != nil {
		return csvRecord{}, r.err
	}
	if err := r.sc.scan(); err != nil {
		if err != io.EOF {
			err = r.readErr(err)
		}
		r.err = err
		return csvRecord{}, err
	}
	rec := &r.sc.rec
	for rec.quoteErr == nil && rec.bigField < 0 && rec.nfields <= MaxColumns && allEmpty(rec) {
		r.skipped++
		if err := r.sc.scan(); err != nil {
			if err != io.EOF {
				err = r.readErr(err)
			}
			r.err = err
			return csvRecord{}, err
		}
	}
	out := csvRecord{fields: rec.fields(), num: rec.row + r.rowOffset, line: rec.start + r.lineOffset, nfields: rec.nfields,
		bigField: rec.bigField, bigLen: rec.bigLen, rowLen: rec.rowLen}
	if rec.quoteErr == nil {
		return out, nil
	}
	rerr := &RowError{Path: r.path, Row: out.num, Column: r.column(len(out.fields)),
		Err: detail(ErrBadQuotes, "%v at line %d", rec.quoteErr, rec.quoteLine+r.lineOffset)}
	// csvScanner keeps only the fields before the bad one. Give the record's first line
	// as well as it reads, so that the row can be fixed in a reject report.
	if line, ok := rec.firstLine(); ok {
		out.fields = lazyFields(line, r.comma, r.o.maxCell())
	}
	if rec.open && r.sc.line+r.lineOffset > out.line {
		// The open quote swallowed every following line: read on from the line after
		// the record's first line.
		if r.recoveries >= maxQuoteRecoveries {
			r.err = r.fileErr(out.line, detail(ErrBadQuotes, "too many unterminated quotes"))
			return csvRecord{}, r.err
		}
		r.recoveries++
		rerr.Err = detail(ErrBadQuotes, "quote opened on line %d is never closed", out.line)
		if err := r.recover(out.line, out.num); err != nil {
			r.err = err
			return csvRecord{}, r.err
		}
	}
	return out, rerr
}

// recover goes back to decoded line start+1 after a quote opened on line start, in row
// row, swallowed the rest of the text: out of memory when the scanner kept the record's
// text whole, else by opening the file again. A stream cannot be read again.
func (r *csvReader) recover(start, row int) error {
	r.rowOffset = row
	if rest, ok := r.sc.rec.afterFirstLine(); ok {
		text := bytes.NewReader(append([]byte(nil), rest...))
		r.br = bufio.NewReaderSize(io.MultiReader(text, r.br), bufSize)
		r.sc = newCSVScanner(r.br, r.comma, r.o.maxCell(), r.o.maxRow())
		r.lineOffset = start
		return nil
	}
	if !r.regular {
		return r.fileErr(start, detail(ErrBadQuotes,
			"quote opened on line %d is never closed, and what it swallowed is over %d bytes: a stream cannot be read again", start, r.o.maxRow()))
	}
	return r.reopen(start)
}

// lazyFields splits one line with lazy quotes, or gives it whole as one field; a field is
// cut to maxCell bytes.
func lazyFields(line []byte, comma rune, maxCell int) []string {
	lr := csv.NewReader(bytes.NewReader(line))
	lr.Comma = comma
	lr.LazyQuotes = true
	lr.FieldsPerRecord = -1
	rec, err := lr.Read()
	if err != nil || len(rec) == 0 || len(rec) > MaxColumns {
		rec = []string{string(line)}
	} else if _, err := lr.Read(); err != io.EOF {
		rec = []string{string(line)}
	}
	for i, f := range rec {
		if len(f) > maxCell {
			rec[i] = f[:validPrefix([]byte(f[:maxCell]))]
		}
	}
	return rec
}

func (r *csvReader) column(i int) string {
	if i < len(r.header) {
		return r.header[i]
	}
	return ""
}

// Next returns the next record as a Row.
func (r *csvReader) Next() (Row, error) {
	rec, err := r.next()
	var re *RowError
	if err != nil && !errors.As(err, &re) {
		return Row{}, err
	}
	cells := make([]Cell, len(rec.fields))
	badText, why := -1, "" // the first field that could not be decoded, and why
	for i, s := range rec.fields {
		if w, bad := undecodable(r.enc, s); bad {
			// The row goes to a reject report, which is UTF-8 whatever the source.
			if badText < 0 {
				badText, why = i, w
			}
			s = r.validText(s)
		}
		cells[i] = Cell{Text: s}
		if s != "" {
			cells[i].Kind = KindString
		}
	}
	var extra int
	cells, extra = fitCells(cells, len(r.header))
	row := Row{Num: rec.num, Cells: cells}
	rowErr := func(col string, err error) (Row, error) {
		return row, &RowError{Path: r.path, Row: rec.num, Column: col, Err: err}
	}
	switch {
	case err != nil:
		return row, err
	case rec.nfields > MaxColumns:
		return rowErr("", detail(ErrTooManyFields, "%d fields, more than the %d columns a sheet can have", rec.nfields, MaxColumns))
	case rec.bigField >= 0:
		return rowErr(r.column(rec.bigField), detail(ErrCellTooLarge, "%d bytes, limit %d", rec.bigLen, r.o.maxCell()))
	case rec.rowLen > r.o.maxRow():
		return rowErr("", detail(ErrRowTooLarge, "%d bytes in its cells, limit %d", rec.rowLen, r.o.maxRow()))
	case extra >= 0:
		return rowErr("", detail(ErrTooManyFields, "%d fields for %d columns, column %d holds %q",
			len(cells), len(r.header), extra+1, clip(cells[extra].Text)))
	case rec.nfields < len(r.header):
		return rowErr("", detail(ErrTooFewFields, "%s for %d columns: %s missing",
			plural(rec.nfields, "field"), len(r.header), nameList(r.header[rec.nfields:])))
	}
	if badText >= 0 {
		if r.enc == "utf-8" {
			return rowErr(r.column(badText), detail(ErrInvalidUTF8, "%s", why))
		}
		return rowErr(r.column(badText), detail(ErrEncoding, "%s", why))
	}
	for i, c := range cells {
		if err := r.checkField(c.Text); err != nil {
			return rowErr(r.column(i), err)
		}
	}
	return row, nil
}

func (r *csvReader) checkField(s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return ErrNUL
	}
	return nil
}

func countCSV(ctx context.Context, f io.Closer, src *bufio.Reader, path string, o Options) (int, error) {
	r, err := openCSV(ctx, path, o, f, src, true)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n := 0
	for {
		_, err := r.next()
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

// sniffUTF8 decides the encoding of a file without a BOM before any row is read. A
// regular file is checked whole (read once more, from a second handle); a stream only in
// its first buffered bytes, the rest being checked row by row. Text that is valid UTF-8
// is UTF-8. Text with bytes that are not, and fewer valid multi-byte UTF-8 characters
// than such bytes, was saved by a Windows program: it is read as windows-1252 and Notice
// says so. Text with more valid UTF-8 characters than invalid bytes mixes encodings: a
// FileError wrapping ErrEncoding names the first bad line, so that nothing is sent.
func (r *csvReader) sniffUTF8(raw *bufio.Reader) (string, error) {
	var st utf8Stats
	if r.regular {
		// Most files are valid UTF-8: checked first at utf8.Valid's speed, the counting
		// scan below reads only files that are not.
		if ok, err := r.fileIsUTF8(); err != nil {
			return "", r.fileErr(0, err)
		} else if ok {
			return "utf-8", nil
		}
		f, err := r.reopenFile()
		if err != nil {
			return "", r.fileErr(0, err)
		}
		defer f.Close()
		buf := make([]byte, bufSize)
		var carry []byte
		for {
			n, err := f.Read(buf[len(carry):])
			chunk := buf[:len(carry)+n]
			last := err != nil
			carry = buf[:copy(buf, st.scan(chunk, last))]
			if err == io.EOF {
				break
			}
			if err != nil {
				return "", r.fileErr(0, err)
			}
		}
	} else {
		// The bytes a stream has already delivered, or the first bufSize of them.
		head, _ := raw.Peek(1)
		if len(head) > 0 {
			head, _ = raw.Peek(raw.Buffered())
		}
		st.scan(head, false)
	}
	switch {
	case st.invalid == 0:
		return "utf-8", nil
	case st.multi < st.invalid:
		r.notice = fmt.Sprintf("%s is not UTF-8 (line %d has the byte 0x%02X, which UTF-8 does not allow) and has no byte order mark: read as windows-1252, the encoding Excel on Windows saves CSV files with; set encoding: in the job's source if it is another one",
			r.path, st.firstLine, st.firstByte)
		return "windows-1252", nil
	}
	return "", r.fileErr(st.firstLine, detail(ErrEncoding,
		"line %d is not valid utf-8 (byte 0x%02X) while %d other characters are: the file mixes encodings; save it again as UTF-8, or set encoding: windows-1252 to read all of it as windows-1252",
		st.firstLine, st.firstByte, st.multi))
}

// utf8Stats counts what a scan of text as UTF-8 found.
type utf8Stats struct {
	lines     int  // line endings (\n, \r\n, a bare \r) before the scan position
	cr        bool // the last byte scanned was a \r
	invalid   int  // bytes that start no valid UTF-8 character
	multi     int  // valid characters of two bytes or more
	firstLine int  // the line of the first invalid byte
	firstByte byte
}

// scan reads b and returns the bytes at its end that may start a character cut by the
// end of b (none when last).
func (st *utf8Stats) scan(b []byte, last bool) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c == '\r' || c == '\n' && !st.cr {
				st.lines++
			}
			st.cr = c == '\r'
			i++
			continue
		}
		st.cr = false
		if !last && !utf8.FullRune(b[i:]) {
			return b[i:]
		}
		rn, size := utf8.DecodeRune(b[i:])
		if rn == utf8.RuneError && size <= 1 {
			if st.invalid == 0 {
				st.firstLine, st.firstByte = st.lines+1, c
			}
			st.invalid++
			i++
			continue
		}
		st.multi++
		i += size
	}
	return nil
}

// validText returns s, read with the reader's encoding, as valid UTF-8 for a report: see
// validText. In another encoding than UTF-8, what could not be decoded becomes U+FFFD (the
// row's error names it).
func (r *csvReader) validText(s string) string {
	if r.enc == "utf-8" {
		return validText(s)
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// validText returns s with each byte that is not valid UTF-8 read as windows-1252, so
// that a row refused for its encoding is still written as valid UTF-8 to a report.
func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		rn, size := utf8.DecodeRuneInString(s[i:])
		if rn == utf8.RuneError && size <= 1 {
			b.WriteRune(charmap.Windows1252.DecodeByte(s[i]))
			i++
			continue
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String()
}

// fileIsUTF8 reports whether the reader's file is valid UTF-8 text, reading it once in
// bounded memory.
func (r *csvReader) fileIsUTF8() (bool, error) {
	f, err := r.reopenFile()
	if err != nil {
		return false, err
	}
	defer f.Close()
	buf := make([]byte, bufSize)
	carry := 0
	for {
		n, err := f.Read(buf[carry:])
		chunk := buf[:carry+n]
		end := len(chunk)
		if err == nil {
			end = validPrefix(chunk) // a character cut by the chunk's end goes on in the next
		}
		if !utf8.Valid(chunk[:end]) {
			return false, nil
		}
		carry = copy(buf, chunk[end:])
		if err == io.EOF {
			return carry == 0 || utf8.Valid(buf[:carry]), nil
		}
		if err != nil {
			return false, err
		}
	}
}
