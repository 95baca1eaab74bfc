package exporter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
)

// record is one record as the API sent it, decoded with json.Number for numbers.
type record map[string]any

// sortKey orders the records of a paged list totally: the value of the sort field, then
// the id. Timestamps in Pipedrive's fixed-width format compare as text; whole-number ids
// compare as numbers (Num), UUIDs as text.
type sortKey struct {
	Value string
	Num   float64
	ID    string
}

func compareKeys(a, b sortKey) int {
	switch {
	case a.Num < b.Num:
		return -1
	case a.Num > b.Num:
		return 1
	case a.Value < b.Value:
		return -1
	case a.Value > b.Value:
		return 1
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

// ErrIncomplete: the pages could not be proven to cover the collection (it changed too
// much while it was read); nothing was written.
var ErrIncomplete = errors.New("the export could not be proven complete")

// pager reads an offset-paged list in a total order, fetching pages concurrently and
// handing the records on in order, each once.
//
// Offset paging shifts under a live collection: a record deleted before the current offset
// moves every later record one place to the left, so a page fetched later starts further on
// than planned and the records in between are skipped. The pager proves it skipped none:
// consecutive pages overlap (each starts `overlap` records before the previous one ended),
// and a page is accepted only if its first record does not sort after the last record
// already handed on. Both pages are contiguous slices of the collection in sort order, so
// every record that existed while both were read, and sorts between them, is in one of the
// two. When a page starts too far on, the pager reads again from earlier offsets until the
// pages join. The first page starts at offset 0 and the last says no more items follow: so
// every record that exists for the whole export is handed on, exactly once (records seen
// again in an overlap, or moved by inserts, sort at or before the last one handed on and
// are dropped).
type pager struct {
	client  *pipedrive.Client
	op      string     // getLeads, getArchivedLeads, getFiles
	query   url.Values // the entity's filters and the sort
	field   string     // sort field: add_time, update_time or id
	numeric bool       // ids are whole numbers (files)
	desc    bool
	keep    map[string]bool // the keys of each record the export uses; nil = all
	limit   int             // page size
	overlap int
	workers int // pages fetched at once
	// filter, when set, says what to do with each new record: write it, skip it, or stop
	// the read there (an incremental export reading by update_time DESC stops at its
	// bookmark and skips what the last run wrote).
	filter func(record) action
	// from, when set, is where an interrupted read of this list stood: the read goes on
	// after its last record, from pages planned around its position.
	from *position
	// onPage, when set, is called after the records of each page are handed on, with where
	// the read stands (for the export's checkpoint).
	onPage func(position) error
	// hint, when set, is how many records the list held when last read to its end
	// (listLengths): the read asks for the pages it expects at once.
	hint int
	// unknown, when set, is how many lists of unknown length this read starts with (itself
	// included): they share the first round trip (see produce).
	unknown int

	requests atomic.Int64
	repairs  atomic.Int64
	// drift is how many records were deleted before the pages being read, as learnt from
	// repairs: later pages are asked for that much earlier, so that one burst of deletes
	// costs one read again, not one for every page after it.
	drift atomic.Int64
}

// action is what a pager's filter decides for a record.
type action int

const (
	writeRecord action = iota
	skipRecord
	stopRead
)

// maxRepairs bounds how often one export reads pages again before it gives up.
const maxRepairs = 1000

// position is where a read stands in the list's total order: Pos records have been handed
// on or passed over, the last of them Last.
type position struct {
	Pos     int     `json:"pos"`
	Last    sortKey `json:"last"`
	Started bool    `json:"started"`
}

type fetched struct {
	off  int // the offset the page was asked for
	recs []record
	at   *spilled // where recs were put while the page waited for its turn (reading.ahead)
	held bool     // recs wait in memory, counted in reading.held
	page pipedrive.Page
	err  error
}

// fetch reads the page at start and decodes its records.
func (p *pager) fetch(ctx context.Context, start int) fetched {
	p.requests.Add(1)
	list, page, _, err := p.client.RecordsKeep(ctx, p.op, p.query, start, p.limit, p.keep)
	if err != nil {
		return fetched{off: start, err: err}
	}
	recs, _ := records(list, page, nil, nil)
	return fetched{off: start, recs: recs, page: page}
}

func (p *pager) key(r record) sortKey {
	k := sortKey{ID: scalarText(r["id"])}
	if p.field != "id" {
		k.Value = scalarText(r[p.field])
	}
	if p.numeric && p.field == "id" {
		if n, ok := r["id"].(json.Number); ok {
			k.Num, _ = n.Float64()
			k.ID = ""
		}
	}
	return k
}

// after reports whether a sorts strictly after b in the read's direction.
func (p *pager) after(a, b sortKey) bool {
	c := compareKeys(a, b)
	if p.desc {
		return c < 0
	}
	return c > 0
}

// reading is a pager's read under way: the producer asks for pages ahead while the
// consumer (each) hands their records on.
type reading struct {
	p      *pager
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	queue  chan chan fetched
	queued atomic.Int64 // pages asked for and not yet taken by the consumer
	taken  chan struct{}
	c      consumer
	step   int
	// ahead, when set, holds on disk the pages fetched before each began handing this
	// read's records on (the archived list of "archived: all", read while the active list
	// is handed on), and those answered while maxHeld pages already wait in memory (at long
	// round trips, dozens of pages come back at once), so that a read holds in memory no
	// more than maxHeld pages however many are in flight. consuming is set once each
	// began; held counts the pages waiting in memory.
	ahead     *pageSpill
	consuming atomic.Bool
	held      atomic.Int64
}

// maxHeld is how many answered pages a read with a spill keeps in memory for the consumer;
// those answered past it wait on disk. bench/export-rss.sh, a CSV export of 100,000 leads
// at 1 s (64 pages of 500 in flight): 102–122 MB peak holding every page in memory, 57 MB
// at 8, 53 MB at 4; with no latency 45–51 MB at 4, 54–58 MB at 8 (the target is 60).
const maxHeld = 4

// each hands every record on to fn, in order, once. fn runs on the caller's goroutine.
func (p *pager) each(ctx context.Context, fn func(record) error) error {
	return p.start(ctx, nil).each(fn)
}

// start begins the read: pages are asked for before each takes them. Given ahead (an
// export's reads), the pages that come back before each began, or while maxHeld pages
// already wait in memory, wait there, on disk: a read whose records are handed on after
// another's asks for its pages at once too, as far ahead as one read alone. The read owns
// ahead from here on. The caller must call each or stop.
func (p *pager) start(ctx context.Context, ahead *pageSpill) *reading {
	if p.overlap < 1 {
		p.overlap = 1
	}
	if p.overlap >= p.limit {
		p.overlap = p.limit / 2
	}
	r := &reading{p: p, step: p.limit - p.overlap, queue: make(chan chan fetched, ratelimit.MaxGate), taken: make(chan struct{}, 1),
		ahead: ahead}
	r.ctx, r.cancel = context.WithCancel(ctx)
	r.c = consumer{p: p}
	base := 0
	if p.from != nil && p.from.Started {
		// Pages start `overlap` records before the next one, as if the read had not stopped;
		// the consumer reads from earlier on if records were deleted meanwhile.
		r.c.last, r.c.started, r.c.pos = p.from.Last, true, p.from.Pos
		base = max(p.from.Pos-p.overlap, 0)
	}
	r.wg.Add(1)
	go r.produce(base)
	return r
}

// produce plans pages at offsets base, base+step, base+2·step, … and fetches them ahead
// of the consumer; results come back in plan order through the queue.
//
// How far ahead: the client's Gate bounds the requests in flight (Run pins it to a
// concurrency given, or lets it adapt to the pacer's rate and the round trips: at 20 ms a
// few, at 1 s dozens), so the producer keeps as many pages asked for as the Gate lets
// through now, and one more that waits for the next free slot.
//
// Where the list ends: no answer of GET /leads or /files tells how many records there are,
// and every page sent past the end costs a request of the account's limit and budget for
// nothing. Where many pages are in flight at once (ahead() ≥ probeFrom, long round trips),
// the producer probes: it asks for pages out of their turn, far ahead (see extent), and
// sends a page past what the answers prove to hold records only when no probe is out that
// could tell. A probe is a whole page: one that holds records is the page itself when its
// turn comes (no request is spent on it twice), and one past the end tells exactly that.
// The probes are hints: a list that grew while it was read still ends where a page says no
// more items follow (the consumer reads on one page at a time), and one that shrank costs
// pages past its end, no more. A probe's records are held until the consumer reaches
// them: a few pages more than the queue's.
func (r *reading) produce(base int) {
	defer r.wg.Done()
	defer close(r.queue)
	p, ctx := r.p, r.ctx
	gate := p.client.Gate()
	ahead := func() int {
		if gate.Pinned() {
			return max(min(p.workers, gate.Max()), 1)
		}
		return min(gate.Limit()+1, ratelimit.MaxGate)
	}
	// atBound: an adaptive Gate lets as many requests be in flight as it ever may. Then the
	// requests in flight bound the pace, and a round trip spent waiting for an answer is
	// lost to the read (see the blind pages and extent.next).
	atBound := func() bool { return !gate.Pinned() && gate.Limit() >= gate.Max() }
	offset := func(i int) int { return max(base+i*r.step-int(p.drift.Load()), 0) }
	ext := extent{kick: make(chan struct{}, 1)}
	// Where the pages end, once a page says it is the last (or fails); the pages asked for
	// past it are not sent: those still waiting for the pacer or the Gate give up.
	var beyond pastEnd
	first := make(chan struct{}) // closed once page 0 is answered
	// get fetches page i (out of its turn when probe), tells beyond and ext what its answer
	// shows, and hands it to ch; its records wait on disk before each began or while
	// maxHeld pages wait in memory (see start). A page that fails ends the pages planned; a
	// probe that fails only tells nothing (it fails the read if its turn comes).
	get := func(i int, ch chan fetched, probe bool) {
		pctx := beyond.open(ctx, i)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			f := p.fetch(pctx, offset(i))
			beyond.close(i)
			if !f.page.More && (f.err == nil || !probe) {
				beyond.endAt(i + 1)
			}
			if probe {
				ext.probed(i, f.err == nil, len(f.recs) > 0, f.page.More)
			} else if f.err == nil {
				ext.paged(i, len(f.recs) > 0, f.page.More)
			}
			spill := f.err == nil && r.ahead != nil
			if spill && r.consuming.Load() {
				if r.held.Add(1) <= maxHeld {
					f.held, spill = true, false
				} else {
					r.held.Add(-1)
				}
			}
			if spill {
				at, err := r.ahead.put(f.recs)
				f.recs, f.at, f.err = nil, &at, err
			}
			ch <- f
			if i == 0 {
				close(first)
			}
		}()
	}
	// A probe is the whole page at its offset, fetched before its turn: its answer tells
	// where the list ends and, when the page holds records, is the page itself when the
	// producer reaches it (probed). Pages up to i are asked for as pages: not probed.
	probed := map[int]chan fetched{}
	probe := func(i int, pages ...int) {
		for _, q := range ext.sending(pages, i) {
			probed[q] = make(chan fetched, 1)
			get(q, probed[q], true)
		}
	}
	if p.hint > 0 {
		// The list held hint records when last read to its end: the pages up to nine
		// tenths of them are asked for without waiting for probes, and the page that held
		// its last record is probed at once (its answer tells whether the list still ends
		// there, grew or shrank).
		last := max(p.hint-base-1, 0) / r.step
		ext.expect(last * 9 / 10)
		probe(0, last)
	}
	for i := 0; ; i++ {
		if i == 0 && p.hint == 0 && ahead() >= probeFrom {
			blind := 0
			if p.unknown > 0 && atBound() {
				// The round trips are so long that the requests in flight, not the pacer,
				// set the pace, and every request the first round trip does not carry is
				// lost to the whole read: the rolling window hands its room back at the same
				// phase, no more (at 1 s and 120 / 2 s, 64 then 56 a round trip). So the
				// first round trip carries the read's share of the bound, blind. On a list
				// shorter than that, at most the share is sent past its end, and once: a
				// job's later runs know the list's length (listLengths).
				blind = ahead()/p.unknown - 1
				ext.expect(blind)
			}
			// With the first page, a ladder of probes (pages 2, 8, 32, … up to what goes
			// out at once): a list of a few pages is not answered with a burst of pages
			// past its end. Those among the pages sent blind are pages like the others.
			var ladder []int
			for q := 2; ; q *= 4 {
				if q > blind {
					ladder = append(ladder, q)
				}
				if q >= ahead() {
					break
				}
			}
			probe(i, ladder...)
		}
		if i == 1 && !ext.expected(1) {
			// A small list fits one page: ask for more only once the first says so.
			select {
			case <-first:
			case <-ctx.Done():
				return
			}
		}
		if ch, ok := probed[i]; ok {
			// Asked for already, as a probe.
			delete(probed, i)
			if beyond.past(i) {
				return
			}
			r.queued.Add(1)
			select {
			case r.queue <- ch:
			case <-ctx.Done():
				return
			}
			continue
		}
		for {
			if beyond.past(i) {
				return
			}
			a := ahead()
			if a >= probeFrom {
				probe(i, ext.next(i, a, atBound())...)
			}
			wait, stop := ext.hold(i)
			if stop {
				return
			}
			if !wait && r.queued.Load() < int64(a) {
				break
			}
			t := time.NewTimer(50 * time.Millisecond) // the Gate may grow meanwhile
			select {
			case <-r.taken:
			case <-ext.kick:
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
			t.Stop()
		}
		ch := make(chan fetched, 1)
		r.queued.Add(1)
		select {
		case r.queue <- ch:
		case <-ctx.Done():
			return
		}
		get(i, ch, false)
	}
}

// probeFrom: with fewer pages than this in flight at once, the pages a read sends past the
// end of a short list (about as many as go out at once) are fewer than the probes that
// would spare them.
const probeFrom = 16

// expandFrom: with this many pages in flight at once or more, a long list is probed ahead
// too (one probe twice as far each time the pages come near what is known), so that its
// end is found before the pages reach it. Measured A/B (BenchmarkExportAdaptive, two runs
// each, requests / wall): from 16, 246 / 4.27 s at 100 ms and 100 records a page (234 /
// 3.67 s from 32); from 48, 67–88 / 2.36–3.16 s at 1 s and 500 a page (67 / 2.34 s from 32).
const expandFrom = 32

// bisect: how many probes split the pages where a list ends, once known to lie between two.
const bisect = 7

// extent is what a read knows of where its list ends, from the answers of its pages and
// probes: page lo holds records (0: only the first is known to), page hi and those after
// it hold none (0: unknown). Safe for concurrent use.
type extent struct {
	mu     sync.Mutex
	lo, hi int
	guess  int          // pages up to this one are expected to hold records (pager.hint, or sent blind)
	out    map[int]bool // the pages probed whose probe is not answered yet
	top    int          // the highest page probed
	probes map[int]bool
	kick   chan struct{} // signalled when an answer moves lo or hi, or a probe comes back
}

// sending records the probes of pages not probed yet, past page i (the page the producer
// sends next, as a page), and returns them.
func (e *extent) sending(pages []int, i int) []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.probes == nil {
		e.probes, e.out = map[int]bool{}, map[int]bool{}
	}
	var out []int
	for _, q := range pages {
		if q <= i || q <= e.lo || (e.hi != 0 && q >= e.hi) || e.probes[q] {
			continue
		}
		e.probes[q] = true
		e.top = max(e.top, q)
		e.out[q] = true
		out = append(out, q)
	}
	return out
}

// next returns the probes to send before page i goes out, with a pages in flight at once:
// none while a probe is out or page i is more than two bursts before lo; else, when the end is
// unknown (and a ≥ expandFrom), one twice as far (at least two bursts past page i); when it
// lies between lo and hi, probes that split them, as many as the square root of the pages
// between (at most bisect), when they cost clearly less than the pages they spare. bound
// says the a in flight are as many as may ever be (the Gate is at its bound): then the
// round trip the pages past the probes wait is lost to the read, and a gap of up to half
// of them is sent blind instead (at 1 s and 120 / 2 s, the last 16 pages of a list, at most
// 15 of them past its end, rather than a round trip more).
func (e *extent) next(i, a int, bound bool) []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.out) > 0 || i+2*a <= max(e.lo, e.guess) {
		return nil
	}
	if e.hi == 0 {
		// Page 0 goes with the ladder (a first run) or the probe of the page that held the
		// last record (a later run): a list that one page holds asks for no more.
		if a < expandFrom || i == 0 {
			return nil
		}
		return []int{max(2*e.lo, i+2*a, e.top+1)}
	}
	// k probes leave about gap/(k+1) pages to send blind; sending them all blind costs
	// up to min(gap, a) past the end. Probe only where that is clearly more, and not at
	// the bound where the gap fits in half the pages in flight.
	gap := e.hi - e.lo
	k := min(bisect, gap-1, int(math.Ceil(math.Sqrt(float64(gap)))))
	if k < 1 || min(gap, a) <= 2*k || (bound && gap <= a/2) {
		return nil
	}
	var pages []int
	for j := 1; j <= k; j++ {
		if q := e.lo + j*gap/(k+1); q > e.lo && q < e.hi && (len(pages) == 0 || q > pages[len(pages)-1]) {
			pages = append(pages, q)
		}
	}
	return pages
}

