package exporter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"golang.org/x/sync/errgroup"
)

// download streams the contents of files into the job's download folder, concurrently.
// Each file is written as "<id>-<name>" (the id makes names unique; the name is sanitized so
// that it can never choose a path outside the folder), under a temporary name renamed into
// place when complete. A file already there with the size the API reports is skipped, so
// an interrupted download resumes by running the export again.
func (o *Options) download(ctx context.Context, files []record, res *Result) error {
	dir := o.Job.Export.Download
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("exporter: download folder: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Concurrency)
	done := make(chan bool, len(files))
	for _, f := range files {
		g.Go(func() error {
			id := scalarText(f["id"])
			name := localName(id, scalarText(f["file_name"]))
			path := filepath.Join(dir, name)
			if filepath.Dir(path) != filepath.Clean(dir) {
				return fmt.Errorf("exporter: file %s: name %q leaves the download folder", id, name)
			}
			if st, err := os.Stat(path); err == nil && fmt.Sprint(st.Size()) == scalarText(f["file_size"]) {
				done <- false
				return nil
			}
			tmp, err := os.CreateTemp(dir, "."+name+".*.part")
			if err != nil {
				return fmt.Errorf("exporter: download file %s: %w", id, err)
			}
			_, _, err = o.Client.DownloadFile(gctx, atoi(id), tmp)
			err = errors.Join(err, tmp.Sync(), tmp.Close())
			if err == nil {
				err = os.Rename(tmp.Name(), path)
			}
			if err != nil {
				os.Remove(tmp.Name())
				return fmt.Errorf("exporter: download file %s to %s: %w", id, path, err)
			}
			done <- true
			return nil
		})
	}
	err := g.Wait()
	close(done)
	for d := range done {
		if d {
			res.Downloaded++
		} else {
			res.Skipped++
		}
	}
	return err
}

// localName is a safe file name for file id named name by the API: no path separators,
// no leading dots, no control characters, at most 150 bytes, prefixed with the id.
func localName(id, name string) string {
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '\\' || r == ':' || r == 0 || unicode.IsControl(r):
			return '_'
		}
		return r
	}, filepath.Base(strings.ReplaceAll(name, "\\", "/")))
	name = strings.TrimLeft(name, ". ")
	if len(name) > 150 {
		ext := filepath.Ext(name)
		if len(ext) > 20 {
			ext = ""
		}
		name = strings.ToValidUTF8(name[:150-len(ext)], "") + ext
	}
	if name == "" {
		name = "file"
	}
	return id + "-" + name
}
