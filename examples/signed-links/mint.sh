#!/usr/bin/env bash
# mint.sh -- the web app's side of signed-links: make the secrets and sign links with openssl.
#
#   mint.sh keys DIR
#       fresh secrets in DIR (created, mode 700), 32 hexadecimal characters each, no newline:
#       link-md5.secret (nginx-style links) and wowza-sha256.secret (Wowza-style links)
#   mint.sh nginx SECRET-FILE EXPIRES NAME
#       the md5 of an nginx secure_link_md5 "$secure_link_expires$uri $secret" link, NAME
#       standing for $uri: base64url of MD5("EXPIRES" "NAME" " " SECRET), no padding
#   mint.sh wowza SECRET-FILE CONTENT-PATH STARTTIME ENDTIME
#       the wowzatokenhash of a Wowza SecureToken link (SHA-256): base64url of
#       SHA-256("CONTENT-PATH?" the parameters and the secret, in ASCII order, joined by "&"),
#       padding kept as Wowza's examples do
#   mint.sh check
#       checks the nginx signer against nginx's documented example (expires 2147483647,
#       uri+addr "/s/link127.0.0.1", secret "secret": _e4Nc3iduzkWRm01TBBNYw)
#
# Needs only bash, openssl and coreutils (base64, tr, sort). Secrets are read from their files
# and piped to openssl, never put on a command line.
set -euo pipefail

usage() {
	sed -n '2,20s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

b64url() { base64 -w0 | tr '+/' '-_'; }   # stdin -> base64url; padding left to the caller

secret_file() { [ -f "$1" ] || { echo "mint.sh: no secret file $1" >&2; exit 1; }; }

keys() {
	mkdir -p "$1"
	chmod 700 "$1"
	(
		umask 077
		# printable (hex), so the web app can keep it in an environment variable, and sorting
		# before "wowzatoken..." (see wowza below); no trailing newline: the server uses the
		# file's bytes as they are
		printf '%s' "$(openssl rand -hex 16)" >"$1/link-md5.secret"
		printf '%s' "$(openssl rand -hex 16)" >"$1/wowza-sha256.secret"
	)
}

nginx() {
	secret_file "$1"
	{ printf '%s%s ' "$2" "$3"; cat "$1"; } | openssl md5 -binary | b64url | tr -d '='
	echo
}

# Wowza hashes "path?" and then every parameter that takes part (here wowzatokenstarttime and
# wowzatokenendtime) and the bare shared secret, sorted in ASCII order and joined by "&". The
# policy writes that order out, so it holds only for a secret that sorts before
# "wowzatokenendtime" (one that starts with a digit, an upper-case letter or a to v); this
# signer sorts for real, so a secret that sorts elsewhere makes links the policy refuses.
wowza() {
	secret_file "$1"
	{
		printf '%s?' "$2"
		{ printf 'wowzatokenstarttime=%s\nwowzatokenendtime=%s\n' "$3" "$4"; cat "$1"; echo; } |
			LC_ALL=C sort | paste -sd '&' | tr -d '\n'
	} | openssl dgst -sha256 -binary | b64url
	echo
}

check() {
	local d got
	d=$(mktemp -d)
	printf '%s' secret >"$d/secret"
	got=$(nginx "$d/secret" 2147483647 /s/link127.0.0.1)
	rm -rf "$d"
	if [ "$got" = _e4Nc3iduzkWRm01TBBNYw ]; then
		echo "mint.sh: nginx's documented example gives $got, as documented"
	else
		echo "mint.sh: nginx's documented example gives $got, not _e4Nc3iduzkWRm01TBBNYw" >&2
		exit 1
	fi
}

case ${1:-} in
keys) [ $# = 2 ] || usage; keys "$2" ;;
nginx) [ $# = 4 ] || usage; nginx "$2" "$3" "$4" ;;
wowza) [ $# = 5 ] || usage; wowza "$2" "$3" "$4" "$5" ;;
check) [ $# = 1 ] || usage; check ;;
*) usage ;;
esac
