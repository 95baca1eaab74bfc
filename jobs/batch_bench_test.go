package jobs

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
)

// BenchmarkCreateRowBatched measures the checkpoint's CPU for one created row as a real
// import records it: its rows marked in flight 64 to a commit (the marker), then their
// records claimed and the rows marked done 64 to a commit (the recorder), with the random
// UUIDs Pipedrive gives leads and a key per row (the id map). Serial: ns/op is one row's
// share of the two commits.
func BenchmarkCreateRowBatched(b *testing.B) {
	ctx := context.Background()
	s, _ := openTestState(b)
	run, err := s.BeginJob(ctx, &Job{Name: "bench", Entity: EntityLeads}, "f", false)
	if err != nil {
		b.Fatal(err)
	}
	const batch = 64
	uuid := func() string {
		var u [16]byte
		_, _ = rand.Read(u[:])
		return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
	}
	b.ResetTimer()
	for row := 1; row <= b.N; row += batch {
		n := min(batch, b.N-row+1)
		marks := make([]InFlight, n)
		claims := make([]DoneClaim, n)
		for i := range n {
			r := row + i
			marks[i] = InFlight{Row: r, Key: fmt.Sprintf("EXT-%08d", r)}
			claims[i] = DoneClaim{Row: r, RemoteID: uuid(), Action: "created",
				ClaimEntity: "pdbulk.claims.leads", Holder: fmt.Sprintf("bench#%d", r)}
		}
		if err := run.MarkInFlightBatch(ctx, marks); err != nil {
			b.Fatal(err)
		}
		held, err := run.MarkDoneClaimedBatch(ctx, claims)
		if err != nil {
			b.Fatal(err)
		}
		for i, h := range held {
			if h != "" {
				b.Fatalf("row %d: held by %s", claims[i].Row, h)
			}
		}
	}
}
