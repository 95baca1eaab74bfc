package sandbox

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Kinds of stored objects (the kind column of the objects table).
const (
	kindLead   = "lead"
	kindLabel  = "label"
	kindFilter = "filter"
	kindGoal   = "goal"
	kindFile   = "file"
	kindTeam   = "team"
	kindMeta   = "meta"
)

// store keeps leads in SQLite only (leadstore.go: a table with indexes, read a page at a
// time) and every other object in memory, written through to SQLite, which is the truth
// across restarts. One connection; writes under mu.
type store struct {
	db       *sql.DB
	put      *sql.Stmt
	del      *sql.Stmt
	leadSQL  leadStmts
	filesDir string
	clock    func() time.Time // Options.Emulation.Now, or time.Now
	pos      *positions       // remembered page positions of lead orderings
	dir      *directory       // persons and organizations (read-only; nil = the fixtures)

	// mu guards everything below and the lead table; writers hold it across the SQLite
	// write so that the database, the maps and pos never disagree.
	mu      sync.RWMutex
	seq     int64
	labels  map[string]*label
	filters map[int]*filter
	goals   map[string]*goal
	files   map[int]*file
	teams   map[int]*team
	nextInt map[string]int
	company Company // set once by loadCompany, read-only afterwards
}

func openStore(dataDir, filesDir string, clock func() time.Time) (*store, error) {
	dsn := ":memory:"
	if dataDir != "" {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, err
		}
		// The rows rehearsed hold names, e-mail addresses and amounts: the file is private
		// to the user even in a folder that others may read (MkdirAll keeps an existing
		// folder's mode). SQLite gives its -wal and -shm files the database file's mode.
		f, err := os.OpenFile(filepath.Join(dataDir, "sandbox.db"), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		dsn = "file:" + filepath.Join(dataDir, "sandbox.db") +
			"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	if clock == nil {
		clock = time.Now
	}
	st := &store{
		db: db, filesDir: filesDir, clock: clock, pos: newPositions(),
		labels: map[string]*label{}, filters: map[int]*filter{},
		goals: map[string]*goal{}, files: map[int]*file{}, teams: map[int]*team{},
		nextInt: map[string]int{kindFilter: 1, kindFile: 1, kindTeam: 1},
	}
	if err := st.init(); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return st, nil
}

func (st *store) init() error {
	if _, err := st.db.Exec(`CREATE TABLE IF NOT EXISTS objects (
		kind TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, body BLOB NOT NULL,
		PRIMARY KEY (kind, id)) WITHOUT ROWID`); err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	var err error
	if st.put, err = st.db.Prepare(`INSERT OR REPLACE INTO objects (kind, id, seq, body) VALUES (?, ?, ?, ?)`); err != nil {
		return err
	}
	if st.del, err = st.db.Prepare(`DELETE FROM objects WHERE kind = ? AND id = ?`); err != nil {
		return err
	}
	if err := st.initLeads(); err != nil {
		return err
	}
	if err := st.load(); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	return st.seedLabels()
}

func (st *store) load() error {
	rows, err := st.db.Query(`SELECT kind, id, seq, body FROM objects`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var kind, id string
		var seq int64
		var body []byte
		if err := rows.Scan(&kind, &id, &seq, &body); err != nil {
			return err
		}
		st.seq = max(st.seq, seq)
		if err := st.loadOne(kind, id, seq, body); err != nil {
			return fmt.Errorf("%s %s: %w", kind, id, err)
		}
	}
	return rows.Err()
}

func (st *store) loadOne(kind, id string, seq int64, body []byte) error {
	intID := func() int {
		n, _ := strconv.Atoi(id)
		if n >= st.nextInt[kind] {
			st.nextInt[kind] = n + 1
		}
		return n
	}
	switch kind {
	case kindLabel:
		var v label
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		v.seq = seq
		st.labels[id] = &v
	case kindFilter:
		var v filter
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		var leaves int
		v.cond, _ = parseConditions(v.Conditions, &leaves) // validated when stored
		st.filters[intID()] = &v
	case kindGoal:
		var v goal
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		v.seq = seq
		st.goals[id] = &v
	case kindFile:
		var v file
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		st.files[intID()] = &v
	case kindTeam:
		var v team
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		st.teams[intID()] = &v
	}
	return nil
}

// seedLabels creates the default lead labels of a new Pipedrive company, once.
func (st *store) seedLabels() error {
	var n int
	if err := st.db.QueryRow(`SELECT COUNT(*) FROM objects WHERE kind = ? AND id = 'seeded'`, kindMeta).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	t := st.now().Format(leadTimeLayout)
	for _, d := range []struct{ name, color string }{{"Hot", "red"}, {"Warm", "yellow"}, {"Cold", "blue"}} {
		l := &label{ID: newUUID(), Name: d.name, Color: d.color, AddTime: t, UpdateTime: t}
		if err := st.saveLocked(kindLabel, l.ID, &l.seq, l); err != nil {
			return err
		}
		st.labels[l.ID] = l
	}
	var seq int64
	return st.saveLocked(kindMeta, "seeded", &seq, map[string]bool{"seeded": true})
}

// saveLocked writes v under (kind, id); a zero *seq is assigned the next sequence number,
// which orders lists by creation. st.mu must be held for writing.
func (st *store) saveLocked(kind, id string, seq *int64, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s := *seq
	if s == 0 {
		s = st.seq + 1
	}
	if _, err := st.put.Exec(kind, id, s, b); err != nil {
		return fmt.Errorf("save %s %s: %w", kind, id, err)
	}
	st.seq = max(st.seq, s)
	*seq = s
	return nil
}

func (st *store) deleteLocked(kind, id string) error {
	if _, err := st.del.Exec(kind, id); err != nil {
		return fmt.Errorf("delete %s %s: %w", kind, id, err)
	}
	return nil
}

// allocIntLocked hands out the next integer id of kind.
func (st *store) allocIntLocked(kind string) int {
	n := st.nextInt[kind]
	st.nextInt[kind] = n + 1
	return n
}

// now is the time of the store's clock, in UTC: what add_time and update_time record.
func (st *store) now() time.Time { return st.clock().UTC() }

func (st *store) close() error {
	var errs []error
	for _, s := range []*sql.Stmt{st.put, st.del} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errors.Join(errs...), st.leadSQL.close(), st.db.Close())
}
