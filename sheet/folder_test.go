package sheet

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"
)

func putFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readAllRows(t *testing.T, r Reader) [][]string {
	t.Helper()
	var out [][]string
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if row.Num != len(out)+2 {
			t.Fatalf("row %d has number %d", len(out)+1, row.Num)
		}
		out = append(out, row.Texts())
	}
}

// A contracts folder as ops keep it: one folder per lead key (mixed case), other files
// beside the PDFs, a symlink that leads out of the folder, one that stays inside, a
// folder symlink to outside, and a FIFO.
func TestFolderListsFilesSortedWithCaptures(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "contracts")
	outside := filepath.Join(base, "secret")
	putFile(t, filepath.Join(outside, "passwd.pdf"), "not yours")
	putFile(t, filepath.Join(dir, "L-2", "Offer final.PDF"), "upper-case extension")
	putFile(t, filepath.Join(dir, "L-2", "offer.pdf"), "offer two")
	putFile(t, filepath.Join(dir, "L-10", "contract.pdf"), "contract ten!")
	putFile(t, filepath.Join(dir, "L-1", "notes.txt"), "not a pdf")
	putFile(t, filepath.Join(dir, "L-1", "a", "deep.pdf"), "deeper")
	if err := os.Symlink(filepath.Join(outside, "passwd.pdf"), filepath.Join(dir, "L-1", "leak.pdf")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../L-2/offer.pdf", filepath.Join(dir, "L-1", "same.pdf")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "L-9")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "L-3", "pipe.pdf"), 0o600); err != nil {
		if err := os.MkdirAll(filepath.Join(dir, "L-3"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(filepath.Join(dir, "L-3", "pipe.pdf"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mod := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "L-2", "offer.pdf"), mod, mod); err != nil {
		t.Fatal(err)
	}

	o := Options{Folder: &Folder{Glob: "**/*.pdf", Pattern: "{lead_key}/*", Prefix: "contracts"}}
	r, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if h := r.Header(); !reflect.DeepEqual(h, []string{"path", "name", "size", "modified", "lead_key"}) {
		t.Fatalf("header %q", h)
	}
	rows := readAllRows(t, r)
	var paths, sizes, keys []string
	for _, row := range rows {
		paths = append(paths, row[0])
		sizes = append(sizes, row[2])
		keys = append(keys, row[4])
	}
	wantPaths := []string{"contracts/L-1/a/deep.pdf", "contracts/L-1/leak.pdf", "contracts/L-1/same.pdf",
		"contracts/L-10/contract.pdf", "contracts/L-2/Offer final.PDF", "contracts/L-2/offer.pdf", "contracts/L-3/pipe.pdf"}
	if !reflect.DeepEqual(paths, wantPaths) {
		t.Fatalf("paths\n got %q\nwant %q", paths, wantPaths)
	}
	// deep.pdf is two folders down: the pattern does not match it, so no capture.
	if want := []string{"", "L-1", "L-1", "L-10", "L-2", "L-2", "L-3"}; !reflect.DeepEqual(keys, want) {
		t.Fatalf("captures %q, want %q", keys, want)
	}
	// "*.pdf" selects "Offer final.PDF" too. The symlink out of the folder has no size (never followed); the one inside has its
	// target's; the FIFO has none.
	if want := []string{"6", "", "9", "13", "20", "9", ""}; !reflect.DeepEqual(sizes, want) {
		t.Fatalf("sizes %q, want %q", sizes, want)
	}
	if rows[5][1] != "offer.pdf" || rows[5][3] != "2026-03-04T05:06:07Z" {
		t.Fatalf("offer row %q", rows[5])
	}
	n, err := CountRows(dir, o)
	if err != nil || n != len(wantPaths) {
		t.Fatalf("CountRows = %d, %v; want %d", n, err, len(wantPaths))
	}
}

func TestFolderCaptureWithinName(t *testing.T) {
	dir := t.TempDir()
	putFile(t, filepath.Join(dir, "2025", "D-17-contract.pdf"), "x")
	putFile(t, filepath.Join(dir, "2025", "readme.md"), "x")
	r, err := Open(dir, Options{Folder: &Folder{Pattern: "{year}/{deal}-*.pdf"}})
	if err != nil {
		t.Fatal(err)
	}
	rows := readAllRows(t, r)
	if len(rows) != 1 || rows[0][0] != "2025/D-17-contract.pdf" || rows[0][4] != "2025" || rows[0][5] != "D-17" {
		t.Fatalf("rows %q", rows)
	}
}

func TestFolderBadInput(t *testing.T) {
	dir := t.TempDir()
	putFile(t, filepath.Join(dir, "f.csv"), "a\n1\n")
	for _, tc := range []struct {
		path string
		f    Folder
	}{
		{dir, Folder{Pattern: "{lead_key/*.pdf"}},
		{dir, Folder{Pattern: "{}/*.pdf"}},
		{dir, Folder{Pattern: "{a}/{a}.pdf"}},
		{dir, Folder{Pattern: "{size}/*.pdf"}},
		{dir, Folder{Glob: "../*.pdf"}},
		{dir, Folder{Glob: "/etc/*"}},
		{dir, Folder{Glob: "[a"}},
		{filepath.Join(dir, "f.csv"), Folder{}},
		{filepath.Join(dir, "missing"), Folder{}},
	} {
		_, err := Open(tc.path, Options{Folder: &tc.f})
		var fe *FileError
		if !errors.As(err, &fe) || fe.Path != tc.path {
			t.Errorf("%+v: error %v, want a FileError naming %s", tc.f, err, tc.path)
		}
	}
}
