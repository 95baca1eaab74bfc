package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
)

// undoOptions are the flags of `pdbulk undo`.
type undoOptions struct {
	runOptions
	list bool // --dry-run: list what would be deleted, delete nothing
	yes  bool // --yes: do not ask
}

func undoCmd(env Env, o undoOptions) (err error) {
	if len(o.jobFiles) != 1 {
		return usageError("undo: give one job file")
	}
	if err := o.check(); err != nil {
		return err
	}
	list, err := loadJobs(env, o.jobFiles)
	if err != nil {
		return err
	}
	// The connection identifies the account (GET /users/me) even for --dry-run: undo
	// deletes, and lists, only what the job created in that account.
	conn, err := connect(env, o.runOptions, list)
	if err != nil {
		return interrupted(env, err, "connecting")
	}
	env.Stderr = redactWriter(env.Stderr, conn.token)
	defer func() {
		if cerr := conn.close(); cerr != nil && err == nil {
			err = cerr
		}
		err = redactErr(err, conn.token)
	}()
	j := list[0]
	if err := undoAccount(env.Stop, conn, j); err != nil {
		return err
	}
	acct := conn.state.Account()
	created, undone, _, err := conn.state.UndoneIn(env.Stop, acct, j.Name)
	if err != nil {
		return err
	}
	left := created - undone
	if o.list {
		return listUndo(env, conn, j, undone)
	}
	if left > 0 && !o.yes {
		if err := confirmUndo(env, j, left, accountName(acct)); err != nil {
			return err
		}
	}
	locks, err := lockJobs(env.Stop, env, conn, "undo", list, o.waitForLock)
	if err != nil {
		return err
	}
	defer func() {
		if uerr := locks.unlock(); uerr != nil && err == nil {
			err = uerr
		}
	}()
	stats := importer.NewStats(conn.pacer, false)
	disp := startDisplayFrom(env.Stderr, chooseProgress(env.Stderr, o.jsonOut), "undo "+j.Name, stats, int64(undone), "records")
	res, err := importer.UndoWith(env.Stop, importer.UndoOptions{
		Job: j, Client: conn.client, Pacer: conn.pacer, State: conn.state, Concurrency: o.concurrency, Stats: stats,
	})
	disp.stop()
	switch {
	case res != nil && o.jsonOut:
		writeEvent(env.Stderr, eventUndoSummary, undoSummaryEvent(j, res))
	case res != nil:
		printUndo(env, j, res)
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

// isTerminal reports whether r is a terminal a person can answer from.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// confirmUndo asks on a terminal before undo deletes n records; without a terminal to ask
// on it refuses, naming --yes.
func confirmUndo(env Env, j *jobs.Job, n int, account string) error {
	if !isTerminal(env.Stdin) {
		return usageError("undo %s would delete %d records created by the job in %s; stdin is not a terminal to confirm it on: "+
			"pass --yes to delete them (or --dry-run to list them first). Nothing was deleted", j.Name, n, account)
	}
	fmt.Fprintf(env.Stderr, "Delete %d records created by job %s in account %s? [y/N] ", n, j.Name, account)
	answer, err := readLine(env.Stop, env.Stdin)
	if err != nil && env.Stop.Err() != nil {
		fmt.Fprintln(env.Stderr)
		return &ExitError{Code: ExitInterrupted, Err: errors.New("undo: interrupted at the question; nothing was deleted")}
	}
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf("undo %s: not confirmed; nothing was deleted", j.Name)}
}

// readLine reads one line from r, or gives up when ctx ends (Ctrl-C at the question).
func readLine(ctx context.Context, r io.Reader) (string, error) {
	type line struct {
		s   string
		err error
	}
	ch := make(chan line, 1)
	go func() {
		s, err := bufio.NewReader(r).ReadString('\n')
		ch <- line{s, err}
	}()
	select {
	case l := <-ch:
		if l.err == io.EOF && l.s != "" {
			l.err = nil
		}
		return l.s, l.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// undoListPage is how many records undo --dry-run reads from the checkpoint at once.
const undoListPage = 1024

// listUndo prints on stdout the records an undo would delete, a page at a time, and the
// total; it sends nothing (the account was checked when connecting).
func listUndo(env Env, conn *connection, j *jobs.Job, undone int) error {
	run := conn.state.OpenRun(j.Name)
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ENTITY\tID\tROW\tCREATED\n")
	row, id, n := 0, "", 0
	for {
		page, err := run.CreatedPage(env.Stop, row, id, undoListPage)
		if err != nil {
			return err
		}
		for _, rec := range page {
			entity := rec.Entity
			if entity == "" {
				entity = string(j.Entity)
			}
			created := "unknown"
			if !rec.CreatedAt.IsZero() {
				created = rec.CreatedAt.Local().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", entity, rec.RemoteID, rec.Row, created)
			row, id = rec.Row, rec.RemoteID
			n++
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(page) < undoListPage {
			break
		}
	}
	fmt.Fprintf(env.Stdout, "total: %d records would be deleted from %s", n, accountName(conn.state.Account()))
	if undone > 0 {
		fmt.Fprintf(env.Stdout, " (%d more were deleted by an earlier undo)", undone)
	}
	fmt.Fprintln(env.Stdout)
	fmt.Fprintf(env.Stderr, "pdbulk: undo %s: dry run: nothing was deleted; run without --dry-run to delete them\n", j.Name)
	return nil
}

// printUndo prints the summary of an undo: the counts, the same rate and time as a run's,
// every record it refused (up to importer's bound) with the reason, and the other failures.
// undoSummaryEvent is the undo_summary event of an undo's result: the counts of the plain
// summary, and every refused or failed record that it names.
func undoSummaryEvent(j *jobs.Job, res *importer.UndoResult) map[string]any {
	problems := make([]map[string]any, 0, len(res.Problems))
	for _, p := range res.Problems {
		problems = append(problems, map[string]any{"reason": p})
	}
	ev := map[string]any{
		"job": j.Name, "created": res.Created, "deleted": res.Deleted, "already_undone": res.AlreadyDone,
		"gone": res.Gone, "refused": res.Refused, "failed": res.Failed - res.Refused,
		"stats": statsFields(res.Stats), "problems": problems,
	}
	if !res.UndoneAt.IsZero() {
		ev["undone_at"] = res.UndoneAt.Format(time.RFC3339)
	}
	return ev
}

func printUndo(env Env, j *jobs.Job, res *importer.UndoResult) {
	w := env.Stderr
	s := res.Stats
	fmt.Fprintf(w, "pdbulk: undo %s: %d records created by the job: %d deleted now, %d deleted by an earlier undo, %d already gone, %d refused, %d failed (%d requests, %.1f records/s, %s)\n",
		j.Name, res.Created, res.Deleted, res.AlreadyDone, res.Gone, res.Refused, res.Failed-res.Refused,
		s.Requests, s.Rate(), s.Elapsed.Round(time.Millisecond))
	if !res.UndoneAt.IsZero() && res.Deleted+res.Gone+res.AlreadyDone > 0 {
		fmt.Fprintf(w, "undone: %d records, the last at %s; their rows are pending again, and the success report says \"undone\" for them\n",
			res.Deleted+res.Gone+res.AlreadyDone, res.UndoneAt.Local().Format(time.RFC3339))
	}
	if res.Refused > 0 {
		fmt.Fprintf(w, "refused (kept in Pipedrive):\n")
		for _, r := range res.RefusedRecords {
			fmt.Fprintf(w, "  %s\n", r)
		}
		if n := res.Refused - len(res.RefusedRecords); n > 0 {
			fmt.Fprintf(w, "  and %d more\n", n)
		}
	}
	shown := map[string]bool{}
	for _, r := range res.RefusedRecords {
		shown[r] = true
	}
	first := true
	for _, p := range res.Problems {
		if shown[p] {
			continue
		}
		if first {
			fmt.Fprintf(w, "failed:\n")
			first = false
		}
		fmt.Fprintf(w, "  %s\n", p)
	}
}

// undoAccount refuses an undo against an account in which the job created nothing while it
// did create records in another: it would delete nothing here, and the user most likely
// meant the other account.
func undoAccount(ctx context.Context, conn *connection, j *jobs.Job) error {
	here := conn.state.Account()
	created, _, err := conn.state.CreatedIn(ctx, here, j.Name)
	if err != nil || created > 0 {
		return err
	}
	accts, err := conn.state.JobAccounts(ctx, j.Name)
	if err != nil {
		return err
	}
	var elsewhere []jobs.Account
	for _, a := range accts {
		if n, _, err := conn.state.CreatedIn(ctx, a, j.Name); err == nil && n > 0 && a != here {
			elsewhere = append(elsewhere, a)
		}
	}
	if len(elsewhere) == 0 {
		return nil
	}
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf("undo %s: the job created its records in %s, not in %s, which this connection reaches; nothing was deleted. "+
		"Undo deletes only in the account that created the records: connect to that account to undo them",
		j.Name, describeAccounts(elsewhere), here)}
}
