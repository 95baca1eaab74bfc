// Command pdbulk moves data between spreadsheets (CSV, XLSX) and the Pipedrive API v1.
//
// main does four things: it reads the command line, sets up the signal contexts (the first
// Ctrl-C or SIGTERM stops feeding new rows and gives the work in flight cli.StopGrace to
// end before it is cancelled; the second cancels it at once, and exits 130 if pdbulk is
// still blocked a second later), dispatches to cli, and turns the result into an exit code.
//
// Release builds stamp what `pdbulk --version` prints:
//
//	go build -ldflags "-X github.com/pdbulk/pdbulk/cli.Version=1.4.0 -X github.com/pdbulk/pdbulk/cli.Commit=$(git rev-parse --short=12 HEAD)" .
package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pdbulk/pdbulk/cli"
)

// exitGrace is how long pdbulk may take to exit after the second interrupt before the
// process exits anyway: something blocked where no context reaches (a read of a token file
// that is a pipe). The checkpoint survives that as it survives a SIGKILL.
const exitGrace = time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stderr, os.Exit))
}

// run runs pdbulk with args; exit ends the process when the second interrupt is not obeyed
// in time.
func run(args []string, stderr io.Writer, exit func(int)) int {
	stop, stopCancel := context.WithCancel(context.Background())
	abort, abortCancel := context.WithCancelCause(context.Background())
	defer stopCancel()
	defer abortCancel(nil)

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	jsonOut := jsonArg(args)
	say := func(msg string) {
		if jsonOut {
			b, _ := json.Marshal(map[string]string{"type": "notice", "message": msg})
			msg = string(b)
		} else {
			msg = "\npdbulk: " + msg // off the line of a progress bar
		}
		_, _ = io.WriteString(stderr, msg+"\n")
	}
	var aborted atomic.Bool // a second interrupt came
	go func() {
		n := 0
		for range sigs {
			n++
			if n == 1 {
				say("interrupted; finishing the work in flight (at most " + cli.StopGrace.String() + "; Ctrl-C again to abort it now)")
				stopCancel()
				time.AfterFunc(cli.StopGrace, func() { abortCancel(cli.ErrStopTimeout) })
				continue
			}
			say("aborted")
			aborted.Store(true)
			abortCancel(context.Canceled)
			time.AfterFunc(exitGrace, func() {
				say("still blocked " + exitGrace.String() + " after the abort: exiting; " + resumeAdvice(args))
				exit(cli.ExitInterrupted)
			})
			return
		}
	}()

	env := cli.Env{
		Stop:   stop,
		Abort:  abort,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: stderr,
		Getenv: os.Getenv,
	}
	code := cli.Main(env, args)
	if aborted.Load() && code == cli.ExitResumable {
		code = cli.ExitInterrupted // the work in flight was cut on the user's word
	}
	return code
}

// resumeAdvice is what to do after pdbulk exited on a second interrupt: resume, unless the
// run used a sandbox in memory, which is gone with the process.
func resumeAdvice(args []string) string {
	sandbox, data := false, false
	for _, a := range args {
		if a == "--" {
			break
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case !strings.HasPrefix(a, "-"):
		case name == "sandbox" && !strings.HasSuffix(a, "=false"):
			sandbox = true
		case name == "sandbox-data":
			data = true
		}
	}
	if sandbox && !data {
		return "the in-memory sandbox is gone with this process, so this run cannot be resumed: add --sandbox-data DIR to keep one"
	}
	return "run the same command again to resume"
}

// jsonArg reports whether the command line asks for JSON events on stderr.
func jsonArg(args []string) bool {
	for _, a := range args {
		switch a {
		case "--json", "-json", "--json=true", "-json=true":
			return true
		case "--":
			return false
		}
	}
	return false
}
