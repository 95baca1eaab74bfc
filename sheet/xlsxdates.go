package sheet

import (
	"math"
	"strings"
	"time"
)

// serialCell converts the serial number x (stored as text) of a cell formatted as a date
// (k KindDate) or a date and time (KindDateTime), with Excel's rules: in the 1900 system
// serial 60 is 1900-02-29, a day that never existed, and serial 0 is "1900-01-00", which
// only a time of day alone has (its Time is then 1899-12-31, its Text the time alone).
// The mapping package follows the same rules for columns that hold serials.
func serialCell(text string, x float64, date1904 bool, k Kind) (Cell, error) {
	t, ok := serialTime(x, date1904)
	if !ok {
		return Cell{}, detail(ErrBadDate, "serial %s is outside the dates a workbook can hold (up to 9999-12-31)", clip(text))
	}
	if date1904 {
		return dateCell(t, k), nil
	}
	switch math.Floor(x) {
	case 0:
		if k == KindDate {
			return Cell{}, detail(ErrBadDate, "serial %s is not a date: Excel shows it as 1900-01-00", clip(text))
		}
		return Cell{Text: t.Format("15:04:05.999"), Kind: KindDateTime, Time: t}, nil
	case 60:
		return Cell{}, detail(ErrBadDate, "serial %s is 1900-02-29, a day that never existed", clip(text))
	}
	return dateCell(t, k), nil
}

func dateCell(t time.Time, k Kind) Cell {
	if k == KindDate {
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		return Cell{Text: t.Format(time.DateOnly), Kind: KindDate, Time: t}
	}
	return Cell{Text: t.Format("2006-01-02 15:04:05.999"), Kind: KindDateTime, Time: t}
}

var (
	epoch1900 = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	epoch1904 = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
)

// serialTime converts an Excel serial date (days since the epoch, the time of day as the
// fraction) to a UTC wall-clock time rounded to the millisecond. In the 1900 system serials
// before 60 count from 1899-12-31 (serial 1 is 1900-01-01), the others from 1899-12-30,
// past Excel's fictitious 1900-02-29 (serial 60, which serialCell refuses).
func serialTime(x float64, date1904 bool) (time.Time, bool) {
	base, maxSerial := epoch1900, 2958465.0 // 9999-12-31
	if date1904 {
		base, maxSerial = epoch1904, 2957003
	} else if x < 60 {
		base = base.AddDate(0, 0, 1)
	}
	if x < 0 || x >= maxSerial+1 {
		return time.Time{}, false
	}
	days := math.Floor(x)
	ms := math.Round((x - days) * 86400000)
	return base.AddDate(0, 0, int(days)).Add(time.Duration(ms) * time.Millisecond), true
}

// dateCellISO builds the cell of the ISO 8601 value v of a t="d" cell formatted as k (see
// serialCell). A time of day alone ("10:00:00") holds no date: in a cell formatted as a
// date it is refused, as serial 0.5 is; otherwise it is the cell of that serial, a time
// of day on Excel's day 0 (1899-12-31) that a date column refuses.
func dateCellISO(v string, k Kind) (Cell, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			if t.Location() != time.UTC {
				// Keep the wall clock, as for serial dates.
				t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
			}
			return dateCell(t, k), nil
		}
	}
	t, err := time.Parse("15:04:05.999999999", v)
	if err != nil {
		return Cell{}, detail(ErrBadDate, "%q is not an ISO 8601 date", clip(v))
	}
	if k == KindDate {
		return Cell{}, detail(ErrBadDate, "%q is a time of day without a date", clip(v))
	}
	t = time.Date(1899, 12, 31, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	return Cell{Text: t.Format("15:04:05.999"), Kind: KindDateTime, Time: t}, nil
}

// builtinFormatKind classifies Excel's built-in number formats.
func builtinFormatKind(id int) Kind {
	switch {
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id == 36, id >= 50 && id <= 58:
		return KindDate
	case id >= 18 && id <= 22, id >= 32 && id <= 35, id >= 45 && id <= 47:
		return KindDateTime
	}
	return KindEmpty
}

// formatKind classifies a custom number format code: KindDate when it shows
// a date only, KindDateTime when it shows a time of day, KindEmpty (a number)
// otherwise. Only the first section counts; quoted text, escaped characters,
// fill/padding characters and bracketed parts are ignored; an elapsed-time
// format such as [h]:mm is a duration, so a number.
func formatKind(code string) Kind {
	var date, clock bool
	lower := strings.ToLower(code)
	for i := 0; i < len(lower); i++ {
		c := lower[i]
		switch c {
		case ';':
			i = len(lower)
		case '"':
			j := strings.IndexByte(lower[i+1:], '"')
			if j < 0 {
				return KindEmpty
			}
			i += j + 1
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(lower[i+1:], ']')
			if j < 0 {
				return KindEmpty
			}
			in := lower[i+1 : i+1+j]
			if strings.Trim(in, "hms") == "" && in != "" {
				return KindEmpty
			}
			i += j + 1
		case 'y', 'd', 'm':
			date = true
		case 'h', 's':
			clock = true
		case 'a':
			if strings.HasPrefix(lower[i:], "am/pm") || strings.HasPrefix(lower[i:], "a/p") {
				clock = true
			}
		}
	}
	switch {
	case clock:
		return KindDateTime
	case date:
		return KindDate
	}
	return KindEmpty
}
