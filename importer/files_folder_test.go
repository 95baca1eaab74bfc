package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/mapping"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/sandbox"
)

// activeFiles returns the sandbox's active files by id.
func activeFiles(t *testing.T, c *pipedrive.Client) map[int]pipedrive.File {
	t.Helper()
	out := map[int]pipedrive.File{}
	for f, err := range c.AllFiles(context.Background(), pipedrive.FilesQuery{}) {
		if err != nil {
			t.Fatalf("list files: %v", err)
		}
		if f.ActiveFlag {
			out[f.ID] = f
		}
	}
	return out
}

func uploadBytes(t *testing.T, c *pipedrive.Client, name, leadID string, body []byte) pipedrive.File {
	t.Helper()
	f, _, err := c.UploadFile(context.Background(), pipedrive.Upload{Name: name, LeadID: leadID,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }})
	if err != nil {
		t.Fatalf("upload %s by hand: %v", name, err)
	}
	return f
}

// An ops folder of contracts, one folder per lead key, half of it uploaded by hand before
// the job: the job uploads the rest once, says which were there already, rejects the files
// it cannot send with the reason, and a run again uploads nothing.
func TestFolderUpsertSkipsWhatIsAttached(t *testing.T) {
	base := startSandbox(t, sandboxNoEmulation)
	cn := newConn(t, base)
	dir := t.TempDir()
	st := openState(t, filepath.Join(dir, ".pdbulk", "state.db"))
	ctx := context.Background()

	// The leads, as an earlier leads job left them in the id map (key → id).
	leads := map[string]string{}
	for i, key := range []string{"L-1", "L-2", "l-3"} {
		leads[key] = createLead(t, cn.c, "Lead "+key, i+1)
		if err := st.PutID(ctx, "leads", mapping.CanonicalKey(key), leads[key]); err != nil {
			t.Fatal(err)
		}
	}
	root := filepath.Join(dir, "contracts")
	files := map[string][]byte{
		"L-1/offer.pdf":    bytes.Repeat([]byte("o"), 700),
		"L-1/contract.pdf": bytes.Repeat([]byte("c"), 900),
		"L-2/Offer.PDF":    bytes.Repeat([]byte("O"), 512),
		"L-2/empty.pdf":    nil,
		"l-3/big.pdf":      bytes.Repeat([]byte("b"), 3000), // over max_file_size: 2 KiB
		"L-9/orphan.pdf":   []byte("no lead L-9"),
		"L-1/notes.txt":    []byte("not a pdf: not selected"),
	}
	for p, b := range files {
		writeFile(t, root, p, b)
	}
	secret := writeFile(t, dir, "secret/passwd.pdf", []byte("outside the root"))
	if err := os.Symlink(secret, filepath.Join(root, "L-2", "leak.pdf")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "l-3", "pipe.pdf"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "L-2", "folder.pdf"), 0o755); err != nil {
		t.Fatal(err)
	}
	// By hand before the job: L-1's offer (same name and size), and an older contract.pdf
	// of another size.
	handOffer := uploadBytes(t, cn.c, "offer.pdf", leads["L-1"], files["L-1/offer.pdf"])
	uploadBytes(t, cn.c, "contract.pdf", leads["L-1"], []byte("old draft"))

	job := `kind: import
entity: files
source: {folder: contracts, glob: "**/*.pdf", pattern: "{lead_key}/*"}
mode: upsert
key: path
match_on: [file, lead_id]
columns:
  file: path
  lead_id: {column: lead_key, lookup: ids.leads}
options: {concurrency: 4, upload_concurrency: 2, max_file_size: 2 KiB, upload_buffer: 4 KiB}
`
	j := loadJob(t, dir, "contracts", job)
	before := activeFiles(t, cn.c)
	stats := importer.NewStats(cn.pacer, false)
	res := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, Stats: stats})
	t.Logf("%s", res.Stats)
	success, rejects := checkCounts(t, j, res)

	byPath := map[string]map[string]string{}
	for _, r := range append(success.rows, rejects.rows...) {
		byPath[r["path"]] = r
	}
	wantStatus := map[string]string{
		"L-1/offer.pdf":    importer.ActionAttached,
		"L-1/contract.pdf": "created",
		"L-2/Offer.PDF":    "created",
	}
	for p, want := range wantStatus {
		if got := byPath[p]["pdbulk_status"]; got != want {
			t.Errorf("%s: status %q, want %q (row %v)", p, got, want, byPath[p])
		}
	}
	if id := byPath["L-1/offer.pdf"]["pipedrive_id"]; id != fmt.Sprint(handOffer.ID) {
		t.Errorf("the offer uploaded by hand is file %d, the report says %s", handOffer.ID, id)
	}
	wantReason := map[string]string{
		"L-2/empty.pdf":  "empty (0 bytes)",
		"l-3/big.pdf":    "larger than options.max_file_size (2 KiB)",
		"l-3/pipe.pdf":   "FIFO",
		"L-2/leak.pdf":   "outside the files root",
		"L-2/folder.pdf": "", // a folder is not listed as a file: no row
		"L-9/orphan.pdf": "no record imported by the leads job",
		"L-1/notes.txt":  "",
	}
	for p, want := range wantReason {
		r, ok := byPath[p]
		switch {
		case want == "" && ok:
			t.Errorf("%s has a row %v; want none", p, r)
		case want != "" && !ok:
			t.Errorf("%s has no row; want a reject saying %q", p, want)
		case want != "" && (r["pdbulk_error"] == "" || !strings.Contains(r["pdbulk_error"], want)):
			t.Errorf("%s: reject reason %q, want it to say %q", p, r["pdbulk_error"], want)
		}
	}
	if res.Stats.Created != 2 || res.Stats.Unchanged != 1 || res.Stats.Rejected != 5 {
		t.Errorf("stats %s: want 2 created, 1 unchanged (attached), 5 rejected", res.Stats)
	}
	up := stats.Uploads.Snapshot()
	if up.Uploaded != 2 || up.BytesSent != 900+512 || up.Attached != 1 || up.BytesAttached != 700 || up.Uploading != 0 {
		t.Errorf("upload counts %+v: want 2 uploaded, %d bytes sent, 1 attached of 700 bytes", up, 900+512)
	}
	if up.FilesTotal != 8 || up.BytesTotal != 700+900+512+3000+11 {
		t.Errorf("upload totals %+v: want 8 files of %d bytes", up, 700+900+512+3000+11)
	}

	// The sandbox holds the new files once, with their bytes, attached to their leads.
	after := activeFiles(t, cn.c)
	if len(after) != len(before)+2 {
		t.Errorf("%d files after the job, want %d", len(after), len(before)+2)
	}
	for _, p := range []string{"L-1/contract.pdf", "L-2/Offer.PDF"} {
		id := byPath[p]["pipedrive_id"]
		var f pipedrive.File
		for _, x := range after {
			if fmt.Sprint(x.ID) == id {
				f = x
			}
		}
		lead := leads[strings.Split(p, "/")[0]]
		if f.LeadID != lead || f.FileName != filepath.Base(p) {
			t.Errorf("%s: file %+v, want %s on lead %s", p, f, filepath.Base(p), lead)
		}
		var got bytes.Buffer
		if _, _, err := cn.c.DownloadFile(ctx, f.ID, &got); err != nil || !bytes.Equal(got.Bytes(), files[p]) {
			t.Errorf("%s: the sandbox stored %d bytes (%v), want the file's %d", p, got.Len(), err, len(files[p]))
		}
	}

	// Started over on the same folder: every file is attached now, none is sent again.
	stats2 := importer.NewStats(cn.pacer, false)
	res2 := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, Stats: stats2, Restart: true})
	if res2.Stats.Created != 0 || res2.Stats.Unchanged != 3 || stats2.Uploads.Uploaded.Load() != 0 {
		t.Errorf("run again: %s, %d uploaded; want 3 already attached and nothing uploaded", res2.Stats, stats2.Uploads.Uploaded.Load())
	}
	if n := len(activeFiles(t, cn.c)); n != len(after) {
		t.Errorf("%d files after the second run, want %d", n, len(after))
	}

	// An update job finds the files through the id map (key: path) and describes them.
	upd := `kind: import
entity: files
source: {folder: contracts, glob: "L-1/*.pdf"}
mode: update
key: path
match_on: [file]
columns:
  file: path
  description: {value: "signed 2026"}
`
	ju := loadJob(t, dir, "describe", upd)
	resU := run(t, importer.Options{Job: ju, Client: cn.c, Pacer: cn.pacer, State: st})
	if resU.Stats.Updated != 2 || resU.Stats.Rejected != 0 {
		t.Fatalf("update: %s, problems %v; want 2 updated", resU.Stats, resU.Problems)
	}
	for _, p := range []string{"L-1/offer.pdf", "L-1/contract.pdf"} {
		id := byPath[p]["pipedrive_id"]
		var n int
		fmt.Sscan(id, &n)
		f, _, err := cn.c.File(ctx, n)
		if err != nil || f.Description != "signed 2026" {
			t.Errorf("%s (file %s): description %q (%v), want the update's", p, id, f.Description, err)
		}
	}
}

