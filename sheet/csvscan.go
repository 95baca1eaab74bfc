package sheet

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"unicode/utf8"
)

// errRunaway ends a CSV file whose row runs past MaxRowBytes+MaxSkipBytes without ending:
// a file with no line endings (a device such as /dev/zero) or a binary file.
var errRunaway = errors.New("a row runs on without ending")

// skipLimit is MaxSkipBytes; tests lower it.
var skipLimit int64 = MaxSkipBytes

// csvScanner splits decoded CSV text into records the way encoding/csv does (RFC 4180:
// fields quoted with ", a quote inside a quoted field doubled, \r\n read as \n, blank lines
// skipped, no lazy quotes), except that a bare \r (not followed by \n) ends a line as \n
// does, as Excel and LibreOffice read the files of old Excel for Mac; inside quotes it is
// kept as data but still counts as a line. It never holds more than the limits: a field beyond
// maxField, the fields of a record beyond maxRow, and the fields beyond MaxColumns are
// counted and not kept, and the scanner goes on to the end of the record. It keeps the
// raw text of the current record while it fits maxRow, for the reader to re-read a record
// with bad quotes without reading the file again.
type csvScanner struct {
	br       *bufio.Reader
	comma    []byte // the delimiter's UTF-8 bytes
	maxField int
	maxRow   int
	line     int  // lines consumed; the line being read is line+1
	rows     int  // rows begun, as a spreadsheet program counts them: records and blank lines
	rawBase  int  // len(rec.raw) before the chunk being scanned
	atLine   bool // the last byte read ended a line

	rec record // the record being read
}

// record is what csvScanner.scan read of one record.
type record struct {
	start     int      // line the record starts on (1-based)
	row       int      // the record's row as a spreadsheet program shows it (1-based)
	buf       []byte   // kept field contents
	ends      []int    // end of each kept field in buf
	out       []string // the fields as strings, reused
	nfields   int      // fields in the record, kept or not
	fieldLen  int      // bytes of the field being read, kept or not
	rowLen    int      // bytes of every field of the record
	bigField  int      // index of the first field longer than maxField, -1 when none
	bigLen    int      // its length
	raw       []byte   // the record's text as read, up to maxRow
	rawOver   bool     // raw does not hold the whole record
	firstEnd  int      // offset in raw of the first line's ending, -1 before it is read
	firstNext int      // offset in raw after that line ending
	scanned   int64    // bytes of the record read

	quoteErr  error // csv.ErrQuote or csv.ErrBareQuote when the quotes are bad
	quoteLine int   // the line where they went wrong
	open      bool  // the quote of a field is never closed: the text ended inside it
}

// fields returns the kept fields: all of them, or those before the bad quotes. The slice
// is reused by the next record; the strings are not.
func (r *record) fields() []string {
	s := string(r.buf)
	out := r.out[:0]
	prev := 0
	for _, e := range r.ends {
		out = append(out, s[prev:e])
		prev = e
	}
	r.out = out
	return out
}

// firstLine returns the record's first line without its line ending, and whether raw holds
// it whole.
func (r *record) firstLine() ([]byte, bool) {
	end := r.firstEnd
	if end < 0 {
		if r.rawOver {
			return nil, false
		}
		end = len(r.raw)
	}
	if end > len(r.raw) {
		return nil, false
	}
	b := r.raw[:end]
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b, true
}

// afterFirstLine returns the text of the record after its first line, when raw holds it.
func (r *record) afterFirstLine() ([]byte, bool) {
	if r.rawOver || r.firstEnd < 0 {
		return nil, false
	}
	return r.raw[r.firstNext:], true
}

type scanState uint8

const (
	stStart  scanState = iota // nothing of the record read yet
	stField                   // at the start of a field after a delimiter
	stPlain                   // in a field without quotes
	stQuoted                  // in a quoted field
	stQuote                   // a quote seen in a quoted field: closing, or the first of two
	stSkip                    // bad quotes: skipping to the end of the line
)

func newCSVScanner(br *bufio.Reader, comma rune, maxField, maxRow int) *csvScanner {
	return &csvScanner{br: br, comma: utf8.AppendRune(nil, comma), maxField: maxField, maxRow: maxRow}
}

