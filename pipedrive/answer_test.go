package pipedrive

// Success answers are bounded per operation and in total (answer.go): tested with the real
// client against a real HTTP server on 127.0.0.1.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/spec"
)

func TestAnswerBound(t *testing.T) {
	const record, page, files = maxRecordAnswer, maxPageAnswer, maxPageAnswer / 5
	want := map[string]int64{
		"getFiles": files, "addFile": record, "addFileAndLinkIt": record, "linkFileToItem": record,
		"deleteFile": record, "getFile": record, "updateFile": record,
		"downloadFile":  page, // streamed to a sink: never buffered, the bound is not used
		"deleteFilters": record, "getFilters": page, "addFilter": record, "getFilterHelpers": page,
		"deleteFilter": record, "getFilter": record, "updateFilter": record,
		"addGoal": record, "getGoals": page, "updateGoal": record, "deleteGoal": record, "getGoalResult": page,
		"searchItem": page, "searchItemByField": page,
		"getLeads": page, "addLead": record, "getArchivedLeads": page, "getLead": record, "updateLead": record,
		"deleteLead": record, "getLeadUsers": page, "searchLeads": page,
		"getLeadLabels": page, "addLeadLabel": record, "updateLeadLabel": record, "deleteLeadLabel": record,
		"getLeadSources": page, "getTeams": page, "addTeam": record, "getTeam": record, "updateTeam": record,
		"getCurrentUser": record,
		"searchItemV2":   files, "searchLeadsV2": page, "searchOrganizationV2": page, "searchPersonsV2": page,
	}
	for _, ep := range append(append([]spec.Endpoint(nil), spec.Endpoints...), spec.EndpointsV2...) {
		t.Run(ep.Op, func(t *testing.T) {
			w, ok := want[ep.Op]
			if !ok {
				t.Fatalf("no expected bound for %s %s: add it here", ep.Method, ep.Path)
			}
			if got := answerBound(ep); got != w {
				t.Errorf("answerBound(%s) = %d, want %d", ep.Op, got, w)
			}
			if got := answerBound(ep); got > answerBudget/2 {
				t.Errorf("answerBound(%s) = %d: over half the budget %d, two could not be read at once", ep.Op, got, answerBudget)
			}
		})
	}
}

// bigAnswer writes a 2xx answer of size bytes: a JSON object padded with spaces, valid when
// whole. declared sets Content-Length; otherwise the body is sent chunked. It stops at the
// first failed write (the client hung up), holding only one chunk in memory.
func bigAnswer(w http.ResponseWriter, status int, size int64, declared bool, data string) {
	w.Header().Set("Content-Type", "application/json")
	if declared {
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	}
	w.WriteHeader(status)
	head := `{"success":true,"data":` + data
	pad := []byte(strings.Repeat(" ", 64<<10))
	if _, err := io.WriteString(w, head); err != nil {
		return
	}
	left := size - int64(len(head)) - 1
	for left > 0 {
		n := min(left, int64(len(pad)))
		if _, err := w.Write(pad[:n]); err != nil {
			return
		}
		left -= n
	}
	io.WriteString(w, "}")
}

