package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pdbulk/pdbulk/exporter"
	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
)

func statusCmd(env Env, pos []string, statePath, sandboxData string) error {
	if len(pos) != 1 {
		return usageError("status: give one job file")
	}
	list, err := loadJobs(env, pos)
	if err != nil {
		return err
	}
	j := list[0]
	path := statePath
	if path == "" && sandboxData != "" {
		path = sandboxStatePath(sandboxData)
	}
	if path == "" {
		path = jobs.DefaultStatePath(j)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		// No checkpoint at all: say so without creating one (status only reads).
		neverRun(env, j)
		if statePath == "" && sandboxData == "" {
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
	if j.Kind == jobs.KindExport {
		fmt.Fprintf(env.Stdout, "%s: never run. A run will %s.\n", j.Name, exportPlan(j))
		return
	}
	fmt.Fprintf(env.Stdout, "%s: never run. A run will send every row of %s.\n", j.Name, j.Source.Path)
}

func printStatus(ctx context.Context, env Env, j *jobs.Job, st *jobs.State) error {
	if j.Kind == jobs.KindExport {
		return printExportStatus(ctx, env, j, st)
	}
	w := env.Stdout
	accts, err := st.JobAccounts(ctx, j.Name)
	if err != nil {
		return err
	}
	if len(accts) == 0 {
		neverRun(env, j)
		return nil
	}
	fmt.Fprintf(w, "job:       %s (%s %s)\n", j.Name, j.Mode, j.Entity)
	fmt.Fprintf(w, "source:    %s\n", j.Source.Path)
	for i, a := range accts {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := printAccountStatus(ctx, w, j, st, a); err != nil {
			return err
		}
	}
	return nil
}

// printAccountStatus prints what the checkpoint holds of job j in account a.
func printAccountStatus(ctx context.Context, w io.Writer, j *jobs.Job, st *jobs.State, a jobs.Account) error {
	fmt.Fprintf(w, "account:   %s\n", a)
	if holder, running := st.Running(a, j.Name); running {
		fmt.Fprintf(w, "running:   now (%s)\n", holder)
	}
	created, undone, undoneAt, err := st.UndoneIn(ctx, a, j.Name)
	if err != nil {
		return err
	}
	if created > 0 {
		fmt.Fprintf(w, "created:   %d records in this account, %d of them removed by undo\n", created, undone)
	}
	if undone > 0 {
		fmt.Fprintf(w, "undone:    %d records deleted by `pdbulk undo`, the last at %s; their rows count as pending again (a run would create them anew)\n",
			undone, undoneAt.Local().Format("2006-01-02 15:04:05"))
	}
	if t, ok, err := importer.FirstWriteIn(ctx, st, a, j.Name); err == nil && ok {
		fmt.Fprintf(w, "first write: %s\n", t.Local().Format("2006-01-02 15:04:05"))
	}
	sum, ok, err := st.JobIn(ctx, a, j.Name)
	if err != nil {
		return err
	}
	if !ok {
		fmt.Fprintf(w, "progress:  none recorded in this account (the job's progress was moved to another account with --restart)\n")
		return nil
	}
	fmt.Fprintf(w, "last run:  started %s, last change %s\n", sum.StartedAt.Local().Format("2006-01-02 15:04:05"), sum.UpdatedAt.Local().Format("2006-01-02 15:04:05"))
	fmt.Fprintf(w, "rows:      %d\n", sum.Total)
	fmt.Fprintf(w, "done:      %d\n", sum.Done)
	fmt.Fprintf(w, "rejected:  %d (see %s)\n", sum.Rejected, j.Reports.Rejects)
	fmt.Fprintf(w, "in doubt:  %d (a write was sent and its answer not recorded)\n", sum.InFlight)
	fmt.Fprintf(w, "pending:   %d (not sent yet, rows not read yet included)\n", sum.Pending)

	var fp string
	if st, serr := os.Stat(j.Source.Path); serr == nil && !st.Mode().IsRegular() && !st.IsDir() { // a folder source is listed by Fingerprint
		// A pipe or a device is read once, by the run: it is compared with the checkpoint then.
		fp, err = sum.Fingerprint, nil
		fmt.Fprintf(w, "source:    %s is a pipe or a device: the next run reads it and compares it with the checkpoint\n", j.Source.Path)
	} else {
		fp, err = j.Fingerprint()
	}
	switch {
	case !a.Known():
		fmt.Fprintf(w, "next run:  refused: this progress was recorded before pdbulk recorded accounts, so it may be another account's; run with --state FILE for a checkpoint of its own, or --restart to start the job over\n")
	case err != nil:
		fmt.Fprintf(w, "next run:  the input cannot be read: %v\n", err)
	case fp != sum.Fingerprint:
		fmt.Fprintf(w, "next run:  refused: the job or its input changed since its checkpoint was written; %s\n", importer.RestartAdvice(j))
	case sum.InFlight+sum.Pending == 0:
		fmt.Fprintf(w, "next run:  nothing to do (rejected rows can be fixed in the reject report and re-run with --only-failed)\n")
	default:
		plan := importer.Estimate(j, sum.Pending+sum.InFlight)
		fmt.Fprintf(w, "next run:  looks up the %d in-doubt rows before sending anything for them, then sends the %d pending rows (about %d requests, %d tokens): run the same command again to resume\n",
			sum.InFlight, sum.Pending, plan.Requests, plan.Tokens)
	}
	if sum.Rejected > 0 {
		fmt.Fprintf(w, "%s\n", onlyFailedAdvice(j))
	}
	return nil
}

// exportPlan says what a run of export job j reads and writes: "read active leads and write
// them to out/leads-{date}.xlsx".
func exportPlan(j *jobs.Job) string {
	x := j.Export
	var what []string
	for _, s := range x.Sheets {
		d := s.String()
		if s.Entity == jobs.EntityLeads && s.Archived == "active" {
			d = "active " + d
		}
		if len(x.Sheets) > 1 {
			d = s.Name + ": " + d
		}
		what = append(what, d)
	}
	read := strings.Join(what, "; ")
	if len(x.Sheets) > 1 {
		read = fmt.Sprintf("%d sheets (%s)", len(x.Sheets), read)
	}
	out := fmt.Sprintf("read %s and write them to %s", read, x.Target.Path)
	if strings.Contains(x.Target.Path, "{") {
		out += " (its {date} taken when the run begins)"
	}
	if x.Incremental {
		out += "; incremental: the first run writes every lead, later ones the leads updated since the run before"
	}
	return out
}

// printExportStatus prints what the checkpoint holds of export job j, per account.
func printExportStatus(ctx context.Context, env Env, j *jobs.Job, st *jobs.State) error {
	w := env.Stdout
	accts, err := st.ExportAccounts(ctx, j.Name)
	if err != nil {
		return err
	}
	if len(accts) == 0 {
		neverRun(env, j)
		return nil
	}
	fmt.Fprintf(w, "job:       %s (export)\n", j.Name)
	fmt.Fprintf(w, "export:    a run will %s\n", exportPlan(j))
	for i, a := range accts {
		if i > 0 {
			fmt.Fprintln(w)
		}
		s, err := exporter.StatusIn(ctx, st, a, j)
		if err != nil {
			return err
		}
		printExportAccount(w, j, st, a, s)
	}
	return nil
}

// printExportAccount prints export status s of job j in account a.
func printExportAccount(w io.Writer, j *jobs.Job, st *jobs.State, a jobs.Account, s *exporter.Status) {
	const at = "2006-01-02 15:04:05"
	fmt.Fprintf(w, "account:   %s\n", a)
	holder, running := st.Running(a, j.Name)
	if running {
		fmt.Fprintf(w, "running:   now (%s)\n", holder)
	}
	switch l := s.Last; {
	case l != nil:
		since := ""
		if l.Since != "" {
			since = fmt.Sprintf(" (leads updated since %s)", l.Since)
		}
		requests := "list requests"
		if l.Requests == 1 {
			requests = "list request"
		}
		fmt.Fprintf(w, "last run:  finished %s: %d records%s written to %s (%d %s)\n",
			l.Finished.Local().Format(at), l.Records(), since, l.Path, l.Requests, requests)
		if len(l.Sheets) > 1 {
			var parts []string
			for _, sh := range l.Sheets {
				parts = append(parts, fmt.Sprintf("%s %d", sh.Name, sh.Records))
			}
			fmt.Fprintf(w, "sheets:    %s\n", strings.Join(parts, ", "))
		}
	case len(s.Lists) > 0 || s.Bookmark != nil:
		fmt.Fprintf(w, "last run:  finished; its file and records were not recorded (a pdbulk before status read exports)\n")
	default:
		fmt.Fprintf(w, "last run:  none finished\n")
	}
	if p := s.Stopped; p != nil {
		how := "stopped part-way"
		if running {
			how = "running"
		}
		fmt.Fprintf(w, "part-way:  %s, position saved %s: %d records are in the temporary file of %s\n",
			how, p.Saved.Local().Format(at), p.Records, p.Path)
		switch {
		case p.Stale != "":
			fmt.Fprintf(w, "next run:  starts over (%s): the temporary file is discarded\n", p.Stale)
		case p.After != "":
			fmt.Fprintf(w, "next run:  goes on with sheet %s, reading %s after %s (--restart starts over)\n", p.Sheet, p.List, p.After)
		case p.Sheet != "":
			fmt.Fprintf(w, "next run:  goes on with sheet %s from its beginning (--restart starts over)\n", p.Sheet)
		default:
			fmt.Fprintf(w, "next run:  every sheet is in: it writes the file from the temporary one (--restart starts over)\n")
		}
	}
	if j.Export.Incremental {
		if b := s.Bookmark; b != nil && b.Stale != "" {
			fmt.Fprintf(w, "bookmark:  update_time %s, saved %s, but %s: the next run reads every lead of the job's query\n",
				b.UpdateTime, b.Saved.Local().Format(at), b.Stale)
		} else if b != nil {
			fmt.Fprintf(w, "bookmark:  update_time %s (%d leads written at that very time, saved %s): the next run reads the leads updated since then",
				b.UpdateTime, b.IDs, b.Saved.Local().Format(at))
			if lb := j.Export.Lookback; lb > 0 {
				fmt.Fprintf(w, ", and %s before it (lookback)", lb)
			}
			fmt.Fprintln(w)
		} else {
			fmt.Fprintf(w, "bookmark:  none: the next run writes every lead\n")
		}
	}
	for _, l := range s.Lists {
		fmt.Fprintf(w, "list:      %s: %d records when last read to its end (the next run asks for their pages at once)\n", l.List, l.Records)
	}
	switch {
	case s.Stopped != nil || running:
	case j.Export.Incremental && s.Bookmark != nil:
		fmt.Fprintf(w, "next run:  a new file of the leads updated since the bookmark\n")
	default:
		fmt.Fprintf(w, "next run:  a new export from the beginning (no run is part-way)\n")
	}
}
