#!/usr/bin/env bash
# tests/e2e/tokens.sh -- keys, tokens and live sets in a real server, over HTTP on 127.0.0.1.
#
#   B=build WCSPC=/abs/path/to/wcspc bash tests/e2e/tokens.sh
#
# Builds tests/e2e/policies/tokens.wcsp, keeps its key and live set in a scratch --data-dir,
# mints HS256 tokens with openssl, and checks: start-up errors (exit 2, one line naming the
# file), decisions and their reasons, the access log (the reason, never the token), SIGHUP
# (a rotated key, a broken file that keeps the old data, the reload metrics), --eval with
# --data-dir, and a live set reloaded 100 times under 30 s of load from 32 connections, every
# reply consistent with either the old or the new file. RELOAD_SECONDS and RELOADS shorten
# the last part.
set -u
cd "$(dirname "$0")/../.." || exit 2
B=${B:-build}
W=${WCSPC:?set WCSPC to the wcspc binary}
. tests/lib.sh
HAMMER=$B/tests/hammer
RELOAD_SECONDS=${RELOAD_SECONDS:-30}
RELOADS=${RELOADS:-100}
command -v openssl >/dev/null || { skip "tokens e2e" "openssl is missing (tools/deps.sh)"; exit 0; }
command -v curl >/dev/null || { fail "tokens e2e" "curl is missing"; exit 0; }

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
# hs256 SECRET-FILE CLAIMS-JSON: a compact JWS
hs256() {
	local h p s
	h=$(printf '%s' '{"alg":"HS256","typ":"JWT"}' | b64url)
	p=$(printf '%s' "$2" | b64url)
	s=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(od -An -v -tx1 "$1" | tr -d ' \n')" -binary | b64url)
	printf '%s.%s.%s' "$h" "$p" "$s"
}
# post PORT METHOD BODY: sets ST (status) and RE (reply)
post() {
	ST=$(curl -s --max-time 5 -o "$tmp/reply" -w '%{http_code}' -X POST --data-binary "$3" \
		-H 'Content-Type: application/json' "http://127.0.0.1:$1/rest/$2")
	RE=$(cat "$tmp/reply" 2>/dev/null)
}
metric() { curl -s --max-time 5 "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
# wait_for FILE PATTERN: up to 5 s for a line in a log
wait_for() { for _ in $(seq 100); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }

bin=$tmp/tokens
if "$W" build tests/e2e/policies/tokens.wcsp -o "$bin" >"$tmp/build.log" 2>&1; then pass "tokens: build"
else fail "tokens: build" "$(peek "$tmp/build.log" 300)"; exit 0; fi
if strings "$bin" | grep -q 'e2e-secret-one'; then fail "tokens: no key byte in the binary" "found"
else pass "tokens: no key byte in the binary"; fi

# the code of tokens is linked only into servers that need it (-Wl,--as-needed)
if command -v readelf >/dev/null && "$W" build policies/echo.wcsp -o "$tmp/echo" >/dev/null 2>&1; then
	if readelf -d "$tmp/echo" | grep -q 'libhogweed\|libgmp'; then
		fail "tokens: a policy without tokens needs no hogweed nor gmp" "$(readelf -d "$tmp/echo" | grep NEEDED | tr -s ' ' | tr '\n' ' ')"
	else pass "tokens: a policy without tokens needs no hogweed nor gmp"; fi
	readelf -d "$bin" | grep -q 'libhogweed' && pass "tokens: a policy with tokens links hogweed" ||
		fail "tokens: a policy with tokens links hogweed" "$(readelf -d "$bin" | grep NEEDED | tr -s ' ' | tr '\n' ' ')"
else skip "tokens: libraries linked" "readelf or the echo build is missing"; fi

data=$tmp/data
mkdir -p "$data/keys" "$data/sets"
printf 'e2e-secret-one' >"$data/keys/web.secret"
printf 'mallory\n' >"$data/sets/banned.txt"
now=$(date +%s)
ann=$(hs256 "$data/keys/web.secret" "{\"sub\":\"ann\",\"aud\":\"wcs\",\"exp\":$((now + 3600))}")
old=$(hs256 "$data/keys/web.secret" "{\"sub\":\"ann\",\"aud\":\"wcs\",\"exp\":$((now - 60))}")
mal=$(hs256 "$data/keys/web.secret" "{\"sub\":\"mallory\",\"aud\":\"wcs\",\"exp\":$((now + 3600))}")

# ------------------------------------------------------------------ start-up errors
(cd "$tmp" && timeout 10 "$bin" --listen 127.0.0.1:0 >"$tmp/o" 2>"$tmp/e"); rc=$?
line=$(cat "$tmp/e")
if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/e")" -eq 1 ] && [[ $line == *"keys/web.secret"* ]]; then
	pass "tokens: a missing key file stops the start (exit 2, one line naming it)"
