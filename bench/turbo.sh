#!/usr/bin/env bash
# bench/turbo.sh -- libmicrohttpd's MHD_USE_TURBO, measured: the server built as it is and
# with the flag added (a copy of runtime/ in a scratch folder), bench/policy.wcsp, 3
# alternating rounds of wrk -c32 5 s (kept-alive connect, as WCS sends hooks) and of
# tests/tools/hammer --close at 8 connections 5 s (a new connection a request). Prints the
# req/s, p99 and server CPU per request of each.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wcsp-turbo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
B=${B:-$ROOT/build}
make -s -C "$ROOT" B="$B" all tests >/dev/null
"$B/wcspc" emit "$HERE/policy.wcsp" -o "$WORK/tables.c" 2>/dev/null
for v in plain turbo; do
	mkdir -p "$WORK/$v"
	cp "$ROOT"/runtime/*.[ch] "$WORK/$v/"
	[ $v = turbo ] && sed -i 's/MHD_USE_EPOLL | MHD_USE_ITC |/MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_TURBO |/' "$WORK/$v/server.c"
	grep -q "MHD_USE_TURBO" "$WORK/$v/server.c" || [ $v = plain ] || { echo "turbo: no flag line" >&2; exit 1; }
	# shellcheck disable=SC2046
	cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -I"$WORK/$v" -o "$WORK/srv-$v" \
		"$WORK/tables.c" "$WORK/$v"/*.c $(pkg-config --cflags --libs libmicrohttpd) \
		-lhogweed -lnettle -lgmp -lpthread -lm
done
cpu() { local s; s=$(<"/proc/$1/stat"); s=${s##*) }; set -- $s; echo $((${12} + ${13})); }
hz=$(getconf CLK_TCK)
for round in 1 2 3; do
	for v in plain turbo; do
		"$WORK/srv-$v" --listen 127.0.0.1:0 --log-level warn 2>"$WORK/$v.err" &
		pid=$!
		port=
		for _ in $(seq 100); do
			port=$(sed -nE 's/.*127\.0\.0\.1:([0-9]+).*/\1/p' "$WORK/$v.err" | head -1)
			[ -n "$port" ] && break
			sleep 0.05
		done
		c0=$(cpu $pid)
		out=$(BODY=$HERE/bodies/connect.json timeout 30 wrk -t1 -c32 -d5s -s "$HERE/post.lua" \
			"http://127.0.0.1:$port/rest/connect" | grep '^WRK')
		c1=$(cpu $pid)
		h=$(timeout 30 "$B/tests/hammer" --to "127.0.0.1:$port" --conns 8 --seconds 5 \
			--body "$HERE/bodies/connect.json" --close 2>&1)
		c2=$(cpu $pid)
		kill $pid
		wait $pid || true
		req=$(sed -nE 's/.*requests=([0-9]+).*/\1/p' <<<"$out")
		p99=$(sed -nE 's/.*p99_us=([0-9]+).*/\1/p' <<<"$out")
		hr=$(sed -nE 's/.*requests ([0-9]+).*/\1/p' <<<"$h")
		awk -v v=$v -v r=$round -v q="$req" -v p="$p99" -v a=$((c1 - c0)) -v b=$((c2 - c1)) \
			-v hq="$hr" -v hz="$hz" 'BEGIN { printf "%-5s round %d: kept-alive %6d req/s p99 %4d us cpu %5.2f us/req | new connection a request %6d req/s cpu %5.2f us/req\n", v, r, q / 5, p, a * 1e6 / hz / q, hq / 5, b * 1e6 / hz / hq }'
	done
done
