package sandbox

import (
	"fmt"
	"time"
)

// SampleLeads returns a generator for InsertLeads of n varied, realistic leads, the same
// for the same arguments (a lead's fields depend only on i, n, end and labelIDs):
//   - titles that repeat: an organization and a product ("Initech – CRM rollout"), one in
//     25 with a number of its own;
//   - a value on nine in ten, from 100 to 100,000 in EUR, USD, GBP or CHF;
//   - owners 1–5 (5 is a deactivated user), every fixture person (with the person's
//     organization) or, one in five, an organization alone;
//   - 0 to 2 of labelIDs (none when labelIDs is empty);
//   - add_time spread evenly over the year before end (to the second, so some share one),
//     update_time between add_time and end (a third never updated), an expected close
//     date on half of them, one in ten seen, one in ten archived.
func SampleLeads(n int, end time.Time, labelIDs []string) func(i int) LeadSeed {
	const span = 365 * 24 * time.Hour
	products := []string{"CRM rollout", "Support renewal", "Onboarding", "Data migration", "Licence upgrade", "Consulting", "Pilot", "Training"}
	currencies := []string{"EUR", "USD", "GBP", "CHF"}
	visible := []string{"3", "3", "3", "1", "5", "7"}
	start := end.Add(-span)
	return func(i int) LeadSeed {
		h := mix(uint64(i))
		pick := func(k int) int { // a number 0..k-1 from the next bits of h
			v := int(h % uint64(k))
			h /= uint64(k)
			return v
		}
		sd := LeadSeed{OwnerID: 1 + pick(5), VisibleTo: visible[pick(len(visible))], WasSeen: pick(10) == 0, Archived: pick(10) == 0}
		if pick(5) == 0 {
			sd.OrganizationID = 1 + pick(len(orgs))
		} else {
			sd.PersonID = 1 + pick(len(persons))
			sd.OrganizationID = persons[sd.PersonID-1].OrgID
		}
		sd.Title = orgs[sd.OrganizationID-1].Name + " – " + products[pick(len(products))]
		if pick(25) == 0 {
			sd.Title += fmt.Sprintf(" #%d", i)
		}
		if pick(10) != 0 {
			sd.Value = &Money{Amount: float64(100 + pick(99_901)), Currency: currencies[pick(len(currencies))]}
		}
		if len(labelIDs) > 0 {
			for k := pick(3); k > 0; k-- {
				id := labelIDs[pick(len(labelIDs))]
				if len(sd.LabelIDs) == 0 || sd.LabelIDs[0] != id {
					sd.LabelIDs = append(sd.LabelIDs, id)
				}
			}
		}
		h = mix(h ^ uint64(i)) // fresh bits for the times
		at := start.Add(time.Duration(float64(span) * float64(i) / float64(max(n, 1))))
		at = at.Add(time.Duration(pick(12*3600)) * time.Second).Truncate(time.Second)
		if at.After(end) {
			at = end.Truncate(time.Second)
		}
		sd.AddTime, sd.UpdateTime = at, at
		if pick(3) != 0 {
			sd.UpdateTime = at.Add(time.Duration(pick(int(end.Sub(at)/time.Second)+1)) * time.Second)
		}
		if pick(2) == 0 {
			sd.ExpectedCloseDate = at.AddDate(0, 0, 30+pick(60)).Format(time.DateOnly)
		}
		return sd
	}
}

// mix is splitmix64's finalizer: well spread bits from a counter.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
