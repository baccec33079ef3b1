#!/usr/bin/env bash
# tests/e2e/run.sh -- end-to-end tests of generated servers, over real HTTP on 127.0.0.1.
#
#   WCSPC=/abs/path/to/wcspc bash tests/e2e/run.sh
#
# Builds each policy in policies/ once, starts the binaries on ephemeral loopback ports,
# POSTs the request bodies in bodies/ with curl and compares the replies byte for byte with
# the files in expected/ (written by hand from the spec; an echo is compared with the body
# it echoes). Prints one line per case, "PASS name" or "FAIL name: what differed", and
# exits 0 whatever the cases say; non-zero only when the suite itself cannot run.
#
# Servers (each built once, killed on exit whatever happens):
# WCSP_BUILD_FLAGS (words) go to every `wcspc build` (tests/static.sh: --static, --target
# aarch64) and WCSP_SRV_WRAP (words) before every server binary (qemu-aarch64).
#
#   token  policies/token.wcsp                    most cases
#   small  policies/token.wcsp, --max-body 1024   body limits
#   empty  policies/empty.wcsp                    a policy naming no method
set -u
W=${WCSPC:?set WCSPC to the wcspc binary}
[ -x "$W" ] || { echo "e2e: WCSPC=$W is not an executable" >&2; exit 2; }
case $W in /*) ;; *) W=$PWD/$W ;; esac   # we cd below
cd "$(dirname "$0")" || exit 2
command -v curl >/dev/null || { echo "e2e: curl is missing" >&2; exit 2; }

. ../lib.sh
declare -A NREQ
read -ra BUILD_FLAGS <<<"${WCSP_BUILD_FLAGS:-}"
read -ra SRV_WRAP <<<"${WCSP_SRV_WRAP:-}"

# build NAME POLICY: compile a policy once into $tmp/NAME (run from its directory, so the
# rules' file:line read "NAME.wcsp:LINE")
build() {
	if (cd policies && "$W" build "$2" "${BUILD_FLAGS[@]}" -o "$tmp/$1") >"$tmp/build-$1.log" 2>&1 && [ -x "$tmp/$1" ]; then
		pass "build $2"
	else
		fail "build $2" "wcspc build failed: $(peek "$tmp/build-$1.log" 300)"
		exit 1
	fi
}

# start ID BINARY [FLAGS...]: a server for the cases below, or the end of the suite
start() {
	NREQ[$1]=0
	if start_server "$@"; then pass "server $1 starts and reports its port"; else
		fail "server $1 starts and reports its port" "no listening line in 5 s; stderr: $(peek "$tmp/srv-$1/stderr" 300)"
		exit 1
	fi
}

# stop ID: SIGTERM, and the server must exit 0 within 5 s
stop() {
	local rc
	stop_server "$1"
	rc=$?
	if [ "$rc" -eq 0 ]; then pass "server $1 exits 0 on SIGTERM"; else fail "server $1 exits 0 on SIGTERM" "exit status $rc"; fi
}

# ---------------------------------------------------------------- requests

# req ID HTTP-METHOD PATH [BODY-FILE [CURL-ARGS...]]: one request, like WCS makes it
# (Content-Type JSON, Content-Length, no Expect). Sets STATUS; the reply body is in
# $tmp/body, its headers in $tmp/headers. Hook requests (all but /healthz and /metrics)
# are counted for the access-log check.
req() {
	local id=$1 verb=$2 path=$3 file=${4:-}
	local args=(-s --max-time 5 -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' -X "$verb")
	shift 3
	[ $# -gt 0 ] && shift
	if [ -n "$file" ]; then
		args+=(-H 'Content-Type: application/json;charset=UTF-8' -H 'Expect:' --data-binary "@$file")
	fi
	: >"$tmp/body"
	: >"$tmp/headers"
	STATUS=$(curl "${args[@]}" "$@" "http://127.0.0.1:${PORT[$id]}$path")
	case $path in /healthz | /metrics) ;; *) NREQ[$id]=$((NREQ[$id] + 1)) ;; esac
}

# post ID PATH BODY-FILE [CURL-ARGS...]
post() { req "$1" POST "$2" "bodies/$3" "${@:4}"; }

# the check helpers judge the last req
expect_status() {   # expect_status CASE WANT
	if [ "$STATUS" = "$2" ]; then pass "$1"; else fail "$1" "status $STATUS, want $2; body: $(peek "$tmp/body")"; fi
}

expect_body_file() {   # expect_body_file CASE WANT-STATUS FILE: status and exact bytes
	local why=
	[ "$STATUS" = "$2" ] || why="status $STATUS, want $2; "
	if ! cmp -s "$3" "$tmp/body"; then
		why+="body differs from $3 ($(cmp "$3" "$tmp/body" 2>&1 | head -1)); got: $(peek "$tmp/body")"
	fi
	if [ -z "$why" ]; then pass "$1"; else fail "$1" "${why%; }"; fi
}

expect_json_error() {   # expect_json_error CASE WANT-STATUS: {"error":"...","reason":"..."}
	if [ "$STATUS" != "$2" ]; then
		fail "$1" "status $STATUS, want $2; body: $(peek "$tmp/body")"
	elif ! grep -Eq '^\{"error":"[^"]+","reason":"[^"]+"\}$' "$tmp/body"; then
		fail "$1" "status $2 but the body is not {\"error\":..,\"reason\":..}: $(peek "$tmp/body")"
	else
		pass "$1"
	fi
}

expect_header() {   # expect_header CASE REGEX: a reply header line matches (case-insensitive)
	if tr -d '\r' <"$tmp/headers" | grep -Eiq "$2"; then pass "$1"; else
		fail "$1" "no header matching /$2/; headers: $(tr -d '\r' <"$tmp/headers" | tr '\n' '|')"; fi
}

# still_serving ID CASE: after bad input, a good request still gets its right answer
still_serving() {
	post "$1" /rest/my_api/publishStream publish-bob.json
	expect_body_file "$2" 200 expected/publish-bob.token.json
}

# line_of TEXT: the line of policies/token.wcsp holding TEXT (for file:line checks)
line_of() { grep -nF -- "$1" policies/token.wcsp | head -1 | cut -d: -f1; }

# log_has ID CASE REGEX...: one access-log line matches every REGEX
log_has() {
	local id=$1 name=$2 f="$tmp/srv-$1/stdout" re
	shift 2
	cp "$f" "$tmp/log.match"
	for re in "$@"; do
		grep -E -- "$re" "$tmp/log.match" >"$tmp/log.next"
		mv "$tmp/log.next" "$tmp/log.match"
	done
	if [ -s "$tmp/log.match" ]; then pass "$name"; else
		fail "$name" "no access-log line matches all of: $*"; fi
}

# ================================================================ build and start

build token token.wcsp
build empty empty.wcsp
start token "$tmp/token"
start small "$tmp/token" --max-body 1024
start empty "$tmp/empty"

# ================================================================ routing
# product.md: POST /any/prefix/<method>; the method is the last path segment, so any WCS
# app URL works (wcs-rest-hooks.md 1.1: .../apps/EchoApp/connect, .../rest/my_api/...).

post token /apps/EchoApp/connect connect-browser.json
expect_body_file "prefix /apps/EchoApp/connect" 200 expected/connect-browser.token.json
post token /rest/my_api/publishStream publish-token.json
expect_body_file "prefix /rest/my_api/publishStream" 200 expected/publish-token.token.json
post token /x/y/z/playStream play-public.json
expect_body_file "prefix /x/y/z/playStream" 200 expected/play-public.token.json
post token /publishStream publish-bob.json
expect_body_file "no prefix /publishStream" 200 expected/publish-bob.token.json
# the last segment decides, not an earlier one: this is a playStream, refused
post token /rest/publishStream/playStream play-private.json
expect_body_file "method is the last segment (/rest/publishStream/playStream)" 403 expected/deny-private-stream.json
# method names are case-sensitive: PublishStream is no hook the policy names -> echo
post token /rest/PublishStream publish-notoken.json
expect_body_file "method names are case-sensitive (PublishStream echoed)" 200 bodies/publish-notoken.json

# ================================================================ echo, byte for byte
# product.md: the reply to an allowed request is the request's own bytes; language.md: no
# rule holds -> allow. Odd whitespace, CRLF, \/ escapes, key order all come back unchanged.

post token /rest/StreamStatusEvent status-odd-whitespace.json
expect_body_file "echo keeps odd whitespace, CRLF, escapes, key order" 200 bodies/status-odd-whitespace.json
post token /rest/OnCallEvent oncall.json
expect_body_file "OnCallEvent allowed is echoed" 200 bodies/oncall.json
post token /rest/OnDataEvent ondata.json
expect_body_file "OnDataEvent with nested payload is echoed" 200 bodies/ondata.json
# "true" (a string) is not true: comparisons are typed as JSON
post token /rest/StreamKeepAliveEvent keepalive-string-true.json
expect_body_file "typed comparison: custom.expired \"true\" is not true (echo)" 200 bodies/keepalive-string-true.json
post token /rest/publishStream publish-token.json -H 'Connection: close'
expect_header "allowed reply is Content-Type application/json" '^content-type: application/json'

# product.md: unknown methods are echoed with 200 (new WCS hooks must not break sessions)
post token /rest/FutureHookEvent unknown-method.json
expect_body_file "unknown method echoed with 200" 200 bodies/unknown-method.json
post token /rest/sendStreamEvent status-odd-whitespace.json
expect_body_file "unknown method echo keeps odd whitespace" 200 bodies/status-odd-whitespace.json

# ================================================================ overrides spliced in
# language.md: only overridden fields change; ${} interpolates the request as received (a
# missing field as ""); `custom.role` creates members inside an existing object, or the
# whole object before the closing brace. (The routing cases above cover publish-token,
# play-public and publish-bob; these add the glob and an existing custom object.)

post token /rest/playStream play-cam.json
expect_body_file "playStream glob cam-?? allowed, custom.via created in custom" 200 expected/play-cam.token.json
post token /rest/playStream play-cam-long.json
expect_body_file "playStream glob cam-?? does not match cam-007 (deny)" 403 expected/deny-private-stream.json

# ================================================================ apps
# language.md: a request's app is its appKey; blocks inside `app "<appKey>"` and outside
# any app both cover it, in file order (studioApp's allow comes before the token deny).

post token /rest/publishStream publish-studio.json
expect_body_file "appKey studioApp: its app block allows without a token" 200 expected/publish-studio.token.json
post token /rest/publishStream publish-studio-default.json
expect_body_file "appKey defaultApp: the studioApp block does not apply (403)" 403 expected/deny-not-a-publisher.json

# ================================================================ \u escapes
# language.md: string comparison is on the decoded value: "\u0061dmin" == "admin"

post token /rest/connect connect-admin-escaped.json
expect_body_file "login \"\\u0061dmin\" matches login == \"admin\" (451 deny)" 451 expected/deny-admin.json
post token /rest/connect connect-admin2-escaped.json
expect_body_file "login \"\\u0061dmin2\" does not match (connect allowed)" 200 expected/connect-admin2-escaped.token.json

# ================================================================ connect and restClientConfig
# language.md "Derived restClientConfig": deny -> FAIL, override -> OVERWRITE + top-level
# names; the connect reply = request bytes + restClientConfig, replacing the request's own.

post token /rest/connect connect-rtmp.json
expect_body_file "connect (RTMP, no origin) gets restClientConfig appended" 200 expected/connect-rtmp.token.json
if grep -qF '"publishStream":{"clientExclude":"","restExclude":"","restOnError":"FAIL","restPolicy":"OVERWRITE","restOverwrite":"name,custom,record"}' "$tmp/body"; then
	pass "restClientConfig: publishStream deny -> FAIL, overrides -> OVERWRITE name,custom,record"
else
	fail "restClientConfig: publishStream deny -> FAIL, overrides -> OVERWRITE name,custom,record" "got: $(peek "$tmp/body" 600)"
fi
post token /rest/connect connect-own-rcc.json
expect_body_file "connect carrying its own restClientConfig gets it replaced" 200 expected/connect-own-rcc.token.json
post token /rest/connect connect-foreign.json
expect_body_file "connect from a foreign origin denied (403, reason)" 403 expected/deny-unknown-site.json

# docs/decisions.md: a policy that names no method adds no restClientConfig: exact echo
post empty /apps/EchoApp/connect connect-browser.json
expect_body_file "empty policy: connect is an exact echo" 200 bodies/connect-browser.json
post empty /apps/EchoApp/connect connect-own-rcc.json
expect_body_file "empty policy: a restClientConfig the connect carried is replaced by {}" 200 expected/connect-own-rcc.empty.json
post empty /rest/publishStream publish-notoken.json
expect_body_file "empty policy: publishStream is an exact echo" 200 bodies/publish-notoken.json
post empty /rest/StreamStatusEvent status-odd-whitespace.json
expect_body_file "empty policy: odd whitespace is an exact echo" 200 bodies/status-odd-whitespace.json

# ================================================================ denies
# language.md: a denied request gets the deny's status (default 403) and a small JSON
# body with the reason: {"error":"denied","reason":"..."}.

post token /rest/my_api/publishStream publish-notoken.json
expect_body_file "publishStream without a publisher token denied 403" 403 expected/deny-not-a-publisher.json
expect_header "deny reply is Content-Type application/json" '^content-type: application/json'
post token /rest/playStream play-private.json
expect_body_file "playStream of a private stream denied 403" 403 expected/deny-private-stream.json
post token /rest/StreamKeepAliveEvent keepalive-expired.json
expect_body_file "StreamKeepAliveEvent expired denied 403" 403 expected/deny-stream-expired.json
post token /rest/OnCallEvent oncall-blocked.json
expect_body_file "OnCallEvent from a blocked caller denied 403" 403 expected/deny-caller-blocked.json
post token /rest/OnDataEvent ondata-shutdown.json
expect_body_file "OnDataEvent nested payload.command.op denied with custom 422" 422 expected/deny-unsupported-command.json

# ================================================================ bad input
# product.md: malformed or non-object JSON -> 400 (docs/decisions.md: with a JSON reason;
# duplicate keys refused too); nothing else breaks: the next request is answered.

for b in malformed truncated trailing array string empty duplicate utf8; do
	post token /rest/publishStream "bad-$b.json"
	expect_json_error "bad input ($b) -> 400 with a JSON reason" 400
	still_serving token "good request answered after bad input ($b)"
done
# whitespace only is an empty body too
printf ' \r\n\t ' >"$tmp/blank.json"
req token POST /rest/connect "$tmp/blank.json"
expect_json_error "bad input (whitespace only) -> 400 with a JSON reason" 400

# ================================================================ HTTP-level refusals
# product.md: wrong HTTP method 405 (with Allow: POST on hook paths); a path with no hook
# method in its last segment 404; GET /healthz 200; GET /metrics Prometheus text.

req token GET /rest/publishStream
expect_json_error "GET on a hook path -> 405" 405
expect_header "405 carries Allow: POST" '^allow: *POST *$'
req token PUT /rest/connect bodies/connect-browser.json
expect_json_error "PUT on a hook path -> 405" 405
still_serving token "good request answered after 405"
req token POST / bodies/connect-browser.json
expect_json_error "POST / -> 404" 404
req token POST /rest/a-b bodies/connect-browser.json
expect_json_error "POST /rest/a-b (not a method name) -> 404" 404
still_serving token "good request answered after 404"
req token GET /healthz
expect_status "GET /healthz -> 200" 200
req token GET /metrics
if [ "$STATUS" = 200 ] && grep -q 'wcsp_' "$tmp/body"; then pass "GET /metrics -> 200 with wcsp_ series"; else
	fail "GET /metrics -> 200 with wcsp_ series" "status $STATUS, body: $(peek "$tmp/body")"; fi
if grep -v '^#' "$tmp/body" | grep 'publishStream' | grep -q 'deny'; then pass "metrics count requests by method and decision"; else
	fail "metrics count requests by method and decision" "no sample naming publishStream and deny"; fi

# ================================================================ keep-alive
# wcs-rest-hooks.md 1.1: WCS asks for a persistent connection; requests on one connection
# are all answered, also after a bad one (curl reuses its connection: num_connects 0).

url="http://127.0.0.1:${PORT[token]}"
got=$(curl -s --max-time 5 -H 'Expect:' --data-binary @bodies/publish-bob.json -o /dev/null -o /dev/null \
	-w '%{http_code} %{num_connects};' "$url/rest/publishStream" "$url/rest/OnCallEvent")
NREQ[token]=$((NREQ[token] + 2))
if [ "$got" = "200 1;200 0;" ]; then pass "two requests over one connection"; else
	fail "two requests over one connection" "got '$got', want '200 1;200 0;' (status, new connections)"; fi
got=$(curl -s --max-time 5 -H 'Expect:' --data-binary @bodies/bad-trailing.json -o /dev/null \
	-w '%{http_code} %{num_connects};' "$url/rest/publishStream" \
	--next -s --max-time 5 -H 'Expect:' --data-binary @bodies/publish-bob.json -o "$tmp/body" \
	-w '%{http_code} %{num_connects};' "$url/rest/publishStream")
NREQ[token]=$((NREQ[token] + 2))
if [ "$got" = "400 1;200 0;" ] && cmp -s expected/publish-bob.token.json "$tmp/body"; then
	pass "bad then good request over one connection"
else
	fail "bad then good request over one connection" "got '$got', want '400 1;200 0;' and the body of expected/publish-bob.token.json; body: $(peek "$tmp/body")"
fi

# ================================================================ body limit
# product.md: body over the limit -> 413 (--max-body), with Content-Length or chunked;
# a body of exactly the limit is served.

pad() { printf '{"appKey":"defaultApp","pad":"%s"}' "$(head -c "$(($1 - 32))" /dev/zero | tr '\0' x)"; }
pad 1024 >"$tmp/1024.json"
pad 1025 >"$tmp/1025.json"
req small POST /rest/FutureHookEvent "$tmp/1024.json"
expect_body_file "body of exactly --max-body 1024 is served (echo)" 200 "$tmp/1024.json"
req small POST /rest/FutureHookEvent "$tmp/1025.json"
expect_json_error "body of 1025 over --max-body 1024 -> 413 (Content-Length)" 413
still_serving small "good request answered after 413"
post small /rest/publishStream publish-token.json
expect_json_error "multi-KB SDP body over --max-body 1024 -> 413 (Content-Length)" 413
post small /rest/publishStream publish-token.json -H 'Transfer-Encoding: chunked'
expect_json_error "multi-KB SDP body over --max-body 1024 -> 413 (chunked)" 413
req small POST /rest/FutureHookEvent "$tmp/1025.json" -H 'Transfer-Encoding: chunked'
expect_json_error "body of 1025 over --max-body 1024 -> 413 (chunked)" 413
post small /rest/publishStream publish-bob.json -H 'Transfer-Encoding: chunked'
expect_body_file "chunked body under the limit is served" 200 expected/publish-bob.token.json
still_serving small "good request answered after chunked 413"

# ================================================================ --eval
# product.md: --eval METHOD < body prints `STATUS DECISION RULE`, then the reply; the
# same decision code as the server, so the same bytes as the HTTP reply.

eval_case() {   # eval_case CASE METHOD BODY-FILE WANT-STATUS RULE-REGEX
	local name=$1 method=$2 file=$3 want=$4 rule=$5 first
	post token "/rest/$method" "$file"
	cp "$tmp/body" "$tmp/http"
	"${SRV_WRAP[@]}" "$tmp/token" --eval "$method" <"bodies/$file" >"$tmp/eval" 2>"$tmp/eval.err"
	local rc=$?
	first=$(head -1 "$tmp/eval")
	tail -n +2 "$tmp/eval" | head -c -1 >"$tmp/eval.body"   # the reply, without the final newline
	if [ "$rc" -ne 0 ]; then
		fail "$name" "--eval exited $rc: $(peek "$tmp/eval.err")"
	elif ! grep -Eq "^$want [a-z]+ $rule\$" <<<"$first"; then
		fail "$name" "status line '$first', want '$want <decision> $rule'"
	elif [ "$STATUS" != "$want" ]; then
		fail "$name" "HTTP status $STATUS, want $want"
	elif ! cmp -s "$tmp/http" "$tmp/eval.body"; then
		fail "$name" "--eval reply differs from the HTTP reply ($(cmp "$tmp/http" "$tmp/eval.body" 2>&1 | head -1))"
	else
		pass "$name"
	fi
}
L_PUB=$(line_of '"not a publisher"')
L_PUBLIC=$(line_of '"public-*"')
eval_case "--eval publishStream (overrides) = HTTP reply" publishStream publish-token.json 200 '.*'
eval_case "--eval publishStream deny = HTTP reply, rule token.wcsp:$L_PUB" publishStream publish-notoken.json 403 "\\S*token\\.wcsp:$L_PUB"
eval_case "--eval playStream glob allow = HTTP reply, rule token.wcsp:$L_PUBLIC" playStream play-public.json 200 "\\S*token\\.wcsp:$L_PUBLIC"
eval_case "--eval connect = HTTP reply (restClientConfig)" connect connect-browser.json 200 '.*'
eval_case "--eval unknown method = HTTP echo" FutureHookEvent unknown-method.json 200 '.*'
eval_case "--eval bad JSON = HTTP 400 reply" publishStream bad-trailing.json 400 '.*'
# --app KEY decides as that appKey whatever the body says
L_STUDIO=$(line_of 'custom.studio == true')
"${SRV_WRAP[@]}" "$tmp/token" --eval publishStream --app studioApp <bodies/publish-studio-default.json >"$tmp/eval" 2>&1
rc=$?
tail -n +2 "$tmp/eval" | head -c -1 >"$tmp/eval.body"
if [ "$rc" -eq 0 ] && grep -Eq "^200 [a-z]+ \\S*token\\.wcsp:$L_STUDIO\$" <<<"$(head -1 "$tmp/eval")" &&
	cmp -s expected/publish-studio-as-app.token.json "$tmp/eval.body"; then
	pass "--eval --app studioApp decides as that app"
else
	fail "--eval --app studioApp decides as that app" "exit $rc, got: $(peek "$tmp/eval" 300)"
fi

# ================================================================ command line
# product.md: --version and --help; docs (main.c contract): usage errors exit 2.

if "${SRV_WRAP[@]}" "$tmp/token" --version >"$tmp/out" 2>&1 && [ -s "$tmp/out" ]; then pass "--version exits 0"; else
	fail "--version exits 0" "exit $?, output: $(peek "$tmp/out")"; fi
if "${SRV_WRAP[@]}" "$tmp/token" --help >"$tmp/out" 2>&1 && grep -q -- '--max-body' "$tmp/out"; then pass "--help exits 0 and lists the options"; else
	fail "--help exits 0 and lists the options" "output: $(peek "$tmp/out")"; fi
"${SRV_WRAP[@]}" "$tmp/token" --no-such-flag >/dev/null 2>"$tmp/out"
rc=$?
if [ "$rc" -eq 2 ]; then pass "unknown flag exits 2"; else fail "unknown flag exits 2" "exit $rc"; fi
"${SRV_WRAP[@]}" "$tmp/token" --max-body lots >/dev/null 2>"$tmp/out"
rc=$?
if [ "$rc" -eq 2 ]; then pass "bad --max-body value exits 2"; else fail "bad --max-body value exits 2" "exit $rc"; fi

# ================================================================ shutdown and access log
# product.md: SIGTERM drains in-flight requests and exits 0; one access-log line per
# request with the deciding rule's file:line.

# a request still sending its body when SIGTERM arrives is answered in full (-T - streams
# stdin as a chunked body; --data-binary would read it all before connecting)
{ head -c 100 bodies/publish-bob.json; sleep 1.5; tail -c +101 bodies/publish-bob.json; } |
	curl -s --max-time 5 -X POST -H 'Expect:' -H 'Content-Type: application/json' -T - \
		-o "$tmp/drain.body" -w '%{http_code}' "http://127.0.0.1:${PORT[token]}/rest/publishStream" >"$tmp/drain.status" &
drainer=$!
NREQ[token]=$((NREQ[token] + 1))
sleep 0.5
stop token
wait "$drainer"
if [ "$(cat "$tmp/drain.status")" = 200 ] && cmp -s expected/publish-bob.token.json "$tmp/drain.body"; then
	pass "SIGTERM drains an in-flight request"
else
	fail "SIGTERM drains an in-flight request" "status $(cat "$tmp/drain.status"), body: $(peek "$tmp/drain.body")"
fi
stop small
stop empty

for id in token small empty; do
	n=$(wc -l <"$tmp/srv-$id/stdout")
	if [ "$n" -eq "${NREQ[$id]}" ]; then pass "access log of $id: one line per hook request ($n)"; else
		fail "access log of $id: one line per hook request" "$n lines for ${NREQ[$id]} requests"; fi
done
r() { printf '(^|[^[:alnum:]])token\\.wcsp:%s([^0-9]|$)' "$(line_of "$1")"; }
log_has token "access log: publishStream deny names its rule file:line" 'publishStream' '403' "$(r '"not a publisher"')"
log_has token "access log: connect 451 names its rule file:line" 'connect' '451' "$(r '"admin logins')"
log_has token "access log: playStream glob allow names its rule file:line" 'playStream' '200' "$(r '"public-*"')"
log_has token "access log: OnDataEvent 422 names its rule file:line" 'OnDataEvent' '422' "$(r '"unsupported command"')"
log_has small "access log: 413 is logged" 'publishStream' '413'
exit 0