// Remote files from a sheet: Google Drive files linked and created on deals and persons,
// and a row that misses its item rejected with the field it lacks.
func TestRemoteFilesFromColumns(t *testing.T) {
	base := startSandbox(t, sandboxNoEmulation)
	cn := newConn(t, base)
	dir := t.TempDir()
	st := openState(t, filepath.Join(dir, "state.db"))
	writeCSV(t, dir, "links.csv", []string{"Drive ID", "On", "Item"}, [][]string{
		{"1AbCdEf-drive-id", "deal", "3"},
		{"1XyZ-other", "Person", "2"},
		{"1NoItem", "person", ""},
	})
	link := `kind: import
entity: files
source: links.csv
mode: upsert
match_on: [remote_id, item_id]
columns:
  remote_id: Drive ID
  item_type: {column: On, lowercase: true}
  item_id: Item
  remote_location: {value: googledrive}
`
	j := loadJob(t, dir, "links", link)
	res := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st})
	success, rejects := checkCounts(t, j, res)
	if res.Stats.Created != 2 || len(rejects.rows) != 1 || !strings.Contains(rejects.rows[0]["pdbulk_error"], "item_id") {
		t.Fatalf("links: %s, rejects %v; want 2 created and the row without item rejected naming item_id", res.Stats, rejects.rows)
	}
	files := activeFiles(t, cn.c)
	for _, r := range success.rows {
		var id int
		fmt.Sscan(r["pipedrive_id"], &id)
		f := files[id]
		if f.RemoteLocation != "googledrive" || f.RemoteID != r["Drive ID"] {
			t.Errorf("row %s: file %+v, want a googledrive link to %s", r["pdbulk_row"], f, r["Drive ID"])
		}
	}
	if f := files[atoi(success.rows[0]["pipedrive_id"])]; f.DealID == nil || *f.DealID != 3 {
		t.Errorf("the first link is not on deal 3: %+v", f)
	}
	// Again, with upsert: both links are there already.
	res2 := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, Restart: true})
	if res2.Stats.Created != 0 || res2.Stats.Unchanged != 2 {
		t.Errorf("links again: %s; want the 2 links already attached", res2.Stats)
	}

	writeCSV(t, dir, "docs.csv", []string{"Title", "Kind", "Person"}, [][]string{
		{"Onboarding plan", "gdoc", "1"},
		{"Pricing", "gsheet", "2"},
	})
	create := `kind: import
entity: files
source: docs.csv
mode: create
columns:
  title: Title
  file_type: Kind
  item_type: {value: person}
  item_id: Person
  remote_location: {value: googledrive}
`
	jc := loadJob(t, dir, "docs", create)
	resC := run(t, importer.Options{Job: jc, Client: cn.c, Pacer: cn.pacer, State: st})
	if resC.Stats.Created != 2 {
		t.Fatalf("remote create: %s, problems %v", resC.Stats, resC.Problems)
	}
	found := 0
	for _, f := range activeFiles(t, cn.c) {
		if f.Name == "Pricing" && f.PersonID != nil && *f.PersonID == 2 && f.RemoteLocation == "googledrive" {
			found++
		}
	}
	if found != 1 {
		t.Errorf("%d googledrive files Pricing on person 2, want 1", found)
	}
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

