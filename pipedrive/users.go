package pipedrive

import "context"

// CurrentUser is the user the token belongs to, with the company (the Pipedrive account)
// that holds every record the token reads and writes (GET /users/me).
type CurrentUser struct {
	ID            int    `json:"id"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	CompanyID     int64  `json:"company_id"`
	CompanyName   string `json:"company_name"`
	CompanyDomain string `json:"company_domain"`
}

// CurrentUser returns the user and company of the token (2 tokens). The company id is
// what identifies an account: the generic api.pipedrive.com host serves every company.
func (c *Client) CurrentUser(ctx context.Context) (CurrentUser, *Response, error) {
	var env envelope[CurrentUser]
	resp, err := c.do(ctx, &call{op: "getCurrentUser", out: &env})
	return env.Data, resp, err
}
