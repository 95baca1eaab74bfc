package sandbox_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/pdbulk/pdbulk/pipedrive"
	"github.com/pdbulk/pdbulk/spec"
)

// conformanceSearchV2 runs the API v2 search endpoints through the real client against
// the conformance harness's sandbox: every answer passes the recorder, which validates it
// against Pipedrive's v2 document. acme and doomed are the two leads titled with "Acme",
// hooli the lead of organization 7.
func conformanceSearchV2(t *testing.T, h *harness, ctx context.Context, acme, doomed, hooli pipedrive.Lead) {
	c := h.c
	h.use("SearchPersonsV2", "AllSearchPersonsV2", "SearchOrganizationsV2", "AllSearchOrganizationsV2",
		"SearchLeadsV2", "AllSearchLeadsV2", "SearchItemsV2", "AllSearchItemsV2",
		"FindPersons", "FindOrganizations", "FindLeads", "FindItems", "SearchOp")

	t.Run("Persons", func(t *testing.T) {
		h.step(t)
		// Mixed case: exact match ignores case, as the document says.
		hits, page, resp, err := c.SearchPersonsV2(ctx, pipedrive.PersonSearchQuery{Term: "Alice@ACME.example", Fields: []string{"email"}, ExactMatch: true})
		okResp(t, "SearchPersonsV2", resp, err, 200)
		if len(hits) != 1 || hits[0].Item.ID != 1 || hits[0].Item.Name != "Alice Johnson" || hits[0].Item.Type != "person" ||
			hits[0].Item.Organization == nil || hits[0].Item.Organization.ID != 1 || page.NextCursor != "" {
			t.Fatalf("SearchPersonsV2(alice, exact) = %+v, %+v; want person 1 of organization 1, one page", hits, page)
		}
		// A name is not an e-mail: the field rule narrows the search.
		hits, _, resp, err = c.SearchPersonsV2(ctx, pipedrive.PersonSearchQuery{Term: "alice johnson", Fields: []string{"email"}, ExactMatch: true})
		okResp(t, "SearchPersonsV2 by email field", resp, err, 200)
		if len(hits) != 0 {
			t.Errorf("SearchPersonsV2(name in the email field) = %+v, want none", hits)
		}
		// Cursor paging, narrowed to organization 1 (Alice and Karen).
		hits, page, resp, err = c.SearchPersonsV2(ctx, pipedrive.PersonSearchQuery{Term: "example", OrganizationID: 1, Limit: 1})
		okResp(t, "SearchPersonsV2 page 1", resp, err, 200)
		if len(hits) != 1 || page.NextCursor == "" {
			t.Fatalf("SearchPersonsV2(limit 1) = %+v, %+v; want one person and a next cursor", hits, page)
		}
		var ids []int
		for hit, err := range c.AllSearchPersonsV2(ctx, pipedrive.PersonSearchQuery{Term: "example", OrganizationID: 1, Limit: 1}) {
			if err != nil {
				t.Fatalf("AllSearchPersonsV2: %v", err)
			}
			ids = append(ids, hit.Item.ID)
		}
		sort.Ints(ids)
		if !slices.Equal(ids, []int{1, 11}) {
			t.Errorf("AllSearchPersonsV2(org 1, 1 per page) = %v, want [1 11]", ids)
		}
		// A cursor the server did not hand out is refused with 400, not read as a start.
		_, _, resp, err = c.SearchPersonsV2(ctx, pipedrive.PersonSearchQuery{Term: "example", Cursor: "not-a-cursor"})
		var ae *pipedrive.APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || resp == nil || resp.Status != 400 {
			t.Errorf("SearchPersonsV2(bad cursor) = %v, want a 400 APIError", err)
		}
	})

	t.Run("Organizations", func(t *testing.T) {
		h.step(t)
		hits, _, resp, err := c.SearchOrganizationsV2(ctx, pipedrive.OrganizationSearchQuery{Term: "acme corporation", Fields: []string{"name"}, ExactMatch: true})
		okResp(t, "SearchOrganizationsV2", resp, err, 200)
		if len(hits) != 1 || hits[0].Item.ID != 1 || hits[0].Item.Name != "Acme Corporation" || hits[0].Item.Address == "" {
			t.Fatalf("SearchOrganizationsV2(acme, exact) = %+v", hits)
		}
		var names []string
		for hit, err := range c.AllSearchOrganizationsV2(ctx, pipedrive.OrganizationSearchQuery{Term: "in", Fields: []string{"name"}, Limit: 2}) {
			if err != nil {
				t.Fatalf("AllSearchOrganizationsV2: %v", err)
			}
			names = append(names, hit.Item.Name)
		}
		sort.Strings(names)
		want := []string{"Globex Inc", "Initech", "Stark Industries", "Vandelay Industries"}
		if !slices.Equal(names, want) {
			t.Errorf("AllSearchOrganizationsV2(in, 2 per page) = %v, want %v", names, want)
		}
	})

	t.Run("Leads", func(t *testing.T) {
		h.step(t)
		hits, page, resp, err := c.SearchLeadsV2(ctx, pipedrive.LeadSearchV2Query{Term: "acme", Fields: []string{"title"}, IncludeFields: []string{"lead.was_seen"}})
		okResp(t, "SearchLeadsV2", resp, err, 200)
		if len(hits) != 2 || page.NextCursor != "" {
			t.Fatalf("SearchLeadsV2(acme) = %+v, %+v; want the Acme lead and its duplicate", hits, page)
		}
		hits, _, resp, err = c.SearchLeadsV2(ctx, pipedrive.LeadSearchV2Query{Term: "hooli", OrganizationID: 7, Limit: 10})
		okResp(t, "SearchLeadsV2 org", resp, err, 200)
		if len(hits) != 1 || hits[0].Item.ID != hooli.ID || hits[0].Item.Value != 900 || hits[0].Item.Currency != "USD" {
			t.Errorf("SearchLeadsV2(hooli, org 7) = %+v", hits)
		}
		var ids []string
		for hit, err := range c.AllSearchLeadsV2(ctx, pipedrive.LeadSearchV2Query{Term: "acme", Limit: 1}) {
			if err != nil {
				t.Fatalf("AllSearchLeadsV2: %v", err)
			}
			ids = append(ids, hit.Item.ID)
		}
		if len(ids) != 2 || !slices.Contains(ids, acme.ID) || !slices.Contains(ids, doomed.ID) {
			t.Errorf("AllSearchLeadsV2(acme, 1 per page) = %v", ids)
		}
	})

	t.Run("Items", func(t *testing.T) {
		h.step(t)
		q := pipedrive.ItemSearchV2Query{Term: "acme", ItemTypes: []string{"lead", "organization", "person"}, SearchForRelatedItems: true, Limit: 2}
		items, page, resp, err := c.SearchItemsV2(ctx, q)
		okResp(t, "SearchItemsV2", resp, err, 200)
		if len(items) != 2 || page.NextCursor == "" {
			t.Errorf("SearchItemsV2(acme, limit 2) = %d items %+v, want 2 and a next cursor", len(items), page)
		}
		kinds := map[string][]string{}
		for item, err := range c.AllSearchItemsV2(ctx, q) {
			if err != nil {
				t.Fatalf("AllSearchItemsV2: %v", err)
			}
			typ, id := item.ItemType()
			kinds[typ] = append(kinds[typ], id)
		}
		if !slices.Contains(kinds["organization"], "1") || !slices.Contains(kinds["lead"], acme.ID) || !slices.Contains(kinds["person"], "1") {
			t.Errorf("AllSearchItemsV2(acme) = %v, want organization 1, person 1 and the Acme lead", kinds)
		}
		// A limit above v2 itemSearch's maximum (100) is cut to it.
		_, _, resp, err = c.SearchItemsV2(ctx, pipedrive.ItemSearchV2Query{Term: "acme", Limit: 500})
		okResp(t, "SearchItemsV2 limit 500", resp, err, 200)
	})

	t.Run("Find", func(t *testing.T) {
		h.step(t)
		for _, api := range []pipedrive.SearchAPI{pipedrive.SearchAuto, pipedrive.SearchV2, pipedrive.SearchV1} {
			var persons []int
			for hit, err := range c.FindPersons(ctx, api, pipedrive.PersonSearchQuery{Term: "alice@acme.example", Fields: []string{"email"}, ExactMatch: true}) {
				if err != nil {
					t.Fatalf("FindPersons(%q): %v", api, err)
				}
				persons = append(persons, hit.Item.ID)
			}
			var orgs []int
			for hit, err := range c.FindOrganizations(ctx, api, pipedrive.OrganizationSearchQuery{Term: "Initech", Fields: []string{"name"}, ExactMatch: true}) {
				if err != nil {
					t.Fatalf("FindOrganizations(%q): %v", api, err)
				}
				orgs = append(orgs, hit.Item.ID)
			}
			var leads []string
			for hit, err := range c.FindLeads(ctx, api, pipedrive.LeadSearchV2Query{Term: acme.Title, Fields: []string{"title"}, ExactMatch: true}) {
				if err != nil {
					t.Fatalf("FindLeads(%q): %v", api, err)
				}
				leads = append(leads, hit.Item.ID)
			}
			items := 0
			for _, err := range c.FindItems(ctx, api, pipedrive.ItemSearchV2Query{Term: "hooli", ItemTypes: []string{"organization"}}) {
				if err != nil {
					t.Fatalf("FindItems(%q): %v", api, err)
				}
				items++
			}
			if !slices.Equal(persons, []int{1}) || !slices.Equal(orgs, []int{3}) || !slices.Contains(leads, acme.ID) || items != 1 {
				t.Errorf("Find*(%q) = persons %v, organizations %v, leads %v, %d items; want [1], [3], the Acme lead, 1 item", api, persons, orgs, leads, items)
			}
		}
		for _, tt := range []struct {
			api      pipedrive.SearchAPI
			kind, op string
			wantCost int
			wantV2   bool
		}{
			{pipedrive.SearchAuto, "persons", "searchPersonsV2", 20, true},
			{pipedrive.SearchAuto, "organizations", "searchOrganizationV2", 20, true},
			{pipedrive.SearchAuto, "leads", "searchLeadsV2", 20, true},
			{pipedrive.SearchAuto, "items", "searchItemV2", 20, true},
			{pipedrive.SearchV1, "persons", "searchItem", 40, false},
			{pipedrive.SearchV1, "leads", "searchLeads", 40, false},
		} {
			op := c.SearchOp(tt.api, tt.kind)
			ep, ok := spec.Find(op)
			if op != tt.op || !ok || ep.Cost != tt.wantCost || (ep.Version == 2) != tt.wantV2 {
				t.Errorf("SearchOp(%q, %s) = %q (cost %d), want %q at %d tokens", tt.api, tt.kind, op, ep.Cost, tt.op, tt.wantCost)
			}
		}
	})

	// Coverage: every v2 endpoint answered its documented status and was validated
	// against the v2 document.
	h.rec.bind(t)
	ops := h.rec.openapi.names()
	h.rec.mu.Lock()
	defer h.rec.mu.Unlock()
	for _, ep := range spec.EndpointsV2 {
		if !slices.Contains(ops, ep.Op) {
			t.Errorf("%s was never validated against Pipedrive's v2 document", ep.Op)
		}
		if h.rec.answered[ep.Op][ep.Status] == 0 {
			t.Errorf("GET /api/v2%s was never answered %s", ep.Path, strconv.Itoa(ep.Status))
		}
	}
}