// scan reads the next record into s.rec. It returns io.EOF at the end of the text, an
// error of the underlying reader, or errRunaway; bad quotes are not an error of scan, they
// are reported in the record.
func (s *csvScanner) scan() error {
	rec := &s.rec
	*rec = record{buf: rec.buf[:0], ends: rec.ends[:0], out: rec.out[:0], raw: rec.raw[:0], bigField: -1, firstEnd: -1}
	st := stStart
	for {
		// At least utf8.UTFMax bytes, unless the text ends: a \r\n or a delimiter at
		// the start of a chunk is then never cut.
		chunk, err := s.br.Peek(utf8.UTFMax)
		if len(chunk) == 0 {
			if err == nil || err == io.EOF {
				return s.end(st)
			}
			return err
		}
		if err != nil && err != io.EOF {
			return err
		}
		chunk, _ = s.br.Peek(s.br.Buffered())
		s.rawBase = len(rec.raw)
		n, done, next := s.step(st, chunk)
		if n > 0 {
			// Every \r is a line ending, alone or before a \n.
			s.atLine = chunk[n-1] == '\n' || chunk[n-1] == '\r'
		}
		if done || next != stStart {
			s.keepRaw(chunk[:n]) // not the blank lines before a record
		}
		st = next
		if _, err := s.br.Discard(n); err != nil {
			return err
		}
		if done {
			return nil
		}
		if rec.scanned > int64(s.maxRow)+skipLimit {
			return errRunaway
		}
	}
}

// end finishes the record at the end of the text in state st.
func (s *csvScanner) end(st scanState) error {
	rec := &s.rec
	switch st {
	case stStart:
		return io.EOF
	case stQuoted:
		rec.quoteErr, rec.quoteLine, rec.open = csv.ErrQuote, s.line+1, true
		if s.atLine {
			rec.quoteLine = s.line // the text ends with a line ending
			return nil
		}
	case stSkip:
	default: // stField (a last empty field), stPlain, stQuote (closed)
		s.endField()
	}
	s.line++ // the last line, without a line ending
	return nil
}

func (s *csvScanner) keepRaw(b []byte) {
	rec := &s.rec
	rec.scanned += int64(len(b))
	if rec.rawOver {
		return
	}
	if room := s.maxRow + 2 - len(rec.raw); len(b) > room {
		rec.raw = append(rec.raw, b[:room]...)
		rec.rawOver = true
		return
	}
	rec.raw = append(rec.raw, b...)
}

// step consumes bytes of chunk in state st. It returns how many it consumed, whether the
// record ended (its line ending consumed) and the state after them. It stops before a byte
// whose meaning depends on bytes beyond the chunk (a \r, a part of a multi-byte delimiter)
// unless it is the first: then it peeks further.
func (s *csvScanner) step(st scanState, chunk []byte) (int, bool, scanState) {
	rec := &s.rec
	for i := 0; i < len(chunk); i++ {
		if st == stPlain || st == stQuoted {
			// The bytes up to the next one that may end the field go in at once.
			j := i
			for j < len(chunk) && !s.special(st, chunk[j]) {
				j++
			}
			if j > i {
				s.addBytes(chunk[i:j])
				if i = j; i == len(chunk) {
					break
				}
			}
		}
		c := chunk[i]
		switch st {
		case stStart, stField:
			if st == stStart {
				if c == '\n' {
					s.line++ // a blank line is no record, but a spreadsheet shows it as a row
					s.rows++
					return i + 1, false, stStart
				}
				if c == '\r' {
					// \r\n, or a bare \r: a blank line.
					n, ok := s.crLen(chunk, i)
					if !ok {
						return i, false, st
					}
					s.line++
					s.rows++
					return i + n, false, stStart
				}
				rec.start = s.line + 1
				s.rows++
				rec.row = s.rows
			}
			if c == '"' {
				st = stQuoted
				continue
			}
			st = stPlain
			fallthrough
		case stPlain:
			switch {
			case c == '\n':
				s.endField()
				s.endLine(i, i+1)
				return i + 1, true, stStart
			case c == '\r':
				n, ok := s.crLen(chunk, i)
				if !ok {
					return i, false, st
				}
				s.endField()
				s.endLine(i, i+n)
				return i + n, true, stStart
			case c == s.comma[0]:
				if len(s.comma) > 1 {
					la, ok := s.lookahead(chunk, i, len(s.comma))
					if !ok {
						return i, false, st
					}
					if string(la) != string(s.comma) {
						s.addByte(c)
						continue
					}
					i += len(s.comma) - 1
				}
				s.endField()
				st = stField
			case c == '"':
				rec.quoteErr, rec.quoteLine = csv.ErrBareQuote, s.line+1
				st = stSkip
			default:
				s.addByte(c)
			}
		case stQuoted:
			switch c {
			case '"':
				st = stQuote
			case '\r':
				n, ok := s.crLen(chunk, i)
				if !ok {
					return i, false, st
				}
				if n == 2 {
					s.addByte('\n')
				} else {
					s.addByte(c) // a bare \r in quotes is data, on a line of its own
				}
				s.endLine(i, i+n)
				i += n - 1
			case '\n':
				s.addByte(c)
				s.endLine(i, i+1)
			default:
				s.addByte(c)
			}
		case stQuote:
			switch {
			case c == '"':
				s.addByte(c)
				st = stQuoted
			case c == '\n':
				s.endField()
				s.endLine(i, i+1)
				return i + 1, true, stStart
			case c == '\r':
				n, ok := s.crLen(chunk, i)
				if !ok {
					return i, false, st
				}
				s.endField()
				s.endLine(i, i+n)
				return i + n, true, stStart
			case c == s.comma[0] && len(s.comma) == 1:
				s.endField()
				st = stField
			case c == s.comma[0]:
				la, ok := s.lookahead(chunk, i, len(s.comma))
				if !ok {
					return i, false, st
				}
				if string(la) == string(s.comma) {
					i += len(s.comma) - 1
					s.endField()
					st = stField
					continue
				}
				rec.quoteErr, rec.quoteLine = csv.ErrQuote, s.line+1
				st = stSkip
			default:
				rec.quoteErr, rec.quoteLine = csv.ErrQuote, s.line+1
				st = stSkip
			}
		case stSkip:
			switch c {
			case '\n':
				s.endLine(i, i+1)
				return i + 1, true, stStart
			case '\r':
				n, ok := s.crLen(chunk, i)
				if !ok {
					return i, false, st
				}
				s.endLine(i, i+n)
				return i + n, true, stStart
			}
		}
	}
	return len(chunk), false, st
}

