package exporter

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
	"github.com/pdbulk/pdbulk/sandbox/sandboxtest"
)

// TestPageSpillRoundTrip: the records of a page put in a pageSpill come back exactly as a
// list answer decoded them (strings byte for byte, invalid UTF-8 and NULs included, numbers
// as their text, nested objects and arrays, empty ones and nulls), pages put from several
// goroutines do not mix, and a cut or damaged page is an error, not a panic.
func TestPageSpillRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, err := newPageSpill(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	page := func(k int) []record {
		return []record{
			{"id": "6f0c1a52-" + string(rune('a'+k)), "title": "Café \"x\"\n\r\t\x00 \xff\xfe ☃", "value": map[string]any{"amount": json.Number("12345678901234567890.50e3"), "currency": "EUR"}},
			{"id": json.Number("9007199254740993"), "label_ids": []any{"a", json.Number("-0"), nil, true, false, []any{}, map[string]any{}}, "owner": nil},
			{},
		}
	}
	const pages = 8
	ats := make([]spilled, pages)
	done := make(chan error, pages)
	for k := range pages {
		go func() {
			var err error
			ats[k], err = s.put(page(k))
			done <- err
		}()
	}
	for range pages {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for k, at := range ats {
		got, err := s.get(at)
		if err != nil {
			t.Fatalf("page %d: %v", k, err)
		}
		if want := page(k); !reflect.DeepEqual(got, want) {
			t.Errorf("page %d came back as %#v, want %#v", k, got, want)
		}
	}
	// A crash leaves no file behind: on this system it is gone from the folder at once.
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("%d files in the folder while the read runs, want none", len(left))
	}

	// Every cut of a page, and every byte of it changed, is refused or read as some page.
	at := ats[0]
	for n := range at.n {
		if _, err := s.get(spilled{off: at.off, n: n}); err == nil {
			t.Errorf("a page cut to %d of its %d bytes was read back", n, at.n)
		}
	}
	buf := make([]byte, at.n)
	if _, err := s.f.ReadAt(buf, at.off); err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		for _, b := range []byte{0x00, 0x7f, 0xff, 'o', 'a', 's'} {
			bad := append([]byte(nil), buf...)
			bad[i] = b
			d := valueDecoder{buf: bad}
			for range d.count() {
				d.value()
			}
		}
	}

	s.close()
	if _, err := s.put(page(0)); err == nil {
		t.Error("put after close succeeded")
	}
}

// TestReadHoldsFewPagesInMemory: at long round trips dozens of pages come back at once,
// faster than a slow target takes them (a workbook on a network drive). A read keeps at most
// maxHeld of them in memory; the others wait on disk and come back in order, every lead
// once. (bench/export-rss.sh at 1 s: 102–122 MB for 100,000 leads before, 53 MB after.)
func TestReadHoldsFewPagesInMemory(t *testing.T) {
	const n, page = 1500, 20
	srv, base := sandboxtest.Start(t, sandbox.Options{Token: "held-token", Emulation: sandbox.Emulation{Latency: 30 * time.Millisecond}})
	if err := srv.InsertLeads(context.Background(), n, sandbox.SampleLeads(n, time.Now(), srv.LeadLabelIDs())); err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: "held-token",
		Pacer: ratelimit.New(ratelimit.Options{Limit: 100000}), HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	o := &Options{Client: c, PageSize: page, Concurrency: 32}
	c.Gate().Set(0, 32)
	spill, err := newPageSpill(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := o.newPager("getLeads", url.Values{}, "id", false, false)
	r := p.start(context.Background(), spill)
	seen := map[string]bool{}
	most := int64(0)
	err = r.each(func(rec record) error {
		most = max(most, r.held.Load())
		if len(seen)%page == 0 {
			time.Sleep(5 * time.Millisecond) // a slow target: the pages pile up
		}
		id := fmt.Sprint(rec["id"])
		if seen[id] {
			t.Errorf("lead %s handed on twice", id)
		}
		seen[id] = true
		return nil
	})
	if err != nil {
		t.Fatalf("each: %v", err)
	}
	active := 0
	if err := srv.EachLead(context.Background(), func(l sandbox.Lead) error {
		if !l.IsArchived {
			active++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != active {
		t.Errorf("%d leads handed on, want the %d active ones", len(seen), active)
	}
	if most > maxHeld {
		t.Errorf("%d pages waited in memory at once, want at most %d", most, maxHeld)
	}
	if spill.size == 0 {
		t.Error("no page waited on disk: the consumer was never behind, the test proves nothing")
	}
	t.Logf("%d leads, at most %d pages in memory, %d bytes of pages on disk", len(seen), most, spill.size)
}
