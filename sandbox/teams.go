package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// team is a legacy team; active_flag and deleted_flag are 0/1 numbers as in the API.
type team struct {
	ID              int    `json:"id"`
	Name            string `json:"name"`
	Description     string `json:"description"`
	ManagerID       int    `json:"manager_id"`
	Users           []int  `json:"users"`
	ActiveFlag      int    `json:"active_flag"`
	DeletedFlag     int    `json:"deleted_flag"`
	AddTime         string `json:"add_time"`
	CreatedByUserID int    `json:"created_by_user_id"`
	seq             int64
}

// teamView is a team as answered: without users when skip_users=1.
func teamView(t team, skipUsers bool) map[string]any {
	m := map[string]any{
		"id": t.ID, "name": t.Name, "description": t.Description, "manager_id": t.ManagerID,
		"active_flag": t.ActiveFlag, "deleted_flag": t.DeletedFlag, "add_time": t.AddTime,
		"created_by_user_id": t.CreatedByUserID,
	}
	if !skipUsers {
		m["users"] = t.Users
	}
	return m
}

func skipUsersParam(w http.ResponseWriter, q map[string][]string) (bool, bool) {
	switch first(q, "skip_users") {
	case "", "0":
		return false, true
	case "1":
		return true, true
	}
	badRequest(w, "skip_users must be 0 or 1")
	return false, false
}

// getTeams lists every team, or with userID > 0 the teams that user belongs to.
func (s *Server) getTeams(w http.ResponseWriter, r *http.Request, userID string) {
	q := r.URL.Query()
	skip, okSkip := skipUsersParam(w, q)
	if !okSkip {
		return
	}
	order := first(q, "order_by")
	if order == "" {
		order = "id"
	}
	if !slices.Contains([]string{"id", "name", "manager_id", "active_flag"}, order) {
		badRequest(w, "order_by must be one of id, name, manager_id, active_flag")
		return
	}
	uid := 0
	if userID != "" {
		n, err := strconv.Atoi(userID)
		if _, found := findUser(n); err != nil || !found {
			writeError(w, http.StatusNotFound, "User "+userID+" does not exist", notFoundErrorInfo)
			return
		}
		uid = n
	}
	st := s.store
	st.mu.RLock()
	list := make([]team, 0, len(st.teams))
	for _, t := range st.teams {
		if uid == 0 || slices.Contains(t.Users, uid) {
			list = append(list, *t)
		}
	}
	st.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		var c int
		switch order {
		case "name":
			c = strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		case "manager_id":
			c = a.ManagerID - b.ManagerID
		case "active_flag":
			c = a.ActiveFlag - b.ActiveFlag
		}
		if c != 0 {
			return c < 0
		}
		return a.ID < b.ID
	})
	data := make([]map[string]any, len(list))
	for i, t := range list {
		data[i] = teamView(t, skip)
	}
	ok(w, data)
}

func (s *Server) getTeam(w http.ResponseWriter, r *http.Request, id string) {
	skip, okSkip := skipUsersParam(w, r.URL.Query())
	if !okSkip {
		return
	}
	n, err := strconv.Atoi(id)
	st := s.store
	st.mu.RLock()
	t, found := st.teams[n]
	var c team
	if found {
		c = *t
	}
	st.mu.RUnlock()
	if err != nil || !found {
		teamNotFound(w, id)
		return
	}
	ok(w, teamView(c, skip))
}

// teamInput reads a team body; create requires name and manager_id.
type teamInput struct {
	name, desc   *string
	managerID    *int
	users        *[]int
	active, dead *int
}

func parseTeamInput(m map[string]json.RawMessage, create bool) (teamInput, string) {
	f := &fields{m: m}
	var in teamInput
	if name, present, null := f.str("name"); present && !null && strings.TrimSpace(name) != "" {
		in.name = &name
	} else if create || present {
		f.fail("name must be a non-empty string")
	}
	if desc, present, null := f.str("description"); present && !null {
		in.desc = &desc
	}
	if mid, present, null := f.integer("manager_id"); present && !null {
		if _, found := findUser(mid); !found {
			f.fail("manager_id %d is not a user", mid)
		}
		in.managerID = &mid
	} else if create || present {
		f.fail("manager_id is required")
	}
	if raw, present, null := f.raw("users"); present && !null {
		members, msg := parseUserIDs(raw)
		if msg != "" {
			f.fail("%s", msg)
		}
		in.users = &members
	}
	for k, dst := range map[string]**int{"active_flag": &in.active, "deleted_flag": &in.dead} {
		if n, present, null := f.integer(k); present && !null {
			if n != 0 && n != 1 {
				f.fail("%s must be 0 or 1", k)
			}
			*dst = &n
		}
	}
	return in, f.err()
}

func parseUserIDs(raw json.RawMessage) ([]int, string) {
	var members []int
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, "users must be an array of user ids"
	}
	for _, u := range members {
		if _, ok := findUser(u); !ok {
			return nil, fmt.Sprintf("users: %d is not a user", u)
		}
	}
	return members, ""
}

