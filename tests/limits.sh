#!/usr/bin/env bash
# tests/limits.sh -- limits, strict input and life cycle of the server (the hardening issue):
# each bad input with the status it gets, slow and idle clients, connection limits, header
# overflow, bad flags and a failed bind. Prints PASS/FAIL lines, and INFO lines that form the
# transcript "input -> status".
set -u
cd "$(dirname "$0")/.."
W=${WCSPC:?}
B=${B:-build}
. tests/lib.sh
fds=()

"$W" build policies/token-publish.wcsp -o "$tmp/srv" 2>/dev/null || { echo "FAIL limits: build"; exit 0; }
start() {   # start NAME ARGS...: sets port; runs $SRV (default: the token-publish server)
	local n=$1; shift
	start_server "$n" "${SRV:-$tmp/srv}" "$@" && return 0
	fail "limits: server $n starts" "$(peek "$tmp/srv-$n/stderr")"
	exit 0
}

# --- strict input: exactly one JSON object, else 400 with a reason
start strict
bad() {   # bad NAME BODY-PRINTF-FORMAT WANT-STATUS
	printf "$2" >"$tmp/body"
	local got reason
	got=$(curl -s --max-time 5 -o "$tmp/out" -w '%{http_code}' -XPOST --data-binary @"$tmp/body" \
		"http://127.0.0.1:$port/rest/publishStream")
	reason=$(sed -n 's/.*"reason":"\([^"]*\)".*/\1/p' "$tmp/out")
	if [ "$got" = "$3" ]; then echo "PASS bad input $1 -> $got"; else echo "FAIL bad input $1: got $got, want $3"; fi
	echo "INFO $(printf '%-28s' "$1") -> $got ${reason:+($reason)}"
}
bad "trailing bytes" '{"a":1} x' 400
bad "two objects" '{"a":1}{"b":2}' 400
bad "trailing comma" '{"a":1,}' 400
bad "not JSON" '[ thanx ]' 400
bad "top-level array" '[1,2]' 400
bad "raw control character" '{"a":"x\001y"}' 400
bad "invalid number 01" '{"a":01}' 400
bad "invalid number 1x2" '{"a":1x2}' 400
bad "invalid literal" '{"a":tru}' 400
bad "invalid \\u escape" '{"a":"\\u12G4"}' 400
bad "lone surrogate" '{"a":"\\ud800"}' 400
bad "invalid UTF-8" '{"a":"\377"}' 400
bad "overlong UTF-8" '{"a":"\300\257"}' 400
bad "duplicate key" '{"a":1,"\\u0061":2}' 400
bad "empty body" '' 400
deep=$(printf '{"a":%.0s' $(seq 64))1$(printf '}%.0s' $(seq 64))
bad "nesting 64 (the limit)" "$deep" 403
deep=$(printf '{"a":%.0s' $(seq 65))1$(printf '}%.0s' $(seq 65))
bad "nesting 65" "$deep" 400
# 1 MiB of '[': refused at the 65th level, in one linear pass, while /healthz is answered
{ printf '{"a":'; head -c 1048500 /dev/zero | tr '\0' '['; } >"$tmp/deep.json"
curl -s --max-time 30 -o "$tmp/deep.out" -w '%{http_code} %{time_total}' -XPOST --data-binary @"$tmp/deep.json" \
	"http://127.0.0.1:$port/rest/publishStream" >"$tmp/deep.st" &
dp=$!
h=$(curl -s --max-time 5 -o /dev/null -w '%{http_code} %{time_total}' "http://127.0.0.1:$port/healthz")
wait $dp
read -r st secs <"$tmp/deep.st"
if [ "$st" = 400 ] && grep -q '"nesting too deep"' "$tmp/deep.out" && awk -v s="$secs" 'BEGIN { exit !(s < 1) }' &&
	[ "${h% *}" = 200 ]; then echo "PASS 1 MiB of [ -> 400 nesting too deep in $secs s; /healthz meanwhile ${h% *} in ${h#* } s"
