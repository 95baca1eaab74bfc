package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/pdbulk/pdbulk/importer"
	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
	"github.com/pdbulk/pdbulk/sheet"
)

// runOptions are the flags of `pdbulk run` and `pdbulk validate`.
type runOptions struct {
	jobFiles      []string
	sandbox       bool
	sandboxData   string
	emulation     emulationFlags
	dryRun        bool
	restart       bool
	onlyFailed    bool
	waitForBudget bool
	waitForLock   bool
	jsonOut       bool
	tokenFile     string
	statePath     string
	concurrency   int
	settle        time.Duration
	searchAPI     string // --search-api: pins every job's options.search_api; "" = the jobs' own
}

func (o *runOptions) register(fs flagSet, validate bool) {
	fs.BoolVar(&o.sandbox, "sandbox", false, "run against a Pipedrive-compatible sandbox started inside this process")
	fs.StringVar(&o.sandboxData, "sandbox-data", "", "with --sandbox: keep the sandbox's data (and the checkpoint) in this folder")
	o.emulation.register(prefixed{fs, "sandbox-"})
	fs.StringVar(&o.tokenFile, "token-file", "", "read the API token from this file instead of PIPEDRIVE_API_TOKEN")
	fs.BoolVar(&o.jsonOut, "json", false, "print progress and the summary as JSON events on stderr")
	fs.StringVar(&o.searchAPI, "search-api", "", "search endpoints for lookups and matching: v2, v1 or auto (v2, falling back to v1 on 404); default: the job's options.search_api")
	if validate {
		return
	}
	fs.BoolVar(&o.dryRun, "dry-run", false, "read, map and validate every row; send no write (same as pdbulk validate)")
	fs.BoolVar(&o.restart, "restart", false, "start the job over although it or its input changed since its checkpoint")
	fs.BoolVar(&o.onlyFailed, "only-failed", false, "re-run only the rows of the job's reject report (fix them there first)")
	fs.BoolVar(&o.waitForBudget, "wait-for-budget", false, "when the daily budget runs out, wait for it to refill and go on")
	fs.BoolVar(&o.waitForLock, "wait-for-lock", false, "when another process runs the same job, wait for it to finish instead of refusing")
	fs.StringVar(&o.statePath, "state", "", "checkpoint database (default: .pdbulk/state.db beside the first job file)")
	fs.IntVar(&o.concurrency, "concurrency", 0, "parallel requests (default: the job's options.concurrency)")
	fs.DurationVar(&o.settle, "settle", importer.DefaultSettleTime, "how long a create whose answer was lost is looked for before it is sent again (e.g. 30s, 2m)")
}

// entityOrder is the order jobs of one invocation run in: what others refer to goes first.
var entityOrder = map[jobs.Entity]int{
	jobs.EntityLeadLabels: 0, jobs.EntityTeams: 1, jobs.EntityFilters: 2,
	jobs.EntityLeads: 3, jobs.EntityGoals: 4, jobs.EntityFiles: 5,
}

