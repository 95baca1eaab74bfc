//go:build unix

package jobs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestLoadFromAFIFO reads a job file that is a named pipe, and checks that waiting for a
// writer that never comes ends with the context.
func TestLoadFromAFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.csv"), []byte("Name,Color\nHot,red\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "job.yaml")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	wrote := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err == nil {
			_, err = f.WriteString("entity: lead_labels\nsource: in.csv\ncolumns: {name: Name, color: Color}\n")
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		wrote <- err
	}()
	j, err := LoadContext(context.Background(), p)
	if err != nil || j.Entity != EntityLeadLabels {
		t.Fatalf("LoadContext(fifo) = %+v, %v", j, err)
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() {
		_, err := LoadContext(ctx, p) // no writer this time
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("LoadContext(fifo without a writer) = %v, want context.Canceled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("LoadContext(fifo without a writer) did not end with its context")
	}
}
