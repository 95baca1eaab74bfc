package sandbox

import (
	"fmt"

	"github.com/google/uuid"
)

// The sandbox's fixed company: users, persons and organizations are not writable through
// the endpoints pdbulk uses, so they are constants of the sandbox, the same at every start.

type user struct {
	ID     int
	Name   string
	Email  string
	Admin  bool
	Active bool
}

// users: id 1 owns the API token and is an admin; user 5 is deactivated.
var users = []user{
	{1, "Sandbox Admin", "admin@sandbox.example", true, true},
	{2, "Ada Seller", "ada@sandbox.example", false, true},
	{3, "Ben Closer", "ben@sandbox.example", false, true},
	{4, "Cleo Manager", "cleo@sandbox.example", true, true},
	{5, "Dan Former", "dan@sandbox.example", false, false},
}

type org struct {
	ID      int
	Name    string
	Address string
}

var orgs = []org{
	{1, "Acme Corporation", "1 Main Street, Springfield"},
	{2, "Globex Inc", "500 Oak Avenue, Cypress Creek"},
	{3, "Initech", "4120 Freidrich Lane, Austin"},
	{4, "Umbrella Group", "22 Raccoon Road, Raccoon City"},
	{5, "Stark Industries", "10880 Malibu Point, Malibu"},
	{6, "Wayne Enterprises", "1007 Mountain Drive, Gotham"},
	{7, "Hooli", "1 Hooli Way, Palo Alto"},
	{8, "Vandelay Industries", "129 West 81st Street, New York"},
	{9, "Soylent Foods", "9 Green Lane, Chicago"},
	{10, "Tyrell Systems", "2019 Spinner Blvd, Los Angeles"},
}

// deal is a fixture deal: the sandbox serves no deal endpoints, but files link to deals,
// and Pipedrive refuses a link to a deal that does not exist.
type deal struct {
	ID       int
	Title    string
	PersonID int
	OrgID    int
}

// deals are deals 1–10, one per fixture organization, each with that organization's first person.
var deals = func() []deal {
	ds := make([]deal, len(orgs))
	for i, o := range orgs {
		ds[i] = deal{ID: i + 1, Title: o.Name + " deal", PersonID: i + 1, OrgID: o.ID}
	}
	return ds
}()

type person struct {
	ID    int
	Name  string
	Email string
	Phone string
	OrgID int // 0 = none
}

var persons = func() []person {
	names := []string{
		"Alice Johnson", "Bob Smith", "Carol White", "David Brown", "Eve Davis",
		"Frank Miller", "Grace Wilson", "Henry Moore", "Irene Taylor", "Jack Anderson",
		"Karen Thomas", "Leo Jackson", "Mia Harris", "Noah Martin", "Olivia Thompson",
		"Paul Garcia", "Quinn Martinez", "Rita Robinson", "Sam Clark", "Tina Lewis",
	}
	ps := make([]person, len(names))
	for i, n := range names {
		first := n[:indexByte(n, ' ')]
		ps[i] = person{
			ID:    i + 1,
			Name:  n,
			Email: fmt.Sprintf("%s@%s.example", lower(first), orgDomain(i%len(orgs))),
			Phone: fmt.Sprintf("+1 555 01%02d", i+1),
			OrgID: i%len(orgs) + 1,
		}
	}
	return ps
}()

// leadSources are the sources a Pipedrive company lists for leads.
// marketingChannels are the ids of the sandbox company's Marketing channels, what a lead's
// channel must be one of (on Pipedrive, the options of the deal field "channel", read with
// GET /v1/dealFields): Paid search, Organic search, Social media, Email marketing, Events,
// Referrals, and 52, the id of Pipedrive's own example (Billboards).
var marketingChannels = []int{1, 2, 3, 4, 5, 6, 52}

var leadSources = []string{"API", "Manually created", "Deal", "Web forms", "Prospector", "Leadbooster", "Live chat", "Import", "Website visitors", "Workflow automation", "Marketplace app", "Messaging inbox"}

func orgDomain(i int) string {
	b := []byte{}
	for _, c := range []byte(orgs[i].Name) {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c >= 'a' && c <= 'z' {
			b = append(b, c)
		}
		if c == ' ' {
			break
		}
	}
	return string(b)
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return len(s)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func findUser(id int) (user, bool) {
	if id >= 1 && id <= len(users) {
		return users[id-1], true
	}
	return user{}, false
}

func findPerson(id int) (person, bool) {
	if id >= 1 && id <= len(persons) {
		return persons[id-1], true
	}
	return person{}, false
}

func findDeal(id int) (deal, bool) {
	if id >= 1 && id <= len(deals) {
		return deals[id-1], true
	}
	return deal{}, false
}

func findOrg(id int) (org, bool) {
	if id >= 1 && id <= len(orgs) {
		return orgs[id-1], true
	}
	return org{}, false
}

func newUUID() string { return uuid.NewString() }
