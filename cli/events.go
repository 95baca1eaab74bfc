package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
)

// The types of the events `--json` prints on stderr, one JSON object a line. docs/jobs.md
// lists the keys of each; every key is snake_case, times are in milliseconds, and lists are
// [] when empty, never null.
const (
	eventStart       = "start"        // a job begins
	eventProgress    = "progress"     // counters, every few seconds
	eventNotice      = "notice"       // anything said in words (what a plain run prints as a line)
	eventRowRejected = "row_rejected" // one of the first rejected rows of the run, before the summary
	eventBudget      = "budget"       // what the rows left will cost of the daily token budget
	eventSummary     = "summary"      // the outcome of a job
	eventUndoSummary = "undo_summary" // the outcome of an undo
	eventError       = "error"        // the error that ends pdbulk
)

// writeEvent writes one event of type typ with the keys of fields as one line of JSON.
func writeEvent(w io.Writer, typ string, fields map[string]any) {
	ev := make(map[string]any, len(fields)+1)
	for k, v := range fields {
		ev[k] = v
	}
	ev["type"] = typ
	b, err := json.Marshal(ev)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"type": eventNotice, "message": "event " + typ + ": " + err.Error()})
	}
	_, _ = w.Write(append(b, '\n'))
}

// jsonLines is the stderr of a --json run: every line written to it that is not a JSON
// object already becomes a notice event, so that whatever part of pdbulk prints a line, the
// stream stays one JSON object a line. Safe for concurrent use.
type jsonLines struct {
	mu      sync.Mutex
	w       io.Writer
	partial []byte
}

func newJSONLines(w io.Writer) *jsonLines { return &jsonLines{w: w} }

func (j *jsonLines) Write(p []byte) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.partial = append(j.partial, p...)
	for {
		i := bytes.IndexByte(j.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := j.partial[:i]
		j.partial = j.partial[i+1:]
		if err := j.line(line); err != nil {
			return len(p), err
		}
	}
}

func (j *jsonLines) line(line []byte) error {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 {
		return nil
	}
	if trimmed[0] == '{' && json.Valid(trimmed) {
		_, err := j.w.Write(append(append([]byte{}, trimmed...), '\n'))
		return err
	}
	msg := strings.TrimPrefix(string(trimmed), "pdbulk: ")
	b, _ := json.Marshal(map[string]any{"type": eventNotice, "message": msg})
	_, err := j.w.Write(append(b, '\n'))
	return err
}

// Flush writes a last line without a line ending.
func (j *jsonLines) Flush() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.partial) == 0 {
		return nil
	}
	line := j.partial
	j.partial = nil
	return j.line(line)
}

// jsonRequested reports whether the command line asks for --json, before it is parsed:
// the flag errors of such a command line are events too.
func jsonRequested(args []string) bool {
	for _, a := range args {
		switch strings.TrimLeft(a, "-") {
		case "json", "json=true", "json=1":
			if strings.HasPrefix(a, "-") {
				return true
			}
		}
		if a == "--" {
			return false
		}
	}
	return false
}

// redactor hides an API token in everything written through it, as typed and URL-encoded
// (a token may sit in the path of a base URL). Safe for concurrent use if w is.
type redactor struct {
	w     io.Writer
	olds  [][]byte
	token string
}

// minRedacted is the shortest token redacted: a shorter one would blank out ordinary text.
const minRedacted = 6

// redactedToken replaces a token in messages.
const redactedToken = "[token]"

func redactWriter(w io.Writer, token string) io.Writer {
	if len(token) < minRedacted {
		return w
	}
	r := &redactor{w: w, token: token}
	for _, s := range tokenForms(token) {
		r.olds = append(r.olds, []byte(s))
	}
	return r
}

func tokenForms(token string) []string {
	forms := []string{token}
	for _, f := range []string{url.PathEscape(token), url.QueryEscape(token)} {
		if f != token {
			forms = append(forms, f)
		}
	}
	return forms
}

