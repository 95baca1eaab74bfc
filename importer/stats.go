package importer

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pdbulk/pdbulk/ratelimit"
)

// Stats counts what a run did. Every row read ends in exactly one of Done (created, updated,
// deleted, archived, unchanged), Rejected, or Pending (still recorded as pending or in doubt
// in the checkpoint), so Read = Done + Rejected + Pending. Safe for concurrent use.
type Stats struct {
	Total       atomic.Int64 // rows in the input, when counted before the run (0 = unknown)
	Read        atomic.Int64 // rows read from the input
	Created     atomic.Int64
	Updated     atomic.Int64
	Deleted     atomic.Int64 // deleted or archived
	Unchanged   atomic.Int64 // done in an earlier run (resumed) or nothing to do
	Rejected    atomic.Int64
	Pending     atomic.Int64 // not finished: interrupted, budget exhausted, or in doubt
	InDoubt     atomic.Int64 // creates whose outcome had to be reconciled by a lookup
	Reconciled  atomic.Int64 // in-doubt creates found to have succeeded
	DryRunValid atomic.Int64 // dry run: rows that would be sent
	// Resumed counts the rows that earlier runs settled (done or rejected), counted in
	// Unchanged or Rejected too: this run sent nothing for them, and its rate leaves them out.
	Resumed atomic.Int64
	Skipped atomic.Int64
	Uploads UploadStats // files jobs: files and bytes (files_progress.go) // all-empty rows of the input, not read as rows
	Started time.Time
	DryRun  bool

	pacer                    *ratelimit.Pacer               // source of the request counts; nil = none
	gate                     atomic.Pointer[ratelimit.Gate] // the client's bound on requests in flight; nil = none
	baseRequests, baseTokens int64                          // the pacer's counts when the run started
	baseTooMany              int64
}

// NewStats returns counters for a run starting now. Its request and token counts are
// every request p releases from now on and those it released before that no earlier run's
// counters counted: the budget probe before a run is the run's (p may be nil).
func NewStats(p *ratelimit.Pacer, dryRun bool) *Stats {
	s := &Stats{Started: time.Now(), DryRun: dryRun, pacer: p}
	if p != nil {
		s.baseRequests, s.baseTokens = p.Claimed()
		s.baseTooMany = p.Stats().TooMany
	}
	return s
}

// SetGate makes g's bound (the requests in flight) part of the snapshots. Run calls it.
func (s *Stats) SetGate(g *ratelimit.Gate) { s.gate.Store(g) }

// Snapshot is a plain copy of Stats.
type Snapshot struct {
	Total, Read, Created, Updated, Deleted, Unchanged, Rejected, Pending int64
	InDoubt, Reconciled, Requests, Tokens, DryRunValid, Resumed, Skipped int64
	Elapsed                                                              time.Duration
	DryRun                                                               bool
	// Concurrency is the requests allowed in flight now (0 = no requests), PeakConcurrency
	// the most so far, Pinned whether --concurrency or options.concurrency fixed it.
	Concurrency, PeakConcurrency int
	Pinned                       bool
	// TooMany is the 429 answers of this run.
	TooMany int64
	// Allowed is the rate the server allows (requests per second, from its window limit);
	// 0 when there is no pacer. Window is the server's rolling window.
	Allowed float64
	Window  time.Duration
}

// RateShare is the share of the allowed rate this run achieved, and false when it cannot be
// told: its requests over what the server allows in its time, and in no less than one
// window (the server lets a window's limit go at once, so a run of a few requests in 60 ms
// did not use 300 % of anything).
func (s Snapshot) RateShare() (float64, bool) {
	secs := max(s.Elapsed, s.Window).Seconds()
	if s.Allowed <= 0 || secs <= 0 || s.Requests <= 0 {
		return 0, false
	}
	return float64(s.Requests) / secs / s.Allowed, true
}

// Pace describes the requests in flight and the share of the allowed rate, as the summary
// and the progress line show them: "concurrency 9 (adaptive, peak 12), 96% of the allowed
// rate". It is "" without requests.
func (s Snapshot) Pace() string {
	if s.Concurrency <= 0 {
		return ""
	}
	how := "adaptive"
	if s.Pinned {
		how = "pinned"
	}
	out := fmt.Sprintf("concurrency %d (%s", s.Concurrency, how)
	if !s.Pinned && s.PeakConcurrency > s.Concurrency {
		out += fmt.Sprintf(", peak %d", s.PeakConcurrency)
	}
	out += ")"
	if share, ok := s.RateShare(); ok {
		out += fmt.Sprintf(", %.0f%% of the allowed rate", 100*share)
	}
	return out
}

