package sandbox

import (
	"bytes"
	"net/http"
	"testing"
)

// TestLeadWriteAnswersAsRead: the answer to a lead create or update (the JSON stored for the
// lead, not encoded again) is byte for byte the answer a GET of the same lead gives (the lead
// encoded from its fields), titles with characters JSON escapes included.
func TestLeadWriteAnswersAsRead(t *testing.T) {
	e := newEnv(t, Options{})
	created := e.must(http.StatusCreated, "POST", "/leads", validLead(map[string]any{
		"title": `Ünïcode <b>&</b> "quoted" \ Müller & Söhne`, "value": map[string]any{"amount": 12.5, "currency": "EUR"},
		"expected_close_date": "2026-03-04",
	}))
	id, _ := created.data(t)["id"].(string)
	if id == "" {
		t.Fatalf("created lead has no id: %s", created.body)
	}
	got := e.must(http.StatusOK, "GET", "/leads/"+id, nil)
	if !bytes.Equal(created.body, got.body) {
		t.Errorf("POST answered\n%s\nGET answers\n%s", created.body, got.body)
	}
	if ct := created.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("POST Content-Type = %q", ct)
	}
	updated := e.must(http.StatusOK, "PATCH", "/leads/"+id, map[string]any{"title": "Mixed CASE <Title>", "was_seen": true})
	got = e.must(http.StatusOK, "GET", "/leads/"+id, nil)
	if !bytes.Equal(updated.body, got.body) {
		t.Errorf("PATCH answered\n%s\nGET answers\n%s", updated.body, got.body)
	}
	if d := updated.data(t); d["title"] != "Mixed CASE <Title>" || d["was_seen"] != true {
		t.Errorf("PATCH answer data = %v", d)
	}
}
