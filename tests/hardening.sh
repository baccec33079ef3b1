#!/usr/bin/env bash
# tests/hardening.sh -- fuzzing and valgrind, as one test group (PASS/FAIL/INFO lines).
#
#   bash tests/hardening.sh              the group tests/run.sh calls: builds the fuzz targets,
#                                        fuzz-smoke, then valgrind (about 30 s on 2 cores)
#   bash tests/hardening.sh fuzz-smoke   each fuzz target FUZZ_SMOKE_SECONDS (10) over its seeds
#   bash tests/hardening.sh fuzz         each fuzz target FUZZ_SECONDS (60), crashes counted
#   bash tests/hardening.sh valgrind     a real server and wcspc under valgrind
#
# Both fuzz targets run at the same time (one core each). A fuzz target that finds a crash
# leaves its reproducer in $B/fuzz/artifacts/ and this prints the command that replays it.
# Skips (INFO, not FAIL) what this machine cannot do: no clang libFuzzer, no valgrind, or a
# sanitizer build tree (valgrind cannot run ASan binaries).
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
MODE=${1:-all}
FUZZ_CC=${FUZZ_CC:-clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-10}
TARGETS="fuzz_compiler fuzz_request"
FZ=$B/fuzz
ART=$FZ/artifacts

. tests/lib.sh
pids=()         # the fuzzers running at once (the servers are lib.sh's)
trap 'for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; lib_cleanup' EXIT

# ------------------------------------------------------------------ fuzzing

# Per-target limits: inputs up to the largest a caller can send (the request path: the
# server's default --max-body), and a short per-input time, so that a superlinear path shows
# as a failure ("timeout") rather than as a slow run.
fuzz_limits() {
	case $1 in
	fuzz_request) echo "-max_len=1048576 -timeout=2" ;;
	*) echo "-max_len=262144 -timeout=5" ;;
	esac
}

have_libfuzzer() {
	echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$tmp/probe.c"
	"$FUZZ_CC" -fsanitize=fuzzer,address,undefined "$tmp/probe.c" -o "$tmp/probe" >/dev/null 2>&1
}

fuzz_build() {
	if make -s B="$B" FUZZ_CC="$FUZZ_CC" fuzz-build >"$tmp/build.log" 2>&1; then
		pass "fuzz targets build (clang, ASan+UBSan+libFuzzer)"
		return 0
	fi
	fail "fuzz targets build" "make fuzz-build failed: $(tail -5 "$tmp/build.log" | tr '\n' '|')"
	return 1
}

# the line that says what went wrong in a libFuzzer log (oracle message or sanitizer summary)
what_crashed() {
	grep -m1 -E '^fuzz_(compiler|request): |^SUMMARY: |ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)' "$1" |
		sed -E 's/==[0-9]+==//; s/ on (address )?0x[0-9a-f]+//; s/ \(pc 0x[0-9a-f]+.*//' | cut -c1-240
}

# replay one reproducer and name its bug (for grouping crashes of a long run)
crash_key() {
	timeout 60 "$FZ/$1" -runs=1 "$2" >"$tmp/replay.log" 2>&1
	what_crashed "$tmp/replay.log"
}

report_artifacts() {   # report_artifacts TARGET LIST-FILE: each distinct crash, one reproducer
	local t=$1 f key
	: >"$tmp/keys.$t"
	while read -r f; do
		[ -n "$f" ] || continue
		key=$(crash_key "$t" "$f" </dev/null)
		grep -qxF -- "$key" "$tmp/keys.$t" && continue
		echo "$key" >>"$tmp/keys.$t"
		echo "  ${key:-(no report on replay: flaky)}"
		echo "    reproduce: $FZ/$t $f"
	done < <(head -40 "$2")
}

