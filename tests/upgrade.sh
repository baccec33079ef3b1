#!/usr/bin/env bash
# tests/upgrade.sh -- socket activation, --reuse-port, and a server binary replaced under load
# (operations.md, Service), on 127.0.0.1 only.
#
#   B=build WCSPC=/abs/path/to/wcspc bash tests/upgrade.sh
#
# 1. A socket handed over as systemd does it (LISTEN_FDS=1, LISTEN_PID, fd 3), held by
#    tests/tools/holdsock.c: served, its real address printed (IPv4, IPv6, dual stack),
#    close-on-exec, SIGHUP and SIGTERM through the holder; a LISTEN_PID not the server's is
#    ignored; two sockets, a closed fd 3, a file, a connected TCP socket and a UDP socket are
#    refused with exit 2 and one line. systemd-socket-activate too, when it is installed.
# 2. --reuse-port: two servers on one address, both answering; without it the second cannot
#    bind.
# 3. Under load: wrk (hammer without it), 32 kept-alive connections as WCS keeps them, plus 8
#    hammer connections that open a new connection per request, while the binary is replaced
#    by another policy's build and back (two replacements a run). Each run prints INFO
#    figures; the bar is 0 socket errors and 0 non-2xx replies:
#      restart  the held socket; SIGTERM the old server, wait, start the new one (what
#               systemctl restart does with a .socket unit)       UPGRADE_SECONDS (20)
#      overlap  the held socket; start the new server, then SIGTERM the old one
#                                                                  UPGRADE_SECONDS / 2
#      reuse    --reuse-port: start the new server on the address, then SIGTERM the old one,
#               which steers new connections to it while its accept queue empties
#                                                                  UPGRADE_SECONDS
#      reuse, no steering (WCSP_REUSE_PORT_STEER=0): figures only, what the steering saves
#                                                                  UPGRADE_SECONDS / 2
#      reuse, no steering, in a network namespace of its own (unshare -rn) with the sysctl
#               net.ipv4.tcp_migrate_req=1: figures only, the kernel's alternative
#                                                                  UPGRADE_SECONDS / 2
# 4. The units in systemd/: systemd-analyze verify, the hardening directives, and a socket
#    handed over into a network namespace of its own (what PrivateNetwork=yes does).
# UPGRADE_ONLY=migrate runs only the tcp_migrate_req run (the script runs itself so, in the
# namespace).
set -u
cd "$(dirname "$0")/.." || exit 2
B=${B:-build}
W=${WCSPC:?set WCSPC to the wcspc binary}
. tests/lib.sh
HAMMER=$B/tests/hammer
HOLD=$B/tests/holdsock
SECS=${UPGRADE_SECONDS:-20}
for t in "$HAMMER" "$HOLD"; do
	[ -x "$t" ] || { fail "upgrade: tools" "$t is missing (make tests)"; exit 0; }
done
command -v curl >/dev/null || { fail "upgrade" "curl is missing"; exit 0; }

# Two policies that both allow the load's request; /metrics tells them apart.
cat >"$tmp/b.wcsp" <<'EOF'
policy "upgrade-b";

publishStream {
    override name = "b-${name}";
}
EOF
if "$W" build policies/echo.wcsp -o "$tmp/a" >"$tmp/build.log" 2>&1 &&
	"$W" build "$tmp/b.wcsp" -o "$tmp/b" >>"$tmp/build.log" 2>&1; then pass "upgrade: two policies built"
else fail "upgrade: build" "$(peek "$tmp/build.log" 300)"; exit 0; fi
declare -A NAME=([a]=echo [b]=upgrade-b)
printf '{"appKey":"defaultApp","name":"cam1"}' >"$tmp/body.json"

