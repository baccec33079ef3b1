#!/bin/sh
# tools/deps.sh -- install the Debian packages wcsp builds and tests with, if any is missing.
# Idempotent: does nothing when everything is there. Uses sudo when not root.
set -eu
PKGS="${WCSP_PKGS:-gcc make flex bison pkg-config libmicrohttpd-dev libjsmn-dev nettle-dev curl groff man-db mandoc clang libclang-rt-dev llvm valgrind openssl}"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
