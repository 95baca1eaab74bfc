package cli_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pdbulk/pdbulk/cli"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sandbox"
	"github.com/pdbulk/pdbulk/sandbox/sandboxtest"
)

// testToken is the API token of the sandboxes the tests start.
const testToken = "tok-SECRET-1234567890abcdef"

// syncBuffer is a bytes.Buffer safe for a command's goroutines and the test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// result is what one invocation of pdbulk did.
type result struct {
	code           int
	stdout, stderr string
}

// environ is the environment a command sees through Env.Getenv.
type environ map[string]string

// connectedTo is the environment that points pdbulk at the API at base with token.
func connectedTo(base, token string) environ {
	return environ{pipedrive.EnvBaseURL: base, pipedrive.EnvToken: token}
}

// pdbulk runs the command line args with environment e, as a user would from a shell.
func pdbulk(t *testing.T, e environ, args ...string) result {
	t.Helper()
	return pdbulkCtx(t, context.Background(), e, args...)
}

// pdbulkCtx is pdbulk with stop as the first-Ctrl-C context.
func pdbulkCtx(t *testing.T, stop context.Context, e environ, args ...string) result {
	t.Helper()
	var stdout, stderr syncBuffer
	env := cli.Env{
		Stop:   stop,
		Abort:  context.Background(),
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(k string) string { return e[k] },
	}
	code := cli.Main(env, args)
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	t.Logf("pdbulk %s → exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	return r
}

// wantCode fails the test when r did not exit with code.
func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code = %d, want %d\nstderr:\n%s", r.code, code, r.stderr)
	}
}

// wantContains fails the test when s lacks any of subs.
func wantContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

// startSandbox starts a sandbox server on 127.0.0.1 with o (the token defaults to
// testToken), stopped when the test ends, and returns its base URL.
func startSandbox(t *testing.T, o sandbox.Options) string {
	t.Helper()
	if o.Token == "" {
		o.Token = testToken
	}
	if o.Emulation.RateLimit == 0 {
		// A high burst limit, announced in the x-ratelimit-* headers, that the pacer learns:
		// without one, pdbulk paces an unknown server at the lowest plan's limit.
		o.Emulation.RateLimit = 2000
	}
	_, base := sandboxtest.Start(t, o)
	return base
}

// apiClient is a client of the sandbox at base, for checking what it holds.
func apiClient(t *testing.T, base string) *pipedrive.Client {
	t.Helper()
	c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: testToken})
	if err != nil {
		t.Fatalf("pipedrive.New: %v", err)
	}
	return c
}

// boundState opens the checkpoint at path bound to the account of the sandbox at base, as
// pdbulk binds it when it connects; it is closed when the test ends.
func boundState(t *testing.T, path, base string) *jobs.State {
	t.Helper()
	st, err := jobs.OpenState(path)
	if err != nil {
		t.Fatalf("open the checkpoint: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close the checkpoint: %v", err)
		}
	})
	u, _, err := apiClient(t, base).CurrentUser(context.Background())
	if err != nil {
		t.Fatalf("CurrentUser: %v", err)
	}
	if err := st.Bind(context.Background(), jobs.Account{CompanyID: u.CompanyID, Domain: u.CompanyDomain, Name: u.CompanyName}); err != nil {
		t.Fatal(err)
	}
	return st
}

// leads returns every (unarchived) lead the sandbox at base holds.
func leads(t *testing.T, c *pipedrive.Client) []pipedrive.Lead {
	t.Helper()
	var all []pipedrive.Lead
	for l, err := range c.AllLeads(context.Background(), pipedrive.LeadsQuery{}) {
		if err != nil {
			t.Fatalf("list leads: %v", err)
		}
		all = append(all, l)
	}
	return all
}

// titleCounts counts leads by title.
func titleCounts(list []pipedrive.Lead) map[string]int {
	n := map[string]int{}
	for _, l := range list {
		n[l.Title]++
	}
	return n
}

