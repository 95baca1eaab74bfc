package cli_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/cli"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sandbox"
)

// TestBudgetResume: a run that spends the company's daily token budget stops with exit 75
// and says when to resume; after the budget refills at the (emulated) midnight, the same
// command finishes the job with exactly one lead per row.
func TestBudgetResume(t *testing.T) {
	t.Parallel()
	clock := sandbox.NewManualClock(time.Now())
	// 100 tokens a day: 10 creates (10 tokens each) of the 15 the job needs.
	base := startSandbox(t, sandbox.Options{Emulation: sandbox.Emulation{DailyBudget: 100, Now: clock.Now}})
	dir := t.TempDir()
	job, valid, invalid := genJob(t, dir, 15, func(int) bool { return false }, 4)
	e := connectedTo(base, testToken)
	c := apiClient(t, base)

	r := pdbulk(t, e, "run", job)
	wantCode(t, r, cli.ExitResumable)
	// Before sending, the run asks what is left (2 tokens) and says the job does not fit.
	wantContains(t, "stderr", r.stderr, "15 rows to send, about 150 tokens, but only 98 are left today")
	wantContains(t, "stderr", r.stderr, "daily token budget is spent", "it refills at ", "run the same command again then to resume")
	if !regexp.MustCompile(`refills at \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2}`).MatchString(r.stderr) {
		t.Errorf("the budget message gives no time to resume at:\n%s", r.stderr)
	}
	// The sandbox refuses every request now (and the client's lookups cost budget too):
	// count what the first day created from the checkpoint, through status.
	st := pdbulk(t, nil, "status", job)
	done := statusCount(t, st.stdout, "done")
	if done == 0 || done >= 15 {
		t.Fatalf("the first day finished %d rows, want some but not all 15", done)
	}
	if p := statusCount(t, st.stdout, "pending") + statusCount(t, st.stdout, "in doubt"); done+p != 15 {
		t.Errorf("status: %d done + %d pending or in doubt, want 15 rows", done, p)
	}

	// The same command again the same day: still nothing fits, still resumable.
	r = pdbulk(t, e, "run", job)
	wantCode(t, r, cli.ExitResumable)

	clock.Advance(24 * time.Hour)
	r = pdbulk(t, e, "run", job)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stderr", r.stderr, "15 rows read: ", "0 rejected, 0 pending")
	wantExactlyOnce(t, leads(t, c), valid, invalid)
}