// hold reports whether page i must wait (it lies past what is known or expected to hold
// records, and a probe of a page up to i is out, whose answer may show page i lies past the
// end) or must not be sent (the list ends before it).
func (e *extent) hold(i int) (wait, stop bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.hi != 0 && i >= e.hi {
		return false, true
	}
	if i <= e.lo || i <= e.guess {
		return false, false
	}
	// A probe is a whole page: its answer tells whether more follow it, so one at page lo
	// (known to hold records) still tells where the list ends.
	for q := range e.out {
		if q >= e.lo && q < i {
			return true, false
		}
	}
	return false, false
}

// expect records that pages up to g are expected to hold records: they are sent without
// waiting for probes (an answer that shows the list ends before still stops them).
func (e *extent) expect(g int) {
	e.mu.Lock()
	e.guess = g
	e.mu.Unlock()
}

// expected reports whether page i is expected to hold records.
func (e *extent) expected(i int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return i <= e.guess && (e.hi == 0 || i < e.hi)
}

// probed records the answer of the probe of page q (ok: it was answered at all): whether
// it held records and said more follow.
func (e *extent) probed(q int, ok, found, more bool) {
	e.mu.Lock()
	delete(e.out, q)
	if ok {
		e.pagedLocked(q, found, more)
	}
	e.mu.Unlock()
	e.signal()
}

