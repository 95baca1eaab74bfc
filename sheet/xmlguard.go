package sheet

import (
	"bufio"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// cutEntity is what xmlGuard writes in place of the rest of character data that is too
// long, and cutMark what the decoder turns it into: noncharacters (U+FDD0, U+FDD1) that
// XML allows but no text holds, so a reader that finds cutMark in a text knows it was cut.
const (
	cutEntity = "&pdbulk-cut;"
	cutMark   = "\uFDD0cut\uFDD1"
)

// newXMLDecoder returns a decoder of the XML in src that never buffers more than the
// limits: markup up to MaxMarkupBytes, character data up to maxText bytes once decoded
// (the rest of a longer one is dropped and cutMark put in its place).
func newXMLDecoder(src io.Reader, maxText int) *xml.Decoder {
	dec := xml.NewDecoder(&xmlGuard{src: bufio.NewReaderSize(src, bufSize), maxText: maxText})
	dec.Entity = map[string]string{strings.Trim(cutEntity, "&;"): cutMark}
	return dec
}

type guardState uint8

const (
	gText    guardState = iota // character data
	gCut                       // dropping the rest of character data that is too long
	gOpen                      // after '<'
	gBang                      // after "<!": a comment, a CDATA section or a declaration
	gTag                       // in a start or end tag
	gComment                   // in <!-- -->
	gCDATA                     // in <![CDATA[ ]]>
	gPI                        // in <? ?>
	gDecl                      // in <!DOCTYPE ...> and the like
)

// xmlGuard passes XML through while measuring every piece of it, the way the decoder will
// buffer it; see newXMLDecoder.
type xmlGuard struct {
	src     *bufio.Reader
	maxText int

	st      guardState
	text    int    // decoded bytes of the character data being read
	markup  int    // bytes of the markup being read
	quote   byte   // the quote of an attribute value being read in a tag, 0 outside
	bang    []byte // the bytes after "<!" while deciding what they open
	end     int    // bytes of the terminator of a comment, CDATA section or PI matched
	depth   int    // nesting of [ ] in a declaration
	entity  []byte // the entity reference being read in character data, from '&'
	pending []byte // bytes to emit before any more input
	err     error
}

func (g *xmlGuard) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(g.pending) > 0 {
			c := copy(p[n:], g.pending)
			g.pending = g.pending[c:]
			n += c
			continue
		}
		if g.err != nil {
			break
		}
		chunk, err := g.src.Peek(1)
		if len(chunk) == 0 {
			if err == nil {
				err = io.ErrNoProgress
			}
			g.err = err
			break
		}
		chunk, _ = g.src.Peek(g.src.Buffered())
		used := 0
		for used < len(chunk) && n < len(p) && len(g.pending) == 0 && g.err == nil {
			if g.pass(chunk[used]) {
				p[n] = chunk[used]
				n++
			}
			used++
		}
		g.src.Discard(used)
	}
	if n > 0 {
		return n, nil
	}
	return 0, g.err
}

// pass takes byte c through the state machine; it returns whether c goes to the decoder.
func (g *xmlGuard) pass(c byte) bool {
	switch g.st {
	case gText:
		if c == '<' {
			g.st, g.text, g.markup, g.entity = gOpen, 0, 1, g.entity[:0]
			return true
		}
		if len(g.entity) > 0 || c == '&' {
			return g.entityByte(c)
		}
		if g.text >= g.maxText && utf8.RuneStart(c) {
			g.st = gCut
			g.pending = append(g.pending, cutEntity...)
			return false
		}
		g.text++
		return true
	case gCut:
		if c == '<' {
			g.st, g.text, g.markup = gOpen, 0, 1
			return true
		}
		return false
	}
	g.markup++
	if g.markup > MaxMarkupBytes {
		g.err = detail(ErrTooLarge, "a piece of xml markup is longer than %d bytes", MaxMarkupBytes)
		return false
	}
	switch g.st {
	case gOpen:
		switch c {
		case '!':
			g.st, g.bang = gBang, g.bang[:0]
		case '?':
			g.st, g.end = gPI, 0
		default:
			g.st, g.quote = gTag, 0
			g.tagByte(c)
		}
	case gBang:
		g.bang = append(g.bang, c)
		switch b := string(g.bang); {
		case b == "--":
			g.st, g.end = gComment, 0
		case b == "[CDATA[":
			g.st, g.end = gCDATA, 0
		case strings.HasPrefix("--", b) || strings.HasPrefix("[CDATA[", b):
		default:
			g.st, g.depth, g.quote = gDecl, 0, 0
			for _, d := range g.bang {
				g.declByte(d)
			}
		}
	case gTag:
		g.tagByte(c)
	case gComment:
		g.terminator(c, "-->")
	case gCDATA:
		g.terminator(c, "]]>")
	case gPI:
		g.terminator(c, "?>")
	case gDecl:
		g.declByte(c)
	}
	return true
}

func (g *xmlGuard) tagByte(c byte) {
	switch {
	case g.quote != 0:
		if c == g.quote {
			g.quote = 0
		}
	case c == '"' || c == '\'':
		g.quote = c
	case c == '>':
		g.st = gText
	}
}

func (g *xmlGuard) declByte(c byte) {
	switch {
	case g.quote != 0:
		if c == g.quote {
			g.quote = 0
		}
	case c == '"' || c == '\'':
		g.quote = c
	case c == '[':
		g.depth++
	case c == ']':
		g.depth--
	case c == '>' && g.depth <= 0:
		g.st = gText
	}
}

// terminator matches the bytes that end a comment, a CDATA section or a PI.
func (g *xmlGuard) terminator(c byte, end string) {
	switch {
	case c == end[g.end]:
		g.end++
	case g.end == 2 && c == end[0] && end[0] == end[1]:
		// "]]]>" still ends a CDATA section: the last two ] count.
	case c == end[0]:
		g.end = 1
	default:
		g.end = 0
	}
	if g.end == len(end) {
		g.st, g.end = gText, 0
	}
}

// entityByte reads the bytes of an entity reference in character data and counts what it
// decodes to, so that character data is measured as the decoder will hold it.
func (g *xmlGuard) entityByte(c byte) bool {
	g.entity = append(g.entity, c)
	if c != ';' {
		if len(g.entity) > 32 {
			g.err = detail(ErrMalformed, "an entity reference is longer than 32 bytes")
			return false
		}
		return true
	}
	name := string(g.entity[1 : len(g.entity)-1])
	g.entity = g.entity[:0]
	size := 1
	if strings.HasPrefix(name, "#") {
		base, digits := 10, name[1:]
		if strings.HasPrefix(digits, "x") {
			base, digits = 16, digits[1:]
		}
		if n, err := strconv.ParseUint(digits, base, 32); err == nil && n <= utf8.MaxRune {
			size = max(utf8.RuneLen(rune(n)), 1)
		}
	}
	g.text += size
	return true
}
