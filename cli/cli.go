// Package cli implements pdbulk's commands on spf13/cobra: root.go builds the command tree
// (help, examples, completion, --version, suggestions), each command's RunE calls a run
// function of this package, and Main turns the outcome into an exit code.
package cli

import (
	"context"
	"errors"
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

// Main runs the command line args (without the program name) and returns the process exit
// code. Help, --version and completion scripts go to env.Stdout; errors to env.Stderr.
func Main(env Env, args []string) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	root := newRoot(&env)
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, root.UsageString())
		return ExitUsage
	}
	args = longFlags(root, args)
	cmd, _, err := root.Find(args)
	if err != nil && cmd == root && !strings.HasPrefix(args[0], "__complete") {
		return report(env, unknownCommand(root, args))
	}
	var lines *jsonLines
	if cmd != nil && cmd.Annotations[annotationJSON] != "" && jsonRequested(args) {
		// With --json, stderr carries JSON events only: the flag errors, the lines printed
		// and the final error too.
		lines = newJSONLines(env.Stderr)
		env.Stderr = lines
	}
	root.SetErr(env.Stderr)
	root.SetArgs(args)
	_, err = root.ExecuteC()
	if lines != nil {
		err = jsonError(lines, err)
		_ = lines.Flush()
	}
	return report(env, err)
}

// report prints err as pdbulk reports errors and returns the exit code it calls for.
func report(env Env, err error) int {
	if err == nil {
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
	var cl *cmdLineError
	if errors.As(err, &cl) && cl.usage != "" {
		fmt.Fprintf(env.Stderr, "\n%s", cl.usage)
	}
	return code
}
