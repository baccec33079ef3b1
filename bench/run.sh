#!/usr/bin/env bash
# bench/run.sh -- load benchmark of wcsp servers against their peers, side by side in one run.
#
#   bench/run.sh                     RUNS=5 DUR=10: about 12 minutes on 2 cores
#   RUNS=3 DUR=5 bench/run.sh        quicker, noisier
#
# Environment: DUR (seconds per wrk run, 10), RUNS (runs per configuration, 5), CONNS (wrk
# connections, 32), WARMUP (seconds of unrecorded load per configuration first, 2),
# OUT (the results file, bench/results.md), KEEP=1 (keep the work directory), ONLY (names
# of servers to measure, e.g. ONLY="nginx ref-echo wcsp-policy"; default all).
#
# Servers, all started once and kept running for the whole benchmark, all on 127.0.0.1:
#   nginx            nginx-light, 1 worker, `return 200` of a fixed JSON body (the ceiling)
#   node             bench/node-echo.js: Node.js `http`, JSON.parse, echo
#   ref-echo         bench/ref-echo.c: a bare libmicrohttpd + jsmn echo (the floor a policy
#                    server is measured against: its CPU per request)
#   ref-echo-same    the same echo, each reply padded with spaces to the length of
#                    wcsp-policy's connect reply (connect only): what the longer reply costs
#                    to send, apart from deciding it
#   wcsp-echo        policies/echo.wcsp, --log-level warn (no access log)
#   wcsp-policy      bench/policy.wcsp (4-token set), --log-level warn
#   wcsp-policy-100k bench/policy.wcsp with a 100,000-token set file, --log-level warn
#   wcsp-policy-log  bench/policy.wcsp, access log on (the default), appended to a file in the
#                    work directory (page cache; emptied before each run)
#   wcsp-policy-t2   bench/policy.wcsp, --threads 2, --log-level warn
# Each (server, body) configuration gets RUNS runs of `wrk -t1 -cCONNS -dDURs --latency`,
# interleaved: run i of every configuration before run i+1 of any (the order rotates each
# round). Per run: req/s, p99, and the server's CPU time (utime+stime from /proc/PID/stat,
# all threads, nginx master+worker) divided by the requests wrk completed. Servers run on CPU 1
# and wrk on CPU 0 (bench/lib.sh; PIN=0: unpinned).
# PAIRED=1: in each round the configurations of one body run at once, one wrk each, so that
# this shared machine's slow and fast phases fall on all of them alike and the CPU ratios
# within a round hold still; req/s and p99 are then those of servers sharing one core, not
# comparable with a normal run's. No warm-up.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
wrk_options bench/run.sh
OUT=${OUT:-$HERE/results.md}
RESULT_KEYS=2       # results.txt: server body req/s ...
# missing tools: install their Debian packages with the project's installer (sudo if needed)
install_missing wrk:wrk nginx:nginx-light node:nodejs curl:curl
PATH=$PATH:/usr/sbin   # nginx lives there; a non-root PATH may lack it
require_tools wrk nginx node curl make cc

LOADAVG0=$(loadavg)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wcsp-bench.XXXXXX")
declare -A SBIN     # stripped binary size, per server instance
NGINX_PID=""
LOG_BYTES=0
LOG_REQS=1

# nginx's worker dies with its master; make sure of it
cleanup_extra() {
	local p
	for p in ${SPIDS[nginx]:-}; do
		if [[ $(cat "/proc/$p/comm" 2>/dev/null) == nginx ]]; then
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
}
set_traps

# ---- helpers -------------------------------------------------------------------------------

free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}

