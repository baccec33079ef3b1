/*
 * decide.c -- one decision over the tables: validate the body, find (app, method), walk
 * that chain's rules in file order (the first whose guard holds decides; none: allow),
 * then apply the overrides whose guards hold and splice the reply.
 *
 * Guards and interpolations read the request as received: every override value is
 * rendered before any is written. Cost per request: one validation pass over the body, a
 * binary search for the method and the app, and the chain's own rows; set membership is a
 * binary search over sorted canonical keys (a live set's, in the loaded world).
 *
 * A path reads the request or a token's claims (wcsp_path.token). A token is checked when
 * a predicate first needs it, once a request (wcsp_tokstate, stamped with the request's
 * gen); its claims are then a second JSON document, and a `ref` names a value in either.
 * Once warm, nothing here allocates: the buffers of tokens, digests and templates grow to
 * the largest request seen and stay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "crypto.h"
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
	c->clock = -1;
	c->token_cache = WCSP_TOKEN_CACHE;
}

void wcsp_ctx_free(wcsp_ctx *c)
{
	wj_free(&c->doc);
	sp_free(&c->splice);
	free(c->edits);
	free(c->eoff);
	free(c->scratch);
	free(c->tbuf);
	for (uint32_t i = 0; i < c->ntok; i++) {
		free(c->tok[i].payload);
		wj_free(&c->tok[i].claims);
	}
	free(c->tok);
	if (c->jwt)
		c->jwt_ops->cache_free(c->jwt);
	free(c->dbuf);
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

/* A JSON value: token t of document d (the request, or a token's claims); t < 0: missing. */
typedef struct ref {
	const wj_doc *d;
	int t;
} ref;

static int lookup(const wj_doc *d, const wcsp_path *p)
{
	int t = 0;
	for (uint32_t i = 0; i < p->nseg && t >= 0; i++)
		t = wj_kind(d, t) == WJ_OBJECT ? wj_get(d, t, p->seg[i].s, p->seg[i].n) : -1;
	return t;
}

/* Decoded text of string token t of d: raw bytes when it has no escape, else in scratch
 * (which holds any string of the request, or of claims decoded from it). */
static const char *text_of(wcsp_ctx *c, const wj_doc *d, int t, size_t *n)
{
	if (!d->esc[t]) {
		*n = (size_t)(d->tok[t].end - d->tok[t].start);
		return d->buf + d->tok[t].start;
	}
	*n = wj_str_decode(d, t, c->scratch + 1);
	return c->scratch + 1;
}

/* Token t's state for this request: checked on first use. NULL when memory ran out. */
static wcsp_tokstate *token(const wcsp_policy *p, wcsp_ctx *c, uint32_t t)
{
	if (c->ntok < p->ntokens) {
		wcsp_tokstate *v = realloc(c->tok, p->ntokens * sizeof *v);
		if (!v) {
			c->oom = 1;
			return NULL;
		}
		c->tok = v;
		for (; c->ntok < p->ntokens; c->ntok++) {
			memset(&v[c->ntok], 0, sizeof *v);
			wj_init(&v[c->ntok].claims);
		}
	}
	wcsp_tokstate *s = &c->tok[t];
	if (s->gen == c->gen)
		return s;
	const wcsp_token *tk = &p->tokens[t];
	int f = lookup(&c->doc, &p->paths[tk->path]);
	s->gen = c->gen;
	s->status = f < 0 ? WCSP_T_MISSING : wj_kind(&c->doc, f) != WJ_STRING ? WCSP_T_MALFORMED
		: -2;
	if (s->status != -2)
		return s;
	size_t n;
	const char *raw = text_of(c, &c->doc, f, &n);
	if (!n || (n == 7 && !memcmp(raw, "Bearer ", 7)))
		s->status = WCSP_T_MISSING;
	else if (!c->world || !p->jwt)
		s->status = WCSP_T_KEY_UNKNOWN;         /* no keys loaded */
	if (s->status != -2)
		return s;
	if (!c->jwt && (c->jwt = p->jwt->cache_new(c->token_cache)))
		c->jwt_ops = p->jwt;
	if (!s->payload)
		s->payload = malloc(JWT_PAYLOAD_MAX);
	if (!c->jwt || !s->payload) {
		s->status = WCSP_T_MALFORMED;
		c->oom = 1;
		return NULL;
	}
	s->status = p->jwt->check(p, c->world, t, raw, n, c->now, c->jwt, s->payload, &s->plen);
	return s;
}

