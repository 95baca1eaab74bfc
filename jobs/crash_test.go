package jobs

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	helperEnv  = "PDBULK_JOBS_CRASH_HELPER" // state path for the helper process
	helperBase = "PDBULK_JOBS_CRASH_BASE"   // first row number the helper marks
)

// TestCrashHelper is not a test: it is the child process of TestCrashSafety. It marks rows
// from 8 goroutines and prints "done N" after each MarkDone returned, until it is killed.
func TestCrashHelper(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process of TestCrashSafety")
	}
	base, _ := strconv.Atoi(os.Getenv(helperBase))
	ctx := context.Background()
	s, err := OpenState(path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	run, err := s.BeginJob(ctx, &Job{Name: "crash", Entity: EntityLeads}, "fp", false)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	next := base
	// Never outlive a parent that failed to kill us; long enough for a loaded machine, where
	// one fsync can take tens of milliseconds, to reach the parent's kill point.
	deadline := time.Now().Add(90 * time.Second)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				mu.Lock()
				n := next
				next++
				mu.Unlock()
				if err := run.MarkInFlight(ctx, n, fmt.Sprint("k", n)); err != nil {
					fmt.Println("error", err)
					os.Exit(1)
				}
				if err := run.MarkDone(ctx, n, fmt.Sprint("id", n), "created"); err != nil {
					fmt.Println("error", err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "done %d\n", n) // one write(2), no buffer
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	os.Exit(0)
}

func TestCrashSafety(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	for round := 0; round < 3; round++ {
		base := (round + 1) * 1_000_000
		kill := 20 + rand.IntN(1500) // kill after this many reported rows
		reported := runAndKill(t, path, base, kill)
		if len(reported) < kill {
			t.Fatalf("round %d: helper reported %d rows before dying, want at least %d", round, len(reported), kill)
		}

		s, err := OpenState(path)
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		var check string
		if err := s.rdb.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
			t.Errorf("round %d: integrity_check = %q, %v", round, check, err)
		}
		run, err := s.Begin(context.Background(), "crash", "fp", false)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := run.Rows(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range reported {
			st := rows[n]
			if st.Status != StatusDone || st.RemoteID != fmt.Sprint("id", n) {
				t.Errorf("round %d: row %d reported done by the killed process, recorded %+v", round, n, st)
			}
		}
		t.Logf("round %d: killed after %d reported rows; %d rows recorded", round, len(reported), len(rows))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// runAndKill starts the helper, kills it with SIGKILL once it has reported kill rows, and
// returns every row it reported (including those still in the pipe when it died).
func runAndKill(t *testing.T, path string, base, kill int) []int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path, helperBase+"="+strconv.Itoa(base))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	var reported []int
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var n int
		if _, err := fmt.Sscanf(sc.Text(), "done %d", &n); err != nil {
			t.Fatalf("helper said %q", sc.Text())
		}
		reported = append(reported, n)
		if len(reported) == kill && !killed {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	if err := cmd.Wait(); err == nil {
		t.Fatalf("helper exited cleanly before it was killed (%d rows)", len(reported))
	}
	if !killed {
		t.Fatalf("helper died on its own after %d rows", len(reported))
	}
	return reported
}
