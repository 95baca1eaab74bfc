package pipedrive

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/pdbulk/pdbulk/spec"
)

// RawPage fetches one page of the list operation op (an operationId of spec.Endpoints,
// such as getLeads or getFiles) starting at start, with limit clamped to the endpoint's
// maximum (0 = the maximum) and the other query parameters of q; an endpoint that does not
// page (lead labels, filters, …) is asked once, with q only. It returns each record as
// the API sent it, so that an export can write every field the server has, including those
// the typed models leave out. A list whose data is not an array (one object, or null) gives
// one record or none.
func (c *Client) RawPage(ctx context.Context, op string, q url.Values, start, limit int) ([]json.RawMessage, Page, *Response, error) {
	v := url.Values{}
	for k, vals := range q {
		v[k] = append([]string(nil), vals...)
	}
	if ep, _ := spec.Find(op); ep.MaxLimit > 0 {
		setPage(v, op, start, limit)
	}
	var env envelope[json.RawMessage]
	resp, err := c.do(ctx, &call{op: op, query: v, out: &env})
	if err != nil {
		return nil, Page{}, resp, err
	}
	var items []json.RawMessage
	switch data := env.Data; {
	case len(data) == 0 || string(data) == "null":
	case data[0] == '[':
		if err := json.Unmarshal(data, &items); err != nil {
			return nil, Page{}, resp, &DecodeError{Op: op, Status: resp.Status, Err: err}
		}
	default:
		items = []json.RawMessage{data}
	}
	page, err := parsePage(env.AdditionalData, start, len(items))
	if err != nil {
		return nil, Page{}, resp, &DecodeError{Op: op, Status: resp.Status, Err: err}
	}
	return items, page, resp, nil
}
