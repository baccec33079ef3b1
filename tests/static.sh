#!/usr/bin/env bash
# tests/static.sh -- `wcspc build --static` gives a self-contained server that works.
# Builds the HTTPS-less libmicrohttpd once (make static-runtime), then a static server,
# and reports its size and idle RSS beside the dynamic build of the same policy.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
W=${WCSPC:?}
if [ "${WCSP_SANITIZED:-}" = 1 ]; then echo "SKIP static: an ASan build cannot link -static"; exit 0; fi
. tests/lib.sh

if ! make -s B="$B" static-runtime >"$tmp/log" 2>&1; then
	echo "FAIL static runtime: make static-runtime failed"; tail -5 "$tmp/log"; exit 0
fi
echo "PASS static runtime builds"

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
	if ! start_server "$kind" "$tmp/$kind" --log-level warn; then echo "FAIL $kind server starts"; continue; fi
	sleep 0.2
	pid=${PID[$kind]}
	rss=$(awk '/VmRSS/ {print $2}' /proc/"$pid"/status)
	got=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -XPOST --data-binary '{"name":"c","custom":{"token":"guess"}}' "http://127.0.0.1:$port/a/publishStream")
	ok=$(curl -s --max-time 5 -XPOST --data-binary '{"name":"c","custom":{"token":"7c1f0e42d9a84b6b"}}' "http://127.0.0.1:$port/a/publishStream")
	if [ "$got" = 403 ] && [ "$ok" = '{"name":"c","custom":{"token":"7c1f0e42d9a84b6b"}}' ]; then echo "PASS $kind server decides"
	else echo "FAIL $kind server decides: deny gave $got, allow gave $ok"; fi
	stop_server "$kind"; rc=$?
	[ $rc -eq 0 ] && echo "PASS $kind server exits 0 on SIGTERM" || echo "FAIL $kind server exits 0 on SIGTERM: $rc"
	echo "INFO $kind server: $size bytes stripped, idle RSS $rss kB"
done
