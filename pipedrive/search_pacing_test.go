package pipedrive_test

import (
	"testing"
	"time"

	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/ratelimit"
	"github.com/pdbulk/pdbulk/sandbox"
)

// Search endpoints have their own, lower burst limit: the client must pace them with
// WaitSearch, or a search-heavy upsert trips 429s while the general window has room.
func TestSearchUsesTheSearchWindow(t *testing.T) {
	const token = "search-pacing-token"
	srv, err := sandbox.New(sandbox.Options{Token: token, Emulation: sandbox.Emulation{
		RateLimit: 100, SearchRateLimit: 4, Window: time.Second,
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	base, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	pacer := ratelimit.New(ratelimit.Options{Limit: 100, SearchLimit: 4, Window: time.Second})
	c, err := pipedrive.New(pipedrive.Config{BaseURL: base, Token: token, Pacer: pacer})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		for _, err := range c.AllSearchItems(t.Context(), pipedrive.ItemSearchQuery{Term: "acme", ItemTypes: []string{"organization"}}) {
			if err != nil {
				t.Fatalf("search %d: %v", i, err)
			}
		}
	}
	s := pacer.Stats()
	if s.TooMany != 0 {
		t.Errorf("pacer saw %d 429 answers to 10 searches paced at the search limit, want 0", s.TooMany)
	}
	// The search answers' headers describe the search window: taken for the general window
	// they would slow every other request down to the search limit.
	if s.Limit != 100 || s.SearchLimit != 4 {
		t.Errorf("pacer limits = %d general, %d search; want 100 and 4", s.Limit, s.SearchLimit)
	}
}
