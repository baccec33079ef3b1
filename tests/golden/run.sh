#!/usr/bin/env bash
# tests/golden/run.sh -- compiler golden tests, compared byte for byte.
#   ok/NAME.wcsp    must compile: `wcspc emit` == ok/NAME.c.ok, `wcspc config --app defaultApp`
#                   == ok/NAME.config.ok, `wcspc check` stderr == ok/NAME.warn.ok (if present),
#                   and a second emit gives the same bytes.
#   fail/NAME.wcsp  must fail with exit 1 and stderr == fail/NAME.err.ok.
# GOLDEN_UPDATE=1 rewrites the .ok files from the current compiler (review the diff!).
set -u
cd "$(dirname "$0")"
W=${WCSPC:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() {   # check NAME EXPECTED-FILE ACTUAL-FILE
	if [ "${GOLDEN_UPDATE:-}" = 1 ]; then cp "$3" "$2"; fi
	if [ ! -f "$2" ]; then echo "FAIL $1: no golden file $2"; return; fi
	if cmp -s "$2" "$3"; then echo "PASS $1"; else
		echo "FAIL $1: differs from $2"; diff "$2" "$3" | head -20 | sed 's/^/    /'; fi
}

for f in ok/*.wcsp; do
	n=${f%.wcsp}
	"$W" emit "$f" >"$tmp/c" 2>"$tmp/warn"; rc=$?
	[ $rc -eq 0 ] || { echo "FAIL golden $f: emit exited $rc"; sed 's/^/    /' "$tmp/warn"; continue; }
	check "golden emit $f" "$n.c.ok" "$tmp/c"
	"$W" emit "$f" >"$tmp/c2" 2>/dev/null
	if cmp -s "$tmp/c" "$tmp/c2"; then echo "PASS golden deterministic $f"; else echo "FAIL golden deterministic $f: two emits differ"; fi
	"$W" config "$f" --app defaultApp >"$tmp/cfg" 2>/dev/null
	check "golden config $f" "$n.config.ok" "$tmp/cfg"
	if [ -s "$tmp/warn" ] || [ -f "$n.warn.ok" ]; then check "golden warnings $f" "$n.warn.ok" "$tmp/warn"; fi
done

for f in fail/*.wcsp; do
	n=${f%.wcsp}
	"$W" check "$f" >/dev/null 2>"$tmp/err"; rc=$?
	if [ $rc -ne 1 ]; then echo "FAIL must-fail $f: exit $rc, want 1"; continue; fi
	check "must-fail $f" "$n.err.ok" "$tmp/err"
done