func (r *redactor) Write(p []byte) (int, error) {
	out := p
	for _, old := range r.olds {
		if bytes.Contains(out, old) {
			out = bytes.ReplaceAll(out, old, []byte(redactedToken))
		}
	}
	if _, err := r.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// redactedError hides a token in an error's message; errors.Is and errors.As see through it.
type redactedError struct {
	err   error
	token string
}

func (e *redactedError) Error() string { return redact(e.err.Error(), e.token) }
func (e *redactedError) Unwrap() error { return e.err }

// redact hides token in s.
func redact(s, token string) string {
	if len(token) < minRedacted {
		return s
	}
	for _, f := range tokenForms(token) {
		s = strings.ReplaceAll(s, f, redactedToken)
	}
	return s
}

// redactErr hides token in err's message; nil stays nil.
func redactErr(err error, token string) error {
	if err == nil || len(token) < minRedacted {
		return err
	}
	return &redactedError{err: err, token: token}
}

// jsonError ends a --json command: it writes err as an error event and returns the exit
// code it carries, with nothing more to print.
func jsonError(w io.Writer, err error) error {
	if err == nil || errors.Is(err, pflag.ErrHelp) {
		return err
	}
	code := ExitFatal
	var ee *ExitError
	if errors.As(err, &ee) {
		code = ee.Code
		if ee.Err == nil {
			return err
		}
	}
	writeEvent(w, eventError, map[string]any{"message": strings.TrimPrefix(err.Error(), "pdbulk: "), "exit_code": code})
	return &ExitError{Code: code}
}

// startEvent is the start event of an import job.
func startEvent(j *jobs.Job, dryRun bool) map[string]any {
	return map[string]any{"job": j.Name, "kind": string(j.Kind), "entity": string(j.Entity), "mode": string(j.Mode),
		"source": j.Source.Path, "dry_run": dryRun}
}

// statsFields are the counters of a snapshot, for the progress and summary events.
func statsFields(s importer.Snapshot) map[string]any {
	m := map[string]any{
		"total": s.Total, "read": s.Read, "created": s.Created, "updated": s.Updated, "deleted": s.Deleted,
		"unchanged": s.Unchanged, "rejected": s.Rejected, "pending": s.Pending, "in_doubt": s.InDoubt,
		"reconciled": s.Reconciled, "requests": s.Requests, "tokens": s.Tokens, "valid": s.DryRunValid, "skipped": s.Skipped,
		"elapsed_ms": s.Elapsed.Milliseconds(),
	}
	if s.Concurrency > 0 {
		// The requests allowed in flight, and whether the gate or the user set them.
		m["concurrency"], m["peak_concurrency"], m["concurrency_pinned"] = s.Concurrency, s.PeakConcurrency, s.Pinned
		m["too_many_requests"] = s.TooMany
	}
	if share, ok := s.RateShare(); ok {
		m["rate_share"] = math.Round(share*1000) / 1000 // of the rate the server allows
	}
	return m
}

// summaryEvent is the summary event of an import job's result.
func summaryEvent(j *jobs.Job, res *importer.Result, dryRun bool) map[string]any {
	problems := make([]map[string]any, 0, len(res.Problems))
	for _, p := range res.Problems {
		problems = append(problems, map[string]any{"row": p.Row, "column": p.Column, "reason": p.Reason})
	}
	ev := map[string]any{
		"job": j.Name, "dry_run": dryRun, "stats": statsFields(res.Stats), "problems": problems,
		"plan": map[string]any{"rows": res.Plan.Rows, "requests": res.Plan.Requests, "searches": res.Plan.Searches,
			"tokens": res.Plan.Tokens},
		"reports": map[string]any{"success": j.Reports.Success, "rejects": j.Reports.Rejects},
	}
	if !res.FirstWrite.IsZero() {
		// Records added before it are never taken as the job's (undo refuses them).
		ev["first_write_at"] = res.FirstWrite.Format(time.RFC3339)
	}
	return ev
}