// A folder upload in mode upsert through a server that fails and loses answers: every file
// ends up on its lead exactly once — an upload whose answer was lost is found, not sent
// again, and never taken for one that was "already attached" — and a second run (a
// restart) uploads nothing.
func TestFolderUpsertUnderFaults(t *testing.T) {
	dir := t.TempDir()
	var lead string
	base := seededSandbox(t, sandbox.Emulation{Faults: sandbox.Faults{Error5xx: 0.3, LostAnswer: 0.3}, Seed: 5},
		func(c *pipedrive.Client) error {
			l, _, err := c.CreateLeadRaw(context.Background(), map[string]any{"title": "Holder", "organization_id": 3})
			lead = l.ID
			return err
		})
	cn := newConn(t, base)
	st := openState(t, filepath.Join(dir, "state.db"))
	if err := st.PutID(context.Background(), "leads", mapping.CanonicalKey("L-7"), lead); err != nil {
		t.Fatal(err)
	}
	for i := range 16 {
		writeFile(t, filepath.Join(dir, "docs", "L-7"), fmt.Sprintf("annex-%02d.pdf", i), bytes.Repeat([]byte{byte('a' + i)}, 200+i))
	}
	job := `kind: import
entity: files
source: {folder: docs, pattern: "{lead_key}/*.pdf"}
mode: upsert
match_on: [file, lead_id]
columns:
  file: path
  lead_id: {column: lead_key, lookup: ids.leads}
options: {concurrency: 4}
`
	j := loadJob(t, dir, "annexes", job)
	res := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, SettleTime: settleNoLate})
	t.Logf("%s", res.Stats)
	if res.Stopped != nil || res.Stats.Created != 16 {
		t.Fatalf("%s, stopped %v, problems %v; want 16 created", res.Stats, res.Stopped, res.Problems)
	}
	if res.Stats.InDoubt == 0 {
		t.Fatalf("no upload was in doubt: the faults did not happen (%s)", res.Stats)
	}
	count := func() map[string]int {
		n := map[string]int{}
		for _, f := range activeFiles(t, cn.c) {
			if f.LeadID == lead {
				n[fmt.Sprintf("%s|%d", f.FileName, f.FileSize)]++
			}
		}
		return n
	}
	got := count()
	for i := range 16 {
		if k := fmt.Sprintf("annex-%02d.pdf|%d", i, 200+i); got[k] != 1 {
			t.Errorf("%d files %s on the lead, want 1", got[k], k)
		}
	}
	if len(got) != 16 {
		t.Errorf("%d distinct files on the lead, want 16: %v", len(got), got)
	}
	res2 := run(t, importer.Options{Job: j, Client: cn.c, Pacer: cn.pacer, State: st, SettleTime: settleNoLate, Restart: true})
	if res2.Stats.Created != 0 || res2.Stats.Unchanged != 16 {
		t.Errorf("restart: %s, problems %v; want the 16 files already attached", res2.Stats, res2.Problems)
	}
}