policy_at() {   # policy_at PORT: the policy of the server answering a new connection
	curl -s --max-time 5 "http://127.0.0.1:$1/metrics" |
		sed -n 's/^wcsp_policy_info{name="\([^"]*\)".*/\1/p'
}
# launch ID CMD...: run CMD with stderr in $tmp/ID.err; wait up to 5 s for the server's
# listening line (sets LINE) or for CMD to exit (sets RC, LINE empty)
launch() {
	local id=$1 i
	shift
	"$@" 2>"$tmp/$id.err" &
	PID[$id]=$!
	LINE= RC=
	for ((i = 0; i < 100; i++)); do
		LINE=$(grep -m1 '^wcsp: listening on ' "$tmp/$id.err")
		[ -n "$LINE" ] && return 0
		if ! kill -0 "${PID[$id]}" 2>/dev/null; then
			wait "${PID[$id]}"
			RC=$?
			unset "PID[$id]"
			return 1
		fi
		sleep 0.05
	done
	return 1
}
# activated FDS CMD...: CMD run as a service manager would, LISTEN_PID its own pid; only as
# launch's background job, which it replaces (exec)
activated() { export LISTEN_PID=$BASHPID LISTEN_FDS=$1; exec "${@:2}"; }
# refused NAME WANT: the last launch exited 2 with one line on stderr holding WANT
refused() {
	local id=$1 lines
	lines=$(wc -l <"$tmp/$id.err")
	if [ -z "$LINE" ] && [ "${RC:-x}" = 2 ] && [ "$lines" -eq 1 ] && grep -qF -- "$2" "$tmp/$id.err"; then
		pass "upgrade: $3: exit 2, one line"
	else
		fail "upgrade: $3" "exit ${RC:-none (still running)}, $lines lines: $(peek "$tmp/$id.err" 300)"
		[ -n "${PID[$id]:-}" ] && stop_server "$id"
	fi
}

