package importer

import (
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
)

// TestSameStored compares values read back from the API with values a row sent, in the
// form the server stores them.
func TestSameStored(t *testing.T) {
	for _, tc := range []struct {
		path      string
		got, sent any
		want      bool
	}{
		{"value.currency", "EUR", "eur", true},
		{"value.currency", "EUR", " Eur ", true},
		{"value.currency", "EUR", "USD", false},
		{"title", "Acme", " Acme ", true},
		{"title", "Acme", "acme", false}, // titles keep their case
		{"value.amount", 12.0, int64(12), true},
		{"value.amount", 12.5, "12.50", true},
		{"value.amount", 12.5, 12.51, false},
		{"person_id", 5.0, "5", true},
		{"label_ids", []any{"b", "a"}, []string{"a", "b"}, true},
		{"label_ids", []any{"a"}, []string{"a", "b"}, false},
		{"label_ids", []any{}, nil, true},
		{"expected_close_date", nil, "", true},
		{"expected_close_date", "2026-01-05", "2026-01-05", true},
		{"value", map[string]any{"amount": 3.0, "currency": "EUR"}, map[string]any{"amount": int64(3), "currency": "eur"}, true},
		{"was_seen", false, true, false},
	} {
		if got := sameStored(tc.path, tc.got, tc.sent); got != tc.want {
			t.Errorf("sameStored(%s, %#v, %#v) = %v, want %v", tc.path, tc.got, tc.sent, got, tc.want)
		}
	}
}

// TestIdentity checks which fields of a payload identify the record a create made.
func TestIdentity(t *testing.T) {
	lead := map[string]any{"title": "T", "value": map[string]any{"amount": 3.0, "currency": "eur"}, "organization_id": int64(5), "custom": "x"}
	got := identity(jobs.EntityLeads, lead, nil)
	want := map[string]any{"title": "T", "value.amount": 3.0, "value.currency": "eur", "organization_id": int64(5)}
	if identKey(got) != identKey(want) {
		t.Errorf("identity(lead) = %v, want %v", got, want)
	}
	if a, b := identKey(identity(jobs.EntityLeads, lead, nil)), identKey(map[string]any{"title": " T", "value.amount": "3", "value.currency": "EUR", "organization_id": 5.0}); a != b {
		t.Errorf("identKey of the same lead in two forms: %q != %q", a, b)
	}
	match := map[string]any{"title": "T"}
	if got := identity(jobs.EntityLeads, lead, match); len(got) != 1 || got["title"] != "T" {
		t.Errorf("identity with match_on = %v, want the match_on fields", got)
	}
	filter := map[string]any{"name": "F", "type": "leads", "conditions": map[string]any{"glue": "and"}}
	if got := identity(jobs.EntityFilters, filter, nil); len(got) != 2 {
		t.Errorf("identity(filter) = %v, want name and type only", got)
	}
}

// TestAddedSince checks that an add_time truncated to the second counts from the end of
// its second.
func TestAddedSince(t *testing.T) {
	since := time.Date(2026, 11, 30, 12, 0, 0, 500_000_000, time.UTC)
	for _, tc := range []struct {
		s     string
		after bool
	}{
		{"2026-11-30T12:00:00.400Z", false},
		{"2026-11-30T12:00:00.600Z", true},
		{"2026-11-30 12:00:00", true}, // anywhere in that second
		{"2026-11-30 11:59:59", false},
	} {
		if _, after, ok := addedSince(tc.s, since); !ok || after != tc.after {
			t.Errorf("addedSince(%q, %v) = %v, %v; want %v", tc.s, since, after, ok, tc.after)
		}
	}
}
