package sandbox

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/spec"
)

// fixture state shared by the endpoint cases: one of each entity.
type world struct {
	labelID, leadID, archivedID, goalID string
	filterID, fileID, teamID            int
	fileBytes                           []byte
}

func (e *env) build() world {
	e.t.Helper()
	var w world
	w.labelID = e.must(200, "POST", "/leadLabels", map[string]any{"name": "VIP", "color": "purple"}).data(e.t)["id"].(string)
	w.leadID = e.must(201, "POST", "/leads", validLead(map[string]any{
		"title": "Acme rollout", "organization_id": 1, "label_ids": []string{w.labelID},
		"value": map[string]any{"amount": 1200, "currency": "EUR"}, "expected_close_date": "2026-03-31", "visible_to": "3",
	})).data(e.t)["id"].(string)
	w.archivedID = e.must(201, "POST", "/leads", validLead(map[string]any{"title": "Old archived lead"})).data(e.t)["id"].(string)
	e.must(200, "PATCH", "/leads/"+w.archivedID, map[string]any{"is_archived": true})
	w.filterID = int(e.must(200, "POST", "/filters", map[string]any{"name": "Acme leads", "type": "leads", "conditions": conds("title", "LIKE '%$%'", "acme")}).data(e.t)["id"].(float64))
	w.goalID = e.must(200, "POST", "/goals", goalBody()).data(e.t)["goal"].(map[string]any)["id"].(string)
	w.fileBytes = []byte("%PDF-1.4 contract bytes\x00\x01\x02")
	fr := e.upload(map[string]string{"lead_id": w.leadID, "person_id": "2"}, "contract.pdf", w.fileBytes)
	if fr.status != 200 {
		e.t.Fatalf("upload = %d %s", fr.status, fr.body)
	}
	w.fileID = int(fr.data(e.t)["id"].(float64))
	w.teamID = int(e.must(200, "POST", "/legacyTeams", map[string]any{"name": "Closers", "manager_id": 4, "users": []int{2, 3}}).data(e.t)["id"].(float64))
	return w
}

func conds(field, op string, value any) map[string]any {
	return map[string]any{"glue": "and", "conditions": []any{
		map[string]any{"glue": "and", "conditions": []any{
			map[string]any{"object": "lead", "field_id": field, "operator": op, "value": value, "extra_value": nil},
		}},
		map[string]any{"glue": "or", "conditions": []any{}},
	}}
}

func goalBody() map[string]any {
	return map[string]any{
		"title":            "Q1 deals",
		"type":             map[string]any{"name": "deals_won", "params": map[string]any{"pipeline_id": []int{1}}},
		"assignee":         map[string]any{"id": 1, "type": "person"},
		"expected_outcome": map[string]any{"target": 50, "tracking_metric": "quantity"},
		"duration":         map[string]any{"start": "2026-01-01", "end": "2026-03-31"},
		"interval":         "monthly",
	}
}

func formBody(v map[string]string) *strings.Reader {
	q := url.Values{}
	for k, x := range v {
		q.Set(k, x)
	}
	return strings.NewReader(q.Encode())
}

const formCT = "application/x-www-form-urlencoded"

