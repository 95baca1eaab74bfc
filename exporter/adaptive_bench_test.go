package exporter_test

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/exporter"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
)

// BenchmarkExportAdaptive exports 20,000 leads (pages) from a sandbox that emulates a
// Growth-like token (120 requests / 2 s) and an Essential-like one (40 / 2 s) at several
// latencies, a server that slows from 20 ms to 500 ms halfway through, and one that answers
// 5 % of requests 5xx, with default settings: the limit learnt from the headers, no
// concurrency given (the client's Gate decides how many pages are in flight). The again-…
// cases time a job's second run (its lists' lengths known). It reports records/s, the requests per second as
// a share of the allowed rate (every request over the whole exporter.Run wall), its share
// of the shortest wall any client could reach for as many requests (ratelimit.BestWall),
// the 429s and the Gate's peak. Like pdbulk export, each case first asks GET /users/me (not
// counted), whose headers tell the pacer the limit. At 100 records a page the export is 200
// requests: at 1 s no more than 64 are in flight, and the round trip that drains the last
// weighs on so short a run (for 200 requests the ceiling is 4 s, 83 % of 60/s).
//
//	go test -run '^$' -bench ExportAdaptive -benchtime=1x ./exporter/
//	PDBULK_PAGE=500 go test -run '^$' -bench ExportAdaptive -benchtime=1x ./exporter/
func BenchmarkExportAdaptive(b *testing.B) {
	const n = 20000
	cases := []struct {
		name  string
		e     sandbox.Emulation
		again bool // the job ran once before, on the same checkpoint (a scheduled export)
	}{
		{name: "20ms", e: sandbox.Emulation{RateLimit: 120, Latency: 20 * time.Millisecond}},
		{name: "100ms", e: sandbox.Emulation{RateLimit: 120, Latency: 100 * time.Millisecond}},
		{name: "300ms", e: sandbox.Emulation{RateLimit: 120, Latency: 300 * time.Millisecond}},
		{name: "1s", e: sandbox.Emulation{RateLimit: 120, Latency: time.Second}},
		{name: "40/20ms", e: sandbox.Emulation{RateLimit: 40, Latency: 20 * time.Millisecond}},
		{name: "40/100ms", e: sandbox.Emulation{RateLimit: 40, Latency: 100 * time.Millisecond}},
		{name: "40/300ms", e: sandbox.Emulation{RateLimit: 40, Latency: 300 * time.Millisecond}},
		{name: "40/1s", e: sandbox.Emulation{RateLimit: 40, Latency: time.Second}},
		{name: "slowdown-20ms-500ms", e: sandbox.Emulation{RateLimit: 120, Latency: 20 * time.Millisecond, SlowAfter: 25, SlowLatency: 500 * time.Millisecond}},
		{name: "100ms-5pct-5xx", e: sandbox.Emulation{RateLimit: 120, Latency: 100 * time.Millisecond, Seed: 3, Faults: sandbox.Faults{Error5xx: 0.05}}},
		{name: "again-300ms", e: sandbox.Emulation{RateLimit: 120, Latency: 300 * time.Millisecond}, again: true},
		{name: "again-1s", e: sandbox.Emulation{RateLimit: 120, Latency: time.Second}, again: true},
		{name: "again-40/300ms", e: sandbox.Emulation{RateLimit: 40, Latency: 300 * time.Millisecond}, again: true},
		{name: "again-40/1s", e: sandbox.Emulation{RateLimit: 40, Latency: time.Second}, again: true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			srv, base := startSandbox(b, sandbox.Options{Emulation: tc.e})
			if err := srv.InsertLeads(context.Background(), n, sandbox.SampleLeads(n, time.Now(), srv.LeadLabelIDs())); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				dir := b.TempDir()
				j := writeJob(b, dir, "kind: export\nentity: leads\nquery: {archived: all}\ntarget: out/leads.csv\ncolumns: {id: ID, title: Title, value.amount: Amount, add_time: Created}\n")
				st := openState(b, dir)
				if tc.again {
					// The run before, not timed; then the server's window empties.
					b.StopTimer()
					c := newClient(b, base)
					if _, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: st, PageSize: pageSize()}); err != nil {
						b.Fatal(err)
					}
					time.Sleep(2500 * time.Millisecond)
					b.StartTimer()
				}
				p := ratelimit.New(ratelimit.Options{})
				tr := http.DefaultTransport.(*http.Transport).Clone()
				c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: testToken, Pacer: p, HTTPClient: &http.Client{Transport: tr}})
				if err != nil {
					b.Fatal(err)
				}
				// pdbulk export asks GET /users/me first (to bind the checkpoint to the
				// account): its headers tell the pacer the limit. It is not counted below.
				if _, _, err := c.CurrentUser(context.Background()); err != nil {
					b.Fatal(err)
				}
				ps0 := p.Stats()
				start := time.Now()
				res, err := exporter.Run(context.Background(), exporter.Options{Job: j, Client: c, State: st, PageSize: pageSize()})
				elapsed := time.Since(start)
				tr.CloseIdleConnections()
				if err != nil {
					b.Fatalf("Run: %v", err)
				}
				if res.Sheets[0].Records != n {
					b.Fatalf("wrote %d records, want %d", res.Sheets[0].Records, n)
				}
				ps, gs := p.Stats(), c.Gate().Stats()
				ps.Requests -= ps0.Requests
				ps.TooMany -= ps0.TooMany
				b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
				b.ReportMetric(100*float64(ps.Requests)/elapsed.Seconds()/(float64(tc.e.RateLimit)/2), "pct_of_limit")
				if tc.e.SlowAfter == 0 && tc.e.Faults.Error5xx == 0 {
					best := ratelimit.BestWall(int(ps.Requests), tc.e.RateLimit, 2*time.Second, tc.e.Latency, true)
					b.ReportMetric(100*best.Seconds()/elapsed.Seconds(), "pct_of_ceiling")
				}
				b.ReportMetric(100*float64(ps.TooMany)/float64(ps.Requests), "pct_429")
				b.ReportMetric(float64(gs.Peak), "conc_peak")
				b.ReportMetric(float64(gs.Cuts), "cuts")
				b.Logf("%s: %d requests (%d pages asked for, %d read again) in %s; pacer %s; gate %+v", tc.name, ps.Requests,
					res.Requests, res.Repairs, elapsed.Round(time.Millisecond), ps, gs)
			}
		})
	}
}

// pageSize is the records a page of BenchmarkExportAdaptive: 100 (200 pages for 20,000
// leads), or PDBULK_PAGE (500, pdbulk's default for leads: 45 pages, where the pages sent
// past the end of each list weigh most).
func pageSize() int {
	n, _ := strconv.Atoi(os.Getenv("PDBULK_PAGE"))
	if n == 0 {
		return 100
	}
	return n
}
