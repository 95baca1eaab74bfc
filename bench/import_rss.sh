#!/usr/bin/env bash
# bench/import_rss.sh — peak memory (RSS) and throughput of real imports (`pdbulk run`, not a
# dry run) against a standalone sandbox with no latency.
#
# Usage (from anywhere inside the repository):
#   bash bench/import_rss.sh
#   CREATE_ROWS=1000000 UPSERT_ROWS=200000 WORK=/tmp/pdbulk-import-rss KEEP=1 bash bench/import_rss.sh
#
# What it does:
#   1. builds pdbulk and the generator bench/gen;
#   2. starts `pdbulk sandbox` in memory on a free loopback port, in its own process (its
#      memory is not pdbulk's), with --rate/--search-rate high enough that pdbulk learns
#      from the x-ratelimit headers that nothing limits it;
#   3. generates a CREATE_ROWS-row (default 1,000,000) 10-column lead CSV and runs a create
#      job on it (key: External ID, so that the id map learns every lead);
#   4. runs an upsert job (match_on: title, key: External ID) on the first UPSERT_ROWS rows
#      (default 200,000) of the same sheet: every row is found through the id map, got, and
#      updated;
#   5. measures each `pdbulk run` under `/usr/bin/time -v` (installed with apt-get when
#      missing; else VmHWM is polled from /proc/PID/status) and prints its peak RSS in MB and
#      its rows/s (rows / process wall clock), and the CPU seconds (user + system) that pdbulk
#      and the sandbox each spent during the run, with their µs per row.
#
# Target on the reference 2-core machine: ≤ 150 MB peak RSS for each run. The script exits 1
# when a run fails, does not finish every row, or misses the target. Environment:
#   CREATE_ROWS, UPSERT_ROWS  sizes of the two runs
#   CONCURRENCY               the jobs' options.concurrency (default 16; 0: adaptive, as when it is not given)
#   WORK                      work folder (default: a new mktemp -d folder)
#   KEEP=1                    keep the work folder (the generated sheet is reused when present)
#   GO                        the go command (default: go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

CREATE_ROWS=${CREATE_ROWS:-1000000}
UPSERT_ROWS=${UPSERT_ROWS:-200000}
CONCURRENCY=${CONCURRENCY:-16}
CONC_OPT="concurrency: $CONCURRENCY, "
if [ "$CONCURRENCY" = 0 ]; then CONC_OPT=; fi
TARGET_MB=150
TOKEN=bench-token-0123456789

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/pdbulk-import-rss.XXXXXX")}
mkdir -p "$WORK"
sandbox_pid=
cleanup() {
	if [[ -n $sandbox_pid ]]; then
		kill "$sandbox_pid" 2>/dev/null || true
		wait "$sandbox_pid" 2>/dev/null || true
	fi
	if [[ "${KEEP:-0}" != 1 ]]; then
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "work folder: $WORK"

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

sheet="$WORK/leads.csv"
if [[ -s $sheet && "${KEEP:-0}" == 1 && -f $sheet.rows && $(cat "$sheet.rows") == "$CREATE_ROWS" ]]; then
	echo "reusing $sheet"
else
	"$WORK/gen" -format csv -rows "$CREATE_ROWS" -out "$sheet"
	echo "$CREATE_ROWS" >"$sheet.rows"
	echo "generated $sheet ($CREATE_ROWS rows, $(du -h "$sheet" | cut -f1))"
fi
head -n $((UPSERT_ROWS + 1)) "$sheet" >"$WORK/upsert.csv"

# A fresh checkpoint for every measurement: the jobs share it (and its id map).
rm -rf "$WORK/.pdbulk" "$WORK/out"

job() { # name mode source extra
	cat >"$WORK/$1.yaml" <<EOF
kind: import
name: $1
entity: leads
source: $3
mode: $2
key: External ID
$4
columns:
  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: Currency
  expected_close_date: {column: Close, type: date}
  visible_to: Visible to
  was_seen: {column: Seen, type: bool}
  owner_id: {column: Owner id, type: int}
  organization_id: {value: 2}
options: {${CONC_OPT}max_rejects: 0}
EOF
}
job bench-create create leads.csv ""
job bench-upsert upsert upsert.csv "match_on: [title]"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$WORK/pdbulk" sandbox --addr "127.0.0.1:$port" --token "$TOKEN" --rate 1000000 --search-rate 1000000 \
	>"$WORK/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 100); do
	if curl -fsS -o /dev/null -H "x-api-token: $TOKEN" "http://127.0.0.1:$port/api/v1/leadSources"; then
		break
	fi
	sleep 0.1
done
export PIPEDRIVE_BASE_URL="http://127.0.0.1:$port/api/v1" PIPEDRIVE_API_TOKEN=$TOKEN
unset PIPEDRIVE_COMPANY_DOMAIN

# sandbox_cpu prints the sandbox's CPU time so far (user + system) in clock ticks.
sandbox_cpu() {
	awk '{print $14 + $15}' "/proc/$sandbox_pid/stat" 2>/dev/null || echo 0
}

failed=0
# measure NAME ROWS: runs pdbulk run $WORK/NAME.yaml and prints its figures.
measure() {
	local name=$1 rows=$2 log="$WORK/$1.log" tv="$WORK/$1.time"
	local rc=0 kb secs start end sb0 sb1 cpu=
	echo "--- pdbulk run $name.yaml ($rows rows)"
	sb0=$(sandbox_cpu)
	start=$(date +%s.%N)
	if [[ -n $TIMER ]]; then
		"$TIMER" -v -o "$tv" "$WORK/pdbulk" run "$WORK/$name.yaml" >"$log" 2>&1 || rc=$?
		end=$(date +%s.%N)
		kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
		cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$tv")
	else
		"$WORK/pdbulk" run "$WORK/$name.yaml" >"$log" 2>&1 &
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
	sb1=$(sandbox_cpu)
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}')
	grep -E 'rows read' "$log" | tail -n 1 | sed 's/^/    /' || true
	if [[ $rc -ne 0 ]]; then
		echo "    FAILED: pdbulk run exited $rc; last lines of $log:"
		tail -n 20 "$log" | sed 's/^/    /'
		failed=1
		return
	fi
	local mb verdict=met
	mb=$(awk -v k="$kb" 'BEGIN {printf "%.1f", k / 1024}')
	if awk -v m="$mb" -v t="$TARGET_MB" 'BEGIN {exit !(m > t)}'; then
		verdict=MISSED
		failed=1
	fi
	printf '    %s: peak RSS %s MB (target <= %s MB: %s); %s s wall, %s rows/s (process wall clock)\n' \
		"$name" "$mb" "$TARGET_MB" "$verdict" "$secs" "$(awk -v r="$rows" -v s="$secs" 'BEGIN {printf "%.0f", r / s}')"
	# CPU per row of each process (user + system): pdbulk's from time -v, the sandbox's from
	# /proc/PID/stat before and after the run.
	awk -v c="$cpu" -v a="$sb0" -v b="$sb1" -v r="$rows" -v t="$(getconf CLK_TCK)" 'BEGIN {
		s = (b - a) / t
		if (c != "") printf "    CPU: pdbulk %.1f s (%.0f us/row), ", c, c * 1e6 / r
		else printf "    CPU: "
		printf "sandbox %.1f s (%.0f us/row)\n", s, s * 1e6 / r
	}'
}

measure bench-create "$CREATE_ROWS"
measure bench-upsert "$UPSERT_ROWS"
exit $failed
