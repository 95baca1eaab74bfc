package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const benchClients = 8

// BenchmarkSandbox measures lead creates and gets with 8 concurrent clients over real
// HTTP on 127.0.0.1, for the file-backed (WAL) and the in-memory store. It reports
// creates/s and gets/s.
func BenchmarkSandbox(b *testing.B) {
	for _, mode := range []string{"disk", "memory"} {
		b.Run(mode, func(b *testing.B) {
			o := Options{Token: testToken}
			if mode == "disk" {
				o.DataDir = b.TempDir()
			}
			s, err := New(o)
			if err != nil {
				b.Fatal(err)
			}
			base, err := s.Start()
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				if err := s.Close(); err != nil {
					b.Error(err)
				}
			}()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}
			defer client.CloseIdleConnections()
			var mu sync.Mutex
			var ids []string
			b.Run("create", func(b *testing.B) {
				body, err := json.Marshal(validLead(map[string]any{"value": map[string]any{"amount": 100, "currency": "EUR"}, "organization_id": 2}))
				if err != nil {
					b.Fatal(err)
				}
				elapsed := runClients(b, func(int) error {
					var out struct {
						Data struct{ ID string } `json:"data"`
					}
					if err := benchDo(client, "POST", base+"/leads", body, 201, &out); err != nil {
						return err
					}
					mu.Lock()
					ids = append(ids, out.Data.ID)
					mu.Unlock()
					return nil
				})
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "creates/s")
			})
			if len(ids) == 0 {
				b.Fatal("no lead created")
			}
			b.Run("get", func(b *testing.B) {
				elapsed := runClients(b, func(i int) error {
					return benchDo(client, "GET", base+"/leads/"+ids[i%len(ids)], nil, 200, nil)
				})
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "gets/s")
			})
		})
	}
}

// runClients runs b.N calls of op spread over benchClients goroutines and returns the
// elapsed time.
func runClients(b *testing.B, op func(i int) error) time.Duration {
	b.Helper()
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := 0; c < benchClients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := op(int(i)); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	return elapsed
}

func benchDo(c *http.Client, method, url string, body []byte, want int, out any) error {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("x-api-token", testToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s = %d %s", method, url, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
