//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/cli"
	"github.com/pdbulk/pdbulk/sandbox"
)

// helperEnv holds, as JSON, the command line of the helper process of the signal tests.
const helperEnv = "PDBULK_MAIN_HELPER_ARGS"

// TestMainHelperProcess is not a test: it is pdbulk's main, run as a child process by the
// signal tests, which signal it. It says "ready" on stderr once signals no longer kill it.
func TestMainHelperProcess(t *testing.T) {
	raw := os.Getenv(helperEnv)
	if raw == "" {
		t.Skip("helper process of the signal tests")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		os.Exit(cli.ExitFatal)
	}
	signal.Notify(make(chan os.Signal, 1), os.Interrupt, syscall.SIGTERM)
	os.Stderr.WriteString("ready\n")
	os.Exit(run(args, os.Stderr, os.Exit))
}

// child is a running pdbulk.
type child struct {
	cmd    *exec.Cmd
	lines  chan string // its stderr, line by line
	stderr lockedText  // its stderr
	done   chan struct{}

	waitOnce sync.Once
	exited   chan struct{} // closed once cmd.Wait returned (wait)
}

// wait reaps the process once, whoever asks first (exit, or the test's cleanup after a
// failure): cmd.Wait must not run twice at once.
func (c *child) wait() <-chan struct{} {
	c.waitOnce.Do(func() {
		go func() {
			<-c.done
			_ = c.cmd.Wait()
			close(c.exited)
		}()
	})
	return c.exited
}

// lockedText is a strings.Builder safe for a reading goroutine and the test.
type lockedText struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedText) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedText) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startPdbulk(t *testing.T, dir string, env []string, args ...string) *child {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainHelperProcess$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), helperEnv+"="+string(raw))
	cmd.Env = append(cmd.Env, env...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, lines: make(chan string, 100), done: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			c.stderr.WriteString(sc.Text() + "\n")
			select {
			case c.lines <- sc.Text():
			default:
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.wait()
	})
	return c
}

// waitLine waits for a line of stderr containing s.
func (c *child) waitLine(t *testing.T, s string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l := <-c.lines:
			if strings.Contains(l, s) {
				return
			}
		case <-timeout:
			t.Fatalf("pdbulk never printed %q", s)
		}
	}
}

// exit waits for pdbulk to exit and returns its code and how long it took after since. It
// fails the test when pdbulk does not exit: the point of these tests.
func (c *child) exit(t *testing.T, since time.Time) (int, time.Duration) {
	t.Helper()
	select {
	case <-c.wait():
	case <-time.After(20 * time.Second):
		t.Fatalf("pdbulk did not exit after the signal; stderr:\n%s", c.stderr.String())
	}
	took := time.Since(since)
	t.Logf("pdbulk exited %d, %s after the signal; stderr:\n%s", c.cmd.ProcessState.ExitCode(), took, c.stderr.String())
	return c.cmd.ProcessState.ExitCode(), took
}

// waitFIFOOpen waits until a thread of pdbulk waits in open(2) for a FIFO's writer (Linux
// names the wait wait_for_partner in /proc); elsewhere it waits a moment.
func (c *child) waitFIFOOpen(t *testing.T) {
	t.Helper()
	tasks := fmt.Sprintf("/proc/%d/task", c.cmd.Process.Pid)
	if _, err := os.Stat(tasks); err != nil {
		time.Sleep(time.Second)
		return
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		ids, _ := os.ReadDir(tasks)
		for _, id := range ids {
			if b, err := os.ReadFile(filepath.Join(tasks, id.Name(), "wchan")); err == nil && strings.Contains(string(b), "partner") {
				return
			}
		}
	}
	t.Fatalf("pdbulk never waited for the fifo's writer; stderr:\n%s", c.stderr.String())
}

func (c *child) signal(t *testing.T, sig os.Signal) time.Time {
	t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	return time.Now()
}