start_nginx() {
	local d=$WORK/nginx port user="" i
	mkdir -p "$d/logs" "$d/tmp"
	[[ $(id -u) == 0 ]] && user="user $(id -un) $(id -gn);"
	for i in 1 2 3 4 5; do
		port=$(free_port)
		cat >"$d/nginx.conf" <<-EOF
		$user
		worker_processes 1;
		daemon off;
		master_process on;
		pid $d/nginx.pid;
		error_log $d/logs/error.log warn;
		events { worker_connections 1024; }
		http {
		    access_log off;
		    client_body_temp_path $d/tmp/body;
		    proxy_temp_path $d/tmp/proxy;
		    fastcgi_temp_path $d/tmp/fastcgi;
		    uwsgi_temp_path $d/tmp/uwsgi;
		    scgi_temp_path $d/tmp/scgi;
		    keepalive_requests 1000000;
		    keepalive_timeout 10s;
		    client_max_body_size 1m;
		    client_body_buffer_size 16k;
		    server {
		        listen 127.0.0.1:$port;
		        default_type application/json;
		        location / { return 200 '{"status":"ok"}'; }
		    }
		}
		EOF
		"${SRV_PIN[@]}" nginx -p "$d" -e "$d/logs/error.log" -c "$d/nginx.conf" \
			2>"$WORK/nginx.err" &
		NGINX_PID=$!
		SPID[nginx]=$NGINX_PID
		SERVERS+=("nginx")
		for _ in $(seq 100); do
			curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
			kill -0 "$NGINX_PID" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$NGINX_PID" 2>/dev/null; then
			local w=""
			for _ in $(seq 50); do
				w=$(cat "/proc/$NGINX_PID/task/$NGINX_PID/children" 2>/dev/null || true)
				[[ -n $w ]] && break
				sleep 0.05
			done
			[[ -n $w ]] || { log "nginx has no worker"; return 1; }
			SPIDS[nginx]="$NGINX_PID $w"
			SPORT[nginx]=$port
			return 0
		fi
		wait "$NGINX_PID" 2>/dev/null || true
		unset 'SERVERS[-1]'
		SPID[nginx]=""
		log "nginx did not start on port $port (attempt $i): $(tail -1 "$WORK/nginx.err")"
	done
	return 1
}

# ---- build ---------------------------------------------------------------------------------

log "work directory $WORK"
log "building wcspc and the runtime (make all)"
make -s -C "$ROOT" all >&2
WCSPC=$ROOT/build/wcspc

log "generating a 100,000-token set file"
# 99,999 random 16-hex-digit tokens and the benchmark's own token, in the middle
head -c 1600000 /dev/urandom | od -An -v -tx8 -w8 | tr -d ' ' | grep -vx 7c1f0e42d9a84b6b |
	sort -u | awk 'NR <= 99999' >"$WORK/rand.txt"
awk 'NR == 50001 { print "7c1f0e42d9a84b6b" } { print }' "$WORK/rand.txt" >"$WORK/tokens-100k.txt"
rm -f "$WORK/rand.txt"
ntok=$(wc -l <"$WORK/tokens-100k.txt")
[[ $ntok == 100000 ]] || { log "token file has $ntok lines, not 100000"; exit 1; }
grep -q '^set tokens = .*;$' "$HERE/policy.wcsp" ||
	{ log "bench/policy.wcsp: no one-line 'set tokens = ...;' to replace"; exit 1; }
cp "$HERE/policy.wcsp" "$WORK/policy.wcsp"
sed 's|^set tokens = .*;$|set tokens = file "tokens-100k.txt";|' "$HERE/policy.wcsp" \
	>"$WORK/policy-100k.wcsp"

log "compiling servers"
"$WCSPC" build "$ROOT/policies/echo.wcsp" -o "$WORK/wcsp-echo" >&2
"$WCSPC" build "$WORK/policy.wcsp" -o "$WORK/wcsp-policy" >&2
"$WCSPC" build "$WORK/policy-100k.wcsp" -o "$WORK/wcsp-policy-100k" >&2
# shellcheck disable=SC2046
cc -std=c11 -O2 -D_DEFAULT_SOURCE -o "$WORK/ref-echo" "$HERE/ref-echo.c" \
	$(pkg-config --cflags --libs libmicrohttpd) -lpthread
for b in ref-echo wcsp-echo wcsp-policy wcsp-policy-100k; do
	file "$WORK/$b" 2>/dev/null | grep -q 'not stripped' && strip "$WORK/$b"
	SBIN[$b]=$(stat -c %s "$WORK/$b")
