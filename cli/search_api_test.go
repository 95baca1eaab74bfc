package cli_test

import (
	"strings"
	"testing"
)

// A sandbox without API v2 (--sandbox-no-v2): the run falls back to v1 search by itself,
// says so once, and finds the persons all the same.
func TestRunFallsBackToV1Search(t *testing.T) {
	dir := t.TempDir()
	job := leadsJob(t, dir)
	r := pdbulk(t, nil, "run", job, "--sandbox", "--sandbox-no-v2")
	wantCode(t, r, 3) // rows 3, 4 (no title, bad amount) and the unknown e-mail are rejected
	wantContains(t, "stderr", r.stderr, "404 for the API v2 search", "through API v1")
	if n := strings.Count(r.stderr, "404 for the API v2 search"); n != 1 {
		t.Errorf("the fall back is told %d times, want once:\n%s", n, r.stderr)
	}
	wantContains(t, "stderr", r.stderr, "2 created")
}

// --search-api pins the search endpoints: v1 never tells of a fall back, a bad value is a
// usage error naming the flag.
func TestRunSearchAPIFlag(t *testing.T) {
	dir := t.TempDir()
	job := leadsJob(t, dir)
	r := pdbulk(t, nil, "run", job, "--sandbox", "--sandbox-no-v2", "--search-api", "v1")
	wantCode(t, r, 3)
	if strings.Contains(r.stderr, "404 for the API v2 search") {
		t.Errorf("a run pinned to v1 asked v2:\n%s", r.stderr)
	}
	wantContains(t, "stderr", r.stderr, "2 created")
	r = pdbulk(t, nil, "validate", job, "--search-api", "v3")
	wantCode(t, r, 2)
	wantContains(t, "stderr", r.stderr, `--search-api "v3"`)
}

// A run pinned to v2 against a server without it stops before sending the rows that need a
// lookup, and says that v2 search is missing there and how to get on, not to check the
// base URL (which is right).
func TestRunPinnedV2WithoutV2(t *testing.T) {
	dir := t.TempDir()
	job := leadsJob(t, dir)
	r := pdbulk(t, nil, "run", job, "--sandbox", "--sandbox-no-v2", "--search-api", "v2")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "API v2 search is not available on http://127.0.0.1:", "--search-api auto", "--search-api v1")
	if strings.Contains(r.stderr, "PIPEDRIVE_BASE_URL") {
		t.Errorf("the stop blames the base URL, which is right:\n%s", r.stderr)
	}
}