/* Token t's claims, parsed on first use in a request (a `valid T` alone needs none); NULL
 * when it is not valid. */
static const wj_doc *claims(const wcsp_policy *p, wcsp_ctx *c, uint32_t t)
{
	wcsp_tokstate *s = token(p, c, t);
	if (!s || s->status != -1)
		return NULL;
	if (s->parsed != c->gen) {
		if (wj_parse(&s->claims, s->payload, s->plen, NULL)) {
			c->oom = 1; /* the check parsed these bytes already: only memory fails */
			return NULL;
		}
		s->parsed = c->gen;
	}
	return &s->claims;
}

/* Where path row i points: into the request, or into a valid token's claims. */
static ref resolve(const wcsp_policy *p, wcsp_ctx *c, uint32_t i)
{
	const wcsp_path *path = &p->paths[i];
	if (path->token == WCSP_NONE) {     /* a guard and its neighbours often read one field */
		wcsp_path_memo *m = &c->seen[i & (WCSP_PATH_MEMO - 1)];
		if (m->gen != c->gen || m->path != i) {
			m->gen = c->gen;
			m->path = i;
			m->tok = lookup(&c->doc, path);
		}
		return (ref){ &c->doc, m->tok };
	}
	const wj_doc *d = claims(p, c, path->token);
	if (!d)
		return (ref){ &c->doc, -1 };    /* a token not valid has no claims */
	return (ref){ d, lookup(d, path) };
}

/* Length of the UTF-8 character at s (1 for a stray byte). */
static size_t char_len(const char *s, size_t n)
{
	if ((unsigned char)*s < 0x80)
		return 1;
	size_t k = utf8_seq((const unsigned char *)s, n);
	return k ? k : 1;
}

/* The first place at or after s[from] where lit[0..n) occurs before s[to], or -1. */
static long find_lit(const char *s, size_t from, size_t to, const char *lit, size_t n)
{
	while (from + n <= to) {
		const char *c = memchr(s + from, lit[0], to - from - n + 1);
		if (c == NULL)
			return -1;
		from = (size_t)(c - s);
		if (wcsp_mem_eq(c + 1, lit + 1, n - 1))
			return (long)from;
		from++;
	}
	return -1;
}

/* A glob of literals and '*' only (most are: an origin with a wildcard host and port): the
 * text before the first '*' starts s, the text after the last ends it, and each run between
 * two '*'s is found leftmost after the one before. Leftmost is enough: a run found earlier
 * ends earlier and leaves more room. Since pattern and string are UTF-8 and each run starts
 * with a byte that never continues a character, runs only match at character boundaries,
 * as '*' consumes whole characters in wcsp_glob(). */
static int glob_stars(const char *p, size_t pn, const char *s, size_t sn)
{
	const char *first = memchr(p, '*', pn);
	if (first == NULL)
		return pn == sn && wcsp_mem_eq(p, s, sn);
	size_t a = (size_t)(first - p), z = pn - 1;
	while (p[z] != '*')
		z--;
	size_t tail = pn - z - 1;
	if (sn < a + tail || !wcsp_mem_eq(s, p, a) || !wcsp_mem_eq(s + sn - tail, p + z + 1, tail))
		return 0;
	size_t at = a, end = sn - tail;
	for (size_t i = a + 1; i < z;) {
		size_t j = i;
		while (p[j] != '*')
			j++;
		if (j > i) {
			long k = find_lit(s, at, end, p + i, j - i);
			if (k < 0)
				return 0;
			at = (size_t)k + (j - i);
		}
		i = j + 1;
	}
	return 1;
}

/* Glob: '*' any run (also empty), '?' one character, '\\' makes the next byte literal,
 * everything else itself. One backtrack point suffices: on a mismatch resume after the
 * latest '*'. */
