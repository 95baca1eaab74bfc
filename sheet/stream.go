package sheet

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"
	"time"
)

// openFile opens path for reading so that a cancelled ctx always ends the wait. Opening a
// FIFO blocks until a writer opens it too: the open runs in a goroutine, and when ctx ends
// first the FIFO is opened for writing without blocking, which lets that open return, and
// both ends are closed, so that no goroutine is left behind.
func openFile(ctx context.Context, path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode()&os.ModeNamedPipe == 0 {
		return os.Open(path)
	}
	type result struct {
		f   *os.File
		err error
	}
	done := make(chan result, 1)
	go func() {
		f, err := os.Open(path)
		done <- result{f, err}
	}()
	select {
	case res := <-done:
		return res.f, res.err
	case <-ctx.Done():
	}
	if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		res := <-done
		w.Close()
		if res.f != nil {
			res.f.Close()
		}
	} else {
		// No write access, or the open returned meanwhile: close what it opens.
		go func() {
			if res := <-done; res.f != nil {
				res.f.Close()
			}
		}()
	}
	return nil, ctx.Err()
}

// ctxFile reads a file until ctx ends: a read blocked on a pipe or a terminal returns
// when ctx ends (through a read deadline; files that cannot have one, such as regular
// files and /dev/zero, never block), and no read starts after it.
type ctxFile struct {
	ctx  context.Context
	f    *os.File
	stop func() bool
}

func newCtxFile(ctx context.Context, f *os.File) *ctxFile {
	c := &ctxFile{ctx: ctx, f: f, stop: func() bool { return false }}
	if ctx.Done() != nil {
		c.stop = context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Now()) })
	}
	return c
}

func (c *ctxFile) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.f.Read(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) && c.ctx.Err() != nil {
		return n, c.ctx.Err()
	}
	return n, err
}

// Close closes the file.
func (c *ctxFile) Close() error {
	c.stop()
	return c.f.Close()
}

// ctxReaderAt reads a file at offsets until ctx ends: no read starts after it. It serves
// a workbook, whose parts are read through it.
type ctxReaderAt struct {
	ctx context.Context
	r   io.ReaderAt
}

func (c ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}

// ended reports whether err comes from a context that ended: cancelled or past its
// deadline. Such an error is wrapped with %w wherever it is reported, for the caller to
// tell a stop from a damaged file.
func ended(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// OpenStream opens path for reading, as OpenContext does before it reads a spreadsheet:
// opening a FIFO waits for its writer, and that wait, like any read blocked on a pipe or
// a terminal, ends when ctx ends (the read then returns ctx's error). It serves the
// callers that read other files that may be pipes (a job file, a source to copy).
func OpenStream(ctx context.Context, path string) (io.ReadCloser, error) {
	f, err := openFile(ctx, path)
	if err != nil {
		return nil, err
	}
	return newCtxFile(ctx, f), nil
}
