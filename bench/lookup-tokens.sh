#!/usr/bin/env bash
# Tokens spent on lookups through API v2 search against v1 (issue 14): a 5,000-row lead
# import whose rows each resolve a person by e-mail and an organization by name (2,000
# distinct of each), run twice against the in-process sandbox with a daily budget, once
# with search_api v2 and once pinned to v1. Prints the benchmark's figures and the load
# average they were measured under (the machine is shared).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "load: $(uptime)"
go test ./importer/ -run '^$' -bench '^BenchmarkLookupTokens$' -benchtime 1x
