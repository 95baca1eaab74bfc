package sheet

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
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

// singleByte returns the table of a single-byte canonical encoding, nil for the
// Unicode ones.
func singleByte(canon string) *charmap.Charmap {
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

// The decoders below never put U+FFFD in place of what they cannot decode, as those of
// golang.org/x/text do: they pass it on as text that is not valid UTF-8, for the reader
// to refuse the row that holds it, naming the bytes (see undecodable). A U+FFFD that the
// file really holds is decoded as any other character.

// byteDecoder decodes a single-byte encoding. A byte the table does not define (0x81 in
// windows-1252) is passed on as it is: a byte of 0x80 or more alone is not UTF-8.
type byteDecoder struct {
	transform.NopResetter
	table *charmap.Charmap
}

func (d byteDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst == len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		r := d.table.DecodeByte(c)
		if r == utf8.RuneError {
			if nDst == len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		if nDst+utf8.RuneLen(r) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc++
	}
	return nDst, nSrc, nil
}

// utf16Decoder decodes UTF-16 without a BOM (the reader consumes it). An unpaired
// surrogate is passed on as its three-byte UTF-8 form, which is not valid UTF-8; an odd
// byte b at the end of the text as 0xFE, 0x80|b>>4, 0x80|b&0xF, which is not either.
type utf16Decoder struct {
	transform.NopResetter
	bigEndian bool
}

func (d utf16Decoder) unit(b []byte) rune {
	if d.bigEndian {
		return rune(b[0])<<8 | rune(b[1])
	}
	return rune(b[1])<<8 | rune(b[0])
}

func (d utf16Decoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		rest := src[nSrc:]
		if len(rest) < 2 {
			if !atEOF {
				return nDst, nSrc, transform.ErrShortSrc
			}
			if nDst+3 > len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			b := rest[0] // an odd byte at the end
			copy(dst[nDst:], []byte{0xFE, 0x80 | b>>4, 0x80 | b&0xF})
			return nDst + 3, nSrc + 1, nil
		}
		u, size := d.unit(rest), 2
		switch {
		case utf16.IsSurrogate(u) && u < 0xDC00: // a high surrogate: a low one must follow
			if len(rest) < 4 && !atEOF {
				return nDst, nSrc, transform.ErrShortSrc
			}
			if len(rest) >= 4 {
				if r := utf16.DecodeRune(u, d.unit(rest[2:])); r != utf8.RuneError {
					u, size = r, 4
				}
			}
		}
		var buf [utf8.UTFMax]byte
		var enc []byte
		if utf16.IsSurrogate(u) {
			enc = append(buf[:0], 0xED, byte(0x80|(u>>6)&0x3F), byte(0x80|u&0x3F))
		} else {
			enc = utf8.AppendRune(buf[:0], u)
		}
		if nDst+len(enc) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], enc)
		nSrc += size
	}
	return nDst, nSrc, nil
}

// undecodable describes the first bytes of s that are not valid UTF-8, as the decoder of
// the encoding enc left them: a byte the file has but the encoding does not define. ok is
// false when s is valid UTF-8.
func undecodable(enc, s string) (why string, ok bool) {
	if utf8.ValidString(s) { // every cell of every row comes here: the fast path first
		return "", false
	}
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || size > 1 {
			i += size
			continue
		}
		break
	}
	if i == len(s) {
		return "", false
	}
	c := s[i]
	switch {
	case enc == "utf-8":
		return fmt.Sprintf("byte 0x%02X is not valid utf-8: set encoding: windows-1252 if the file was saved by excel on windows, or the encoding it was saved with", c), true
	case strings.HasPrefix(enc, "utf-16"):
		if c == 0xED && i+3 <= len(s) && s[i+1] >= 0xA0 && s[i+1] <= 0xBF {
			u := rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F) | 0xD000
			return fmt.Sprintf("the %s code unit 0x%04X is half of a character (an unpaired surrogate): the file is damaged or not %s; save it again as unicode text, or set encoding: to the one it was saved with", enc, u, enc), true
		}
		if c == 0xFE && i+3 <= len(s) {
			c = (s[i+1]&0xF)<<4 | s[i+2]&0xF
		}
		return fmt.Sprintf("the file ends with the odd byte 0x%02X, half of a %s character: the file is cut or not %s; save it again, or set encoding: to the one it was saved with", c, enc, enc), true
	}
	why = fmt.Sprintf("byte 0x%02X is not a character in %s: set encoding: to the encoding the file was saved with", c, enc)
	if r := charmap.Windows1252.DecodeByte(c); enc != "windows-1252" && r != utf8.RuneError {
		why += fmt.Sprintf(" (in windows-1252 it is %q)", r)
	}
	return why, true
}
