package sandbox

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"testing"
)

// Uploads are stored byte for byte whatever their size against the 256 KiB blocks of the
// upload's reads and writes (pooled, reused from upload to upload): empty, one byte, around
// 4 KiB, exactly one block, a block and a byte, and several with an odd end. Each is read
// back from the data folder and downloaded through the API.
func TestUploadStoredByteForByte(t *testing.T) {
	e := newEnv(t, Options{DataDir: t.TempDir()})
	rng := rand.NewChaCha8([32]byte{7})
	for _, size := range []int{0, 1, 4095, 4096, 4097, copyBlock, copyBlock + 1, 3*copyBlock + 4096 + 17} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			content := make([]byte, size)
			rng.Read(content)
			r := e.upload(map[string]string{"deal_id": "1"}, "Q3 proposal ACME.pdf", content)
			if r.status != 200 {
				t.Fatalf("upload of %d bytes: %d %s", size, r.status, r.body)
			}
			d := r.data(t)
			if got := int(d["file_size"].(float64)); got != size {
				t.Errorf("file_size %d, want %d", got, size)
			}
			id := int(d["id"].(float64))
			stored, err := os.ReadFile(e.s.store.filePath(id))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(stored, content) {
				t.Fatalf("stored %d bytes that differ from the %d uploaded", len(stored), size)
			}
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/files/%d/download", e.base, id), nil)
			req.Header.Set("x-api-token", testToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != 200 || !bytes.Equal(got, content) {
				t.Fatalf("download: %d, %d bytes (err %v), want the %d uploaded", resp.StatusCode, len(got), err, size)
			}
		})
	}
}
