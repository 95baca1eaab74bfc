package importer

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
)

// The checkpoint's id map (jobs.State.PutID, LookupID) also keeps two records of pdbulk's
// own, under entities no job can name:
//   - pdbulk.claims.<entity>: Pipedrive id → the job row that holds the record ("job#row").
//     Every record a row created, or adopted after an answer was lost, is claimed there
//     before the row is marked done, so that no other row of any job sharing the checkpoint
//     can adopt it as its own.
//   - pdbulk.first_write: job name → the time (ours) before the job first sent a create.
//     No record made earlier can be the job's; undo refuses such records.
const (
	claimsEntityPrefix = "pdbulk.claims."
	firstWriteEntity   = "pdbulk.first_write"
)

// claimBook gives each Pipedrive id of one entity to at most one job row. The claim is made
// in the same checkpoint transaction as the row's MarkDone (jobs.Run.MarkDoneClaimed): an
// insert-if-absent into the id map, then the row marked done only if the claim is its own.
// A crash between the two cannot happen, and two processes sharing the checkpoint are
// serialized by SQLite's write lock. Safe for concurrent use.
type claimBook struct {
	entity string // the id map's entity of the claims
	job    string
}

func newClaimBook(e jobs.Entity, job string) *claimBook {
	return &claimBook{entity: claimsEntityPrefix + string(e), job: job}
}

// holder is the text a claim stores for row of job.
func holder(job string, row int) string { return job + "#" + strconv.Itoa(row) }

// describeHolder turns a stored holder into words: `row 12 of job "leads"`.
func describeHolder(h string) string {
	i := strings.LastIndexByte(h, '#')
	if i < 0 {
		return strconv.Quote(h)
	}
	return fmt.Sprintf("row %s of job %q", h[i+1:], h[:i])
}

// claimDone claims id for row and, in the same transaction, marks row done with id and
// action. It returns "" when the row holds id now (claimed now, or before), else the holder
// that has it; the row is then not marked.
func (b *claimBook) claimDone(ctx context.Context, st *jobs.Run, id string, row int, action string) (string, error) {
	return st.MarkDoneClaimed(ctx, row, id, action, b.entity, holder(b.job, row))
}

// claimOf is claimDone's claim, for jobs.Run.MarkDoneClaimedBatch.
func (b *claimBook) claimOf(id string, row int, action string) jobs.DoneClaim {
	return jobs.DoneClaim{Row: row, RemoteID: id, Action: action, ClaimEntity: b.entity, Holder: holder(b.job, row)}
}

// noteFirstWrite records, once per job and before its first create is sent, the time from
// which the job's records can date. A restarted job keeps its first time: the records of
// its earlier runs stay in its created log.
func noteFirstWrite(ctx context.Context, st *jobs.State, job string, at time.Time) error {
	if _, ok, err := st.LookupID(ctx, firstWriteEntity, job); err != nil || ok {
		return err
	}
	return st.PutID(ctx, firstWriteEntity, job, at.UTC().Format(time.RFC3339Nano))
}

// lookupFirstWrite returns the time noteFirstWrite recorded for job, if any.
func lookupFirstWrite(ctx context.Context, st *jobs.State, job string) (time.Time, bool, error) {
	s, ok, err := st.LookupID(ctx, firstWriteEntity, job)
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil, nil
}

// FirstWriteIn returns when job first sent a create in account a, as recorded in st; ok is
// false when it never did (or the checkpoint predates the record).
func FirstWriteIn(ctx context.Context, st *jobs.State, a jobs.Account, job string) (time.Time, bool, error) {
	s, ok, err := st.LookupIDIn(ctx, a, firstWriteEntity, job)
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil, nil
}

// firstWrite returns the time noteFirstWrite recorded for job, or, for a checkpoint written
// before pdbulk recorded it, when the job was first recorded.
func firstWrite(ctx context.Context, st *jobs.State, job string) (time.Time, error) {
	s, ok, err := st.LookupID(ctx, firstWriteEntity, job)
	if err != nil {
		return time.Time{}, err
	}
	if ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t, nil
		}
	}
	sum, _, err := st.Job(ctx, job)
	return sum.StartedAt, err
}
