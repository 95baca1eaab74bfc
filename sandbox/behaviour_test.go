package sandbox

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestPersistenceAcrossRestart stores one of everything, closes the server, opens a new
// one on the same DataDir and reads it all back.
func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s1, err := New(Options{Token: testToken, DataDir: dir})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	base1, err := s1.Start()
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	e1 := &env{t: t, s: s1, base: strings.TrimSuffix(base1, "/api/v1")}
	w := e1.build()
	e1.must(200, "PATCH", "/leads/"+w.leadID, map[string]any{"title": "Acme rollout (edited)"})
	if err := s1.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := s1.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}

	e2 := newEnv(t, Options{DataDir: dir})
	got := e2.must(200, "GET", "/leads/"+w.leadID, nil).data(t)
	if got["title"] != "Acme rollout (edited)" {
		t.Errorf("lead title after restart = %v, want the edited title", got["title"])
	}
	if ids, _ := got["label_ids"].([]any); len(ids) != 1 || ids[0] != w.labelID {
		t.Errorf("label_ids after restart = %v, want [%s]", got["label_ids"], w.labelID)
	}
	e2.must(200, "GET", "/leads/archived", nil)
	if n := len(e2.must(200, "GET", "/leads/archived", nil).json(t)["data"].([]any)); n != 1 {
		t.Errorf("archived leads after restart = %d, want 1", n)
	}
	e2.must(200, "GET", fmt.Sprintf("/filters/%d", w.filterID), nil)
	e2.must(200, "GET", fmt.Sprintf("/legacyTeams/%d", w.teamID), nil)
	if g := e2.must(200, "GET", "/goals/find", nil).data(t)["goals"].([]any); len(g) != 1 {
		t.Errorf("goals after restart = %d, want 1", len(g))
	}
	if dl := e2.call("GET", fmt.Sprintf("/files/%d/download", w.fileID), nil); !bytes.Equal(dl.body, w.fileBytes) {
		t.Errorf("download after restart = %q, want %q", dl.body, w.fileBytes)
	}
	labels := e2.must(200, "GET", "/leadLabels", nil).json(t)["data"].([]any)
	if len(labels) != 4 { // Hot, Warm, Cold seeded once + VIP
		t.Errorf("labels after restart = %d, want 4 (seeded only once)", len(labels))
	}
	// New ids continue after the stored ones.
	id := int(e2.must(200, "POST", "/filters", map[string]any{"name": "n", "type": "leads", "conditions": conds("title", "=", "x")}).data(t)["id"].(float64))
	if id <= w.filterID {
		t.Errorf("new filter id after restart = %d, want > %d", id, w.filterID)
	}
	// A filter restored from disk still filters.
	if n := len(e2.must(200, "GET", fmt.Sprintf("/leads?filter_id=%d", w.filterID), nil).json(t)["data"].([]any)); n != 1 {
		t.Errorf("leads through the restored filter = %d, want 1", n)
	}
}

func TestStart(t *testing.T) {
	t.Run("refuses a non-loopback address", func(t *testing.T) {
		s, err := New(Options{Token: testToken, Addr: "0.0.0.0:0"})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Start(); err == nil {
			t.Errorf("Start() on 0.0.0.0 = nil error, want a refusal")
		}
	})
	t.Run("serves on loopback", func(t *testing.T) {
		s, err := New(Options{Token: testToken})
		if err != nil {
			t.Fatal(err)
		}
		base, err := s.Start()
		if err != nil {
			t.Fatalf("Start() = %v", err)
		}
		if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/api/v1") {
			t.Errorf("Start() = %q, want http://127.0.0.1:PORT/api/v1", base)
		}
		resp, err := http.Get(base + "/leadSources?api_token=" + testToken)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET leadSources = %d, want 200", resp.StatusCode)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		if _, err := s.Start(); err == nil {
			t.Errorf("Start() after Close = nil error")
		}
	})
	t.Run("requires a token", func(t *testing.T) {
		if _, err := New(Options{}); err == nil {
			t.Errorf("New without a token = nil error")
		}
	})
}

