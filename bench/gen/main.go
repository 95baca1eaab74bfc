// Command gen writes the lead spreadsheets that bench/rss.sh validates (see package
// leadgen), and with -job the import job that reads one.
//
//	go run ./bench/gen -format csv -rows 1000000 -out /tmp/leads.csv
//	go run ./bench/gen -job /tmp/rss-csv.yaml -source leads.csv
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pdbulk/pdbulk/bench/leadgen"
)

func main() {
	format := flag.String("format", "csv", "csv, xlsx (inline strings, excelize) or xlsx-sst (shared strings, as Excel saves)")
	rows := flag.Int("rows", 1000, "data rows to write")
	out := flag.String("out", "", "spreadsheet to write")
	job := flag.String("job", "", "import job to write; its name is the file's base name")
	source := flag.String("source", "", "with -job: the spreadsheet the job reads, relative to the job's folder")
	flag.Parse()
	if (*out == "" && *job == "") || *rows < 0 || (*job != "" && *source == "") {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*format, *rows, *out, *job, *source); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(format string, rows int, out, job, source string) error {
	if job != "" {
		name := strings.TrimSuffix(filepath.Base(job), filepath.Ext(job))
		if err := os.WriteFile(job, []byte(leadgen.Job(name, source)), 0o644); err != nil {
			return err
		}
	}
	if out == "" {
		return nil
	}
	switch format {
	case "csv":
		return leadgen.WriteCSV(out, rows)
	case "xlsx":
		return leadgen.WriteXLSX(out, rows)
	case "xlsx-sst":
		return leadgen.WriteXLSXShared(out, rows)
	default:
		return fmt.Errorf("unknown format %q (want csv, xlsx or xlsx-sst)", format)
	}
}
