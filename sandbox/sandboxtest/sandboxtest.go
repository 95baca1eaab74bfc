// Package sandboxtest starts sandboxes for tests and benchmarks, as net/http/httptest starts
// servers: on a loopback port, closed when the test ends.
package sandboxtest

import (
	"testing"

	"github.com/pdbulk/pdbulk/sandbox"
)

// Start starts a sandbox with o and returns it with its API base URL. The sandbox is closed
// when tb's test ends (cleanups registered later run first, so a client's idle connections
// closed there do not hold the close up); a failure to close it fails the test.
func Start(tb testing.TB, o sandbox.Options) (*sandbox.Server, string) {
	tb.Helper()
	srv, err := sandbox.New(o)
	if err != nil {
		tb.Fatalf("sandbox: %v", err)
	}
	base, err := srv.Start()
	if err != nil {
		srv.Close()
		tb.Fatalf("sandbox start: %v", err)
	}
	tb.Cleanup(func() {
		if err := srv.Close(); err != nil {
			tb.Errorf("sandbox close: %v", err)
		}
	})
	return srv, base
}
