#!/usr/bin/env bash
# bench/soak.sh -- soak test of one wcsp server (bench/policy.wcsp) under mixed, hostile load.
#
#   bench/soak.sh                    60 s
#   SOAK_SECONDS=10 bench/soak.sh    smoke test
#
# Environment: SOAK_SECONDS (60), CONNS (wrk connections, 64), WARMUP (seconds of the same mix
# before the "start" RSS is taken, 5), SOAK_TIMEOUT (the server's --timeout, 5), SLOW (slow
# clients of each kind, 2), SOAK_MIX (see soak.lua), SOAK_OUT (the report, written also on
# failure; bench/soak-results.md), KEEP=1 (keep the work directory).
#
# The server: bench/policy.wcsp, --max-body 65536, --timeout SOAK_TIMEOUT, access log on (the
# default), its stdout counted by status into a file. The load, all at once:
#   - wrk -t1 -cCONNS for SOAK_SECONDS with bench/soak.lua: allowed connects (200), renamed
#     publishStreams (200), denied publishStreams (403), malformed JSON (400), 70 KB bodies
#     (413), every response checked;
#   - SLOW clients sending a whole request's headers one byte every 50 ms (must get 200);
#   - SLOW curl clients uploading a publishStream at 2 KB/s (must get 200);
#   - SLOW clients stalling mid-body and SLOW stalling mid-headers (the server must close them
#     within SOAK_TIMEOUT + 3 s);
#   - a /healthz probe every second (must answer 200 within 2 s).
# Bars (exit 1 if any fails): 0 unexpected statuses; RSS growth from after warm-up to the end
# < 1 MB; open descriptors back to their count after warm-up; every slow client got its
# answer or was dropped in time; every /healthz probe answered; /healthz answers at the end;
# SIGTERM exits 0.
# shellcheck disable=SC2015  # `A && B || C` below: B never fails
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
LOG_TAG=soak
SOAK_SECONDS=${SOAK_SECONDS:-60}
CONNS=${CONNS:-64}
WARMUP=${WARMUP:-5}
SOAK_TIMEOUT=${SOAK_TIMEOUT:-5}
SLOW=${SLOW:-2}
positive_ints SOAK_SECONDS CONNS SOAK_TIMEOUT
whole_ints WARMUP SLOW
install_missing wrk:wrk curl:curl
require_tools wrk curl make cc pgrep

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wcsp-soak.XXXXXX")
SRV_PID=""
LOG_PID=""
BG_PIDS=()       # slow clients and the health probe

# run by cleanup (bench/lib.sh) after stop_wrk: the clients, the server, the access log counter
cleanup_extra() {
	local p kids
	for p in "${BG_PIDS[@]}"; do   # a client loop, then the curl or sleep it was running
		kids=$(pgrep -P "$p" || true)
		kill -TERM "$p" 2>/dev/null || true
		# shellcheck disable=SC2086
		[[ -n $kids ]] && kill -TERM $kids 2>/dev/null || true
	done
	if [[ -n $SRV_PID ]] && kill -0 "$SRV_PID" 2>/dev/null; then
		kill -TERM "$SRV_PID" 2>/dev/null || true
		for _ in $(seq 80); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$SRV_PID" 2>/dev/null || true
	fi
	for p in "$WRK_PID" "${BG_PIDS[@]}" "$SRV_PID" "$LOG_PID"; do
		[[ -n $p ]] && wait "$p" 2>/dev/null || true
	done
}
set_traps

nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# ---- build and start -----------------------------------------------------------------------

log "work directory $WORK"
make -s -C "$ROOT" all >&2
"$ROOT/build/wcspc" build "$HERE/policy.wcsp" -o "$WORK/wcsp-soak" >&2

# the access log goes through a fifo to awk, which counts lines by status
mkfifo "$WORK/access.fifo"
awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^status=/) { n[substr($i, 8)]++; break } }
	END { for (s in n) print s, n[s] }' <"$WORK/access.fifo" >"$WORK/access.count" &
LOG_PID=$!
"$WORK/wcsp-soak" --listen 127.0.0.1:0 --max-body 65536 --timeout "$SOAK_TIMEOUT" \
	>"$WORK/access.fifo" 2>"$WORK/server.err" &
