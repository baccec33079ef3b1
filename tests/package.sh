#!/usr/bin/env bash
# tests/package.sh -- the wcspc .deb, built, checked and used as an operator would.
#
#   B=build bash tests/package.sh
#
# 1. make deb (tools/deb.sh) with DEB_BUILD_OPTIONS=nocheck, as `make test` has just run the
#    suites the package build would run: dpkg-buildpackage, then lintian (its errors fail;
#    every other tag is shown as INFO, docs/packaging.md explains each).
# 2. dpkg -i of the .deb; wcspc --version from /usr/bin; `wcspc build` of
#    policies/token-publish.wcsp from the installed paths (/usr/lib/wcsp, /usr/include/wcsp),
#    dynamic and --static; each server answers a publishStream as the e2e suite expects.
# 3. the units are where systemd looks (/usr/lib/systemd/system; tests/upgrade.sh verifies
#    them), the man pages render.
# 4. dpkg -r: nothing of the package is left.
# Needs root (dpkg -i): without it, or without dpkg-buildpackage, the cases SKIP with the
# reason. An installed wcspc package is replaced, then removed.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
. tests/lib.sh
if [ "${WCSP_SANITIZED:-}" = 1 ]; then skip "package" "the .deb is built without sanitizers (make test builds it)"; exit 0; fi
if [ "$(id -u)" != 0 ]; then skip "package" "dpkg -i needs root"; exit 0; fi
for t in dpkg-buildpackage dh lintian; do
	command -v "$t" >/dev/null || { skip "package" "$t is not installed (make deps)"; exit 0; }
done

# ---------------------------------------------------------------- build
if DEB_BUILD_OPTIONS=nocheck WCSP_DEB_OUT="$tmp/deb" B="$B" sh tools/deb.sh >"$tmp/deb.log" 2>&1; then
	pass "package: make deb builds the package"
else
	fail "package: make deb" "$(tail -5 "$tmp/deb.log" | tr '\n' ' ')"; exit 0
fi
deb=$(ls "$tmp"/deb/wcspc_*.deb 2>/dev/null | head -1)
[ -f "$deb" ] || { fail "package: the .deb" "none in $tmp/deb"; exit 0; }
info "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"
# lintian ran in tools/deb.sh (which fails on an error): the tags it printed
tags=$(sed -n 's/^\([IWEXPNO]\): wcspc[^:]*: \([^ ]*\).*/\1: \2/p' "$tmp/deb.log" | sort | uniq -c |
	awk '{ printf "%s%s %s (%d)", sep, $2, $3, $1; sep = "; " }')
info "package: lintian --pedantic: ${tags:-no tags}"
if grep -q '^E: wcspc' "$tmp/deb.log"; then fail "package: lintian" "errors: $(grep '^E: wcspc' "$tmp/deb.log" | head -3 | tr '\n' ' ')"
else pass "package: lintian reports no error"; fi
dpkg-deb -f "$deb" Built-Using >"$tmp/bu"
if grep -q 'libmicrohttpd (= ' "$tmp/bu" && grep -q 'nettle (= ' "$tmp/bu"; then
	pass "package: Built-Using names the sources of the static runtime: $(cat "$tmp/bu")"
else fail "package: Built-Using" "'$(cat "$tmp/bu")'"; fi
dpkg-deb -c "$deb" | awk '{ print $6 }' >"$tmp/contents"
want="./usr/bin/wcspc ./usr/lib/wcsp/libwcsprt.a ./usr/lib/wcsp/wcsp_main.o ./usr/include/wcsp/wcsp_abi.h
./usr/lib/wcsp/static/$(uname -m)/toolchain ./usr/lib/systemd/system/wcsp@.service
./usr/lib/systemd/system/wcsp@.socket ./usr/share/man/man1/wcspc.1.gz ./usr/share/doc/wcspc/copyright"
missing=
for f in $want; do grep -qxF "$f" "$tmp/contents" || missing="$missing $f"; done
[ -z "$missing" ] && pass "package: holds the compiler, runtime, headers, static runtime, units, pages" ||
	fail "package: contents" "missing:$missing"

# ---------------------------------------------------------------- install and use
if dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1; then pass "package: dpkg -i"
else fail "package: dpkg -i" "$(tail -3 "$tmp/dpkg.log" | tr '\n' ' ')"; exit 0; fi
trap 'dpkg -r wcspc >/dev/null 2>&1; lib_cleanup' EXIT
v=$(/usr/bin/wcspc --version 2>&1)
[ -n "$v" ] && pass "package: /usr/bin/wcspc --version: $v" || fail "package: wcspc --version" "no output"
body='{"name":"c","custom":{"token":"7c1f0e42d9a84b6b"}}'
for kind in dynamic static; do
	flag=; [ $kind = static ] && flag=--static
	# from a folder of its own, with no variable pointing into the source tree
	if (cd "$tmp" && env -u WCSP_RUNTIME_DIR -u WCSP_INCLUDE_DIR /usr/bin/wcspc build \
		"$OLDPWD/policies/token-publish.wcsp" $flag -o "$tmp/tp-$kind") >"$tmp/b.log" 2>&1; then
		pass "package: installed wcspc build ($kind): $(tail -1 "$tmp/b.log")"
	else fail "package: installed wcspc build ($kind)" "$(peek "$tmp/b.log" 300)"; continue; fi
	if ! start_server "$kind" "$tmp/tp-$kind" --log-level warn; then
		fail "package: $kind server starts" "$(peek "$tmp/srv-$kind/stderr")"; continue; fi
	got=$(curl -s --max-time 5 -XPOST --data-binary "$body" "http://127.0.0.1:$port/a/publishStream")
	deny=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -XPOST \
		--data-binary '{"name":"c","custom":{"token":"guess"}}' "http://127.0.0.1:$port/a/publishStream")
	[ "$got" = "$body" ] && [ "$deny" = 403 ] && pass "package: the $kind server decides (200 echo, 403)" ||
		fail "package: the $kind server decides" "allow gave '$got', deny gave $deny"
	stop_server "$kind" >/dev/null
done
[ -f /usr/lib/systemd/system/wcsp@.socket ] && [ -f /usr/lib/systemd/system/wcsp@.service ] &&
	pass "package: the units are in /usr/lib/systemd/system" || fail "package: units" "not installed"
man -l /usr/share/man/man1/wcspc.1.gz 2>/dev/null | grep -q 'wiring' &&
	pass "package: man wcspc renders, with wiring" || fail "package: man wcspc" "does not render"

# ---------------------------------------------------------------- remove
if dpkg -r wcspc >"$tmp/dpkg.log" 2>&1 && ! dpkg-query -W wcspc 2>/dev/null | grep -q '[0-9]' &&
	[ ! -e /usr/bin/wcspc ] && [ ! -e /usr/lib/wcsp ] && [ ! -e /usr/include/wcsp ]; then
	pass "package: dpkg -r removes it all"
else fail "package: dpkg -r" "$(tail -2 "$tmp/dpkg.log" | tr '\n' ' ') $(ls -d /usr/bin/wcspc /usr/lib/wcsp /usr/include/wcsp 2>&1 | tr '\n' ' ')"; fi
exit 0
