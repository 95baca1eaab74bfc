#!/usr/bin/env bash
# bench/xlsx-libreoffice.sh — does LibreOffice read what pdbulk's sheet writers write, with the
# same cells and the same types?
#
# Usage (from anywhere inside the repository):
#   bash bench/xlsx-libreoffice.sh
#
# What it does:
#   1. installs LibreOffice Calc from the Debian packages when `soffice` is not on PATH
#      (apt-get install libreoffice-calc-nogui, as root or through sudo);
#   2. runs the sheet package's LibreOffice tests (sheet/libreoffice_test.go), which
#      - write a two-sheet workbook with sheet.NewWorkbook (text ids with leading zeros, a
#        20-digit id, a phone number, numbers, a negative number, a boolean, a date, a
#        date-time, a neutralized formula, an empty cell), convert it with
#        `soffice --headless --convert-to csv` (every sheet, text cells quoted, values as
#        shown) and compare every field and whether it is text; then convert it to XLSX with
#        LibreOffice and read the types back with sheet.Open;
#      - write a CSV with sheet.CreateCSV and have LibreOffice import it: number cells,
#        negative ones included, must be numbers, neutralized text must stay text and
#        never become a formula.
#   The same tests run in `go test ./sheet/` whenever soffice is on PATH (skipped otherwise,
#   and with -short). The script exits non-zero when a cell or a type differs.
# Environment:
#   GO   the go command (default: go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

if ! command -v soffice >/dev/null 2>&1; then
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then
		SUDO=sudo
	fi
	echo "soffice not found: installing LibreOffice Calc (headless) from the Debian packages" >&2
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends libreoffice-calc-nogui \
		|| DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends libreoffice-calc
fi
soffice --version

"$GO" test -count=1 -run 'TestLibreOffice' -v ./sheet/
