package sandbox

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestCloseWithUnusedConnection: a client's spare connection that never carried a request
// must not make Close fail (http.Server.Shutdown alone waits 5 s for it, then gives up
// with "context deadline exceeded").
func TestCloseWithUnusedConnection(t *testing.T) {
	s, err := New(Options{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/api/v1")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The server accepts in order: once a second connection is answered, the first one is
	// accepted and waiting for a request that will never come.
	resp, err := http.Get(base + "/leadSources?api_token=" + testToken)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	if err := s.Close(); err != nil {
		t.Errorf("Close() with an unused connection open = %v, want nil", err)
	}
}