// writeFile writes content to dir/name, creating folders, and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// copySamples copies the sample jobs, spreadsheets and files (not their outputs) into a
// new temporary folder and returns it.
func copySamples(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir("../samples", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel("../samples", path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel == "out" || rel == ".pdbulk" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy samples: %v", err)
	}
	return dst
}

// readCSV reads a report: its header and its data rows.
func readCSV(t *testing.T, path string) (header []string, rows [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open report: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		if header == nil {
			header = rec
			continue
		}
		rows = append(rows, rec)
	}
	if header == nil {
		t.Fatalf("%s is empty: want at least a header row", path)
	}
	return header, rows
}

// column returns the values of the named column of rows.
func column(t *testing.T, header []string, rows [][]string, name string) []string {
	t.Helper()
	i := -1
	for k, h := range header {
		if h == name {
			i = k
		}
	}
	if i < 0 {
		t.Fatalf("report has no column %q (header %q)", name, header)
	}
	var out []string
	for _, r := range rows {
		out = append(out, r[i])
	}
	return out
}

// leadsJob is a small create job over leads.csv in dir: rows 3 (amount "abc"), 4 (empty
// title) and 5 (unknown e-mail) are rejected, rows 2 and 6 are created.
func leadsJob(t *testing.T, dir string) string {
	t.Helper()
	writeFile(t, dir, "leads.csv", `External ID,Title,Amount,Email
X1,Lead one,100,alice@acme.example
X2,Lead two,abc,alice@acme.example
X3,,300,alice@acme.example
X4,Lead four,400,nobody@nowhere.example
X5,Lead five,500,bob@globex.example
`)
	return writeFile(t, dir, "leads.yaml", `kind: import
entity: leads
source: leads.csv
mode: create
match_on: [title]
key: External ID
columns:
  title: {column: Title, empty: error}
  value.amount: {column: Amount, type: number}
  value.currency: {value: EUR}
  person_id: {column: Email, lookup: persons.email}
`)
}

// genJob writes a create job of n leads to dir (rows 2..n+1): row i has External ID E<i>,
// title "Lead <i>" and an amount, except the rows bad names, whose amount "n/a" rejects
// them before any request. It returns the job file and the titles of the valid and of the
// invalid rows.
func genJob(t *testing.T, dir string, n int, bad func(i int) bool, concurrency int) (job string, valid, invalid []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("External ID,Title,Amount\n")
	for i := 1; i <= n; i++ {
		title := fmt.Sprintf("Lead %05d", i)
		amount := fmt.Sprint(i * 10)
		if bad(i) {
			amount = "n/a"
			invalid = append(invalid, title)
		} else {
			valid = append(valid, title)
		}
		fmt.Fprintf(&b, "E%05d,%s,%s\n", i, title, amount)
	}
	writeFile(t, dir, "leads.csv", b.String())
	job = writeFile(t, dir, "leads.yaml", fmt.Sprintf(`kind: import
name: gen
entity: leads
source: leads.csv
mode: create
match_on: [title]
key: External ID
columns:
  title: Title
  value.amount: {column: Amount, type: number}
  value.currency: {value: EUR}
  organization_id: {value: 1}
options: {concurrency: %d}
`, concurrency))
	return job, valid, invalid
}

// wantExactlyOnce fails the test unless list holds exactly one lead per title of valid and
// none of invalid, and nothing else.
func wantExactlyOnce(t *testing.T, list []pipedrive.Lead, valid, invalid []string) {
	t.Helper()
	got := titleCounts(list)
	dups, missing := 0, 0
	for _, title := range valid {
		switch n := got[title]; {
		case n == 0:
			missing++
			if missing <= 5 {
				t.Errorf("no lead %q", title)
			}
		case n > 1:
			dups++
			if dups <= 5 {
				t.Errorf("lead %q exists %d times", title, n)
			}
		}
	}
	for _, title := range invalid {
		if got[title] != 0 {
			t.Errorf("lead %q of an invalid row exists", title)
		}
	}
	if len(list) != len(valid) {
		t.Errorf("sandbox holds %d leads, want %d (one per valid row)", len(list), len(valid))
	}
	if dups+missing > 0 {
		t.Errorf("%d duplicated and %d missing leads of %d valid rows", dups, missing, len(valid))
	}
}
