#!/usr/bin/env bash
# bench/compile.sh -- how long `wcspc build` takes for a policy with a large compiled set.
#
#   bench/compile.sh            SIZES="100000 1000000" RUNS=3
#
# For each size N: a file of N distinct 16-hex-digit tokens, a policy with
# `set tokens = file "tokens.txt";` and a deny on it, then RUNS timed `wcspc build` runs
# (wall clock, the C compiler included). Prints the median and the range per size, the
# generated C's size and the binary's.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
SIZES=${SIZES:-100000 1000000}
RUNS=${RUNS:-3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wcsp-compile.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
B=${B:-$ROOT/build}
make -s -C "$ROOT" B="$B" all >/dev/null
W=$B/wcspc

printf '| set entries | wcspc build, median of %d (min-max) | generated C | binary |\n' "$RUNS"
printf '|---:|---:|---:|---:|\n'
for n in $SIZES; do
	head -c $((n * 12)) /dev/urandom | od -An -v -tx8 -w8 | tr -d ' ' | sort -u |
		awk -v n="$n" 'NR <= n' >"$WORK/tokens.txt"
	[ "$(wc -l <"$WORK/tokens.txt")" -eq "$n" ] || { echo "compile: short token file" >&2; exit 1; }
	printf 'policy "big";\nset tokens = file "tokens.txt";\n\npublishStream {\n    deny 403 "no" unless custom.token in tokens;\n}\n' >"$WORK/big.wcsp"
	times=()
	for ((r = 0; r < RUNS; r++)); do
		t0=$(date +%s%N)
		(cd "$WORK" && "$W" build -q big.wcsp -o big) >/dev/null 2>&1
		times+=($((($(date +%s%N) - t0) / 1000000)))
	done
	(cd "$WORK" && "$W" emit big.wcsp -o big.c) 2>/dev/null
	printf '%s\n' "${times[@]}" | sort -n | awk -v n="$n" -v c="$(stat -c %s "$WORK/big.c")" \
		-v b="$(stat -c %s "$WORK/big")" '{ v[NR] = $1 } END {
		printf "| %d | %.2f s (%.2f-%.2f) | %.1f MB | %.1f MB |\n", n, v[int((NR + 1) / 2)] / 1000,
			v[1] / 1000, v[NR] / 1000, c / 1e6, b / 1e6 }'
done
