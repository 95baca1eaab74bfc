package cli_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/cli"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sandbox"
)

// TestTokenNeverLeaks runs jobs with a distinctive token through the ways a run can go
// wrong (a wrong token, rejected rows, injected faults, --json, a token file) and checks
// that neither the right nor the wrong token appears in anything pdbulk prints or writes:
// stdout, stderr, the reports, the checkpoint database and its journal files.
func TestTokenNeverLeaks(t *testing.T) {
	t.Parallel()
	const wrongToken = "tok-WRONG-0987654321fedcba"
	base := startSandbox(t, sandbox.Options{Emulation: sandbox.Emulation{
		RateLimit: 2000,
		Faults: sandbox.Faults{
			Error5xx: 0.05, Reset: 0.03, LostAnswer: 0.05, Slow: 0.02, SlowDelay: 20e6, // 20 ms
			Storm429: 0.01, StormLength: 100e6, // 100 ms
		},
		Seed: 7,
	}})
	dir := t.TempDir()
	job, valid, invalid := genJob(t, dir, 120, func(i int) bool { return i%10 == 0 }, 8)
	var outputs []string
	keep := func(r result) result {
		outputs = append(outputs, r.stdout, r.stderr)
		return r
	}

	// A wrong token: a fatal 401 that says so, exit 1.
	r := keep(pdbulk(t, connectedTo(base, wrongToken), "run", job))
	wantCode(t, r, cli.ExitFatal)
	if !strings.Contains(strings.ToLower(r.stderr), "unauthorized") {
		t.Errorf("a wrong token does not say unauthorized:\n%s", r.stderr)
	}

	// The right token, faults on, rows rejected, JSON events.
	e := connectedTo(base, testToken)
	r = keep(pdbulk(t, e, "run", "--json", job))
	wantCode(t, r, cli.ExitRejected)
	wantContains(t, "stderr", r.stderr, `"type":"summary"`)

	// Status, undo, and a resumed run with the token in a file.
	keep(pdbulk(t, nil, "status", job))
	tokenFile := writeFile(t, t.TempDir(), "token", testToken+"\n")
	fileEnv := environ{pipedrive.EnvBaseURL: base}
	wantCode(t, keep(pdbulk(t, fileEnv, "run", "--token-file", tokenFile, job)), cli.ExitRejected)
	// Faults may (rarely) make a valid row fail every attempt: it is then rejected, not
	// missing. Never a duplicate, never a lead for an invalid row.
	list := leads(t, apiClient(t, base))
	got := titleCounts(list)
	for _, title := range valid {
		if got[title] > 1 {
			t.Errorf("lead %q exists %d times", title, got[title])
		}
	}
	for _, title := range invalid {
		if got[title] != 0 {
			t.Errorf("lead %q of an invalid row exists", title)
		}
	}
	if _, ok := readCSV(t, filepath.Join(dir, "out", "gen.success.csv")); len(ok) != len(list) {
		t.Errorf("success report has %d rows, the sandbox %d leads", len(ok), len(list))
	}
	wantCode(t, keep(pdbulk(t, fileEnv, "undo", "--yes", "--token-file", tokenFile, job)), cli.ExitOK)
	if n := len(leads(t, apiClient(t, base))); n != 0 {
		t.Errorf("after undo through faults the sandbox still holds %d leads", n)
	}
	keep(pdbulk(t, connectedTo(base, wrongToken), "undo", "--yes", job))

	for _, tok := range []string{testToken, wrongToken} {
		for i, out := range outputs {
			if strings.Contains(out, tok) {
				t.Errorf("output %d of the runs shows the token %q:\n%s", i, tok, out)
			}
		}
	}
	var scanned []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned = append(scanned, strings.TrimPrefix(path, dir))
		for _, tok := range []string{testToken, wrongToken} {
			if bytes.Contains(b, []byte(tok)) {
				t.Errorf("%s holds the token %q", path, tok)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/out/gen.success.csv", "/out/gen.rejects.csv", "/.pdbulk/state.db"} {
		found := false
		for _, s := range scanned {
			found = found || filepath.ToSlash(s) == want
		}
		if !found {
			t.Errorf("%s was not written (scanned %q)", want, scanned)
		}
	}
}

// TestPlainHTTPRefused: a base URL with plain http to a host that is not loopback would send
// the token in clear over the network; pdbulk refuses it before any request.
func TestPlainHTTPRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	job := leadsJob(t, dir)
	for _, url := range []string{"http://acme.pipedrive.com/api/v1", "http://10.1.2.3:8080/v1"} {
		t.Run(url, func(t *testing.T) {
			for _, cmd := range [][]string{{"run", job}, {"validate", job}, {"undo", job}} {
				r := pdbulk(t, connectedTo(url, testToken), cmd...)
				wantCode(t, r, cli.ExitUsage)
				wantContains(t, "stderr", r.stderr, "plain http is allowed to a loopback host only", "https")
				if strings.Contains(r.stderr, testToken) {
					t.Errorf("the refusal shows the token:\n%s", r.stderr)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("a refused connection wrote reports (stat out: %v)", err)
	}
}
