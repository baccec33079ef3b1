#!/usr/bin/env bash
# tests/alloc.sh -- heap allocations per request at steady state, counted by
# tests/tools/alloc-count.c (LD_PRELOAD, glibc), split into the server's own code ("main":
# runtime, tables, main.o) and everything else ("libs": libmicrohttpd, libc).
#
#   B=build WCSPC=/abs/path/to/wcspc bash tests/alloc.sh
#
# Each workload runs the server twice, with 200 and with 1,200 requests on one kept-alive
# connection (tests/tools/loris client); per request = (count(1,200) - count(200)) / 1,000,
# which cancels start-up, the connection and shutdown. The bar: 0 allocations by the
# server's own code on every reply path (an echo, a spliced override, a connect reply with
# its restClientConfig, a rule's deny body, a 400 with its reason). libmicrohttpd's own
# allocations (a response and its headers) are reported beside those of the bare echo,
# bench/ref-echo.c, answering the same connect.
set -u
cd "$(dirname "$0")/.." || exit 2
B=${B:-build}
W=${WCSPC:?set WCSPC to the wcspc binary}
. tests/lib.sh
if [ "${WCSP_SANITIZED:-}" = 1 ]; then skip "alloc" "the sanitizers replace malloc"; exit 0; fi
if ! ldd --version 2>&1 | grep -qi 'glibc\|gnu libc'; then skip "alloc" "glibc only (its __libc_malloc)"; exit 0; fi
LORIS=$B/tests/loris
[ -x "$LORIS" ] || { fail "alloc: tools" "$LORIS is missing (make tests)"; exit 0; }
N1=200 N2=1200

${CC:-cc} -std=c11 -O2 -shared -fPIC -o "$tmp/alloc-count.so" tests/tools/alloc-count.c 2>"$tmp/cc.log" ||
	{ fail "alloc: build alloc-count.so" "$(peek "$tmp/cc.log" 300)"; exit 0; }
cat >"$tmp/alloc.wcsp" <<'EOF'
policy "alloc";

publishStream {
    deny 403 "not a publisher" unless custom.token == "7c1f0e42d9a84b6b";
}

playStream {
    override name = "live-${name}";
}
EOF
if "$W" build "$tmp/alloc.wcsp" -o "$tmp/srv" >"$tmp/build.log" 2>&1; then pass "alloc: policy built"
else fail "alloc: build" "$(peek "$tmp/build.log" 300)"; exit 0; fi
# shellcheck disable=SC2046
if ${CC:-cc} -std=c11 -O2 -D_DEFAULT_SOURCE -o "$tmp/echo" bench/ref-echo.c \
	$(pkg-config --cflags --libs libmicrohttpd) -lpthread 2>"$tmp/cc.log"; then :
else fail "alloc: build bench/ref-echo.c" "$(peek "$tmp/cc.log" 300)"; exit 0; fi

printf '{"appKey":"defaultApp","name":"cam1","custom":{"token":"7c1f0e42d9a84b6b"}}' >"$tmp/allow.json"
printf '{"appKey":"defaultApp","name":"cam1","custom":{"token":"guess"}}' >"$tmp/deny.json"
printf '{"appKey":"defaultApp","name":"cam1"}' >"$tmp/play.json"
printf '{"appKey":"defaultApp","name":"cam1",}' >"$tmp/bad.json"

# counts BINARY N BODY PATH: "MAIN LIBS" after a run answering N requests on one connection
counts() {
	local bin=$1 n=$2 body=$3 path=$4 out=$tmp/counts i
	rm -f "$out"
	if [ "$bin" = "$tmp/echo" ]; then       # it takes its port as its argument
		env LD_PRELOAD="$tmp/alloc-count.so" ALLOC_COUNT_OUT="$out" "$bin" 0 2>"$tmp/echo.err" &
		PID[a]=$!
		port=
		for ((i = 0; i < 100 && ${#port} == 0; i++)); do
			sleep 0.05
			port=$(sed -nE 's/^ref-echo: listening on 127\.0\.0\.1:([0-9]+)$/\1/p' "$tmp/echo.err")
		done
		[ -n "$port" ] || { echo "? ?"; return; }
	else
		SRV_WRAP=(env LD_PRELOAD="$tmp/alloc-count.so" ALLOC_COUNT_OUT="$out")
		start_server a "$bin" --log-level warn || { SRV_WRAP=(); echo "? ?"; return; }
		SRV_WRAP=()
	fi
	"$LORIS" client --to "127.0.0.1:$port" --requests "$n" --body "$body" --path "$path" >"$tmp/client" 2>&1
	stop_server a
	if ! grep -q "errors 0, reconnects 0" "$tmp/client" || [ ! -f "$out" ]; then echo "? ?"; return; fi
	awk '{ v[$1] = $2 } END { print v["main"], v["libs"] }' "$out"
}

# per WORKLOAD BINARY BODY PATH: sets MAIN and LIBS, allocations per request
per() {
	local a b
	read -r -a a <<<"$(counts "$2" "$N1" "$3" "$4")"
	read -r -a b <<<"$(counts "$2" "$N2" "$3" "$4")"
	if [[ ${a[0]} == ? || ${b[0]} == ? ]]; then MAIN=? LIBS=?; return 1; fi
	MAIN=$(awk -v x="${a[0]}" -v y="${b[0]}" -v n=$((N2 - N1)) 'BEGIN { printf "%.3f", (y - x) / n }')
	LIBS=$(awk -v x="${a[1]}" -v y="${b[1]}" -v n=$((N2 - N1)) 'BEGIN { printf "%.3f", (y - x) / n }')
}

for w in "echo (allow):allow.json:/rest/publishStream" "spliced override:play.json:/rest/playStream" \
	"connect with restClientConfig:allow.json:/rest/connect" "deny 403 body:deny.json:/rest/publishStream" \
	"400 bad JSON:bad.json:/rest/publishStream"; do
	IFS=: read -r name body path <<<"$w"
	if ! per "$name" "$tmp/srv" "$tmp/$body" "$path"; then
		fail "alloc: $name" "a run failed: $(peek "$tmp/client" 200) $(peek "$tmp/srv-a/stderr" 200)"; continue
	fi
	info "alloc: $name: per request: server code $MAIN, libmicrohttpd and libc $LIBS"
	[ "$MAIN" = 0.000 ] && pass "alloc: $name: 0 allocations per request by the server's code" ||
		fail "alloc: $name: allocations by the server's code" "$MAIN per request, want 0"
done
if per echo "$tmp/echo" "$tmp/allow.json" /rest/connect; then
	info "alloc: bare libmicrohttpd + jsmn echo (bench/ref-echo.c), connect: per request: its own code $MAIN, libmicrohttpd and libc $LIBS"
fi
exit 0
