package sandbox

import (
	"sort"
	"sync"
)

// SQLite finds a row by key in O(log n) but has no way to find the row at offset o other
// than stepping over o rows, so a page near the end of a million leads would cost a
// million steps. positions remembers where pages started: per selection and indexed
// ordering, marks "n leads of the ordering come before position p". A page at offset o
// starts from the last mark with n <= o (a keyed seek) and steps over o-n rows only.
//
// The marks are never stale: every lead write moves the marks it shifts (a lead that
// enters the selection before a mark adds one to it, one that leaves takes one away), so
// a page is exactly what OFFSET over the current rows would give, shifts included. This is
// not a snapshot: offsets move under writes as they do on Pipedrive.
//
// positions is safe for concurrent use. Writers call moved while holding st.mu for
// writing, readers call list and the posList methods while holding it for reading, so a
// page's read and the marks it leaves see the same rows.
type positions struct {
	mu    sync.Mutex // guards everything below and every posList's marks
	lists map[string]*posList
	clock uint64 // counts uses, for evicting the least recently used list
}

// posList is the marks of one selection and ordering, sorted by position (and so by n).
type posList struct {
	p     *positions
	q     leadQuery
	marks []mark
	used  uint64
}

type mark struct {
	n  int     // leads of the ordering strictly before at
	at sortPos // need not be a lead that exists
}

// Bounds of the memo: at most maxPosLists orderings, maxMarks marks each (thinned by half
// when full, so that marks stay spread over the whole ordering).
const (
	maxPosLists = 32
	maxMarks    = 4096
)

func newPositions() *positions { return &positions{lists: map[string]*posList{}} }

// list returns the marks of q's selection and indexed ordering, created empty if needed.
func (p *positions) list(q *leadQuery) *posList {
	key := q.cacheKey()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clock++
	l, found := p.lists[key]
	if !found {
		if len(p.lists) >= maxPosLists {
			p.evictLocked()
		}
		l = &posList{p: p, q: *q}
		p.lists[key] = l
	}
	l.used = p.clock
	return l
}

func (p *positions) evictLocked() {
	var oldest string
	var at uint64
	for k, l := range p.lists {
		if oldest == "" || l.used < at {
			oldest, at = k, l.used
		}
	}
	delete(p.lists, oldest)
}

// at returns the last mark with n <= offset.
func (l *posList) at(offset int) (mark, bool) {
	l.p.mu.Lock()
	defer l.p.mu.Unlock()
	i := sort.Search(len(l.marks), func(i int) bool { return l.marks[i].n > offset })
	if i == 0 {
		return mark{}, false
	}
	return l.marks[i-1], true
}

// remember records that the lead at position at is the offset-th of the ordering (so
// offset leads come before it).
func (l *posList) remember(offset int, at sortPos) {
	l.p.mu.Lock()
	defer l.p.mu.Unlock()
	i := sort.Search(len(l.marks), func(i int) bool { return !l.q.before(l.marks[i].at, at) })
	if i < len(l.marks) && l.marks[i].at == at {
		l.marks[i].n = offset
		return
	}
	l.marks = append(l.marks, mark{})
	copy(l.marks[i+1:], l.marks[i:])
	l.marks[i] = mark{offset, at}
	if len(l.marks) > maxMarks { // keep every other mark, and the new one: the next page starts there
		kept := l.marks[:0]
		for j, m := range l.marks {
			if j%2 == 0 || j == i {
				kept = append(kept, m)
			}
		}
		l.marks = kept
	}
}

// moved shifts the marks for a lead write: old is the lead as it was (nil for a create),
// new as it is now (nil for a delete).
func (p *positions) moved(old, new *Lead) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.lists {
		wasIn := old != nil && l.q.matches(old)
		isIn := new != nil && l.q.matches(new)
		if wasIn && isIn && l.q.pos(old) == l.q.pos(new) {
			continue
		}
		if wasIn {
			l.shiftLocked(l.q.pos(old), -1)
		}
		if isIn {
			l.shiftLocked(l.q.pos(new), +1)
		}
	}
}

// shiftLocked adds d to every mark that a lead at position at comes before.
func (l *posList) shiftLocked(at sortPos, d int) {
	i := sort.Search(len(l.marks), func(i int) bool { return l.q.before(at, l.marks[i].at) })
	for ; i < len(l.marks); i++ {
		l.marks[i].n += d
	}
}

// forgetFiltered drops the lists of selections with a filter evaluated in Go, after a
// write that may change what such a filter matches without moving any lead (a label
// taken off many leads at once).
func (p *positions) forgetFiltered() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, l := range p.lists {
		if l.q.flt != nil {
			delete(p.lists, k)
		}
	}
}

// reset forgets every mark (after a bulk load).
func (p *positions) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.lists)
}
