#!/usr/bin/env bash
# demo.sh -- viewers and publishers with JWTs minted by the web app, over real HTTP on
# 127.0.0.1.
#
# Mints fresh keys with mint.sh (the web app's side), installs the HS256 secret and the RSA
# public key (not the private key) in a data directory for the server, builds
# jwt-viewers.wcsp with ../../build/wcspc (run `make all` in the repository root first),
# starts the server with --data-dir pointing there, mints tokens that expire relative to the
# real clock, and sends the hooks WCS would send: sessions, plays allowed and refused by the
# token's claims, an RS256 publisher, forged tokens, a keep-alive with an expired token, and
# a rotation of the HS256 secret with SIGHUP. Prints each request and reply on one line each,
# checks the statuses and fields, exits 0 when every check holds, 1 otherwise. The server is
# stopped whatever happens.
set -u
here=$(cd "$(dirname "$0")" && pwd)
NAME=jwt-viewers
mint=$here/mint.sh

# ------------------------------------------------------------------ keys, before the server
# lib.sh builds the policy and starts the server in the current directory, the default
# --data-dir, and the server does not start without its key files: mint them first.
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
app=$work/app    # the web app's keys: the secret and the RSA private key
data=$work/data  # the server's --data-dir: keys/ holds the secret and the public key only
echo "== 0. the web app mints its keys; the server gets the secret and the public key"
"$mint" keys "$app" || exit 1
mkdir -p "$data/keys"
install -m 600 "$app/viewers-hs256.secret" "$data/keys/"
install -m 644 "$app/publishers-rs256.pem" "$data/keys/"
(cd "$work" && stat -c '    %A %5s  %n' app/* data/keys/*)
cd "$data" || exit 1

# shellcheck source=../lib.sh
. "$here/../lib.sh"
trap 'stop; rm -rf "$tmp" "$work"' EXIT
STATUS=-   # check prints it; no hook has set it yet

# ------------------------------------------------------------------ helpers
# jwt KIND CLAIMS: a token from the web app (KIND hs256 or rs256), or exit
jwt() { "$mint" token "$1" "$app" "$2" || exit 1; }
now=$(date +%s)
iss='"iss":"https://app.example.com","aud":"wcs"'
run="\"iat\":$now,\"exp\":$((now + 3600))"   # an hour from now
# connect_body TOKEN: a page's connect, the token in the session's custom (none if empty)
connect_body() {
	local custom=
	[ -n "$1" ] && custom=',"custom":{"token":"'$1'"}'
	printf '{%s,"appKey":"defaultApp","sessionId":"/192.168.1.50:50001/192.168.1.101:8443","useWsTunnel":false,"useWsTunnelPacketization2":false,"useBase64BinaryEncoding":false,"mediaProviders":["WebRTC","MSE","WSPlayer"],"clientVersion":"2.0.245","clientOSVersion":"5.0 (X11)","clientBrowserVersion":"Mozilla/5.0 (X11; Linux x86_64)","msePacketizationVersion":2,"keepAlive":false,"origin":"https://app.example.com"%s}' \
		"$node" "$custom"
}
# stream_body HOOK-STATUS PUBLISHED NAME TOKEN: a playStream or publishStream body
stream_body() {
	printf '{%s,"appKey":"defaultApp","sessionId":"/192.168.1.50:50001/192.168.1.101:8443","mediaSessionId":"56141d10-fddc-11e6-ac3a-4d67d5b3360d","name":"%s","published":%s,"hasVideo":true,"hasAudio":true,"status":"%s",%s,"record":false,"width":1280,"height":720,"bitrate":0,"quality":0,"mediaProvider":"WebRTC","custom":{"token":"%s"}}' \
		"$node" "$3" "$2" "$1" "$sdp" "$4"
}
# alive_body PUBLISHED NAME TOKEN: its keep-alive (WCS leaves the SDP out)
alive_body() {
	printf '{%s,"appKey":"defaultApp","sessionId":"/192.168.1.50:50001/192.168.1.101:8443","mediaSessionId":"56141d10-fddc-11e6-ac3a-4d67d5b3360d","name":"%s","published":%s,"hasVideo":true,"hasAudio":true,"status":"%s","record":false,"width":1280,"height":720,"bitrate":0,"quality":0,"mediaProvider":"WebRTC","custom":{"token":"%s"}}' \
		"$node" "$2" "$1" "$([ "$1" = true ] && echo PUBLISHING || echo PLAYING)" "$3"
}
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

echo
echo "== 1. the server as deployed: --data-dir names where keys/ is"
stop
check "lib.sh's server (started in the data dir, the default --data-dir) exits 0" [ "$RC" = 0 ]
mkdir -p "$tmp/empty"
(cd / && timeout 5 "$tmp/$NAME" --listen 127.0.0.1:0 --data-dir "$tmp/empty") >/dev/null 2>"$tmp/nokeys.err"
nrc=$?
sed 's/^/    /' "$tmp/nokeys.err"
check "a data dir without the key files: the server refuses to start (exit 2)" [ "$nrc" = 2 ]
check "with one line naming the file" grep -q 'keys/viewers-hs256.secret' "$tmp/nokeys.err"
check "and only one" [ "$(wc -l <"$tmp/nokeys.err")" = 1 ]
printf '#!/bin/sh\ncd / && exec "%s" --data-dir "%s" "$@"\n' "$tmp/$NAME" "$data" >"$tmp/serve"
chmod +x "$tmp/serve"
start_server "$tmp/serve"   # the server, run from / with --data-dir "$data"

echo
echo "== 2. a viewer's page opens a session with its token (HS256, exp in an hour)"
viewer=$(jwt hs256 '{'"$iss"',"sub":"viewer-42","streams":["studio-a-main","studio-b-main"],'"$run"'}')
body=$(connect_body "$viewer")
hook connect "$body"
check "connect is allowed" is 200
check "the reply is the request plus exactly the derived restClientConfig" echoed "${body%\}},\"restClientConfig\":$rcc}"
check "a keep-alive refused with 403 stops the stream (restOnError FAIL, restExclude sdp)" \
	has '"StreamKeepAliveEvent":{"clientExclude":"","restExclude":"sdp","restOnError":"FAIL","restPolicy":"NOTIFY","restOverwrite":""}'
hook connect "$(connect_body '')"
check "a page without a token gets no session" is 403
check "the reply says why" echoed '{"error":"denied","reason":"no valid token"}'

echo
echo "== 3. plays: the token's streams claim decides"
body=$(stream_body PENDING false studio-a-main "$viewer")
hook playStream "$body"
check "studio-a-main is in the token: allowed, the reply is the request" echoed "$body"
hook playStream "$(stream_body PENDING false studio-c-main "$viewer")"
check "studio-c-main is not: 403" is 403
check "the reply says why" echoed '{"error":"denied","reason":"stream not in token"}'

echo
echo "== 4. a publisher (RS256, signed with the app's private key; the server has the public key)"
publisher=$(jwt rs256 '{'"$iss"',"sub":"studio-a","stream":"main",'"$run"'}')
hook connect "$(connect_body "$publisher")"
check "the studio's page gets a session" is 200
hook publishStream "$(stream_body PENDING true main "$publisher")"
check "publishing main, the stream its token names, is allowed" is 200
check "and WCS is told to publish it as studio-a-main" has '"name":"studio-a-main"'
hook publishStream "$(stream_body PENDING true studio-b-main "$publisher")"
check "publishing under another studio's name: 403" is 403
check "the reply says why" has '"reason":"stream not in token"'

echo
echo "== 5. forged tokens"
claims='{'"$iss"',"sub":"viewer-42","streams":["studio-a-main","studio-b-main","studio-c-main"],'"$run"'}'
tampered=${viewer%%.*}.$(printf '%s' "$claims" | b64url).${viewer##*.}
echo "    the viewer adds studio-c-main to the token's payload and keeps the signature"
hook playStream "$(stream_body PENDING false studio-c-main "$tampered")"
check "403" is 403
check "token signature invalid" echoed '{"error":"denied","reason":"token signature invalid"}'
echo "    someone who knows the viewers' secret mints a publisher's token with it (HS256)"
forged=$(jwt hs256 '{'"$iss"',"sub":"studio-a","stream":"main",'"$run"'}')
hook publishStream "$(stream_body PENDING true main "$forged")"
check "403: publishers' tokens are RS256 only" is 403
check "token algorithm not allowed" echoed '{"error":"denied","reason":"token algorithm not allowed"}'

echo
echo "== 6. keep-alives while the streams run"
body=$(alive_body false studio-a-main "$viewer")
hook StreamKeepAliveEvent "$body"
check "the viewer's stream goes on (200, its own body)" echoed "$body"
ended=$(jwt hs256 '{'"$iss"',"sub":"viewer-77","streams":["studio-a-main"],"iat":'$((now - 3720))',"exp":'$((now - 120))'}')
echo "    viewer-77's pass ended 2 minutes ago (exp $((now - 120)), now $now)"
hook StreamKeepAliveEvent "$(alive_body false studio-a-main "$ended")"
check "403: WCS stops viewer-77's stream" is 403
check "token expired" echoed '{"error":"denied","reason":"token expired"}'
hook StreamKeepAliveEvent "$(alive_body true studio-a-main "$publisher")"
check "the publisher's stream goes on" is 200

echo
echo "== 7. the web app rotates the viewers' secret; SIGHUP makes the server reload it"
"$mint" keys "$work/next" >/dev/null || exit 1
cp "$work/next/viewers-hs256.secret" "$app/viewers-hs256.secret"
install -m 600 "$work/next/viewers-hs256.secret" "$data/keys/"
reloads=$(grep -c 'reload:' "$tmp/server.err")
kill -HUP "$pid"
for ((i = 0; i < 100; i++)); do
	[ "$(grep -c 'reload:' "$tmp/server.err")" -gt "$reloads" ] && break
	sleep 0.05
done
grep 'reload:' "$tmp/server.err" | tail -1 | sed 's/^/    /'
check "the server reloaded its keys" [ "$(grep -c 'reload: .* loaded' "$tmp/server.err")" -gt "$reloads" ]
hook playStream "$(stream_body PENDING false studio-a-main "$viewer")"
check "a token signed with the old secret is refused now (no cached verdict survives)" is 403
check "token signature invalid" has '"reason":"token signature invalid"'
viewer2=$(jwt hs256 '{'"$iss"',"sub":"viewer-42","streams":["studio-a-main","studio-b-main"],'"$run"'}')
hook playStream "$(stream_body PENDING false studio-a-main "$viewer2")"
check "a token signed with the new secret plays" is 200
hook StreamKeepAliveEvent "$(alive_body true studio-a-main "$publisher")"
check "the publisher's RS256 token is untouched by the rotation" is 200
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^wcsp_reload_failures_total' | sed 's/^/    /'

# ------------------------------------------------------------------ stop and report
finish
