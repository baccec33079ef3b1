#!/bin/sh
# tools/rewrap.sh FILE... -- re-wrap the lines of C files that pass 100 columns (tabs as 8),
# and only those, with clang-format and the repository's .clang-format (docs/style.md).
# A developer's tool: the test suite checks the style (tests/style.sh) without it.
set -eu
command -v clang-format >/dev/null || { echo "rewrap: clang-format is missing (apt-get install clang-format)" >&2; exit 2; }
for f do
	lines=$(awk '{ col = 0; for (i = 1; i <= length($0); i++) col = substr($0, i, 1) == "\t" ? col + 8 - col % 8 : col + 1
		if (col > 100) printf "--lines=%d:%d ", NR, NR }' "$f")
	# shellcheck disable=SC2086
	[ -z "$lines" ] || clang-format -i $lines "$f"
done
