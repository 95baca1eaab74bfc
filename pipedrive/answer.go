package pipedrive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/sync/semaphore"

	"github.com/pdbulk/pdbulk/spec"
)

// How much of a success answer is read into memory, and how much at once.
//
// Every JSON answer is read whole before it is decoded, so what comes from the server is
// bounded twice before it is buffered:
//
//   - per operation (answerBound), by what the real API can send: one record (create,
//     update, get or delete of a lead, a label, a filter, a goal, a team, file metadata,
//     users/me) is a few KB, so maxRecordAnswer; a page holds at most the endpoint's
//     MaxLimit records (500 leads), maxPageAnswer for 500; a collection read in one answer
//     (getFilters, getLeadLabels, getFilterHelpers…) gets the bound of a page of 500.
//   - in total (answerBudget), across the answers being read at once: a read reserves its
//     bound (or the Content-Length the server declares, when smaller) before its first
//     byte and frees it once the body is decoded. Up to 64 requests are in flight; without
//     it 64 answers at their bound would be 64 × 32 MiB.
//
// Why a reservation of the whole bound up front rather than reserving bytes as they
// arrive: readers that each hold part of the budget while waiting for more can deadlock,
// and avoiding that takes more code than it saves. The cost is that an answer of unknown
// length (gzip, chunked: the real API's) holds its whole bound while it is read, so at
// most two pages of 500 are read at the same moment; reading a page out of the socket
// takes milliseconds (the transfer itself goes on into the kernel's buffer meanwhile), and
// at 2 MiB a record, 32 record answers are read at once. Memory held by the answers being
// read is at most answerBudget (1.5 × transiently, while the last buffer growth copies).
const (
	maxRecordAnswer = 2 << 20 // one record: ~1 KB for a lead, ~15 KB with 200 custom fields
	// A page of 500: 64 KiB a record, 120× the sandbox's lead (~560 bytes, a page of 500 is
	// 280 KB) and 3× a lead carrying 300 custom fields of ~70 bytes (a 40-hex key and a
	// value) each. A page of MaxLimit < 500 gets its share.
	maxPageAnswer = 32 << 20
	answerBudget  = 2 * maxPageAnswer
)

// ErrTooLarge is matched by a *TooLargeError.
var ErrTooLarge = errors.New("answer too large")

// TooLargeError is a success answer larger than its operation lets the client read: the
// server misbehaves (or the address is not the Pipedrive API). Nothing of it was decoded.
// A create's is wrapped in an *InDoubtError: the record may have been made. It matches
// ErrTooLarge and ErrUnavailable; an idempotent request is not retried (the same request
// would get the same answer).
type TooLargeError struct {
	Op       string
	Limit    int64 // the operation's bound, in bytes
	Read     int64 // bytes read before giving up (Limit+1); 0 when Declared said it all
	Declared int64 // the Content-Length the server declared; -1 when none
}

// Error reads like "pipedrive: addLead: answer over the 2 MiB bound of the operation
// (read 2097153 bytes before stopping)".
func (e *TooLargeError) Error() string {
	what := fmt.Sprintf("read %d bytes before stopping", e.Read)
	if e.Declared > e.Limit {
		what = fmt.Sprintf("the server declares %d bytes", e.Declared)
	}
	return fmt.Sprintf("pipedrive: %s: answer over the %s bound of the operation (%s)", e.Op, mib(e.Limit), what)
}

// Is makes errors.Is(err, ErrTooLarge) and errors.Is(err, ErrUnavailable) true.
func (e *TooLargeError) Is(target error) bool {
	return target == ErrTooLarge || target == ErrUnavailable
}

func mib(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// answerBound returns the most bytes read of a success answer of ep: a page of at most
// MaxLimit records, a collection read whole (a GET whose path ends on no record: not
// {id}, not /me), or one record.
func answerBound(ep spec.Endpoint) int64 {
	switch {
	case ep.MaxLimit > 0:
		return maxPageAnswer * int64(min(ep.MaxLimit, 500)) / 500
	case ep.Method == http.MethodGet && !strings.HasSuffix(ep.Path, "}") && !strings.HasSuffix(ep.Path, "/me"):
		return maxPageAnswer
	}
	return maxRecordAnswer
}

// newAnswerBudget returns the budget of bytes shared by the answers a client reads at once.
func newAnswerBudget() *semaphore.Weighted { return semaphore.NewWeighted(answerBudget) }

// readAnswer reads the success body of ep from hr within its bound, holding that much of
// the client's budget while it reads; release frees it once the caller is done with the
// bytes (it is never nil). An answer over the bound is a *TooLargeError; a ctx that ends
// while waiting for the budget is returned as is.
func (c *Client) readAnswer(ctx context.Context, ep spec.Endpoint, hr *http.Response) (data []byte, release func(), err error) {
	bound := answerBound(ep)
	if hr.ContentLength > bound {
		return nil, func() {}, &TooLargeError{Op: ep.Op, Limit: bound, Declared: hr.ContentLength}
	}
	// The byte read past the bound (to tell "over" from "at") is not reserved: two pages
	// of 500 fit the budget exactly.
	reserve := bound
	if hr.ContentLength >= 0 {
		reserve = hr.ContentLength
	}
	if err := c.answers.Acquire(ctx, reserve); err != nil {
		return nil, func() {}, err
	}
	release = func() { c.answers.Release(reserve) }
	data, err = readAtMost(hr.Body, hr.ContentLength, bound+1)
	if err == nil && int64(len(data)) > bound {
		err = &TooLargeError{Op: ep.Op, Limit: bound, Read: int64(len(data)), Declared: hr.ContentLength}
	}
	return data, release, err
}

// readAtMost reads r to its end or to n bytes, whichever comes first, into a buffer that
// never grows past n: it starts at size+1 when the length is known (size ≥ 0) and doubles
// as needed, capped at n (io.ReadAll's growth would allocate past n).
func readAtMost(r io.Reader, size, n int64) ([]byte, error) {
	first := int64(32 << 10)
	if size >= 0 {
		first = size + 1 // the +1 sees the end without a growth
	}
	buf := make([]byte, 0, min(first, n))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(int64(cap(buf)), n-int64(len(buf)))))
		}
		k, err := r.Read(buf[len(buf):min(int64(cap(buf)), n)])
		buf = buf[:len(buf)+k]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}
