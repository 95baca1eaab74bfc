package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/sheet"
)

// maxSpoolBytes bounds what pdbulk copies of a source that is a pipe or a device.
const maxSpoolBytes = 1 << 30

// errSpoolTooLarge is the error of a pipe or a device that gives more than maxSpoolBytes.
var errSpoolTooLarge = fmt.Errorf("gives more than %d bytes: write it to a file and name the file as the source", maxSpoolBytes)

// spoolSource makes a job whose source is a pipe (FIFO) or a device readable like a file.
// An import reads its source several times (a fingerprint, a count, the rows, the reports)
// and resumes by comparing it with its checkpoint: such a source is read once, whole, into
// a file beside the checkpoint (spool/<job><ext>), up to maxSpoolBytes, and the job reads
// that file. The wait for the pipe's writer and every read end with ctx. It returns what
// puts the job back and removes the copy; for a regular file it does nothing.
func spoolSource(ctx context.Context, env Env, statePath string, j *jobs.Job) (restore func(), err error) {
	orig := j.Source.Path
	st, err := os.Stat(orig)
	if err != nil || st.Mode().IsRegular() || st.IsDir() { // a folder source is listed, not read
		return func() {}, nil // a missing file is the importer's to report
	}
	// The copy keeps the source's name, for the messages about its rows to name it.
	dir := filepath.Join(filepath.Dir(statePath), "spool", j.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool %s: %w", orig, err)
	}
	dst := filepath.Join(dir, filepath.Base(orig))
	firstLine := int64(0)
	if j.Source.Format == "csv" {
		firstLine = int64(j.Source.ReaderOptions().MaxRowBytes)
		if firstLine <= 0 {
			firstLine = sheet.DefaultMaxRowBytes
		}
		firstLine += 64 << 10 // quotes, delimiters and line ending around the cells
	}
	n, err := copyStream(ctx, orig, dst, firstLine)
	if err != nil {
		_ = os.Remove(dst)
		_ = os.Remove(dir)
		return nil, fmt.Errorf("read the source %s: %w", orig, err)
	}
	fmt.Fprintf(env.Stderr, "pdbulk: %s: the source %s is a pipe or a device: read it whole (%d bytes) into %s, to read it like a file\n",
		j.Name, orig, n, dst)
	j.Source.Path = dst
	return func() {
		j.Source.Path = orig
		_ = os.Remove(dst)
		_ = os.Remove(dir) // when empty
	}, nil
}

// copyStream copies the pipe or device src into the new file dst, up to maxSpoolBytes. With
// firstLine > 0 (a CSV), a first line longer than that ends the copy: it cannot be a header,
// and an endless device (/dev/zero) is not copied up to the limit.
func copyStream(ctx context.Context, src, dst string, firstLine int64) (int64, error) {
	in, err := sheet.OpenStream(ctx, src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, err
	}
	var r io.Reader = io.LimitReader(in, maxSpoolBytes+1)
	if firstLine > 0 {
		r = &firstLineCheck{r: r, limit: firstLine}
	}
	n, err := io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return n, err
	case n > maxSpoolBytes:
		return n, errSpoolTooLarge
	}
	return n, nil
}

// isInterrupt reports whether err comes from a cancelled context: a Ctrl-C.
func isInterrupt(err error) bool {
	return errors.Is(err, context.Canceled)
}

// firstLineCheck fails a read once limit bytes have passed without a line ending.
type firstLineCheck struct {
	r     io.Reader
	limit int64
	seen  int64
	done  bool // a line ending passed
}

func (c *firstLineCheck) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if !c.done {
		if bytes.IndexByte(p[:n], '\n') >= 0 {
			c.done = true
		} else if c.seen += int64(n); c.seen > c.limit {
			return n, fmt.Errorf("its first line runs past %d bytes without ending: it is no CSV header (is it a device such as /dev/zero?)", c.limit)
		}
	}
	return n, err
}