done
# wcsp-policy's connect reply (--eval: a status line, the reply, a newline) less the request
PAD_CONNECT=$("$WORK/wcsp-policy" --eval connect <"$HERE/bodies/connect.json" | tail -n +2 |
	head -c -1 | wc -c)
PAD_CONNECT=$((PAD_CONNECT - $(stat -c %s "$HERE/bodies/connect.json")))

# ---- start every server --------------------------------------------------------------------

log "starting servers"
start_nginx
start_server node /dev/null node "$HERE/node-echo.js" 0
start_server ref-echo /dev/null "$WORK/ref-echo" 0
start_server ref-echo-same /dev/null "$WORK/ref-echo" 0 0 "$PAD_CONNECT"
SBIN[ref-echo-same]=${SBIN[ref-echo]}
start_server wcsp-echo /dev/null "$WORK/wcsp-echo" --listen 127.0.0.1:0 --log-level warn
start_server wcsp-policy /dev/null "$WORK/wcsp-policy" --listen 127.0.0.1:0 --log-level warn
start_server wcsp-policy-100k /dev/null "$WORK/wcsp-policy-100k" --listen 127.0.0.1:0 \
	--log-level warn
start_server wcsp-policy-log "$WORK/access.log" "$WORK/wcsp-policy" --listen 127.0.0.1:0
PIN_THIS=0 start_server wcsp-policy-t2 /dev/null "$WORK/wcsp-policy" --listen 127.0.0.1:0 \
	--log-level warn --threads 2
SBIN[wcsp-policy-log]=${SBIN[wcsp-policy]}
SBIN[wcsp-policy-t2]=${SBIN[wcsp-policy]}
read_idle_rss

# ---- configurations ------------------------------------------------------------------------

# name|server instance|body file|URL path
CONFIGS=(
	"nginx|nginx|connect|/apps/defaultApp/connect"
	"node|node|connect|/apps/defaultApp/connect"
	"ref-echo|ref-echo|connect|/apps/defaultApp/connect"
	"ref-echo-same|ref-echo-same|connect|/apps/defaultApp/connect"
	"wcsp-echo|wcsp-echo|connect|/apps/defaultApp/connect"
	"wcsp-policy|wcsp-policy|connect|/apps/defaultApp/connect"
	"wcsp-policy-100k|wcsp-policy-100k|connect|/apps/defaultApp/connect"
	"wcsp-policy-log|wcsp-policy-log|connect|/apps/defaultApp/connect"
	"wcsp-policy-t2|wcsp-policy-t2|connect|/apps/defaultApp/connect"
	"nginx|nginx|publish|/apps/defaultApp/publishStream"
	"node|node|publish|/apps/defaultApp/publishStream"
	"ref-echo|ref-echo|publish|/apps/defaultApp/publishStream"
	"wcsp-echo|wcsp-echo|publish|/apps/defaultApp/publishStream"
	"wcsp-policy|wcsp-policy|publish|/apps/defaultApp/publishStream"
	"wcsp-policy-100k|wcsp-policy-100k|publish|/apps/defaultApp/publishStream"
)
if [[ -n ${ONLY:-} ]]; then
	kept=()
	for c in "${CONFIGS[@]}"; do
		[[ " $ONLY " == *" ${c%%|*} "* ]] && kept+=("$c")
	done
	CONFIGS=("${kept[@]}")
