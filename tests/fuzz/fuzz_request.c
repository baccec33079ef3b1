/*
 * fuzz_request.c -- libFuzzer target for the request path: wcsp_decide() over the tables
 * of tests/fuzz/request.wcsp (emitted at build time by `wcspc emit`, see fuzz.mk).
 *
 * Input: byte 0 picks the method: methods[b % (nmethods + 1)], the last choice being a
 * method the policy does not name; the remaining bytes are the request body.
 *
 * What every reply must satisfy (abort() with a description otherwise):
 *   - status 400 (decision bad) exactly when wj_parse() refuses the body;
 *   - the app row is the body's appKey when an app block names it, else the default row;
 *   - a method the policy does not name is echoed byte for byte;
 *   - a deny has a 4xx/5xx status, names its rule, and its body is a JSON object
 *     {"error":"denied","reason":"..."};
 *   - an allowed reply is a valid JSON object; every top-level field of the request that no
 *     override of this (app, method) touches (nor restClientConfig on connect) comes back
 *     with the same bytes, and no other field appears; on connect, restClientConfig is
 *     exactly the app's derived one; a field whose last override is unconditional and
 *     constant holds that constant;
 *   - deciding the same input twice with the same (reused) context gives the same reply;
 *   - for an accepted body, the tables wj_parse() builds agree with jsmn's byte spans:
 *     next[] (one past each subtree), esc[] (a backslash in the string), and the sorted keys
 *     of large objects (strictly increasing by decoded bytes, so no duplicates).
 * At start-up it also checks the tables against this file's list of overridden top-level
 * names (kept by hand from request.wcsp) and every restClientConfig against the chains.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"

#define P (&wcsp_compiled_policy)

/* The top-level names request.wcsp overrides somewhere (by hand; checked against the tables). */
static const char *const policy_overrides[] = {
	"custom", "name", "record", "meta-data", "tags", "rate", "note", "login", "published",
	"hasVideo", "wcspChecked", "payload", "status",
};
#define NPOLICY_OVERRIDES (sizeof policy_overrides / sizeof *policy_overrides)

static const char unknown_method[] = "FutureHookEvent";

static wcsp_ctx ctx;
static wj_doc req, rep;
static char *keybuf;
static size_t keycap;

/* what is being decided, for failure reports */
static const char *cur_method = "";
static const char *cur_body = "";
static size_t cur_len;
static const wcsp_reply *cur_reply;

static void show(const char *label, const char *s, size_t n)
{
	fprintf(stderr, "%s (%zu bytes): ", label, n);
	for (size_t i = 0; i < n && i < 600; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f)
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fputs(n > 600 ? "...\n" : "\n", stderr);
}

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;
	fputs("fuzz_request: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nmethod: %s\n", cur_method);
	show("request", cur_body, cur_len);
	if (cur_reply) {
		fprintf(stderr, "reply status %d, decision %d, rule %s\n", cur_reply->status,
			(int)cur_reply->decision, cur_reply->rule ? cur_reply->rule : "-");
		show("reply", cur_reply->body, cur_reply->len);
	}
	abort();
}

/* ------------------------------------------------------------------ small helpers */

typedef struct names {
	const char *s[64];
	size_t n[64];
	int count;
} names;

static int names_has(const names *ns, const char *s, size_t n)
{
	for (int i = 0; i < ns->count; i++)
		if (ns->n[i] == n && !memcmp(ns->s[i], s, n))
			return 1;
	return 0;
}

static void names_add(names *ns, const char *s, size_t n)
{
	if (names_has(ns, s, n))
		return;
	if (ns->count == 64)
		fail("more than 64 overridden names: raise the limit");
	ns->s[ns->count] = s;
	ns->n[ns->count++] = n;
}

/* The top-level names the overrides of one (app row, method) chain write, first use first. */
static void chain_names(uint32_t row, uint32_t m, names *ns)
{
	const wcsp_chain *ch = &P->apps[row].chains[m];
	ns->count = 0;
	for (uint32_t i = 0; i < ch->novr; i++) {
		const wcsp_override *o = &P->overrides[wcsp_ix(P->chain_items, ch->ovr_first + i)];
		const wcsp_path *path = &P->paths[o->path];
		if (!path->nseg)
			fail("override at %s has an empty path", o->loc);
		names_add(ns, path->seg[0].s, path->seg[0].n);
	}
}

