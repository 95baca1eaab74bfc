package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkLeadPage measures one GET /leads page of 500 (the handler, JSON answer
// included, without the network) at 1,000 and at 1,000,000 leads, near the start and near
// the end of the list, sorted by update_time DESC and by add_time. "warm" is a page read
// again, as a pager that moves forward finds it: it starts from a remembered position.
// "cold" forgets every position before each request, so the page steps over its offset
// from the start of the index: the cost of a first jump to a far offset. The leads are
// SampleLeads on a DataDir (a real SQLite file). -short skips the million.
func BenchmarkLeadPage(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		b.Run(fmt.Sprintf("leads=%d", n), func(b *testing.B) {
			if n > 10_000 && testing.Short() {
				b.Skip("a million leads take a while to load; skipped in -short")
			}
			s := benchLeadServer(b, n)
			active := countActive(b, s)
			for _, srt := range []string{"update_time%20DESC", "add_time"} {
				for _, at := range []struct {
					name  string
					start int
				}{{"start", 0}, {"end", active - 600}} {
					for _, cold := range []bool{false, true} {
						mode := "warm"
						if cold {
							mode = "cold"
						}
						b.Run(fmt.Sprintf("sort=%s/at=%s/%s", srt, at.name, mode), func(b *testing.B) {
							url := fmt.Sprintf("/api/v1/leads?sort=%s&start=%d&limit=500", srt, at.start)
							serveBenchPage(b, s, url) // the warm page's position is remembered from here on
							b.ResetTimer()
							for b.Loop() {
								if cold {
									s.store.pos.reset()
								}
								serveBenchPage(b, s, url)
							}
						})
					}
				}
			}
		})
	}
}

func benchLeadServer(b *testing.B, n int) *Server {
	b.Helper()
	s, err := New(Options{Token: testToken, DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := s.Close(); err != nil {
			b.Error(err)
		}
	})
	t0 := time.Now()
	if err := s.InsertLeads(context.Background(), n, SampleLeads(n, time.Now(), s.LeadLabelIDs())); err != nil {
		b.Fatal(err)
	}
	b.Logf("InsertLeads(%d) took %v", n, time.Since(t0).Round(time.Millisecond))
	return s
}

func countActive(b *testing.B, s *Server) int {
	b.Helper()
	n := 0
	if err := s.EachLead(context.Background(), func(l Lead) error {
		if !l.IsArchived {
			n++
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	return n
}

func serveBenchPage(b *testing.B, s *Server, url string) {
	req := httptest.NewRequest("GET", url, nil)
	req.Header.Set("x-api-token", testToken)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.Len() < 500*200 {
		b.Fatalf("GET %s = %d, %d bytes, want a full page", url, rec.Code, rec.Body.Len())
	}
}

// BenchmarkInsertLeads measures InsertLeads of 100,000 sample leads into a new sandbox
// on a DataDir, the bulk path (indexes built once at the end); it reports leads/s.
func BenchmarkInsertLeads(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		b.StopTimer()
		s, err := New(Options{Token: testToken, DataDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := s.InsertLeads(context.Background(), n, SampleLeads(n, time.Now(), s.LeadLabelIDs())); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "leads/s")
}
