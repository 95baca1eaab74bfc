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

	done chan struct{}
	wg   sync.WaitGroup
	bar  *progressbar.ProgressBar
}

func startDisplay(w io.Writer, mode progressMode, job string, stats *importer.Stats) *display {
	d := &display{w: w, mode: mode, stats: stats, job: job, done: make(chan struct{})}
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
	for {
		select {
		case <-d.done:
			return
		case <-t.C:
			d.draw(d.stats.Snapshot())
		}
	}
}

func (d *display) draw(s importer.Snapshot) {
	switch d.mode {
	case progressBar:
		if d.bar == nil {
			max := s.Total
			if max <= 0 {
				max = -1
			}
			d.bar = progressbar.NewOptions64(max,
				progressbar.OptionSetWriter(d.w),
				progressbar.OptionSetDescription(d.job),
				progressbar.OptionShowCount(),
				progressbar.OptionShowIts(),
				progressbar.OptionSetItsString("rows"),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
		}
		_ = d.bar.Set64(s.Finished())
	case progressJSON:
		ev := statsFields(s)
		ev["job"] = d.job
		writeEvent(d.w, eventProgress, ev)
	default:
		rate := 0.0
		if secs := s.Elapsed.Seconds(); secs > 0 {
			rate = float64(s.Finished()) / secs
		}
		line := fmt.Sprintf("pdbulk: %s: %d rows finished", d.job, s.Finished())
		if s.Total > 0 {
			line = fmt.Sprintf("pdbulk: %s: %d/%d rows (%.0f%%)", d.job, s.Finished(), s.Total, 100*float64(s.Finished())/float64(s.Total))
			if rate > 0 && s.Finished() < s.Total {
				eta := time.Duration(float64(s.Total-s.Finished()) / rate * float64(time.Second))
				line += fmt.Sprintf(", ETA %s", eta.Round(time.Second))
			}
		}
		fmt.Fprintf(d.w, "%s, %.1f rows/s, %d rejected, %d requests\n", line, rate, s.Rejected, s.Requests)
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
