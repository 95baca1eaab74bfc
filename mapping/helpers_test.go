package mapping

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

func str(s string) *string { return &s }

// text makes a row of CSV-like string cells.
func text(num int, cells ...string) Row {
	r := Row{Num: num, Cells: make([]Cell, len(cells))}
	for i, c := range cells {
		if c == "" {
			r.Cells[i] = Cell{Kind: KindEmpty}
		} else {
			r.Cells[i] = Cell{Kind: KindString, Text: c}
		}
	}
	return r
}

// fakeResolver is an in-memory resolver that counts its calls.
type fakeResolver struct {
	mu      sync.Mutex
	ids     map[string]any // lookup + "|" + key → id
	dup     map[string]bool
	fail    error // returned for every call when set
	calls   atomic.Int64
	creates atomic.Int64
	next    int
}

func newFake() *fakeResolver {
	return &fakeResolver{ids: map[string]any{
		LookupLeadLabelName + "|Hot":           "11111111-1111-4111-8111-111111111111",
		LookupLeadLabelName + "|Cold":          "22222222-2222-4222-8222-222222222222",
		LookupPersonEmail + "|ann@example.com": int64(7),
		LookupOrganizationName + "|Acme":       int64(3),
		"ids.leads|acme deal":                  "33333333-3333-4333-8333-333333333333",
	}, dup: map[string]bool{LookupPersonName + "|Bob": true}}
}

func (f *fakeResolver) Resolve(ctx context.Context, lookup, key string, create bool) (any, error) {
	f.calls.Add(1)
	if f.fail != nil {
		return nil, f.fail
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	k := lookup + "|" + key
	if f.dup[k] {
		return nil, fmt.Errorf("ids 3, 4 have %s %q: %w", lookup, key, ErrAmbiguous)
	}
	if id, ok := f.ids[k]; ok {
		return id, nil
	}
	if create {
		f.creates.Add(1)
		f.next++
		id := fmt.Sprintf("99999999-9999-4999-8999-%012d", f.next)
		f.ids[k] = id
		return id, nil
	}
	return nil, fmt.Errorf("fake: %w", ErrNotFound)
}
