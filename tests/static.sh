#!/usr/bin/env bash
# tests/static.sh -- `wcspc build --static` gives a self-contained server that works.
# Builds the HTTPS-less libmicrohttpd once (make static-runtime), then a static server,
# and reports its size and idle RSS beside the dynamic build of the same policy.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
W=${WCSPC:?}
if [ "${WCSP_SANITIZED:-}" = 1 ]; then echo "PASS static skipped: ASan cannot link -static"; exit 0; fi
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

if ! make -s B="$B" static-runtime >"$tmp/log" 2>&1; then
	echo "FAIL static runtime: make static-runtime failed"; tail -5 "$tmp/log"; exit 0
fi
echo "PASS static runtime builds"

start() {   # start BIN -> sets port; waits for the listening line
	"$1" --listen 127.0.0.1:0 --log-level warn 2>"$tmp/err.$2" &
	pids+=($!)
	eval "pid_$2=$!"
	for _ in $(seq 50); do
		port=$(sed -n 's/^wcsp: listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/err.$2")
		[ -n "$port" ] && return 0
		sleep 0.1
	done
	return 1
}

for kind in static dynamic; do
	flag=; [ $kind = static ] && flag=--static
	if ! "$W" build policies/token-publish.wcsp $flag -o "$tmp/$kind" 2>"$tmp/build.$kind"; then
		echo "FAIL $kind build:"; cat "$tmp/build.$kind"; continue
	fi
	size=$(stat -c %s "$tmp/$kind")
	if [ $kind = static ]; then
		if ldd "$tmp/$kind" 2>&1 | grep -q "not a dynamic executable"; then echo "PASS static binary has no shared libraries"
		else echo "FAIL static binary has no shared libraries: $(ldd "$tmp/$kind" 2>&1 | head -3)"; fi
	fi
	if ! start "$tmp/$kind" $kind; then echo "FAIL $kind server starts"; continue; fi
	sleep 0.2
	pid=$(eval echo "\$pid_$kind")
	rss=$(awk '/VmRSS/ {print $2}' /proc/"$pid"/status)
	got=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -XPOST --data-binary '{"name":"c","custom":{"token":"guess"}}' "http://127.0.0.1:$port/a/publishStream")
	ok=$(curl -s --max-time 5 -XPOST --data-binary '{"name":"c","custom":{"token":"7c1f0e42d9a84b6b"}}' "http://127.0.0.1:$port/a/publishStream")
	if [ "$got" = 403 ] && [ "$ok" = '{"name":"c","custom":{"token":"7c1f0e42d9a84b6b"}}' ]; then echo "PASS $kind server decides"
	else echo "FAIL $kind server decides: deny gave $got, allow gave $ok"; fi
	kill -TERM "$pid"; wait "$pid"; rc=$?
	[ $rc -eq 0 ] && echo "PASS $kind server exits 0 on SIGTERM" || echo "FAIL $kind server exits 0 on SIGTERM: $rc"
	echo "INFO $kind server: $size bytes stripped, idle RSS $rss kB"
done
