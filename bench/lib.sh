# bench/lib.sh -- what bench/run.sh, bench/tokens.sh and bench/soak.sh share. Sourced, never run:
#   HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(dirname "$HERE"); . "$HERE/lib.sh"
# Bash only. Sourcing declares the state below, reads CLK_TCK and defines functions; nothing
# else runs until the caller calls them.
#
# The caller sets:
#   HERE, ROOT        bench/ and the top of the tree, before sourcing (wrk_run loads
#                     $HERE/post.lua; install_missing runs $ROOT/tools/deps.sh)
#   LOG_TAG           the prefix of every message on stderr (default "bench"; soak.sh: "soak")
#   WORK              the work directory (mktemp -d), before set_traps and anything that uses it
#   OUT               the results file, for finish_report
#   RESULT_KEYS       how many fields name a configuration in $WORK/results.txt (run.sh 2: server
#                     and body; tokens.sh 1), for record and everything that reads results.txt
#   NC, run_wrk       the number of configurations, and run_wrk INDEX SECONDS TAG [ROUND] (TAG
#                     warm or run) that loads configuration INDEX, for measure
#   cleanup_extra     optional function, run by cleanup after the servers stop and before the
#                     work directory goes (run.sh: nginx's worker; soak.sh: its own processes)
#
# State, declared here: SERVERS (instance names, in start order); per instance SPID (the pid
# cleanup stops), SPIDS (every pid whose CPU and memory count: nginx master and worker), SPORT,
# SRSS_IDLE, SRSS_LOAD, SHWM (kB); WRK_PID (the wrk runs in flight, space-separated);
# WSTART_CPU, WSTART_PID (wrk_start, by output file); per configuration key MED_RPS, MED_P99,
# MED_CPU, ERRS, SPREAD, CSPREAD (summarize); CPU0, CPU1, WRK_LINE (wrk_finish); CLK_TCK.
#
# Functions:
#   options and tools  log, positive_ints, whole_ints, wrk_options (DUR RUNS CONNS WARMUP and
#                      CMDLINE), install_missing (through tools/deps.sh), require_tools
#   processes          set_traps, cleanup, stop_wrk, stop_servers, remove_work, wait_port,
#                      start_server, post_json
#   measurements       cpu_ticks, rss_kb, hwm_kb, read_idle_rss, read_load_rss, loadavg,
#                      wrk_start, wrk_finish, wrk_run, record, measure
#   numbers            values, summarize, median, minmax, rcmp, mb, fmt_int
#   report             utc_now, cpu_model, machine, wrk_version, pkg_version, command_line,
#                      runs_line, main_cells, ratio_row, noise_table, runs_block,
#                      finish_report
# $WORK/results.txt, written by record and read by the numbers and report functions: one line a
# measured run, "KEY... req/s p99_µs cpu_µs/req errors requests round" (KEY: RESULT_KEYS fields).
# shellcheck shell=bash disable=SC2034  # the state is the callers' to read

