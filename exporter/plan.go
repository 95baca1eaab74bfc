package exporter

import (
	"fmt"
	"strings"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/spec"
)

// Plan describes, for a dry run, the requests an export will send and what they cost:
// exactly for the entities read in one request, per 10,000 records for paged lists (the API
// reports no total). limit is the burst limit (requests per 2 s) the pacer holds to.
func Plan(j *jobs.Job, limit int) string {
	var b strings.Builder
	x := j.Export
	fmt.Fprintf(&b, "export %s to %s\n", j.Name, x.Target.Path)
	for _, s := range x.Sheets {
		if s.Entity == jobs.EntitySearch {
			b.WriteString(searchPlan(j, s))
			continue
		}
		for _, op := range sheetOps(s) {
			ep := spec.ByOp(op)
			switch {
			case ep.MaxLimit > 0:
				size := ep.MaxLimit
				step := size - max(size/10, 2)
				per := (10000 + step - 1) / step
				line := fmt.Sprintf("  %s: GET %s, %d records a page read with an overlap of %d: %d requests and %d tokens per 10,000 records",
					s.Name, ep.Path, size, size-step, per, per*ep.Cost)
				if limit > 0 {
					line += fmt.Sprintf(", about %s per 10,000 at %d requests / 2 s", (time.Duration(per) * 2 * time.Second / time.Duration(limit)).Round(100*time.Millisecond), limit)
				}
				b.WriteString(line + "\n")
			default:
				fmt.Fprintf(&b, "  %s: GET %s: 1 request, %d tokens\n", s.Name, ep.Path, ep.Cost)
			}
		}
		switch {
		case s.Entity == jobs.EntityFilters && s.Conditions:
			fmt.Fprintf(&b, "  %s: and GET /filters/{id} per filter for its conditions (%d tokens each)\n", s.Name, spec.ByOp("getFilter").Cost)
		case s.Entity == jobs.EntityGoals && s.ResultsStart != "":
			fmt.Fprintf(&b, "  %s: and GET /goals/{id}/results per goal that runs in the period, for the part of it the goal runs (%d tokens each)\n", s.Name, spec.ByOp("getGoalResult").Cost)
		}
	}
	if x.Download != "" {
		fmt.Fprintf(&b, "  and GET /files/{id}/download per file not yet in %s (%d tokens each)\n", x.Download, spec.ByOp("downloadFile").Cost)
	}
	if x.Incremental {
		b.WriteString("  incremental: pages stop at the bookmark of the last run\n")
	}
	return b.String()
}

// searchPlan describes an export of search results: the endpoint the client will call with
// the job's options.search_api (API v2 unless pinned to v1), and what a page of it costs.
// Search answers cap how many results they return, so the plan is per page.
func searchPlan(j *jobs.Job, s jobs.ExportSheet) string {
	api := searchAPI(j)
	// SearchOp on a client that has not fallen back yet: v2 unless the job pins v1.
	ep := spec.ByOp(pipedrive.SearchOpFor(api != pipedrive.SearchV1, "items"))
	line := fmt.Sprintf("  %s: GET %s, up to %d results a page: %d tokens a page", s.Name, searchPath(ep), ep.MaxLimit, ep.Cost)
	if api == pipedrive.SearchAuto {
		v1 := spec.ByOp(pipedrive.SearchOpFor(false, "items"))
		line += fmt.Sprintf(" (a server without API v2 gets GET %s instead, %d results and %d tokens a page)", v1.Path, v1.MaxLimit, v1.Cost)
	}
	return line + "\n"
}

// searchPath is ep's path as a user finds it in Pipedrive's documentation.
func searchPath(ep spec.Endpoint) string {
	if ep.Version == 2 {
		return "/api/v2" + ep.Path
	}
	return ep.Path
}

// sheetOps lists the list operations that read sheet s, in order.
func sheetOps(s jobs.ExportSheet) []string {
	switch s.Entity {
	case jobs.EntityLeads:
		switch s.Archived {
		case "archived":
			return []string{"getArchivedLeads"}
		case "all":
			return []string{"getLeads", "getArchivedLeads"}
		}
		return []string{"getLeads"}
	case jobs.EntityFiles:
		return []string{"getFiles"}
	case jobs.EntitySearch:
		return []string{"searchItem"}
	}
	return []string{map[jobs.Entity]string{
		jobs.EntityLeadLabels: "getLeadLabels", jobs.EntityLeadSources: "getLeadSources",
		jobs.EntityFilters: "getFilters", jobs.EntityGoals: "getGoals", jobs.EntityTeams: "getTeams",
	}[s.Entity]}
}
