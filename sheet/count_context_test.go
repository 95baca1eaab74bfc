package sheet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/sheet/hostile"
)

// stopAfter is a context that is cancelled at its nth check (its nth call of Err): it
// stops a reader in the middle of a file at a point that does not depend on the machine's
// speed.
type stopAfter struct {
	context.Context
	n      atomic.Int64
	cancel context.CancelFunc
}

func newStopAfter(n int64) *stopAfter {
	ctx, cancel := context.WithCancel(context.Background())
	s := &stopAfter{Context: ctx, cancel: cancel}
	s.n.Store(n)
	return s
}

func (s *stopAfter) Err() error {
	if s.n.Add(-1) <= 0 {
		s.cancel()
	}
	return s.Context.Err()
}

// countSources writes the sources CountRowsContext is stopped in: a CSV and a workbook of a
// few tens of MB, a windows-1252 CSV (checked whole for its encoding before the first row),
// and a folder.
func countSources(t *testing.T) map[string]struct {
	path string
	o    Options
	rows int
} {
	t.Helper()
	dir := t.TempDir()
	const rows = 400_000 // about 32 MB of CSV
	line := "Acme Corporation,someone@example.com,12345.67,2024-01-01,note\n"
	csvPath := filepath.Join(dir, "big.csv")
	must(t, hostile.WriteFile(csvPath, func(w io.Writer) error {
		if _, err := io.WriteString(w, "Title,Email,Amount,Close,Note\n"); err != nil {
			return err
		}
		return hostile.Repeat(w, line, int64(rows*len(line)))
	}))
	cp1252 := filepath.Join(dir, "cp1252.csv")
	must(t, hostile.WriteFile(cp1252, func(w io.Writer) error {
		if _, err := io.WriteString(w, "Title,City\n"); err != nil {
			return err
		}
		return hostile.Repeat(w, "Jos\xe9 Garc\xeda,K\xf6ln am Rhein\n", 30<<20)
	}))
	xlsxPath := filepath.Join(dir, "big.xlsx")
	row := `<row><c t="inlineStr"><is><t>Acme</t></is></c><c><v>1</v></c></row>`
	must(t, hostile.WriteStoredXLSX(xlsxPath, sheetOf(hostile.XML(hostile.Row(1, "Title", "Amount")),
		hostile.Padded("", row, 30<<20, ""))))
	folder := filepath.Join(dir, "files")
	for i := range 300 {
		putFile(t, filepath.Join(folder, fmt.Sprintf("d%02d", i%10), fmt.Sprintf("f%03d.pdf", i)), "x")
	}
	return map[string]struct {
		path string
		o    Options
		rows int
	}{
		"csv":          {csvPath, Options{}, rows},
		"windows-1252": {cp1252, Options{}, 0},
		"xlsx":         {xlsxPath, Options{}, 0},
		"folder":       {folder, Options{Folder: &Folder{Glob: "**/*.pdf"}}, 300},
	}
}

// TestCountRowsContextStops: CountRowsContext stops when its context ends, in the middle
// of a large file, and says why: the error wraps context.Canceled and names the file. A
// context that is already cancelled reads nothing.
func TestCountRowsContextStops(t *testing.T) {
	sources := countSources(t)
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			if src.rows > 0 {
				if n, err := CountRowsContext(context.Background(), src.path, src.o); err != nil || n != src.rows {
					t.Fatalf("CountRowsContext(uncancelled) = %d, %v, want %d", n, err, src.rows)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			start := time.Now()
			_, err := CountRowsContext(ctx, src.path, src.o)
			var fe *FileError
			if !errors.Is(err, context.Canceled) || !errors.As(err, &fe) || fe.Path != src.path {
				t.Errorf("CountRowsContext(cancelled) = %v, want a FileError naming %s wrapping context.Canceled", err, src.path)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("CountRowsContext(cancelled) took %v", d)
			}
			// Cancelled at its 20th check: in the middle of the file (each check is one
			// buffer, 64 KiB at most, or one file of a folder).
			_, err = CountRowsContext(newStopAfter(20), src.path, src.o)
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), src.path) {
				t.Errorf("CountRowsContext(cancelled while counting) = %v, want an error naming %s wrapping context.Canceled", err, src.path)
			}
		})
	}
}

// TestCountRowsContextCancelledByAnotherGoroutine: a cancel from elsewhere (a signal
// handler) ends a count in progress, promptly.
func TestCountRowsContextCancelledByAnotherGoroutine(t *testing.T) {
	sources := countSources(t)
	for _, name := range []string{"csv", "windows-1252", "xlsx"} {
		src := sources[name]
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			type result struct {
				n   int
				err error
			}
			done := make(chan result, 1)
			go func() {
				n, err := CountRowsContext(ctx, src.path, src.o)
				done <- result{n, err}
			}()
			time.Sleep(10 * time.Millisecond)
			cancel()
			select {
			case res := <-done:
				// A machine fast enough to count the whole file in 10 ms gives its count.
				if res.err != nil && !errors.Is(res.err, context.Canceled) {
					t.Errorf("CountRowsContext = %d, %v, want context.Canceled", res.n, res.err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("CountRowsContext did not return within 5 s of the cancel")
			}
		})
	}
}
