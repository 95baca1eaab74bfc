package exporter

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// pageSpill holds the pages a read fetched ahead of its turn in a temporary file instead
// of in memory: those of the archived list of "archived: all", read while the active list
// is still handed on (the second list is read at the pace of the first without the two
// holding twice the records), and those that come back while maxHeld pages already wait
// for the consumer (at a long round trip dozens come back at once).
//
// A page is written as its records in a tagged binary form of the values a list answer
// decodes to (map[string]any, []any, string, json.Number, bool, nil): every string comes
// back byte for byte (invalid UTF-8 too), every number as the text it had. The file is
// removed as soon as it is created where the system allows it (so a crash leaves nothing
// behind), and otherwise when the read ends.
type pageSpill struct {
	mu      sync.Mutex
	f       *os.File
	size    int64
	removed bool
	closed  bool
}

// spilled is where a page's records lie in a pageSpill.
type spilled struct {
	off int64
	n   int
}

// newPageSpill creates the spill of a read in dir (the folder of the export's target,
// which the export writes anyway).
func newPageSpill(dir string) (*pageSpill, error) {
	f, err := os.CreateTemp(dir, ".pdbulk-pages-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("exporter: a file for the pages read ahead: %w", err)
	}
	s := &pageSpill{f: f}
	s.removed = os.Remove(f.Name()) == nil
	return s, nil
}

// put writes the records of a page and tells where they are.
func (s *pageSpill) put(recs []record) (spilled, error) {
	buf := binary.AppendUvarint(nil, uint64(len(recs)))
	var err error
	for _, r := range recs {
		if buf, err = appendValue(buf, map[string]any(r)); err != nil {
			return spilled{}, fmt.Errorf("exporter: keeping a page read ahead: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return spilled{}, errors.New("exporter: the read ended")
	}
	if _, err := s.f.WriteAt(buf, s.size); err != nil {
		return spilled{}, fmt.Errorf("exporter: keeping a page read ahead: %w", err)
	}
	at := spilled{off: s.size, n: len(buf)}
	s.size += int64(len(buf))
	return at, nil
}

// get reads back the records of a page put at at.
func (s *pageSpill) get(at spilled) ([]record, error) {
	buf := make([]byte, at.n)
	if _, err := s.f.ReadAt(buf, at.off); err != nil {
		return nil, fmt.Errorf("exporter: reading back a page read ahead: %w", err)
	}
	d := valueDecoder{buf: buf}
	n := d.count()
	recs := make([]record, 0, min(n, len(buf)))
	for range n {
		v := d.value()
		m, ok := v.(map[string]any)
		if d.err == nil && !ok {
			d.err = errors.New("a record is not an object")
		}
		if d.err != nil {
			break
		}
		recs = append(recs, m)
	}
	if d.err == nil && d.pos != len(buf) {
		d.err = errors.New("bytes left after the records")
	}
	if d.err != nil {
		return nil, fmt.Errorf("exporter: reading back a page read ahead from %s: %w", filepath.Base(s.f.Name()), d.err)
	}
	return recs, nil
}

// close removes the file. It is safe to call more than once.
func (s *pageSpill) close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.f.Close()
	if !s.removed {
		os.Remove(s.f.Name())
	}
}

// The tags of appendValue's form.
const (
	tagNull   = 'z'
	tagTrue   = 't'
	tagFalse  = 'f'
	tagString = 's'
	tagNumber = 'n'
	tagObject = 'o'
	tagArray  = 'a'
)

func appendText(buf []byte, tag byte, s string) []byte {
	buf = append(buf, tag)
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// appendValue appends v, a value as a list answer decodes it, to buf.
func appendValue(buf []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(buf, tagNull), nil
	case bool:
		if v {
			return append(buf, tagTrue), nil
		}
		return append(buf, tagFalse), nil
	case string:
		return appendText(buf, tagString, v), nil
	case json.Number:
		return appendText(buf, tagNumber, string(v)), nil
	case map[string]any:
		buf = append(buf, tagObject)
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		var err error
		for k, x := range v {
			buf = binary.AppendUvarint(buf, uint64(len(k)))
			buf = append(buf, k...)
			if buf, err = appendValue(buf, x); err != nil {
				return nil, err
			}
		}
		return buf, nil
	case []any:
		buf = append(buf, tagArray)
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		var err error
		for _, x := range v {
			if buf, err = appendValue(buf, x); err != nil {
				return nil, err
			}
		}
		return buf, nil
	}
	return nil, fmt.Errorf("a value of type %T", v)
}

// valueDecoder reads appendValue's form back; the first fault stops it (err).
type valueDecoder struct {
	buf []byte
	pos int
	err error
}

func (d *valueDecoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%s at byte %d", what, d.pos)
	}
}

// count reads a length; one larger than the bytes left is a fault (every item takes one).
func (d *valueDecoder) count() int {
	if d.err != nil {
		return 0
	}
	n, k := binary.Uvarint(d.buf[d.pos:])
	if k <= 0 || n > uint64(len(d.buf)-d.pos-k) {
		d.fail("a bad length")
		return 0
	}
	d.pos += k
	return int(n)
}

func (d *valueDecoder) text() string {
	n := d.count()
	if d.err != nil {
		return ""
	}
	s := string(d.buf[d.pos : d.pos+n])
	d.pos += n
	return s
}

func (d *valueDecoder) value() any {
	if d.err != nil {
		return nil
	}
	if d.pos >= len(d.buf) {
		d.fail("a value missing")
		return nil
	}
	tag := d.buf[d.pos]
	d.pos++
	switch tag {
	case tagNull:
		return nil
	case tagTrue:
		return true
	case tagFalse:
		return false
	case tagString:
		return d.text()
	case tagNumber:
		return json.Number(d.text())
	case tagObject:
		n := d.count()
		m := make(map[string]any, n)
		for range n {
			k := d.text()
			v := d.value()
			if d.err != nil {
				return nil
			}
			m[k] = v
		}
		return m
	case tagArray:
		n := d.count()
		a := make([]any, 0, n)
		for range n {
			v := d.value()
			if d.err != nil {
				return nil
			}
			a = append(a, v)
		}
		return a
	}
	d.pos--
	d.fail(fmt.Sprintf("an unknown tag %q", tag))
	return nil
}