// statusCount reads the number after "name:" in the output of pdbulk status.
func statusCount(t *testing.T, out, name string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `:\s+(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("status prints no %q line:\n%s", name, out)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStatus follows a job through pdbulk status: never run; stopped by the budget with rows
// done, rejected and pending; a crash that left a create in doubt (the lead was stored, the
// answer lost); the resume that reconciles it without a duplicate; then a changed input.
func TestStatus(t *testing.T) {
	t.Parallel()
	clock := sandbox.NewManualClock(time.Now())
	// 120 tokens a day: the first day stops before the 15 valid rows (150 tokens) are sent;
	// the second covers the check of the budget, the hand-made lead and the rest.
	base := startSandbox(t, sandbox.Options{Emulation: sandbox.Emulation{DailyBudget: 120, Now: clock.Now}})
	dir := t.TempDir()
	// Rows 2 and 3 (the first two) are invalid: rejected before the budget runs out.
	job, valid, invalid := genJob(t, dir, 17, func(i int) bool { return i <= 2 }, 1)
	e := connectedTo(base, testToken)
	c := apiClient(t, base)

	r := pdbulk(t, nil, "status", job)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "status", r.stdout, "gen: never run. A run will send every row of ", "--sandbox --sandbox-data DIR keeps it there")
	if _, err := os.Stat(filepath.Join(dir, ".pdbulk")); !os.IsNotExist(err) {
		t.Errorf("status of a job never run created a checkpoint (stat .pdbulk: %v)", err)
	}

	wantCode(t, pdbulk(t, e, "run", job), cli.ExitResumable)
	r = pdbulk(t, nil, "status", job)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "status", r.stdout, "job:       gen (create leads)", "rows:      17", "rejected:  2 (see ", "in doubt:  0")
	done, pending := statusCount(t, r.stdout, "done"), statusCount(t, r.stdout, "pending")
	if done == 0 || pending == 0 || done+pending+2 != 17 {
		t.Fatalf("status after the budget stop: %d done, %d pending, 2 rejected; want some of each, 17 in all", done, pending)
	}
	wantContains(t, "status", r.stdout, "next run:  looks up the 0 in-doubt rows before sending anything for them, then sends the "+strconv.Itoa(pending)+" pending rows (about "+strconv.Itoa(pending)+" requests, "+strconv.Itoa(10*pending)+" tokens)")

	// A crash between "sent" and "answered": the first pending row is journaled in flight,
	// and its lead exists, as when the process died before the answer came back.
	jb, err := jobs.Load(job)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := jb.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	state := boundState(t, jobs.DefaultStatePath(jb), base)
	ctx := context.Background()
	run, err := state.BeginJob(ctx, jb, fp, false)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := run.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	doubt := 0
	for row := 2; row <= 18; row++ {
		if _, ok := rows[row]; !ok {
			doubt = row
			break
		}
	}
	if doubt == 0 {
		t.Fatalf("no pending row in the checkpoint: %v", rows)
	}
	i := doubt - 1 // row 2 holds lead 1
	if err := run.MarkInFlight(ctx, doubt, "E"+pad5(i)); err != nil {
		t.Fatal(err)
	}
	if err := state.Close(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(24 * time.Hour) // the budget refills: the lead "sent" before the crash
	if _, _, err := c.CreateLeadRaw(ctx, map[string]any{"title": "Lead " + pad5(i), "organization_id": 1}); err != nil {
		t.Fatal(err)
	}

	r = pdbulk(t, nil, "status", job)
	wantContains(t, "status", r.stdout, "in doubt:  1 (a write was sent and its answer not recorded)",
		"pending:   "+strconv.Itoa(pending-1),
		"next run:  looks up the 1 in-doubt rows before sending anything for them, then sends the "+strconv.Itoa(pending-1)+" pending rows")

	r = pdbulk(t, e, "run", job)
	wantCode(t, r, cli.ExitRejected)
	wantContains(t, "stderr", r.stderr, "1 in doubt (1 found created)", strconv.Itoa(done)+" already done, 2 rejected, 0 pending")
	clock.Advance(24 * time.Hour) // listing the leads costs budget too
	wantExactlyOnce(t, leads(t, c), valid, invalid)

	r = pdbulk(t, nil, "status", job)
	wantContains(t, "status", r.stdout, "done:      15", "rejected:  2", "in doubt:  0", "pending:   0", "next run:  nothing to do")

	// A changed input: status says a run is refused, and the run refuses, without --restart.
	writeFile(t, dir, "leads.csv", "External ID,Title,Amount\nE99999,Lead 99999,1\n")
	r = pdbulk(t, nil, "status", job)
	wantContains(t, "status", r.stdout, "next run:  refused: the job or its input changed since its checkpoint was written", "--restart",
		"in mode create it creates every row again")
	r = pdbulk(t, e, "run", job)
	wantCode(t, r, cli.ExitUsage)
	wantContains(t, "stderr", r.stderr, "--restart")
	wantExactlyOnce(t, leads(t, c), valid, invalid)
}

func pad5(i int) string {
	s := strconv.Itoa(i)
	for len(s) < 5 {
		s = "0" + s
	}
	return s
}

// TestAPIUnavailable: an API out of reach stops the run resumable (exit 75) and a base URL
// that is no Pipedrive API stops it as fatal (exit 1), both before anything is sent; the
// same command against the API then does the whole job.
func TestAPIUnavailable(t *testing.T) {
	t.Parallel()
	base := startSandbox(t, sandbox.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/api/v1"
	ln.Close()
	for _, tc := range []struct {
		name, base string
		code       int
		say        string
	}{
		{"nothing listens", dead, cli.ExitResumable, "run the same command again"},
		{"wrong base path", strings.TrimSuffix(base, "/api/v1") + "/v2", cli.ExitFatal, "answers 404 for an API endpoint: check PIPEDRIVE_BASE_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			job, _, _ := genJob(t, dir, 5, func(int) bool { return false }, 1)
			r := pdbulk(t, connectedTo(tc.base, testToken), "run", job)
			wantCode(t, r, tc.code)
			// The account is identified before any row is read: nothing is sent or rejected.
			wantContains(t, "stderr", r.stderr, "nothing was sent", tc.say)
			r = pdbulk(t, connectedTo(base, testToken), "run", job)
			wantCode(t, r, cli.ExitOK)
			wantContains(t, "stderr", r.stderr, "5 rows read: 5 created")
		})
	}
}

// TestSecondInterruptAborts: the first Ctrl-C lets the rows in flight finish (exit 75); a
// second one aborts them (exit 130), and a later run finishes the job without a duplicate.
func TestSecondInterruptAborts(t *testing.T) {
	t.Parallel()
	base := startSandbox(t, sandbox.Options{Emulation: sandbox.Emulation{Latency: 500 * time.Millisecond}})
	dir := t.TempDir()
	job, valid, invalid := genJob(t, dir, 40, func(int) bool { return false }, 4)
	stop, stopNow := context.WithCancel(context.Background())
	abort, abortNow := context.WithCancel(context.Background())
	defer stopNow()
	defer abortNow()
	// The two interrupts come once the run is under way (its first lead exists), whatever
	// the machine's speed: then rows are in flight, each answer taking 500 ms.
	watcher := apiClient(t, base)
	go func() {
		for stop.Err() == nil {
			if ls, _, _, err := watcher.ListLeads(stop, pipedrive.LeadsQuery{Limit: 1}); err == nil && len(ls) > 0 {
				stopNow()
				time.Sleep(100 * time.Millisecond)
				abortNow()
				return
			}
		}
	}()
	e := connectedTo(base, testToken)
	var stdout, stderr syncBuffer
	code := cli.Main(cli.Env{Stop: stop, Abort: abort, Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return e[k] }}, []string{"run", job})
	if code != cli.ExitInterrupted {
		t.Fatalf("exit code after two interrupts = %d, want %d\n%s", code, cli.ExitInterrupted, stderr.String())
	}
	if !strings.Contains(stderr.String(), "aborted") {
		t.Errorf("stderr does not say the run was aborted:\n%s", stderr.String())
	}
	r := pdbulk(t, e, "run", job)
	wantCode(t, r, cli.ExitOK)
	wantExactlyOnce(t, leads(t, apiClient(t, base)), valid, invalid)
}
