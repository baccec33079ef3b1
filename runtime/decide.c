/*
 * decide.c -- one decision over the tables: validate the body, find (app, method), walk
 * that chain's rules in file order (the first whose guard holds decides; none: allow),
 * then apply the overrides whose guards hold and splice the reply.
 *
 * Guards and interpolations read the request as received: every override value is
 * rendered before any is written. Cost per request: one validation pass over the body, a
 * binary search for the method and the app, and the chain's own rows; set membership is a
 * binary search over sorted canonical keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decide.h"
#include "utf8.h"

const char *const wcsp_decision_names[WCSP_NDECISIONS] = { "allow", "deny", "echo", "bad",
							   "error" };
_Static_assert(sizeof wcsp_decision_names / sizeof *wcsp_decision_names == WCSP_NDECISIONS,
	       "one name per enum wcsp_decision");

void wcsp_ctx_init(wcsp_ctx *c)
{
	memset(c, 0, sizeof *c);
	wj_init(&c->doc);
	sp_init(&c->splice);
}

void wcsp_ctx_free(wcsp_ctx *c)
{
	wj_free(&c->doc);
	sp_free(&c->splice);
	free(c->edits);
	free(c->eoff);
	free(c->scratch);
	free(c->tbuf);
	memset(c, 0, sizeof *c);
}

void wcsp_reply_free(wcsp_reply *r)
{
	free(r->owned);
	r->owned = NULL;
}

uint32_t wcsp_find_method(const wcsp_policy *p, const char *m, size_t n)
{
	return wcsp_str_search(p->methods, p->nmethods, sizeof *p->methods, m, n);
}

static int lookup(const wj_doc *d, const wcsp_path *p)
{
	int t = 0;
	for (uint32_t i = 0; i < p->nseg && t >= 0; i++)
		t = wj_kind(d, t) == WJ_OBJECT ? wj_get(d, t, p->seg[i].s, p->seg[i].n) : -1;
	return t;
}

/* Decoded text of string token t: raw bytes when it has no escape, else in scratch. */
static const char *text_of(wcsp_ctx *c, int t, size_t *n)
{
	const wj_doc *d = &c->doc;
	if (!d->esc[t]) {
		*n = (size_t)(d->tok[t].end - d->tok[t].start);
		return d->buf + d->tok[t].start;
	}
	*n = wj_str_decode(d, t, c->scratch + 1);
	return c->scratch + 1;
}

/* Length of the UTF-8 character at s (1 for a stray byte). */
static size_t char_len(const char *s, size_t n)
{
	size_t k = utf8_seq((const unsigned char *)s, n);
	return k ? k : 1;
}

/* Glob: '*' any run (also empty), '?' one character, '\\' makes the next byte literal,
 * everything else itself. One backtrack point suffices: on a mismatch resume after the
 * latest '*'. */
