#!/usr/bin/env bash
# tests/fleet.sh -- a fleet on loopback: three servers of one policy behind HAProxy, run with
# examples/fleet/haproxy.cfg as it is (only its addresses replaced by free ports), under load.
#
#   B=build WCSPC=/abs/path/to/wcspc bash tests/fleet.sh
#
# wrk (hammer when wrk is missing) keeps 32 connections busy for 30 s, in three windows of
# 10 s: steady; one server stopped (SIGTERM) half a second into the second window; another
# killed (SIGKILL) half a second into the third. Each window is its own run, so its figures
# are the client's own: requests, non-2xx replies, socket errors; HAProxy's retries and
# redispatches (its stats) say what it did about them. Goals (PASS/FAIL): nothing lost in the steady and the
# SIGTERM windows; the stopped server exits 0; the last server answers alone after the
# SIGKILL. What the SIGKILL cost the client (0 with the example's retry-on) and why is an INFO
# line: a reply cut halfway cannot be sent again. FLEET_SECONDS (default 30) and FLEET_CONNS
# (32) change the load.
#
# First, with or without HAProxy: `wcspc wiring` names the policy as the server does, so the
# lines given to WCS and the binary serving can be matched.
#
# HAProxy comes from Debian (WCSP_PKGS=haproxy tools/deps.sh, which this runs when haproxy
# is missing); when it cannot be had, the fleet cases are SKIPped with the reason. Everything
# listens on 127.0.0.1 and is stopped on exit.
set -u
cd "$(dirname "$0")/.." || exit 2
B=${B:-build}
W=${WCSPC:?set WCSPC to the wcspc binary}
. tests/lib.sh
HAMMER=$B/tests/hammer
TOTAL=${FLEET_SECONDS:-30}
CONNS=${FLEET_CONNS:-32}
CFG=examples/fleet/haproxy.cfg
command -v curl >/dev/null || { fail "fleet" "curl is missing"; exit 0; }

# ------------------------------------------------------------------ the wiring names the binary
bin=$tmp/domain-lock
if "$W" build policies/domain-lock.wcsp -o "$bin" >"$tmp/build.log" 2>&1; then pass "fleet: build"
else fail "fleet: build" "$(peek "$tmp/build.log" 300)"; exit 0; fi
ver=$("$bin" --version | sed -n 's/^wcsp [^ ]* \((policy .*)\)$/\1/p')
wired=$("$W" wiring policies/domain-lock.wcsp --url http://127.0.0.1:9277/wcsp 2>/dev/null |
	sed -n '1s/^# wcspc wiring \((policy .*)\)$/\1/p')
if [ -n "$ver" ] && [ "$ver" = "$wired" ]; then
	pass "fleet: the wiring's first line names the binary as --version does: $ver"
else fail "fleet: the wiring names the binary" "--version '$ver', wiring '$wired'"; fi

# ------------------------------------------------------------------ HAProxy
if ! command -v haproxy >/dev/null; then
	timeout 600 env WCSP_PKGS=haproxy sh tools/deps.sh >"$tmp/deps.log" 2>&1
fi
if ! command -v haproxy >/dev/null; then
	skip "fleet: HAProxy" "haproxy cannot be installed here (WCSP_PKGS=haproxy tools/deps.sh: $(tail -1 "$tmp/deps.log" | tr -c '[:print:]' ' '))"
	exit 0
fi
if [ ! -x "$HAMMER" ]; then fail "fleet: hammer" "$HAMMER is missing (make tests)"; exit 0; fi
info "fleet: $(haproxy -v | head -1)"

# the example holds the settings the README explains and this test measures
missing=""
for line in "timeout connect 200ms" "retries 3" "option redispatch" \
	"retry-on conn-failure empty-response" "option httpchk GET /healthz" \
	"http-check expect status 200"; do
	grep -qxF "    $line" "$CFG" || missing="$missing '$line'"
done
grep -q '^    default-server check .*observe layer4 error-limit 1 on-error mark-down$' "$CFG" ||
	missing="$missing 'observe layer4 error-limit 1 on-error mark-down'"
[ -z "$missing" ] && pass "fleet: $CFG holds its retries, redispatch, checks and observe lines" ||
	fail "fleet: $CFG settings" "missing:$missing"

# three servers on ports the kernel picks; two more free ports for HAProxy, from a server
# started and stopped on port 0
for id in 1 2 3; do
	if ! start_server "s$id" "$bin" --log-level warn; then
		fail "fleet: server $id starts" "$(peek "$tmp/srv-s$id/stderr" 300)"; exit 0; fi
done
free_port() {
	start_server probe "$bin" --log-level warn || return 1
	free=${PORT[probe]}
	stop_server probe
}
free_port && fport=$free && free_port && sport=$free ||
	{ fail "fleet: free ports" "$(peek "$tmp/srv-probe/stderr")"; exit 0; }