func TestLeadPagination(t *testing.T) {
	e := newEnv(t, Options{})
	for i := 0; i < 5; i++ {
		e.must(201, "POST", "/leads", validLead(map[string]any{"title": fmt.Sprintf("Lead %d", i)}))
	}
	tests := []struct {
		query     string
		wantN     int
		wantMore  bool
		wantLimit int
		wantFirst string
	}{
		{"limit=2", 2, true, 2, "Lead 0"},
		{"limit=2&start=2", 2, true, 2, "Lead 2"},
		{"limit=2&start=4", 1, false, 2, "Lead 4"},
		{"start=10", 0, false, 100, ""},
		{"limit=100000", 5, false, 500, "Lead 0"},
		{"sort=title%20DESC&limit=1", 1, true, 1, "Lead 4"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.must(200, "GET", "/leads?"+tt.query, nil)
			checkSchema(t, "LeadsGetAllResponse", r.body)
			m := r.json(t)
			data := m["data"].([]any)
			ad := m["additional_data"].(map[string]any)
			if len(data) != tt.wantN || ad["more_items_in_collection"] != tt.wantMore || int(ad["limit"].(float64)) != tt.wantLimit {
				t.Errorf("GET /leads?%s = %d items, more %v, limit %v; want %d, %v, %d", tt.query, len(data), ad["more_items_in_collection"], ad["limit"], tt.wantN, tt.wantMore, tt.wantLimit)
			}
			if tt.wantFirst != "" && len(data) > 0 && data[0].(map[string]any)["title"] != tt.wantFirst {
				t.Errorf("first title = %v, want %s", data[0].(map[string]any)["title"], tt.wantFirst)
			}
		})
	}
}

func TestFilePagination(t *testing.T) {
	e := newEnv(t, Options{})
	for i := 0; i < 3; i++ {
		e.upload(map[string]string{"person_id": "1"}, fmt.Sprintf("f%d.txt", i), []byte("x"))
	}
	tests := []struct {
		query    string
		wantN    int
		wantNext any
	}{
		{"limit=2", 2, float64(2)},
		{"limit=2&start=2", 1, nil},
		{"limit=1000", 3, nil}, // clamped to 100
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.must(200, "GET", "/files?"+tt.query, nil)
			checkSchema(t, "FilesGetAllFilesResponse", r.body)
			m := r.json(t)
			p := m["additional_data"].(map[string]any)["pagination"].(map[string]any)
			if n := len(m["data"].([]any)); n != tt.wantN || p["next_start"] != tt.wantNext {
				t.Errorf("GET /files?%s = %d items, next_start %v; want %d, %v", tt.query, n, p["next_start"], tt.wantN, tt.wantNext)
			}
			if p["more_items_in_collection"] != (tt.wantNext != nil) {
				t.Errorf("more_items_in_collection = %v with next_start %v", p["more_items_in_collection"], p["next_start"])
			}
		})
	}
	if l := e.must(200, "GET", "/files?limit=1000", nil).json(t)["additional_data"].(map[string]any)["pagination"].(map[string]any)["limit"]; l != float64(100) {
		t.Errorf("files limit 1000 answered as limit %v, want clamped to 100", l)
	}
}

