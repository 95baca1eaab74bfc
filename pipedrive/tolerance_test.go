package pipedrive

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
)

// mutate returns the JSON object fixture with set's keys replaced (or added) and drop's
// keys removed.
func mutate(t testing.TB, fixture string, set map[string]any, drop ...string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(fixture), &m); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	for k, v := range set {
		m[k] = v
	}
	for _, k := range drop {
		delete(m, k)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDecodingTolerance serves what the real API may send that its document does not
// promise — null in a documented integer or string, an unknown key (top level and
// nested), a missing optional key — and checks that the client decodes the record, keeps
// every other field, and does not fail.
func TestDecodingTolerance(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		data  string
		fetch func(c *Client) (any, error)
		check func(t *testing.T, got any)
	}{
		{"lead null integers", mutate(t, leadJSON, map[string]any{"owner_id": nil, "creator_id": nil, "next_activity_id": nil}),
			func(c *Client) (any, error) {
				l, _, err := c.Lead(ctx, "adf21080-0e10-11eb-879b-05d71fb426ec")
				return l, err
			},
			func(t *testing.T, got any) {
				l := got.(Lead)
				if l.OwnerID != 0 || l.Title != "Jane Doe Lead" || l.PersonID == nil || *l.PersonID != 1092 || l.Value == nil || l.Value.Amount != 999 {
					t.Errorf("Lead = %+v, want owner 0 and the rest kept", l)
				}
			}},
		{"lead null strings and array", mutate(t, leadJSON, map[string]any{"cc_email": nil, "source_name": nil, "label_ids": nil}),
			func(c *Client) (any, error) {
				l, _, err := c.Lead(ctx, "adf21080-0e10-11eb-879b-05d71fb426ec")
				return l, err
			},
			func(t *testing.T, got any) {
				l := got.(Lead)
				if l.CCEmail != "" || len(l.LabelIDs) != 0 || l.Title != "Jane Doe Lead" || l.VisibleTo != "3" {
					t.Errorf("Lead = %+v, want empty strings and labels, the rest kept", l)
				}
			}},
		{"lead unknown keys", mutate(t, leadJSON, map[string]any{"origin": "API", "channel": 52, "3f1c_custom": map[string]any{"x": []any{1, nil}},
			"value": map[string]any{"amount": 5, "currency": "EUR", "formatted": "€5"}}),
			func(c *Client) (any, error) {
				l, _, err := c.Lead(ctx, "adf21080-0e10-11eb-879b-05d71fb426ec")
				return l, err
			},
			func(t *testing.T, got any) {
				l := got.(Lead)
				if l.Value == nil || l.Value.Amount != 5 || l.Value.Currency != "EUR" || l.Title != "Jane Doe Lead" {
					t.Errorf("Lead = %+v, want the known keys kept", l)
				}
			}},
		{"lead missing optional keys", mutate(t, leadJSON, nil, "next_activity_id", "expected_close_date", "value", "cc_email", "was_seen"),
			func(c *Client) (any, error) {
				l, _, err := c.Lead(ctx, "adf21080-0e10-11eb-879b-05d71fb426ec")
				return l, err
			},
			func(t *testing.T, got any) {
				l := got.(Lead)
				if l.NextActivityID != nil || l.Value != nil || l.Title != "Jane Doe Lead" || l.OwnerID != 1 {
					t.Errorf("Lead = %+v, want absent keys zero and the rest kept", l)
				}
			}},
		{"file nulls and extra keys", mutate(t, fileJSON, map[string]any{"file_size": nil, "user_id": nil, "cid": nil, "s3_bucket": nil,
			"deal_id": nil, "lead_id": nil, "log_id": nil, "people_name": "x"}),
			func(c *Client) (any, error) { f, _, err := c.File(ctx, 123); return f, err },
			func(t *testing.T, got any) {
				f := got.(File)
				if f.FileSize != 0 || f.DealID != nil || f.LeadID != "" || f.FileName != "contract.pdf" || f.ID != 123 || f.PersonID == nil {
					t.Errorf("File = %+v, want nulls zero and the rest kept", f)
				}
			}},
		{"file missing keys", mutate(t, fileJSON, nil, "cid", "s3_bucket", "mail_message_id", "mail_template_id", "product_name", "url"),
			func(c *Client) (any, error) { f, _, err := c.File(ctx, 123); return f, err },
			func(t *testing.T, got any) {
				f := got.(File)
				if f.FileName != "contract.pdf" || f.ID != 123 {
					t.Errorf("File = %+v, want the rest kept", f)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, `{"success":true,"data":`+tt.data+`,"additional_data":{"unknown":null}}`)
			})
			c, _ := f.client(t, nil)
			got, err := tt.fetch(c)
			if err != nil {
				t.Fatalf("fetch = %v, want the record decoded", err)
			}
			tt.check(t, got)
		})
	}
}

// FuzzLeadDecoding serves arbitrary JSON as a lead's data: the client may refuse it with
// an error, but it must never panic, and a body that is a valid lead must decode.
func FuzzLeadDecoding(f *testing.F) {
	f.Add(leadJSON)
	f.Add(`{"id":null,"title":null,"value":null,"label_ids":[null,1],"owner_id":"1"}`)
	f.Add(`{"value":{"amount":null,"currency":null},"person_id":1e400}`)
	f.Add(`[]`)
	f.Add(`null`)
	f.Add(`{"extra":{"deep":[{"x":null}]}}`)
	f.Fuzz(func(t *testing.T, data string) {
		if !json.Valid([]byte(data)) {
			return
		}
		api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, `{"success":true,"data":`+data+`}`)
		})
		c, _ := api.client(t, nil)
		l, _, err := c.Lead(context.Background(), "adf21080-0e10-11eb-879b-05d71fb426ec")
		if data == leadJSON && (err != nil || l.Title != "Jane Doe Lead") {
			t.Errorf("Lead(fixture) = %+v, %v, want the fixture decoded", l, err)
		}
	})
}