// paged records the answer of page i: whether it held records and said more follow.
func (e *extent) paged(i int, found, more bool) {
	e.mu.Lock()
	e.pagedLocked(i, found, more)
	e.mu.Unlock()
	e.signal()
}

func (e *extent) pagedLocked(i int, found, more bool) {
	switch {
	case more:
		e.learnLocked(i+1, true)
	case found:
		e.learnLocked(i, true)
		e.learnLocked(i+1, false)
	default:
		e.learnLocked(i, false)
	}
}

func (e *extent) learnLocked(q int, found bool) {
	switch {
	case found:
		e.lo = max(e.lo, q)
	case e.hi == 0 || q < e.hi:
		e.hi = q
	}
	if e.hi != 0 && e.lo >= e.hi {
		// The list changed between two answers: what is known no longer holds together;
		// forget the end and read on as if it were unknown.
		e.hi = 0
	}
}

func (e *extent) signal() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// stop ends a read that each will not be called for, and waits for its fetches.
func (r *reading) stop() {
	r.cancel()
	r.wg.Wait()
	r.ahead.close()
	// The pages it still held (asked for past the end, or never taken) are let go.
	r.queued.Store(0)
	select {
	case r.taken <- struct{}{}:
	default:
	}
}

// each hands every record of the read on to fn, in order, once, and ends the read.
func (r *reading) each(fn func(record) error) error {
	defer r.stop()
	r.consuming.Store(true)
	ctx, c, step := r.ctx, &r.c, r.step
	for ch := range r.queue {
		var f fetched
		select {
		case f = <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		if f.at != nil && f.err == nil {
			f.recs, f.err = r.ahead.get(*f.at)
		}
		if f.held {
			r.held.Add(-1)
		}
		r.queued.Add(-1)
		select {
		case r.taken <- struct{}{}:
		default:
		}
		more, err := c.handle(ctx, f, fn)
		if err != nil || !more {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The planned pages ran out while the last one handled (read again from an earlier
	// offset) still promises more: go on one page at a time.
	for off := c.off + step; ; off += step {
		more, err := c.handle(ctx, r.p.fetch(ctx, off), fn)
		if err != nil || !more {
			return err
		}
		off = c.off
	}
}

// consumer hands the records of pages on in order, reading pages again where they do not
// join.
type consumer struct {
	p       *pager
	last    sortKey // the last record handed on
	started bool
	off     int // offset of the page last handled
	pos     int // records handed on or passed over
}

// handle checks that the page f joins the records handed on so far (reading from earlier
// offsets until it does), hands its new records on, and reports whether more pages follow.
func (c *consumer) handle(ctx context.Context, f fetched, fn func(record) error) (bool, error) {
	p := c.p
	step := p.limit - p.overlap
	if f.err != nil {
		return false, f.err
	}
	off, planned, repaired := f.off, f.off, false
	// A page that starts after the last record handed on (or comes back empty while
	// records were handed on) may have skipped records: read again from earlier on.
	for c.started && off > 0 && (len(f.recs) == 0 || p.after(p.key(f.recs[0]), c.last)) {
		if p.repairs.Add(1) > maxRepairs {
			return false, fmt.Errorf("exporter: %s: %w: the collection kept changing under the pages after %d reads again", p.op, ErrIncomplete, maxRepairs)
		}
		off = max(off-step, 0)
		if f = p.fetch(ctx, off); f.err != nil {
			return false, f.err
		}
		repaired = true
	}
	if repaired {
		// The first new record sits at off+k; the planned page should have begun `overlap`
		// records before it.
		k := 0
		for k < len(f.recs) && !p.after(p.key(f.recs[k]), c.last) {
			k++
		}
		if short := planned - (off + k - p.overlap); short > 0 {
			p.drift.Add(int64(short))
		}
	}
	c.off = off
	for _, r := range f.recs {
		k := p.key(r)
		if c.started && !p.after(k, c.last) {
			continue // seen in the overlap, or moved back by an insert
		}
		c.last, c.started = k, true
		c.pos++
		if p.filter != nil {
			switch p.filter(r) {
			case skipRecord:
				continue
			case stopRead:
				return false, nil
			}
		}
		if err := fn(r); err != nil {
			return false, err
		}
	}
	if p.onPage != nil && f.page.More {
		if err := p.onPage(position{Pos: c.pos, Last: c.last, Started: c.started}); err != nil {
			return false, err
		}
	}
	return f.page.More, nil
}

// pastEnd knows where the pages end, once one of them tells, and cancels the fetches of the
// pages past it, so that those not sent yet are never sent. Safe for concurrent use.
type pastEnd struct {
	mu     sync.Mutex
	end    int                        // the index after the last page; 0 = unknown
	cancel map[int]context.CancelFunc // the pages asked for, by index
}

// past reports whether page i lies past the last page.
func (b *pastEnd) past(i int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.end != 0 && i >= b.end
}

// open returns the context of page i's fetch.
func (b *pastEnd) open(ctx context.Context, i int) context.Context {
	b.mu.Lock()
	defer b.mu.Unlock()
	pctx, cancel := context.WithCancel(ctx)
	if b.end != 0 && i >= b.end {
		cancel()
		return pctx
	}
	if b.cancel == nil {
		b.cancel = map[int]context.CancelFunc{}
	}
	b.cancel[i] = cancel
	return pctx
}

// close releases page i's context once its fetch returned.
func (b *pastEnd) close(i int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cancel, ok := b.cancel[i]; ok {
		cancel()
		delete(b.cancel, i)
	}
}

// endAt records that the pages from index end on lie past the last one, unless a page
// before it is known to be the last already, and cancels their fetches.
func (b *pastEnd) endAt(end int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.end != 0 && b.end <= end {
		return
	}
	b.end = end
	for i, cancel := range b.cancel {
		if i >= end {
			cancel()
			delete(b.cancel, i)
		}
	}
}
