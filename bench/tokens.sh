#!/usr/bin/env bash
# bench/tokens.sh -- cost of signed-token (JWT) verification on the connect hook, side by side
# in one run.
#
#   bench/tokens.sh                  RUNS=5 DUR=10: about 8 minutes on 2 cores
#   RUNS=3 DUR=5 bench/tokens.sh     quicker, noisier
#
# Environment: DUR (seconds per wrk run, 10), RUNS (runs per configuration, 5), CONNS (wrk
# connections, 32), WARMUP (seconds of unrecorded load per configuration first, 2),
# OUT (the results file, bench/tokens-results.md), B (build directory; default: a fresh one
# inside the work directory, so a concurrent `make` in build/ cannot change the binaries
# under test), KEEP=1 (keep the work directory).
#
# Keys and tokens are minted at run time in the work directory: an HS256 secret (32 raw bytes
# from `openssl rand`), an RSA-2048 and an EC P-256 key pair (`openssl genpkey`; the servers
# get only the public PEMs). bench/tokens-sign.js (node's built-in crypto) signs one token per
# algorithm with the same claims (sub, iat, exp = now + 1 day), its header padded so that the
# three tokens, and so every request body, have the same length.
#
# Servers, all started once and kept running for the whole benchmark, all on 127.0.0.1, all
# `--log-level warn` (no access log), one polling thread:
#   no-token       connect { deny 403 "no token" unless exists custom.token; }
#   hs256 / rs256 / es256
#                  key k = file "<alg>.key"; token t = jwt custom.token key k algorithms <ALG>;
#                  connect { deny unless valid t; }   (the default --token-cache, 1024)
#   hs256-nocache / rs256-nocache / es256-nocache
#                  the same binaries with --token-cache 0: every request verifies
# Each configuration gets RUNS runs of `wrk -t1 -cCONNS -dDURs --latency -s bench/post.lua`
# with the connect body carrying its token, interleaved: run i of every configuration before
# run i+1 of any (the order rotates each round). Per run: req/s, p99, and the server's CPU time
# (utime+stime from /proc/PID/stat, all threads) divided by the requests wrk completed.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
wrk_options bench/tokens.sh
OUT=${OUT:-$HERE/tokens-results.md}
RESULT_KEYS=1       # results.txt: configuration req/s ...
# missing tools: install their Debian packages with the project's installer (sudo if needed)
install_missing wrk:wrk node:nodejs curl:curl openssl:openssl
require_tools wrk node curl openssl make cc timeout

