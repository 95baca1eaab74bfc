package jobs

import (
	"errors"
	"strings"
	"testing"
)

// TestIncrementalTargetNamesEachRun: an incremental export writes only what changed since
// the last run, so a target that can name the same file twice (a fixed name, {date} alone
// for two runs in a day, {time} alone for a daily run) would replace the last delta while
// the bookmark moves on. Such a job is refused when loaded, at the target's line; a name
// with {datetime} (or {date} and {time}), or an appended CSV, is accepted.
func TestIncrementalTargetNamesEachRun(t *testing.T) {
	tests := []struct {
		name, target string
		line         int // 0: accepted
	}{
		{"fixed", "out/leads.csv", 4},
		{"date only, README example", "out/leads-{date}.xlsx", 4},
		{"time only", "out/leads-{time}.csv", 4},
		{"fixed in a mapping", "\n  path: out/leads.csv\n  bom: true", 5},
		{"append false", "{path: out/leads.csv, append: false}", 4},
		{"datetime", "out/leads-{datetime}.xlsx", 0},
		{"date and time", "out/{date}/leads-{time}.csv", 0},
		{"appended CSV", "{path: out/leads.csv, append: true}", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeJob(t, "kind: export\nentity: leads\nincremental: true\ntarget: "+tt.target+"\ncolumns: {id: ID, title: Title}\n", nil)
			_, err := Load(p)
			if tt.line == 0 {
				if err != nil {
					t.Fatalf("Load(target %s) = %v, want no error", tt.target, err)
				}
				return
			}
			var pr *Problem
			if !errors.As(err, &pr) {
				t.Fatalf("Load(target %s) = %v, want a *Problem", tt.target, err)
			}
			if pr.Line != tt.line || !strings.Contains(pr.Msg, "{datetime}") || !strings.Contains(pr.Msg, "append: true") {
				t.Errorf("Load(target %s) = %v, want line %d saying {datetime} or append: true", tt.target, err, tt.line)
			}
		})
	}
	// Not incremental: every run writes every record, and a fixed name is the point.
	p := writeJob(t, "kind: export\nentity: leads\ntarget: out/leads.csv\n", nil)
	if _, err := Load(p); err != nil {
		t.Errorf("Load(full export to a fixed name) = %v, want no error", err)
	}
}
