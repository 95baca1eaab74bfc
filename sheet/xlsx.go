package sheet

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"strconv"
	"strings"
)

// The XLSX reader streams the worksheet XML straight out of the zip package
// (nothing is extracted to disk) with its own SAX loop, because excelize's
// Rows iterator hands back strings only: it drops the cell type and style
// that tell a date from a number and the number 12 from the text "12".
// Shared strings and styles are read once at open.

type sheetRef struct{ name, part string }

// xlsxPkg is an open workbook: its sheets, shared strings and date styles.
type xlsxPkg struct {
	path     string
	o        Options
	file     *os.File
	zr       *zip.Reader
	files    map[string]*zip.File // by lowercase part name
	sheets   []sheetRef
	date1904 bool
	sst      sharedStrings
	noSST    bool   // the shared strings are not loaded (counting rows)
	xfKind   []Kind // per cell style: KindDate, KindDateTime or KindEmpty (not a date)
}

func (p *xlsxPkg) fileErr(sheet string, err error) error {
	return &FileError{Path: p.path, Sheet: sheet, Err: err}
}

// openPkg reads the zip directory of the workbook in the open file f, which it owns (it
// is closed on error, and by close), and loads its workbook, styles and shared strings.
// The directory's size and the inflated size it declares are checked first.
func openPkg(f *os.File, filePath string, o Options) (*xlsxPkg, error) {
	return openPkgWith(context.Background(), f, filePath, o, true)
}

// openPkgWith is openPkg that loads the shared strings only when withSST is true: counting
// rows needs none of them, and a table of 800,000 strings would be read for nothing. Every
// read of the package's bytes fails with ctx's error once ctx ends.
func openPkgWith(ctx context.Context, f *os.File, filePath string, o Options, withSST bool) (*xlsxPkg, error) {
	p := &xlsxPkg{path: filePath, o: o, file: f, noSST: !withSST}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, p.fileErr("", err)
	}
	var ra io.ReaderAt = f
	if ctx.Done() != nil {
		ra = ctxReaderAt{ctx: ctx, r: f}
	}
	if err := checkZipDirectory(ra, st.Size()); err != nil {
		f.Close()
		return nil, p.fileErr("", err)
	}
	zr, err := zip.NewReader(ra, st.Size())
	if err != nil {
		f.Close()
		if ended(err) {
			return nil, p.fileErr("", fmt.Errorf("open zip: %w", err))
		}
		return nil, p.fileErr("", detail(ErrNotSpreadsheet, "open zip: %v", err))
	}
	p.zr = zr
	p.files = make(map[string]*zip.File, len(zr.File))
	var total uint64
	for _, zf := range zr.File {
		p.files[strings.ToLower(strings.TrimPrefix(zf.Name, "/"))] = zf
		total += zf.UncompressedSize64
	}
	if total > uint64(o.maxWorkbook()) {
		f.Close()
		return nil, p.fileErr("", detail(ErrTooLarge, "the workbook inflates to %d bytes, limit %d (raise source.limits.workbook to read it)", total, o.maxWorkbook()))
	}
	if err := p.load(); err != nil {
		f.Close()
		return nil, err
	}
	return p, nil
}

func (p *xlsxPkg) close() error { return p.file.Close() }

// checkZipDirectory reads the end record of the zip file f of the given size and refuses a
// directory of more than MaxZipEntries entries before archive/zip reads it into memory.
func checkZipDirectory(f io.ReaderAt, size int64) error {
	const endLen, maxComment = 22, 65535
	tail := min(size, endLen+maxComment)
	buf := make([]byte, tail)
	if _, err := f.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return err
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < endLen {
		return nil // archive/zip says what is wrong
	}
	entries := binary.LittleEndian.Uint16(buf[i+10:])
	dirSize := binary.LittleEndian.Uint32(buf[i+12:])
	if entries == 0xFFFF || dirSize == 0xFFFFFFFF {
		return detail(ErrTooLarge, "zip64 archives are not read: a workbook has fewer than %d parts", MaxZipEntries)
	}
	if int(entries) > MaxZipEntries || int64(dirSize) > int64(MaxZipEntries)*1024 {
		return detail(ErrTooLarge, "the zip directory has %d entries (%d bytes), limit %d entries", entries, dirSize, MaxZipEntries)
	}
	return nil
}

