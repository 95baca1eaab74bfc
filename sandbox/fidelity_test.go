package sandbox

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"strconv"
	"testing"
)

// TestFidelityStatus checks what the sandbox accepts and refuses where it once differed
// from Pipedrive (issue 10): each case is a request and the status Pipedrive answers.
func TestFidelityStatus(t *testing.T) {
	e := newEnv(t, Options{})
	w := e.build()
	group := func(glue string, leaves ...any) map[string]any {
		if leaves == nil {
			leaves = []any{}
		}
		return map[string]any{"glue": glue, "conditions": leaves}
	}
	leaf := func(field, op string, v any) map[string]any {
		return map[string]any{"object": "lead", "field_id": field, "operator": op, "value": v, "extra_value": nil}
	}
	filter := func(c map[string]any) map[string]any {
		return map[string]any{"name": "f", "type": "leads", "conditions": c}
	}
	goal := e.must(200, "POST", "/goals", goalBody()).data(t)["goal"].(map[string]any)["id"].(string)
	results := "/goals/" + goal + "/results?period.start=%s&period.end=%s"
	tests := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"label orange", "POST", "/leadLabels", map[string]any{"name": "o", "color": "orange"}, 200},
		{"label dark-gray", "POST", "/leadLabels", map[string]any{"name": "d", "color": "dark-gray"}, 200},
		{"label patch brown", "PATCH", "/leadLabels/" + w.labelID, map[string]any{"color": "brown"}, 200},
		{"label unknown colour", "POST", "/leadLabels", map[string]any{"name": "t", "color": "teal"}, 400},
		{"lead with channel", "POST", "/leads", validLead(map[string]any{"origin_id": "crm-1", "channel": 52, "channel_id": "Jun23"}), 201},
		{"lead unknown channel", "POST", "/leads", validLead(map[string]any{"channel": 999}), 400},
		{"lead channel not an integer", "POST", "/leads", validLead(map[string]any{"channel": "ads"}), 400},
		{"lead origin_id not a string", "POST", "/leads", validLead(map[string]any{"origin_id": 7}), 400},
		{"filter two groups", "POST", "/filters", filter(group("and", group("and", leaf("title", "=", "x")), group("or"))), 200},
		{"filter one group", "POST", "/filters", filter(group("and", group("and", leaf("title", "=", "x")))), 400},
		{"filter three groups", "POST", "/filters", filter(group("and", group("and"), group("or"), group("or"))), 400},
		{"filter top glue or", "POST", "/filters", filter(group("or", group("and"), group("or"))), 400},
		{"filter groups swapped", "POST", "/filters", filter(group("and", group("or"), group("and"))), 400},
		{"filter nested too deep", "POST", "/filters", filter(group("and", group("and", group("and")), group("or"))), 400},
		{"filter date ok", "POST", "/filters", filter(group("and", group("and", leaf("expected_close_date", ">", "2026-01-31")), group("or"))), 200},
		{"filter relative date", "POST", "/filters", filter(group("and", group("and", leaf("expected_close_date", "=", "this_month")), group("or"))), 200},
		{"filter date other format", "POST", "/filters", filter(group("and", group("and", leaf("expected_close_date", ">", "31/01/2026")), group("or"))), 400},
		{"filter update one group", "PUT", "/filters/" + strconv.Itoa(w.filterID), map[string]any{"conditions": group("and", group("and"))}, 400},
		{"goal results inside", "GET", fmt.Sprintf(results, "2026-01-01", "2026-03-31"), nil, 200},
		{"goal results before start", "GET", fmt.Sprintf(results, "2025-12-31", "2026-03-31"), nil, 400},
		{"goal results after end", "GET", fmt.Sprintf(results, "2026-01-01", "2026-04-01"), nil, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call(tt.method, tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, r.status, r.body, tt.status)
			}
			if r.status >= 400 {
				checkErrorShape(t, r)
			}
		})
	}
}