declare -A SPID SPIDS SPORT SRSS_IDLE SRSS_LOAD SHWM
declare -A MED_RPS MED_P99 MED_CPU ERRS SPREAD CSPREAD
declare -A WSTART_CPU WSTART_PID
SERVERS=()
WRK_PID=""
CPU0=0 CPU1=0 WRK_LINE=""
CLK_TCK=$(getconf CLK_TCK)
# Pinning (PIN=1, the default, on 2 or more CPUs with taskset): every server on CPU SERVER_CPU
# (1), wrk on WRK_CPU (0). Unpinned, the scheduler moves both between the cores mid-run and
# single runs spread by 13-57% here; pinned, by a few percent. PIN_THIS=0 before start_server
# leaves one server free (run.sh's --threads 2 server).
SRV_PIN=() WRK_PIN=()
if [ "${PIN:-1}" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	SRV_PIN=(taskset -c "${SERVER_CPU:-1}")
	WRK_PIN=(taskset -c "${WRK_CPU:-0}")
fi

# ---- options and tools ---------------------------------------------------------------------

log() { printf '%s: %s\n' "${LOG_TAG:-bench}" "$*" >&2; }

# positive_ints VAR...: exit 2 unless each variable holds a positive integer
positive_ints() {
	local v
	for v in "$@"; do
		[[ ${!v} =~ ^[1-9][0-9]*$ ]] || { log "$v must be a positive integer"; exit 2; }
	done
}

# whole_ints VAR...: exit 2 unless each variable holds an integer, 0 or more
whole_ints() {
	local v
	for v in "$@"; do
		[[ ${!v} =~ ^[0-9]+$ ]] || { log "$v must be an integer"; exit 2; }
	done
}

# wrk_options SCRIPT: DUR (10), RUNS (5), CONNS (32), WARMUP (2) from the environment, checked;
# CMDLINE, the command that repeats them
wrk_options() {
	DUR=${DUR:-10}
	RUNS=${RUNS:-5}
	CONNS=${CONNS:-32}
	WARMUP=${WARMUP:-2}
	CMDLINE="DUR=$DUR RUNS=$RUNS CONNS=$CONNS WARMUP=$WARMUP $1"
	positive_ints DUR RUNS CONNS
	whole_ints WARMUP
}

# install_missing COMMAND:PACKAGE...: install the Debian packages of the commands not on PATH
# with the project's installer (sudo if needed); exit 2 if that fails
install_missing() {
	local t need=""
	for t in "$@"; do
		command -v "${t%%:*}" >/dev/null || need="$need ${t#*:}"
	done
	if [[ -n $need ]]; then
		log "installing$need"
		WCSP_PKGS="${need# }" sh "$ROOT/tools/deps.sh" || { log "could not install$need"; exit 2; }
	fi
}

# require_tools COMMAND...: exit 2 unless each is on PATH
require_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || { log "'$t' not found"; exit 2; }
	done
}

# ---- processes -----------------------------------------------------------------------------

# set_traps: cleanup on exit; SIGINT and SIGTERM say so and exit 130 (through cleanup)
set_traps() {
	trap cleanup EXIT
	trap 'log "interrupted"; exit 130' INT TERM
}

cleanup() {
	trap - EXIT INT TERM
	stop_wrk
	stop_servers
	if declare -F cleanup_extra >/dev/null; then cleanup_extra; fi
	remove_work
}

stop_wrk() {   # WRK_PID: the wrk runs in flight, space-separated
	local p
	for p in $WRK_PID; do
		kill -TERM "$p" 2>/dev/null || true
	done
}

# stop_servers: SIGTERM to every server at once, then up to 5 s each to exit before SIGKILL
stop_servers() {
	local p n
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
}

