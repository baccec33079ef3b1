#!/usr/bin/env bash
# tests/static.sh -- the appliance binaries: `wcspc build --static [--target aarch64]`
# (operations.md, Footprint), for each ARCH of STATIC_TARGETS (default "x86_64 aarch64").
#
#   B=build WCSPC=/abs/path/to/wcspc bash tests/static.sh
#
# For each ARCH:
#  1. make static-runtime TARGETS=ARCH: musl, libmicrohttpd and nettle from Debian's source
#     packages (the first run downloads them and builds, about two minutes an architecture).
#  2. policies/token-publish.wcsp built --static: an ELF of ARCH without a dynamic section;
#     its stripped size within the bar (x86_64 160 KiB, aarch64 192 KiB; INFO: the goal, and
#     the bare libmicrohttpd echo built the same way).
#  3. what a policy with JWTs costs (examples/jwt-viewers: hogweed, nettle's mini-gmp), INFO.
#  4. x86_64: tests/tools/startup, 20 starts: median exec -> first /healthz 200 < 5 ms, idle
#     RSS <= 300 kB.
#  5. the whole e2e suite (tests/e2e/run.sh) against --static builds, under qemu-aarch64 for
#     aarch64: its lines come back prefixed "static ARCH:".
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
W=${WCSPC:?}
if [ "${WCSP_SANITIZED:-}" = 1 ]; then echo "SKIP static: an ASan build cannot link -static"; exit 0; fi
. tests/lib.sh

# BAR: what the build must not pass (a guard against growth); GOAL: the appliance goal of
# the project's issue on footprint (128 KiB, 160 KiB), reported, not yet met (docs/footprint.md)
declare -A BAR=([x86_64]=163840 [aarch64]=196608) GOAL=([x86_64]=131072 [aarch64]=163840)
declare -A ELF=([x86_64]=X86-64 [aarch64]=AArch64)
for arch in ${STATIC_TARGETS:-x86_64 aarch64}; do
	if ! make -s B="$B" TARGETS="$arch" static-runtime >"$tmp/log.$arch" 2>&1; then
		fail "static $arch: runtime" "make static-runtime TARGETS=$arch failed: $(tail -3 "$tmp/log.$arch" | tr '\n' ' ')"
		continue
	fi
	pass "static $arch: make static-runtime builds"
	flags=(--static --target "$arch")
	wrap=()
	[ "$arch" = "$(uname -m)" ] || wrap=(qemu-"$arch")
	if [ ${#wrap[@]} -gt 0 ] && ! command -v "${wrap[0]}" >/dev/null; then
		skip "static $arch: servers" "${wrap[0]} is not installed (qemu-user)"; continue; fi
	bin=$tmp/tp-$arch
	if ! "$W" build policies/token-publish.wcsp "${flags[@]}" -o "$bin" 2>"$tmp/build.$arch"; then
		fail "static $arch: build token-publish" "$(peek "$tmp/build.$arch" 400)"; continue; fi
	size=$(stat -c %s "$bin")
	echo_size=$(stat -c %s "$B/static/$arch/work/mhd-echo" 2>/dev/null || echo 0)
	hdr=$(readelf -h "$bin" 2>&1 | sed -n 's/^ *Machine: *//p')
	if readelf -d "$bin" 2>&1 | grep -q 'There is no dynamic section' && [[ $hdr == *"${ELF[$arch]}"* ]]; then
		pass "static $arch: an $hdr executable with no dynamic section"
	else fail "static $arch: a static ELF" "machine '$hdr', $(readelf -d "$bin" 2>&1 | head -2 | tr '\n' ' ')"; fi
	if [ "$size" -le "${BAR[$arch]}" ]; then
		pass "static $arch: token-publish is $size bytes stripped (bar ${BAR[$arch]})"
	else fail "static $arch: token-publish size" "$size bytes stripped, bar ${BAR[$arch]}"; fi
	info "static $arch: token-publish $size bytes, goal ${GOAL[$arch]} $([ "$size" -le "${GOAL[$arch]}" ] && echo met || echo "not met ($((size - GOAL[$arch])) over)"); bare libmicrohttpd echo built the same way $echo_size bytes ($((size - echo_size)) more)"
	if "$W" build examples/jwt-viewers/jwt-viewers.wcsp "${flags[@]}" -o "$tmp/jwt-$arch" 2>"$tmp/jwt.$arch"; then
		jsize=$(stat -c %s "$tmp/jwt-$arch")
		info "static $arch: a policy with JWTs (examples/jwt-viewers) $jsize bytes: public-key code $((jsize - size)) bytes, linked only when a policy has tokens"
	else fail "static $arch: build jwt-viewers" "$(peek "$tmp/jwt.$arch" 400)"; fi

	if [ ${#wrap[@]} -eq 0 ]; then
		if "$B"/tests/startup --runs 20 "$bin" >"$tmp/startup" 2>&1; then
			read -r med rss < <(sed -nE 's/.*median ([0-9]+) us.*idle RSS ([0-9-]+) kB.*/\1 \2/p' "$tmp/startup")
			info "static $arch: $(cat "$tmp/startup")"
			[ "${med:-99999}" -lt 5000 ] && pass "static $arch: exec to first /healthz 200: median $med us (< 5 ms)" ||
				fail "static $arch: exec to first /healthz" "median ${med:-?} us, want < 5000"
			[ "${rss:-99999}" -gt 0 ] && [ "${rss:-99999}" -le 300 ] && pass "static $arch: idle RSS $rss kB (<= 300)" ||
				fail "static $arch: idle RSS" "${rss:-?} kB, want <= 300"
		else fail "static $arch: startup" "$(peek "$tmp/startup" 300)"; fi
	fi

	# the e2e suite, every policy built with these flags, every server run under the wrapper
	WCSP_BUILD_FLAGS="${flags[*]}" WCSP_SRV_WRAP="${wrap[*]}" SRV_WAIT=20 \
		bash tests/e2e/run.sh >"$tmp/e2e.$arch" 2>&1
	rc=$?
	sed -E "s/^(PASS|FAIL|SKIP) /\1 static $arch: e2e: /" "$tmp/e2e.$arch" | grep -E '^(PASS|FAIL|SKIP) '
	n=$(grep -c '^PASS ' "$tmp/e2e.$arch")
	[ $rc -eq 0 ] && [ "$n" -ge 90 ] && pass "static $arch: e2e suite ran whole ($n cases passed)" ||
		fail "static $arch: e2e suite" "exit $rc after $n passes: $(grep -v '^PASS' "$tmp/e2e.$arch" | head -3 | tr '\n' ' ')"
done
exit 0