type xStyles struct {
	NumFmts []struct {
		ID   int    `xml:"numFmtId,attr"`
		Code string `xml:"formatCode,attr"`
	} `xml:"numFmts>numFmt"`
	Xfs []struct {
		NumFmtID int `xml:"numFmtId,attr"`
	} `xml:"cellXfs>xf"`
}

func (p *xlsxPkg) load() error {
	wbPart := "xl/workbook.xml"
	if _, err := p.readRels("_rels/.rels", func(id, typ, target string) {
		if strings.HasSuffix(typ, "/officeDocument") {
			wbPart = resolvePart("", target)
		}
	}); err != nil {
		return err
	}
	type listed struct{ name, id string }
	var sheets []listed
	ok, err := p.walk(wbPart, func(se xml.StartElement, parent string, depth int) error {
		switch {
		case depth == 2 && se.Name.Local == "workbookPr":
			d := attr(se, "date1904")
			p.date1904 = d == "1" || d == "true"
		case depth == 3 && parent == "sheets" && se.Name.Local == "sheet":
			if len(sheets) == MaxSheets {
				return detail(ErrTooLarge, "the workbook lists more than %d sheets", MaxSheets)
			}
			if id := attr(se, "id"); id != "" {
				sheets = append(sheets, listed{name: attr(se, "name"), id: id})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !ok {
		return p.fileErr("", detail(ErrNotSpreadsheet, "zip file has no workbook part"))
	}
	wanted := make(map[string]string, len(sheets)) // r:id of a sheet -> its part
	for _, s := range sheets {
		wanted[s.id] = ""
	}
	dir := path.Dir(wbPart)
	var sstPart, stylesPart string
	if _, err := p.readRels(path.Join(dir, "_rels", path.Base(wbPart)+".rels"), func(id, typ, target string) {
		switch {
		case strings.HasSuffix(typ, "/sharedStrings"):
			if sstPart == "" {
				sstPart = resolvePart(dir, target)
			}
		case strings.HasSuffix(typ, "/styles"):
			if stylesPart == "" {
				stylesPart = resolvePart(dir, target)
			}
		}
		if t, ok := wanted[id]; ok && t == "" {
			wanted[id] = resolvePart(dir, target)
		}
	}); err != nil {
		return err
	}
	if sstPart != "" && !p.noSST {
		if err := p.loadSST(sstPart); err != nil {
			return err
		}
	}
	if stylesPart != "" {
		if err := p.loadStyles(stylesPart); err != nil {
			return err
		}
	}
	for _, s := range sheets {
		p.sheets = append(p.sheets, sheetRef{name: s.name, part: wanted[s.id]})
	}
	if len(p.sheets) == 0 {
		return p.fileErr("", detail(ErrNotSpreadsheet, "workbook has no sheets"))
	}
	return nil
}

// walk streams the small part (within MaxMetadataBytes) and calls fn with each start
// element, the local name of the element at depth 2 that holds it (when it is deeper) and
// its depth (the root element is at depth 1). Nothing but what fn keeps is held: a part of
// millions of elements costs no memory. ok is false when the part does not exist; an error
// of fn ends the walk and is returned as a FileError.
func (p *xlsxPkg) walk(part string, fn func(se xml.StartElement, parent string, depth int) error) (ok bool, _ error) {
	rc, ok, err := p.open(part, MaxMetadataBytes)
	if !ok || err != nil {
		return ok, err
	}
	defer rc.Close()
	dec := newXMLDecoder(rc, p.o.maxCell())
	depth, parent := 0, ""
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			if depth != 0 {
				return true, p.fileErr("", detail(ErrMalformed, "read %s: the xml ends inside an element", part))
			}
			return true, nil
		}
		if err != nil {
			return true, p.fileErr("", xmlError(part, err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 2 {
				parent = t.Name.Local
			}
			if err := fn(t, parent, depth); err != nil {
				return true, p.fileErr("", fmt.Errorf("read %s: %w", part, err))
			}
		case xml.EndElement:
			if depth == 0 {
				return true, p.fileErr("", detail(ErrMalformed, "read %s: an end tag </%s> without its start", part, t.Name.Local))
			}
			depth--
		}
	}
}

// readRels streams the relationships part and calls fn with the Id, Type and Target of
// each relationship; ok is false when the part does not exist.
func (p *xlsxPkg) readRels(part string, fn func(id, typ, target string)) (ok bool, _ error) {
	return p.walk(part, func(se xml.StartElement, _ string, depth int) error {
		if depth == 2 && se.Name.Local == "Relationship" {
			fn(attr(se, "Id"), attr(se, "Type"), attr(se, "Target"))
		}
		return nil
	})
}

func resolvePart(dir, target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(target, "/")
	}
	return path.Join(dir, target)
}

// open opens a part of the package; ok is false when it does not exist. A part whose
// declared size is over limit is refused before it is inflated.
func (p *xlsxPkg) open(part string, limit int64) (io.ReadCloser, bool, error) {
	f, ok := p.files[strings.ToLower(part)]
	if !ok {
		return nil, false, nil
	}
	if f.UncompressedSize64 > uint64(limit) {
		return nil, true, p.fileErr("", detail(ErrTooLarge, "part %s inflates to %d bytes, limit %d", part, f.UncompressedSize64, limit))
	}
	rc, err := f.Open()
	if err != nil {
		if ended(err) {
			return nil, true, p.fileErr("", fmt.Errorf("open %s: %w", part, err))
		}
		return nil, true, p.fileErr("", detail(ErrMalformed, "open %s: %v", part, err))
	}
	return rc, true, nil
}

func (p *xlsxPkg) unmarshal(part string, v any) (bool, error) {
	rc, ok, err := p.open(part, MaxMetadataBytes)
	if !ok || err != nil {
		return ok, err
	}
	defer rc.Close()
	if err := newXMLDecoder(rc, p.o.maxCell()).Decode(v); err != nil {
		return true, p.fileErr("", xmlError(part, err))
	}
	return true, nil
}

// xmlError names the part in an error of its XML: a limit of the guard, or damage.
func xmlError(part string, err error) error {
	if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrMalformed) || ended(err) {
		return fmt.Errorf("read %s: %w", part, err)
	}
	return detail(ErrMalformed, "read %s: %v", part, err)
}

func (p *xlsxPkg) loadStyles(part string) error {
	var st xStyles
	if _, err := p.unmarshal(part, &st); err != nil {
		return err
	}
	custom := make(map[int]Kind, len(st.NumFmts))
	for _, nf := range st.NumFmts {
		custom[nf.ID] = formatKind(nf.Code)
	}
	p.xfKind = make([]Kind, len(st.Xfs))
	for i, xf := range st.Xfs {
		if k, ok := custom[xf.NumFmtID]; ok {
			p.xfKind[i] = k
		} else {
			p.xfKind[i] = builtinFormatKind(xf.NumFmtID)
		}
	}
	return nil
}

// sharedStrings is the shared string table held compactly: the text of every item one
// after the other in arena, and ends[i] the offset in arena where item i ends (it starts
// where item i-1 ends). A Go string is made only when a cell that uses the item is read,
// so that a table of 800,000 strings costs its text plus 4 bytes an item, instead of a
// 16-byte string header and a separate allocation for each.
type sharedStrings struct {
	arena []byte
	ends  []uint32
}

func (t *sharedStrings) len() int { return len(t.ends) }

// get returns item i, which must be below len.
func (t *sharedStrings) get(i int) string {
	start := uint32(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	return string(t.arena[start:t.ends[i]])
}

// sstItemCost is what an item costs in memory besides its text: its offset in ends.
const sstItemCost = 4

// loadSST streams the shared string table into p.sst, within MaxSharedStringsBytes: the
// text of each <t> run is counted, with sstItemCost bytes an item, before it is added to
// the arena. A string over MaxCellBytes is kept cut, with cutMark, for the cells that use
// it to be refused.
func (p *xlsxPkg) loadSST(part string) error {
	rc, ok, err := p.open(part, p.o.maxWorkbook())
	if !ok || err != nil {
		return err
	}
	defer rc.Close()
	// Offsets are uint32: a table is never let past 4 GiB, whatever the limit.
	budget := min(p.o.maxSST(), math.MaxUint32)
	tooLarge := func() error {
		return p.fileErr("", detail(ErrTooLarge,
			"the shared strings table holds more than %d bytes after %d strings (raise source.limits.shared_strings to read it)", p.o.maxSST(), p.sst.len()))
	}
	dec := newXMLDecoder(rc, p.o.maxCell())
	t := &p.sst
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return p.fileErr("", xmlError(part, err))
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "sst":
			// The declared count sizes ends up front, bounded by what the limit lets in.
			if n, err := strconv.ParseInt(attr(se, "uniqueCount"), 10, 64); err == nil && n > 0 && t.ends == nil {
				// A count past what the part could hold (<si/> is 5 bytes) or the limit let
				// in is not trusted for more.
				size := int64(p.files[strings.ToLower(part)].UncompressedSize64)
				n = min(n, budget/sstItemCost, size/5)
				t.ends = make([]uint32, 0, n)
				// The text is at most the part's size less the markup of n items
				// (<si><t/></si>, 13 bytes): sizing the arena so spares the copies of
				// doubling it, which held the old and the new arena at once.
				if hint := min(size-13*n, budget-n*sstItemCost); hint > 0 {
					t.arena = make([]byte, 0, hint)
				}
			}
		case "si":
			room := budget - int64(len(t.arena)) - int64(len(t.ends)+1)*sstItemCost
			if room < 0 {
				return tooLarge()
			}
			lt := limitedText{b: t.arena, start: len(t.arena), limit: p.o.maxCell(), room: int(min(room, math.MaxInt32)), bounded: true}
			if err := appendRichText(dec, "si", &lt); err != nil {
				return p.fileErr("", xmlError(part, err))
			}
			if lt.over {
				return tooLarge()
			}
			t.arena = lt.finish()
			t.ends = append(t.ends, uint32(len(t.arena)))
		}
	}
}

func attr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// richText reads the text of a string item (<si> or <is>) up to the end of
// the element named end: the <t> runs, without phonetic (<rPh>) runs. A text
// over limit bytes is cut there and ends with cutMark.
func richText(dec *xml.Decoder, end string, limit int) (string, error) {
	b := limitedText{limit: limit}
	if err := appendRichText(dec, end, &b); err != nil {
		return "", err
	}
	return b.String(), nil
}

// appendRichText writes the text of a string item up to the end of the element named
// end into b (see richText). Character data is written straight from the decoder's
// buffer, so that nothing is allocated for it besides b's own growth.
func appendRichText(dec *xml.Decoder, end string, b *limitedText) error {
	inT, phonetic := false, 0
	for {
		tok, err := dec.RawToken()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "t":
				inT = true
			case "rPh":
				phonetic++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inT = false
			case "rPh":
				phonetic--
			case end:
				return nil
			}
		case xml.CharData:
			if inT && phonetic == 0 {
				b.Write(t)
				if b.over {
					return nil
				}
			}
		}
	}
}

