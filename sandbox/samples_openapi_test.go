package sandbox_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/exporter"
	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
)

// The sample jobs, validated (issue 10, item 4): every job of samples/ is run by the real
// importer and exporter, through the real client, against the sandbox on loopback; every
// request pdbulk sends and every answer the sandbox gives passes through the recorder of the
// conformance suite, which validates it with kin-openapi against Pipedrive's own documents
// (openapi_test.go: the v1 document of 2026-01-14 and the v2 document, cut to pdbulk's
// paths) besides the seed schemas. A difference fails the test with the operation, the
// path in the body and the rule broken.

// sampleOrder is every job file of samples/, in the order the samples' own comments run
// them: labels before the leads that use them by name, leads before the files attached to
// them through the id map, the imports before the exports that read what they made.
var sampleOrder = []string{
	"lead_labels.yaml", "leads.yaml",
	"files.yaml", "files_folder.yaml", "files_remote.yaml",
	"filters.yaml", "goals.yaml", "teams.yaml",
	"export_lead_labels.yaml", "export_lead_sources.yaml", "export_leads.yaml",
	"export_search.yaml", "export_files.yaml", "export_filters.yaml", "export_goals.yaml",
	"export_teams.yaml", "export_workbook.yaml",
}

// samplesDir copies samples/ (jobs, spreadsheets, files; not outputs or checkpoints) into a
// temporary folder, so that the jobs write their reports and exports there.
func samplesDir(t *testing.T) string {
	t.Helper()
	const src = "../samples"
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
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

func TestSamplesAgainstOpenAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every sample job against the sandbox")
	}
	// Every job file of samples/ is in sampleOrder: a new sample is validated too.
	all, err := filepath.Glob("../samples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range all {
		names = append(names, filepath.Base(p))
	}
	sorted := slices.Clone(sampleOrder)
	sort.Strings(sorted)
	if !slices.Equal(names, sorted) {
		t.Fatalf("samples/*.yaml = %q; sampleOrder lists %q: add the new sample to sampleOrder in the order it runs", names, sorted)
	}

	h := newHarness(t)
	// The client a user gets: paced by the plan's headers the sandbox sends, retries on
	// (a 429 is an answer the validator checks too), over the validating recorder.
	c, err := pipedrive.New(pipedrive.Config{
		BaseURL:    h.base,
		Token:      confToken,
		HTTPClient: &http.Client{Transport: h.rec},
		Pacer:      ratelimit.New(ratelimit.Options{}),
		Timeout:    30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := samplesDir(t)
	st, err := jobs.OpenState(filepath.Join(dir, ".pdbulk", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	for _, name := range sampleOrder {
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			h.step(t)
			j, err := jobs.Load(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if j.Kind == jobs.KindExport {
				res, err := exporter.Run(ctx, exporter.Options{Job: j, Client: c, State: st})
				if err != nil {
					t.Fatalf("export: %v", err)
				}
				if _, err := os.Stat(res.Path); err != nil {
					t.Errorf("export wrote no file: %v", err)
				}
				return
			}
			res, err := importer.Run(ctx, ctx, importer.Options{Job: j, Client: c, State: st})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if res.Stopped != nil {
				t.Fatalf("import stopped: %v", res.Stopped)
			}
			for _, p := range res.Problems {
				t.Errorf("row %d rejected: %s: %s", p.Row, p.Column, p.Reason)
			}
			if res.Stats.Created+res.Stats.Updated+res.Stats.Unchanged+res.Stats.Skipped == 0 {
				t.Errorf("no row succeeded: %+v", res.Stats)
			}
		})
	}

	// The search export again, pinned to the deprecated v1 GET /itemSearch (options.search_api:
	// v1, or a server without v2), which Pipedrive's v1 document still describes.
	t.Run("export_search_v1", func(t *testing.T) {
		h.step(t)
		j, err := jobs.Load(filepath.Join(dir, "export_search.yaml"))
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		j.Options.SearchAPI = jobs.SearchAPIV1
		if _, err := exporter.Run(ctx, exporter.Options{Job: j, Client: c, State: st}); err != nil {
			t.Fatalf("export: %v", err)
		}
	})

	// The validator saw what the samples do, not nothing.
	saw := h.rec.openapi.names()
	for _, op := range []string{
		"getLeadLabels", "addLeadLabel", "addLead", "getLeads", "searchPersonsV2",
		"searchOrganizationV2", "searchLeadsV2", "searchItemV2", "searchItem", "addFile", "linkFileToItem",
		"addFilter", "addGoal", "addTeam", "getFiles", "downloadFile", "getFilters", "getFilter",
		"getGoals", "getGoalResult", "getTeams", "getLeadSources",
	} {
		if !slices.Contains(saw, op) {
			t.Errorf("the validator never saw %s (saw %s)", op, strings.Join(saw, ", "))
		}
	}
	h.rec.openapi.mu.Lock()
	total := 0
	for _, n := range h.rec.openapi.ops {
		total += n
	}
	h.rec.openapi.mu.Unlock()
	t.Logf("%d exchanges of %d operations validated against Pipedrive's documents: %s", total, len(saw), strings.Join(saw, ", "))
}
