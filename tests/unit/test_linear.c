/*
 * test_linear.c -- the request path costs time linear in the body, for every adversarial
 * shape: each shape is decided at about 128 KiB and at 8 times that, and the time ratio,
 * scaled to exactly 8 times the bytes, must stay under 10 (linear: 8; quadratic: 64). Times are
 * thread CPU time, the best of
 * several rounds of repeated calls, so other load on the machine matters little.
 * A ratio over the limit is measured again (up to ATTEMPTS times): load elsewhere on the
 * machine can slow one measurement, never speed one up.
 * A watchdog fails a shape that takes more than WATCHDOG_S seconds in all (a quadratic
 * path on a 1 MiB body takes minutes).
 * Links the tables of tests/unit/linear.wcsp.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "decide.h"

#define BASE (128 * 1024)
#define MAX_RATIO 10.0
#define ATTEMPTS 3
#define WATCHDOG_S 60

typedef struct buf {
	char *s;
	size_t n, cap;
} buf;

static void put(buf *b, const char *s, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
}

static void puts0(buf *b, const char *s) { put(b, s, strlen(s)); }

/* A body of about `size` bytes for one shape. */
typedef void shape_fn(buf *b, size_t size);

/* The plain shapes: head, then unit repeated up to the size, then tail. */
typedef struct repeat {
	const char *head, *unit, *tail;
} repeat;

static void repeated(buf *b, size_t size, const repeat *r)
{
	puts0(b, r->head);
	while (b->n < size)
		puts0(b, r->unit);
	puts0(b, r->tail);
}

static void deep_closed(buf *b, size_t size)
{
	puts0(b, "{\"a\":");
	for (size_t i = 0; i < size / 2; i++)
		puts0(b, "[");
	for (size_t i = 0; i < size / 2; i++)
		puts0(b, "]");
	puts0(b, "}");
}

static void deep_wide(buf *b, size_t size)     /* subtrees 63 deep, side by side */
{
	puts0(b, "{\"a\":[");
	for (int first = 1; b->n < size; first = 0) {
		if (!first)
			puts0(b, ",");
		for (int i = 0; i < 62; i++)
			puts0(b, "[");
		for (int i = 0; i < 62; i++)
			puts0(b, "]");
	}
	puts0(b, "]}");
}

/* An object of many keys after a few the policy reads; key i is printf(format, i). */
static void keys(buf *b, size_t size, const char *format)
{
	char k[300];
	puts0(b, "{\"name\":\"n\",\"custom\":{\"token\":\"x\"}");
	for (int i = 0; b->n < size; i++) {
		snprintf(k, sizeof k, format, i);
		puts0(b, k);
	}
	puts0(b, "}");
}

static void many_keys(buf *b, size_t size) { keys(b, size, ",\"k%d\":0"); }
static void escaped_keys(buf *b, size_t size) { keys(b, size, ",\"\\u006b\\u0065%d\":0"); }
static void prefix_keys(buf *b, size_t size)
{
	keys(b, size, ",\"prefixprefixprefixprefixprefixprefixprefixprefixprefixprefix"
	     "prefixprefixprefixprefixprefixprefixprefixprefixprefixprefix%d\":0");
}

static void equal_objects(buf *b, size_t size)  /* custom.a == custom.b, keys in other orders */
{
	char k[40];
	int n = (int)(size / 30);
	puts0(b, "{\"custom\":{\"a\":{");
	for (int i = 0; i < n; i++) {
		snprintf(k, sizeof k, "%s\"k%d\":%d", i ? "," : "", i, i);
		puts0(b, k);
	}
	puts0(b, "},\"b\":{");
	for (int i = n - 1; i >= 0; i--) {
		snprintf(k, sizeof k, "%s\"k%d\":%d.0", i < n - 1 ? "," : "", i, i);
		puts0(b, k);
	}
	puts0(b, "}}}");
}

