package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// Account identifies the Pipedrive company (the account) that a checkpoint entry was
// written against: the company id that GET /users/me reports, with its domain and name for
// messages. The URL alone cannot tell accounts apart (api.pipedrive.com serves every
// company), and the token is never stored.
//
// The zero Account is the unknown account: that of checkpoints written before pdbulk
// recorded accounts, and of a State that was never bound.
type Account struct {
	CompanyID int64
	Domain    string // company_domain: acme for acme.pipedrive.com
	Name      string // company_name
}

// Key is how the account is stored in the checkpoint: the company id, "" when unknown.
func (a Account) Key() string {
	if a.CompanyID == 0 {
		return ""
	}
	return strconv.FormatInt(a.CompanyID, 10)
}

// Known reports whether the account is identified.
func (a Account) Known() bool { return a.CompanyID != 0 }

// String names the account for a user: `"Acme Ltd" (acme.pipedrive.com, company 7391)`.
func (a Account) String() string {
	if !a.Known() {
		return "an unknown account (the checkpoint was written by a pdbulk that did not record accounts)"
	}
	s := fmt.Sprintf("company %d", a.CompanyID)
	if a.Domain != "" {
		s = a.Domain + ".pipedrive.com, " + s
	}
	if a.Name != "" {
		return fmt.Sprintf("%q (%s)", a.Name, s)
	}
	return s
}

// ErrOtherAccount: the job's checkpoint records progress made in another account than the
// one the State is bound to. Resuming it would skip rows as "already done" that this account
// never received, or act on ids of the other account.
var ErrOtherAccount = errors.New("the job's checkpoint belongs to another Pipedrive account")

// AccountError is the error of a job whose checkpoint belongs to another account. It
// matches ErrOtherAccount.
type AccountError struct {
	Job      string
	Recorded Account // the account the checkpoint's progress was made in
	Current  Account // the account the State is bound to
}

func (e *AccountError) Error() string {
	return fmt.Sprintf("job %s: its checkpoint holds progress made in %s, but this connection is to %s",
		e.Job, e.Recorded, e.Current)
}

// Is makes the error match ErrOtherAccount.
func (e *AccountError) Is(target error) bool { return target == ErrOtherAccount }

// Bind binds the State to account a: from now on every entry it reads or writes is a's.
// The account is recorded (with its domain and name, for messages) in the checkpoint.
// Call Bind once, right after OpenState and before any other use; it is not safe to call
// while other methods run.
func (s *State) Bind(ctx context.Context, a Account) error {
	if !a.Known() {
		return fmt.Errorf("jobs: bind: an account needs a company id")
	}
	err := s.do(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO accounts (key, company_id, domain, name, first_seen) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET domain = excluded.domain, name = excluded.name`,
			a.Key(), a.CompanyID, a.Domain, a.Name, now())
		return err
	})
	if err != nil {
		return fmt.Errorf("jobs: bind to %s: %w", a, err)
	}
	s.account = a
	return nil
}

// Account returns the account the State is bound to (the zero Account when unbound).
func (s *State) Account() Account { return s.account }

// JobAccounts returns every account in which the job called jobName has recorded progress
// or created records, the unknown account included, in the order they were first seen.
func (s *State) JobAccounts(ctx context.Context, jobName string) ([]Account, error) {
	return s.accountsOf(ctx, jobName, `SELECT account FROM jobs WHERE name = ? UNION SELECT account FROM created WHERE job = ?`, jobName, jobName)
}

// accountsOf returns the accounts whose keys the query keys (one column: account) selects,
// the unknown account included, in the order they were first seen.
func (s *State) accountsOf(ctx context.Context, jobName, keys string, args ...any) ([]Account, error) {
	rs, err := s.rdb.QueryContext(ctx, `SELECT k.account, coalesce(a.company_id, 0), coalesce(a.domain, ''), coalesce(a.name, '')
		FROM (`+keys+`) k
		LEFT JOIN accounts a ON a.key = k.account
		ORDER BY coalesce(a.first_seen, 0), k.account`, args...)
	if err != nil {
		return nil, fmt.Errorf("jobs: accounts of %s: %w", jobName, err)
	}
	defer rs.Close()
	var out []Account
	for rs.Next() {
		var key string
		var a Account
		if err := rs.Scan(&key, &a.CompanyID, &a.Domain, &a.Name); err != nil {
			return nil, fmt.Errorf("jobs: accounts of %s: %w", jobName, err)
		}
		if key != "" && a.CompanyID == 0 {
			a.CompanyID, _ = strconv.ParseInt(key, 10, 64)
		}
		out = append(out, a)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("jobs: accounts of %s: %w", jobName, err)
	}
	return out, nil
}

// rowQuerier is what accountOf and otherAccount need of a *sql.DB or *sql.Tx.
type rowQuerier interface {
	QueryRow(query string, args ...any) *sql.Row
}

// accountOf returns what the checkpoint knows of the account stored under key.
func accountOf(q rowQuerier, key string) Account {
	if key == "" {
		return Account{}
	}
	a := Account{}
	a.CompanyID, _ = strconv.ParseInt(key, 10, 64)
	_ = q.QueryRow(`SELECT domain, name FROM accounts WHERE key = ?`, key).Scan(&a.Domain, &a.Name)
	return a
}

// otherAccount returns an *AccountError when job has row states recorded in another account
// than current.
func otherAccount(q rowQuerier, job string, current Account) error {
	var other string
	err := q.QueryRow(`SELECT account FROM rows WHERE job = ? AND account <> ? LIMIT 1`, job, current.Key()).Scan(&other)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	return &AccountError{Job: job, Recorded: accountOf(q, other), Current: current}
}

// CheckAccount returns an *AccountError (matching ErrOtherAccount) when the job called
// jobName has recorded row states in another account than the bound one, so that a caller
// can refuse a run before it sends anything. It writes nothing.
func (s *State) CheckAccount(ctx context.Context, jobName string) error {
	err := otherAccount(s.rdb, jobName, s.account)
	var ae *AccountError
	if err != nil && !errors.As(err, &ae) {
		return fmt.Errorf("jobs: check account of %s: %w", jobName, err)
	}
	return err
}

// CreatedIn counts the records the job called jobName created in account a, and how many
// of them undo removed since.
func (s *State) CreatedIn(ctx context.Context, a Account, jobName string) (created, undone int, err error) {
	err = s.rdb.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(undone), 0) FROM created WHERE account = ? AND job = ?`,
		a.Key(), jobName).Scan(&created, &undone)
	if err != nil {
		return 0, 0, fmt.Errorf("jobs: created records of %s: %w", jobName, err)
	}
	return created, undone, nil
}
