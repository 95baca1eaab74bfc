package pipedrive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/spec"
)

// checkUpload reads a multipart upload as a stream and checks its file part (name and
// content) and its fields (values, and names/types against the seed request schema).
func checkUpload(t *testing.T, r *http.Request, name string, content []byte, fields map[string]string) {
	t.Helper()
	n, sum, got := readUpload(t, r)
	if got["file"] != name {
		t.Errorf("uploaded file name = %q, want %q", got["file"], name)
	}
	if n != int64(len(content)) || sum != sha256.Sum256(content) {
		t.Errorf("uploaded %d bytes (sha %x), want %d (sha %x)", n, sum[:4], len(content), sha256.Sum256(content))
	}
	delete(got, "file")
	if len(got) != len(fields) {
		t.Errorf("fields = %v, want %v", got, fields)
	}
	for k, v := range fields {
		if got[k] != v {
			t.Errorf("field %s = %q, want %q", k, got[k], v)
		}
	}
}

// readUpload streams a multipart body: file size, file sha256, and every field (the file
// part's entry holds its file name). The schema check runs on the fields.
func readUpload(t *testing.T, r *http.Request) (int64, [32]byte, map[string]string) {
	t.Helper()
	var sum [32]byte
	var n int64
	got := map[string]string{}
	mr, err := r.MultipartReader()
	if err != nil {
		t.Errorf("upload is not multipart: %v", err)
		return 0, sum, got
	}
	form := map[string][]string{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Errorf("read part: %v", err)
			return n, sum, got
		}
		if p.FormName() == "file" {
			h := sha256.New()
			if n, err = io.Copy(h, p); err != nil {
				t.Errorf("read file part: %v", err)
			}
			copy(sum[:], h.Sum(nil))
			got["file"] = p.FileName()
			continue
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Errorf("read field: %v", err)
		}
		got[p.FormName()] = string(b)
		form[p.FormName()] = []string{string(b)}
	}
	form["file"] = []string{"(binary)"}
	checkFields(t, spec.ByOp("addFile"), form)
	return n, sum, got
}

// writeRandomFile writes size pseudo-random bytes to a new file and returns its path and
// sha256.
func writeRandomFile(t testing.TB, size int64) (string, [32]byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	rng := rand.NewChaCha8([32]byte{1})
	if _, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(rng, size)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return path, sum
}

// TestUploadStreamsLargeFile uploads 50 MB and checks that the server got every byte and
// field, and that the whole process allocated far less than the file's size.
func TestUploadStreamsLargeFile(t *testing.T) {
	const size = 50 << 20
	path, want := writeRandomFile(t, size)
	var gotN atomic.Int64
	var gotSum atomic.Value
	fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		n, sum, fields := readUpload(t, r)
		gotN.Store(n)
		gotSum.Store(sum)
		if fields["person_id"] != "42" || fields["file"] != "big.bin" {
			t.Errorf("fields = %v", fields)
		}
		writeJSON(w, 200, env(fileJSON))
	})
	c, _ := fake.client(t, nil)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, _, err := c.UploadFile(context.Background(), Upload{Path: path, PersonID: 42}); err != nil {
		t.Fatalf("UploadFile: %v", err)
	}
	runtime.ReadMemStats(&after)
	if gotN.Load() != size || gotSum.Load() != want {
		t.Errorf("server got %d bytes, want %d with the file's sha256", gotN.Load(), size)
	}
	// Both client and server run in this process: the total stays far below 50 MB when
	// the body is streamed.
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("upload of %d MB: %d KB allocated by client and server together", size>>20, alloc>>10)
	if alloc > size/5 {
		t.Errorf("upload of %d MB allocated %d MB: the file is not streamed", size>>20, alloc>>20)
	}
}

// failFirstDial returns a transport whose first dial fails (nothing is sent).
func failFirstDial(dials *atomic.Int32) *http.Transport {
	d := &net.Dialer{}
	return &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
		}
		return d.DialContext(ctx, network, addr)
	}}
}