// apply writes in over t. A deactivated manager is refused (403), as Pipedrive refuses
// to let a deactivated user manage a team.
func (in teamInput) apply(t *team) (forbidden string) {
	if in.name != nil {
		t.Name = *in.name
	}
	if in.desc != nil {
		t.Description = *in.desc
	}
	if in.managerID != nil {
		if u, _ := findUser(*in.managerID); !u.Active {
			return fmt.Sprintf("user %d is deactivated and cannot manage a team", u.ID)
		}
		t.ManagerID = *in.managerID
	}
	if in.users != nil {
		t.Users = *in.users
	}
	if in.active != nil {
		t.ActiveFlag = *in.active
	}
	if in.dead != nil {
		t.DeletedFlag = *in.dead
	}
	t.Users = normUsers(append(slices.Clone(t.Users), t.ManagerID))
	return ""
}

func normUsers(u []int) []int {
	u = slices.Clone(u)
	slices.Sort(u)
	return slices.Compact(u)
}

func forbidden(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusForbidden, map[string]any{"success": false, "error": msg,
		"error_info": "Please check developers.pipedrive.com", "data": nil, "additional_data": nil})
}

func teamNotFound(w http.ResponseWriter, id string) {
	writeError(w, http.StatusNotFound, "Team "+id+" does not exist", notFoundErrorInfo)
}

func (s *Server) addTeam(w http.ResponseWriter, r *http.Request) {
	m, okBody := readJSONObject(w, r)
	if !okBody {
		return
	}
	in, msg := parseTeamInput(m, true)
	if msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	t := &team{ActiveFlag: 1, AddTime: s.store.now().Format(fileTimeLayout), CreatedByUserID: 1, Users: []int{}}
	if msg := in.apply(t); msg != "" {
		forbidden(w, msg)
		return
	}
	st := s.store
	st.mu.Lock()
	t.ID = st.allocIntLocked(kindTeam)
	err := st.saveLocked(kindTeam, strconv.Itoa(t.ID), &t.seq, t)
	if err == nil {
		st.teams[t.ID] = t
	}
	st.mu.Unlock()
	if err != nil {
		internalError(w, s, "add team", err)
		return
	}
	ok(w, teamView(*t, false))
}

// changeTeam applies change to team id under the lock and answers with answer(team).
func (s *Server) changeTeam(w http.ResponseWriter, id string, change func(t *team) string, answer func(t team) any) {
	n, err := strconv.Atoi(id)
	st := s.store
	st.mu.Lock()
	cur, found := st.teams[n]
	if err != nil || !found {
		st.mu.Unlock()
		teamNotFound(w, id)
		return
	}
	t := *cur
	if msg := change(&t); msg != "" {
		st.mu.Unlock()
		forbidden(w, msg)
		return
	}
	err = st.saveLocked(kindTeam, id, &t.seq, &t)
	if err == nil {
		st.teams[n] = &t
	}
	st.mu.Unlock()
	if err != nil {
		internalError(w, s, "update team", err)
		return
	}
	ok(w, answer(t))
}

func (s *Server) teamExists(id string) bool {
	n, err := strconv.Atoi(id)
	s.store.mu.RLock()
	defer s.store.mu.RUnlock()
	_, found := s.store.teams[n]
	return err == nil && found
}

func (s *Server) updateTeam(w http.ResponseWriter, r *http.Request, id string) {
	if !s.teamExists(id) {
		teamNotFound(w, id)
		return
	}
	m, okBody := readJSONObject(w, r)
	if !okBody {
		return
	}
	in, msg := parseTeamInput(m, false)
	if msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	s.changeTeam(w, id, in.apply, func(t team) any { return teamView(t, false) })
}

// changeTeamUsers serves POST (add) and DELETE (remove) /legacyTeams/{id}/users.
func (s *Server) changeTeamUsers(w http.ResponseWriter, r *http.Request, id string, add bool) {
	if !s.teamExists(id) {
		teamNotFound(w, id)
		return
	}
	m, okBody := readJSONObject(w, r)
	if !okBody {
		return
	}
	raw, has := m["users"]
	if !has {
		badRequest(w, "users is required")
		return
	}
	members, msg := parseUserIDs(raw)
	if msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	s.changeTeam(w, id, func(t *team) string {
		if add {
			t.Users = normUsers(append(slices.Clone(t.Users), members...))
			return ""
		}
		if slices.Contains(members, t.ManagerID) {
			return "the team manager cannot be removed from the team"
		}
		t.Users = slices.DeleteFunc(slices.Clone(t.Users), func(u int) bool { return slices.Contains(members, u) })
		return ""
	}, func(t team) any { return t.Users })
}

func (s *Server) getTeamUsers(w http.ResponseWriter, id string) {
	n, err := strconv.Atoi(id)
	st := s.store
	st.mu.RLock()
	t, found := st.teams[n]
	var u []int
	if found {
		u = t.Users
	}
	st.mu.RUnlock()
	if err != nil || !found {
		teamNotFound(w, id)
		return
	}
	ok(w, u)
}
