#!/usr/bin/env bash
# tests/golden/run.sh -- compiler golden tests, compared byte for byte.
#   ok/NAME.wcsp    must compile: `wcspc emit` == ok/NAME.c.ok, `wcspc config --app defaultApp`
#                   == ok/NAME.config.ok, `wcspc check` stderr == ok/NAME.warn.ok (if present),
#                   and a second emit gives the same bytes.
#                   `wcspc fmt` == ok/NAME.fmt.ok, fmt is idempotent, and the formatted
#                   policy compiles to the same tables (rule locations and banner aside).
#   fail/NAME.wcsp  must fail with exit 1 and stderr == fail/NAME.err.ok. A first line
#                   `# flags: ...` passes those flags to wcspc check (e.g. -Werror).
#   ../../policies/*.wcsp are checked clean and already formatted.
#   wiring/         `wcspc wiring`: the WCS command lines of ok/*.wcsp (ok-NAME.ok), of
#                   ../../policies/*.wcsp (policy-NAME.ok) and of wiring/apps.wcsp; --check of
#                   wiring/check-NAME.txt, what WCS printed, gives wiring/check-NAME.ok.
# GOLDEN_UPDATE=1 rewrites the .ok files from the current compiler (review the diff!).
set -u
cd "$(dirname "$0")"
W=${WCSPC:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# scratch copies live in $tmp, never in the source tree: ok/ is copied so that a formatted
# policy finds its set files beside it
cp -r ok "$tmp/ok"
before=$(find . -type f | sort | md5sum)

check() {   # check NAME EXPECTED-FILE ACTUAL-FILE
	if [ "${GOLDEN_UPDATE:-}" = 1 ]; then cp "$3" "$2"; fi
	if [ ! -f "$2" ]; then echo "FAIL $1: no golden file $2"; return; fi
	if cmp -s "$2" "$3"; then echo "PASS $1"; else
		echo "FAIL $1: differs from $2"; diff "$2" "$3" | head -20 | sed 's/^/    /'; fi
}

# emitted C without what depends on the file's name and line numbers, nor the comments that
# quote the source (its spacing is the formatter's to change)
tables() { sed -E -e '1,/^ \*\/$/d' -e 's/"[^"]*\.wcsp:[0-9]+"/"LOC"/g' -e '/^\t\.(hash|source) = /d' \
	-e 's#[[:space:]]*/\* .* \*/##'; }

for f in ok/*.wcsp; do
	n=${f%.wcsp}
	"$W" emit "$f" >"$tmp/c" 2>"$tmp/warn"; rc=$?
	[ $rc -eq 0 ] || { echo "FAIL golden $f: emit exited $rc"; sed 's/^/    /' "$tmp/warn"; continue; }
	check "golden emit $f" "$n.c.ok" "$tmp/c"
	if ${CC:-cc} -std=c11 -Wall -Wextra -Werror -pedantic -I../../runtime -c -x c "$tmp/c" -o "$tmp/o" 2>"$tmp/ccerr"; then
		echo "PASS golden C compiles clean $f"
	else echo "FAIL golden C compiles clean $f:"; head -5 "$tmp/ccerr"; fi
	"$W" emit "$f" >"$tmp/c2" 2>/dev/null
	if cmp -s "$tmp/c" "$tmp/c2"; then echo "PASS golden deterministic $f"; else echo "FAIL golden deterministic $f: two emits differ"; fi
	"$W" config "$f" --app defaultApp >"$tmp/cfg" 2>/dev/null
	check "golden config $f" "$n.config.ok" "$tmp/cfg"
	if [ -s "$tmp/warn" ] || [ -f "$n.warn.ok" ]; then check "golden warnings $f" "$n.warn.ok" "$tmp/warn"; fi
	# fmt: golden, idempotent, same tables
	"$W" fmt "$f" >"$tmp/fmt.wcsp" 2>/dev/null
	check "golden fmt $f" "$n.fmt.ok" "$tmp/fmt.wcsp"
	cp "$tmp/fmt.wcsp" "$tmp/ok/formatted.wcsp"
	"$W" fmt "$tmp/ok/formatted.wcsp" >"$tmp/fmt2.wcsp" 2>/dev/null
	if cmp -s "$tmp/fmt.wcsp" "$tmp/fmt2.wcsp"; then echo "PASS fmt idempotent $f"; else echo "FAIL fmt idempotent $f: second fmt differs"; fi
	"$W" emit "$tmp/ok/formatted.wcsp" 2>/dev/null | tables >"$tmp/t2"
	tables <"$tmp/c" >"$tmp/t1"
	if cmp -s "$tmp/t1" "$tmp/t2"; then echo "PASS fmt same tables $f"; else echo "FAIL fmt same tables $f: tables differ"; diff "$tmp/t1" "$tmp/t2" | head -5; fi
done

for f in ../../policies/*.wcsp; do
	if "$W" check -Werror "$f" >/dev/null 2>"$tmp/err"; then echo "PASS policy check $f"; else echo "FAIL policy check $f:"; cat "$tmp/err"; fi
	if "$W" fmt --check "$f" 2>"$tmp/err"; then echo "PASS policy formatted $f"; else echo "FAIL policy formatted $f: $(cat "$tmp/err")"; fi
done

for f in fail/*.wcsp; do
	n=${f%.wcsp}
	flags=$(sed -n '1s/^# flags: //p' "$f")
	# shellcheck disable=SC2086
	"$W" check $flags "$f" >/dev/null 2>"$tmp/err"; rc=$?
	if [ $rc -ne 1 ]; then echo "FAIL must-fail $f: exit $rc, want 1"; continue; fi
	check "must-fail $f" "$n.err.ok" "$tmp/err"
done

# the command line: exit codes and the messages that are not about a policy's text
cli() {   # cli NAME WANT-EXIT WANT-STDERR-LINE ARGS...
	local name=$1 want=$2 line=$3; shift 3
	timeout 20 "$W" "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
	if [ $rc -ne "$want" ]; then echo "FAIL cli $name: exit $rc, want $want"; sed 's/^/    /' "$tmp/err"; return; fi
	if [ -n "$line" ] && ! grep -qxF -- "$line" "$tmp/err"; then
		echo "FAIL cli $name: stderr lacks: $line"; sed 's/^/    /' "$tmp/err"; return; fi
	echo "PASS cli $name"
}
cli missing-file 1 "wcspc: error: cannot read 'nope.wcsp': No such file or directory" check nope.wcsp
cli no-command 2 "wcspc: no command given" 
cli unknown-command 2 "wcspc: unknown command 'compile'" compile ok/settings.wcsp
cli unknown-option 2 "wcspc: unknown option '--fast'" check --fast ok/settings.wcsp
cli no-policy 2 "wcspc: check needs a policy file" check
cli out-with-check 2 "wcspc: -o goes with build and emit, not check" check ok/settings.wcsp -o x
cli app-with-emit 2 "wcspc: --app goes with config and wiring, not emit" emit ok/settings.wcsp --app a
cli fmt-both 2 "wcspc: fmt takes -w or --check, not both" fmt ok/settings.wcsp -w --check
cli threshold-bad 2 "wcspc: --threshold takes a percentage, not 'lots'" test ok/settings.wcsp --threshold lots
cli data-dir-with-check 2 "wcspc: --data-dir goes with test, not check" check ok/settings.wcsp --data-dir keys
cli test-key-missing 1 "wcspc test: cannot load key 'rfc_hs' from /nonexistent/keys/rfc7515-a1.jwk: No such file or directory" test ../semantics/tokens.wcsp --data-dir /nonexistent
cli test-data-dir 0 "" test -q ../semantics/tokens.wcsp --data-dir ../semantics
cli test-file-items 1 "wcspc: error: ok/settings.wcsp: a test file holds only test blocks" test ../../policies/echo.wcsp ok/settings.wcsp
cli test-none 3 "wcspc test: no tests (write test blocks in the policy or pass test files)" test ok/settings.wcsp
cli werror-exit 1 "" check -Werror ok/warnings.wcsp
cli quiet-ok 0 "" check -q ok/settings.wcsp
cli fmt-check-unformatted 1 "ok/settings.wcsp: not formatted (wcspc fmt -w ok/settings.wcsp)" fmt --check ok/settings.wcsp
cli version 0 "" --version
cli help 0 "" --help
if [ -s "$tmp/out" ]; then echo "PASS cli help prints usage"; else echo "FAIL cli help prints usage: nothing on stdout"; fi
"$W" check -q ok/settings.wcsp >"$tmp/out" 2>"$tmp/err"
if [ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]; then echo "PASS cli -q prints nothing"; else echo "FAIL cli -q prints nothing"; fi
"$W" check ok/settings.wcsp 2>/dev/null >"$tmp/out"
if grep -qxF "ok/settings.wcsp: OK (45 methods, 3 rules, 0 sets)" "$tmp/out"; then echo "PASS cli check OK line"; else echo "FAIL cli check OK line: $(cat "$tmp/out")"; fi

# input files: only regular files, at most --max-input bytes; what is wrong is said
mkdir "$tmp/dir.wcsp"
cli input-directory 1 "wcspc: error: cannot read '$tmp/dir.wcsp': it is a directory" check "$tmp/dir.wcsp"
mkfifo "$tmp/fifo.wcsp"
# a FIFO must not block the compiler: the timeout turns a hang into exit 124
cli input-fifo 1 "wcspc: error: cannot read '$tmp/fifo.wcsp': it is not a regular file" check "$tmp/fifo.wcsp"
cli input-device 1 "wcspc: error: cannot read '/dev/zero': it is not a regular file" check /dev/zero
printf 'set s = file "/dev/zero";\npublishStream { deny if name in s; }\n' >"$tmp/zero-set.wcsp"
cli input-device-set 1 "" check "$tmp/zero-set.wcsp"
grep -q "cannot read set file '/dev/zero' (resolved to '/dev/zero'): it is not a regular file" "$tmp/err" &&
	echo "PASS cli input-device-set message" || echo "FAIL cli input-device-set message: $(head -1 "$tmp/err")"
printf 'include "%s";\n' "$tmp/fifo.wcsp" >"$tmp/fifo-include.wcsp"
cli input-fifo-include 1 "" check "$tmp/fifo-include.wcsp"
head -c 5000 /dev/zero | tr '\0' '#' >"$tmp/big.wcsp"
cli input-too-large 1 "wcspc: error: cannot read '$tmp/big.wcsp': it is larger than 4096 bytes (wcspc --max-input BYTES raises the limit)" check --max-input 4096 "$tmp/big.wcsp"
cli input-limit-raised 0 "" check -q --max-input 8192 "$tmp/big.wcsp"
cli max-input-bad 2 "wcspc: --max-input takes a number of bytes, not '-5'" check --max-input -5 ok/settings.wcsp
{ printf 'publishStream { deny if '; head -c 20000 /dev/zero | tr '\0' '('; printf 'name == "x"'; head -c 20000 /dev/zero | tr '\0' ')'; printf '; }\n'; } >"$tmp/deep.wcsp"
cli deep-parentheses 1 "" check "$tmp/deep.wcsp"
grep -q "error: nested too deeply: the parser holds at most 10000 open parentheses" "$tmp/err" &&
	echo "PASS cli deep-parentheses message" || echo "FAIL cli deep-parentheses message: $(head -c 200 "$tmp/err")"
# an interrupted build leaves no temporary C file, and stops the C compiler with it
mkdir "$tmp/buildtmp"
printf '#!/bin/sh\nsleep 30\n' >"$tmp/slow-cc"; chmod +x "$tmp/slow-cc"
TMPDIR=$tmp/buildtmp "$W" build ../../policies/echo.wcsp -o "$tmp/never" --cc "$tmp/slow-cc" 2>/dev/null &
bpid=$!
for _ in $(seq 50); do [ -n "$(ls "$tmp/buildtmp")" ] && break; sleep 0.1; done
had=$(ls "$tmp/buildtmp")
kill -TERM "$bpid"; wait "$bpid"; rc=$?
sleep 0.3
left=$(ls "$tmp/buildtmp")
if [ -n "$had" ] && [ -z "$left" ] && [ $rc -eq 143 ] && ! pgrep -f "$tmp/slow-cc" >/dev/null; then
	echo "PASS cli interrupted build removes $had and stops the compiler"
else echo "FAIL cli interrupted build: had '$had', left '$left', exit $rc"; pkill -f "$tmp/slow-cc"; fi

# fmt: white space only, nothing written after an error, no include or set file read
printf 'publishStream { deny "x\n' >"$tmp/broken.wcsp"
cp "$tmp/broken.wcsp" "$tmp/broken.orig"
cli fmt-w-error 1 "" fmt -w "$tmp/broken.wcsp"
cmp -s "$tmp/broken.wcsp" "$tmp/broken.orig" && [ -z "$(ls -A "$tmp" | grep '^\.broken')" ] &&
	echo "PASS cli fmt -w leaves a file with an error as it was, no temporary file left" ||
	echo "FAIL cli fmt -w changed a file with an error"
cp ok/comments-between.wcsp "$tmp/cb.wcsp"
chmod 640 "$tmp/cb.wcsp"
cli fmt-w-rewrites 0 "" fmt -w "$tmp/cb.wcsp"
cmp -s "$tmp/cb.wcsp" ok/comments-between.fmt.ok && [ "$(stat -c %a "$tmp/cb.wcsp")" = 640 ] &&
	echo "PASS cli fmt -w writes the formatted text in place, mode kept" || echo "FAIL cli fmt -w result differs"
printf 'include "no-such.wcsp";\nset s = file "no-such.txt";\npublishStream {deny if name in s;}\n' >"$tmp/refs.wcsp"
cli fmt-reads-no-other-file 0 "" fmt "$tmp/refs.wcsp"
cli check-reads-them 1 "" check "$tmp/refs.wcsp"

# the generated C does not depend on the directory wcspc runs in
(cd ../../policies && "$W" emit token-publish.wcsp) >"$tmp/cwd1.c" 2>/dev/null
(cd ../.. && "$W" emit policies/token-publish.wcsp) >"$tmp/cwd2.c" 2>/dev/null
"$W" emit "$(cd ../../policies && pwd)/token-publish.wcsp" >"$tmp/cwd3.c" 2>/dev/null
cmp -s "$tmp/cwd1.c" "$tmp/cwd2.c" && cmp -s "$tmp/cwd1.c" "$tmp/cwd3.c" && grep -q '"token-publish.wcsp:12"' "$tmp/cwd1.c" &&
	echo "PASS generated C is the same from any directory (rules read token-publish.wcsp:LINE)" ||
	echo "FAIL generated C depends on the directory: $(diff "$tmp/cwd1.c" "$tmp/cwd2.c" | head -3 | tr '\n' ' ')"

# tables from another ABI are refused at start: the emitted number is what is compared
top=$(cd ../.. && pwd)
sed 's/^\t\.abi = [0-9]*,$/\t.abi = 999,/' "$tmp/cwd1.c" >"$tmp/abi.c"
if grep -q '^	\.abi = 999,$' "$tmp/abi.c" && ${CC:-cc} -std=c11 -I"$top/runtime" -o "$tmp/abi" "$tmp/abi.c" \
	"$top/${B:-build}/wcsp_main.o" "$top/${B:-build}/libwcsprt.a" -lmicrohttpd -lnettle -lpthread -lm 2>"$tmp/abi.err"; then
	"$tmp/abi" --eval connect </dev/null >/dev/null 2>"$tmp/abi.err"; rc=$?
	grep -qxF "wcsp: policy tables have ABI 999, this runtime $(sed -n 's/^#define WCSP_ABI_VERSION \([0-9]*\)u$/\1/p' "$top/runtime/wcsp_abi.h"): rebuild them" "$tmp/abi.err" && [ $rc -eq 2 ] &&
		echo "PASS tables of another ABI are refused: $(cat "$tmp/abi.err")" || echo "FAIL ABI mismatch: exit $rc, $(cat "$tmp/abi.err")"
else echo "FAIL ABI mismatch: the test server does not build: $(head -3 "$tmp/abi.err")"; fi

# fmt is idempotent over every policy and test file of the repository
n=0; bad=0
while IFS= read -r f; do
	n=$((n + 1))
	d=$(dirname "$f")
	"$W" fmt "$f" >"$tmp/f1" 2>/dev/null || { echo "FAIL fmt over the repo: $f does not format"; bad=$((bad + 1)); continue; }
	cp "$tmp/f1" "$tmp/again.wcsp"          # fmt reads no include or set file
	"$W" fmt "$tmp/again.wcsp" >"$tmp/f2" 2>/dev/null
	cmp -s "$tmp/f1" "$tmp/f2" || { echo "FAIL fmt over the repo: $f: second fmt differs"; bad=$((bad + 1)); }
done < <(find ../.. -name '*.wcsp' -not -path '*/fail/*' -not -path '*/fuzz/*' -not -path '*/build*' | sort)
[ $bad -eq 0 ] && echo "PASS fmt idempotent over all $n .wcsp files of the repository"
echo "INFO fmt idempotence checked over $n .wcsp files"

# a file name holding "*/" must not end the banner comment of the generated C
mkdir -p "$tmp/a*" && cp ok/settings.wcsp "$tmp/a*/p.wcsp"
if "$W" emit "$tmp/a*/p.wcsp" 2>/dev/null | ${CC:-cc} -std=c11 -Wall -Wextra -Werror -I../../runtime -c -x c - -o "$tmp/o" 2>/dev/null
then echo "PASS banner survives a file name with */"; else echo "FAIL banner survives a file name with */"; fi

# wcspc wiring: stdout == wiring/NAME.ok and the exit status, for each case
wurl=http://10.0.0.5:9277/wcsp
wiring() {   # wiring NAME WANT-EXIT ARGS...
	local name=$1 want=$2; shift 2
	timeout 20 "$W" wiring "$@" >"$tmp/wiring" 2>"$tmp/wiring.err"; local rc=$?
	if [ $rc -ne "$want" ]; then echo "FAIL wiring $name: exit $rc, want $want"; sed 's/^/    /' "$tmp/wiring.err" | head -5; return; fi
	check "wiring $name" "wiring/$name.ok" "$tmp/wiring"
}
for f in ok/*.wcsp; do wiring "ok-$(basename "$f" .wcsp)" 0 "$f" --url "$wurl"; done
for f in ../../policies/*.wcsp; do
	case $f in *.tests.wcsp) continue ;; esac
	wiring "policy-$(basename "$f" .wcsp)" 0 "$f" --url "$wurl"
done
wiring apps 0 wiring/apps.wcsp --url "$wurl"
wiring apps-defaultApp 0 wiring/apps.wcsp --url "$wurl" --app defaultApp
wiring apps-live 0 wiring/apps.wcsp --url https://hooks.example.com/wcsp --app live
p=../../policies/stream-rename.wcsp
wiring check-match 0 "$p" --check wiring/check-match.txt
wiring check-missing 1 "$p" --check wiring/check-missing.txt
wiring check-extra 1 "$p" --check wiring/check-extra.txt
wiring check-table 0 "$p" --check wiring/check-table.txt
wiring check-list 0 "$p" --check wiring/check-list.txt
wiring check-empty 1 "$p" --check wiring/check-empty.txt
wiring check-transcript 1 wiring/apps.wcsp --check wiring/check-transcript.txt
wiring check-app 1 wiring/apps.wcsp --check wiring/check-match.txt --app live -q
wiring check-stdin 0 --check - "$p" <wiring/check-match.txt
"$W" wiring wiring/apps.wcsp --check wiring/check-transcript.txt 2>&1 >/dev/null | grep -vx '[0-9]* warnings*' >"$tmp/ignored"
printf '%s\n' "wiring/check-transcript.txt:13: not a method name, ignored: 2 methods" \
	"wiring/check-transcript.txt:17: not a method name, ignored: admin> exit" | cmp -s - "$tmp/ignored" &&
	echo "PASS wiring --check names the lines it ignores, not the table's headings" ||
	echo "FAIL wiring --check names the lines it ignores: $(tr '\n' '|' <"$tmp/ignored")"
# the wiring and the connect reply agree: an app's methods but connect are those its
# restClientConfig configures, less the disabled ones (settings.wcsp disables playStream)
"$W" wiring ok/settings.wcsp --url "$wurl" 2>/dev/null | sed -n 's/^add app-rest-method defaultApp //p' | grep -vx connect | sort >"$tmp/wired"
"$W" config ok/settings.wcsp --app defaultApp 2>/dev/null | grep -o '"[A-Za-z_]*":{"clientExclude"' | cut -d'"' -f2 | sort >"$tmp/configured"
if [ "$(comm -13 "$tmp/wired" "$tmp/configured")" = playStream ] && [ -z "$(comm -23 "$tmp/wired" "$tmp/configured")" ]; then
	echo "PASS wiring enables what restClientConfig configures, less the disabled method ($(wc -l <"$tmp/wired") + connect)"
else echo "FAIL wiring and restClientConfig differ: $(diff "$tmp/wired" "$tmp/configured" | head -5 | tr '\n' ' ')"; fi
cli target-without-static 2 "wcspc: --target goes with build --static" build ok/settings.wcsp --target aarch64
cli target-with-check 2 "wcspc: --target goes with build --static" check ok/settings.wcsp --static --target aarch64
cli target-unknown 2 "wcspc: --target takes x86_64 (amd64) or aarch64 (arm64), not 'mips'" build ok/settings.wcsp --static --target mips
WCSP_RUNTIME_DIR=/nonexistent cli static-no-runtime 4 "wcspc: --static --target aarch64 needs the static runtime in /nonexistent/static/aarch64/: run \`make static-runtime\` (or install the wcspc package)" build ok/settings.wcsp --static --target arm64 -o "$tmp/never"
cli wiring-no-url 2 "wcspc: wiring needs --url URL (or --check FILE)" wiring ok/settings.wcsp
cli wiring-url-and-check 2 "wcspc: wiring takes --url or --check, not both" wiring "$p" --url "$wurl" --check wiring/check-match.txt
cli wiring-check-no-file 2 "wcspc: wiring --check needs a FILE: what WCS printed for show app-rest-methods" wiring "$p" --check
cli wiring-url-scheme 2 "wcspc: --url takes an http:// or https:// URL without blanks, quotes, '\', '?' or '#', not 'ftp://h/x'" wiring "$p" --url ftp://h/x
cli wiring-url-query 2 "wcspc: --url takes an http:// or https:// URL without blanks, quotes, '\', '?' or '#', not 'http://h/x?a=1'" wiring "$p" --url 'http://h/x?a=1'
cli wiring-app-blank 2 "wcspc: --app takes a key the WCS command line can take as one word (no blank, quote, '\' or control character), not 'a b'" wiring "$p" --url "$wurl" --app 'a b'
cli wiring-w 2 "wcspc: -w goes with fmt, not wiring" wiring "$p" --url "$wurl" -w
cli url-with-config 2 "wcspc: --url goes with wiring, not config" config "$p" --url "$wurl"
cli check-with-config 2 "wcspc: -w and --check go with fmt, not config" config "$p" --check
cli wiring-check-unreadable 2 "wcspc: cannot read 'nope.txt': No such file or directory" wiring "$p" --check nope.txt
cli wiring-check-which-app 2 "wcspc: wiring/check-match.txt names no app before its first method (no line 'show app-rest-methods KEY') and the policy names 3: give --app KEY" wiring wiring/apps.wcsp --check wiring/check-match.txt
cli wiring-check-before-policy 0 "" wiring --check wiring/check-match.txt "$p"
cli wiring-policy-error 1 "" wiring fail/unknown-method.wcsp --url "$wurl"
printf 'app "a b" { publishStream { deny; } }\n' >"$tmp/blank-app.wcsp"
cli wiring-app-key-blank 1 "wcspc wiring: app 'a b' cannot be written on a WCS command line (a blank, a quote, a backslash or a control character): rename the app" wiring "$tmp/blank-app.wcsp" --url "$wurl"
[ ! -s "$tmp/out" ] && echo "PASS wiring prints nothing when an app cannot be written" || echo "FAIL wiring printed lines for an app it cannot write"

# the suite wrote nothing into the source tree
[ "$(find . -type f | sort | md5sum)" = "$before" ] && echo "PASS golden writes its scratch files under a temporary folder" ||
	echo "FAIL golden left files in tests/golden: $(find . -type f -newer run.sh | head -3 | tr '\n' ' ')"

