package cli_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/pdbulk/pdbulk/cli"
	"github.com/pdbulk/pdbulk/sandbox"
	"github.com/pdbulk/pdbulk/sheet"
)

// initAndValidate runs pdbulk init on src for entity (with extra init flags), writing the
// draft next to it, then pdbulk validate on the draft as written, and checks that every
// one of want rows is valid. It returns the draft.
func initAndValidate(t *testing.T, entity, src string, want int, flags ...string) string {
	t.Helper()
	job := filepath.Join(t.TempDir(), "job.yaml")
	args := append([]string{"init", "--entity", entity, "-o", job}, flags...)
	r := pdbulk(t, nil, append(args, src)...)
	if r.code != cli.ExitOK {
		t.Fatalf("init %s: exit %d\n%s", src, r.code, r.stderr)
	}
	draft, err := os.ReadFile(job)
	if err != nil {
		t.Fatal(err)
	}
	v := pdbulk(t, nil, "validate", job)
	if v.code != cli.ExitOK {
		t.Fatalf("validate of the draft of %s: exit %d\n%s\ndraft:\n%s", filepath.Base(src), v.code, v.stderr, draft)
	}
	wantContains(t, "validate", v.stderr, fmt.Sprintf("%d rows read", want), fmt.Sprintf(" %d valid, 0 rejected", want))
	return string(draft)
}

// TestInitSamplesValidate: the draft of every sample spreadsheet validates as written,
// and that of leads.csv (day-first dates, decimal commas) imports its 120 rows.
func TestInitSamplesValidate(t *testing.T) {
	samples, err := filepath.Abs("../samples")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		entity, file string
		rows         int
		says         []string
	}{
		{"leads", "leads.csv", 120, []string{`date_format: "DD/MM/YYYY"`, "decimal_comma: true", `split: ";"`, `owner_id: {column: "Owner id", type: int}`, "#   External ID"}},
		{"lead_labels", "lead_labels.csv", 6, []string{`name: "Label"`, `color: {column: "Colour"`}},
		{"filters", "filters.csv", 2, []string{`conditions: {column: "Conditions JSON", type: json}`}},
		{"teams", "teams.csv", 3, []string{`users: {column: "Member ids", split: ","}`, `manager_id: "Manager id"`}},
		{"goals", "goals.xlsx", 3, []string{`duration.start: {column: "Start", type: date}`, `expected_outcome: {column: "Target JSON", type: json}`}},
	} {
		t.Run(s.file, func(t *testing.T) {
			draft := initAndValidate(t, s.entity, filepath.Join(samples, s.file), s.rows)
			wantContains(t, "draft", draft, s.says...)
		})
	}
	t.Run("leads.csv imports", func(t *testing.T) {
		dir := t.TempDir()
		job := filepath.Join(dir, "leads.yaml")
		if r := pdbulk(t, nil, "init", "--entity", "leads", "-o", job, filepath.Join(samples, "leads.csv")); r.code != cli.ExitOK {
			t.Fatalf("init: exit %d", r.code)
		}
		r := pdbulk(t, nil, "run", "--sandbox", "--concurrency", "8", job)
		if r.code != cli.ExitOK {
			t.Fatalf("run --sandbox of the draft: exit %d\n%s", r.code, r.stderr)
		}
		wantContains(t, "run", r.stderr, "120 rows read: 120 created", "0 rejected")
	})
	t.Run("files.csv finds its files", func(t *testing.T) {
		job := filepath.Join(t.TempDir(), "files.yaml")
		if r := pdbulk(t, nil, "init", "--entity", "files", "-o", job, filepath.Join(samples, "files.csv")); r.code != cli.ExitOK {
			t.Fatalf("init: exit %d", r.code)
		}
		draft, _ := os.ReadFile(job)
		root, _ := filepath.Rel(filepath.Dir(job), filepath.Join(samples, "files"))
		wantContains(t, "draft", string(draft), fmt.Sprintf("files: {root: %q}", root), `lead_id: {column: "Lead key", lookup: ids.leads}`)
	})
}

// A LibreOffice export of leads: a title over the table, an empty row (",,,,"), the header
// on row 3, id columns, month-first dates, and an empty row at the end.
const messyLeads = "Leads export Q3 2027,,,,,\n" +
	",,,,,\n" +
	"Lead Title,Amount,Close Date,Contact Person ID,Org ID,Notes\n" +
	"Réseau rollout,1250.50,07/21/2027,12,7,\"two\nlines\"\n" +
	"Data audit,900,12/03/2027,13,,\n" +
	"Training,40,1/30/2028,,8,\n" +
	",,,,,\n"

const messyRows = 3