// limitedText collects text after b[:start] up to limit bytes; past it, the text is cut
// (at a character boundary) and ends with cutMark. When bounded, writing more than
// room bytes in all sets over instead, before anything past room is buffered.
type limitedText struct {
	b       []byte
	start   int
	limit   int
	room    int
	bounded bool // room applies
	cut     bool
	over    bool
}

func (l *limitedText) Write(p []byte) {
	if l.cut || l.over {
		return
	}
	if i := bytes.Index(p, []byte(cutMark)); i >= 0 {
		p, l.cut = p[:i], true
	}
	n := len(l.b) - l.start
	if n+len(p) > l.limit {
		p, l.cut = p[:l.limit-n], true
		p = p[:validPrefix(p)]
	}
	if l.bounded {
		extra := 0
		if l.cut {
			extra = len(cutMark)
		}
		if n+len(p)+extra > l.room {
			l.over = true
			return
		}
	}
	l.b = append(l.b, p...)
}

// finish returns b with the text collected, and cutMark after it when it was cut.
func (l *limitedText) finish() []byte {
	if l.cut {
		l.b = append(l.b, cutMark...)
	}
	return l.b
}

func (l *limitedText) String() string {
	if l.cut {
		return string(l.b[l.start:]) + cutMark
	}
	return string(l.b[l.start:])
}

