package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/cli"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sandbox"
)

// Two sandboxes play two companies: the checkpoint of a job run against one must never
// make pdbulk skip, undo or look up records in the other.
var (
	companyA = sandbox.Company{ID: 7391, Name: "Acme Ltd", Domain: "acme"}
	companyB = sandbox.Company{ID: 1204, Name: "Globex", Domain: "globex"}
)

// filterConditions is a valid lead filter's condition tree.
var filterConditions = json.RawMessage(`{"glue":"and","conditions":[{"glue":"and","conditions":[{"object":"lead","field_id":"is_archived","operator":"=","value":false,"extra_value":null}]},{"glue":"or","conditions":[]}]}`)

func filters(t *testing.T, c *pipedrive.Client) []pipedrive.Filter {
	t.Helper()
	list, _, err := c.Filters(context.Background(), "leads")
	if err != nil {
		t.Fatalf("Filters: %v", err)
	}
	return list
}

// TestCheckpointBelongsToAccount: a job run against account A is refused against account B
// (exit 2, naming both, nothing sent), undo never deletes in B what A's run created, the id
// map of A is not B's, and --state or --restart let the job run in B.
func TestCheckpointBelongsToAccount(t *testing.T) {
	t.Parallel()
	baseA := startSandbox(t, sandbox.Options{Company: companyA})
	baseB := startSandbox(t, sandbox.Options{Company: companyB})
	inA, inB := connectedTo(baseA, testToken), connectedTo(baseB, testToken)
	cA, cB := apiClient(t, baseA), apiClient(t, baseB)
	dir := copySamples(t)
	labels, leadsYAML := filepath.Join(dir, "lead_labels.yaml"), filepath.Join(dir, "leads.yaml")
	filtersYAML, filesYAML := filepath.Join(dir, "filters.yaml"), filepath.Join(dir, "files.yaml")

	// B already holds filters of its own, with the ids A's run will give its filters.
	for _, name := range []string{"B one", "B two", "B three", "B four"} {
		if _, _, err := cB.CreateFilter(context.Background(), pipedrive.FilterInput{Name: name, Type: "leads", Conditions: filterConditions}); err != nil {
			t.Fatal(err)
		}
	}

	wantCode(t, pdbulk(t, inA, "run", labels, leadsYAML, filtersYAML), cli.ExitOK)
	nA := len(leads(t, cA))
	if nA != 120 {
		t.Fatalf("account A holds %d leads after the run, want 120", nA)
	}

	t.Run("run against another account is refused", func(t *testing.T) {
		r := pdbulk(t, inB, "run", labels, leadsYAML)
		wantCode(t, r, cli.ExitUsage)
		wantContains(t, "stderr", r.stderr, `"Acme Ltd" (acme.pipedrive.com, company 7391)`, `"Globex" (globex.pipedrive.com, company 1204)`,
			"Nothing was sent", "--state FILE", "--restart")
		if n := len(leads(t, cB)); n != 0 {
			t.Errorf("account B holds %d leads after the refused run, want 0", n)
		}
	})

	t.Run("undo never deletes in another account", func(t *testing.T) {
		r := pdbulk(t, inB, "undo", "--yes", filtersYAML)
		wantCode(t, r, cli.ExitUsage)
		wantContains(t, "stderr", r.stderr, "company 7391", "nothing was deleted")
		if got := len(filters(t, cB)); got != 4 {
			t.Errorf("account B holds %d filters after the refused undo, want its own 4", got)
		}
	})

	t.Run("the id map is per account", func(t *testing.T) {
		// files.yaml attaches proposals to leads found through the id map of leads.yaml,
		// which ran in A only: in B no lead is found, and nothing is attached to B's records.
		r := pdbulk(t, inB, "run", filesYAML)
		wantCode(t, r, cli.ExitRejected)
		files, _, _, err := cB.ListFiles(context.Background(), pipedrive.FilesQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 0 {
			t.Errorf("account B holds %d files, want 0: A's lead ids were used in B", len(files))
		}
	})

	t.Run("--state runs the job in B beside A", func(t *testing.T) {
		r := pdbulk(t, inB, "run", "--state", filepath.Join(dir, "globex.db"), labels, leadsYAML)
		wantCode(t, r, cli.ExitOK)
		if n := len(leads(t, cB)); n != 120 {
			t.Errorf("account B holds %d leads, want 120", n)
		}
		r = pdbulk(t, inA, "run", labels, leadsYAML)
		wantCode(t, r, cli.ExitOK)
		wantContains(t, "stderr", r.stderr, "120 already done")
	})

	t.Run("--restart moves the job's progress to B; undo in A still works", func(t *testing.T) {
		r := pdbulk(t, inB, "run", "--restart", filtersYAML)
		wantCode(t, r, cli.ExitOK)
		if got := len(filters(t, cB)); got != 6 {
			t.Errorf("account B holds %d filters, want its 4 and the job's 2", got)
		}
		r = pdbulk(t, nil, "status", filtersYAML)
		wantCode(t, r, cli.ExitOK)
		wantContains(t, "status", r.stdout, "company 7391", "company 1204", "created:   2 records in this account")

		r = pdbulk(t, inA, "undo", "--yes", filtersYAML)
		wantCode(t, r, cli.ExitOK)
		wantContains(t, "stderr", r.stderr, "2 deleted now")
		if got := len(filters(t, cA)); got != 0 {
			t.Errorf("account A holds %d filters after undo, want 0", got)
		}
		if got := len(filters(t, cB)); got != 6 {
			t.Errorf("account B holds %d filters after undo in A, want 6 (untouched)", got)
		}
	})
}

// TestOneRunAtATime: a second run of a job while the first runs is refused at once (exit
// 75, naming the running process), the first finishes, and every row exists exactly once;
// --wait-for-lock waits instead; another job runs side by side.
func TestOneRunAtATime(t *testing.T) {
	t.Parallel()
	base := startSandbox(t, sandbox.Options{Emulation: sandbox.Emulation{Latency: 30 * time.Millisecond}})
	e := connectedTo(base, testToken)
	c := apiClient(t, base)
	dir := t.TempDir()
	job, valid, _ := genJob(t, dir, 200, func(int) bool { return false }, 2)

	var wg sync.WaitGroup
	var first result
	wg.Add(1)
	go func() {
		defer wg.Done()
		first = pdbulk(t, e, "run", job)
	}()
	// Start the second run once the first is sending.
	deadline := time.Now().Add(20 * time.Second)
	for len(leads(t, c)) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	second := pdbulk(t, e, "run", job)
	wantCode(t, second, cli.ExitResumable)
	wantContains(t, "stderr", second.stderr, "is already running", "pdbulk run, pid", "--wait-for-lock")

	// A different job in the same folder and account is not blocked.
	other := t.TempDir()
	genJob(t, other, 3, func(int) bool { return false }, 1)
	yaml, err := os.ReadFile(filepath.Join(other, "leads.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	otherJob := writeFile(t, other, "leads.yaml", strings.Replace(string(yaml), "name: gen", "name: other", 1))
	wantCode(t, pdbulk(t, e, "run", "--state", filepath.Join(dir, ".pdbulk", "state.db"), otherJob), cli.ExitOK)

	waiter := pdbulk(t, e, "run", "--wait-for-lock", job)
	wg.Wait()
	wantCode(t, first, cli.ExitOK)
	wantCode(t, waiter, cli.ExitOK)
	wantContains(t, "stderr", waiter.stderr, "waiting for it to finish", "200 already done")
	// The main job's 200 titles once each, plus the other job's 3 (which repeat 1 to 3).
	got := titleCounts(leads(t, c))
	for i, title := range valid {
		want := 1
		if i < 3 {
			want = 2
		}
		if got[title] != want {
			t.Errorf("%d leads titled %q, want %d", got[title], title, want)
		}
	}
	if len(got) != len(valid) {
		t.Errorf("%d distinct titles, want %d", len(got), len(valid))
	}
}
