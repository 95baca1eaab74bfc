package sandbox

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzHandlers sends random methods, paths, content types and bodies to the API handler
// (without the recover middleware, so a panic fails the fuzz run) and requires that no
// input is answered 500.
func FuzzHandlers(f *testing.F) {
	s, err := New(Options{Token: testToken, MaxBodyBytes: 1 << 16})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		if err := s.Close(); err != nil {
			f.Errorf("Close() = %v", err)
		}
	})
	h := http.HandlerFunc(s.serveAPI)
	seeds := []struct{ method, path, ct, body string }{
		{"POST", "leads", "application/json", `{"title":"x","person_id":1,"value":{"amount":1,"currency":"EUR"},"label_ids":[],"expected_close_date":"2026-01-02","visible_to":"3"}`},
		{"PATCH", "leads/0b1e1e1e-1111-4111-8111-111111111111", "application/json", `{"title":"y","person_id":null}`},
		{"GET", "leads?limit=2&start=1&sort=title%20DESC&owner_id=1&updated_since=2020-01-01T00:00:00Z", "", ""},
		{"GET", "leads/archived?filter_id=1", "", ""},
		{"GET", "leads/search?term=acme&fields=title&exact_match=1", "", ""},
		{"POST", "leadLabels", "application/json", `{"name":"n","color":"red"}`},
		{"POST", "filters", "application/json", `{"name":"f","type":"leads","conditions":{"glue":"and","conditions":[{"glue":"and","conditions":[{"object":"lead","field_id":"title","operator":"=","value":"x"}]}]}}`},
		{"PUT", "filters/1", "application/json", `{"conditions":{"glue":"or","conditions":[]}}`},
		{"DELETE", "filters?ids=1,2", "", ""},
		{"POST", "goals", "application/json", `{"type":{"name":"deals_won","params":{"pipeline_id":[1]}},"assignee":{"id":1,"type":"person"},"expected_outcome":{"target":"5","tracking_metric":"sum","currency_id":1},"duration":{"start":"2026-01-01","end":null},"interval":"weekly"}`},
		{"GET", "goals/find?period.start=2026-01-01&period.end=2026-02-01&type.params.pipeline_id=1", "", ""},
		{"GET", "itemSearch?term=al&item_types=person,lead&fields=email,name&start=0&limit=600", "", ""},
		{"GET", "itemSearch/field?term=a&field_type=personField&field_key=email&exact_match=true", "", ""},
		{"POST", "files", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"person_id\"\r\n\r\n1\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello\r\n--b--\r\n"},
		{"POST", "files/remoteLink", "application/x-www-form-urlencoded", "item_type=person&item_id=1&remote_id=r&remote_location=googledrive"},
		{"PUT", "files/1", "application/json", `{"name":"z"}`},
		{"GET", "files/1/download", "", ""},
		{"POST", "legacyTeams", "application/json", `{"name":"t","manager_id":1,"users":[2]}`},
		{"GET", "legacyTeams?order_by=name&skip_users=1", "", ""},
	}
	for _, sd := range seeds {
		f.Add(sd.method, sd.path, sd.ct, []byte(sd.body))
	}
	f.Fuzz(func(t *testing.T, method, path, ct string, body []byte) {
		req, err := http.NewRequest(method, "http://127.0.0.1/api/v1/"+strings.TrimLeft(path, "/"), bytes.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		req.Header.Set("x-api-token", testToken)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Errorf("%s %s (%s) %q = %d %s", method, path, ct, body, rec.Code, rec.Body.Bytes())
		}
	})
}