fi
NC=${#CONFIGS[@]}

# ---- correctness before speed --------------------------------------------------------------

check_reply() {   # instance body path -> prints status, reply in $WORK/reply.<instance>.<body>
	post_json "$HERE/bodies/$2.json" "http://127.0.0.1:${SPORT[$1]}$3" "$WORK/reply.$1.$2"
}
log "checking replies"
for c in "${CONFIGS[@]}"; do
	IFS='|' read -r name inst body path <<<"$c"
	st=$(check_reply "$inst" "$body" "$path")
	[[ $st == 200 ]] || { log "$name $body: status $st, want 200"; exit 1; }
done
for b in connect publish; do
	for i in node ref-echo wcsp-echo; do
		[[ -f $WORK/reply.$i.$b ]] || continue
		cmp -s "$HERE/bodies/$b.json" "$WORK/reply.$i.$b" ||
			{ log "$i does not echo $b byte for byte"; exit 1; }
	done
	for i in wcsp-policy-100k wcsp-policy-log wcsp-policy-t2; do
		[[ -f $WORK/reply.$i.$b ]] || continue
		cmp -s "$WORK/reply.wcsp-policy.$b" "$WORK/reply.$i.$b" ||
			{ log "$i answers $b differently from wcsp-policy"; exit 1; }
	done
done
for b in connect publish; do
	[[ -f $WORK/reply.wcsp-policy.$b ]] || { log "ONLY must name wcsp-policy"; exit 1; }
done
grep -q '"restClientConfig":{' "$WORK/reply.wcsp-policy.connect" ||
	{ log "wcsp-policy connect reply has no restClientConfig"; exit 1; }
grep -q '"name":"live-alice-cam1"' "$WORK/reply.wcsp-policy.publish" ||
	{ log "wcsp-policy publishStream reply is not renamed"; exit 1; }
RLEN_CONNECT=$(stat -c %s "$WORK/reply.wcsp-policy.connect")
if [[ -f $WORK/reply.ref-echo-same.connect ]]; then
	[[ $(stat -c %s "$WORK/reply.ref-echo-same.connect") == "$RLEN_CONNECT" ]] ||
		{ log "ref-echo-same's connect reply is not $RLEN_CONNECT bytes long"; exit 1; }
fi
RLEN_PUBLISH=$(stat -c %s "$WORK/reply.wcsp-policy.publish")

# ---- load ----------------------------------------------------------------------------------

# run_wrk CONFIG-INDEX SECONDS TAG [ROUND]: one wrk run; appends a result line for TAG=run
run_wrk() {
	local idx=$1 secs=$2 tag=$3 round=${4:-0} name inst body path
	IFS='|' read -r name inst body path <<<"${CONFIGS[$idx]}"
	[[ $inst == wcsp-policy-log ]] && : >"$WORK/access.log"
	wrk_run "$inst" "$name/$body" "$secs" "$HERE/bodies/$body.json" \
		"http://127.0.0.1:${SPORT[$inst]}$path" "$WORK/wrk.$idx.$tag.out"
	if [[ $inst == wcsp-policy-log ]]; then
		LOG_BYTES=$(stat -c %s "$WORK/access.log")
		[[ $WRK_LINE =~ requests=([0-9]+) ]] && LOG_REQS=${BASH_REMATCH[1]}
	fi
	[[ $tag == run ]] || return 0
	record "$name $body" "$round"
	tail -1 "$WORK/results.txt" | awk '{ printf "bench:   %-17s %-8s %8d req/s  p99 %5d us  cpu %6.2f us/req  errors %d\n", $1, $2, $3, $4, $5, $6 }' >&2
}

# measure_paired: RUNS rounds; in each, the configurations of one body at once for DUR s
measure_paired() {
	local run b i f pass
	: >"$WORK/results.txt"
	log "measuring, paired: $RUNS rounds x 2 bodies x ${DUR}s"
	for ((run = 1; run <= RUNS; run++)); do
		for b in connect publish; do
			for pass in start finish; do
				for ((i = 0; i < NC; i++)); do
					IFS='|' read -r name inst body path <<<"${CONFIGS[$i]}"
					[[ $body == "$b" ]] || continue
					f=$WORK/wrk.$i.$run.out
					if [[ $pass == start ]]; then
						wrk_start "$inst" "$DUR" "$HERE/bodies/$body.json" \
							"http://127.0.0.1:${SPORT[$inst]}$path" "$f"
					else
						wrk_finish "$inst" "$name/$body" "$f"
						record "$name $body" "$run"
					fi
				done
			done
			sleep 1
		done
	done
}

if [[ ${PAIRED:-0} == 1 ]]; then
	CMDLINE="PAIRED=1 ${CMDLINE/WARMUP=$WARMUP/WARMUP=0}"
	WARMUP=0
	measure_paired
else
	measure $((RUNS * NC * (DUR + 1) / 60))
fi
read_load_rss

# ---- report --------------------------------------------------------------------------------

KEYS=()             # "server body", one a configuration
for c in "${CONFIGS[@]}"; do
	IFS='|' read -r name inst body path <<<"$c"
	KEYS+=("$name $body")
	summarize "$name $body"
done

{
	echo "# wcsp load benchmark"
	echo
	echo "- date: $(utc_now)"
	echo "- machine: $(machine), load average before: $LOADAVG0"
	command_line
	echo "- tools: $(wrk_version), nginx $(nginx -v 2>&1 | sed 's|.*/||'), node $(node --version), libmicrohttpd $(pkg_version libmicrohttpd)"
	echo "- bodies: connect $(stat -c %s "$HERE/bodies/connect.json") B, publishStream with SDP $(stat -c %s "$HERE/bodies/publish.json") B; wcsp-policy replies: connect $RLEN_CONNECT B (with restClientConfig), publishStream $RLEN_PUBLISH B (renamed); nginx answers a fixed 15-byte body"
	runs_line
	[[ ${PAIRED:-0} == 1 ]] && echo "- PAIRED=1: in each round the rows of one body ran at once, one wrk each (all on CPU 0, the servers sharing CPU 1): the CPU ratios within a round are the figures to read; req/s and p99 are those of servers sharing a core"
	echo
	echo "\"vs nginx\" columns: the ratio to nginx (same body) within each round, median over the rounds."
	echo
	echo "| server | body | median req/s | vs nginx | p99 µs | server CPU µs/req | CPU vs nginx | RSS idle | RSS after load (peak) | stripped binary | errors |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for c in "${CONFIGS[@]}"; do
		IFS='|' read -r name inst body path <<<"$c"
		k="$name $body"
		bin=${SBIN[$inst]:-}
		[[ -n $bin ]] && bin="$(awk -v b="$bin" 'BEGIN { printf "%.0f KB", b / 1024 }')" || bin="-"
		printf '| %s | %s | %s | %s | %s |\n' \
			"$name" "$body" "$(main_cells "$k" "nginx $body" "$inst")" "$bin" "${ERRS[$k]}"
	done
	echo
	noise_table "server | body" "${KEYS[@]}"
	echo
	echo "Derived: ratio within each round, median (min-max) over the $RUNS rounds:"
	echo
	echo "| comparison | req/s ratio | server CPU µs/req ratio |"
	echo "|---|---:|---:|"
	for b in connect publish; do
		ratio_row "decision cost, $b: 100,000-token set / 4-token set" "wcsp-policy-100k $b" "wcsp-policy $b"
	done
	for b in connect publish; do
		ratio_row "policy cost, $b: bench/policy.wcsp / echo.wcsp" "wcsp-policy $b" "wcsp-echo $b"
	done
	ratio_row "access log cost, connect: log on / log off" "wcsp-policy-log connect" "wcsp-policy connect"
	ratio_row "threads, connect: --threads 2 / 1 thread" "wcsp-policy-t2 connect" "wcsp-policy connect"
	for b in connect publish; do
		ratio_row "policy server / bare libmicrohttpd + jsmn echo, $b: wcsp-policy / ref-echo" \
			"wcsp-policy $b" "ref-echo $b"
	done
	ratio_row "policy server / echo sending as many bytes, connect: wcsp-policy / ref-echo-same" \
		"wcsp-policy connect" "ref-echo-same connect"
	ratio_row "the longer reply alone, connect: ref-echo-same / ref-echo" \
		"ref-echo-same connect" "ref-echo connect"
	for b in connect publish; do
		ratio_row "wcsp-echo / node, $b" "wcsp-echo $b" "node $b"
	done
	echo
	echo "The access log of wcsp-policy-log went to a file (page cache, no fsync): $(awk -v b="${LOG_BYTES:-0}" -v r="${LOG_REQS:-1}" 'BEGIN { printf "%.0f", b / r }') bytes a request in its last run (up to 64 KB of it still in the server's stdio buffer)."
	echo
	runs_block "server body req/s p99_µs cpu_µs/req errors requests round"
} >"$WORK/results.md"
finish_report
