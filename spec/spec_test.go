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

func TestMatchV2(t *testing.T) {
	tests := []struct{ method, path, op string }{
		{"GET", "/itemSearch", "searchItemV2"},
		{"GET", "/persons/search", "searchPersonsV2"},
		{"GET", "/organizations/search", "searchOrganizationV2"},
		{"GET", "/leads/search", "searchLeadsV2"},
	}
	for _, tt := range tests {
		e, ok := MatchV2(tt.method, tt.path)
		if !ok || e.Op != tt.op || e.Version != 2 || e.Cost != 20 {
			t.Errorf("MatchV2(%q, %q) = %q v%d cost %d, %v, want %q v2 cost 20", tt.method, tt.path, e.Op, e.Version, e.Cost, ok, tt.op)
		}
	}
	// v1 and v2 share /leads/search: each table answers for its own version.
	if e, _ := Match("GET", "/leads/search"); e.Op != "searchLeads" || e.Cost != 40 {
		t.Errorf("Match(GET, /leads/search) = %q cost %d, want searchLeads cost 40", e.Op, e.Cost)
	}
	if _, ok := MatchV2("GET", "/leads"); ok {
		t.Errorf("MatchV2(GET, /leads) found an endpoint: pdbulk uses no v2 lead list")
	}
	if e, ok := Find("searchPersonsV2"); !ok || e.DocOp != "searchPersons" {
		t.Errorf("Find(searchPersonsV2) = %+v, %v", e, ok)
	}
	for _, op := range []string{"searchItem", "searchItemByField", "getTeams", "addTeam", "getTeam", "updateTeam"} {
		if !ByOp(op).Deprecated {
			t.Errorf("%s is not marked deprecated; openapi-v1-2026-01-14.yaml marks it", op)
		}
	}
	if ByOp("searchLeads").Deprecated {
		t.Errorf("v1 searchLeads is marked deprecated; the v1 document does not mark it")
	}
}