// loadJobs loads every job file, reporting the problems of all of them at once, and sorts
// them so that labels come before leads and leads before files.
func loadJobs(env Env, files []string) ([]*jobs.Job, error) {
	if len(files) == 0 {
		return nil, usageError("no job file given")
	}
	var list []*jobs.Job
	var errs []error
	for _, f := range files {
		j, err := jobs.LoadContext(env.Stop, f)
		if isInterrupt(err) {
			return nil, stoppedBeforeSending("interrupted while reading the job file " + f)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		list = append(list, j)
	}
	if len(errs) > 0 {
		return nil, &ExitError{Code: ExitUsage, Err: errors.Join(errs...)}
	}
	// Imports run first, in entity order; exports after them, in the order given.
	order := func(j *jobs.Job) int {
		if j.Kind == jobs.KindExport {
			return len(entityOrder)
		}
		return entityOrder[j.Entity]
	}
	sort.SliceStable(list, func(a, b int) bool { return order(list[a]) < order(list[b]) })
	return list, nil
}

// connection is what the jobs of one invocation talk to.
type connection struct {
	client    *pipedrive.Client
	pacer     *ratelimit.Pacer
	state     *jobs.State // bound to the client's account, when there is a client
	statePath string
	token     string // the API token, hidden in every message (see redactWriter)
	cleanup   []func() error
}

func (c *connection) close() error {
	var errs []error
	for i := len(c.cleanup) - 1; i >= 0; i-- {
		errs = append(errs, c.cleanup[i]())
	}
	return errors.Join(errs...)
}

// unlimitedSandbox is the pacer's window for an in-process sandbox without emulated limits.
const unlimitedSandbox = 100000

func connect(env Env, o runOptions, list []*jobs.Job) (*connection, error) {
	c := &connection{}
	var opts ratelimit.Options
	for _, j := range list {
		opts.Limit = max(opts.Limit, j.Options.RateLimit)
		opts.DailyBudget = max(opts.DailyBudget, j.Options.DailyBudget)
	}
	if o.sandbox && o.emulation.noLimits && o.emulation.rate == 0 && o.emulation.searchRate == 0 && opts.Limit == 0 {
		// With --sandbox-no-limits the in-process sandbox limits nothing: do not pace it as
		// if it were a Lite account. Otherwise it emulates a plan (Growth by default) and
		// the pacer learns the limits from its headers, as with the real API.
		opts.Limit, opts.SearchLimit = unlimitedSandbox, unlimitedSandbox
	}
	c.pacer = ratelimit.New(opts)

	statePath := o.statePath
	var cfg pipedrive.Config
	switch {
	case o.sandbox:
		em, err := o.emulation.emulation()
		if err != nil {
			return nil, usageError("--sandbox-faults: %v", err)
		}
		token := randomToken()
		srv, err := sandbox.New(sandbox.Options{Token: token, DataDir: o.sandboxData, Emulation: em, Plan: o.emulation.planName()})
		if err != nil {
			return nil, err // sandbox errors name the sandbox
		}
		c.cleanup = append(c.cleanup, srv.Close)
		base, err := srv.Start()
		if err != nil {
			_ = c.close()
			return nil, err
		}
		fmt.Fprintf(env.Stderr, "pdbulk: using the in-process sandbox at %s\n", base)
		cfg = pipedrive.Config{BaseURL: base, Token: token}
		if statePath == "" {
			// The sandbox's records live as long as its data: so does the checkpoint.
			dir := o.sandboxData
			if dir == "" {
				tmp, err := os.MkdirTemp("", "pdbulk-sandbox-state-")
				if err != nil {
					_ = c.close()
					return nil, err
				}
				c.cleanup = append(c.cleanup, func() error { return os.RemoveAll(tmp) })
				dir = tmp
			}
			statePath = sandboxStatePath(dir)
		}
	default:
		var err error
		cfg, err = pipedrive.ConfigFrom(env.Getenv, o.tokenFile)
		if err != nil {
			if !o.dryRun {
				return nil, &ExitError{Code: ExitUsage, Err: err}
			}
			// A dry run needs the API only for lookups; without a connection those rows say so.
			if hasLookups(list) {
				fmt.Fprintf(env.Stderr, "pdbulk: no connection (%v): lookups cannot be checked\n", err)
			}
			cfg = pipedrive.Config{}
		}
	}
	c.token = cfg.Token
	env.Stderr = redactWriter(env.Stderr, cfg.Token)
	if cfg.BaseURL != "" {
		cfg.Pacer = c.pacer
		cfg.Notice = func(msg string) { fmt.Fprintf(env.Stderr, "pdbulk: %s\n", msg) }
		client, err := pipedrive.New(cfg)
		if err != nil {
			_ = c.close()
			return nil, redactErr(&ExitError{Code: ExitUsage, Err: err}, cfg.Token)
		}
		c.client = client
	}
	if statePath == "" {
		statePath = jobs.DefaultStatePath(list[0])
	}
	if o.dryRun {
		if _, err := os.Stat(statePath); errors.Is(err, os.ErrNotExist) {
			// A dry run writes nothing: with no checkpoint yet, it plans against an empty
			// one that goes away with it (a run would start from nothing as well).
			tmp, err := os.MkdirTemp("", "pdbulk-dry-run-")
			if err != nil {
				_ = c.close()
				return nil, err
			}
			c.cleanup = append(c.cleanup, func() error { return os.RemoveAll(tmp) })
			statePath = filepath.Join(tmp, "state.db")
		}
	}
	st, err := jobs.OpenState(statePath)
	if err != nil {
		_ = c.close()
		return nil, err
	}
	c.state, c.statePath = st, statePath
	c.cleanup = append(c.cleanup, st.Close)
	if c.client != nil {
		if err := identify(env.Stop, c.client, st); err != nil {
			err = refusedToken(err, o, c.client.BaseURL())
			var ee *ExitError
			if ierr := identifyError(err); !o.dryRun || errors.As(ierr, &ee) && ee.Code == ExitFatal {
				// A refused token or a wrong address fails a dry run too: its plan would
				// check nothing that a run needs.
				_ = c.close()
				return nil, redactErr(ierr, cfg.Token)
			}
			// The API is out of reach for now: the dry run checks everything but lookups,
			// as with no connection at all.
			fmt.Fprintf(env.Stderr, "pdbulk: %v; lookups cannot be checked\n", err)
			c.client = nil
			return c, nil
		}
	}
	return c, nil
}

// interrupted turns the error of a step cut short by the first Ctrl-C (or SIGTERM) into an
// interruption: nothing was sent yet, and the same command starts the job again (exit 75,
// as every first signal; 130 is for the second).
func interrupted(env Env, err error, doing string) error {
	if env.Stop.Err() == nil || !isInterrupt(err) {
		return err
	}
	return stoppedBeforeSending("interrupted while " + doing)
}

// stoppedBeforeSending is the exit of a first signal that came before anything was sent
// (what names where it came): resumable, as every first signal.
func stoppedBeforeSending(what string) *ExitError {
	return &ExitError{Code: ExitResumable, Err: fmt.Errorf("%s; nothing was sent: run the same command again", what)}
}

// refusedToken says, for an error of a 401 answer, that the API token was refused and where
// it came from; other errors come back as they are.
func refusedToken(err error, o runOptions, base string) error {
	if !errors.Is(err, pipedrive.ErrUnauthorized) {
		return err
	}
	from := "the " + pipedrive.EnvToken + " environment variable"
	if o.tokenFile != "" {
		from = "the token file " + o.tokenFile + " (--token-file)"
	}
	return fmt.Errorf("the API token was refused (401 Unauthorized) by %s: check the token in %s: %w", base, from, err)
}

// identifyError gives a failed identification of the account its exit code: the API out
// of reach is resumable (75), anything else (a wrong token, a wrong base URL) is fatal.
func identifyError(err error) error {
	var te *pipedrive.TransportError
	var ae *pipedrive.APIError
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		// No such host: a mistyped company domain, which no later run would mend.
		return &ExitError{Code: ExitFatal, Err: fmt.Errorf("%w; nothing was sent: no host of that name: check %s (or %s)", err, pipedrive.EnvCompanyDomain, pipedrive.EnvBaseURL)}
	case errors.As(err, &te), errors.As(err, &ae) && (ae.Status == 429 || ae.Status >= 500):
		return &ExitError{Code: ExitResumable, Err: fmt.Errorf("%w; nothing was sent: run the same command again later", err)}
	case errors.Is(err, pipedrive.ErrNotFound):
		return &ExitError{Code: ExitFatal, Err: fmt.Errorf("%w; nothing was sent: the base URL answers 404 for an API endpoint: check %s", err, pipedrive.EnvBaseURL)}
	}
	return &ExitError{Code: ExitFatal, Err: err}
}

