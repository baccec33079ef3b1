#!/usr/bin/env bash
# bench/run.sh -- load benchmark of wcsp servers against their peers, side by side in one run.
#
#   bench/run.sh                     RUNS=5 DUR=10: about 12 minutes on 2 cores
#   RUNS=3 DUR=5 bench/run.sh        quicker, noisier
#
# Environment: DUR (seconds per wrk run, 10), RUNS (runs per configuration, 5), CONNS (wrk
# connections, 32), WARMUP (seconds of unrecorded load per configuration first, 2),
# OUT (the results file, bench/results.md), KEEP=1 (keep the work directory).
#
# Servers, all started once and kept running for the whole benchmark, all on 127.0.0.1:
#   nginx            nginx-light, 1 worker, `return 200` of a fixed JSON body (the ceiling)
#   node             bench/node-echo.js: Node.js `http`, JSON.parse, echo
#   wcsp-echo        policies/echo.wcsp, --log-level warn (no access log)
#   wcsp-policy      bench/policy.wcsp (4-token set), --log-level warn
#   wcsp-policy-100k bench/policy.wcsp with a 100,000-token set file, --log-level warn
#   wcsp-policy-log  bench/policy.wcsp, access log on (the default), appended to a file in the
#                    work directory (page cache; emptied before each run)
#   wcsp-policy-t2   bench/policy.wcsp, --threads 2, --log-level warn
# Each (server, body) configuration gets RUNS runs of `wrk -t1 -cCONNS -dDURs --latency`,
# interleaved: run i of every configuration before run i+1 of any (the order rotates each
# round). Per run: req/s, p99, and the server's CPU time (utime+stime from /proc/PID/stat,
# all threads, nginx master+worker) divided by the requests wrk completed.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
DUR=${DUR:-10}
RUNS=${RUNS:-5}
CONNS=${CONNS:-32}
WARMUP=${WARMUP:-2}
OUT=${OUT:-$HERE/results.md}
CMDLINE="DUR=$DUR RUNS=$RUNS CONNS=$CONNS WARMUP=$WARMUP bench/run.sh"
for v in DUR RUNS CONNS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench: $v must be a positive integer" >&2; exit 2; }
done
[[ $WARMUP =~ ^[0-9]+$ ]] || { echo "bench: WARMUP must be an integer" >&2; exit 2; }
# missing tools: install their Debian packages with the project's installer (sudo if needed)
need=""
for t in wrk:wrk nginx:nginx-light node:nodejs curl:curl; do
	command -v "${t%%:*}" >/dev/null || need="$need ${t#*:}"
done
if [[ -n $need ]]; then
	echo "bench: installing$need" >&2
	WCSP_PKGS="${need# }" sh "$ROOT/tools/deps.sh" ||
		{ echo "bench: could not install$need" >&2; exit 2; }
fi
PATH=$PATH:/usr/sbin   # nginx lives there; a non-root PATH may lack it
for t in wrk nginx node curl make cc; do
	command -v "$t" >/dev/null || { echo "bench: '$t' not found" >&2; exit 2; }
done

LOADAVG0=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wcsp-bench.XXXXXX")
declare -A SPID SPIDS SPORT SRSS_IDLE SBIN   # per server instance
SERVERS=()          # instance names, in start order
WRK_PID=""
NGINX_PID=""
LOG_BYTES=0
LOG_REQS=1

log() { printf 'bench: %s\n' "$*" >&2; }

