package pipedrive

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// jsonParser reads JSON in one pass into the generic form encoding/json gives with
// UseNumber: map[string]any, []any, string, json.Number, bool and nil. An export reads
// hundreds of thousands of records; encoding/json would scan each page several times
// (validate, find the end of each value, decode) and look every key up by reflection. Rare
// forms (strings with escapes, invalid UTF-8) are handed to encoding/json, so that the
// result is always what encoding/json gives. Object keys are interned per parser: the
// records of a page share their key strings.
type jsonParser struct {
	data  []byte
	pos   int
	depth int
	keys  map[string]string
	hint  int // the size of the last record-level object, to size the next one
}

const maxJSONDepth = 1000

var errJSONDepth = errors.New("json: nested too deeply")

func newJSONParser(data []byte) *jsonParser {
	return &jsonParser{data: data, keys: make(map[string]string, 64)}
}

// syntaxError describes bad JSON at the parser's position.
func (p *jsonParser) syntaxError(what string) error {
	if p.pos >= len(p.data) {
		return fmt.Errorf("json: unexpected end of input (%s)", what)
	}
	return fmt.Errorf("json: invalid character %q at offset %d (%s)", p.data[p.pos], p.pos, what)
}

func (p *jsonParser) ws() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// value reads one value.
func (p *jsonParser) value() (any, error) {
	p.ws()
	if p.pos >= len(p.data) {
		return nil, p.syntaxError("looking for a value")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return nil, p.syntaxError("looking for a value")
}

func (p *jsonParser) literal(lit string) error {
	if len(p.data)-p.pos < len(lit) || string(p.data[p.pos:p.pos+len(lit)]) != lit {
		return p.syntaxError("in literal " + lit)
	}
	p.pos += len(lit)
	return nil
}

func (p *jsonParser) object() (any, error) {
	p.depth++
	if p.depth > maxJSONDepth {
		return nil, errJSONDepth
	}
	defer func() { p.depth-- }()
	p.pos++ // {
	size := 0
	if p.depth == 1 {
		size = p.hint
	}
	m := make(map[string]any, size)
	p.ws()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return m, nil
	}
	for {
		p.ws()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.syntaxError("looking for an object key")
		}
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.syntaxError("after an object key")
		}
		p.pos++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		m[k] = v
		p.ws()
		if p.pos >= len(p.data) {
			return nil, p.syntaxError("after an object value")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			if p.depth == 1 && len(m) > p.hint {
				p.hint = len(m)
			}
			return m, nil
		default:
			return nil, p.syntaxError("after an object value")
		}
	}
}

func (p *jsonParser) array() (any, error) {
	p.depth++
	if p.depth > maxJSONDepth {
		return nil, errJSONDepth
	}
	defer func() { p.depth-- }()
	p.pos++ // [
	out := []any{}
	p.ws()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return out, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.ws()
		if p.pos >= len(p.data) {
			return nil, p.syntaxError("after an array element")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return out, nil
		default:
			return nil, p.syntaxError("after an array element")
		}
	}
}

// rawString returns the bytes between the quotes of the string at pos (the quotes
// excluded), whether it can be taken as it is (no escape, no control character, valid
// UTF-8), and moves past it.
func (p *jsonParser) rawString() ([]byte, bool, error) {
	start := p.pos + 1
	plain, ascii := true, true
	for i := start; i < len(p.data); i++ {
		switch c := p.data[i]; {
		case c == '"':
			p.pos = i + 1
			s := p.data[start:i]
			if plain && !ascii && !utf8.Valid(s) {
				plain = false
			}
			return s, plain, nil
		case c == '\\':
			plain = false
			i++ // the escaped character never ends the string
		case c < 0x20:
			plain = false
		case c >= 0x80:
			ascii = false
		}
	}
	p.pos = len(p.data)
	return nil, false, p.syntaxError("in a string")
}

// slowString decodes a quoted string with escapes the way encoding/json does.
func slowString(quoted []byte) (string, error) {
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return "", err
	}
	return s, nil
}

func (p *jsonParser) str() (any, error) {
	from := p.pos
	b, plain, err := p.rawString()
	if err != nil {
		return nil, err
	}
	if plain {
		return string(b), nil
	}
	return slowString(p.data[from:p.pos])
}

