package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/cli"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sandbox"
)

// TestRunSandboxSample is the README's first command: the sample leads job against the
// in-process sandbox, then the same command again, which finds everything done.
func TestRunSandboxSample(t *testing.T) {
	t.Parallel()
	dir := copySamples(t)
	data := t.TempDir()
	job := filepath.Join(dir, "leads.yaml")

	r := pdbulk(t, nil, "run", job, "--sandbox", "--sandbox-data", data)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stderr", r.stderr,
		"using the in-process sandbox at http://127.0.0.1:",
		"sample-leads: 120 rows read: 120 created, 0 updated, 0 deleted/archived, 0 already done, 0 rejected, 0 pending",
		"reports: "+filepath.Join(dir, "out", "leads.success.csv"))
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing (progress and summary go to stderr)", r.stdout)
	}
	h, rows := readCSV(t, filepath.Join(dir, "out", "leads.success.csv"))
	if len(rows) != 120 {
		t.Errorf("success report has %d rows, want 120", len(rows))
	}
	for i, s := range column(t, h, rows, "pdbulk_status") {
		if s != "created" {
			t.Errorf("success row %d: pdbulk_status = %q, want created", i+1, s)
		}
	}
	if _, rej := readCSV(t, filepath.Join(dir, "out", "leads.rejects.csv")); len(rej) != 0 {
		t.Errorf("reject report has %d rows, want 0", len(rej))
	}

	// The sandbox's data and the checkpoint live in --sandbox-data: the same command again
	// has nothing left to send.
	r = pdbulk(t, nil, "run", job, "--sandbox", "--sandbox-data", data)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stderr", r.stderr, "120 rows read: 0 created, 0 updated, 0 deleted/archived, 120 already done, 0 rejected, 0 pending")

	r = pdbulk(t, nil, "status", job, "--sandbox-data", data)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "status", r.stdout, "done:      120", "pending:   0", "next run:  nothing to do")
}

// TestRunRejects runs a job with bad rows: the good rows are created, the run exits 3, and
// the reject report holds each bad row with its cells, row number and reason.
func TestRunRejects(t *testing.T) {
	t.Parallel()
	base := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	job := leadsJob(t, dir)

	r := pdbulk(t, connectedTo(base, testToken), "run", job)
	wantCode(t, r, cli.ExitRejected)
	wantContains(t, "stderr", r.stderr,
		"leads: 5 rows read: 2 created, 0 updated, 0 deleted/archived, 0 already done, 3 rejected, 0 pending",
		"first problems:",
		`row 3: column "Amount" (value.amount): "abc" is not a number`,
		`row 4: column "Title" (title): empty cell`,
		`row 5: column "Email" (person_id): no person with email "nobody@nowhere.example"`)

	h, rows := readCSV(t, filepath.Join(dir, "out", "leads.rejects.csv"))
	if got, want := column(t, h, rows, "pdbulk_row"), []string{"3", "4", "5"}; !slices.Equal(got, want) {
		t.Errorf("reject report rows = %q, want %q", got, want)
	}
	if got := column(t, h, rows, "External ID"); !slices.Equal(got, []string{"X2", "X3", "X4"}) {
		t.Errorf("reject report keeps the cells of the rows: External ID = %q", got)
	}
	for _, reason := range column(t, h, rows, "pdbulk_error") {
		if reason == "" {
			t.Errorf("reject report row without a reason: %q", rows)
		}
	}
	h, rows = readCSV(t, filepath.Join(dir, "out", "leads.success.csv"))
	if got := column(t, h, rows, "Title"); !slices.Equal(got, []string{"Lead one", "Lead five"}) {
		t.Errorf("success report titles = %q, want [Lead one Lead five]", got)
	}
	got := titleCounts(leads(t, apiClient(t, base)))
	if len(got) != 2 || got["Lead one"] != 1 || got["Lead five"] != 1 {
		t.Errorf("sandbox leads by title = %v, want one each of Lead one and Lead five", got)
	}
}

