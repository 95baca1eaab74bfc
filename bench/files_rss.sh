#!/usr/bin/env bash
# bench/files_rss.sh — peak memory (RSS) and throughput of bulk file uploads (`pdbulk run`
# of a files job with a folder source) against a standalone sandbox.
#
# Usage (from anywhere inside the repository):
#   bash bench/files_rss.sh
#   FILES=200 BIG_MB=100 WORK=/tmp/pdbulk-files KEEP=1 bash bench/files_rss.sh
#
# What it does:
#   1. builds pdbulk;
#   2. writes FILES (default 1,000) files of FILE_KB (default 1024) random bytes in 10
#      folders, and one file of BIG_MB (default 500) MB;
#   3. starts `pdbulk sandbox` on a data folder, in its own process (its memory is not
#      pdbulk's), with --no-limits --latency 20ms --max-upload (BIG_MB + 64) MiB;
#   4. uploads the folder with options.concurrency and upload_concurrency 1, then 8 (mode
#      create: each run uploads every file), each on a fresh sandbox, and prints files/s,
#      MB/s and the ratio;
#   5. uploads the big file alone, and checks that the bytes the sandbox stored have the
#      file's SHA-256;
#   6. restarts the sandbox with a burst limit (--rate LIMIT_RATE per 2 s, default 40, the
#      Growth plan's; no latency) and uploads LIMITED_FILES (default 1,000) files at
#      concurrency 8: files/s against the limit (one request per file; pdbulk learns the
#      limit from the headers and aims at 97.5 % of it);
#   7. measures each `pdbulk run` under `/usr/bin/time -v` (installed with apt-get when
#      missing; else VmHWM is polled from /proc/PID/status), and the sandbox's own peak RSS;
#      prints the CPU time per file of pdbulk (GNU time) and of the sandbox (/proc/PID/stat),
#      with the load average: other processes' load on a 2-core machine bounds the ratio.
#
# Targets on the reference 2-core machine: peak RSS ≤ 60 MB for every run; concurrency 8 at
# least 6× the files/s of concurrency 1; with limits on, at least 95 % of the limit; the big
# file stored byte for byte. The script exits 1 when a run fails or a target is missed.
# Environment:
#   FILES, FILE_KB, BIG_MB, LIMITED_FILES, LIMIT_RATE   sizes and the emulated limit
#   LATENCY                   the sandbox's latency for the unlimited runs (default 20ms)
#   WORK                      work folder (default: a new mktemp -d folder)
#   KEEP=1                    keep the work folder (the generated files are reused)
#   GO                        the go command (default: go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

FILES=${FILES:-1000}
FILE_KB=${FILE_KB:-1024}
BIG_MB=${BIG_MB:-500}
LIMITED_FILES=${LIMITED_FILES:-1000}
LIMIT_RATE=${LIMIT_RATE:-40}
LATENCY=${LATENCY:-20ms}
TARGET_MB=60
TOKEN=bench-token-0123456789

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/pdbulk-files.XXXXXX")}
mkdir -p "$WORK"
sandbox_pid=
stop_sandbox() {
	if [[ -n $sandbox_pid ]]; then
		kill "$sandbox_pid" 2>/dev/null || true
		wait "$sandbox_pid" 2>/dev/null || true
		sandbox_pid=
	fi
}
cleanup() {
	stop_sandbox
	if [[ "${KEEP:-0}" != 1 ]]; then
		rm -rf "$WORK"
	else
		rm -rf "$WORK/sb"
	fi
}
trap cleanup EXIT

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "work folder: $WORK"

TIMER=/usr/bin/time
if [[ ! -x $TIMER ]]; then
	echo "installing GNU time..."
	if ! { apt-get update -qq && apt-get install -y -qq time; } >/dev/null 2>&1 || [[ ! -x $TIMER ]]; then
		echo "GNU time unavailable: polling VmHWM from /proc instead"
		TIMER=
	fi
fi

echo "building pdbulk..."
(cd "$repo" && "$GO" build -o "$WORK/pdbulk" .)

# The files: FILES in 10 folders (d00 … d09), and the big one alone in its folder.
if [[ "${KEEP:-0}" == 1 && -f $WORK/files.done && $(cat "$WORK/files.done") == "$FILES/$FILE_KB/$BIG_MB" ]]; then
	echo "reusing the generated files"
