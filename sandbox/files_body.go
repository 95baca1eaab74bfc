package sandbox

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"sync"
)

// spoolInMemory is the largest request body the emulator keeps in memory while it waits
// (latency, slow and late faults); a larger one, an upload, goes to a temporary file.
const spoolInMemory = 1 << 20

// spoolBody reads r's body whole, for the emulator to wait before the handler runs: an
// upload (multipart) and any body above spoolInMemory bytes in a temporary file, so that an
// upload of any size is never held in memory, other bodies in memory. Close removes the
// file.
//
// An upload is read whole only when whole is set (a late or slow fault may apply it after
// the client went away, and needs its bytes then); for the latency alone it is left on the
// connection, for the handler to stream to its file once the wait is over: written once,
// not twice.
func spoolBody(r *http.Request, whole bool) (io.ReadCloser, error) {
	var head bytes.Buffer
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" && !whole {
		return r.Body, nil
	}
	if mt != "multipart/form-data" {
		// A JSON or form body: small (the handlers take 1 MiB at most).
		if _, err := io.CopyN(&head, r.Body, spoolInMemory+1); errors.Is(err, io.EOF) {
			return io.NopCloser(bytes.NewReader(head.Bytes())), nil
		} else if err != nil {
			return nil, err
		}
	}
	f, err := os.CreateTemp("", "pdbulk-sandbox-body-*")
	if err != nil {
		return nil, err
	}
	body := &tempBody{File: f}
	if _, err := f.Write(head.Bytes()); err != nil {
		body.Close()
		return nil, err
	}
	if _, err := copyToFile(f, r.Body); err != nil {
		body.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		body.Close()
		return nil, err
	}
	return body, nil
}

// tempBody is a request body kept in a temporary file, removed on Close.
type tempBody struct{ *os.File }

// Close closes and removes the file; it is safe to call more than once.
func (b *tempBody) Close() error {
	err := b.File.Close()
	if rerr := os.Remove(b.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
		err = rerr
	}
	if errors.Is(err, os.ErrClosed) {
		err = nil
	}
	return err
}

// copyBlock is the size of the writes of copyToFile and of the reads of an upload.
const copyBlock = 256 << 10

// blockWriters and blockReaders keep the copyBlock buffers of finished uploads for the
// next ones: an upload would otherwise allocate (and the GC clear and collect) 512 KiB.
var (
	blockWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, copyBlock) }}
	blockReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, copyBlock) }}
)

// blockReader returns a reader of r with a copyBlock buffer; putBlockReader gives it back.
func blockReader(r io.Reader) *bufio.Reader {
	br := blockReaders.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

// putBlockReader returns br, done with, to the pool.
func putBlockReader(br *bufio.Reader) {
	br.Reset(nil)
	blockReaders.Put(br)
}

// copyToFile copies r to f in writes of copyBlock bytes: a multipart part or a request body
// reads a few KiB at a time, and a write per read cost a system call per 4 KiB of upload.
func copyToFile(f *os.File, r io.Reader) (int64, error) {
	bw := blockWriters.Get().(*bufio.Writer)
	defer func() {
		bw.Reset(nil)
		blockWriters.Put(bw)
	}()
	// Only Write is exposed: bufio.Writer hands the copy to the file's own ReadFrom
	// otherwise, which writes what each read gives.
	bw.Reset(fileWriter{f})
	n, err := bw.ReadFrom(r)
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// fileWriter is an *os.File with Write alone.
type fileWriter struct{ f *os.File }

// Write writes p to the file.
func (w fileWriter) Write(p []byte) (int, error) { return w.f.Write(p) }
