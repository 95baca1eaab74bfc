package spec

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Difference is one place where Pipedrive's current OpenAPI document
// (../shared/pipedrive-openapi/openapi-v1-2026-01-14.yaml) widens the seed schemas: the
// seed is what the project was founded on, the document what Pipedrive answers today.
// Where they differ, spec follows the document for what it widens, so that the sandbox and
// pdbulk's pre-send checks accept what Pipedrive accepts and answer what it answers.
type Difference struct {
	Schemas []string // seed schemas changed
	Path    string   // dot path inside each schema; the last element is set to Value
	Value   string   // JSON of the document's schema at Path
	Note    string   // what the seed says, what the document says, where
}

// LabelColors are the lead label colours of the current document (addLeadLabel,
// updateLeadLabel and their answers), in its order; the seed has six (no brown, dark-gray,
// orange or pink).
var LabelColors = []string{"blue", "brown", "dark-gray", "gray", "green", "orange", "pink", "purple", "red", "yellow"}

var leadResponseKeys = `{"origin":{"type":"string","description":"The way this lead was created; set by Pipedrive (API for leads created through the API) and never changed"},` +
	`"origin_id":{"type":"string","nullable":true,"description":"The optional ID to further distinguish the origin of the lead"},` +
	`"channel":{"type":"integer","nullable":true,"description":"The ID of the Marketing channel this lead was created from"},` +
	`"channel_id":{"type":"string","nullable":true,"description":"The optional ID to further distinguish the Marketing channel"}}`

// OmittedKey is the schema keyword, set by a Difference, of a key an answer may leave out:
// CheckResponse does not ask for it. Pipedrive's document lists such keys as it lists every
// other, but its answers leave them out rather than send null.
const OmittedKey = "x-pdbulk-omitted"

// Differences lists every widening spec applies over the seed, with its note.
var Differences = []Difference{
	{
		Schemas: []string{"LeadLabelsAddNewLabelRequest", "LeadLabelsUpdatePropertiesRequest"},
		Path:    "properties.color.enum",
		Note:    "seed: six colours (green, blue, red, yellow, purple, gray); document (/leadLabels post and patch): ten, adding brown, dark-gray, orange, pink",
	},
	{
		Schemas: []string{"LeadLabelsAddNewLabelResponse", "LeadLabelsUpdatePropertiesResponse"},
		Path:    "properties.data.properties.color.enum",
		Note:    "seed: six colours; document (/leadLabels answers): ten",
	},
	{
		Schemas: []string{"LeadLabelsGetAllResponse"},
		Path:    "properties.data.items.properties.color.enum",
		Note:    "seed: six colours; document (GET /leadLabels): ten",
	},
	{
		Schemas: []string{"LeadsGetDetailsResponse", "LeadsCreateLeadResponse", "LeadsUpdateLeadPropertiesResponse"},
		Path:    "properties.data.properties.*",
		Value:   leadResponseKeys,
		Note:    "seed: a lead has no origin, origin_id, channel, channel_id; document (every lead answer): it has all four, origin_id, channel and channel_id nullable",
	},
	{
		Schemas: []string{"LeadsGetAllResponse"},
		Path:    "properties.data.items.properties.*",
		Value:   leadResponseKeys,
		Note:    "seed: no origin, origin_id, channel, channel_id in lead lists; document (GET /leads, /leads/archived): all four",
	},
	{
		Schemas: []string{"LeadsCreateLeadRequest"},
		Path:    "properties.*",
		Value: `{"origin_id":{"type":"string","nullable":true,"description":"The optional ID to further distinguish the origin of the lead; null when left out"},` +
			`"channel":{"type":"integer","nullable":true,"description":"The ID of the Marketing channel this lead was created from; null when left out"},` +
			`"channel_id":{"type":"string","nullable":true,"description":"The optional ID to further distinguish the Marketing channel; null when left out"}}`,
		Note: "seed: addLead takes no origin_id, channel, channel_id; document (POST /leads): it takes all three, nullable",
	},
	{
		Schemas: []string{"LeadsUpdateLeadPropertiesRequest"},
		Path:    "properties.*",
		Value: `{"channel":{"type":"integer","nullable":true,"description":"The ID of the Marketing channel this lead was created from"},` +
			`"channel_id":{"type":"string","nullable":true,"description":"The optional ID to further distinguish the Marketing channel"}}`,
		Note: "seed: updateLead takes no channel, channel_id; document (PATCH /leads/{id}): it takes both (origin_id is set on create only)",
	},
	{
		Schemas: []string{"FilesGetAllFilesResponse"},
		Path:    "properties.additional_data.properties.pagination.allOf.1.properties.next_start." + OmittedKey,
		Value:   "true",
		Note:    "seed and document: next_start is an integer, not nullable; Pipedrive leaves it out on the last page (more_items_in_collection false)",
	},
	{
		Schemas: []string{"ItemSearchByFieldValuesResponse", "ItemSearchSearchMultipleItemsResponse", "LeadsSearchLeadsResponse"},
		Path:    "allOf.1.properties.additional_data.properties.pagination.properties.next_start." + OmittedKey,
		Value:   "true",
		Note:    "seed and document: next_start is an integer, not nullable; Pipedrive leaves it out on the last page of a search",
	},
}

func init() {
	colours, err := json.Marshal(LabelColors)
	if err != nil {
		panic(err)
	}
	for i := range Differences {
		if strings.HasSuffix(Differences[i].Path, ".enum") {
			Differences[i].Value = string(colours)
		}
	}
}

// widen applies Differences to the parsed seed schemas.
func widen(s map[string]map[string]any) error {
	for _, d := range Differences {
		var v any
		if err := json.Unmarshal([]byte(d.Value), &v); err != nil {
			return fmt.Errorf("spec: difference %s: %w", d.Path, err)
		}
		for _, name := range d.Schemas {
			if err := setPath(s[name], strings.Split(d.Path, "."), v); err != nil {
				return fmt.Errorf("spec: %s: %s: %w", name, d.Path, err)
			}
		}
	}
	return nil
}

// setPath sets the last element of path inside m (numbers index allOf lists); a last
// element "*" merges v's keys in.
func setPath(m map[string]any, path []string, v any) error {
	if m == nil {
		return fmt.Errorf("no such schema")
	}
	var cur any = m
	for _, k := range path[:len(path)-1] {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(c) {
				return fmt.Errorf("no element %q", k)
			}
			cur = c[i]
		}
		if _, ok := cur.(map[string]any); !ok {
			if _, ok := cur.([]any); !ok {
				return fmt.Errorf("nothing at %q", k)
			}
		}
	}
	obj, ok := cur.(map[string]any)
	if !ok {
		return fmt.Errorf("no object at the end of the path")
	}
	last := path[len(path)-1]
	if last != "*" {
		obj[last] = v
		return nil
	}
	add, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("value of a merge is not an object")
	}
	for k, x := range add {
		obj[k] = x
	}
	return nil
}
