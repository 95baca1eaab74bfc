package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// maxJSONLen bounds the text of a json field (filter conditions, goal objects).
const maxJSONLen = 64 << 10

// maxSafeInt is the largest integer a float64 (and so a JSON reader) holds exactly.
const maxSafeInt = 1 << 53

// parseInt reads a whole number: an optional sign and digits, nothing else.
func parseInt(s string) (int64, error) {
	if s == "" {
		return 0, ErrNotInt
	}
	digits := s
	if digits[0] == '+' || digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" {
		return 0, ErrNotInt
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			if hasCurrency(s) {
				return 0, reason(ErrNotInt, "is not a whole number: remove the currency symbol (map the currency to its own field)")
			}
			if strings.ContainsAny(s, ".,") {
				if f, err := parseNumber(s, false); err == nil && f == math.Trunc(f) {
					return 0, reason(ErrNotInt, "is not a whole number: write it without separators or decimals")
				}
			}
			return 0, ErrNotInt
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > maxSafeInt || n < -maxSafeInt {
		return 0, reason(ErrNotInt, "is out of range for a whole number")
	}
	return n, nil
}

// numberCell returns the value of a spreadsheet number cell, checked against the digits the
// file stores (Cell.Text) when it has them: see checkExact.
func numberCell(c Cell) (float64, error) {
	if math.IsNaN(c.Number) || math.IsInf(c.Number, 0) {
		return 0, ErrNotNumber
	}
	if t := trimSpace(c.Text); t != "" && numberSyntax(t) {
		if err := checkExact(t, c.Number); err != nil {
			return 0, err
		}
	}
	return c.Number, nil
}

// intFromFloat accepts a spreadsheet number that is integral.
func intFromFloat(f float64) (int64, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) {
		return 0, ErrNotInt
	}
	if f > maxSafeInt || f < -maxSafeInt {
		return 0, reason(ErrNotInt, "is out of range for a whole number")
	}
	return int64(f), nil
}

// hasCurrency reports whether s carries a currency sign.
func hasCurrency(s string) bool {
	for _, r := range s {
		if r >= 0x80 && unicode.Is(unicode.Sc, r) || r == '$' {
			return true
		}
	}
	return false
}

// parseNumber reads a decimal number: 1234.56, -12, 1.5e3; with decimalComma, 1.234,56,
// 1234,56 and 1 234,56 (groups of three).
func parseNumber(s string, decimalComma bool) (float64, error) {
	if s == "" {
		return 0, ErrNotNumber
	}
	if hasCurrency(s) {
		return 0, reason(ErrNotNumber, "is not a number: remove the currency symbol (map the currency to its own field)")
	}
	if decimalComma {
		norm, ok := normalizeDecimalComma(s)
		if !ok {
			return 0, reason(ErrNotNumber, "is not a number (decimal comma: write 1.234,56 or 1234,56)")
		}
		s = norm
	} else if strings.IndexByte(s, ',') >= 0 {
		if numberSyntax(strings.ReplaceAll(s, ",", "")) {
			return 0, reason(ErrNotNumber, "is not a number: remove the thousands separators, or set decimal_comma for 1.234,56")
		}
		return 0, ErrNotNumber
	}
	if !numberSyntax(s) {
		return 0, ErrNotNumber
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, reason(ErrNotNumber, "is out of range for a number")
	}
	if err := checkExact(s, f); err != nil {
		return 0, err
	}
	return f, nil
}

// checkExact reports whether f, read from the decimal text s, is the number s says, so that
// what is sent is what the sheet holds. A number that underflows to 0 is refused, and so is
// one with more significant digits than a float64 (and so a JSON reader) keeps; a text with
// the shortest or the 17-digit rendering of a float64 (as Excel stores numbers) is exact.
func checkExact(s string, f float64) error {
	digits, exp := decimalDigits(s)
	if digits == "" {
		return nil // zero, whatever its sign and exponent
	}
	if f == 0 {
		return reason(ErrNotNumber, "is too small to be sent: it would become 0")
	}
	for _, prec := range []int{-1, 16} {
		d, e := decimalDigits(strconv.FormatFloat(f, 'e', prec, 64))
		if d == digits && e == exp {
			return nil
		}
	}
	sent, _ := json.Marshal(f) // as the payload would carry it
	return reason(ErrNotNumber, "has more digits than a number can hold exactly: it would be sent as %s", sent)
}