int wcsp_glob(const char *p, size_t pn, const char *s, size_t sn)
{
	if (!memchr(p, '?', pn) && !memchr(p, '\\', pn))
		return glob_stars(p, pn, s, sn);
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

/* The canonical set key of v (see wcsp_set), in scratch; its length, or 0 for an object or an
 * array, which no set holds. */
static size_t canon_key(wcsp_ctx *c, ref v)
{
	char *k = c->scratch;
	size_t n;
	switch (wj_kind(v.d, v.t)) {
	case WJ_STRING: {
		const char *s = text_of(c, v.d, v.t, &n);
		k[0] = 's';
		if (s != k + 1)
			memmove(k + 1, s, n);
		n++;
		break;
	}
	case WJ_NUMBER:
		if (!(n = wcsp_number_key(wj_number(v.d, v.t), k)))
			return 0;
		break;
	case WJ_TRUE: k[0] = 't'; n = 1; break;
	case WJ_FALSE: k[0] = 'f'; n = 1; break;
	case WJ_NULL: k[0] = 'z'; n = 1; break;
	default: return 0;
	}
	return n;
}

static int member(const wcsp_policy *p, wcsp_ctx *c, uint32_t set, ref v)
{
	size_t n = canon_key(c, v);
	const char *k = c->scratch;
	if (!n)
		return 0;
	const wcsp_set *cs = &p->sets[set];
	if (!cs->file)
		return wcsp_pool_find(p->set_pool, p->set_offsets, cs->first, cs->n, k, n) !=
		       WCSP_NONE;
	return c->world && world_set_has(c->world, set, k, n);
}

/* Room for n more bytes in dbuf after its first have bytes; -1 when memory ran out. */
static int dbuf_room(wcsp_ctx *c, size_t have, size_t n)
{
	if (have + n <= c->capdbuf)
		return 0;
	size_t cap = (have + n) * 2 + 256;
	char *b = malloc(cap);
	if (!b)
		return -1;
	if (c->dbuf) {
		memcpy(b, c->dbuf, have);
		memset(c->dbuf, 0, c->capdbuf);         /* it may have held a key's bytes */
		free(c->dbuf);
	}
	c->dbuf = b;
	c->capdbuf = cap;
	return 0;
}

/* The secret of key row k in the loaded world, or NULL (a public key, or no world). */
static const wcsp_keyent *secret_of(const wcsp_ctx *c, uint32_t k)
{
	const wcsp_keyset *ks = c->world ? &c->world->keys[k] : NULL;
	for (int i = 0; ks && i < ks->n; i++)
		if (ks->ent[i].kind == WK_SECRET)
			return &ks->ent[i];
	return NULL;
}

/*
 * Does field v equal digest row di of its template, rendered from the request as received
 * (strings decoded, other values as their JSON text, missing ones empty, ${KEY} the key's
 * bytes)? 1 yes, 0 no, -1 it cannot be computed (a key that is no secret): then neither ==
 * nor != holds.
 */
static int digest_match(const wcsp_policy *p, wcsp_ctx *c, uint32_t di, ref v)
{
	const wcsp_digest *d = &p->digests[di];
	if ((d->key != WCSP_NONE && !secret_of(c, d->key)) || !p->digest)
		return -1;
	size_t n = 0;
	int rc = 0;
	for (uint32_t i = 0; i < d->nparts && rc == 0; i++) {
		const wcsp_tpart *tp = &p->tparts[d->part_first + i];
		const char *s = tp->lit.s;
		size_t len = tp->lit.n;
		if (tp->key != WCSP_NONE) {
			const wcsp_keyent *k = secret_of(c, tp->key);
			if (!k) {
				rc = -1;
				break;
			}
			s = (const char *)k->secret;
			len = k->len;
		} else if (tp->path != WCSP_NONE) {
			ref f = resolve(p, c, tp->path);
			size_t a, b;
			len = 0;
			if (f.t >= 0 && wj_kind(f.d, f.t) == WJ_STRING)
				s = text_of(c, f.d, f.t, &len);
			else if (f.t >= 0) {
				wj_span(f.d, f.t, &a, &b);
				s = f.d->buf + a;
				len = b - a;
			}
		}
		if (dbuf_room(c, n, len)) {
			c->oom = 1;
			rc = -1;
			break;
		}
		if (len)
			memcpy(c->dbuf + n, s, len);
		n += len;
	}
	if (rc == 0 && wj_kind(v.d, v.t) == WJ_STRING) {
		size_t fn;
		const char *field = text_of(c, v.d, v.t, &fn);
		rc = p->digest->matches(d, d->key != WCSP_NONE ? &c->world->keys[d->key] : NULL,
					c->dbuf, n, field, fn);
	}
	if (n)
		memset(c->dbuf, 0, n);
	return rc;
}

static int equal(const wcsp_policy *p, wcsp_ctx *c, ref a, const wcsp_value *v)
{
	const wj_doc *d = a.d;
	enum wj_kind k = wj_kind(d, a.t);
	switch (v->kind) {
	case WCSP_V_STRING: return k == WJ_STRING && wj_str_eq(d, a.t, v->str.s, v->str.n);
	case WCSP_V_NUMBER: return k == WJ_NUMBER && wj_number(d, a.t) == v->num;
	case WCSP_V_TRUE: return k == WJ_TRUE;
	case WCSP_V_FALSE: return k == WJ_FALSE;
	case WCSP_V_NULL: return k == WJ_NULL;
	case WCSP_V_PATH: {
		ref u = resolve(p, c, v->path);
		return u.t >= 0 && wj_equal_in(d, a.t, u.d, u.t);
	}
	case WCSP_V_DIGEST: return digest_match(p, c, v->path, a) == 1;
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
	case WCSP_C_VALID: {
		wcsp_tokstate *s = token(p, c, k->a);
		return s && s->status == -1;
	}
	default: break;
	}
	ref a = resolve(p, c, k->a);
	if (a.t < 0)
		return 0;       /* a predicate on a missing field is false */
	/* b is a value row for the comparisons and globs (IN: a set, IN_ARRAY: a path) */
	const wcsp_value *v = k->op == WCSP_C_IN || k->op == WCSP_C_EXISTS ||
		k->op == WCSP_C_IN_ARRAY ? NULL : &p->values[k->b];
	switch (k->op) {
	case WCSP_C_EXISTS: return 1;
	case WCSP_C_EQ: return equal(p, c, a, v);
	case WCSP_C_NE:
		if (v->kind == WCSP_V_PATH && resolve(p, c, v->path).t < 0)
			return 0;
		if (v->kind == WCSP_V_DIGEST)
			return digest_match(p, c, v->path, a) == 0;
		return !equal(p, c, a, v);
	case WCSP_C_LT: case WCSP_C_LE: case WCSP_C_GT: case WCSP_C_GE: {
		if (wj_kind(a.d, a.t) != WJ_NUMBER)
			return 0;
		double x = wj_number(a.d, a.t);
		double y = v->kind == WCSP_V_NOW ? (double)c->now + v->num : v->num;
		return k->op == WCSP_C_LT ? x < y : k->op == WCSP_C_LE ? x <= y
			: k->op == WCSP_C_GT ? x > y : x >= y;
	}
	case WCSP_C_GLOB: {
		if (wj_kind(a.d, a.t) != WJ_STRING)
			return 0;
		size_t n;
		const char *s = text_of(c, a.d, a.t, &n);
		return wcsp_glob(v->str.s, v->str.n, s, n);
	}
	case WCSP_C_IN: return member(p, c, k->b, a);
	case WCSP_C_IN_ARRAY: {
		ref arr = resolve(p, c, k->b);
		if (arr.t < 0 || wj_kind(arr.d, arr.t) != WJ_ARRAY)
			return 0;
		for (int e = arr.t + 1; e < arr.d->next[arr.t]; e = arr.d->next[e])
			if (wj_equal_in(a.d, a.t, arr.d, e))
				return 1;
		return 0;
	}
	}
	return 0;
}

/* The offset in run x of the first rule that holds, or WCSP_NONE when none does. */
static uint32_t index_find(const wcsp_policy *p, wcsp_ctx *c, const wcsp_index *x)
{
	ref v = resolve(p, c, x->path);
	size_t n = v.t < 0 ? 0 : canon_key(c, v);
	if (!n)
		return WCSP_NONE;
	const wcsp_set *keys = &p->sets[x->set];
	uint32_t at = wcsp_pool_find(p->set_pool, p->set_offsets, keys->first, keys->n,
				     c->scratch, n);
	return at == WCSP_NONE ? WCSP_NONE : wcsp_ix(p->index_targets, x->target_first + at);
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
static int interpolate(wcsp_ctx *c, ref f)
{
	const wj_doc *d = f.d;
	int t = f.t;
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
		ref f = resolve(p, c, v->path);
		if (f.t < 0)
			return 1;
		size_t a, b;
		wj_span(f.d, f.t, &a, &b);
		e->text = f.d->buf + a;
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
			    : interpolate(c, resolve(p, c, tp->path)))
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

/* Where a reply of n bytes is written: the context's buffer, or a fresh r->owned. */
static char *reply_room(wcsp_ctx *c, wcsp_reply *r, size_t n)
{
	if (c->out)
		return sp_reserve(c->out, n + 1) ? NULL : c->out->s;
	return r->owned = malloc(n + 1);
}

static int fail(wcsp_ctx *c, wcsp_reply *r, int status, enum wcsp_decision d, const char *error,
		const char *why)
{
	char buf[256], *room;
	size_t n = wcsp_error_body(buf, sizeof buf, error, why, strlen(why));
	r->status = status;
	r->decision = d;
	r->reason = why;
	if (!n || !(room = reply_room(c, r, n))) {
		r->body = oom_body;
		r->len = sizeof oom_body - 1;
		r->status = 500;
		r->decision = WCSP_D_ERROR;
		r->reason = "out of memory";
		return r->status;
	}
	memcpy(room, buf, n + 1);
	r->body = room;
	r->len = n;
	return r->status;
}

int wcsp_ctx_load(wcsp_ctx *c, const char *body, size_t len, const char **why)
{
	c->gen++;                       /* every token unchecked */
	c->now = c->clock >= 0 ? c->clock : (long long)time(NULL);
	c->oom = 0;
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
		return fail(c, r, 400, WCSP_D_BAD, "bad request", why);

	/* the app: --app, else the body's appKey; no match -> the default row */
	const char *app = c->force_app;
	size_t an = c->force_app_len;
	int t = app ? -1 : wj_get(&c->doc, 0, "appKey", 6);
	if (t >= 0 && wj_kind(&c->doc, t) == WJ_STRING)
		app = text_of(c, &c->doc, t, &an);
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
		if (rule->index != WCSP_NONE && !c->plain_walk) {
			/* a run of rules on one path: the first that holds, with one lookup */
			const wcsp_index *x = &p->indexes[rule->index];
			uint32_t hit = index_find(p, c, x);
			if (hit == WCSP_NONE) {
				i += x->nrules - 1;
				continue;
			}
			i += hit;
			ri = wcsp_ix(p->chain_items, ch->rule_first + i);
			rule = &p->rules[ri];
		} else if (!holds(p, c, rule->cond))
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
		if (rule->kind == WCSP_R_DENY && rule->token != WCSP_NONE) {
			/* `deny unless valid T`: T's failure is the reason */
			const wcsp_tokstate *s = token(p, c, rule->token);
			const wcsp_token *tk = &p->tokens[rule->token];
			if (s && s->status >= 0) {
				r->body = tk->bodies[s->status].s;
				r->len = tk->bodies[s->status].n;
				r->reason = tk->reasons[s->status].s;
			}
		}
		break;
	}
	if (c->oom)
		return fail(c, r, 500, WCSP_D_ERROR, "internal error", "out of memory");
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
			return fail(c, r, 500, WCSP_D_ERROR, "internal error", "out of memory");
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
		if (rc < 0 || c->oom)
			return fail(c, r, 500, WCSP_D_ERROR, "internal error", "out of memory");
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
	sp_buf fresh = { NULL, 0, 0 }, *out = c->out ? c->out : &fresh;
	if (sp_splice(&c->splice, &c->doc, c->edits, n, out)) {
		free(fresh.s);
		return fail(c, r, 500, WCSP_D_ERROR, "internal error", "out of memory");
	}
	r->body = out->s;
	r->len = out->len;
	r->owned = fresh.s;
	return 200;
}