else echo "FAIL 1 MiB of [: $st in $secs s ($(head -c 80 "$tmp/deep.out")), /healthz $h"; fi
echo "INFO 1 MiB of [                     -> $st in $secs s; /healthz meanwhile ${h% *} in ${h#* } s"
got=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/rest/publishStream")
[ "$got" = 405 ] && echo "PASS GET on a hook -> 405" || echo "FAIL GET on a hook: $got"
echo "INFO GET /rest/publishStream         -> $got"
got=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -XPOST -d '{}' "http://127.0.0.1:$port/rest/not-a-hook")
[ "$got" = 404 ] && echo "PASS non-hook path -> 404" || echo "FAIL non-hook path: $got"
echo "INFO POST /rest/not-a-hook           -> $got"
got=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -XPOST -d '{}' -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)" "http://127.0.0.1:$port/rest/publishStream")
[ "$got" = 431 ] && echo "PASS header overflow -> 431" || echo "FAIL header overflow: $got"
echo "INFO 40 KB header                   -> $got"
got=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -XPOST -d '{"name":"a","custom":{"token":"7c1f0e42d9a84b6b"}}' "http://127.0.0.1:$port/rest/publishStream")
[ "$got" = 200 ] && echo "PASS still serving after bad input" || echo "FAIL still serving after bad input: $got"

# --- refusals that leave the framing intact (404, 405) keep the connection: WCS's client
# sends every hook on one kept-alive connection
u=http://127.0.0.1:$port
w='%{http_code}/%{num_connects} '
got=$(curl -s -o /dev/null -w "$w" "$u/rest/publishStream" \
	--next -s -o /dev/null -w "$w" -XPOST -d '{}' "$u/rest/someHook" \
	--next -s -o /dev/null -w "$w" -XPUT -d '{"a":1}' "$u/rest/someHook" \
	--next -s -o /dev/null -w "$w" -XDELETE "$u/rest/someHook" \
	--next -s -o /dev/null -w "$w" -XPOST -d '{}' "$u/rest/not-a-hook" \
	--next -s -o /dev/null -w "$w" -XPOST -d '{}' --path-as-is "$u/rest/x%00/y" \
	--next -s -o /dev/null -w "$w" -XPOST "$u/healthz" \
	--next -s -o /dev/null -w "$w" "$u/healthz")
[ "$got" = "405/1 200/0 405/0 405/0 404/0 404/0 405/0 200/0 " ] &&
	echo "PASS 404 and 405 keep the connection open (status/new connections: $got)" ||
	echo "FAIL 404 and 405 keep the connection open: $got"