func TestLeadListFilters(t *testing.T) {
	e := newEnv(t, Options{})
	a := e.must(201, "POST", "/leads", validLead(map[string]any{"title": "Acme one", "owner_id": 2, "person_id": 3})).data(t)["id"].(string)
	e.must(201, "POST", "/leads", validLead(map[string]any{"title": "Globex two", "owner_id": 3, "organization_id": 2}))
	e.must(201, "POST", "/leads", validLead(map[string]any{"title": "Acme three", "owner_id": 3}))
	arch := e.must(201, "POST", "/leads", validLead(map[string]any{"title": "Acme archived"})).data(t)["id"].(string)
	e.must(200, "PATCH", "/leads/"+arch, map[string]any{"is_archived": true})
	byTitle := int(e.must(200, "POST", "/filters", map[string]any{"name": "acme", "type": "leads", "conditions": conds("title", "LIKE '$%'", "acme")}).data(t)["id"].(float64))
	byOwner := int(e.must(200, "POST", "/filters", map[string]any{"name": "owner 3", "type": "leads", "conditions": conds("owner_id", "=", 3)}).data(t)["id"].(float64))
	people := int(e.must(200, "POST", "/filters", map[string]any{"name": "people", "type": "people", "conditions": conds("name", "=", "x")}).data(t)["id"].(float64))
	tests := []struct {
		path   string
		titles []string
	}{
		{"/leads?owner_id=3", []string{"Globex two", "Acme three"}},
		{"/leads?person_id=3", []string{"Acme one"}},
		{"/leads?organization_id=2", []string{"Globex two"}},
		{fmt.Sprintf("/leads?filter_id=%d", byTitle), []string{"Acme one", "Acme three"}},
		{fmt.Sprintf("/leads?filter_id=%d&sort=title%%20DESC", byOwner), []string{"Globex two", "Acme three"}},
		{"/leads/archived", []string{"Acme archived"}},
		{"/leads?updated_since=2000-01-01T00:00:00Z&sort=owner_id%20DESC,title%20ASC", []string{"Acme three", "Globex two", "Acme one"}},
		{"/leads?updated_since=2999-01-01T00:00:00Z", nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			data := e.must(200, "GET", tt.path, nil).json(t)["data"].([]any)
			var got []string
			for _, d := range data {
				got = append(got, d.(map[string]any)["title"].(string))
			}
			if strings.Join(got, "|") != strings.Join(tt.titles, "|") {
				t.Errorf("GET %s = %q, want %q", tt.path, got, tt.titles)
			}
		})
	}
	if r := e.call("GET", fmt.Sprintf("/leads?filter_id=%d", people), nil); r.status != 400 {
		t.Errorf("filter of type people on leads = %d, want 400", r.status)
	}
	e.must(200, "DELETE", fmt.Sprintf("/filters/%d", byTitle), nil)
	if r := e.call("GET", fmt.Sprintf("/leads?filter_id=%d", byTitle), nil); r.status != 400 {
		t.Errorf("deleted filter on leads = %d, want 400", r.status)
	}
	e.must(200, "DELETE", "/leads/"+a, nil)
	e.must(404, "GET", "/leads/"+a, nil)
}

