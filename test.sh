#!/usr/bin/env bash
# Runs the whole test suite and prints "N passed, N failed" counted from the TRX results.
set -uo pipefail
cd "$(dirname "$0")"
results="${TEST_RESULTS:-$PWD/TestResults}"
rm -rf "$results"
dotnet build Outrigger.sln -c Release -warnaserror -nologo -v quiet || { echo "0 passed, 1 failed (build failed)"; exit 1; }
# One test assembly at a time: on two cores, assemblies in parallel starve each other's servers and timers.
dotnet test Outrigger.sln -c Release --no-build --nologo -m:1 \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" "$@"
status=$?
passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
