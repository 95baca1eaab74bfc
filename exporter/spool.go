package exporter

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pdbulk/pdbulk/sheet"
)

// spool holds the sheets of an XLSX export while they are read: typed cells, appended to a
// file beside the target that can be made durable at any row (Checkpoint) and reopened
// after an interruption (resumeSpool). An XLSX package cannot be appended to, so the
// workbook is written from the spool once every sheet is in, in one pass, under
// excelize's StreamWriter: memory does not grow with the records either way.
//
// A record of the file is 'S' name header… (a sheet begins) or 'R' cells… (a row); strings
// are length-prefixed, so any text (line breaks, NULs, CR LF) comes back as it went in.
type spool struct {
	path string // the target
	f    *os.File
	w    *bufio.Writer
	buf  []byte
	err  error
}

// spoolCheckpoint is what a spool has made durable: its first Size bytes.
type spoolCheckpoint struct {
	Temp string `json:"temp"`
	Size int64  `json:"size"`
}

func newSpool(path string) (*spool, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.spool")
	if err != nil {
		return nil, fmt.Errorf("spool for %s: %w", path, err)
	}
	return &spool{path: path, f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// resumeSpool reopens the spool of checkpoint cp for path, cut to what cp made durable.
func resumeSpool(path string, cp spoolCheckpoint) (*spool, error) {
	if filepath.Dir(cp.Temp) != filepath.Dir(path) || !strings.HasPrefix(filepath.Base(cp.Temp), "."+filepath.Base(path)+".") {
		return nil, fmt.Errorf("resume %s: %s is not one of its spool files", path, cp.Temp)
	}
	f, err := os.OpenFile(cp.Temp, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("resume %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() < cp.Size {
		err = fmt.Errorf("%s holds %d bytes, fewer than the %d it had", cp.Temp, fi.Size(), cp.Size)
	}
	if err == nil {
		err = f.Truncate(cp.Size)
	}
	if err == nil {
		_, err = f.Seek(cp.Size, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("resume %s: %w", path, err)
	}
	return &spool{path: path, f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

func (s *spool) str(v string) {
	s.buf = binary.AppendUvarint(s.buf, uint64(len(v)))
	s.buf = append(s.buf, v...)
}

func (s *spool) flushRecord() error {
	if s.err == nil {
		_, s.err = s.w.Write(s.buf)
	}
	return s.err
}

func (s *spool) sheet(name string, header []string) error {
	s.buf = append(s.buf[:0], 'S')
	s.str(name)
	s.buf = binary.AppendUvarint(s.buf, uint64(len(header)))
	for _, h := range header {
		s.str(h)
	}
	return s.flushRecord()
}

func (s *spool) row(cells []sheet.Cell) error {
	s.buf = append(s.buf[:0], 'R')
	s.buf = binary.AppendUvarint(s.buf, uint64(len(cells)))
	for _, c := range cells {
		s.buf = append(s.buf, byte(c.Kind))
		s.str(c.Text)
		switch c.Kind {
		case sheet.KindNumber, sheet.KindBool:
			s.buf = binary.LittleEndian.AppendUint64(s.buf, math.Float64bits(c.Number))
		case sheet.KindDate, sheet.KindDateTime:
			s.buf = binary.AppendVarint(s.buf, c.Time.Unix())
			s.buf = binary.AppendUvarint(s.buf, uint64(c.Time.Nanosecond()))
		}
	}
	return s.flushRecord()
}

func (s *spool) checkpoint() (spoolCheckpoint, error) {
	if s.err == nil {
		s.err = s.w.Flush()
	}
	if s.err == nil {
		s.err = s.f.Sync()
	}
	var size int64
	if s.err == nil {
		size, s.err = s.f.Seek(0, io.SeekCurrent)
	}
	if s.err != nil {
		return spoolCheckpoint{}, fmt.Errorf("spool for %s: %w", s.path, s.err)
	}
	return spoolCheckpoint{Temp: s.f.Name(), Size: size}, nil
}

// suspend closes the spool and keeps it for resumeSpool.
func (s *spool) suspend() error { return s.f.Close() }

// abort closes and removes the spool.
func (s *spool) abort() error {
	s.f.Close()
	return os.Remove(s.f.Name())
}

// writeWorkbook writes the spooled sheets into an XLSX workbook at the target (under a
// temporary name renamed into place when complete) and removes the spool.
func (s *spool) writeWorkbook(ctx context.Context, o sheet.ExportOptions) error {
	if s.err == nil {
		s.err = s.w.Flush()
	}
	if s.err != nil {
		return fmt.Errorf("spool for %s: %w", s.path, s.err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("spool for %s: %w", s.path, err)
	}
	wb, err := sheet.NewWorkbook(ctx, s.path, o)
	if err != nil {
		return err
	}
	r := &spoolReader{r: bufio.NewReaderSize(s.f, 64<<10)}
	var ws *sheet.Worksheet
	for {
		kind, err := r.r.ReadByte()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			switch kind {
			case 'S':
				name := r.str()
				header := make([]string, r.uvarint())
				for i := range header {
					header[i] = r.str()
				}
				if r.err == nil {
					ws, err = wb.AddSheet(name, header)
				}
			case 'R':
				cells := r.cells()
				if r.err == nil && ws != nil {
					err = ws.WriteCells(cells)
				} else if ws == nil {
					err = errors.New("a row before any sheet")
				}
			default:
				err = fmt.Errorf("unknown record %q", kind)
			}
		}
		if err == nil {
			err = r.err
		}
		if err != nil {
			return errors.Join(fmt.Errorf("spool for %s: %w", s.path, err), wb.Abort())
		}
	}
	if err := wb.Close(); err != nil {
		return err
	}
	return s.abort()
}

type spoolReader struct {
	r   *bufio.Reader
	err error
	row []sheet.Cell
}

func (r *spoolReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(r.r)
	if err != nil {
		r.err = io.ErrUnexpectedEOF
	}
	if v > 1<<31 {
		r.err = errors.New("a length out of range")
		return 0
	}
	return v
}

func (r *spoolReader) str() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.r, b); err != nil {
		r.err = io.ErrUnexpectedEOF
	}
	return string(b)
}

func (r *spoolReader) cells() []sheet.Cell {
	n := int(r.uvarint())
	r.row = r.row[:0]
	for range n {
		if r.err != nil {
			return nil
		}
		k, err := r.r.ReadByte()
		if err != nil {
			r.err = io.ErrUnexpectedEOF
			return nil
		}
		c := sheet.Cell{Kind: sheet.Kind(k), Text: r.str()}
		switch c.Kind {
		case sheet.KindNumber, sheet.KindBool:
			var b [8]byte
			if _, err := io.ReadFull(r.r, b[:]); err != nil {
				r.err = io.ErrUnexpectedEOF
			}
			c.Number = math.Float64frombits(binary.LittleEndian.Uint64(b[:]))
		case sheet.KindDate, sheet.KindDateTime:
			sec, err := binary.ReadVarint(r.r)
			if err != nil {
				r.err = io.ErrUnexpectedEOF
			}
			c.Time = time.Unix(sec, int64(r.uvarint())).UTC()
		}
		r.row = append(r.row, c)
	}
	return r.row
}