cleanup() {
	local p n
	trap - EXIT INT TERM
	if [[ -n $WRK_PID ]] && kill -0 "$WRK_PID" 2>/dev/null; then
		kill -TERM "$WRK_PID" 2>/dev/null || true
	fi
	for n in "${SERVERS[@]}"; do
		p=${SPID[$n]:-}
		if [[ -n $p ]]; then kill -TERM "$p" 2>/dev/null || true; fi
	done
	for n in "${SERVERS[@]}"; do
		p=${SPID[$n]:-}
		[[ -n $p ]] || continue
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$p" 2>/dev/null; then
			log "$n (pid $p) ignored SIGTERM for 5 s: SIGKILL"
			kill -KILL "$p" 2>/dev/null || true
		fi
		wait "$p" 2>/dev/null || true
	done
	# nginx's worker dies with its master; make sure of it
	for p in ${SPIDS[nginx]:-}; do
		if [[ $(cat "/proc/$p/comm" 2>/dev/null) == nginx ]]; then
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
	if [[ ${KEEP:-0} == 1 ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---- helpers -------------------------------------------------------------------------------

clk_tck=$(getconf CLK_TCK)

# utime+stime in ticks, summed over the given pids (all threads of each)
cpu_ticks() {
	local p rest total=0
	for p in "$@"; do
		rest=$(<"/proc/$p/stat")
		rest=${rest##*) }
		# shellcheck disable=SC2086
		set -- $rest
		total=$((total + ${12} + ${13}))
	done
	echo "$total"
}

# VmRSS in kB, summed over the given pids
rss_kb() {
	local p total=0 v
	for p in "$@"; do
		v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status")
		total=$((total + v))
	done
	echo "$total"
}

# wait until FILE has a line matching "listening on ADDR:PORT"; print PORT
wait_port() {
	local file=$1 pid=$2 port
	for _ in $(seq 100); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$file" | head -1)
		[[ -n $port ]] && { echo "$port"; return 0; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	log "server did not start; its stderr:"
	cat "$file" >&2
	return 1
}

# start_server NAME STDOUT CMD ARGS...: a server that prints "listening on 127.0.0.1:PORT"
start_server() {
	local name=$1 out=$2
	shift 2
	"$@" >>"$out" 2>"$WORK/$name.err" &
	SPID[$name]=$!
	SPIDS[$name]=$!
	SERVERS+=("$name")
	SPORT[$name]=$(wait_port "$WORK/$name.err" "${SPID[$name]}")
}

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
		nginx -p "$d" -e "$d/logs/error.log" -c "$d/nginx.conf" 2>"$WORK/nginx.err" &
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

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
	if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo, hi }'; }

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
for b in wcsp-echo wcsp-policy wcsp-policy-100k; do
	file "$WORK/$b" 2>/dev/null | grep -q 'not stripped' && strip "$WORK/$b"
	SBIN[$b]=$(stat -c %s "$WORK/$b")
done

# ---- start every server --------------------------------------------------------------------

log "starting servers"
start_nginx
start_server node /dev/null node "$HERE/node-echo.js" 0
start_server wcsp-echo /dev/null "$WORK/wcsp-echo" --listen 127.0.0.1:0 --log-level warn
start_server wcsp-policy /dev/null "$WORK/wcsp-policy" --listen 127.0.0.1:0 --log-level warn
start_server wcsp-policy-100k /dev/null "$WORK/wcsp-policy-100k" --listen 127.0.0.1:0 \
	--log-level warn
start_server wcsp-policy-log "$WORK/access.log" "$WORK/wcsp-policy" --listen 127.0.0.1:0
start_server wcsp-policy-t2 /dev/null "$WORK/wcsp-policy" --listen 127.0.0.1:0 \
	--log-level warn --threads 2
SBIN[wcsp-policy-log]=${SBIN[wcsp-policy]}
SBIN[wcsp-policy-t2]=${SBIN[wcsp-policy]}
sleep 0.5
for n in "${SERVERS[@]}"; do
	# shellcheck disable=SC2086
	SRSS_IDLE[$n]=$(rss_kb ${SPIDS[$n]})
	log "$n: pid ${SPIDS[$n]}, port ${SPORT[$n]}, idle RSS ${SRSS_IDLE[$n]} kB"
done

# ---- configurations ------------------------------------------------------------------------

# name|server instance|body file|URL path
CONFIGS=(
	"nginx|nginx|connect|/apps/defaultApp/connect"
	"node|node|connect|/apps/defaultApp/connect"
	"wcsp-echo|wcsp-echo|connect|/apps/defaultApp/connect"
	"wcsp-policy|wcsp-policy|connect|/apps/defaultApp/connect"
	"wcsp-policy-100k|wcsp-policy-100k|connect|/apps/defaultApp/connect"
	"wcsp-policy-log|wcsp-policy-log|connect|/apps/defaultApp/connect"
	"wcsp-policy-t2|wcsp-policy-t2|connect|/apps/defaultApp/connect"
	"nginx|nginx|publish|/apps/defaultApp/publishStream"
	"node|node|publish|/apps/defaultApp/publishStream"
	"wcsp-echo|wcsp-echo|publish|/apps/defaultApp/publishStream"
	"wcsp-policy|wcsp-policy|publish|/apps/defaultApp/publishStream"
	"wcsp-policy-100k|wcsp-policy-100k|publish|/apps/defaultApp/publishStream"
)
NC=${#CONFIGS[@]}

# ---- correctness before speed --------------------------------------------------------------

check_reply() {   # instance body path -> prints status, reply in $WORK/reply.<instance>.<body>
	local inst=$1 body=$2 path=$3
	curl -s -o "$WORK/reply.$inst.$body" -w '%{http_code}' --max-time 5 \
		-H 'Content-Type: application/json;charset=UTF-8' \
		--data-binary "@$HERE/bodies/$body.json" "http://127.0.0.1:${SPORT[$inst]}$path"
}
log "checking replies"
for c in "${CONFIGS[@]}"; do
	IFS='|' read -r name inst body path <<<"$c"
	st=$(check_reply "$inst" "$body" "$path")
	[[ $st == 200 ]] || { log "$name $body: status $st, want 200"; exit 1; }
done
for b in connect publish; do
	cmp -s "$HERE/bodies/$b.json" "$WORK/reply.node.$b" || { log "node does not echo $b"; exit 1; }
	cmp -s "$HERE/bodies/$b.json" "$WORK/reply.wcsp-echo.$b" ||
		{ log "wcsp-echo does not echo $b byte for byte"; exit 1; }
	for i in wcsp-policy-100k wcsp-policy-log wcsp-policy-t2; do
		[[ -f $WORK/reply.$i.$b ]] || continue
		cmp -s "$WORK/reply.wcsp-policy.$b" "$WORK/reply.$i.$b" ||
			{ log "$i answers $b differently from wcsp-policy"; exit 1; }
	done
done
grep -q '"restClientConfig":{' "$WORK/reply.wcsp-policy.connect" ||
	{ log "wcsp-policy connect reply has no restClientConfig"; exit 1; }
grep -q '"name":"live-alice-cam1"' "$WORK/reply.wcsp-policy.publish" ||
	{ log "wcsp-policy publishStream reply is not renamed"; exit 1; }
RLEN_CONNECT=$(stat -c %s "$WORK/reply.wcsp-policy.connect")
RLEN_PUBLISH=$(stat -c %s "$WORK/reply.wcsp-policy.publish")

# ---- load ----------------------------------------------------------------------------------

# run_wrk CONFIG-INDEX SECONDS TAG [ROUND]: one wrk run; appends a result line for TAG=run
run_wrk() {
	local idx=$1 secs=$2 tag=$3 round=${4:-0} name inst body path c0 c1 r line f
	IFS='|' read -r name inst body path <<<"${CONFIGS[$idx]}"
	f=$WORK/wrk.$idx.$tag.out
	[[ $inst == wcsp-policy-log ]] && : >"$WORK/access.log"
	# shellcheck disable=SC2086
	c0=$(cpu_ticks ${SPIDS[$inst]})
	BODY="$HERE/bodies/$body.json" timeout -k 5 $((secs + 30)) \
		wrk -t1 -c"$CONNS" -d"${secs}s" --latency -s "$HERE/post.lua" \
		"http://127.0.0.1:${SPORT[$inst]}$path" >"$f" 2>&1 &
	WRK_PID=$!
	r=0
	wait "$WRK_PID" || r=$?
	WRK_PID=""
	# shellcheck disable=SC2086
	c1=$(cpu_ticks ${SPIDS[$inst]})
	# shellcheck disable=SC2086
	kill -0 ${SPIDS[$inst]} 2>/dev/null || { log "$inst died during the run"; cat "$f" >&2; exit 1; }
	line=$(grep '^WRK ' "$f" || true)
	if [[ $r != 0 || -z $line ]]; then
		log "wrk failed on $name/$body (exit $r):"
		cat "$f" >&2
		exit 1
	fi
	if [[ $inst == wcsp-policy-log ]]; then
		LOG_BYTES=$(stat -c %s "$WORK/access.log")
		[[ $line =~ requests=([0-9]+) ]] && LOG_REQS=${BASH_REMATCH[1]}
	fi
	[[ $tag == run ]] || return 0
	awk -v n="$name" -v b="$body" -v rd="$round" -v c0="$c0" -v c1="$c1" -v hz="$clk_tck" -v line="$line" \
		'BEGIN {
			split(line, kv, " ")
			for (i = 2; i in kv; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
			errs = v["non2xx"] + v["connect"] + v["read"] + v["write"] + v["timeout"]
			rps = v["requests"] / (v["duration_us"] / 1e6)
			cpu = (c1 - c0) * 1e6 / hz / v["requests"]
			printf "%s %s %.0f %d %.2f %d %d %d\n", n, b, rps, v["p99_us"], cpu, errs, v["requests"], rd
		}' >>"$WORK/results.txt"
	tail -1 "$WORK/results.txt" | awk '{ printf "bench:   %-17s %-8s %8d req/s  p99 %5d us  cpu %6.2f us/req  errors %d\n", $1, $2, $3, $4, $5, $6 }' >&2
}

: >"$WORK/results.txt"
if [[ $WARMUP -gt 0 ]]; then
	log "warm-up: ${WARMUP}s per configuration, not recorded"
	for ((i = 0; i < NC; i++)); do run_wrk "$i" "$WARMUP" warm; done
fi
total=$((RUNS * NC * (DUR + 1)))
log "measuring: $RUNS rounds x $NC configurations x ${DUR}s (about $((total / 60)) min)"
for ((run = 0; run < RUNS; run++)); do
	log "round $((run + 1))/$RUNS"
	for ((k = 0; k < NC; k++)); do
		run_wrk $(((k + run) % NC)) "$DUR" run $((run + 1))
		sleep 1
	done
done

declare -A SRSS_LOAD SHWM
for n in "${SERVERS[@]}"; do
	# shellcheck disable=SC2086
	SRSS_LOAD[$n]=$(rss_kb ${SPIDS[$n]})
	SHWM[$n]=$(for p in ${SPIDS[$n]}; do awk '/^VmHWM:/ { print $2 }' "/proc/$p/status"; done |
		awk '{ s += $1 } END { print s }')
done

# ---- report --------------------------------------------------------------------------------

stat_of() {   # name body column(3 rps, 4 p99, 5 cpu, 6 errs) -> values, one a line
	awk -v n="$1" -v b="$2" -v c="$3" '$1 == n && $2 == b { print $c }' "$WORK/results.txt"
}
declare -A MED_RPS MED_P99 MED_CPU ERRS SPREAD CSPREAD
for c in "${CONFIGS[@]}"; do
	IFS='|' read -r name inst body path <<<"$c"
	k="$name|$body"
	MED_RPS[$k]=$(stat_of "$name" "$body" 3 | median)
	MED_P99[$k]=$(stat_of "$name" "$body" 4 | median)
	MED_CPU[$k]=$(stat_of "$name" "$body" 5 | median | awk '{ printf "%.2f", $1 }')
	ERRS[$k]=$(stat_of "$name" "$body" 6 | awk '{ s += $1 } END { print s + 0 }')
	read -r lo hi < <(stat_of "$name" "$body" 3 | minmax)
	SPREAD[$k]=$(awk -v lo="$lo" -v hi="$hi" -v m="${MED_RPS[$k]}" \
		'BEGIN { printf "%d-%d (%.0f%%)", lo, hi, (hi - lo) * 100 / m }')
	read -r lo hi < <(stat_of "$name" "$body" 5 | minmax)
	CSPREAD[$k]=$(awk -v lo="$lo" -v hi="$hi" -v m="${MED_CPU[$k]}" \
		'BEGIN { printf "%.2f-%.2f (%.0f%%)", lo, hi, (hi - lo) * 100 / m }')
done

# rratio NAME BODY REFNAME REFBODY COLUMN: the ratio NAME/REF of one column within each round
# (the two ran minutes apart at most), then "median (min-max)" over the rounds. Rounds drift
# on a shared machine; ratios within a round drift much less than the raw numbers.
rratio() {
	awk -v n="$1" -v b="$2" -v rn="$3" -v rb="$4" -v c="$5" '
		$1 == n && $2 == b { x[$8] = $c }
		$1 == rn && $2 == rb { y[$8] = $c }
		END {
			k = 0
			for (r in x) if ((r in y) && y[r] > 0) v[++k] = x[r] / y[r]
			if (k == 0) { print "-"; exit }
			for (i = 2; i <= k; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
			m = k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
			if (k == 1) printf "%.2f", m; else printf "%.2f (%.2f-%.2f)", m, v[1], v[k]
		}' "$WORK/results.txt"
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }
fmt_int() { printf '%.0f' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
{
	echo "# wcsp load benchmark"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- machine: $(nproc) cores, ${cpu_model:-unknown CPU}, Linux $(uname -r), load average before: $LOADAVG0"
	echo "- command: \`$CMDLINE\` (each run: \`wrk -t1 -c$CONNS -d${DUR}s --latency -s bench/post.lua URL\`)"
	echo "- tools: $(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }'), nginx $(nginx -v 2>&1 | sed 's|.*/||'), node $(node --version), libmicrohttpd $(pkg-config --modversion libmicrohttpd 2>/dev/null || echo '?')"
	echo "- bodies: connect $(stat -c %s "$HERE/bodies/connect.json") B, publishStream with SDP $(stat -c %s "$HERE/bodies/publish.json") B; wcsp-policy replies: connect $RLEN_CONNECT B (with restClientConfig), publishStream $RLEN_PUBLISH B (renamed); nginx answers a fixed 15-byte body"
	echo "- $RUNS interleaved runs per row (plus ${WARMUP}s unrecorded warm-up); medians; wrk and the servers share the cores"
	echo
	echo "\"vs nginx\" columns: the ratio to nginx (same body) within each round, median over the rounds."
	echo
	echo "| server | body | median req/s | vs nginx | p99 µs | server CPU µs/req | CPU vs nginx | RSS idle | RSS after load (peak) | stripped binary | errors |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for c in "${CONFIGS[@]}"; do
		IFS='|' read -r name inst body path <<<"$c"
		k="$name|$body"
		bin=${SBIN[$inst]:-}
		[[ -n $bin ]] && bin="$(awk -v b="$bin" 'BEGIN { printf "%.0f KB", b / 1024 }')" || bin="-"
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s (%s) | %s | %s |\n' \
			"$name" "$body" "$(fmt_int "${MED_RPS[$k]}")" \
			"$(rratio "$name" "$body" nginx "$body" 3 | cut -d' ' -f1)" \
			"$(fmt_int "${MED_P99[$k]}")" "${MED_CPU[$k]}" \
			"$(rratio "$name" "$body" nginx "$body" 5 | cut -d' ' -f1)" \
			"$(mb "${SRSS_IDLE[$inst]}")" "$(mb "${SRSS_LOAD[$inst]}")" "$(mb "${SHWM[$inst]}")" \
			"$bin" "${ERRS[$k]}"
	done
	echo
	echo "Noise: min-max of the $RUNS runs, and (max-min)/median:"
	echo
	echo "| server | body | req/s | server CPU µs/req |"
	echo "|---|---|---|---|"
	for c in "${CONFIGS[@]}"; do
		IFS='|' read -r name inst body path <<<"$c"
		k="$name|$body"
		echo "| $name | $body | ${SPREAD[$k]} | ${CSPREAD[$k]} |"
	done
	echo
	echo "Derived: ratio within each round, median (min-max) over the $RUNS rounds:"
	echo
	echo "| comparison | req/s ratio | server CPU µs/req ratio |"
	echo "|---|---:|---:|"
	cmp_row() {   # label name body refname refbody
		echo "| $1 | $(rratio "$2" "$3" "$4" "$5" 3) | $(rratio "$2" "$3" "$4" "$5" 5) |"
	}
	for b in connect publish; do
		cmp_row "decision cost, $b: 100,000-token set / 4-token set" wcsp-policy-100k "$b" wcsp-policy "$b"
	done
	for b in connect publish; do
		cmp_row "policy cost, $b: bench/policy.wcsp / echo.wcsp" wcsp-policy "$b" wcsp-echo "$b"
	done
	cmp_row "access log cost, connect: log on / log off" wcsp-policy-log connect wcsp-policy connect
	cmp_row "threads, connect: --threads 2 / 1 thread" wcsp-policy-t2 connect wcsp-policy connect
	for b in connect publish; do
		cmp_row "wcsp-echo / node, $b" wcsp-echo "$b" node "$b"
	done
	echo
	echo "The access log of wcsp-policy-log went to a file (page cache, no fsync): $(awk -v b="${LOG_BYTES:-0}" -v r="${LOG_REQS:-1}" 'BEGIN { printf "%.0f", b / r }') bytes a request in its last run (up to 64 KB of it still in the server's stdio buffer)."
	echo
	echo "Every run (server body req/s p99_µs cpu_µs/req errors requests round), in the order run:"
	echo
	echo '```'
	cat "$WORK/results.txt"
	echo '```'
} >"$WORK/results.md"
cp "$WORK/results.md" "$OUT"
cat "$WORK/results.md"
log "written to $OUT"
nerr=$(awk '{ s += $6 } END { print s + 0 }' "$WORK/results.txt")
if [[ $nerr != 0 ]]; then
	log "$nerr requests failed (non-2xx or socket errors): see the errors column"
	exit 1
fi
