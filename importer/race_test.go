//go:build race

package importer_test

// raceDetector is true when the tests run under -race, which slows every request and
// mark several times: the timing-bound fault tests (a 2 s client timeout against creates
// that land after 3 s) then measure the detector, not pdbulk.
const raceDetector = true
