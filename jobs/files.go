package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/pdbulk/pdbulk/mapping"
	"github.com/pdbulk/pdbulk/sheet"
)

// fingerprintVersion changes whenever the canonical form below changes.
const fingerprintVersion = 1

// canonical is what a fingerprint covers: everything that changes which rows are written
// and how. Comments, layout, key order of the YAML, the job's name, the report paths and the
// tuning options (concurrency, max_rejects, daily_budget, rate_limit, search_api) are left out, so that
// a run can resume after any of them changed.
type canonical struct {
	Version    int
	Kind       Kind
	Entity     Entity
	Mode       Mode
	MatchOn    []string
	Key        string
	Source     string // relative to the job's folder when inside it
	Format     string
	Sheet      string
	SheetIndex int
	HeaderRow  int
	Delimiter  string
	Encoding   string
	Schema     string
	Fields     []mapping.Field
	Duplicates DuplicateRule
	FilesRoot  string
	Folder     *FolderSource `json:",omitempty"`
}

func (j *Job) rel(p string) string {
	if r, err := filepath.Rel(j.Dir, p); err == nil && filepath.IsLocal(r) {
		return filepath.ToSlash(r)
	}
	return p
}

// Fingerprint returns a hex SHA-256 over a canonical form of the job (not its comments or
// layout) and the bytes of its source file, which it streams. The state store refuses to
// resume a job whose fingerprint changed.
func (j *Job) Fingerprint() (string, error) { return j.FingerprintContext(context.Background()) }

