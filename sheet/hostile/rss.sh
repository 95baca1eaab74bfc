#!/usr/bin/env bash
# sheet/hostile/rss.sh — peak memory (RSS) of `pdbulk validate` on the hostile inputs of
# issue 11, written at full size by sheet/hostile/gen (1 GiB zip bombs, a 200 MB line of
# NUL bytes, a 50 MB header cell, /dev/zero...; about 2.5 GB of disk for the CSVs).
#
# Usage: bash sheet/hostile/rss.sh [WORK]   (WORK defaults to a new temporary folder, kept)
# Prints, per input: exit code, peak RSS in MB, wall time, and the last line of stderr.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
WORK=${1:-$(mktemp -d "${TMPDIR:-/tmp}/pdbulk-hostile.XXXXXX")}
mkdir -p "$WORK"
(cd "$repo" && "$GO" build -o "$WORK/pdbulk" . && "$GO" run ./sheet/hostile/gen "$WORK")
printf '%-32s %4s %9s %8s  %s\n' input exit peak_MB seconds "last line of stderr"
for job in "$WORK"/*.yaml; do
	name=$(basename "$job" .yaml)
	set +e
	env -u PIPEDRIVE_API_TOKEN -u PIPEDRIVE_BASE_URL -u PIPEDRIVE_COMPANY_DOMAIN \
		/usr/bin/time -f '%M %e' -o "$WORK/$name.time" "$WORK/pdbulk" validate "$job" 2> "$WORK/$name.err" > /dev/null
	code=$?
	set -e
	read -r kb secs < <(tail -1 "$WORK/$name.time")
	last=$(grep -v '^Command exited' "$WORK/$name.err" | tail -1 | cut -c1-110)
	printf '%-32s %4s %9.1f %8s  %s\n' "$name" "$code" "$(echo "$kb/1024" | bc -l)" "$secs" "$last"
done