// TestValidateAndDryRun checks that validate and run --dry-run read every row, count them
// by outcome, name the first problems by row and column, estimate the cost, and write
// nothing: no lead, no label (create_missing included), no report.
func TestValidateAndDryRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		args      []string // before the job file
		connected bool
		valid     int
		rejected  int
	}{
		// Without a connection, lookups cannot be checked: row 5's unknown e-mail passes.
		{"validate offline", []string{"validate"}, false, 3, 2},
		{"dry run offline", []string{"run", "--dry-run"}, false, 3, 2},
		{"validate connected", []string{"validate"}, true, 2, 3},
		{"dry run connected", []string{"run", "--dry-run"}, true, 2, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := startSandbox(t, sandbox.Options{})
			c := apiClient(t, base)
			labelsBefore, _, err := c.LeadLabels(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			job := leadsJob(t, dir)
			// A label lookup that would create a missing label in a real run.
			b, err := os.ReadFile(job)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, dir, "leads.yaml", string(b)+"  label_ids: {column: Title, lookup: lead_labels.name, create_missing: true}\n")
			var e environ
			if tc.connected {
				e = connectedTo(base, testToken)
			}

			r := pdbulk(t, e, append(tc.args, job)...)
			wantCode(t, r, cli.ExitRejected)
			wantContains(t, "stderr", r.stderr,
				"job leads (create leads from "+filepath.Join(dir, "leads.csv")+")",
				"leads: 5 rows read: "+strconv.Itoa(tc.valid)+" valid, "+strconv.Itoa(tc.rejected)+" rejected",
				"first problems:",
				`row 3: column "Amount" (value.amount): "abc" is not a number`,
				`row 4: column "Title" (title): empty cell`,
				"plan: "+strconv.Itoa(tc.valid)+" rows to send: about",
				"tokens of the daily budget",
				"at Lite     ( 20 requests/2 s): ",
				"at Ultimate (120 requests/2 s): ")
			if !regexp.MustCompile(`about \d+ requests \(\d+ searches\), \d+ tokens`).MatchString(r.stderr) {
				t.Errorf("the plan gives no request and token estimate:\n%s", r.stderr)
			}
			if tc.connected {
				wantContains(t, "stderr", r.stderr, `row 5: column "Email" (person_id): no person with email`)
			} else {
				wantContains(t, "stderr", r.stderr, "no connection", "lookups cannot be checked")
			}
			if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
				t.Errorf("a dry run wrote reports (stat out: %v)", err)
			}
			if n := len(leads(t, c)); n != 0 {
				t.Errorf("a dry run created %d leads", n)
			}
			labelsAfter, _, err := c.LeadLabels(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(labelsAfter) != len(labelsBefore) {
				t.Errorf("a dry run created labels: %d before, %d after", len(labelsBefore), len(labelsAfter))
			}
		})
	}
}

