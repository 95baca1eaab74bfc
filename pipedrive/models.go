package pipedrive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Times and dates are kept as the strings the API sent (RFC 3339 date-times, YYYY-MM-DD
// dates, or Pipedrive's "2006-01-02 15:04:05"), so that no value is lost or reformatted on
// its way to a spreadsheet.

// Lead is a lead (seed LeadsGetDetailsResponse.data). Nullable fields are pointers.
type Lead struct {
	ID                string     `json:"id"`
	Title             string     `json:"title"`
	Value             *LeadValue `json:"value"`
	OwnerID           int        `json:"owner_id"`
	CreatorID         int        `json:"creator_id"`
	LabelIDs          []string   `json:"label_ids"`
	PersonID          *int       `json:"person_id"`
	OrganizationID    *int       `json:"organization_id"`
	SourceName        string     `json:"source_name"`
	IsArchived        bool       `json:"is_archived"`
	WasSeen           bool       `json:"was_seen"`
	ExpectedCloseDate *string    `json:"expected_close_date"`
	NextActivityID    *int       `json:"next_activity_id"`
	AddTime           string     `json:"add_time"`
	UpdateTime        string     `json:"update_time"`
	VisibleTo         string     `json:"visible_to"`
	CCEmail           string     `json:"cc_email"`
}

// LeadValue is a lead's potential value.
type LeadValue struct {
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
}

// LeadLabel is a lead label; its ID is a UUID. Color is one of green, blue, red, yellow,
// purple, gray.
type LeadLabel struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Color      string `json:"color"`
	AddTime    string `json:"add_time"`
	UpdateTime string `json:"update_time"`
}

// LeadSource is a lead source (read only).
type LeadSource struct {
	Name string `json:"name"`
}

// File is a file attached to an item (seed FilesGetOneFileResponse.data).
type File struct {
	ID             int    `json:"id"`
	UserID         int    `json:"user_id"`
	DealID         *int   `json:"deal_id"`
	PersonID       *int   `json:"person_id"`
	OrgID          *int   `json:"org_id"`
	ProductID      *int   `json:"product_id"`
	ActivityID     *int   `json:"activity_id"`
	LeadID         string `json:"lead_id"`
	AddTime        string `json:"add_time"`
	UpdateTime     string `json:"update_time"`
	FileName       string `json:"file_name"`
	FileSize       int64  `json:"file_size"`
	ActiveFlag     bool   `json:"active_flag"`
	InlineFlag     bool   `json:"inline_flag"`
	RemoteLocation string `json:"remote_location"`
	RemoteID       string `json:"remote_id"`
	CID            string `json:"cid"`
	S3Bucket       string `json:"s3_bucket"`
	MailMessageID  string `json:"mail_message_id"`
	MailTemplateID string `json:"mail_template_id"`
	DealName       string `json:"deal_name"`
	PersonName     string `json:"person_name"`
	OrgName        string `json:"org_name"`
	ProductName    string `json:"product_name"`
	LeadName       string `json:"lead_name"`
	URL            string `json:"url"`
	Name           string `json:"name"`
	Description    string `json:"description"`
}

// Filter is a filter. Conditions is present on add/update answers, absent on lists.
type Filter struct {
	ID            int             `json:"id"`
	Name          string          `json:"name"`
	ActiveFlag    bool            `json:"active_flag"`
	Type          string          `json:"type"`
	TemporaryFlag bool            `json:"temporary_flag"`
	UserID        int             `json:"user_id"`
	AddTime       string          `json:"add_time"`
	UpdateTime    string          `json:"update_time"`
	VisibleTo     int             `json:"visible_to"`
	CustomViewID  int             `json:"custom_view_id"`
	Conditions    json.RawMessage `json:"conditions,omitempty"`
}