SRV_PID=$!
PORT=$(wait_port "$WORK/server.err" "$SRV_PID") || exit 1
URL=http://127.0.0.1:$PORT
sleep 0.3
RSS_IDLE=$(rss_kb "$SRV_PID")
log "server pid $SRV_PID on port $PORT, idle RSS $RSS_IDLE kB, $(nfds "$SRV_PID") fds"

# ---- bodies and reference replies ----------------------------------------------------------

D=$WORK/lua
mkdir -p "$D"
cp "$HERE/bodies/connect.json" "$D/allow.json"
cp "$HERE/bodies/publish.json" "$D/override.json"
sed -e 's/"token":"7c1f0e42d9a84b6b"/"token":"ffffffffffffffff"/' -e 's/"user":"alice"/"user":"mallory"/' \
	"$HERE/bodies/publish.json" >"$D/deny.json"
cmp -s "$D/deny.json" "$D/override.json" && { log "could not derive deny.json"; exit 1; }
# 70 KB: a connect body with a long pad field (the server's limit is 65536)
{ printf '{"appKey":"defaultApp","pad":"'; head -c 71680 /dev/zero | tr '\0' x; printf '"}'; } \
	>"$D/big.json"
cat >"$D/malformed.txt" <<'EOF'
{"appKey":"defaultApp","sessionId":"/192.168.1.38:64604/192.168.1.59:8443","origin":
{"appKey":"defaultApp"}{"appKey":"other"}
{"appKey":"defaultApp","width":12x80}
{"appKey":"defaultApp","appKey":"otherApp"}
["appKey","defaultApp"]
{"appKey":"defaultApp","custom":{"token":"7c1f0e42d9a84b6b",}}
{"appKey":"defaultApp","record":tru}
{"appKey":"defaultApp","name":"\u12"}
EOF

ref() {   # ref METHOD BODYFILE OUTFILE -> status
	curl -s -o "$3" -w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' \
		--data-binary "@$2" "$URL/apps/defaultApp/$1"
}
[[ $(ref connect "$D/allow.json" "$D/reply-allow.json") == 200 ]] &&
	grep -q '"restClientConfig":{' "$D/reply-allow.json" ||
	{ log "allowed connect: not a 200 with restClientConfig"; exit 1; }
[[ $(ref publishStream "$D/override.json" "$D/reply-override.json") == 200 ]] &&
	grep -q '"name":"live-alice-cam1"' "$D/reply-override.json" ||
	{ log "publishStream: not a 200 with the name overridden"; exit 1; }
[[ $(ref publishStream "$D/deny.json" "$WORK/r") == 403 ]] || { log "deny: not 403"; exit 1; }
[[ $(ref connect "$D/big.json" "$WORK/r") == 413 ]] || { log "70 KB body: not 413"; exit 1; }
while IFS= read -r line; do
	printf '%s' "$line" >"$WORK/m.json"
	st=$(ref connect "$WORK/m.json" "$WORK/r")
	[[ $st == 400 ]] || { log "malformed body got $st, not 400: $line"; exit 1; }
done <"$D/malformed.txt"

# ---- slow clients --------------------------------------------------------------------------

# Each loop runs until the deadline; one iteration takes at most SOAK_TIMEOUT + 5 s (plus the
# byte-by-byte sending), so every loop ends soon after the load does. Results: one word a
# line in $WORK/slow.<kind>.<n>: ok, or why not.
HOST_HDR="Host: 127.0.0.1:$PORT"
slow_headers() {   # the whole header block one byte every 50 ms, then the body at once
	local out=$1 deadline=$2 body hdr i line st
	body=$(<"$D/allow.json")
	hdr=$'POST /apps/defaultApp/connect HTTP/1.1\r\n'"$HOST_HDR"$'\r\nContent-Type: application/json\r\nContent-Length: '"${#body}"$'\r\n\r\n'
	while ((SECONDS < deadline)); do
		if ! exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then echo connect-failed >>"$out"; sleep 1; continue; fi
		for ((i = 0; i < ${#hdr}; i++)); do
			printf '%s' "${hdr:i:1}" >&3 2>/dev/null || break
			sleep 0.05
		done
		printf '%s' "$body" >&3 2>/dev/null || true
		line=""
		IFS= read -r -t $((SOAK_TIMEOUT + 5)) -u 3 line || true
		st=$(awk '{ print $2 }' <<<"$line")
		[[ $st == 200 ]] && echo ok >>"$out" || echo "status-${st:-none}" >>"$out"
		exec 3>&-
	done
}
slow_curl() {   # a publishStream uploaded at 2 KB/s
	local out=$1 deadline=$2 st
	while ((SECONDS < deadline)); do
		st=$(curl -s -o /dev/null -w '%{http_code}' --max-time $((SOAK_TIMEOUT + 10)) \
			--limit-rate 2k -H 'Expect:' -H 'Content-Type: application/json' \
			--data-binary "@$D/override.json" "$URL/apps/defaultApp/publishStream" || true)
		[[ $st == 200 ]] && echo ok >>"$out" || echo "status-${st:-none}" >>"$out"
	done
}
stall() {   # send part of a request, then nothing: the server must close within its timeout
	local out=$1 deadline=$2 what=$3 part t0 rc line el
	if [[ $what == body ]]; then
		part=$'POST /apps/defaultApp/connect HTTP/1.1\r\n'"$HOST_HDR"$'\r\nContent-Type: application/json\r\nContent-Length: 451\r\n\r\n{"appKey":"defaultApp","sessionId":"/192.168'
	else
		part=$'POST /apps/defaultApp/connect HTTP/1.1\r\n'"$HOST_HDR"$'\r\nContent-Type: appl'
	fi
	while ((SECONDS < deadline)); do
		if ! exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then echo connect-failed >>"$out"; sleep 1; continue; fi
		printf '%s' "$part" >&3 2>/dev/null || true
		t0=$EPOCHREALTIME
		rc=0
		IFS= read -r -t $((SOAK_TIMEOUT + 3)) -u 3 line || rc=$?
		el=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
		if ((rc > 128)); then
			echo "not-closed-after-${el}s" >>"$out"
		elif [[ -n ${line:-} ]]; then
			echo "answered:${line%%$'\r'}" | tr ' ' _ >>"$out"
		elif awk -v e="$el" -v t="$SOAK_TIMEOUT" 'BEGIN { exit !(e < t - 1) }'; then
			echo "closed-early-after-${el}s" >>"$out"
		else
			echo ok >>"$out"
			echo "$el" >>"$out.times"
		fi
		exec 3>&-
		line=""
	done
}
health_probe() {
	local out=$1 deadline=$2 st
	while ((SECONDS < deadline)); do
		st=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 2 "$URL/healthz" || true)
		echo "$st" >>"$out"
		sleep 1
	done
}

# ---- warm-up, then the soak ----------------------------------------------------------------

if ((WARMUP > 0)); then
	log "warm-up: ${WARMUP}s of the same mix"
	SOAK_DIR=$D timeout -k 5 $((WARMUP + 30)) wrk -t1 -c"$CONNS" -d"${WARMUP}s" \
		-s "$HERE/soak.lua" "$URL/" >"$WORK/warmup.out" 2>&1 &
	WRK_PID=$!
	wait "$WRK_PID" || { log "warm-up wrk failed:"; cat "$WORK/warmup.out" >&2; exit 1; }
	WRK_PID=""
	grep -q ' unexpected=0 ' "$WORK/warmup.out" || {
		log "warm-up already saw unexpected statuses:"; cat "$WORK/warmup.out" >&2; }
	sleep 1
fi
RSS_START=$(rss_kb "$SRV_PID")
FDS_START=$(nfds "$SRV_PID")
log "start: RSS $RSS_START kB, $FDS_START fds; soaking for ${SOAK_SECONDS}s with $CONNS connections"

deadline=$((SECONDS + SOAK_SECONDS))
for ((n = 1; n <= SLOW; n++)); do
	slow_headers "$WORK/slow.headers.$n" "$deadline" & BG_PIDS+=($!)
	slow_curl "$WORK/slow.curl.$n" "$deadline" & BG_PIDS+=($!)
	stall "$WORK/slow.stall-body.$n" "$deadline" body & BG_PIDS+=($!)
	stall "$WORK/slow.stall-headers.$n" "$deadline" headers & BG_PIDS+=($!)
done
health_probe "$WORK/health" "$deadline" & BG_PIDS+=($!)

SOAK_DIR=$D timeout -k 5 $((SOAK_SECONDS + 60)) wrk -t1 -c"$CONNS" -d"${SOAK_SECONDS}s" \
	--latency -s "$HERE/soak.lua" "$URL/" >"$WORK/wrk.out" 2>&1 &
WRK_PID=$!
wrk_rc=0
wait "$WRK_PID" || wrk_rc=$?
WRK_PID=""
log "wrk done (exit $wrk_rc); waiting for the slow clients to finish"
for p in "${BG_PIDS[@]}"; do
	# bounded: each loop ends within SOAK_TIMEOUT + 10 s of the deadline, plus ~20 s of bytes
	for _ in $(seq $(((SOAK_TIMEOUT + 40) * 10))); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kids=$(pgrep -P "$p" || true)
	kill -TERM "$p" 2>/dev/null || true
	# shellcheck disable=SC2086
	[[ -n $kids ]] && kill -TERM $kids 2>/dev/null || true
	wait "$p" 2>/dev/null || true
done
BG_PIDS=()
sleep 1
SRV_ALIVE=yes
kill -0 "$SRV_PID" 2>/dev/null || SRV_ALIVE=no
RSS_END=$( [[ $SRV_ALIVE == yes ]] && rss_kb "$SRV_PID" || echo 0)
FDS_END=$( [[ $SRV_ALIVE == yes ]] && nfds "$SRV_PID" || echo 0)
HWM=$( [[ $SRV_ALIVE == yes ]] && hwm_kb "$SRV_PID" || echo 0)
HEALTH_END=$(curl -s -o "$WORK/health.body" -w '%{http_code}' --max-time 2 "$URL/healthz" || true)
curl -s --max-time 2 "$URL/metrics" >"$WORK/metrics.txt" || true

# ---- stop the server -----------------------------------------------------------------------

EXIT_RC=none
if [[ $SRV_ALIVE == yes ]]; then
	kill -TERM "$SRV_PID"
	t0=$SECONDS
	for _ in $(seq 100); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$SRV_PID" 2>/dev/null; then
		EXIT_RC="still running 10 s after SIGTERM"
		kill -KILL "$SRV_PID"
		wait "$SRV_PID" 2>/dev/null || true
	else
		EXIT_RC=0
		wait "$SRV_PID" || EXIT_RC=$?
	fi
	STOP_S=$((SECONDS - t0))
fi
SRV_PID=""
wait "$LOG_PID" 2>/dev/null || true
LOG_PID=""

# ---- report --------------------------------------------------------------------------------

set +e +o pipefail   # from here on a missing file must not end the script before its verdict

fails=0
bar() {   # bar OK|FAIL text
	printf '| %s | %s |\n' "$2" "$1"
	[[ $1 == ok ]] || fails=$((fails + 1))
	return 0
}
line=$(grep '^SOAK ' "$WORK/wrk.out" || true)
kv() { sed -n "s/.* $1=\\([0-9]*\\).*/\\1/p" <<<"$line"; }
count_of() { cat "$WORK"/slow."$1".[0-9] "$WORK"/slow."$1".[0-9][0-9] 2>/dev/null | grep -c "${2:-.}" || true; }

{
	echo "# wcsp soak: $(utc_now)"
	echo
	echo "- machine: $(nproc) cores, $(cpu_model), Linux $(uname -r)"
	echo "- command: \`SOAK_SECONDS=$SOAK_SECONDS CONNS=$CONNS WARMUP=$WARMUP SOAK_TIMEOUT=$SOAK_TIMEOUT SLOW=$SLOW bench/soak.sh\`"
	echo "- server: bench/policy.wcsp, \`--max-body 65536 --timeout $SOAK_TIMEOUT\`, access log on"
	echo
	echo '```'
	grep -v '^SOAK ' "$WORK/wrk.out" | sed -n '/^kind /,$p'
	echo '```'
	echo
	wline=$(grep '^SOAK ' "$WORK/warmup.out" 2>/dev/null || true)
	# shellcheck disable=SC2001
	[[ -n $wline ]] && echo "- warm-up (${WARMUP}s, not in the figures below): $(sed 's/.* received=\([0-9]*\) unexpected=\([0-9]*\).*/\1 answered, \2 unexpected/' <<<"$wline")"
	if [[ -n $line ]]; then
		sent=$(kv sent); recv=$(kv received)
		echo "- requests: $sent sent, $recv answered in ${SOAK_SECONDS}s ($(awk -v r="$recv" -v s="$SOAK_SECONDS" 'BEGIN { printf "%.0f", r / s }') req/s); wrk socket errors: connect $(kv connect), read $(kv read), write $(kv write), timeout $(kv timeout)"
		echo "- latency: p50 $(kv p50_us) µs, p99 $(kv p99_us) µs, max $(kv max_us) µs"
	fi
	echo "- RSS: idle $RSS_IDLE kB, after warm-up (start) $RSS_START kB, end $RSS_END kB (growth $((RSS_END - RSS_START)) kB), peak $HWM kB"
	echo "- open descriptors: start $FDS_START, end $FDS_END"
	closes=$(cat "$WORK"/slow.stall-*.times 2>/dev/null | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%s-%s s", lo, hi; else print "none" }')
	echo "- stalled connections closed by the server after: $closes (--timeout $SOAK_TIMEOUT)"
	for k in headers curl stall-body stall-headers; do
		echo "- slow clients \`$k\`: $(count_of "$k" '^ok$') ok of $(count_of "$k")$(cat "$WORK"/slow."$k".[0-9] "$WORK"/slow."$k".[0-9][0-9] 2>/dev/null | grep -v '^ok$' | sort | uniq -c | awk '{ printf "%s %s x%d", (NR == 1 ? "; others:" : ","), $2, $1 }')"
	done
	hp_total=$(wc -l <"$WORK/health" 2>/dev/null || echo 0)
	hp_ok=$(grep -c '^200 ' "$WORK/health" 2>/dev/null || true)
	hp_max=$(awk '{ if ($2 > m) m = $2 } END { printf "%.3f", m }' "$WORK/health" 2>/dev/null || echo '?')
	echo "- /healthz probes during the soak: $hp_ok of $hp_total answered 200 (slowest ${hp_max} s)"
	echo "- access log lines by status: $(sort "$WORK/access.count" 2>/dev/null | tr '\n' ' ')"
	echo "- /metrics at the end: $(grep -c . "$WORK/metrics.txt" 2>/dev/null || echo 0) lines"
	echo "- stop: SIGTERM -> exit ${EXIT_RC} after ${STOP_S:-?} s"
	echo
	echo "| bar | result |"
	echo "|---|---|"
	[[ $wrk_rc == 0 && -n $line ]] && bar ok "wrk ran to the end (exit $wrk_rc)" || bar FAIL "wrk ran to the end (exit $wrk_rc)"
	[[ -n $line && $(kv unexpected) == 0 ]] && bar ok "unexpected statuses: $(kv unexpected)" || bar FAIL "unexpected statuses: $(kv unexpected)"
	[[ $SRV_ALIVE == yes ]] && bar ok "server alive at the end" || bar FAIL "server alive at the end"
	(( RSS_END - RSS_START < 1024 )) && bar ok "RSS growth $((RSS_END - RSS_START)) kB < 1024 kB" || bar FAIL "RSS growth $((RSS_END - RSS_START)) kB < 1024 kB"
	(( FDS_END <= FDS_START )) && bar ok "descriptors $FDS_START -> $FDS_END" || bar FAIL "descriptors $FDS_START -> $FDS_END"
	for k in headers curl stall-body stall-headers; do
		t=$(count_of "$k"); o=$(count_of "$k" '^ok$')
		if ((SLOW == 0)); then
			bar ok "slow clients $k: not run (SLOW=0)"
		else
			(( t > 0 && o == t )) && bar ok "slow clients $k: $o/$t" || bar FAIL "slow clients $k: $o/$t"
		fi
	done
	(( hp_total > 0 && hp_ok == hp_total )) && bar ok "/healthz during soak: $hp_ok/$hp_total" || bar FAIL "/healthz during soak: $hp_ok/$hp_total"
	[[ $HEALTH_END == 200 ]] && bar ok "/healthz at the end: $HEALTH_END" || bar FAIL "/healthz at the end: ${HEALTH_END:-none}"
	[[ $EXIT_RC == 0 ]] && bar ok "SIGTERM -> exit 0" || bar FAIL "SIGTERM -> exit $EXIT_RC"
	echo
	echo "fails=$fails"
} >"$WORK/report.md"
sed '$d' "$WORK/report.md"
fails=$(sed -n 's/^fails=//p' "$WORK/report.md")
sed '$d' "$WORK/report.md" >"${SOAK_OUT:-$HERE/soak-results.md}"
if ((fails > 0)); then
	log "$fails bar(s) failed"
	[[ ${KEEP:-0} == 1 ]] || log "rerun with KEEP=1 to keep $WORK"
	cat "$WORK/server.err" >&2
	exit 1
fi
log "all bars passed"