// check refuses flag values that make no sense, before anything is loaded or started.
func (o runOptions) check() error {
	if o.settle < 0 {
		return usageError("--settle %s: want a duration of 0 or more (e.g. 30s; 0 = the default, %s)", o.settle, importer.DefaultSettleTime)
	}
	if o.concurrency < 0 || o.concurrency > jobs.MaxConcurrency {
		return usageError("--concurrency %d: want 1 to %d (0 = the job's options.concurrency)", o.concurrency, jobs.MaxConcurrency)
	}
	if !o.sandbox && (o.sandboxData != "" || o.emulation != (emulationFlags{})) {
		return usageError("--sandbox-data and the --sandbox-* emulation flags need --sandbox")
	}
	return o.emulation.check("--sandbox-")
}

func runJobs(env Env, o runOptions) (err error) {
	if err := o.check(); err != nil {
		return err
	}
	list, err := loadJobs(env, o.jobFiles)
	if err != nil {
		return err
	}
	if err := pinSearchAPI(o.searchAPI, list); err != nil {
		return err
	}
	conn, err := connect(env, o, list)
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
	if !o.dryRun {
		if err := checkAccounts(env.Stop, conn, list, o.restart); err != nil {
			return interrupted(env, err, "checking the checkpoint's account")
		}
		locks, err := lockJobs(env.Stop, env, conn, "run", list, o.waitForLock)
		if err != nil {
			return interrupted(env, err, "waiting for the job's lock")
		}
		defer func() {
			if uerr := locks.unlock(); uerr != nil && err == nil {
				err = uerr
			}
		}()
	}
	worst := ExitOK
	for _, j := range list {
		code, err := runJob(env, o, conn, j)
		if err != nil {
			return err
		}
		if code != ExitOK && code != ExitRejected {
			// A stop (fatal, resumable) says more than the rejects of earlier jobs, whatever
			// its number; and a later job may need this one's records.
			worst = code
			break
		}
		worst = max(worst, code)
	}
	if worst != ExitOK {
		return &ExitError{Code: worst}
	}
	return nil
}

