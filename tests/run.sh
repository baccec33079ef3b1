#!/usr/bin/env bash
# tests/run.sh -- runs every test group and closes with "N passed, N failed".
# Each group prints one line per case: "PASS name" or "FAIL name: what differed".
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
export B WCSPC="$PWD/$B/wcspc"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

group() {   # group NAME COMMAND...
	echo "== $1"
	"${@:2}" 2>&1 | tee -a "$log" | grep -E '^(FAIL|PASS)' | grep -v '^PASS' || true
	# a group that dies without reporting is a failure of its own
	if [ "${PIPESTATUS[0]}" -gt 1 ]; then echo "FAIL $1: exited ${PIPESTATUS[0]}" | tee -a "$log"; fi
}

for t in "$B"/tests/test_*; do
	[ -x "$t" ] && group "$(basename "$t")" "$t"
done
group golden bash tests/golden/run.sh
group e2e bash tests/e2e/run.sh

pass=$(grep -c '^PASS' "$log")
fail=$(grep -c '^FAIL' "$log")
echo
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
