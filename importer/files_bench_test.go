package importer_test

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/sandbox"
)

// benchFolder writes n files of size random bytes under dir/files, in 10 folders, and a
// folder files job that uploads them to deal 1 with the given concurrency.
func benchFolder(b *testing.B, dir string, n, size, concurrency int) *jobs.Job {
	b.Helper()
	buf := make([]byte, size)
	for i := range n {
		rand.Read(buf)
		p := filepath.Join(dir, "files", fmt.Sprintf("d%02d", i%10), fmt.Sprintf("f%04d.pdf", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	job := fmt.Sprintf(`kind: import
name: bench-files-c%d
entity: files
source: {folder: files, glob: "**/*.pdf"}
mode: create
columns:
  file: path
  deal_id: {value: 1}
options: {concurrency: %d, upload_concurrency: %d, max_rejects: 0}
`, concurrency, concurrency, concurrency)
	p := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(p, []byte(job), 0o644); err != nil {
		b.Fatal(err)
	}
	j, err := jobs.Load(p)
	if err != nil {
		b.Fatal(err)
	}
	return j
}

// BenchmarkFileUploads uploads files of 1 MiB (200, or PDBULK_BENCH_FILES) from a folder to
// the sandbox with 20 ms latency and no rate limit, at upload concurrency 1 and 8: files/s
// and MB/s of the upload path (importer, client, streamed multipart, sandbox) over the
// whole run, the speedup of 8 over 1, and the CPU time of this process per upload (client
// and sandbox together: both run in it), user and system. Both concurrencies upload the
// same number of files, from folders generated alike in b.TempDir, to a fresh sandbox with
// the same latency on every request.
func BenchmarkFileUploads(b *testing.B) {
	const size = 1 << 20
	files := 200
	if v := os.Getenv("PDBULK_BENCH_FILES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("PDBULK_BENCH_FILES=%q: want a positive number of files", v)
		}
		files = n
	}
	dir := b.TempDir()
	var rate1 float64
	for _, c := range []int{1, 8} {
		b.Run(fmt.Sprintf("c%d", c), func(b *testing.B) {
			j := benchFolder(b, filepath.Join(dir, fmt.Sprint(c)), files, size, c)
			base := benchSandbox(b, sandbox.Emulation{Latency: 20 * time.Millisecond})
			var sum, user, sys time.Duration
			n := 0
			for b.Loop() {
				u0, s0 := processCPU(b)
				r := benchRunImport(b, base, j, benchUnlimitedPacer(), c)
				u1, s1 := processCPU(b)
				if r.res.Stats.Created != int64(files) {
					b.Fatalf("%s, problems %v; want %d created", r.res.Stats, r.res.Problems, files)
				}
				sum += r.elapsed
				user += u1 - u0
				sys += s1 - s0
				n++
			}
			rate := float64(n*files) / sum.Seconds()
			b.ReportMetric(rate, "files/s")
			b.ReportMetric(rate*size/1e6, "MB/s")
			per := func(d time.Duration) float64 { return d.Seconds() * 1e3 / float64(n*files) }
			b.ReportMetric(per(user), "user-ms/file")
			b.ReportMetric(per(sys), "sys-ms/file")
			if c == 1 {
				rate1 = rate
			} else if rate1 > 0 {
				b.ReportMetric(rate/rate1, "speedup")
			}
		})
	}
}

// processCPU returns the user and system CPU time this process has used so far.
func processCPU(b *testing.B) (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}
