package importer_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pdbulk/pdbulk/importer"
)

// TestReportLeftoversRemoved: a run killed while it wrote its reports leaves their
// temporary files beside them ("." + name + "." + digits + ".tmp"). The next run of the job
// removes those of its own reports, and nothing else.
func TestReportLeftoversRemoved(t *testing.T) {
	t.Parallel()
	cn := newConn(t, startSandbox(t, sandboxNoEmulation))
	dir := t.TempDir()
	writeCSV(t, dir, "a.csv", []string{"Lead Title"}, [][]string{{"One"}, {"Two"}})
	j := loadJob(t, dir, "left", `kind: import
entity: leads
source: a.csv
columns:
  title: Lead Title
  organization_id: {value: 6}
`)
	ok, bad := j.Reports.Success, j.Reports.Rejects
	side := filepath.Join(filepath.Dir(ok), "."+filepath.Base(ok)+".only-failed.csv")
	leftover := func(report, middle, suffix string) string {
		return filepath.Join(filepath.Dir(report), "."+filepath.Base(report)+"."+middle+suffix)
	}
	gone := []string{
		leftover(ok, "2781805801", ".tmp"),
		leftover(bad, "17", ".tmp"),
		leftover(side, "3109216300", ".tmp"),
	}
	kept := []string{
		leftover(ok, "abc", ".tmp"),                                 // not os.CreateTemp's digits
		leftover(ok, "", ".tmp"),                                    // no digits
		leftover(ok, "123", ".bak"),                                 // another suffix
		filepath.Join(filepath.Dir(ok), filepath.Base(ok)+".1.tmp"), // not hidden
		filepath.Join(filepath.Dir(ok), ".other.csv.2781805801.tmp"),
		filepath.Join(filepath.Dir(ok), "notes.txt"),
		filepath.Join(dir, "."+filepath.Base(ok)+".99.tmp"), // another folder
	}
	for _, p := range append(append([]string{}, gone...), kept...) {
		writeFile(t, filepath.Dir(p), filepath.Base(p), []byte("x"))
	}
	st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
	res := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	if res.Stats.Created != 2 {
		t.Fatalf("run: %s", res.Stats)
	}
	for _, p := range gone {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("leftover %s is still there (%v)", p, err)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
}