/* Decoded text of string token t of d (valid until the next call). */
static const char *decoded(const wj_doc *d, int t, size_t *n)
{
	size_t need = (size_t)(d->tok[t].end - d->tok[t].start) + 1;
	if (need > keycap) {
		char *k = realloc(keybuf, need);
		if (!k)
			fail("out of memory");
		keybuf = k;
		keycap = need;
	}
	*n = wj_str_decode(d, t, keybuf);
	return keybuf;
}

static int raw_equal(const wj_doc *a, int ta, const wj_doc *b, int tb)
{
	size_t a0, a1, b0, b1;
	wj_span(a, ta, &a0, &a1);
	wj_span(b, tb, &b0, &b1);
	return a1 - a0 == b1 - b0 && !memcmp(a->buf + a0, b->buf + b0, a1 - a0);
}

static int raw_is(const wj_doc *d, int t, const char *s, size_t n)
{
	size_t a, b;
	wj_span(d, t, &a, &b);
	return b - a == n && !memcmp(d->buf + a, s, n);
}

/* ------------------------------------------------------------------ start-up checks */

/* The restClientConfig of app row `row` agrees with the chains: restOverwrite lists the
 * top-level names the chain's overrides write, in first-use order; OVERWRITE iff any. */
static void check_rcc(uint32_t row)
{
	const wcsp_str *rcc = &P->apps[row].rcc;
	const char *why;
	wj_doc d;
	if (!rcc->n)
		return;
	wj_init(&d);
	if (wj_parse(&d, rcc->s, rcc->n, &why))
		fail("restClientConfig of app row %u is not a JSON object: %s", row, why);
	for (int k = 1; k < d.next[0]; k = d.next[k + 1]) {
		size_t n;
		const char *name = decoded(&d, k, &n);
		uint32_t m = wcsp_find_method(P, name, n);
		if (m == WCSP_NONE)
			fail("restClientConfig of app row %u names %.*s, which is not in the "
			     "method table",
			     row, (int)n, name);
		if (m == P->connect)
			fail("restClientConfig of app row %u has an entry for connect", row);
		names ns;
		chain_names(row, m, &ns);
		char want[1024];
		size_t w = 0;
		for (int i = 0; i < ns.count; i++)
			w += (size_t)snprintf(want + w, sizeof want - w, "%s%.*s", i ? "," : "",
					      (int)ns.n[i], ns.s[i]);
		int ov = wj_get(&d, k + 1, "restOverwrite", 13),
		    po = wj_get(&d, k + 1, "restPolicy", 10);
		if (ov < 0 || po < 0 || wj_kind(&d, ov) != WJ_STRING ||
		    wj_kind(&d, po) != WJ_STRING)
			fail("restClientConfig entry %.*s of app row %u lacks "
			     "restOverwrite/restPolicy",
			     (int)n, name, row);
		if (!wj_str_eq(&d, ov, want, w))
			fail("restClientConfig of app row %u: %.*s restOverwrite is not \"%s\"",
			     row, (int)n, name, want);
		int overwrite = wj_str_eq(&d, po, "OVERWRITE", 9);
		if (overwrite != (ns.count > 0))
			fail("restClientConfig of app row %u: %.*s restPolicy disagrees with its "
			     "%d "
			     "overridden names",
			     row, (int)n, name, ns.count);
	}
	wj_free(&d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (P->abi != WCSP_ABI_VERSION || !P->nmethods || P->connect >= P->nmethods)
		fail("the compiled policy has ABI %u, %u methods, connect at %u", P->abi,
		     P->nmethods, P->connect);
	/* the hand list and the tables name the same overridden top-level fields */
	names all = { .count = 0 };
	for (uint32_t i = 0; i < P->noverrides; i++) {
		const wcsp_path *path = &P->paths[P->overrides[i].path];
		names_add(&all, path->seg[0].s, path->seg[0].n);
	}
	for (size_t i = 0; i < NPOLICY_OVERRIDES; i++)
		if (!names_has(&all, policy_overrides[i], strlen(policy_overrides[i])))
			fail("request.wcsp no longer overrides '%s': update policy_overrides[]",
			     policy_overrides[i]);
	for (int i = 0; i < all.count; i++) {
		size_t j;
		for (j = 0; j < NPOLICY_OVERRIDES; j++)
			if (strlen(policy_overrides[j]) == all.n[i] &&
			    !memcmp(policy_overrides[j], all.s[i], all.n[i]))
				break;
		if (j == NPOLICY_OVERRIDES)
			fail("request.wcsp overrides '%.*s', which policy_overrides[] lacks",
			     (int)all.n[i], all.s[i]);
	}
	for (uint32_t row = 0; row <= P->napps; row++)
		check_rcc(row);
	wcsp_ctx_init(&ctx);
	wj_init(&req);
	wj_init(&rep);
	return 0;
}

/* ------------------------------------------------------------------ per input */

/* The app row the body's appKey selects (decided independently of decide.c). */
static uint32_t expected_row(void)
{
	int t = wj_get(&req, 0, "appKey", 6);
	if (t < 0 || wj_kind(&req, t) != WJ_STRING)
		return P->napps;
	size_t n;
	const char *k = decoded(&req, t, &n);
	for (uint32_t a = 0; a < P->napps; a++)
		if (P->apps[a].key.n == n && !memcmp(P->apps[a].key.s, k, n))
			return a;
	return P->napps;
}

static void check_deny(const wcsp_reply *r)
{
	const char *why;
	if (r->status < 401 || r->status > 599)
		fail("deny with status %d", r->status);
	if (!r->rule)
		fail("a deny that names no rule");
	if (wj_parse(&rep, r->body, r->len, &why))
		fail("deny body is not a JSON object: %s", why);
	int e = wj_get(&rep, 0, "error", 5), re = wj_get(&rep, 0, "reason", 6);
	if (e < 0 || !wj_str_eq(&rep, e, "denied", 6) || re < 0 || wj_kind(&rep, re) != WJ_STRING)
		fail("deny body is not {\"error\":\"denied\",\"reason\":...}");
}

static void check_allow(const wcsp_reply *r, uint32_t row, uint32_t m)
{
	const char *why;
	if (r->status != 200)
		fail("allow with status %d", r->status);
	if (wj_parse(&rep, r->body, r->len, &why))
		fail("the allowed reply is not a JSON object: %s", why);

	names touched;
	chain_names(row, m, &touched);
	const wcsp_str *rcc = &P->apps[row].rcc;
	int with_rcc = m == P->connect && rcc->n;
	if (with_rcc)
		names_add(&touched, "restClientConfig", 16);

	/* untouched request fields come back byte for byte */
	for (int k = 1; k < req.next[0]; k = req.next[k + 1]) {
		size_t n;
		const char *key = decoded(&req, k, &n);
		if (names_has(&touched, key, n))
			continue;
		int t = wj_get(&rep, 0, key, n);
		if (t < 0)
			fail("untouched field '%.*s' is missing from the reply", (int)n, key);
		if (!raw_equal(&req, k + 1, &rep, t))
			fail("untouched field '%.*s' changed in the reply", (int)n, key);
	}
	/* and nothing appears that no override writes */
	for (int k = 1; k < rep.next[0]; k = rep.next[k + 1]) {
		size_t n;
		const char *key = decoded(&rep, k, &n);
		if (!names_has(&touched, key, n) && wj_get(&req, 0, key, n) < 0)
			fail("the reply has a field '%.*s' that neither the request nor an "
			     "override has",
			     (int)n, key);
	}
	if (with_rcc) {
		int t = wj_get(&rep, 0, "restClientConfig", 16);
		if (t < 0 || !raw_is(&rep, t, rcc->s, rcc->n))
			fail("connect reply lacks the app's restClientConfig");
	}
	/* a field whose last override is unconditional and constant holds that constant */
	const wcsp_chain *ch = &P->apps[row].chains[m];
	for (int i = 0; i < touched.count; i++) {
		const wcsp_override *last = NULL;
		for (uint32_t j = 0; j < ch->novr; j++) {
			const wcsp_override *o =
				&P->overrides[wcsp_ix(P->chain_items, ch->ovr_first + j)];
			const wcsp_str *s0 = &P->paths[o->path].seg[0];
			if (s0->n == touched.n[i] && !memcmp(s0->s, touched.s[i], s0->n))
				last = o;
		}
		if (!last || last->cond != WCSP_NONE || P->paths[last->path].nseg != 1)
			continue;
		const wcsp_value *v = &P->values[last->value];
		if (v->kind > WCSP_V_NULL || (with_rcc && touched.n[i] == 16 &&
					      !memcmp(touched.s[i], "restClientConfig", 16)))
			continue;
		int t = wj_get(&rep, 0, touched.s[i], touched.n[i]);
		if (t < 0 || !raw_is(&rep, t, v->json.s, v->json.n))
			fail("field '%.*s' does not hold %.*s written by the unconditional "
			     "override at %s",
			     (int)touched.n[i], touched.s[i], (int)v->json.n, v->json.s, last->loc);
	}
}

/* The tables of an accepted document, recomputed from jsmn's spans alone. */
static void check_doc(const wj_doc *d)
{
	for (int i = 0; i < d->ntok; i++) {
		const jsmntok_t *t = &d->tok[i];
		int j = i + 1;
		while (j < d->ntok && d->tok[j].start < t->end)
			j++;
		if (d->next[i] != j)
			fail("next[%d] is %d, the spans say %d", i, d->next[i], j);
		int esc = t->type == JSMN_STRING &&
			  memchr(d->buf + t->start, '\\', (size_t)(t->end - t->start));
		if (!d->esc[i] != !esc)
			fail("esc[%d] is %d, the string says %d", i, d->esc[i], esc);
		if (t->type != JSMN_OBJECT) {
			if (d->order[i] != -1)
				fail("order[%d] set on a token that is not an object", i);
			continue;
		}
		if ((d->order[i] >= 0) != (t->size > WJ_SMALL_OBJECT))
			fail("object %d of %d keys has order %d", i, t->size, d->order[i]);
		if (d->order[i] < 0)
			continue;
		const int *k = d->sorted + d->order[i];
		for (int a = 1; a < t->size; a++) {
			size_t xn, yn;
			const char *x = decoded(d, k[a - 1], &xn);
			char *copy = malloc(xn + 1);
			if (!copy)
				fail("out of memory");
			memcpy(copy, x, xn);
			const char *y = decoded(d, k[a], &yn);
			int r = memcmp(copy, y, xn < yn ? xn : yn);
			free(copy);
			if (r > 0 || (r == 0 && xn >= yn))
				fail("keys of object %d are not strictly sorted at %d", i, a);
			if (wj_get(d, i, y, yn) != k[a] + 1)
				fail("wj_get does not find key %d of object %d", a, i);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t sel = data[0] % (P->nmethods + 1);
	const char *method = sel < P->nmethods ? P->methods[sel].s : unknown_method;
	size_t mlen = sel < P->nmethods ? P->methods[sel].n : sizeof unknown_method - 1;
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	cur_method = method;
	cur_body = body;
	cur_len = len;
	cur_reply = NULL;

	const char *why;
	int valid = wj_parse(&req, body, len, &why) == 0;
	if (valid)
		check_doc(&req);
	wcsp_reply r, again;
	int st = wcsp_decide(P, &ctx, method, mlen, body, len, &r);
	cur_reply = &r;
	if (st != r.status)
		fail("wcsp_decide returned %d, the reply says %d", st, r.status);
	if (!valid) {
		if (st != 400 || r.decision != WCSP_D_BAD)
			fail("wj_parse refuses the body (%s) but the decision is not 400 bad", why);
		if (wj_parse(&rep, r.body, r.len, &why))
			fail("the 400 body is not a JSON object: %s", why);
	} else {
		if (st == 400 || r.decision == WCSP_D_BAD)
			fail("400 for a body wj_parse accepts");
		uint32_t row = expected_row(), m = sel < P->nmethods ? sel : WCSP_NONE;
		if (r.app_row != row || r.method_row != m)
			fail("decided as app row %u, method row %u; want %u, %u", r.app_row,
			     r.method_row, row, m);
		switch (r.decision) {
		case WCSP_D_ECHO:
			if (m != WCSP_NONE)
				fail("a method the policy names was echoed");
			if (r.status != 200 || r.len != len || memcmp(r.body, body, len))
				fail("the echo differs from the request");
			break;
		case WCSP_D_DENY:
			check_deny(&r);
			break;
		case WCSP_D_ALLOW:
			if (m == WCSP_NONE)
				fail("a method the policy does not name was decided, not echoed");
			check_allow(&r, row, m);
			break;
		default:
			fail("unexpected decision %d", (int)r.decision);
		}
	}
	/* the same input again, on the context the first call left behind */
	wcsp_decide(P, &ctx, method, mlen, body, len, &again);
	if (again.status != r.status || again.decision != r.decision || again.len != r.len ||
	    memcmp(again.body, r.body, r.len) || again.rule != r.rule)
		fail("a second decision of the same input differs");
	wcsp_reply_free(&again);
	wcsp_reply_free(&r);
	cur_reply = NULL;
	return 0;
}