func TestAnswerTooLarge(t *testing.T) {
	const huge = 63 << 20
	tests := []struct {
		name     string
		op       string
		size     int64
		declared bool
		call     func(c *Client) (*Response, error)
		inDoubt  bool
		read     int64 // want TooLargeError.Read; 0 when refused on the declared length
	}{
		{name: "create chunked", op: "addLead", size: huge, inDoubt: true, read: maxRecordAnswer + 1,
			call: func(c *Client) (*Response, error) {
				_, r, err := c.CreateLead(t.Context(), LeadInput{Title: "x"})
				return r, err
			}},
		{name: "create declared", op: "addLead", size: huge, declared: true, inDoubt: true,
			call: func(c *Client) (*Response, error) {
				_, r, err := c.CreateLead(t.Context(), LeadInput{Title: "x"})
				return r, err
			}},
		{name: "get one chunked", op: "getLead", size: maxRecordAnswer + 1, read: maxRecordAnswer + 1,
			call: func(c *Client) (*Response, error) { _, r, err := c.Lead(t.Context(), "a"); return r, err }},
		{name: "update declared", op: "updateLead", size: 3 << 20, declared: true,
			call: func(c *Client) (*Response, error) {
				_, r, err := c.UpdateLead(t.Context(), "a", LeadPatch{Title: Set("y")})
				return r, err
			}},
		{name: "list page chunked", op: "getLeads", size: huge, read: maxPageAnswer + 1,
			call: func(c *Client) (*Response, error) {
				_, _, r, err := c.ListLeads(t.Context(), LeadsQuery{Limit: 500})
				return r, err
			}},
		{name: "list page declared", op: "getLeads", size: huge, declared: true,
			call: func(c *Client) (*Response, error) {
				_, _, r, err := c.ListLeads(t.Context(), LeadsQuery{Limit: 500})
				return r, err
			}},
		{name: "raw records", op: "getLeads", size: huge, read: maxPageAnswer + 1,
			call: func(c *Client) (*Response, error) {
				_, _, r, err := c.RecordsKeep(t.Context(), "getLeads", nil, 0, 500, nil)
				return r, err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				bigAnswer(w, spec.ByOp(tt.op).Status, tt.size, tt.declared, "[")
			})
			c, sl := f.client(t, nil)
			resp, err := tt.call(c)
			var tl *TooLargeError
			if !errors.As(err, &tl) {
				t.Fatalf("%s: err = %v, want a *TooLargeError", tt.op, err)
			}
			bound := answerBound(spec.ByOp(tt.op))
			if tl.Op != tt.op || tl.Limit != bound || tl.Read != tt.read {
				t.Errorf("%s: TooLargeError = %+v, want Op %s, Limit %d, Read %d", tt.op, *tl, tt.op, bound, tt.read)
			}
			if tt.declared && tl.Declared != tt.size {
				t.Errorf("%s: Declared = %d, want %d", tt.op, tl.Declared, tt.size)
			}
			if !errors.Is(err, ErrTooLarge) || !errors.Is(err, ErrUnavailable) {
				t.Errorf("%s: %v does not match ErrTooLarge and ErrUnavailable", tt.op, err)
			}
			if got := errors.Is(err, ErrInDoubt); got != tt.inDoubt {
				t.Errorf("%s: errors.Is(%v, ErrInDoubt) = %v, want %v", tt.op, err, got, tt.inDoubt)
			}
			msg := err.Error()
			for _, s := range []string{tt.op, mib(bound) + " bound"} {
				if !strings.Contains(msg, s) {
					t.Errorf("%s: message %q lacks %q", tt.op, msg, s)
				}
			}
			// Not retried: the same request would get the same answer.
			if n := len(f.calls()); n != 1 || resp == nil || resp.Attempts != 1 || len(sl.all()) != 0 {
				t.Errorf("%s: %d requests, %v backoffs, want 1 and none", tt.op, n, sl.all())
			}
		})
	}
}

// TestAnswerAtBound: an answer of exactly its operation's bound is read and decoded.
func TestAnswerAtBound(t *testing.T) {
	for _, declared := range []bool{false, true} {
		t.Run(fmt.Sprintf("declared=%v", declared), func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				bigAnswer(w, http.StatusOK, maxRecordAnswer, declared, leadJSON)
			})
			c, _ := f.client(t, nil)
			l, _, err := c.Lead(t.Context(), "adf21080-0e10-11eb-879b-05d71fb426ec")
			if err != nil || l.Title != "Jane Doe Lead" {
				t.Fatalf("Lead of %d bytes = %q, %v; want it read", maxRecordAnswer, l.Title, err)
			}
		})
	}
}

