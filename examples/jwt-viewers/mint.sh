#!/usr/bin/env bash
# mint.sh -- the web app's side of jwt-viewers: make keys and sign tokens with openssl.
#
#   mint.sh keys DIR                          fresh keys in DIR (created, mode 700):
#       viewers-hs256.secret   the HS256 secret, shared by the web app and the server
#       publishers-rs256.key   the RSA-2048 private key: the web app's alone, never on the
#                              server
#       publishers-rs256.pem   its public key: the server's copy
#   mint.sh token hs256|rs256 KEYDIR CLAIMS-JSON
#       prints a compact JWS ({"alg":"HS256"|"RS256","typ":"JWT"}) over CLAIMS-JSON, taken
#       byte for byte as the payload, signed with KEYDIR's secret or private key
#   mint.sh fixtures [TESTFILE]
#       regenerates the test fixtures in keys/ next to this script (the HS256 secret and the
#       RSA public key; the private key lives only in a temporary directory, deleted at exit)
#       and prints the tokens the tests use, one "NAME TOKEN" a line. With TESTFILE (that is,
#       jwt-viewers.tests.wcsp) it also puts them there: after a "# token: NAME" line, every
#       JWT up to the next test becomes NAME's new token
#
# Needs only bash, openssl and coreutils (base64, tr, od). The secret goes to openssl on its
# command line (-macopt hexkey:...), so mint on a machine where other users cannot list
# processes, or sign inside the web app with its JWT library instead; the format is the same.
set -euo pipefail

usage() {
	sed -n '2,18s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }   # stdin -> base64url, no padding
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }   # a file's bytes in hexadecimal
need() { [ -f "$1" ] || { echo "mint.sh: no $1" >&2; exit 1; }; }

# keys DIR
keys() {
	local dir=$1
	mkdir -p "$dir"
	chmod 700 "$dir"
	(
		umask 077
		# 32 random bytes, written as 43 base64url characters: printable, so the web app
		# can keep it in an environment variable; the server uses the file's bytes as they
		# are, so no trailing newline (printf, not echo)
		printf '%s' "$(openssl rand 32 | b64url)" >"$dir/viewers-hs256.secret"
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$dir/publishers-rs256.key" 2>/dev/null
	)
	openssl pkey -in "$dir/publishers-rs256.key" -pubout -out "$dir/publishers-rs256.pem"
	chmod 644 "$dir/publishers-rs256.pem"
}

# token ALG KEYDIR CLAIMS-JSON
token() {
	local alg=$1 dir=$2 claims=$3 header input
	case $alg in
	hs256) header='{"alg":"HS256","typ":"JWT"}' ;;
	rs256) header='{"alg":"RS256","typ":"JWT"}' ;;
	*) usage ;;
	esac
	input=$(printf '%s' "$header" | b64url).$(printf '%s' "$claims" | b64url)
	case $alg in
	hs256)
		need "$dir/viewers-hs256.secret"
		printf '%s.%s\n' "$input" "$(printf '%s' "$input" |
			openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(hex "$dir/viewers-hs256.secret")" \
				-binary | b64url)"
		;;
	rs256)
		need "$dir/publishers-rs256.key"
		printf '%s.%s\n' "$input" "$(printf '%s' "$input" |
			openssl dgst -sha256 -sign "$dir/publishers-rs256.key" -binary | b64url)"
		;;
	esac
}

