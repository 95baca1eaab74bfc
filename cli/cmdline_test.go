package cli_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/cli"
	"github.com/pdbulk/pdbulk/sandbox"
)

// singleDashLong is a long flag spelt with one dash in help text (-dry-run), as the
// standard flag package printed them.
var singleDashLong = regexp.MustCompile(`(^|[\s,(])-[a-z][a-z-]+`)

// Help goes to stdout (pdbulk --help | less), with examples, and spells every flag --name.
func TestHelpOnStdout(t *testing.T) {
	t.Parallel()
	r := pdbulk(t, nil, "--help")
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stdout", r.stdout, "Usage:", "Examples:", "Available Commands:", "run ", "undo ", "completion ", "Exit codes:")
	if r.stderr != "" {
		t.Errorf("--help wrote on stderr:\n%s", r.stderr)
	}
	for _, cmd := range []string{"run", "validate", "status", "undo", "init", "sandbox"} {
		for _, args := range [][]string{{cmd, "-h"}, {cmd, "--help"}, {"help", cmd}} {
			r := pdbulk(t, nil, args...)
			wantCode(t, r, cli.ExitOK)
			wantContains(t, "stdout", r.stdout, "Usage:\n  pdbulk "+cmd, "Examples:\n  ", "  pdbulk "+cmd+" ", "Flags:", "--help")
			if r.stderr != "" {
				t.Errorf("pdbulk %s wrote on stderr:\n%s", strings.Join(args, " "), r.stderr)
			}
			if m := singleDashLong.FindString(r.stdout); m != "" {
				t.Errorf("pdbulk %s shows a single-dash long flag %q:\n%s", strings.Join(args, " "), m, r.stdout)
			}
		}
	}
}

// `pdbulk help run` is the help of run: its flags and examples, not the general usage.
func TestHelpRun(t *testing.T) {
	t.Parallel()
	r := pdbulk(t, nil, "help", "run")
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stdout", r.stdout, "pdbulk run JOB.yaml... [flags]", "--only-failed", "--restart", "--sandbox-data",
		"--wait-for-budget", "--concurrency int", "pdbulk run leads.yaml --sandbox")
	if strings.Contains(r.stdout, "Available Commands:") {
		t.Errorf("help run printed the general usage:\n%s", r.stdout)
	}
}

// `pdbulk completion SHELL` prints a completion script for pdbulk on stdout.
func TestCompletion(t *testing.T) {
	t.Parallel()
	r := pdbulk(t, nil, "completion", "bash")
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "bash script", r.stdout, "bash completion", "__start_pdbulk", "complete -o default -F __start_pdbulk pdbulk")
	for shell, want := range map[string]string{"zsh": "#compdef pdbulk", "fish": "complete -c pdbulk", "powershell": "Register-ArgumentCompleter"} {
		r := pdbulk(t, nil, "completion", shell)
		wantCode(t, r, cli.ExitOK)
		wantContains(t, shell+" script", r.stdout, want)
	}
	r = pdbulk(t, nil, "completion", "tcsh")
	wantCode(t, r, cli.ExitUsage)
	wantContains(t, "stderr", r.stderr, `"tcsh"`, "bash")
	// The scripts ask pdbulk itself: job files complete as YAML files, --search-api as its values.
	r = pdbulk(t, nil, "__complete", "run", "--search-api", "")
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "completions", r.stdout, "v2\n", "v1\n", "auto\n")
	r = pdbulk(t, nil, "__complete", "undo", "")
	wantContains(t, "completions", r.stdout, "yaml\n", "yml\n")
}

// --version names the version, the commit and the Go version; unstamped, it says so.
func TestVersion(t *testing.T) {
	t.Parallel()
	r := pdbulk(t, nil, "--version")
	wantCode(t, r, cli.ExitOK)
	if !regexp.MustCompile(`^pdbulk \S+ \(commit \S+(, modified)?, go[0-9.]+\S* \S+/\S+\)\n$`).MatchString(r.stdout) {
		t.Errorf("--version = %q, want pdbulk VERSION (commit C, goX linux/amd64)", r.stdout)
	}
	wantContains(t, "--version", r.stdout, runtime.Version())
}

// A mistyped command or flag is a usage error (exit 2) that names what was meant.
func TestSuggestions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	job := leadsJob(t, dir)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rnu", job}, `unknown command "rnu": did you mean run?`},
		{[]string{"vaildate", job}, "did you mean validate?"},
		{[]string{"run", job, "--concurency", "4"}, "unknown flag: --concurency; did you mean --concurrency?"},
		{[]string{"run", "--sandbox-dat", "x", job}, "did you mean --sandbox-data?"},
		{[]string{"run", "-concurency", "4", job}, "did you mean --concurrency?"},
		{[]string{"undo", job, "--dryrun"}, "did you mean --dry-run?"},
		{[]string{"status", job, "--stat", "x"}, "did you mean --state?"},
		{[]string{"sandbox", "--adr", "127.0.0.1:0"}, "did you mean --addr?"},
	} {
		r := pdbulk(t, nil, tc.args...)
		wantCode(t, r, cli.ExitUsage)
		wantContains(t, "stderr", r.stderr, tc.want)
		if r.stdout != "" {
			t.Errorf("pdbulk %s: a usage error wrote on stdout:\n%s", strings.Join(tc.args, " "), r.stdout)
		}
	}
}