// TestAnswerMemoryBounded sends n concurrent creates and n concurrent page reads, every
// answer 63 MiB and chunked, and checks what the client allocated and held: before the
// bounds, each answer was read whole (64 MiB a request, 2 GiB held at 32 in flight).
// The peak is sampled, so it can miss a spike but never invent one.
func TestAnswerMemoryBounded(t *testing.T) {
	const creates, pages = 32, 4
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		bigAnswer(w, spec.ByOp(map[string]string{"POST": "addLead", "GET": "getLeads"}[r.Method]).Status, 63<<20, false, "[")
	})
	c, _ := f.client(t, func(cfg *Config) {
		cfg.HTTPClient = &http.Client{Transport: sharedTransport.Clone()}
	})
	c.Gate().Set(0, creates+pages) // every request in flight at once
	peak, alloc := watchHeap(t, func() {
		var wg sync.WaitGroup
		for i := range creates + pages {
			wg.Go(func() {
				var err error
				if i < creates {
					_, _, err = c.CreateLead(t.Context(), LeadInput{Title: "x"})
				} else {
					_, _, _, err = c.ListLeads(t.Context(), LeadsQuery{Limit: 500})
				}
				if !errors.Is(err, ErrTooLarge) {
					t.Errorf("request %d: err = %v, want ErrTooLarge", i, err)
				}
			})
		}
		wg.Wait()
	})
	// Each create reads 2 MiB + 1, each page 32 MiB + 1, in a buffer that doubles (~2×
	// that allocated), plus the buffers of the transport and of the server (more under
	// -race, where sync.Pool drops items). Reading each answer whole allocated ~5 × 63 MiB.
	if max := uint64(4 * (creates*maxRecordAnswer + pages*maxPageAnswer)); alloc > max {
		t.Errorf("allocated %d MiB for %d answers of 63 MiB, want at most %d MiB", alloc>>20, creates+pages, max>>20)
	}
	// Held at once: the budget, 1.5× while a buffer grows, a GC cycle's garbage (GOGC=100
	// lets the heap double before collecting), and slack for the rest of the test binary.
	// Reading each answer whole held 36 × 63 MiB.
	if max := uint64(4*answerBudget + 32<<20); peak > max {
		t.Errorf("peak heap in use grew by %d MiB with %d answers of 63 MiB in flight, want at most %d MiB", peak>>20, creates+pages, max>>20)
	}
	t.Logf("%d answers of 63 MiB: peak heap in use +%d MiB, allocated %d MiB", creates+pages, peak>>20, alloc>>20)
}

// watchHeap runs fn and returns the growth of HeapInuse at its sampled peak and the bytes
// allocated meanwhile.
func watchHeap(tb testing.TB, fn func()) (peak, alloc uint64) {
	tb.Helper()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var top atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > top.Load() {
				top.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(stop)
	<-done
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	return top.Load() - min(top.Load(), before.HeapInuse), after.TotalAlloc - before.TotalAlloc
}

// BenchmarkOversizedAnswers: n concurrent creates, each answered with 63 MiB chunked;
// reports the peak growth of the heap in use and what each request allocated.
func BenchmarkOversizedAnswers(b *testing.B) {
	for _, n := range []int{8, 32} {
		b.Run(fmt.Sprintf("creates=%d", n), func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				bigAnswer(w, http.StatusCreated, 63<<20, false, "[")
			}))
			defer srv.Close()
			c, err := New(Config{BaseURL: srv.URL + "/v1", Token: testToken, HTTPClient: &http.Client{Transport: sharedTransport.Clone()}})
			if err != nil {
				b.Fatal(err)
			}
			c.Gate().Set(0, n)
			var peak, alloc uint64
			b.ResetTimer()
			for b.Loop() {
				p, a := watchHeap(b, func() {
					var wg sync.WaitGroup
					for range n {
						wg.Go(func() {
							if _, _, err := c.CreateLead(context.Background(), LeadInput{Title: "x"}); !errors.Is(err, ErrTooLarge) {
								b.Errorf("err = %v, want ErrTooLarge", err)
							}
						})
					}
					wg.Wait()
				})
				peak, alloc = max(peak, p), alloc+a
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(alloc)/float64(b.N*n)/(1<<20), "MiB-alloc/req")
		})
	}
}
