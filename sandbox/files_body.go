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
	"syscall"
	"unsafe"
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

// blockWriters, blockReaders and blocks keep the copyBlock buffers of finished uploads for
// the next ones: an upload would otherwise allocate (and the GC clear and collect) 512 KiB.
var (
	blockWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, copyBlock) }}
	blockReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, copyBlock) }}
	blocks       = sync.Pool{New: func() any { return newBlock() }}
)

// newBlock returns copyBlock bytes that start at a multiple of directAlign in memory, as
// direct I/O needs.
func newBlock() *[]byte {
	raw := make([]byte, copyBlock+directAlign)
	off := int(-uintptr(unsafe.Pointer(unsafe.SliceData(raw))) & (directAlign - 1))
	b := raw[off : off+copyBlock : off+copyBlock]
	return &b
}

// storeUpload writes the bytes of an uploaded file, r, to f, a new empty file, in writes of
// copyBlock bytes. Where the system allows it they are direct writes (O_DIRECT), from the
// block to the disk without the page cache: copying an upload into pages the kernel must
// first find and charge cost more CPU than the rest of an upload's handling together (about
// 2 of 3 ms per MB on the reference machine), and a sandbox that receives gigabytes of
// uploads then does not fill the page cache with them. The file's last bytes that do not
// fill an aligned block are written through the page cache; a file system that refuses
// direct writes gets every write through the page cache.
func storeUpload(f *os.File, r io.Reader) (int64, error) {
	bp := blocks.Get().(*[]byte)
	defer blocks.Put(bp)
	buf := *bp
	direct := setDirect(f, true) == nil
	var n int64
	for {
		m, err := io.ReadFull(r, buf)
		last := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !last {
			return n, err
		}
		p := buf[:m]
		if direct {
			aligned := len(p) &^ (directAlign - 1)
			if aligned > 0 {
				w, werr := f.Write(p[:aligned])
				p = p[w:]
				if werr != nil && !errors.Is(werr, syscall.EINVAL) {
					return n, werr
				} // EINVAL: refused, the rest is written below through the page cache
			}
			if len(p) > 0 {
				// An unaligned rest (the file's end), or a direct write refused.
				if err := setDirect(f, false); err != nil {
					return n, err
				}
				direct = false
			}
		}
		if len(p) > 0 {
			if _, err := f.Write(p); err != nil {
				return n, err
			}
		}
		n += int64(m)
		if last {
			return n, nil
		}
	}
}

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