# --- request framing: headers that make libmicrohttpd misjudge where a body ends get 400,
# and the connection is closed, so the bytes after them are never read as a request
raw() {   # raw NAME REQUEST-PRINTF-FORMAT WANT-REASON: one connection, every reply on it
	local out
	# one write: were the request split, the server could close with bytes still unread,
	# and the kernel would answer them with a reset that drops the reply in flight
	printf "$2" >"$tmp/raw.req"
	out=$( (exec 3<>"/dev/tcp/127.0.0.1/$port"; cat "$tmp/raw.req" >&3; timeout 3 cat <&3) 2>/dev/null | tr -d '\r')
	local n400 statuses
	statuses=$(grep -ao 'HTTP/1.1 [0-9]* ' <<<"$out" | wc -l)
	n400=$(grep -ao 'HTTP/1.1 400 ' <<<"$out" | wc -l)
	if [ "$statuses" = 1 ] && [ "$n400" = 1 ] && grep -qF "\"reason\":\"$3\"" <<<"$out"; then
		echo "PASS framing $1 -> 400 ($3), connection closed, nothing after it served"
	else echo "FAIL framing $1: $statuses replies, $n400 of them 400: $(head -c 200 <<<"$out" | tr '\n' '|')"; fi
	echo "INFO framing $(printf '%-36s' "$1") -> $(grep -a '^HTTP/1.1 ' <<<"$out" | head -1 | cut -c10-12) ($3)"
}
smuggle='GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'
raw "Content-Length with a space" "POST /a/publishStream HTTP/1.1\r\nHost: x\r\nContent-Length : 2\r\n\r\n{}$smuggle" "malformed header name"
raw "two Content-Length" "POST /a/publishStream HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}$smuggle" "more than one Content-Length"
raw "Content-Length and chunked" "POST /a/publishStream HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n$smuggle" "both Content-Length and Transfer-Encoding"
raw "Transfer-Encoding gzip" "POST /a/publishStream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}$smuggle" "unsupported Transfer-Encoding"
raw "Transfer-Encoding twice" "POST /a/publishStream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$smuggle" "unsupported Transfer-Encoding"
got=$( (exec 3<>"/dev/tcp/127.0.0.1/$port"; printf 'POST /a/someHook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&3; timeout 2 cat <&3) 2>/dev/null | grep -ao 'HTTP/1.1 200 ' | wc -l)
[ "$got" = 2 ] && echo "PASS chunked alone is fine, and the connection stays for the next request" || echo "FAIL chunked alone: $got replies 200"

# --- paths: a NUL (%00) anywhere in the path is 404; methods are case-sensitive
for path in /rest/x%00/publishStream /rest%00/someHook /a/some%00Hook; do
	got=$(curl -s --path-as-is --max-time 5 -w ' %{http_code}' -XPOST -d '{}' "http://127.0.0.1:$port$path")
	[ "$got" = '{"error":"not found","reason":"NUL byte in the path"} 404' ] && echo "PASS NUL in the path $path -> 404" || echo "FAIL NUL in the path $path: $got"
done
got=$(curl -s --max-time 5 -w ' %{http_code}' -XPOST -d '{"name":"a"}' "http://127.0.0.1:$port/rest/PUBLISHSTREAM")
[ "$got" = '{"name":"a"} 200' ] && echo "PASS PUBLISHSTREAM is another method, echoed: $got" || echo "FAIL PUBLISHSTREAM: $got"

# --- a NUL in the appKey is logged escaped, not cut
curl -s --max-time 5 -o /dev/null -XPOST -d '{"appKey":"ab\u0000cd"}' "http://127.0.0.1:$port/rest/someHook"
sleep 1.3
grep -q 'app=ab\\x00cd method=someHook' "$tmp/srv-strict/stdout" && echo "PASS a NUL in appKey is logged as \\x00" || echo "FAIL a NUL in appKey: $(grep someHook "$tmp/srv-strict/stdout" | tail -1)"

# --- a body buffer grows with the bytes that arrive, never from Content-Length alone: 40
# connections announcing 1 MiB and sending one byte cost the server little
rss() { awk '/VmData/ { print $2 }' "/proc/${PID[strict]}/status"; }
r0=$(rss)
for i in $(seq 40); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$port"
	printf 'POST /a/publishStream HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n{' >&$fd
	fds+=("$fd")
done
sleep 0.5
r1=$(rss)
for fd in "${fds[@]}"; do exec {fd}>&-; done
if [ $((r1 - r0)) -lt 8192 ]; then echo "PASS 40 announced 1 MiB bodies cost $((r1 - r0)) kB of data memory (buffers grow with the bytes)"
else echo "FAIL 40 announced 1 MiB bodies cost $((r1 - r0)) kB of data memory"; fi

# --- slow and idle clients, connection limits
start slow --request-timeout 3 --timeout 2 --max-conns-per-ip 3
t0=$(date +%s)
( trap "" PIPE; exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'POST /a/publishStream HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n{"a":' >&3
  for _ in $(seq 8); do sleep 1; printf ' ' >&3 2>/dev/null || exit 0; done; exit 1 ) 2>/dev/null
slow_rc=$?; t1=$(date +%s)
if [ $slow_rc -eq 0 ] && [ $((t1 - t0)) -le 5 ]; then echo "PASS a trickling body is dropped ($((t1 - t0)) s, --request-timeout 3)"
else echo "FAIL a trickling body is dropped: rc $slow_rc after $((t1 - t0)) s"; fi
t0=$(date +%s)
( exec 3<>"/dev/tcp/127.0.0.1/$port"; timeout 6 cat <&3 >/dev/null ) 2>/dev/null
t1=$(date +%s)
if [ $((t1 - t0)) -le 4 ]; then echo "PASS an idle connection is closed ($((t1 - t0)) s, --timeout 2)"
else echo "FAIL an idle connection is closed: still open after $((t1 - t0)) s"; fi
exec 4<>"/dev/tcp/127.0.0.1/$port" 5<>"/dev/tcp/127.0.0.1/$port" 6<>"/dev/tcp/127.0.0.1/$port"
got=$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' -XPOST -d '{}' "http://127.0.0.1:$port/a/x")
exec 4>&- 5>&- 6>&-
[ "$got" = 000 ] && echo "PASS --max-conns-per-ip 3 refuses a fourth connection" || echo "FAIL per-IP limit: fourth got $got"
sleep 0.3
got=$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' -XPOST -d '{}' "http://127.0.0.1:$port/a/x")
[ "$got" = 200 ] && echo "PASS served again once connections close" || echo "FAIL after the limit: $got"
metrics=$(curl -s --max-time 2 "http://127.0.0.1:$port/metrics")
grep -q 'wcsp_rejects_total{reason="too_slow"} 1' <<<"$metrics" && echo "PASS metric rejects too_slow" || echo "FAIL metric rejects too_slow"

# --- life cycle: bad flags and a failed bind say one line and exit 2; SIGINT drains like SIGTERM
for args in "--threads 0" "--max-body x" "--listen nowhere" "--bogus" "--max-conns-per-ip -1"; do
	# shellcheck disable=SC2086
	"$tmp/srv" $args >/dev/null 2>"$tmp/flag.err"; rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/flag.err")" -eq 1 ]; then echo "PASS bad flag $args -> exit 2, one line"
	else echo "FAIL bad flag $args: exit $rc, $(wc -l <"$tmp/flag.err") lines"; fi
done
"$tmp/srv" --listen "127.0.0.1:$port" >/dev/null 2>"$tmp/bind.err"; rc=$?
if [ $rc -eq 2 ] && grep -q "^wcsp: cannot listen on 127.0.0.1:$port: Address already in use$" "$tmp/bind.err"
then echo "PASS a taken port -> exit 2: $(cat "$tmp/bind.err")"; else echo "FAIL a taken port: exit $rc: $(cat "$tmp/bind.err")"; fi
start sigint
kill -INT "${PID[sigint]}"; wait "${PID[sigint]}"; rc=$?; unset "PID[sigint]"
[ $rc -eq 0 ] && echo "PASS SIGINT -> exit 0" || echo "FAIL SIGINT: exit $rc"

# the access log reaches its file while the server runs (flushed once a second)
start logflush
curl -s --max-time 2 -o /dev/null -XPOST -d '{}' "http://127.0.0.1:$port/a/someHook"
sleep 1.6
if grep -q "method=someHook" "$tmp/srv-logflush/stdout"; then echo "PASS the access log is flushed while serving"
else echo "FAIL the access log is flushed while serving: $(wc -l <"$tmp/srv-logflush/stdout") lines"; fi

# --conn-memory: a bigger pool lets bigger headers in
start bigheaders --conn-memory 65536
got=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -XPOST -d '{}' -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)" "http://127.0.0.1:$port/rest/someHook")
[ "$got" = 200 ] && echo "PASS --conn-memory 65536 takes a 40 KB header" || echo "FAIL --conn-memory 65536: $got"

