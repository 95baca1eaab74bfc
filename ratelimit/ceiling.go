package ratelimit

import "time"

// BestWall is the shortest wall time, from the first request sent to the last answer, in
// which any client could make n requests to a server that admits limit requests per rolling
// window (counting each as it answers, a round trip of latency after it was sent), with at
// most MaxGate requests in flight. A client that knows the limit (known: pdbulk run and
// export learn it from the headers of GET /users/me, which they ask before anything else)
// may send a window's limit at once; one that does not may send the 20 requests of the
// smallest plan, and no more until the first answers come back a round trip later. It is
// what a run's share of the allowed rate is measured against, to tell what pacing can still
// win from what the latency costs: at 1 s and 1,000 requests under 120 / 2 s it is 17 s
// (98 % of the allowed rate) knowing the limit, 18 s (92.6 %) learning it.
func BestWall(n, limit int, window, latency time.Duration, known bool) time.Duration {
	if n <= 0 || limit <= 0 {
		return 0
	}
	sent := make([]time.Duration, n)
	first := min(defaultLimit, limit)
	if known {
		first = limit
	}
	for k := range sent {
		t := time.Duration(0)
		if k >= first {
			t = latency // the limit is known once the first answer came back
		}
		if k > 0 {
			t = max(t, sent[k-1])
		}
		if k >= limit {
			t = max(t, sent[k-limit]+window) // its slot of the server's window is free again
		}
		if k >= MaxGate {
			t = max(t, sent[k-MaxGate]+latency) // a slot in flight is free again
		}
		sent[k] = t
	}
	return sent[n-1] + latency
}
