// Command gen writes the hostile inputs of issue 11 at full size into a folder, each with a
// job file that validates it, for measuring pdbulk's peak memory on them (see rss.sh).
//
//	go run ./sheet/hostile/gen DIR
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pdbulk/pdbulk/sheet/hostile"
)

type input struct {
	name  string // file name, also the job's name
	write func(path string) error
}

func csv(head string, pad string, n int64, tail string) func(string) error {
	return func(p string) error {
		return hostile.WriteFile(p, hostile.Padded(head, pad, n, tail))
	}
}

func sheet(parts ...hostile.Part) func(string) error {
	return func(p string) error { return hostile.WriteXLSX(p, parts...) }
}

func worksheet(rows ...func(io.Writer) error) hostile.Part {
	return hostile.Part{Name: "xl/worksheets/sheet1.xml", Fill: hostile.Sheet(rows...)}
}

const gib = 1 << 30

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	header := hostile.XML(hostile.Row(1, "Title", "Close", "Amount"))
	row := hostile.XML(hostile.Row(2, "A", "2024-01-01", "1"))
	inputs := []input{
		{"nul_200mb.csv", csv("Title,Close,Amount\n", "\x00", 200<<20, "")},
		{"header_cell_50mb.csv", csv("Title,Close,", "H", 50<<20, "\nA,2024-01-01,1\n")},
		{"header_cell_900kb.csv", csv("Title,Closing,", "H", 900<<10, "\nA,2024-01-01\n")},
		{"quote_never_closed_50mb.csv", csv("Title,Close,Amount\nA,\"open,1\n", "B,2024-01-02,2\n", 50<<20, "")},
		{"cell_1gib.csv", csv("Title,Close,Amount\nA,2024-01-01,", "9", gib, "\nB,2024-01-02,2\n")},
		{"whitespace_1gib.xlsx", sheet(worksheet(header, hostile.Padded("", " ", gib, ""), row))},
		{"cell_1gib.xlsx", sheet(worksheet(header,
			hostile.Padded(`<row r="2"><c r="A2" t="inlineStr"><is><t>`, "x", gib, `</t></is></c></row>`),
			hostile.XML(hostile.Row(3, "B", "2024-01-02", "2"))))},
		{"markup_1gib.xlsx", sheet(worksheet(header, hostile.Padded(`<row r="2" x="`, "y", gib, `"/>`)))},
		{"shared_strings_1gib.xlsx", sheet(
			hostile.Part{Name: "xl/sharedStrings.xml", Fill: hostile.Padded("<sst>", "<si><t>"+strings.Repeat("s", 1000)+"</t></si>", gib, "</sst>")},
			worksheet(header))},
		{"many_small_rows_1m.csv", func(p string) error {
			return hostile.WriteFile(p, func(w io.Writer) error {
				if _, err := io.WriteString(w, "Title,Close,Amount\n"); err != nil {
					return err
				}
				for i := range 1_000_000 {
					if _, err := fmt.Fprintf(w, "Lead %d,2024-01-%02d,%d.5\n", i, i%28+1, i); err != nil {
						return err
					}
				}
				return nil
			})
		}},
	}
	for _, in := range inputs {
		p := filepath.Join(dir, in.name)
		if _, err := os.Stat(p); err != nil {
			if err := in.write(p); err != nil {
				fmt.Fprintf(os.Stderr, "gen: %s: %v\n", in.name, err)
				os.Exit(1)
			}
		}
		writeJob(dir, in.name)
	}
	zero := filepath.Join(dir, "dev_zero.csv")
	_ = os.Remove(zero)
	if err := os.Symlink("/dev/zero", zero); err == nil {
		writeJob(dir, "dev_zero.csv")
	}
}

func writeJob(dir, source string) {
	name := strings.ReplaceAll(source, ".", "_")
	job := "name: " + name + "\nentity: leads\nsource: " + source + "\ncolumns:\n  title: Title\n  organization_id: {value: 1}\n" +
		"  expected_close_date: Close\n  value.amount: {column: Amount, type: number}\n  value.currency: {value: EUR}\n"
	if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(job), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}
