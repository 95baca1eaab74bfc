package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/cli"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/sandbox"
)

// crashHelperEnv holds, as JSON, the command line of the helper process of TestCrashResume.
const crashHelperEnv = "PDBULK_CRASH_HELPER_ARGS"

// TestCrashHelperProcess is not a test: it is pdbulk itself, run as a child process by
// TestCrashResume (which kills it). It runs the command line in $PDBULK_CRASH_HELPER_ARGS
// with the process's real environment and exits with pdbulk's exit code.
func TestCrashHelperProcess(t *testing.T) {
	raw := os.Getenv(crashHelperEnv)
	if raw == "" {
		t.Skip("helper process of TestCrashResume")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		os.Stderr.WriteString("crash helper: bad args: " + err.Error() + "\n")
		os.Exit(cli.ExitFatal)
	}
	// Never outlive a parent that failed to kill us: stop feeding rows after a while.
	stop, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := cli.Main(cli.Env{
		Stop: stop, Abort: context.Background(),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv,
	}, args)
	os.Exit(code)
}

// crashSandbox is a sandbox server whose data lives on disk, so that it can be restarted.
type crashSandbox struct {
	t    *testing.T
	data string
	srv  *sandbox.Server
	base string
}

func (s *crashSandbox) start() {
	s.t.Helper()
	srv, err := sandbox.New(sandbox.Options{Token: testToken, DataDir: s.data, Emulation: sandbox.Emulation{RateLimit: 100000}})
	if err != nil {
		s.t.Fatalf("sandbox.New(DataDir %s): %v", s.data, err)
	}
	base, err := srv.Start()
	if err != nil {
		_ = srv.Close()
		s.t.Fatalf("sandbox Start: %v", err)
	}
	s.srv, s.base = srv, base
}

func (s *crashSandbox) stop() {
	s.t.Helper()
	if s.srv == nil {
		return
	}
	if err := s.srv.Close(); err != nil {
		s.t.Errorf("sandbox Close: %v", err)
	}
	s.srv = nil
}

// child is one run of pdbulk in a child process.
type child struct {
	killed   bool // SIGKILLed while it ran
	code     int  // exit code when it exited by itself
	output   string
	duration time.Duration
}

// runChild runs `pdbulk args...` in a child process against the sandbox at base and kills
// it with SIGKILL after killAfter (0 = let it finish).
func runChild(t *testing.T, ctx context.Context, base string, killAfter time.Duration, args ...string) child {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		crashHelperEnv+"="+string(raw),
		"PIPEDRIVE_BASE_URL="+base,
		"PIPEDRIVE_API_TOKEN="+testToken,
		"PIPEDRIVE_COMPANY_DOMAIN=",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pdbulk: %v", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var werr error
	if killAfter > 0 {
		timer := time.NewTimer(killAfter)
		select {
		case werr = <-waited:
			timer.Stop()
		case <-timer.C:
			if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.Fatalf("kill pdbulk: %v", err)
			}
			werr = <-waited
		}
	} else {
		werr = <-waited
	}
	c := child{output: out.String(), duration: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case werr == nil:
	case errors.As(werr, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			c.killed = true
		} else {
			c.code = ee.ExitCode()
		}
	default:
		t.Fatalf("pdbulk: %v\n%s", werr, c.output)
	}
	if ctx.Err() != nil {
		t.Fatalf("the crash test ran out of time\n%s", c.output)
	}
	return c
}