// runJob runs one job, resuming after the daily budget refills with --wait-for-budget, and
// returns the exit code its outcome calls for.
func runJob(env Env, o runOptions, conn *connection, j *jobs.Job) (int, error) {
	if j.Kind == jobs.KindExport {
		return runExport(env, o, conn, j)
	}
	switch {
	case o.jsonOut:
		writeEvent(env.Stderr, eventStart, startEvent(j, o.dryRun))
	case len(o.jobFiles) > 1 || o.dryRun:
		fmt.Fprintf(env.Stderr, "pdbulk: job %s (%s %s from %s)\n", j.Name, j.Mode, j.Entity, j.Source.Path)
	}
	restore, err := spoolSource(env.Stop, env, conn.statePath, j)
	if isInterrupt(err) {
		return ExitResumable, stoppedBeforeSending(j.Name + ": interrupted while reading the source")
	}
	if err != nil {
		return ExitFatal, &ExitError{Code: ExitFatal, Err: fmt.Errorf("%s: %w", j.Name, err)}
	}
	defer restore()
	for {
		var in inputFacts
		if !o.dryRun {
			in = budgetNotice(env, o, conn, j)
			if env.Stop.Err() != nil {
				// The signal came while the source was hashed or counted.
				return ExitResumable, stoppedBeforeSending(j.Name + ": interrupted while reading the source")
			}
		}
		stats := importer.NewStats(conn.pacer, o.dryRun)
		if !o.onlyFailed {
			stats.Total.Store(int64(in.rows))
		}
		base := int64(0)
		if !o.onlyFailed {
			base = int64(in.settled)
		}
		disp := startDisplayFrom(env.Stderr, chooseProgress(env.Stderr, o.jsonOut), j.Name, stats, base, "rows")
		res, err := importer.Run(env.Stop, env.Abort, importer.Options{
			Job: j, Client: conn.client, Pacer: conn.pacer, State: conn.state,
			DryRun: o.dryRun, Restart: o.restart, OnlyFailed: o.onlyFailed,
			Concurrency: o.concurrency, Stats: stats, SourceRows: in.rows,
			Fingerprint: in.fingerprint, SettleTime: o.settle,
			Logf: func(format string, a ...any) { fmt.Fprintf(env.Stderr, "pdbulk: "+format+"\n", a...) },
		})
		disp.stop()
		o.restart = false // a resumed run after a budget wait continues, it does not start over
		if res != nil {
			printResult(env, o, j, res)
		}
		var jobErr *importer.JobError
		switch {
		case errors.Is(err, jobs.ErrOtherAccount):
			return ExitUsage, &ExitError{Code: ExitUsage, Err: accountRefusal(conn.statePath, err)}
		case errors.As(err, &jobErr):
			return ExitUsage, &ExitError{Code: ExitUsage, Err: err}
		case err != nil && errors.Is(context.Cause(env.Abort), ErrStopTimeout):
			return ExitResumable, &ExitError{Code: ExitResumable, Err: fmt.Errorf("%s: interrupted; the work in flight did not end within %s and was cancelled: %s", j.Name, StopGrace, resumeAdvice(o))}
		case err != nil && env.Abort.Err() != nil:
			return ExitInterrupted, &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("aborted; %s", resumeAdvice(o))}
		case err != nil && env.Stop.Err() != nil && isInterrupt(err):
			// The first signal, before a row was sent (the source hashed or counted).
			return ExitResumable, &ExitError{Code: ExitResumable, Err: fmt.Errorf("%s: interrupted before anything was sent: run the same command again", j.Name)}
		case err != nil:
			return ExitFatal, &ExitError{Code: ExitFatal, Err: refusedToken(err, o, baseURL(conn))}
		}
		var be *ratelimit.BudgetError
		switch {
		case errors.As(res.Stopped, &be):
			if !o.waitForBudget {
				if inMemorySandbox(o) {
					fmt.Fprintf(env.Stderr, "pdbulk: %s: stopped: the sandbox's daily token budget is spent; %s\n", j.Name, resumeAdvice(o))
					return ExitResumable, nil
				}
				fmt.Fprintf(env.Stderr, "pdbulk: %s: stopped: the daily token budget is spent; it refills at %s — run the same command again then to resume (or add --wait-for-budget)\n",
					j.Name, be.ResetAt.Local().Format(time.RFC1123))
				return ExitResumable, nil
			}
			fmt.Fprintf(env.Stderr, "pdbulk: %s: the daily token budget is spent; waiting until %s\n", j.Name, be.ResetAt.Local().Format(time.RFC1123))
			if err := sleepUntil(env.Stop, be.ResetAt); err != nil {
				return ExitResumable, nil
			}
			continue
		case errors.Is(context.Cause(env.Abort), ErrStopTimeout):
			fmt.Fprintf(env.Stderr, "pdbulk: %s: interrupted; the work in flight did not end within %s and was cancelled: %s\n", j.Name, StopGrace, abortAdvice(o))
			return ExitResumable, nil
		case env.Abort.Err() != nil:
			fmt.Fprintf(env.Stderr, "pdbulk: %s: aborted; %s\n", j.Name, abortAdvice(o))
			return ExitInterrupted, nil
		case errors.Is(res.Stopped, context.Canceled):
			fmt.Fprintf(env.Stderr, "pdbulk: %s: interrupted; %s\n", j.Name, resumeAdvice(o))
			return ExitResumable, nil
		case errors.Is(res.Stopped, importer.ErrUnavailable) && v2SearchMissing(res.Stopped) && j.Options.SearchAPI == jobs.SearchAPIV2:
			fmt.Fprintf(env.Stderr, "pdbulk: %s: stopped: %v; API v2 search is not available on %s, and the job is pinned to it (--search-api v2 or options.search_api: v2): use --search-api auto (v2, falling back to v1) or --search-api v1 (no row was rejected for it)\n",
				j.Name, res.Stopped, conn.client.BaseURL())
			return ExitFatal, nil
		case errors.Is(res.Stopped, importer.ErrUnavailable) && errors.Is(res.Stopped, pipedrive.ErrNotFound):
			fmt.Fprintf(env.Stderr, "pdbulk: %s: stopped: %v; the base URL %s answers 404 for an API endpoint: check %s (no row was rejected for it)\n",
				j.Name, res.Stopped, conn.client.BaseURL(), pipedrive.EnvBaseURL)
			return ExitFatal, nil
		case errors.Is(res.Stopped, importer.ErrUnavailable):
			fmt.Fprintf(env.Stderr, "pdbulk: %s: stopped: %v; no row was rejected for it: %s\n", j.Name, res.Stopped, resumeAdvice(o))
			return ExitResumable, nil
		case res.Stopped != nil:
			fmt.Fprintf(env.Stderr, "pdbulk: %s: stopped: %v\n", j.Name, res.Stopped)
			return ExitFatal, nil
		case res.Stats.Rejected > 0:
			return ExitRejected, nil
		}
		return ExitOK, nil
	}
}

