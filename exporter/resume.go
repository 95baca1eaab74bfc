package exporter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/sheet"
)

// progress is where a running export stands, saved in the checkpoint (jobs.State's
// export progress, bound to the account like the rest) every CheckpointEvery and at the end
// of each list and sheet, after the rows written so far were synced to the temporary file:
// so it never names a row that is not on disk. An interrupted run leaves it with the
// temporary file; the next run of the same job cuts the file to Size, reads the list on
// from the position At (pages planned around At.Pos, every record up to At.Last dropped as
// already written, pages read again from earlier on if records were deleted meanwhile),
// and renames the file into place only when complete. The entry is removed once the file
// is in place, and by --restart.
type progress struct {
	Version     int                  `json:"version"`
	Fingerprint string               `json:"fingerprint"` // of the job's export settings: a changed job starts over
	Path        string               `json:"path"`        // the target, {date} expanded when the run began
	Sheet       int                  `json:"sheet"`       // index of the sheet being written
	Begun       bool                 `json:"begun"`       // its header is written
	Done        []int                `json:"done"`        // records of each sheet before it
	Op          int                  `json:"op"`          // index of the list read for the sheet (active, archived)
	At          position             `json:"at"`          // where the read of that list stands
	Records     int                  `json:"records"`     // records of the sheet written
	Next        bookmark             `json:"next"`        // the bookmark an incremental run saves at its end
	Requests    int64                `json:"requests"`
	Repairs     int64                `json:"repairs"`
	CSV         *sheet.CSVCheckpoint `json:"csv,omitempty"`
	Spool       *spoolCheckpoint     `json:"spool,omitempty"`
}

const progressVersion = 1

// fingerprint identifies the settings of an export job that decide its file.
func fingerprint(j *jobs.Job) string {
	x := j.Export
	h := sha256.New()
	fmt.Fprintf(h, "%#v|%#v|%s|%v|%v|%q", x.Target, x.Sheets, x.TimeZone, x.Incremental, x.Lookback, x.Download)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// checkpointer saves the export's progress.
type checkpointer struct {
	o     *Options
	out   *output
	prog  *progress
	saved bool // the checkpoint holds a progress entry for the run's temporary file
	last  time.Time
	lists *listLengths
}

// save makes the rows written durable and saves the progress, at most every
// CheckpointEvery unless force. An export that downloads files is not continued (its
// downloads resume by themselves) and saves nothing.
func (c *checkpointer) save(ctx context.Context, res *Result, force bool) error {
	if c.o.Job.Export.Download != "" {
		return nil
	}
	if !force && c.o.CheckpointEvery > 0 && time.Since(c.last) < c.o.CheckpointEvery {
		return nil
	}
	if err := c.out.checkpoint(c.prog); err != nil {
		return fmt.Errorf("exporter: checkpoint: %w", err)
	}
	c.prog.Requests, c.prog.Repairs = res.Requests, res.Repairs
	b, err := json.Marshal(c.prog)
	if err == nil {
		err = c.o.State.SetExportProgress(context.WithoutCancel(ctx), c.o.Job.Name, string(b))
	}
	if err != nil {
		return fmt.Errorf("exporter: checkpoint: %w", err)
	}
	c.saved, c.last = true, time.Now()
	return nil
}

// loadProgress returns the progress an interrupted run of the job left, or nil. The
// progress of a job whose settings changed since is forgotten, its files removed.
func (o *Options) loadProgress(ctx context.Context) (*progress, error) {
	j := o.Job
	v, ok, err := o.State.ExportProgress(ctx, j.Name)
	if err != nil {
		return nil, fmt.Errorf("exporter: %w", err)
	}
	if !ok {
		return nil, nil
	}
	var p progress
	err = json.Unmarshal([]byte(v), &p)
	if err == nil && (p.Version != progressVersion || p.Fingerprint != fingerprint(j)) {
		err = errors.New("the job changed since")
	}
	if err == nil && (p.Sheet < 0 || p.Sheet > len(j.Export.Sheets) || len(p.Done) != p.Sheet || p.Op < 0 || p.Path == "" ||
		(j.Export.Target.Format == "xlsx") != (p.Spool != nil) || p.CSV != nil && p.Spool != nil) {
		err = errors.New("it does not describe this job's output")
	}
	if err != nil {
		o.Logf("the position of the interrupted run is not usable (%v): starting over", err)
		o.forget(ctx, &p)
		if err := o.State.DeleteExportProgress(context.WithoutCancel(ctx), j.Name); err != nil {
			return nil, fmt.Errorf("exporter: %w", err)
		}
		return nil, nil
	}
	return &p, nil
}

// forget removes the temporary files of progress p (only files of its target's, in its
// folder).
func (o *Options) forget(_ context.Context, p *progress) {
	if p.Path == "" {
		return
	}
	var temps []string
	if p.CSV != nil {
		temps = append(temps, p.CSV.Temp)
	}
	if p.Spool != nil {
		temps = append(temps, p.Spool.Temp)
	}
	for _, t := range temps {
		if filepath.Dir(t) == filepath.Dir(p.Path) && strings.HasPrefix(filepath.Base(t), "."+filepath.Base(p.Path)+".") {
			os.Remove(t)
		}
	}
}

// Forget forgets where an interrupted run of export job j stood and removes its temporary
// file, so that the next run starts from the beginning (pdbulk run --restart). It reports
// whether there was such a run.
func Forget(ctx context.Context, st *jobs.State, j *jobs.Job) (bool, error) {
	v, ok, err := st.ExportProgress(ctx, j.Name)
	if err != nil || !ok {
		return false, err
	}
	var p progress
	if json.Unmarshal([]byte(v), &p) == nil {
		(&Options{Job: j}).forget(ctx, &p)
	}
	return true, st.DeleteExportProgress(ctx, j.Name)
}