// Snapshot returns the current counts.
func (s *Stats) Snapshot() Snapshot {
	snap := Snapshot{
		Total: s.Total.Load(), Read: s.Read.Load(), Created: s.Created.Load(),
		Updated: s.Updated.Load(), Deleted: s.Deleted.Load(), Unchanged: s.Unchanged.Load(),
		Rejected: s.Rejected.Load(), Pending: s.Pending.Load(), InDoubt: s.InDoubt.Load(),
		Reconciled: s.Reconciled.Load(), DryRunValid: s.DryRunValid.Load(), Resumed: s.Resumed.Load(), Skipped: s.Skipped.Load(), Elapsed: time.Since(s.Started), DryRun: s.DryRun,
	}
	if s.pacer != nil {
		req, tok := s.pacer.Claim()
		snap.Requests, snap.Tokens = req-s.baseRequests, tok-s.baseTokens
		ps := s.pacer.Stats()
		snap.TooMany = ps.TooMany - s.baseTooMany
		snap.Allowed, snap.Window = ps.Allowed(), ps.Window
	}
	if g := s.gate.Load(); g != nil && !s.DryRun {
		gs := g.Stats()
		snap.Concurrency, snap.PeakConcurrency, snap.Pinned = gs.Limit, gs.Peak, gs.Pinned
	}
	return snap
}

// Done is the number of rows that reached Pipedrive (or were already there).
func (s Snapshot) Done() int64 { return s.Created + s.Updated + s.Deleted + s.Unchanged }

// Finished is the number of rows with a final outcome.
func (s Snapshot) Finished() int64 { return s.Done() + s.Rejected + s.DryRunValid }

// Sent is the number of rows this run finished itself: Finished less the rows earlier runs
// settled.
func (s Snapshot) Sent() int64 { return s.Finished() - s.Resumed }

// Rate is the rows this run finished itself per second.
func (s Snapshot) Rate() float64 {
	if secs := s.Elapsed.Seconds(); secs > 0 {
		return float64(s.Sent()) / secs
	}
	return 0
}

// ETA is the time left at this run's rate, and false while it cannot be told (no total, no
// row finished yet).
func (s Snapshot) ETA() (time.Duration, bool) {
	rate := s.Rate()
	left := s.Total - s.Finished()
	if s.Total <= 0 || rate <= 0 || left <= 0 {
		return 0, false
	}
	return time.Duration(float64(left) / rate * float64(time.Second)), true
}

// Unread is the number of rows of the input not read (the run stopped early), when the
// input's rows were counted.
func (s Snapshot) Unread() int64 { return max(0, s.Total-s.Read) }

// AllPending is the rows left to do: read and not finished, and not read yet.
func (s Snapshot) AllPending() int64 { return s.Pending + s.Unread() }

// String is the one-line summary printed at the end of a run.
func (s Snapshot) String() string {
	rate := s.Rate()
	if s.Skipped > 0 {
		// Empty rows (",,," in a CSV) are neither imported nor rejected: said apart.
		t := s
		t.Skipped = 0
		read, rest, _ := strings.Cut(t.String(), ": ")
		return fmt.Sprintf("%s (%d empty skipped): %s", read, s.Skipped, rest)
	}
	if s.DryRun {
		return fmt.Sprintf("%d rows read: %d valid, %d rejected (%.0f rows/s, %s)",
			s.Read, s.DryRunValid, s.Rejected, rate, s.Elapsed.Round(time.Millisecond))
	}
	pending := fmt.Sprintf("%d pending", s.AllPending())
	if u := s.Unread(); u > 0 {
		pending += fmt.Sprintf(" (%d not read yet)", u)
	}
	line := fmt.Sprintf("%d rows read: %d created, %d updated, %d deleted/archived, %d already done, %d rejected, %s; %d in doubt (%d found created); %d requests, %d tokens (%.1f rows/s sent by this run, %s)",
		s.Read, s.Created, s.Updated, s.Deleted, s.Unchanged, s.Rejected, pending,
		s.InDoubt, s.Reconciled, s.Requests, s.Tokens, rate, s.Elapsed.Round(time.Millisecond))
	if pace := s.Pace(); pace != "" {
		line += "; " + pace
		if s.TooMany > 0 {
			line += fmt.Sprintf(", %d answered 429", s.TooMany)
		}
	}
	return line
}