# --- transport checks: require signature, accept from
printf 'require signature;\npublishStream { deny 403 "no token" unless exists custom.token; }\n' >"$tmp/signed.wcsp"
printf 'accept from 10.0.0.0/8, ::1;\n' >"$tmp/lan.wcsp"
printf 'accept from 127.0.0.0/8;\n' >"$tmp/local.wcsp"
for p in signed lan local; do "$W" build "$tmp/$p.wcsp" -o "$tmp/$p" 2>/dev/null || echo "FAIL build $p.wcsp"; done
printf '1234567890' >"$tmp/key"; chmod 644 "$tmp/key"
"$tmp/signed" --secret-file "$tmp/key" --listen 127.0.0.1:0 >/dev/null 2>"$tmp/k.err"; rc=$?
[ $rc -eq 2 ] && grep -q "open to group or others" "$tmp/k.err" && echo "PASS a group-readable secret file is refused" || echo "FAIL group-readable secret: exit $rc"
env -u WCSP_SECRET "$tmp/signed" --listen 127.0.0.1:0 >/dev/null 2>"$tmp/k.err"; rc=$?
[ $rc -eq 2 ] && grep -q "requires signed hooks" "$tmp/k.err" && echo "PASS no key: refuses to start" || echo "FAIL no key: exit $rc"
chmod 600 "$tmp/key"
sign() { printf '%s' "$1" | openssl dgst -md5 -hmac 1234567890 | awk '{print $NF}'; }
for how in file env; do
	if [ $how = file ]; then SRV=$tmp/signed start sigfile --secret-file "$tmp/key"
	else SRV=$tmp/signed WCSP_SECRET=1234567890 start sigenv; fi
	body='{"name":"s1","custom":{"token":"t"}}'
	mac=$(sign "$body")
	r=""
	for h in "WCS $mac" "WCS ${mac^^}" "WCS 00000000000000000000000000000000" "Basic abc" ""; do
		r="$r $(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -XPOST --data-binary "$body" ${h:+-H "Authorization: $h"} "http://127.0.0.1:$port/rest/publishStream")"
	done
	r2=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -XPOST --data-binary "$body " -H "Authorization: WCS $mac" "http://127.0.0.1:$port/rest/publishStream")
	[ "$r" = " 200 200 403 403 403" ] && [ "$r2" = 403 ] && echo "PASS signature with the key from $how: good, upper-case hex, wrong, other scheme, missing, changed body ->$r $r2" \
		|| echo "FAIL signature with the key from $how: got$r $r2"
