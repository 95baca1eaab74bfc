package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/sheet"
)

// The columns pdbulk adds to the original row in its reports.
const (
	reportRowColumn    = "pdbulk_row"    // the row's number in the source file
	reportStatusColumn = "pdbulk_status" // created, updated, deleted, archived
	reportIDColumn     = "pipedrive_id"
	reportErrorColumn  = "pdbulk_error" // why the row was rejected
)

// writeReports writes the success and reject reports from the checkpoint: the source is
// read again and every row recorded done or rejected is written with its outcome. Because
// they come from the checkpoint, the reports agree with it after any interruption, and a
// resumed run's reports cover the rows of every earlier run too.
func (r *run) writeReports() (err error) {
	rows, err := r.state.Rows(context.Background())
	if err != nil {
		return fmt.Errorf("importer: reports: %w", err)
	}
	src, err := sheet.Open(r.job.Source.Path, r.readOptions(false))
	if err != nil {
		return fmt.Errorf("importer: reports: %w", err)
	}
	defer src.Close()
	header := src.Header()
	okw, err := createReport(r.job.Reports.Success, append(append([]string{}, header...), reportRowColumn, reportStatusColumn, reportIDColumn))
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = okw.Abort()
		}
	}()
	badw, err := createReport(r.job.Reports.Rejects, append(append([]string{}, header...), reportRowColumn, reportErrorColumn))
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = badw.Abort()
		}
	}()
	for {
		row, rerr := src.Next()
		if rerr == io.EOF {
			break
		}
		var rowErr *sheet.RowError
		if rerr != nil && !errors.As(rerr, &rowErr) {
			return fmt.Errorf("importer: reports: %w", rerr)
		}
		st, ok := rows[row.Num]
		if !ok {
			continue
		}
		cells := row.Texts()
		if f, ok := r.fixed[row.Num]; ok {
			cells = f // this run read the row from the reject report, as the user fixed it
		}
		cells = fit(cells, len(header))
		num := fmt.Sprint(row.Num)
		switch st.Status {
		case jobs.StatusDone:
			err = okw.Write(append(cells, num, st.Action, st.RemoteID))
		case jobs.StatusRejected:
			err = badw.Write(append(cells, num, st.Reason))
		}
		if err != nil {
			return fmt.Errorf("importer: reports: %w", err)
		}
	}
	if err = okw.Close(); err != nil {
		return fmt.Errorf("importer: reports: %w", err)
	}
	if err = badw.Close(); err != nil {
		return fmt.Errorf("importer: reports: %w", err)
	}
	return nil
}

func createReport(path string, header []string) (sheet.Writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("importer: reports: %w", err)
	}
	w, err := sheet.Create(path, header)
	if err != nil {
		return nil, fmt.Errorf("importer: reports: %w", err)
	}
	return w, nil
}

// fit pads or cuts a row's texts to n cells, so the added columns line up.
func fit(cells []string, n int) []string {
	out := make([]string, n, n+3)
	copy(out, cells)
	return out
}
