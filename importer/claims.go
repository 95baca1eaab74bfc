package importer

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
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

// claimBook gives each Pipedrive id of one entity to at most one job row. claim is atomic
// within the process (a lock per id around the read and the write: claims of different
// ids share the checkpoint's group commits); the id map has no insert-if-absent, so two
// processes claiming the same id in the same millisecond could both succeed (see the jobs
// change proposed with issue 9). Safe for concurrent use.
type claimBook struct {
	st     *jobs.State
	entity string // the id map's entity of the claims
	job    string

	locks [64]sync.Mutex // by hash of the id
}

func (b *claimBook) lock(id string) *sync.Mutex {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id)) // a hash.Hash never fails to write
	return &b.locks[h.Sum32()%uint32(len(b.locks))]
}

func newClaimBook(st *jobs.State, e jobs.Entity, job string) *claimBook {
	return &claimBook{st: st, entity: claimsEntityPrefix + string(e), job: job}
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

// claim gives id to row. It returns "" when the row holds id now (claimed now, or before),
// else the holder that has it.
func (b *claimBook) claim(ctx context.Context, id string, row int) (string, error) {
	me := holder(b.job, row)
	mu := b.lock(id)
	mu.Lock()
	defer mu.Unlock()
	cur, ok, err := b.st.LookupID(ctx, b.entity, id)
	switch {
	case err != nil:
		return "", err
	case ok && cur != me:
		return cur, nil
	case ok:
		return "", nil
	}
	return "", b.st.PutID(ctx, b.entity, id, me)
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