func wantMessyDraft(t *testing.T, draft string) {
	t.Helper()
	wantContains(t, "draft", draft,
		"header_row: 3",
		`expected_close_date: {column: "Close Date", date_format: "MM/DD/YYYY"}`,
		`person_id: {column: "Contact Person ID", type: int}`,
		`organization_id: {column: "Org ID", type: int}`,
		`value.amount: {column: "Amount", type: number}`,
		"#   Notes")
}

func TestInitMessyFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("banner, header on row 3, month-first dates", func(t *testing.T) {
		draft := initAndValidate(t, "leads", write("banner.csv", []byte(messyLeads)), messyRows)
		wantMessyDraft(t, draft)
		job := filepath.Join(t.TempDir(), "job.yaml")
		abs := regexp.MustCompile(`path: "[^"]*"`).ReplaceAllLiteralString(draft, fmt.Sprintf("path: %q", filepath.Join(dir, "banner.csv")))
		if err := os.WriteFile(job, []byte(abs), 0o644); err != nil {
			t.Fatal(err)
		}
		// The empty row under the table is counted apart; the one above the header is not a row of the table.
		wantContains(t, "validate", pdbulk(t, nil, "validate", job).stderr, "3 rows read (1 empty skipped): 3 valid, 0 rejected")
		if strings.Contains(draft, "encoding") {
			t.Errorf("a UTF-8 file's draft names an encoding:\n%s", draft)
		}
	})
	t.Run("windows-1252", func(t *testing.T) {
		b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(strings.ReplaceAll(messyLeads, "\n", "\r\n")))
		if err != nil {
			t.Fatal(err)
		}
		draft := initAndValidate(t, "leads", write("cp1252.csv", b), messyRows)
		wantMessyDraft(t, draft)
		wantContains(t, "draft", draft, "encoding: windows-1252")
	})
	t.Run("utf-16 with BOM, tab-separated", func(t *testing.T) {
		text := strings.ReplaceAll(messyLeads, ",", "\t")
		u := utf16.Encode([]rune(text))
		b := []byte{0xFF, 0xFE}
		for _, c := range u {
			b = append(b, byte(c), byte(c>>8))
		}
		draft := initAndValidate(t, "leads", write("utf16.txt", b), messyRows)
		wantMessyDraft(t, draft)
	})
	t.Run("workbook: data on the second sheet, header on row 3", func(t *testing.T) {
		p := write("book.xlsx", messyWorkbook(t))
		draft := initAndValidate(t, "leads", p, messyRows)
		wantContains(t, "draft", draft, `sheet: "Leads"`, "header_row: 3",
			`person_id: {column: "Contact Person ID", type: int}`, `organization_id: {column: "Org ID", type: int}`,
			`expected_close_date: {column: "Close Date", date_format: "MM/DD/YYYY"}`)
		r := pdbulk(t, nil, "init", "--entity", "leads", p)
		wantContains(t, "init", r.stderr, `read sheet "Leads" (sheet 2 of 2)`, "took row 3 as the header")
		// By number, as a job's sheet: 2, and by name.
		draft2 := initAndValidate(t, "leads", p, messyRows, "--sheet", "2")
		wantContains(t, "draft", draft2, "sheet: 2", "header_row: 3")
		draft3 := initAndValidate(t, "leads", p, messyRows, "--sheet", "leads", "--header-row", "3")
		wantContains(t, "draft", draft3, `sheet: "Leads"`, "header_row: 3")
	})
}

