package pipedrive

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// An upload from disk goes with a Content-Length (the file's size is known): not chunked,
// and the length announced is the body's, every byte of the file in it.
func TestUploadSendsContentLength(t *testing.T) {
	const size = 5<<20 + 123
	path, want := writeRandomFile(t, size)
	var length atomic.Int64
	var chunked atomic.Bool
	fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		length.Store(r.ContentLength)
		chunked.Store(len(r.TransferEncoding) > 0)
		n, sum, fields := readUpload(t, r)
		if n != size || sum != want || fields["file"] != "Signed contract (final).pdf" || fields["deal_id"] != "77" {
			t.Errorf("server got %d bytes, fields %v; want the file's %d bytes", n, fields, size)
		}
		writeJSON(w, 200, env(fileJSON))
	})
	c, _ := fake.client(t, nil)
	if _, _, err := c.UploadFile(context.Background(), Upload{Path: path, Name: "Signed contract (final).pdf", DealID: 77}); err != nil {
		t.Fatalf("UploadFile: %v", err)
	}
	if chunked.Load() || length.Load() < size {
		t.Errorf("Content-Length %d, chunked %v; want the body's length, not chunked", length.Load(), chunked.Load())
	}
}

// A file that changes size while it is sent fails the upload with the reason, and the
// server never receives a whole body: a file that grew is not cut to its old size, one
// that shrank is not padded.
func TestUploadFileChangingSize(t *testing.T) {
	tests := []struct {
		name   string
		change func(path string) error
		want   string
	}{
		{"grew", func(path string) error {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString("appended by a scanner while the upload ran")
			return err
		}, "grew while it was sent"},
		{"shrank", func(path string) error { return os.Truncate(path, 300<<10) }, "shrank while it was sent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path, _ := writeRandomFile(t, 1<<20)
			var whole atomic.Int32
			fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				mr, err := r.MultipartReader()
				if err != nil {
					writeJSON(w, 400, `{"success":false,"error":"not multipart"}`)
					return
				}
				for {
					p, err := mr.NextPart()
					if errors.Is(err, io.EOF) {
						whole.Add(1) // the closing boundary arrived
						break
					}
					if err != nil {
						writeJSON(w, 400, `{"success":false,"error":"malformed multipart body"}`)
						return
					}
					if _, err := io.Copy(io.Discard, p); err != nil {
						writeJSON(w, 400, `{"success":false,"error":"malformed multipart body"}`)
						return
					}
				}
				writeJSON(w, 200, env(fileJSON))
			})
			c, _ := fake.client(t, nil)
			var once sync.Once
			_, _, err := c.UploadFile(context.Background(), Upload{Path: path, DealID: 3, Progress: func(n int64) {
				if n > 0 {
					once.Do(func() {
						if err := tc.change(path); err != nil {
							t.Error(err)
						}
					})
				}
			}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("UploadFile error = %v, want one that says the file %s", err, tc.want)
			}
			t.Logf("error: %v", err)
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error shows the token: %v", err)
			}
			if whole.Load() != 0 {
				t.Errorf("the server received %d whole bodies, want none", whole.Load())
			}
		})
	}
}
