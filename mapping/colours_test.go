package mapping

import (
	"encoding/json"
	"testing"

	"github.com/pdbulk/pdbulk/spec"
)

// TestPreSendCheckTakesTheDocumentsColours checks that the pre-send check of a label row
// accepts every colour of Pipedrive's current document (the seed has six of the ten) and
// still refuses one that is not there.
func TestPreSendCheckTakesTheDocumentsColours(t *testing.T) {
	for _, schema := range []string{"LeadLabelsAddNewLabelRequest", "LeadLabelsUpdatePropertiesRequest"} {
		sch, ok := spec.Schema(schema)
		if !ok {
			t.Fatalf("spec.Schema(%s) missing", schema)
		}
		r := compileRule(sch)
		check := func(colour string) []string {
			var v any
			if err := json.Unmarshal([]byte(`{"name":"n","color":"`+colour+`"}`), &v); err != nil {
				t.Fatal(err)
			}
			val := validator{}
			val.value(r, v)
			var out []string
			for _, p := range val.problems {
				out = append(out, p.err.Error())
			}
			return out
		}
		for _, c := range []string{"blue", "brown", "dark-gray", "gray", "green", "orange", "pink", "purple", "red", "yellow"} {
			if p := check(c); len(p) != 0 {
				t.Errorf("%s: colour %q refused: %v", schema, c, p)
			}
		}
		if p := check("teal"); len(p) == 0 {
			t.Errorf("%s: colour teal accepted, want refused", schema)
		}
	}
}
