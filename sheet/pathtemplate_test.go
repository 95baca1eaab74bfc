package sheet

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestExpandPath(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	// 23:30 UTC on January 31 is already February 1 in Berlin.
	now := time.Date(2024, 1, 31, 23, 30, 5, 0, time.UTC)
	tests := []struct {
		template string
		loc      *time.Location
		want     string
	}{
		{"out/leads-{date}.xlsx", nil, "out/leads-2024-01-31.xlsx"},
		{"out/leads-{date}.xlsx", time.UTC, "out/leads-2024-01-31.xlsx"},
		{"out/leads-{date}.xlsx", berlin, "out/leads-2024-02-01.xlsx"},
		{"out/{date}/leads-{time}.csv", berlin, "out/2024-02-01/leads-00-30-05.csv"},
		{"leads-{datetime}.csv", nil, "leads-2024-01-31T23-30-05.csv"},
		{"{{date}}-{date}.csv", nil, "{date}-2024-01-31.csv"},
		{"plain.csv", nil, "plain.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			got, err := ExpandPath(tt.template, now, tt.loc)
			if err != nil || got != tt.want {
				t.Errorf("ExpandPath(%q, %v) = %q, %v, want %q", tt.template, tt.loc, got, err, tt.want)
			}
		})
	}
}

func TestExpandPathErrors(t *testing.T) {
	for _, template := range []string{"out/{Date}.csv", "out/{week}.csv", "out/{}.csv", "out/{date.csv", "out/date}.csv", "out/{{date}.csv"} {
		t.Run(template, func(t *testing.T) {
			got, err := ExpandPath(template, time.Now(), nil)
			if !errors.Is(err, ErrPlaceholder) {
				t.Fatalf("ExpandPath(%q) = %q, %v, want ErrPlaceholder", template, got, err)
			}
			if !strings.HasPrefix(err.Error(), "expand path \""+template+"\": ") {
				t.Errorf("error %q does not start with the operation and the template", err)
			}
		})
	}
}