// FingerprintContext is Fingerprint, stopped within a buffer of reading the source when ctx
// ends (a signal during the hash of a large file): the error then wraps ctx.Err().
func (j *Job) FingerprintContext(ctx context.Context) (string, error) {
	fields := make([]mapping.Field, len(j.Mapping.Fields))
	copy(fields, j.Mapping.Fields)
	for i := range fields {
		fields[i].Line = 0
	}
	c := canonical{
		Version: fingerprintVersion, Kind: j.Kind, Entity: j.Entity, Mode: j.Mode, MatchOn: j.MatchOn,
		Key: j.Key, Source: j.rel(j.Source.Path), Format: j.Source.Format, Sheet: j.Source.Sheet,
		SheetIndex: j.Source.SheetIndex, HeaderRow: j.Source.HeaderRow, Delimiter: j.Source.Delimiter,
		Encoding: j.Source.Encoding, Schema: j.Mapping.Schema, Fields: fields,
		Duplicates: j.Options.Duplicates, FilesRoot: j.rel(j.Files.Root), Folder: j.Source.Folder,
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("jobs: fingerprint %s: %w", j.Name, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "pdbulk-job %d\n", len(b))
	h.Write(b)
	if j.Source.Folder != nil {
		if err := j.hashFolder(h); err != nil {
			return "", fmt.Errorf("jobs: fingerprint %s: %w", j.Name, err)
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	f, err := sheet.OpenStream(ctx, j.Source.Path) // no read starts after ctx ends
	if err != nil {
		return "", fmt.Errorf("jobs: fingerprint %s: %w", j.Name, err)
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("jobs: fingerprint %s: read source: %w", j.Name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ResolveFile turns a file path from a files job's sheet into an absolute path inside
// Files.Root. It refuses (ErrOutsideRoot) absolute paths, paths that climb out with "..",
// and paths that lead out of the root through a symlink; it also refuses folders and
// missing files. Backslashes are read as folder separators (sheets made on Windows). The
// returned path has its symlinks resolved; OpenFile is the race-free way to read it.
func (j *Job) ResolveFile(rel string) (string, error) {
	clean, err := j.localPath(rel)
	if err != nil {
		return "", err
	}
	root, err := filepath.EvalSymlinks(j.Files.Root)
	if err != nil {
		return "", fmt.Errorf("jobs: resolve file %q: files root: %w", rel, err)
	}
	if p, ok := plainPath(root, clean); ok {
		return p, nil
	}
	real, err := filepath.EvalSymlinks(filepath.Join(root, clean))
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("jobs: resolve file %q: no such file under %s: %w", rel, j.Files.Root, os.ErrNotExist)
	}
	if err != nil {
		return "", fmt.Errorf("jobs: resolve file %q: %w", rel, err)
	}
	inside, err := filepath.Rel(root, real)
	if err != nil || !filepath.IsLocal(inside) {
		return "", fmt.Errorf("jobs: resolve file %q: a symlink leads out of %s: %w", rel, j.Files.Root, ErrOutsideRoot)
	}
	st, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("jobs: resolve file %q: %w", rel, err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("jobs: resolve file %q: %s", rel, notRegular(st.Mode()))
	}
	return real, nil
}

// plainPath is ResolveFile's common case, in one Lstat per part of clean (a local path)
// below root (a resolved root): when no part is a symlink and the last is a regular file,
// the path is root/clean itself, inside the root, with its symlinks resolved. Any other
// case (a symlink, a missing part, not a regular file) returns false, for the full
// resolution and its reason. filepath.EvalSymlinks of the whole path would Lstat every
// part of the root again.
func plainPath(root, clean string) (string, bool) {
	p := root
	parts := strings.Split(clean, string(filepath.Separator))
	for i, part := range parts {
		p = filepath.Join(p, part)
		st, err := os.Lstat(p)
		if err != nil {
			return "", false
		}
		last := i == len(parts)-1
		if !last && !st.IsDir() || last && !st.Mode().IsRegular() {
			return "", false // a symlink, or not what the path needs here
		}
	}
	return p, true
}

// OpenFile opens a file path from a files job's sheet for reading, inside Files.Root, with
// the same rules as ResolveFile. The open goes through an os.Root of the files root: the
// kernel walks the path from the root's descriptor one part at a time and no step may lead
// out of it, so a symlink swapped in after a check cannot lead out of the root either. The
// caller closes the file.
func (j *Job) OpenFile(rel string) (*os.File, error) {
	clean, err := j.localPath(rel)
	if err != nil {
		return nil, err
	}
	if f, ok := j.openInRoot(clean); ok {
		return f, nil
	}
	// Not a regular file opened in the root: the full resolution says why, or finds the
	// file through an absolute symlink that stays inside the root (os.Root follows only
	// relative ones).
	real, err := j.ResolveFile(rel)
	if err != nil {
		return nil, err
	}
	root, err := filepath.EvalSymlinks(j.Files.Root)
	if err != nil {
		return nil, fmt.Errorf("jobs: open file %q: files root: %w", rel, err)
	}
	inside, err := filepath.Rel(root, real)
	if err != nil || !filepath.IsLocal(inside) {
		return nil, fmt.Errorf("jobs: open file %q: %w", rel, ErrOutsideRoot)
	}
	f, err := os.OpenInRoot(root, inside)
	if err != nil {
		if _, rerr := j.ResolveFile(rel); errors.Is(rerr, ErrOutsideRoot) {
			return nil, rerr
		}
		return nil, fmt.Errorf("jobs: open file %q: %w", rel, err)
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("jobs: open file %q: %s", rel, notRegular(st.Mode()))
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// openInRoot opens clean (a local path) through an os.Root of Files.Root, when it is a
// regular file there: a few system calls, where resolving every symlink of the whole path
// costs an Lstat per part of it, root included. The Stat comes first so that a FIFO or a
// device is never opened (opening a FIFO blocks). It returns false, and no file, in every
// other case.
func (j *Job) openInRoot(clean string) (*os.File, bool) {
	root, err := os.OpenRoot(j.Files.Root)
	if err != nil {
		return nil, false
	}
	defer root.Close()
	if st, err := root.Stat(clean); err != nil || !st.Mode().IsRegular() {
		return nil, false
	}
	f, err := root.Open(clean)
	if err != nil {
		return nil, false
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, false
	}
	return f, true
}

// localPath checks that rel names a path below the root, lexically.
func (j *Job) localPath(rel string) (string, error) {
	p := strings.TrimSpace(strings.ReplaceAll(rel, `\`, "/"))
	if p == "" {
		return "", fmt.Errorf("jobs: resolve file: empty path")
	}
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("jobs: resolve file %q: NUL in path: %w", rel, ErrOutsideRoot)
	}
	if filepath.IsAbs(p) || strings.HasPrefix(p, "/") || filepath.VolumeName(p) != "" || (len(p) > 1 && p[1] == ':') {
		return "", fmt.Errorf("jobs: resolve file %q: absolute paths are refused; give a path relative to %s: %w", rel, j.Files.Root, ErrOutsideRoot)
	}
	local := filepath.FromSlash(p)
	if !filepath.IsLocal(local) {
		return "", fmt.Errorf("jobs: resolve file %q: the path leaves %s: %w", rel, j.Files.Root, ErrOutsideRoot)
	}
	return filepath.Clean(local), nil
}

// ---- folder sources ----

// FolderSource is a source that lists a folder: one row per file (sheet.Folder).
type FolderSource struct {
	Glob    string // which files, relative to the folder; "" = the pattern's, or every file
	Pattern string // captures of path parts into columns, e.g. "{lead_key}/*.pdf"
	// Prefix is the folder's path under Files.Root, slash-separated ("" when it is the
	// root): the "path" column holds paths relative to the root, as a manifest would.
	Prefix string
}

// folder reads source: {folder: ..., glob: ..., pattern: ...}.
func (l *loader) folder(n *yaml.Node, fields map[string]*yaml.Node) {
	src := &l.job.Source
	src.HeaderRow = 1
	src.Format = "folder"
	src.Folder = &FolderSource{}
	for _, k := range []string{"path", "sheet", "header_row", "delimiter", "encoding", "limits"} {
		if v := fields[k]; v != nil {
			l.errAt(v, "source.%s does not apply to a folder source (folder, glob, pattern)", k)
		}
	}
	fn := fields["folder"]
	if fn == nil {
		l.errAt(n, "source: missing key \"folder\" (the folder whose files are the rows)")
	} else if p, ok := l.scalar(fn, "source.folder"); ok {
		src.Path = l.path(p)
		if l.checkFiles {
			if st, err := os.Stat(src.Path); err != nil || !st.IsDir() {
				l.errAt(fn, "source.folder %q: folder not found (relative paths start at the job file's folder %s)", p, l.job.Dir)
			}
		}
	}
	if v := fields["glob"]; v != nil {
		if s, ok := l.scalar(v, "source.glob"); ok {
			src.Folder.Glob = s
		}
	}
	if v := fields["pattern"]; v != nil {
		if s, ok := l.scalar(v, "source.pattern"); ok {
			src.Folder.Pattern = s
		}
	}
	// The glob and the pattern are checked by the reader itself, with the same messages.
	if err := sheet.CheckFolder(&sheet.Folder{Glob: src.Folder.Glob, Pattern: src.Folder.Pattern}); err != nil {
		l.errAt(n, "source: %v", err)
	}
}

// folderSource places a folder source under files.root (after both were read): with no
// files.root the folder is the root; with one, the folder must be inside it.
func (l *loader) folderSource(entityOK bool) {
	j := l.job
	if j.Source.Folder == nil || j.Source.Path == "" {
		return
	}
	n := l.lines["source"]
	if entityOK && j.Entity != EntityFiles {
		l.errAt(n, "a folder source applies to entity files only")
		return
	}
	if l.lines["files"] == nil {
		j.Files.Root = j.Source.Path
		return
	}
	rel, err := filepath.Rel(j.Files.Root, j.Source.Path)
	if err == nil && l.checkFiles {
		// Both through their symlinks: a folder linked in from elsewhere is not inside.
		root, rerr := filepath.EvalSymlinks(j.Files.Root)
		dir, derr := filepath.EvalSymlinks(j.Source.Path)
		if rerr == nil && derr == nil {
			rel, err = filepath.Rel(root, dir)
		}
	}
	if err != nil || !filepath.IsLocal(rel) && rel != "." {
		l.errAt(n, "source.folder %s is not inside files.root %s: no file outside the root is read", j.Source.Path, j.Files.Root)
		return
	}
	if rel != "." {
		j.Source.Folder.Prefix = filepath.ToSlash(rel)
	}
}

// ---- upload options ----

// DefaultMaxFileSize is options.max_file_size when not given. Pipedrive's API documents
// (the OpenAPI document of 2026-01-14 and the Files reference) state no size limit for
// POST /files; 2 GiB is pdbulk's own bound, above the 500 MB files its benchmarks upload.
// A server that refuses a file as too large (413) rejects its row.
const DefaultMaxFileSize = 2 << 30

// Defaults of UploadOptions.
const (
	DefaultUploadConcurrency = 4
	DefaultUploadBuffer      = 256 << 10 // bytes read from disk per upload at a time
)

var uploadOptionKeys = []string{"max_file_size", "upload_concurrency", "upload_buffer"}

// UploadOptions tune the uploads of a files job.
type UploadOptions struct {
	// Zero fields take the defaults (WithDefaults).
	// MaxFileSize: a larger file is a rejected row, never sent (options.max_file_size).
	MaxFileSize int64
	// Concurrency: uploads in flight at once, apart from the job's request concurrency
	// (options.upload_concurrency); default 4, at most MaxConcurrency.
	Concurrency int
	// Buffer: bytes of a file read at a time into an upload's body (options.upload_buffer).
	// The bytes of uploads in memory are at most Concurrency × Buffer (plus the
	// transport's own write buffer per connection), whatever the files' sizes.
	Buffer int
}

// WithDefaults returns u with its zero fields set to their defaults.
func (u UploadOptions) WithDefaults() UploadOptions {
	if u.MaxFileSize <= 0 {
		u.MaxFileSize = DefaultMaxFileSize
	}
	if u.Concurrency <= 0 {
		u.Concurrency = DefaultUploadConcurrency
	}
	if u.Buffer <= 0 {
		u.Buffer = DefaultUploadBuffer
	}
	return u
}

func (l *loader) uploadOption(k string, v *yaml.Node) {
	u := &l.job.Options.Uploads
	size := func(lo, hi int64) (int64, bool) {
		s, ok := l.scalar(v, "options."+k)
		if !ok {
			return 0, false
		}
		n, err := parseSize(s)
		switch {
		case err != nil:
			l.errAt(v, "options.%s: %v", k, err)
			return 0, false
		case n < lo || n > hi:
			l.errAt(v, "options.%s must be between %s and %s, not %s", k, formatSize(lo), formatSize(hi), s)
			return 0, false
		}
		return n, true
	}
	switch k {
	case "max_file_size":
		if n, ok := size(1, 1<<40); ok {
			u.MaxFileSize = n
		}
	case "upload_concurrency":
		if i, ok := l.intVal(v, "upload_concurrency", 1, MaxConcurrency); ok {
			u.Concurrency = i
		}
	case "upload_buffer":
		if n, ok := size(4<<10, 16<<20); ok {
			u.Buffer = int(n)
		}
	}
}

// ---- the fields of a files job ----

// remoteFileCreate lists the fields of POST /files/remote, which the seed schemas lack
// (its OpenAPI form: file_type, title, item_type, item_id, remote_location).
var remoteFileCreate = map[string]*schemaField{
	"file_type":       {typ: "string", enum: []string{"gdoc", "gslides", "gsheet", "gform", "gdraw"}},
	"title":           {typ: "string"},
	"item_type":       {typ: "string", enum: []string{"deal", "organization", "person"}},
	"item_id":         {typ: "integer"},
	"remote_location": {typ: "string", enum: []string{"googledrive"}},
}

// FilesKind tells what a files job's rows are, from the fields its columns map.
type FilesKind string

// The kinds of files rows.
const (
	FilesUpload       FilesKind = "upload"      // file: a path under files.root (POST /files)
	FilesRemoteLink   FilesKind = "remote_link" // remote_id: link a Google Drive file (POST /files/remoteLink)
	FilesRemoteCreate FilesKind = "remote"      // file_type and title: a new Google Drive file (POST /files/remote)
)

// FilesKindOf tells the kind of rows of a files job by the fields it maps.
func (j *Job) FilesKindOf() FilesKind {
	has := map[string]bool{}
	for _, f := range j.Mapping.Fields {
		has[f.Path] = true
	}
	return filesKind(has)
}

func filesKind(has map[string]bool) FilesKind {
	switch {
	case has["remote_id"]:
		return FilesRemoteLink
	case has["file_type"] || has["title"]:
		return FilesRemoteCreate
	}
	return FilesUpload
}

// filesSchemas returns the request schema a files row must satisfy, and the fields its
// columns may name: an upload (file and the items to attach to), a remote link or a new
// remote file, by the fields columns maps. In mode update the fields of PUT /files/{id}
// (name, description) are sent, and those of the upload may be mapped to find the file
// (match_on: [file] with key: finds it through the id map).
func filesSchemas(m Mode, columns *yaml.Node) (string, map[string]*schemaField) {
	has := map[string]bool{}
	if columns != nil && columns.Kind == yaml.MappingNode {
		for i := 0; i < len(columns.Content); i += 2 {
			has[columns.Content[i].Value] = true
		}
	}
	var check string
	var paths map[string]*schemaField
	switch filesKind(has) {
	case FilesRemoteLink:
		check, paths = "FilesLinkRemoteFileRequest", schemaPaths("FilesLinkRemoteFileRequest")
	case FilesRemoteCreate:
		paths = map[string]*schemaField{}
		for k, v := range remoteFileCreate {
			paths[k] = v
		}
	default:
		check, paths = "FilesUploadAndAssociateRequest", schemaPaths("FilesUploadAndAssociateRequest")
	}
	switch m {
	case ModeUpdate:
		check = "FilesUpdateDetailsRequest"
		for k, v := range schemaPaths(check) {
			paths[k] = v
		}
	case ModeDelete:
		check = ""
	}
	return check, paths
}

// hashFolder writes the listing of a folder source to h: every file's path, size and
// modification time, in the rows' order. A file added, removed or changed changes the
// fingerprint, as a changed spreadsheet does.
func (j *Job) hashFolder(h io.Writer) error {
	rd, err := sheet.Open(j.Source.Path, j.Source.ReaderOptions())
	if err != nil {
		return err
	}
	defer rd.Close()
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, t := range row.Texts() {
			fmt.Fprintf(h, "%d:%s", len(t), t)
		}
		io.WriteString(h, "\n")
	}
}

// notRegular says what a file that is not a regular file is.
func notRegular(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "is a folder, not a file"
	case m&os.ModeNamedPipe != 0:
		return "is a FIFO (named pipe), not a file"
	case m&os.ModeDevice != 0 || m&os.ModeCharDevice != 0:
		return "is a device, not a file"
	case m&os.ModeSocket != 0:
		return "is a socket, not a file"
	}
	return "is not a regular file"
}

// CheckFile checks, before any request, that a files row's path names a file that can be
// uploaded: inside Files.Root (ResolveFile), a regular file, not empty, at most
// Options.Uploads.MaxFileSize bytes, and readable. It returns the file's size. Its errors
// are the row's reject reason.
func (j *Job) CheckFile(rel string) (int64, error) {
	f, err := j.OpenFile(rel)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return 0, fmt.Errorf("jobs: file %q cannot be read: permission denied", rel)
		}
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("jobs: file %q: %w", rel, err)
	}
	max := j.Options.Uploads.WithDefaults().MaxFileSize
	switch {
	case st.Size() == 0:
		return 0, fmt.Errorf("jobs: file %q is empty (0 bytes): nothing to upload", rel)
	case st.Size() > max:
		return 0, fmt.Errorf("jobs: file %q is %d bytes, larger than options.max_file_size (%s)", rel, st.Size(), formatSize(max))
	}
	// One byte read: a file the open allowed but the disk cannot give is refused here,
	// not half-way through its upload.
	if _, err := f.Read(make([]byte, 1)); err != nil {
		return 0, fmt.Errorf("jobs: file %q cannot be read: %w", rel, err)
	}
	return st.Size(), nil
}

// ParseSize reads a size in bytes as job files write them: 1048576, 64 MiB, 64MiB, 2 GB.
func ParseSize(s string) (int64, error) { return parseSize(s) }
