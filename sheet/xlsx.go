package sheet

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// The XLSX reader streams the worksheet XML straight out of the zip package
// (nothing is extracted to disk) with its own SAX loop, because excelize's
// Rows iterator hands back strings only: it drops the cell type and style
// that tell a date from a number and the number 12 from the text "12".
// Shared strings and styles are read once at open.

// maxPartBytes bounds the small parts (workbook, relationships, styles) read
// whole into memory, against zip bombs.
const maxPartBytes = 64 << 20

type sheetRef struct{ name, part string }

// xlsxPkg is an open workbook: its sheets, shared strings and date styles.
type xlsxPkg struct {
	path     string
	zr       *zip.ReadCloser
	files    map[string]*zip.File // by lowercase part name
	sheets   []sheetRef
	date1904 bool
	sst      []string
	xfKind   []Kind // per cell style: KindDate, KindDateTime or KindEmpty (not a date)
}

func (p *xlsxPkg) fileErr(sheet string, err error) error {
	return &FileError{Path: p.path, Sheet: sheet, Err: err}
}

func openPkg(filePath string) (*xlsxPkg, error) {
	p := &xlsxPkg{path: filePath}
	zr, err := zip.OpenReader(filePath)
	if err != nil {
		return nil, p.fileErr("", detail(ErrNotSpreadsheet, "open zip: %v", err))
	}
	p.zr = zr
	p.files = make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		p.files[strings.ToLower(strings.TrimPrefix(f.Name, "/"))] = f
	}
	if err := p.load(); err != nil {
		zr.Close()
		return nil, err
	}
	return p, nil
}

type xRels struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

type xWorkbook struct {
	Pr struct {
		Date1904 string `xml:"date1904,attr"`
	} `xml:"workbookPr"`
	Sheets []struct {
		Name  string     `xml:"name,attr"`
		Attrs []xml.Attr `xml:",any,attr"`
	} `xml:"sheets>sheet"`
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
	var root xRels
	if ok, err := p.unmarshal("_rels/.rels", &root); err != nil {
		return err
	} else if ok {
		for _, r := range root.Rels {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				wbPart = resolvePart("", r.Target)
			}
		}
	}
	var wb xWorkbook
	if ok, err := p.unmarshal(wbPart, &wb); err != nil {
		return err
	} else if !ok {
		return p.fileErr("", detail(ErrNotSpreadsheet, "zip file has no workbook part"))
	}
	p.date1904 = wb.Pr.Date1904 == "1" || wb.Pr.Date1904 == "true"
	dir := path.Dir(wbPart)
	var rels xRels
	if _, err := p.unmarshal(path.Join(dir, "_rels", path.Base(wbPart)+".rels"), &rels); err != nil {
		return err
	}
	targets := make(map[string]string, len(rels.Rels))
	for _, r := range rels.Rels {
		targets[r.ID] = resolvePart(dir, r.Target)
		switch {
		case strings.HasSuffix(r.Type, "/sharedStrings"):
			if err := p.loadSST(targets[r.ID]); err != nil {
				return err
			}
		case strings.HasSuffix(r.Type, "/styles"):
			if err := p.loadStyles(targets[r.ID]); err != nil {
				return err
			}
		}
	}
	for _, s := range wb.Sheets {
		for _, a := range s.Attrs {
			if a.Name.Local == "id" {
				p.sheets = append(p.sheets, sheetRef{name: s.Name, part: targets[a.Value]})
			}
		}
	}
	if len(p.sheets) == 0 {
		return p.fileErr("", detail(ErrNotSpreadsheet, "workbook has no sheets"))
	}
	return nil
}

func resolvePart(dir, target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(target, "/")
	}
	return path.Join(dir, target)
}

// open opens a part of the package; ok is false when it does not exist.
func (p *xlsxPkg) open(part string) (io.ReadCloser, bool, error) {
	f, ok := p.files[strings.ToLower(part)]
	if !ok {
		return nil, false, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, true, p.fileErr("", detail(ErrMalformed, "open %s: %v", part, err))
	}
	return rc, true, nil
}

func (p *xlsxPkg) unmarshal(part string, v any) (bool, error) {
	rc, ok, err := p.open(part)
	if !ok || err != nil {
		return ok, err
	}
	defer rc.Close()
	if err := xml.NewDecoder(io.LimitReader(rc, maxPartBytes)).Decode(v); err != nil {
		return true, p.fileErr("", detail(ErrMalformed, "read %s: %v", part, err))
	}
	return true, nil
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

// loadSST streams the shared string table into memory.
func (p *xlsxPkg) loadSST(part string) error {
	rc, ok, err := p.open(part)
	if !ok || err != nil {
		return err
	}
	defer rc.Close()
	dec := xml.NewDecoder(bufio.NewReaderSize(rc, bufSize))
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return p.fileErr("", detail(ErrMalformed, "read %s: %v", part, err))
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "sst":
			if n, err := strconv.Atoi(attr(se, "uniqueCount")); err == nil && n > 0 {
				p.sst = make([]string, 0, min(n, 1<<20))
			}
		case "si":
			s, err := richText(dec, "si")
			if err != nil {
				return p.fileErr("", detail(ErrMalformed, "read %s: %v", part, err))
			}
			p.sst = append(p.sst, s)
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
// the element named end: the <t> runs, without phonetic (<rPh>) runs.
func richText(dec *xml.Decoder, end string) (string, error) {
	var b strings.Builder
	inT, phonetic := false, 0
	for {
		tok, err := dec.RawToken()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", err
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
				return b.String(), nil
			}
		case xml.CharData:
			if inT && phonetic == 0 {
				b.Write(t)
			}
		}
	}
}

// chooseSheet finds the sheet named or numbered in o.
func (p *xlsxPkg) chooseSheet(o Options) (sheetRef, error) {
	names := make([]string, len(p.sheets))
	for i, s := range p.sheets {
		names[i] = fmt.Sprintf("%q", s.name)
	}
	list := strings.Join(names, ", ")
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

func countXLSX(filePath string, o Options) (int, error) {
	p, err := openPkg(filePath)
	if err != nil {
		return 0, err
	}
	defer p.zr.Close()
	sh, err := p.chooseSheet(o)
	if err != nil {
		return 0, err
	}
	rc, ok, err := p.open(sh.part)
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