func TestUploadRetries(t *testing.T) {
	content := []byte("contract body")
	tests := []struct {
		name       string
		failDial   bool
		status     int
		wantErr    error
		wantOpens  int32
		wantServed int
	}{
		{name: "dial failure is retried and the file reopened", failDial: true, status: 200, wantOpens: 2, wantServed: 1},
		{name: "5xx after sending is in doubt, not retried", status: http.StatusBadGateway, wantErr: ErrInDoubt, wantOpens: 1, wantServed: 1},
		{name: "400 is returned as is", status: http.StatusBadRequest, wantErr: &APIError{}, wantOpens: 1, wantServed: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				checkUpload(t, r, "c.txt", content, map[string]string{"deal_id": "9"})
				if tc.status != 200 {
					writeJSON(w, tc.status, `{"success":false,"error":"boom","error_info":"x","data":null,"additional_data":null}`)
					return
				}
				writeJSON(w, 200, env(fileJSON))
			})
			var dials atomic.Int32
			c, sl := fake.client(t, func(cfg *Config) {
				if tc.failDial {
					cfg.HTTPClient = &http.Client{Transport: failFirstDial(&dials)}
				}
			})
			var opens atomic.Int32
			_, _, err := c.UploadFile(context.Background(), Upload{Name: "c.txt", DealID: 9, Open: func() (io.ReadCloser, error) {
				opens.Add(1)
				return io.NopCloser(bytes.NewReader(content)), nil
			}})
			switch want := tc.wantErr.(type) {
			case nil:
				if err != nil {
					t.Fatalf("UploadFile: %v", err)
				}
			case *APIError:
				var ae *APIError
				if !errors.As(err, &ae) || ae.Status != tc.status || errors.Is(err, ErrInDoubt) {
					t.Fatalf("UploadFile error = %v, want an APIError %d", err, tc.status)
				}
			default:
				if !errors.Is(err, want) {
					t.Fatalf("UploadFile error = %v, want %v", err, want)
				}
			}
			if opens.Load() != tc.wantOpens {
				t.Errorf("file opened %d times, want %d", opens.Load(), tc.wantOpens)
			}
			if n := len(fake.calls()); n != tc.wantServed {
				t.Errorf("server saw %d uploads, want %d", n, tc.wantServed)
			}
			if tc.failDial && len(sl.all()) != 1 {
				t.Errorf("backoff waits = %v, want one", sl.all())
			}
		})
	}
}

func TestUploadMissingFileSendsNothing(t *testing.T) {
	fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, env(fileJSON)) })
	c, _ := fake.client(t, nil)
	_, _, err := c.UploadFile(context.Background(), Upload{Path: filepath.Join(t.TempDir(), "missing.pdf")})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("UploadFile error = %v, want fs.ErrNotExist", err)
	}
	if n := len(fake.calls()); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

func TestDownloadStreamsToWriter(t *testing.T) {
	const size = 8 << 20
	data := make([]byte, size)
	rand.NewChaCha8([32]byte{2}).Read(data)
	fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/files/7/download" {
			t.Errorf("path = %s", r.URL.Path)
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(data)
	})
	c, _ := fake.client(t, nil)
	h := sha256.New()
	n, resp, err := c.DownloadFile(context.Background(), 7, h)
	if err != nil {
		t.Fatalf("DownloadFile: %v", err)
	}
	if want := sha256.Sum256(data); n != size || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Errorf("DownloadFile wrote %d bytes, want %d with the served sha256", n, size)
	}
	if resp.Status != 200 {
		t.Errorf("status = %d", resp.Status)
	}
}

// TestDownloadRedirectDropsToken follows a download redirected to another host (as the
// real API redirects to storage) and checks the token does not travel there.
func TestDownloadRedirectDropsToken(t *testing.T) {
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-token") != "" {
			t.Errorf("storage host received the api token header")
		}
		io.WriteString(w, "stored bytes")
	}))
	defer storage.Close()
	fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, storage.URL+"/bucket/7", http.StatusFound)
	})
	c, _ := fake.client(t, nil)
	var b bytes.Buffer
	if _, _, err := c.DownloadFile(context.Background(), 7, &b); err != nil {
		t.Fatalf("DownloadFile: %v", err)
	}
	if b.String() != "stored bytes" {
		t.Errorf("downloaded %q, want %q", b.String(), "stored bytes")
	}
}

