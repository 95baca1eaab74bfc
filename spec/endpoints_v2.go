// Taken from ../shared/pipedrive-openapi/openapi-v2.yaml (x-token-cost, responses, the
// limit maxima of the parameter descriptions). Edit by hand only with the document open.

package spec

// EndpointsV2 lists the API v2 operations pdbulk uses: the search endpoints that replace
// v1 GET /itemSearch (deprecated) and cost half as many tokens. Paths are relative to
// /api/v2. Their answers page with a cursor (additional_data.next_cursor), not an offset,
// and the document names no seed schema for them (Response is empty: the sandbox's tests
// check them against the v2 document itself). Op carries a V2 suffix where the document's
// operationId (DocOp) is also a v1 operationId.
var EndpointsV2 = []Endpoint{
	{Op: "searchItemV2", DocOp: "searchItem", Method: "GET", Path: "/itemSearch", Cost: 20, Status: 200, MaxLimit: 100, Version: 2},
	{Op: "searchLeadsV2", DocOp: "searchLeads", Method: "GET", Path: "/leads/search", Cost: 20, Status: 200, MaxLimit: 500, Version: 2},
	{Op: "searchOrganizationV2", DocOp: "searchOrganization", Method: "GET", Path: "/organizations/search", Cost: 20, Status: 200, MaxLimit: 500, Version: 2},
	{Op: "searchPersonsV2", DocOp: "searchPersons", Method: "GET", Path: "/persons/search", Cost: 20, Status: 200, MaxLimit: 500, Version: 2},
}

// DefaultSearchLimit is the page size a v2 search answers when no limit is given.
const DefaultSearchLimit = 100
