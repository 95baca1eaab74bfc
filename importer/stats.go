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

	pacer                    *ratelimit.Pacer // source of the request counts; nil = none
	baseRequests, baseTokens int64            // the pacer's counts when the run started
}

// NewStats returns counters for a run starting now; the request and token counts are those
// p releases from now on (p may be nil).
func NewStats(p *ratelimit.Pacer, dryRun bool) *Stats {
	s := &Stats{Started: time.Now(), DryRun: dryRun, pacer: p}
	if p != nil {
		ps := p.Stats()
		s.baseRequests, s.baseTokens = ps.Requests, ps.TokensSpent
	}
	return s
}

// Snapshot is a plain copy of Stats.
type Snapshot struct {
	Total, Read, Created, Updated, Deleted, Unchanged, Rejected, Pending int64
	InDoubt, Reconciled, Requests, Tokens, DryRunValid, Resumed, Skipped int64
	Elapsed                                                              time.Duration
	DryRun                                                               bool
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
		ps := s.pacer.Stats()
		snap.Requests, snap.Tokens = ps.Requests-s.baseRequests, ps.TokensSpent-s.baseTokens
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
	return fmt.Sprintf("%d rows read: %d created, %d updated, %d deleted/archived, %d already done, %d rejected, %s; %d in doubt (%d found created); %d requests, %d tokens (%.1f rows/s sent by this run, %s)",
		s.Read, s.Created, s.Updated, s.Deleted, s.Unchanged, s.Rejected, pending,
		s.InDoubt, s.Reconciled, s.Requests, s.Tokens, rate, s.Elapsed.Round(time.Millisecond))
}
