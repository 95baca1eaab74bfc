package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	const token = "tok+en/with=odd chars"
	var out bytes.Buffer
	w := redactWriter(&out, token)
	for _, s := range []string{
		"GET https://acme.example/" + token + "/api/v1/leads\n",
		"path form https://acme.example/tok+en%2Fwith=odd%20chars/api\n",
		"query form ?api_token=tok%2Ben%2Fwith%3Dodd+chars\n",
	} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if got := out.String(); strings.Contains(got, "tok+en") || strings.Contains(got, "tok%2B") || strings.Count(got, redactedToken) != 3 {
		t.Errorf("redacted output = %q, want the token in none of its forms", got)
	}
	base := &ExitError{Code: ExitFatal, Err: errors.New("get " + token)}
	err := redactErr(base, token)
	var ee *ExitError
	if strings.Contains(err.Error(), token) || !errors.As(err, &ee) || ee.Code != ExitFatal {
		t.Errorf("redactErr = %q (ExitError found: %v), want the token hidden and the code kept", err, ee != nil)
	}
	if got := redact("a short token x1 stays", "x1"); got != "a short token x1 stays" {
		t.Errorf("redact(short token) = %q: a token under %d bytes blanks ordinary text", got, minRedacted)
	}
}

func TestJSONLines(t *testing.T) {
	var out bytes.Buffer
	j := newJSONLines(&out)
	for _, s := range []string{"pdbulk: a plain ", "line\n{\"type\":\"summary\"}\n\n{not json\n", "last"} {
		if _, err := j.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `{"message":"a plain line","type":"notice"}
{"type":"summary"}
{"message":"{not json","type":"notice"}
{"message":"last","type":"notice"}
`
	if got := out.String(); got != want {
		t.Errorf("jsonLines wrote\n%s\nwant\n%s", got, want)
	}
}

func TestJSONRequested(t *testing.T) {
	for args, want := range map[string]bool{
		"run --json job.yaml": true, "run -json job.yaml": true, "run --json=true j": true,
		"run job.yaml": false, "run --json=false j": false, "run -- --json": false, "run json": false,
	} {
		if got := jsonRequested(strings.Fields(args)); got != want {
			t.Errorf("jsonRequested(%q) = %v, want %v", args, got, want)
		}
	}
}
