package sandbox

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestValidation sends every kind of bad input and checks the status and Pipedrive's
// error shape: success false, an error message and error_info.
func TestValidation(t *testing.T) {
	e := newEnv(t, Options{MaxBodyBytes: 4096})
	w := e.build()
	missingUUID := "0b1e1e1e-1111-4111-8111-111111111111"
	seventeen := map[string]any{"glue": "and", "conditions": func() []any {
		var leaves []any
		for i := 0; i < 17; i++ {
			leaves = append(leaves, map[string]any{"object": "lead", "field_id": "title", "operator": "=", "value": fmt.Sprint(i)})
		}
		return []any{map[string]any{"glue": "and", "conditions": leaves}, map[string]any{"glue": "or", "conditions": []any{}}}
	}()}
	badGoal := func(k string, v any) map[string]any {
		g := goalBody()
		if v == nil {
			delete(g, k)
		} else {
			g[k] = v
		}
		return g
	}
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
	}{
		{"lead without title", "POST", "/leads", map[string]any{"person_id": 1}, 400},
		{"lead empty title", "POST", "/leads", validLead(map[string]any{"title": ""}), 400},
		{"lead title not a string", "POST", "/leads", validLead(map[string]any{"title": 5}), 400},
		{"lead without person or org", "POST", "/leads", map[string]any{"title": "x"}, 400},
		{"lead unknown person", "POST", "/leads", validLead(map[string]any{"person_id": 999}), 400},
		{"lead unknown organization", "POST", "/leads", map[string]any{"title": "x", "organization_id": 999}, 400},
		{"lead unknown owner", "POST", "/leads", validLead(map[string]any{"owner_id": 999}), 400},
		{"lead deactivated owner", "POST", "/leads", validLead(map[string]any{"owner_id": 5}), 400},
		{"lead value without currency", "POST", "/leads", validLead(map[string]any{"value": map[string]any{"amount": 5}}), 400},
		{"lead value without amount", "POST", "/leads", validLead(map[string]any{"value": map[string]any{"currency": "EUR"}}), 400},
		{"lead value amount not a number", "POST", "/leads", validLead(map[string]any{"value": map[string]any{"amount": "5", "currency": "EUR"}}), 400},
		{"lead label not a uuid", "POST", "/leads", validLead(map[string]any{"label_ids": []string{"hot"}}), 400},
		{"lead label does not exist", "POST", "/leads", validLead(map[string]any{"label_ids": []string{missingUUID}}), 400},
		{"lead visible_to not an enum value", "POST", "/leads", validLead(map[string]any{"visible_to": "2"}), 400},
		{"lead visible_to a number", "POST", "/leads", validLead(map[string]any{"visible_to": 3}), 400},
		{"lead bad date", "POST", "/leads", validLead(map[string]any{"expected_close_date": "2026-02-30"}), 400},
		{"lead date in another format", "POST", "/leads", validLead(map[string]any{"expected_close_date": "31/01/2026"}), 400},
		{"lead was_seen not a boolean", "POST", "/leads", validLead(map[string]any{"was_seen": "yes"}), 400},
		{"lead owner_id fractional", "POST", "/leads", validLead(map[string]any{"owner_id": 1.5}), 400},
		{"lead patch unlinks both", "PATCH", "/leads/" + w.leadID, map[string]any{"person_id": nil, "organization_id": nil}, 400},
		{"lead patch null title", "PATCH", "/leads/" + w.leadID, map[string]any{"title": nil}, 400},
		{"lead patch unknown label", "PATCH", "/leads/" + w.leadID, map[string]any{"label_ids": []string{missingUUID}}, 400},
		{"lead patch is_archived not boolean", "PATCH", "/leads/" + w.leadID, map[string]any{"is_archived": 1}, 400},
		{"lead 404 get", "GET", "/leads/" + missingUUID, nil, 404},
		{"lead 404 not a uuid", "GET", "/leads/42", nil, 404},
		{"lead 404 users", "GET", "/leads/" + missingUUID + "/permittedUsers", nil, 404},
		{"leads bad limit", "GET", "/leads?limit=abc", nil, 400},
		{"leads zero limit", "GET", "/leads?limit=0", nil, 400},
		{"leads negative start", "GET", "/leads?start=-1", nil, 400},
		{"leads bad sort field", "GET", "/leads?sort=value%20ASC", nil, 400},
		{"leads bad sort direction", "GET", "/leads?sort=title%20UP", nil, 400},
		{"leads unknown filter", "GET", "/leads?filter_id=999", nil, 400},
		{"leads bad updated_since", "GET", "/leads?updated_since=yesterday", nil, 400},
		{"leads bad owner_id", "GET", "/leads?owner_id=x", nil, 400},
		{"label without color", "POST", "/leadLabels", map[string]any{"name": "x"}, 400},
		{"label without name", "POST", "/leadLabels", map[string]any{"color": "red"}, 400},
		{"label bad color", "POST", "/leadLabels", map[string]any{"name": "x", "color": "teal"}, 400},
		{"label patch bad color", "PATCH", "/leadLabels/" + w.labelID, map[string]any{"color": "black"}, 400},
		{"filter without conditions", "POST", "/filters", map[string]any{"name": "x", "type": "leads"}, 400},
		{"filter bad type", "POST", "/filters", map[string]any{"name": "x", "type": "deals2", "conditions": conds("title", "=", "x")}, 400},
		{"filter without name", "POST", "/filters", map[string]any{"type": "leads", "conditions": conds("title", "=", "x")}, 400},
		{"filter 17 conditions", "POST", "/filters", map[string]any{"name": "x", "type": "leads", "conditions": seventeen}, 400},
		{"filter bad glue", "POST", "/filters", map[string]any{"name": "x", "type": "leads", "conditions": map[string]any{"glue": "xor", "conditions": []any{}}}, 400},
		{"filter bad operator", "POST", "/filters", map[string]any{"name": "x", "type": "leads", "conditions": conds("title", "~", "x")}, 400},
		{"filter update without conditions", "PUT", fmt.Sprintf("/filters/%d", w.filterID), map[string]any{"name": "y"}, 400},
		{"filter 404", "GET", "/filters/999", nil, 404},
		{"filter update 404", "PUT", "/filters/999", map[string]any{"conditions": conds("title", "=", "x")}, 404},
		{"filter delete 404", "DELETE", "/filters/999", nil, 404},
		{"filters bulk delete without ids", "DELETE", "/filters", nil, 400},
		{"filters bulk delete bad ids", "DELETE", "/filters?ids=1,x", nil, 400},
		{"filters bulk delete unknown id", "DELETE", fmt.Sprintf("/filters?ids=%d,999", w.filterID), nil, 404},
		{"filters bad type", "GET", "/filters?type=nope", nil, 400},
		{"goal bad type name", "POST", "/goals", badGoal("type", map[string]any{"name": "deals_lost"}), 400},
		{"goal bad interval", "POST", "/goals", badGoal("interval", "daily"), 400},
		{"goal missing interval", "POST", "/goals", badGoal("interval", nil), 400},
		{"goal bad assignee type", "POST", "/goals", badGoal("assignee", map[string]any{"id": 1, "type": "robot"}), 400},
		{"goal unknown assignee", "POST", "/goals", badGoal("assignee", map[string]any{"id": 99, "type": "person"}), 400},
		{"goal bad tracking metric", "POST", "/goals", badGoal("expected_outcome", map[string]any{"target": 5, "tracking_metric": "count"}), 400},
		{"goal target NaN", "POST", "/goals", badGoal("expected_outcome", map[string]any{"target": "NaN", "tracking_metric": "quantity"}), 400},
		{"goal target Inf", "POST", "/goals", badGoal("expected_outcome", map[string]any{"target": "+Inf", "tracking_metric": "sum"}), 400},
		{"goal currency with quantity", "POST", "/goals", badGoal("expected_outcome", map[string]any{"target": 5, "tracking_metric": "quantity", "currency_id": 1}), 400},
		{"goal bad start date", "POST", "/goals", badGoal("duration", map[string]any{"start": "2026-13-01"}), 400},
		{"goal end before start", "POST", "/goals", badGoal("duration", map[string]any{"start": "2026-02-01", "end": "2026-01-01"}), 400},
		{"goal missing duration", "POST", "/goals", badGoal("duration", nil), 400},
		{"goal update 404", "PUT", "/goals/nope", map[string]any{"title": "x"}, 404},
		{"goal delete 404", "DELETE", "/goals/nope", nil, 404},
		{"goal results 404", "GET", "/goals/nope/results?period.start=2026-01-01&period.end=2026-01-31", nil, 404},
		{"goal results without period", "GET", "/goals/" + w.goalID + "/results", nil, 400},
		{"goal results bad period", "GET", "/goals/" + w.goalID + "/results?period.start=2026-02-31&period.end=2026-03-01", nil, 400},
		{"goals find bad type", "GET", "/goals/find?type.name=nope", nil, 400},
		{"goals find bad assignee type", "GET", "/goals/find?assignee.type=robot", nil, 400},
		{"goals find bad metric", "GET", "/goals/find?expected_outcome.tracking_metric=x", nil, 400},
		{"goals find half a period", "GET", "/goals/find?period.start=2026-01-01", nil, 400},
		{"goals find bad is_active", "GET", "/goals/find?is_active=maybe", nil, 400},
		{"search without term", "GET", "/itemSearch", nil, 400},
		{"search term too short", "GET", "/itemSearch?term=a", nil, 400},
		{"search bad item type", "GET", "/itemSearch?term=acme&item_types=car", nil, 400},
		{"search bad field", "GET", "/itemSearch?term=acme&fields=colour", nil, 400},
		{"search bad exact_match", "GET", "/itemSearch?term=acme&exact_match=perhaps", nil, 400},
		{"field search bad field type", "GET", "/itemSearch/field?term=al&field_type=carField&field_key=name", nil, 400},
		{"field search without key", "GET", "/itemSearch/field?term=al&field_type=personField", nil, 400},
		{"field search unknown key", "GET", "/itemSearch/field?term=al&field_type=personField&field_key=shoe_size", nil, 400},
		{"lead search term too short", "GET", "/leads/search?term=a", nil, 400},
		{"lead search bad field", "GET", "/leads/search?term=acme&fields=name", nil, 400},
		{"file 404", "GET", "/files/999", nil, 404},
		{"file 404 not a number", "GET", "/files/abc", nil, 404},
		{"file download 404", "GET", "/files/999/download", nil, 404},
		{"file delete 404", "DELETE", "/files/999", nil, 404},
		{"files bad sort", "GET", "/files?sort=name%20ASC", nil, 400},
		{"team without name", "POST", "/legacyTeams", map[string]any{"manager_id": 1}, 400},
		{"team without manager", "POST", "/legacyTeams", map[string]any{"name": "x"}, 400},
		{"team unknown manager", "POST", "/legacyTeams", map[string]any{"name": "x", "manager_id": 99}, 400},
		{"team unknown member", "POST", "/legacyTeams", map[string]any{"name": "x", "manager_id": 1, "users": []int{99}}, 400},
		{"team 404", "GET", "/legacyTeams/999", nil, 404},
		{"teams bad order", "GET", "/legacyTeams?order_by=size", nil, 400},
		{"teams bad skip_users", "GET", "/legacyTeams?skip_users=2", nil, 400},
		{"unknown endpoint", "GET", "/deals", nil, 404},
		{"wrong method", "PUT", "/leads", map[string]any{}, 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call(tt.method, tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, r.status, r.body, tt.status)
			}
			checkErrorShape(t, r)
		})
	}
}

