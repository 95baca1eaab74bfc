package exporter_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/exporter"
	"github.com/pdbulk/pdbulk/sandbox"
)

// BenchmarkExportVsSequential exports the leads of a sandbox that answers every request
// after 20 ms, twice in the same run: with pdbulk's concurrent pager (default concurrency)
// and with one page at a time. The sequential pager is the same code with concurrency 1:
// it sends the same requests (the same offsets, overlaps included; both counts are
// reported), decodes each page the same way and writes the same file, so the speed-up is
// the concurrency's alone. It reports the rate of each and the speed-up. EXPORT_LEADS sets
// the number of leads (default 100,000).
//
//	go test -run '^$' -bench ExportVsSequential -benchtime=1x ./exporter/
func BenchmarkExportVsSequential(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("EXPORT_LEADS")); err == nil && v > 0 {
		n = v
	}
	srv, base := startSandbox(b, sandbox.Options{Emulation: sandbox.Emulation{Latency: 20 * time.Millisecond}})
	if err := srv.InsertLeads(context.Background(), n, sandbox.SampleLeads(n, time.Now(), srv.LeadLabelIDs())); err != nil {
		b.Fatal(err)
	}
	c := newClient(b, base)
	dir := b.TempDir()
	j := writeJob(b, dir, "kind: export\nentity: leads\nquery: {archived: all}\ntarget: out/leads.csv\ncolumns: {id: ID, title: Title, value.amount: Amount, add_time: Created}\n")
	st := openState(b, dir)
	run := func(concurrency int) (time.Duration, *exporter.Result) {
		start := time.Now()
		res, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: st, Concurrency: concurrency})
		if err != nil {
			b.Fatalf("Run(concurrency %d): %v", concurrency, err)
		}
		if res.Sheets[0].Records != n {
			b.Fatalf("Run(concurrency %d) wrote %d records, want %d", concurrency, res.Sheets[0].Records, n)
		}
		return time.Since(start), res
	}
	b.ResetTimer()
	for range b.N {
		conc, res := run(0)
		seq, sres := run(1)
		b.ReportMetric(float64(n)/conc.Seconds(), "records/s")
		b.ReportMetric(float64(n)/seq.Seconds(), "sequential-records/s")
		b.ReportMetric(seq.Seconds()/conc.Seconds(), "speedup")
		b.ReportMetric(float64(res.Requests), "requests")
		b.ReportMetric(float64(sres.Requests), "sequential-requests")
	}
}
