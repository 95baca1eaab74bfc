#!/usr/bin/env bash
# bench/export-libreoffice.sh — does LibreOffice open an XLSX that `pdbulk run` exported with
# the same cells and the same types as pdbulk's own CSV export of the same leads?
#
# Usage (from anywhere inside the repository):
#   bash bench/export-libreoffice.sh
#   LEADS=2000 WORK=/tmp/pdbulk-lo KEEP=1 bash bench/export-libreoffice.sh
#
# What it does:
#   1. installs LibreOffice Calc (apt-get install libreoffice-calc-nogui) when `soffice` is
#      not on PATH, builds pdbulk and starts `pdbulk sandbox --seed-leads $LEADS`;
#   2. exports the leads (active and archived) twice with the same columns, to CSV and to
#      XLSX: ids and titles (text), a formula-like header (neutralized), amounts and owners
#      (numbers), archived (a boolean), label names (a lookup), close dates (dates) and
#      creation times (date-times);
#   3. converts the XLSX with `soffice --headless --convert-to csv` (text cells quoted,
#      values as shown) and compares every cell with the CSV export: the same value, and
#      text columns quoted (text), the others bare (a number, a date or a boolean).
# It exits non-zero when a cell or a type differs, or the files do not hold every lead.
set -euo pipefail

LEADS=${LEADS:-1000}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/pdbulk-export-lo.XXXXXX")}
mkdir -p "$WORK"
sandbox_pid=
cleanup() {
	[[ -n $sandbox_pid ]] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null || true
	[[ "${KEEP:-0}" == 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v soffice >/dev/null 2>&1; then
	sudo=; [[ $(id -u) == 0 ]] || sudo=sudo
	$sudo apt-get update -qq && $sudo apt-get install -y -qq libreoffice-calc-nogui >/dev/null
fi
command -v python3 >/dev/null || { echo "python3 is needed to compare the files"; exit 1; }
(cd "$repo" && "$GO" build -o "$WORK/pdbulk" .)

port=$(( 20000 + RANDOM % 20000 ))
"$WORK/pdbulk" sandbox --addr "127.0.0.1:$port" --token lo-token --seed-leads "$LEADS" --no-limits \
	>"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
sandbox_pid=$!
for _ in $(seq 1 300); do
	grep -q "serving" "$WORK/sandbox.err" 2>/dev/null && break
	kill -0 "$sandbox_pid" 2>/dev/null || { cat "$WORK/sandbox.err"; exit 1; }
	sleep 0.2
done
grep -q "serving" "$WORK/sandbox.err" || { echo "the sandbox did not start"; cat "$WORK/sandbox.err"; exit 1; }
export PIPEDRIVE_BASE_URL="http://127.0.0.1:$port/api/v1" PIPEDRIVE_API_TOKEN=lo-token

for fmt in csv xlsx; do
	cat >"$WORK/export-$fmt.yaml" <<YAML
kind: export
name: lo-$fmt
entity: leads
query: {archived: all}
target: out/leads.$fmt
columns:
  id: ID
  title: "=Title"
  value.amount: {column: Amount, type: number}
  value.currency: Currency
  owner_id: {column: Owner, type: int}
  is_archived: {column: Archived, type: bool}
  label_ids: {column: Labels, lookup: lead_labels.name}
  expected_close_date: {column: Close, type: date}
  add_time: {column: Created, type: datetime}
YAML
	"$WORK/pdbulk" run --state "$WORK/state.db" "$WORK/export-$fmt.yaml" 2>"$WORK/run-$fmt.err" || { cat "$WORK/run-$fmt.err"; exit 1; }
	cat "$WORK/run-$fmt.err"
done

mkdir -p "$WORK/lo"
# 44 = comma, 34 = quote, 76 = UTF-8, 1 = from line 1; then: quote every text cell (true),
# no detect special numbers, save as shown (true), …, every sheet (-1).
HOME="$WORK" soffice --headless --convert-to "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,false,true,false,false,-1" \
	--outdir "$WORK/lo" "$WORK/out/leads.xlsx" >"$WORK/soffice.out" 2>&1 || { cat "$WORK/soffice.out"; exit 1; }
lo=$(ls "$WORK"/lo/*.csv | head -n1)

python3 - "$WORK/out/leads.csv" "$lo" "$LEADS" <<'PY'
import csv, sys
from datetime import datetime

def quoted_fields(text):
    """Splits LibreOffice's CSV into records of (value, quoted) pairs."""
    rows, row, i, n = [], [], 0, len(text)
    while i < n:
        if text[i] == '"':
            i += 1; val = []
            while True:
                j = text.index('"', i)
                val.append(text[i:j]); i = j + 1
                if i < n and text[i] == '"':
                    val.append('"'); i += 1
                else:
                    break
            row.append(("".join(val), True))
        else:
            j = i
            while j < n and text[j] not in ',\n':
                j += 1
            row.append((text[i:j].rstrip('\r'), False)); i = j
        if i < n and text[i] == ',':
            i += 1
            if i >= n or text[i] == '\n':
                row.append(("", False))
        if i < n and text[i] == '\n':
            rows.append(row); row = []; i += 1
    if row:
        rows.append(row)
    return rows

pd_path, lo_path, leads = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(pd_path, newline='', encoding='utf-8-sig') as f:
    pd = list(csv.reader(f))
with open(lo_path, encoding='utf-8') as f:
    lo = quoted_fields(f.read())
kinds = {"ID": "text", "'=Title": "text", "Amount": "number", "Currency": "text", "Owner": "number",
         "Archived": "bool", "Labels": "text", "Close": "date", "Created": "datetime"}
errors = []
header = [v for v, _ in lo[0]]
if header != pd[0]:
    errors.append(f"header: LibreOffice {header}, pdbulk's CSV {pd[0]}")
if len(pd) - 1 != leads or len(lo) - 1 != leads:
    errors.append(f"rows: pdbulk's CSV {len(pd) - 1}, LibreOffice {len(lo) - 1}, want {leads}")
for r, (p, l) in enumerate(zip(pd[1:], lo[1:]), start=2):
    l = l + [("", False)] * (len(p) - len(l))
    for c, name in enumerate(pd[0]):
        want, (got, quoted) = p[c], l[c]
        kind = kinds.get(name, "text")
        ok = True
        if want == "":
            ok = got == ""
        elif kind == "text":
            ok = quoted and got == want
        elif kind == "number":
            ok = not quoted and float(got) == float(want)
        elif kind == "bool":
            ok = not quoted and got.upper() == want.upper()
        elif kind == "date":
            ok = not quoted and got == want
        elif kind == "datetime":
            w = datetime.strptime(want[:19], "%Y-%m-%d %H:%M:%S")
            g = datetime.strptime(got, "%Y-%m-%d %H:%M:%S")
            ok = not quoted and abs((g - w).total_seconds()) <= 1
        if not ok:
            errors.append(f"row {r} {name}: pdbulk's CSV {want!r}, LibreOffice {got!r} ({'text' if quoted else 'not text'}, want {kind})")
for e in errors[:20]:
    print(e)
if errors:
    print(f"{len(errors)} differences")
    sys.exit(1)
print(f"LibreOffice reads the XLSX export as pdbulk's CSV export: {leads} rows x {len(pd[0])} columns, every value and type the same")
PY
