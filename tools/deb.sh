#!/bin/sh
# tools/deb.sh -- the wcspc .deb with Debian's own tools (make deb).
#
#   1. make static-runtime in $B: downloads Debian source packages, so it happens here and not
#      in the package build, which is offline. WCSP_DEB_STATIC=0 skips it (the package then has
#      no static runtime, and `wcspc build --static` says so); WCSP_STATIC_FROM=DIR takes the
#      static runtime already built in the build tree DIR instead.
#   2. copies the tree (git's tracked and untracked-not-ignored files; without git, all but
#      build*/) to a scratch folder, as dpkg-buildpackage writes its results next to the tree.
#   3. dpkg-buildpackage $WCSP_DEB_ARGS (default -us -uc: source and binary, unsigned) there,
#      with WCSP_STATIC_FROM=$B (debian/rules installs $B/static/ARCH/ from it). The package
#      build runs the offline tests (DEB_BUILD_OPTIONS=nocheck skips them).
#   4. copies the results to $WCSP_DEB_OUT (default $B/deb) and runs lintian on them, when it
#      is installed (WCSP_LINTIAN=0 skips it); lintian's errors fail the script.
#
# Needs debhelper and dpkg-dev (installed with tools/deps.sh when missing) and the package's
# Build-Depends (debian/control), which `make deps` installs.
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
mkdir -p "$B"
B=$(cd "$B" && pwd)
out=${WCSP_DEB_OUT:-$B/deb}

WCSP_PKGS="debhelper dpkg-dev" sh tools/deps.sh ||
	{ echo "deb: needs debhelper and dpkg-dev (apt-get install debhelper dpkg-dev)" >&2; exit 1; }

if [ -n "${WCSP_STATIC_FROM:-}" ]; then
	# a build tree whose static runtime is already built (by make static-runtime B=...)
	WCSP_STATIC_FROM=$(cd "$WCSP_STATIC_FROM" && pwd)
	export WCSP_STATIC_FROM
elif [ "${WCSP_DEB_STATIC:-1}" != 0 ]; then
	echo "deb: make static-runtime B=$B (downloads Debian source packages)" >&2
	if ! make -s B="$B" static-runtime >&2; then
		echo "deb: make static-runtime failed; WCSP_DEB_STATIC=0 builds the package without" \
			"the static runtime" >&2
		exit 1
	fi
	export WCSP_STATIC_FROM="$B"
else
	unset WCSP_STATIC_FROM
fi

ver=$(dpkg-parsechangelog -S Version)
work=$(mktemp -d "${TMPDIR:-/tmp}/wcsp-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src="$work/wcspc-$ver"
mkdir -p "$src"
if command -v git >/dev/null && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# deleted but not yet committed files are listed and absent: skip them
	# shellcheck disable=SC2016
	git ls-files -z -co --exclude-standard | xargs -0 sh -c \
		'for f; do [ ! -e "$f" ] || printf "%s\n" "$f"; done' sh >"$work/files"
	tar -cf - -T "$work/files" | tar -C "$src" -xf -
else
	tar --exclude='./build*' --exclude=./debian/wcspc --exclude=./debian/.debhelper -cf - . |
		tar -C "$src" -xf -
fi

echo "deb: dpkg-buildpackage ${WCSP_DEB_ARGS:--us -uc} in $src" >&2
# make deb's own variables (MAKEFLAGS carries B=...) must not reach debian/rules' make
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES B WCSPC
# shellcheck disable=SC2086
(cd "$src" && dpkg-buildpackage ${WCSP_DEB_ARGS:--us -uc}) >"$work/build.log" 2>&1 || {
	tail -40 "$work/build.log" >&2
	echo "deb: dpkg-buildpackage failed (the log's end above)" >&2
	exit 1
}
grep -E '^ *[a-z_-]+ +[0-9]+ passed|^[0-9]+ passed|static-install' "$work/build.log" >&2 || true

mkdir -p "$out"
for f in "$work"/wcspc_"$ver"* "$work"/wcspc-dbgsym_"$ver"*; do
	[ -f "$f" ] && cp "$f" "$out/"
done
cp "$work/build.log" "$out/wcspc_$ver.build.log"
changes=$(find "$out" -maxdepth 1 -name "wcspc_${ver}_*.changes" | head -1)
ls -l "$out"/*.deb >&2
if [ "${WCSP_LINTIAN:-1}" != 0 ] && command -v lintian >/dev/null && [ -n "$changes" ]; then
	echo "deb: lintian $changes" >&2
	lintian --info --display-info --pedantic "$changes" >&2
fi
echo "deb: $out" >&2
