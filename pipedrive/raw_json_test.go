package pipedrive

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// decodeStd is what encoding/json gives with UseNumber: the parser must agree with it.
func decodeStd(data []byte) (any, error) {
	if !json.Valid(data) {
		return nil, &json.SyntaxError{}
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

var jsonCases = []string{
	`{"id":"adf21080-0e10-11eb-879b-05d71fb426ec","title":"Müller GmbH – lead","value":{"amount":1500.5,"currency":"EUR"},"label_ids":[],"owner_id":7,"is_archived":false,"was_seen":true,"next_activity_id":null}`,
	`{"title":"Quote \" and \\ and \u00e9 and \ud83d\ude00 and \n tab\t"}`,
	`[1,-0,0.5,-1.25e10,3E-2,1e+3,12345678901234567890]`,
	"\"bad utf8 \xff\xfe here\"",
	`  {"nested":{"a":[{"b":[[]]},{}]}}  `,
	`{"dup":1,"dup":2}`,
	`{"id":1,"skipped":{"deep":[1,"x\u00e9",{"a":null}]},"title":"t","bad":"\x"}`,
	`{"id":1,"skipped":[1,2,}`,
	`"\u0000 control escape"`,
	`{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":1e}`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `tru`, `nul`, `"open`,
	`{"a":1} x`, `[1 2]`, "\"raw\tcontrol\"", `{"a":.5}`, `{}`, `[]`, `null`, `""`,
}

// TestParseJSONMatchesEncodingJSON: the one-pass parser reads every case exactly as
// encoding/json does with UseNumber, and refuses what encoding/json refuses.
func TestParseJSONMatchesEncodingJSON(t *testing.T) {
	for _, c := range jsonCases {
		checkParse(t, []byte(c))
	}
}

func checkParse(t *testing.T, data []byte) {
	t.Helper()
	want, werr := decodeStd(data)
	got, gerr := parseJSON(data)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("parse %q: error %v, encoding/json says %v", data, gerr, werr)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("parse %q = %#v, encoding/json gives %#v", data, got, want)
	}
	// pass checks as strictly as it reads.
	p := newJSONParser(data)
	perr := p.pass()
	if perr == nil {
		perr = p.end()
	}
	if (werr != nil) != (perr != nil) {
		t.Fatalf("pass %q: error %v, encoding/json says %v", data, perr, werr)
	}
	// A record read with some keys kept is the record without the others.
	if m, ok := want.(map[string]any); ok {
		keep := map[string]bool{"id": true, "title": true, "value": true}
		p := newJSONParser(data)
		got, err := p.record(keep)
		if err == nil {
			err = p.end()
		}
		if err != nil {
			t.Fatalf("record %q: %v", data, err)
		}
		for k := range m {
			if !keep[k] {
				delete(m, k)
			}
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("record %q keeping %v = %#v, want %#v", data, keep, got, m)
		}
	}
}

func FuzzParseJSON(f *testing.F) {
	for _, c := range jsonCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, data) })
}

// TestRecordsEnvelope: a list answer read in one pass gives the records, the pagination
// and success; an array of something else than records is refused.
func TestRecordsEnvelope(t *testing.T) {
	var e recordsEnvelope
	body := `{"success":true,"data":[{"id":1,"name":"a"},{"id":2,"name":"b"}],"additional_data":{"pagination":{"start":0,"limit":2,"more_items_in_collection":true,"next_start":2}}}`
	if err := e.decodeBody([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if len(e.records) != 2 || e.records[1]["name"] != "b" || e.Success == nil || !*e.Success {
		t.Fatalf("records %v, success %v", e.records, e.Success)
	}
	p, err := parsePage(e.additionalData, 0, 2)
	if err != nil || !p.More || p.NextStart != 2 {
		t.Fatalf("page %+v, %v", p, err)
	}
	e = recordsEnvelope{}
	if err := e.decodeBody([]byte(`{"success":true,"data":{"goals":[{"id":"g"}]}}`)); err != nil || len(e.records) != 1 {
		t.Fatalf("one object: %v, %v", e.records, err)
	}
	e = recordsEnvelope{}
	if err := e.decodeBody([]byte(`{"success":true,"data":null}`)); err != nil || len(e.records) != 0 {
		t.Fatalf("null: %v, %v", e.records, err)
	}
	for _, bad := range []string{`{"data":[1,2]}`, `{"data":[{}]`, `[]`, `{"data":[{}]} {}`} {
		e = recordsEnvelope{}
		if err := e.decodeBody([]byte(bad)); err == nil {
			t.Errorf("decodeBody(%s) = nil error", bad)
		}
	}
}
