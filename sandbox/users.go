package sandbox

import (
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
)

// Company is the Pipedrive company (the account) a sandbox plays. Every record the sandbox
// holds belongs to it; GET /users/me names it, as Pipedrive does, so that a client can tell
// two accounts apart whatever their URLs.
type Company struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Domain string `json:"domain"` // the subdomain: acme → acme.pipedrive.com
}

// Company returns the company the sandbox plays.
func (s *Server) Company() Company { return s.store.company }

// loadCompany reads the company kept with the data, or records want (a random one when
// want is zero) on the first start. A sandbox with --data keeps its company across
// restarts; an in-memory one is a new company at every start, since its records are new too.
func (st *store) loadCompany(want Company) error {
	var body []byte
	err := st.db.QueryRow(`SELECT body FROM objects WHERE kind = ? AND id = 'company'`, kindMeta).Scan(&body)
	switch {
	case err == nil:
		var c Company
		if err := json.Unmarshal(body, &c); err != nil {
			return fmt.Errorf("company: %w", err)
		}
		if want.ID != 0 && want.ID != c.ID {
			return fmt.Errorf("company: the data holds company %d; it cannot become company %d", c.ID, want.ID)
		}
		st.company = c
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("company: %w", err)
	}
	c := want
	if c.ID == 0 {
		n, err := rand.Int(rand.Reader, big.NewInt(9_000_000))
		if err != nil {
			return fmt.Errorf("company: %w", err)
		}
		c.ID = 1_000_000 + n.Int64()
	}
	if c.Domain == "" {
		c.Domain = "sandbox-" + strconv.FormatInt(c.ID, 10)
	}
	if c.Name == "" {
		c.Name = "Sandbox Company " + strconv.FormatInt(c.ID, 10)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	var seq int64
	if err := st.saveLocked(kindMeta, "company", &seq, c); err != nil {
		return fmt.Errorf("company: %w", err)
	}
	st.company = c
	return nil
}

// getCurrentUser answers GET /users/me: user 1, who owns the token, with the company.
func (s *Server) getCurrentUser(w http.ResponseWriter) {
	u, c := users[0], s.store.company
	ok(w, map[string]any{
		"id": u.ID, "name": u.Name, "email": u.Email, "default_currency": "EUR",
		"locale": "en_US", "lang": 1, "phone": nil, "activated": true,
		"last_login": "2026-01-01 00:00:00", "created": "2020-01-01 00:00:00", "modified": "2026-01-01 00:00:00",
		"has_created_company": true, "access": []map[string]any{{"app": "sales", "admin": u.Admin, "permission_set_id": "1"}},
		"active_flag": u.Active, "timezone_name": "Europe/Berlin", "timezone_offset": "+01:00",
		"role_id": 1, "icon_url": nil, "is_you": true, "is_deleted": false,
		"company_id": c.ID, "company_name": c.Name, "company_domain": c.Domain,
		"company_country": "DE", "company_industry": "Software", "language": map[string]any{"language_code": "en", "country_code": "US"},
	})
}