// TestInvalidJob checks that every command refuses an invalid job file with exit 2 and
// every problem as FILE:LINE:COL, before touching the API or the checkpoint.
func TestInvalidJob(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "leads.csv", "Title,Email\nA,alice@acme.example\n")
	bad := writeFile(t, dir, "bad.yaml", `kind: import
entity: leads
source: leads.csv
mode: sometimes
colums:
  title: Title
`)
	good := writeFile(t, dir, "good.yaml", `entity: leads
source: leads.csv
columns:
  title: Title
  person_id: {column: Email, lookup: persons.email}
`)
	problem := regexp.MustCompile(regexp.QuoteMeta(bad) + `:(\d+):(\d+): `)
	for _, args := range [][]string{
		{"validate", bad},
		{"run", "--dry-run", bad},
		{"run", "--sandbox", bad},
		{"run", "--sandbox", good, bad}, // one bad job stops them all, before any runs
		{"status", bad},
		{"undo", "--sandbox", bad},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := pdbulk(t, nil, args...)
			wantCode(t, r, cli.ExitUsage)
			wantContains(t, "stderr", r.stderr, bad+`:5:1: unknown key "colums" (did you mean "columns"?)`, bad+`:4:7: mode "sometimes"`)
			if n := len(problem.FindAllString(r.stderr, -1)); n < 2 {
				t.Errorf("stderr has %d problems as FILE:LINE:COL, want every one (mode, colums):\n%s", n, r.stderr)
			}
			if strings.Contains(r.stderr, "rows read") {
				t.Errorf("a job ran although one job file is invalid:\n%s", r.stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, ".pdbulk")); !os.IsNotExist(err) {
		t.Errorf("an invalid job created a checkpoint (stat .pdbulk: %v)", err)
	}

	// A mapped column missing from the spreadsheet is a job error found before any write.
	missing := writeFile(t, dir, "missing.yaml", `entity: leads
source: leads.csv
columns:
  title: Titel
  person_id: {column: Email, lookup: persons.email}
`)
	base := startSandbox(t, sandbox.Options{})
	r := pdbulk(t, connectedTo(base, testToken), "run", missing)
	wantCode(t, r, cli.ExitUsage)
	wantContains(t, "stderr", r.stderr, `"Titel"`, `did you mean "Title"`)
	if n := len(leads(t, apiClient(t, base))); n != 0 {
		t.Errorf("a job with a missing column created %d leads", n)
	}
}

// TestRunSeveralJobs runs three jobs given in the wrong order: they run labels first, then
// leads, then files, and the files job attaches each file to the lead whose External ID its
// row names, through the id map the leads job wrote.
func TestRunSeveralJobs(t *testing.T) {
	t.Parallel()
	base := startSandbox(t, sandbox.Options{})
	dir := copySamples(t)
	files, leadsJob, labels := filepath.Join(dir, "files.yaml"), filepath.Join(dir, "leads.yaml"), filepath.Join(dir, "lead_labels.yaml")

	r := pdbulk(t, connectedTo(base, testToken), "run", files, leadsJob, labels)
	wantCode(t, r, cli.ExitOK)
	var order []string
	for _, m := range regexp.MustCompile(`(?m)^pdbulk: job (\S+) `).FindAllStringSubmatch(r.stderr, -1) {
		order = append(order, m[1])
	}
	if want := []string{"lead_labels", "sample-leads", "files"}; !slices.Equal(order, want) {
		t.Errorf("jobs ran in order %q, want %q", order, want)
	}
	wantContains(t, "stderr", r.stderr,
		"lead_labels: 6 rows read: ", // some labels are sandbox fixtures: upserted
		"sample-leads: 120 rows read: 120 created",
		"files: 5 rows read: 5 created")

	// External ID → lead id, as the leads job reported them.
	h, rows := readCSV(t, filepath.Join(dir, "out", "leads.success.csv"))
	leadOf := map[string]string{}
	ids := column(t, h, rows, "pipedrive_id")
	for i, key := range column(t, h, rows, "External ID") {
		leadOf[key] = ids[i]
	}
	h, rows = readCSV(t, filepath.Join(dir, "out", "files.success.csv"))
	fileIDs := column(t, h, rows, "pipedrive_id")
	keys := column(t, h, rows, "Lead key")
	c := apiClient(t, base)
	for i, key := range keys {
		id, err := strconv.Atoi(fileIDs[i])
		if err != nil {
			t.Fatalf("files success report: pipedrive_id %q: %v", fileIDs[i], err)
		}
		f, _, err := c.File(context.Background(), id)
		if err != nil {
			t.Fatalf("file %s of row for %s: %v", fileIDs[i], key, err)
		}
		if f.LeadID == "" || f.LeadID != leadOf[key] {
			t.Errorf("file %d (%s) is attached to lead %q, want %q (the lead of %s)", f.ID, f.Name, f.LeadID, leadOf[key], key)
		}
	}
	if len(keys) != 5 {
		t.Errorf("files success report has %d rows, want 5", len(keys))
	}
	got := titleCounts(leads(t, c))
	if len(got) != 120 {
		t.Errorf("sandbox holds %d lead titles, want 120", len(got))
	}
	for title, n := range got {
		if n != 1 {
			t.Errorf("lead %q exists %d times", title, n)
		}
	}
}

