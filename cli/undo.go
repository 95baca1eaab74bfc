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
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
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
	doubt, err := rowsInDoubt(env.Stop, conn, j)
	if err != nil {
		return err
	}
	if !o.list && (left > 0 || doubt > 0) && !o.yes {
		if err := confirmUndo(env, j, left, doubt, accountName(acct)); err != nil {
			return err
		}
	}
	// Rows in doubt are looked up under the job's lock, dry run included: a row in flight
	// in a running process is on its way, not in doubt.
	if !o.list || doubt > 0 {
		locks, lerr := lockJobs(env.Stop, env, conn, "undo", list, o.waitForLock)
		if lerr != nil {
			return lerr
		}
		defer func() {
			if uerr := locks.unlock(); uerr != nil && err == nil {
				err = uerr
			}
		}()
	}
	if doubt > 0 {
		fmt.Fprintf(env.Stderr, "pdbulk: undo %s: %d rows in doubt (a run stopped between their create and its answer): "+
			"looking their records up first, for up to %s after each was sent\n", j.Name, doubt, o.settle)
	}
	if o.list {
		return listUndo(env, conn, j, doubt, o.settle)
	}
	stats := importer.NewStats(conn.pacer, false)
	disp := startDisplayFrom(env.Stderr, chooseProgress(env.Stderr, o.jsonOut), "undo "+j.Name, stats, int64(undone), "records")
	res, err := importer.UndoWith(env.Stop, importer.UndoOptions{
		Job: j, Client: conn.client, Pacer: conn.pacer, State: conn.state, Concurrency: o.concurrency, Stats: stats, SettleTime: o.settle,
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
	case res.InDoubt.Left > 0 && resumable(res.InDoubt.Why):
		return &ExitError{Code: ExitResumable}
	case res.Failed > 0, res.InDoubt.Left > 0:
		return &ExitError{Code: ExitRejected}
	}
	return nil
}

// resumable reports whether rows stayed in doubt for a reason that running undo again
// later cures (the API out of reach, the budget spent, an interruption).
func resumable(why error) bool {
	return errors.Is(why, importer.ErrUnavailable) || errors.Is(why, pipedrive.ErrUnavailable) ||
		errors.Is(why, ratelimit.ErrBudgetExhausted) || errors.Is(why, context.Canceled)
}

// rowsInDoubt counts the rows of j its checkpoint has in flight in the connected account,
// for the modes whose rows in flight are creates.
func rowsInDoubt(ctx context.Context, conn *connection, j *jobs.Job) (int, error) {
	if j.Mode != jobs.ModeCreate && j.Mode != jobs.ModeUpsert {
		return 0, nil
	}
	sum, err := conn.state.OpenRun(j.Name).Summary(ctx)
	if err != nil {
		return 0, err
	}
	return sum.InFlight, nil
}

// printInDoubt says what undo found for the rows a run left in flight, and, when some stay
// in doubt, that their records may still be in Pipedrive and what to run.
func printInDoubt(w io.Writer, j *jobs.Job, d importer.InDoubt, dryRun bool) {
	if d.Rows == 0 {
		return
	}
	verb, none := "deleted with the others", "made none (pending again)"
	if dryRun {
		verb, none = "listed above", "made none so far"
	}
	fmt.Fprintf(w, "in doubt: %d rows a run left in flight: %d records found (%s), %d %s, %d still in doubt\n",
		d.Rows, d.Found, verb, d.NotMade, none, d.Left)
	for _, r := range d.Records {
		fmt.Fprintf(w, "  found: %s\n", r)
	}
	if n := d.Found - len(d.Records); n > 0 {
		fmt.Fprintf(w, "  and %d more\n", n)
	}
	for _, p := range d.Problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
	if d.Left > 0 {
		fmt.Fprintf(w, "pdbulk: undo %s: %d rows are still in doubt: records they may have created are not deleted and may still be in Pipedrive: %v. "+
			"Run 'pdbulk undo %s' again when that is mended (or 'pdbulk status %s' to see them)\n",
			j.Name, d.Left, d.Why, j.Path, j.Path)
	}
}

// isTerminal reports whether r is a terminal a person can answer from.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// confirmUndo asks on a terminal before undo deletes n records; without a terminal to ask
// on it refuses, naming --yes.
func confirmUndo(env Env, j *jobs.Job, n, doubt int, account string) error {
	also := ""
	if doubt > 0 {
		also = fmt.Sprintf(" and those found for %d rows in doubt", doubt)
	}
	if !isTerminal(env.Stdin) {
		return usageError("undo %s would delete %d records created by the job%s in %s; stdin is not a terminal to confirm it on: "+
			"pass --yes to delete them (or --dry-run to list them first). Nothing was deleted", j.Name, n, also, account)
	}
	fmt.Fprintf(env.Stderr, "Delete %d records created by job %s%s in account %s? [y/N] ", n, j.Name, also, account)
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
// total. With rows in doubt it first looks their records up as undo would (the job's lock
// held), records those it finds as the job's, and lists them with the others; otherwise it
// sends nothing (the account was checked when connecting).
func listUndo(env Env, conn *connection, j *jobs.Job, doubt int, settle time.Duration) error {
	var found importer.InDoubt
	if doubt > 0 {
		var err error
		found, err = importer.ReconcileInDoubt(env.Stop, importer.UndoOptions{Job: j, Client: conn.client, Pacer: conn.pacer, State: conn.state, SettleTime: settle}, true)
		if err != nil {
			return err
		}
	}
	_, undone, _, err := conn.state.UndoneIn(env.Stop, conn.state.Account(), j.Name)
	if err != nil {
		return err
	}
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
	printInDoubt(env.Stdout, j, found, true)
	fmt.Fprintf(env.Stderr, "pdbulk: undo %s: dry run: nothing was deleted; run without --dry-run to delete them\n", j.Name)
	if found.Left > 0 {
		return &ExitError{Code: ExitRejected}
	}
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
	if d := res.InDoubt; d.Rows > 0 {
		doubt := map[string]any{"rows": d.Rows, "found": d.Found, "not_made": d.NotMade, "left": d.Left}
		if d.Why != nil {
			doubt["why"] = d.Why.Error()
		}
		ev["in_doubt"] = doubt
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
	printInDoubt(w, j, res.InDoubt, false)
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
