#!/usr/bin/env bash
# bench/sandbox-rss.sh — peak memory (RSS) of a sandbox process holding a million leads
# while a client pages through all of them over HTTP (bench/sandboxrss).
#
# Usage (from anywhere inside the repository):
#   bash bench/sandbox-rss.sh
#   LEADS=1000000 SORT="add_time" CONCURRENCY=1 WORK=/tmp/pdbulk-sandbox-rss KEEP=1 bash bench/sandbox-rss.sh
#
# It builds bench/sandboxrss, loads LEADS (default 1,000,000) sample leads into a sandbox
# data folder (reused with KEEP=1 when it holds them already), serves it in a child
# process, pages through GET /leads and /leads/archived 500 at a time, checks that every
# lead came once, and prints the serving process's peak RSS (VmHWM). Target: <= 200 MB.
# Exits 1 when a lead is missing or repeated or the target is missed. Environment:
#   LEADS, SORT, CONCURRENCY   what to hold and how to page (defaults 1000000, "update_time DESC", 4)
#   WORK                       work folder (default: a new mktemp -d folder)
#   KEEP=1                     keep the work folder and its data between runs
#   GO                         the go command (default: go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

LEADS=${LEADS:-1000000}
SORT=${SORT:-update_time DESC}
CONCURRENCY=${CONCURRENCY:-4}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/pdbulk-sandbox-rss.XXXXXX")}
mkdir -p "$WORK"
if [[ "${KEEP:-0}" != 1 ]]; then
	trap 'rm -rf "$WORK"' EXIT
fi

echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $("$GO" version | cut -d' ' -f3)"
echo "work folder: $WORK"
(cd "$repo" && "$GO" build -o "$WORK/sandboxrss" ./bench/sandboxrss)
"$WORK/sandboxrss" -data "$WORK/data" -leads "$LEADS" -sort "$SORT" -concurrency "$CONCURRENCY" -target-mb 200
