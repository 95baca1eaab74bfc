package importer

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/pdbulk/pdbulk/jobs"
)

// BenchmarkCheckpointCreateRow measures the checkpoint's work for one created row, as the
// importer does it with 16 workers: marked in flight, then its record's id claimed and the row marked done in one transaction.
// It reports rows/s (one row is two durable writes), on disk.
func BenchmarkCheckpointCreateRow(b *testing.B) {
	ctx := context.Background()
	st, err := jobs.OpenState(filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	j := &jobs.Job{Name: "bench", Entity: jobs.EntityLeads}
	rec, err := st.BeginJob(ctx, j, "f", false)
	if err != nil {
		b.Fatal(err)
	}
	claims := newClaimBook(j.Entity, j.Name)
	var next atomic.Int64
	b.SetParallelism(16) // 16 × GOMAXPROCS callers, as many importer workers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			row := int(next.Add(1))
			id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", row)
			if err := rec.MarkInFlight(ctx, row, ""); err != nil {
				b.Error(err)
				return
			}
			if held, err := claims.claimDone(ctx, rec, id, row, "created"); err != nil || held != "" {
				b.Errorf("claim %s: %q, %v", id, held, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
