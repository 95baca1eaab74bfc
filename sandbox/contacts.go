package sandbox

import "fmt"

// Contacts asks a sandbox for generated persons and organizations beside its fixtures
// (fixtures.go), so that imports that look up thousands of distinct contacts can be tried
// and measured. Generated contacts are numbered from 1: organization i has id 10+i and the
// name ContactOrganizationName(i); person i has id 20+i, the name and e-mail
// ContactPerson(i), and belongs to organization ((i-1) mod Organizations)+1 (none when
// Organizations is 0). They exist for the server's life, the same at every start.
type Contacts struct {
	Persons       int // generated persons; 0 = none
	Organizations int // generated organizations; 0 = none
}

// maxContacts bounds each kind of generated contact.
const maxContacts = 1_000_000

// ContactOrganizationName is the name of generated organization i (1-based).
func ContactOrganizationName(i int) string { return fmt.Sprintf("Northwind Traders %05d GmbH", i) }

// ContactPerson is the name and e-mail of generated person i (1-based).
func ContactPerson(i int) (name, email string) {
	return fmt.Sprintf("Contact Person %05d", i), fmt.Sprintf("contact.%05d@northwind.example", i)
}

// people returns every person the directory knows.
func (d *directory) people() []person {
	if d == nil {
		return persons
	}
	return d.persons
}

// companies returns every organization the directory knows.
func (d *directory) companies() []org {
	if d == nil {
		return orgs
	}
	return d.orgs
}

// directory is what a server knows of persons and organizations: the fixtures, then the
// generated contacts. It is read-only after newDirectory, so safe for concurrent use.
type directory struct {
	persons []person
	orgs    []org
}

func newDirectory(c Contacts) (*directory, error) {
	if c.Persons < 0 || c.Organizations < 0 || c.Persons > maxContacts || c.Organizations > maxContacts {
		return nil, fmt.Errorf("contacts: %d persons, %d organizations: want 0 to %d of each", c.Persons, c.Organizations, maxContacts)
	}
	d := &directory{
		persons: make([]person, len(persons), len(persons)+c.Persons),
		orgs:    make([]org, len(orgs), len(orgs)+c.Organizations),
	}
	copy(d.persons, persons)
	copy(d.orgs, orgs)
	for i := 1; i <= c.Organizations; i++ {
		d.orgs = append(d.orgs, org{ID: len(orgs) + i, Name: ContactOrganizationName(i), Address: fmt.Sprintf("%d Harbour Road, Hamburg", i)})
	}
	for i := 1; i <= c.Persons; i++ {
		name, email := ContactPerson(i)
		p := person{ID: len(persons) + i, Name: name, Email: email, Phone: fmt.Sprintf("+49 40 %07d", i)}
		if c.Organizations > 0 {
			p.OrgID = len(orgs) + (i-1)%c.Organizations + 1
		}
		d.persons = append(d.persons, p)
	}
	return d, nil
}

func (d *directory) person(id int) (person, bool) {
	if d == nil {
		return findPerson(id)
	}
	if id >= 1 && id <= len(d.persons) {
		return d.persons[id-1], true
	}
	return person{}, false
}

func (d *directory) org(id int) (org, bool) {
	if d == nil {
		return findOrg(id)
	}
	if id >= 1 && id <= len(d.orgs) {
		return d.orgs[id-1], true
	}
	return org{}, false
}