# counts FILE: "R E N" = requests, socket errors, non-2xx replies of one hammer line, or of
# the WRK line of bench/post.lua (socket errors: connect + read + write + timeout)
counts() {
	local res
	res=$(cat "$1")
	if [[ $res == *'WRK requests='* ]]; then
		wrk_counts "$1" | cut -d' ' -f1-3
		return
	fi
	printf '%s %s %s\n' "$(sed -nE 's/.*requests ([0-9]+).*/\1/p' <<<"$res")" \
		"$(sed -nE 's/.*errors ([0-9]+).*/\1/p' <<<"$res")" \
		"$(grep -oE 'status [0-9]+ [0-9]+' <<<"$res" | awk '$2 < 200 || $2 > 299 { n += $3 } END { print n + 0 }')"
}
# replace MODE N FROM TO: the N-th replacement of a run, by the build TO; sets REPL to what
# the holder printed, or to how long the old server took to exit (--reuse-port)
replace() {
	local mode=$1 n=$2 to=$4 i before t0
	case $mode in
	restart | overlap)
		before=$(grep -c '^holdsock: \(restart\|overlap\):' "$tmp/srv-up/stderr")
		cp -f "$tmp/$to" "$tmp/current.new" && mv -f "$tmp/current.new" "$tmp/current"
		kill "-$([ "$mode" = restart ] && echo USR2 || echo USR1)" "${PID[up]}"
		for ((i = 0; i < 200; i++)); do
			[ "$(grep -c '^holdsock: \(restart\|overlap\):' "$tmp/srv-up/stderr")" -gt "$before" ] && break
			sleep 0.05
		done
		REPL=$(grep '^holdsock: \(restart\|overlap\):' "$tmp/srv-up/stderr" | tail -1)
		REPL=${REPL#holdsock: } ;;
	*)
		start_server "u$n" "$tmp/$to" --listen "127.0.0.1:$LP" --reuse-port --log-level warn ||
			{ REPL="new server did not start: $(peek "$tmp/srv-u$n/stderr")"; return 1; }
		t0=$(date +%s%N)
		stop_server "u$((n - 1))"
		REPL="old server exited $? after $((($(date +%s%N) - t0) / 1000000)) ms" ;;
	esac
}
# load_run MODE SECONDS [LABEL]: start a, load, replace by b, then by a again; report, judge
load_run() {
	local mode=$1 secs=$2 h1 h2 id k e n what ok=1 names= label keep
	declare -A labels=([restart]="held socket, restart" [overlap]="held socket, overlap"
		[reuse]="--reuse-port" [nosteer]="--reuse-port, WCSP_REUSE_PORT_STEER=0")
	label=${3:-${labels[$mode]}}
	case $mode in
	restart | overlap)
		cp -f "$tmp/a" "$tmp/current"
		SRV_WRAP=("$HOLD")
		start_server up "$tmp/current" --log-level warn || { fail "upgrade: $mode: start" "$(peek "$tmp/srv-up/stderr")"; return; }
		id=up ;;
	reuse)
		SRV_WRAP=()
		start_server u0 "$tmp/a" --reuse-port --log-level warn || { fail "upgrade: $mode: start" "$(peek "$tmp/srv-u0/stderr")"; return; }
		id=u2 ;;
	nosteer)
		SRV_WRAP=(env WCSP_REUSE_PORT_STEER=0)
		start_server u0 "$tmp/a" --reuse-port --log-level warn || { fail "upgrade: $mode: start" "$(peek "$tmp/srv-u0/stderr")"; return; }
		id=u2 ;;
	esac
	LP=$port
	# the 32 kept-alive connections: wrk when it is installed (the figure operations.md
	# asks for), else hammer
	if command -v wrk >/dev/null; then
		BODY=$tmp/body.json wrk -t2 -c32 -d"${secs}s" -s bench/post.lua \
			"http://127.0.0.1:$LP/rest/publishStream" >"$tmp/keep.out" 2>&1 &
		keep="wrk -c32"
	else
		"$HAMMER" --to "127.0.0.1:$LP" --conns 32 --seconds "$secs" --body "$tmp/body.json" \
			--path /rest/publishStream >"$tmp/keep.out" 2>&1 &
		keep="hammer, kept-alive x32"
	fi
	h1=$!
	"$HAMMER" --to "127.0.0.1:$LP" --conns 8 --seconds "$secs" --body "$tmp/body.json" \
		--path /rest/publishStream --close >"$tmp/new.out" 2>&1 &
	h2=$!
	what=
	for k in 1 2; do
		sleep "$(awk -v s="$secs" 'BEGIN { printf "%.2f", s / 3 }')"
		if [ $k -eq 1 ]; then replace "$mode" 1 a b; else replace "$mode" 2 b a; fi || ok=0
		names="$names $(policy_at "$LP")"
		what="$what; replacement $k: $REPL"
	done
	wait "$h1" "$h2"
	read -r r1 e1 n1 < <(counts "$tmp/keep.out")
	read -r r2 e2 n2 < <(counts "$tmp/new.out")
	stop_server "$id"
	SRV_WRAP=()
	info "upgrade: $label, $secs s: $keep: ${r1:-?} requests, ${e1:-?} socket errors, ${n1:-?} non-2xx; new connection per request x8: ${r2:-?} requests, ${e2:-?} socket errors, ${n2:-?} non-2xx$what"
	if [ "$names" != " upgrade-b echo" ]; then
		fail "upgrade: $mode: each replacement serves the new policy" "policies after each:$names"
		ok=0
	fi
	e=$((${e1:-1} + ${e2:-1}))
	n=$((${n1:-1} + ${n2:-1}))
	if [ "$mode" = nosteer ]; then
		info "upgrade: $label: $e socket errors over two replacements$([ "$e" -gt 0 ] && echo ': connections queued on the old socket when it closed were reset')"
	elif [ $ok -eq 1 ] && [ "$e" -eq 0 ] && [ "$n" -eq 0 ] && [ "${r1:-0}" -gt 0 ] && [ "${r2:-0}" -gt 0 ]; then
		pass "upgrade: $mode: binary replaced twice under load: $((r1 + r2)) requests, 0 socket errors, 0 non-2xx"
	else
		fail "upgrade: $mode: binary replaced twice under load" "$e socket errors, $n non-2xx ($(cat "$tmp/keep.out" "$tmp/new.out" | tr '\n' ' '))"
	fi
}
half=$(awk -v s="$SECS" 'BEGIN { printf "%g", s / 2 }')
if [ "${UPGRADE_ONLY:-}" = migrate ]; then
	ip link set lo up 2>/dev/null
	echo 1 >/proc/sys/net/ipv4/tcp_migrate_req || { skip "upgrade: tcp_migrate_req" "cannot set it"; exit 0; }
	load_run nosteer "$half" "--reuse-port, WCSP_REUSE_PORT_STEER=0, net.ipv4.tcp_migrate_req=1"
	exit 0
