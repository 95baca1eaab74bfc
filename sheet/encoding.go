package sheet

import (
	"slices"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// Encodings lists the canonical names of the CSV text encodings Open
// supports, in the order messages and documentation show them. "utf-16"
// takes the byte order from the file's BOM (little endian without one).
var Encodings = []string{"utf-8", "utf-16", "utf-16le", "utf-16be", "windows-1252", "iso-8859-1", "iso-8859-15", "macintosh"}

// encodingAliases maps every accepted spelling (lower case, "_" as "-") to
// its canonical name in Encodings.
var encodingAliases = map[string]string{
	"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8", "utf-8-bom": "utf-8",
	"utf-16": "utf-16", "utf16": "utf-16",
	"utf-16le": "utf-16le", "utf16le": "utf-16le",
	"utf-16be": "utf-16be", "utf16be": "utf-16be",
	"windows-1252": "windows-1252", "windows1252": "windows-1252", "cp1252": "windows-1252", "win1252": "windows-1252",
	"iso-8859-1": "iso-8859-1", "iso8859-1": "iso-8859-1", "latin1": "iso-8859-1", "latin-1": "iso-8859-1",
	"iso-8859-15": "iso-8859-15", "iso8859-15": "iso-8859-15", "latin9": "iso-8859-15", "latin-9": "iso-8859-15",
	"macintosh": "macintosh", "mac-roman": "macintosh", "macroman": "macintosh",
}

// EncodingAliases returns every accepted spelling of an encoding name (as
// EncodingName matches them), sorted by canonical name then spelling.
func EncodingAliases() []string {
	out := make([]string, 0, len(encodingAliases))
	for _, canon := range Encodings {
		var names []string
		for alias, c := range encodingAliases {
			if c == canon {
				names = append(names, alias)
			}
		}
		slices.Sort(names)
		out = append(out, names...)
	}
	return out
}

// EncodingName returns the canonical name (one of Encodings) of an encoding
// name or alias, matched without regard to case, surrounding space or "_"
// versus "-"; ok is false when Open does not support it. "" is not a name:
// Options.Encoding "" means detect.
func EncodingName(name string) (canon string, ok bool) {
	canon, ok = encodingAliases[strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "_", "-")]
	return canon, ok
}

// singleByte returns the decoder of a single-byte canonical encoding, nil
// for the Unicode ones.
func singleByte(canon string) encoding.Encoding {
	switch canon {
	case "windows-1252":
		return charmap.Windows1252
	case "iso-8859-1":
		return charmap.ISO8859_1
	case "iso-8859-15":
		return charmap.ISO8859_15
	case "macintosh":
		return charmap.Macintosh
	}
	return nil
}
