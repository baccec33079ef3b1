#!/usr/bin/env bash
# bench/index.sh -- what a method with many rules costs a request: 1,000 `deny if name == "..."`
# rules (dispatched through a rule index, docs/decisions.md) against 1 such rule, in user-space
# instructions per request under callgrind (bench/callgrind.sh's wcsp column, publishStream).
#
#   bench/index.sh          RULES=1000 (the many); prints both counts and their ratio
#
# The request's name matches no rule, so the plain walk would test every one of them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RULES=${RULES:-1000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wcsp-index.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

policy() {   # policy N FILE: N deny rules on name, then what bench/policy.wcsp does
	{
		echo 'policy "index-bench";'
		echo
		echo 'publishStream {'
		for ((i = 0; i < $1; i++)); do printf '    deny "closed" if name == "stream-%05d";\n' "$i"; done
		echo '    override name = "live-${custom.user}-${name}" if exists custom.user;'
		echo '}'
	} >"$2"
}
policy 1 "$WORK/one.wcsp"
policy "$RULES" "$WORK/many.wcsp"
declare -A per
for p in one many; do
	per[$p]=$(POLICY=$WORK/$p.wcsp "$HERE/callgrind.sh" | awk -F'|' '$2 ~ /publishStream/ { gsub(/ /, "", $3); print $3 }')
done
printf '| rules on publishStream | instructions/request |\n|---|---:|\n| 1 | %s |\n| %s | %s |\n' \
	"${per[one]}" "$RULES" "${per[many]}"
awk -v a="${per[one]}" -v b="${per[many]}" -v n="$RULES" \
	'BEGIN { printf "\nratio %s rules / 1 rule: %.3f\n", n, b / a }'