static int glob(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;
	while (si < sn) {
		int lit = pi + 1 < pn && p[pi] == '\\';
		if (pi < pn && p[pi] == '*') {
			star = ++pi;
			mark = si;
		} else if (pi < pn && p[pi] == '?') {
			pi++;
			si += char_len(s + si, sn - si);
		} else if (pi < pn && p[pi + lit] == s[si]) {
			pi += 1 + (size_t)lit;
			si++;
		} else if (star != (size_t)-1) {
			pi = star;
			si = mark += char_len(s + mark, sn - mark);
		} else
			return 0;
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

/* Binary search of key k among the set's sorted keys in the pool. */
static int in_set(const wcsp_policy *p, const wcsp_set *set, const char *k, size_t kn)
{
	uint32_t lo = 0, hi = set->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint32_t a = wcsp_ix(p->set_offsets, set->first + mid);
		uint32_t b = wcsp_ix(p->set_offsets, set->first + mid + 1);
		int r = wcsp_key_cmp(p->set_pool + a, b - a, k, kn);
		if (!r)
			return 1;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int member(wcsp_ctx *c, const wcsp_policy *p, const wcsp_set *set, int t)
{
	const wj_doc *d = &c->doc;
	char *k = c->scratch;
	size_t n;
	switch (wj_kind(d, t)) {
	case WJ_STRING: {
		const char *s = text_of(c, t, &n);
		k[0] = 's';
		if (s != k + 1)
			memcpy(k + 1, s, n);
		n++;
		break;
	}
	case WJ_NUMBER:
		n = wcsp_number_key(wj_number(d, t), k);
		break;
	case WJ_TRUE: k[0] = 't'; n = 1; break;
	case WJ_FALSE: k[0] = 'f'; n = 1; break;
	case WJ_NULL: k[0] = 'z'; n = 1; break;
	default: return 0;
	}
	return in_set(p, set, k, n);
}

static int equal(wcsp_ctx *c, int t, const wcsp_policy *p, const wcsp_value *v)
{
	const wj_doc *d = &c->doc;
	enum wj_kind k = wj_kind(d, t);
	switch (v->kind) {
	case WCSP_V_STRING: return k == WJ_STRING && wj_str_eq(d, t, v->str.s, v->str.n);
	case WCSP_V_NUMBER: return k == WJ_NUMBER && wj_number(d, t) == v->num;
	case WCSP_V_TRUE: return k == WJ_TRUE;
	case WCSP_V_FALSE: return k == WJ_FALSE;
	case WCSP_V_NULL: return k == WJ_NULL;
	case WCSP_V_PATH: {
		int u = lookup(d, &p->paths[v->path]);
		return u >= 0 && wj_equal(d, t, u);
	}
	}
	return 0;
}

static int holds(const wcsp_policy *p, wcsp_ctx *c, uint32_t ci)
{
	if (ci == WCSP_NONE)
		return 1;
	const wcsp_cond *k = &p->conds[ci];
	switch (k->op) {
	case WCSP_C_AND: return holds(p, c, k->a) && holds(p, c, k->b);
	case WCSP_C_OR: return holds(p, c, k->a) || holds(p, c, k->b);
	case WCSP_C_NOT: return !holds(p, c, k->a);
	default: break;
	}
	int t = lookup(&c->doc, &p->paths[k->a]);
	if (t < 0)
		return 0;       /* a predicate on a missing field is false */
	/* b is a value row for the comparisons and globs only (IN: a set, EXISTS: unused) */
	const wcsp_value *v =
		k->op == WCSP_C_IN || k->op == WCSP_C_EXISTS ? NULL : &p->values[k->b];
	switch (k->op) {
	case WCSP_C_EXISTS: return 1;
	case WCSP_C_EQ: return equal(c, t, p, v);
	case WCSP_C_NE:
		if (v->kind == WCSP_V_PATH && lookup(&c->doc, &p->paths[v->path]) < 0)
			return 0;
		return !equal(c, t, p, v);
	case WCSP_C_LT: case WCSP_C_LE: case WCSP_C_GT: case WCSP_C_GE: {
		if (wj_kind(&c->doc, t) != WJ_NUMBER)
			return 0;
		double x = wj_number(&c->doc, t);
		return k->op == WCSP_C_LT ? x < v->num : k->op == WCSP_C_LE ? x <= v->num
			: k->op == WCSP_C_GT ? x > v->num : x >= v->num;
	}
	case WCSP_C_GLOB: {
		if (wj_kind(&c->doc, t) != WJ_STRING)
			return 0;
		size_t n;
		const char *s = text_of(c, t, &n);
		return glob(v->str.s, v->str.n, s, n);
	}
	case WCSP_C_IN: return member(c, p, &p->sets[k->b], t);
	}
	return 0;
}

static int tput(wcsp_ctx *c, const char *s, size_t n)
{
	if (c->ntbuf + n > c->captbuf) {
		size_t cap = (c->ntbuf + n) * 2 + 256;
		char *q = realloc(c->tbuf, cap);
		if (!q)
			return -1;
		c->tbuf = q;
		c->captbuf = cap;
	}
	if (s)
		memcpy(c->tbuf + c->ntbuf, s, n);
	c->ntbuf += n;
	return 0;
}

/* A field's text inside a JSON string: strings as their (valid, escaped) content, other
 * scalars as their JSON text, objects and arrays as their JSON text escaped. */
static int interpolate(wcsp_ctx *c, int t)
{
	const wj_doc *d = &c->doc;
	size_t a, b;
	if (t < 0)
		return 0;
	wj_span(d, t, &a, &b);
	enum wj_kind k = wj_kind(d, t);
	if (k == WJ_STRING)
		return tput(c, d->buf + a + 1, b - a - 2);
	if (k != WJ_OBJECT && k != WJ_ARRAY)
		return tput(c, d->buf + a, b - a);
	if (tput(c, NULL, 6 * (b - a)))         /* room: utf8_json_escape's worst case */
		return -1;
	c->ntbuf -= 6 * (b - a);
	c->ntbuf += utf8_json_escape(c->tbuf + c->ntbuf, d->buf + a, b - a);
	return 0;
}

/* The JSON text an override writes: constants from the table, a field's raw bytes, or a
 * template rendered into tbuf (e->text stays NULL and *off holds its offset until tbuf
 * stops moving). 1 when it writes nothing (a field value that is missing), -1 no memory. */
static int render(const wcsp_policy *p, wcsp_ctx *c, const wcsp_value *v, sp_edit *e, size_t *off)
{
	switch (v->kind) {
	case WCSP_V_PATH: {
		int t = lookup(&c->doc, &p->paths[v->path]);
		if (t < 0)
			return 1;
		size_t a, b;
		wj_span(&c->doc, t, &a, &b);
		e->text = c->doc.buf + a;
		e->len = b - a;
		return 0;
	}
	case WCSP_V_TEMPLATE:
		*off = c->ntbuf;
		if (tput(c, "\"", 1))
			return -1;
		for (uint32_t i = 0; i < v->nparts; i++) {
			const wcsp_tpart *tp = &p->tparts[v->part_first + i];
			if (tp->path == WCSP_NONE ? tput(c, tp->lit.s, tp->lit.n)
			    : interpolate(c, lookup(&c->doc, &p->paths[tp->path])))
				return -1;
		}
		if (tput(c, "\"", 1))
			return -1;
		e->text = NULL;
		e->len = c->ntbuf - *off;
		return 0;
	default:
		e->text = v->json.s;
		e->len = v->json.n;
		return 0;
	}
}

static const wcsp_str rcc_key = { "restClientConfig", 16 };

size_t wcsp_error_body(char *out, size_t cap, const char *error, const char *reason, size_t rlen)
{
	size_t en = strlen(error), need = en + 6 * rlen + 24;
	if (cap < need)
		return 0;
	char *o = out;
	memcpy(o, "{\"error\":\"", 10);
	o += 10;
	memcpy(o, error, en);
	o += en;
	memcpy(o, "\",\"reason\":\"", 12);
	o += 12;
	o += utf8_json_escape(o, reason, rlen);
	memcpy(o, "\"}", 3);          /* with the terminating NUL */
	return (size_t)(o - out) + 2;
}

static const char oom_body[] = "{\"error\":\"internal error\",\"reason\":\"out of memory\"}";

static int fail(wcsp_reply *r, int status, enum wcsp_decision d, const char *error, const char *why)
{
	char buf[256];
	size_t n = wcsp_error_body(buf, sizeof buf, error, why, strlen(why));
	r->status = status;
	r->decision = d;
	r->reason = why;
	if (!n || !(r->owned = malloc(n + 1))) {
		r->body = oom_body;
		r->len = sizeof oom_body - 1;
		r->status = 500;
		r->decision = WCSP_D_ERROR;
		r->reason = "out of memory";
		return r->status;
	}
	memcpy(r->owned, buf, n + 1);
	r->body = r->owned;
	r->len = n;
	return r->status;
}

int wcsp_ctx_load(wcsp_ctx *c, const char *body, size_t len, const char **why)
{
	if (wj_parse(&c->doc, body, len, why))
		return -1;
	if (c->scratch_cap < len + 64) {
		char *s = realloc(c->scratch, len + 64);
		if (!s) {
			*why = "out of memory";
			return -1;
		}
		c->scratch = s;
		c->scratch_cap = len + 64;
	}
	return 0;
}

int wcsp_holds(const wcsp_policy *p, wcsp_ctx *c, uint32_t cond) { return holds(p, c, cond); }

int wcsp_decide(const wcsp_policy *p, wcsp_ctx *c, const char *method, size_t mlen,
		const char *body, size_t len, wcsp_reply *r)
{
	memset(r, 0, sizeof *r);
	r->app_row = p->napps;
	uint32_t m = r->method_row = wcsp_find_method(p, method, mlen);
	const char *why;
	if (wcsp_ctx_load(c, body, len, &why))
		return fail(r, 400, WCSP_D_BAD, "bad request", why);

	/* the app: --app, else the body's appKey; no match -> the default row */
	const char *app = c->force_app;
	size_t an = c->force_app_len;
	int t = app ? -1 : wj_get(&c->doc, 0, "appKey", 6);
	if (t >= 0 && wj_kind(&c->doc, t) == WJ_STRING)
		app = text_of(c, t, &an);
	uint32_t ai = p->napps;
	if (app) {
		size_t k = an < sizeof r->app - 1 ? an : sizeof r->app - 1;
		memcpy(r->app, app, k);
		r->app[k] = 0;
		r->app_len = k;
		uint32_t f = wcsp_str_search(&p->apps[0].key, p->napps, sizeof *p->apps, app, an);
		if (f != WCSP_NONE)
			ai = f;
	}
	r->app_row = ai;

	r->status = 200;
	r->body = body;
	r->len = len;
	if (m == WCSP_NONE) {
		r->decision = WCSP_D_ECHO;      /* hooks the policy does not name are echoed */
		return 200;
	}
	const wcsp_chain *ch = &p->apps[ai].chains[m];
	r->decision = WCSP_D_ALLOW;
	for (uint32_t i = 0; i < ch->nrules; i++) {
		uint32_t ri = wcsp_ix(p->chain_items, ch->rule_first + i);
		const wcsp_rule *rule = &p->rules[ri];
		if (!holds(p, c, rule->cond))
			continue;
		r->rule = rule->loc;
		if (c->rule_hit)
			c->rule_hit[ri] = 1;
		if (rule->kind == WCSP_R_DENY) {
			r->status = rule->status;
			r->decision = WCSP_D_DENY;
			r->body = rule->body.s;
			r->len = rule->body.n;
		}
		break;
	}
	if (r->decision == WCSP_D_DENY)
		return r->status;

	/* overrides: render every value first (they read the request as received) */
	uint32_t need = ch->novr + 1;
	if ((uint32_t)c->capedits < need) {
		sp_edit *e = realloc(c->edits, need * sizeof *e);
		size_t *o = e ? realloc(c->eoff, need * sizeof *o) : NULL;
		if (e)
			c->edits = e;
		if (!o)
			return fail(r, 500, WCSP_D_ERROR, "internal error", "out of memory");
		c->eoff = o;
		c->capedits = (int)need;
	}
	int n = 0;
	c->ntbuf = 0;
	for (uint32_t i = 0; i < ch->novr; i++) {
		uint32_t oi = wcsp_ix(p->chain_items, ch->ovr_first + i);
		const wcsp_override *o = &p->overrides[oi];
		if (!holds(p, c, o->cond))
			continue;
		if (c->ovr_hit)
			c->ovr_hit[oi] = 1;
		sp_edit *e = &c->edits[n];
		e->seg = p->paths[o->path].seg;
		e->nseg = p->paths[o->path].nseg;
		int rc = render(p, c, &p->values[o->value], e, &c->eoff[n]);
		if (rc < 0)
			return fail(r, 500, WCSP_D_ERROR, "internal error", "out of memory");
		n += rc == 0;
	}
	for (int i = 0; i < n; i++)
		if (!c->edits[i].text)
			c->edits[i].text = c->tbuf + c->eoff[i];
	/* connect carries the derived config, replacing the request's; an app with nothing to
	 * configure echoes connect as is, but never hands back a config the caller sent */
	if (m == p->connect && p->apps[ai].rcc.n)
		c->edits[n++] = (sp_edit){ &rcc_key, 1, p->apps[ai].rcc.s, p->apps[ai].rcc.n };
	else if (m == p->connect && wj_get(&c->doc, 0, rcc_key.s, rcc_key.n) >= 0)
		c->edits[n++] = (sp_edit){ &rcc_key, 1, "{}", 2 };
	if (!n)
		return 200;
	if (sp_splice(&c->splice, &c->doc, c->edits, n, &r->owned, &r->len))
		return fail(r, 500, WCSP_D_ERROR, "internal error", "out of memory");
	r->body = r->owned;
	return 200;
}
