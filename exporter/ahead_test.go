package exporter

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
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
