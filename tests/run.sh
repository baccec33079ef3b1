#!/usr/bin/env bash
# tests/run.sh -- runs every test group and closes with "N passed, N failed".
# Each group prints one line per case: "PASS name" or "FAIL name: what differed", or
# "SKIP name: why" for a check this machine cannot make (counted apart, never as passed).
# WCSP_GROUPS='test_* golden e2e' runs only the groups whose names match one of its glob
# patterns (the package build's offline subset, debian/rules); unset or empty runs every group.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
export B WCSPC="$PWD/$B/wcspc"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

group() {   # group NAME COMMAND...: run one suite, keep its lines, show its failures
	local out rc pat sel=${WCSP_GROUPS:-} pats
	if [ -n "$sel" ]; then
		read -ra pats <<<"$sel"
		for pat in "${pats[@]}"; do
			# shellcheck disable=SC2053
			[[ $1 == $pat ]] && break
			pat=
		done
		[ -z "$pat" ] && return 0
	fi
	out=$(mktemp)
	"${@:2}" >"$out" 2>&1
	rc=$?
	local p f s
	p=$(grep -c '^PASS' "$out")
	f=$(grep -c '^FAIL' "$out")
	s=$(grep -c '^SKIP' "$out")
	printf '%-16s %4d passed, %d failed%s\n' "$1" "$p" "$f" "$([ "$s" -gt 0 ] && echo ", $s skipped")"
	grep -A8 '^FAIL' "$out" | grep -v '^PASS' | sed 's/^/    /'
	grep '^SKIP ' "$out" | sed 's/^/    /'
	grep '^INFO ' "$out" | sed 's/^INFO /    /'
	cat "$out" >>"$log"
	# a suite that dies without saying why, or runs nothing, is a failure of its own
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then echo "FAIL $1: exited $rc"; tail -5 "$out"; echo "FAIL $1: exited $rc" >>"$log"; fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then echo "FAIL $1: ran no case"; echo "FAIL $1: ran no case" >>"$log"; fi
	rm -f "$out"
}

for t in "$B"/tests/test_*; do
	[ -x "$t" ] && group "$(basename "$t")" "$t"
done
group golden bash tests/golden/run.sh
group policy-tests bash tests/policy-tests.sh
group e2e bash tests/e2e/run.sh
group tokens-e2e bash tests/e2e/tokens.sh
group alloc bash tests/alloc.sh
group fleet bash tests/fleet.sh
group sim bash tests/sim/run.sh
group limits bash tests/limits.sh
group upgrade bash tests/upgrade.sh
group examples bash examples/run-all.sh
group static bash tests/static.sh
group package bash tests/package.sh
group hardening bash tests/hardening.sh
group style bash tests/style.sh
group docs bash docs/docs-test.sh

pass=$(grep -c '^PASS' "$log")
fail=$(grep -c '^FAIL' "$log")
skip=$(grep -c '^SKIP' "$log")
echo
[ "$skip" -gt 0 ] && echo "$skip skipped (not counted as passed: see the SKIP lines above)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
