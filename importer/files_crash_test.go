package importer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sandbox"
)

// filesCrashEnv holds, as JSON, what the helper process of TestFilesCrashResume runs.
const filesCrashEnv = "PDBULK_FILES_CRASH_HELPER"

type filesCrashArgs struct {
	Base, Job string
}

// TestFilesCrashHelperProcess is not a test: it is one `pdbulk run` of a files job, run as a
// child process by TestFilesCrashResume, which kills it with SIGKILL.
func TestFilesCrashHelperProcess(t *testing.T) {
	runKilledChild(t, filesCrashEnv, settleNoLate)
}

// runKilledChild is the body of a child process a crash test kills: one run of the job that
// the environment variable env names (JSON of filesCrashArgs: the sandbox's base URL and the
// job file), against its checkpoint beside the job. Without env it is skipped: it is not a
// test of its own.
func runKilledChild(t *testing.T, env string, settle time.Duration) {
	raw := os.Getenv(env)
	if raw == "" {
		t.Skip("helper process of a crash test")
	}
	var a filesCrashArgs
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		t.Fatal(err)
	}
	j, err := jobs.Load(a.Job)
	if err != nil {
		t.Fatal(err)
	}
	st, err := jobs.OpenState(filepath.Join(j.Dir, ".pdbulk", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cn := newConn(t, a.Base)
	// Never outlive a parent that failed to kill us.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := importer.Run(ctx, ctx, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, SettleTime: settle}); err != nil {
		t.Fatal(err)
	}
}

// TestFilesCrashResume kills a folder upload (concurrency 4, 20 ms latency) with SIGKILL at
// random moments, mid-upload, and resumes it after each kill. The uploads are marked in
// flight many rows to a commit before they are sent, and recorded done many to a commit:
// after every kill each file the sandbox stored belongs to a row the checkpoint holds done
// or in flight (none was sent unrecorded), no two done rows hold one file, and the job ends
// with every file uploaded exactly once.
func TestFilesCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: SIGKILLs of an upload")
	}
	t.Parallel()
	const files, kills = 80, 8
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	base := startSandbox(t, sandbox.Emulation{Latency: 20 * time.Millisecond})
	cn := newConn(t, base)
	dir := t.TempDir()
	buf := make([]byte, 200<<10)
	names := map[string]bool{}
	for i := range files {
		for k := range buf {
			buf[k] = byte(i + k)
		}
		name := fmt.Sprintf("Contract %03d.pdf", i)
		names[name] = true
		p := filepath.Join(dir, "contracts", fmt.Sprintf("L-%d", i%5), name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, buf[:len(buf)-i], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	j := loadJob(t, dir, "crash-files", `kind: import
name: crash-files
entity: files
source: {folder: contracts, glob: "**/*.pdf"}
mode: create
columns:
  file: path
  deal_id: {value: 1}
options: {concurrency: 4, upload_concurrency: 4}
`)
	raw, _ := json.Marshal(filesCrashArgs{Base: base, Job: j.Path})
	stored := func() map[string]string { // file id → name
		out := map[string]string{}
		for f, err := range cn.c.AllFiles(ctx, pipedrive.FilesQuery{}) {
			if err != nil {
				t.Fatalf("list files: %v", err)
			}
			if f.ActiveFlag {
				out[strconv.Itoa(f.ID)] = f.Name
			}
		}
		return out
	}
	rng := rand.New(rand.NewPCG(20261201, 16))
	var killedMid, inFlightSeen int
	for i := 0; ; i++ {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestFilesCrashHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), filesCrashEnv+"="+string(raw))
		out, werr := runKilled(cmd, i < kills, 100*time.Millisecond+time.Duration(rng.Int64N(int64(400*time.Millisecond))))
		var ee *exec.ExitError
		killed := errors.As(werr, &ee) && ee.Sys().(syscall.WaitStatus).Signaled()
		if werr != nil && !killed {
			t.Fatalf("run %d: %v\n%s", i+1, werr, out)
		}
		if ctx.Err() != nil {
			t.Fatalf("the crash test ran out of time")
		}

		st, err := jobs.OpenState(filepath.Join(dir, ".pdbulk", "state.db"))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := st.OpenRun(j.Name).Rows(ctx)
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		have := stored()
		var done, inFlight int
		held := map[string]int{}
		for _, r := range rows {
			switch r.Status {
			case jobs.StatusDone:
				done++
				if have[r.RemoteID] == "" {
					t.Errorf("after run %d: row %d is done with file %s, which the sandbox does not have", i+1, r.Row, r.RemoteID)
				}
				if other, ok := held[r.RemoteID]; ok {
					t.Errorf("after run %d: rows %d and %d both hold file %s", i+1, other, r.Row, r.RemoteID)
				}
				held[r.RemoteID] = r.Row
			case jobs.StatusInFlight:
				inFlight++
			}
		}
		if len(have) > done+inFlight {
			t.Fatalf("after run %d: the sandbox has %d files, the checkpoint %d rows done and %d in flight: an upload was sent before its row was in flight", i+1, len(have), done, inFlight)
		}
		if !killed {
			if done != files || inFlight != 0 {
				t.Fatalf("final run: %d rows done, %d in flight, want %d done\n%s", done, inFlight, files, out)
			}
			count := map[string]int{}
			for _, name := range have {
				count[name]++
			}
			for name := range names {
				if count[name] != 1 {
					t.Errorf("%s uploaded %d times, want once", name, count[name])
				}
			}
			if len(have) != files {
				t.Errorf("%d files stored, want %d", len(have), files)
			}
			break
		}
		if done < files {
			killedMid++
		}
		inFlightSeen += inFlight
	}
	if killedMid == 0 || inFlightSeen == 0 {
		t.Errorf("%d kills mid-run, %d rows left in flight by them: the kills did not land mid-upload", killedMid, inFlightSeen)
	}
}

// runKilled runs cmd and, when kill is set, kills it with SIGKILL after delay if it has not
// exited by then. It returns the output and the wait's error.
func runKilled(cmd *exec.Cmd, kill bool, delay time.Duration) (string, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	if !kill {
		err := <-waited
		return out.String(), err
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case err := <-waited:
		return out.String(), err
	case <-timer.C:
		_ = cmd.Process.Kill() // it may have exited meanwhile: the wait tells
		err := <-waited
		return out.String(), err
	}
}