// TestLeadOriginAndChannel checks that a lead answers the four keys of the current
// document and keeps what a create and an update send.
func TestLeadOriginAndChannel(t *testing.T) {
	e := newEnv(t, Options{})
	plain := e.must(201, "POST", "/leads", validLead(nil))
	checkSchema(t, "LeadsCreateLeadResponse", plain.body)
	d := plain.data(t)
	for k, want := range map[string]any{"origin": "API", "origin_id": nil, "channel": nil, "channel_id": nil} {
		if got, present := d[k]; !present || got != want {
			t.Errorf("created lead %s = %v (present %v), want %v", k, got, present, want)
		}
	}
	id := d["id"].(string)
	r := e.must(200, "PATCH", "/leads/"+id, map[string]any{"channel": 3, "channel_id": "spring"})
	checkSchema(t, "LeadsUpdateLeadPropertiesResponse", r.body)
	got := e.must(200, "GET", "/leads/"+id, nil)
	checkSchema(t, "LeadsGetDetailsResponse", got.body)
	d = got.data(t)
	if d["channel"] != float64(3) || d["channel_id"] != "spring" || d["origin"] != "API" {
		t.Errorf("GET /leads/%s = channel %v, channel_id %v, origin %v; want 3, spring, API", id, d["channel"], d["channel_id"], d["origin"])
	}
	sent := e.must(201, "POST", "/leads", validLead(map[string]any{"origin_id": "crm-1", "channel": 52, "channel_id": "Jun23 Billboards"})).data(t)
	if sent["origin_id"] != "crm-1" || sent["channel"] != float64(52) || sent["channel_id"] != "Jun23 Billboards" {
		t.Errorf("created lead = origin_id %v, channel %v, channel_id %v; want what was sent", sent["origin_id"], sent["channel"], sent["channel_id"])
	}
	list := e.must(200, "GET", "/leads", nil)
	checkSchema(t, "LeadsGetAllResponse", list.body)
	if !bytes.Contains(list.body, []byte(`"origin_id":"crm-1"`)) {
		t.Errorf("GET /leads = %s, want the stored origin_id", list.body)
	}
}

// TestFileFidelity checks uploads as Pipedrive answers them: a file part without a file
// name is no file, links to unknown items are refused, empty strings are "".
func TestFileFidelity(t *testing.T) {
	e := newEnv(t, Options{})
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("person_id", "1"); err != nil {
		t.Fatal(err)
	}
	if err := mw.WriteField("file", "not a file at all"); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	r := e.raw("POST", "/api/v1/files", mw.FormDataContentType(), &buf, nil)
	if r.status != http.StatusBadRequest || r.json(t)["error"] != errNoFiles {
		t.Errorf("upload with a text file field = %d %s, want 400 %q", r.status, r.body, errNoFiles)
	}
	if r := e.upload(map[string]string{"person_id": "1"}, "", nil); r.status != http.StatusBadRequest || r.json(t)["error"] != errNoFiles {
		t.Errorf("upload without a file part = %d %s, want 400 %q", r.status, r.body, errNoFiles)
	}
	for _, k := range []string{"deal_id", "person_id", "org_id"} {
		if r := e.upload(map[string]string{k: "999"}, "a.txt", []byte("x")); r.status != http.StatusBadRequest {
			t.Errorf("upload with unknown %s = %d %s, want 400", k, r.status, r.body)
		}
	}
	ok := e.upload(map[string]string{"deal_id": "2"}, "a.txt", []byte("x"))
	if ok.status != http.StatusOK {
		t.Fatalf("upload to deal 2 = %d %s", ok.status, ok.body)
	}
	checkSchema(t, "FilesUploadAndAssociateResponse", ok.body)
	d := ok.data(t)
	if d["deal_name"] != "Globex Inc deal" {
		t.Errorf("deal_name = %v, want the fixture deal's title", d["deal_name"])
	}
	for _, k := range []string{"cid", "s3_bucket", "mail_message_id", "mail_template_id", "org_name", "person_name", "lead_name", "product_name"} {
		if d[k] != "" {
			t.Errorf("%s = %#v, want \"\" as in Pipedrive's example", k, d[k])
		}
	}
	for _, k := range []string{"person_id", "org_id", "lead_id", "product_id", "activity_id"} {
		if v, present := d[k]; !present || v != nil {
			t.Errorf("%s = %#v (present %v), want null: the file is not linked to one", k, v, present)
		}
	}
}

// TestNextStartLeftOut checks that lists leave next_start out on their last page and give
// it on every other page.
func TestNextStartLeftOut(t *testing.T) {
	e := newEnv(t, Options{})
	for i := range 3 {
		e.upload(map[string]string{"person_id": "1"}, fmt.Sprintf("f%d.txt", i), []byte("x"))
	}
	e.must(201, "POST", "/leads", validLead(map[string]any{"title": "Acme one"}))
	e.must(201, "POST", "/leads", validLead(map[string]any{"title": "Acme two"}))
	for _, tc := range []struct {
		path string
		more bool
	}{
		{"/files?limit=2", true},
		{"/files?limit=2&start=2", false},
		{"/leads/search?term=acme&limit=1", true},
		{"/leads/search?term=acme&limit=1&start=1", false},
		{"/itemSearch?term=acme&limit=500", false},
		{"/itemSearch/field?term=al&field_type=personField&field_key=name", false},
	} {
		r := e.must(200, "GET", tc.path, nil)
		pg := r.json(t)["additional_data"].(map[string]any)["pagination"].(map[string]any)
		next, present := pg["next_start"]
		if present != tc.more || (present && next == nil) {
			t.Errorf("GET %s: pagination = %v, want next_start present=%v and never null", tc.path, pg, tc.more)
		}
	}
}