// inMemorySandbox reports whether the run talks to a sandbox that lives only as long as
// this process (--sandbox without --sandbox-data): its records and checkpoint are gone when
// pdbulk exits, so there is nothing to resume.
func inMemorySandbox(o runOptions) bool { return o.sandbox && o.sandboxData == "" }

// inMemoryAdvice is what is said instead of "run the same command again to resume" after a
// run against an in-memory sandbox stopped early.
const inMemoryAdvice = "the in-memory sandbox is gone with this process, so this run cannot be resumed: the same command starts over on a fresh, empty sandbox; add --sandbox-data DIR to keep a sandbox (and its checkpoint) that a later run resumes"

// resumeAdvice is what to do after a run stopped early.
func resumeAdvice(o runOptions) string {
	if inMemorySandbox(o) {
		return inMemoryAdvice
	}
	return "run the same command again to resume"
}

// abortAdvice is what to do after a second Ctrl-C cut the work in flight.
func abortAdvice(o runOptions) string {
	if inMemorySandbox(o) {
		return inMemoryAdvice
	}
	return "rows whose answer did not come back are in doubt and are looked up before anything is sent again: run the same command to resume"
}

func sleepUntil(ctx context.Context, t time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// inputFacts is what a run learns of its input before it starts, so that the importer does
// not read the input again for it.
type inputFacts struct {
	fingerprint string // the job's fingerprint ("" when the source could not be read)
	rows        int    // data rows of the source (0 = unknown)
	settled     int    // rows the checkpoint records done or rejected, when it matches the input
}

// examineInput fingerprints the job's input and tells its rows. The source is read once for
// the fingerprint; when the checkpoint matches it (a resume), the checkpoint's row count is
// the source's and the source is not read again to count them.
func examineInput(ctx context.Context, o runOptions, conn *connection, j *jobs.Job) (inputFacts, error) {
	var in inputFacts
	fp, err := j.FingerprintContext(ctx)
	if err != nil {
		return in, err
	}
	in.fingerprint = fp
	sum, ok, err := conn.state.Job(ctx, j.Name)
	if err != nil {
		return in, err
	}
	if ok && !o.restart && sum.Fingerprint == fp && sum.Total > 0 {
		in.rows, in.settled = sum.Total, sum.Done+sum.Rejected
		return in, nil
	}
	in.rows, err = sheet.CountRowsContext(ctx, j.Source.Path, j.Source.ReaderOptions())
	return in, err
}

// budgetNotice says before a run whether the job's remaining rows fit today's budget. It
// returns what it learnt of the input (examineInput), for the run not to read it again.
func budgetNotice(env Env, o runOptions, conn *connection, j *jobs.Job) inputFacts {
	in, err := examineInput(env.Stop, o, conn, j)
	if err != nil {
		return inputFacts{fingerprint: in.fingerprint} // the run reports the input's problem
	}
	rows := max(0, in.rows-in.settled)
	if o.onlyFailed || rows == 0 {
		return in
	}
	total := in
	plan := importer.Estimate(j, rows)
	ok, remaining, known := conn.pacer.Fits(int(plan.Tokens))
	if !known && conn.client != nil {
		// Ask the cheapest endpoint (2 tokens) so that the answer's budget headers tell
		// what is left today; an error here (a wrong token, no budget left) is the run's
		// to report, and a spent budget is then known.
		ctx, cancel := context.WithTimeout(env.Stop, 10*time.Second)
		_, _, _ = conn.client.LeadSources(ctx)
		cancel()
		ok, remaining, known = conn.pacer.Fits(int(plan.Tokens))
	}
	if o.jsonOut {
		if !known {
			remaining = 0
		}
		writeEvent(env.Stderr, eventBudget, map[string]any{"job": j.Name, "rows": rows, "tokens": plan.Tokens,
			"known": known, "remaining": remaining, "fits": ok || !known})
		return total
	}
	switch {
	case !known:
		fmt.Fprintf(env.Stderr, "pdbulk: %s: %d rows to send, about %d tokens of the daily budget (the server does not report what is left today; options.daily_budget can set it)\n", j.Name, rows, plan.Tokens)
	case ok:
		fmt.Fprintf(env.Stderr, "pdbulk: %s: %d rows to send, about %d tokens; %d left today: fits\n", j.Name, rows, plan.Tokens, remaining)
	default:
		fmt.Fprintf(env.Stderr, "pdbulk: %s: %d rows to send, about %d tokens, but only %d are left today: the run will stop when they are spent and can be resumed after the budget refills\n", j.Name, rows, plan.Tokens, remaining)
	}
	return total
}

func printResult(env Env, o runOptions, j *jobs.Job, res *importer.Result) {
	w := env.Stderr
	if o.jsonOut {
		for _, p := range res.Problems {
			writeEvent(w, eventRowRejected, map[string]any{"job": j.Name, "row": p.Row, "column": p.Column, "reason": p.Reason})
		}
		writeEvent(w, eventSummary, summaryEvent(j, res, o.dryRun))
		return
	}
	fmt.Fprintf(w, "pdbulk: %s: %s\n", j.Name, res.Stats)
	if !res.FirstWrite.IsZero() {
		fmt.Fprintf(w, "first write: %s (records added before it are never taken as the job's)\n", res.FirstWrite.Local().Format(time.RFC3339))
	}
	if len(res.Problems) > 0 {
		fmt.Fprintf(w, "first problems:\n")
		for _, p := range res.Problems {
			fmt.Fprintf(w, "  row %d: %s\n", p.Row, p.Reason)
		}
	}
	if o.dryRun {
		fmt.Fprintf(w, "plan: %s", res.Plan)
		return
	}
	fmt.Fprintf(w, "reports: %s, %s\n", j.Reports.Success, j.Reports.Rejects)
	if res.Stats.Rejected > 0 {
		fmt.Fprintf(w, "%s\n", onlyFailedAdvice(j))
	}
}

// onlyFailedAdvice is what run and status say of rejected rows.
func onlyFailedAdvice(j *jobs.Job) string {
	return fmt.Sprintf("rejected rows: fix them in %s and run again with --only-failed (rows not fixed are rejected again; the fixes not yet sent stay in that report)", j.Reports.Rejects)
}

// baseURL is the API address of conn, "" without a connection.
func baseURL(conn *connection) string {
	if conn.client == nil {
		return ""
	}
	return conn.client.BaseURL()
}

// sandboxStatePath is where run --sandbox keeps the checkpoint of a sandbox whose data lives
// in dir: beside the data, since the sandbox's records live as long as it does.
func sandboxStatePath(dir string) string { return filepath.Join(dir, "state.db") }

// hasLookups reports whether any of the jobs resolves a column through the API.
func hasLookups(list []*jobs.Job) bool {
	for _, j := range list {
		for _, f := range j.Mapping.Fields {
			if f.Lookup != "" {
				return true
			}
		}
	}
	return false
}
