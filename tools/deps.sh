#!/bin/sh
# tools/deps.sh -- install the Debian packages wcsp builds and tests with, if any is missing.
# Idempotent: does nothing when everything is there. Uses sudo when not root.
# The static runtimes (make static-runtime) want musl for x86-64 and arm64 (musl-dev:arm64,
# so arm64 is added as a foreign architecture when it is missing) and dpkg-source; the tests
# want qemu-user (the arm64 server), haproxy (the fleet), wrk, systemd (systemd-socket-
# activate, systemd-analyze) and the package tools (debhelper, lintian).
# WCSP_PKGS replaces the list.
set -eu
PKGS="${WCSP_PKGS:-gcc make flex bison pkg-config libmicrohttpd-dev libjsmn-dev nettle-dev curl groff man-db mandoc clang libclang-rt-dev llvm valgrind openssl musl-tools gcc-aarch64-linux-gnu musl-dev:arm64 qemu-user dpkg-dev debhelper lintian fakeroot haproxy wrk systemd}"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
case $missing in *:arm64*)
	dpkg --print-foreign-architectures | grep -qx arm64 || $SUDO dpkg --add-architecture arm64 ;;
esac
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