func checkErrorShape(t *testing.T, r reply) {
	t.Helper()
	m := r.json(t)
	if m["success"] != false {
		t.Errorf("success = %v, want false", m["success"])
	}
	if msg, _ := m["error"].(string); msg == "" {
		t.Errorf("error = %v, want a message", m["error"])
	}
	if _, has := m["error_info"]; !has {
		t.Errorf("body %s has no error_info", r.body)
	}
	if r.status == 400 && m["error_info"] != defaultErrorInfo {
		t.Errorf("error_info = %v, want %q", m["error_info"], defaultErrorInfo)
	}
}

// TestBodyProblems covers malformed JSON, wrong content types and oversized bodies.
func TestBodyProblems(t *testing.T) {
	e := newEnv(t, Options{MaxBodyBytes: 4096})
	lead := e.must(201, "POST", "/leads", validLead(nil)).data(t)["id"].(string)
	big := bytes.Repeat([]byte("a"), maxJSONBody+10)
	ct, upload := multipartBody(t, map[string]string{"person_id": "1"}, "big.bin", bytes.Repeat([]byte{7}, 5000))
	ctNoFile, noFile := multipartBody(t, map[string]string{"person_id": "1"}, "", nil)
	ctNoLink, noLink := multipartBody(t, nil, "a.txt", []byte("x"))
	ctBadLead, badLead := multipartBody(t, map[string]string{"lead_id": "0b1e1e1e-1111-4111-8111-111111111111"}, "a.txt", []byte("x"))
	ctBadPerson, badPerson := multipartBody(t, map[string]string{"person_id": "77"}, "a.txt", []byte("x"))
	tests := []struct {
		name, method, path, ct string
		body                   []byte
		status                 int
	}{
		{"malformed JSON", "POST", "/leads", "application/json", []byte(`{"title":`), 400},
		{"JSON array", "POST", "/leads", "application/json", []byte(`[1,2]`), 400},
		{"JSON null", "POST", "/leadLabels", "application/json", []byte(`null`), 400},
		{"empty body", "POST", "/leads", "application/json", nil, 400},
		{"wrong content type", "POST", "/leads", "text/plain", []byte(`{"title":"x","person_id":1}`), 415},
		{"form to a JSON endpoint", "PATCH", "/leads/" + lead, formCT, []byte(`title=x`), 415},
		{"oversized JSON", "POST", "/leads", "application/json", big, 413},
		{"oversized upload", "POST", "/files", ct, upload.Bytes(), 413},
		{"upload without file", "POST", "/files", ctNoFile, noFile.Bytes(), 400},
		{"upload without link", "POST", "/files", ctNoLink, noLink.Bytes(), 400},
		{"upload to a missing lead", "POST", "/files", ctBadLead, badLead.Bytes(), 400},
		{"upload to a missing person", "POST", "/files", ctBadPerson, badPerson.Bytes(), 400},
		{"upload not multipart", "POST", "/files", "application/json", []byte(`{}`), 415},
		{"upload broken multipart", "POST", "/files", "multipart/form-data; boundary=zzz", []byte("--zzz\r\nbroken"), 400},
		{"remote file bad type", "POST", "/files/remote", formCT, []byte("file_type=pdf&title=x&item_type=person&item_id=1&remote_location=googledrive"), 400},
		{"remote link bad location", "POST", "/files/remoteLink", formCT, []byte("item_type=person&item_id=1&remote_id=x&remote_location=dropbox"), 400},
		{"remote link missing person", "POST", "/files/remoteLink", formCT, []byte("item_type=person&item_id=999&remote_id=x&remote_location=googledrive"), 400},
		{"remote link bad item type", "POST", "/files/remoteLink", formCT, []byte("item_type=lead&item_id=1&remote_id=x&remote_location=googledrive"), 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.raw(tt.method, "/api/v1"+tt.path, tt.ct, bytes.NewReader(tt.body), nil)
			if r.status != tt.status {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, r.status, r.body, tt.status)
			}
			checkErrorShape(t, r)
		})
	}
	files := e.must(200, "GET", "/files", nil).json(t)["data"].([]any)
	if len(files) != 0 {
		t.Errorf("GET /files after refused uploads lists %d files, want 0", len(files))
	}
	if left, err := filepathGlob(e.s.store.filesDir); err != nil || len(left) != 0 {
		t.Errorf("files left in the upload dir after refused uploads: %v (%v)", left, err)
	}
}

