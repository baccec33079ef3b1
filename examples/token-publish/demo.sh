#!/usr/bin/env bash
# demo.sh -- token-protected publishing, over real HTTP on 127.0.0.1.
#
# Builds token-publish.wcsp with ../../build/wcspc (run `make all` in the repository root
# first), starts the server on a free loopback port, sends the hooks WCS would send for a
# browser session and an RTMP encoder, prints each request and reply on one line each, and
# checks the statuses and fields. Exits 0 when every check holds, 1 otherwise. The server is
# stopped whatever happens.
set -u
here=$(cd "$(dirname "$0")" && pwd)
NAME=token-publish

# shellcheck source=../lib.sh
. "$here/../lib.sh"

# ------------------------------------------------------------------ the WCS traffic
sid='"sessionId":"/192.168.1.102:4388/192.168.1.101:8443"'

echo
echo "== 1. a browser opens a session: the connect reply carries the restClientConfig"
body='{'$node',"appKey":"defaultApp",'$sid',"useWsTunnel":false,"useWsTunnelPacketization2":false,"useBase64BinaryEncoding":false,"mediaProviders":["WebRTC","MSE","WSPlayer"],"clientVersion":"2.0.245","clientOSVersion":"5.0 (X11)","clientBrowserVersion":"Mozilla/5.0 (X11; Linux x86_64)","msePacketizationVersion":2,"keepAlive":false,"origin":"https://studio.example.com:8888"}'
hook connect "$body"
check "connect is allowed" is 200
check "the reply is the request plus exactly the derived restClientConfig" echoed "${body%\}},\"restClientConfig\":$rcc}"
check "publishStream gets restOnError FAIL" has '"publishStream":{"clientExclude":"","restExclude":"","restOnError":"FAIL","restPolicy":"NOTIFY","restOverwrite":""}'

echo
echo "== 2. studio A publishes with its token"
body='{'$node',"appKey":"defaultApp",'$sid',"mediaSessionId":"56141d10-fddc-11e6-ac3a-4d67d5b3360d","name":"studio-a","published":true,"hasVideo":true,"hasAudio":true,"status":"PENDING",'$sdp',"record":false,"width":0,"height":0,"bitrate":0,"minBitrate":0,"maxBitrate":0,"quality":0,"mediaProvider":"WebRTC","custom":{"token":"7c1f0e42d9a84b6b"}}'
hook publishStream "$body"
check "publishStream is allowed" is 200
check "the reply is the request, byte for byte" echoed "$body"

echo
echo "== 3. someone guesses a token"
body='{'$node',"appKey":"defaultApp",'$sid',"mediaSessionId":"6a0b3c70-fddc-11e6-ac3a-4d67d5b3360d","name":"studio-a","published":true,"hasVideo":true,"hasAudio":true,"status":"PENDING",'$sdp',"record":false,"mediaProvider":"WebRTC","custom":{"token":"0000000000000000"}}'
hook publishStream "$body"
check "publishStream is refused with 403" is 403
check "the reply says why" echoed '{"error":"denied","reason":"not a publisher"}'

echo
echo "== 4. a page that sends no token at all"
body='{'$node',"appKey":"defaultApp",'$sid',"mediaSessionId":"7b2e4d80-fddc-11e6-ac3a-4d67d5b3360d","name":"cam","published":true,"hasVideo":true,"hasAudio":false,"status":"PENDING",'$sdp',"record":false,"mediaProvider":"WebRTC"}'
hook publishStream "$body"
check "publishStream is refused with 403" is 403
check "the reply names the reason" has '"reason":"not a publisher"'

echo
echo "== 5. viewers need no token"
body='{'$node',"appKey":"defaultApp","sessionId":"/192.168.1.77:51234/192.168.1.101:8443","mediaSessionId":"8c3f5e90-fddc-11e6-ac3a-4d67d5b3360d","name":"studio-a","published":false,"hasVideo":true,"hasAudio":true,"status":"PENDING",'$sdp',"record":false,"width":640,"height":360,"bitrate":0,"quality":0,"mediaProvider":"WebRTC"}'
hook playStream "$body"
check "playStream is allowed" is 200
check "the reply is the request, byte for byte" echoed "$body"

echo
echo "== 6. the status event after the publication (WCS would leave the SDP out)"
body='{'$node',"appKey":"defaultApp",'$sid',"mediaSessionId":"56141d10-fddc-11e6-ac3a-4d67d5b3360d","name":"studio-a","published":true,"hasVideo":true,"hasAudio":true,"status":"PUBLISHING","record":false,"width":1280,"height":720,"bitrate":0,"quality":0,"mediaProvider":"WebRTC"}'
hook StreamStatusEvent "$body"
check "the event is acknowledged with its own body" echoed "$body"

echo
echo "== 7. an RTMP encoder: rtmp://wcs:1935/live/van?token=f00dcafe5e1ec7ed"
rnode=$node
rsid='"sessionId":"/203.0.113.9:50012/192.168.1.101:1935"'
body='{'$rnode',"appKey":"flashStreamingApp",'$rsid',"login":"rQq83sodiCPY0pJXCxGO","custom":{}}'
hook connect "$body"
check "the RTMP session gets the same restClientConfig" has '"publishStream":{"clientExclude":"","restExclude":"","restOnError":"FAIL"'
body='{'$rnode',"appKey":"flashStreamingApp",'$rsid',"mediaSessionId":"9d406fa0-fddc-11e6-ac3a-4d67d5b3360d","name":"van","published":true,"hasVideo":true,"hasAudio":true,"status":"NEW","record":false,"mediaProvider":"Flash","custom":{"token":"f00dcafe5e1ec7ed"}}'
hook publishStream "$body"
check "the encoder's publication is allowed" is 200
body='{'$rnode',"appKey":"flashStreamingApp",'$rsid',"mediaSessionId":"ae517fb0-fddc-11e6-ac3a-4d67d5b3360d","name":"van","published":true,"hasVideo":true,"hasAudio":true,"status":"NEW","record":false,"mediaProvider":"Flash","custom":{}}'
hook publishStream "$body"
check "an encoder without the token is refused" is 403

# ------------------------------------------------------------------ stop and report
finish
