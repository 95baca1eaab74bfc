package mapping

import (
	"encoding/json"
	"testing"

	"github.com/pdbulk/pdbulk/spec"
)

// TestRulesAgreeWithCheckRequest checks that the compiled rules Map uses accept and refuse
// exactly what spec.CheckRequest does, for every request schema of the endpoints.
func TestRulesAgreeWithCheckRequest(t *testing.T) {
	bodies := []string{
		`{}`, `{"title":"x"}`, `{"title":5}`, `{"title":null}`, `{"title":"t","visible_to":"2"}`,
		`{"title":"t","visible_to":"3"}`, `{"title":"t","label_ids":["nope"]}`,
		`{"title":"t","label_ids":["0b1e1e1e-1111-4111-8111-111111111111"]}`, `{"title":"t","value":{"amount":1}}`,
		`{"title":"t","value":{"amount":1.5,"currency":"EUR"}}`, `{"title":"t","value":null}`, `{"title":"t","owner_id":1.5}`,
		`{"title":"t","expected_close_date":"2024-02-30"}`, `{"title":"t","expected_close_date":"2024-02-29"}`,
		`{"title":"t","expected_close_date":null}`, `{"name":"n","color":"pink"}`, `{"name":"n","color":"red"}`,
		`{"name":"n","conditions":[],"type":"leads"}`, `{"name":"n","conditions":{},"type":"leads"}`,
		`{"name":"n","conditions":{},"type":"deal"}`, `{"interval":"weekly","type":{},"assignee":{},"expected_outcome":{},"duration":{}}`,
		`{"interval":"daily"}`, `{"name":"t","manager_id":1,"users":[1,"2"]}`, `{"name":"t","manager_id":1,"users":[1,2]}`,
		`{"item_type":"deal","item_id":1,"remote_id":"r","remote_location":"googledrive"}`, `{"file":"x","lead_id":"nope"}`,
		`{"was_seen":"yes"}`, `{"person_id":null,"organization_id":null}`,
	}
	seen := map[string]bool{}
	for _, e := range spec.Endpoints {
		if e.Request == "" || seen[e.Request] {
			continue
		}
		seen[e.Request] = true
		sch, ok := spec.Schema(e.Request)
		if !ok {
			t.Fatalf("schema %s missing", e.Request)
		}
		r := compileRule(sch)
		t.Run(e.Request, func(t *testing.T) {
			for _, body := range bodies {
				var v any
				if err := json.Unmarshal([]byte(body), &v); err != nil {
					t.Fatal(err)
				}
				val := validator{}
				val.value(r, v)
				want := spec.CheckRequest(e.Request, []byte(body))
				if (len(val.problems) == 0) != (want == nil) {
					t.Errorf("%s: compiled rules found %d problems, spec.CheckRequest says %v", body, len(val.problems), want)
				}
			}
		})
	}
}
