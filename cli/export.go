package cli

import (
	"errors"
	"fmt"

	"github.com/pdbulk/pdbulk/exporter"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
)

// runExport runs one export job and returns the exit code its outcome calls for. A first
// Ctrl-C stops it (nothing is written at the target; the same command goes on from where it
// stopped, --restart starts it over).
func runExport(env Env, o runOptions, conn *connection, j *jobs.Job) (int, error) {
	if o.dryRun {
		fmt.Fprintf(env.Stderr, "plan: %s", exporter.Plan(j, conn.pacer.Stats().Limit))
		return ExitOK, nil
	}
	if conn.client == nil {
		return ExitUsage, usageError("export %s: no connection", j.Name)
	}
	if o.restart {
		forgot, err := exporter.Forget(env.Stop, conn.state, j)
		if err != nil {
			return ExitFatal, err
		}
		if forgot {
			fmt.Fprintf(env.Stderr, "pdbulk: %s: --restart: the interrupted run's rows are discarded; the export starts from the beginning\n", j.Name)
		}
	}
	if o.restart && j.Export.Incremental {
		if err := conn.state.DeleteBookmark(env.Stop, j.Name); err != nil {
			return ExitFatal, err
		}
		fmt.Fprintf(env.Stderr, "pdbulk: %s: --restart: the bookmark is forgotten; every lead is exported\n", j.Name)
	}
	res, err := exporter.Run(env.Stop, exporter.Options{
		Job: j, Client: conn.client, State: conn.state, Concurrency: o.concurrency,
		Logf: func(format string, args ...any) {
			if !o.jsonOut {
				fmt.Fprintf(env.Stderr, "pdbulk: %s: "+format+"\n", append([]any{j.Name}, args...)...)
			}
		},
	})
	var te *pipedrive.TransportError
	var ae *pipedrive.APIError
	switch {
	case err == nil:
	case inMemorySandbox(o) && (env.Stop.Err() != nil || env.Abort != nil && env.Abort.Err() != nil):
		fmt.Fprintf(env.Stderr, "pdbulk: %s: interrupted; nothing was written at the target; %s\n", j.Name, inMemoryAdvice)
		return ExitResumable, nil
	case env.Abort != nil && env.Abort.Err() != nil:
		fmt.Fprintf(env.Stderr, "pdbulk: %s: aborted; nothing was written at the target yet: run the same command again to continue where it stopped\n", j.Name)
		return ExitInterrupted, nil
	case env.Stop.Err() != nil:
		fmt.Fprintf(env.Stderr, "pdbulk: %s: interrupted; nothing was written at the target yet: run the same command again to continue where it stopped (--restart starts over)\n", j.Name)
		return ExitResumable, nil
	case errors.Is(err, ratelimit.ErrBudgetExhausted):
		fmt.Fprintf(env.Stderr, "pdbulk: %s: stopped: the daily token budget is spent; nothing was written at the target yet: run the same command again when it refills to continue where it stopped\n", j.Name)
		return ExitResumable, nil
	case res == nil && (errors.As(err, &te) || errors.As(err, &ae) && (ae.Status == 429 || ae.Status >= 500)):
		// Pipedrive out of reach, as for an import: resumable.
		fmt.Fprintf(env.Stderr, "pdbulk: %s: stopped: %v; nothing was written at the target yet: run the same command again later to continue where it stopped\n", j.Name, err)
		return ExitResumable, nil
	case res != nil:
		// The file is written; what followed (downloads, the bookmark) failed.
		return ExitFatal, &ExitError{Code: ExitFatal, Err: fmt.Errorf("export %s: wrote %s, then: %w", j.Name, res.Path, err)}
	default:
		return ExitFatal, &ExitError{Code: ExitFatal, Err: fmt.Errorf("export %s: %w; nothing was written at the target", j.Name, err)}
	}
	total := 0
	for _, s := range res.Sheets {
		total += s.Records
	}
	since := ""
	if res.Since != "" {
		since = fmt.Sprintf(", updated since %s", res.Since)
	}
	if res.Resumed > 0 {
		since += fmt.Sprintf(" (%d of them kept from the interrupted run)", res.Resumed)
	}
	fmt.Fprintf(env.Stderr, "pdbulk: %s: %d records%s written to %s (%d list requests, %d pages read again because the data shifted while it was read)\n",
		j.Name, total, since, res.Path, res.Requests, res.Repairs)
	if j.Export.Download != "" {
		fmt.Fprintf(env.Stderr, "pdbulk: %s: %d files downloaded to %s, %d already there\n", j.Name, res.Downloaded, j.Export.Download, res.Skipped)
	}
	return ExitOK, nil
}
