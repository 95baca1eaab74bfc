#!/usr/bin/env bash
# bench/operator_scale.sh — the operator commands at migration scale (issue 17): wall time and
# pdbulk's peak RSS of `run`, `status`, `run --only-failed`, `undo`, and a resume after an
# interrupt at 50 %, on one ROWS-row lead job against a standalone sandbox with no limits.
#
# Usage (from anywhere inside the repository):
#   bash bench/operator_scale.sh                      # 1,000,000 rows
#   ROWS=200000 KEEP=1 WORK=/tmp/opscale bash bench/operator_scale.sh
#
# The steps, on one checkpoint and one sandbox (a separate process: its memory is not
# pdbulk's):
#   1. run       the create job; every 10th row has the amount "n/a" and is rejected
#                (ROWS/10 rejects: 100,000 at 1M);
#   2. status    of the job;
#   3. only-failed  the reject report, every amount fixed, sent with run --only-failed;
#   4. undo      every record the job created (all ROWS);
#   5. resume    the job is run again (its rows are pending after undo): interrupted with
#                SIGINT once half of step 1's time has passed, then run again: the measured
#                figure is that resumed run.
# The sandbox gets --rate/--search-rate high enough that pdbulk learns from the x-ratelimit
# headers that nothing limits it, and a daily budget that the benchmark cannot spend.
# Each step runs under /usr/bin/time -v (installed with apt-get when missing); the figure is
# the real process's "Maximum resident set size". Target: ≤ 150 MB for every step, and undo
# within 2× the time of run. Exits 1 when a step fails or misses a target.
#   ROWS         data rows (default 1,000,000)
#   CONCURRENCY  the job's options.concurrency (default 16)
#   WORK, KEEP=1, GO  as in bench/import_rss.sh
set -euo pipefail

ROWS=${ROWS:-1000000}
CONCURRENCY=${CONCURRENCY:-16}
TARGET_MB=150
TOKEN=bench-token-0123456789

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/pdbulk-opscale.XXXXXX")}
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
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "work folder: $WORK"
TIMER=/usr/bin/time
if [[ ! -x $TIMER ]]; then
	apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq time >/dev/null 2>&1 || true
fi
[[ -x $TIMER ]] || { echo "GNU time is needed (/usr/bin/time)"; exit 1; }

echo "building pdbulk and the generator..."
(cd "$repo" && "$GO" build -o "$WORK/pdbulk" . && "$GO" build -o "$WORK/gen" ./bench/gen)

sheet="$WORK/leads.csv"
if [[ -s $sheet && -f $sheet.rows && $(cat "$sheet.rows") == "$ROWS" ]]; then
	echo "reusing $sheet"
else
	"$WORK/gen" -format csv -rows "$ROWS" -out "$sheet.gen"
	# Every 10th row gets an amount that is not a number: it is rejected, for --only-failed.
	python3 - "$sheet.gen" "$sheet" <<'PY'
import csv, sys
with open(sys.argv[1], newline='') as f, open(sys.argv[2], 'w', newline='') as g:
    r, w = csv.reader(f), csv.writer(g, lineterminator='\n')
    w.writerow(next(r))
    for i, row in enumerate(r):
        if i % 10 == 9:
            row[2] = 'n/a'
        w.writerow(row)
PY
	rm -f "$sheet.gen"
	echo "$ROWS" >"$sheet.rows"
	echo "generated $sheet ($ROWS rows, $(du -h "$sheet" | cut -f1))"
fi
rm -rf "$WORK/.pdbulk" "$WORK/out"
cat >"$WORK/opscale.yaml" <<EOF
kind: import
name: opscale
entity: leads
source: leads.csv
mode: create
key: External ID
columns:
  title: Lead Title
  value.amount: {column: Amount, type: number}
  value.currency: Currency
  expected_close_date: {column: Close, type: date}
  visible_to: Visible to
  was_seen: {column: Seen, type: bool}
  owner_id: {column: Owner id, type: int}
  organization_id: {value: 2}
