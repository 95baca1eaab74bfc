package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
)

// identify asks the API which company the token belongs to (GET /users/me, 2 tokens) and
// binds the checkpoint to it, so that progress, created records, the id map and bookmarks
// of one account are never taken for another's.
func identify(ctx context.Context, c *pipedrive.Client, st *jobs.State) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u, _, err := c.CurrentUser(ctx)
	if err != nil {
		return fmt.Errorf("identify the Pipedrive account (GET /users/me): %w", err)
	}
	if u.CompanyID == 0 {
		return fmt.Errorf("identify the Pipedrive account: GET /users/me at %s names no company_id", c.BaseURL())
	}
	return st.Bind(ctx, jobs.Account{CompanyID: u.CompanyID, Domain: u.CompanyDomain, Name: u.CompanyName})
}

// checkAccounts refuses, before anything is sent, a run of jobs whose checkpoint holds
// progress made in another account than the one connected (unless restart).
func checkAccounts(ctx context.Context, conn *connection, list []*jobs.Job, restart bool) error {
	if restart {
		return nil
	}
	var errs []error
	for _, j := range list {
		if err := conn.state.CheckAccount(ctx, j.Name); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &ExitError{Code: ExitUsage, Err: accountRefusal(conn.statePath, errors.Join(errs...))}
}

// accountRefusal explains an AccountError and the ways on.
func accountRefusal(statePath string, err error) error {
	var ae *jobs.AccountError
	if !errors.As(err, &ae) {
		return err
	}
	return fmt.Errorf("%w.\nNothing was sent. The checkpoint %s records the other account's progress: resuming it here would skip rows as done that %s never received.\n"+
		"Ways on: give this account a checkpoint of its own with --state FILE, or add --restart to forget the other account's progress for this job\n"+
		"(the records it created there stay recorded, so `pdbulk undo` against that account still removes them)",
		err, statePath, accountName(ae.Current))
}

func accountName(a jobs.Account) string {
	if a.Name != "" {
		return a.Name
	}
	return a.String()
}

// jobLocks holds the locks of the jobs one invocation runs.
type jobLocks []*jobs.Lock

func (ls jobLocks) unlock() error {
	var errs []error
	for _, l := range ls {
		errs = append(errs, l.Unlock())
	}
	return errors.Join(errs...)
}

// lockJobs takes the lock of every job of the invocation in the connected account, so that
// a second run, undo or export of one of them (a cron run overlapping the last, a second
// terminal) is refused at once, or waits with --wait-for-lock.
func lockJobs(ctx context.Context, env Env, conn *connection, command string, list []*jobs.Job, wait bool) (jobLocks, error) {
	host, _ := os.Hostname()
	holder := fmt.Sprintf("pdbulk %s, pid %d on %s", command, os.Getpid(), host)
	var held jobLocks
	for _, j := range list {
		l, err := conn.state.Lock(ctx, j.Name, holder, false)
		if errors.Is(err, jobs.ErrLocked) && wait {
			fmt.Fprintf(env.Stderr, "pdbulk: %v: waiting for it to finish\n", err)
			l, err = conn.state.Lock(ctx, j.Name, holder, true)
		}
		if err != nil {
			_ = held.unlock()
			if errors.Is(err, jobs.ErrLocked) {
				return nil, &ExitError{Code: ExitResumable, Err: fmt.Errorf("%w.\n%s Run it again when that one has finished, or add --wait-for-lock to wait for it", err, lockedWhy(command, j))}
			}
			return nil, err
		}
		held = append(held, l)
	}
	return held, nil
}

// lockedWhy says what was not done, and why, when command was refused on job j's lock.
func lockedWhy(command string, j *jobs.Job) string {
	switch {
	case command == "undo":
		return "Nothing was deleted: undo and a run of one job at once would race over its records."
	case j.Kind == jobs.KindExport:
		return "Nothing was written: two runs of one export would read the same pages and write the same target at once, each with its own bookmark."
	}
	return "Nothing was sent: two runs of one job would send the same rows twice."
}

// describeAccounts names the accounts in a list for status and undo.
func describeAccounts(list []jobs.Account) string {
	names := make([]string, len(list))
	for i, a := range list {
		names[i] = a.String()
	}
	return strings.Join(names, "; ")
}
