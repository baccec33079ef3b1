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
want="$tmp/broken.tests.wcsp:11: test \"an unlisted token is refused\": expected allow, got 403 deny (rule token-publish.wcsp:12)"
if [ $rc -eq 3 ] && grep -qxF "$want" <<<"$out"; then echo "PASS broken expectation exits 3 with its line"
else echo "FAIL broken expectation: exit $rc, output:"; sed 's/^/    /' <<<"$out"; fi

# allow, the default allow and an echo are three outcomes: a misspelt method is echoed, so
# `expect allow` fails on it, and the compiler warns about the method
cat >"$tmp/spelling.tests.wcsp" <<'TESTS'
test "misspelt method" {
    request publishstream {"name": "cam1", "custom": {"token": "7c1f0e42d9a84b6b"}};
    expect allow;
}
test "a token holder" {
    request publishStream {"name": "cam1", "custom": {"token": "7c1f0e42d9a84b6b"}};
    expect allow;
}
test "a catalog method the policy does not name" {
    request playStream {"name": "cam1"};
    expect echo;
}
TESTS
out=$("$W" test policies/token-publish.wcsp "$tmp/spelling.tests.wcsp" 2>&1); rc=$?
w1="$tmp/spelling.tests.wcsp:2:13: warning: test \"misspelt method\": method 'publishstream' is neither in the catalog nor named by the policy, so the request is echoed; did you mean 'publishStream'?"
w2="$tmp/spelling.tests.wcsp:3: test \"misspelt method\": expected allow, got 200 echo (the policy names no 'publishstream': the request is echoed as it came)"
if [ $rc -eq 3 ] && grep -qxF "$w1" <<<"$out" && grep -qxF "$w2" <<<"$out" && grep -qxF "wcspc test: 3 tests, 2 passed, 1 failed" <<<"$out"
then echo "PASS a misspelt test method warns, and expect allow fails on its echo"
else echo "FAIL misspelt test method: exit $rc, output:"; sed 's/^/    /' <<<"$out"; fi
printf 'publishStream { deny 403 "no" if name == "x"; }\ntest "d" { request publishStream {"name":"y"}; expect deny; }\n' >"$tmp/default.wcsp"
out=$("$W" test "$tmp/default.wcsp" 2>&1)
grep -qF 'expected deny, got 200 allow (no rule decided: allowed by default)' <<<"$out" &&
	echo "PASS a default allow is reported as such" || { echo "FAIL default allow report:"; sed 's/^/    /' <<<"$out"; }
