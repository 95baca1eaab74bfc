package jobs

import (
	"testing"

	"gopkg.in/yaml.v3"
)

// TestSyntaxPosition checks the line and column of YAML syntax errors: yaml.v3 counts most
// lines from 0 and names the start of the construct around the problem. The column is where
// a parser reading the file notices the problem.
func TestSyntaxPosition(t *testing.T) {
	tests := []struct {
		name      string
		doc       string
		line, col int
	}{
		{"flow sequence never closed", "a: 1\nb: [1, 2\nc: 3\n", 2, 5},
		{"quote never closed", "a: 1\nb: \"open\nc: 3\n", 2, 4},
		{"indented key", "a: 1\n  b: 2\nc: 3\n", 2, 4},
		{"tab", "a: 1\nb: 2\n\tc: 3\n", 3, 1},
		{"sequence item in a mapping", "a: 1\n- b\n", 2, 1},
		{"character that starts no token", "a: 1\nb: @x\n", 2, 4},
		{"key in a sequence", "a:\n  - 1\n  b: 2\n", 3, 4},
		{"extra bracket", "key: value\nother: [a, b]]\n", 2, 14},
		{"mapping after a sequence", "- a\nb: 1\n", 2, 2},
		{"unknown anchor", "a: 1\nb: 2\nc: *nope\n", 3, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n yaml.Node
			err := yaml.Unmarshal([]byte(tt.doc), &n)
			if err == nil {
				t.Fatalf("yaml.Unmarshal(%q) = nil, want a syntax error", tt.doc)
			}
			line, col, msg := syntaxPosition([]byte(tt.doc), err)
			if line != tt.line || col != tt.col {
				t.Errorf("syntaxPosition(%q) = %d:%d %q, want %d:%d (yaml.v3 said %q)", tt.doc, line, col, msg, tt.line, tt.col, err)
			}
		})
	}
}
