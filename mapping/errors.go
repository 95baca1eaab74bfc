package mapping

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Sentinel errors. Resolvers return errors matching ErrNotFound and ErrAmbiguous; the other
// sentinels are the reasons inside a FieldError, for callers that branch with errors.Is.
var (
	ErrNotFound  = errors.New("not found")
	ErrAmbiguous = errors.New("several records match")

	ErrEmpty     = errors.New("empty cell in a field that needs a value")
	ErrRequired  = errors.New("required field is missing")
	ErrCellError = errors.New("is a formula error in the sheet")
	ErrNotInt    = errors.New("is not a whole number")
	ErrNotNumber = errors.New("is not a number")
	ErrNotBool   = errors.New("is not a yes/no value (true/false, yes/no, y/n, 1/0)")
	ErrBadDate   = errors.New("is not a valid date")
	ErrBadTime   = errors.New("is not a valid date and time")
	ErrNotUUID   = errors.New("is not a UUID")
	ErrNotEnum   = errors.New("is not an allowed value")
	ErrBadJSON   = errors.New("is not valid JSON")
	ErrSchema    = errors.New("does not fit the API schema")
	ErrEncoding  = errors.New("is not valid UTF-8 text (check the file's encoding)")

	// ErrNoLeadLink is the reason of a new lead's row that has neither a person nor an
	// organization; it reads like the API's own 400.
	ErrNoLeadLink = errors.New("a lead must be linked to a person or an organization")
)

// maxValueLen is how much of a cell's text a FieldError keeps.
const maxValueLen = 60

// FieldError is one problem with one field of one row. A row's problems are returned
// together, joined with errors.Join; use FieldErrors to list them and IsRowError to tell them
// from fatal errors.
type FieldError struct {
	Row    int    // 1-based row number in the sheet
	Column string // header of the column that maps the field, "" for a constant or unmapped field
	Field  string // payload path, such as value.amount
	Value  string // the offending text, truncated to about 60 characters
	Err    error  // the reason; matches one of the package's sentinels where one fits
}

// Error renders the problem the way a user reads it in a reject report:
// row 12, column "Amount" (value.amount): "12,3x" is not a number.
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("row ")
	b.WriteString(strconv.Itoa(e.Row))
	if e.Column != "" {
		b.WriteString(", column ")
		b.WriteString(strconv.Quote(e.Column))
		if e.Field != "" {
			b.WriteString(" (")
			b.WriteString(e.Field)
			b.WriteString(")")
		}
	} else if e.Field != "" {
		b.WriteString(", field ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason())
	return b.String()
}

// Reason is the message without the row and column prefix, for a reject report's reason
// column: "12,3x" is not a number.
func (e *FieldError) Reason() string {
	var le *LookupError
	if e.Value == "" || errors.As(e.Err, &le) {
		return errString(e.Err)
	}
	return strconv.Quote(e.Value) + " " + errString(e.Err)
}

// Unwrap returns the reason.
func (e *FieldError) Unwrap() error { return e.Err }

func errString(err error) string {
	if err == nil {
		return "invalid value"
	}
	return err.Error()
}

// LookupError is the reason of a FieldError when a lookup finds nothing or several records.
// It wraps ErrNotFound or ErrAmbiguous.
type LookupError struct {
	Lookup string // "lead_labels.name", "persons.email", ...
	Key    string // the text looked up
	Err    error  // ErrNotFound or ErrAmbiguous (possibly wrapped by the resolver)
}

// Error reads `no lead label named "Hot"` or `several persons with email "a@b.c"`.
func (e *LookupError) Error() string {
	what, by := describeLookup(e.Lookup)
	if errors.Is(e.Err, ErrAmbiguous) {
		msg := fmt.Sprintf("several %ss %s %q", what, by, e.Key)
		if e.Err != ErrAmbiguous {
			// The resolver names them: which to keep is the user's choice.
			msg += " (" + strings.TrimSuffix(e.Err.Error(), ": "+ErrAmbiguous.Error()) + ")"
		}
		return msg
	}
	return fmt.Sprintf("no %s %s %q", what, by, e.Key)
}

// Unwrap returns the resolver's error.
func (e *LookupError) Unwrap() error { return e.Err }

func describeLookup(lookup string) (what, by string) {
	switch lookup {
	case LookupLeadLabelName:
		return "lead label", "named"
	case LookupPersonEmail:
		return "person", "with email"
	case LookupPersonName:
		return "person", "named"
	case LookupOrganizationName:
		return "organization", "named"
	}
	if ent, ok := strings.CutPrefix(lookup, lookupIDsPrefix); ok {
		return "record imported by the " + ent + " job", "with key"
	}
	return "record of " + lookup, "for"
}

// IsRowError reports whether err is (or joins) field errors of a row, which reject the row
// while the run goes on, as opposed to a fatal error such as a resolver's network failure.
func IsRowError(err error) bool {
	var fe *FieldError
	return errors.As(err, &fe)
}

// FieldErrors lists the field errors joined in err, in the order Map found them.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(e error) {
		if fe, ok := e.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			if x := u.Unwrap(); x != nil {
				walk(x)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// SpecError is one problem of a job's mapping found by Compile. Compile joins them all.
type SpecError struct {
	Line   int    // line of the field in the job file, 0 if unknown
	Field  string // payload path of the field, "" for a problem of the whole mapping
	Column string // column the field names, if any
	Err    error
}

// Error reads `line 7: value.amount: column "Amout" is not in the header (closest: "Amount")`.
func (e *SpecError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(errString(e.Err))
	return b.String()
}

// Unwrap returns the reason.
func (e *SpecError) Unwrap() error { return e.Err }

// truncate shortens s to about maxValueLen characters, on a rune boundary.
func truncate(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= maxValueLen {
		return s
	}
	n := 0
	for i := range s {
		if n == maxValueLen {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// reasonError is a reason with a detailed message that still matches its sentinel.
type reasonError struct {
	msg  string
	kind error
}

func (e *reasonError) Error() string { return e.msg }
func (e *reasonError) Unwrap() error { return e.kind }

// reason returns an error reading format (after the quoted value) that matches kind.
func reason(kind error, format string, args ...any) error {
	return &reasonError{msg: fmt.Sprintf(format, args...), kind: kind}
}
