#!/usr/bin/env bash
# demo.sh -- nginx-style and Wowza-style signed links, over real HTTP on 127.0.0.1.
#
# Checks mint.sh against nginx's documented example, mints fresh secrets with it into a data
# directory, builds signed-links.wcsp with ../../build/wcspc (run `make all` in the repository
# root first), starts the server with --data-dir pointing there, signs links that expire
# relative to the real clock, and sends the playStream hooks WCS would send for valid,
# tampered, expired and misused links, then rotates a secret with SIGHUP. Prints each request
# and reply on one line each, checks the statuses and fields, exits 0 when every check holds,
# 1 otherwise. The server is stopped whatever happens.
set -u
here=$(cd "$(dirname "$0")" && pwd)
NAME=signed-links
mint=$here/mint.sh

# ------------------------------------------------------------------ secrets, before the server
# lib.sh builds the policy and starts the server in the current directory, the default
# --data-dir, and the server does not start without its key files: mint them first.
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
data=$work/data   # the server's --data-dir; the web app holds the same secrets
echo "== 0. the signer, and fresh secrets in the server's data dir"
"$mint" check | sed 's/^/    /'
mcheck=${PIPESTATUS[0]}
"$mint" keys "$data/keys" || exit 1
(cd "$data" && stat -c '    %A %5s  %n' keys/*)
cd "$data" || exit 1

# shellcheck source=../lib.sh
. "$here/../lib.sh"
trap 'stop; rm -rf "$tmp" "$work"' EXIT
STATUS=-   # check prints it; no hook has set it yet

echo
echo "== 1. the signer matches nginx; the server as deployed, from / with --data-dir"
check "mint.sh signs nginx's documented example as nginx documents it" [ "$mcheck" = 0 ]
stop
check "lib.sh's server (started in the data dir, the default --data-dir) exits 0" [ "$RC" = 0 ]
printf '#!/bin/sh\ncd / && exec "%s" --data-dir "%s" "$@"\n' "$tmp/$NAME" "$data" >"$tmp/serve"
chmod +x "$tmp/serve"
start_server "$tmp/serve"

# ------------------------------------------------------------------ helpers
now=$(date +%s)
md5_for() { "$mint" nginx "$data/keys/link-md5.secret" "$1" "$2" || exit 1; }   # EXPIRES NAME
wowza_for() { "$mint" wowza "$data/keys/wowza-sha256.secret" "live/$1" "$2" "$3" || exit 1; }   # NAME START END
# play_body NAME CUSTOM: a viewer's playStream
play_body() {
	printf '{%s,"appKey":"defaultApp","sessionId":"/192.168.1.50:50001/192.168.1.101:8443","mediaSessionId":"56141d10-fddc-11e6-ac3a-4d67d5b3360d","name":"%s","published":false,"hasVideo":true,"hasAudio":true,"status":"PENDING",%s,"record":false,"width":1280,"height":720,"bitrate":0,"quality":0,"mediaProvider":"WebRTC","custom":%s}' \
		"$node" "$1" "$sdp" "$2"
}

echo
echo "== 2. a viewer's page opens a session: playStream gets restOnError FAIL"
body='{'$node',"appKey":"defaultApp","sessionId":"/192.168.1.50:50001/192.168.1.101:8443","useWsTunnel":false,"useWsTunnelPacketization2":false,"useBase64BinaryEncoding":false,"mediaProviders":["WebRTC","MSE","WSPlayer"],"clientVersion":"2.0.245","clientOSVersion":"5.0 (X11)","clientBrowserVersion":"Mozilla/5.0 (X11; Linux x86_64)","msePacketizationVersion":2,"keepAlive":false,"origin":"https://tv.example.com"}'
hook connect "$body"
check "connect is allowed" is 200
check "the reply is the request plus exactly the derived restClientConfig" echoed "${body%\}},\"restClientConfig\":$rcc}"

echo
echo "== 3. nginx-style links: {expires, md5}, the web app signed concert for the next hour"
exp=$((now + 3600))
md5=$(md5_for "$exp" concert)
body=$(play_body concert '{"expires":'$exp',"md5":"'"$md5"'"}')
hook playStream "$body"
check "the link plays concert, the reply is the request" echoed "$body"
hook playStream "$(play_body backstage '{"expires":'$exp',"md5":"'"$md5"'"}')"
check "the same link for another stream (backstage): 403" is 403
check "the reply says why" echoed '{"error":"denied","reason":"invalid link"}'
tampered=${md5:0:10}$([ "${md5:10:1}" = A ] && echo B || echo A)${md5:11}
hook playStream "$(play_body concert '{"expires":'$exp',"md5":"'"$tampered"'"}')"
check "one character of the md5 changed: 403" is 403
check "invalid link" has '"reason":"invalid link"'
hook playStream "$(play_body concert '{"expires":'$((exp + 86400))',"md5":"'"$md5"'"}')"
check "expires pushed a day further: 403, the md5 no longer fits" is 403
check "invalid link" has '"reason":"invalid link"'
old=$((now - 60))
hook playStream "$(play_body concert '{"expires":'$old',"md5":"'"$(md5_for "$old" concert)"'"}')"
check "a link signed for concert that ran out a minute ago: 403" is 403
check "link expired" echoed '{"error":"denied","reason":"link expired"}'

echo
echo "== 4. Wowza-style links: {wowzatokenstarttime, wowzatokenendtime, wowzatokenhash}"
start=$((now - 60)) end=$((now + 3600))
hash=$(wowza_for concert "$start" "$end")
wz() { printf '{"wowzatokenstarttime":%s,"wowzatokenendtime":%s,"wowzatokenhash":"%s"}' "$@"; }
body=$(play_body concert "$(wz "$start" "$end" "$hash")")
hook playStream "$body"
check "the link plays concert" echoed "$body"
hook playStream "$(play_body backstage "$(wz "$start" "$end" "$hash")")"
check "the same link for backstage: 403" is 403
check "invalid link" has '"reason":"invalid link"'
hook playStream "$(play_body concert "$(wz "$start" "$end" "${hash:1}")")"
check "the hash cut short: 403" is 403
check "invalid link" has '"reason":"invalid link"'
hook playStream "$(play_body concert "$(wz $((now - 7200)) $((now - 3600)) "$(wowza_for concert $((now - 7200)) $((now - 3600)))")")"
check "a link that ended an hour ago: 403" is 403
check "link expired" echoed '{"error":"denied","reason":"link expired"}'
hook playStream "$(play_body concert "$(wz $((now + 600)) $((now + 4200)) "$(wowza_for concert $((now + 600)) $((now + 4200)))")")"
check "a link for the show in ten minutes: 403 until then" is 403
check "link not valid yet" echoed '{"error":"denied","reason":"link not valid yet"}'

echo
echo "== 5. no link at all"
hook playStream "$(play_body concert '{}')"
check "403" is 403
check "no signed link" echoed '{"error":"denied","reason":"no signed link"}'

echo
echo "== 6. the nginx-style secret is rotated: new file, SIGHUP"
"$mint" keys "$work/next" || exit 1
install -m 600 "$work/next/link-md5.secret" "$data/keys/"
reloads=$(grep -c 'reload:' "$tmp/server.err")
kill -HUP "$pid"
for ((i = 0; i < 100; i++)); do
	[ "$(grep -c 'reload:' "$tmp/server.err")" -gt "$reloads" ] && break
	sleep 0.05
done
grep 'reload:' "$tmp/server.err" | tail -1 | sed 's/^/    /'
check "the server reloaded its secrets" [ "$(grep -c 'reload: .* loaded' "$tmp/server.err")" -gt "$reloads" ]
hook playStream "$(play_body concert '{"expires":'$exp',"md5":"'"$md5"'"}')"
check "the link signed with the old secret is refused now" is 403
check "invalid link" has '"reason":"invalid link"'
body=$(play_body concert '{"expires":'$exp',"md5":"'"$(md5_for "$exp" concert)"'"}')
hook playStream "$body"
check "a link signed with the new secret plays" is 200
hook playStream "$(play_body concert "$(wz "$start" "$end" "$hash")")"
check "the Wowza-style secret did not change: its link still plays" is 200

# ------------------------------------------------------------------ stop and report
finish
