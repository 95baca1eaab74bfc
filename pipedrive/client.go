// Package pipedrive is a client for the Pipedrive API v1 endpoints pdbulk uses (every
// entry of spec.Endpoints): leads, lead labels, lead sources, files, filters, goals, item
// search and legacy teams; and for the API v2 search endpoints (spec.EndpointsV2,
// search_v2.go), which the Find methods call by default, falling back to v1 search on a
// server without v2 (search_route.go).
//
// Every request goes through one method that waits on the shared pacer, sends the token in
// the x-api-token header only, reads the rate-limit headers of every answer, and retries by
// an explicit rule: idempotent methods (GET, PUT, PATCH, DELETE) retry 5xx answers, timeouts
// and connection errors with backoff; any request retries a burst 429; a create (POST) is
// retried only when nothing was sent (a dial error) and otherwise fails with an error
// matching ErrInDoubt, so that the caller looks the record up before sending it again.
// The token never appears in an error, a log line or a dump.
package pipedrive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/pdbulk/pdbulk/ratelimit"
)

// Config configures a Client. Zero values are documented per field.
type Config struct {
	// BaseURL is the API root, e.g. https://acme.pipedrive.com/api/v1 or
	// http://127.0.0.1:8080/v1. It must be https, or http to a loopback host only.
	BaseURL string
	// Token is the API token, sent in the x-api-token header. Required.
	Token string
	// HTTPClient sends the requests; nil (or one without a Transport) means the package's
	// shared transport, which keeps enough idle connections per host for a worker pool.
	// Its Timeout should be zero: the per-request Timeout below applies.
	HTTPClient *http.Client
	// Pacer paces every request; nil means no pacing (backoff then uses the client's own
	// exponential timer with jitter, honouring Retry-After and x-ratelimit-reset).
	Pacer *ratelimit.Pacer
	// Gate bounds the requests in flight (ratelimit.Gate); nil means a Gate of its own that
	// adapts to the Pacer's rate and the round trips, up to 64 (Client.Gate pins it).
	Gate *ratelimit.Gate
	// MaxRetries is the number of retries after the first attempt; 0 means 5, negative none.
	MaxRetries int
	// Timeout bounds each attempt of a JSON request, answer body included; for uploads and
	// downloads it bounds the time without progress instead (a large file may take longer
	// as long as bytes keep moving). 0 means 60s.
	Timeout time.Duration
	// Logf receives one line per retry and per failed attempt; nil means silent.
	// Lines never hold the token.
	Logf func(format string, args ...any)
	// Notice receives what a user should be told once, such as a fall back from the API v2
	// search to v1 (search_route.go); nil means silent. Messages never hold the token.
	Notice func(msg string)
}

// Default base settings.
const (
	defaultMaxRetries = 5
	defaultTimeout    = 60 * time.Second
	minBackoff        = 500 * time.Millisecond
	maxBackoff        = 60 * time.Second
)

// Client calls the Pipedrive API. It is safe for concurrent use.
type Client struct {
	base       *url.URL
	token      string
	http       *http.Client
	pacer      *ratelimit.Pacer
	gate       *ratelimit.Gate
	maxRetries int
	timeout    time.Duration
	logf       func(format string, args ...any)
	red        redactor

	// sleep waits d or until ctx ends; replaced by tests.
	sleep func(ctx context.Context, d time.Duration) error
	// now returns the current time; replaced by tests.
	now func() time.Time

	clock serverClock // offset of the server's clock, from the Date headers

	answers *semaphore.Weighted // bytes of the success answers being read (answer.go)

	notice func(msg string) // Config.Notice
	search searchFallback   // whether the server lacks v2 search

	mu   sync.Mutex
	last RateLimit
}