done
SRV=$tmp/lan start lan
got=$(curl -s --max-time 5 -w ' %{http_code}' -XPOST -d '{}' "http://127.0.0.1:$port/rest/someHook")
[ "$got" = '{"error":"forbidden","reason":"caller not accepted"} 403' ] && echo "PASS accept from 10.0.0.0/8, ::1 refuses 127.0.0.1: $got" || echo "FAIL accept refuses: $got"
SRV=$tmp/local start local
got=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -XPOST -d '{}' "http://127.0.0.1:$port/rest/someHook")
[ "$got" = 200 ] && echo "PASS accept from 127.0.0.0/8 lets 127.0.0.1 in" || echo "FAIL accept lets in: $got"

# --- outsiders and slow callers: `accept from` is applied when a connection is accepted
L=$B/tests/loris
SRV=$tmp/lan start lan2
for path in /healthz /metrics; do
	got=$(curl -s --max-time 5 -w ' %{http_code}' "http://127.0.0.1:$port$path")
	[ "$got" = '{"error":"forbidden","reason":"caller not accepted"} 403' ] && echo "PASS outsider GET $path -> 403" || echo "FAIL outsider GET $path: $(head -c 80 <<<"$got")"
done
out=$("$L" slow --to "127.0.0.1:$port" --conns 40 --seconds 2)
echo "INFO outsiders, 40 slow connections: $out"
[[ $out == "slow: opened 40, closed at once 32, "* ]] && echo "PASS outsiders hold at most 8 connections: the other 32 are closed unread" || echo "FAIL outsiders' connections: $out"

