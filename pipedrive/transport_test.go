package pipedrive

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// TestWorkerPoolReusesConnections: a pool of workers sending through one client keeps its
// connections between rounds instead of dialling anew for most requests, which against the
// real API would cost a TLS handshake each (the default transport keeps 2 per host).
func TestWorkerPoolReusesConnections(t *testing.T) {
	const workers, rounds = 16, 5
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, env(`[]`))
	}))
	var dials atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL + "/v1", Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	for range rounds {
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				if _, _, err := c.Filters(context.Background(), "leads"); err != nil {
					t.Errorf("Filters: %v", err)
				}
			})
		}
		wg.Wait()
	}
	// The first round may dial once per worker; later rounds should find idle connections.
	if got := dials.Load(); got > workers+2 {
		t.Errorf("%d connections opened for %d rounds of %d concurrent requests, want at most %d", got, rounds, workers, workers+2)
	}
}
