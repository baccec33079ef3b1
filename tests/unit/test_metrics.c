/*
 * test_metrics.c -- the label values /metrics gives requests: catalog and policy methods by
 * name, the policy's apps by name, the first MET_APPS_SEEN other appKeys by name, then
 * "(other)"; "(none)" without an appKey; label text escaped as the exposition format wants.
 * Also: a decision that runs out of memory is a 500 with decision "error", not a bad body.
 * Links the tables of tests/unit/metrics.wcsp; malloc is wrapped (-Wl,--wrap=malloc) so that
 * a test can make it fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decide.h"
#include "metrics.h"

static int nfail;
static int malloc_fails;        /* while set, malloc returns NULL */

void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n)
{
	return malloc_fails ? NULL : __real_malloc(n);
}

static void result(const char *name, int ok, const char *what)
{
	printf(ok ? "PASS %s\n" : "FAIL %s: %s\n", name, what);
	nfail += !ok;
}

static wcsp_ctx ctx;

static void request(const char *method, const char *body)
{
	wcsp_reply r;
	wcsp_decide(&wcsp_compiled_policy, &ctx, method, strlen(method), body, strlen(body), &r);
	met_request(&r, method, strlen(method));
	wcsp_reply_free(&r);
}

static int has(const char *text, const char *line)
{
	char want[512];
	snprintf(want, sizeof want, "\n%s\n", line);
	return strstr(text, want) != NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	wcsp_ctx_init(&ctx);
	if (met_init(&wcsp_compiled_policy)) {
		puts("FAIL met_init");
		return 1;
	}
	request("publishStream", "{\"appKey\":\"defaultApp\"}");
	request("playStream", "{\"appKey\":\"defaultApp\"}");
	request("playStream", "{\"appKey\":\"liveApp\"}");
	request("StreamStatusEvent", "{\"appKey\":\"liveApp\"}");
	request("futureHook", "{}");
	request("noSuchHook", "{\"appKey\":\"liveApp\"}");
	request("noSuchHook", "{\"appKey\":\"liveApp\"}");
	request("connect", "{\"appKey\":\"bad\\\"app\\\\\\n\\u00ff\\u0001\"}");
	for (int i = 0; i < MET_APPS_SEEN + 5; i++) {
		char body[64];
		snprintf(body, sizeof body, "{\"appKey\":\"app%d\"}", i);
		request("connect", body);
	}
	request("connect", "{\"appKey\":\"app3\"}");
	malloc_fails = 1;       /* the 400 reply of a bad body cannot be allocated */
	wcsp_reply r;
	int st = wcsp_decide(&wcsp_compiled_policy, &ctx, "connect", 7, "{", 1, &r);
	malloc_fails = 0;
	result("out of memory: 500, decision error", st == 500 && r.decision == WCSP_D_ERROR &&
	       strstr(r.body, "out of memory"), "not a 500 error");
	met_request(&r, "connect", 7);
	wcsp_reply_free(&r);

	size_t n;
	char *text = met_render(&n);
	if (!text) {
		puts("FAIL met_render");
		return 1;
	}
	static const struct { const char *name, *line;
	} want[] = {
		{ "policy app, policy method",
		  "wcsp_requests_total{app=\"defaultApp\",method=\"publishStream\","
		  "decision=\"deny\"} 1" },
		{ "policy app, a method only another app names",
		  "wcsp_requests_total{app=\"defaultApp\",method=\"playStream\","
		  "decision=\"allow\"} 1" },
		{ "another policy app",
		  "wcsp_requests_total{app=\"liveApp\",method=\"playStream\",decision=\"allow\"} "
		  "1" },
		{ "a catalog method no block names",
		  "wcsp_requests_total{app=\"liveApp\",method=\"StreamStatusEvent\","
		  "decision=\"echo\"} 1" },
		{ "a custom method, no appKey",
		  "wcsp_requests_total{app=\"(none)\",method=\"futureHook\",decision=\"allow\"} "
		  "1" },
		{ "an unknown method",
		  "wcsp_requests_total{app=\"liveApp\",method=\"(other)\",decision=\"echo\"} 2" },
		{ "an app first seen",
		  "wcsp_requests_total{app=\"app0\",method=\"connect\",decision=\"allow\"} 1" },
		{ "a seen app counted again",
		  "wcsp_requests_total{app=\"app3\",method=\"connect\",decision=\"allow\"} 2" },
		{ "label escaping",
		  "wcsp_requests_total{app=\"bad\\\"app\\\\\\n\xc3\xbf\xef\xbf\xbd\","
		  "method=\"connect\",decision=\"allow\"} 1" },
		{ "apps past the cap are (other)",
		  "wcsp_requests_total{app=\"(other)\",method=\"connect\",decision=\"allow\"} 6" },
		{ "out of memory counted as error",
		  "wcsp_requests_total{app=\"(none)\",method=\"connect\",decision=\"error\"} 1" },
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		result(want[i].name, has(text, want[i].line), want[i].line);
	char last[32];
	snprintf(last, sizeof last, "app=\"app%d\"", MET_APPS_SEEN - 2);
	result("the cap: the first apps seen keep their label", strstr(text, last) != NULL, last);
	snprintf(last, sizeof last, "app=\"app%d\"", MET_APPS_SEEN - 1);
	result("the cap: one slot went to the escaped app", strstr(text, last) == NULL, last);
	result("reject reason internal",
	       strstr(text, "wcsp_rejects_total{reason=\"internal\"} 0") != NULL, "missing");
	free(text);
	met_free();
	wcsp_ctx_free(&ctx);
	return nfail ? 1 : 0;
}