// TestRunSeveralJobsExitCode: the exit code of several jobs is that of the one that stopped
// the run, not the largest number: rejects in a first job (3) and a stop in the second (1,
// options.max_rejects) exit 1.
func TestRunSeveralJobsExitCode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := leadsJob(t, dir)
	b, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	second := writeFile(t, dir, "strict.yaml", string(b)+"options: {max_rejects: 1}\n")
	r := pdbulk(t, nil, "run", "--sandbox", first, second)
	wantCode(t, r, cli.ExitFatal)
	wantContains(t, "stderr", r.stderr, "strict: stopped: more than 1 rows rejected (options.max_rejects)")
}

// TestUndo deletes exactly the leads a job created, leaving a lead made by someone else, and
// a second undo finds nothing left to do.
func TestUndo(t *testing.T) {
	t.Parallel()
	base := startSandbox(t, sandbox.Options{})
	c := apiClient(t, base)
	other, _, err := c.CreateLeadRaw(context.Background(), map[string]any{"title": "Not ours", "organization_id": 1})
	if err != nil {
		t.Fatalf("create a lead outside the job: %v", err)
	}
	dir := t.TempDir()
	job := leadsJob(t, dir)
	e := connectedTo(base, testToken)

	wantCode(t, pdbulk(t, e, "run", job), cli.ExitRejected)
	if n := len(leads(t, c)); n != 3 {
		t.Fatalf("sandbox holds %d leads after the run, want 3", n)
	}

	r := pdbulk(t, e, "undo", "--yes", job)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stderr", r.stderr, "undo leads: 2 records created by the job: 2 deleted now, 0 deleted by an earlier undo, 0 already gone, 0 refused, 0 failed",
		"records/s", `the success report says "undone" for them`)
	assertOnly := func() {
		t.Helper()
		left := leads(t, c)
		if len(left) != 1 || left[0].ID != other.ID {
			t.Errorf("after undo the sandbox holds %d leads (%v), want only %q", len(left), titleCounts(left), other.Title)
		}
	}
	assertOnly()

	r = pdbulk(t, e, "undo", "--yes", job)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stderr", r.stderr, "2 records created by the job: 0 deleted now, 2 deleted by an earlier undo, 0 already gone, 0 refused, 0 failed")
	assertOnly()

	// The undone rows are pending again: status says a run would create them anew.
	r = pdbulk(t, nil, "status", job)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "status", r.stdout, "done:      0", "rejected:  3", "pending:   2", "sends the 2 pending rows",
		"undone:    2 records deleted by `pdbulk undo`")
	// The success report no longer says the deleted records exist.
	h, rows := readCSV(t, filepath.Join(dir, "out", "leads.success.csv"))
	col := indexOfCol(h, "pdbulk_status")
	if len(rows) != 2 || col < 0 {
		t.Fatalf("success report after undo: %d rows, header %v; want the 2 rows", len(rows), h)
	}
	for _, row := range rows {
		if row[col] != "undone" {
			t.Errorf("success report after undo: row %v has status %q, want undone", row, row[col])
		}
	}
}

func indexOfCol(h []string, name string) int {
	for i, c := range h {
		if c == name {
			return i
		}
	}
	return -1
}

