package spec

import (
	"fmt"
	"math"
	"regexp"
	"time"
)

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsUUID reports whether s is a UUID in its canonical textual form.
func IsUUID(s string) bool { return uuidRE.MatchString(s) }

type checker struct {
	response bool
	problems []string
}

func (c *checker) fail(path, format string, args ...any) {
	c.problems = append(c.problems, path+": "+fmt.Sprintf(format, args...))
}

func (c *checker) value(path string, sch map[string]any, v any) {
	if subs, ok := sch["allOf"].([]any); ok {
		for _, s := range subs {
			if sub, ok := s.(map[string]any); ok {
				c.value(path, sub, v)
			}
		}
	}
	if v == nil {
		if !c.response && sch["nullable"] != true && sch["type"] != nil {
			c.fail(path, "null is not allowed")
		}
		return
	}
	if t, ok := sch["type"].(string); ok && !typeMatches(t, v) {
		c.fail(path, "want %s, got %s", t, jsonType(v))
		return
	}
	if enum, ok := sch["enum"].([]any); ok && !inEnum(enum, v) {
		c.fail(path, "%v is not one of %v", v, enum)
	}
	if f, ok := sch["format"].(string); ok {
		if s, isStr := v.(string); isStr && !formatMatches(f, s) {
			c.fail(path, "%q is not a valid %s", s, f)
		}
	}
	switch val := v.(type) {
	case map[string]any:
		c.object(path, sch, val)
	case []any:
		if items, ok := sch["items"].(map[string]any); ok {
			for i, it := range val {
				c.value(fmt.Sprintf("%s[%d]", path, i), items, it)
			}
		}
	}
}

func (c *checker) object(path string, sch map[string]any, obj map[string]any) {
	required := map[string]bool{}
	if req, ok := sch["required"].([]any); ok {
		for _, r := range req {
			if s, ok := r.(string); ok {
				required[s] = true
			}
		}
	}
	props, _ := sch["properties"].(map[string]any)
	for name := range required {
		if _, ok := obj[name]; !ok {
			c.fail(path+"."+name, "required key missing")
		}
	}
	for name, p := range props {
		ps, _ := p.(map[string]any)
		got, present := obj[name]
		if !present {
			if c.response && !required[name] && ps[OmittedKey] != true {
				c.fail(path+"."+name, "documented key missing")
			}
			continue
		}
		c.value(path+"."+name, ps, got)
	}
}

func typeMatches(t string, v any) bool {
	switch t {
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	}
	return true
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return "null"
}

func inEnum(enum []any, v any) bool {
	for _, e := range enum {
		if e == v {
			return true
		}
	}
	return false
}

func formatMatches(format, s string) bool {
	switch format {
	case "uuid":
		return IsUUID(s)
	case "date":
		_, err := time.Parse(time.DateOnly, s)
		return err == nil
	case "date-time":
		_, err := time.Parse(time.RFC3339, s)
		return err == nil
	}
	return true
}
