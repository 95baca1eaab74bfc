package jobs

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fpJob = `# a comment
entity: lead_labels
source: in.csv
columns:
  name: Name
  color: Color
`

func TestFingerprint(t *testing.T) {
	base := func(t *testing.T) (string, string) {
		p := writeJob(t, fpJob, map[string]string{"in.csv": "Name,Color\nHot,red\n"})
		j, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		fp, err := j.Fingerprint()
		if err != nil {
			t.Fatal(err)
		}
		return p, fp
	}
	tests := []struct {
		name   string
		change func(t *testing.T, jobPath string)
		same   bool
	}{
		{"nothing", func(t *testing.T, p string) {}, true},
		{"comments and layout", func(t *testing.T, p string) {
			rewrite(t, p, "# other comment\n\nentity:   lead_labels   # labels\nsource: \"in.csv\"\ncolumns: {name: Name, color: Color}\n")
		}, true},
		{"tuning options and reports", func(t *testing.T, p string) {
			rewrite(t, p, fpJob+"options: {concurrency: 16, max_rejects: 5, rate_limit: 40}\nreports: {success: x.csv}\nname: other\n")
		}, true},
		{"input file", func(t *testing.T, p string) {
			rewrite(t, filepath.Join(filepath.Dir(p), "in.csv"), "Name,Color\nHot,blue\n")
		}, false},
		{"mapping", func(t *testing.T, p string) {
			rewrite(t, p, strings.Replace(fpJob, "name: Name", "name: {column: Name, trim: false}", 1))
		}, false},
		{"mode", func(t *testing.T, p string) {
			rewrite(t, p, fpJob+"mode: upsert\nmatch_on: name\n")
		}, false},
		{"duplicates rule", func(t *testing.T, p string) {
			rewrite(t, p, fpJob+"options: {duplicates: error}\n")
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, before := base(t)
			tt.change(t, p)
			j, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			after, err := j.Fingerprint()
			if err != nil {
				t.Fatal(err)
			}
			if (after == before) != tt.same {
				t.Errorf("fingerprint same = %v after %s, want %v", after == before, tt.name, tt.same)
			}
		})
	}
}

func TestFingerprintMovedFolder(t *testing.T) {
	p := writeJob(t, fpJob, map[string]string{"in.csv": "Name,Color\n"})
	j, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	a, err := j.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(filepath.Dir(p), moved); err != nil {
		t.Fatal(err)
	}
	j2, err := Load(filepath.Join(moved, "job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := j2.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("fingerprint changed when the job's folder moved")
	}
}

func rewrite(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResolveFile(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	outside := filepath.Join(dir, "secret.txt")
	for p, c := range map[string]string{
		filepath.Join(root, "a.pdf"):         "a",
		filepath.Join(root, "sub", "b.pdf"):  "b",
		outside:                              "secret",
		filepath.Join(root, "sub", "c.pdf~"): "c",
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(root, "link-out")); err != nil {
		t.Skipf("no symlinks: %v", err)
	}
	if err := os.Symlink(dir, filepath.Join(root, "dir-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "a.pdf"), filepath.Join(root, "sub", "link-in")); err != nil {
		t.Fatal(err)
	}
	j := &Job{Files: FilesOptions{Root: root}}
	tests := []struct {
		rel     string
		want    string // content, when the file is allowed
		outside bool   // ErrOutsideRoot expected
	}{
		{"a.pdf", "a", false},
		{"sub/b.pdf", "b", false},
		{`sub\b.pdf`, "b", false},
		{"sub/../a.pdf", "a", false},
		{"sub/link-in", "a", false},
		{"../secret.txt", "", true},
		{"sub/../../secret.txt", "", true},
		{outside, "", true},
		{"/etc/passwd", "", true},
		{`C:\Windows\win.ini`, "", true},
		{"link-out", "", true},
		{"dir-out/secret.txt", "", true},
		{"missing.pdf", "", false},
		{"sub", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.rel, func(t *testing.T) {
			p, err := j.ResolveFile(tt.rel)
			f, oerr := j.OpenFile(tt.rel)
			if tt.want != "" {
				if err != nil || oerr != nil {
					t.Fatalf("ResolveFile(%q) = %v, OpenFile = %v; want the file", tt.rel, err, oerr)
				}
				defer f.Close()
				b, _ := os.ReadFile(p)
				ob, _ := io.ReadAll(f)
				if string(b) != tt.want || string(ob) != tt.want {
					t.Errorf("ResolveFile(%q) read %q, OpenFile read %q; want %q", tt.rel, b, ob, tt.want)
				}
				return
			}
			if err == nil || oerr == nil {
				if f != nil {
					f.Close()
				}
				t.Fatalf("ResolveFile(%q) = %q, %v; OpenFile err %v; want errors", tt.rel, p, err, oerr)
			}
			if got := errors.Is(err, ErrOutsideRoot); got != tt.outside {
				t.Errorf("ResolveFile(%q) = %v; outside root = %v, want %v", tt.rel, err, got, tt.outside)
			}
			if got := errors.Is(oerr, ErrOutsideRoot); got != tt.outside {
				t.Errorf("OpenFile(%q) = %v; outside root = %v, want %v", tt.rel, oerr, got, tt.outside)
			}
		})
	}
}