// TestInit drafts job files from a spreadsheet's header.
func TestInit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sheet := writeFile(t, dir, "data/contacts.csv", "Lead Title,Amount,Contact email,Something else\nA,1,alice@acme.example,x\n")

	r := pdbulk(t, nil, "init", "--entity", "leads", sheet)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "draft", r.stdout, "kind: import", "entity: leads", `title: "Lead Title"`, "Something else")

	// -o in another folder: the draft names its source relative to the job file, and loads.
	out := filepath.Join(dir, "jobs", "leads.yaml")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	r = pdbulk(t, nil, "init", "--entity", "leads", "-o", out, sheet)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stderr", r.stderr, "wrote "+out, "pdbulk validate "+out)
	r = pdbulk(t, nil, "validate", out)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "stderr", r.stderr, "1 rows read: 1 valid, 0 rejected")

	// An existing file is never overwritten.
	before, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	r = pdbulk(t, nil, "init", "--entity", "lead_labels", "-o", out, sheet)
	wantCode(t, r, cli.ExitUsage)
	wantContains(t, "stderr", r.stderr, "exists already", "give -o a new name")
	if after, _ := os.ReadFile(out); string(after) != string(before) {
		t.Errorf("init -o overwrote an existing file")
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown entity", []string{"init", "--entity", "deals", sheet}, `unknown entity "deals"`},
		{"no file", []string{"init"}, "give one spreadsheet file"},
		{"missing file", []string{"init", filepath.Join(dir, "nope.csv")}, "nope.csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := pdbulk(t, nil, tc.args...)
			wantCode(t, r, cli.ExitUsage)
			wantContains(t, "stderr", r.stderr, tc.want)
		})
	}
}

