package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// ErrLocked: another process is running the same job against the same account.
var ErrLocked = errors.New("the job is already running")

// LockedError says which process holds a job's lock. It matches ErrLocked.
type LockedError struct {
	Job    string
	Holder string // what the holder wrote when it took the lock: pid, host, command, since
	Path   string // the lock file
}

func (e *LockedError) Error() string {
	h := e.Holder
	if h == "" {
		h = "another process"
	}
	return fmt.Sprintf("job %s is already running (%s; lock %s)", e.Job, h, e.Path)
}

// Is makes the error match ErrLocked.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Lock is held by the one process running a job against an account. It is an OS file lock
// (flock): the kernel releases it when the process ends, however it ends (a crash or
// SIGKILL included), so a stale lock never blocks the next run.
type Lock struct {
	fl *flock.Flock
}

// lockPoll is how often a waiting Lock tries again.
const lockPoll = 200 * time.Millisecond

// Lock takes the lock of job in the account the State is bound to, for a process
// described by holder (for example "pdbulk run, pid 4242"). Different jobs, and the same
// job in different accounts, have different locks. When another process holds it, Lock
// returns a *LockedError at once, or with wait keeps trying until it is free or ctx ends.
// The lock lives in a locks folder beside the state database.
func (s *State) Lock(ctx context.Context, job, holder string, wait bool) (*Lock, error) {
	dir := filepath.Join(filepath.Dir(s.path), "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("jobs: lock %s: %w", job, err)
	}
	path := filepath.Join(dir, lockName(job, s.account.Key()))
	fl := flock.New(path, flock.SetPermissions(0o600))
	var ok bool
	var err error
	if wait {
		ok, err = fl.TryLockContext(ctx, lockPoll)
	} else {
		ok, err = fl.TryLock()
	}
	if err != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("jobs: lock %s: %w", job, err)
	}
	if !ok || err != nil {
		b, _ := os.ReadFile(path) // best effort: the holder's own description
		return nil, &LockedError{Job: job, Holder: strings.TrimSpace(string(b)), Path: path}
	}
	// The holder's description is for the message of a refused run; the lock itself is
	// the flock, not this text.
	if f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o600); err == nil {
		_, werr := fmt.Fprintf(f, "%s, since %s\n", holder, time.Now().Format(time.RFC3339))
		if err := errors.Join(werr, f.Close()); err != nil {
			_ = fl.Unlock()
			return nil, fmt.Errorf("jobs: lock %s: %w", job, err)
		}
	}
	return &Lock{fl: fl}, nil
}

// Unlock releases the lock. It is safe to call more than once.
func (l *Lock) Unlock() error {
	if l == nil || !l.fl.Locked() {
		return nil
	}
	if err := l.fl.Unlock(); err != nil {
		return fmt.Errorf("jobs: unlock: %w", err)
	}
	return nil
}

// Running reports whether a process holds the lock of job in account a now, and what it
// wrote about itself (for `pdbulk status`).
func (s *State) Running(a Account, job string) (holder string, running bool) {
	path := filepath.Join(filepath.Dir(s.path), "locks", lockName(job, a.Key()))
	if _, err := os.Stat(path); err != nil {
		return "", false
	}
	fl := flock.New(path)
	ok, err := fl.TryRLock()
	if err != nil {
		return "", false
	}
	if ok {
		_ = fl.Unlock()
		return "", false
	}
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b)), true
}

// lockName is a file name for the lock of job in account: readable, and unique for any
// job name (names are hashed in, since a name may hold characters a file name cannot).
func lockName(job, account string) string {
	if account == "" {
		account = "unknown"
	}
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, job)
	if len(safe) > 64 {
		safe = safe[:64]
	}
	sum := sha256.Sum256([]byte(job))
	return fmt.Sprintf("%s.%s.%s.lock", safe, hex.EncodeToString(sum[:4]), account)
}
