//go:build linux

package cli_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/pdbulk/pdbulk/cli"
	"github.com/pdbulk/pdbulk/sandbox"
)

// openPTY opens a pseudo-terminal: what the user types is written to master, and pdbulk
// reads it from the terminal slave, as from a shell's stdin.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	ioctl := func(req uintptr, arg unsafe.Pointer) error {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), req, uintptr(arg)); e != 0 {
			return e
		}
		return nil
	}
	var unlock int32
	var n uint32
	if err := ioctl(syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		m.Close()
		t.Skipf("unlock the pseudo-terminal: %v", err)
	}
	if err := ioctl(syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		m.Close()
		t.Skipf("name the pseudo-terminal: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("open the pseudo-terminal: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		m.Close()
	})
	return m, s
}

// On a terminal, undo asks before deleting: "n" (or just Enter) keeps everything, "y" deletes.
func TestUndoAsksOnTerminal(t *testing.T) {
	t.Parallel()
	base := startSandbox(t, sandbox.Options{})
	e := connectedTo(base, testToken)
	c := apiClient(t, base)
	dir := t.TempDir()
	job := leadsJob(t, dir)
	wantCode(t, pdbulk(t, e, "run", job), cli.ExitRejected)

	undo := func(answer string) result {
		t.Helper()
		master, slave := openPTY(t)
		if _, err := master.WriteString(answer); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr syncBuffer
		code := cli.Main(cli.Env{Stop: context.Background(), Abort: context.Background(), Stdin: slave,
			Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return e[k] }}, []string{"undo", job})
		r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
		t.Logf("undo, answering %q → exit %d\n%s", answer, code, r.stderr)
		return r
	}
	r := undo("n\n")
	wantCode(t, r, cli.ExitUsage)
	wantContains(t, "stderr", r.stderr, "Delete 2 records created by job leads in account ", "? [y/N] ", "not confirmed; nothing was deleted")
	if n := len(leads(t, c)); n != 2 {
		t.Fatalf("after answering n the sandbox holds %d leads, want the 2 created", n)
	}
	r = undo("y\n")
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stderr", r.stderr, "2 deleted now")
	if n := len(leads(t, c)); n != 0 {
		t.Errorf("after answering y the sandbox holds %d leads, want 0", n)
	}
	if strings.Contains(r.stderr, testToken) {
		t.Errorf("undo printed the token")
	}
}