// New returns a Client for cfg. It refuses a missing token, a base URL that is not
// absolute, and plain http to a host that is not loopback (127.0.0.0/8, ::1, localhost).
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("pipedrive: new client: no api token")
	}
	if strings.ContainsAny(cfg.Token, "\r\n") {
		return nil, errors.New("pipedrive: new client: api token holds a line break")
	}
	red := redactor{token: cfg.Token}
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || u.Host == "" {
		shown, _, _ := strings.Cut(cfg.BaseURL, "?")
		shown, _, _ = strings.Cut(shown, "#")
		return nil, fmt.Errorf("pipedrive: new client: base url %q is not an absolute url", red.redact(shown))
	}
	// The messages show the URL without what may carry a credential (user info, a query,
	// a fragment), in any encoding.
	shown := red.redact((&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String())
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("pipedrive: new client: base url %q: plain http is allowed to a loopback host only; use https", shown)
		}
	default:
		return nil, fmt.Errorf("pipedrive: new client: base url %q: scheme must be https", shown)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("pipedrive: new client: base url %q must not carry credentials, a query or a fragment", shown)
	}
	c := &Client{
		base:       u,
		token:      cfg.Token,
		http:       cfg.HTTPClient,
		pacer:      cfg.Pacer,
		gate:       cfg.Gate,
		maxRetries: cfg.MaxRetries,
		timeout:    cfg.Timeout,
		red:        red,
		notice:     cfg.Notice,
		now:        time.Now,
		sleep:      sleepCtx,
		answers:    newAnswerBudget(),
	}
	c.http = guardRedirects(cfg.HTTPClient, u)
	if c.gate == nil {
		c.gate = newGate(c.pacer)
	}
	if c.maxRetries == 0 {
		c.maxRetries = defaultMaxRetries
	} else if c.maxRetries < 0 {
		c.maxRetries = 0
	}
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
	}
	if cfg.Logf != nil {
		logf := cfg.Logf
		c.logf = func(format string, args ...any) {
			logf("%s", red.redact(fmt.Sprintf(format, args...)))
		}
	} else {
		c.logf = func(string, ...any) {}
	}
	return c, nil
}

// BaseURL returns the API root the client sends to.
func (c *Client) BaseURL() string { return c.base.String() }

