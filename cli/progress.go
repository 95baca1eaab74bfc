package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/pdbulk/pdbulk/importer"
)

// progressMode is how progress is shown on stderr.
type progressMode int

const (
	progressLines progressMode = iota // a plain line every few seconds (not a terminal)
	progressBar                       // a bar with rows/s and ETA (a terminal)
	progressJSON                      // one JSON event per tick (--json)
)

func chooseProgress(w io.Writer, jsonOut bool) progressMode {
	if jsonOut {
		return progressJSON
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return progressBar
	}
	return progressLines
}

// display draws a run's progress from one goroutine on a ticker until stopped.
type display struct {
	w        io.Writer
	mode     progressMode
	stats    *importer.Stats
	job      string
	interval time.Duration
	// base is the rows the checkpoint had settled before this run (a resume): the bar starts
	// there, before the run has read past them.
	base int64
	// noun names the counted things ("rows", "records").
	noun string

	done chan struct{}
	wg   sync.WaitGroup
	bar  *progressbar.ProgressBar
}

func startDisplay(w io.Writer, mode progressMode, job string, stats *importer.Stats) *display {
	return startDisplayFrom(w, mode, job, stats, 0, "rows")
}

// startDisplayFrom is startDisplay for a run that resumes after base settled rows, counting
// noun ("rows", or "records" for undo).
func startDisplayFrom(w io.Writer, mode progressMode, job string, stats *importer.Stats, base int64, noun string) *display {
	d := &display{w: w, mode: mode, stats: stats, job: job, done: make(chan struct{}), base: base, noun: noun}
	d.interval = 5 * time.Second
	if mode == progressBar {
		d.interval = 200 * time.Millisecond
	}
	d.wg.Add(1)
	go d.loop()
	return d
}

func (d *display) loop() {
	defer d.wg.Done()
	t := time.NewTicker(d.interval)
	defer t.Stop()
	if d.mode == progressBar {
		d.draw(d.stats.Snapshot()) // the bar and its counts from the start
	}
	for {
		select {
		case <-d.done:
			return
		case <-t.C:
			d.draw(d.stats.Snapshot())
		}
	}
}

// counts is the part of a progress line after the bar: this run's rate (the rows it sent
// itself, not those an earlier run settled), the time left at that rate, and the outcomes.
func (d *display) counts(s importer.Snapshot) string {
	line := fmt.Sprintf("%.1f %s/s", s.Rate(), d.noun)
	if eta, ok := s.ETA(); ok {
		line += fmt.Sprintf(", ETA %s", eta.Round(time.Second))
	}
	line += fmt.Sprintf(" | done %d, rejected %d, in doubt %d", s.Done(), s.Rejected, s.InDoubt)
	if up := d.uploads(s); up != "" {
		line += " | " + up
	}
	if pace := s.Pace(); pace != "" {
		line += " | " + pace
	}
	return line
}

// uploads is a files job's part of a progress line: the files finished of those the job
// names, their bytes, the byte rate of this run, the uploads under way and the files found
// already attached; "" for a job that uploads nothing.
func (d *display) uploads(s importer.Snapshot) string {
	u := d.stats.Uploads.Snapshot()
	if u.FilesTotal == 0 && u.BytesSent == 0 {
		return ""
	}
	line := fmt.Sprintf("%d/%d files, %s/%s", u.Uploaded+u.Attached, u.FilesTotal,
		formatBytes(u.BytesSent+u.BytesAttached), formatBytes(u.BytesTotal))
	if secs := s.Elapsed.Seconds(); secs > 0 {
		line += fmt.Sprintf(", %s/s", formatBytes(int64(float64(u.BytesSent)/secs)))
	}
	line += fmt.Sprintf(", %d uploading", u.Uploading)
	if u.Attached > 0 {
		line += fmt.Sprintf(", %d already attached", u.Attached)
	}
	return line
}

// formatBytes writes n bytes in the largest binary unit that keeps it at least 1.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGT"[i])
}

func (d *display) draw(s importer.Snapshot) {
	finished := max(s.Finished(), d.base)
	switch d.mode {
	case progressBar:
		if d.bar == nil && s.Total > 0 {
			// The bar's own rate and ETA would count the rows an earlier run settled: ours
			// are in its description.
			d.bar = progressbar.NewOptions64(s.Total,
				progressbar.OptionSetWriter(d.w),
				progressbar.OptionSetDescription(d.job),
				progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(false),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
		}
		if d.bar == nil {
			fmt.Fprintf(d.w, "\r%s: %d %s | %s", d.job, finished, d.noun, d.counts(s))
			return
		}
		d.bar.Describe(d.job + " " + d.counts(s))
		_ = d.bar.Set64(finished)
	case progressJSON:
		ev := statsFields(s)
		ev["job"] = d.job
		writeEvent(d.w, eventProgress, ev)
	default:
		line := fmt.Sprintf("pdbulk: %s: %d %s finished", d.job, finished, d.noun)
		if s.Total > 0 {
			line = fmt.Sprintf("pdbulk: %s: %d/%d %s (%.0f%%)", d.job, finished, s.Total, d.noun, 100*float64(finished)/float64(s.Total))
		}
		fmt.Fprintf(d.w, "%s, %s, %d requests\n", line, d.counts(s), s.Requests)
	}
}

// stop ends the display and returns after its goroutine has ended.
func (d *display) stop() {
	close(d.done)
	d.wg.Wait()
	if d.bar != nil {
		_ = d.bar.Finish()
		fmt.Fprintln(d.w)
	}
}
