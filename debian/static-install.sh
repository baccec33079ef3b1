#!/bin/sh
# debian/static-install.sh FROM RTDIR SUBSTVARS -- from debian/rules: install the static
# runtime that `make static-runtime` built in the build tree FROM into the package's RTDIR
# (/usr/lib/wcsp), and name the Debian source packages it was compiled from in Built-Using
# (their LGPL code is in the archives, so their source must stay available).
#
#   FROM/static/ARCH/...      installed verbatim as RTDIR/static/ARCH/ (not FROM/static/src/,
#                             the downloaded source packages, nor a left-over work/)
set -eu
from=${1:?usage: static-install.sh FROM RTDIR SUBSTVARS}
rtdir=${2:?usage: static-install.sh FROM RTDIR SUBSTVARS}
substvars=${3:?usage: static-install.sh FROM RTDIR SUBSTVARS}
found=
built_using=

if [ -d "$from/static" ]; then
	for d in "$from"/static/*/; do
		arch=$(basename "$d")
		case $arch in src | work) continue ;; esac
		[ -f "$d/toolchain" ] || continue
		mkdir -p "$rtdir/static/$arch"
		(cd "$d" && tar --exclude=./work -cf - .) | (cd "$rtdir/static/$arch" && tar -xf -)
		echo "static-install: $d -> $rtdir/static/$arch/"
		found=1
	done
	for dsc in "$from"/static/src/*.dsc; do
		[ -f "$dsc" ] || continue
		src=$(sed -n 's/^Source: *//p' "$dsc")
		ver=$(sed -n 's/^Version: *//p' "$dsc")
		built_using="$built_using${built_using:+, }$src (= $ver)"
	done
fi
if [ -z "$found" ]; then
	echo "static-install: WCSP_STATIC_FROM=$from has no static/ARCH/toolchain" \
		"(make static-runtime B=$from)" >&2
	exit 1
fi
echo "wcsp:Built-Using=$built_using" >>"$substvars"
echo "static-install: Built-Using: $built_using"