func (p *jsonParser) key() (string, error) {
	from := p.pos
	b, plain, err := p.rawString()
	if err != nil {
		return "", err
	}
	if !plain {
		return slowString(p.data[from:p.pos])
	}
	if k, ok := p.keys[string(b)]; ok {
		return k, nil
	}
	k := string(b)
	if len(p.keys) < 4096 {
		p.keys[k] = k
	}
	return k, nil
}

// number reads a number by JSON's grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func (p *jsonParser) number() (any, error) {
	start := p.pos
	if err := p.scanNumber(); err != nil {
		return nil, err
	}
	return json.Number(p.data[start:p.pos]), nil
}

func (p *jsonParser) scanNumber() error {
	d, i := p.data, p.pos
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		p.pos = i
		return p.syntaxError("in a number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			p.pos = i
			return p.syntaxError("after a decimal point")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			p.pos = i
			return p.syntaxError("in an exponent")
		}
	}
	p.pos = i
	return nil
}

// pass reads one value as strictly as value but keeps nothing of it: the fields of a
// record that an export does not write cost no allocation.
func (p *jsonParser) pass() error {
	p.ws()
	if p.pos >= len(p.data) {
		return p.syntaxError("looking for a value")
	}
	switch c := p.data[p.pos]; {
	case c == '{' || c == '[':
		p.depth++
		if p.depth > maxJSONDepth {
			return errJSONDepth
		}
		defer func() { p.depth-- }()
		p.pos++
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		p.ws()
		if p.pos < len(p.data) && p.data[p.pos] == closer {
			p.pos++
			return nil
		}
		for {
			if c == '{' {
				p.ws()
				if p.pos >= len(p.data) || p.data[p.pos] != '"' {
					return p.syntaxError("looking for an object key")
				}
				if err := p.passString(); err != nil {
					return err
				}
				p.ws()
				if p.pos >= len(p.data) || p.data[p.pos] != ':' {
					return p.syntaxError("after an object key")
				}
				p.pos++
			}
			if err := p.pass(); err != nil {
				return err
			}
			p.ws()
			if p.pos >= len(p.data) {
				return p.syntaxError("after a value")
			}
			switch p.data[p.pos] {
			case ',':
				p.pos++
			case closer:
				p.pos++
				return nil
			default:
				return p.syntaxError("after a value")
			}
		}
	case c == '"':
		return p.passString()
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.scanNumber()
	}
	return p.syntaxError("looking for a value")
}

func (p *jsonParser) passString() error {
	from := p.pos
	_, plain, err := p.rawString()
	if err == nil && !plain {
		_, err = slowString(p.data[from:p.pos]) // an escape encoding/json would refuse
	}
	return err
}

// record reads an object, keeping only the keys keep holds (all when keep is nil).
func (p *jsonParser) record(keep map[string]bool) (map[string]any, error) {
	p.ws()
	if keep == nil || p.pos >= len(p.data) || p.data[p.pos] != '{' {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, &decodeShapeError{got: v}
		}
		return m, nil
	}
	p.depth++
	defer func() { p.depth-- }()
	p.pos++
	m := make(map[string]any, len(keep))
	p.ws()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return m, nil
	}
	for {
		p.ws()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.syntaxError("looking for an object key")
		}
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.syntaxError("after an object key")
		}
		p.pos++
		if keep[k] {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			m[k] = v
		} else if err := p.pass(); err != nil {
			return nil, err
		}
		p.ws()
		if p.pos >= len(p.data) {
			return nil, p.syntaxError("after an object value")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return m, nil
		default:
			return nil, p.syntaxError("after an object value")
		}
	}
}

// skip reads one value and returns its bytes, for a part of an answer read later (the
// pagination of additional_data).
func (p *jsonParser) skip() ([]byte, error) {
	p.ws()
	start := p.pos
	if _, err := p.value(); err != nil {
		return nil, err
	}
	return p.data[start:p.pos], nil
}

// end checks that nothing but white space follows the top-level value.
func (p *jsonParser) end() error {
	p.ws()
	if p.pos != len(p.data) {
		return p.syntaxError("after the top-level value")
	}
	return nil
}

// parseJSON reads data, which must hold exactly one JSON value.
func parseJSON(data []byte) (any, error) {
	p := newJSONParser(data)
	v, err := p.value()
	if err == nil {
		err = p.end()
	}
	return v, err
}
