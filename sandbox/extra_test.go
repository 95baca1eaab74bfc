package sandbox

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pdbulk/pdbulk/spec"
)

// TestConcurrentWrites runs creates, updates, reads and deletes from 8 clients at once
// (meant for -race) and checks that every write is accounted for.
func TestConcurrentWrites(t *testing.T) {
	e := newEnv(t, Options{DataDir: t.TempDir()})
	const clients, perClient = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perClient; i++ {
				r := e.call("POST", "/leads", validLead(map[string]any{"title": fmt.Sprintf("c%d-%d", c, i)}))
				if r.status != 201 {
					errs <- fmt.Errorf("create = %d %s", r.status, r.body)
					return
				}
				id := r.data(t)["id"].(string)
				if r := e.call("PATCH", "/leads/"+id, map[string]any{"was_seen": true}); r.status != 200 {
					errs <- fmt.Errorf("update = %d %s", r.status, r.body)
					return
				}
				if r := e.call("GET", "/leads?limit=5", nil); r.status != 200 {
					errs <- fmt.Errorf("list = %d %s", r.status, r.body)
					return
				}
				if i%3 == 0 {
					if r := e.call("DELETE", "/leads/"+id, nil); r.status != 200 {
						errs <- fmt.Errorf("delete = %d %s", r.status, r.body)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	want := clients * (perClient - (perClient+2)/3)
	data := e.must(200, "GET", "/leads?limit=500", nil).json(t)["data"].([]any)
	if len(data) != want {
		t.Errorf("leads after concurrent writes = %d, want %d", len(data), want)
	}
	for _, d := range data {
		if d.(map[string]any)["was_seen"] != true {
			t.Errorf("lead %v lost its update", d.(map[string]any)["title"])
		}
	}
}

// TestRecoverer checks that a panic is answered 500 with the error shape and logged,
// without the token in the log.
func TestRecoverer(t *testing.T) {
	var logged []string
	var mu sync.Mutex
	s, err := New(Options{Token: testToken, Logf: func(f string, a ...any) {
		mu.Lock()
		logged = append(logged, fmt.Sprintf(f, a...))
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := s.recoverer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/leads?api_token="+testToken, nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"success":false`) {
		t.Errorf("panic answered %d %s, want 500 with success false", rec.Code, rec.Body.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logged) != 1 || !strings.Contains(logged[0], "boom") {
		t.Errorf("log = %q, want the panic logged once", logged)
	}
	if strings.Contains(strings.Join(logged, ""), testToken) {
		t.Errorf("log leaks the token")
	}
}

// TestLegacyTeams covers team listing, membership and the 404s; operations that
// spec.Endpoints does not list (yet) are skipped.
func TestLegacyTeams(t *testing.T) {
	e := newEnv(t, Options{})
	a := int(e.must(200, "POST", "/legacyTeams", map[string]any{"name": "Zeta", "manager_id": 2, "users": []int{3}}).data(t)["id"].(float64))
	b := int(e.must(200, "POST", "/legacyTeams", map[string]any{"name": "Alpha", "manager_id": 4}).data(t)["id"].(float64))
	has := func(op string) bool {
		for _, ep := range spec.Endpoints {
			if ep.Op == op {
				return true
			}
		}
		return false
	}
	t.Run("order and skip_users", func(t *testing.T) {
		data := e.must(200, "GET", "/legacyTeams?order_by=name&skip_users=1", nil).json(t)["data"].([]any)
		if len(data) != 2 || data[0].(map[string]any)["name"] != "Alpha" {
			t.Fatalf("teams by name = %v, want Alpha first", data)
		}
		if _, present := data[0].(map[string]any)["users"]; present {
			t.Errorf("skip_users=1 still lists users")
		}
		team := e.must(200, "GET", fmt.Sprintf("/legacyTeams/%d", a), nil).data(t)
		if fmt.Sprint(team["users"]) != "[2 3]" || team["active_flag"] != float64(1) || team["deleted_flag"] != float64(0) {
			t.Errorf("team = %v, want users [2 3] (manager included), active", team)
		}
	})
	t.Run("update", func(t *testing.T) {
		if !has("updateTeam") {
			t.Skip("spec.Endpoints lists no updateTeam")
		}
		team := e.must(200, "PUT", fmt.Sprintf("/legacyTeams/%d", b), map[string]any{"name": "Alpha 2", "users": []int{1}}).data(t)
		if team["name"] != "Alpha 2" || fmt.Sprint(team["users"]) != "[1 4]" {
			t.Errorf("updated team = %v", team)
		}
		e.must(404, "PUT", "/legacyTeams/999", map[string]any{"name": "x"})
		e.must(403, "PUT", fmt.Sprintf("/legacyTeams/%d", b), map[string]any{"manager_id": 5})
	})
	// The membership handlers are called directly: routed only once spec.Endpoints lists them.
	t.Run("members", func(t *testing.T) {
		direct := func(h func(w http.ResponseWriter, r *http.Request), method, body string, want int) reply {
			t.Helper()
			req := httptest.NewRequest(method, "/api/v1/legacyTeams", strings.NewReader(body))
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			rec := httptest.NewRecorder()
			h(rec, req)
			if rec.Code != want {
				t.Fatalf("%s = %d %s, want %d", method, rec.Code, rec.Body.Bytes(), want)
			}
			return reply{status: rec.Code, body: rec.Body.Bytes()}
		}
		id := fmt.Sprint(a)
		direct(func(w http.ResponseWriter, r *http.Request) { e.s.changeTeamUsers(w, r, id, true) }, "POST", `{"users":[1]}`, 200)
		direct(func(w http.ResponseWriter, r *http.Request) { e.s.changeTeamUsers(w, r, id, false) }, "DELETE", `{"users":[3]}`, 200)
		direct(func(w http.ResponseWriter, r *http.Request) { e.s.changeTeamUsers(w, r, id, false) }, "DELETE", `{"users":[2]}`, 403)
		direct(func(w http.ResponseWriter, r *http.Request) { e.s.changeTeamUsers(w, r, id, true) }, "POST", `{"users":[99]}`, 400)
		direct(func(w http.ResponseWriter, r *http.Request) { e.s.changeTeamUsers(w, r, "999", true) }, "POST", `{"users":[1]}`, 404)
		got := direct(func(w http.ResponseWriter, r *http.Request) { e.s.getTeamUsers(w, id) }, "GET", "", 200)
		if users := fmt.Sprint(got.json(t)["data"]); users != "[1 2]" {
			t.Errorf("team users = %s, want [1 2]", users)
		}
		direct(func(w http.ResponseWriter, r *http.Request) { e.s.getTeamUsers(w, "999") }, "GET", "", 404)
		mine := direct(func(w http.ResponseWriter, r *http.Request) { e.s.getTeams(w, r, "2") }, "GET", "", 200)
		if n := len(mine.json(t)["data"].([]any)); n != 1 {
			t.Errorf("teams of user 2 = %d, want 1", n)
		}
		direct(func(w http.ResponseWriter, r *http.Request) { e.s.getTeams(w, r, "999") }, "GET", "", 404)
		if has("getTeamUsers") {
			e.must(200, "GET", fmt.Sprintf("/legacyTeams/%d/users", a), nil)
		}
	})
}