# fixtures: the keys and tokens of jwt-viewers.tests.wcsp. The tests run at
# clock 1767227400 (2026-01-01 00:30 UTC); the tokens were issued at 1767225600 (00:00) and
# expire at 1767229200 (01:00).
fixtures() {
	local here priv out
	here=$(cd "$(dirname "$0")" && pwd)
	priv=$(mktemp -d)
	# shellcheck disable=SC2064  # expand now: priv is local
	trap "rm -rf '$priv'" EXIT
	keys "$priv"
	cp "$priv/viewers-hs256.secret" "$priv/publishers-rs256.pem" "$here/keys/"
	chmod 644 "$here/keys/viewers-hs256.secret" "$here/keys/publishers-rs256.pem"
	out=$priv/tokens
	fixture_tokens "$priv" >"$out"
	cat "$out"
	[ -z "${1:-}" ] && return
	awk -v fix="$out" '
		BEGIN { while ((getline l < fix) > 0) { split(l, a, " "); tok[a[1]] = a[2] } }
		/^test / { cur = "" }
		/^ *# token: / {
			cur = $3
			if (!(cur in tok)) { print FILENAME ": no fixture " cur > "/dev/stderr"; exit 1 }
		}
		cur != "" { gsub(/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/, tok[cur]) }
		{ print }' "$1" >"$priv/tests"
	cat "$priv/tests" >"$1"
	echo "mint.sh: $1 rewritten with the new tokens" >&2
}

# fixture_tokens PRIVDIR: the named tokens of the tests
fixture_tokens() {
	local p=$1 v
	local iss='"iss":"https://app.example.com"' aud='"aud":"wcs"'
	local t='"iat":1767225600,"exp":1767229200'
	local ab='"streams":["studio-a-main","studio-b-main"]' a='"streams":["studio-a-main"]'
	local v42='"sub":"viewer-42"' pub='"sub":"studio-a","stream":"main"'
	v=$(token hs256 "$p" "$(j "$iss" "$aud" "$v42" "$ab" "$t")")
	echo "viewer $v"
	echo "viewer-tampered $(tamper "$v" "$(j "$iss" "$aud" "$v42" \
		'"streams":["studio-a-main","studio-b-main","studio-c-main"]' "$t")")"
	echo "viewer-aud-array $(token hs256 "$p" "$(j "$iss" '"aud":["chat","wcs"]' \
		'"sub":"viewer-7"' '"streams":["studio-b-main"]' "$t")")"
	echo "viewer-other-aud $(token hs256 "$p" "$(j "$iss" '"aud":"chat"' "$v42" "$a" "$t")")"
	echo "viewer-other-iss $(token hs256 "$p" "$(j '"iss":"https://evil.example.net"' "$aud" \
		"$v42" "$a" "$t")")"
	echo "viewer-no-streams $(token hs256 "$p" "$(j "$iss" "$aud" "$v42" "$t")")"
	echo "viewer-no-exp $(token hs256 "$p" "$(j "$iss" "$aud" "$v42" "$a" '"iat":1767225600')")"
	echo "viewer-later $(token hs256 "$p" "$(j "$iss" "$aud" "$v42" "$a" \
		'"iat":1767225600,"nbf":1767229200,"exp":1767232800')")"
	echo "hs256-publisher $(token hs256 "$p" "$(j "$iss" "$aud" "$pub" "$t")")"
	echo "publisher $(token rs256 "$p" "$(j "$iss" "$aud" "$pub" "$t")")"
	echo "publisher-no-stream $(token rs256 "$p" "$(j "$iss" "$aud" '"sub":"studio-b"' "$t")")"
	echo "alg-none $(printf '%s' '{"alg":"none","typ":"JWT"}' | b64url).$(
		j "$iss" "$aud" "$pub" "$t" | b64url)."
}

# j MEMBER...: a JSON object of the members, joined by commas
j() {
	local IFS=,
	printf '{%s}' "$*"
}

# tamper TOKEN CLAIMS-JSON: TOKEN with its payload replaced, the signature kept
tamper() {
	local h=${1%%.*} s=${1##*.}
	printf '%s.%s.%s\n' "$h" "$(printf '%s' "$2" | b64url)" "$s"
}

case ${1:-} in
keys) [ $# = 2 ] || usage; keys "$2" ;;
token) [ $# = 4 ] || usage; token "$2" "$3" "$4" ;;
fixtures) [ $# -le 2 ] || usage; fixtures "${2:-}" ;;
*) usage ;;
esac
