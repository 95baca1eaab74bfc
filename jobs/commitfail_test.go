package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/bench/leadgen"
	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
	"github.com/pdbulk/pdbulk/sandbox/sandboxtest"
)

const commitFailToken = "commit-fail-token-0123456789abcdef"

// TestCommitFailureStopsImport: a real import of 400 leads into the sandbox at concurrency
// 8 loses its checkpoint's write connection once some leads exist. The run must stop with a
// checkpoint error, and every lead the sandbox holds must come from a row whose in-flight
// mark is in the checkpoint file, read back by a fresh State: no create was sent without
// its durable mark (group commit answers a mark only after its batch committed).
func TestCommitFailureStopsImport(t *testing.T) {
	const rows = 400
	_, base := sandboxtest.Start(t, sandbox.Options{Token: commitFailToken})
	dir := t.TempDir()
	if err := leadgen.WriteCSV(filepath.Join(dir, "leads.csv"), rows); err != nil {
		t.Fatal(err)
	}
	jobPath := filepath.Join(dir, "commitfail.yaml")
	if err := os.WriteFile(jobPath, []byte(leadgen.Job("commitfail", "leads.csv")), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := jobs.Load(jobPath)
	if err != nil {
		t.Fatalf("load %s: %v", jobPath, err)
	}
	statePath := filepath.Join(dir, "state.db")
	st, err := jobs.OpenState(statePath)
	if err != nil {
		t.Fatalf("state: %v", err)
	}
	p := ratelimit.New(ratelimit.Options{Limit: 100000, SearchLimit: 100000})
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	defer tr.CloseIdleConnections()
	c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: commitFailToken, Pacer: p, HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	stats := importer.NewStats(p, false)

	broken := make(chan error, 1)
	go func() {
		deadline := time.Now().Add(60 * time.Second)
		for stats.Created.Load() < 40 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		broken <- jobs.CloseWriter(st)
	}()
	ctx := context.Background()
	res, runErr := importer.Run(ctx, ctx, importer.Options{Job: j, Client: c, Pacer: p, State: st, Concurrency: 8, Stats: stats})
	if err := <-broken; err != nil {
		t.Fatalf("close the write connection: %v", err)
	}
	st.Close() // its writer is gone: the error is expected

	var stopped error
	switch {
	case runErr != nil:
		stopped = runErr
	case res.Stopped != nil:
		stopped = res.Stopped
	default:
		t.Fatalf("the run went on without its checkpoint: %s", res.Stats)
	}
	if !strings.Contains(stopped.Error(), "checkpoint") || errors.Is(stopped, context.Canceled) {
		t.Errorf("run stopped with %v; want a checkpoint error", stopped)
	}

	// What the sandbox holds.
	var titles []int
	byID := map[string]int{}
	for l, err := range c.AllLeads(ctx, pipedrive.LeadsQuery{}) {
		if err != nil {
			t.Fatalf("list leads: %v", err)
		}
		n, err := strconv.Atoi(strings.TrimPrefix(l.Title, "Lead number "))
		if err != nil {
			t.Fatalf("lead %s has title %q, not one of the job's", l.ID, l.Title)
		}
		titles = append(titles, n)
		byID[l.ID] = n
	}
	if len(titles) < 40 || len(titles) >= rows {
		t.Fatalf("%d leads created; want the run stopped part way (at least 40, fewer than %d)", len(titles), rows)
	}

	// What the checkpoint file holds, read by a fresh State.
	st2, err := jobs.OpenState(statePath)
	if err != nil {
		t.Fatalf("reopen state: %v", err)
	}
	defer st2.Close()
	marks, err := st2.OpenRun(j.Name).Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A done row names its lead: that gives the sheet row of the lead numbered 0.
	offset, done := 0, 0
	for _, m := range marks {
		if m.Status != jobs.StatusDone {
			continue
		}
		n, ok := byID[m.RemoteID]
		if !ok {
			t.Fatalf("row %d is done with lead %s, which the sandbox does not hold", m.Row, m.RemoteID)
		}
		if done > 0 && m.Row-n != offset {
			t.Fatalf("row %d holds lead number %d, but another row is %d from its lead", m.Row, n, offset)
		}
		offset = m.Row - n
		done++
	}
	if done == 0 {
		t.Fatalf("no row is done in the checkpoint; %d leads were created", len(titles))
	}
	for _, n := range titles {
		m, ok := marks[n+offset]
		if !ok || (m.Status != jobs.StatusInFlight && m.Status != jobs.StatusDone) {
			t.Errorf("lead number %d was sent, but its row %d is %s in the checkpoint", n, n+offset, describe(m, ok))
		}
	}
	t.Logf("stopped: %v; %d leads created, %d rows done and %d marked in the checkpoint", stopped, len(titles), done, len(marks))
}

func describe(m jobs.RowState, ok bool) string {
	if !ok {
		return "pending (no mark)"
	}
	return fmt.Sprintf("%s", m.Status)
}