LOADAVG0=$(loadavg)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wcsp-tokbench.XXXXXX")
set_traps
B=${B:-$WORK/build}
[[ $B == /* ]] || B=$ROOT/$B

# ---- build ---------------------------------------------------------------------------------

log "work directory $WORK"
log "building wcspc and the runtime (make B=$B all)"
make -s -C "$ROOT" B="$B" all >&2
WCSPC=$B/wcspc
SRC_STATE=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)

# ---- keys, tokens, bodies, policies --------------------------------------------------------

log "minting keys (HS256 secret, RSA-2048, EC P-256) and tokens"
mkdir -p "$WORK/keys" "$WORK/priv"
timeout 60 openssl rand -out "$WORK/keys/hs256.key" 32
timeout 60 openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$WORK/priv/rs256.pem" 2>/dev/null
timeout 60 openssl pkey -in "$WORK/priv/rs256.pem" -pubout -out "$WORK/keys/rs256.pem"
timeout 60 openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$WORK/priv/es256.pem" 2>/dev/null
timeout 60 openssl pkey -in "$WORK/priv/es256.pem" -pubout -out "$WORK/keys/es256.pem"
[[ $(stat -c %s "$WORK/keys/hs256.key") == 32 ]] || { log "HS256 secret is not 32 bytes"; exit 1; }
grep -q '^-----BEGIN PUBLIC KEY-----$' "$WORK/keys/rs256.pem" || { log "no RSA public PEM"; exit 1; }
grep -q '^-----BEGIN PUBLIC KEY-----$' "$WORK/keys/es256.pem" || { log "no EC public PEM"; exit 1; }

# tokens.txt: "ALG VALID-TOKEN TAMPERED-TOKEN", one line per algorithm
timeout 30 node "$HERE/tokens-sign.js" "$WORK/keys/hs256.key" "$WORK/priv/rs256.pem" \
	"$WORK/priv/es256.pem" >"$WORK/tokens.txt"
[[ $(wc -l <"$WORK/tokens.txt") == 3 ]] || { log "tokens-sign.js did not print 3 tokens"; exit 1; }
TOKLEN=$(awk 'NR == 1 { print length($2) }' "$WORK/tokens.txt")

# the connect body with custom.token replaced by TOKEN
grep -q '"custom":{"token":"[^"]*"}}$' "$HERE/bodies/connect.json" ||
	{ log "bench/bodies/connect.json does not end with \"custom\":{\"token\":\"...\"}}"; exit 1; }
mkbody() {   # TOKEN FILE
	sed "s|\"custom\":{\"token\":\"[^\"]*\"}}\$|\"custom\":{\"token\":\"$1\"}}|" \
		"$HERE/bodies/connect.json" >"$2"
}
while read -r alg tok bad; do
	a=${alg,,}
	mkbody "$tok" "$WORK/body.$a.json"
	mkbody "$bad" "$WORK/body.$a.bad.json"
done <"$WORK/tokens.txt"
# no-token gets the HS256 body (every body has the same length; no-token does not check it)
cp "$WORK/body.hs256.json" "$WORK/body.no-token.json"
BODYLEN=$(stat -c %s "$WORK/body.hs256.json")
for a in rs256 es256; do
	[[ $(stat -c %s "$WORK/body.$a.json") == "$BODYLEN" ]] ||
		{ log "the $a body is not $BODYLEN bytes like the hs256 body"; exit 1; }
done

cat >"$WORK/no-token.wcsp" <<-'EOF'
	policy "tokens-none";
	app "defaultApp" {
	    connect {
	        deny 403 "no token" unless exists custom.token;
	    }
	}
EOF
for a in hs256 rs256 es256; do
	A=${a^^}
	f=$a.key
	[[ $a == hs256 ]] || f=$a.pem
	cat >"$WORK/$a.wcsp" <<-EOF
		policy "tokens-$a";
		key k = file "$f";
		token t = jwt custom.token key k algorithms $A;
		app "defaultApp" {
		    connect {
		        deny unless valid t;
		    }
		}
	EOF
done
log "compiling the 4 policies"
for p in no-token hs256 rs256 es256; do
	"$WCSPC" build "$WORK/$p.wcsp" -o "$WORK/srv-$p" >&2
done

# ---- start every server --------------------------------------------------------------------

# name|binary|body|--token-cache ("" = the default)
CONFIGS=(
	"no-token|no-token|no-token|"
	"hs256|hs256|hs256|"
	"rs256|rs256|rs256|"
	"es256|es256|es256|"
	"hs256-nocache|hs256|hs256|0"
	"rs256-nocache|rs256|rs256|0"
	"es256-nocache|es256|es256|0"
)
NC=${#CONFIGS[@]}

log "starting servers"
for c in "${CONFIGS[@]}"; do
	IFS='|' read -r name bin body cache <<<"$c"
	args=(--listen 127.0.0.1:0 --log-level warn --data-dir "$WORK/keys")
	[[ -n $cache ]] && args+=(--token-cache "$cache")
	start_server "$name" /dev/null "$WORK/srv-$bin" "${args[@]}"
done
read_idle_rss

# ---- correctness before speed --------------------------------------------------------------

post() {   # instance bodyfile replyfile -> prints the status
	post_json "$2" "http://127.0.0.1:${SPORT[$1]}/apps/defaultApp/connect" "$3" || true
}
log "checking replies: valid token 200 (twice: verified, then cached), tampered 403"
for c in "${CONFIGS[@]}"; do
	IFS='|' read -r name bin body cache <<<"$c"
	for i in 1 2; do
		st=$(post "$name" "$WORK/body.$body.json" "$WORK/reply.$name")
		[[ $st == 200 ]] || { log "$name: valid token: status $st, want 200"; cat "$WORK/reply.$name" >&2; exit 1; }
		cmp -s "$WORK/body.$body.json" "$WORK/reply.$name" ||
			{ log "$name: the 200 reply is not the body echoed byte for byte"; exit 1; }
	done
	if [[ $name == no-token ]]; then
		# it checks no token: a tampered one passes too
		st=$(post "$name" "$WORK/body.hs256.bad.json" "$WORK/reply.$name.bad")
		[[ $st == 200 ]] || { log "no-token: tampered token: status $st, want 200"; exit 1; }
		continue
	fi
	for i in 1 2; do
		st=$(post "$name" "$WORK/body.$body.bad.json" "$WORK/reply.$name.bad")
		want='{"error":"denied","reason":"token signature invalid"}'
		if [[ $st != 403 ]] || ! grep -qF '"reason":"token signature invalid"' "$WORK/reply.$name.bad"; then
			log "$name: tampered token: status $st, reply '$(head -c 200 "$WORK/reply.$name.bad")';" \
				"want 403 $want"
			exit 1
		fi
	done
	# the valid token still passes after the tampered one (the cache keys on the bytes)
	st=$(post "$name" "$WORK/body.$body.json" "$WORK/reply.$name")
	[[ $st == 200 ]] || { log "$name: valid token after a tampered one: status $st"; exit 1; }
done
log "all replies as expected"

# ---- load ----------------------------------------------------------------------------------

# run_wrk CONFIG-INDEX SECONDS TAG [ROUND]: one wrk run; appends a result line for TAG=run
run_wrk() {
	local idx=$1 secs=$2 tag=$3 round=${4:-0} name bin body cache
	IFS='|' read -r name bin body cache <<<"${CONFIGS[$idx]}"
	wrk_run "$name" "$name" "$secs" "$WORK/body.$body.json" \
		"http://127.0.0.1:${SPORT[$name]}/apps/defaultApp/connect" "$WORK/wrk.$idx.$tag.out"
	[[ $tag == run ]] || return 0
	record "$name" "$round"
	tail -1 "$WORK/results.txt" | awk '{ printf "bench:   %-14s %8d req/s  p99 %5d us  cpu %6.2f us/req  errors %d\n", $1, $2, $3, $4, $5 }' >&2
}

measure $(((RUNS * NC * (DUR + 1) + 59) / 60))
LOADAVG1=$(loadavg)
read_load_rss

# ---- report --------------------------------------------------------------------------------

NAMES=()            # the configurations, in CONFIGS order
for c in "${CONFIGS[@]}"; do
	IFS='|' read -r name bin body cache <<<"$c"
	NAMES+=("$name")
	summarize "$name"
done

BAR=1.1

{
	echo "# wcsp token verification benchmark"
	echo
	echo "- date: $(utc_now)"
	echo "- machine: $(machine)"
	echo "- load average before: $LOADAVG0; after the last run: $LOADAVG1"
	command_line
	echo "- source: $SRC_STATE; tools: $(wrk_version), node $(node --version), $(openssl version | awk '{ print $1, $2 }'), libmicrohttpd $(pkg_version libmicrohttpd), nettle $(pkg_version nettle)"
	echo "- request: POST /apps/defaultApp/connect, bench/bodies/connect.json with \`custom.token\` a JWS of $TOKLEN characters (the three tokens are padded to the same length), $BODYLEN bytes; every reply is the body echoed (200)"
	echo "- keys: HS256 32-byte secret, RSA-2048 (e=65537), EC P-256; tokens: claims {sub, iat, exp = now + 1 day} in all three, header {alg, typ, pad} with pad sized to make the three the same length"
	echo "- servers: one polling thread, \`--log-level warn\`; \"cache\" is the verified-token cache (\`--token-cache\`, default 1024 per thread; 0: every request verifies)"
	runs_line
	echo
	echo "\"vs no-token\": the ratio to no-token within each round, median over the rounds."
	echo
	echo "| configuration | cache | median req/s | req/s vs no-token | p99 µs | server CPU µs/req | CPU vs no-token | RSS idle | RSS after load (peak) | errors |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for c in "${CONFIGS[@]}"; do
		IFS='|' read -r name bin body cache <<<"$c"
		if [[ $name == no-token ]]; then cl="-"; elif [[ -z $cache ]]; then cl="1024"; else cl="0"; fi
		printf '| %s | %s | %s | %s |\n' \
			"$name" "$cl" "$(main_cells "$name" no-token "$name")" "${ERRS[$name]}"
	done
	echo
	echo "Ratios to no-token, within each round, median (min-max) over the $RUNS rounds:"
	echo
	echo "| configuration | req/s ratio | server CPU µs/req ratio |"
	echo "|---|---:|---:|"
	for c in "${CONFIGS[@]:1}"; do
		IFS='|' read -r name bin body cache <<<"$c"
		ratio_row "$name / no-token" "$name" no-token
	done
	echo
	echo "Cost of one verification: server CPU µs/req without the cache minus no-token's, within each round, median (min-max); and what the cache saves:"
	echo
	echo "| algorithm | CPU µs/req over no-token, no cache | CPU µs/req over no-token, cache | req/s cache / no cache |"
	echo "|---|---:|---:|---:|"
	for a in hs256 rs256 es256; do
		echo "| $a | $(rcmp - "$a-nocache" no-token 3) | $(rcmp - "$a" no-token 3) | $(rcmp / "$a" "$a-nocache" 1) |"
	done
	echo
	echo "The bar (with the cache, each algorithm within ${BAR}x of no-token: req/s at least 1/${BAR} of no-token's and server CPU µs/req at most ${BAR}x, on the medians of the per-round ratios):"
	echo
	for a in hs256 rs256 es256; do
		rr=$(rcmp / "$a" no-token 1 | cut -d' ' -f1)
		cr=$(rcmp / "$a" no-token 3 | cut -d' ' -f1)
		awk -v a="$a" -v rr="$rr" -v cr="$cr" -v bar="$BAR" 'BEGIN {
			ok_r = rr * bar >= 1; ok_c = cr <= bar
			printf "- %s: req/s ratio %s (%s), CPU ratio %s (%s): %s\n", a, rr,
				ok_r ? "within" : "outside", cr, ok_c ? "within" : "outside",
				ok_r && ok_c ? "**met**" : "**not met**"
		}'
	done
	echo
	noise_table configuration "${NAMES[@]}"
	echo
	runs_block "configuration req/s p99_µs cpu_µs/req errors requests round"
} >"$WORK/results.md"
finish_report