remove_work() {
	if [[ ${KEEP:-0} == 1 ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}

# wait_port FILE PID: wait until FILE has a line "listening on 127.0.0.1:PORT"; print PORT.
# Fails, showing FILE, if PID exits first or 5 s pass.
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

# start_server NAME STDOUT CMD ARGS...: start a server that prints "listening on
# 127.0.0.1:PORT" on stderr (kept in $WORK/NAME.err), appending its stdout to STDOUT; sets
# SPID, SPIDS, SPORT of NAME and adds NAME to SERVERS
start_server() {
	local name=$1 out=$2 pin=("${SRV_PIN[@]}")
	shift 2
	[ "${PIN_THIS:-1}" = 1 ] || pin=()
	"${pin[@]}" "$@" >>"$out" 2>"$WORK/$name.err" &
	SPID[$name]=$!
	SPIDS[$name]=$!
	SERVERS+=("$name")
	SPORT[$name]=$(wait_port "$WORK/$name.err" "${SPID[$name]}")
}

# post_json BODYFILE URL REPLYFILE: POST BODYFILE as JSON (5 s at most); the reply in REPLYFILE,
# the status on stdout
post_json() {
	curl -s -o "$3" -w '%{http_code}' --max-time 5 \
		-H 'Content-Type: application/json;charset=UTF-8' \
		--data-binary "@$1" "$2"
}

# ---- measurements --------------------------------------------------------------------------

# cpu_ticks PID...: utime+stime in ticks, summed over the pids (all threads of each)
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

# status_kb FIELD PID...: a kB field of /proc/PID/status (VmRSS, VmHWM), summed over the pids;
# fails, printing nothing, if a pid is gone
status_kb() {
	local f=$1 p v total=0
	shift
	for p in "$@"; do
		v=$(awk -v f="$f:" '$1 == f { print $2 }' "/proc/$p/status") || return 1
		total=$((total + v))
	done
	echo "$total"
}
rss_kb() { status_kb VmRSS "$@"; }
hwm_kb() { status_kb VmHWM "$@"; }

# read_idle_rss: half a second after the start, SRSS_IDLE of every server, logged
read_idle_rss() {
	local n
	sleep 0.5
	for n in "${SERVERS[@]}"; do
		# shellcheck disable=SC2086
		SRSS_IDLE[$n]=$(rss_kb ${SPIDS[$n]})
		log "$n: pid ${SPIDS[$n]}, port ${SPORT[$n]}, idle RSS ${SRSS_IDLE[$n]} kB"
	done
}

# read_load_rss: SRSS_LOAD and SHWM (the peak) of every server
read_load_rss() {
	local n
	for n in "${SERVERS[@]}"; do
		# shellcheck disable=SC2086
		SRSS_LOAD[$n]=$(rss_kb ${SPIDS[$n]})
		# shellcheck disable=SC2086
		SHWM[$n]=$(hwm_kb ${SPIDS[$n]})
	done
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# wrk_start INSTANCE SECONDS BODYFILE URL OUTFILE: start one `wrk -t1 -cCONNS -dSECONDSs
# --latency -s bench/post.lua URL` posting BODYFILE in the background, under a time limit, its
# output in OUTFILE; INSTANCE's CPU ticks in WSTART_CPU[OUTFILE], wrk's pid in
# WSTART_PID[OUTFILE] and WRK_PID.
wrk_start() {
	local inst=$1 secs=$2 body=$3 url=$4 f=$5
	# shellcheck disable=SC2086
	WSTART_CPU[$f]=$(cpu_ticks ${SPIDS[$inst]})
	BODY="$body" timeout -k 5 $((secs + 30)) \
		"${WRK_PIN[@]}" wrk -t1 -c"$CONNS" -d"${secs}s" --latency -s "$HERE/post.lua" "$url" \
		>"$f" 2>&1 &
	WSTART_PID[$f]=$!
	WRK_PID="$WRK_PID $!"
}

# wrk_finish INSTANCE LABEL OUTFILE: wait for the wrk_start of OUTFILE; the CPU ticks of
# INSTANCE's pids before and after in CPU0 and CPU1, wrk's "WRK ..." line in WRK_LINE.
# Exits 1 if the server died or wrk failed (LABEL names the run in the message).
wrk_finish() {
	local inst=$1 label=$2 f=$3 r=0
	wait "${WSTART_PID[$f]}" || r=$?
	WRK_PID=${WRK_PID/ ${WSTART_PID[$f]}/}
	CPU0=${WSTART_CPU[$f]}
	# shellcheck disable=SC2086
	CPU1=$(cpu_ticks ${SPIDS[$inst]})
	# shellcheck disable=SC2086
	kill -0 ${SPIDS[$inst]} 2>/dev/null || { log "$inst died during the run"; cat "$f" >&2; exit 1; }
	WRK_LINE=$(grep '^WRK ' "$f" || true)
	if [[ $r != 0 || -z $WRK_LINE ]]; then
		log "wrk failed on $label (exit $r):"
		cat "$f" >&2
		exit 1
	fi
}

# wrk_run INSTANCE LABEL SECONDS BODYFILE URL OUTFILE: wrk_start, then wrk_finish.
wrk_run() {
	wrk_start "$1" "$3" "$4" "$5" "$6"
	wrk_finish "$1" "$2" "$6"
}

# record KEY ROUND: append the last wrk_run to $WORK/results.txt as "KEY req/s p99_µs
# cpu_µs/req errors requests ROUND" (server CPU time divided by the requests wrk completed)
record() {
	awk -v k="$1" -v rd="$2" -v c0="$CPU0" -v c1="$CPU1" -v hz="$CLK_TCK" -v line="$WRK_LINE" \
		'BEGIN {
			split(line, kv, " ")
			for (i = 2; i in kv; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
			errs = v["non2xx"] + v["connect"] + v["read"] + v["write"] + v["timeout"]
			rps = v["requests"] / (v["duration_us"] / 1e6)
			cpu = (c1 - c0) * 1e6 / hz / v["requests"]
			printf "%s %.0f %d %.2f %d %d %d\n", k, rps, v["p99_us"], cpu, errs, v["requests"], rd
		}' >>"$WORK/results.txt"
}

# measure MINUTES: empty $WORK/results.txt; WARMUP seconds of every configuration, not
# recorded; then RUNS rounds of DUR seconds of every configuration, interleaved: round i of
# every configuration before round i+1 of any, the order rotating each round, a second apart.
# MINUTES is the estimate logged.
measure() {
	local i run k
	: >"$WORK/results.txt"
	if [[ $WARMUP -gt 0 ]]; then
		log "warm-up: ${WARMUP}s per configuration, not recorded"
		for ((i = 0; i < NC; i++)); do run_wrk "$i" "$WARMUP" warm; done
	fi
	log "measuring: $RUNS rounds x $NC configurations x ${DUR}s (about $1 min)"
	for ((run = 0; run < RUNS; run++)); do
		log "round $((run + 1))/$RUNS"
		for ((k = 0; k < NC; k++)); do
			run_wrk $(((k + run) % NC)) "$DUR" run $((run + 1))
			sleep 1
		done
	done
}

# ---- numbers -------------------------------------------------------------------------------

# values KEY COLUMN: COLUMN (1 req/s, 2 p99, 3 CPU µs/req, 4 errors) of KEY's runs, one a line
values() {
	awk -v key="$1" -v c="$2" -v kf="$RESULT_KEYS" '
		{ k = $1; for (i = 2; i <= kf; i++) k = k " " $i }
		k == key { print $(kf + c) }' "$WORK/results.txt"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
	if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo, hi }'; }

# summarize KEY: MED_RPS, MED_P99, MED_CPU, ERRS (the sum), SPREAD and CSPREAD (min-max of
# req/s and CPU µs/req, and (max-min)/median) of KEY's runs
summarize() {
	local k=$1 lo hi
	MED_RPS[$k]=$(values "$k" 1 | median)
	MED_P99[$k]=$(values "$k" 2 | median)
	MED_CPU[$k]=$(values "$k" 3 | median | awk '{ printf "%.2f", $1 }')
	ERRS[$k]=$(values "$k" 4 | awk '{ s += $1 } END { print s + 0 }')
	read -r lo hi < <(values "$k" 1 | minmax)
	SPREAD[$k]=$(awk -v lo="$lo" -v hi="$hi" -v m="${MED_RPS[$k]}" \
		'BEGIN { printf "%d-%d (%.0f%%)", lo, hi, (hi - lo) * 100 / m }')
	read -r lo hi < <(values "$k" 3 | minmax)
	CSPREAD[$k]=$(awk -v lo="$lo" -v hi="$hi" -v m="${MED_CPU[$k]}" \
		'BEGIN { printf "%.2f-%.2f (%.0f%%)", lo, hi, (hi - lo) * 100 / m }')
}

# rcmp OP KEY REF COLUMN: KEY OP REF (OP "/" ratio, "-" difference) of one column (as for
# values) within each round (the two ran minutes apart at most), then "median (min-max)" over
# the rounds, or "median" of one round. Rounds drift on a shared machine; comparisons within a
# round drift much less than the raw numbers.
rcmp() {
	awk -v op="$1" -v n="$2" -v rn="$3" -v c="$4" -v kf="$RESULT_KEYS" '
		{ key = $1; for (i = 2; i <= kf; i++) key = key " " $i }
		key == n { x[$(kf + 6)] = $(kf + c) }
		key == rn { y[$(kf + 6)] = $(kf + c) }
		END {
			k = 0
			for (r in x) if ((r in y) && (op == "-" || y[r] > 0))
				v[++k] = op == "/" ? x[r] / y[r] : x[r] - y[r]
			if (k == 0) { print "-"; exit }
			for (i = 2; i <= k; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
			m = k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
			if (k == 1) printf "%.2f", m; else printf "%.2f (%.2f-%.2f)", m, v[1], v[k]
		}' "$WORK/results.txt"
}

mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }
fmt_int() { printf '%.0f' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

# ---- report --------------------------------------------------------------------------------

utc_now() { date -u '+%Y-%m-%d %H:%M UTC'; }
cpu_model() { awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo; }
# machine: "N cores, CPU model, Linux RELEASE"
machine() {
	local m
	m=$(cpu_model)
	echo "$(nproc) cores, ${m:-unknown CPU}, Linux $(uname -r)"
}
wrk_version() { wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }'; }
pkg_version() { pkg-config --modversion "$1" 2>/dev/null || echo '?'; }

command_line() {
	echo "- command: \`$CMDLINE\` (each run: \`wrk -t1 -c$CONNS -d${DUR}s --latency -s bench/post.lua URL\`)"
}
runs_line() {
	local where="wrk and the servers share the cores"
	[ ${#SRV_PIN[@]} -gt 0 ] &&
		where="servers pinned to CPU ${SERVER_CPU:-1}, wrk to CPU ${WRK_CPU:-0} (PIN=0: unpinned)"
	echo "- $RUNS interleaved runs per row (plus ${WARMUP}s unrecorded warm-up); medians; $where"
}

# main_cells KEY REF INSTANCE: the cells every row of the main table has, "median req/s |
# req/s vs REF | p99 µs | server CPU µs/req | CPU vs REF | RSS idle | RSS after load (peak)",
# the memory that of server INSTANCE
main_cells() {
	printf '%s | %s | %s | %s | %s | %s | %s (%s)' \
		"$(fmt_int "${MED_RPS[$1]}")" "$(rcmp / "$1" "$2" 1 | cut -d' ' -f1)" \
		"$(fmt_int "${MED_P99[$1]}")" "${MED_CPU[$1]}" "$(rcmp / "$1" "$2" 3 | cut -d' ' -f1)" \
		"$(mb "${SRSS_IDLE[$3]}")" "$(mb "${SRSS_LOAD[$3]}")" "$(mb "${SHWM[$3]}")"
}

# ratio_row LABEL KEY REF: a table row "| LABEL | req/s ratio | CPU µs/req ratio |" (rcmp /)
ratio_row() {
	echo "| $1 | $(rcmp / "$2" "$3" 1) | $(rcmp / "$2" "$3" 3) |"
}

# noise_table HEADS KEY...: the "Noise:" paragraph and its table, one row a KEY; HEADS names
# the key columns ("server | body")
noise_table() {
	local heads=$1 sep="|---|---|" i k
	shift
	for ((i = 0; i < RESULT_KEYS; i++)); do sep="|---$sep"; done
	echo "Noise: min-max of the $RUNS runs, and (max-min)/median:"
	echo
	echo "| $heads | req/s | server CPU µs/req |"
	echo "$sep"
	for k in "$@"; do
		echo "| ${k// / | } | ${SPREAD[$k]} | ${CSPREAD[$k]} |"
	done
}

# runs_block FIELDS: every line of $WORK/results.txt in a code block, FIELDS naming its fields
runs_block() {
	echo "Every run ($1), in the order run:"
	echo
	echo '```'
	cat "$WORK/results.txt"
	echo '```'
}

# finish_report: copy $WORK/results.md to OUT and show it; exit 1 if any request failed
finish_report() {
	local nerr
	cp "$WORK/results.md" "$OUT"
	cat "$WORK/results.md"
	log "written to $OUT"
	nerr=$(awk -v c=$((RESULT_KEYS + 4)) '{ s += $c } END { print s + 0 }' "$WORK/results.txt")
	if [[ $nerr != 0 ]]; then
		log "$nerr requests failed (non-2xx or socket errors): see the errors column"
		exit 1
	fi
}