// Goal is a goal (seed GoalsCreateReportResponse.data.goal). Its ID is a string.
type Goal struct {
	ID              string              `json:"id"`
	OwnerID         int                 `json:"owner_id"`
	Title           string              `json:"title"`
	Type            GoalType            `json:"type"`
	Assignee        GoalAssignee        `json:"assignee"`
	Interval        string              `json:"interval"`
	Duration        GoalDuration        `json:"duration"`
	ExpectedOutcome GoalExpectedOutcome `json:"expected_outcome"`
	IsActive        bool                `json:"is_active"`
	ReportIDs       []string            `json:"report_ids"`
}

// GoalType is a goal's type: Name is deals_won, deals_progressed, activities_completed,
// activities_added or deals_started.
type GoalType struct {
	Name   string         `json:"name"`
	Params GoalTypeParams `json:"params"`
}

// GoalTypeParams narrows a goal's type to pipelines, a stage or activity types.
type GoalTypeParams struct {
	PipelineID     []int `json:"pipeline_id,omitempty"`
	StageID        *int  `json:"stage_id,omitempty"`
	ActivityTypeID []int `json:"activity_type_id,omitempty"`
}

// UnmarshalJSON accepts pipeline_id and activity_type_id as a single number or a list.
func (p *GoalTypeParams) UnmarshalJSON(b []byte) error {
	var raw struct {
		PipelineID     json.RawMessage `json:"pipeline_id"`
		StageID        *int            `json:"stage_id"`
		ActivityTypeID json.RawMessage `json:"activity_type_id"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	p.StageID = raw.StageID
	var err error
	if p.PipelineID, err = intOrInts(raw.PipelineID); err != nil {
		return err
	}
	p.ActivityTypeID, err = intOrInts(raw.ActivityTypeID)
	return err
}

func intOrInts(b json.RawMessage) ([]int, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil, nil
	}
	if b[0] == '[' {
		var v []int
		err := json.Unmarshal(b, &v)
		return v, err
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return nil, err
	}
	return []int{n}, nil
}

// GoalAssignee is who a goal is for: Type is person, company or team.
type GoalAssignee struct {
	ID   int    `json:"id"`
	Type string `json:"type"`
}

// GoalDuration is a goal's period, YYYY-MM-DD dates; End may be empty.
type GoalDuration struct {
	Start string `json:"start"`
	End   string `json:"end,omitempty"`
}

// GoalExpectedOutcome is a goal's target: TrackingMetric is quantity or sum; CurrencyID
// applies to sum.
type GoalExpectedOutcome struct {
	Target         float64 `json:"target"`
	TrackingMetric string  `json:"tracking_metric"`
	CurrencyID     int     `json:"currency_id,omitempty"`
}

// GoalResult is a goal's progress over a period.
type GoalResult struct {
	Goal     Goal    `json:"goal"`
	Progress float64 `json:"progress"`
}

// SearchResult is one hit of GET /itemSearch: Item holds the found object, whose shape
// depends on its "type" (deal, person, organization, product, lead, file, ...).
type SearchResult struct {
	ResultScore float64         `json:"result_score"`
	Item        json.RawMessage `json:"item"`
	Related     bool            `json:"-"` // true for an entry of related_items
}

// ItemType returns the item's "type" and "id" (the id as its JSON text: leads have UUIDs).
func (r SearchResult) ItemType() (typ, id string) {
	var v struct {
		Type string          `json:"type"`
		ID   json.RawMessage `json:"id"`
	}
	if json.Unmarshal(r.Item, &v) != nil {
		return "", ""
	}
	id = string(v.ID)
	var s string
	if json.Unmarshal(v.ID, &s) == nil {
		id = s
	}
	return v.Type, id
}

// FieldSearchResult is one hit of GET /itemSearch/field: the item's id and the value of
// the searched field.
type FieldSearchResult struct {
	// ID is the item's numeric id; 0 when the answer carries none (return_item_ids not
	// set) or the id is not a number (a lead's UUID, see ItemID).
	ID int `json:"id"`
	// ItemID is the item's id as text: the number of a deal, person, organization,
	// product or project, the UUID of a lead; "" when the answer carries none.
	ItemID string `json:"-"`
	// Value is the searched field's value when the hit has exactly one key besides id.
	Value json.RawMessage `json:"-"`
	// Fields holds every key of the hit (the field key names the value).
	Fields map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps every key of the hit.
func (r *FieldSearchResult) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	r.Fields = m
	if id, ok := m["id"]; ok {
		if err := r.setID(id); err != nil {
			return err
		}
	}
	if len(m) == 2 {
		for k, v := range m {
			if k != "id" {
				r.Value = v
			}
		}
	}
	return nil
}

// setID reads the hit's id: a number, a string (leads are found by UUID when
// field_type=leadField) or null.
func (r *FieldSearchResult) setID(raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil
	case raw[0] == '"':
		if err := json.Unmarshal(raw, &r.ItemID); err != nil {
			return err
		}
		if n, err := strconv.Atoi(r.ItemID); err == nil {
			r.ID = n
		}
		return nil
	}
	if err := json.Unmarshal(raw, &r.ID); err != nil {
		return fmt.Errorf("id %s is neither a number nor a string: %w", raw, err)
	}
	r.ItemID = strconv.Itoa(r.ID)
	return nil
}

// LeadSearchResult is one hit of GET /leads/search.
type LeadSearchResult struct {
	ResultScore float64        `json:"result_score"`
	Item        LeadSearchItem `json:"item"`
}

// LeadSearchItem is the lead of a lead search hit.
type LeadSearchItem struct {
	ID           string   `json:"id"`
	Type         string   `json:"type"`
	Title        string   `json:"title"`
	Owner        IDRef    `json:"owner"`
	Person       *NameRef `json:"person"`
	Organization *NameRef `json:"organization"`
	Phones       []string `json:"phones"`
	Emails       []string `json:"emails"`
	CustomFields []string `json:"custom_fields"`
	Notes        []string `json:"notes"`
	Value        float64  `json:"value"`
	Currency     string   `json:"currency"`
	VisibleTo    int      `json:"visible_to"`
	IsArchived   bool     `json:"is_archived"`
}

// IDRef is a reference by id.
type IDRef struct {
	ID int `json:"id"`
}

// NameRef is a reference by id with the referenced name.
type NameRef struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// Flag is a boolean the API sends as 0/1 (numberBoolean) or as true/false; it decodes
// either (and "0"/"1", null as false).
type Flag bool

// UnmarshalJSON accepts 0, 1, true, false, "0", "1", "true", "false" and null.
func (f *Flag) UnmarshalJSON(b []byte) error {
	switch strings.Trim(strings.TrimSpace(string(b)), `"`) {
	case "1", "true":
		*f = true
	case "0", "false", "null", "":
		*f = false
	default:
		return fmt.Errorf("flag: %s is not 0, 1, true or false", b)
	}
	return nil
}

