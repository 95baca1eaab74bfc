package pipedrive

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/pdbulk/pdbulk/spec"
)

func env(data string) string { return `{"success":true,"data":` + data + `}` }

func envPaged(data, additional string) string {
	return `{"success":true,"data":` + data + `,"additional_data":` + additional + `}`
}

// endpointCase calls one endpoint through its typed method.
type endpointCase struct {
	op        string
	status    int
	body      string
	call      func(ctx context.Context, c *Client) (any, error)
	wantPath  string
	wantQuery url.Values // exact query, nil for none
	wantBody  string     // exact JSON (compared as values) or form encoding; "" for none
	want      any        // decoded result
}

func intp(n int) *int { return &n }

func endpointCases(t *testing.T) []endpointCase {
	leadID := "adf21080-0e10-11eb-879b-05d71fb426ec"
	labelID := "f08b42a0-4e75-11ea-9643-03698ef1cfd6"
	goalID := "d9bd2a3f-1b3a-4e1d-9a8f-2c0d8b3b8f00"
	wantLead := Lead{ID: leadID, Title: "Jane Doe Lead", OwnerID: 1, CreatorID: 1, LabelIDs: []string{labelID},
		PersonID: intp(1092), SourceName: "API", Value: &LeadValue{Amount: 999, Currency: "USD"},
		NextActivityID: intp(1), AddTime: "2020-10-14T11:30:36.551Z", UpdateTime: "2020-10-14T11:30:36.551Z",
		VisibleTo: "3", CCEmail: "company+1+leadntPaYKA5QRxXkh6WMNHiGh@dev.pipedrivemail.com"}
	wantLabel := LeadLabel{ID: labelID, Name: "Hot", Color: "red", AddTime: "2020-02-13T15:31:44.000Z", UpdateTime: "2020-02-13T15:31:44.000Z"}
	var wantFile File
	if err := json.Unmarshal([]byte(fileJSON), &wantFile); err != nil {
		t.Fatal(err)
	}
	if wantFile.DealID == nil || *wantFile.DealID != 1 || wantFile.FileName != "contract.pdf" {
		t.Fatalf("file fixture decoded as %+v", wantFile)
	}
	wantFilter := Filter{ID: 1, Name: "All open deals", ActiveFlag: true, Type: "deals", UserID: 927097,
		AddTime: "2019-10-15 11:01:53", UpdateTime: "2019-10-15 11:01:53", VisibleTo: 7, CustomViewID: 1,
		Conditions: json.RawMessage(`{"glue":"and","conditions":[]}`)}
	wantGoal := Goal{ID: goalID, OwnerID: 1, Title: "Won deals",
		Type:     GoalType{Name: "deals_won", Params: GoalTypeParams{PipelineID: []int{1, 2}, ActivityTypeID: []int{9}}},
		Assignee: GoalAssignee{ID: 1, Type: "person"}, Interval: "monthly",
		Duration:        GoalDuration{Start: "2026-01-01", End: "2026-12-31"},
		ExpectedOutcome: GoalExpectedOutcome{Target: 50, TrackingMetric: "quantity"}, IsActive: true, ReportIDs: []string{"r1"}}
	wantTeam := Team{ID: 1, Name: "Closers", Description: "Sales", ManagerID: 4, Users: []int{2, 3, 5}, ActiveFlag: true,
		AddTime: "2019-10-07 09:06:09", CreatedByUserID: 2}
	uploadPath := filepath.Join(t.TempDir(), "contract.pdf")
	if err := os.WriteFile(uploadPath, []byte("%PDF-1.4 small"), 0o600); err != nil {
		t.Fatal(err)
	}
	pagination := `{"pagination":{"start":0,"limit":100,"more_items_in_collection":false,"next_start":null}}`
	leadsPaging := `{"start":0,"limit":500,"more_items_in_collection":false}`
	yes := true
	target := 50.0

	return []endpointCase{
		{op: "getFiles", body: envPaged("["+fileJSON+"]", pagination), wantPath: "/files",
			wantQuery: url.Values{"limit": {"100"}, "sort": {"id DESC"}},
			call: func(ctx context.Context, c *Client) (any, error) {
				f, _, _, err := c.ListFiles(ctx, FilesQuery{Limit: 1000, Sort: "id DESC"})
				return f, err
			}, want: []File{wantFile}},
		{op: "addFile", body: env(fileJSON), wantPath: "/files",
			call: func(ctx context.Context, c *Client) (any, error) {
				f, _, err := c.UploadFile(ctx, Upload{Path: uploadPath, LeadID: leadID, DealID: 1})
				return f, err
			}, want: wantFile},
		{op: "addFileAndLinkIt", body: env(fileJSON), wantPath: "/files/remote",
			wantBody: "file_type=gdoc&item_id=7&item_type=deal&remote_location=googledrive&title=Plan",
			call: func(ctx context.Context, c *Client) (any, error) {
				f, _, err := c.CreateRemoteFile(ctx, RemoteFile{FileType: "gdoc", Title: "Plan", ItemType: "deal", ItemID: 7, RemoteLocation: "googledrive"})
				return f, err
			}, want: wantFile},
		{op: "linkFileToItem", body: env(fileJSON), wantPath: "/files/remoteLink",
			wantBody: "item_id=7&item_type=person&remote_id=abc&remote_location=googledrive",
			call: func(ctx context.Context, c *Client) (any, error) {
				f, _, err := c.LinkRemoteFile(ctx, RemoteLink{ItemType: "person", ItemID: 7, RemoteID: "abc", RemoteLocation: "googledrive"})
				return f, err
			}, want: wantFile},
		{op: "deleteFile", body: env(`{"id":123}`), wantPath: "/files/123",
			call: func(ctx context.Context, c *Client) (any, error) {
				_, err := c.DeleteFile(ctx, 123)
				return nil, err
			}},
		{op: "getFile", body: env(fileJSON), wantPath: "/files/123",
			call: func(ctx context.Context, c *Client) (any, error) {
				f, _, err := c.File(ctx, 123)
				return f, err
			}, want: wantFile},
		{op: "updateFile", body: env(fileJSON), wantPath: "/files/123", wantBody: "description=signed&name=contract.pdf",
			call: func(ctx context.Context, c *Client) (any, error) {
				f, _, err := c.UpdateFile(ctx, 123, FileUpdate{Name: "contract.pdf", Description: "signed"})
				return f, err
			}, want: wantFile},
		{op: "downloadFile", body: "%PDF-1.4 bytes", wantPath: "/files/123/download",
			call: func(ctx context.Context, c *Client) (any, error) {
				var b bytes.Buffer
				_, _, err := c.DownloadFile(ctx, 123, &b)
				return b.String(), err
			}, want: "%PDF-1.4 bytes"},
		{op: "deleteFilters", body: env(`{"id":[1,2]}`), wantPath: "/filters", wantQuery: url.Values{"ids": {"1,2"}},
			call: func(ctx context.Context, c *Client) (any, error) {
				ids, _, err := c.DeleteFilters(ctx, []int{1, 2})
				return ids, err
			}, want: []int{1, 2}},
		{op: "getFilters", body: env("[" + filterJSON + "]"), wantPath: "/filters", wantQuery: url.Values{"type": {"leads"}},
			call: func(ctx context.Context, c *Client) (any, error) {
				f, _, err := c.Filters(ctx, "leads")
				return f, err
			}, want: []Filter{wantFilter}},
		{op: "addFilter", body: env(filterJSON), wantPath: "/filters",
			wantBody: `{"name":"All open deals","type":"deals","conditions":{"glue":"and","conditions":[]}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				f, _, err := c.CreateFilter(ctx, FilterInput{Name: "All open deals", Type: "deals",
					Conditions: map[string]any{"glue": "and", "conditions": []any{}}})
				return f, err
			}, want: wantFilter},
		{op: "getFilterHelpers", body: env(`{"operators":{"int":{"=":"is"}}}`), wantPath: "/filters/helpers",
			call: func(ctx context.Context, c *Client) (any, error) {
				h, _, err := c.FilterHelpers(ctx)
				return string(h), err
			}, want: `{"operators":{"int":{"=":"is"}}}`},
		{op: "deleteFilter", body: env(`{"id":1}`), wantPath: "/filters/1",
			call: func(ctx context.Context, c *Client) (any, error) {
				_, err := c.DeleteFilter(ctx, 1)
				return nil, err
			}},
		{op: "getFilter", body: env(filterJSON), wantPath: "/filters/1",
			call: func(ctx context.Context, c *Client) (any, error) {
				f, _, err := c.Filter(ctx, 1)
				return f, err
			}, want: wantFilter},
		{op: "updateFilter", body: env(filterJSON), wantPath: "/filters/1",
			wantBody: `{"name":"Renamed","conditions":{"glue":"and","conditions":[]}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				f, _, err := c.UpdateFilter(ctx, 1, FilterInput{Name: "Renamed", Type: "deals",
					Conditions: map[string]any{"glue": "and", "conditions": []any{}}})
				return f, err
			}, want: wantFilter},
		{op: "addGoal", body: env(`{"goal":` + goalJSON + `}`), wantPath: "/goals",
			wantBody: `{"title":"Won deals","assignee":{"id":1,"type":"person"},"type":{"name":"deals_won","params":{"pipeline_id":[1,2]}},
"expected_outcome":{"target":50,"tracking_metric":"quantity"},"duration":{"start":"2026-01-01"},"interval":"monthly"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				g, _, err := c.CreateGoal(ctx, GoalInput{Title: "Won deals", Assignee: GoalAssignee{ID: 1, Type: "person"},
					Type:            GoalType{Name: "deals_won", Params: GoalTypeParams{PipelineID: []int{1, 2}}},
					ExpectedOutcome: GoalExpectedOutcome{Target: 50, TrackingMetric: "quantity"},
					Duration:        GoalDuration{Start: "2026-01-01"}, Interval: "monthly"})
				return g, err
			}, want: wantGoal},
		{op: "getGoals", body: env(`{"goals":[` + goalJSON + `]}`), wantPath: "/goals/find",
			wantQuery: url.Values{"type.name": {"deals_won"}, "is_active": {"true"}, "assignee.id": {"1"}, "assignee.type": {"person"},
				"expected_outcome.target": {"50"}, "type.params.pipeline_id": {"1", "2"}, "period.start": {"2026-01-01"}, "period.end": {"2026-12-31"}},
			call: func(ctx context.Context, c *Client) (any, error) {
				g, _, err := c.FindGoals(ctx, GoalQuery{TypeName: "deals_won", IsActive: &yes, AssigneeID: 1, AssigneeType: "person",
					Target: &target, PipelineIDs: []int{1, 2}, PeriodStart: "2026-01-01", PeriodEnd: "2026-12-31"})
				return g, err
			}, want: []Goal{wantGoal}},
		{op: "updateGoal", body: env(`{"goal":` + goalJSON + `}`), wantPath: "/goals/" + goalID, wantBody: `{"title":"Won deals"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				g, _, err := c.UpdateGoal(ctx, goalID, GoalInput{Title: "Won deals"})
				return g, err
			}, want: wantGoal},
		{op: "deleteGoal", body: `{"success":true}`, wantPath: "/goals/" + goalID,
			call: func(ctx context.Context, c *Client) (any, error) {
				_, err := c.DeleteGoal(ctx, goalID)
				return nil, err
			}},
		{op: "getGoalResult", body: env(`{"goal":` + goalJSON + `,"progress":12}`), wantPath: "/goals/" + goalID + "/results",
			wantQuery: url.Values{"period.start": {"2026-01-01"}, "period.end": {"2026-03-31"}},
			call: func(ctx context.Context, c *Client) (any, error) {
				r, _, err := c.GoalResult(ctx, goalID, "2026-01-01", "2026-03-31")
				return r, err
			}, want: GoalResult{Goal: wantGoal, Progress: 12}},
		{op: "searchItem", wantPath: "/itemSearch",
			body: envPaged(`{"items":[{"result_score":1.2,"item":{"id":5,"type":"person","name":"Jane"}}],"related_items":[{"result_score":0.5,"item":{"id":"`+leadID+`","type":"lead"}}]}`,
				`{"pagination":{"start":0,"limit":500,"more_items_in_collection":false,"next_start":null}}`),
			wantQuery: url.Values{"term": {"jane"}, "item_types": {"person,lead"}, "fields": {"name,email"},
				"search_for_related_items": {"true"}, "exact_match": {"true"}, "limit": {"500"}},
			call: func(ctx context.Context, c *Client) (any, error) {
				r, _, _, err := c.SearchItems(ctx, ItemSearchQuery{Term: "jane", ItemTypes: []string{"person", "lead"},
					Fields: []string{"name", "email"}, SearchForRelatedItems: true, ExactMatch: true})
				var got [][2]string
				for _, it := range r {
					typ, id := it.ItemType()
					got = append(got, [2]string{typ, id})
				}
				return got, err
			}, want: [][2]string{{"person", "5"}, {"lead", leadID}}},
		{op: "searchItemByField", wantPath: "/itemSearch/field",
			body:      envPaged(`[{"id":1,"$field_key":"Acme","name":"Acme"}]`, `{"pagination":{"start":0,"limit":10,"more_items_in_collection":false,"next_start":null}}`),
			wantQuery: url.Values{"term": {"acm"}, "field_type": {"organizationField"}, "field_key": {"name"}, "return_item_ids": {"true"}, "limit": {"10"}},
			call: func(ctx context.Context, c *Client) (any, error) {
				r, _, _, err := c.SearchItemsByField(ctx, FieldSearchQuery{Term: "acm", FieldType: "organizationField", FieldKey: "name", ReturnItemIDs: true, Limit: 10})
				if len(r) != 1 {
					return r, err
				}
				return [2]string{strconv.Itoa(r[0].ID), string(r[0].Value)}, err
			}, want: [2]string{"1", `"Acme"`}},
		{op: "getLeads", body: envPaged("["+leadJSON+"]", leadsPaging), wantPath: "/leads",
			wantQuery: url.Values{"limit": {"500"}, "owner_id": {"1"}, "person_id": {"2"}, "organization_id": {"3"}, "filter_id": {"4"},
				"updated_since": {"2026-01-01T00:00:00Z"}, "sort": {"update_time DESC"}, "start": {"20"}},
			call: func(ctx context.Context, c *Client) (any, error) {
				l, _, _, err := c.ListLeads(ctx, LeadsQuery{Start: 20, OwnerID: 1, PersonID: 2, OrganizationID: 3, FilterID: 4,
					UpdatedSince: "2026-01-01T00:00:00Z", Sort: "update_time DESC"})
				return l, err
			}, want: []Lead{wantLead}},
		{op: "addLead", status: http.StatusCreated, body: env(leadJSON), wantPath: "/leads",
			wantBody: `{"title":"Jane Doe Lead","label_ids":["` + labelID + `"],"person_id":1092,"value":{"amount":999,"currency":"USD"},"visible_to":"3"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				l, _, err := c.CreateLead(ctx, LeadInput{Title: "Jane Doe Lead", LabelIDs: []string{labelID}, PersonID: 1092,
					Value: &LeadValue{Amount: 999, Currency: "USD"}, VisibleTo: "3"})
				return l, err
			}, want: wantLead},
		{op: "getArchivedLeads", body: envPaged("["+leadJSON+"]", leadsPaging), wantPath: "/leads/archived",
			wantQuery: url.Values{"limit": {"50"}, "owner_id": {"1"}},
			call: func(ctx context.Context, c *Client) (any, error) {
				l, _, _, err := c.ListArchivedLeads(ctx, LeadsQuery{Limit: 50, OwnerID: 1, UpdatedSince: "2026-01-01T00:00:00Z"})
				return l, err
			}, want: []Lead{wantLead}},
		{op: "getLead", body: env(leadJSON), wantPath: "/leads/" + leadID,
			call: func(ctx context.Context, c *Client) (any, error) {
				l, _, err := c.Lead(ctx, leadID)
				return l, err
			}, want: wantLead},
		{op: "updateLead", body: env(leadJSON), wantPath: "/leads/" + leadID,
			wantBody: `{"title":"New","person_id":null,"value":null,"expected_close_date":"2026-05-01"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				l, _, err := c.UpdateLead(ctx, leadID, LeadPatch{Title: Set("New"), PersonID: Null[int](), Value: Null[LeadValue](),
					ExpectedCloseDate: Set("2026-05-01")})
				return l, err
			}, want: wantLead},
		{op: "deleteLead", body: env(`{"id":"` + leadID + `"}`), wantPath: "/leads/" + leadID,
			call: func(ctx context.Context, c *Client) (any, error) {
				id, _, err := c.DeleteLead(ctx, leadID)
				return id, err
			}, want: leadID},
		{op: "getLeadUsers", body: env(`[1,2]`), wantPath: "/leads/" + leadID + "/permittedUsers",
			call: func(ctx context.Context, c *Client) (any, error) {
				u, _, err := c.LeadPermittedUsers(ctx, leadID)
				return u, err
			}, want: []int{1, 2}},
		{op: "searchLeads", wantPath: "/leads/search",
			body: envPaged(`{"items":[{"result_score":0.3,"item":{"id":"`+leadID+`","type":"lead","title":"Jane Doe Lead","owner":{"id":1},
"person":{"id":1092,"name":"Jane"},"organization":null,"phones":[],"emails":["j@x.io"],"custom_fields":[],"notes":[],"value":999,
"currency":"USD","visible_to":3,"is_archived":false}}]}`, `{"pagination":{"start":0,"limit":500,"more_items_in_collection":false,"next_start":null}}`),
			wantQuery: url.Values{"term": {"jane"}, "fields": {"title"}, "person_id": {"1092"}, "include_fields": {"lead.was_seen"}, "limit": {"500"}},
			call: func(ctx context.Context, c *Client) (any, error) {
				r, _, _, err := c.SearchLeads(ctx, LeadSearchQuery{Term: "jane", Fields: []string{"title"}, PersonID: 1092, IncludeFields: []string{"lead.was_seen"}})
				return r, err
			}, want: []LeadSearchResult{{ResultScore: 0.3, Item: LeadSearchItem{ID: leadID, Type: "lead", Title: "Jane Doe Lead",
				Owner: IDRef{ID: 1}, Person: &NameRef{ID: 1092, Name: "Jane"}, Phones: []string{}, Emails: []string{"j@x.io"},
				CustomFields: []string{}, Notes: []string{}, Value: 999, Currency: "USD", VisibleTo: 3}}}},
		{op: "getLeadLabels", body: env("[" + labelJSON + "]"), wantPath: "/leadLabels",
			call: func(ctx context.Context, c *Client) (any, error) {
				l, _, err := c.LeadLabels(ctx)
				return l, err
			}, want: []LeadLabel{wantLabel}},
		{op: "addLeadLabel", body: env(labelJSON), wantPath: "/leadLabels", wantBody: `{"name":"Hot","color":"red"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				l, _, err := c.CreateLeadLabelRaw(ctx, map[string]any{"name": "Hot", "color": "red"})
				return l, err
			}, want: wantLabel},
		{op: "updateLeadLabel", body: env(labelJSON), wantPath: "/leadLabels/" + labelID, wantBody: `{"color":"red"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				l, _, err := c.UpdateLeadLabel(ctx, labelID, LeadLabelInput{Color: "red"})
				return l, err
			}, want: wantLabel},
		{op: "deleteLeadLabel", body: env(`{"id":"` + labelID + `"}`), wantPath: "/leadLabels/" + labelID,
			call: func(ctx context.Context, c *Client) (any, error) {
				_, err := c.DeleteLeadLabel(ctx, labelID)
				return nil, err
			}},
		{op: "getLeadSources", body: env(`[{"name":"API"},{"name":"Web forms"}]`), wantPath: "/leadSources",
			call: func(ctx context.Context, c *Client) (any, error) {
				s, _, err := c.LeadSources(ctx)
				return s, err
			}, want: []LeadSource{{Name: "API"}, {Name: "Web forms"}}},
		{op: "getTeams", body: env("[" + teamJSON + "]"), wantPath: "/legacyTeams", wantQuery: url.Values{"order_by": {"name"}, "skip_users": {"1"}},
			call: func(ctx context.Context, c *Client) (any, error) {
				tm, _, err := c.Teams(ctx, TeamsQuery{OrderBy: "name", SkipUsers: true})
				return tm, err
			}, want: []Team{wantTeam}},
		{op: "addTeam", body: env(teamJSON), wantPath: "/legacyTeams", wantBody: `{"name":"Closers","manager_id":4,"description":"Sales","users":[2,3,5]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				tm, _, err := c.CreateTeam(ctx, TeamInput{Name: "Closers", ManagerID: 4, Description: "Sales", Users: []int{2, 3, 5}})
				return tm, err
			}, want: wantTeam},
		{op: "updateTeam", body: env(teamJSON), wantPath: "/legacyTeams/1", wantBody: `{"name":"Closers","active_flag":0}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				tm, _, err := c.UpdateTeam(ctx, 1, TeamUpdate{Name: "Closers", ActiveFlag: new(Flag)})
				return tm, err
			}, want: wantTeam},
		{op: "getTeam", body: env(teamJSON), wantPath: "/legacyTeams/1",
			call: func(ctx context.Context, c *Client) (any, error) {
				tm, _, err := c.Team(ctx, 1, false)
				return tm, err
			}, want: wantTeam},
		{op: "getCurrentUser", body: env(`{"id":1,"name":"Ada","email":"ada@acme.example","default_currency":"EUR","company_id":7391,"company_name":"Acme Ltd","company_domain":"acme","is_you":true}`),
			wantPath: "/users/me",
			call: func(ctx context.Context, c *Client) (any, error) {
				u, _, err := c.CurrentUser(ctx)
				return u, err
			}, want: CurrentUser{ID: 1, Name: "Ada", Email: "ada@acme.example", CompanyID: 7391, CompanyName: "Acme Ltd", CompanyDomain: "acme"}},
	}
}