// decimalDigits returns the significant digits of a number written [+-]d*[.d*][e[+-]d+],
// without leading or trailing zeros, and the power of ten of the last of them: "1.50e2"
// gives "15", 1. Zero gives "". The text must have that syntax (numberSyntax).
func decimalDigits(s string) (string, int) {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	mant, expText := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, expText = s[:i], s[i+1:]
	}
	exp := 0
	if expText != "" {
		// A number of many zeros may carry an exponent beyond an int: clamp it, far
		// beyond where any float64 is.
		neg := expText[0] == '-'
		expText = strings.TrimLeft(expText, "+-")
		for i := 0; i < len(expText); i++ {
			exp = min(exp*10+int(expText[i]-'0'), 1<<20)
		}
		if neg {
			exp = -exp
		}
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	exp -= len(frac)
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	return trimmed, exp
}

// numberSyntax checks [+-]digits[.digits][e[+-]digits], with digits on at least one side of
// the point. It refuses what strconv.ParseFloat would also take: hex, Inf, NaN, underscores.
func numberSyntax(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

var nbspReplacer = strings.NewReplacer("\u00a0", " ", "\u202f", " ")

// normalizeDecimalComma turns 1.234,56 / 1 234,56 / 1234,56 into 1234.56. Group separators
// must split the integer part into groups of three.
func normalizeDecimalComma(s string) (string, bool) {
	if strings.ContainsAny(s, "\u00a0\u202f") {
		s = nbspReplacer.Replace(s)
	}
	intPart, frac, hasFrac := strings.Cut(s, ",")
	if hasFrac && strings.IndexByte(frac, ',') >= 0 {
		return "", false
	}
	if strings.ContainsAny(frac, ". ") {
		return "", false
	}
	sign := ""
	if intPart != "" && (intPart[0] == '+' || intPart[0] == '-') {
		sign, intPart = intPart[:1], intPart[1:]
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(sign)
	if sepAt := strings.IndexAny(intPart, ". "); sepAt >= 0 {
		sep := intPart[sepAt]
		group, first := 0, true
		for i := 0; i < len(intPart); i++ {
			c := intPart[i]
			switch {
			case c == sep:
				if (first && (group == 0 || group > 3)) || (!first && group != 3) {
					return "", false
				}
				group, first = 0, false
			case c >= '0' && c <= '9':
				b.WriteByte(c)
				group++
			default:
				return "", false
			}
		}
		if group != 3 {
			return "", false
		}
	} else {
		b.WriteString(intPart)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String(), true
}

// parseBool reads true/false, yes/no, y/n, 1/0, in any case.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "yes", "y", "1":
		return true, nil
	case "false", "no", "n", "0":
		return false, nil
	}
	return false, ErrNotBool
}

// parseUUID checks a UUID and returns it in lower case.
func parseUUID(s string) (string, error) {
	if !isUUID(s) {
		return "", ErrNotUUID
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'F' {
			return strings.ToLower(s), nil
		}
	}
	return s, nil
}

// isUUID is spec.IsUUID without a regular expression: 8-4-4-4-12 hex digits.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// enumError says which values are allowed; it matches ErrNotEnum.
type enumError struct{ allowed []string }

func (e *enumError) Error() string   { return "is not one of " + strings.Join(e.allowed, ", ") }
func (e *enumError) Unwrap() error   { return ErrNotEnum }
func (e *enumError) Is(t error) bool { return t == ErrNotEnum }

// parseJSON reads a JSON object or array, keeping numbers exact (json.Number).
func parseJSON(s string) (any, error) {
	if len(s) > maxJSONLen {
		return nil, reason(ErrBadJSON, "is longer than %d KiB of JSON", maxJSONLen>>10)
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, reason(ErrBadJSON, "is not valid JSON: %s", jsonReason(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, reason(ErrBadJSON, "is not valid JSON: text after the value")
	}
	switch v.(type) {
	case map[string]any, []any:
		return v, nil
	}
	return nil, reason(ErrBadJSON, "is a JSON %s, want an object or an array", jsonKind(v))
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return strings.TrimPrefix(se.Error(), "invalid character ") + " at offset " + strconv.FormatInt(se.Offset, 10)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end"
	}
	return err.Error()
}

// jsonKind names the JSON type of a payload value.
func jsonKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case int, int64, int32:
		return "integer"
	case float64:
		if x == math.Trunc(x) && !math.IsInf(x, 0) {
			return "integer"
		}
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return "value"
}

// compactJSON renders v for a message.
func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "?"
	}
	return strings.TrimSuffix(b.String(), "\n")
}
