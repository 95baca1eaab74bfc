package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/importer"
)

// TestProgressShowsUploads: the progress line of a files job says how many of its files are
// finished, how many bytes of how many, how many uploads are under way and how many files
// were found already attached; a job that uploads nothing says none of it.
func TestProgressShowsUploads(t *testing.T) {
	var stats importer.Stats
	stats.Started = time.Now().Add(-2 * time.Second)
	stats.Total.Store(10)
	var out bytes.Buffer
	d := &display{w: &out, mode: progressLines, stats: &stats, job: "contracts", noun: "rows"}
	d.draw(stats.Snapshot())
	if strings.Contains(out.String(), "files") {
		t.Fatalf("a job with no upload shows files: %q", out.String())
	}

	u := &stats.Uploads
	u.FilesTotal.Store(10)
	u.BytesTotal.Store(10 << 20)
	u.Uploaded.Store(3)
	u.BytesSent.Store(3 << 20)
	u.Attached.Store(2)
	u.BytesAttached.Store(2 << 20)
	u.Uploading.Store(4)
	out.Reset()
	d.draw(stats.Snapshot())
	for _, want := range []string{"5/10 files", "5.0 MiB/10.0 MiB", "4 uploading", "2 already attached", "MiB/s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("progress line %q lacks %q", out.String(), want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 500 << 20: "500.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