# a request must arrive whole within --request-timeout: headers trickled a byte at a time
# (each byte resets libmicrohttpd's idle timeout) are cut at the deadline
printf 'accept from 127.0.0.1, 127.0.0.2;\ninclude "%s/policies/token-publish.wcsp";\n' "$PWD" >"$tmp/two.wcsp"
"$W" build -q "$tmp/two.wcsp" -o "$tmp/two" 2>/dev/null || echo "FAIL build two.wcsp"
SRV=$tmp/two start loris --request-timeout 3 --timeout 2
out=$("$L" slow --to "127.0.0.1:$port" --from 127.0.0.2 --conns 1 --seconds 8 --interval-ms 500)
[[ $out =~ closed\ later\ 1\ \(first\ ([0-9.]+) ]] && (( ${BASH_REMATCH[1]%.*} <= 4 )) &&
	echo "PASS headers trickled one byte each 0.5 s are cut at the request deadline: $out" ||
	echo "FAIL trickled headers: $out"
# the same on a kept-alive connection, after a first request answered at once
t0=$(date +%s.%N)
( trap "" PIPE; exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'POST /a/someHook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}' >&3
  for _ in $(seq 30); do sleep 0.5; printf 'X' >&3 2>/dev/null || exit 0; done; exit 1 ) 2>/dev/null
rc=$?; t1=$(date +%s.%N)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
[ $rc -eq 0 ] && awk -v s="$secs" 'BEGIN { exit !(s <= 7) }' &&
	echo "PASS a kept-alive connection trickling its next request is cut after --timeout + --request-timeout ($secs s)" ||
	echo "FAIL kept-alive trickle: rc $rc after $secs s"

# a kept-alive connection that keeps answering moves its deadline on, and the deadline still
# holds after the last reply: five requests 0.8 s apart (3.2 s, past the 2 s window of the
# first reply) on one connection, then a trickle, cut 2 s after the last reply
loris_port=$port
start moving --request-timeout 1 --timeout 1
hook() {   # one POST on fd 3; its status into $st, the reply read whole
	local line n=0
	printf 'POST /a/someHook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}' >&3 || return 1
	IFS= read -r -t 3 line <&3 || return 1
	st=${line#HTTP/1.1 }
	st=${st%% *}
	while IFS= read -r -t 3 line <&3 && [ "$line" != $'\r' ]; do
		[[ ${line,,} == content-length:* ]] && n=${line#*: } && n=${n%$'\r'}
	done
	[ "$n" -gt 0 ] && read -r -N "$n" -t 3 line <&3
	return 0
}
out=$( ( trap "" PIPE; exec 3<>"/dev/tcp/127.0.0.1/$port"
	sts=""
	for i in 1 2 3 4 5; do
		hook || { echo "lost at request $i after${sts}"; exit 0; }
		sts="$sts $st"
		[ $i -lt 5 ] && sleep 0.8
	done
	t0=$(date +%s.%N)
	for _ in $(seq 40); do sleep 0.1; printf 'X' >&3 2>/dev/null || break; done
	t1=$(date +%s.%N)
	echo "statuses$sts, cut $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after the last reply" ) 2>/dev/null )
[[ $out =~ ^statuses\ 200\ 200\ 200\ 200\ 200,\ cut\ ([0-9.]+)\ s ]] &&
	awk -v s="${BASH_REMATCH[1]}" 'BEGIN { exit !(s >= 1.5 && s <= 3.5) }' &&
	echo "PASS a kept-alive connection answering 5 requests over 3.2 s keeps a 2 s deadline from its last reply: $out" ||
	echo "FAIL moving deadline: $out"
# the deadline thread sleeps while one connection sends request after request (it used to be
# woken by each reply: two context switches and four futex calls a request)
wakes() {   # voluntary context switches of the server's deadline thread
	local t
	for t in /proc/"${PID[moving]}"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = wcsp-deadlines ] &&
			sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' "$t/status" && return
	done
	echo -1
}
printf '{}' >"$tmp/empty.json"
w0=$(wakes)
normal=$("$L" client --to "127.0.0.1:$port" --requests 2000 --body "$tmp/empty.json" --path /a/someHook)
w1=$(wakes)
[ "$w0" -ge 0 ] && [ $((w1 - w0)) -le 20 ] && [[ $normal == "client: requests 2000, 2xx 2000,"* ]] &&
	echo "PASS the deadline thread woke $((w1 - w0)) times for 2000 requests on one connection" ||
	echo "FAIL deadline thread wakeups: $w0 -> $w1 ($normal)"
stop_server moving
port=$loris_port

# slow-loris from an outsider (127.0.0.3) and from an accepted address (127.0.0.2), 300
# connections each, while a normal caller (127.0.0.1) sends requests on one connection
printf '{"appKey":"defaultApp","name":"cam1","custom":{"token":"7c1f0e42d9a84b6b"}}' >"$tmp/ok.json"
"$L" slow --to "127.0.0.1:$port" --from 127.0.0.3 --conns 300 --seconds 5 >"$tmp/loris-out" &
lo=$!
"$L" slow --to "127.0.0.1:$port" --from 127.0.0.2 --conns 300 --seconds 5 >"$tmp/loris-in" &
li=$!
sleep 0.5
normal=$("$L" client --to "127.0.0.1:$port" --requests 5000 --body "$tmp/ok.json")
wait $lo $li
echo "INFO slow-loris from an outsider:   $(cat "$tmp/loris-out")"
echo "INFO slow-loris from an insider:    $(cat "$tmp/loris-in")"
echo "INFO a normal caller meanwhile:     $normal"
[[ $(cat "$tmp/loris-out") == "slow: opened 300, closed at once 292, closed later 8 "* ]] &&
	echo "PASS slow-loris outsider: 292 closed unread, 8 held until the deadline" || echo "FAIL slow-loris outsider: $(cat "$tmp/loris-out")"
[[ $(cat "$tmp/loris-in") =~ closed\ later\ 256\ \(first\ [0-4]\.[0-9]\ s,\ last\ [0-4]\.[0-9]\ s\),\ open\ 0 ]] &&
	echo "PASS slow-loris insider: 256 held (--max-conns-per-ip) and cut at the 3 s deadline" || echo "FAIL slow-loris insider: $(cat "$tmp/loris-in")"
[[ $normal == "client: requests 5000, 2xx 5000, other 0, errors 0, reconnects 0,"* ]] &&
	echo "PASS a normal caller is served throughout: ${normal#*reconnects 0, }" || echo "FAIL normal caller during slow-loris: $normal"
