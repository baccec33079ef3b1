/*
 * catalog.c -- the method catalog. One row per WCS hook; the order is the documentation's
 * (connect, direct invocations, events, incoming). The compiler checks policies against it;
 * the server labels its metrics with its names.
 * Both spellings WCS's pages use are kept where they differ (sendDtmf/sendDTMF,
 * sendBugReport/submitBugReport): which one a given WCS build sends is not documented.
 * SubscriptionStatusEvent, XcapStatusEvent, sendStreamEvent and StreamEvent come from the
 * event list of WCS's own method-type page (shared/seeds), which the hook reference lacks.
 */
#include <string.h>
#include "catalog.h"

#define D WCSP_MT_DIRECT
#define E WCSP_MT_EVENT
#define I WCSP_MT_INCOMING
#define Y CAT_REFUSE_YES
#define U CAT_REFUSE_UNADVISABLE
#define N CAT_REFUSE_NO
#define Q CAT_REFUSE_UNDOCUMENTED

const cat_method cat_methods[] = {
	{ "connect", WCSP_MT_CONNECT, Y, NULL },
	{ "call", D, Y, NULL },
	{ "answer", D, Y, NULL },
	{ "hold", D, Y, NULL },
	{ "unhold", D, Y, NULL },
	{ "transfer", D, Y, NULL },
	{ "sendDtmf", D, Y, NULL },
	{ "sendDTMF", D, Y, NULL },
	{ "sendMessage", D, Y, NULL },
	{ "sendIMDN", D, Y, NULL },
	{ "subscribe", D, Y, NULL },
	{ "sendXcapRequest", D, Y, NULL },
	{ "publishStream", D, Y, "name" },
	{ "playStream", D, Y, "name" },
	{ "playHLS", D, Y, NULL },
	{ "playRTSP", D, Y, NULL },
	{ "OnDataEvent", D, Y, NULL },
	{ "sendBugReport", D, Y, NULL },
	{ "submitBugReport", D, Y, NULL },
	{ "pauseStream", D, Q, NULL },
	{ "snapshot", D, Q, NULL },
	{ "pushLogs", D, Q, NULL },
	{ "sessionDebug", D, Q, NULL },
	{ "hangup", D, U, NULL },
	{ "unPublishStream", D, U, NULL },
	{ "stopStream", D, U, NULL },
	{ "ConnectionStatusEvent", E, N, NULL },
	{ "RegistrationStatusEvent", E, N, NULL },
	{ "CallStatusEvent", E, N, NULL },
	{ "TransferStatusEvent", E, N, NULL },
	{ "MessageStatusEvent", E, N, NULL },
	{ "SubscriptionStatusEvent", E, N, NULL },
	{ "XcapStatusEvent", E, N, NULL },
	{ "StreamStatusEvent", E, N, NULL },
	{ "StreamKeepAliveEvent", E, Y, NULL },   /* a 403 with restOnError FAIL stops the stream */
	{ "SessionDebugStatusEvent", E, N, NULL },
	{ "DataStatusEvent", E, N, NULL },
	{ "BugReportStatusEvent", E, N, NULL },
	{ "ErrorEvent", E, N, NULL },
	{ "sendStreamEvent", E, N, NULL },
	{ "StreamEvent", E, N, NULL },
	{ "OnCallEvent", I, Y, NULL },
	{ "OnMessageEvent", I, Q, NULL },
	{ "OnTransferEvent", I, Y, NULL },
};
const int cat_nmethods = (int)(sizeof cat_methods / sizeof cat_methods[0]);

int cat_find(const char *name, size_t n)
{
	for (int i = 0; i < cat_nmethods; i++)
		if (strlen(cat_methods[i].name) == n && !memcmp(cat_methods[i].name, name, n))
			return i;
	return -1;
}
