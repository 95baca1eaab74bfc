package sandbox

import (
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/pdbulk/pdbulk/spec"
)

type label struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Color      string `json:"color"`
	AddTime    string `json:"add_time"`
	UpdateTime string `json:"update_time"`
	seq        int64
}

// labelColors are the colours Pipedrive accepts: its current document's ten (spec.LabelColors).
var labelColors = spec.LabelColors

func (s *Server) getLeadLabels(w http.ResponseWriter) {
	st := s.store
	st.mu.RLock()
	list := make([]label, 0, len(st.labels))
	for _, l := range st.labels {
		list = append(list, *l)
	}
	st.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	ok(w, list)
}

// parseLabel validates a label body; create requires name and color.
func parseLabel(f *fields, create bool) (name, color *string) {
	if n, present, null := f.str("name"); present {
		if null || strings.TrimSpace(n) == "" {
			f.fail("name must be a non-empty string")
		} else {
			name = &n
		}
	} else if create {
		f.fail("name is required")
	}
	if c, present, null := f.str("color"); present {
		if null || !slices.Contains(labelColors, c) {
			f.fail("color must be one of %s", strings.Join(labelColors, ", "))
		} else {
			color = &c
		}
	} else if create {
		f.fail("color is required")
	}
	return name, color
}

func (s *Server) addLeadLabel(w http.ResponseWriter, r *http.Request) {
	m, okBody := readJSONObject(w, r)
	if !okBody {
		return
	}
	f := &fields{m: m}
	name, color := parseLabel(f, true)
	if msg := f.err(); msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	t := s.store.now().Format(leadTimeLayout)
	l := &label{ID: newUUID(), Name: *name, Color: *color, AddTime: t, UpdateTime: t}
	st := s.store
	st.mu.Lock()
	err := st.saveLocked(kindLabel, l.ID, &l.seq, l)
	if err == nil {
		st.labels[l.ID] = l
	}
	st.mu.Unlock()
	if err != nil {
		internalError(w, s, "add lead label", err)
		return
	}
	ok(w, l)
}

func (s *Server) updateLeadLabel(w http.ResponseWriter, r *http.Request, id string) {
	st := s.store
	st.mu.RLock()
	_, found := st.labels[id]
	st.mu.RUnlock()
	if !found {
		notFound(w, "lead label")
		return
	}
	m, okBody := readJSONObject(w, r)
	if !okBody {
		return
	}
	f := &fields{m: m}
	name, color := parseLabel(f, false)
	if msg := f.err(); msg != "" {
		badRequest(w, "%s", msg)
		return
	}
	st.mu.Lock()
	cur, found := st.labels[id]
	if !found {
		st.mu.Unlock()
		notFound(w, "lead label")
		return
	}
	l := *cur
	if name != nil {
		l.Name = *name
	}
	if color != nil {
		l.Color = *color
	}
	l.UpdateTime = s.store.now().Format(leadTimeLayout)
	err := st.saveLocked(kindLabel, id, &l.seq, &l)
	if err == nil {
		st.labels[id] = &l
	}
	st.mu.Unlock()
	if err != nil {
		internalError(w, s, "update lead label", err)
		return
	}
	ok(w, &l)
}

// deleteLeadLabel deletes the label and takes it off every lead that carried it.
func (s *Server) deleteLeadLabel(w http.ResponseWriter, id string) {
	st := s.store
	st.mu.Lock()
	_, found := st.labels[id]
	var err error
	if found {
		if err = st.removeLabelLocked(id); err == nil {
			delete(st.labels, id)
		}
	}
	st.mu.Unlock()
	switch {
	case !found:
		notFound(w, "lead label")
	case err != nil:
		internalError(w, s, "delete lead label", err)
	default:
		ok(w, map[string]any{"id": id})
	}
}

func (s *Server) getLeadSources(w http.ResponseWriter) {
	data := make([]map[string]string, len(leadSources))
	for i, n := range leadSources {
		data[i] = map[string]string{"name": n}
	}
	ok(w, data)
}