// messyWorkbook builds the workbook LibreOffice saves for messyLeads on a second sheet,
// after a first sheet of notes.
func messyWorkbook(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	add := func(name, body string) {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	cell := func(ref, v string) string {
		if v == "" {
			return ""
		}
		return fmt.Sprintf(`<c r="%s" t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>`, ref, strings.NewReplacer("&", "&amp;", "<", "&lt;").Replace(v))
	}
	row := func(n int, vals ...string) string {
		var b strings.Builder
		fmt.Fprintf(&b, `<row r="%d">`, n)
		for i, v := range vals {
			b.WriteString(cell(fmt.Sprintf("%c%d", 'A'+i, n), v))
		}
		b.WriteString("</row>")
		return b.String()
	}
	sheetXML := func(rows ...string) string {
		return `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
			strings.Join(rows, "") + `</sheetData></worksheet>`
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)
	add("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	add("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="About" sheetId="1" r:id="rId1"/><sheet name="Leads" sheetId="2" r:id="rId2"/></sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/></Relationships>`)
	add("xl/worksheets/sheet1.xml", sheetXML(row(1, "Exported from the old CRM"), row(2, "Owner: sales ops")))
	add("xl/worksheets/sheet2.xml", sheetXML(
		row(1, "Leads export Q3 2027"),
		row(3, "Lead Title", "Amount", "Close Date", "Contact Person ID", "Org ID", "Notes"),
		row(4, "Réseau rollout", "1250.50", "07/21/2027", "12", "7", "two\nlines"),
		row(5, "Data audit", "900", "12/03/2027", "13", "", ""),
		row(6, "Training", "40", "1/30/2028", "", "8", ""),
	))
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestOnlyFailedReadsUTF8Report: a windows-1252 source (found so, not named in the job)
// has its rejected rows written to a UTF-8 reject report; after the user fixes the report,
// the --only-failed run reads it as the UTF-8 file it is, not in the source's encoding, and
// the names arrive intact.
func TestOnlyFailedReadsUTF8Report(t *testing.T) {
	base := startSandbox(t, sandbox.Options{})
	e := connectedTo(base, testToken)
	dir := t.TempDir()
	src, err := charmap.Windows1252.NewEncoder().String("Name,Color\r\nJosé,green\r\nZoë Müller,notacolour\r\n")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "labels.csv", src)
	job := writeFile(t, dir, "labels.yaml", "kind: import\nentity: lead_labels\nsource: labels.csv\ncolumns: {name: Name, color: Color}\n"+
		"reports: {success: out/ok.csv, rejects: out/rejects.csv}\n")
	state := filepath.Join(dir, "state.db")
	r := pdbulk(t, e, "run", "--state", state, job)
	wantCode(t, r, cli.ExitRejected)
	wantContains(t, "run", r.stderr, "read as windows-1252", "1 created", "1 rejected")
	report, err := os.ReadFile(filepath.Join(dir, "out", "rejects.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(report) || !strings.Contains(string(report), "Zoë Müller") {
		t.Fatalf("reject report is not the UTF-8 text of the source:\n%q", report)
	}
	// The user fixes the colour in the report, which a spreadsheet program saves as UTF-8.
	writeFile(t, dir, "out/rejects.csv", strings.Replace(string(report), "notacolour", "red", 1))
	r = pdbulk(t, e, "run", "--state", state, "--only-failed", job)
	wantCode(t, r, cli.ExitOK)
	labels, _, err := apiClient(t, base).LeadLabels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range labels {
		names = append(names, l.Name)
	}
	if !slices.Contains(names, "Zoë Müller") || !slices.Contains(names, "José") {
		t.Errorf("labels %q, want José and Zoë Müller spelled right", names)
	}
}

// TestInitDraftOfUnknownHeaderSaysWhatToMap: a header that names no field the entity
// needs still gets a draft (its columns listed, to map by hand), and both init and
// validate say which field is missing, not that the YAML is malformed.
func TestInitDraftOfUnknownHeaderSaysWhatToMap(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "export from drive.csv")
	if err := os.WriteFile(src, []byte("Drive file ID,Attach to\n1vQ2-MSA,person\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	job := filepath.Join(dir, "files.yaml")
	r := pdbulk(t, nil, "init", "--entity", "files", "-o", job, src)
	wantCode(t, r, cli.ExitOK)
	wantContains(t, "init", r.stderr, src+": header on row 1", `needs a hand before it validates`, `field "file" is required to create files`)
	draft, err := os.ReadFile(job)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, "draft", string(draft), "columns: {}", "#   Drive file ID", "#   Attach to")
	v := pdbulk(t, nil, "validate", job)
	wantCode(t, v, cli.ExitUsage)
	wantContains(t, "validate", v.stderr, `field "file" is required to create files`)
}

// TestInitRefusesAHeaderTooWide: a header wider than the reader takes gets no draft (which
// validate would refuse), but the reader's reason.
func TestInitRefusesAHeaderTooWide(t *testing.T) {
	dir := t.TempDir()
	cols := make([]string, sheet.MaxColumns+5)
	for i := range cols {
		cols[i] = fmt.Sprintf("C%d", i)
	}
	src := filepath.Join(dir, "wide.csv")
	if err := os.WriteFile(src, []byte(strings.Join(cols, ",")+"\n"+strings.Repeat("v,", len(cols)-1)+"v\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	job := filepath.Join(dir, "wide.yaml")
	r := pdbulk(t, nil, "init", "--entity", "lead_labels", "-o", job, src)
	wantCode(t, r, cli.ExitUsage)
	wantContains(t, "init", r.stderr, fmt.Sprintf("the header has %d columns, more than %d", len(cols), sheet.MaxColumns))
	if _, err := os.Stat(job); err == nil {
		t.Error("init wrote a draft of a header the reader refuses")
	}
}
