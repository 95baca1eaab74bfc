package spec

import (
	"errors"
	"testing"
)

func TestEverySchemaNamedByAnEndpointExists(t *testing.T) {
	for _, e := range Endpoints {
		for _, n := range []string{e.Request, e.Response, e.ErrorResponse} {
			if n == "" {
				continue
			}
			if _, ok := Schema(n); !ok {
				t.Errorf("%s %s names schema %q, which the seed lacks", e.Method, e.Path, n)
			}
		}
	}
	if got := len(SchemaNames()); got != 50 {
		t.Errorf("len(SchemaNames()) = %d, want 50", got)
	}
}

func TestMatch(t *testing.T) {
	tests := []struct{ method, path, op string }{
		{"GET", "/leads", "getLeads"},
		{"GET", "/leads/search", "searchLeads"},
		{"GET", "/leads/archived", "getArchivedLeads"},
		{"GET", "/leads/0b1e1e1e-1111-4111-8111-111111111111", "getLead"},
		{"GET", "/files/3/download", "downloadFile"},
		{"DELETE", "/filters", "deleteFilters"},
		{"GET", "/itemSearch/field", "searchItemByField"},
	}
	for _, tt := range tests {
		e, ok := Match(tt.method, tt.path)
		if !ok || e.Op != tt.op {
			t.Errorf("Match(%q, %q) = %q, %v, want %q", tt.method, tt.path, e.Op, ok, tt.op)
		}
	}
	if _, ok := Match("GET", "/nothing"); ok {
		t.Errorf("Match(GET, /nothing) found an endpoint")
	}
}

func TestCheckResponse(t *testing.T) {
	good := `{"success":true,"data":{"id":"0b1e1e1e-1111-4111-8111-111111111111","title":"T","value":null,"origin":"API","origin_id":null,"channel":null,"channel_id":null,"owner_id":1,"creator_id":1,"label_ids":[],"person_id":1,"organization_id":null,"source_name":"API","is_archived":false,"was_seen":false,"expected_close_date":null,"next_activity_id":null,"add_time":"2024-01-01T00:00:00.000Z","update_time":"2024-01-01T00:00:00.000Z","visible_to":"3","cc_email":"x@pipedrivemail.com"}}`
	if err := CheckResponse("LeadsGetDetailsResponse", []byte(good)); err != nil {
		t.Fatalf("CheckResponse(good) = %v", err)
	}
	bad := `{"success":true,"data":{"id":"nope","title":5}}`
	err := CheckResponse("LeadsGetDetailsResponse", []byte(bad))
	var se *SchemaError
	if !errors.As(err, &se) || len(se.Problems) < 3 {
		t.Fatalf("CheckResponse(bad) = %v, want a SchemaError listing the bad id, the bad title and missing keys", err)
	}
}

func TestCheckRequest(t *testing.T) {
	tests := []struct {
		name, schema, body string
		ok                 bool
	}{
		{"lead minimal", "LeadsCreateLeadRequest", `{"title":"A","person_id":1}`, true},
		{"lead no title", "LeadsCreateLeadRequest", `{"person_id":1}`, false},
		{"lead bad visible_to", "LeadsCreateLeadRequest", `{"title":"A","visible_to":"2"}`, false},
		{"lead bad label uuid", "LeadsCreateLeadRequest", `{"title":"A","label_ids":["x"]}`, false},
		{"update null title allowed", "LeadsUpdateLeadPropertiesRequest", `{"title":null}`, true},
		{"label bad color", "LeadLabelsAddNewLabelRequest", `{"name":"A","color":"teal"}`, false},
		{"label ok", "LeadLabelsAddNewLabelRequest", `{"name":"A","color":"red"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRequest(tt.schema, []byte(tt.body))
			if (err == nil) != tt.ok {
				t.Errorf("CheckRequest(%s, %s) = %v, want ok=%v", tt.schema, tt.body, err, tt.ok)
			}
		})
	}
}

func TestDifferencesWidenTheSeed(t *testing.T) {
	tests := []struct {
		name, schema, body string
		ok                 bool
	}{
		{"orange label", "LeadLabelsAddNewLabelRequest", `{"name":"A","color":"orange"}`, true},
		{"dark-gray label update", "LeadLabelsUpdatePropertiesRequest", `{"color":"dark-gray"}`, true},
		{"unknown colour", "LeadLabelsAddNewLabelRequest", `{"name":"A","color":"teal"}`, false},
		{"lead with origin and channel", "LeadsCreateLeadRequest", `{"title":"A","origin_id":"crm-7","channel":52,"channel_id":"Jun23"}`, true},
		{"lead channel not an integer", "LeadsCreateLeadRequest", `{"title":"A","channel":"ads"}`, false},
		{"update channel null", "LeadsUpdateLeadPropertiesRequest", `{"channel":null,"channel_id":null}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRequest(tt.schema, []byte(tt.body))
			if (err == nil) != tt.ok {
				t.Errorf("CheckRequest(%s, %s) = %v, want ok=%v", tt.schema, tt.body, err, tt.ok)
			}
		})
	}
	noOrigin := `{"success":true,"data":{"id":"0b1e1e1e-1111-4111-8111-111111111111","title":"T","value":null,"owner_id":1,"creator_id":1,"label_ids":[],"person_id":1,"organization_id":null,"source_name":"API","is_archived":false,"was_seen":false,"expected_close_date":null,"next_activity_id":null,"add_time":"2024-01-01T00:00:00.000Z","update_time":"2024-01-01T00:00:00.000Z","visible_to":"3","cc_email":"x@pipedrivemail.com"}}`
	if err := CheckResponse("LeadsGetDetailsResponse", []byte(noOrigin)); err == nil {
		t.Errorf("CheckResponse(lead without origin) = nil, want the four keys of the document missing")
	}
}
