/*
 * metrics.c -- lock-free counters sized from the policy, Prometheus text exposition 0.0.4.
 *
 * req[] holds one counter per (app slot, method label, decision).
 *   App slots: 0 .. napps-1 the policy's apps (their app rows), then "(none)", then
 *   MET_APPS_SEEN slots taken by the first other appKeys seen (seen[], filled once each,
 *   under seen_mu, published by nseen), then "(other)".
 *   Method labels: the catalog's names and the policy's, sorted by wcsp_key_cmp and
 *   distinct (mlabels[]); row_label[] maps the policy's method rows to them; nmlabels is
 *   "(other)".
 * The histogram keeps per-bucket (not cumulative) counts and the sum in microseconds;
 * rendering accumulates, and derives _count from the buckets so that the +Inf bucket and
 * _count always agree. Zero request series are not rendered.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "metrics.h"
#include "utf8.h"

#define NBUCKETS 9

typedef _Atomic unsigned long long counter;

const char *const met_reason_names[MET_NREASONS] = {
	"bad_json", "too_large", "not_found", "bad_method", "signature", "accept", "too_slow",
	"framing", "internal",
};
_Static_assert(sizeof met_reason_names / sizeof *met_reason_names == MET_NREASONS,
	       "one name per enum met_reason");

/* Upper bounds in microseconds, and as Prometheus writes them; the last is +Inf. */
static const unsigned long long bucket_us[NBUCKETS - 1] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 50000
};
static const char *const bucket_le[NBUCKETS] = {
	"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.05", "+Inf"
};

typedef struct seen_app {
	char key[sizeof ((wcsp_reply *)0)->app];
	size_t len;
} seen_app;

static const wcsp_policy *pol;
static counter *req;
static size_t nslots;                  /* napps + 1 + MET_APPS_SEEN + 1 */
static wcsp_str *mlabels;
static uint32_t nmlabels;
static uint32_t *row_label;            /* [nmethods] */
static seen_app seen[MET_APPS_SEEN];
static atomic_uint nseen;
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static counter rejects[MET_NREASONS];
static counter buckets[NBUCKETS];
static counter sum_us;
static counter reload_failures;
static counter reloads;
static counter reload_time;            /* Unix seconds of the last load that took */

static void bump(counter *c, unsigned long long n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}
static unsigned long long get(counter *c) { return atomic_load_explicit(c, memory_order_relaxed); }

static int label_cmp(const void *a, const void *b)
{
	const wcsp_str *x = a, *y = b;
	return wcsp_key_cmp(x->s, x->n, y->s, y->n);
}

/* The method label of name, or nmlabels: "(other)". */
static uint32_t method_label(const char *name, size_t n)
{
	uint32_t m = wcsp_str_search(mlabels, nmlabels, sizeof *mlabels, name, n);
	return m == WCSP_NONE ? nmlabels : m;
}

int met_init(const wcsp_policy *p)
{
	pol = p;
	nslots = (size_t)p->napps + 2 + MET_APPS_SEEN;
	mlabels = malloc(((size_t)cat_nmethods + p->nmethods) * sizeof *mlabels);
	row_label = malloc(((size_t)p->nmethods + 1) * sizeof *row_label);
	if (!mlabels || !row_label)
		return -1;
	nmlabels = 0;
	for (int i = 0; i < cat_nmethods; i++)
		mlabels[nmlabels++] =
			(wcsp_str){ cat_methods[i].name, (uint32_t)strlen(cat_methods[i].name) };
	for (uint32_t i = 0; i < p->nmethods; i++)
		mlabels[nmlabels++] = p->methods[i];
	qsort(mlabels, nmlabels, sizeof *mlabels, label_cmp);
	uint32_t kept = 0;
	for (uint32_t i = 0; i < nmlabels; i++)
		if (!kept || label_cmp(&mlabels[kept - 1], &mlabels[i]))
			mlabels[kept++] = mlabels[i];
	nmlabels = kept;
	for (uint32_t i = 0; i < p->nmethods; i++)
		row_label[i] = method_label(p->methods[i].s, p->methods[i].n);
	size_t n = nslots * (nmlabels + 1) * WCSP_NDECISIONS;
	/* calloc, not atomic_init in a loop: a lock-free atomic counter of all-zero bytes is 0,
	 * and the table's pages stay untouched (not resident) until a request counts there */
	_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "counters are plain lock-free words");
	if ((req = calloc(n, sizeof *req)) == NULL)
		return -1;
	atomic_store(&nseen, 0);
	return 0;
}

void met_free(void)
{
	free(req);
	free(mlabels);
	free(row_label);
	req = NULL;
	mlabels = NULL;
	row_label = NULL;
}

/* The app slot of a request decided by the default row: "(none)", a seen app, "(other)". */
static size_t seen_slot(const char *key, size_t len)
{
	size_t none = pol->napps, first = none + 1, other = first + MET_APPS_SEEN;
	if (len == 0)
		return none;
	unsigned n = atomic_load_explicit(&nseen, memory_order_acquire);
	for (unsigned i = 0; i < n; i++)
		if (seen[i].len == len && !memcmp(seen[i].key, key, len))
			return first + i;
	if (n == MET_APPS_SEEN)
		return other;
	pthread_mutex_lock(&seen_mu);
	size_t slot = other;
	n = atomic_load_explicit(&nseen, memory_order_relaxed);
	for (unsigned i = 0; i < n && slot == other; i++)
		if (seen[i].len == len && !memcmp(seen[i].key, key, len))
			slot = first + i;
	if (slot == other && n < MET_APPS_SEEN) {
		memcpy(seen[n].key, key, len);
		seen[n].len = len;
		atomic_store_explicit(&nseen, n + 1, memory_order_release);
		slot = first + n;
	}
	pthread_mutex_unlock(&seen_mu);
	return slot;
}

