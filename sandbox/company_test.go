package sandbox_test

import (
	"testing"

	"github.com/pdbulk/pdbulk/sandbox"
)

// TestCompanyKeptWithData: a sandbox with a data folder plays the same company after a
// restart; a new data folder (or memory) is another company; a company asked for is kept.
func TestCompanyKeptWithData(t *testing.T) {
	dir := t.TempDir()
	open := func(o sandbox.Options) sandbox.Company {
		t.Helper()
		o.Token = "T"
		srv, err := sandbox.New(o)
		if err != nil {
			t.Fatalf("sandbox.New(%+v): %v", o, err)
		}
		defer srv.Close()
		return srv.Company()
	}
	first := open(sandbox.Options{DataDir: dir})
	if first.ID == 0 || first.Domain == "" || first.Name == "" {
		t.Fatalf("Company() = %+v, want an id, a domain and a name", first)
	}
	if again := open(sandbox.Options{DataDir: dir}); again != first {
		t.Errorf("Company() after a restart = %+v, want %+v", again, first)
	}
	if other := open(sandbox.Options{DataDir: t.TempDir()}); other.ID == first.ID {
		t.Errorf("two data folders play the same company %d", other.ID)
	}
	want := sandbox.Company{ID: 42, Name: "Acme Ltd", Domain: "acme"}
	if got := open(sandbox.Options{Company: want}); got != want {
		t.Errorf("Company() = %+v, want %+v", got, want)
	}
	if _, err := sandbox.New(sandbox.Options{Token: "T", DataDir: dir, Company: want}); err == nil {
		t.Errorf("sandbox.New over data of company %d as company 42 = nil error, want a refusal", first.ID)
	}
}
