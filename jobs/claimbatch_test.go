package jobs

import (
	"context"
	"fmt"
	"reflect"
	"testing"
)

// TestClaimBatchSameAsRowByRow: a batch of created rows recorded by MarkDoneClaimedBatch
// (multi-row statements) leaves the checkpoint exactly as the same claims made one row at a
// time: 37 rows (chunks of 16, 16, 4 and 1), some marked in flight with a key, some without
// a key, one never marked in flight, two sharing a key (the later row's record wins the id
// map), one whose record another job's row holds, and one that claimed its record before.
func TestClaimBatchSameAsRowByRow(t *testing.T) {
	ctx := context.Background()
	const n = 37
	claimEntity := "pdbulk.claims.leads"
	claims := make([]DoneClaim, n)
	for i := range claims {
		row := i + 1
		claims[i] = DoneClaim{Row: row, RemoteID: fmt.Sprintf("%08x-5b1e-4c0d-9e2f-%012d", row*7919, row), Action: "created",
			ClaimEntity: claimEntity, Holder: fmt.Sprintf("leads#%d", row)}
	}
	claims[20].RemoteID = "held-by-other-job"
	setup := func(t *testing.T) (*State, *Run) {
		s, _ := openTestState(t)
		other, err := s.BeginJob(ctx, &Job{Name: "other", Entity: EntityLeads}, "f", false)
		if err != nil {
			t.Fatal(err)
		}
		if h, err := other.MarkDoneClaimed(ctx, 3, "held-by-other-job", "created", claimEntity, "other#3"); err != nil || h != "" {
			t.Fatalf("other job's claim: %q, %v", h, err)
		}
		r, err := s.BeginJob(ctx, &Job{Name: "leads", Entity: EntityLeads}, "f", false)
		if err != nil {
			t.Fatal(err)
		}
		var marks []InFlight
		for row := 1; row <= n; row++ {
			key := fmt.Sprintf("Ext-%03d", row)
			switch {
			case row == 9:
				continue // never marked in flight
			case row%5 == 0:
				key = "" // no key
			case row == 12:
				key = "Ext-011" // the key of row 11 too
			}
			marks = append(marks, InFlight{Row: row, Key: key})
		}
		if err := r.MarkInFlightBatch(ctx, marks); err != nil {
			t.Fatal(err)
		}
		// Row 30 claimed its record in an earlier, interrupted attempt.
		if _, err := s.wdb.Exec(`INSERT INTO ids (account, entity, key, remote_id, job, updated_at) VALUES ('', ?, ?, ?, 'leads', 1)`,
			claimEntity, claims[29].RemoteID, claims[29].Holder); err != nil {
			t.Fatal(err)
		}
		return s, r
	}

	batchState, batchRun := setup(t)
	held, err := batchRun.MarkDoneClaimedBatch(ctx, claims)
	if err != nil {
		t.Fatal(err)
	}
	rowState, rowRun := setup(t)
	for i, c := range claims {
		h, err := rowRun.MarkDoneClaimed(ctx, c.Row, c.RemoteID, c.Action, c.ClaimEntity, c.Holder)
		if err != nil {
			t.Fatal(err)
		}
		if h != held[i] {
			t.Errorf("row %d: held %q in a batch, %q row by row", c.Row, held[i], h)
		}
	}
	if held[20] != "other#3" {
		t.Errorf("row 21 held = %q, want other#3", held[20])
	}
	dump := func(s *State) []string {
		var out []string
		for _, q := range []string{
			`SELECT 'rows', account, job, row, key, status, remote_id, action, reason, attempts FROM rows ORDER BY account, job, row`,
			`SELECT 'created', account, entity, remote_id, job, row, undone, '', '', '' FROM created ORDER BY account, entity, remote_id`,
			`SELECT 'ids', account, entity, key, remote_id, job, '', '', '', '' FROM ids ORDER BY account, entity, key`,
		} {
			rs, err := s.rdb.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			for rs.Next() {
				v := make([]any, 10)
				p := make([]any, 10)
				for i := range v {
					p[i] = &v[i]
				}
				if err := rs.Scan(p...); err != nil {
					t.Fatal(err)
				}
				out = append(out, fmt.Sprint(v...))
			}
			rs.Close()
		}
		return out
	}
	got, want := dump(batchState), dump(rowState)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("checkpoint after the batch:\n%v\nafter row by row:\n%v", got, want)
	}
	if id, ok, _ := batchState.LookupID(ctx, "leads", "Ext-011"); !ok || id != claims[11].RemoteID {
		t.Errorf("id map Ext-011 = %q, %v; want row 12's record %s", id, ok, claims[11].RemoteID)
	}
	if st, ok, _ := batchRun.Row(ctx, 9); !ok || st.Status != StatusDone || st.RemoteID != claims[8].RemoteID {
		t.Errorf("row 9 (never in flight) = %+v, %v; want done", st, ok)
	}
	if st, ok, _ := batchRun.Row(ctx, 21); !ok || st.Status != StatusInFlight {
		t.Errorf("row 21 (record held by another job) = %+v, %v; want still in flight", st, ok)
	}
	if len(got) < n {
		t.Errorf("dump has %d lines", len(got))
	}
}
