//go:build unix

package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pdbulk/pdbulk/cli"
	"github.com/pdbulk/pdbulk/sandbox"
)

// TestSourceFromAPipe runs an import whose source is a named pipe: it is copied once and
// imported like a file, with its rows accounted for and no copy left behind.
func TestSourceFromAPipe(t *testing.T) {
	base := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	fifo := filepath.Join(dir, "labels.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	job := writeFile(t, dir, "labels.yaml", "entity: lead_labels\nsource: labels.csv\ncolumns: {name: Name, color: Color}\n")
	wrote := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			_, err = f.WriteString("Name,Color\nHot,red\nCold,blue\nShort\n")
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		wrote <- err
	}()
	r := pdbulk(t, connectedTo(base, testToken), "run", job)
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	wantCode(t, r, cli.ExitRejected)
	wantContains(t, "stderr", r.stderr, "is a pipe or a device: read it whole (35 bytes)",
		"2 created", "1 rejected", `row 4: fewer fields than header columns: 1 field for 2 columns: "Color" missing`)
	spool := filepath.Join(dir, ".pdbulk", "spool", "labels")
	if _, err := os.Stat(spool); !os.IsNotExist(err) {
		t.Errorf("the copy of the pipe %s is left behind (%v)", spool, err)
	}
	_, rows := readCSV(t, filepath.Join(dir, "out", "labels.rejects.csv"))
	if len(rows) != 1 || rows[0][0] != "Short" {
		t.Errorf("reject report rows = %q, want the short row", rows)
	}
}

// TestSourceFromADevice: /dev/zero as a CSV source is refused after its first line runs
// past the row limit, not copied up to the spool limit.
func TestSourceFromADevice(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.csv")); err != nil {
		t.Fatal(err)
	}
	job := writeFile(t, dir, "zero.yaml", "entity: lead_labels\nsource: zero.csv\ncolumns: {name: Name, color: Color}\n")
	r := pdbulk(t, nil, "validate", job)
	wantCode(t, r, cli.ExitFatal)
	wantContains(t, "stderr", r.stderr, "its first line runs past 4259840 bytes without ending")
	if strings.Contains(r.stderr, "\x00") {
		t.Error("nul bytes in stderr")
	}
}
