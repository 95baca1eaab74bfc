package importer

import (
	"testing"

	"github.com/pdbulk/pdbulk/sheet"
)

// TestCellKindsLineUp: the mapper keeps its own copy of the reader's cell kinds (it imports
// no other package of the tool), and toMappingRow converts them by number; a kind added to
// one and not the other, or in another order, must fail here.
func TestCellKindsLineUp(t *testing.T) {
	for k := sheet.KindEmpty; k <= sheet.KindError+1; k++ {
		row := toMappingRow(sheet.Row{Num: 2, Cells: []sheet.Cell{{Kind: k}}})
		got, want := row.Cells[0].Kind.String(), k.String()
		if k == sheet.KindError+1 {
			if want != "unknown" {
				t.Errorf("sheet has a kind after KindError (%s): add it to mapping and here", want)
			}
			continue
		}
		if got != want {
			t.Errorf("sheet kind %d (%s) becomes mapping kind %s", k, want, got)
		}
	}
}