// chooseSheet finds the sheet named or numbered in o.
func (p *xlsxPkg) chooseSheet(o Options) (sheetRef, error) {
	var names []string
	for _, s := range p.sheets {
		names = append(names, s.name)
	}
	list := nameList(names)
	switch {
	case o.Sheet != "":
		for _, s := range p.sheets {
			if s.name == o.Sheet {
				return s, nil
			}
		}
		for _, s := range p.sheets {
			if strings.EqualFold(s.name, o.Sheet) {
				return s, nil
			}
		}
		return sheetRef{}, p.fileErr(o.Sheet, detail(ErrSheetNotFound, "the workbook has %s", list))
	case o.SheetIndex > 0:
		if o.SheetIndex > len(p.sheets) {
			return sheetRef{}, p.fileErr("", detail(ErrSheetNotFound,
				"sheet %d asked, the workbook has %d: %s", o.SheetIndex, len(p.sheets), list))
		}
		return p.sheets[o.SheetIndex-1], nil
	}
	return p.sheets[0], nil
}

func countXLSX(ctx context.Context, f *os.File, filePath string, o Options) (int, error) {
	p, err := openPkgWith(ctx, f, filePath, o, false)
	if err != nil {
		return 0, err
	}
	defer p.close()
	sh, err := p.chooseSheet(o)
	if err != nil {
		return 0, err
	}
	rc, ok, err := p.open(sh.part, o.maxWorkbook())
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, p.fileErr(sh.name, detail(ErrMalformed, "missing part %s", sh.part))
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, bufSize)
	n, last := 0, 0
	for {
		if _, err := br.ReadSlice('<'); err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err == io.EOF {
				return n, nil
			}
			if ended(err) {
				return n, p.fileErr(sh.name, fmt.Errorf("read %s: %w", sh.part, err))
			}
			return n, p.fileErr(sh.name, detail(ErrMalformed, "read %s: %v", sh.part, err))
		}
		tag, _ := br.Peek(64)
		if i := strings.IndexAny(string(tag), ": />"); i >= 0 && tag[i] == ':' {
			tag = tag[i+1:]
		}
		if len(tag) < 4 || string(tag[:3]) != "row" || (tag[3] != ' ' && tag[3] != '>' && tag[3] != '/') {
			continue
		}
		num := last + 1
		s := string(tag)
		if i := strings.Index(s, ` r="`); i >= 0 {
			if j := strings.IndexByte(s[i+4:], '"'); j >= 0 {
				if v, err := strconv.Atoi(s[i+4 : i+4+j]); err == nil {
					num = v
				}
			}
		}
		last = num
		if num > o.headerRow() {
			n++
		}
	}
}