// Flags come before or after the job files, with -- or (as before cobra) one dash.
func TestFlagsAfterPositionals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	job := leadsJob(t, dir)
	for _, args := range [][]string{
		{"validate", job, "--sandbox"},
		{"validate", "--sandbox", job},
		{"validate", job, "-sandbox"},
		{"run", job, "--sandbox", "--dry-run"},
		{"run", job, "--dry-run=true", "--sandbox=true", "--concurrency", "2"},
	} {
		r := pdbulk(t, nil, args...)
		wantCode(t, r, cli.ExitRejected) // rows 3 and 4 are invalid
		wantContains(t, "stderr", r.stderr, "using the in-process sandbox", "plan:")
	}
	// -o names --output; the file given after the spreadsheet is written.
	out := filepath.Join(dir, "drafted.yaml")
	r := pdbulk(t, nil, "init", filepath.Join(dir, "leads.csv"), "-o", out, "--entity", "leads")
	wantCode(t, r, cli.ExitOK)
	wantCode(t, pdbulk(t, nil, "validate", out, "--sandbox"), cli.ExitRejected)
}

// countingProxy forwards to the API at base and counts the requests per method and path.
type countingProxy struct {
	mu   sync.Mutex
	seen []string
}

func (p *countingProxy) start(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.seen = append(p.seen, r.Method+" "+r.URL.Path)
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + u.Path
}

func (p *countingProxy) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.seen
	p.seen = nil
	return s
}

// undo --dry-run lists the records the job created (entity, id, row, when) and a total,
// asks the API only which account it is, and deletes nothing.
func TestUndoDryRun(t *testing.T) {
	t.Parallel()
	base := startSandbox(t, sandbox.Options{})
	var proxy countingProxy
	e := connectedTo(proxy.start(t, base), testToken)
	c := apiClient(t, base)
	dir := t.TempDir()
	job := leadsJob(t, dir)
	wantCode(t, pdbulk(t, e, "run", job), cli.ExitRejected)
	created := leads(t, c)
	if len(created) != 2 {
		t.Fatalf("the run created %d leads, want 2", len(created))
	}
	proxy.take()

	r := pdbulk(t, e, "undo", job, "--dry-run")
	wantCode(t, r, cli.ExitOK)
	if got := proxy.take(); len(got) != 1 || got[0] != "GET /api/v1/users/me" {
		t.Errorf("undo --dry-run sent %v, want only GET /api/v1/users/me", got)
	}
	wantContains(t, "stdout", r.stdout, "ENTITY", "ID", "ROW", "CREATED", "total: 2 records would be deleted")
	wantContains(t, "stderr", r.stderr, "nothing was deleted")
	today := time.Now().Format("2006-01-02")
	for _, l := range created {
		line := regexp.MustCompile(`(?m)^leads\s+` + regexp.QuoteMeta(l.ID) + `\s+(\d+)\s+(\S+)$`).FindStringSubmatch(r.stdout)
		if line == nil {
			t.Errorf("undo --dry-run does not list lead %s (%s):\n%s", l.ID, l.Title, r.stdout)
			continue
		}
		if want := map[string]string{"Lead one": "2", "Lead five": "6"}[l.Title]; line[1] != want {
			t.Errorf("lead %q listed at row %s, want row %s", l.Title, line[1], want)
		}
		if _, err := time.Parse(time.RFC3339, line[2]); err != nil || !strings.Contains(line[2], today) {
			t.Errorf("lead %q: created %q, want an RFC 3339 time of today", l.Title, line[2])
		}
	}
	if n := len(leads(t, c)); n != 2 {
		t.Fatalf("after undo --dry-run the sandbox holds %d leads, want the 2 created", n)
	}

	// The list is what undo then deletes.
	wantCode(t, pdbulk(t, e, "undo", job, "--yes"), cli.ExitOK)
	if n := len(leads(t, c)); n != 0 {
		t.Errorf("after undo --yes the sandbox holds %d leads, want 0", n)
	}
	r = pdbulk(t, e, "undo", job, "--dry-run")
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stdout", r.stdout, "total: 0 records would be deleted", "(2 more were deleted by an earlier undo)")
}

