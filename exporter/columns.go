package exporter

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/sheet"
)

// names maps the ids of a lookup's entity to their names (label id → "Hot").
type names map[string]string

// row turns records into rows of typed cells, the job's columns read the other way.
type row struct {
	cols    []jobs.ExportColumn
	loc     *time.Location
	lookups map[string]names // by ExportColumn.Lookup
	csv     bool             // a CSV target: a date_format writes dates as that text
	paths   [][]string       // each column's field, split at its dots once
	times   []bool           // each column's field holds API dates or times (timeField)
	cells   []sheet.Cell
}

func newRow(s jobs.ExportSheet, loc *time.Location, lookups map[string]names, csv bool) *row {
	cols := s.Columns
	if len(cols) == 0 {
		for _, f := range jobs.FieldsOf(s.Entity) {
			cols = append(cols, jobs.ExportColumn{Field: f, Header: f, Type: jobs.CellAuto, Join: "; "})
		}
	}
	paths := make([][]string, len(cols))
	times := make([]bool, len(cols))
	for i, c := range cols {
		paths[i] = strings.Split(c.Field, ".")
		times[i] = timeField(s.Entity, paths[i])
	}
	return &row{cols: cols, loc: loc, lookups: lookups, csv: csv, paths: paths, times: times, cells: make([]sheet.Cell, len(cols))}
}

// customField matches the key of a Pipedrive custom field (40 hex digits), as jobs does.
var customField = regexp.MustCompile(`^[0-9a-f]{40}$`)

// timeField reports whether an auto column of field path (split at its dots) holds the
// API's dates and times, which are written as dates and date-times: a field whose last
// part ends in _time or _date (add_time, update_time, expected_close_date), a goal's
// duration.start and duration.end, and a custom field (its type unknown to the export).
// Any other field (a title, a name, a note) keeps its text, even when it looks like a time.
func timeField(e jobs.Entity, path []string) bool {
	last := path[len(path)-1]
	if strings.HasSuffix(last, "_time") || strings.HasSuffix(last, "_date") {
		return true
	}
	if e == jobs.EntityGoals && len(path) == 2 && path[0] == "duration" && (last == "start" || last == "end") {
		return true
	}
	for _, p := range path {
		if customField.MatchString(p) {
			return true
		}
	}
	return false
}

func (w *row) header() []string {
	h := make([]string, len(w.cols))
	for i, c := range w.cols {
		h[i] = c.Header
	}
	return h
}

// cellsOf returns the cells of r. The slice is reused by the next call.
func (w *row) cellsOf(r record) ([]sheet.Cell, error) {
	for i, c := range w.cols {
		v := lookupParts(r, w.paths[i])
		cell, err := w.cell(c, v, w.times[i])
		if err != nil {
			return nil, fmt.Errorf("record %v: field %s: %w", r["id"], c.Field, err)
		}
		w.cells[i] = cell
	}
	return w.cells, nil
}

// lookupPath follows a dotted path (value.amount) through nested objects.
func lookupPath(r record, path string) any {
	return lookupParts(r, strings.Split(path, "."))
}

func lookupParts(r record, parts []string) any {
	var v any = map[string]any(r)
	for _, part := range parts {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[part]
	}
	return v
}