func TestSearch(t *testing.T) {
	e := newEnv(t, Options{})
	e.must(201, "POST", "/leads", validLead(map[string]any{"title": "Initech printers"}))
	e.must(201, "POST", "/leads", validLead(map[string]any{"title": "Big Initech deal"}))
	e.must(201, "POST", "/leads", validLead(map[string]any{"title": "Reinitech"}))
	items := func(path string) []map[string]any {
		r := e.must(200, "GET", path, nil)
		var out []map[string]any
		for _, it := range r.data(t)["items"].([]any) {
			out = append(out, it.(map[string]any))
		}
		return out
	}
	t.Run("person by email, exact", func(t *testing.T) {
		got := items("/itemSearch?term=alice@acme.example&item_types=person&fields=email&exact_match=true")
		if len(got) != 1 || got[0]["item"].(map[string]any)["id"] != float64(1) || got[0]["result_score"] != scoreExact {
			t.Fatalf("search by email = %v, want person 1 with score 1", got)
		}
	})
	t.Run("exact match is case-insensitive and whole-value only", func(t *testing.T) {
		if got := items("/itemSearch?term=ALICE@ACME.EXAMPLE&item_types=person&fields=email&exact_match=1"); len(got) != 1 {
			t.Errorf("upper-case exact email search = %d items, want 1", len(got))
		}
		if got := items("/itemSearch?term=alice@acme&item_types=person&fields=email&exact_match=true"); len(got) != 0 {
			t.Errorf("partial exact email search = %d items, want 0", len(got))
		}
	})
	t.Run("prefix above word start above substring", func(t *testing.T) {
		got := items("/leads/search?term=initech")
		var titles []string
		for _, g := range got {
			titles = append(titles, g["item"].(map[string]any)["title"].(string))
		}
		if strings.Join(titles, "|") != "Initech printers|Big Initech deal|Reinitech" {
			t.Errorf("lead search order = %q", titles)
		}
		if !(got[0]["result_score"].(float64) > got[1]["result_score"].(float64) && got[1]["result_score"].(float64) > got[2]["result_score"].(float64)) {
			t.Errorf("scores not decreasing: %v %v %v", got[0]["result_score"], got[1]["result_score"], got[2]["result_score"])
		}
	})
	t.Run("item types and paging", func(t *testing.T) {
		r := e.must(200, "GET", "/itemSearch?term=initech&limit=2", nil)
		p := r.json(t)["additional_data"].(map[string]any)["pagination"].(map[string]any)
		if p["more_items_in_collection"] != true || p["next_start"] != float64(2) {
			t.Errorf("pagination = %v, want more items and next_start 2", p)
		}
		all := items("/itemSearch?term=initech")
		types := map[string]int{}
		for _, it := range all {
			types[it["item"].(map[string]any)["type"].(string)]++
		}
		if types["lead"] != 3 || types["organization"] != 1 {
			t.Errorf("item types = %v, want 3 leads and 1 organization", types)
		}
	})
	t.Run("one-character term with exact match", func(t *testing.T) {
		e.must(200, "GET", "/itemSearch?term=x&exact_match=true", nil)
	})
	t.Run("field search distinct values", func(t *testing.T) {
		r := e.must(200, "GET", "/itemSearch/field?term=initech&field_type=leadField&field_key=title", nil)
		data := r.json(t)["data"].([]any)
		if len(data) != 3 || data[0].(map[string]any)["title"] == nil {
			t.Errorf("field search = %s, want 3 titles", r.body)
		}
		r = e.must(200, "GET", "/itemSearch/field?term=acme.example&field_type=personField&field_key=email&return_item_ids=true", nil)
		checkSchema(t, "ItemSearchByFieldValuesResponse", r.body)
		if n := len(r.json(t)["data"].([]any)); n != 2 {
			t.Errorf("persons with an acme.example email = %d, want 2", n)
		}
	})
	t.Run("lead search by person", func(t *testing.T) {
		if got := items("/leads/search?term=initech&person_id=2"); len(got) != 0 {
			t.Errorf("lead search for person 2 = %d items, want 0", len(got))
		}
	})
}

func TestLeadLabelDeleteUnlinks(t *testing.T) {
	e := newEnv(t, Options{})
	lbl := e.must(200, "POST", "/leadLabels", map[string]any{"name": "Gone", "color": "gray"}).data(t)["id"].(string)
	id := e.must(201, "POST", "/leads", validLead(map[string]any{"label_ids": []string{lbl}})).data(t)["id"].(string)
	e.must(200, "DELETE", "/leadLabels/"+lbl, nil)
	if ids := e.must(200, "GET", "/leads/"+id, nil).data(t)["label_ids"].([]any); len(ids) != 0 {
		t.Errorf("label_ids after deleting the label = %v, want []", ids)
	}
}

func TestSoftDeletes(t *testing.T) {
	e := newEnv(t, Options{})
	w := e.build()
	e.must(200, "DELETE", fmt.Sprintf("/files/%d", w.fileID), nil)
	f := e.must(200, "GET", fmt.Sprintf("/files/%d", w.fileID), nil).data(t)
	if f["active_flag"] != false {
		t.Errorf("deleted file active_flag = %v, want false", f["active_flag"])
	}
	e.must(404, "GET", fmt.Sprintf("/files/%d/download", w.fileID), nil)
	e.must(404, "DELETE", fmt.Sprintf("/files/%d", w.fileID), nil)
	e.must(200, "DELETE", "/goals/"+w.goalID, nil)
	if g := e.must(200, "GET", "/goals/find?is_active=false", nil).data(t)["goals"].([]any); len(g) != 1 {
		t.Errorf("inactive goals = %d, want 1", len(g))
	}
	e.must(404, "GET", "/goals/"+w.goalID+"/results?period.start=2026-01-01&period.end=2026-01-02", nil)
	e.must(200, "DELETE", fmt.Sprintf("/filters?ids=%d", w.filterID), nil)
	e.must(404, "GET", fmt.Sprintf("/filters/%d", w.filterID), nil)
}
