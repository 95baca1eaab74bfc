package sheet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// Folder makes a reader list the files of a folder instead of reading a spreadsheet: one
// row per file, in the byte order of their slash-separated paths, so that a resumed run and
// its reports meet the same file on the same row. Set Options.Folder and give the folder as
// the path to Open or CountRows.
//
// The folder is read through os.Root: a symlink is never followed out of it, a folder that
// is a symlink is not walked into, and nothing outside it is ever opened. A symlink to a
// file is listed (with an empty size when its target is outside the folder or missing), so
// that the run rejects it with a reason instead of leaving it out unseen.
type Folder struct {
	// Glob selects the files, relative to the folder, with "**" for any number of folders
	// (github.com/bmatcuk/doublestar syntax), in any case ("*.pdf" selects "A.PDF");
	// "" = Pattern with its captures as "*", or
	// every file ("**") without a Pattern.
	Glob string
	// Pattern captures parts of a file's path into columns: "{lead_key}/*.pdf" puts the
	// name of the file's folder in a column lead_key. A capture stands for a part of one
	// path segment, between literal text and glob wildcards ("{deal}-*.pdf" captures
	// "D-17" of "D-17-contract.pdf": the longest text that lets the rest match). A file the
	// glob selects but the pattern does not match gets empty captures.
	Pattern string
	// Prefix is put before every path of the FolderPath column, slash-separated: the
	// folder's place under the files root, so that the column names a file the way a
	// manifest would. "" = paths relative to the folder.
	Prefix string
}

// The columns of a folder listing, before the captures of Folder.Pattern.
const (
	FolderPath     = "path"     // the file's path, slash-separated, Prefix first
	FolderName     = "name"     // the file's base name
	FolderSize     = "size"     // its size in bytes; "" for a symlink that leads out or nowhere
	FolderModified = "modified" // its modification time, RFC 3339 in UTC, to the second
)

// folderEntry is one file found in the folder.
type folderEntry struct {
	rel  string // slash-separated, relative to the folder
	size string
	mod  string
}

// folderReader lists a folder as rows.
type folderReader struct {
	path   string
	header []string
	caps   []capture
	// patternGlob is Folder.Pattern with its captures as "*".
	patternGlob string
	entries     []folderEntry
	prefix      string
	next        int
}

// capture is one segment of a pattern with a {name} in it.
type capture struct {
	seg       int    // index of the path segment
	name      string // column name
	pre, post string // glob text around the capture within the segment
}

// compilePattern reads the captures of pattern and returns the glob it stands for.
func compilePattern(pattern string) ([]capture, string, error) {
	if pattern == "" {
		return nil, "", nil
	}
	segs := strings.Split(pattern, "/")
	var caps []capture
	globSegs := make([]string, len(segs))
	seen := map[string]bool{}
	for i, s := range segs {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			if strings.IndexByte(s, '}') >= 0 {
				return nil, "", fmt.Errorf("pattern %q: a \"}\" without its \"{\"", pattern)
			}
			globSegs[i] = s
			continue
		}
		end := strings.IndexByte(s[open:], '}')
		if end < 0 {
			return nil, "", fmt.Errorf("pattern %q: a \"{\" without its \"}\"", pattern)
		}
		end += open
		name := s[open+1 : end]
		c := capture{seg: i, name: name, pre: s[:open], post: s[end+1:]}
		switch {
		case name == "" || strings.ContainsAny(name, "*?[]{},\\"):
			return nil, "", fmt.Errorf("pattern %q: %q is not a column name: write {name}", pattern, s[open:end+1])
		case strings.ContainsAny(c.pre+c.post, "{}"):
			return nil, "", fmt.Errorf("pattern %q: one capture per path segment", pattern)
		case s == "**":
			return nil, "", fmt.Errorf("pattern %q: a capture cannot stand in a \"**\" segment", pattern)
		case seen[name] || slices.Contains([]string{FolderPath, FolderName, FolderSize, FolderModified}, name):
			return nil, "", fmt.Errorf("pattern %q: column %q is given twice", pattern, name)
		}
		if strings.Contains(c.pre+c.post, "**") {
			return nil, "", fmt.Errorf("pattern %q: \"**\" must be a whole path segment", pattern)
		}
		seen[name] = true
		caps = append(caps, c)
		globSegs[i] = c.pre + "*" + c.post
	}
	if slices.Contains(segs, "**") && len(caps) > 0 {
		return nil, "", fmt.Errorf("pattern %q: a pattern with captures gives every path segment (no \"**\")", pattern)
	}
	glob := strings.Join(globSegs, "/")
	if !doublestar.ValidatePattern(glob) {
		return nil, "", fmt.Errorf("pattern %q is not a valid glob", pattern)
	}
	return caps, glob, nil
}

