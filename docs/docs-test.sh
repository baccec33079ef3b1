#!/usr/bin/env bash
# docs/docs-test.sh -- tests of the manual pages and of `make install`.
# One line per case, "PASS name" or "FAIL name: what differed", as tests/run.sh counts them.
#
#   - each page lints and renders without a warning (mandoc -Tlint if installed, groff -ww,
#     man --warnings);
#   - every diagnostic in tests/golden/**/*.ok is described in wcsp.5: its message, without
#     file:line:col and severity, appears in the rendered page, either word for word or with
#     its variable parts (quoted names, numbers, file:line, a closing system error text) in
#     other words, as the page writes them (NAME, FILE:LINE, ...);
#   - `make install DESTDIR=...` installs the expected files, and the installed wcspc builds
#     a policy into a server that runs (--version); an install without DESTDIR builds with the
#     paths compiled into wcspc alone.
#
# MANDOC=none forces the groff path, as on a machine without mandoc.
set -u
cd "$(dirname "$0")/.." || exit 2
B=${B:-build}
top=$PWD
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
pages="docs/wcspc.1 docs/wcsp.5 docs/wcsp.8"
MANDOC=${MANDOC:-$(command -v mandoc 2>/dev/null)}
[ "$MANDOC" = none ] && MANDOC=

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
indent() { sed 's/^/    /' | head -${1:-10}; }

# ------------------------------------------------------------------ rendering

for p in $pages; do
	if [ ! -f "$p" ]; then fail "page $p" "missing"; continue; fi
	if [ -n "$MANDOC" ]; then
		out=$("$MANDOC" -Tlint -W warning "$p" 2>&1); rc=$?
		if [ $rc -eq 0 ] && [ -z "$out" ]; then pass "mandoc lint $p"
		else fail "mandoc lint $p" "exit $rc"; indent <<<"$out"; fi
	fi
	if command -v groff >/dev/null; then
		out=$(groff -mandoc -Tutf8 -ww -z "$p" 2>&1)
		if [ -z "$out" ]; then pass "groff renders $p"; else fail "groff renders $p" "warnings"; indent <<<"$out"; fi
	fi
	if command -v man >/dev/null; then
		out=$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)
		if [ -z "$out" ]; then pass "man renders $p"; else fail "man renders $p" "warnings"; indent <<<"$out"; fi
	fi
	if [ -z "$MANDOC" ] && ! command -v groff >/dev/null; then fail "page $p" "neither mandoc nor groff to render it"; fi
done

# ------------------------------------------------------------------ diagnostics in wcsp.5

# the page as one line of plain text: no overstrike, no line breaks
if [ -n "$MANDOC" ]; then
	"$MANDOC" -Tascii -O width=1000 docs/wcsp.5 >"$tmp/wcsp5.txt" 2>/dev/null
else
	groff -mandoc -Tascii -rLL=1000n -P-c docs/wcsp.5 >"$tmp/wcsp5.txt" 2>/dev/null
fi
golden=$(find tests/golden -name '*.ok' -type f | sort)
if [ ! -s "$tmp/wcsp5.txt" ]; then
	fail "wcsp.5 renders to text" "empty output"
elif [ -z "$golden" ]; then
	fail "golden diagnostics" "no tests/golden/**/*.ok files"
else
	# shellcheck disable=SC2086
	perl - "$tmp/wcsp5.txt" $golden <<'EOF'
