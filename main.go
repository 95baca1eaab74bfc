// Command pdbulk moves data between spreadsheets (CSV, XLSX) and the Pipedrive API v1.
//
// main does four things: it reads the command line, sets up the signal contexts (the first
// Ctrl-C stops feeding new rows, the second aborts work in flight), dispatches to cli, and
// turns the result into an exit code.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/pdbulk/pdbulk/cli"
)

func main() {
	os.Exit(run())
}

func run() int {
	stop, stopCancel := context.WithCancel(context.Background())
	abort, abortCancel := context.WithCancel(context.Background())
	defer stopCancel()
	defer abortCancel()

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		n := 0
		for range sigs {
			n++
			if n == 1 {
				os.Stderr.WriteString("\npdbulk: interrupted; finishing the work in flight (Ctrl-C again to abort it)\n")
				stopCancel()
				continue
			}
			abortCancel()
			return
		}
	}()

	env := cli.Env{
		Stop:   stop,
		Abort:  abort,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
	}
	return cli.Main(env, os.Args[1:])
}
