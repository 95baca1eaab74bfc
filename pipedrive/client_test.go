package pipedrive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestNewBaseURLRule(t *testing.T) {
	tests := []struct {
		base string
		ok   bool
	}{
		{"https://acme.pipedrive.com/api/v1", true},
		{"https://api.pipedrive.com/v1/", true},
		{"http://127.0.0.1:8080/v1", true},
		{"http://127.3.4.5:8080/v1", true},
		{"http://[::1]:8080/v1", true},
		{"http://localhost:8080/api/v1", true},
		{"http://LOCALHOST/v1", true},
		{"http://acme.pipedrive.com/api/v1", false},
		{"http://10.0.0.5:8080/v1", false},
		{"http://localhost.evil.com/v1", false},
		{"http://127.0.0.1.nip.io/v1", false},
		{"ftp://acme.pipedrive.com/", false},
		{"acme.pipedrive.com/api/v1", false},
		{"", false},
		{"https://acme.pipedrive.com/api/v1?x=1", false},
	}
	for _, tc := range tests {
		t.Run(tc.base, func(t *testing.T) {
			c, err := New(Config{BaseURL: tc.base, Token: testToken})
			if (err == nil) != tc.ok {
				t.Fatalf("New(%q) error = %v, want ok %t", tc.base, err, tc.ok)
			}
			if c != nil && c.BaseURL() == "" {
				t.Errorf("BaseURL() empty")
			}
		})
	}
	if _, err := New(Config{BaseURL: "https://acme.pipedrive.com/api/v1", Token: "  "}); err == nil {
		t.Error("New accepted a blank token")
	}
}