// MarshalJSON writes 1 or 0, as the API's numberBoolean.
func (f Flag) MarshalJSON() ([]byte, error) {
	if f {
		return []byte("1"), nil
	}
	return []byte("0"), nil
}

// Team is a legacy team.
type Team struct {
	ID              int    `json:"id"`
	Name            string `json:"name"`
	Description     string `json:"description"`
	ManagerID       int    `json:"manager_id"`
	Users           []int  `json:"users"`
	ActiveFlag      Flag   `json:"active_flag"`
	DeletedFlag     Flag   `json:"deleted_flag"`
	AddTime         string `json:"add_time"`
	CreatedByUserID int    `json:"created_by_user_id"`
}

// Nullable is a field of an update that can be left out (the zero value), set to a value
// (Set) or set to JSON null (Null): PATCH /leads distinguishes the three.
type Nullable[T any] struct {
	Value T
	Valid bool // the field is sent
	Null  bool // the field is sent as null (Value ignored)
}

// Set returns a Nullable sending v.
func Set[T any](v T) Nullable[T] { return Nullable[T]{Value: v, Valid: true} }

// Null returns a Nullable sending null.
func Null[T any]() Nullable[T] { return Nullable[T]{Valid: true, Null: true} }

// IsZero reports whether the field is left out (used by the omitzero option).
func (n Nullable[T]) IsZero() bool { return !n.Valid }

// MarshalJSON writes null or the value.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if n.Null || !n.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(n.Value)
}