sed -e "s/^    bind 127\.0\.0\.1:9277$/    bind 127.0.0.1:$fport/" \
	-e "s/^    bind 127\.0\.0\.1:8404$/    bind 127.0.0.1:$sport/" \
	-e "s/^\(    server wcsp1 \)127\.0\.0\.1:9281$/\1127.0.0.1:${PORT[s1]}/" \
	-e "s/^\(    server wcsp2 \)127\.0\.0\.1:9282$/\1127.0.0.1:${PORT[s2]}/" \
	-e "s/^\(    server wcsp3 \)127\.0\.0\.1:9283$/\1127.0.0.1:${PORT[s3]}/" "$CFG" >"$tmp/haproxy.cfg"
changed=$(diff "$CFG" "$tmp/haproxy.cfg" | grep -c '^>')
[ "$changed" -eq 5 ] && pass "fleet: the test runs $CFG with only its 5 addresses changed" ||
	fail "fleet: the test's configuration" "$changed lines changed, want 5"
if haproxy -c -q -f "$tmp/haproxy.cfg" >"$tmp/haproxy.check" 2>&1; then pass "fleet: haproxy -c accepts it"
else fail "fleet: haproxy -c" "$(peek "$tmp/haproxy.check" 300)"; exit 0; fi
haproxy -db -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 &
PID[haproxy]=$!

stats() {   # the backend's servers: NAME STATUS REQUESTS RETRIES REDISPATCHES
	curl -s --max-time 5 "http://127.0.0.1:$sport/stats;csv" | awk -F, '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$1 == "wcsp" && $2 ~ /^wcsp[0-9]$/ {
			s = $col["status"]; gsub(/ /, "_", s)
			print $2, s, $col["stot"], $col["wretr"], $col["wredis"] }'
}
up=0
for _ in $(seq 100); do
	up=$(stats | awk '$2 == "UP"' | wc -l)
	[ "$up" -eq 3 ] && break
	sleep 0.05
done
[ "$up" -eq 3 ] && pass "fleet: HAProxy sees the 3 servers UP (GET /healthz checks)" ||
	{ fail "fleet: HAProxy sees the servers UP" "$(stats | tr '\n' ';') $(peek "$tmp/haproxy.log" 300)"; exit 0; }

printf '%s' '{"appKey":"defaultApp","sessionId":"/127.0.0.1:5000/127.0.0.1:8443","origin":"https://example.com"}' >"$tmp/body.json"
st=$(curl -s --max-time 5 -o "$tmp/reply" -w '%{http_code}' -X POST --data-binary @"$tmp/body.json" \
	"http://127.0.0.1:$fport/wcsp/connect")
[ "$st" = 200 ] && cmp -s "$tmp/body.json" "$tmp/reply" &&
	pass "fleet: a connect through HAProxy is decided (200, the body echoed)" ||
	fail "fleet: a connect through HAProxy" "$st $(peek "$tmp/reply")"