// BenchmarkUploadFile measures upload throughput and allocations per upload of a 16 MB
// file over loopback (B/op stays far below the file size when the body streams).
func BenchmarkUploadFile(b *testing.B) {
	const size = 16 << 20
	path, _ := writeRandomFile(b, size)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mr, err := r.MultipartReader()
		if err != nil {
			b.Error(err)
			return
		}
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if _, err := io.Copy(io.Discard, p); err != nil {
				b.Error(err)
			}
		}
		writeJSON(w, 200, env(fileJSON))
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL + "/v1", Token: testToken})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.UploadFile(context.Background(), Upload{Path: path, DealID: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestStreamTimeoutIsIdleTime checks that Timeout bounds the time without progress of a
// download, not its length: a slow download that keeps moving completes, a stalled one
// fails with a transport error and is not retried (the writer holds part of the file).
func TestStreamTimeoutIsIdleTime(t *testing.T) {
	const chunks = 12
	tests := []struct {
		name    string
		stallAt int // chunk after which the server stops sending; -1 never
		wantErr bool
	}{
		{name: "slow but moving completes", stallAt: -1},
		{name: "stalled fails", stallAt: 3, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				fl := w.(http.Flusher)
				for i := range chunks {
					if i == tc.stallAt {
						<-r.Context().Done()
						return
					}
					io.WriteString(w, "0123456789")
					fl.Flush()
					time.Sleep(25 * time.Millisecond)
				}
			})
			// 12 chunks 25 ms apart take longer than the 150 ms timeout in total.
			c, _ := fake.client(t, func(cfg *Config) { cfg.Timeout = 150 * time.Millisecond })
			var b bytes.Buffer
			n, _, err := c.DownloadFile(context.Background(), 1, &b)
			if !tc.wantErr {
				if err != nil || n != chunks*10 {
					t.Fatalf("DownloadFile = %d bytes, %v; want %d bytes", n, err, chunks*10)
				}
				return
			}
			var te *TransportError
			if !errors.As(err, &te) || !errors.Is(err, errStalled) {
				t.Fatalf("DownloadFile error = %v, want a stalled TransportError", err)
			}
			if got := len(fake.calls()); got != 1 {
				t.Errorf("server saw %d requests, want 1", got)
			}
		})
	}
}

// TestRedirectsThatWouldLeakAreRefused: a read redirected to plain http on a host that is
// not loopback goes nowhere (not even retried), and a write redirected anywhere is not sent
// again: a 307 would carry its body to the other host, a 302 would turn it into a GET
// whose answer would read as the write's.
func TestRedirectsThatWouldLeakAreRefused(t *testing.T) {
	var other atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		other.Add(1)
		writeJSON(w, http.StatusOK, `{"success":true,"data":{"id":"11111111-1111-1111-1111-111111111111","name":"fake","color":"green"}}`)
	}))
	defer elsewhere.Close()
	var hits atomic.Int64
	to := ""
	code := http.StatusFound
	fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, to, code)
	})
	c, _ := fake.client(t, nil)

	to = "http://pdbulk-redirect.invalid/steal"
	_, _, err := c.CurrentUser(context.Background())
	if err == nil || !strings.Contains(err.Error(), "redirect refused to http://pdbulk-redirect.invalid: plain http is allowed to a loopback host only") {
		t.Errorf("read redirected to plain http: err = %v", err)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("read redirected to plain http: %d requests, want 1 (no retry)", n)
	}

	for _, code = range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound, http.StatusSeeOther} {
		to = elsewhere.URL + "/collect"
		_, _, err := c.CreateLeadLabel(context.Background(), LeadLabelInput{Name: "Confidential customer", Color: "green"})
		if err == nil {
			t.Errorf("create answered %d: no error; the other host's answer was taken for the create's", code)
		}
		var doubt *InDoubtError
		if !errors.As(err, &doubt) {
			t.Errorf("create answered %d: err = %v, want the create in doubt", code, err)
		}
	}
	if n := other.Load(); n != 0 {
		t.Errorf("the other host received %d requests, want 0", n)
	}
}