// LastRateLimit returns the rate-limit headers of the most recent answer received by any
// request of this client (the zero RateLimit before the first).
func (c *Client) LastRateLimit() RateLimit {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// guardRedirects returns a copy of hc (nil means a default client) that follows only the
// redirects that cannot leak what a request carries:
//   - a write (POST, PUT, PATCH, DELETE) is never sent again elsewhere: a 307 or 308 would
//     send its body to the new address, and a 301–303 would turn it into a GET whose answer
//     would read as the write's. Its 3xx answer is the answer (a create is left in doubt);
//   - a read goes on only to https, or plain http to a loopback host (as New allows), and
//     drops the token header when it leaves the base URL's scheme and host: a download
//     redirected to storage must not carry it, and Go copies custom headers to any target.
func guardRedirects(hc *http.Client, base *url.URL) *http.Client {
	var cp http.Client
	if hc != nil {
		cp = *hc
	}
	if cp.Transport == nil {
		cp.Transport = sharedTransport
	}
	prev := cp.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if m := via[0].Method; m != http.MethodGet && m != http.MethodHead {
			return http.ErrUseLastResponse
		}
		if to := req.URL; to.Scheme != "https" && (to.Scheme != "http" || !isLoopback(to.Hostname())) {
			return fmt.Errorf("%w to %s://%s: plain http is allowed to a loopback host only", errRedirect, to.Scheme, to.Host)
		}
		if req.URL.Scheme != base.Scheme || !strings.EqualFold(req.URL.Host, base.Host) {
			req.Header.Del("x-api-token")
		}
		if prev != nil {
			return prev(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &cp
}

// errRedirect: the server redirected a read where the client does not follow. Sending it
// again would meet the same redirect.
var errRedirect = errors.New("redirect refused")

// sharedTransport is http.DefaultTransport with room for a worker pool: the default keeps
// 2 idle connections per host, so 16 workers against one API host would open and close a
// connection (a TLS handshake on the real API) for most requests.
var sharedTransport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = maxIdlePerHost
	return t
}()

// maxIdlePerHost is above the importer's highest useful concurrency.
const maxIdlePerHost = 64

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Environment variables read by ConfigFromEnv.
const (
	EnvToken         = "PIPEDRIVE_API_TOKEN"
	EnvBaseURL       = "PIPEDRIVE_BASE_URL"
	EnvCompanyDomain = "PIPEDRIVE_COMPANY_DOMAIN"
)

// ConfigFromEnv builds a Config from the environment. The token comes from tokenFile when
// it is not empty (whitespace trimmed), else from PIPEDRIVE_API_TOKEN. The base URL comes
// from PIPEDRIVE_BASE_URL, else https://$PIPEDRIVE_COMPANY_DOMAIN.pipedrive.com/api/v1
// (a domain given as a full host name, e.g. acme.pipedrive.com, is accepted too).
func ConfigFromEnv(tokenFile string) (Config, error) {
	return ConfigFrom(os.Getenv, tokenFile)
}

// ConfigFrom is ConfigFromEnv reading the variables through getenv, so that a caller (a
// command under test, an embedding program) decides what environment the client sees.
func ConfigFrom(getenv func(string) string, tokenFile string) (Config, error) {
	var cfg Config
	if tokenFile != "" {
		tok, err := readTokenFile(tokenFile)
		if err != nil {
			return cfg, err
		}
		cfg.Token = tok
	} else {
		cfg.Token = strings.TrimSpace(getenv(EnvToken))
		if cfg.Token == "" {
			return cfg, fmt.Errorf("pipedrive: no api token: set %s or give a token file", EnvToken)
		}
	}
	if base := strings.TrimSpace(getenv(EnvBaseURL)); base != "" {
		cfg.BaseURL = base
		return cfg, nil
	}
	domain := strings.TrimSpace(getenv(EnvCompanyDomain))
	if domain == "" {
		return cfg, fmt.Errorf("pipedrive: no api address: set %s (e.g. acme) or %s", EnvCompanyDomain, EnvBaseURL)
	}
	domain = strings.TrimSuffix(strings.TrimPrefix(domain, "https://"), "/")
	domain = strings.TrimSuffix(domain, ".pipedrive.com")
	if domain == "" || strings.ContainsAny(domain, "/:?#@ ") {
		return cfg, fmt.Errorf("pipedrive: %s %q is not a company domain", EnvCompanyDomain, domain)
	}
	cfg.BaseURL = "https://" + domain + ".pipedrive.com/api/v1"
	return cfg, nil
}

// maxTokenFile bounds what is read of a token file: a Pipedrive token is 40 hex digits, so
// anything near this size is the wrong file, not a token.
const maxTokenFile = 4 << 10

// readTokenFile reads the token from a regular file of at most maxTokenFile bytes. It
// checks the kind of file before opening it, so that a FIFO, a terminal or a device given by
// mistake is refused at once instead of blocking (or streaming forever) while pdbulk waits
// for a token; the error never quotes the file's contents.
func readTokenFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("pipedrive: read token file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("pipedrive: read token file %s: not a regular file (%s); give a file that holds only the token", path, fi.Mode().Type())
	}
	if fi.Size() > maxTokenFile {
		return "", fmt.Errorf("pipedrive: read token file %s: %d bytes is too large for a token (at most %d)", path, fi.Size(), maxTokenFile)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("pipedrive: read token file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return "", fmt.Errorf("pipedrive: read token file %s: %w", path, err)
	}
	if len(b) > maxTokenFile {
		return "", fmt.Errorf("pipedrive: read token file %s: too large for a token (at most %d bytes)", path, maxTokenFile)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("pipedrive: read token file %s: file is empty", path)
	}
	return tok, nil
}

// String describes the config without its token, so that printing it (%v, %+v) never
// shows the token.
func (cfg Config) String() string {
	tok := "unset"
	if cfg.Token != "" {
		tok = "[REDACTED]"
	}
	return fmt.Sprintf("pipedrive.Config{BaseURL: %q, Token: %s, MaxRetries: %d, Timeout: %s}",
		cfg.BaseURL, tok, cfg.MaxRetries, cfg.Timeout)
}

// GoString is String, for %#v.
func (cfg Config) GoString() string { return cfg.String() }

// String describes the client without its token.
func (c *Client) String() string {
	return fmt.Sprintf("pipedrive.Client{BaseURL: %q}", c.base.String())
}

// GoString is String, for %#v.
func (c *Client) GoString() string { return c.String() }
