package sandbox

import "time"

// searchLagging reports whether lead l is still out of the emulated search index: a lead
// reaches the index Faults.SearchLag after its last write (its update_time), as Pipedrive's
// search is fed behind its writes. Meanwhile search answers do not hold it; lists and gets
// do. A lead changed within the lag is missing altogether rather than found in its old
// form, and a deleted lead leaves the index at once.
func (s *Server) searchLagging(l *Lead) bool {
	lag := s.opts.Emulation.Faults.SearchLag
	if lag <= 0 {
		return false
	}
	t, err := time.Parse(leadTimeLayout, l.UpdateTime)
	return err == nil && s.store.now().Sub(t) < lag
}
