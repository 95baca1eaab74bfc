package pipedrive

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"testing"
)

// An upload reports the bytes of its file as they go, through its own buffer size, and an
// attempt that is repeated (a dial that failed) is taken back first: the sum is the file's
// size, once.
func TestUploadProgress(t *testing.T) {
	content := make([]byte, 3<<20+17)
	rand.NewChaCha8([32]byte{9}).Read(content)
	fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		checkUpload(t, r, "big.pdf", content, map[string]string{"deal_id": "4"})
		writeJSON(w, 200, env(fileJSON))
	})
	var dials atomic.Int32
	c, _ := fake.client(t, func(cfg *Config) { cfg.HTTPClient = &http.Client{Transport: failFirstDial(&dials)} })
	var sum, calls, negative atomic.Int64
	var opens atomic.Int32
	_, _, err := c.UploadFile(context.Background(), Upload{Name: "big.pdf", DealID: 4, Buffer: 64 << 10,
		Open: func() (io.ReadCloser, error) {
			opens.Add(1)
			return io.NopCloser(bytes.NewReader(content)), nil
		},
		Progress: func(n int64) {
			sum.Add(n)
			calls.Add(1)
			if n < 0 {
				negative.Add(1)
			}
			if n > 64<<10 {
				t.Errorf("progress step of %d bytes, more than the 64 KiB buffer", n)
			}
		}})
	if err != nil {
		t.Fatalf("UploadFile: %v", err)
	}
	if opens.Load() != 2 {
		t.Fatalf("file opened %d times, want 2 (the first dial fails)", opens.Load())
	}
	if sum.Load() != int64(len(content)) {
		t.Errorf("progress sums to %d bytes (%d calls, %d taken back), want %d", sum.Load(), calls.Load(), negative.Load(), len(content))
	}
	if calls.Load() < int64(len(content)/(64<<10)) {
		t.Errorf("%d progress calls for %d bytes: the file was not read in 64 KiB steps", calls.Load(), len(content))
	}
}
