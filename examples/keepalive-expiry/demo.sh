#!/usr/bin/env bash
# demo.sh -- ticket expiry and revocation through StreamKeepAliveEvent, over real HTTP on
# 127.0.0.1.
#
# Builds keepalive-expiry.wcsp with ../../build/wcspc (run `make all` in the repository
# root first), starts the server on a free loopback port, sends the hooks WCS would send for
# viewers with running, expired and revoked tickets, then does what the hourly deploy job
# does (rewrite NOW, rebuild, restart) and shows a ticket that has since expired being
# stopped at its next keep-alive. Prints each request and reply on one line each, checks the
# statuses and fields, exits 0 when every check holds, 1 otherwise. The server is stopped
# whatever happens.
set -u
here=$(cd "$(dirname "$0")" && pwd)
NAME=keepalive-expiry

# shellcheck source=../lib.sh
. "$here/../lib.sh"


# ------------------------------------------------------------------ the WCS traffic
# play_body VIEWER-IP:PORT MEDIA-SESSION-ID CUSTOM: a viewer's playStream body
play_body() {
	printf '{%s,"appKey":"defaultApp","sessionId":"/%s/192.168.1.101:8443","mediaSessionId":"%s","name":"concert","published":false,"hasVideo":true,"hasAudio":true,"status":"PENDING",%s,"record":false,"width":1280,"height":720,"bitrate":0,"quality":0,"mediaProvider":"WebRTC"%s}' \
		"$node" "$1" "$2" "$sdp" "${3:+,\"custom\":$3}"
}
# alive_body VIEWER-IP:PORT MEDIA-SESSION-ID CUSTOM: its keep-alive (WCS leaves the SDP out)
alive_body() {
	printf '{%s,"appKey":"defaultApp","sessionId":"/%s/192.168.1.101:8443","mediaSessionId":"%s","name":"concert","published":false,"hasVideo":true,"hasAudio":true,"status":"PLAYING","record":false,"width":1280,"height":720,"bitrate":0,"quality":0,"mediaProvider":"WebRTC"%s}' \
		"$node" "$1" "$2" "${3:+,\"custom\":$3}"
}
ann='{"ticket":"tk-9f86d081884c7d65","expires":1830297600}'   # a season pass, ends 2028-01-01
bob='{"ticket":"tk-60303ae22b998861","expires":1799000000}'   # a day pass, ends 2027-01-03 18:13 UTC
eve='{"ticket":"tk-abf7158809cf4f3c","expires":1830297600}'   # listed in revoked.txt

echo
echo "== 1. a viewer's page opens a session: StreamKeepAliveEvent gets restOnError FAIL"
body='{'$node',"appKey":"defaultApp","sessionId":"/192.168.1.50:50001/192.168.1.101:8443","useWsTunnel":false,"useWsTunnelPacketization2":false,"useBase64BinaryEncoding":false,"mediaProviders":["WebRTC","MSE","WSPlayer"],"clientVersion":"2.0.245","clientOSVersion":"5.0 (X11)","clientBrowserVersion":"Mozilla/5.0 (X11; Linux x86_64)","msePacketizationVersion":2,"keepAlive":false,"origin":"https://tv.example.com"}'
hook connect "$body"
check "connect is allowed" is 200
check "the reply is the request plus exactly the derived restClientConfig" echoed "${body%\}},\"restClientConfig\":$rcc}"
check "the keep-alive entry is the one the WCS docs give for stopping streams" \
	has '"StreamKeepAliveEvent":{"clientExclude":"","restExclude":"sdp","restOnError":"FAIL","restPolicy":"NOTIFY","restOverwrite":""}'

echo
echo "== 2. NOW is 1798761600 (2027-01-01 00:00 UTC): ann and bob start watching"
body=$(play_body 192.168.1.50:50001 56141d10-fddc-11e6-ac3a-4d67d5b3360d "$ann")
hook playStream "$body"
check "ann's play is allowed, the reply is the request" echoed "$body"
body=$(play_body 192.168.1.51:50002 6a0b3c70-fddc-11e6-ac3a-4d67d5b3360d "$bob")
hook playStream "$body"
check "bob's play is allowed" is 200