fi

# ------------------------------------------------------------------ a socket handed over
SRV_WRAP=("$HOLD")
if start_server act "$tmp/a"; then
	hp=$(sed -nE 's/^holdsock: listening on 127\.0\.0\.1:([0-9]+)$/\1/p' "$tmp/srv-act/stderr")
	line=$(grep -m1 '^wcsp: listening' "$tmp/srv-act/stderr")
	if [ "$port" = "$hp" ] && [[ $line == *'(policy echo, socket handed over)' ]] &&
		[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200 ]; then
		pass "upgrade: a socket handed over on fd 3 is served; the listening line gives its port ($line)"
	else fail "upgrade: a socket handed over is served" "holdsock port $hp, $line"; fi
	spid=$(pgrep -P "${PID[act]}" | head -1)
	flags=$(awk '$1 == "flags:" { print $2 }' "/proc/$spid/fdinfo/3" 2>/dev/null)
	if [ -n "$flags" ] && (((8#$flags & 8#2000000) != 0)); then
		pass "upgrade: the socket handed over is made close-on-exec (fd 3 flags $flags)"
	else fail "upgrade: the socket handed over is made close-on-exec" "fd 3 flags '$flags'"; fi
	kill -HUP "${PID[act]}"
	for _ in $(seq 100); do grep -q 'reload: ' "$tmp/srv-act/stderr" && break; sleep 0.05; done
	grep -q 'reload: 0 keys and 0 live sets loaded' "$tmp/srv-act/stderr" &&
		pass "upgrade: SIGHUP through the holder reloads (systemctl reload)" ||
		fail "upgrade: SIGHUP through the holder reloads" "$(peek "$tmp/srv-act/stderr" 300)"
	stop_server act
	rc=$?
	[ $rc -eq 0 ] && pass "upgrade: SIGTERM through the holder: the server drains and exits 0" ||
		fail "upgrade: SIGTERM through the holder" "exit $rc"
else fail "upgrade: a socket handed over is served" "$(peek "$tmp/srv-act/stderr" 300)"; fi
SRV_WRAP=()

# IPv6 and dual stack: the flags follow the socket's family and IPV6_V6ONLY
for spec in '[::1]:0 v6' '[::]:0 both'; do
	read -r addr want <<<"$spec"
	if launch v6 "$HOLD" --listen "$addr" "$tmp/a" --log-level warn; then
		p6=$(sed -nE 's/^wcsp: listening on \[[0-9a-f:]+\]:([0-9]+) .*/\1/p' <<<"$LINE")
		s6=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://[::1]:$p6/healthz")
		s4=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p6/healthz")
		if [ "$want" = v6 ] && [ "$s6" = 200 ] && [ "$s4" = 000 ]; then
			pass "upgrade: an IPv6-only socket handed over: IPv6 200, IPv4 not taken ($LINE)"
		elif [ "$want" = both ] && [ "$s6" = 200 ] && [ "$s4" = 200 ]; then
			pass "upgrade: a dual-stack socket handed over: IPv6 and IPv4 200 ($LINE)"
		else fail "upgrade: socket $addr handed over" "IPv6 $s6, IPv4 $s4: $LINE"; fi
		stop_server v6
	else fail "upgrade: socket $addr handed over" "$(peek "$tmp/v6.err" 300)"; fi
done

# refusals, and a LISTEN_PID meant for another process
start_server plain "$tmp/a" --log-level warn || { fail "upgrade: plain server" "does not start"; exit 0; }
pp=$port
launch r1 activated 2 "$tmp/a" 3</dev/null 4</dev/null
refused r1 "LISTEN_FDS is '2': the server takes exactly one listening socket" "LISTEN_FDS=2 refused"
launch r2 activated 1 "$tmp/a" 3<&-
refused r2 "LISTEN_FDS is 1 but fd 3 is not open" "LISTEN_FDS=1 with fd 3 closed refused"
launch r3 activated 1 "$tmp/a" 3<"$tmp/body.json"
refused r3 "the socket handed over on fd 3 (LISTEN_FDS) is not a listening TCP socket" "a file on fd 3 refused"
launch r4 activated 1 "$tmp/a" 3<>"/dev/tcp/127.0.0.1/$pp"
refused r4 "is not a listening TCP socket" "a connected TCP socket on fd 3 refused"
launch r5 activated 1 "$tmp/a" 3<>/dev/udp/127.0.0.1/9
refused r5 "is not a listening TCP socket" "a UDP socket on fd 3 refused"
stop_server plain
if launch r6 env LISTEN_PID=1 LISTEN_FDS=1 "$tmp/a" --listen 127.0.0.1:0 3<"$tmp/body.json" &&
	[[ $LINE == *'(policy echo)' ]]; then
	pass "upgrade: a LISTEN_PID not the server's is ignored: it binds --listen"
else fail "upgrade: a LISTEN_PID not the server's is ignored" "$(peek "$tmp/r6.err" 300)"; fi
[ -n "${PID[r6]:-}" ] && stop_server r6

# systemd's own tool: it execs the server in its own process on the first connection, so the
# socket goes with the server and cannot outlive a restart; holdsock plays the manager below
if command -v systemd-socket-activate >/dev/null; then
	start_server free "$tmp/a" --log-level warn && fp=$port && stop_server free
	systemd-socket-activate -l "127.0.0.1:$fp" "$tmp/a" --log-level warn 2>"$tmp/ssa.err" &
	PID[ssa]=$!
	for _ in $(seq 100); do grep -q '^Listening on' "$tmp/ssa.err" && break; sleep 0.05; done
	st=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$fp/healthz")
	if [ "$st" = 200 ] && grep -q '(policy echo, socket handed over)' "$tmp/ssa.err"; then
		pass "upgrade: systemd-socket-activate hands its socket over (first connection: $st)"
	else fail "upgrade: systemd-socket-activate hands its socket over" "$st: $(peek "$tmp/ssa.err" 300)"; fi
	stop_server ssa
	st=$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$fp/healthz")
	info "upgrade: after SIGTERM to systemd-socket-activate's server the address answers '$st': the tool execs the server, so its socket ends with it and no restart can reuse it"
else skip "upgrade: systemd-socket-activate" "not installed (package systemd)"; fi

# ------------------------------------------------------------------ --reuse-port
if start_server r0 "$tmp/a" --reuse-port --log-level warn; then
	rp=$port
	if start_server r1 "$tmp/b" --listen "127.0.0.1:$rp" --reuse-port --log-level warn; then
		seen=$(for _ in $(seq 40); do policy_at "$rp"; done | sort -u | tr '\n' ' ')
		[ "$seen" = "echo upgrade-b " ] && pass "upgrade: --reuse-port: two servers on 127.0.0.1:$rp, both answer ($seen)" ||
			fail "upgrade: --reuse-port: two servers on one address" "policies seen: '$seen'"
		stop_server r1
	else fail "upgrade: --reuse-port: a second server on the address" "$(peek "$tmp/srv-r1/stderr" 300)"; fi
	launch r2 "$tmp/a" --listen "127.0.0.1:$rp" --log-level warn
	if [ -z "$LINE" ] && [ "${RC:-x}" = 2 ] && grep -q "cannot listen on 127.0.0.1:$rp: Address already in use" "$tmp/r2.err"; then
		pass "upgrade: without --reuse-port the address in use is refused (exit 2)"
	else fail "upgrade: without --reuse-port the address in use is refused" "exit ${RC:-running}: $(peek "$tmp/r2.err")"; fi
	[ -n "${PID[r2]:-}" ] && stop_server r2
	stop_server r0
else fail "upgrade: --reuse-port" "$(peek "$tmp/srv-r0/stderr" 300)"; fi

# ------------------------------------------------------------------ replaced under load
load_run restart "$SECS"
load_run overlap "$half"
load_run reuse "$SECS"
load_run nosteer "$half"
if [ -f /proc/sys/net/ipv4/tcp_migrate_req ] && unshare -rn true 2>/dev/null; then
	UPGRADE_ONLY=migrate unshare -rn bash tests/upgrade.sh | grep '^INFO upgrade: '
else skip "upgrade: tcp_migrate_req run" "no user and network namespaces (unshare -rn) or Linux before 5.14"; fi

# ------------------------------------------------------------------ the units
for f in systemd/wcsp@.service systemd/wcsp@.socket; do
	[ -f "$f" ] || { fail "upgrade: units" "$f is missing"; exit 0; }
done
missing=
for d in DynamicUser=yes ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes PrivateTmp=yes \
	PrivateDevices=yes 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
	SystemCallFilter=@system-service CapabilityBoundingSet= MemoryDenyWriteExecute=yes \
	LockPersonality=yes 'ExecReload=/bin/kill -HUP $MAINPID' KillSignal=SIGTERM TimeoutStopSec=; do
	grep -q "^$d" systemd/wcsp@.service || missing="$missing '$d'"
done
[ -z "$missing" ] && pass "upgrade: wcsp@.service sets the hardening and signals of operations.md" ||
	fail "upgrade: wcsp@.service hardening" "missing:$missing"
grep -q '^ListenStream=127.0.0.1:9277$' systemd/wcsp@.socket && grep -q '^Accept=no$' systemd/wcsp@.socket &&
	pass "upgrade: wcsp@.socket listens on 127.0.0.1:9277, Accept=no" ||
	fail "upgrade: wcsp@.socket" "ListenStream=127.0.0.1:9277 and Accept=no wanted"
if command -v systemd-analyze >/dev/null; then
	# a root of its own: the instance's binary and the commands the units run exist there
	root=$tmp/root
	mkdir -p "$root/etc/systemd/system" "$root/usr/lib/systemd/system" "$root/usr/local/libexec/wcsp" "$root/bin"
	cp systemd/wcsp@.service systemd/wcsp@.socket "$root/etc/systemd/system/"
	cp "$tmp/a" "$root/usr/local/libexec/wcsp/demo"
	cp /bin/chown /bin/kill "$root/bin/" 2>/dev/null
	for u in sysinit.target sockets.target basic.target shutdown.target; do
		cp "/lib/systemd/system/$u" "$root/usr/lib/systemd/system/" 2>/dev/null
	done
	out=$(systemd-analyze verify --man=no --root="$root" wcsp@demo.socket wcsp@demo.service 2>&1)
	rc=$?
	[ $rc -eq 0 ] && [ -z "$out" ] && pass "upgrade: systemd-analyze verify wcsp@demo.socket wcsp@demo.service" ||
		fail "upgrade: systemd-analyze verify" "exit $rc: $(tr '\n' ' ' <<<"$out" | head -c 400)"
	level=$(systemd-analyze security --offline=true --root="$root" wcsp@demo.service 2>/dev/null |
		sed -n 's/^→ Overall exposure level for [^:]*: //p' | LC_ALL=C tr -cd ' -~')
	[ -n "$level" ] && info "upgrade: systemd-analyze security --offline=true wcsp@demo.service: exposure $level"
else skip "upgrade: systemd-analyze verify" "systemd-analyze is missing (package systemd)"; fi
# PrivateNetwork=yes: the server runs in a network namespace of its own, with only a loopback
# device; the socket systemd made in the host's namespace is served all the same
if unshare -rn true 2>/dev/null; then
	if launch pn "$HOLD" unshare -rn "$tmp/a" --log-level warn; then
		pp=$(sed -nE 's/^holdsock: listening on 127\.0\.0\.1:([0-9]+)$/\1/p' "$tmp/pn.err")
		st=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$pp/healthz")
		spid=$(pgrep -P "${PID[pn]}" | head -1)
		if [ "$st" = 200 ] && [ "$(readlink "/proc/$spid/ns/net")" != "$(readlink /proc/self/ns/net)" ]; then
			pass "upgrade: a server in a network namespace of its own serves the socket handed over (PrivateNetwork=yes)"
		else fail "upgrade: a server in a network namespace of its own" "healthz $st"; fi
		stop_server pn
	else fail "upgrade: a server in a network namespace of its own" "$(peek "$tmp/pn.err" 300)"; fi
else skip "upgrade: PrivateNetwork" "no user and network namespaces here (unshare -rn)"; fi
exit 0