else
	rm -rf "$WORK/files" "$WORK/big"
	t0=$SECONDS
	for ((i = 0; i < FILES; i++)); do
		d=$(printf '%s/files/d%02d' "$WORK" $((i % 10)))
		mkdir -p "$d"
		head -c $((FILE_KB * 1024)) /dev/urandom >"$(printf '%s/f%04d.pdf' "$d" "$i")"
	done
	mkdir -p "$WORK/big"
	head -c $((BIG_MB * 1000 * 1000)) /dev/urandom >"$WORK/big/archive.pdf"
	echo "$FILES/$FILE_KB/$BIG_MB" >"$WORK/files.done"
	echo "generated $FILES files of $FILE_KB KiB and one of $BIG_MB MB ($((SECONDS - t0)) s)"
fi
# A second folder with the first LIMITED_FILES files, for the run under limits.
rm -rf "$WORK/limited" && mkdir -p "$WORK/limited"
find "$WORK/files" -name '*.pdf' | sort | head -n "$LIMITED_FILES" | while read -r f; do
	ln "$f" "$WORK/limited/$(basename "$f")"
done

job() { # name folder concurrency rate_limit
	cat >"$WORK/$1.yaml" <<EOF
kind: import
name: $1
entity: files
source: {folder: $2, glob: "**/*.pdf"}
mode: create
columns:
  file: path
  deal_id: {value: 1}
options: {concurrency: $3, upload_concurrency: $3, max_file_size: $((BIG_MB + 1)) MB, max_rejects: 0, rate_limit: $4}
EOF
}
# Limits off: a sandbox with --no-limits sends no rate-limit headers, and pdbulk's pacer would
# keep to its cautious default (20 requests / 2 s); rate_limit lifts it. With limits on it
# is 0: pdbulk learns the limit from the sandbox's headers, as from Pipedrive's.
job files-c1 files 1 10000
job files-c8 files 8 10000
job files-big big 1 10000
job files-limited limited 8 0

start_sandbox() { # flags...
	stop_sandbox
	local port
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	rm -rf "$WORK/sb"
	"$WORK/pdbulk" sandbox --addr "127.0.0.1:$port" --token "$TOKEN" --data "$WORK/sb" \
		--max-upload "$((BIG_MB + 64))MiB" "$@" >"$WORK/sandbox.log" 2>&1 &
	sandbox_pid=$!
	# Ready when it answers at all: asked without the token (401), so that the probe is not
	# one of the token's requests in the limited run's first window (pdbulk cannot know of
	# it, and it made that window one request over the limit: one 429).
	for _ in $(seq 100); do
		if curl -sS -o /dev/null "http://127.0.0.1:$port/api/v1/leadSources" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	export PIPEDRIVE_BASE_URL="http://127.0.0.1:$port/api/v1" PIPEDRIVE_API_TOKEN=$TOKEN
	unset PIPEDRIVE_COMPANY_DOMAIN
	rm -rf "$WORK/.pdbulk" "$WORK/out"
	echo "sandbox: $* (max upload $((BIG_MB + 64)) MiB)"
}

failed=0
secs=0
runok=0 # the last measure's run created every file
# measure NAME FILES BYTES: runs pdbulk run $WORK/NAME.yaml and prints its figures; sets
# secs to its wall time.
measure() {
	local name=$1 files=$2 bytes=$3 log="$WORK/$1.log" tv="$WORK/$1.time"
	local rc=0 kb start end sb0 sb1
	runok=0
	sb0=$(sandbox_ticks)
	echo "--- pdbulk run $name.yaml ($files files, $((bytes / 1000000)) MB)"
	start=$(date +%s.%N)
	if [[ -n $TIMER ]]; then
		"$TIMER" -v -o "$tv" "$WORK/pdbulk" run "$WORK/$name.yaml" >"$log" 2>&1 || rc=$?
		end=$(date +%s.%N)
		kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
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
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b - a}')
	sb1=$(sandbox_ticks)
	grep -E 'rows read' "$log" | tail -n 1 | sed 's/^/    /' || true
	if [[ $rc -ne 0 ]] || ! grep -q "rows read: $files created" "$log"; then
		echo "    FAILED: pdbulk run exited $rc or did not create every file; last lines of $log:"
		tail -n 20 "$log" | sed 's/^/    /'
		failed=1
		return
	fi
	runok=1
	local mb verdict=met
	mb=$(awk -v k="$kb" 'BEGIN {printf "%.1f", k / 1024}')
	if awk -v m="$mb" -v t="$TARGET_MB" 'BEGIN {exit !(m > t)}'; then
		verdict=MISSED
		failed=1
	fi
	printf '    %s: peak RSS %s MB (target <= %s MB: %s); %s s wall, %s files/s, %s MB/s (process wall clock)\n' \
		"$name" "$mb" "$TARGET_MB" "$verdict" "$secs" \
		"$(awk -v r="$files" -v s="$secs" 'BEGIN {printf "%.1f", r / s}')" \
		"$(awk -v b="$bytes" -v s="$secs" 'BEGIN {printf "%.1f", b / 1000000 / s}')"
	# CPU per file: pdbulk's (user + system, from GNU time) and the sandbox's (from
	# /proc/PID/stat, in clock ticks), with the load average the other processes made.
	local cpu="" sbcpu
	if [[ -n $TIMER ]]; then
		cpu=$(awk -F': ' -v n="$files" '/User time|System time/ {s += $2} END {printf "pdbulk %.2f", s * 1000 / n}' "$tv")
	fi
	sbcpu=$(awk -v a="$sb0" -v b="$sb1" -v t="$(getconf CLK_TCK)" -v n="$files" 'BEGIN {printf "%.2f", (b - a) * 1000 / t / n}')
	printf '    CPU ms per file: %s%ssandbox %s; load %s\n' "$cpu" "${cpu:+, }" "$sbcpu" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# sandbox_ticks prints the CPU time (user + system, clock ticks) the sandbox has used.