// TestEveryEndpoint calls every operation of spec.Endpoints through its typed method and
// checks the request the server saw (method, path, query, body against the seed schema)
// and the decoded answer.
func TestEveryEndpoint(t *testing.T) {
	cases := endpointCases(t)
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.op] = true
	}
	for _, ep := range spec.Endpoints {
		if !covered[ep.Op] {
			t.Errorf("operation %s has no test case", ep.Op)
		}
	}
	for _, tc := range cases {
		t.Run(tc.op, func(t *testing.T) {
			ep := spec.ByOp(tc.op)
			status := tc.status
			if status == 0 {
				status = http.StatusOK
			}
			if ep.Response != "" {
				if err := spec.CheckResponse(ep.Response, []byte(tc.body)); err != nil {
					t.Fatalf("fixture does not match %s: %v", ep.Response, err)
				}
			}
			fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.op == "addFile" {
					checkUpload(t, r, "contract.pdf", []byte("%PDF-1.4 small"), map[string]string{"lead_id": "adf21080-0e10-11eb-879b-05d71fb426ec", "deal_id": "1"})
				}
				w.Header().Set("x-ratelimit-limit", "40")
				w.Header().Set("x-ratelimit-remaining", "39")
				w.Header().Set("x-ratelimit-reset", "2")
				writeJSON(w, status, tc.body)
			})
			c, _ := fake.client(t, nil)
			got, err := tc.call(context.Background(), c)
			if err != nil {
				t.Fatalf("%s: %v", tc.op, err)
			}
			if tc.want != nil && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s = %+v, want %+v", tc.op, got, tc.want)
			}
			calls := fake.calls()
			if len(calls) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(calls))
			}
			rc := calls[0]
			if rc.Method != ep.Method || rc.Path != tc.wantPath {
				t.Errorf("request = %s %s, want %s %s", rc.Method, rc.Path, ep.Method, tc.wantPath)
			}
			wantQuery := tc.wantQuery
			if wantQuery == nil {
				wantQuery = url.Values{}
			}
			if !reflect.DeepEqual(url.Values(rc.Query), wantQuery) {
				t.Errorf("query = %v, want %v", rc.Query, wantQuery)
			}
			if tc.wantBody != "" {
				if bytes.HasPrefix(bytes.TrimSpace([]byte(tc.wantBody)), []byte("{")) {
					var gotV, wantV any
					if err := json.Unmarshal(rc.Body, &gotV); err != nil {
						t.Fatalf("body %s: %v", rc.Body, err)
					}
					if err := json.Unmarshal([]byte(tc.wantBody), &wantV); err != nil {
						t.Fatalf("want body: %v", err)
					}
					if !reflect.DeepEqual(gotV, wantV) {
						t.Errorf("body = %s, want %s", rc.Body, tc.wantBody)
					}
				} else if string(rc.Body) != tc.wantBody {
					t.Errorf("form = %s, want %s", rc.Body, tc.wantBody)
				}
			}
			if rl := c.LastRateLimit(); rl.Limit != 40 || rl.Remaining != 39 || rl.Reset != 2e9 {
				t.Errorf("LastRateLimit = %+v, want limit 40, remaining 39, reset 2s", rl)
			}
		})
	}
}

// TestRawPayloadNulls checks that a raw payload's nil values are sent as JSON null and
// absent keys are not sent: the PATCH semantics the importer relies on.
func TestRawPayloadNulls(t *testing.T) {
	fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, env(leadJSON)) })
	c, _ := fake.client(t, nil)
	_, _, err := c.UpdateLeadRaw(context.Background(), "adf21080-0e10-11eb-879b-05d71fb426ec",
		map[string]any{"organization_id": nil, "title": "T"})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(fake.calls()[0].Body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"organization_id": nil, "title": "T"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body = %v, want %v", got, want)
	}
}
