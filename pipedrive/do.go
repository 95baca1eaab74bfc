package pipedrive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/spec"
)

// Response describes the HTTP answer of a call: the last attempt's status and headers,
// the rate-limit headers parsed, and how many attempts were made. Status is 0 when no
// answer arrived. Methods return a nil *Response when they refused the call before any
// attempt (an invalid argument).
type Response struct {
	Op        string
	Status    int
	Header    http.Header
	RateLimit RateLimit
	Attempts  int
}

// maxErrorBody caps what is read of an error answer (64 in flight: 4 MiB at most); a
// success answer is bounded by its operation and the client's budget (answer.go).
const maxErrorBody = 64 << 10

// call is one API operation to perform.
type call struct {
	op    string
	ids   []string   // values of the path's {id} segments, in order
	query url.Values // query parameters
	json  any        // JSON body, marshalled once
	form  url.Values // form body
	// open returns a fresh streamed body for each attempt (uploads), its content type and
	// its length (-1 when unknown: sent chunked); the client closes it.
	open func() (io.ReadCloser, string, int64, error)
	out  any       // decode target of a success body; nil discards it
	sink io.Writer // receives a success body as a stream instead of decoding it
	sent time.Time // when the pacer released the current attempt
	seq  uint64    // the current attempt's number (Pacer.NextSeq): answers overtaken by newer ones tell no budget
}

// envelopeHead is the part every JSON answer shares.
type envelopeHead struct {
	Success   *bool  `json:"success"`
	Error     string `json:"error"`
	ErrorInfo string `json:"error_info"`
	ErrorCode int    `json:"errorCode"`
}

func (h *envelopeHead) head() *envelopeHead { return h }

type headed interface{ head() *envelopeHead }

// envelope is a JSON answer carrying data of type T.
type envelope[T any] struct {
	envelopeHead
	Data           T               `json:"data"`
	AdditionalData json.RawMessage `json:"additional_data"`
}

// Call performs the operation op (an operationId of spec.Endpoints) with the path ids,
// query and JSON body given (body nil for none), decoding the whole success body into out
// (nil discards it). It is the escape hatch under every typed method and follows the same
// pacing, retry and error rules.
func (c *Client) Call(ctx context.Context, op string, ids []string, query url.Values, body, out any) (*Response, error) {
	if _, ok := spec.Find(op); !ok {
		return nil, fmt.Errorf("pipedrive: call: unknown operation %q", op)
	}
	return c.do(ctx, &call{op: op, ids: ids, query: query, json: body, out: out})
}

// expand fills the {…} segments of tmpl with ids, path-escaped.
func expand(tmpl string, ids []string) (string, error) {
	segs := strings.Split(tmpl, "/")
	n := 0
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") {
			continue
		}
		if n >= len(ids) || ids[n] == "" {
			return "", errors.New("missing id")
		}
		segs[i] = url.PathEscape(ids[n])
		n++
	}
	if n != len(ids) {
		return "", fmt.Errorf("%d ids given, path takes %d", len(ids), n)
	}
	return strings.Join(segs, "/"), nil
}

// outcome is the result of one attempt.
type outcome struct {
	retry  bool
	status int
	rl     RateLimit
	err    error
}

// do performs cl: pacing, attempts, retries, decoding. Every request goes through here.
func (c *Client) do(ctx context.Context, cl *call) (*Response, error) {
	ep, ok := spec.Find(cl.op)
	if !ok {
		return nil, fmt.Errorf("pipedrive: unknown operation %q", cl.op)
	}
	path, err := expand(ep.Path, cl.ids)
	if err != nil {
		return nil, fmt.Errorf("pipedrive: %s: %w", cl.op, err)
	}
	target := c.base.String() + path
	if ep.Version == 2 {
		target = v2Base(c.base) + path
	}
	if len(cl.query) > 0 {
		target += "?" + cl.query.Encode()
	}
	var payload []byte
	if cl.json != nil {
		if payload, err = json.Marshal(cl.json); err != nil {
			return nil, fmt.Errorf("pipedrive: %s: encode request: %w", cl.op, err)
		}
	}
	resp := &Response{Op: cl.op}
	var last error
	for attempt := 1; ; attempt++ {
		resp.Attempts = attempt
		if err := ctx.Err(); err != nil {
			return resp, c.ctxErr(cl.op, err, last)
		}
		// A slot of the gate (the bound on requests in flight) is taken before the pacer's
		// turn, so that a request the pacer released is sent at once rather than parked at
		// the gate while its turn passes; the round trip the gate learns from starts after
		// the pacer's wait.
		slot, err := c.gate.Acquire(ctx)
		if err != nil {
			return resp, c.ctxErr(cl.op, err, last)
		}
		if c.pacer != nil {
			wait := c.pacer.Wait
			if isSearch(ep) {
				wait = c.pacer.WaitSearch // search has its own, lower window limit
			}
			if err := wait(ctx, ep.Cost); err != nil {
				slot.Abandon()
				if cerr := ctx.Err(); cerr != nil {
					return resp, c.ctxErr(cl.op, cerr, last)
				}
				return resp, fmt.Errorf("pipedrive: %s: %w", cl.op, err)
			}
		}
		slot.Start()
		cl.sent = time.Now()
		if c.pacer != nil {
			cl.seq = c.pacer.NextSeq()
		}
		o := c.attempt(ctx, ep, path, target, cl, payload, resp)
		switch bad := struggling(ctx, o); {
		case bad:
			slot.Release(true)
		case cl.open != nil || cl.sink != nil:
			slot.Abandon() // a transfer's length is not a round trip
		default:
			slot.Release(false)
		}
		if o.err == nil {
			return resp, nil
		}
		last = o.err
		if cerr := ctx.Err(); cerr != nil {
			return resp, c.ctxErr(cl.op, cerr, last)
		}
		if !o.retry || attempt > c.maxRetries {
			if o.retry {
				c.logf("pipedrive: %s: giving up after %d attempts: %v", cl.op, attempt, o.err)
			}
			return resp, o.err
		}
		c.logf("pipedrive: %s: attempt %d failed, retrying: %v", cl.op, attempt, o.err)
		if err := c.backoff(ctx, attempt, o); err != nil {
			return resp, c.ctxErr(cl.op, err, last)
		}
	}
}