// TestUsage checks the exit codes and messages of bad command lines.
func TestUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	job := leadsJob(t, dir)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no command", nil, cli.ExitUsage, []string{"Usage:", "pdbulk [command]", "run ", "sandbox "}},
		{"unknown command", []string{"import", job}, cli.ExitUsage, []string{`unknown command "import"`, "pdbulk --help"}},
		{"help of an unknown command", []string{"help", "rnu"}, cli.ExitUsage, []string{`unknown command "rnu": did you mean run?`}},
		{"unknown flag", []string{"run", "--bogus", job}, cli.ExitUsage, []string{"unknown flag: --bogus", "Usage:\n  pdbulk run", "--dry-run"}},
		{"unknown flag after job", []string{"run", job, "--dryrun"}, cli.ExitUsage, []string{"unknown flag: --dryrun; did you mean --dry-run?"}},
		{"run without job", []string{"run", "--sandbox"}, cli.ExitUsage, []string{"no job file given"}},
		{"missing job file", []string{"run", "--sandbox", filepath.Join(dir, "nope.yaml")}, cli.ExitUsage, []string{"nope.yaml"}},
		{"no connection", []string{"run", job}, cli.ExitUsage, []string{"PIPEDRIVE_API_TOKEN"}},
		{"status without job", []string{"status"}, cli.ExitUsage, []string{"give one job file"}},
		{"undo two jobs", []string{"undo", job, job}, cli.ExitUsage, []string{"give one job file"}},
		{"undo negative settle", []string{"undo", "--settle", "-5s", job}, cli.ExitUsage, []string{"--settle -5s"}},
		{"bad concurrency value", []string{"run", "--concurrency", "many", job}, cli.ExitUsage, []string{`invalid argument "many" for "--concurrency"`}},
		{"sandbox bad faults", []string{"sandbox", "--faults", "5xx=2"}, cli.ExitUsage, []string{"--faults", `"5xx"="2"`}},
		{"sandbox unknown fault", []string{"sandbox", "--faults", "meteor=0.1"}, cli.ExitUsage, []string{`"meteor"`, "unknown key"}},
		{"sandbox bad rate", []string{"sandbox", "--rate", "fast"}, cli.ExitUsage, []string{`invalid argument "fast" for "--rate"`}},
		{"sandbox remote address", []string{"sandbox", "--addr", "0.0.0.0:0"}, cli.ExitUsage, []string{"not a loopback address", "--allow-remote"}},
		{"concurrency out of range", []string{"run", "--sandbox", "--concurrency", "1000", job}, cli.ExitUsage, []string{"--concurrency 1000: want 1 to 64"}},
		{"negative sandbox latency", []string{"run", "--sandbox", "--sandbox-latency", "-5s", job}, cli.ExitUsage, []string{"--sandbox-latency -5s"}},
		{"sandbox data without sandbox", []string{"run", "--sandbox-data", dir, job}, cli.ExitUsage, []string{"need --sandbox"}},
		{"sandbox negative rate", []string{"sandbox", "--rate", "-1"}, cli.ExitUsage, []string{"--rate -1"}},
		{"sandbox address without port", []string{"sandbox", "--addr", "nonsense"}, cli.ExitUsage, []string{`--addr "nonsense" is not HOST:PORT`}},
		{"run --sandbox bad faults", []string{"run", "--sandbox", "--sandbox-faults", "lost=x", job}, cli.ExitUsage, []string{"--sandbox-faults", `"lost"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := pdbulk(t, nil, tc.args...)
			wantCode(t, r, tc.code)
			wantContains(t, "stderr", r.stderr, tc.want...)
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("a refused command line wrote reports (stat out: %v)", err)
	}
}

// TestSandboxCommand serves the sandbox until the first Ctrl-C and prints where it listens.
func TestSandboxCommand(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	stop, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(cli.Env{Stop: stop, Abort: context.Background(), Stdout: &stdout, Stderr: &stderr},
			[]string{"sandbox", "--addr", "127.0.0.1:0", "--token", testToken, "--data", data})
	}()
	var base string
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for base == "" {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("sandbox exited %d before serving:\n%s", code, stderr.String())
		case <-tick.C:
		}
		if line, ok := strings.CutPrefix(stdout.String(), pipedrive.EnvBaseURL+"="); ok && strings.HasSuffix(line, "\n") {
			base = strings.TrimSpace(line)
		}
	}
	c := apiClient(t, base)
	if _, _, err := c.CreateLeadRaw(context.Background(), map[string]any{"title": "Served", "organization_id": 1}); err != nil {
		t.Errorf("create a lead in the served sandbox: %v", err)
	}
	cancel()
	if code := <-done; code != cli.ExitOK {
		t.Errorf("sandbox exit code after Ctrl-C = %d, want 0\n%s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), testToken) || strings.Contains(stdout.String(), testToken) {
		t.Errorf("the sandbox printed the token it was given")
	}
	if _, err := os.Stat(filepath.Join(data, "sandbox.db")); err != nil {
		t.Errorf("sandbox --data did not store its database there: %v", err)
	}
}

// TestSettleFlag: --settle takes a duration; a negative one is refused before anything is
// loaded or sent, naming the flag.
func TestSettleFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	job := leadsJob(t, dir)
	r := pdbulk(t, nil, "run", "--settle", "-5s", job)
	wantCode(t, r, cli.ExitUsage)
	wantContains(t, "stderr", r.stderr, "--settle -5s: want a duration of 0 or more")
	r = pdbulk(t, nil, "run", "--settle", "soon", job)
	wantCode(t, r, cli.ExitUsage)
	wantContains(t, "stderr", r.stderr, "settle")
}

// TestOnlyFailedBeforeAnyRun: --only-failed on a job that never ran says there is no
// rejects report yet and how to get one (a usage error: nothing sent), not a stat error.
func TestOnlyFailedBeforeAnyRun(t *testing.T) {
	base := startSandbox(t, sandbox.Options{})
	job := leadsJob(t, t.TempDir())
	r := pdbulk(t, connectedTo(base, testToken), "run", "--only-failed", job)
	wantCode(t, r, cli.ExitUsage)
	wantContains(t, "stderr", r.stderr, "leads.rejects.csv: no rejects report", "run it without --only-failed first")
	if strings.Contains(r.stderr, "stat ") {
		t.Errorf("stderr shows a system call:\n%s", r.stderr)
	}
}
