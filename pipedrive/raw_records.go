package pipedrive

import (
	"context"
	"net/url"

	"github.com/pdbulk/pdbulk/spec"
)

// bodyDecoder is a decode target that reads a success body itself, in one pass, instead of
// through encoding/json (see recordsEnvelope).
type bodyDecoder interface {
	headed
	decodeBody(data []byte) error
}

// recordsEnvelope reads a list answer in one pass: each record of data into the generic
// form, additional_data kept as bytes for parsePage, success for the client's checks.
type recordsEnvelope struct {
	envelopeHead
	keep           map[string]bool // the keys of each record to keep; nil = all
	records        []map[string]any
	additionalData []byte
}

func (e *recordsEnvelope) decodeBody(data []byte) error {
	p := newJSONParser(data)
	p.ws()
	if p.pos >= len(data) || data[p.pos] != '{' {
		return p.syntaxError("an answer is a JSON object")
	}
	p.pos++
	p.ws()
	if p.pos < len(data) && data[p.pos] == '}' {
		p.pos++
		return p.end()
	}
	for {
		p.ws()
		if p.pos >= len(data) || data[p.pos] != '"' {
			return p.syntaxError("looking for an object key")
		}
		k, err := p.key()
		if err != nil {
			return err
		}
		p.ws()
		if p.pos >= len(data) || data[p.pos] != ':' {
			return p.syntaxError("after an object key")
		}
		p.pos++
		p.ws()
		switch k {
		case "data":
			if err := e.data(p); err != nil {
				return err
			}
		case "additional_data":
			if e.additionalData, err = p.skip(); err != nil {
				return err
			}
		case "success":
			v, err := p.value()
			if err != nil {
				return err
			}
			if b, ok := v.(bool); ok {
				e.Success = &b
			}
		default:
			if _, err := p.value(); err != nil {
				return err
			}
		}
		p.ws()
		if p.pos >= len(data) {
			return p.syntaxError("after an object value")
		}
		switch data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return p.end()
		default:
			return p.syntaxError("after an object value")
		}
	}
}

// data reads the data of a list: an array of records, one record, or null.
func (e *recordsEnvelope) data(p *jsonParser) error {
	if p.pos < len(p.data) && p.data[p.pos] != '[' {
		v, err := p.value()
		if err != nil {
			return err
		}
		if m, ok := v.(map[string]any); ok {
			e.records = []map[string]any{m}
		}
		return nil
	}
	p.pos++ // [
	p.ws()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return nil
	}
	for {
		m, err := p.record(e.keep)
		if err != nil {
			return err
		}
		e.records = append(e.records, m)
		p.ws()
		if p.pos >= len(p.data) {
			return p.syntaxError("after a record")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return nil
		default:
			return p.syntaxError("after a record")
		}
	}
}

type decodeShapeError struct{ got any }

func (e *decodeShapeError) Error() string {
	return "json: a record of data is not an object"
}

// RecordsKeep fetches one page of the list operation op like RawPage, and returns its
// records decoded (numbers as json.Number, objects as map[string]any), reading the answer
// once. Only the top-level keys of each record that keep holds are kept (nil keeps all):
// an export of some columns builds nothing of the fields it does not write. The answer is
// still checked whole.
func (c *Client) RecordsKeep(ctx context.Context, op string, q url.Values, start, limit int, keep map[string]bool) ([]map[string]any, Page, *Response, error) {
	v := url.Values{}
	for k, vals := range q {
		v[k] = append([]string(nil), vals...)
	}
	if ep, _ := spec.Find(op); ep.MaxLimit > 0 {
		setPage(v, op, start, limit)
	}
	env := recordsEnvelope{keep: keep}
	resp, err := c.do(ctx, &call{op: op, query: v, out: &env})
	if err != nil {
		return nil, Page{}, resp, err
	}
	page, err := parsePage(env.additionalData, start, len(env.records))
	if err != nil {
		return nil, Page{}, resp, &DecodeError{Op: op, Status: resp.Status, Err: err}
	}
	return env.records, page, resp, nil
}