# smoke: SECONDS over the seed corpus (plus a throw-away working corpus), no fork
smoke_one() {
	local t=$1 work="$tmp/work-$t"
	mkdir -p "$work" "$ART"
	# shellcheck disable=SC2046
	"$FZ/$t" -max_total_time="$FUZZ_SMOKE_SECONDS" $(fuzz_limits "$t") -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$ART/$t-" "$work" "tests/fuzz/corpus/${t#fuzz_}" >"$tmp/smoke-$t.log" 2>&1
	echo $? >"$tmp/smoke-$t.rc"
}

smoke() {   # returns the number of targets that failed
	local t rc execs art bad=0
	for t in $TARGETS; do
		smoke_one "$t" &
		pids+=($!)
	done
	wait
	pids=()
	for t in $TARGETS; do
		rc=$(cat "$tmp/smoke-$t.rc")
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/smoke-$t.log")
		[ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$tmp/smoke-$t.log" | tail -1 | tr -d '#')
		if [ "$rc" -eq 0 ]; then
			pass "fuzz $t (${execs:-0} execs)"
			continue
		fi
		bad=$((bad + 1))
		art=$(sed -n "s/.*Test unit written to //p" "$tmp/smoke-$t.log" | tail -1)
		fail "fuzz $t" "$(what_crashed "$tmp/smoke-$t.log") after ${execs:-0} execs; reproduce: $FZ/$t ${art:-?}"
		grep -m1 -A14 -E '^fuzz_(compiler|request): |ERROR: (Address|Leak|Undefined)|runtime error' "$tmp/smoke-$t.log" |
			grep -vE '^\s+#[0-9]+ 0x[0-9a-f]+ in (fuzzer::|__libc|_start|main )' | head -14 | sed 's/^/    /'
	done
	return $bad
}

# long run: the target restarts after each crash (at most 20 times) until FUZZ_SECONDS are
# up, so a crash does not end the run; every finding keeps its reproducer in $ART. (Not
# libFuzzer's -fork mode: here it ran at a third of the speed.)
long_one() {
	local t=$1 end=$((SECONDS + FUZZ_SECONDS)) left i=0 rc n execs=0 runs=0 art last=
	mkdir -p "$FZ/corpus-$t" "$ART"
	: >"$FZ/$t.log"
	: >"$tmp/arts.$t"
	while left=$((end - SECONDS)); [ "$left" -gt 0 ] && [ "$i" -le 20 ]; do
		# shellcheck disable=SC2046
		"$FZ/$t" -max_total_time="$left" $(fuzz_limits "$t") -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$ART/$t-" "$FZ/corpus-$t" "tests/fuzz/corpus/${t#fuzz_}" >"$tmp/run.$t" 2>&1
		rc=$?
		cat "$tmp/run.$t" >>"$FZ/$t.log"
		n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/run.$t")
		[ -n "$n" ] || n=$(grep -oE '^#[0-9]+' "$tmp/run.$t" | tail -1 | tr -d '#')
		execs=$((execs + ${n:-0}))
		runs=$((runs + 1))
		[ "$rc" -eq 0 ] && break
		# the same input again (a seed that crashes at start-up): restarting cannot get past it
		art=$(sed -n 's/.*Test unit written to //p' "$tmp/run.$t" | tail -1)
		echo "${art:-$FZ/$t.log (no reproducer written)}" >>"$tmp/arts.$t"
		[ -n "$art" ] && [ "$art" = "$last" ] && break
		last=$art
		i=$((i + 1))
	done
	echo "$execs $runs" >"$tmp/long.$t"
}

long() {   # returns 1 when some target found something
	local t found=0 execs runs new kinds
	for t in $TARGETS; do
		long_one "$t" &
		pids+=($!)
	done
	wait
	pids=()
	for t in $TARGETS; do
		read -r execs runs <"$tmp/long.$t"
		sort -u "$tmp/arts.$t" >"$tmp/new.$t"
		new=$(wc -l <"$tmp/new.$t")
		kinds=$(sed -E "s|.*/$t-([a-z-]+)-[0-9a-f]+$|\1|" "$tmp/new.$t" | sort | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')
		echo "fuzz $t: $execs execs in $FUZZ_SECONDS s ($runs run$([ "$runs" -eq 1 ] || echo s)), $new crashes${kinds:+ ($kinds)}; log $FZ/$t.log"
		if [ "$new" -gt 0 ]; then
			found=1
			report_artifacts "$t" "$tmp/new.$t" >"$tmp/report.$t"
			echo "fuzz $t: $(wc -l <"$tmp/keys.$t") distinct:"
			cat "$tmp/report.$t"
		fi
	done
	return $found
}

# ------------------------------------------------------------------ valgrind

VG="valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no"

# the evidence line of a valgrind log: "N errors, M leaked bytes (definite+indirect)"
vg_verdict() {   # vg_verdict LOG -> prints "0 errors, 0 leaks" style text; 0 iff clean
	local errs def ind
	errs=$(grep -oE 'ERROR SUMMARY: [0-9]+ errors' "$1" | tail -1 | grep -oE '[0-9]+' | head -1)
	def=$(grep -oE 'definitely lost: [0-9,]+ bytes' "$1" | tail -1 | grep -oE '[0-9,]+' | tr -d ,)
	ind=$(grep -oE 'indirectly lost: [0-9,]+ bytes' "$1" | tail -1 | grep -oE '[0-9,]+' | tr -d ,)
	errs=${errs:-?}; def=${def:-0}; ind=${ind:-0}
	local leaks=$((def + ind))
	echo "$errs errors, $leaks leaks (definitely lost $def B, indirectly lost $ind B)"
	[ "$errs" = 0 ] && [ "$leaks" -eq 0 ]
}

# what valgrind complained about first (for FAIL lines)
vg_first() { grep -m1 -E '^==[0-9]+== (Invalid|Conditional|Syscall|Mismatched|[0-9,]+ (\(|bytes).*(definitely|indirectly))' "$1" | cut -c1-200; }

# start_vg_server ID BINARY [FLAGS...]: under valgrind (its log: $tmp/vg-ID.log), which
# starts slowly: up to 60 s for the listening line, 30 s to stop
start_vg_server() {
	local id=$1 bin=$2 rc
	shift 2
	# shellcheck disable=SC2206
	SRV_WRAP=($VG --log-file="$tmp/vg-$id.log")
	SRV_WAIT=60 start_server "$id" "$bin" --log-level warn "$@"
	rc=$?
	SRV_WRAP=()
	return $rc
}

stop_vg_server() { SRV_STOP=30 stop_server "$1"; }

declare -A SEEN
post() {   # post PORT METHOD-PATH BODY-FILE [CURL-ARGS...]: one request; prints the status
	local port=$1 path=$2 body=$3
	shift 3
	curl -s --max-time 20 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-H 'Expect:' --data-binary "@$body" "$@" "http://127.0.0.1:$port$path"
}

count() { SEEN[$1]=$((${SEEN[$1]:-0} + 1)); }

expect_status() {   # expect_status NAME WANT GOT
	if [ "$3" = "$2" ]; then count "$3"; return 0; fi
	fail "valgrind server: $1" "status $3, want $2"
	return 1
}

# The methods of tests/fuzz/request.wcsp in table order: byte 0 of a request seed picks one
# (byte 0 modulo their count + 1; what is left picks the fuzzer's clock, which a server does
# not take: it runs on the real time).
request_methods() {
	"$B/wcspc" emit -q tests/fuzz/request.wcsp |
		sed -n '/^static const wcsp_str methods\[/,/^};/p' | sed -n 's/^\t{"\([^"]*\)", [0-9]*},$/\1/p'
}

valgrind_server() {
	local bin=$tmp/vg-request f b sel method st n=0 bad=0 i reloads
	# wcspc build strips (-s); this `--cc` keeps symbols so a report names functions
	printf '#!/bin/sh\nfor a do shift; [ "$a" = -s ] || set -- "$@" "$a"; done\nexec %s "$@" -g\n' \
		"${CC:-cc}" >"$tmp/cc-nostrip"
	chmod +x "$tmp/cc-nostrip"
	if ! "$B/wcspc" build -q tests/fuzz/request.wcsp -o "$bin" --cc "$tmp/cc-nostrip" >"$tmp/build-vg.log" 2>&1; then
		fail "valgrind server build" "$(peek "$tmp/build-vg.log")"
		return
	fi
	# the policy's keys (keys/) and live set (banned.txt) are under tests/fuzz
	if ! start_vg_server req "$bin" --threads 2 --max-body 8192 --data-dir tests/fuzz; then
		fail "valgrind server starts" "$(peek "$tmp/srv-req/stderr") $(peek "$tmp/vg-req.log")"
		return
	fi
	pass "valgrind server starts (tests/fuzz/request.wcsp, --threads 2, --max-body 8192, --data-dir tests/fuzz)"
	local port=${PORT[req]}
	mapfile -t methods < <(request_methods)
	local nm=${#methods[@]}
	# every request seed: allowed, denied, overridden, connect with restClientConfig, echo,
	# malformed (bad-*: 400); a SIGHUP reload (keys and live set) every 40 seeds, so that old
	# worlds are freed while requests come
	for f in tests/fuzz/corpus/request/*; do
		[ $((n % 40)) -eq 39 ] && kill -HUP "${PID[req]}"
		b=$(od -An -tu1 -N1 "$f" | tr -d ' ')
		sel=$((b % (nm + 1)))
		method=${methods[$sel]:-FutureHookEvent}
		tail -c +2 "$f" >"$tmp/body"
		st=$(post "$port" "/rest/my_api/$method" "$tmp/body")
		case $(basename "$f") in
		bad-* | e2e-bad-*) expect_status "$(basename "$f")" 400 "$st" || bad=1 ;;
		*) case $st in 200 | 4[0-9][0-9] | 5[0-9][0-9]) count "$st" ;; *) fail "valgrind server: $(basename "$f")" "status $st"; bad=1 ;; esac ;;
		esac
		n=$((n + 1))
	done
	# oversized (413), wrong verb (405), health and metrics, an empty POST
	head -c 20000 /dev/zero | tr '\0' 'x' | sed 's/^/{"name":"/; s/$/"}/' >"$tmp/big.json"
	expect_status "oversized body" 413 "$(post "$port" /rest/publishStream "$tmp/big.json")" || bad=1
	expect_status "GET a hook" 405 "$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/rest/connect")" || bad=1
	expect_status "PUT a hook" 405 "$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' -X PUT --data-binary '{}' "http://127.0.0.1:$port/rest/connect")" || bad=1
	expect_status "GET /healthz" 200 "$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" || bad=1
	expect_status "GET /metrics" 200 "$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")" || bad=1
	st=$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nothing/here/")
	case $st in 404 | 405) count "$st" ;; *) fail "valgrind server: GET an empty method" "status $st, want 404 or 405"; bad=1 ;; esac
	printf '' >"$tmp/empty"
	expect_status "empty body" 400 "$(post "$port" /rest/connect "$tmp/empty")" || bad=1
	# keep-alive pairs: two requests on one connection (the second makes no new connect)
	for i in 1 2 3; do
		printf '%s' '{"appKey":"defaultApp","name":"public-x","custom":{"token":"7c1f0e42d9a84b6b"}}' >"$tmp/ka.json"
		curl -s --max-time 20 -H 'Expect:' -o /dev/null -w '%{http_code} %{num_connects}\n' \
			-X POST --data-binary "@$tmp/ka.json" "http://127.0.0.1:$port/rest/playStream" \
			--next -s --max-time 20 -H 'Expect:' -o /dev/null -w '%{http_code} %{num_connects}\n' \
			-X POST --data-binary "@$tmp/ka.json" "http://127.0.0.1:$port/rest/publishStream" >"$tmp/ka.out"
		if [ "$(tr '\n' ' ' <"$tmp/ka.out")" = "200 1 200 0 " ]; then count 200; count 200; else
			fail "valgrind server: keep-alive pair $i" "got $(tr '\n' ' ' <"$tmp/ka.out"), want '200 1 200 0'"; bad=1; fi
	done
	# clients that go away: mid-body (chunked, then killed) and idle connections
	{ printf '{"name":"half'; sleep 3; } | timeout 1 curl -s -X POST -H 'Expect:' -T - \
		"http://127.0.0.1:$port/rest/publishStream" >/dev/null 2>&1
	timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'POST /rest/connect HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{' >&3; sleep 5" 2>/dev/null
	# some in parallel
	local par=()
	for i in 1 2 3 4 5 6; do
		post "$port" /rest/connect tests/e2e/bodies/connect-browser.json >"$tmp/par.$i" &
		par+=($!)
	done
	wait "${par[@]}"
	for i in 1 2 3 4 5 6; do
		st=$(cat "$tmp/par.$i" 2>/dev/null)
		[ "$st" = 200 ] && count 200 || { fail "valgrind server: parallel connect $i" "status ${st:-none}"; bad=1; }
	done
	local summary= total=0
	for st in $(printf '%s\n' "${!SEEN[@]}" | sort); do
		summary+="$st x${SEEN[$st]}, "
		total=$((total + SEEN[$st]))
	done
	[ "$bad" -eq 0 ] && pass "valgrind server answered $total requests as expected (${summary%, })"
	reloads=$(curl -s --max-time 20 "http://127.0.0.1:$port/metrics" | awk '$1 == "wcsp_reloads_total" { print $2 }')
	stop_vg_server req
	local rc=$?
	[ "${reloads:-0}" -ge 5 ] && pass "valgrind server: SIGHUP reloads under requests (wcsp_reloads_total $reloads)" ||
		fail "valgrind server: SIGHUP reloads" "wcsp_reloads_total '$reloads', want 5 or more (the start and 4 SIGHUPs)"
	local v
	v=$(vg_verdict "$tmp/vg-req.log")
	if [ "$rc" -eq 0 ] && vg_verdict "$tmp/vg-req.log" >/dev/null; then
		pass "valgrind server: SIGTERM exit 0, $v"
	else
		fail "valgrind server" "exit $rc, $v; first: $(vg_first "$tmp/vg-req.log")"
		grep -A12 -m2 -E '^==[0-9]+== (Invalid|Conditional|[0-9,]+ bytes)' "$tmp/vg-req.log" | head -30 | sed 's/^/    /'
	fi
}

valgrind_transport() {   # require signature + accept from: the HMAC and caller checks
	local bin=$tmp/vg-transport port sig good=1
	if ! "$B/wcspc" build -q tests/golden/ok/transport.wcsp -o "$bin" --cc "$tmp/cc-nostrip" >"$tmp/build-vgt.log" 2>&1; then
		fail "valgrind transport server build" "$(peek "$tmp/build-vgt.log")"
		return
	fi
	export WCSP_SECRET=hardening-secret
	if ! start_vg_server tr "$bin"; then
		fail "valgrind transport server starts" "$(peek "$tmp/srv-tr/stderr")"
		unset WCSP_SECRET
		return
	fi
	port=${PORT[tr]}
	printf '%s' '{"appKey":"defaultApp","name":"s","custom":{"token":"t"}}' >"$tmp/t.json"
	sig=$(openssl dgst -md5 -hmac "$WCSP_SECRET" <"$tmp/t.json" 2>/dev/null | sed 's/.*= *//')
	[ "$(post "$port" /rest/publishStream "$tmp/t.json" -H "Authorization: WCS $sig")" = 200 ] || good=0
	[ "$(post "$port" /rest/publishStream "$tmp/t.json" -H "Authorization: wcs ${sig^^}")" = 200 ] || good=0
	[ "$(post "$port" /rest/publishStream "$tmp/t.json")" = 403 ] || good=0
	[ "$(post "$port" /rest/publishStream "$tmp/t.json" -H 'Authorization: WCS 00000000000000000000000000000000')" = 403 ] || good=0
	[ "$(post "$port" /rest/publishStream "$tmp/t.json" -H 'Authorization: Basic eDp5')" = 403 ] || good=0
	if [ -z "$sig" ]; then echo "SKIP valgrind transport server signed requests: openssl is missing"; good=1; fi
	[ "$good" -eq 1 ] && pass "valgrind transport server: signed 200, unsigned/bad 403" ||
		fail "valgrind transport server" "signature statuses differ from 200,200,403,403,403"
	stop_vg_server tr
	local rc=$? v
	unset WCSP_SECRET
	v=$(vg_verdict "$tmp/vg-tr.log")
	if [ "$rc" -eq 0 ] && vg_verdict "$tmp/vg-tr.log" >/dev/null; then
		pass "valgrind transport server: SIGTERM exit 0, $v"
	else
		fail "valgrind transport server" "exit $rc, $v; first: $(vg_first "$tmp/vg-tr.log")"
	fi
}

vg_wcspc() {   # vg_wcspc NAME WANT-EXIT ARGS...: wcspc under valgrind
	local name=$1 want=$2 rc v
	shift 2
	$VG --log-file="$tmp/vgc.log" "$B/wcspc" "$@" >"$tmp/vgc.out" 2>"$tmp/vgc.err"
	rc=$?
	v=$(vg_verdict "$tmp/vgc.log")
	if [ "$rc" -eq "$want" ] && vg_verdict "$tmp/vgc.log" >/dev/null; then
		pass "valgrind wcspc $name: exit $rc, $v"
	else
		fail "valgrind wcspc $name" "exit $rc (want $want), $v; first: $(vg_first "$tmp/vgc.log")"
		grep -A10 -m1 -E '^==[0-9]+== (Invalid|Conditional|[0-9,]+ bytes)' "$tmp/vgc.log" | head -12 | sed 's/^/    /'
	fi
}

valgrind_all() {
	if ! command -v valgrind >/dev/null; then
		echo "SKIP valgrind: valgrind is not installed (tools/deps.sh)"
		return
	fi
	if nm "$B/wcspc" 2>/dev/null | grep -q __asan_init; then
		echo "SKIP valgrind: $B is a sanitizer build (valgrind cannot run ASan binaries)"
		return
	fi
	valgrind_server
	valgrind_transport
	vg_wcspc "check policies/token-publish.wcsp" 0 check policies/token-publish.wcsp
	vg_wcspc "check tests/golden/ok/settings.wcsp (warnings)" 0 check tests/golden/ok/settings.wcsp
	vg_wcspc "check tests/golden/fail/three-errors.wcsp (errors)" 1 check tests/golden/fail/three-errors.wcsp
	vg_wcspc "check tests/golden/fail/include-chain.wcsp (include)" 1 check tests/golden/fail/include-chain.wcsp
	vg_wcspc "emit tests/fuzz/request.wcsp" 0 emit -q tests/fuzz/request.wcsp -o "$tmp/emit.c"
	vg_wcspc "config tests/golden/ok/live-auth.wcsp" 0 config tests/golden/ok/live-auth.wcsp --app defaultApp
	vg_wcspc "test policies/stream-rename.wcsp --coverage" 0 test policies/stream-rename.wcsp policies/stream-rename.tests.wcsp --coverage
	vg_wcspc "test policies/token-publish.wcsp" 0 test policies/token-publish.wcsp policies/token-publish.tests.wcsp
	vg_wcspc "test tests/semantics/tokens.wcsp (JWTs of every algorithm, digests, live sets)" 0 test -q tests/semantics/tokens.wcsp
	vg_wcspc "check tests/golden/fail/algorithm-unverifiable.wcsp (key files read)" 1 check tests/golden/fail/algorithm-unverifiable.wcsp
	vg_wcspc "fmt tests/golden/ok/conditions.wcsp" 0 fmt tests/golden/ok/conditions.wcsp
	vg_wcspc "fmt policies/token-publish.tests.wcsp (test blocks)" 0 fmt policies/token-publish.tests.wcsp
}

# ------------------------------------------------------------------ main

case $MODE in
fuzz-smoke) smoke || exit 1 ;;
fuzz) long || exit 1 ;;
valgrind) valgrind_all ;;
all)
	if have_libfuzzer; then
		fuzz_build && smoke
	else
		echo "SKIP fuzz: no clang libFuzzer ($FUZZ_CC -fsanitize=fuzzer fails; tools/deps.sh: clang libclang-rt-dev)"
	fi
	valgrind_all
	;;
*) echo "usage: tests/hardening.sh [fuzz-smoke | fuzz | valgrind]" >&2; exit 2 ;;
esac
exit 0
