package mapping

import "testing"

// TestCanonicalKey folds Unicode form, case and white space, and nothing else.
func TestCanonicalKey(t *testing.T) {
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
		if ka, kb := CanonicalKey(tc.a), CanonicalKey(tc.b); ka != kb {
			t.Errorf("CanonicalKey(%q) = %q, CanonicalKey(%q) = %q, want equal", tc.a, ka, tc.b, kb)
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"Cafe", "Caf\u00e9"}, // an accent is a letter of its own
		{"Deal 1", "Deal1"},
		{"Acme", "Acme Inc"},
	} {
		if CanonicalKey(tc.a) == CanonicalKey(tc.b) {
			t.Errorf("CanonicalKey(%q) = CanonicalKey(%q) = %q, want different", tc.a, tc.b, CanonicalKey(tc.a))
		}
	}
	if got := CanonicalKey("  Big  Deal "); got != "big deal" {
		t.Errorf("CanonicalKey(%q) = %q, want %q", "  Big  Deal ", got, "big deal")
	}
}