else fail "tokens: a missing key file stops the start" "exit $rc: $line"; fi
mkdir -p "$tmp/nolive/keys" && cp "$data/keys/web.secret" "$tmp/nolive/keys/"
timeout 10 "$bin" --listen 127.0.0.1:0 --data-dir "$tmp/nolive" >"$tmp/o" 2>"$tmp/e"; rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/e")" -eq 1 ] && grep -q 'sets/banned.txt' "$tmp/e"; then
	pass "tokens: a missing live set stops the start (exit 2, one line naming it)"
else fail "tokens: a missing live set stops the start" "exit $rc: $(peek "$tmp/e" 300)"; fi
for bad in x -1 1048577; do
	timeout 10 "$bin" --token-cache "$bad" >"$tmp/o" 2>"$tmp/e"; rc=$?
	if [ $rc -eq 2 ] && grep -q -- '--token-cache wants 0..1048576' "$tmp/e"; then pass "tokens: --token-cache $bad refused"
	else fail "tokens: --token-cache $bad refused" "exit $rc: $(peek "$tmp/e")"; fi
done

# ------------------------------------------------------------------ --eval
out=$(printf '{"custom":{"token":"%s"}}' "$ann" | "$bin" --eval connect --data-dir "$data" 2>&1)
if [[ $out == "200 allow -"* && $out == *'"who":"ann"'* ]]; then pass "tokens: --eval --data-dir verifies a token"
else fail "tokens: --eval --data-dir verifies a token" "$out"; fi

# ------------------------------------------------------------------ decisions
if ! start_server tok "$bin" --data-dir "$data"; then
	fail "tokens: server starts" "$(peek "$tmp/srv-tok/stderr" 300)"; exit 0; fi
pass "tokens: server starts with --data-dir"
p=${PORT[tok]}
post "$p" connect "{\"custom\":{\"token\":\"$ann\"}}"
[ "$ST" = 200 ] && [[ $RE == *'"custom":{"token":"'*'","who":"ann"}'* ]] && pass "tokens: a valid token is allowed, its claim interpolated" ||
	fail "tokens: a valid token is allowed" "$ST $RE"
post "$p" connect "{\"custom\":{\"token\":\"Bearer $ann\"}}"
[ "$ST" = 200 ] && pass "tokens: Bearer prefix" || fail "tokens: Bearer prefix" "$ST $RE"
post "$p" connect "{\"custom\":{\"token\":\"$old\"}}"
[ "$ST" = 403 ] && [ "$RE" = '{"error":"denied","reason":"token expired"}' ] && pass "tokens: expired: 403 token expired" ||
	fail "tokens: expired: 403 token expired" "$ST $RE"
post "$p" connect '{"custom":{}}'
[ "$ST" = 403 ] && [ "$RE" = '{"error":"denied","reason":"token missing"}' ] && pass "tokens: missing: 403 token missing" ||
	fail "tokens: missing" "$ST $RE"
# the signature's last character changed to another canonical one ('A' or 'E': the last of
# 43 characters carries 4 bits), so that it still decodes; a token already ending in 'A'
# would otherwise come out untouched (one run in 16)
[ "${ann: -1}" = A ] && flip=E || flip=A
post "$p" connect "{\"custom\":{\"token\":\"${ann%?}$flip\"}}"
[ "$ST" = 403 ] && [ "$RE" = '{"error":"denied","reason":"token signature invalid"}' ] && pass "tokens: tampered: 403 token signature invalid" ||
	fail "tokens: tampered" "$ST $RE"
