package cli

import (
	"slices"

	"github.com/pdbulk/pdbulk/jobs"
)

// pinSearchAPI applies --search-api (v1, v2 or auto; "" = leave each job's
// options.search_api) to every job of the invocation.
func pinSearchAPI(flag string, list []*jobs.Job) error {
	if flag == "" {
		return nil
	}
	api := jobs.SearchAPI(flag)
	if !slices.Contains(jobs.SearchAPIs, api) {
		return usageError("--search-api %q: want v2, v1 or auto", flag)
	}
	for _, j := range list {
		j.Options.SearchAPI = api
	}
	return nil
}
