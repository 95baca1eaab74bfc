package importer

import (
	"fmt"
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
	Uploads     UploadStats  // files jobs: files and bytes (files_progress.go)
	Started     time.Time
	DryRun      bool

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
	InDoubt, Reconciled, Requests, Tokens, DryRunValid                   int64
	Elapsed                                                              time.Duration
	DryRun                                                               bool
}

// Snapshot returns the current counts.
func (s *Stats) Snapshot() Snapshot {
	snap := Snapshot{
		Total: s.Total.Load(), Read: s.Read.Load(), Created: s.Created.Load(),
		Updated: s.Updated.Load(), Deleted: s.Deleted.Load(), Unchanged: s.Unchanged.Load(),
		Rejected: s.Rejected.Load(), Pending: s.Pending.Load(), InDoubt: s.InDoubt.Load(),
		Reconciled: s.Reconciled.Load(), DryRunValid: s.DryRunValid.Load(), Elapsed: time.Since(s.Started), DryRun: s.DryRun,
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

// String is the one-line summary printed at the end of a run.
func (s Snapshot) String() string {
	rate := 0.0
	if secs := s.Elapsed.Seconds(); secs > 0 {
		rate = float64(s.Finished()) / secs
	}
	if s.DryRun {
		return fmt.Sprintf("%d rows read: %d valid, %d rejected (%.0f rows/s, %s)",
			s.Read, s.DryRunValid, s.Rejected, rate, s.Elapsed.Round(time.Millisecond))
	}
	return fmt.Sprintf("%d rows read: %d created, %d updated, %d deleted/archived, %d already done, %d rejected, %d pending; %d in doubt (%d found created); %d requests, %d tokens (%.1f rows/s, %s)",
		s.Read, s.Created, s.Updated, s.Deleted, s.Unchanged, s.Rejected, s.Pending,
		s.InDoubt, s.Reconciled, s.Requests, s.Tokens, rate, s.Elapsed.Round(time.Millisecond))
}