// TestEveryEndpoint calls every endpoint of spec.Endpoints on its success path and checks
// the status and the body against the seed response schema, key for key.
func TestEveryEndpoint(t *testing.T) {
	e := newEnv(t, Options{})
	w := e.build()
	lead := func(title string) string {
		return e.must(201, "POST", "/leads", validLead(map[string]any{"title": title})).data(t)["id"].(string)
	}
	cases := map[string]func() reply{
		"getFiles": func() reply { return e.call("GET", "/files?start=0&limit=10&sort=id%20DESC", nil) },
		"addFile": func() reply {
			return e.upload(map[string]string{"org_id": "3"}, "notes.txt", []byte("hello"))
		},
		"addFileAndLinkIt": func() reply {
			return e.raw("POST", "/api/v1/files/remote", formCT, formBody(map[string]string{
				"file_type": "gdoc", "title": "Proposal", "item_type": "person", "item_id": "4", "remote_location": "googledrive"}), nil)
		},
		"linkFileToItem": func() reply {
			return e.raw("POST", "/api/v1/files/remoteLink", formCT, formBody(map[string]string{
				"item_type": "organization", "item_id": "2", "remote_id": "gdrive-abc", "remote_location": "googledrive"}), nil)
		},
		"deleteFile": func() reply {
			id := int(e.upload(map[string]string{"person_id": "1"}, "x.bin", []byte{1}).data(t)["id"].(float64))
			return e.call("DELETE", fmt.Sprintf("/files/%d", id), nil)
		},
		"getFile": func() reply { return e.call("GET", fmt.Sprintf("/files/%d", w.fileID), nil) },
		"updateFile": func() reply {
			return e.raw("PUT", fmt.Sprintf("/api/v1/files/%d", w.fileID), formCT, formBody(map[string]string{"name": "Contract 2026.pdf", "description": "signed"}), nil)
		},
		"downloadFile":  func() reply { return e.call("GET", fmt.Sprintf("/files/%d/download", w.fileID), nil) },
		"deleteFilters": func() reply { return e.call("DELETE", fmt.Sprintf("/filters?ids=%d", e.newFilter()), nil) },
		"getFilters":    func() reply { return e.call("GET", "/filters?type=leads", nil) },
		"addFilter": func() reply {
			return e.call("POST", "/filters", map[string]any{"name": "F", "type": "people", "conditions": conds("name", "=", "x")})
		},
		"getFilterHelpers": func() reply { return e.call("GET", "/filters/helpers", nil) },
		"deleteFilter":     func() reply { return e.call("DELETE", fmt.Sprintf("/filters/%d", e.newFilter()), nil) },
		"getFilter":        func() reply { return e.call("GET", fmt.Sprintf("/filters/%d", w.filterID), nil) },
		"updateFilter": func() reply {
			return e.call("PUT", fmt.Sprintf("/filters/%d", w.filterID), map[string]any{"name": "Acme (renamed)", "conditions": conds("title", "LIKE '%$%'", "acme")})
		},
		"addGoal": func() reply { return e.call("POST", "/goals", goalBody()) },
		"getGoals": func() reply {
			return e.call("GET", "/goals/find?type.name=deals_won&assignee.type=person&period.start=2026-02-01&period.end=2026-02-28", nil)
		},
		"updateGoal": func() reply {
			return e.call("PUT", "/goals/"+w.goalID, map[string]any{"title": "Q1 deals (raised)", "expected_outcome": map[string]any{"target": 60, "tracking_metric": "quantity"}})
		},
		"deleteGoal": func() reply {
			id := e.must(200, "POST", "/goals", goalBody()).data(t)["goal"].(map[string]any)["id"].(string)
			return e.call("DELETE", "/goals/"+id, nil)
		},
		"getGoalResult": func() reply {
			return e.call("GET", "/goals/"+w.goalID+"/results?period.start=2026-01-01&period.end=2026-01-31", nil)
		},
		"searchItem": func() reply {
			return e.call("GET", "/itemSearch?term=acme&item_types=lead,organization,person&limit=2", nil)
		},
		"searchItemByField": func() reply {
			return e.call("GET", "/itemSearch/field?term=ali&field_type=personField&field_key=name&return_item_ids=1", nil)
		},
		"getLeads":         func() reply { return e.call("GET", "/leads?limit=1&sort=title%20ASC", nil) },
		"addLead":          func() reply { return e.call("POST", "/leads", validLead(nil)) },
		"getArchivedLeads": func() reply { return e.call("GET", "/leads/archived", nil) },
		"getLead":          func() reply { return e.call("GET", "/leads/"+w.leadID, nil) },
		"updateLead": func() reply {
			return e.call("PATCH", "/leads/"+w.leadID, map[string]any{"title": "Acme rollout v2", "value": nil, "was_seen": true})
		},
		"deleteLead":    func() reply { return e.call("DELETE", "/leads/"+lead("to delete"), nil) },
		"getLeadUsers":  func() reply { return e.call("GET", "/leads/"+w.leadID+"/permittedUsers", nil) },
		"searchLeads":   func() reply { return e.call("GET", "/leads/search?term=acme&include_fields=lead.was_seen", nil) },
		"getLeadLabels": func() reply { return e.call("GET", "/leadLabels", nil) },
		"addLeadLabel": func() reply {
			return e.call("POST", "/leadLabels", map[string]any{"name": "Partner", "color": "green"})
		},
		"updateLeadLabel": func() reply { return e.call("PATCH", "/leadLabels/"+w.labelID, map[string]any{"color": "gray"}) },
		"deleteLeadLabel": func() reply {
			id := e.must(200, "POST", "/leadLabels", map[string]any{"name": "Tmp", "color": "red"}).data(t)["id"].(string)
			return e.call("DELETE", "/leadLabels/"+id, nil)
		},
		"getLeadSources": func() reply { return e.call("GET", "/leadSources", nil) },
		"getTeams":       func() reply { return e.call("GET", "/legacyTeams?order_by=name", nil) },
		"addTeam": func() reply {
			return e.call("POST", "/legacyTeams", map[string]any{"name": "Hunters", "manager_id": 1})
		},
		"getTeam":        func() reply { return e.call("GET", fmt.Sprintf("/legacyTeams/%d", w.teamID), nil) },
		"getCurrentUser": func() reply { return e.call("GET", "/users/me", nil) },
		// The legacy team operations below run when spec.Endpoints lists them.
		"updateTeam": func() reply {
			return e.call("PUT", fmt.Sprintf("/legacyTeams/%d", w.teamID), map[string]any{"description": "Berlin office", "manager_id": 1})
		},
		"getUserTeams": func() reply { return e.call("GET", "/legacyTeams/user/2", nil) },
		"getTeamUsers": func() reply { return e.call("GET", fmt.Sprintf("/legacyTeams/%d/users", w.teamID), nil) },
		"addTeamUser": func() reply {
			return e.call("POST", fmt.Sprintf("/legacyTeams/%d/users", w.teamID), map[string]any{"users": []int{3}})
		},
		"deleteTeamUser": func() reply {
			return e.call("DELETE", fmt.Sprintf("/legacyTeams/%d/users", w.teamID), map[string]any{"users": []int{3}})
		},
	}
	for _, ep := range spec.Endpoints {
		t.Run(ep.Op, func(t *testing.T) {
			c, has := cases[ep.Op]
			if !has {
				t.Fatalf("no test case for %s %s", ep.Method, ep.Path)
			}
			r := c()
			if r.status != ep.Status {
				t.Fatalf("%s %s = %d %s, want %d", ep.Method, ep.Path, r.status, r.body, ep.Status)
			}
			if ep.Response != "" {
				checkSchema(t, ep.Response, r.body)
			}
			if ep.Op == "downloadFile" {
				if !bytes.Equal(r.body, w.fileBytes) {
					t.Errorf("download = %q, want %q", r.body, w.fileBytes)
				}
				if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, "contract.pdf") {
					t.Errorf("Content-Disposition = %q, want the file name", cd)
				}
				return
			}
			if m := r.json(t); m["success"] != true {
				t.Errorf("success = %v, want true", m["success"])
			}
		})
	}
}

