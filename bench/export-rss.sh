#!/usr/bin/env bash
# bench/export-rss.sh — peak memory (RSS) and speed of a real `pdbulk run` of an export of
# LEADS leads (default 100,000) to CSV and to XLSX, against a sandbox in its own process.
#
# Usage (from anywhere inside the repository):
#   bash bench/export-rss.sh
#   LEADS=100000 LATENCY=20ms RATE=120 WORK=/tmp/pdbulk-export KEEP=1 bash bench/export-rss.sh
#
# It builds pdbulk, starts `pdbulk sandbox --data $WORK/data --seed-leads $LEADS` (the
# sample leads are loaded once; KEEP=1 reuses them), runs each export under
# /usr/bin/time -v (installed with apt-get when missing), checks that the file holds every
# lead, and prints pdbulk's peak RSS and the records/s. Targets on the reference machine:
# <= 60 MB for CSV, <= 150 MB for XLSX. Exits 1 when an export fails or misses a target.
set -euo pipefail

LEADS=${LEADS:-100000}
LATENCY=${LATENCY:-0s}
RATE=${RATE:-120} # the sandbox's burst limit per 2 s (Ultimate plan), which pdbulk learns from its headers
CSV_TARGET_MB=60
XLSX_TARGET_MB=150

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/pdbulk-export.XXXXXX")}
mkdir -p "$WORK"
sandbox_pid=
cleanup() {
	[[ -n $sandbox_pid ]] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null || true
	[[ "${KEEP:-0}" == 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT

echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $("$GO" version | cut -d' ' -f3)"
echo "work folder: $WORK"
if [[ ! -x /usr/bin/time ]]; then
	{ apt-get update -qq && apt-get install -y -qq time; } >/dev/null 2>&1 || { echo "GNU time is needed (apt-get install time)"; exit 1; }
fi
(cd "$repo" && "$GO" build -o "$WORK/pdbulk" .)

port=$(( 20000 + RANDOM % 20000 ))
"$WORK/pdbulk" sandbox --addr "127.0.0.1:$port" --token bench-token --data "$WORK/data" \
	--seed-leads "$LEADS" --latency "$LATENCY" --rate "$RATE" >"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
sandbox_pid=$!
for _ in $(seq 1 600); do
	grep -q "serving" "$WORK/sandbox.err" 2>/dev/null && break
	kill -0 "$sandbox_pid" 2>/dev/null || { cat "$WORK/sandbox.err"; exit 1; }
	sleep 0.2
done
grep -q "serving" "$WORK/sandbox.err" || { echo "the sandbox did not start"; cat "$WORK/sandbox.err"; exit 1; }

export PIPEDRIVE_BASE_URL="http://127.0.0.1:$port/api/v1" PIPEDRIVE_API_TOKEN=bench-token
status=0
for fmt in csv xlsx; do
	cat >"$WORK/export-$fmt.yaml" <<YAML
kind: export
name: bench-$fmt
entity: leads
query: {archived: all}
target: out/leads.$fmt
columns:
  id: ID
  title: Title
  value.amount: {column: Amount, type: number}
  value.currency: Currency
  label_ids: {column: Labels, lookup: lead_labels.name}
  owner_id: {column: Owner, type: int}
  person_id: {column: Person, type: int}
  organization_id: {column: Organization, type: int}
  expected_close_date: {column: Close, type: date}
  add_time: {column: Created, type: datetime}
  update_time: {column: Updated, type: datetime}
YAML
	start=$(date +%s.%N)
	if ! /usr/bin/time -v "$WORK/pdbulk" run --state "$WORK/state.db" "$WORK/export-$fmt.yaml" 2>"$WORK/run-$fmt.err"; then
		cat "$WORK/run-$fmt.err"; exit 1
	fi
	end=$(date +%s.%N)
	rss_kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$WORK/run-$fmt.err")
	records=$(grep -o '[0-9]* records written' "$WORK/run-$fmt.err" | cut -d' ' -f1)
	target=$CSV_TARGET_MB; [[ $fmt == xlsx ]] && target=$XLSX_TARGET_MB
	rss_mb=$(( rss_kb / 1024 ))
	rate=$(awk -v n="$records" -v s="$start" -v e="$end" 'BEGIN {printf "%.0f", n / (e - s)}')
	echo "$fmt: $records records in $(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.1f", e - s}') s ($rate records/s), peak RSS $rss_mb MB (target <= $target MB)"
	[[ $records == "$LEADS" ]] || { echo "  want $LEADS records"; status=1; }
	(( rss_mb <= target )) || status=1
done
exit $status
