#!/usr/bin/env bash
# tests/sim/run.sh -- the WCS flow simulator suite.
#
#   B=build WCSPC=build/wcspc bash tests/sim/run.sh
#
# Builds tests/sim/wcs-sim.c into $B/tests/wcs-sim with the Makefile's flags (link:
# $B/libwcsprt_core.a for the strict JSON reader), checks what wcspc must refuse or warn
# about, builds the policy each scenario names (tests/sim/policies/NAME.wcsp, else
# policies/NAME.wcsp), starts one server per policy and server flags on 127.0.0.1:0, runs
# the scenarios in tests/sim/scenarios/*.flow against them, SIGTERMs the servers, and
# checks each server's access log for the methods a scenario says WCS never sent.
#
# Output: "PASS name" / "FAIL name: detail" per case, one "INFO scenario: ..." line per
# scenario (from wcs-sim). Exit 0 when the suite ran, whatever the cases say; non-zero
# when it cannot run. Loopback only; every socket operation of wcs-sim has a timeout, each
# scenario runs under `timeout`, and the whole suite stops itself after 55 s.
set -u
cd "$(dirname "$0")/../.." || exit 2
B=${B:-build}
W=${WCSPC:-$PWD/$B/wcspc}
case $W in /*) ;; *) W=$PWD/$W ;; esac
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2 -g}
SIM=$B/tests/wcs-sim
BUDGET=55
SCEN_TIMEOUT=20

. tests/lib.sh
declare -A SRVLOG=() BIN=()

[ -x "$W" ] || { fail "sim: wcspc" "WCSPC=$W is not an executable (run make all)"; exit 1; }
[ -f "$B/libwcsprt_core.a" ] || { fail "sim: runtime" "$B/libwcsprt_core.a is missing (run make all)"; exit 1; }
command -v timeout >/dev/null || { fail "sim: tools" "timeout(1) is missing"; exit 1; }

# ---------------------------------------------------------------- the simulator

mkdir -p "$B/tests"
# the Makefile's STD and WARN, and its CFLAGS default (CFLAGS is a list of words)
# shellcheck disable=SC2086
if $CC -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror $CFLAGS \
	-Iruntime -o "$SIM" tests/sim/wcs-sim.c "$B/libwcsprt_core.a" -lm >"$tmp/cc.log" 2>&1; then
	pass "sim: wcs-sim builds clean with -std=c11 -Wall -Wextra -Werror"
else
	fail "sim: wcs-sim builds clean with -std=c11 -Wall -Wextra -Werror" "$(peek "$tmp/cc.log" 400)"
	exit 1
fi

# ---------------------------------------------------------------- what wcspc must refuse or flag

# a deny on an event cannot compile (only StreamKeepAliveEvent may be denied)
for p in tests/sim/policies/*.mustfail.wcsp; do
	n=$(basename "$p" .mustfail.wcsp)
	"$W" check "$p" >"$tmp/check.out" 2>&1
	rc=$?
	if [ "$rc" -eq 1 ] && grep -q ': error: ' "$tmp/check.out"; then
		pass "sim: $n is refused by wcspc ($(grep -m1 ': error: ' "$tmp/check.out" | sed 's/^.*: error: //'))"
	else
		fail "sim: $n is refused by wcspc" "exit $rc, want 1 with an error: $(peek "$tmp/check.out")"
	fi
done
# the LOG-with-deny policy compiles with a warning (WCS will ignore the refusal)
"$W" check tests/sim/policies/log-ignored.wcsp >"$tmp/check.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q 'warning: restOnError LOG' "$tmp/check.out"; then
	pass "sim: log-ignored compiles with the restOnError LOG warning"
else
	fail "sim: log-ignored compiles with the restOnError LOG warning" "exit $rc: $(peek "$tmp/check.out")"
fi

# ---------------------------------------------------------------- servers

# build_policy NAME: once; sets BIN[NAME]
build_policy() {
	local n=$1 src
	[ -n "${BIN[$n]:-}" ] && return 0
	if [ -f "tests/sim/policies/$n.wcsp" ]; then src=tests/sim/policies/$n.wcsp
	elif [ -f "policies/$n.wcsp" ]; then src=policies/$n.wcsp
	else fail "sim: build $n" "no tests/sim/policies/$n.wcsp nor policies/$n.wcsp"; return 1; fi
	if "$W" build "$src" -o "$tmp/bin-$n" >"$tmp/build-$n.log" 2>&1 && [ -x "$tmp/bin-$n" ]; then
		BIN[$n]=$tmp/bin-$n
		return 0
	fi
	fail "sim: build $n" "wcspc build $src failed: $(peek "$tmp/build-$n.log" 300)"
	return 1
}

# serve KEY BINARY [FLAGS...]: one server per key (a policy and its flags), started once
serve() {
	local key=$1
	[ -n "${PORT[$key]:-}" ] && return 0
	start_server "$@" && { SRVLOG[$key]=$tmp/srv-$key/stdout; return 0; }
	fail "sim: server $key starts" "no listening line in 5 s; stderr: $(peek "$tmp/srv-$key/stderr" 300)"
	return 1
}

# ---------------------------------------------------------------- scenarios

declare -a LOGCHECKS=()
nflows=0
for flow in tests/sim/scenarios/*.flow; do
	name=$(basename "$flow" .flow)
	if ((SECONDS > BUDGET - SCEN_TIMEOUT)); then
		fail "sim: $name" "not run: the suite's ${BUDGET}s budget is nearly spent"
		continue
	fi
	pol=$(awk '$1 == "policy" { print $2; exit }' "$flow")
	flags=$(awk '$1 == "server" { $1 = ""; sub(/^ +/, ""); print; exit }' "$flow")
	[ -n "$pol" ] || { fail "sim: $name" "no 'policy NAME' line"; continue; }
	build_policy "$pol" || continue
	key="$pol${flags:+ $flags}"
	# shellcheck disable=SC2086 # flags are words
	serve "$key" "${BIN[$pol]}" $flags || continue
	timeout -k 2 "$SCEN_TIMEOUT" "$SIM" --server "127.0.0.1:${PORT[$key]}" --timeout 5 "$flow" >"$tmp/sim.out" 2>&1
	rc=$?
	cat "$tmp/sim.out"
	nflows=$((nflows + 1))
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		fail "sim: $name" "wcs-sim did not finish in ${SCEN_TIMEOUT}s"
	elif [ "$rc" -ne 0 ] && ! grep -q '^FAIL' "$tmp/sim.out"; then
		fail "sim: $name" "wcs-sim exited $rc: $(peek "$tmp/sim.out" 300)"
	fi
	while read -r m; do
		LOGCHECKS+=("$key|$name|$m")
	done < <(awk '$1 == "server-log-lacks" { for (i = 2; i <= NF; i++) print $i }' "$flow")
done
[ "$nflows" -gt 0 ] || fail "sim: scenarios" "no scenario ran"

# ---------------------------------------------------------------- stop the servers, read their logs

for key in ${PID[@]+"${!PID[@]}"}; do
	stop_server "$key"
	rc=$?
	[ "$rc" -eq 0 ] || fail "sim: server $key stops on SIGTERM" "exit status $rc"
done

# DISABLEd methods: the server must never have seen them (an independent check of wcs-sim)
for c in ${LOGCHECKS[@]+"${LOGCHECKS[@]}"}; do
	IFS='|' read -r key name m <<<"$c"
	n=$(grep -c "method=$m " "${SRVLOG[$key]}")
	total=$(grep -c 'method=' "${SRVLOG[$key]}")
	if [ "$n" -eq 0 ] && [ "$total" -gt 0 ]; then
		pass "sim: $name: the server's access log has no $m ($total requests logged)"
	else
		fail "sim: $name: the server's access log has no $m" "$n of $total logged requests are $m"
	fi
done
exit 0