// cell converts one value to the column's type. times says whether an auto column's field
// holds API dates and times (timeField).
func (w *row) cell(c jobs.ExportColumn, v any, times bool) (sheet.Cell, error) {
	if v == nil {
		return sheet.Cell{}, nil
	}
	if list, ok := v.([]any); ok {
		parts := make([]string, 0, len(list))
		for _, it := range list {
			parts = append(parts, w.name(c, scalarText(it)))
		}
		return text(strings.Join(parts, c.Join)), nil
	}
	if m, ok := v.(map[string]any); ok {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // conditions hold > and <: keep them readable
		if err := enc.Encode(m); err != nil {
			return sheet.Cell{}, err
		}
		return text(strings.TrimSuffix(b.String(), "\n")), nil
	}
	s := w.name(c, scalarText(v))
	if c.Lookup != "" {
		return text(s), nil
	}
	switch c.Type {
	case jobs.CellText:
		return text(s), nil
	case jobs.CellNumber, jobs.CellInt:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return sheet.Cell{}, fmt.Errorf("%q is not a number", s)
		}
		if c.Type == jobs.CellInt && n != float64(int64(n)) {
			return sheet.Cell{}, fmt.Errorf("%q is not a whole number", s)
		}
		return sheet.Cell{Kind: sheet.KindNumber, Number: n, Text: s}, nil
	case jobs.CellBool:
		b, ok := v.(bool)
		if !ok {
			b = s == "1" || strings.EqualFold(s, "true")
		}
		return boolCell(b), nil
	case jobs.CellDate, jobs.CellDateTime:
		return w.timeCell(c, s)
	}
	// auto: numbers and booleans as such, the API's timestamps and dates as date-times and
	// dates, the rest as text. Auto never fails a row: what it cannot read stays text.
	switch x := v.(type) {
	case json.Number:
		n, err := x.Float64()
		if err != nil || wholeBeyondExcel(x.String()) {
			return text(x.String()), nil // an id or a whole number past 15 digits: keep every one
		}
		return sheet.Cell{Kind: sheet.KindNumber, Number: n, Text: x.String()}, nil
	case bool:
		return boolCell(x), nil
	}
	if !times {
		return text(s), nil
	}
	t := jobs.CellDateTime
	switch {
	case looksLikeDate(s):
		t = jobs.CellDate
	case !looksLikeTime(s):
		return text(s), nil
	}
	if cell, err := w.timeCell(jobs.ExportColumn{Type: t, DateFormat: c.DateFormat}, s); err == nil {
		return cell, nil
	}
	return text(s), nil
}

// wholeBeyondExcel reports whether the JSON number n is a whole number of more than 15
// digits, which a spreadsheet would round (an id, a big count): it is written as text. A
// number with a fraction or an exponent is written as a number, whatever its length
// (33.333333333333336 is a number to SUM, not a code).
func wholeBeyondExcel(n string) bool {
	digits := strings.TrimLeft(n, "-")
	return !strings.ContainsAny(digits, ".eE") && len(digits) > 15
}

func text(s string) sheet.Cell {
	if s == "" {
		return sheet.Cell{}
	}
	return sheet.Cell{Kind: sheet.KindString, Text: s}
}

func boolCell(b bool) sheet.Cell {
	if b {
		return sheet.Cell{Kind: sheet.KindBool, Number: 1, Text: "TRUE"}
	}
	return sheet.Cell{Kind: sheet.KindBool, Text: "FALSE"}
}

func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// name turns an id into its name when the column looks it up; an unknown id stays as it is.
func (w *row) name(c jobs.ExportColumn, id string) string {
	if c.Lookup == "" {
		return id
	}
	if n, ok := w.lookups[c.Lookup][id]; ok {
		return n
	}
	return id
}

// The forms of time the API sends: 2026-11-30T10:20:30.000Z (leads), 2026-11-30 10:20:30
// (files, filters), 2026-11-30 (dates).
var timeLayouts = []string{"2006-01-02T15:04:05.000Z", time.RFC3339Nano, "2006-01-02 15:04:05"}

func looksLikeTime(s string) bool {
	return len(s) >= 19 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == ' ') && s[13] == ':'
}

func looksLikeDate(s string) bool {
	return len(s) == 10 && s[4] == '-' && s[7] == '-'
}

// timeCell reads an API time (UTC) or date and shows it in the job's time zone: a real date
// in XLSX, the column's date_format (or ISO) in CSV.
func (w *row) timeCell(c jobs.ExportColumn, s string) (sheet.Cell, error) {
	var t time.Time
	var err error
	if looksLikeDate(s) {
		t, err = time.Parse("2006-01-02", s)
	} else {
		for _, l := range timeLayouts {
			if t, err = time.ParseInLocation(l, s, time.UTC); err == nil {
				break
			}
		}
		if err == nil {
			t = t.In(w.loc)
		}
	}
	if err != nil {
		return sheet.Cell{}, fmt.Errorf("%q is not a date or time", s)
	}
	// The cell holds the wall clock of the job's zone, as a spreadsheet shows it.
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	kind, layout := sheet.KindDateTime, "2006-01-02 15:04:05"
	if c.Type == jobs.CellDate {
		kind, layout = sheet.KindDate, "2006-01-02"
		wall = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	if c.DateFormat != "" {
		layout = c.DateFormat
		if w.csv {
			return text(wall.Format(layout)), nil
		}
	}
	return sheet.Cell{Kind: kind, Time: wall, Text: wall.Format(layout)}, nil
}
