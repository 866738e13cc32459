#!/usr/bin/env bash
# Command 2 of the README: install what is missing, then run every test. Safe to run twice.
# Test results (TRX) go to test-output/; the last line is "N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
scripts/ensure-deps.sh test
rm -rf test-output
status=0
dotnet test Geo.sln -c Release --logger "trx" --results-directory test-output --logger "console;verbosity=minimal" || status=$?
python3 scripts/trx-summary.py test-output || status=1
exit $status
