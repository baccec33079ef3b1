#!/bin/sh
# tools/static-runtime.sh DIR ARCH CC... -- the third-party half of a static runtime: a
# libmicrohttpd with only what wcsp uses, and nettle/hogweed (with nettle's mini-gmp), built
# from Debian's own source packages with CC (musl) for `wcspc build --static [--target ARCH]`.
# Run by `make static-runtime` (the Makefile says where everything goes):
#
#   DIR/src/               the source packages (.dsc and tarballs), downloaded once, kept
#   DIR/ARCH/              libmicrohttpd.a libnettle.a libhogweed.a
#   DIR/ARCH/work/include/ microhttpd.h, nettle/*.h (mini-gmp.h), jsmn.h: for the runtime
#   DIR/ARCH/work/deps.stamp   written once all of the above is built, with the compiler and
#                              flags: while they stay the same, this does nothing
#
# STATIC_CFLAGS (the Makefile's) are the compiler flags; AR the archiver (gcc-ar for -flto).
# The sources come through a private deb-src list (apt-get source --download-only, unpacked by
# dpkg-source with Debian's patches): the system's apt configuration is not touched.
# docs/decisions.md says what is configured out of libmicrohttpd, and why mini-gmp.
set -eu
dir=${1:?usage: static-runtime.sh DIR ARCH CC...}
arch=${2:?usage: static-runtime.sh DIR ARCH CC...}
shift 2
cc="$*"
[ -n "$cc" ] || { echo "usage: static-runtime.sh DIR ARCH CC..." >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
out=$dir/$arch
work=$out/work
flags=${STATIC_CFLAGS:?set STATIC_CFLAGS}
[ -f "$work/deps.stamp" ] && [ "$(cat "$work/deps.stamp")" = "$*|$flags" ] && exit 0
rm -f "$work/deps.stamp"
ar=${AR:-ar}

case $arch in
x86_64) host=x86_64-pc-linux-gnu ;;
aarch64) host=aarch64-linux-gnu ;;
*) echo "static-runtime: unknown architecture $arch (x86_64, aarch64)" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086
command -v ${cc%% *} >/dev/null || { echo "static-runtime: no ${cc%% *} (make deps)" >&2; exit 1; }
[ -f /usr/include/jsmn.h ] || { echo "static-runtime: no /usr/include/jsmn.h (make deps)" >&2; exit 1; }

# ---- sources, once for every architecture
src=$dir/src
pkgs="libmicrohttpd nettle"
need=
for p in $pkgs; do ls "$src/${p}"_*.dsc >/dev/null 2>&1 || need="$need $p"; done
if [ -n "$need" ]; then
	command -v dpkg-source >/dev/null || { echo "static-runtime: no dpkg-source (dpkg-dev; make deps)" >&2; exit 1; }
	apt_dir=$(mktemp -d)
	trap 'rm -rf "$apt_dir"' EXIT
	mkdir -p "$apt_dir/lists/partial" "$src"
	. /etc/os-release
	echo "deb-src http://deb.debian.org/debian ${VERSION_CODENAME:-bookworm} main" >"$apt_dir/sources.list"
	apt_src="-o Dir::Etc::SourceList=$apt_dir/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$apt_dir/lists"
	echo "static-runtime: apt-get source --download-only$need" >&2
	# shellcheck disable=SC2086
	apt-get -qq $apt_src update >&2
	# shellcheck disable=SC2086
	(cd "$src" && apt-get -qq $apt_src source --download-only $need 2>&1 | grep -v 'unsandboxed' >&2 || true)
	for p in $need; do ls "$src/${p}"_*.dsc >/dev/null 2>&1 ||
		{ echo "static-runtime: could not download the source of $p" >&2; exit 1; }; done
fi

# ---- build, for this architecture
rm -rf "$work/build" "$work/include" "$out/libmicrohttpd.a" "$out/libnettle.a" \
	"$out/libhogweed.a"
mkdir -p "$work/build" "$work/include"
for p in $pkgs; do (cd "$work/build" && dpkg-source --no-check -q -x "$src/${p}"_*.dsc "$p" >/dev/null); done
jobs=$(nproc 2>/dev/null || echo 2)
cross=
[ "$arch" = "$(uname -m)" ] || cross="--host=$host"
# -no-pie: configure links test programs, and -fno-pie objects need it
echo "static-runtime: $arch: libmicrohttpd with $cc" >&2
# Only what the server uses: HTTP/1.1 over epoll (no poll/select fallback is asked for),
# buffers for replies. Out: TLS, the POST processor, both authentications, Upgrade, MHD's
# own messages (the server logs them at debug level only), sendfile, thread names, NLS.
(cd "$work/build/libmicrohttpd" && ./configure -q $cross --prefix="$work" CC="$cc" CFLAGS="$flags" \
	LDFLAGS=-no-pie AR="$ar" RANLIB="${ar%ar}ranlib" \
	--enable-static --disable-shared --disable-doc --disable-examples --disable-curl \
	--disable-https --disable-postprocessor --disable-dauth --disable-bauth \
	--disable-httpupgrade --disable-messages --disable-nls --disable-sendfile \
	--disable-thread-names --enable-poll=no --enable-epoll=yes >&2 &&
	make -s -j"$jobs" -C src/microhttpd >&2 && make -s -C src/include install >&2 &&
	cp src/microhttpd/.libs/libmicrohttpd.a "$out/")
echo "static-runtime: $arch: nettle with $cc" >&2
# Debian's patches leave aclocal.m4 newer than the files made from it: without the touch,
# make would run autoconf.
(cd "$work/build/nettle" && touch configure config.h.in stamp-h.in &&
	./configure -q $cross --prefix="$work" CC="$cc" CFLAGS="$flags" \
	LDFLAGS=-no-pie AR="$ar" RANLIB="${ar%ar}ranlib" \
	--disable-shared --disable-fat --disable-pic --disable-documentation --disable-openssl \
	--enable-mini-gmp >&2 &&
	make -s -j"$jobs" libnettle.a libhogweed.a >&2 && make -s install-headers >&2 &&
	cp libnettle.a libhogweed.a "$out/")
cp /usr/include/jsmn.h "$work/include/"
rm -rf "$work/build"
printf '%s\n' "$cc|$flags" >"$work/deps.stamp"
echo "static-runtime: $out" >&2
