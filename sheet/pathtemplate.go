package sheet

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrPlaceholder: an output path template holds an unknown placeholder or
// an unmatched brace.
var ErrPlaceholder = errors.New("bad placeholder in path template")

// placeholders are the names ExpandPath knows and their time layouts. They
// hold no ':' so that the names are valid on Windows too, and sort in time
// order.
var placeholders = map[string]string{
	"date":     "2006-01-02",
	"time":     "15-04-05",
	"datetime": "2006-01-02T15-04-05",
}

// ExpandPath fills in the placeholders of an output path template with the
// time t as seen in loc (nil means UTC): {date} becomes 2006-01-02, {time}
// 15-04-05 and {datetime} 2006-01-02T15-04-05, so that
// "out/leads-{date}.xlsx" becomes "out/leads-2024-01-31.xlsx". "{{" and "}}"
// stand for literal braces. Any other placeholder, or a brace that is not
// matched, is an error wrapping ErrPlaceholder that names the template.
func ExpandPath(template string, t time.Time, loc *time.Location) (string, error) {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	fail := func(format string, args ...any) (string, error) {
		return "", fmt.Errorf("expand path %q: %w: %s", template, ErrPlaceholder, fmt.Sprintf(format, args...))
	}
	var b strings.Builder
	for i := 0; i < len(template); i++ {
		c := template[i]
		switch {
		case c == '{' && strings.HasPrefix(template[i:], "{{"), c == '}' && strings.HasPrefix(template[i:], "}}"):
			b.WriteByte(c)
			i++
		case c == '{':
			end := strings.IndexByte(template[i:], '}')
			if end < 0 {
				return fail("'{' at byte %d is not closed", i)
			}
			name := template[i+1 : i+end]
			layout, ok := placeholders[name]
			if !ok {
				return fail("unknown placeholder {%s} (use {date}, {time} or {datetime})", name)
			}
			b.WriteString(t.Format(layout))
			i += end
		case c == '}':
			return fail("'}' at byte %d closes nothing (write }} for a brace)", i)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
