package jobs

// CloseWriter closes the State's write connection under its writer, as a failing disk or
// a lost file handle would end it: every later transaction fails to begin. For the tests
// of what a run does when its checkpoint can no longer commit.
func CloseWriter(s *State) error { return s.wdb.Close() }
