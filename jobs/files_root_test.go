package jobs

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// OpenFile opens through an os.Root of files.root, which follows relative symlinks: those
// that stay inside the root are read, those that climb out (directly, through a folder, or
// out and back in through a path that names the root's parent) are refused as before, and
// CheckFile says so.
func TestOpenFileRelativeSymlinks(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	for p, c := range map[string]string{
		filepath.Join(root, "a.pdf"):        "a",
		filepath.Join(root, "sub", "b.pdf"): "b",
		filepath.Join(dir, "secret.txt"):    "secret",
		filepath.Join(dir, "out", "s.pdf"):  "s",
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"sub/rel-in":   "../a.pdf",
		"sub-link":     "sub",
		"rel-out":      "../secret.txt",
		"sub/deep-out": "../../secret.txt",
		"dir-out":      "../out",
		"round-trip":   "../root/a.pdf", // out of the root and back: resolves inside it
	} {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(link))); err != nil {
			t.Skipf("no symlinks: %v", err)
		}
	}
	j := &Job{Files: FilesOptions{Root: root}}
	for _, tt := range []struct {
		rel     string
		want    string
		outside bool
	}{
		{"sub/rel-in", "a", false},
		{"sub-link/b.pdf", "b", false},
		{"round-trip", "a", false},
		{"rel-out", "", true},
		{"sub/deep-out", "", true},
		{"dir-out/s.pdf", "", true},
		{"sub-link/../../secret.txt", "", true},
	} {
		f, err := j.OpenFile(tt.rel)
		_, cerr := j.CheckFile(tt.rel)
		if tt.want != "" {
			if err != nil || cerr != nil {
				t.Errorf("OpenFile(%q) = %v, CheckFile = %v; want the file", tt.rel, err, cerr)
				continue
			}
			b, _ := io.ReadAll(f)
			f.Close()
			if string(b) != tt.want {
				t.Errorf("OpenFile(%q) read %q, want %q", tt.rel, b, tt.want)
			}
			continue
		}
		if err == nil {
			f.Close()
			t.Errorf("OpenFile(%q) opened a file outside the root", tt.rel)
			continue
		}
		if !errors.Is(err, ErrOutsideRoot) || !errors.Is(cerr, ErrOutsideRoot) {
			t.Errorf("OpenFile(%q) = %v, CheckFile = %v; want both outside the root", tt.rel, err, cerr)
		}
	}
}
