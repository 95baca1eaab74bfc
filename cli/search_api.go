package cli

import (
	"errors"
	"net/http"
	"slices"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/spec"
)

// v2SearchMissing reports whether err is a 404 of an API v2 search endpoint: the server
// has no API v2.
func v2SearchMissing(err error) bool {
	var ae *pipedrive.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
		return false
	}
	for _, e := range spec.EndpointsV2 {
		if e.Op == ae.Op {
			return true
		}
	}
	return false
}

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
