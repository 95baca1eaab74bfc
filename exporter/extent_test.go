package exporter

import "testing"

// TestExtentHoldsForAProbeAtLo: a probe is a whole page, so its answer says whether more
// records follow it. While the probe of page 4 is out, page 3's answer (more follow) proves
// page 4 holds records, but not that page 5 does: page 5 still waits for the probe, which
// may say the list ends with page 4. (A scheduled export whose archived list held 5 pages
// sent 43 pages past its end when page 3 answered first.)
func TestExtentHoldsForAProbeAtLo(t *testing.T) {
	var e extent
	e.expect(3)
	if got := e.sending([]int{4}, 0); len(got) != 1 {
		t.Fatalf("probes sent: %v, want [4]", got)
	}
	for i := 1; i <= 3; i++ {
		if wait, stop := e.hold(i); wait || stop {
			t.Fatalf("page %d, expected to hold records: wait %v, stop %v", i, wait, stop)
		}
	}
	e.paged(3, true, true)
	if wait, stop := e.hold(5); !wait || stop {
		t.Errorf("page 5 while the probe of page 4 is out: wait %v, stop %v; want it to wait", wait, stop)
	}
	e.probed(4, true, true, false)
	if _, stop := e.hold(5); !stop {
		t.Error("page 5 after page 4 said it is the last: not stopped")
	}
	if e.expected(5) {
		t.Error("page 5 expected to hold records after the list ended at 4")
	}
}

// TestExtentSendsTheLastGapBlindAtTheBound: the list is known to end between pages 177 and
// 193. With 64 pages in flight and more allowed, probes split the gap first (a round trip
// for a few requests spared is cheap). At the Gate's bound a round trip waited is lost to
// the read, so the 16 pages go without probes, and none waits.
func TestExtentSendsTheLastGapBlindAtTheBound(t *testing.T) {
	known := func() *extent {
		e := &extent{}
		e.paged(176, true, true)          // page 177 holds records
		e.probed(193, true, false, false) // page 193 holds none
		return e
	}
	if got := known().next(160, 64, false); len(got) == 0 {
		t.Error("below the bound: no probes split the gap of 16 pages")
	}
	e := known()
	if got := e.next(160, 64, true); len(got) != 0 {
		t.Errorf("at the bound: probes %v, want the gap's 16 pages sent blind", got)
	}
	for i := 178; i < 193; i++ {
		if wait, stop := e.hold(i); wait || stop {
			t.Errorf("page %d at the bound: wait %v, stop %v; want it sent", i, wait, stop)
		}
	}
	if _, stop := e.hold(193); !stop {
		t.Error("page 193, known to hold no records: not stopped")
	}
}
