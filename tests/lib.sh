# tests/lib.sh -- what every shell suite shares; sourced, never run.
#
# Reporting: one line per case, as tests/run.sh counts them:
#   pass NAME            PASS NAME
#   fail NAME WHAT       FAIL NAME: WHAT
#   skip NAME WHY        SKIP NAME: WHY       (a check this machine cannot make)
#   info TEXT            INFO TEXT            (figures and transcripts, not counted)
# Scratch: $tmp, a fresh folder, removed on exit with every server still running.
# Servers, each under an ID of the caller's choosing:
#   start_server ID BINARY [FLAGS...]   on 127.0.0.1:0; stdout and stderr go to
#       $tmp/srv-ID/stdout and $tmp/srv-ID/stderr; waits SRV_WAIT seconds (default 5) for the
#       "wcsp: listening on 127.0.0.1:PORT" line and sets PORT[ID], PID[ID] and port;
#       returns 1 when the line does not come. SRV_WRAP, an array, is put before BINARY
#       (valgrind and its options).
#   stop_server ID      SIGTERM, wait up to SRV_STOP seconds (default 5), then SIGKILL;
#       returns the server's exit status (137 after SIGKILL).
# Load: wrk_counts FILE reads the WRK line bench/post.lua prints (requests, errors, non-2xx).
# The caller sets B (build folder) and runs from the folder it wants; nothing here cds.

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }
info() { echo "INFO $1"; }
# a short, printable excerpt of a file for FAIL lines
peek() { head -c "${2:-200}" "$1" 2>/dev/null | tr -c '[:print:]' '.'; }

tmp=$(mktemp -d) || exit 2
declare -A PORT=() PID=()
SRV_WRAP=()
port=

lib_cleanup() {
	local id
	exec 2>/dev/null        # no "Killed" notes from the shell: the suite is over
	for id in "${!PID[@]}"; do kill -KILL "${PID[$id]}"; wait "${PID[$id]}"; done
	rm -rf "$tmp"
}
trap lib_cleanup EXIT
trap 'exit 2' INT TERM HUP

start_server() {
	local id=$1 bin=$2 i line waits=$((${SRV_WAIT:-5} * 20))
	shift 2
	mkdir -p "$tmp/srv-$id"
	: >"$tmp/srv-$id/stderr"
	"${SRV_WRAP[@]}" "$bin" --listen 127.0.0.1:0 "$@" >"$tmp/srv-$id/stdout" 2>"$tmp/srv-$id/stderr" &
	PID[$id]=$!
	for ((i = 0; i < waits; i++)); do
		line=$(grep -m1 '^wcsp: listening on 127\.0\.0\.1:[0-9]* (policy ' "$tmp/srv-$id/stderr")
		if [ -n "$line" ]; then
			port=$(sed -E 's/^wcsp: listening on 127\.0\.0\.1:([0-9]+) .*/\1/' <<<"$line")
			PORT[$id]=$port
			[ "$port" -gt 0 ] && return 0
			break
		fi
		kill -0 "${PID[$id]}" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}

# wrk_counts FILE: "REQUESTS SOCKET-ERRORS NON-2XX CONNECT READ WRITE TIMEOUT" from the WRK
# line bench/post.lua prints at the end of a wrk run (socket errors: the four summed)
wrk_counts() {
	sed -nE 's/^WRK requests=([0-9]+) .* non2xx=([0-9]+) connect=([0-9]+) read=([0-9]+) write=([0-9]+) timeout=([0-9]+) .*/\1 \2 \3 \4 \5 \6/p' "$1" |
		awk '{ print $1, $3 + $4 + $5 + $6, $2, $3, $4, $5, $6 }'
}

stop_server() {
	local id=$1 i rc
	kill -TERM "${PID[$id]}" 2>/dev/null
	for ((i = 0; i < ${SRV_STOP:-5} * 20; i++)); do
		kill -0 "${PID[$id]}" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "${PID[$id]}" 2>/dev/null
	wait "${PID[$id]}" 2>/dev/null
	rc=$?
	unset "PID[$id]"
	return $rc
}
