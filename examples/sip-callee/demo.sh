#!/usr/bin/env bash
# demo.sh -- outgoing and incoming SIP calls restricted by callee, over real HTTP on
# 127.0.0.1.
#
# Builds sip-callee.wcsp with ../../build/wcspc (run `make all` in the repository root
# first), starts the server on a free loopback port, sends the hooks WCS would send for a
# web phone registered as extension 1000 placing calls (`call`) and receiving them
# (`OnCallEvent`), prints each request and reply on one line each, and checks the statuses
# and fields. Exits 0 when every check holds, 1 otherwise. The server is stopped whatever
# happens.
set -u
here=$(cd "$(dirname "$0")" && pwd)
NAME=sip-callee

# shellcheck source=../lib.sh
. "$here/../lib.sh"


# ------------------------------------------------------------------ the WCS traffic
node='"nodeId":"ah20Lz2oVWLkXYGrrpVmTZNBYB0c8dyG@46.101.108.90"'
sid='"sessionId":"/192.168.1.45:53438/46.101.108.90:8443"'
sdp='"sdp":"v=0\r\no=- 1988962254 1988962254 IN IP4 0.0.0.0\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"'
# call_body CALL-ID CALLEE: extension 1000's outgoing call, as the Web SDK sends it
call_body() {
	printf '{%s,"appKey":"defaultApp",%s,"callId":"%s","incoming":false,"hasVideo":false,"hasAudio":true,"status":"PENDING","mediaProvider":"WebRTC",%s,"sipSDP":[],"caller":"1000","callee":"%s","visibleName":"Alice","custom":{}}' \
		"$node" "$sid" "$1" "$sdp" "$2"
}
# oncall_body CALL-ID CALLER CALLEE: a call coming in from the PBX
oncall_body() {
	printf '{%s,"appKey":"defaultApp",%s,"callId":"%s","incoming":true,"status":"PENDING","caller":"%s","callee":"%s","hasAudio":true,"hasVideo":false,"mediaProvider":"WebRTC","isMsrp":false,"holdForTransfer":false}' \
		"$node" "$sid" "$1" "$2" "$3"
}

echo
echo "== 1. the web phone registers as extension 1000: call and OnCallEvent get restOnError FAIL"
body='{'$node',"appKey":"defaultApp",'$sid',"useWsTunnel":false,"useWsTunnelPacketization2":false,"useBase64BinaryEncoding":false,"mediaProviders":["WebRTC"],"clientVersion":"2.0.245","clientOSVersion":"5.0 (X11)","clientBrowserVersion":"Mozilla/5.0 (X11; Linux x86_64)","msePacketizationVersion":2,"keepAlive":false,"sipLogin":"1000","sipAuthenticationName":"1000","sipPassword":"s3cret","sipDomain":"pbx.example.com","sipOutboundProxy":"pbx.example.com","sipProxy":"pbx.example.com","sipPort":5060,"sipRegisterRequired":true,"origin":"https://phone.example.com"}'
hook connect "$body"
check "connect is allowed" is 200
check "the reply is the request plus exactly the derived restClientConfig" echoed "${body%\}},\"restClientConfig\":$rcc}"
check "call: restOnError FAIL" has '"call":{"clientExclude":"","restExclude":"","restOnError":"FAIL","restPolicy":"NOTIFY","restOverwrite":""}'
check "OnCallEvent: restOnError FAIL" has '"OnCallEvent":{"clientExclude":"","restExclude":"","restOnError":"FAIL","restPolicy":"NOTIFY","restOverwrite":""}'

echo
echo "== 2. outgoing calls that go through"
body=$(call_body a1b2c3d4-0001 1001)
hook call "$body"
check "extension 1001: allowed, the reply is the request" echoed "$body"
body=$(call_body a1b2c3d4-0002 0301234567)
hook call "$body"
check "a national number: allowed" is 200
body=$(call_body a1b2c3d4-0003 112)
hook call "$body"
check "emergency 112: allowed" is 200

echo
echo "== 3. outgoing calls that are refused"
body=$(call_body a1b2c3d4-0004 900123456)
hook call "$body"
check "900 premium rate: 403" is 403
check "the reply says why" echoed '{"error":"denied","reason":"premium-rate numbers are barred"}'
body=$(call_body a1b2c3d4-0005 +499001234567)
hook call "$body"
check "+49 900 premium rate: 403" is 403
check "the reply says why" has '"reason":"premium-rate numbers are barred"'
body=$(call_body a1b2c3d4-0006 0044207946000)
hook call "$body"
check "international 00 44: 403" is 403
check "the reply says why" has '"reason":"international calls are barred"'
body=$(call_body a1b2c3d4-0007 5555)
hook call "$body"
check "an unknown short number: 403" is 403
check "the reply says why" has '"reason":"destination not allowed"'

echo
echo "== 4. incoming calls from the PBX"
body=$(oncall_body pbx-8BD6EE01@pbx.example.com +49301234567 1000)
hook OnCallEvent "$body"
check "an outside caller reaches extension 1000: allowed, the reply is the request" echoed "$body"
body=$(oncall_body pbx-8BD6EE02@pbx.example.com +49301234567 9001)
hook OnCallEvent "$body"
check "the IVR account 9001 takes no calls: 403 (WCS answers SIP 403 FORBIDDEN)" is 403
check "the reply says why" echoed '{"error":"denied","reason":"not an extension"}'
body=$(oncall_body pbx-8BD6EE03@pbx.example.com anonymous 1000)
hook OnCallEvent "$body"
check "a withheld caller: 403" is 403
check "the reply says why" has '"reason":"caller withheld"'

echo
echo "== 5. the call's later hooks are echoed"
body='{'$node',"appKey":"defaultApp",'$sid',"callId":"a1b2c3d4-0001","status":"ESTABLISHED","info":"","caller":"1000","callee":"1001"}'
hook CallStatusEvent "$body"
check "CallStatusEvent is echoed" echoed "$body"
body='{'$node',"appKey":"defaultApp",'$sid',"callId":"a1b2c3d4-0001"}'
hook hangup "$body"
check "hangup is echoed" echoed "$body"

# ------------------------------------------------------------------ stop and report
finish