use strict; use warnings;
my $page = shift;
open my $fh, '<', $page or die "$page: $!";
my $text = do { local $/; <$fh> };
close $fh;
$text =~ s/.\x08//g;
$text =~ s/\s+/ /g;
my (%seen, $n);
for my $f (@ARGV) {
	open my $g, '<', $f or die "$f: $!";
	while (<$g>) {
		chomp;
		next unless /^(?:\S+:\d+:\d+|wcspc): (?:error|warning|note): (.*)$/;
		(my $m = $1) =~ s/ \[-Werror\]$//;
		next if $seen{$m}++;
		$n++;
		(my $s = $m) =~ s/\s+/ /g;
		if (index($text, $s) >= 0) { print "PASS wcsp.5 describes: $m\n"; next; }
		# the variable parts of a message, as the page writes them in capitals
		my %names = map { substr($_, 1, -1) => 1 } $s =~ /('[^']*'|"[^"]*")/g;
		my $tail = $s =~ s/: [A-Z][a-z][^:']*$// ? ': .+' : '';
		my $re = '';
		for my $t (split /('[^']*'|"[^"]*"|\s+)/, $s) {
			next if $t eq '';
			if ($t =~ /^\s+$/) { $re .= ' '; }
			elsif ($t =~ /^'/) { $re .= "'[^']*'"; }
			elsif ($t =~ /^"/) { $re .= '"[^"]*"'; }
			elsif ($t =~ /\d|\.wcsp|[a-z][A-Z]/) { $re .= '\S+'; }
			else {
				(my $w = $t) =~ s/[^\w-]+$//;
				my $rest = substr($t, length $w);
				$re .= $names{$w} ? '\S+?' . quotemeta($rest) : quotemeta($t);
			}
		}
		if ($text =~ /$re$tail/) { print "PASS wcsp.5 describes: $m\n"; }
		else { print "FAIL wcsp.5 describes: $m: not in the DIAGNOSTICS of docs/wcsp.5\n"; }
	}
}
print "FAIL golden diagnostics: no message found in the .ok files\n" unless $n;
EOF
fi

# ------------------------------------------------------------------ make install

expect_files="bin/wcspc lib/wcsp/libwcsprt.a lib/wcsp/wcsp_main.o include/wcsp/wcsp_abi.h
share/man/man1/wcspc.1 share/man/man5/wcsp.5 share/man/man8/wcsp.8"
prefix=/usr/local
dest="$tmp/dest"
mkdir -p "$dest"
if make -s install B="$B" DESTDIR="$dest" >"$tmp/install.log" 2>&1; then
	pass "make install DESTDIR"
	missing=""
	for f in $expect_files; do [ -f "$dest$prefix/$f" ] || missing="$missing $f"; done
	for h in runtime/*.h; do [ -f "$dest$prefix/include/wcsp/${h#runtime/}" ] || missing="$missing include/wcsp/${h#runtime/}"; done
	if [ -z "$missing" ]; then pass "make install puts every file under DESTDIR$prefix"
	else fail "make install puts every file under DESTDIR$prefix" "missing:$missing"; fi
	stray=$(cd "$dest" && find . -type f ! -path "./${prefix#/}/*" | head -3)
	if [ -z "$stray" ]; then pass "make install writes only under DESTDIR$prefix"
	else fail "make install writes only under DESTDIR$prefix" "$stray"; fi
	w="$dest$prefix/bin/wcspc"
	if [ -x "$w" ] && grep -aq "$prefix/lib/wcsp" "$w" && ! grep -aq "$dest" "$w"; then
		pass "installed wcspc has $prefix/lib/wcsp compiled in, not DESTDIR"
	else
		fail "installed wcspc has $prefix/lib/wcsp compiled in, not DESTDIR" "see strings $w"
	fi
	# a staged install is found through the environment
	if (cd "$tmp" && WCSP_RUNTIME_DIR="$dest$prefix/lib/wcsp" WCSP_INCLUDE_DIR="$dest$prefix/include/wcsp" \
		"$w" build "$top/policies/token-publish.wcsp" -o "$tmp/staged") >"$tmp/build.log" 2>&1 &&
	   "$tmp/staged" --version >"$tmp/version" 2>&1 && grep -q '^wcsp .*policy token-publish' "$tmp/version"; then
		pass "installed wcspc builds a working server (DESTDIR, WCSP_RUNTIME_DIR)"
	else
		fail "installed wcspc builds a working server (DESTDIR, WCSP_RUNTIME_DIR)" "$(cat "$tmp/build.log" "$tmp/version" 2>/dev/null | head -5 | tr '\n' ' ')"
	fi
	man_out=$(MANPATH="$dest$prefix/share/man" man -w wcsp.5 wcspc wcsp.8 2>&1 | wc -l)
	if [ "$man_out" -eq 3 ]; then pass "man finds the installed pages"; else fail "man finds the installed pages" "man -w found $man_out"; fi
else
	fail "make install DESTDIR" "make failed"; indent 15 <"$tmp/install.log"
fi

# an install at its final place needs no environment: the paths are compiled in
root="$tmp/root"
if make -s install B="$B" PREFIX="$root" >"$tmp/install2.log" 2>&1; then
	echo '{"appKey":"defaultApp","name":"cam1"}' >"$tmp/body.json"
	if (cd "$tmp" && env -u WCSP_RUNTIME_DIR -u WCSP_INCLUDE_DIR "$root/bin/wcspc" build \
		"$top/policies/token-publish.wcsp" -o "$tmp/final") >"$tmp/build2.log" 2>&1 &&
	   "$tmp/final" --version >/dev/null 2>&1 &&
	   "$tmp/final" --eval publishStream <"$tmp/body.json" | head -1 | grep -q '^403 deny '; then
		pass "wcspc installed with PREFIX builds with its compiled-in paths"
	else
		fail "wcspc installed with PREFIX builds with its compiled-in paths" "$(head -5 "$tmp/build2.log" | tr '\n' ' ')"
	fi
	if make -s uninstall B="$B" PREFIX="$root" >/dev/null 2>&1 && [ -z "$(find "$root" -type f)" ]; then
		pass "make uninstall removes what install put"
	else
		fail "make uninstall removes what install put" "$(find "$root" -type f | head -3 | tr '\n' ' ')"
	fi
else
	fail "make install PREFIX" "make failed"; indent 15 <"$tmp/install2.log"
fi
exit 0
