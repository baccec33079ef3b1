# examples/lib.sh -- what every demo.sh shares: build the policy, start the server on a free
# loopback port, send hooks as WCS does, check replies. Sourced with here (the demo's folder)
# and NAME (its policy) set.

# ------------------------------------------------------------------ plumbing
W=$here/../../build/wcspc
[ -x "$W" ] || { echo "demo: $W is missing; run 'make all' in the repository root" >&2; exit 1; }
command -v curl >/dev/null || { echo "demo: curl is missing" >&2; exit 1; }
tmp=$(mktemp -d) || exit 1
pid=
stop() {   # SIGTERM, then wait at most 5 s; sets RC to the server's exit status
	RC=
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	RC=$?
	pid=
}
trap 'stop; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# What every hook body of the demos carries: the WCS node that sends it and, for media, an
# SDP offer cut to its first lines. A demo may set its own after sourcing this file.
node='"nodeId":"Hw47oNCiqCEtnN4ME1pbMIHgvfuJW6yM@192.168.1.101"'
sdp='"sdp":"v=0\r\no=- 1988962254 1988962254 IN IP4 0.0.0.0\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\na=group:BUNDLE audio video\r\n"'

fails=0
STATUS= REPLY=
short() {   # one printable line: envelope fields and SDP elided, long ones cut in the middle
	local s
	s=$(printf '%s' "$1" | sed -E 's/"(nodeId|sessionId|mediaSessionId)":"[^"]*",?//g; s/"sdp":"[^"]*"/"sdp":"..."/' |
		tr -c '[:print:]' ' ')
	[ ${#s} -gt 160 ] && s="${s:0:70} ... ${s: -85}"
	printf '%s' "$s"
}
# hook METHOD BODY: POST BODY to /rest/METHOD as WCS does; sets STATUS and REPLY
hook() {
	STATUS=$(curl -s --max-time 5 -o "$tmp/reply" -w '%{http_code}' -X POST \
		-H 'Accept: application/json' -H 'Content-Type: application/json;charset=UTF-8' \
		-H 'User-Agent: Java/1.8.0_111' -H 'Expect:' --data-binary "$2" \
		"http://127.0.0.1:$port/rest/$1")
	REPLY=$(cat "$tmp/reply")
	printf -- '--> %-21s %s\n' "$1" "$(short "$2")"
	printf -- '<-- %-21s %s\n' "$STATUS" "$(short "$REPLY")"
}
check() {   # check WHAT COMMAND...: one "ok" or "MISMATCH" line
	if "${@:2}"; then echo "    ok: $1"; else echo "    MISMATCH: $1 (status $STATUS)"; fails=$((fails + 1)); fi
}
# shellcheck disable=SC2317  # the predicates below run through check
has() { [[ $REPLY == *"$1"* ]]; }
# shellcheck disable=SC2317
is() { [ "$STATUS" = "$1" ]; }
# shellcheck disable=SC2317
echoed() { [ "$REPLY" = "$1" ]; }

# ------------------------------------------------------------------ build and start
echo "== build $NAME.wcsp"
(cd "$here" && "$W" check -Werror "$NAME.wcsp" && "$W" build "$NAME.wcsp" -o "$tmp/$NAME") || exit 1
rcc=$(cd "$here" && "$W" config "$NAME.wcsp" --app defaultApp) || exit 1
echo "derived restClientConfig: $rcc"

# start_server BINARY: start on 127.0.0.1:0 and read the port; the access log accumulates
start_server() {
	: >"$tmp/server.err"   # before the start: the port loop may read it before the child opens it
	"$1" --listen 127.0.0.1:0 >>"$tmp/access.log" 2>"$tmp/server.err" &
	pid=$!
	port=
	for ((i = 0; i < 100; i++)); do
		port=$(sed -nE 's/^wcsp: listening on 127\.0\.0\.1:([0-9]+) .*/\1/p' "$tmp/server.err")
		[ -n "$port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	[ -n "$port" ] || { echo "demo: the server did not start: $(cat "$tmp/server.err")" >&2; exit 1; }
	echo "== server listening on 127.0.0.1:$port"
}

# finish: stop the server, show the access log, and exit with the verdict
finish() {
	stop
	check "the server exits 0 on SIGTERM" [ "$RC" = 0 ]
	echo
	echo "== access log (the deciding rule of each request)"
	sed 's/^/    /' "$tmp/access.log"
	echo
	if [ "$fails" -eq 0 ]; then echo "demo $NAME: all checks hold"; exit 0; fi
	echo "demo $NAME: $fails check(s) failed"
	exit 1
}

: >"$tmp/access.log"
start_server "$tmp/$NAME"
echo "   (printout: nodeId, sessionId, mediaSessionId and sdp left out; long lines cut in the middle)"
