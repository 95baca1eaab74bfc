// Code generated from ../shared/pipedrive-openapi (x-token-cost, responses, limit maxima) and
// ../shared/seed (schema names). Edit by hand only with the OpenAPI document open beside it.

package spec

// Endpoints lists every v1 operation pdbulk uses, in the order of the OpenAPI document.
// Deprecated marks what openapi-v1-2026-01-14.yaml marks deprecated (item search, legacy
// teams); EndpointsV2 (endpoints_v2.go) lists the v2 operations.
var Endpoints = []Endpoint{
	{Op: "getFiles", Method: "GET", Path: "/files", Cost: 20, Status: 200, Request: "", Response: "FilesGetAllFilesResponse", ErrorResponse: "", MaxLimit: 100},
	{Op: "addFile", Method: "POST", Path: "/files", Cost: 10, Status: 200, Request: "FilesUploadAndAssociateRequest", Response: "FilesUploadAndAssociateResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "addFileAndLinkIt", Method: "POST", Path: "/files/remote", Cost: 10, Status: 200, Request: "", Response: "", ErrorResponse: "", MaxLimit: 0},
	{Op: "linkFileToItem", Method: "POST", Path: "/files/remoteLink", Cost: 10, Status: 200, Request: "FilesLinkRemoteFileRequest", Response: "FilesLinkRemoteFileResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "deleteFile", Method: "DELETE", Path: "/files/{id}", Cost: 6, Status: 200, Request: "", Response: "FilesMarkAsDeletedResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "getFile", Method: "GET", Path: "/files/{id}", Cost: 2, Status: 200, Request: "", Response: "FilesGetOneFileResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "updateFile", Method: "PUT", Path: "/files/{id}", Cost: 10, Status: 200, Request: "FilesUpdateDetailsRequest", Response: "FilesUpdateDetailsResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "downloadFile", Method: "GET", Path: "/files/{id}/download", Cost: 20, Status: 200, Request: "", Response: "", ErrorResponse: "", MaxLimit: 0},
	{Op: "deleteFilters", Method: "DELETE", Path: "/filters", Cost: 10, Status: 200, Request: "", Response: "FiltersDeleteBulkResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "getFilters", Method: "GET", Path: "/filters", Cost: 20, Status: 200, Request: "", Response: "FiltersGetAllResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "addFilter", Method: "POST", Path: "/filters", Cost: 10, Status: 200, Request: "FiltersAddNewFilterRequest", Response: "FiltersAddNewFilterResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "getFilterHelpers", Method: "GET", Path: "/filters/helpers", Cost: 20, Status: 200, Request: "", Response: "FiltersGetHelpersResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "deleteFilter", Method: "DELETE", Path: "/filters/{id}", Cost: 6, Status: 200, Request: "", Response: "FiltersMarkAsDeletedResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "getFilter", Method: "GET", Path: "/filters/{id}", Cost: 2, Status: 200, Request: "", Response: "FiltersGetDetailsResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "updateFilter", Method: "PUT", Path: "/filters/{id}", Cost: 10, Status: 200, Request: "FiltersUpdateFilterRequest", Response: "FiltersUpdateFilterResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "addGoal", Method: "POST", Path: "/goals", Cost: 10, Status: 200, Request: "GoalsCreateReportRequest", Response: "GoalsCreateReportResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "getGoals", Method: "GET", Path: "/goals/find", Cost: 20, Status: 200, Request: "", Response: "GoalsGetByCriteriaResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "updateGoal", Method: "PUT", Path: "/goals/{id}", Cost: 10, Status: 200, Request: "GoalsUpdateExistingGoalRequest", Response: "GoalsUpdateExistingGoalResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "deleteGoal", Method: "DELETE", Path: "/goals/{id}", Cost: 6, Status: 200, Request: "", Response: "GoalsMarkAsDeletedResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "getGoalResult", Method: "GET", Path: "/goals/{id}/results", Cost: 20, Status: 200, Request: "", Response: "GoalsGetResultResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "searchItem", Method: "GET", Path: "/itemSearch", Cost: 40, Status: 200, Request: "", Response: "ItemSearchSearchMultipleItemsResponse", ErrorResponse: "", MaxLimit: 500, Deprecated: true},
	{Op: "searchItemByField", Method: "GET", Path: "/itemSearch/field", Cost: 40, Status: 200, Request: "", Response: "ItemSearchByFieldValuesResponse", ErrorResponse: "", MaxLimit: 500, Deprecated: true},
	{Op: "getLeads", Method: "GET", Path: "/leads", Cost: 20, Status: 200, Request: "", Response: "LeadsGetAllResponse", ErrorResponse: "", MaxLimit: 500},
	{Op: "addLead", Method: "POST", Path: "/leads", Cost: 10, Status: 201, Request: "LeadsCreateLeadRequest", Response: "LeadsCreateLeadResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "getArchivedLeads", Method: "GET", Path: "/leads/archived", Cost: 40, Status: 200, Request: "", Response: "LeadsGetAllResponse", ErrorResponse: "", MaxLimit: 500},
	{Op: "getLead", Method: "GET", Path: "/leads/{id}", Cost: 2, Status: 200, Request: "", Response: "LeadsGetDetailsResponse", ErrorResponse: "LeadsGetDetails404Response", MaxLimit: 0},
	{Op: "updateLead", Method: "PATCH", Path: "/leads/{id}", Cost: 10, Status: 200, Request: "LeadsUpdateLeadPropertiesRequest", Response: "LeadsUpdateLeadPropertiesResponse", ErrorResponse: "LeadsUpdateLeadProperties404Response", MaxLimit: 0},
	{Op: "deleteLead", Method: "DELETE", Path: "/leads/{id}", Cost: 6, Status: 200, Request: "", Response: "LeadsDeleteLeadResponse", ErrorResponse: "LeadsDeleteLead404Response", MaxLimit: 0},
	{Op: "getLeadUsers", Method: "GET", Path: "/leads/{id}/permittedUsers", Cost: 10, Status: 200, Request: "", Response: "LeadsListPermittedUsersResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "searchLeads", Method: "GET", Path: "/leads/search", Cost: 40, Status: 200, Request: "", Response: "LeadsSearchLeadsResponse", ErrorResponse: "", MaxLimit: 500},
	{Op: "getLeadLabels", Method: "GET", Path: "/leadLabels", Cost: 10, Status: 200, Request: "", Response: "LeadLabelsGetAllResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "addLeadLabel", Method: "POST", Path: "/leadLabels", Cost: 10, Status: 200, Request: "LeadLabelsAddNewLabelRequest", Response: "LeadLabelsAddNewLabelResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "updateLeadLabel", Method: "PATCH", Path: "/leadLabels/{id}", Cost: 10, Status: 200, Request: "LeadLabelsUpdatePropertiesRequest", Response: "LeadLabelsUpdatePropertiesResponse", ErrorResponse: "LeadLabelsUpdateProperties404Response", MaxLimit: 0},
	{Op: "deleteLeadLabel", Method: "DELETE", Path: "/leadLabels/{id}", Cost: 6, Status: 200, Request: "", Response: "LeadLabelsDeleteLabelResponse", ErrorResponse: "LeadLabelsDeleteLabel404Response", MaxLimit: 0},
	{Op: "getLeadSources", Method: "GET", Path: "/leadSources", Cost: 2, Status: 200, Request: "", Response: "LeadSourcesGetAllResponse", ErrorResponse: "", MaxLimit: 0},
	{Op: "getTeams", Method: "GET", Path: "/legacyTeams", Cost: 20, Status: 200, Request: "", Response: "", ErrorResponse: "", MaxLimit: 0, Deprecated: true},
	{Op: "addTeam", Method: "POST", Path: "/legacyTeams", Cost: 10, Status: 200, Request: "LegacyTeamsAddNewTeamRequest", Response: "", ErrorResponse: "LegacyTeamsAddNewTeam403Response", MaxLimit: 0, Deprecated: true},
	{Op: "getTeam", Method: "GET", Path: "/legacyTeams/{id}", Cost: 2, Status: 200, Request: "", Response: "", ErrorResponse: "", MaxLimit: 0, Deprecated: true},
	{Op: "updateTeam", Method: "PUT", Path: "/legacyTeams/{id}", Cost: 10, Status: 200, Request: "", Response: "", ErrorResponse: "", MaxLimit: 0, Deprecated: true},
	// Users (not in the seed): identifies the company a checkpoint belongs to.
	{Op: "getCurrentUser", Method: "GET", Path: "/users/me", Cost: 2, Status: 200, Request: "", Response: "", ErrorResponse: "", MaxLimit: 0},
}
