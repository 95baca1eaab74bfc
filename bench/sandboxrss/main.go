// Command sandboxrss measures the peak memory of a sandbox process that holds a million
// leads while a client pages through all of them over HTTP.
//
//	go run ./bench/sandboxrss -data /tmp/sandboxrss -leads 1000000
//
// It runs itself as a child twice: once to load -leads leads (sandbox.SampleLeads) into
// the SQLite file under -data, skipped when the folder holds them already, and once to
// serve them; the parent is the client. It pages through GET /leads and GET
// /leads/archived (-limit leads a page, -concurrency pages in flight, -sort), checks that
// every lead came exactly once, then has the serving child report its peak resident set
// (VmHWM of /proc/self/status), so that the client's own memory is not counted. It exits
// 1 when a lead is missing or repeated, or the peak is over -target-mb.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/pdbulk/pdbulk/sandbox"
)

const token = "sandboxrss-token"

type options struct {
	data        string
	leads       int
	limit       int
	concurrency int
	sort        string
	targetMB    float64
}

func main() {
	var o options
	child := flag.String("child", "", "internal: load or serve")
	flag.StringVar(&o.data, "data", "", "sandbox data folder (required; reused when it holds -leads leads)")
	flag.IntVar(&o.leads, "leads", 1_000_000, "leads the sandbox holds")
	flag.IntVar(&o.limit, "limit", 500, "leads per page (Pipedrive's maximum is 500)")
	flag.IntVar(&o.concurrency, "concurrency", 4, "pages in flight")
	flag.StringVar(&o.sort, "sort", "update_time DESC", "sort parameter of the pages")
	flag.Float64Var(&o.targetMB, "target-mb", 200, "peak resident set the serving sandbox must stay under")
	flag.Parse()
	if o.data == "" || o.leads < 1 || o.limit < 1 || o.concurrency < 1 {
		flag.Usage()
		os.Exit(2)
	}
	var err error
	switch *child {
	case "load":
		err = load(o)
	case "serve":
		err = serve(o)
	case "":
		err = run(o)
	default:
		err = fmt.Errorf("unknown -child %q", *child)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sandboxrss:", err)
		os.Exit(1)
	}
}

// marker records in the data folder how many leads a completed load stored.
func marker(o options) string { return filepath.Join(o.data, "sandboxrss.leads") }

// load is the first child: it stores o.leads sample leads in a new sandbox under o.data.
func load(o options) error {
	s, err := sandbox.New(sandbox.Options{Token: token, DataDir: o.data})
	if err != nil {
		return err
	}
	t0 := time.Now()
	end := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	err = s.InsertLeads(context.Background(), o.leads, sandbox.SampleLeads(o.leads, end, s.LeadLabelIDs()))
	took := time.Since(t0)
	if err := errors.Join(err, s.Close()); err != nil {
		return err
	}
	hwm, err := vmHWM()
	if err != nil {
		return err
	}
	fmt.Printf("load: %d leads in %.1f s (%.0f leads/s); peak RSS of the loading process %.1f MB\n",
		o.leads, took.Seconds(), float64(o.leads)/took.Seconds(), float64(hwm)/1024)
	return os.WriteFile(marker(o), []byte(strconv.Itoa(o.leads)), 0o644)
}

// serve is the second child: it serves o.data, prints its URL, and when its stdin closes
// prints its peak resident set in kB and stops.
func serve(o options) error {
	s, err := sandbox.New(sandbox.Options{Token: token, DataDir: o.data})
	if err != nil {
		return err
	}
	base, err := s.Start()
	if err != nil {
		return errors.Join(err, s.Close())
	}
	fmt.Println(base)
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent is done
	hwm, err := vmHWM()
	fmt.Println(hwm)
	return errors.Join(err, s.Close())
}