// TestCrashResume is the crash test of the exactly-once promise: a 5,000-row lead import
// (concurrency 8) against a sandbox that stores its data on disk is killed with SIGKILL at
// 20 random moments and resumed after each kill, the sandbox itself is restarted from its
// data once on the way, and the import ends with exactly one lead per valid row: no
// duplicate, none missing, no lead for an invalid row, and reports that account for every
// row. Each run after a kill takes the job's lock that the killed process held: the run
// lock dies with its process, so a SIGKILLed run never blocks the next.
func TestCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: 20 SIGKILLs of a 5,000-row import")
	}
	t.Parallel()
	const rows, kills = 5000, 20
	// Bounded, with room for `go test -race ./...` running every package at once on two
	// cores, where the final run of 5,000 rows has gone as slow as 20 rows/s.
	ctx, cancel := context.WithTimeout(context.Background(), 420*time.Second)
	defer cancel()

	sb := &crashSandbox{t: t, data: t.TempDir()}
	sb.start()
	t.Cleanup(sb.stop)
	dir := t.TempDir()
	job, valid, invalid := genJob(t, dir, rows, func(i int) bool { return i%250 == 0 }, 8)
	jb, err := jobs.Load(job)
	if err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(20261128, 5000))
	var midRun, inDoubtSeen int
	lastDone := -1
	for i := range kills {
		if i == kills/2 {
			// The sandbox goes down and comes back from its data on disk, on another port.
			sb.stop()
			sb.start()
		}
		delay := 50*time.Millisecond + time.Duration(rng.Int64N(int64(350*time.Millisecond)))
		c := runChild(t, ctx, sb.base, delay, "run", jb.Path)
		if strings.Contains(c.output, "is already running") {
			t.Fatalf("run %d was refused by the lock of a killed run:\n%s", i+1, c.output)
		}
		if !c.killed {
			t.Logf("run %d exited %d by itself after %s (kill planned at %s):\n%s", i+1, c.code, c.duration, delay, c.output)
			if c.code != cli.ExitOK && c.code != cli.ExitRejected {
				t.Fatalf("run %d exit code = %d, want 0 or 3\n%s", i+1, c.code, c.output)
			}
			continue
		}
		sum := summary(t, jb, sb.base)
		if sum.Pending+sum.InFlight > 0 || sum.Total == 0 {
			midRun++ // the job was not done when the process died
		}
		inDoubtSeen += sum.InFlight
		if sum.Done < lastDone {
			t.Errorf("kill %d: done went down from %d to %d", i+1, lastDone, sum.Done)
		}
		lastDone = sum.Done
		t.Logf("kill %d after %s: %d done, %d rejected, %d in doubt, %d pending of %d", i+1, delay, sum.Done, sum.Rejected, sum.InFlight, sum.Pending, sum.Total)
	}
	if midRun == 0 {
		t.Fatalf("no kill happened while the job was running: the test proves nothing")
	}

	final := runChild(t, ctx, sb.base, 0, "run", jb.Path)
	if final.killed || final.code != cli.ExitRejected {
		t.Fatalf("final run: exit %d (killed %v), want %d (rows rejected)\n%s", final.code, final.killed, cli.ExitRejected, final.output)
	}
	if strings.Contains(final.output, testToken) {
		t.Errorf("pdbulk printed the token")
	}
	t.Logf("%d of %d kills hit a running job; %d in-doubt rows found after kills; final run: %s", midRun, kills, inDoubtSeen, lastLine(final.output, "rows read"))

	// What the sandbox holds, read back after one more restart from its data.
	sb.stop()
	sb.start()
	wantExactlyOnce(t, leads(t, apiClient(t, sb.base)), valid, invalid)

	sum := summary(t, jb, sb.base)
	if sum.Done != len(valid) || sum.Rejected != len(invalid) || sum.Pending != 0 || sum.InFlight != 0 {
		t.Errorf("checkpoint: %+v, want %d done, %d rejected, nothing pending or in doubt", sum, len(valid), len(invalid))
	}
	h, ok := readCSV(t, jb.Reports.Success)
	_, rej := readCSV(t, jb.Reports.Rejects)
	if len(ok)+len(rej) != rows || len(rej) != len(invalid) {
		t.Errorf("reports: %d success + %d rejects rows, want %d + %d = %d", len(ok), len(rej), len(valid), len(invalid), rows)
	}
	ids := map[string]bool{}
	for _, id := range column(t, h, ok, "pipedrive_id") {
		if id == "" || ids[id] {
			t.Errorf("success report: pipedrive_id %q is empty or repeated", id)
		}
		ids[id] = true
	}
}

// summary reads the job's progress from its checkpoint, in the account of the sandbox at
// base, as pdbulk status does.
func summary(t *testing.T, j *jobs.Job, base string) jobs.Summary {
	t.Helper()
	sum, _, err := boundState(t, jobs.DefaultStatePath(j), base).Job(context.Background(), j.Name)
	if err != nil {
		t.Fatalf("read the checkpoint after a kill: %v", err)
	}
	return sum
}

// lastLine returns the last line of out that contains sub.
func lastLine(out, sub string) string {
	lines := strings.Split(out, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], sub) {
			return strings.TrimSpace(lines[i])
		}
	}
	return ""
}
