package importer

import (
	"errors"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/mapping"
)

// TestFindLabel looks label names up folded as keys: one label of the key is the answer,
// none is not found, several are ambiguous and named, never one picked.
func TestFindLabel(t *testing.T) {
	labels := map[string][]label{}
	add := func(name, id string) {
		k := mapping.FoldKey(name)
		labels[k] = append(labels[k], label{name: name, id: id})
	}
	add("Hot", "h")
	add("Caf\u00e9 Leads", "c")
	add("Priority", "p1")
	add("PRIORITY", "p2")
	for _, tc := range []struct {
		name   string
		id     any
		err    error
		naming []string
	}{
		{"Hot", "h", nil, nil},
		{" HOT ", "h", nil, nil},
		{"cafe\u0301  leads", "c", nil, nil},
		{"Cold", nil, mapping.ErrNotFound, nil},
		{"priority", nil, mapping.ErrAmbiguous, []string{`"Priority" (p1)`, `"PRIORITY" (p2)`}},
		{"Priority", nil, mapping.ErrAmbiguous, []string{"p1", "p2"}}, // an exact name is no tie-break
	} {
		id, err := findLabel(labels, tc.name)
		if id != tc.id || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("findLabel(%q) = %v, %v; want %v, %v", tc.name, id, err, tc.id, tc.err)
			continue
		}
		for _, n := range tc.naming {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("findLabel(%q) error %q does not name %s", tc.name, err, n)
			}
		}
	}
}

// TestKeyMatches finds records by match_on text folded as keys, while sameStored (what a
// create in doubt is compared by) keeps case and form.
func TestKeyMatches(t *testing.T) {
	for _, tc := range []struct {
		rec, match map[string]any
		want       bool
	}{
		{map[string]any{"title": "Acme Deal"}, map[string]any{"title": "acme deal"}, true},
		{map[string]any{"title": "Big  Space\u00a0Deal "}, map[string]any{"title": "Big Space Deal"}, true},
		{map[string]any{"title": "Caf\u00e9"}, map[string]any{"title": "CAFE\u0301"}, true},
		{map[string]any{"title": "Acme Deal"}, map[string]any{"title": "Acme Deals"}, false},
		{map[string]any{"title": "Acme", "organization_id": 5.0}, map[string]any{"title": "acme", "organization_id": int64(6)}, false},
		{map[string]any{"value": map[string]any{"currency": "EUR"}}, map[string]any{"value.currency": "eur"}, true},
	} {
		if got := keyMatches(tc.rec, tc.match); got != tc.want {
			t.Errorf("keyMatches(%v, %v) = %v, want %v", tc.rec, tc.match, got, tc.want)
		}
	}
	if matches(map[string]any{"title": "Acme"}, map[string]any{"title": "acme"}) {
		t.Errorf("matches(Acme, acme) = true, want false: a create in doubt adopts only its own text")
	}
}
