/*
 * catalog.c -- the method catalog. One row per WCS hook; the order is the documentation's
 * (connect, direct invocations, events, incoming) and is the order restClientConfig lists.
 * Both spellings WCS's pages use are kept where they differ (sendDtmf/sendDTMF,
 * sendBugReport/submitBugReport): which one a given WCS build sends is not documented.
 * SubscriptionStatusEvent, XcapStatusEvent, sendStreamEvent and StreamEvent come from the
 * event list of WCS's own method-type page (shared/seeds), which the hook reference lacks.
 */
#include <string.h>
#include <ctype.h>
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

/* Levenshtein distance, case-insensitive, on short names (<= 63 bytes). */
static size_t distance(const char *a, size_t na, const char *b, size_t nb)
{
	size_t row[64];
	if (na > 63 || nb > 63)
		return (size_t)-1;
	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = diag + cost;
			if (up + 1 < best) best = up + 1;
			if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[nb];
}

const char *cat_suggest(const char *name, size_t n)
{
	const char *best = NULL;
	size_t bd = (size_t)-1;
	for (int i = 0; i < cat_nmethods; i++) {
		const char *c = cat_methods[i].name;
		size_t d = distance(name, n, c, strlen(c));
		if (d < bd) { bd = d; best = c; }
	}
	/* close enough: at most a third of the name, and at least one edit allowed */
	size_t limit = n / 3 > 1 ? n / 3 : 2;
	return bd <= limit ? best : NULL;
}
