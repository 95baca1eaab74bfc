package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pdbulk/pdbulk/mapping"
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
func (j *Job) Fingerprint() (string, error) {
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
		Duplicates: j.Options.Duplicates, FilesRoot: j.rel(j.Files.Root),
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("jobs: fingerprint %s: %w", j.Name, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "pdbulk-job %d\n", len(b))
	h.Write(b)
	f, err := os.Open(j.Source.Path)
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
	real, err := filepath.EvalSymlinks(filepath.Join(root, clean))
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
		return "", fmt.Errorf("jobs: resolve file %q: not a regular file", rel)
	}
	return real, nil
}

// OpenFile opens a file path from a files job's sheet for reading, inside Files.Root, with
// the same rules as ResolveFile. The open itself goes through os.Root on the resolved path,
// so a symlink swapped in after the check cannot lead out of the root either. The caller
// closes the file.
func (j *Job) OpenFile(rel string) (*os.File, error) {
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
		err = fmt.Errorf("jobs: open file %q: not a regular file", rel)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
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