# ------------------------------------------------------------------ three windows of load
per=$(awk -v t="$TOTAL" 'BEGIN { printf "%.1f", t / 3 }')
declare -A REQ ERR BAD STAT
# window NAME [SIGNAL SERVER]: wrk (bench/post.lua; hammer when wrk is missing) for $per s,
# the signal 0.5 s in
window() {
	local name=$1 out=$tmp/hammer-$1.out hp
	stats >"$tmp/stats-$name.before"
	if command -v wrk >/dev/null; then
		BODY=$tmp/body.json wrk -t2 -c"$CONNS" -d"${per%.*}s" -s bench/post.lua \
			"http://127.0.0.1:$fport/wcsp/connect" >"$out.wrk" 2>&1 &
	else
		"$HAMMER" --to "127.0.0.1:$fport" --conns "$CONNS" --seconds "$per" \
			--body "$tmp/body.json" --path /wcsp/connect >"$out" 2>&1 &
	fi
	hp=$!
	if [ $# -eq 3 ]; then
		sleep 0.5
		kill "-$2" "${PID[$3]}"
	fi
	{ wait "$hp"; } 2>/dev/null     # no "Killed" note for the server the signal ended
	# wrk's line as hammer's: requests R, errors E (connect+read+write+timeout), non-2xx
	[ -f "$out.wrk" ] && wrk_counts "$out.wrk" | awk '{ printf "wrk: requests %d, errors %d (connect %d, read %d, write %d, timeout %d), non-2xx %d\n", $1, $2, $4, $5, $6, $7, $3 }' >"$out"
	stats >"$tmp/stats-$name.after"
	REQ[$name]=$(sed -nE 's/.*requests ([0-9]+).*/\1/p' "$out")
	ERR[$name]=$(sed -nE 's/.*errors ([0-9]+).*/\1/p' "$out")
	BAD[$name]=$(grep -oE 'status [0-9]+ [0-9]+|non-2xx [0-9]+' "$out" |
		awk '$1 == "non-2xx" { n += $2 } $1 == "status" && ($2 < 200 || $2 > 299) { n += $3 }
			END { print n + 0 }')
	# HAProxy's retries and redispatches in the window, over every server
	STAT[$name]=$(paste -d' ' "$tmp/stats-$name.before" "$tmp/stats-$name.after" | awk '
		{ r += $9 - $4; d += $10 - $5 } END { printf "retries %d, redispatches %d", r, d }')
}
report() {   # report NAME WHAT
	info "fleet: $2: $(cat "$tmp/hammer-$1.out"); HAProxy ${STAT[$1]}"
}

window steady
report steady "steady, 3 servers, ${per} s x $CONNS connections"
if [ -n "${REQ[steady]}" ] && [ "${REQ[steady]}" -gt 0 ] && [ "${ERR[steady]}" = 0 ] && [ "${BAD[steady]}" = 0 ]; then
	pass "fleet: steady load: ${REQ[steady]} requests, every reply 2xx, no socket error"
else fail "fleet: steady load" "$(cat "$tmp/hammer-steady.out")"; fi

window sigterm TERM s1
report sigterm "SIGTERM to server 1 at 0.5 s"
if [ -n "${REQ[sigterm]}" ] && [ "${REQ[sigterm]}" -gt 0 ] && [ "${ERR[sigterm]}" = 0 ] && [ "${BAD[sigterm]}" = 0 ]; then
	pass "fleet: SIGTERM to one server costs nothing: ${REQ[sigterm]} requests, 0 non-2xx, 0 socket errors"
else fail "fleet: SIGTERM to one server costs nothing" "${BAD[sigterm]} non-2xx, ${ERR[sigterm]} socket errors: $(cat "$tmp/hammer-sigterm.out")"; fi
wait "${PID[s1]}"; rc=$?
unset "PID[s1]"
[ $rc -eq 0 ] && pass "fleet: the stopped server drained and exited 0" || fail "fleet: the stopped server exits 0" "exit $rc"

window sigkill KILL s2
report sigkill "SIGKILL to server 2 at 0.5 s"
{ wait "${PID[s2]}"; } 2>/dev/null
unset "PID[s2]"
lost=$((${BAD[sigkill]:-0} + ${ERR[sigkill]:-0}))
good=$((${REQ[sigkill]:-0} - lost))
if [ "$good" -gt 0 ]; then
	pass "fleet: after the SIGKILL the last server answers alone: $good replies 2xx in the window"
else fail "fleet: after the SIGKILL the last server answers" "$(cat "$tmp/hammer-sigkill.out")"; fi
# what the SIGKILL cost the client, and why (the goal is 0, but a reply cut halfway is lost)
if [ "$lost" -eq 0 ]; then
	info "fleet: SIGKILL cost nothing: the requests in flight on the killed server got a reset and no reply; HAProxy sent each again to a live server (retry-on empty-response; ${STAT[sigkill]}), which is safe because a decision changes nothing"
else
	logged=$(awk '$4 ~ /^wcsp\// && ($6 !~ /^2/ || $10 != "----") { n[$6 " " $10]++ }
		END { for (k in n) printf "%dx %s; ", n[k], k }' "$tmp/haproxy.log")
	info "fleet: SIGKILL cost $lost (${BAD[sigkill]} non-2xx, ${ERR[sigkill]} connections closed without a reply): requests the killed server held were not sent again (is retry-on empty-response set?); HAProxy logged: ${logged:-nothing}"
fi
info "fleet: HAProxy's view after the run: $(stats | tr '\n' ';')"
info "fleet: HAProxy's log: $(grep -E 'is DOWN|is UP' "$tmp/haproxy.log" | sed -E 's/^.*(Server [^ ]+ is [A-Z]+)(, reason: [^,]*)?.*/\1\2/' | uniq | tr '\n' ';')"
down=$(stats | awk '$2 ~ /^DOWN/' | wc -l)
[ "$down" -eq 2 ] && pass "fleet: HAProxy marked the stopped and the killed server DOWN" ||
	fail "fleet: HAProxy marks the servers DOWN" "$(stats | tr '\n' ';')"
total=$((${REQ[steady]:-0} + ${REQ[sigterm]:-0} + ${REQ[sigkill]:-0}))
info "fleet: $total requests in $TOTAL s from $CONNS connections; non-2xx: ${BAD[steady]:-?} steady, ${BAD[sigterm]:-?} SIGTERM, ${BAD[sigkill]:-?} SIGKILL; socket errors: ${ERR[steady]:-?}, ${ERR[sigterm]:-?}, ${ERR[sigkill]:-?}"

kill -TERM "${PID[haproxy]}" 2>/dev/null
wait "${PID[haproxy]}" 2>/dev/null
unset "PID[haproxy]"
stop_server s3 >/dev/null
exit 0
