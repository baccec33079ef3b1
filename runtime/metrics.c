/*
 * metrics.c -- lock-free counters sized from the policy, Prometheus text exposition 0.0.4.
 *
 * req[] holds one counter per (app row, method row, decision): app rows are the policy's
 * apps[0..napps) plus "(other)" at napps, method rows its methods[0..nmethods) plus
 * "(other)" at nmethods. The histogram keeps per-bucket (not cumulative) counts and the sum
 * in microseconds; rendering accumulates, and derives _count from the buckets so that the
 * +Inf bucket and _count always agree. Zero request series are not rendered.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

#define OTHER "(other)"
#define NBUCKETS 9

typedef _Atomic unsigned long long counter;

const char *const met_decision_names[MET_NDECISIONS] = { "allow", "deny", "echo", "bad" };
const char *const met_reason_names[MET_NREASONS] = {
	"bad_json", "too_large", "not_found", "bad_method", "signature", "accept", "too_slow",
	"framing"
};

/* Upper bounds in microseconds, and as Prometheus writes them; the last is +Inf. */
static const unsigned long long bucket_us[NBUCKETS - 1] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 50000
};
static const char *const bucket_le[NBUCKETS] = {
	"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.05", "+Inf"
};

static const wcsp_policy *pol;
static counter *req;
static size_t nreq;
static counter rejects[MET_NREASONS];
static counter buckets[NBUCKETS];
static counter sum_us;

static void
bump(counter *c, unsigned long long n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static unsigned long long
get(counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

int
met_init(const wcsp_policy *p)
{
	size_t rows = ((size_t)p->napps + 1) * ((size_t)p->nmethods + 1), i;

	pol = p;
	nreq = rows * MET_NDECISIONS;
	if ((req = malloc(nreq * sizeof *req)) == NULL)
		return -1;
	for (i = 0; i < nreq; i++)
		atomic_init(&req[i], 0);
	return 0;
}

void
met_free(void)
{
	free(req);
	req = NULL;
}

void
met_request(const wcsp_reply *r)
{
	uint32_t m = r->method_row == WCSP_NONE ? pol->nmethods : r->method_row;

	bump(&req[((size_t)r->app_row * (pol->nmethods + 1) + m) * MET_NDECISIONS + r->decision], 1);
}

void
met_reject(enum met_reason r)
{
	bump(&rejects[r], 1);
}

void
met_latency(unsigned long long us)
{
	int b = 0;

	while (b < NBUCKETS - 1 && us > bucket_us[b])
		b++;
	bump(&buckets[b], 1);
	bump(&sum_us, us);
}

/* A label value: backslash, quote and newline escaped, as the text format wants. */
static void
label(FILE *f, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] == '"')
			fputc('\\', f);
		if (s[i] == '\n')
			fputs("\\n", f);
		else
			fputc(s[i], f);
	}
}

static void
header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
render_requests(FILE *f)
{
	uint32_t a, m, d;
	unsigned long long v;
	const wcsp_str *s;

	header(f, "wcsp_requests_total", "counter",
	    "Hook requests decided, by app, method and decision.");
	for (a = 0; a <= pol->napps; a++)
		for (m = 0; m <= pol->nmethods; m++)
			for (d = 0; d < MET_NDECISIONS; d++) {
				v = get(&req[((size_t)a * (pol->nmethods + 1) + m) *
				    MET_NDECISIONS + d]);
				if (v == 0)
					continue;
				fputs("wcsp_requests_total{app=\"", f);
				s = a < pol->napps ? &pol->apps[a].key : NULL;
				label(f, s ? s->s : OTHER, s ? s->n : strlen(OTHER));
				fputs("\",method=\"", f);
				s = m < pol->nmethods ? &pol->methods[m] : NULL;
				label(f, s ? s->s : OTHER, s ? s->n : strlen(OTHER));
				fprintf(f, "\",decision=\"%s\"} %llu\n", met_decision_names[d], v);
			}
}

char *
met_render(size_t *len)
{
	unsigned long long cum = 0, sum = get(&sum_us);
	char *buf = NULL;
	FILE *f;
	int i;

	if ((f = open_memstream(&buf, len)) == NULL)
		return NULL;
	render_requests(f);
	header(f, "wcsp_rejects_total", "counter", "Requests refused, by reason.");
	for (i = 0; i < MET_NREASONS; i++)
		fprintf(f, "wcsp_rejects_total{reason=\"%s\"} %llu\n", met_reason_names[i],
		    get(&rejects[i]));
	header(f, "wcsp_request_duration_seconds", "histogram",
	    "Time from the request headers to the queued reply.");
	for (i = 0; i < NBUCKETS; i++) {
		cum += get(&buckets[i]);
		fprintf(f, "wcsp_request_duration_seconds_bucket{le=\"%s\"} %llu\n",
		    bucket_le[i], cum);
	}
	fprintf(f, "wcsp_request_duration_seconds_sum %llu.%06llu\n", sum / 1000000,
	    sum % 1000000);
	fprintf(f, "wcsp_request_duration_seconds_count %llu\n", cum);
	header(f, "wcsp_policy_info", "gauge", "The compiled policy this server enforces.");
	fputs("wcsp_policy_info{name=\"", f);
	label(f, pol->name, strlen(pol->name));
	fputs("\",source=\"", f);
	label(f, pol->source, strlen(pol->source));
	fputs("\",sha256=\"", f);
	label(f, pol->hash, strlen(pol->hash));
	fputs("\"} 1\n", f);
	i = ferror(f);
	if (fclose(f) != 0 || i) {
		free(buf);
		return NULL;
	}
	return buf;
}