options: {concurrency: $CONCURRENCY}
EOF

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$WORK/pdbulk" sandbox --addr "127.0.0.1:$port" --token "$TOKEN" --rate 1000000 --search-rate 1000000 --daily-budget 1000000000000 \
	>"$WORK/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 100); do
	curl -fsS -o /dev/null -H "x-api-token: $TOKEN" "http://127.0.0.1:$port/api/v1/leadSources" && break
	sleep 0.1
done
export PIPEDRIVE_BASE_URL="http://127.0.0.1:$port/api/v1" PIPEDRIVE_API_TOKEN=$TOKEN
unset PIPEDRIVE_COMPANY_DOMAIN

failed=0
declare -A SECS
# measure LABEL ROWS EXPECT_RC ARGS...: runs pdbulk ARGS under GNU time and prints its figures.
measure() {
	local label=$1 rows=$2 want=$3
	shift 3
	local log="$WORK/$label.log" tv="$WORK/$label.time" rc=0 kb secs start end
	echo "--- pdbulk $* ($label)"
	start=$(date +%s.%N)
	"$TIMER" -v -o "$tv" "$WORK/pdbulk" "$@" >"$log" 2>&1 || rc=$?
	end=$(date +%s.%N)
	kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}')
	SECS[$label]=$secs
	grep -E 'rows read|records created by the job|^pending|^done|^rejected' "$log" | tail -n 4 | sed 's/^/    /' || true
	if [[ " $want " != *" $rc "* ]]; then
		echo "    FAILED: exit $rc (want $want); last lines of $log:"
		tail -n 20 "$log" | sed 's/^/    /'
		failed=1
	fi
	local mb verdict=met
	mb=$(awk -v k="$kb" 'BEGIN {printf "%.1f", k / 1024}')
	if awk -v m="$mb" -v t="$TARGET_MB" 'BEGIN {exit !(m > t)}'; then
		verdict=MISSED
		failed=1
	fi
	printf '    %s: %s s wall, peak RSS %s MB (target <= %s MB: %s), %s rows/s, load %s\n' \
		"$label" "$secs" "$mb" "$TARGET_MB" "$verdict" \
		"$(awk -v r="$rows" -v s="$secs" 'BEGIN {if (s > 0) printf "%.0f", r / s; else print "-"}')" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

job="$WORK/opscale.yaml"
# Exit 3: rows rejected (the bad amounts), the outcome step 1 expects.
measure run "$ROWS" "3" run "$job"
measure status "$ROWS" "0" status "$job"

# Fix every amount in the reject report, as a user would.
python3 - "$WORK/out/opscale.rejects.csv" <<'PY'
import csv, sys
p = sys.argv[1]
with open(p, newline='') as f:
    rows = list(csv.reader(f))
a = rows[0].index('Amount')
for row in rows[1:]:
    row[a] = '1'
with open(p, 'w', newline='') as f:
    csv.writer(f, lineterminator='\n').writerows(rows)
print(f"    fixed {len(rows) - 1} rows of the reject report")
PY
measure only-failed "$((ROWS / 10))" "0" run --only-failed "$job"
measure undo "$ROWS" "0" undo --yes "$job"

# Run the job again (its rows are pending after undo) and interrupt it halfway.
half=$(awk -v s="${SECS[run]}" 'BEGIN {printf "%.1f", s / 2}')
echo "--- pdbulk run (interrupted with SIGINT after ${half} s)"
"$WORK/pdbulk" run "$job" >"$WORK/interrupted.log" 2>&1 &
pid=$!
sleep "$half"
kill -INT "$pid" 2>/dev/null || echo "    (the run had ended before the interrupt)"
wait "$pid" || true
grep -E 'rows read' "$WORK/interrupted.log" | tail -n 1 | sed 's/^/    /'
# Exit 3: the rows fixed only in the reject report are rejected again from the source.
measure resume "$ROWS" "0 3" run "$job"

echo "--- undo vs run: $(awk -v u="${SECS[undo]}" -v r="${SECS[run]}" 'BEGIN {printf "%.2f", u / r}')× (target <= 2)"
if awk -v u="${SECS[undo]}" -v r="${SECS[run]}" 'BEGIN {exit !(u > 2 * r)}'; then
	failed=1
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $failed
