// Package hostile writes broken and hostile spreadsheets, for the tests of pdbulk's readers
// and for measuring their memory: files with endless lines, giant cells and headers, zip
// bombs, oversized markup and shared strings, lying zip directories. Every generator streams
// what it writes, so that a file of gigabytes costs no memory to make; a zip bomb of 1 GiB
// of inflated XML takes about 1 MiB on disk.
package hostile

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strings"
)

// Repeat writes n bytes made of s repeated (the last copy cut).
func Repeat(w io.Writer, s string, n int64) error {
	chunk := []byte(strings.Repeat(s, max(1, 64<<10/len(s))))
	for n > 0 {
		b := chunk[:min(int64(len(chunk)), n)]
		if _, err := w.Write(b); err != nil {
			return err
		}
		n -= int64(len(b))
	}
	return nil
}

// WriteFile writes the file path with fill, through a buffer.
func WriteFile(path string, fill func(w io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := fill(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Part is one part of a workbook written by WriteXLSX.
type Part struct {
	Name string
	Fill func(w io.Writer) error
	// Declared, when not 0, is the inflated size the zip directory states for the part
	// in place of its real size: a lying directory.
	Declared uint64
}

// WriteXLSX writes a workbook whose parts are parts, with the minimal workbook and
// relationship parts around one worksheet xl/worksheets/sheet1.xml named "S" (unless parts
// provide their own).
func WriteXLSX(path string, parts ...Part) error {
	return writeXLSX(path, zip.Deflate, parts)
}

// WriteStoredXLSX is WriteXLSX with every part stored uncompressed: much faster to write,
// for fuzzing.
func WriteStoredXLSX(path string, parts ...Part) error {
	return writeXLSX(path, zip.Store, parts)
}

func writeXLSX(path string, method uint16, parts []Part) error {
	have := map[string]bool{}
	for _, p := range parts {
		have[p.Name] = true
	}
	defaults := []Part{
		{Name: "xl/workbook.xml", Fill: text(`<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`)},
		{Name: "xl/_rels/workbook.xml.rels", Fill: text(`<Relationships>` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>` +
			`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
			`</Relationships>`)},
		{Name: "xl/styles.xml", Fill: text(Styles)},
		{Name: "xl/sharedStrings.xml", Fill: text(`<sst></sst>`)},
	}
	for _, d := range defaults {
		if !have[d.Name] {
			parts = append(parts, d)
		}
	}
	return WriteFile(path, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		for _, p := range parts {
			if err := writePart(zw, p, method); err != nil {
				return fmt.Errorf("hostile: part %s: %w", p.Name, err)
			}
		}
		return zw.Close()
	})
}

// Styles is a styles part whose cell formats are: 0 general, 1 a date (format 14), 2 a
// date and time (format 22), 3 a time of day (format 21).
const Styles = `<styleSheet><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="22"/><xf numFmtId="21"/></cellXfs></styleSheet>`

func writePart(zw *zip.Writer, p Part, method uint16) error {
	if p.Declared == 0 {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.Name, Method: method})
		if err != nil {
			return err
		}
		return p.Fill(w)
	}
	// A lying directory: deflate the part first, then state the declared size.
	var raw, packed bytes.Buffer
	if err := p.Fill(&raw); err != nil {
		return err
	}
	fw, err := flate.NewWriter(&packed, flate.BestCompression)
	if err != nil {
		return err
	}
	if _, err := fw.Write(raw.Bytes()); err != nil {
		return err
	}
	if err := fw.Close(); err != nil {
		return err
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: p.Name, Method: zip.Deflate,
		CRC32: crc32.ChecksumIEEE(raw.Bytes()), CompressedSize64: uint64(packed.Len()), UncompressedSize64: p.Declared})
	if err != nil {
		return err
	}
	_, err = w.Write(packed.Bytes())
	return err
}

func text(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

// Sheet returns the fill of a worksheet part holding rows (the XML of <row> elements).
func Sheet(rows ...func(io.Writer) error) func(io.Writer) error {
	return func(w io.Writer) error {
		if _, err := io.WriteString(w, `<worksheet><sheetData>`); err != nil {
			return err
		}
		for _, r := range rows {
			if err := r(w); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, `</sheetData></worksheet>`)
		return err
	}
}

// XML returns a fill that writes s.
func XML(s string) func(io.Writer) error { return text(s) }

// Row returns the XML of row num with inline string cells from column A on.
func Row(num int, cells ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<row r="%d">`, num)
	for i, c := range cells {
		fmt.Fprintf(&b, `<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>`, Col(i), num, c)
	}
	b.WriteString(`</row>`)
	return b.String()
}

// Col returns the letters of the 0-based column i.
func Col(i int) string {
	var b []byte
	for n := i + 1; n > 0; n = (n - 1) / 26 {
		b = append([]byte{byte('A' + (n-1)%26)}, b...)
	}
	return string(b)
}

// Padded returns a fill writing before, then n bytes of pad, then after: a cell or a run
// of white space of any size.
func Padded(before, pad string, n int64, after string) func(io.Writer) error {
	return func(w io.Writer) error {
		if _, err := io.WriteString(w, before); err != nil {
			return err
		}
		if err := Repeat(w, pad, n); err != nil {
			return err
		}
		_, err := io.WriteString(w, after)
		return err
	}
}