void met_request(const wcsp_reply *r, const char *method, size_t mlen)
{
	size_t slot = r->app_row < pol->napps ? r->app_row : seen_slot(r->app, r->app_len);
	uint32_t m =
		r->method_row != WCSP_NONE ? row_label[r->method_row] : method_label(method, mlen);
	bump(&req[(slot * (nmlabels + 1) + m) * WCSP_NDECISIONS + r->decision], 1);
}

void met_reject(enum met_reason r) { bump(&rejects[r], 1); }

void met_reload(int ok, long long when)
{
	if (ok) {
		atomic_store_explicit(&reload_time, (unsigned long long)when, memory_order_relaxed);
		bump(&reloads, 1);
	} else
		bump(&reload_failures, 1);
}

void met_latency(unsigned long long us)
{
	int b = 0;
	while (b < NBUCKETS - 1 && us > bucket_us[b])
		b++;
	bump(&buckets[b], 1);
	bump(&sum_us, us);
}

/* A label value as the text format wants it: backslash, quote and newline escaped, other
 * control bytes and bytes that are not UTF-8 as U+FFFD. */
static void label(FILE *f, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(u + i, n - i);
		if (u[i] == '\\' || u[i] == '"')
			fprintf(f, "\\%c", u[i]);
		else if (u[i] == '\n')
			fputs("\\n", f);
		else if (!k || u[i] < 0x20)
			fputs("\xef\xbf\xbd", f);
		else
			fwrite(u + i, 1, k, f);
		i += k ? k : 1;
	}
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void app_label(FILE *f, size_t slot)
{
	size_t none = pol->napps, first = none + 1, other = first + MET_APPS_SEEN;
	if (slot < pol->napps)
		label(f, pol->apps[slot].key.s, pol->apps[slot].key.n);
	else if (slot == none)
		fputs("(none)", f);
	else if (slot < other)
		label(f, seen[slot - first].key, seen[slot - first].len);
	else
		fputs("(other)", f);
}

static void render_requests(FILE *f)
{
	header(f, "wcsp_requests_total", "counter",
	       "Hook requests decided, by app, method and decision.");
	for (size_t a = 0; a < nslots; a++)
		for (uint32_t m = 0; m <= nmlabels; m++)
			for (int d = 0; d < WCSP_NDECISIONS; d++) {
				unsigned long long v =
					get(&req[(a * (nmlabels + 1) + m) * WCSP_NDECISIONS + d]);
				if (v == 0)
					continue;
				fputs("wcsp_requests_total{app=\"", f);
				app_label(f, a);
				fputs("\",method=\"", f);
				if (m < nmlabels)
					label(f, mlabels[m].s, mlabels[m].n);
				else
					fputs("(other)", f);
				fprintf(f, "\",decision=\"%s\"} %llu\n", wcsp_decision_names[d], v);
			}
}

char *met_render(size_t *len)
{
	unsigned long long cum = 0, sum = get(&sum_us);
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (f == NULL)
		return NULL;
	render_requests(f);
	header(f, "wcsp_rejects_total", "counter", "Requests refused, by reason.");
	for (int i = 0; i < MET_NREASONS; i++)
		fprintf(f, "wcsp_rejects_total{reason=\"%s\"} %llu\n", met_reason_names[i],
			get(&rejects[i]));
	header(f, "wcsp_request_duration_seconds", "histogram",
	       "Time from the request headers to the queued reply.");
	for (int i = 0; i < NBUCKETS; i++) {
		cum += get(&buckets[i]);
		fprintf(f, "wcsp_request_duration_seconds_bucket{le=\"%s\"} %llu\n", bucket_le[i],
			cum);
	}
	fprintf(f, "wcsp_request_duration_seconds_sum %llu.%06llu\n", sum / 1000000, sum % 1000000);
	fprintf(f, "wcsp_request_duration_seconds_count %llu\n", cum);
	header(f, "wcsp_reloads_total", "counter",
	       "Loads of keys and live sets that took, the one at start included.");
	fprintf(f, "wcsp_reloads_total %llu\n", get(&reloads));
	header(f, "wcsp_reload_failures_total", "counter",
	       "Reloads (SIGHUP) of keys and live sets that failed and kept the old ones.");
	fprintf(f, "wcsp_reload_failures_total %llu\n", get(&reload_failures));
	header(f, "wcsp_reload_timestamp_seconds", "gauge",
	       "When keys and live sets were last loaded, at start or on SIGHUP (Unix time).");
	fprintf(f, "wcsp_reload_timestamp_seconds %llu\n", get(&reload_time));
	header(f, "wcsp_policy_info", "gauge", "The compiled policy this server enforces.");
	fputs("wcsp_policy_info{name=\"", f);
	label(f, pol->name, strlen(pol->name));
	fputs("\",source=\"", f);
	label(f, pol->source, strlen(pol->source));
	fputs("\",sha256=\"", f);
	label(f, pol->hash, strlen(pol->hash));
	fputs("\"} 1\n", f);
	int err = ferror(f);
	if (fclose(f) != 0 || err) {
		free(buf);
		return NULL;
	}
	return buf;
}