// vmHWM reads the process's peak resident set size, in kB.
func vmHWM() (int, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, found := strings.CutPrefix(line, "VmHWM:"); found {
			return strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}

func run(o options) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	args := []string{"-data", o.data, "-leads", strconv.Itoa(o.leads)}
	if b, err := os.ReadFile(marker(o)); err != nil || string(b) != strconv.Itoa(o.leads) {
		if err := os.RemoveAll(o.data); err != nil {
			return err
		}
		load := exec.Command(self, append([]string{"-child", "load"}, args...)...)
		load.Stdout, load.Stderr = os.Stdout, os.Stderr
		if err := load.Run(); err != nil {
			return fmt.Errorf("load: %w", err)
		}
	} else {
		fmt.Printf("load: reusing the %d leads in %s\n", o.leads, o.data)
	}

	srv := exec.Command(self, append([]string{"-child", "serve"}, args...)...)
	srv.Stderr = os.Stderr
	in, err := srv.StdinPipe()
	if err != nil {
		return err
	}
	out, err := srv.StdoutPipe()
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		return errors.Join(errors.New("serve: no URL"), srv.Wait())
	}
	base := lines.Text()

	t0 := time.Now()
	seen := map[uuid.UUID]struct{}{}
	var pages, repeated int
	for _, list := range []string{"/leads", "/leads/archived"} {
		p, r, err := pageAll(base+list, o, seen)
		pages, repeated = pages+p, repeated+r
		if err != nil {
			_ = in.Close()
			return errors.Join(err, srv.Wait())
		}
	}
	took := time.Since(t0)
	if err := in.Close(); err != nil {
		return err
	}
	if !lines.Scan() {
		return errors.Join(errors.New("serve: no peak RSS"), srv.Wait())
	}
	hwm, err := strconv.Atoi(lines.Text())
	if err := errors.Join(err, srv.Wait()); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	mb := float64(hwm) / 1024
	fmt.Printf("paged: %d leads (%d distinct, %d repeated) in %d pages of %d, sort %q, %d in flight: %.1f s, %.0f leads/s\n",
		len(seen)+repeated, len(seen), repeated, pages, o.limit, o.sort, o.concurrency, took.Seconds(), float64(len(seen)+repeated)/took.Seconds())
	verdict := "met"
	if mb > o.targetMB {
		verdict = "MISSED"
	}
	fmt.Printf("serve: peak RSS of the sandbox process %.1f MB (target <= %.0f MB: %s)\n", mb, o.targetMB, verdict)
	switch {
	case len(seen) != o.leads || repeated != 0:
		return fmt.Errorf("paging saw %d distinct leads and %d repeats, want each of the %d leads once", len(seen), repeated, o.leads)
	case mb > o.targetMB:
		return fmt.Errorf("peak RSS %.1f MB is over the %.0f MB target", mb, o.targetMB)
	}
	return nil
}

// pageAll reads list page after page, o.concurrency pages in flight, until a page says
// no more items follow, adding every lead id to seen. It returns the pages read and the
// ids seen more than once.
func pageAll(list string, o options, seen map[uuid.UUID]struct{}) (pages, repeated int, err error) {
	var (
		next   atomic.Int64 // next page number to fetch
		last   atomic.Int64 // number of the last page, once known
		mu     sync.Mutex   // guards seen, pages, repeated, errs
		errs   []error
		wg     sync.WaitGroup
		client = &http.Client{Timeout: time.Minute}
	)
	last.Store(-1)
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1) - 1
				if l := last.Load(); l >= 0 && n > l {
					return
				}
				ids, more, err := getPage(client, list, o, int(n)*o.limit)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				pages++
				for _, id := range ids {
					if _, dup := seen[id]; dup {
						repeated++
					}
					seen[id] = struct{}{}
				}
				mu.Unlock()
				if !more {
					last.CompareAndSwap(-1, n)
					return
				}
			}
		}()
	}
	wg.Wait()
	return pages, repeated, errors.Join(errs...)
}

func getPage(c *http.Client, list string, o options, start int) ([]uuid.UUID, bool, error) {
	u := fmt.Sprintf("%s?start=%d&limit=%d&sort=%s", list, start, o.limit, url.QueryEscape(o.sort))
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("x-api-token", token)
	resp, err := c.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, false, fmt.Errorf("GET %s: %s %s", u, resp.Status, b)
	}
	var body struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
		AdditionalData struct {
			More bool `json:"more_items_in_collection"`
		} `json:"additional_data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, false, fmt.Errorf("GET %s: %w", u, err)
	}
	ids := make([]uuid.UUID, len(body.Data))
	for i, d := range body.Data {
		if ids[i], err = uuid.Parse(d.ID); err != nil {
			return nil, false, fmt.Errorf("GET %s: lead id %q: %w", u, d.ID, err)
		}
	}
	return ids, body.AdditionalData.More, nil
}
