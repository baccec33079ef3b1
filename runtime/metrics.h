/*
 * metrics.h -- request counters and the latency histogram, rendered as Prometheus text.
 *
 * Counters are C11 atomics updated with relaxed order: no locks on the request path, and a
 * scrape sees each counter exact but the set of them only roughly simultaneous.
 * Label values are bounded: methods are labelled by name when the catalog or the policy
 * knows them, apps by name when the policy names them or when they are among the first
 * MET_APPS_SEEN appKeys seen; everything else counts as "(other)", so a caller sending
 * random names cannot grow the number of series. A request without an appKey is "(none)".
 *
 *   wcsp_requests_total{app,method,decision}   hook requests that reached the decision
 *   wcsp_rejects_total{reason}                 requests refused before or by the decision
 *   wcsp_request_duration_seconds              histogram over every request the access log sees
 *   wcsp_reloads_total                         loads of keys and live sets that took
 *   wcsp_reload_failures_total                 SIGHUP reloads that failed (the old data stays)
 *   wcsp_reload_timestamp_seconds              when keys and live sets were last loaded
 *   wcsp_policy_info{name,source,sha256}       always 1
 */
#ifndef WCSP_METRICS_H
#define WCSP_METRICS_H

#include <stddef.h>
#include "decide.h"

#define MET_APPS_SEEN 64    /* appKeys outside the policy that get a label of their own */

enum met_reason {
	MET_BAD_JSON, MET_TOO_LARGE, MET_NOT_FOUND, MET_BAD_METHOD, MET_SIGNATURE, MET_ACCEPT,
	MET_TOO_SLOW, MET_FRAMING, MET_INTERNAL,
	MET_NREASONS
};

extern const char *const met_reason_names[MET_NREASONS];       /* bad_json too_large ... */

/* Size the counters for policy p (kept for rendering). 0, or -1 when out of memory. */
int met_init(const wcsp_policy *p);
void met_free(void);

/* A decided request: r's app and decision, and the hook method from the URL. */
void met_request(const wcsp_reply *r, const char *method, size_t mlen);
void met_reject(enum met_reason r);
void met_latency(unsigned long long us);
/* A load of keys and live sets: ok at Unix time when, or a failure. */
void met_reload(int ok, long long when);

/* The exposition text, malloc'd (the caller frees it), or NULL when out of memory. */
char *met_render(size_t *len);

#endif
