package pipedrive

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestTokenNeverLeaks makes requests fail in every way we can — answers that echo the
// token, 401, 400, 404, 5xx, 429, bad JSON, connection refused, timeouts, dropped
// connections — and checks the token is absent from every error (Error, %v, %+v, %#v),
// from the Response, and from everything Logf received.
func TestTokenNeverLeaks(t *testing.T) {
	echo := "token " + testToken + " in api_token=" + testToken
	answers := map[string]answer{
		"400 echoing the token": {status: 400, body: `{"success":false,"error":"` + echo + `","error_info":"` + echo + `"}`},
		"404":                   {status: 404, body: `{"success":false,"error":"requested lead not found"}`},
		"500 HTML echoing":      {status: 500, body: `<html>` + echo + `</html>`},
		"503":                   {status: 503, body: `{"success":false,"error":"` + echo + `"}`},
		"429 burst":             burst429,
		"429 daily":             daily429,
		"bad JSON echoing":      {status: 200, body: `{"success":true,"data":"` + echo},
		"dropped connection":    {drop: true},
		"timeout":               {hang: true},
	}
	var mu sync.Mutex
	var logs []string
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, fmt.Sprintf(format, args...))
	}
	type result struct {
		name string
		err  error
		resp *Response
	}
	var results []result
	run := func(name string, c *Client) {
		_, resp, err := c.Lead(context.Background(), "adf21080-0e10-11eb-879b-05d71fb426ec")
		results = append(results, result{name + " (GET)", err, resp})
		_, resp, err = c.CreateLead(context.Background(), LeadInput{Title: "T", PersonID: 1})
		results = append(results, result{name + " (POST)", err, resp})
	}
	for name, a := range answers {
		fake, _ := scripted(t, a)
		c, _ := fake.client(t, func(cfg *Config) {
			cfg.Logf = logf
			cfg.MaxRetries = 1
			cfg.Timeout = 50 * time.Millisecond
		})
		run(name, c)
	}

	// 401: the server knows another token.
	fake, _ := scripted(t, ok200)
	wrong, err := New(Config{BaseURL: fake.srv.URL + "/v1", Token: testToken + "-x", Logf: logf})
	if err != nil {
		t.Fatal(err)
	}
	run("401", wrong)

	// Connection refused: a port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	refused, err := New(Config{BaseURL: "http://" + addr + "/v1", Token: testToken, Logf: logf, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	refused.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	run("connection refused", refused)

	// Configuration errors that quote the base URL.
	for _, base := range []string{
		"http://example.com/v1?api_token=" + testToken,
		"http://user:" + testToken + "@127.0.0.1/v1",
		"ftp://" + testToken + ".example.com/",
		"http://127.0.0.1/v1?api_token=" + testToken,
	} {
		_, err := New(Config{BaseURL: base, Token: testToken})
		if err == nil {
			t.Errorf("New(%q) accepted", base)
			continue
		}
		results = append(results, result{"New " + base, err, nil})
	}

	for _, r := range results {
		if r.err == nil {
			t.Errorf("%s: want an error", r.name)
			continue
		}
		for _, s := range []string{r.err.Error(), fmt.Sprintf("%v", r.err), fmt.Sprintf("%+v", r.err), fmt.Sprintf("%#v", r.err), fmt.Sprintf("%+v", r.resp)} {
			if strings.Contains(s, testToken) {
				t.Errorf("%s: token in %q", r.name, s)
			}
		}
	}
	if len(logs) == 0 {
		t.Error("Logf received nothing; the retries should have been logged")
	}
	for _, l := range logs {
		if strings.Contains(l, testToken) {
			t.Errorf("token in log line %q", l)
		}
	}
	c, _ := fake.client(t, nil)
	cfg := Config{BaseURL: "https://acme.pipedrive.com/api/v1", Token: testToken}
	for _, s := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg)} {
		if strings.Contains(s, testToken) {
			t.Errorf("token in dump %q", s)
		}
	}
}

// TestTokenOnlyInHeader checks the token travels in x-api-token and nowhere else.
func TestTokenOnlyInHeader(t *testing.T) {
	var seen []string
	fake := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.String())
		for k, v := range r.Header {
			if k != "X-Api-Token" && strings.Contains(strings.Join(v, " "), testToken) {
				t.Errorf("token in header %s", k)
			}
		}
		writeJSON(w, 200, env(`[]`))
	})
	c, _ := fake.client(t, nil)
	if _, _, err := c.LeadSources(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, u := range seen {
		if strings.Contains(u, testToken) {
			t.Errorf("token in URL %s", u)
		}
	}
}
