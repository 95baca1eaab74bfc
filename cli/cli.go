// Package cli implements pdbulk's commands. Each command parses its own flags and calls a
// run function that tests call directly; Main turns the outcome into an exit code.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// Exit codes, as DESIGN.md lists them.
const (
	ExitOK          = 0   // every row done
	ExitFatal       = 1   // the run could not go on
	ExitUsage       = 2   // bad command line or invalid job
	ExitRejected    = 3   // finished, with rejected rows
	ExitResumable   = 75  // stopped early but resumable: budget exhausted, interrupted
	ExitInterrupted = 130 // aborted by a second Ctrl-C
)

// StopGrace is how long the work in flight may take after the first Ctrl-C (or SIGTERM)
// before main cancels it with ErrStopTimeout as the cause of Env.Abort: pdbulk stops within
// about that long wherever it waits (a blocked server, a pacer's window).
const StopGrace = time.Second

// ErrStopTimeout is the cause (context.Cause) of Env.Abort when the work in flight did not
// end within StopGrace of the first interrupt: the run is then reported as interrupted and
// resumable (exit 75), not as aborted by a second Ctrl-C (exit 130).
var ErrStopTimeout = errors.New("interrupted: the work in flight did not end in time")

// Env is what a command may touch of the outside world.
type Env struct {
	Stop   context.Context // cancelled on the first Ctrl-C: stop feeding new work
	Abort  context.Context // cancelled on the second Ctrl-C: abort work in flight
	Stdin  io.Reader
	Stdout io.Writer // data
	Stderr io.Writer // progress and logs
	Getenv func(string) string
}

// ExitError carries the exit code a command wants, with the error to print (nil = print
// nothing more).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

func usageError(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

type command struct {
	name, args, summary string
	run                 func(env Env, args []string) error
}

func commands() []command {
	return []command{
		{"run", "JOB.yaml... [--sandbox] [--dry-run] [--restart] [--only-failed]", "run one or more jobs in order", runCmd},
		{"validate", "JOB.yaml", "read, map and check every row; no write; print a plan", validateCmd},
		{"status", "JOB.yaml", "print the progress recorded in the job's checkpoint", statusCmd},
		{"undo", "JOB.yaml", "delete exactly the records the job created", undoCmd},
		{"init", "--entity leads FILE", "draft a job file from a spreadsheet's header row", initCmd},
		{"sandbox", "[--addr 127.0.0.1:8080] [--token T] [--data DIR]", "serve a local Pipedrive-compatible API", sandboxCmd},
	}
}

// Main runs the command named by args[0] and returns the process exit code.
func Main(env Env, args []string) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(env, args[1:])
		return report(env, err)
	}
	fmt.Fprintf(env.Stderr, "pdbulk: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return ExitUsage
}

func report(env Env, err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	code := ExitFatal
	var ee *ExitError
	if errors.As(err, &ee) {
		code = ee.Code
		if ee.Err == nil {
			return code
		}
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "pdbulk") {
		msg = "pdbulk: " + msg
	}
	fmt.Fprintln(env.Stderr, msg)
	return code
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "pdbulk moves data between spreadsheets (CSV, XLSX) and the Pipedrive API v1.")
	fmt.Fprintln(w, "\nUsage:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  pdbulk %-8s %s\n  %-17s %s\n", c.name, c.args, "", c.summary)
	}
	fmt.Fprintln(w, "\nConnection: PIPEDRIVE_API_TOKEN (or --token-file) and PIPEDRIVE_COMPANY_DOMAIN or PIPEDRIVE_BASE_URL.")
	fmt.Fprintln(w, "Run 'pdbulk COMMAND -h' for a command's flags.")
}

// newFlagSet returns a flag set that writes its usage to stderr and reports errors as usage
// errors instead of exiting.
func newFlagSet(env Env, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: pdbulk %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args allowing flags after positional arguments
// (pdbulk run job.yaml --sandbox).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &ExitError{Code: ExitUsage, Err: nil}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