// captureValues returns the captured text of rel for each capture, "" where the pattern
// does not match.
func captureValues(caps []capture, patternGlob, rel string) []string {
	out := make([]string, len(caps))
	if len(caps) == 0 {
		return out
	}
	if !matchFold(patternGlob, rel) {
		return out
	}
	segs := strings.Split(rel, "/")
	for i, c := range caps {
		if c.seg >= len(segs) {
			continue
		}
		s := segs[c.seg]
		// The longest capture that starts where the text before it ends.
	found:
		for a := 0; a <= len(s); a++ {
			if ok, _ := path.Match(strings.ToLower(c.pre), strings.ToLower(s[:a])); !ok {
				continue
			}
			for b := len(s); b > a; b-- {
				if ok, _ := path.Match(strings.ToLower(c.post), strings.ToLower(s[b:])); ok {
					out[i] = s[a:b]
					break found
				}
			}
		}
	}
	return out
}

// CheckFolder reports what is wrong with f's glob and pattern, without reading a folder.
func CheckFolder(f *Folder) error {
	_, _, _, err := compileFolder(f)
	return err
}

// compileFolder returns the captures of f's pattern, the glob of the pattern and the glob
// that selects the files.
func compileFolder(f *Folder) ([]capture, string, string, error) {
	caps, patternGlob, err := compilePattern(f.Pattern)
	if err != nil {
		return nil, "", "", err
	}
	glob := f.Glob
	switch {
	case glob == "" && patternGlob != "":
		glob = patternGlob
	case glob == "":
		glob = "**"
	}
	glob = strings.TrimPrefix(glob, "./")
	if !doublestar.ValidatePattern(glob) || strings.HasPrefix(glob, "/") || slices.Contains(strings.Split(glob, "/"), "..") {
		return nil, "", "", fmt.Errorf("glob %q is not a valid pattern of paths inside the folder", f.Glob)
	}
	return caps, patternGlob, glob, nil
}

// matchFold reports whether the slash-separated path p matches glob, in any case: "*.pdf"
// selects "Offer.PDF" too, as ops folders mix both.
func matchFold(glob, p string) bool {
	ok, _ := doublestar.Match(strings.ToLower(glob), strings.ToLower(p))
	return ok
}

// openFolder lists dir as a Reader.
func openFolder(dir string, o Options) (Reader, error) {
	f := o.Folder
	caps, patternGlob, glob, err := compileFolder(f)
	if err != nil {
		return nil, &FileError{Path: dir, Err: err}
	}
	entries, err := listFolder(context.Background(), dir, glob)
	if err != nil {
		return nil, &FileError{Path: dir, Err: err}
	}
	header := []string{FolderPath, FolderName, FolderSize, FolderModified}
	for _, c := range caps {
		header = append(header, c.name)
	}
	prefix := strings.Trim(filepath.ToSlash(f.Prefix), "/")
	if prefix == "." {
		prefix = ""
	}
	// The pattern's own glob decides the captures, whatever glob selected the file.
	return &folderReader{path: dir, header: header, caps: caps, patternGlob: patternGlob, entries: entries, prefix: prefix}, nil
}

// listFolder walks dir through an os.Root and returns the regular files (and symlinks,
// and special files, so that they are rejected with a reason) that glob matches, sorted.
// It stops when ctx ends, with ctx's error.
func listFolder(ctx context.Context, dir, glob string) ([]folderEntry, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, errors.New("is not a folder")
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	var out []folderEntry
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil // a symlink to a folder is not a dir entry here: never walked into
		}
		if !matchFold(glob, p) {
			return nil
		}
		e := folderEntry{rel: p}
		info, ierr := d.Info()
		if ierr != nil {
			return fmt.Errorf("read %s: %w", p, ierr)
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			// Followed only inside the folder: os.Root refuses a link that leads out.
			info, ierr = root.Stat(p)
		}
		if ierr == nil {
			if info.Mode().IsRegular() {
				e.size = strconv.FormatInt(info.Size(), 10)
			}
			e.mod = info.ModTime().UTC().Truncate(time.Second).Format(time.RFC3339)
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b folderEntry) int { return strings.Compare(a.rel, b.rel) })
	return out, nil
}

func (r *folderReader) Header() []string { return slices.Clone(r.header) }

// Next returns the next file's row; the first file is row 2, after the header.
func (r *folderReader) Next() (Row, error) {
	if r.next >= len(r.entries) {
		return Row{}, io.EOF
	}
	e := r.entries[r.next]
	r.next++
	p := e.rel
	if r.prefix != "" {
		p = r.prefix + "/" + p
	}
	texts := []string{p, path.Base(e.rel), e.size, e.mod}
	texts = append(texts, captureValues(r.caps, r.patternGlob, e.rel)...)
	cells := make([]Cell, len(texts))
	for i, t := range texts {
		if t != "" {
			cells[i] = Cell{Text: t, Kind: KindString}
		}
	}
	return Row{Num: r.next + 1, Cells: cells}, nil
}

func (r *folderReader) Close() error { return nil }

// countFolder is CountRowsContext for a folder.
func countFolder(ctx context.Context, dir string, o Options) (int, error) {
	_, _, glob, err := compileFolder(o.Folder)
	if err != nil {
		return 0, &FileError{Path: dir, Err: err}
	}
	entries, err := listFolder(ctx, dir, glob)
	if err != nil {
		return 0, &FileError{Path: dir, Err: err}
	}
	return len(entries), nil
}
