/*
 * decide.h -- the one decision entry point. The server, `--eval`, `wcspc test` and the fuzz
 * targets all call wcsp_decide(); it knows nothing of HTTP (transport checks such as the
 * signature and the caller allowlist live in the server).
 */
#ifndef WCSP_DECIDE_H
#define WCSP_DECIDE_H

#include <stddef.h>
#include <stdint.h>
#include "wcsp_abi.h"
#include "json.h"
#include "splice.h"
#include "world.h"

#define WCSP_TOKEN_CACHE 1024   /* verified tokens one decision context keeps, by default */
#define WCSP_PATH_MEMO 16       /* request paths a context remembers within a request (2^k) */

enum wcsp_decision {
	WCSP_D_ALLOW,   /* 200, the request echoed with overrides spliced in */
	WCSP_D_DENY,    /* a deny rule decided: its status and JSON body */
	WCSP_D_ECHO,    /* the method is not in the policy: 200, the body unchanged */
	WCSP_D_BAD,     /* the body is not one valid JSON object: 400 */
	WCSP_D_ERROR    /* the server failed (out of memory): 500 */
};
#define WCSP_NDECISIONS 5

typedef struct wcsp_reply {
	int status;
	enum wcsp_decision decision;
	const char *body;      /* the reply bytes: the request itself, a rule's body, or owned */
	size_t len;
	char *owned;           /* a malloc'd reply body (spliced or an error) when the context
	                          has no reply buffer, else NULL */
	const char *rule;      /* "file:line" of the deciding rule, or NULL (default allow, echo) */
	const char *reason;    /* short reason for bad, and for a deny that reports a token's
	                          failure ("token expired"), else NULL */
	char app[64];          /* the request's appKey, decoded, cut to fit; "" when absent */
	size_t app_len;        /* its length: it may hold NUL bytes */
	uint32_t app_row;      /* the app row that decided: p->napps for the default row */
	uint32_t method_row;   /* the method's index in p->methods, or WCSP_NONE */
} wcsp_reply;

/* What one request knows of one token: checked on first use, at most once a request. */
typedef struct wcsp_tokstate {
	uint64_t gen;           /* == the context's gen: checked for the current request */
	int status;             /* -1 valid, else enum wcsp_token_failure (+ i: claim i missing) */
	char *payload;          /* [JWT_PAYLOAD_MAX]: the claims' JSON text, when valid */
	size_t plen;
	uint64_t parsed;        /* == gen: claims holds payload parsed (on a claim's first use) */
	wj_doc claims;
} wcsp_tokstate;

/* A request path looked up this request: when gen is the context's, row path's value in
 * the request is token tok (-1: missing). */
typedef struct wcsp_path_memo {
	uint64_t gen;
	uint32_t path;
	int tok;
} wcsp_path_memo;

/* Scratch state reused across calls (one per thread): the JSON document and buffers. */
typedef struct wcsp_ctx {
	wj_doc doc;
	sp_state splice;
	sp_edit *edits;
	size_t *eoff;           /* per edit: offset of its rendered template in tbuf */
	int capedits;
	char *scratch;          /* decoded strings and set keys of the current predicate */
	size_t scratch_cap;
	char *tbuf;             /* rendered template values of the current request */
	size_t ntbuf, captbuf;
	const char *force_app;  /* --eval --app KEY: decide as this appKey, not the body's */
	size_t force_app_len;
	uint8_t *rule_hit;      /* wcspc test --coverage: [nrules], set when a rule decides */
	uint8_t *ovr_hit;       /* [noverrides], set when an override is applied; NULL: off */
	int plain_walk;         /* tests: ignore the rule indexes, try every rule's guard */
	sp_buf *out;            /* where spliced replies and error bodies go (the server's, per
	                           connection, reused); NULL: a fresh malloc'd r->owned each */

	/* files, time and tokens: set by the caller before deciding */
	const wcsp_world *world;/* keys and live sets; NULL: none (tokens fail as "token key
	                           unknown", live sets are empty, ${KEY} digests never match) */
	long long clock;        /* >= 0: now is this (wcspc test's `clock N;`); -1: real time */
	unsigned token_cache;   /* verified tokens kept (WCSP_TOKEN_CACHE; 0: none) */

	/* per request */
	uint64_t gen;           /* counts requests: token states of an older gen are stale */
	wcsp_path_memo seen[WCSP_PATH_MEMO];    /* request paths resolved, by row mod size */
	long long now;          /* Unix seconds, read once a request */
	int oom;                /* memory ran out in a predicate: the reply is a 500 */
	wcsp_tokstate *tok;     /* [ntok], by token row */
	uint32_t ntok;
	void *jwt; /* the token code's cache and scratch (jwt_ops), made on first use */
	const struct wcsp_jwt_ops *jwt_ops;
	char *dbuf;             /* a digest's rendered template; zeroed after use (keys) */
	size_t capdbuf;
} wcsp_ctx;

void wcsp_ctx_init(wcsp_ctx *c);
void wcsp_ctx_free(wcsp_ctx *c);

/* Decide one request. method is the last URL path segment. Returns r->status.
 * The reply may point into body: keep body alive until the reply is sent. */
int wcsp_decide(const wcsp_policy *p, wcsp_ctx *c, const char *method, size_t mlen,
		const char *body, size_t len, wcsp_reply *r);

/* Parse body into c->doc for wcsp_holds(), and start a request (its now, its tokens
 * unchecked). 0, or -1 with *why. */
int wcsp_ctx_load(wcsp_ctx *c, const char *body, size_t len, const char **why);

/* Does condition row cond of p hold for the document loaded in c? */
int wcsp_holds(const wcsp_policy *p, wcsp_ctx *c, uint32_t cond);

/* Does the glob p[0..pn) (language.md's `~`: '*' any run of characters, '?' one, '\\' makes
 * the next byte literal) match all of the UTF-8 string s[0..sn)? */
int wcsp_glob(const char *p, size_t pn, const char *s, size_t sn);

/* Release r->owned. */
void wcsp_reply_free(wcsp_reply *r);

extern const char *const wcsp_decision_names[WCSP_NDECISIONS];   /* allow deny echo bad error */

/* The error reply every refusal carries: {"error":"ERROR","reason":"REASON"}, the reason
 * JSON-escaped. Written to out (NUL-terminated) when it fits in cap (6 * rlen + 24 +
 * strlen(error) is enough); returns its length, or 0. */
size_t wcsp_error_body(char *out, size_t cap, const char *error, const char *reason, size_t rlen);

/* The method's index in p->methods, or WCSP_NONE. */
uint32_t wcsp_find_method(const wcsp_policy *p, const char *m, size_t n);

#endif