// undo --dry-run against a sandbox kept with --sandbox-data: the same list, nothing deleted.
func TestUndoDryRunSandboxData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "sandbox")
	job, _, _ := genJob(t, dir, 5, func(i int) bool { return i == 3 }, 2)
	wantCode(t, pdbulk(t, nil, "run", job, "--sandbox", "--sandbox-data", data), cli.ExitRejected)
	r := pdbulk(t, nil, "undo", job, "--sandbox", "--sandbox-data", data, "--dry-run")
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stdout", r.stdout, "total: 4 records would be deleted")
	for _, row := range []string{"2", "3", "5", "6"} {
		if !regexp.MustCompile(`(?m)^leads\s+\S+\s+` + row + `\s`).MatchString(r.stdout) {
			t.Errorf("row %s is not listed:\n%s", row, r.stdout)
		}
	}
	if regexp.MustCompile(`(?m)^leads\s+\S+\s+4\s`).MatchString(r.stdout) {
		t.Errorf("row 4 (rejected, never created) is listed:\n%s", r.stdout)
	}
	st := pdbulk(t, nil, "status", job, "--sandbox-data", data)
	wantContains(t, "status", st.stdout, "created:   4 records in this account, 0 of them removed by undo")
	r = pdbulk(t, nil, "undo", job, "--sandbox", "--sandbox-data", data, "--yes")
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stderr", r.stderr, "4 records created by the job: 4 deleted now")
}

// Without a terminal to ask on, undo refuses (exit 2) unless --yes, and deletes nothing.
func TestUndoWithoutYesRefuses(t *testing.T) {
	t.Parallel()
	base := startSandbox(t, sandbox.Options{})
	e := connectedTo(base, testToken)
	c := apiClient(t, base)
	dir := t.TempDir()
	job := leadsJob(t, dir)
	wantCode(t, pdbulk(t, e, "run", job), cli.ExitRejected)
	r := pdbulk(t, e, "undo", job)
	wantCode(t, r, cli.ExitUsage)
	wantContains(t, "stderr", r.stderr, "would delete 2 records created by the job", "not a terminal", "pass --yes", "Nothing was deleted")
	if n := len(leads(t, c)); n != 2 {
		t.Errorf("a refused undo left %d leads, want the 2 created", n)
	}
}

// After an interrupted run --sandbox without --sandbox-data, pdbulk does not advise a resume
// that would start over on a fresh sandbox: it says the sandbox is gone and names
// --sandbox-data. With --sandbox-data the advice to resume stays.
func TestInMemorySandboxAdvice(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{false, true} {
		dir := t.TempDir()
		job, _, _ := genJob(t, dir, 400, func(int) bool { return false }, 1)
		args := []string{"run", job, "--sandbox", "--sandbox-no-limits", "--sandbox-latency", "20ms"}
		if keep {
			args = append(args, "--sandbox-data", filepath.Join(dir, "sandbox"))
		}
		// Ctrl-C once the rows are being sent: after the budget notice that precedes them.
		stop, cancel := context.WithCancel(context.Background())
		var stdout, stderr syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- cli.Main(cli.Env{Stop: stop, Abort: context.Background(), Stdout: &stdout, Stderr: &stderr}, args)
		}()
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(stderr.String(), "rows to send") && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		cancel()
		r := result{code: <-done, stdout: stdout.String(), stderr: stderr.String()}
		t.Logf("pdbulk %s → exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		wantCode(t, r, cli.ExitResumable)
		if keep {
			wantContains(t, "stderr", r.stderr, "interrupted; run the same command again to resume")
			continue
		}
		wantContains(t, "stderr", r.stderr, "interrupted; the in-memory sandbox is gone", "cannot be resumed", "--sandbox-data DIR")
		if strings.Contains(r.stderr, "run the same command again to resume") {
			t.Errorf("an in-memory sandbox run advises a resume:\n%s", r.stderr)
		}
	}
}

// The summary event of a run that wrote says when its first write was sent.
func TestSummaryFirstWriteAt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	job := leadsJob(t, dir)
	before := time.Now().Add(-time.Second)
	r := pdbulk(t, nil, "run", job, "--sandbox", "--json")
	wantCode(t, r, cli.ExitRejected)
	m := regexp.MustCompile(`"first_write_at":"([^"]+)"`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no first_write_at in the summary:\n%s", r.stderr)
	}
	at, err := time.Parse(time.RFC3339, m[1])
	if err != nil || at.Before(before.Truncate(time.Second)) || at.After(time.Now()) {
		t.Errorf("first_write_at = %q (%v), want an RFC 3339 time of this run", m[1], err)
	}
	r = pdbulk(t, nil, "validate", job, "--sandbox", "--json")
	if strings.Contains(r.stderr, "first_write_at") {
		t.Errorf("a dry run, which writes nothing, has a first_write_at:\n%s", r.stderr)
	}
}
