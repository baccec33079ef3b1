#!/usr/bin/env bash
# bench/callgrind.sh -- user-space instructions per request, a policy server beside a bare
# libmicrohttpd + jsmn echo (bench/ref-echo.c), under valgrind's callgrind.
#
#   bench/callgrind.sh                 both workloads, both servers
#   POLICY=path.wcsp bench/callgrind.sh  another policy (default bench/policy.wcsp)
#
# Each server runs under callgrind and gets N1 (200) then, in a second run, N2 (1,200)
# keep-alive requests of one workload from tests/tools/loris (`client` mode, WCS's headers
# are not needed: neither server reads them); instructions per request are
# (total(N2) - total(N1)) / (N2 - N1), which cancels start-up, the connection and shutdown.
# Workloads: connect (bench/bodies/connect.json, 451 bytes) and publishStream
# (bench/bodies/publish.json, 3.6 KB with an SDP). The wcsp server runs with
# --log-level warn (no access log), as in bench/run.sh.
#
# Prints a table (workload, wcsp, echo, ratio; then the echo given wcsp's 8 KiB connection
# pool, ECHO_POOL, as a stricter floor) and exits 0; 2 when a tool is missing.
# Builds into B (default: a fresh directory in the work directory).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
POLICY=${POLICY:-$HERE/policy.wcsp}
N1=${N1:-200}
N2=${N2:-1200}
for t in valgrind make cc curl pkg-config; do
	command -v "$t" >/dev/null || { echo "callgrind: '$t' not found (tools/deps.sh)" >&2; exit 2; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wcsp-callgrind.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
B=${B:-$WORK/build}
make -s -C "$ROOT" B="$B" all tests >/dev/null
"$B/wcspc" build -q "$POLICY" -o "$WORK/wcsp" --cc "$(command -v cc)"
# shellcheck disable=SC2046
cc -std=c11 -O2 -D_DEFAULT_SOURCE -o "$WORK/ref-echo" "$HERE/ref-echo.c" \
	$(pkg-config --cflags --libs libmicrohttpd) -lpthread

# instructions of one server run answering N requests of a workload
run() {   # run NAME BINARY N BODY PATH -> prints the total instruction count
	local name=$1 bin=$2 n=$3 body=$4 path=$5 port pid i
	local log=$WORK/$name-$n.log out=$WORK/$name-$n.out
	if [ "$name" = echo ]; then
		valgrind --tool=callgrind --callgrind-out-file=/dev/null --log-file="$log" \
			"$bin" 0 $POOL 2>"$out" &
	else
		valgrind --tool=callgrind --callgrind-out-file=/dev/null --log-file="$log" \
			"$bin" --listen 127.0.0.1:0 --log-level warn 2>"$out" &
	fi
	pid=$!
	port=
	for ((i = 0; i < 400; i++)); do
		port=$(sed -nE 's/.*listening on 127\.0\.0\.1:([0-9]+).*/\1/p' "$out" | head -1)
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { echo "callgrind: $name did not start" >&2; kill "$pid"; exit 1; }
	"$B/tests/loris" client --to "127.0.0.1:$port" --requests "$n" --body "$body" \
		--path "$path" >"$WORK/client.out"
	grep -q "other 0, errors 0" "$WORK/client.out" ||
		{ echo "callgrind: $name: $(cat "$WORK/client.out")" >&2; kill "$pid"; exit 1; }
	kill -TERM "$pid"
	wait "$pid" || true
	sed -nE 's/.*Collected : ([0-9]+).*/\1/p' "$log"
}

ECHO_POOL=${ECHO_POOL:-8192}
printf '| workload | wcsp instructions/request | bare echo | ratio | echo, %s B pool | ratio |\n' "$ECHO_POOL"
printf '|---|---:|---:|---:|---:|---:|\n'
for w in connect:/rest/connect:connect.json publishStream:/rest/publishStream:publish.json; do
	IFS=: read -r name path file <<<"$w"
	declare -A per=()
	for s in wcsp echo echo-pool; do
		bin=$WORK/wcsp POOL=
		[ $s != wcsp ] && bin=$WORK/ref-echo
		[ $s = echo-pool ] && POOL=$ECHO_POOL
		a=$(run "${s%-pool}" "$bin" "$N1" "$HERE/bodies/$file" "$path")
		b=$(run "${s%-pool}" "$bin" "$N2" "$HERE/bodies/$file" "$path")
		per[$s]=$(((b - a) / (N2 - N1)))
	done
	awk -v n="$name" -v w="${per[wcsp]}" -v e="${per[echo]}" -v p="${per[echo-pool]}" \
		'BEGIN { printf "| %s | %d | %d | %.2f | %d | %.2f |\n", n, w, e, w / e, p, w / p }'
done
