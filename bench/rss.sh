#!/usr/bin/env bash
# bench/rss.sh — peak memory (RSS) and throughput of `pdbulk validate` on large sheets.
#
# Usage (from anywhere inside the repository):
#   bash bench/rss.sh
#   CSV_ROWS=1000000 XLSX_ROWS=200000 WORK=/tmp/pdbulk-rss KEEP=1 bash bench/rss.sh
#
# What it does:
#   1. builds pdbulk (go build -o $WORK/pdbulk .) and the generator bench/gen;
#   2. generates a CSV_ROWS-row (default 1,000,000) and an XLSX_ROWS-row (default 200,000)
#      10-column lead sheet (7 mapped columns, 3 unmapped; the XLSX with typed cells:
#      styled date serials, numbers, booleans) and a job file for each, with no lookup, so
#      that a validate without credentials checks every row; and the same XLSX_ROWS-row
#      sheet saved the way Excel and LibreOffice save (every text cell t="s", an index into
#      xl/sharedStrings.xml, with 4 distinct strings a row: 800,000 for 200,000 rows);
#   3. runs `pdbulk validate JOB` on each under `/usr/bin/time -v` (installed with apt-get
#      when missing; if that fails, VmHWM is polled from /proc/PID/status instead) with the
#      PIPEDRIVE_* variables removed, and prints the peak RSS in MB and the rows/s.
#
# Targets on the reference 2-core machine: ≤ 100 MB peak RSS for the CSV, ≤ 300 MB for the
# XLSX with inline strings, ≤ 80 MB for the XLSX with shared strings. The script exits 1 when a validate fails or a target is missed. Environment:
#   CSV_ROWS, XLSX_ROWS  sizes of the sheets
#   WORK                 work folder (default: a new mktemp -d folder)
#   KEEP=1               keep the work folder (generated sheets are reused when present)
#   GO                   the go command (default: go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

CSV_ROWS=${CSV_ROWS:-1000000}
XLSX_ROWS=${XLSX_ROWS:-200000}
CSV_TARGET_MB=100
XLSX_TARGET_MB=300
SST_TARGET_MB=80

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/pdbulk-rss.XXXXXX")}
mkdir -p "$WORK"
if [[ "${KEEP:-0}" != 1 ]]; then
	trap 'rm -rf "$WORK"' EXIT
fi

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "work folder: $WORK"

# /usr/bin/time -v reports the peak RSS; install it if missing, else fall back to polling.
TIMER=/usr/bin/time
if [[ ! -x $TIMER ]]; then
	echo "installing GNU time..."
	if ! { apt-get update -qq && apt-get install -y -qq time; } >/dev/null 2>&1 || [[ ! -x $TIMER ]]; then
		echo "GNU time unavailable: polling VmHWM from /proc instead"
		TIMER=
	fi
fi

echo "building pdbulk and the generator..."
(cd "$repo" && "$GO" build -o "$WORK/pdbulk" . && "$GO" build -o "$WORK/gen" ./bench/gen)

gen() { # format rows file
	if [[ -s $3 && "${KEEP:-0}" == 1 && -f $3.rows && $(cat "$3.rows") == "$2" ]]; then
		echo "reusing $3"
		return
	fi
	local t0=$SECONDS
	"$WORK/gen" -format "$1" -rows "$2" -out "$3"
	echo "$2" >"$3.rows"
	echo "generated $3 ($2 rows, $(du -h "$3" | cut -f1), $((SECONDS - t0)) s)"
}

write_job() { # name source
	"$WORK/gen" -job "$WORK/$1.yaml" -source "$2"
}

# measure NAME ROWS TARGET_MB: runs pdbulk validate on $WORK/NAME.yaml, prints the figures.
failed=0
measure() {
	local name=$1 rows=$2 target=$3 job="$WORK/$1.yaml" log="$WORK/$1.log" tv="$WORK/$1.time"
	local rc=0 kb secs start end
	echo "--- pdbulk validate $name.yaml ($rows rows)"
	start=$(date +%s.%N)
	if [[ -n $TIMER ]]; then
		env -u PIPEDRIVE_API_TOKEN -u PIPEDRIVE_BASE_URL -u PIPEDRIVE_COMPANY_DOMAIN \
			"$TIMER" -v -o "$tv" "$WORK/pdbulk" validate "$job" >"$log" 2>&1 || rc=$?
		end=$(date +%s.%N)
		kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
	else
		env -u PIPEDRIVE_API_TOKEN -u PIPEDRIVE_BASE_URL -u PIPEDRIVE_COMPANY_DOMAIN \
			"$WORK/pdbulk" validate "$job" >"$log" 2>&1 &
		local pid=$! hwm
		kb=0
		while kill -0 "$pid" 2>/dev/null; do
			hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
			[[ -n $hwm && $hwm -gt $kb ]] && kb=$hwm
			sleep 0.05
		done
		wait "$pid" || rc=$?
		end=$(date +%s.%N)
	fi
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b - a}')
	grep -E 'rows read|no connection' "$log" | sed 's/^/    /' || true
	if [[ $rc -ne 0 ]]; then
		echo "    FAILED: pdbulk validate exited $rc; last lines of $log:"
		tail -n 20 "$log" | sed 's/^/    /'
		failed=1
		return
	fi
	local mb verdict
	mb=$(awk -v k="$kb" 'BEGIN {printf "%.1f", k / 1024}')
	verdict=met
	if awk -v m="$mb" -v t="$target" 'BEGIN {exit !(m > t)}'; then
		verdict=MISSED
		failed=1
	fi
	printf '    %s: peak RSS %s MB (target <= %s MB: %s); %s s wall, %s rows/s (process wall clock)\n' \
		"$name" "$mb" "$target" "$verdict" "$secs" "$(awk -v r="$rows" -v s="$secs" 'BEGIN {printf "%.0f", r / s}')"
}

gen csv "$CSV_ROWS" "$WORK/leads.csv"
gen xlsx "$XLSX_ROWS" "$WORK/leads.xlsx"
gen xlsx-sst "$XLSX_ROWS" "$WORK/leads-sst.xlsx"
write_job rss-csv leads.csv
write_job rss-xlsx leads.xlsx
write_job rss-xlsx-sst leads-sst.xlsx
measure rss-csv "$CSV_ROWS" "$CSV_TARGET_MB"
measure rss-xlsx "$XLSX_ROWS" "$XLSX_TARGET_MB"
measure rss-xlsx-sst "$XLSX_ROWS" "$SST_TARGET_MB"
exit $failed