// lookahead returns n bytes from chunk[i]; fewer at the end of the text. ok is false when
// the caller must stop at i to let the next chunk start there: a chunk holds at least
// utf8.UTFMax bytes unless the text ends, so a chunk's first byte always sees enough.
func (s *csvScanner) lookahead(chunk []byte, i, n int) ([]byte, bool) {
	if i+n <= len(chunk) {
		return chunk[i : i+n], true
	}
	if i > 0 {
		return nil, false
	}
	return chunk[i:], true
}

// crLen returns the length of the line ending that the \r at chunk[i] starts: 2 for
// \r\n, 1 for a bare \r (also at the end of the text). ok is false as for lookahead.
func (s *csvScanner) crLen(chunk []byte, i int) (int, bool) {
	la, ok := s.lookahead(chunk, i, 2)
	if !ok {
		return 0, false
	}
	if len(la) == 2 && la[1] == '\n' {
		return 2, true
	}
	return 1, true
}

// special reports whether c may end a field or a line in state st (stPlain or stQuoted).
func (s *csvScanner) special(st scanState, c byte) bool {
	switch c {
	case '"', '\n', '\r':
		return true
	}
	return st == stPlain && c == s.comma[0]
}

// addBytes adds b to the field being read, as addByte does byte by byte.
func (s *csvScanner) addBytes(b []byte) {
	rec := &s.rec
	keep := max(0, min(len(b), s.maxField-rec.fieldLen))
	rec.fieldLen += len(b)
	if keep == 0 {
		return // the field is too large: the row counts what it keeps of it
	}
	room := s.maxRow - rec.rowLen
	rec.rowLen += keep
	if room <= 0 || rec.nfields >= MaxColumns {
		return
	}
	rec.buf = append(rec.buf, b[:min(keep, room)]...)
}

func (s *csvScanner) addByte(c byte) {
	rec := &s.rec
	rec.fieldLen++
	if rec.fieldLen > s.maxField {
		return // the field is too large: the row counts what it keeps of it
	}
	rec.rowLen++
	if rec.rowLen <= s.maxRow && rec.nfields < MaxColumns {
		rec.buf = append(rec.buf, c)
	}
}

// endLine counts a line ending found at chunk offset at, whose last byte is at next-1.
func (s *csvScanner) endLine(at, next int) {
	s.line++
	if rec := &s.rec; rec.firstEnd < 0 && !rec.rawOver {
		rec.firstEnd, rec.firstNext = s.rawBase+at, s.rawBase+next
	}
}

// endField closes the field being read.
func (s *csvScanner) endField() {
	rec := &s.rec
	if rec.fieldLen > s.maxField && rec.bigField < 0 {
		rec.bigField, rec.bigLen = rec.nfields, rec.fieldLen
	}
	if rec.nfields < MaxColumns {
		start := 0
		if len(rec.ends) > 0 {
			start = rec.ends[len(rec.ends)-1]
		}
		if rec.fieldLen > s.maxField || rec.rowLen > s.maxRow {
			// Cut at a character boundary, for the part kept to stay valid text.
			rec.buf = rec.buf[:start+validPrefix(rec.buf[start:])]
		}
		rec.ends = append(rec.ends, len(rec.buf))
	}
	rec.nfields++
	rec.fieldLen = 0
}

// validPrefix returns the length of b without a UTF-8 sequence cut at its end.
func validPrefix(b []byte) int {
	n := len(b)
	for i := n - 1; i >= 0 && i >= n-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return n
}
