#!/usr/bin/env bash
# demo.sh -- camera aliases rewritten to RTSP URLs, over real HTTP on 127.0.0.1.
#
# Builds rtsp-alias.wcsp with ../../build/wcspc (run `make all` in the repository root
# first), starts the server on a free loopback port, sends the hooks WCS would send when
# viewers ask for cameras by alias (known, unknown, and by raw URL), prints each request and
# reply on one line each, and checks the statuses and the rewritten names. Exits 0 when every
# check holds, 1 otherwise. The server is stopped whatever happens.
set -u
here=$(cd "$(dirname "$0")" && pwd)
NAME=rtsp-alias

# shellcheck source=../lib.sh
. "$here/../lib.sh"


# ------------------------------------------------------------------ the WCS traffic
sid='"sessionId":"/192.168.1.77:51234/192.168.1.101:8443"'
# play_body MEDIA-SESSION-ID NAME: the playStream body of a Web SDK player
play_body() {
	printf '{%s,"appKey":"defaultApp",%s,"mediaSessionId":"%s","name":"%s","published":false,"hasVideo":true,"hasAudio":true,"status":"PENDING",%s,"record":false,"width":1280,"height":720,"bitrate":0,"minBitrate":0,"maxBitrate":0,"quality":0,"mediaProvider":"WebRTC"}' \
		"$node" "$sid" "$1" "$2" "$sdp"
}

echo
echo "== 1. a viewer's page opens a session"
body='{'$node',"appKey":"defaultApp",'$sid',"useWsTunnel":false,"useWsTunnelPacketization2":false,"useBase64BinaryEncoding":false,"mediaProviders":["WebRTC","MSE","WSPlayer"],"clientVersion":"2.0.245","clientOSVersion":"5.0 (X11)","clientBrowserVersion":"Mozilla/5.0 (X11; Linux x86_64)","msePacketizationVersion":2,"keepAlive":false,"origin":"https://cams.example.com"}'
hook connect "$body"
check "connect is allowed" is 200
check "the reply is the request plus exactly the derived restClientConfig" echoed "${body%\}},\"restClientConfig\":$rcc}"
check "playStream: WCS takes the name from our reply and obeys refusals" has '"playStream":{"clientExclude":"","restExclude":"","restOnError":"FAIL","restPolicy":"OVERWRITE","restOverwrite":"name"}'

echo
echo "== 2. the viewer asks for the lobby camera"
body=$(play_body 56141d10-fddc-11e6-ac3a-4d67d5b3360d lobby)
hook playStream "$body"
check "playStream is allowed" is 200
check "name is the lobby camera's URL, every other byte as sent" \
	echoed "${body/\"name\":\"lobby\"/\"name\":\"rtsp://10.20.0.11:554/Streaming/Channels/101\"}"

echo
echo "== 3. and for the loading dock"
body=$(play_body 6a0b3c70-fddc-11e6-ac3a-4d67d5b3360d loading-dock)
hook playStream "$body"
check "playStream is allowed" is 200
check "name is the loading dock camera's URL" has '"name":"rtsp://10.20.0.13:554/h264/ch1/main/av_stream"'

echo
echo "== 4. WCS reports the stream playing, under its real name"
body='{'$node',"appKey":"defaultApp",'$sid',"mediaSessionId":"56141d10-fddc-11e6-ac3a-4d67d5b3360d","name":"rtsp://10.20.0.11:554/Streaming/Channels/101","published":false,"hasVideo":true,"hasAudio":true,"status":"PLAYING","record":false,"width":1280,"height":720,"bitrate":0,"quality":0,"mediaProvider":"WebRTC"}'
hook StreamStatusEvent "$body"
check "the event is acknowledged with its own body" echoed "$body"

echo
echo "== 5. an alias nobody configured"
body=$(play_body 7b2e4d80-fddc-11e6-ac3a-4d67d5b3360d server-room)
hook playStream "$body"
check "playStream is refused with 404" is 404
check "the reply says why" echoed '{"error":"denied","reason":"no such camera"}'

echo
echo "== 6. a page that learnt a camera's URL asks for it directly"
body=$(play_body 8c3f5e90-fddc-11e6-ac3a-4d67d5b3360d rtsp://10.20.0.12:554/Streaming/Channels/101)
hook playStream "$body"
check "playStream is refused with 403" is 403
check "the reply says why" has '"reason":"ask for a camera alias, not an address"'

echo
echo "== 7. or tries to make WCS pull some other URL"
body=$(play_body 9d406fa0-fddc-11e6-ac3a-4d67d5b3360d rtsp://203.0.113.7:554/anything)
hook playStream "$body"
check "playStream is refused with 403" is 403

# ------------------------------------------------------------------ stop and report
finish