func (e *env) newFilter() int {
	e.t.Helper()
	return int(e.must(200, "POST", "/filters", map[string]any{"name": "tmp", "type": "leads", "conditions": conds("title", "=", "x")}).data(e.t)["id"].(float64))
}

// TestErrorResponsesMatchSchemas checks the documented 404 and 403 bodies.
func TestErrorResponsesMatchSchemas(t *testing.T) {
	e := newEnv(t, Options{})
	missing := "0b1e1e1e-1111-4111-8111-111111111111"
	tests := []struct {
		op     string
		method string
		path   string
		body   any
		status int
	}{
		{"getLead", "GET", "/leads/" + missing, nil, 404},
		{"updateLead", "PATCH", "/leads/" + missing, map[string]any{"title": "x"}, 404},
		{"deleteLead", "DELETE", "/leads/" + missing, nil, 404},
		{"updateLeadLabel", "PATCH", "/leadLabels/" + missing, map[string]any{"name": "x"}, 404},
		{"deleteLeadLabel", "DELETE", "/leadLabels/" + missing, nil, 404},
		{"addTeam", "POST", "/legacyTeams", map[string]any{"name": "Ghosts", "manager_id": 5}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			r := e.call(tt.method, tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, r.status, r.body, tt.status)
			}
			checkSchema(t, spec.ByOp(tt.op).ErrorResponse, r.body)
			if m := r.json(t); m["success"] != false {
				t.Errorf("success = %v, want false", m["success"])
			}
		})
	}
	r := e.call("GET", "/leads/"+missing, nil)
	m := r.json(t)
	if m["error"] != "requested lead not found" || m["error_info"] != "Object was not found." {
		t.Errorf("lead 404 body = %s, want Pipedrive's lead-not-found message", r.body)
	}
}
