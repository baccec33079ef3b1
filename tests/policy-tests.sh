#!/usr/bin/env bash
# tests/policy-tests.sh -- every policy in policies/ and examples/ passes its own tests
# (NAME.tests.wcsp beside NAME.wcsp, run by wcspc test), with the rule coverage shown.
# Also: a deliberately broken expectation makes wcspc test exit 3 with a clear line.
set -u
cd "$(dirname "$0")/.."
W=${WCSPC:?}
for t in policies/*.tests.wcsp examples/*/*.tests.wcsp; do
	[ -f "$t" ] || continue
	p=${t%.tests.wcsp}.wcsp
	out=$("$W" test "$p" "$t" --coverage 2>&1); rc=$?
	summary=$(grep '^wcspc test:' <<<"$out")
	cov=$(grep '^coverage:' <<<"$out")
	if [ $rc -eq 0 ]; then
		echo "PASS policy tests $p"
		echo "INFO $p: ${summary#wcspc test: }; $cov"
		grep 'not exercised' <<<"$out" | sed 's/^/INFO   /'
	else
		echo "FAIL policy tests $p: exit $rc"
		sed 's/^/    /' <<<"$out"
	fi
done
# the language's meaning, as test blocks inside the policies themselves
for p in tests/semantics/*.wcsp; do
	out=$("$W" test -q "$p" --coverage 2>&1); rc=$?
	if [ $rc -eq 0 ]; then echo "PASS semantics $p"; echo "INFO $p: $(grep '^wcspc test:' <<<"$out" | sed 's/^wcspc test: //')"
	else echo "FAIL semantics $p: exit $rc"; sed 's/^/    /' <<<"$out"; fi
done

for p in policies/*.wcsp examples/*/*.wcsp; do
	case $p in *.tests.wcsp) continue ;; esac
	[ -f "$p" ] || continue
	[ -f "${p%.wcsp}.tests.wcsp" ] && echo "PASS policy has tests $p" || echo "FAIL policy has tests $p: no ${p%.wcsp}.tests.wcsp"
done

# a broken expectation: exit 3, and a line naming the file, the test and what differed
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/expect deny 403;/expect allow;/' policies/token-publish.tests.wcsp >"$tmp/broken.tests.wcsp"
out=$("$W" test policies/token-publish.wcsp "$tmp/broken.tests.wcsp" 2>&1); rc=$?
want="$tmp/broken.tests.wcsp:11: test \"an unlisted token is refused\": expected allow, got 403 deny (rule policies/token-publish.wcsp:12)"
if [ $rc -eq 3 ] && grep -qxF "$want" <<<"$out"; then echo "PASS broken expectation exits 3 with its line"
else echo "FAIL broken expectation: exit $rc, output:"; sed 's/^/    /' <<<"$out"; fi
