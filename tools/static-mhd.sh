#!/bin/sh
# tools/static-mhd.sh OUTDIR -- a static libmicrohttpd without HTTPS, for `wcspc build --static`.
#
# Debian's libmicrohttpd.a is built with HTTPS, so a static link pulls GnuTLS and its chain
# (no libp11-kit.a in Debian). This builds the same upstream release from Debian's own
# source package (fetched with apt-get source through a private deb-src list: the system's
# apt configuration is not touched), with only what the server uses.
set -eu
out=${1:?usage: static-mhd.sh OUTDIR}
[ -f "$out/lib/libmicrohttpd.a" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/src"
. /etc/os-release
echo "deb-src http://deb.debian.org/debian ${VERSION_CODENAME:-bookworm} main" >"$work/sources.list"
apt_src="-o Dir::Etc::SourceList=$work/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$work/lists"
# shellcheck disable=SC2086
apt-get -qq $apt_src update >&2
# shellcheck disable=SC2086
(cd "$work/src" && apt-get -qq $apt_src source --download-only libmicrohttpd >&2 2>/dev/null)
tar -C "$work/src" -xf "$work/src"/libmicrohttpd_*.orig.tar.*
dir=$(find "$work/src" -maxdepth 1 -type d -name 'libmicrohttpd-*' | head -1)
mkdir -p "$out"
out=$(cd "$out" && pwd)
(cd "$dir" && ./configure -q --prefix="$out" --enable-static --disable-shared --disable-https \
	--disable-postprocessor --disable-dauth --disable-bauth --disable-httpupgrade \
	--disable-doc --disable-examples --disable-curl CFLAGS="-O2 -ffunction-sections -fdata-sections" >&2 \
	&& make -s -j2 >&2 && make -s install >&2)
test -f "$out/lib/libmicrohttpd.a"
echo "static-mhd: $out/lib/libmicrohttpd.a" >&2
