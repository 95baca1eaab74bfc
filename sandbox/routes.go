package sandbox

import (
	"net/http"
	"strings"

	"github.com/pdbulk/pdbulk/spec"
)

// route dispatches p (the path after /v1) to the handler of its spec endpoint.
func (s *Server) route(w http.ResponseWriter, r *http.Request, p string) {
	e, found := spec.Match(r.Method, p)
	if !found {
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if _, other := spec.Match(m, p); other && m != r.Method {
				writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed on "+p, defaultErrorInfo)
				return
			}
		}
		writeError(w, http.StatusNotFound, "unknown endpoint "+p, defaultErrorInfo)
		return
	}
	segs := strings.Split(strings.Trim(p, "/"), "/")
	id := ""
	if len(segs) > 1 {
		id = segs[1]
	}
	switch e.Op {
	case "getLeads":
		s.listLeads(w, r, false, e.MaxLimit)
	case "getArchivedLeads":
		s.listLeads(w, r, true, e.MaxLimit)
	case "addLead":
		s.addLead(w, r)
	case "getLead":
		s.getLead(w, id)
	case "updateLead":
		s.updateLead(w, r, id)
	case "deleteLead":
		s.deleteLead(w, id)
	case "getLeadUsers":
		s.getLeadUsers(w, id)
	case "searchLeads":
		s.searchLeads(w, r, e.MaxLimit)
	case "getLeadLabels":
		s.getLeadLabels(w)
	case "addLeadLabel":
		s.addLeadLabel(w, r)
	case "updateLeadLabel":
		s.updateLeadLabel(w, r, id)
	case "deleteLeadLabel":
		s.deleteLeadLabel(w, id)
	case "getLeadSources":
		s.getLeadSources(w)
	case "getFilters":
		s.getFilters(w, r)
	case "addFilter":
		s.addFilter(w, r)
	case "getFilterHelpers":
		s.getFilterHelpers(w)
	case "getFilter":
		s.getFilter(w, id)
	case "updateFilter":
		s.updateFilter(w, r, id)
	case "deleteFilter":
		s.deleteFilter(w, id)
	case "deleteFilters":
		s.deleteFilters(w, r)
	case "addGoal":
		s.addGoal(w, r)
	case "getGoals":
		s.findGoals(w, r)
	case "updateGoal":
		s.updateGoal(w, r, id)
	case "deleteGoal":
		s.deleteGoal(w, id)
	case "getGoalResult":
		s.goalResult(w, r, id)
	case "searchItem":
		s.searchItems(w, r, e.MaxLimit)
	case "searchItemByField":
		s.searchByField(w, r, e.MaxLimit)
	case "getFiles":
		s.getFiles(w, r, e.MaxLimit)
	case "addFile":
		s.addFile(w, r)
	case "addFileAndLinkIt":
		s.addRemoteFile(w, r, true)
	case "linkFileToItem":
		s.addRemoteFile(w, r, false)
	case "getFile":
		s.getFile(w, r, id)
	case "updateFile":
		s.updateFile(w, r, id)
	case "deleteFile":
		s.deleteFile(w, id)
	case "downloadFile":
		s.downloadFile(w, r, id)
	case "getTeams":
		s.getTeams(w, r, "")
	case "getUserTeams":
		s.getTeams(w, r, segs[len(segs)-1])
	case "updateTeam":
		s.updateTeam(w, r, id)
	case "getTeamUsers":
		s.getTeamUsers(w, id)
	case "addTeamUser":
		s.changeTeamUsers(w, r, id, true)
	case "deleteTeamUser":
		s.changeTeamUsers(w, r, id, false)
	case "addTeam":
		s.addTeam(w, r)
	case "getTeam":
		s.getTeam(w, r, id)
	case "getCurrentUser":
		s.getCurrentUser(w)
	default:
		writeError(w, http.StatusNotFound, "unknown endpoint "+p, defaultErrorInfo)
	}
}