static const struct {
	const char *name;
	shape_fn *fn;           /* or NULL: the repeat */
	repeat r;
	int status;             /* what the policy answers */
} shapes[] = {
	{ "deep nesting, unclosed", NULL, { "{\"a\":", "[", "" }, 400 },
	{ "deep nesting, closed", deep_closed, { 0 }, 400 },
	{ "63-deep subtrees side by side", deep_wide, { 0 }, 200 },
	{ "many keys", many_keys, { 0 }, 200 },
	{ "many escaped keys", escaped_keys, { 0 }, 200 },
	{ "many keys with a long shared prefix", prefix_keys, { 0 }, 200 },
	{ "one long string (glob, interpolation)",
	  NULL,
	  { "{\"name\":\"", "zzzzzzzzzzzzzzzz", "\",\"custom\":{\"token\":\"x\"}}" },
	  200 },
	{ "unicode escape run",
	  NULL,
	  { "{\"name\":\"", "\\u00e9\\u007a\\ud83d\\ude00", "\"}" },
	  200 },
	{ "backslash escape run", NULL, { "{\"name\":\"", "\\\\\\\"\\/\\n", "\"}" }, 200 },
	{ "multi-byte UTF-8 text",
	  NULL,
	  { "{\"name\":\"",
	    "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xe2\x82\xac\xf0\x9f\x98\x80",
	    "\"}" },
	  200 },
	{ "huge number", NULL, { "{\"custom\":{\"n\":-", "1234567890", ".5e-3}}" }, 403 },
	{ "wide array", NULL, { "{\"a\":[0", ",1,true,null,\"s\"", "]}" }, 200 },
	{ "many small objects with escaped keys",
	  NULL,
	  { "{\"a\":[{}",
	    ",{\"\\u0061\":1,\"b\":2,\"\\u0063\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,"
	    "\"i\":9,\"j\":10,\"k\":11,\"l\":12,\"m\":13,\"n\":14,\"o\":15,\"p\":16}",
	    "]}" },
	  200 },
	{ "two large equal objects", equal_objects, { 0 }, 200 },
	{ "invalid UTF-8 at the end",
	  NULL,
	  { "{\"name\":\"", "plain text, then ", "\xc3\x28\"}" },
	  400 },
};

static const char *current;

static void watchdog(int sig)
{
	(void)sig;
	static const char a[] = "FAIL linear cost ";
	static const char b[] = ": over the watchdog's time (superlinear)\n";
	/* a signal handler: write(2) only, and a failed write changes nothing (_FORTIFY_SOURCE
	 * wants each result looked at) */
	if (write(1, a, sizeof a - 1) < 0 || write(1, current, strlen(current)) < 0)
		_exit(1);
	if (write(1, b, sizeof b - 1) < 0)
		_exit(1);
	_exit(1);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static wcsp_ctx ctx;

/* Seconds per decision of body b: the best of 5 rounds of repeated calls. */
static double cost(const buf *b, int *status)
{
	double best = 1e9;
	for (int round = 0; round < 5; round++) {
		int calls = 0;
		double t0 = now_s(), t;
		do {
			wcsp_reply r;
			*status = wcsp_decide(&wcsp_compiled_policy, &ctx, "publishStream", 13,
					      b->s, b->n, &r);
			wcsp_reply_free(&r);
			calls++;
		} while ((t = now_s() - t0) < 0.02 && calls < 1000);
		if (t / calls < best)
			best = t / calls;
	}
	return best;
}

int main(void)
{
	int failed = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, watchdog);
	wcsp_ctx_init(&ctx);
	for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
		buf small = { 0 }, large = { 0 };
		int s1, s2;
		current = shapes[i].name;
		alarm(WATCHDOG_S);
		if (shapes[i].fn) {
			shapes[i].fn(&small, BASE);
			shapes[i].fn(&large, 8 * BASE);
		} else {
			repeated(&small, BASE, &shapes[i].r);
			repeated(&large, 8 * BASE, &shapes[i].r);
		}
		/* bodies are only about 1:8: scale to exactly 8 times the bytes. Noise only ever
		 * inflates a time, so a ratio over the limit is measured again, up to ATTEMPTS
		 * times: a superlinear shape stays over it on every attempt. */
		double t1 = 0, t8 = 0, ratio = 1e9;
		for (int a = 0; a < ATTEMPTS && ratio > MAX_RATIO; a++) {
			t1 = cost(&small, &s1);
			t8 = cost(&large, &s2);
			ratio = t8 / t1 * (8.0 * (double)small.n / (double)large.n);
		}
		alarm(0);
		if (s1 != shapes[i].status || s2 != shapes[i].status) {
			printf("FAIL linear cost %s: status %d and %d, want %d\n", current, s1, s2,
			    shapes[i].status);
			failed++;
		} else if (ratio > MAX_RATIO) {
			printf("FAIL linear cost %s: %zu B %.3f ms, %zu B %.3f ms: ratio %.1f > "
			       "%.0f\n",
			       current, small.n, t1 * 1e3, large.n, t8 * 1e3, ratio, MAX_RATIO);
			failed++;
		} else
			printf("PASS linear cost %s (ratio %.1f for 8x the bytes)\n", current,
			       ratio);
		printf("INFO linear %-40s %8zu B %8.3f ms %8zu B %8.3f ms  x%.1f\n", current,
		       small.n, t1 * 1e3, large.n, t8 * 1e3, ratio);
		free(small.s);
		free(large.s);
	}
	wcsp_ctx_free(&ctx);
	return failed ? 1 : 0;
}
