#!/usr/bin/env bash
# run-all.sh -- every example: its policy is clean, formatted, fully tested, and its demo
# holds. One line per example, in the protocol of tests/run.sh:
#
#   PASS example NAME
#   FAIL example NAME: STEP: what went wrong       (then the step's output, indented)
#
# Steps, in order: wcspc check -Werror, wcspc fmt --check, wcspc test --coverage at 100%,
# demo.sh (at most 120 s). Needs build/wcspc (`make all`) and curl. Exits 0 when every
# example passes, 1 otherwise. `-v` also prints each demo's output.
set -u
here=$(cd "$(dirname "$0")" && pwd)
W=$here/../build/wcspc
verbose=0
[ "${1:-}" = -v ] && verbose=1

out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT

run_timeout() {   # run_timeout SECONDS COMMAND...: timeout(1) when there is one
	if command -v timeout >/dev/null; then timeout "$@"; else "${@:2}"; fi
}

n=0 failed=0
for dir in "$here"/*/; do
	dir=${dir%/}
	name=$(basename "$dir")
	[ -f "$dir/demo.sh" ] || continue
	n=$((n + 1))
	step='' why=''
	if [ ! -x "$W" ]; then
		step=setup why="$W is missing; run 'make all' in the repository root"
		: >"$out"
	else
		cd "$dir" || exit 1
		"$W" check -Werror -q "$name.wcsp" >"$out" 2>&1
		rc=$?
		if [ "$rc" -ne 0 ]; then
			step="wcspc check -Werror" why="exit $rc"
		elif ! "$W" fmt --check "$name.wcsp" >"$out" 2>&1; then
			step="wcspc fmt --check" why="not in canonical form (wcspc fmt -w $name.wcsp)"
		elif ! "$W" test "$name.wcsp" "$name.tests.wcsp" --coverage --threshold 100 >"$out" 2>&1; then
			step="wcspc test" why="$(sed -n 's/^wcspc test: //p' "$out"); $(grep -m1 '^coverage' "$out")"
		else
			run_timeout 120 bash "$dir/demo.sh" >"$out" 2>&1
			rc=$?
			if [ "$rc" -ne 0 ]; then
				step=demo.sh
				why="exit $rc$([ "$rc" = 124 ] && echo ' (timed out)'); $(grep -c 'MISMATCH' "$out") mismatch(es)"
			fi
			[ "$verbose" = 1 ] && sed 's/^/    /' "$out"
		fi
		cd "$here" || exit 1
	fi
	if [ -z "$step" ]; then
		echo "PASS example $name"
	else
		failed=$((failed + 1))
		echo "FAIL example $name: $step: $why"
		# the lines that say what differed first, then the end of the output
		{ grep -E 'MISMATCH|: (error|warning):|expected|not exercised|^demo' "$out"; tail -5 "$out"; } |
			awk '!seen[$0]++' | head -30 | sed 's/^/    /'
	fi
done
[ "$n" -gt 0 ] || { echo "FAIL examples: no example found in $here"; exit 1; }
[ "$failed" -eq 0 ]