echo
echo "== 3. plays that are refused"
body=$(play_body 192.168.1.52:50003 7b2e4d80-fddc-11e6-ac3a-4d67d5b3360d '{"ticket":"tk-5feceb66ffc86f38","expires":1798700000}')
hook playStream "$body"
check "a ticket that ended yesterday: 403" is 403
check "the reply says why" echoed '{"error":"denied","reason":"ticket expired"}'
body=$(play_body 192.168.1.53:50004 8c3f5e90-fddc-11e6-ac3a-4d67d5b3360d '')
hook playStream "$body"
check "no ticket: 403" is 403
check "the reply says why" has '"reason":"no valid ticket"'

echo
echo "== 4. keep-alives while the streams run"
body=$(alive_body 192.168.1.50:50001 56141d10-fddc-11e6-ac3a-4d67d5b3360d "$ann")
hook StreamKeepAliveEvent "$body"
check "ann's stream goes on (200, its own body)" echoed "$body"
body=$(alive_body 192.168.1.51:50002 6a0b3c70-fddc-11e6-ac3a-4d67d5b3360d "$bob")
hook StreamKeepAliveEvent "$body"
check "bob's stream goes on" is 200
body=$(alive_body 192.168.1.54:50005 9d406fa0-fddc-11e6-ac3a-4d67d5b3360d "$eve")
hook StreamKeepAliveEvent "$body"
check "eve's ticket was revoked after her play started: 403 stops her stream" is 403
check "the reply says why" echoed '{"error":"denied","reason":"ticket revoked"}'
body='{'$node',"appKey":"defaultApp","sessionId":"/192.168.1.60:50100/192.168.1.101:8443","mediaSessionId":"ae517fb0-fddc-11e6-ac3a-4d67d5b3360d","name":"concert","published":true,"hasVideo":true,"hasAudio":true,"status":"PUBLISHING","record":false,"mediaProvider":"WebRTC"}'
hook StreamKeepAliveEvent "$body"
check "the publisher's keep-alive (no ticket) goes on" echoed "$body"

stop
check "the server exits 0 on SIGTERM" [ "$RC" = 0 ]

echo
echo "== 5. the hourly deploy job: NOW := 1799500000 (2027-01-09), rebuild, restart"
mkdir -p "$tmp/deploy"
cp "$here/$NAME.wcsp" "$here/revoked.txt" "$tmp/deploy/"
sed -i -E 's/< [0-9]+; # NOW$/< 1799500000; # NOW/' "$tmp/deploy/$NAME.wcsp"
echo "    $(grep -c '< 1799500000; # NOW$' "$tmp/deploy/$NAME.wcsp") lines rewritten:"
grep -n '# NOW$' "$tmp/deploy/$NAME.wcsp" | sed 's/^/    /'
(cd "$tmp/deploy" && "$W" build "$NAME.wcsp" -o "$tmp/$NAME") || exit 1
start_server "$tmp/$NAME"
body=$(alive_body 192.168.1.51:50002 6a0b3c70-fddc-11e6-ac3a-4d67d5b3360d "$bob")
hook StreamKeepAliveEvent "$body"
check "bob's day pass has ended: his next keep-alive gets 403" is 403
check "the reply says why" has '"reason":"ticket expired"'
body=$(alive_body 192.168.1.50:50001 56141d10-fddc-11e6-ac3a-4d67d5b3360d "$ann")
hook StreamKeepAliveEvent "$body"
check "ann's season pass goes on" is 200

echo
echo "== 6. the classic mistake, caught at compile time: restOnError LOG with a deny"
sed 's/restExclude sdp;.*/restExclude sdp;\n    restOnError LOG;/' "$here/$NAME.wcsp" >"$tmp/deploy/mistake.wcsp"
(cd "$tmp/deploy" && "$W" check -Werror mistake.wcsp) >"$tmp/mistake.out" 2>&1
mrc=$?
sed 's/^/    /' "$tmp/mistake.out"
check "wcspc check -Werror refuses it (exit 1)" [ "$mrc" = 1 ]
check "and says why" grep -q "restOnError LOG on 'StreamKeepAliveEvent', which has a deny: WCS will log the refusal and go on" "$tmp/mistake.out"

# ------------------------------------------------------------------ stop and report
finish
