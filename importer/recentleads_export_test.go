package importer

// RecentLeadsEvery is recentLeadsEvery, for the tests of package importer_test.
const RecentLeadsEvery = recentLeadsEvery