post "$p" connect "{\"custom\":{\"token\":\"$mal\"}}"
[ "$ST" = 403 ] && [ "$RE" = '{"error":"denied","reason":"banned"}' ] && pass "tokens: a claim in a live set" ||
	fail "tokens: a claim in a live set" "$ST $RE"
kill -HUP "${PID[tok]}"   # flushes nothing by itself; the log reaches its file within a second
sleep 1.2
log=$tmp/srv-tok/stdout
if grep -q 'decision=deny status=403 rule=tokens.wcsp:11 reason="token expired"' "$log"; then
	pass "tokens: the access log names the reason"
else fail "tokens: the access log names the reason" "$(grep -m1 'decision=deny' "$log")"; fi
sig=${ann##*.}
if grep -qF -- "$sig" "$log" "$tmp/srv-tok/stderr" || grep -qF -- "${ann%%.*}" "$log"; then
	fail "tokens: the token is never logged" "found in the logs"
else pass "tokens: the token is never logged"; fi

# ------------------------------------------------------------------ SIGHUP
t0=$(metric "$p" wcsp_reload_timestamp_seconds)
[ -n "$t0" ] && [ "$t0" -ge "$now" ] && pass "tokens: wcsp_reload_timestamp_seconds is the start ($t0)" ||
	fail "tokens: wcsp_reload_timestamp_seconds" "'$t0'"
printf 'e2e-secret-two' >"$data/keys/web.secret.new" && mv "$data/keys/web.secret.new" "$data/keys/web.secret"
ann2=$(hs256 "$data/keys/web.secret" "{\"sub\":\"ann\",\"aud\":\"wcs\",\"exp\":$((now + 3600))}")
sleep 1.1   # the timestamp has whole seconds
kill -HUP "${PID[tok]}"
wait_for "$tmp/srv-tok/stderr" 'reload: 1 key and 1 live set loaded' ||
	fail "tokens: SIGHUP logs the reload" "$(peek "$tmp/srv-tok/stderr" 300)"
post "$p" connect "{\"custom\":{\"token\":\"$ann\"}}"
[ "$ST" = 403 ] && [[ $RE == *'token signature invalid'* ]] && pass "tokens: after SIGHUP the old key is gone (cache emptied too)" ||
	fail "tokens: after SIGHUP the old key is gone" "$ST $RE"
post "$p" connect "{\"custom\":{\"token\":\"$ann2\"}}"
[ "$ST" = 200 ] && pass "tokens: after SIGHUP the new key verifies" || fail "tokens: after SIGHUP the new key verifies" "$ST $RE"
t1=$(metric "$p" wcsp_reload_timestamp_seconds)
[ -n "$t1" ] && [ "$t1" -gt "$t0" ] && pass "tokens: wcsp_reload_timestamp_seconds moves on SIGHUP" ||
	fail "tokens: wcsp_reload_timestamp_seconds moves" "$t0 -> $t1"
mv "$data/keys/web.secret" "$data/keys/web.secret.away"
kill -HUP "${PID[tok]}"
wait_for "$tmp/srv-tok/stderr" "reload: cannot load key 'web' from $data/keys/web.secret" &&
	pass "tokens: a failed reload logs one line naming the file" ||
	fail "tokens: a failed reload logs" "$(tail -2 "$tmp/srv-tok/stderr")"
mv "$data/keys/web.secret.away" "$data/keys/web.secret"
post "$p" connect "{\"custom\":{\"token\":\"$ann2\"}}"
[ "$ST" = 200 ] && pass "tokens: a failed reload keeps the old key" || fail "tokens: a failed reload keeps the old key" "$ST $RE"
f=$(metric "$p" wcsp_reload_failures_total)
[ "$f" = 1 ] && pass "tokens: wcsp_reload_failures_total counts it" || fail "tokens: wcsp_reload_failures_total" "'$f'"
[ "$(metric "$p" wcsp_reload_timestamp_seconds)" = "$t1" ] && pass "tokens: a failed reload leaves the timestamp" ||
	fail "tokens: a failed reload leaves the timestamp" "$(metric "$p" wcsp_reload_timestamp_seconds)"
stop_server tok; rc=$?
[ $rc -eq 0 ] && pass "tokens: SIGTERM exit 0" || fail "tokens: SIGTERM exit 0" "exit $rc"

# ------------------------------------------------------------------ a live set under load
if [ ! -x "$HAMMER" ]; then fail "tokens: live set under load" "$HAMMER is missing (make tests)"; exit 0; fi
for i in $(seq 1 2000); do echo "a-$i"; done >"$tmp/old.txt"
for i in $(seq 1 2000); do echo "b-$i"; done >"$tmp/new.txt"
cp "$tmp/old.txt" "$data/sets/banned.txt"
if ! start_server load "$bin" --data-dir "$data" --log-level warn; then
	fail "tokens: load server starts" "$(peek "$tmp/srv-load/stderr" 300)"; exit 0; fi
p=${PORT[load]}
printf '{"custom":{"a":"a-1000","b":"b-1000"}}' >"$tmp/probe.json"
post "$p" probe "$(cat "$tmp/probe.json")"
[ "$ST" = 403 ] && pass "tokens: probe against the old file: 403" || fail "tokens: probe against the old file" "$ST $RE"
"$HAMMER" --to "127.0.0.1:$p" --conns 32 --seconds "$RELOAD_SECONDS" --body "$tmp/probe.json" --path /rest/probe >"$tmp/hammer.out" 2>&1 &
hp=$!
gap=$(awk -v s="$RELOAD_SECONDS" -v n="$RELOADS" 'BEGIN { printf "%.3f", (s - 2) / n }')
sleep 1
for i in $(seq 1 "$RELOADS"); do
	if [ $((i % 2)) -eq 1 ]; then src=$tmp/new.txt; else src=$tmp/old.txt; fi
	cp "$src" "$data/sets/banned.txt.tmp" && mv "$data/sets/banned.txt.tmp" "$data/sets/banned.txt"
	kill -HUP "${PID[load]}"
	sleep "$gap"
done
wait "$hp"
res=$(cat "$tmp/hammer.out")
info "tokens: $RELOADS reloads under load: $res"
sleep 0.5   # the last SIGHUP's reload
n=$(metric "$p" wcsp_reloads_total)
f=$(metric "$p" wcsp_reload_failures_total)
[ "$n" = $((RELOADS + 1)) ] && [ "$f" = 0 ] && pass "tokens: $RELOADS SIGHUP reloads took, none failed (wcsp_reloads_total $n)" ||
	fail "tokens: $RELOADS SIGHUP reloads" "wcsp_reloads_total $n (want $((RELOADS + 1))), $f failed"
reqs=$(sed -E 's/.*requests ([0-9]+).*/\1/' <<<"$res")
errs=$(sed -E 's/.*errors ([0-9]+).*/\1/' <<<"$res")
s403=$(grep -oE 'status 403 [0-9]+' <<<"$res" | awk '{print $3}')
s409=$(grep -oE 'status 409 [0-9]+' <<<"$res" | awk '{print $3}')
other=$(grep -oE 'status [0-9]+ [0-9]+' <<<"$res" | awk '$2 != 403 && $2 != 409 { n += $3 } END { print n + 0 }')
if [ "${errs:-x}" = 0 ] && [ "$other" = 0 ] && [ "${s403:-0}" -gt 0 ] && [ "${s409:-0}" -gt 0 ] &&
	[ $((s403 + s409)) -eq "$reqs" ]; then
	pass "tokens: live set reloaded under load: $reqs replies, 0 errors, each from the old (403) or the new (409) file"
else fail "tokens: live set reloaded under load" "$res"; fi
stop_server load; rc=$?
[ $rc -eq 0 ] && pass "tokens: load server SIGTERM exit 0" || fail "tokens: load server SIGTERM exit 0" "exit $rc"
exit 0