// TestAuth checks both prefixes, both token places and every way to get it wrong.
func TestAuth(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		name   string
		path   string
		header string // "" = none
		status int
	}{
		{"header on /api/v1", "/api/v1/leadSources", testToken, 200},
		{"header on /v1", "/v1/leadSources", testToken, 200},
		{"query on /api/v1", "/api/v1/leadSources?api_token=" + testToken, "", 200},
		{"query on /v1", "/v1/leadSources?api_token=" + testToken, "", 200},
		{"no token", "/api/v1/leadSources?x=1&api_token=", "", 401},
		{"wrong header", "/api/v1/leadSources", "nope", 401},
		{"wrong query", "/v1/leadSources?api_token=nope", "", 401},
		{"token prefix", "/v1/leadSources?api_token=" + testToken[:5], "", 401},
		{"wrong header, right query", "/api/v1/leadSources?api_token=" + testToken, "nope", 401},
		{"right header, wrong query", "/api/v1/leadSources?api_token=nope", testToken, 200},
		{"unknown endpoint without token", "/api/v1/nothing?api_token=", "", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", e.base+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.header != "" {
				req.Header.Set("x-api-token", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			_, err = buf.ReadFrom(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("GET %s = %d %s, want %d", tt.path, resp.StatusCode, buf.String(), tt.status)
			}
			if tt.status == 401 {
				want := `{"error":"unauthorized access","errorCode":401,"success":false}`
				if got := strings.TrimSpace(buf.String()); got != want {
					t.Errorf("401 body = %s, want %s", got, want)
				}
				if strings.Contains(buf.String(), testToken) {
					t.Errorf("401 body leaks the token")
				}
			}
		})
	}
}
