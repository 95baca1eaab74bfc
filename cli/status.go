package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
)

func statusCmd(env Env, args []string) error {
	fs := newFlagSet(env, "status", "JOB.yaml [--state FILE | --sandbox-data DIR]")
	statePath := fs.String("state", "", "checkpoint database (default: .pdbulk/state.db beside the job file)")
	sandboxData := fs.String("sandbox-data", "", "the job ran with --sandbox --sandbox-data DIR: read the checkpoint kept in DIR")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("status: give one job file")
	}
	list, err := loadJobs(env, pos)
	if err != nil {
		return err
	}
	j := list[0]
	path := *statePath
	if path == "" && *sandboxData != "" {
		path = sandboxStatePath(*sandboxData)
	}
	if path == "" {
		path = jobs.DefaultStatePath(j)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		// No checkpoint at all: say so without creating one (status only reads).
		neverRun(env, j)
		if *statePath == "" && *sandboxData == "" {
			fmt.Fprintf(env.Stdout, "(no checkpoint at %s; a job run with --state FILE or --sandbox --sandbox-data DIR keeps it there: give status the same flag)\n", path)
		}
		return nil
	}
	st, err := jobs.OpenState(path)
	if err != nil {
		return err
	}
	defer st.Close()
	return printStatus(context.Background(), env, j, st)
}

func neverRun(env Env, j *jobs.Job) {
	fmt.Fprintf(env.Stdout, "%s: never run. A run will send every row of %s.\n", j.Name, j.Source.Path)
}

func printStatus(ctx context.Context, env Env, j *jobs.Job, st *jobs.State) error {
	w := env.Stdout
	sum, ok, err := st.Job(ctx, j.Name)
	if err != nil {
		return err
	}
	if !ok {
		neverRun(env, j)
		return nil
	}
	fmt.Fprintf(w, "job:       %s (%s %s)\n", j.Name, j.Mode, j.Entity)
	fmt.Fprintf(w, "source:    %s\n", j.Source.Path)
	fmt.Fprintf(w, "last run:  started %s, last change %s\n", sum.StartedAt.Local().Format("2006-01-02 15:04:05"), sum.UpdatedAt.Local().Format("2006-01-02 15:04:05"))
	fmt.Fprintf(w, "rows:      %d\n", sum.Total)
	fmt.Fprintf(w, "done:      %d\n", sum.Done)
	fmt.Fprintf(w, "rejected:  %d (see %s)\n", sum.Rejected, j.Reports.Rejects)
	fmt.Fprintf(w, "in doubt:  %d (a write was sent and its answer not recorded)\n", sum.InFlight)
	fmt.Fprintf(w, "pending:   %d\n", sum.Pending)

	fp, err := j.Fingerprint()
	switch {
	case err != nil:
		fmt.Fprintf(w, "next run:  the input cannot be read: %v\n", err)
	case fp != sum.Fingerprint:
		fmt.Fprintf(w, "next run:  refused: the job or its input changed since the checkpoint; `pdbulk run --restart` starts over\n")
	case sum.InFlight+sum.Pending == 0:
		fmt.Fprintf(w, "next run:  nothing to do (rejected rows can be fixed in the reject report and re-run with --only-failed)\n")
	default:
		plan := importer.Estimate(j, sum.Pending+sum.InFlight)
		fmt.Fprintf(w, "next run:  looks up the %d in-doubt rows before sending anything for them, then sends the %d pending rows (about %d requests, %d tokens)\n",
			sum.InFlight, sum.Pending, plan.Requests, plan.Tokens)
	}
	return nil
}

func undoCmd(env Env, args []string) error {
	var o runOptions
	fs := newFlagSet(env, "undo", "JOB.yaml [flags]")
	o.register(fs, true)
	fs.StringVar(&o.statePath, "state", "", "checkpoint database (default: .pdbulk/state.db beside the job file)")
	fs.IntVar(&o.concurrency, "concurrency", 0, "parallel requests (default: the job's options.concurrency)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("undo: give one job file")
	}
	o.jobFiles = pos
	list, err := loadJobs(env, pos)
	if err != nil {
		return err
	}
	conn, err := connect(env, o, list)
	if err != nil {
		return err
	}
	defer conn.close()
	j := list[0]
	res, err := importer.Undo(env.Stop, j, conn.client, conn.state, o.concurrency)
	if res != nil {
		fmt.Fprintf(env.Stderr, "pdbulk: undo %s: %d records created by the job: %d deleted now, %d deleted by an earlier undo, %d already gone, %d failed\n",
			j.Name, res.Created, res.Deleted, res.AlreadyDone, res.Gone, res.Failed)
		for _, p := range res.Problems {
			fmt.Fprintf(env.Stderr, "  %s\n", p)
		}
	}
	if err != nil {
		return err
	}
	switch {
	case res.Stopped != nil && errors.Is(res.Stopped, context.Canceled):
		fmt.Fprintf(env.Stderr, "pdbulk: undo interrupted; run it again to finish\n")
		return &ExitError{Code: ExitResumable}
	case res.Stopped != nil:
		fmt.Fprintf(env.Stderr, "pdbulk: undo stopped: %v; run it again to finish\n", res.Stopped)
		return &ExitError{Code: ExitResumable}
	case res.Failed > 0:
		return &ExitError{Code: ExitRejected}
	}
	return nil
}
