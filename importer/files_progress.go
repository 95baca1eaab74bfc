package importer

import (
	"errors"
	"io"
	"strconv"
	"sync/atomic"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/sheet"
)

// UploadStats counts the files and bytes of a files job's uploads, for a progress display
// (Stats.Uploads). Safe for concurrent use.
type UploadStats struct {
	// FilesTotal and BytesTotal are the files the job's rows name and their sizes on disk,
	// counted when the first row of the run is processed (0 until then, and for a job
	// whose rows are not uploads). Files that are missing or refused count as 0 bytes.
	FilesTotal atomic.Int64
	BytesTotal atomic.Int64
	// Uploading is the number of uploads under way; BytesSent the bytes of files taken by
	// the transport in this run (an attempt that is repeated is taken back first).
	Uploading atomic.Int64
	BytesSent atomic.Int64
	// Uploaded counts the files uploaded in this run; Attached the rows found already
	// attached (mode upsert), with their bytes in BytesAttached.
	Uploaded      atomic.Int64
	Attached      atomic.Int64
	BytesAttached atomic.Int64
}

// UploadSnapshot is a plain copy of UploadStats.
type UploadSnapshot struct {
	FilesTotal, BytesTotal, Uploading, BytesSent, Uploaded, Attached, BytesAttached int64
}

// Snapshot returns the current counts.
func (u *UploadStats) Snapshot() UploadSnapshot {
	return UploadSnapshot{
		FilesTotal: u.FilesTotal.Load(), BytesTotal: u.BytesTotal.Load(), Uploading: u.Uploading.Load(),
		BytesSent: u.BytesSent.Load(), Uploaded: u.Uploaded.Load(), Attached: u.Attached.Load(),
		BytesAttached: u.BytesAttached.Load(),
	}
}

// countUploads sums the files a files job's source names, and their sizes: the "size"
// column of a folder source, or the size on disk of each path of a manifest (inside the
// files root only; a path refused there counts 0 bytes). It reads the source once more,
// row by row.
func countUploads(j *jobs.Job, path string, o sheet.Options, u *UploadStats) error {
	f, ok := fieldFor(j.Mapping, "file")
	if !ok || f.HasValue {
		return nil
	}
	rd, err := sheet.Open(path, o)
	if err != nil {
		return err
	}
	defer rd.Close()
	header := rd.Header()
	col, sizeCol := indexOf(header, f.Column), -1
	if j.Source.Folder != nil && f.Column == sheet.FolderPath {
		sizeCol = indexOf(header, sheet.FolderSize)
	}
	if col < 0 {
		return nil
	}
	var files, bytes int64
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var rowErr *sheet.RowError
		if err != nil && !errors.As(err, &rowErr) {
			return err
		}
		files++
		if sizeCol >= 0 {
			n, _ := strconv.ParseInt(cellText(row, sizeCol), 10, 64)
			bytes += n
			continue
		}
		if p, err := j.ResolveFile(cellText(row, col)); err == nil {
			if st, err := statSize(p); err == nil {
				bytes += st
			}
		}
	}
	u.FilesTotal.Store(files)
	u.BytesTotal.Store(bytes)
	return nil
}
