package importer_test

// BenchmarkAdaptive: imports of creates against the sandbox at its limits, with default
// settings and no concurrency given (the client's Gate adapts the requests in flight).
//
//	go test -run '^$' -bench 'Adaptive' -benchtime=1x -timeout 30m ./importer/
//	PDBULK_ADAPTIVE_ROWS=300 go test -run '^$' -bench 'Adaptive/120' -benchtime=1x ./importer/
//
// Metrics: pct_of_limit (requests per second over the allowed rate), pct_429 (share of
// requests answered 429), conc_peak and conc_end (requests allowed in flight), cuts (times a
// struggling server cut them), pct_of_ceiling (the run's wall against the shortest any client
// could reach for as many requests, see ratelimit.BestWall). Targets: ≥ 95 pct_of_limit and ≤ 1
// pct_429 at every latency. pct_of_limit is the run's requests (every one: the retries and
// lookups too) over the whole importer.Run wall time (from before the first request to
// after the last answer, the reports written) over the allowed limit/window. Like pdbulk
// run, each case first asks GET /users/me (to bind the checkpoint to the account), whose
// headers tell the pacer the limit; that request is not counted in the run's.
// At 1,000 rows one 120/2 s case takes about 17 s and one 40/2 s case about 50 s.

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/bench/leadgen"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
)

func adaptiveRows() int {
	if n, err := strconv.Atoi(os.Getenv("PDBULK_ADAPTIVE_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1000
}

func BenchmarkAdaptive(b *testing.B) {
	rows := adaptiveRows()
	type scenario struct {
		name  string
		limit int
		e     sandbox.Emulation
	}
	var cases []scenario
	for _, limit := range []int{120, 40} {
		for _, lat := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond, time.Second} {
			cases = append(cases, scenario{fmt.Sprintf("%d/%v", limit, lat), limit, sandbox.Emulation{RateLimit: limit, Latency: lat}})
		}
	}
	cases = append(cases,
		// The server slows from 20 ms to 500 ms halfway through.
		scenario{"120/slowdown-20ms-500ms", 120, sandbox.Emulation{RateLimit: 120, Latency: 20 * time.Millisecond,
			SlowAfter: rows / 2, SlowLatency: 500 * time.Millisecond}},
		// One answer in twenty is a 500/502/503 (not processed): creates are in doubt and
		// looked up before they are sent again.
		scenario{"120/100ms-5pct-5xx", 120, sandbox.Emulation{RateLimit: 120, Latency: 100 * time.Millisecond, Seed: 5,
			Faults: sandbox.Faults{Error5xx: 0.05}}},
	)
	for _, sc := range cases {
		b.Run(sc.name, func(b *testing.B) {
			j := benchJob(b, b.TempDir(), "bench-adaptive", "leads.csv", rows, leadgen.WriteCSV)
			var requests, tooMany int64
			var elapsed time.Duration
			var peak, end int
			var cuts int64
			for b.Loop() {
				base := benchSandbox(b, sc.e)
				p := ratelimit.New(ratelimit.Options{}) // defaults: the limit is learnt from the headers
				r := benchRunImport(b, base, j, p, 0)
				s := r.res.Stats
				if s.Created != int64(rows) || r.res.Stopped != nil {
					b.Fatalf("%s (stopped: %v, problems %v); want %d created", s, r.res.Stopped, r.res.Problems, rows)
				}
				requests += r.pacer.Requests
				tooMany += r.pacer.TooMany
				elapsed += r.elapsed
				peak, end = s.PeakConcurrency, s.Concurrency
				cuts = 0
				b.Logf("%s", s)
				b.Logf("pacer: %s", r.pacer)
			}
			allowed := float64(sc.limit) / 2
			b.ReportMetric(100*float64(requests)/elapsed.Seconds()/allowed, "pct_of_limit")
			if sc.e.SlowAfter == 0 && sc.e.Faults.Error5xx == 0 {
				best := ratelimit.BestWall(int(requests/int64(b.N)), sc.limit, 2*time.Second, sc.e.Latency, true)
				b.ReportMetric(100*best.Seconds()/(elapsed.Seconds()/float64(b.N)), "pct_of_ceiling")
			}
			b.ReportMetric(100*float64(tooMany)/float64(requests), "pct_429")
			b.ReportMetric(float64(peak), "conc_peak")
			b.ReportMetric(float64(end), "conc_end")
			_ = cuts
		})
	}
}

// BenchmarkPinnedBaseline is BenchmarkAdaptive's 120/2 s case at a pinned concurrency
// (PDBULK_PIN, default 16) and latency (PDBULK_LATENCY, default 20ms), for comparison.
func BenchmarkPinnedBaseline(b *testing.B) {
	rows := adaptiveRows()
	pin, _ := strconv.Atoi(os.Getenv("PDBULK_PIN"))
	if pin <= 0 {
		pin = 16
	}
	lat, err := time.ParseDuration(os.Getenv("PDBULK_LATENCY"))
	if err != nil {
		lat = 20 * time.Millisecond
	}
	j := benchJob(b, b.TempDir(), "bench-pinned", "leads.csv", rows, leadgen.WriteCSV)
	for b.Loop() {
		base := benchSandbox(b, sandbox.Emulation{RateLimit: 120, Latency: lat})
		p := ratelimit.New(ratelimit.Options{})
		r := benchRunImport(b, base, j, p, pin)
		b.ReportMetric(100*float64(r.pacer.Requests)/r.elapsed.Seconds()/60, "pct_of_limit")
		b.Logf("%s; pacer: %s", r.res.Stats, r.pacer)
	}
}

// BenchmarkImportCPU imports 20,000 leads (PDBULK_CPU_ROWS) into a sandbox with no limit
// and no latency, through an unlimited pacer at concurrency 16: pdbulk's own cost per row,
// for profiling (-cpuprofile).
//
//	go test -run '^$' -bench ImportCPU -benchtime=1x -cpuprofile cpu.out ./importer/
//	go tool pprof -top importer.test cpu.out
func BenchmarkImportCPU(b *testing.B) {
	rows := 20000
	if n, err := strconv.Atoi(os.Getenv("PDBULK_CPU_ROWS")); err == nil && n > 0 {
		rows = n
	}
	j := benchJob(b, b.TempDir(), "bench-cpu", "leads.csv", rows, leadgen.WriteCSV)
	for b.Loop() {
		base := benchSandbox(b, sandbox.Emulation{})
		conc := 16
		if n, err := strconv.Atoi(os.Getenv("PDBULK_PIN")); err == nil && n >= 0 {
			conc = n
		}
		r := benchRunImport(b, base, j, benchUnlimitedPacer(), conc)
		if r.res.Stats.Created != int64(rows) {
			b.Fatalf("%s; want %d created", r.res.Stats, rows)
		}
		b.ReportMetric(float64(rows)/r.elapsed.Seconds(), "rows/s")
	}
}