func writeJob(t *testing.T, dir, source string) string {
	t.Helper()
	p := filepath.Join(dir, "labels.yaml")
	job := "entity: lead_labels\nsource: " + source + "\noptions: {concurrency: 1}\ncolumns: {name: Name, color: Color}\n"
	if err := os.WriteFile(p, []byte(job), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

// TestSignalFIFOSource: a source that is a pipe nobody writes to; SIGTERM ends the wait.
func TestSignalFIFOSource(t *testing.T) {
	dir := t.TempDir()
	mkfifo(t, filepath.Join(dir, "in.csv"))
	job := writeJob(t, dir, "in.csv")
	c := startPdbulk(t, dir, nil, "run", "--sandbox", job)
	c.waitLine(t, "in-process sandbox")
	c.waitFIFOOpen(t)
	code, _ := c.exit(t, c.signal(t, syscall.SIGTERM))
	if code != cli.ExitResumable || !strings.Contains(c.stderr.String(), "interrupted while reading the source") {
		t.Errorf("exit %d, want %d with the source named", code, cli.ExitResumable)
	}
}

// TestSignalHashingLargeSource: a source so large that hashing it (the checkpoint's
// fingerprint) takes minutes; SIGTERM during the hash stops pdbulk at once, resumable.
// The file is sparse: 64 GiB that take no room on disk.
func TestSignalHashingLargeSource(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "big.csv")
	if err := os.WriteFile(p, []byte("Name,Color\nHot,red\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 64<<30); err != nil {
		t.Skipf("no sparse file here: %v", err)
	}
	job := writeJob(t, dir, "big.csv")
	c := startPdbulk(t, dir, nil, "run", "--sandbox", job)
	c.waitLine(t, "in-process sandbox")
	time.Sleep(500 * time.Millisecond) // into the hash
	code, _ := c.exit(t, c.signal(t, syscall.SIGTERM))
	if code != cli.ExitResumable || !strings.Contains(c.stderr.String(), "interrupted") {
		t.Errorf("exit %d, want %d saying it was interrupted", code, cli.ExitResumable)
	}
}

// TestSignalFIFOJobFile: a job file that is a pipe nobody writes to; SIGINT ends the wait.
func TestSignalFIFOJobFile(t *testing.T) {
	dir := t.TempDir()
	job := filepath.Join(dir, "job.yaml")
	mkfifo(t, job)
	c := startPdbulk(t, dir, nil, "validate", "--json", job)
	c.waitLine(t, "ready")
	c.waitFIFOOpen(t)
	code, _ := c.exit(t, c.signal(t, os.Interrupt))
	if code != cli.ExitResumable {
		t.Errorf("exit %d, want %d", code, cli.ExitResumable)
	}
	for _, l := range strings.Split(strings.TrimSpace(c.stderr.String()), "\n")[1:] {
		if !json.Valid([]byte(l)) {
			t.Errorf("a line of --json stderr is not JSON: %q", l)
		}
	}
}

// blockedServer is a sandbox whose writes never answer: a POST waits until the client goes.
func blockedServer(t *testing.T) (url string, posted chan struct{}) {
	t.Helper()
	srv, err := sandbox.New(sandbox.Options{Token: "tok-main-test-123456", Emulation: sandbox.Emulation{RateLimit: 100000}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	posted = make(chan struct{}, 10)
	h := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			// Read the body whole: the server then notices when the client goes away.
			_, _ = io.Copy(io.Discard, r.Body)
			posted <- struct{}{}
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/api/v1", posted
}

func blockedRun(t *testing.T) (*child, chan struct{}) {
	t.Helper()
	url, posted := blockedServer(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.csv"), []byte("Name,Color\nHot,red\nCold,blue\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	job := writeJob(t, dir, "in.csv")
	env := []string{"PIPEDRIVE_BASE_URL=" + url, "PIPEDRIVE_API_TOKEN=tok-main-test-123456", "PIPEDRIVE_COMPANY_DOMAIN="}
	return startPdbulk(t, dir, env, "run", job), posted
}

// TestSignalBlockedServer: a create that never gets an answer; one SIGTERM stops pdbulk
// after the grace for the work in flight, resumable (75).
func TestSignalBlockedServer(t *testing.T) {
	c, posted := blockedRun(t)
	select {
	case <-posted:
	case <-time.After(30 * time.Second):
		t.Fatalf("no create reached the server; stderr:\n%s", c.stderr.String())
	}
	code, _ := c.exit(t, c.signal(t, syscall.SIGTERM))
	if code != cli.ExitResumable || !strings.Contains(c.stderr.String(), "did not end within") {
		t.Errorf("exit %d, want %d saying the work in flight was cancelled", code, cli.ExitResumable)
	}
}

// TestSignalTwice: the second signal aborts the work in flight at once: exit 130.
func TestSignalTwice(t *testing.T) {
	c, posted := blockedRun(t)
	select {
	case <-posted:
	case <-time.After(30 * time.Second):
		t.Fatalf("no create reached the server; stderr:\n%s", c.stderr.String())
	}
	since := c.signal(t, os.Interrupt)
	time.Sleep(100 * time.Millisecond)
	c.signal(t, os.Interrupt)
	code, _ := c.exit(t, since)
	if code != cli.ExitInterrupted {
		t.Errorf("exit %d, want %d", code, cli.ExitInterrupted)
	}
}

// The built binary: --version says what -ldflags -X stamped, and help is output on stdout
// (pdbulk --help | less), with nothing on stderr.
func TestBuiltBinaryVersionAndHelp(t *testing.T) {
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build pdbulk with")
	}
	bin := filepath.Join(t.TempDir(), "pdbulk")
	build := exec.Command(gotool, "build", "-o", bin, "-ldflags",
		"-X github.com/pdbulk/pdbulk/cli.Version=9.8.7 -X github.com/pdbulk/pdbulk/cli.Commit=0123456789abcdef0123", ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	runBin := func(args ...string) (stdout, stderr string, code int) {
		t.Helper()
		var o, e strings.Builder
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		code = cmd.ProcessState.ExitCode()
		if err != nil && code < 0 {
			t.Fatalf("pdbulk %v: %v", args, err)
		}
		return o.String(), e.String(), code
	}
	out, errOut, code := runBin("--version")
	want := fmt.Sprintf("pdbulk 9.8.7 (commit 0123456789ab, %s %s/%s)\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if code != 0 || out != want || errOut != "" {
		t.Errorf("pdbulk --version: exit %d, stdout %q, stderr %q; want exit 0, %q", code, out, errOut, want)
	}
	for _, args := range [][]string{{"--help"}, {"help", "undo"}, {"undo", "-h"}} {
		out, errOut, code = runBin(args...)
		if code != 0 || !strings.Contains(out, "Usage:") || !strings.Contains(out, "Examples:") || errOut != "" {
			t.Errorf("pdbulk %v: exit %d, stderr %q, stdout:\n%s\nwant exit 0 and the help on stdout", args, code, errOut, out)
		}
	}
	_, errOut, code = runBin("rnu")
	if code != cli.ExitUsage || !strings.Contains(errOut, "did you mean run?") {
		t.Errorf("pdbulk rnu: exit %d, stderr %q; want exit 2 and a suggestion", code, errOut)
	}

	// Not stamped: the commit is the one Go recorded from the checkout (-buildvcs).
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Logf("no git checkout here (%v): the fallback to the recorded revision is not checked", err)
		return
	}
	build = exec.Command(gotool, "build", "-buildvcs=true", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -buildvcs=true: %v\n%s", err, out)
	}
	if info, _ := exec.Command(gotool, "version", "-m", bin).Output(); !strings.Contains(string(info), "vcs.revision="+strings.TrimSpace(string(head))) {
		t.Logf("go build recorded no revision here (a worktree, or VCS stamping disabled):\n%s", info)
		return
	}
	out, _, _ = runBin("--version")
	if !strings.HasPrefix(out, "pdbulk ") || !strings.Contains(out, "(commit "+string(head[:12])) {
		t.Errorf("unstamped pdbulk --version = %q, want the commit %.12s recorded by go build", out, head)
	}
}
