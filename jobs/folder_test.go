package jobs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/sheet"
)

const folderJob = `entity: files
source: {folder: docs/contracts, glob: "**/*.pdf", pattern: "{lead_key}/*.pdf"}
files: {root: docs}
mode: upsert
match_on: [file, lead_id]
columns:
  file: path
  lead_id: {column: lead_key, lookup: ids.leads}
options: {max_file_size: 5 MiB, upload_concurrency: 8, upload_buffer: 64 KiB}
`

func TestLoadFolderSource(t *testing.T) {
	p := writeJob(t, folderJob, map[string]string{"docs/contracts/L-1/a.pdf": "a", "docs/contracts/L-2/b.pdf": "bb"})
	j, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(p)
	if j.Source.Path != filepath.Join(dir, "docs", "contracts") || j.Source.Folder == nil ||
		j.Source.Folder.Prefix != "contracts" || j.Files.Root != filepath.Join(dir, "docs") {
		t.Fatalf("source %+v folder %+v root %s", j.Source, j.Source.Folder, j.Files.Root)
	}
	if u := j.Options.Uploads; u.MaxFileSize != 5<<20 || u.Concurrency != 8 || u.Buffer != 64<<10 {
		t.Fatalf("uploads %+v", u)
	}
	// The "path" column names files the way the files root resolves them.
	if _, err := j.CheckFile("contracts/L-2/b.pdf"); err != nil {
		t.Fatal(err)
	}

	// The fingerprint covers the listing: a file added, or changed, changes it.
	fp1, err := j.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	if fp, _ := j.Fingerprint(); fp != fp1 {
		t.Fatal("the fingerprint of an unchanged folder changed")
	}
	c := filepath.Join(dir, "docs", "contracts", "L-3", "c.pdf")
	os.MkdirAll(filepath.Dir(c), 0o755)
	os.WriteFile(c, []byte("c"), 0o644)
	fp2, _ := j.Fingerprint()
	if fp2 == fp1 {
		t.Fatal("a file added to the folder left the fingerprint as it was")
	}
	later := time.Now().Add(time.Hour)
	os.Chtimes(c, later, later)
	if fp3, _ := j.Fingerprint(); fp3 == fp2 {
		t.Fatal("a file changed in the folder left the fingerprint as it was")
	}
}

func TestLoadFolderSourceDefaultsRoot(t *testing.T) {
	p := writeJob(t, strings.Replace(folderJob, "files: {root: docs}\n", "", 1), map[string]string{"docs/contracts/L-1/a.pdf": "a"})
	j, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if j.Files.Root != j.Source.Path || j.Source.Folder.Prefix != "" {
		t.Fatalf("root %s, folder %s, prefix %q: want the folder as root", j.Files.Root, j.Source.Path, j.Source.Folder.Prefix)
	}
}

func TestLoadFolderSourceProblems(t *testing.T) {
	files := map[string]string{"docs/contracts/L-1/a.pdf": "a", "other/x.pdf": "x", "in.csv": "a\n"}
	for _, tc := range []struct{ edit, want string }{
		{"files: {root: docs}", "files: {root: other}|is not inside files.root"},
		{"glob: \"**/*.pdf\"", "glob: \"../**\"|not a valid pattern of paths inside the folder"},
		{"pattern: \"{lead_key}/*.pdf\"", "pattern: \"{lead_key/*.pdf\"|without its \"}\""},
		{"folder: docs/contracts", "folder: docs/nowhere|folder not found"},
		{"glob: \"**/*.pdf\"", "glob: \"**/*.pdf\", sheet: 2|does not apply to a folder source"},
		{"max_file_size: 5 MiB", "max_file_size: lots|is not a size"},
		{"upload_concurrency: 8", "upload_concurrency: 100|between 1 and 64"},
		{"entity: files", "entity: leads|unknown field"},
	} {
		parts := strings.SplitN(tc.want, "|", 2)
		job := strings.Replace(folderJob, tc.edit, parts[0], 1)
		_, err := Load(writeJob(t, job, files))
		if err == nil || !strings.Contains(err.Error(), parts[1]) {
			t.Errorf("%s: error %v, want it to say %q", parts[0], err, parts[1])
		}
	}
}

func TestCheckFileReasons(t *testing.T) {
	p := writeJob(t, folderJob, map[string]string{"docs/contracts/L-1/a.pdf": "a", "docs/contracts/L-1/empty.pdf": "",
		"docs/contracts/L-1/big.pdf": strings.Repeat("b", 6<<20)})
	j, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(j.Files.Root, "contracts", "L-1", "dir.pdf"), 0o755)
	for rel, want := range map[string]string{
		"contracts/L-1/a.pdf":       "",
		"contracts/L-1/empty.pdf":   "is empty (0 bytes)",
		"contracts/L-1/big.pdf":     "larger than options.max_file_size (5 MiB)",
		"contracts/L-1/dir.pdf":     "is a folder",
		"contracts/L-1/missing.pdf": "no such file",
		"../job.yaml":               "leaves",
		"/etc/passwd":               "absolute paths are refused",
	} {
		_, err := j.CheckFile(rel)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", rel, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: error %v, want it to say %q", rel, err, want)
		}
	}
}

// The samples load, and the folder sample lists its four PDFs (README.txt is not selected).
func TestFileSamples(t *testing.T) {
	for _, name := range []string{"files_folder.yaml", "files_remote.yaml"} {
		if _, err := Load(filepath.Join("..", "samples", name)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	j, _ := Load(filepath.Join("..", "samples", "files_folder.yaml"))
	rd, err := sheet.Open(j.Source.Path, j.Source.ReaderOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var got []string
	for {
		row, err := rd.Next()
		if err != nil {
			break
		}
		got = append(got, row.Cells[0].Text+" → "+row.Cells[4].Text)
		if _, err := j.CheckFile(row.Cells[0].Text); err != nil {
			t.Error(err)
		}
	}
	want := "L-0001/contract.pdf → L-0001, L-0001/offer.pdf → L-0001, L-0002/contract.pdf → L-0002, L-0003/Offer signed.PDF → L-0003"
	if strings.Join(got, ", ") != want {
		t.Fatalf("rows %q, want %s", got, want)
	}
}
