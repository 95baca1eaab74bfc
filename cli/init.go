package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pdbulk/pdbulk/jobs"
)

// initOptions are the flags of `pdbulk init`.
type initOptions struct {
	entity, out, sheet string
	headerRow          int
	headerRowGiven     bool // the flag's default of 1 is not a choice: the header row is found
}

func initCmd(env Env, o initOptions, pos []string) error {
	if len(pos) != 1 {
		return usageError("init: give one spreadsheet file")
	}
	// The header row is found unless given.
	given := 0
	if o.headerRowGiven {
		given = o.headerRow
	}
	src, err := jobs.Inspect(env.Stop, pos[0], jobs.InspectOptions{Sheet: o.sheet, HeaderRow: given})
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	// The draft names its source relative to the folder the job file is saved in (that is
	// where pdbulk resolves it); on stdout the job is most likely saved here.
	src.Path = pos[0]
	if o.out != "" {
		src.Path, err = relativeTo(filepath.Dir(o.out), pos[0])
		if err != nil {
			return fmt.Errorf("init: %w", err)
		}
	}
	if src.FilesRoot != "" {
		// Relative to the job's folder, as the source.
		jobDir := "."
		if o.out != "" {
			jobDir = filepath.Dir(o.out)
		}
		if src.FilesRoot, err = relativeTo(jobDir, src.FilesRoot); err != nil {
			return fmt.Errorf("init: %w", err)
		}
	}
	draft, err := jobs.DraftJob(jobs.Entity(o.entity), src)
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	for _, n := range src.Notes {
		fmt.Fprintf(env.Stderr, "pdbulk: %s\n", n)
	}
	fmt.Fprintf(env.Stderr, "pdbulk: %s: header on row %d, %d columns; %d data rows sampled for types and formats\n",
		pos[0], max(src.HeaderRow, 1), len(src.Header), len(src.Rows))
	if o.out == "" {
		_, err = env.Stdout.Write(draft)
		return err
	}
	f, err := os.OpenFile(o.out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return usageError("init: %s exists already; pdbulk never overwrites a job file: give -o a new name", o.out)
	}
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if _, err := f.Write(draft); err != nil {
		f.Close()
		return fmt.Errorf("init: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if _, err := jobs.Load(o.out); err != nil {
		// The header did not name a field the entity needs: the draft says what it found,
		// and validate's reason says what to map.
		fmt.Fprintf(env.Stderr, "pdbulk: wrote %s; it needs a hand before it validates: %v\n", o.out, err)
		return nil
	}
	fmt.Fprintf(env.Stderr, "pdbulk: wrote %s; check its mapping, then: pdbulk validate %s\n", o.out, o.out)
	return nil
}

// relativeTo returns path relative to folder dir, or path made absolute when it cannot be
// reached from dir by a relative path (another volume).
func relativeTo(dir, path string) (string, error) {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(absDir, abs)
	if err != nil {
		return abs, nil
	}
	return rel, nil
}
