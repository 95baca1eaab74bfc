package mapping

import "testing"

// TestFoldKey folds Unicode form, case and white space, and nothing else.
func TestFoldKey(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"Acme Deal", "acme deal"},
		{"  Padded Deal  ", "Padded Deal"},
		{"Big  Space\tDeal", "big space deal"},
		{"No\u00a0Break", "no break"},
		{"Caf\u00e9 Project", "Cafe\u0301 Project"},
		{"CAFE\u0301", "caf\u00e9"},
		{"Stra\u00dfe", "STRASSE"},
		{"\u039f\u0394\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c2"}, // ΟΔΟΣ and οδος (final sigma)
	} {
		if ka, kb := FoldKey(tc.a), FoldKey(tc.b); ka != kb {
			t.Errorf("FoldKey(%q) = %q, FoldKey(%q) = %q, want equal", tc.a, ka, tc.b, kb)
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"Cafe", "Caf\u00e9"}, // an accent is a letter of its own
		{"Deal 1", "Deal1"},
		{"Acme", "Acme Inc"},
	} {
		if FoldKey(tc.a) == FoldKey(tc.b) {
			t.Errorf("FoldKey(%q) = FoldKey(%q) = %q, want different", tc.a, tc.b, FoldKey(tc.a))
		}
	}
	if got := FoldKey("  Big  Deal "); got != "big deal" {
		t.Errorf("FoldKey(%q) = %q, want %q", "  Big  Deal ", got, "big deal")
	}
}

// TestCanonicalKeyIsWhatCheckpointsStore: the stored form of a key does not change between
// versions (a checkpoint's id map written by an older pdbulk is still found): lower case and
// white space only, whatever FoldKey does.
func TestCanonicalKeyIsWhatCheckpointsStore(t *testing.T) {
	for in, want := range map[string]string{
		"  Big  Deal ":     "big deal",
		"Großhandel GmbH":  "großhandel gmbh",
		"Cafe\u0301 Rouge": "cafe\u0301 rouge",
		"ΟΔΟΣ":             "οδοσ",
		"Acme\u00a0\tCorp": "acme corp",
	} {
		if got := CanonicalKey(in); got != want {
			t.Errorf("CanonicalKey(%q) = %q, want %q", in, got, want)
		}
	}
}
