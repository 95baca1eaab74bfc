package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sandbox"
)

// entityCase is one entity whose creates are in doubt under faults, with records of the
// same name in the account before the job.
type entityCase struct {
	name string
	job  string // the job file; %s is its name
	// prepare seeds the account before the faults (c talks to a sandbox without them) and
	// writes the job's sheet (and files) into dir; it returns the key of each row's record.
	prepare func(t *testing.T, c *pipedrive.Client, dir string) (rowKeys []string, err error)
	// records lists the sandbox's records of the entity: id → key (what tells them apart).
	records func(t *testing.T, c *pipedrive.Client) map[string]string
}

// TestInDoubtEntities imports lead labels and files under lost answers and 5xx into an
// account holding records of the same names: a label matched on its name alone, or a file
// on the lead it is attached to alone, was adopted. Each row must end with a record of its
// own, the records that existed before untouched, and undo must leave only them.
func TestInDoubtEntities(t *testing.T) {
	t.Parallel()
	for _, tc := range []entityCase{
		{
			name: "lead labels",
			job: `kind: import
name: %s
entity: lead_labels
source: labels.csv
mode: create
columns:
  name: Name
  color: Color
options: {concurrency: 4}
`,
			prepare: func(t *testing.T, c *pipedrive.Client, dir string) ([]string, error) {
				for _, name := range []string{"Partner", "Reseller"} {
					if _, _, err := c.CreateLeadLabelRaw(context.Background(), map[string]any{"name": name, "color": "green"}); err != nil {
						return nil, err
					}
				}
				var rows [][]string
				var keys []string
				for i := range 30 {
					name, color := fmt.Sprintf("Label %02d", i), "blue"
					if i < 2 {
						name, color = []string{"Partner", "Reseller"}[i], "green" // the twins
					}
					rows = append(rows, []string{name, color})
					keys = append(keys, name+"|"+color)
				}
				writeCSV(t, dir, "labels.csv", []string{"Name", "Color"}, rows)
				return keys, nil
			},
			records: func(t *testing.T, c *pipedrive.Client) map[string]string {
				labels, _, err := c.LeadLabels(context.Background())
				if err != nil {
					t.Fatalf("list labels: %v", err)
				}
				out := map[string]string{}
				for _, l := range labels {
					out[l.ID] = l.Name + "|" + l.Color
				}
				return out
			},
		},
		{
			name: "files",
			job: `kind: import
name: %s
entity: files
source: files.csv
files: {root: docs}
mode: create
columns:
  file: Path
  lead_id: Lead
options: {concurrency: 4}
`,
			prepare: func(t *testing.T, c *pipedrive.Client, dir string) ([]string, error) {
				ctx := context.Background()
				l, _, err := c.CreateLeadRaw(ctx, map[string]any{"title": "Holder", "organization_id": 5})
				if err != nil {
					return nil, err
				}
				// Before the job: a signed contract, and an older proposal.pdf of another size.
				for name, body := range map[string]string{"signed-contract.pdf": "signed", "proposal.pdf": "old proposal"} {
					up := pipedrive.Upload{Name: name, LeadID: l.ID, Open: func() (io.ReadCloser, error) {
						return io.NopCloser(strings.NewReader(body)), nil
					}}
					if _, _, err := c.UploadFile(ctx, up); err != nil {
						return nil, err
					}
				}
				var rows [][]string
				var keys []string
				for i := range 20 {
					name := fmt.Sprintf("annex-%02d.pdf", i)
					if i == 0 {
						name = "proposal.pdf" // the new proposal: same name, another size
					}
					body := bytes.Repeat([]byte("x"), 100+i)
					writeFile(t, filepath.Join(dir, "docs"), name, body)
					rows = append(rows, []string{name, l.ID})
					keys = append(keys, fmt.Sprintf("%s|%d|%s", name, len(body), l.ID))
				}
				writeCSV(t, dir, "files.csv", []string{"Path", "Lead"}, rows)
				return keys, nil
			},
			records: func(t *testing.T, c *pipedrive.Client) map[string]string {
				out := map[string]string{}
				for f, err := range c.AllFiles(context.Background(), pipedrive.FilesQuery{}) {
					if err != nil {
						t.Fatalf("list files: %v", err)
					}
					if f.ActiveFlag {
						out[fmt.Sprint(f.ID)] = fmt.Sprintf("%s|%d|%s", f.FileName, f.FileSize, f.LeadID)
					}
				}
				return out
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			var keys []string
			base := seededSandbox(t, sandbox.Emulation{Faults: sandbox.Faults{Error5xx: 0.3, LostAnswer: 0.3}, Seed: 11},
				func(c *pipedrive.Client) (err error) {
					keys, err = tc.prepare(t, c, dir)
					return err
				})
			cn := newConn(t, base)
			existing := tc.records(t, cn.c)
			j := loadJob(t, dir, "ent", fmt.Sprintf(tc.job, "ent"))
			st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
			res := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, SettleTime: settleNoLate})
			t.Logf("%s", res.Stats)
			if res.Stopped != nil || res.Stats.Created != int64(len(keys)) {
				t.Fatalf("stats %s, stopped %v, problems %v; want %d created", res.Stats, res.Stopped, res.Problems, len(keys))
			}
			if res.Stats.InDoubt == 0 {
				t.Fatalf("no create was in doubt: the faults did not happen (%s)", res.Stats)
			}

			want := map[string]int{}
			for _, k := range existing {
				want[k]++
			}
			for _, k := range keys {
				want[k]++
			}
			after := tc.records(t, cn.c)
			got := map[string]int{}
			for _, k := range after {
				got[k]++
			}
			for k, n := range want {
				if got[k] != n {
					t.Errorf("%d records %s, want %d", got[k], k, n)
				}
			}
			if len(after) != len(existing)+len(keys) {
				t.Errorf("%d records after the job, want %d", len(after), len(existing)+len(keys))
			}
			for id, k := range existing {
				if after[id] != k {
					t.Errorf("record %s (%s) that existed before is now %q", id, k, after[id])
				}
			}
			success, _ := checkCounts(t, j, res)
			held := map[string]bool{}
			for i, r := range success.rows {
				id := r["pipedrive_id"]
				if _, old := existing[id]; old || held[id] {
					t.Errorf("row %s holds record %s, which existed before or another row holds", r["pdbulk_row"], id)
				}
				held[id] = true
				if after[id] == "" {
					t.Errorf("success row %d: record %s is not in the sandbox", i, id)
				}
			}

			ures, err := importer.Undo(context.Background(), j, cn.c, st, 4)
			for tries := 1; err == nil && ures.Failed > 0 && ures.Refused == 0 && tries < 5; tries++ {
				ures, err = importer.Undo(context.Background(), j, cn.c, st, 4)
			}
			if err != nil || ures.Failed != 0 || ures.Refused != 0 {
				t.Fatalf("undo: %+v, %v", ures, err)
			}
			if left := tc.records(t, cn.c); len(left) != len(existing) {
				t.Errorf("after undo %d records, want the %d that existed before: %v", len(left), len(existing), left)
			} else {
				for id, k := range existing {
					if left[id] != k {
						t.Errorf("after undo record %s is %q, want %q", id, left[id], k)
					}
				}
			}
		})
	}
}