// TestNewBaseURLErrorShowsNoCredential: a base URL refused for what it carries is quoted
// without it, whatever its spelling (a credential of another account than the token's).
func TestNewBaseURLErrorShowsNoCredential(t *testing.T) {
	const secret = "URLSECRET99"
	for _, base := range []string{
		"http://127.0.0.1:28713/api/v1?api%5Ftoken=" + secret,
		"http://127.0.0.1:28713/api/v1?%61pi_token=" + secret,
		"https://" + secret + "@acme.pipedrive.com/api/v1",
		"https://user:" + secret + "@acme.pipedrive.com/api/v1",
		"https://acme.pipedrive.com/api/v1#token=" + secret,
		"http://acme.pipedrive.com/api/v1?t=" + secret,
		"ftp://acme.pipedrive.com/?t=" + secret,
		"http://[::1/v1?api_token=" + secret,
	} {
		_, err := New(Config{BaseURL: base, Token: testToken})
		if err == nil {
			t.Errorf("New(%q) accepted", base)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("New(%q): %v", base, err)
		}
		if !strings.Contains(err.Error(), "base url") {
			t.Errorf("New(%q): %v, want it to say which setting is wrong", base, err)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("  file-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyFile := filepath.Join(dir, "empty")
	if err := os.WriteFile(emptyFile, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		env       map[string]string
		tokenFile string
		wantToken string
		wantBase  string
		wantErr   bool
	}{
		{name: "env token and domain", env: map[string]string{EnvToken: "env-token", EnvCompanyDomain: "acme"},
			wantToken: "env-token", wantBase: "https://acme.pipedrive.com/api/v1"},
		{name: "domain given as host", env: map[string]string{EnvToken: "t", EnvCompanyDomain: "acme.pipedrive.com"},
			wantToken: "t", wantBase: "https://acme.pipedrive.com/api/v1"},
		{name: "base url wins over domain", env: map[string]string{EnvToken: "t", EnvCompanyDomain: "acme", EnvBaseURL: "http://127.0.0.1:9/v1"},
			wantToken: "t", wantBase: "http://127.0.0.1:9/v1"},
		{name: "token file wins over env", env: map[string]string{EnvToken: "env-token", EnvCompanyDomain: "acme"}, tokenFile: tokenFile,
			wantToken: "file-token", wantBase: "https://acme.pipedrive.com/api/v1"},
		{name: "no token", env: map[string]string{EnvCompanyDomain: "acme"}, wantErr: true},
		{name: "empty token file", env: map[string]string{EnvCompanyDomain: "acme"}, tokenFile: emptyFile, wantErr: true},
		{name: "missing token file", env: map[string]string{EnvCompanyDomain: "acme"}, tokenFile: filepath.Join(dir, "nope"), wantErr: true},
		{name: "no address", env: map[string]string{EnvToken: "t"}, wantErr: true},
		{name: "bad domain", env: map[string]string{EnvToken: "t", EnvCompanyDomain: "acme.com/evil"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{EnvToken, EnvBaseURL, EnvCompanyDomain} {
				t.Setenv(k, tc.env[k])
			}
			cfg, err := ConfigFromEnv(tc.tokenFile)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ConfigFromEnv = %v, want an error", cfg)
				}
				return
			}
			if err != nil {
				t.Fatalf("ConfigFromEnv: %v", err)
			}
			if cfg.Token != tc.wantToken || cfg.BaseURL != tc.wantBase {
				t.Errorf("ConfigFromEnv = token %q base %q, want %q %q", cfg.Token, cfg.BaseURL, tc.wantToken, tc.wantBase)
			}
		})
	}
	t.Run("missing file error wraps fs.ErrNotExist", func(t *testing.T) {
		_, err := ConfigFromEnv(filepath.Join(dir, "nope"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error = %v, want fs.ErrNotExist", err)
		}
	})
}

func TestLeadPatchJSON(t *testing.T) {
	tests := []struct {
		name  string
		patch LeadPatch
		want  string
	}{
		{name: "empty sends nothing", patch: LeadPatch{}, want: `{}`},
		{name: "null clears", patch: LeadPatch{PersonID: Null[int](), Value: Null[LeadValue]()}, want: `{"person_id":null,"value":null}`},
		{name: "set values", patch: LeadPatch{OrganizationID: Set(5), IsArchived: Set(false), LabelIDs: Set([]string{})},
			want: `{"label_ids":[],"organization_id":5,"is_archived":false}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.patch)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("json.Marshal(%+v) = %s, want %s", tc.patch, b, tc.want)
			}
		})
	}
}

func TestCallUnknownOperation(t *testing.T) {
	fake := newFakeAPI(t, nil)
	c, _ := fake.client(t, nil)
	if _, err := c.Call(context.Background(), "nope", nil, nil, nil, nil); err == nil {
		t.Error("Call accepted an unknown operation")
	}
	if _, _, err := c.Lead(context.Background(), ""); err == nil {
		t.Error("Lead accepted an empty id")
	}
	if n := len(fake.calls()); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

func TestCallDecodesWholeBody(t *testing.T) {
	fake, _ := scripted(t, answer{status: 200, body: env(`[{"name":"API"}]`)})
	c, _ := fake.client(t, nil)
	var out struct {
		Success bool         `json:"success"`
		Data    []LeadSource `json:"data"`
	}
	resp, err := c.Call(context.Background(), "getLeadSources", nil, nil, nil, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Success || len(out.Data) != 1 || out.Data[0].Name != "API" || resp.Status != 200 {
		t.Errorf("Call decoded %+v (status %d)", out, resp.Status)
	}
}

func TestFlagJSON(t *testing.T) {
	tests := []struct {
		in   string
		want Flag
		ok   bool
	}{{"1", true, true}, {"0", false, true}, {"true", true, true}, {"false", false, true}, {`"1"`, true, true}, {"null", false, true}, {"2", false, false}}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var f Flag
			err := json.Unmarshal([]byte(tc.in), &f)
			if (err == nil) != tc.ok || f != tc.want {
				t.Errorf("Unmarshal(%s) = %v, %v; want %v, ok %t", tc.in, f, err, tc.want, tc.ok)
			}
		})
	}
}

// TestTokenFileNotRegular: a token file that is a FIFO nobody writes to, a device that never
// ends or a directory is refused at once, naming the file, instead of blocking the tool (a
// FIFO's open waits for a writer and no signal handler runs while it does) or reading forever.
func TestTokenFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "token.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("a"), maxTokenFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvCompanyDomain, "acme")
	for _, path := range []string{fifo, "/dev/zero", dir, big} {
		done := make(chan error, 1)
		go func() { _, err := ConfigFromEnv(path); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("ConfigFromEnv(%s) = %v, want an error naming the file", path, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("ConfigFromEnv(%s) still blocked after 10 s", path)
		}
	}
}
