//go:build unix

package sheet

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fifo makes a named pipe called name in a temporary folder.
func fifo(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	return p
}

// feed writes data into the FIFO p from a goroutine, then closes it; keepOpen holds the
// write end open after data until the test ends.
func feed(t *testing.T, p, data string, keepOpen bool) {
	t.Helper()
	done := make(chan struct{})
	release := make(chan struct{})
	t.Cleanup(func() {
		close(release)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the writer of the fifo never ended")
		}
	})
	go func() {
		defer close(done)
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		_, _ = io.WriteString(f, data)
		if keepOpen {
			<-release
		}
	}()
}

// within fails the test when f has not returned after a generous time: it never does so
// when the reader blocks for good.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not return", what)
	}
}

func TestFIFOReadAsAStream(t *testing.T) {
	p := fifo(t, "in.csv")
	feed(t, p, "a,b\n1,2\n3,\"x\ny\"\n\"open,5\n6,7\n", false)
	var res result
	within(t, "reading a fifo", func() { res = readAll(t, p, Options{}) })
	if res.final != io.EOF {
		t.Fatalf("final error %v, want io.EOF", res.final)
	}
	if got, want := texts(res.rows), [][]string{{"1", "2"}, {"3", "x\ny"}, {"6", "7"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}
	if len(res.rowErrs) != 1 || res.rowErrs[0].Row != 4 || !errors.Is(res.rowErrs[0], ErrBadQuotes) {
		t.Errorf("row errors = %v, want bad quotes on row 4 (the record of lines 3-4 is row 3)", res.rowErrs)
	}
	var n int
	var err error
	within(t, "CountRows of a fifo", func() { n, err = CountRows(p, Options{}) })
	if !errors.Is(err, ErrNotSeekable) {
		t.Errorf("CountRows(fifo) = %d, %v, want ErrNotSeekable", n, err)
	}
}

func TestFIFOQuoteNeverClosedPastTheRowLimit(t *testing.T) {
	p := fifo(t, "in.csv")
	feed(t, p, "a,b\n1,\"open\n"+strings.Repeat("x,y\n", 2000), false)
	var res result
	within(t, "reading a fifo", func() { res = readAll(t, p, Options{MaxRowBytes: 1 << 10}) })
	if !errors.Is(res.final, ErrBadQuotes) || !strings.Contains(res.final.Error(), "a stream cannot be read again") {
		t.Errorf("final error %v, want bad quotes that a stream cannot recover from", res.final)
	}
}

func TestFIFOOpenEndsWithContext(t *testing.T) {
	p := fifo(t, "in.csv") // no writer ever comes
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	var err error
	within(t, "opening a fifo without a writer", func() { _, err = OpenContext(ctx, p, Options{}) })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("OpenContext = %v, want context.Canceled", err)
	}
}

func TestFIFOReadEndsWithContext(t *testing.T) {
	p := fifo(t, "in.csv")
	feed(t, p, "a,b\n1,2\n", true) // the writer stays, silent
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var r Reader
	var err error
	within(t, "opening a fifo", func() { r, err = OpenContext(ctx, p, Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	time.AfterFunc(50*time.Millisecond, cancel)
	within(t, "reading a silent fifo", func() {
		for err == nil {
			_, err = r.Next()
		}
	})
	var fe *FileError
	if !errors.As(err, &fe) || !errors.Is(err, context.Canceled) {
		t.Errorf("Next = %v, want a *FileError wrapping context.Canceled", err)
	}
}

func TestXLSXFromAFIFO(t *testing.T) {
	p := fifo(t, "in.xlsx")
	feed(t, p, "PK\x03\x04 a workbook", false)
	var err error
	within(t, "opening a fifo", func() { _, err = Open(p, Options{}) })
	if !errors.Is(err, ErrNotSeekable) {
		t.Errorf("Open(xlsx fifo) = %v, want ErrNotSeekable", err)
	}
}

func TestCharacterDevice(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	p := filepath.Join(t.TempDir(), "zero.csv")
	if err := os.Symlink("/dev/zero", p); err != nil {
		t.Fatal(err)
	}
	saved := skipLimit
	skipLimit = 1 << 20
	t.Cleanup(func() { skipLimit = saved })
	var res result
	within(t, "reading /dev/zero", func() { res = readAll(t, p, Options{}) })
	if !errors.Is(res.final, ErrTooLarge) || !strings.Contains(res.final.Error(), "runs past") {
		t.Errorf("final error %v, want ErrTooLarge for an endless line", res.final)
	}
}