sandbox_ticks() {
	awk '{print $14 + $15}' "/proc/$sandbox_pid/stat"
}

sandbox_rss() {
	printf '    sandbox peak RSS so far: %s MB\n' "$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$sandbox_pid/status")"
}

folder_bytes=$((FILES * FILE_KB * 1024))
start_sandbox --no-limits --latency "$LATENCY"
measure files-c1 "$FILES" "$folder_bytes"
c1=$secs
ok1=$runok
# Each of the two runs compared starts on a fresh sandbox: otherwise concurrency 8 writes its
# 1 GB beside the 1 GB concurrency 1 left (into pages the system has not used yet, which cost
# several times the pages the deleted files give back) and into a store that holds 1,000
# files more, and the ratio measures that as well as the upload path.
start_sandbox --no-limits --latency "$LATENCY"
measure files-c8 "$FILES" "$folder_bytes"
c8=$secs
sandbox_rss
if [[ $ok1 == 1 && $runok == 1 ]]; then
	ratio=$(awk -v a="$c1" -v b="$c8" 'BEGIN {printf "%.1f", a / b}')
	verdict=met
	if awk -v r="$ratio" 'BEGIN {exit !(r < 6)}'; then
		verdict=MISSED
		failed=1
	fi
	echo "    concurrency 8 vs 1: ${ratio}x the files/s (target >= 6x: $verdict)"
fi

measure files-big 1 $((BIG_MB * 1000 * 1000))
sandbox_rss
id=$(awk -F, 'NR == 2 {print $NF}' "$WORK/out/files-big.success.csv" 2>/dev/null || true)
if [[ -n $id && -f $WORK/sb/files/$id ]]; then
	want=$(sha256sum "$WORK/big/archive.pdf" | cut -d' ' -f1)
	got=$(sha256sum "$WORK/sb/files/$id" | cut -d' ' -f1)
	if [[ $want == "$got" ]]; then
		echo "    stored file $id: SHA-256 $got, the same as the file's: met"
	else
		echo "    stored file $id: SHA-256 $got, the file's $want: MISSED"
		failed=1
	fi
else
	echo "    the stored file was not found (id '$id'): MISSED"
	failed=1
fi

start_sandbox --rate "$LIMIT_RATE" --search-rate "$LIMIT_RATE"
measure files-limited "$LIMITED_FILES" $((LIMITED_FILES * FILE_KB * 1024))
if [[ $runok == 1 ]]; then
	limit=$(awk -v r="$LIMIT_RATE" 'BEGIN {printf "%.1f", r / 2}')
	got=$(awk -v n="$LIMITED_FILES" -v s="$secs" 'BEGIN {printf "%.1f", n / s}')
	pct=$(awk -v g="$got" -v l="$limit" 'BEGIN {printf "%.0f", 100 * g / l}')
	verdict=met
	if ((pct < 95)); then
		verdict=MISSED
		failed=1
	fi
	echo "    under a limit of $LIMIT_RATE requests / 2 s ($limit files/s): $got files/s, $pct % of the limit (target >= 95 %: $verdict)"
fi
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $failed
