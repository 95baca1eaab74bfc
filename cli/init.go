package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pdbulk/pdbulk/jobs"
)

func initCmd(env Env, args []string) error {
	fs := newFlagSet(env, "init", "--entity ENTITY FILE [-o JOB.yaml]")
	entity := fs.String("entity", "leads", "entity the job imports: leads, lead_labels, filters, goals, teams, files")
	out := fs.String("o", "", "write the job here instead of stdout (an existing file is not overwritten)")
	sheetName := fs.String("sheet", "", "XLSX sheet to read, by name or number as a job's sheet: 2 (default: the sheet holding a table)")
	headerRow := fs.Int("header-row", 1, "row that holds the column names (when not given: the first row that reads as column names)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("init: give one spreadsheet file")
	}
	// The header row is found unless given; the flag's default of 1 is not a choice.
	given := 0
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "header-row" {
			given = *headerRow
		}
	})
	src, err := jobs.Inspect(env.Stop, pos[0], jobs.InspectOptions{Sheet: *sheetName, HeaderRow: given})
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	// The draft names its source relative to the folder the job file is saved in (that is
	// where pdbulk resolves it); on stdout the job is most likely saved here.
	src.Path = pos[0]
	if *out != "" {
		src.Path, err = relativeTo(filepath.Dir(*out), pos[0])
		if err != nil {
			return fmt.Errorf("init: %w", err)
		}
	}
	if src.FilesRoot != "" {
		// Relative to the job's folder, as the source.
		jobDir := "."
		if *out != "" {
			jobDir = filepath.Dir(*out)
		}
		if src.FilesRoot, err = relativeTo(jobDir, src.FilesRoot); err != nil {
			return fmt.Errorf("init: %w", err)
		}
	}
	draft, err := jobs.DraftJob(jobs.Entity(*entity), src)
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	for _, n := range src.Notes {
		fmt.Fprintf(env.Stderr, "pdbulk: %s\n", n)
	}
	fmt.Fprintf(env.Stderr, "pdbulk: %s: header on row %d, %d columns; %d data rows sampled for types and formats\n",
		filepath.Base(pos[0]), max(src.HeaderRow, 1), len(src.Header), len(src.Rows))
	if *out == "" {
		_, err = env.Stdout.Write(draft)
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return usageError("init: %s exists already; pdbulk never overwrites a job file: give -o a new name", *out)
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
	fmt.Fprintf(env.Stderr, "pdbulk: wrote %s; check its mapping, then: pdbulk validate %s\n", *out, *out)
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
