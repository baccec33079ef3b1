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

tmp=$(mktemp -d) || exit 2
declare -A PORT=() PID=() SRVLOG=() BIN=()
nsrv=0
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local k i
	[ "${#PID[@]}" -gt 0 ] || { rm -rf "$tmp"; return; }
	for k in "${!PID[@]}"; do kill -TERM "${PID[$k]}" 2>/dev/null; done
	for k in "${!PID[@]}"; do
		for ((i = 0; i < 50; i++)); do kill -0 "${PID[$k]}" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "${PID[$k]}" 2>/dev/null
		wait "${PID[$k]}" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
peek() { head -c "${2:-200}" "$1" | tr -c '[:print:]' ' '; }

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

# start_server KEY BINARY [FLAGS...]: once per key; port from the stderr line
# "wcsp: listening on 127.0.0.1:PORT (policy NAME)", within 5 s
start_server() {
	local key=$1 bin=$2 id i line
	shift 2
	[ -n "${PORT[$key]:-}" ] && return 0
	id=srv$nsrv
	nsrv=$((nsrv + 1))
	SRVLOG[$key]=$tmp/$id.out
	: >"$tmp/$id.err"
	"$bin" --listen 127.0.0.1:0 "$@" >"$tmp/$id.out" 2>"$tmp/$id.err" &
	PID[$key]=$!
	for ((i = 0; i < 100; i++)); do
		line=$(grep -m1 '^wcsp: listening on 127\.0\.0\.1:[0-9]* (policy ' "$tmp/$id.err")
		if [ -n "$line" ]; then
			PORT[$key]=$(sed -E 's/^wcsp: listening on 127\.0\.0\.1:([0-9]+) .*/\1/' <<<"$line")
			[ "${PORT[$key]}" -gt 0 ] && return 0
			break
		fi
		kill -0 "${PID[$key]}" 2>/dev/null || break
		sleep 0.05
	done
	fail "sim: server $key starts" "no listening line in 5 s; stderr: $(peek "$tmp/$id.err" 300)"
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
	start_server "$key" "${BIN[$pol]}" $flags || continue
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
	kill -TERM "${PID[$key]}" 2>/dev/null
	for ((i = 0; i < 100; i++)); do kill -0 "${PID[$key]}" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "${PID[$key]}" 2>/dev/null; then
		kill -KILL "${PID[$key]}" 2>/dev/null
		wait "${PID[$key]}" 2>/dev/null
		fail "sim: server $key stops on SIGTERM" "still running 5 s after SIGTERM (killed)"
	else
		wait "${PID[$key]}"
		rc=$?
		[ "$rc" -eq 0 ] || fail "sim: server $key stops on SIGTERM" "exit status $rc"
	fi
	unset "PID[$key]"
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
