#!/usr/bin/env bash
# demo.sh -- sessions only from our own sites, over real HTTP on 127.0.0.1.
#
# Builds domain-lock.wcsp with ../../build/wcspc (run `make all` in the repository root
# first), starts the server on a free loopback port, sends the connect hooks WCS would send
# for pages on our sites, on foreign and look-alike sites, and for an RTMP encoder, prints
# each request and reply on one line each, and checks the statuses and fields. Exits 0 when
# every check holds, 1 otherwise. The server is stopped whatever happens.
set -u
here=$(cd "$(dirname "$0")" && pwd)
NAME=domain-lock

# shellcheck source=../lib.sh
. "$here/../lib.sh"


# ------------------------------------------------------------------ the WCS traffic
node='"nodeId":"H4gfHeULtX6ddGGUWwZxhUNyqZHUFH8j@192.168.1.59"'
# connect BROWSER-IP:PORT ORIGIN-FIELD: a Web SDK connect body (ORIGIN-FIELD may be empty)
connect_body() {
	printf '{%s,"appKey":"defaultApp","sessionId":"/%s/192.168.1.59:8443","useWsTunnel":false,"useWsTunnelPacketization2":false,"useBase64BinaryEncoding":false,"mediaProviders":["WebRTC","MSE","WSPlayer"],"clientVersion":"2.0.245","clientOSVersion":"5.0 (Windows)","clientBrowserVersion":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","msePacketizationVersion":2,"keepAlive":false%s}' \
		"$node" "$1" "${2:+,$2}"
}

echo
echo "== 1. a page on www.example.com opens a session"
body=$(connect_body 192.168.1.38:64604 '"origin":"https://www.example.com"')
hook connect "$body"
check "connect is allowed" is 200
check "the reply is the request, byte for byte (no restClientConfig needed)" echoed "$body"

echo
echo "== 2. a subdomain on WCS's demo port, and a listed partner"
body=$(connect_body 192.168.1.40:50110 '"origin":"https://live.example.com:8888"')
hook connect "$body"
check "a subdomain with a port is allowed" is 200
body=$(connect_body 198.51.100.23:40022 '"origin":"https://partner.example.net"')
hook connect "$body"
check "a listed partner is allowed" is 200
check "the reply is the request, byte for byte" echoed "$body"

echo
echo "== 3. a foreign site embeds our player"
body=$(connect_body 203.0.113.50:61001 '"origin":"https://evil.example.org"')
hook connect "$body"
check "connect is refused with 403" is 403
check "the reply says why" echoed '{"error":"denied","reason":"unknown site"}'

echo
echo "== 4. look-alikes"
body=$(connect_body 203.0.113.50:61002 '"origin":"https://example.com.evil.org"')
hook connect "$body"
check "a look-alike suffix is refused" is 403
check "as an unknown site" has '"reason":"unknown site"'
body=$(connect_body 203.0.113.50:61003 '"origin":"https://evil.org/x.example.com"')
hook connect "$body"
check "a path that ends like our domain is refused" is 403
check "as a malformed origin" has '"reason":"malformed origin"'
body=$(connect_body 203.0.113.50:61004 '"origin":"https://www.example.com@evil.org"')
hook connect "$body"
check "a user part in front of another host is refused" is 403
check "as a malformed origin" has '"reason":"malformed origin"'

echo
echo "== 5. a session that reports no origin at all"
body=$(connect_body 203.0.113.50:61005 '')
hook connect "$body"
check "connect is refused with 403" is 403

echo
echo "== 6. an RTMP encoder (rtmp://wcs:1935/live/van): appKey flashStreamingApp, no origin"
body='{'$node',"appKey":"flashStreamingApp","sessionId":"/203.0.113.9:50012/192.168.1.59:1935","login":"rQq83sodiCPY0pJXCxGO","custom":{}}'
hook connect "$body"
check "the encoder connects" is 200
check "the reply is the request, byte for byte" echoed "$body"

echo
echo "== 7. the allowed session's later hooks are not this policy's business: echoed"
body='{'$node',"appKey":"defaultApp","sessionId":"/192.168.1.38:64604/192.168.1.59:8443","mediaSessionId":"56141d10-fddc-11e6-ac3a-4d67d5b3360d","name":"b4e7","published":true,"hasVideo":true,"hasAudio":true,"status":"PENDING","sdp":"v=0\r\no=- 1988962254 1988962254 IN IP4 0.0.0.0\r\n","record":false,"mediaProvider":"WebRTC"}'
hook publishStream "$body"
check "publishStream is echoed" echoed "$body"
body='{'$node',"appKey":"defaultApp","sessionId":"/192.168.1.38:64604/192.168.1.59:8443","status":"ESTABLISHED","origin":"https://www.example.com"}'
hook ConnectionStatusEvent "$body"
check "ConnectionStatusEvent is echoed" echoed "$body"

# ------------------------------------------------------------------ stop and report
finish
