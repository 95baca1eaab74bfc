package importer_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/mapping"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sandbox"
)

// labelLate is how late the sandbox applies and answers every write in these tests, and
// labelSettle the settle time of their runs (longer, as Options.SettleTime must be).
const (
	labelLate   = 2 * time.Second
	labelSettle = 10 * time.Second
)

// watchedSandbox is a sandbox whose writes are all late (applied labelLate after they
// arrive, even when the client has gone), served over HTTP behind a handler that tells when
// the first POST /leadLabels has arrived.
type watchedSandbox struct {
	base        string
	labelPosted chan struct{} // closed when the first POST /leadLabels arrives
	once        sync.Once
}

func startWatchedSandbox(t *testing.T) *watchedSandbox {
	t.Helper()
	srv, err := sandbox.New(sandbox.Options{Token: testToken, Emulation: sandbox.Emulation{
		Faults: sandbox.Faults{Late: 1, LateDelay: labelLate},
	}})
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("sandbox close: %v", err)
		}
	})
	w := &watchedSandbox{labelPosted: make(chan struct{})}
	ts := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/leadLabels") {
			w.once.Do(func() { close(w.labelPosted) })
		}
		srv.Handler().ServeHTTP(rw, r)
	}))
	t.Cleanup(ts.Close) // before the sandbox's close: it waits for the late writes
	w.base = ts.URL + "/api/v1"
	return w
}

// labelJob writes, in dir, two leads whose labels fold to one name no label has yet, and
// the job that imports them with create_missing.
func labelJob(t *testing.T, dir string) *jobs.Job {
	t.Helper()
	writeCSV(t, dir, "leads.csv", []string{"Lead Title", "Labels"}, [][]string{
		{"Lead A", "Fresh Label"},
		{"Lead B", "FRESH  label"},
	})
	return loadJob(t, dir, "fresh-labels", `kind: import
name: fresh-labels
entity: leads
source: leads.csv
mode: create
columns:
  title: Lead Title
  organization_id: {value: 1}
  label_ids: {column: Labels, lookup: lead_labels.name, create_missing: true}
`)
}

// wantOneFreshLabel checks the end state: one label of the name in the account, both leads
// created once and labelled with it, and no journaled label create left in the checkpoint.
func wantOneFreshLabel(t *testing.T, c *pipedrive.Client, st *jobs.State) {
	t.Helper()
	ctx := context.Background()
	labels, _, err := c.LeadLabels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var fresh []string
	var names []string
	for _, l := range labels {
		if mapping.FoldKey(l.Name) == "fresh label" {
			fresh = append(fresh, l.ID)
			names = append(names, l.Name)
		}
	}
	if len(fresh) != 1 {
		t.Fatalf("%d lead labels named %q, want 1", len(fresh), names)
	}
	leads := wantExactlyOnce(t, allLeads(t, c), []string{"Lead A", "Lead B"})
	for _, title := range []string{"Lead A", "Lead B"} {
		if got := leads[title].LabelIDs; !slices.Equal(got, fresh) {
			t.Errorf("%s labels %v, want %v (the one %q)", title, got, fresh, names[0])
		}
	}
	if v, ok, err := st.Bookmark(ctx, "\x1flabel-create\x1ffresh label"); err != nil || ok {
		t.Errorf("journaled label create after the label was found: %q, %v, %v; want none", v, ok, err)
	}
}

// TestLabelCreateInDoubt creates a missing lead label whose create the sandbox applies 2 s
// after it arrives, while the run that sent it is gone (its contexts cancelled 200 ms after
// the POST arrived) or has given up on the answer (a 500 ms client timeout). The next run
// starts before the label is there: it must wait for it and adopt it, not create a second
// one, and both leads carry the one label.
func TestLabelCreateInDoubt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		timeout time.Duration // the first run's client timeout; 0 = the default
		abort   bool          // cancel the first run once its POST /leadLabels has arrived
	}{
		{name: "run aborted before the late answer", abort: true},
		{name: "client gave up on the late answer", timeout: 500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := startWatchedSandbox(t)
			dir := t.TempDir()
			st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
			j := labelJob(t, dir)

			first := newConn(t, ws.base)
			if tc.timeout > 0 {
				c, err := pipedrive.New(pipedrive.Config{BaseURL: ws.base, Token: testToken, Pacer: first.pacer, Timeout: tc.timeout})
				if err != nil {
					t.Fatal(err)
				}
				first.c = c
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.abort {
				go func() {
					select {
					case <-ws.labelPosted:
						time.Sleep(200 * time.Millisecond) // the request is read: the server applies it
						cancel()
					case <-ctx.Done():
					}
				}()
			}
			res, err := importer.Run(ctx, ctx, importer.Options{Job: j, Client: first.c, Pacer: first.pacer, State: st, SettleTime: labelSettle})
			if tc.abort {
				if ctx.Err() == nil {
					t.Fatalf("first run ended before the abort (%v): it did not wait for the late label create", err)
				}
			} else if err != nil {
				t.Fatalf("first run: %v", err)
			} else {
				t.Logf("first run: %s", res.Stats)
			}

			second := newConn(t, ws.base)
			res = run(t, importer.Options{Job: j, Client: second.c, Pacer: second.pacer, State: st, SettleTime: labelSettle})
			if res.Stats.Rejected != 0 {
				t.Errorf("second run: %s; want no row rejected", res.Stats)
			}
			wantOneFreshLabel(t, second.c, st)
		})
	}
}

// labelKillEnv holds, as JSON, what the helper process of TestLabelCreateKilled runs.
const labelKillEnv = "PDBULK_LABEL_KILL_HELPER"

type labelKillArgs = filesCrashArgs

// TestLabelCreateKillHelperProcess is not a test: it is one `pdbulk run` of the leads job of
// TestLabelCreateKilled, run as a child process, which kills it with SIGKILL.
func TestLabelCreateKillHelperProcess(t *testing.T) {
	runKilledChild(t, labelKillEnv, labelSettle)
}

// TestLabelCreateKilled kills (SIGKILL) a run 200 ms after its POST /leadLabels reached the
// sandbox, which applies it 2 s after it arrived. The next run starts before the label is
// there: it must wait for it and adopt it, not create a second one.
func TestLabelCreateKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: a SIGKILL between a label create and its answer")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ws := startWatchedSandbox(t)
	dir := t.TempDir()
	j := labelJob(t, dir)
	raw, err := json.Marshal(labelKillArgs{Base: ws.base, Job: j.Path})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLabelCreateKillHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), labelKillEnv+"="+string(raw))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		t.Fatalf("the run ended (%v) before its label create arrived:\n%s", err, out.String())
	case <-ws.labelPosted:
	}
	time.Sleep(200 * time.Millisecond) // the request is read: the server applies it
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	werr := <-waited
	var ee *exec.ExitError
	if !errors.As(werr, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("the run was not killed mid-answer (%v):\n%s", werr, out.String())
	}

	st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
	cn := newConn(t, ws.base)
	res := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, SettleTime: labelSettle})
	if res.Stats.Rejected != 0 {
		t.Errorf("second run: %s; want no row rejected", res.Stats)
	}
	wantOneFreshLabel(t, cn.c, st)
}
