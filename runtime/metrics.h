/*
 * metrics.h -- request counters and the latency histogram, rendered as Prometheus text.
 *
 * Counters are C11 atomics updated with relaxed order: no locks on the request path, and a
 * scrape sees each counter exact but the set of them only roughly simultaneous.
 * Label values come only from the policy: an appKey or method the policy does not name is
 * counted under "(other)", so a caller cannot grow the number of series.
 *
 *   wcsp_requests_total{app,method,decision}   hook requests that reached the decision
 *   wcsp_rejects_total{reason}                 requests refused (bad_json counts decision bad)
 *   wcsp_request_duration_seconds              histogram over every request the access log sees
 *   wcsp_policy_info{name,source,sha256}       always 1
 */
#ifndef WCSP_METRICS_H
#define WCSP_METRICS_H

#include <stddef.h>
#include "decide.h"

enum met_reason {
	MET_BAD_JSON, MET_TOO_LARGE, MET_NOT_FOUND, MET_BAD_METHOD, MET_SIGNATURE, MET_ACCEPT,
	MET_TOO_SLOW, MET_FRAMING,
	MET_NREASONS
};

#define MET_NDECISIONS 4    /* enum wcsp_decision */

extern const char *const met_decision_names[MET_NDECISIONS];   /* allow deny echo bad */
extern const char *const met_reason_names[MET_NREASONS];       /* bad_json too_large ... */

/* Size the counters for policy p (kept for rendering). 0, or -1 when out of memory. */
int met_init(const wcsp_policy *p);
void met_free(void);

/* app: the decoded appKey ("" when absent); method: the hook method from the URL. */
void met_request(const wcsp_reply *r);
void met_reject(enum met_reason r);
void met_latency(unsigned long long us);

/* The exposition text, malloc'd (the caller frees it), or NULL when out of memory. */
char *met_render(size_t *len);

#endif
