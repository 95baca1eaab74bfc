package importer_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/importer"
)

// TestUnavailableKeepsRowsPending: when the API cannot be reached (nothing listens), or the
// base URL points at no Pipedrive API (every endpoint answers 404), nothing is wrong with the
// rows: none is rejected, the run stops resumable, and a run against the real thing later
// creates every lead once. Lookups that cannot reach the API stop the run the same way.
func TestUnavailableKeepsRowsPending(t *testing.T) {
	t.Parallel()
	base := startSandbox(t, sandboxNoEmulation)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := ln.Addr().String()
	ln.Close() // nothing listens there now

	for _, tc := range []struct {
		name, base, org string
	}{
		{"nothing listens", "http://" + deadAddr + "/api/v1", "organization_id: {value: 1}"},
		{"wrong base path", strings.TrimSuffix(base, "/api/v1") + "/nothing/v1", "organization_id: {value: 1}"},
		{"lookup cannot reach the API", "http://" + deadAddr + "/api/v1", "organization_id: {column: Company, lookup: organizations.name}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			st := openState(t, filepath.Join(dir, "state.db"))
			writeCSV(t, dir, "leads.csv", []string{"Lead Title", "Company"}, [][]string{
				{"One", "Initech"}, {"Two", "Initech"}, {"Three", "Initech"},
			})
			j := loadJob(t, dir, "down", "kind: import\nentity: leads\nsource: leads.csv\noptions: {concurrency: 1}\ncolumns:\n  title: Lead Title\n  "+tc.org+"\n")
			down := newConn(t, tc.base)
			res, err := importer.Run(context.Background(), context.Background(), importer.Options{Job: j, Client: down.c, Pacer: down.pacer, State: st})
			if err != nil {
				t.Fatalf("Run = %v, want a stop in the result", err)
			}
			if !errors.Is(res.Stopped, importer.ErrUnavailable) {
				t.Fatalf("Stopped = %v, want ErrUnavailable", res.Stopped)
			}
			if s := res.Stats; s.Rejected != 0 || s.Created != 0 || s.Pending == 0 {
				t.Errorf("%s; want nothing rejected or created, rows pending", s)
			}
			checkCounts(t, j, res)

			// The API is back (the right address): the same job creates every lead once.
			up := newConn(t, base)
			res = run(t, importer.Options{Job: j, Client: up.c, Pacer: up.pacer, State: st})
			if s := res.Stats; s.Created != 3 || s.Rejected != 0 || res.Stopped != nil {
				t.Errorf("run against the API: %s (stopped: %v); want 3 created", s, res.Stopped)
			}
		})
	}
}

// TestMissingColumnNamesJobLine: a mapped column missing from the file is a job error before
// any write, reported as PATH:LINE: like the job file's other problems, one line each.
func TestMissingColumnNamesJobLine(t *testing.T) {
	t.Parallel()
	cn := newConn(t, startSandbox(t, sandboxNoEmulation))
	dir := t.TempDir()
	st := openState(t, filepath.Join(dir, "state.db"))
	writeCSV(t, dir, "leads.csv", []string{"Title", "Amount"}, [][]string{{"One", "1"}})
	j := loadJob(t, dir, "miss", "kind: import\nentity: leads\nsource: leads.csv\ncolumns:\n  title: Titel\n  organization_id: {value: 1}\n  value.amount: {column: Amont, type: number}\n")
	_, err := importer.Run(context.Background(), context.Background(), importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	if _, ok := errorsAs[*importer.JobError](err); !ok {
		t.Fatalf("Run = %v, want a JobError", err)
	}
	for _, want := range []string{
		j.Path + `:5: title: column "Titel" is not in the header (did you mean "Title"?`,
		j.Path + `:7: value.amount: column "Amont" is not in the header`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
	if n := cn.pacer.Stats().Requests; n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}