// ctxErr reports a cancelled or expired ctx; it wins over the last API error, but a create
// that may have been applied stays in doubt.
func (c *Client) ctxErr(op string, cerr, last error) error {
	if errors.Is(last, ErrInDoubt) {
		return &InDoubtError{Op: op, Err: cerr}
	}
	return fmt.Errorf("pipedrive: %s: %w", op, cerr)
}

// attempt sends cl once and classifies the answer.
func (c *Client) attempt(ctx context.Context, ep spec.Endpoint, path, target string, cl *call, payload []byte, resp *Response) outcome {
	var actx context.Context
	var watch *watchdog
	if cl.open != nil || cl.sink != nil {
		// Streams may take long: the timeout bounds the time without progress instead.
		var cancel context.CancelCauseFunc
		actx, cancel = context.WithCancelCause(ctx)
		watch = newWatchdog(c.timeout, cancel)
		defer watch.stop()
	} else {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var body io.Reader
	var ctype string
	var stream io.ReadCloser
	length := int64(-1)
	switch {
	case cl.open != nil:
		rc, ct, n, err := cl.open()
		if err != nil {
			return outcome{err: fmt.Errorf("pipedrive: %s: %w", cl.op, err)}
		}
		stream, body, ctype, length = rc, watch.reader(rc), ct, n
		defer stream.Close()
	case payload != nil:
		body, ctype = bytes.NewReader(payload), "application/json"
	case cl.form != nil:
		body, ctype = strings.NewReader(cl.form.Encode()), "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequestWithContext(actx, ep.Method, target, body)
	if err != nil {
		return outcome{err: fmt.Errorf("pipedrive: %s: build request: %s", cl.op, c.red.redact(err.Error()))}
	}
	if stream != nil {
		// A known length is sent as Content-Length: the transport then copies the body
		// straight to the connection, without chunk framing.
		req.ContentLength = length
	}
	req.Header.Set("x-api-token", c.token)
	if cl.sink != nil {
		req.Header.Set("Accept", "*/*")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	req.Header.Set("User-Agent", "pdbulk")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	hr, err := c.http.Do(req)
	if err != nil {
		return c.transportFailure(ctx, actx, ep, path, err)
	}
	defer hr.Body.Close()
	c.clock.observe(hr.Header.Get("Date"), c.now())
	if watch != nil {
		hr.Body = watch.readCloser(hr.Body)
	}
	rl := ParseRateLimit(hr.Header, c.now())
	resp.Status, resp.Header, resp.RateLimit = hr.StatusCode, hr.Header, rl
	c.mu.Lock()
	c.last = rl
	c.mu.Unlock()
	if hr.StatusCode >= 200 && hr.StatusCode < 300 {
		return c.success(ctx, actx, ep, path, cl, hr, rl)
	}
	data, rerr := io.ReadAll(io.LimitReader(hr.Body, maxErrorBody))
	if rerr != nil {
		// The status is known; a partial error body only shortens the message.
		c.logf("pipedrive: %s: read error body: %v", cl.op, rerr)
	}
	apiErr := c.apiError(ep.Op, hr.StatusCode, data)
	o := outcome{status: hr.StatusCode, rl: rl, err: apiErr}
	daily := false
	switch hr.StatusCode {
	case http.StatusTooManyRequests:
		daily = dailyExhausted(apiErr.Message, rl)
		if daily {
			reset := nextUTCMidnight(c.now())
			if rl.HasRetryAfter {
				reset = c.now().Add(rl.RetryAfter)
			}
			apiErr.Err = &ratelimit.BudgetError{Cost: ep.Cost, Remaining: max(rl.DailyTokenRemaining, 0), ResetAt: reset}
		} else {
			o.retry = true // a 429 was not processed: any method may be resent
		}
	default:
		switch {
		case refused(hr.StatusCode):
			// The server refused the request: it was not applied.
		case idempotent(ep.Method):
			o.retry = retryable(hr.StatusCode)
		default:
			// Any 5xx, a proxy's 520–524, an unknown status: a create may have been applied.
			o.err = &InDoubtError{Op: ep.Op, Err: apiErr, Answered: serverAnswered(hr.StatusCode)}
		}
	}
	if c.pacer != nil {
		c.observe(ep, answered(rl.observation(hr.StatusCode, daily), cl.sent, cl.seq))
	}
	return o
}

// success reads a 2xx answer into cl.out or cl.sink.
func (c *Client) success(ctx, actx context.Context, ep spec.Endpoint, path string, cl *call, hr *http.Response, rl RateLimit) outcome {
	if c.pacer != nil {
		c.observe(ep, answered(rl.observation(hr.StatusCode, false), cl.sent, cl.seq))
	}
	o := outcome{status: hr.StatusCode, rl: rl}
	if cl.sink != nil {
		if _, err := io.Copy(cl.sink, hr.Body); err != nil {
			// Part of the body may be written already: never retried here.
			msg := c.red.redact(err.Error())
			if ctx.Err() == nil && errors.Is(context.Cause(actx), errStalled) {
				msg = fmt.Sprintf("no progress within %s (%s)", c.timeout, msg)
				err = fmt.Errorf("%w: %w", errStalled, err)
			}
			o.err = &TransportError{Op: ep.Op, Method: ep.Method, Path: path, Err: err, msg: "stream body: " + msg}
		}
		return o
	}
	data, release, err := c.readAnswer(actx, ep, hr)
	defer release() // once decoded: the bytes are dropped on return
	var tooLarge *TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		// The same request would get the same answer: not retried. A create's record
		// may have been made.
		o.err = tooLarge
		if !idempotent(ep.Method) {
			o.err = &InDoubtError{Op: ep.Op, Err: tooLarge, Answered: true}
		}
		return o
	case err != nil:
		f := c.transportFailure(ctx, actx, ep, path, err)
		f.status, f.rl = hr.StatusCode, rl
		return f
	}
	if cl.out == nil {
		return o
	}
	var derr error
	h, ok := cl.out.(headed)
	if !ok {
		h = &envelopeHead{}
		derr = json.Unmarshal(data, h)
	}
	if bd, ok := cl.out.(bodyDecoder); ok && derr == nil {
		derr = bd.decodeBody(data) // one pass (see recordsEnvelope)
	} else if derr == nil {
		derr = json.Unmarshal(data, cl.out)
	}
	if derr != nil {
		o.err = &DecodeError{Op: ep.Op, Status: hr.StatusCode, Excerpt: c.red.excerpt(data, 200), Err: derr}
		if !idempotent(ep.Method) {
			o.err = &InDoubtError{Op: ep.Op, Err: o.err, Answered: true}
		}
		return o
	}
	if s := h.head().Success; s != nil && !*s {
		o.err = c.apiError(ep.Op, hr.StatusCode, data)
	}
	return o
}

// transportFailure classifies an attempt that got no (complete) answer.
func (c *Client) transportFailure(ctx, actx context.Context, ep spec.Endpoint, path string, err error) outcome {
	inner := err
	var uerr *url.Error
	if errors.As(err, &uerr) {
		inner = uerr.Err
	}
	msg := c.red.redact(inner.Error())
	if ctx.Err() == nil {
		if errors.Is(context.Cause(actx), errStalled) {
			msg = fmt.Sprintf("no progress within %s (%s)", c.timeout, msg)
			inner = fmt.Errorf("%w: %w", errStalled, inner)
		} else if actx.Err() == context.DeadlineExceeded {
			msg = fmt.Sprintf("no answer within %s (%s)", c.timeout, msg)
		}
	}
	te := &TransportError{Op: ep.Op, Method: ep.Method, Path: path, Err: inner, msg: msg}
	o := outcome{rl: RateLimit{Limit: -1, Remaining: -1, DailyRequestsLeft: -1, DailyTokenLimit: -1, DailyTokenRemaining: -1}, err: te}
	if c.pacer != nil {
		c.observe(ep, noAnswer())
	}
	switch {
	case ctx.Err() != nil:
		if !idempotent(ep.Method) && !isDialError(inner) {
			o.err = &InDoubtError{Op: ep.Op, Err: te}
		}
	case errors.Is(inner, errRedirect):
		// The answer was a redirect the client refuses: not retried.
	case isDialError(inner):
		o.retry = true // nothing was sent
	case idempotent(ep.Method):
		o.retry = true
	default:
		o.err = &InDoubtError{Op: ep.Op, Err: te}
	}
	return o
}

// isDialError reports whether err happened before any byte of the request was sent.
func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// refused reports whether an error status says the request was not applied: a 4xx. Every
// other status of a create leaves it in doubt.
func refused(status int) bool { return status >= 400 && status < 500 }

// retryable reports whether an idempotent request is sent again after status: a 5xx (a
// proxy's 520–524 included), except 501 Not Implemented, which an attempt more cannot change.
func retryable(status int) bool { return status >= 500 && status != http.StatusNotImplemented }

// serverAnswered reports whether an error status comes from the server that handled the
// request (so that it has finished with it) rather than from a gateway in front of it that
// gave up waiting (502, 504, Cloudflare's 520–527, 598, 599) or from nobody known (1xx, 3xx).
func serverAnswered(status int) bool {
	switch {
	case status < 500, status == http.StatusBadGateway, status == http.StatusGatewayTimeout:
		return false
	case status >= 520 && status <= 527, status == 598, status == 599:
		return false
	}
	return true
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// dailyExhausted reports whether a 429 is the daily-budget kind.
func dailyExhausted(msg string, rl RateLimit) bool {
	m := strings.ToLower(msg)
	return (strings.Contains(m, "daily") && (strings.Contains(m, "budget") || strings.Contains(m, "limit"))) ||
		rl.DailyTokenRemaining == 0
}

// apiError builds the APIError of an error answer, tolerating any body.
func (c *Client) apiError(op string, status int, body []byte) *APIError {
	e := &APIError{Status: status, Op: op}
	var h envelopeHead
	if json.Unmarshal(body, &h) == nil {
		e.Message, e.Info, e.Code = c.red.redact(h.Error), c.red.redact(h.ErrorInfo), h.ErrorCode
	} else if len(bytes.TrimSpace(body)) > 0 {
		e.Message = "non-JSON body " + fmt.Sprintf("%q", c.red.excerpt(bytes.TrimSpace(body), 120))
	}
	return e
}

// backoff waits before retry number attempt (1-based).
func (c *Client) backoff(ctx context.Context, attempt int, o outcome) error {
	if c.pacer != nil {
		return c.pacer.Backoff(ctx, attempt, o.rl.observation(o.status, false))
	}
	var d time.Duration
	switch {
	case o.rl.HasRetryAfter:
		d = o.rl.RetryAfter
	case o.status == http.StatusTooManyRequests && o.rl.HasReset:
		d = o.rl.Reset
	default:
		d = minBackoff << min(attempt-1, 16)
		if d > maxBackoff || d <= 0 {
			d = maxBackoff
		}
		d = d/2 + rand.N(d/2+1) // jitter in [d/2, d]
	}
	return c.sleep(ctx, d)
}

// errStalled is the cause of an attempt whose stream made no progress within the timeout.
var errStalled = errors.New("transfer stalled")

// watchdog cancels an attempt when its streams make no progress for d.
type watchdog struct {
	d time.Duration
	t *time.Timer
}

func newWatchdog(d time.Duration, cancel context.CancelCauseFunc) *watchdog {
	return &watchdog{d: d, t: time.AfterFunc(d, func() { cancel(errStalled) })}
}

func (w *watchdog) stop() { w.t.Stop() }

// reader returns r whose every read that moves data re-arms the watchdog.
func (w *watchdog) reader(r io.Reader) io.Reader { return &progressReader{r: r, w: w} }

// readCloser is reader for a response body.
func (w *watchdog) readCloser(rc io.ReadCloser) io.ReadCloser {
	return struct {
		io.Reader
		io.Closer
	}{w.reader(rc), rc}
}

// progressReader re-arms its watchdog on progress.
type progressReader struct {
	r io.Reader
	w *watchdog
}

// Read reads from the underlying reader and re-arms the watchdog when bytes moved.
func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.w.t.Reset(p.w.d)
	}
	return n, err
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// isSearch reports whether ep is a search endpoint, paced by the pacer's search window.
func isSearch(ep spec.Endpoint) bool {
	return strings.HasPrefix(ep.Path, "/itemSearch") || strings.HasSuffix(ep.Path, "/search")
}

// observe reports one released request's outcome to the pacer, exactly once.
func (c *Client) observe(ep spec.Endpoint, o ratelimit.Observation) {
	o.Search = isSearch(ep)
	o.Cost = ep.Cost
	c.pacer.Observe(o)
}
