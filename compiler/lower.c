/*
 * lower.c -- from the checked AST to the ABI tables.
 *
 * Order of work, each step deterministic (file order, or sorted by bytes):
 *   1. every allow/deny becomes a rule row and every override an override row, in file
 *      order, with its guard lowered to cond rows (`unless c` is NOT c);
 *   2. sets become sorted, de-duplicated canonical keys;
 *   3. the method table: every method some block covers, plus connect, sorted by name;
 *   4. one chain per (app, method): the covering rows in file order, blocks outside any
 *      app included in every app; the default row (appKey names no app) has those only;
 *   5. settings resolve per (app, method), most specific level first, and give the app's
 *      restClientConfig text; the checks that need this view run here.
 */
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "catalog.h"
#include "check.h"
#include "lower.h"
#include "sbuf.h"
#include "template.h"

#define GROW(arr, n, cap) do { if ((n) == (cap)) { (cap) = (cap) ? (cap) * 2 : 16; \
	(arr) = xrealloc((arr), (size_t)(cap) * sizeof *(arr)); } } while (0)

typedef struct lctx {
	lowered *l;
	wpolicy *p;
	uint32_t cap_conds, cap_paths, cap_segs, cap_values, cap_tparts, cap_items;
	uint32_t nrules, novrs;
	/* segment and key offsets are kept until the arrays stop moving */
	uint32_t *path_seg0, *set_key0;
	int nm;                       /* sema methods */
	int *table_of;                /* sema method -> table index, -1 when not in the table */
	int *sema_of;                 /* table index -> sema method */
} lctx;

static const char *own(lowered *l, char *s)
{
	GROW(l->owned, l->nowned, l->capowned);
	l->owned[l->nowned++] = s;
	return s;
}

static wcsp_str own_str(lowered *l, const char *s, size_t n)
{
	char *c = xmalloc(n + 1);
	memcpy(c, s, n);
	c[n] = 0;
	own(l, c);
	return (wcsp_str){ c, (uint32_t)n };
}

static uint32_t add_path(lctx *c, const wpath *p)
{
	lowered *l = c->l;
	GROW(l->paths, l->npaths, c->cap_paths);
	c->path_seg0 = xrealloc(c->path_seg0, (size_t)c->cap_paths * sizeof *c->path_seg0);
	c->path_seg0[l->npaths] = l->nsegs;
	for (int i = 0; i < p->seg.n; i++) {
		GROW(l->segs, l->nsegs, c->cap_segs);
		l->segs[l->nsegs++] = own_str(l, p->seg.v[i].s, p->seg.v[i].n);
	}
	l->paths[l->npaths] = (wcsp_path){ NULL, (uint32_t)p->seg.n };
	return l->npaths++;
}

static uint32_t new_value(lctx *c, uint8_t kind)
{
	lowered *l = c->l;
	GROW(l->values, l->nvalues, c->cap_values);
	l->values[l->nvalues] = (wcsp_value){ .kind = kind, .path = WCSP_NONE, .part_first = WCSP_NONE };
	return l->nvalues++;
}

static wcsp_str json_of(lowered *l, const char *s, size_t n)
{
	sbuf b = { 0 };
	sb_json_str(&b, s, n);
	size_t len;
	char *t = sb_take(&b, &len);
	own(l, t);
	return (wcsp_str){ t, (uint32_t)len };
}

/* A value; in an override, strings are templates. */
static uint32_t add_value(lctx *c, const wvalue *v, int in_override)
{
	lowered *l = c->l;
	uint32_t i;
	switch (v->kind) {
	case V_STRING:
		if (in_override) {
			tpieces t = { 0 };
			int fields = tmpl_split(v, &t);
			if (fields > 0) {
				i = new_value(c, WCSP_V_TEMPLATE);
				uint32_t first = l->ntparts;
				for (int k = 0; k < t.n; k++) {
					wcsp_tpart part = { WCSP_NONE, { "", 0 } };
					if (t.v[k].path)
						part.path = add_path(c, t.v[k].path);
					else {
						sbuf b = { 0 };
						sb_json_text(&b, t.v[k].lit.s, t.v[k].lit.n);
						size_t n;
						char *s = sb_take(&b, &n);
						own(l, s);
						part.lit = (wcsp_str){ s, (uint32_t)n };
					}
					GROW(l->tparts, l->ntparts, c->cap_tparts);
					l->tparts[l->ntparts++] = part;
				}
				l->values[i].part_first = first;
				l->values[i].nparts = (uint32_t)t.n;
				tmpl_free(&t);
				return i;
			}
			i = new_value(c, WCSP_V_STRING);
			wstr text = t.n ? t.v[0].lit : (wstr){ "", 0 };
			l->values[i].str = own_str(l, text.s, text.n);
			l->values[i].json = json_of(l, text.s, text.n);
			tmpl_free(&t);
			return i;
		}
		i = new_value(c, WCSP_V_STRING);
		l->values[i].str = own_str(l, v->str.s, v->str.n);
		l->values[i].json = json_of(l, v->str.s, v->str.n);
		return i;
	case V_NUMBER:
		i = new_value(c, WCSP_V_NUMBER);
		l->values[i].num = v->num;
		l->values[i].json = own_str(l, v->str.s, v->str.n);
		return i;
	case V_TRUE: case V_FALSE: case V_NULL: {
		static const char *const lit[] = { "true", "false", "null" };
		static const uint8_t kind[] = { WCSP_V_TRUE, WCSP_V_FALSE, WCSP_V_NULL };
		int k = v->kind - V_TRUE;
		i = new_value(c, kind[k]);
		l->values[i].json = own_str(l, lit[k], strlen(lit[k]));
		return i;
	}
	case V_PATH: {
		uint32_t path = add_path(c, v->path);
		i = new_value(c, WCSP_V_PATH);
		l->values[i].path = path;
		return i;
	}
	}
	return WCSP_NONE;
}

/* Canonical set key of a constant (see wcsp_set in wcsp_abi.h). */
static wcsp_str canon(lowered *l, const wvalue *v)
{
	sbuf b = { 0 };
	switch (v->kind) {
	case V_STRING: sb_put(&b, "s", 1); sb_put(&b, v->str.s, v->str.n); break;
	case V_NUMBER: sb_printf(&b, "n%.17g", v->num == 0 ? 0.0 : v->num); break;
	case V_TRUE: sb_put(&b, "t", 1); break;
	case V_FALSE: sb_put(&b, "f", 1); break;
	default: sb_put(&b, "z", 1); break;
	}
	size_t n;
	char *s = sb_take(&b, &n);
	own(l, s);
	return (wcsp_str){ s, (uint32_t)n };
}

static int key_cmp(const void *a, const void *b)
{
	const wcsp_str *x = a, *y = b;
	int r = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
	return r ? r : (x->n > y->n) - (x->n < y->n);
}

static uint32_t add_set(lctx *c, const wvlist *vals, uint32_t index)
{
	lowered *l = c->l;
	wcsp_str *keys = xmalloc((size_t)(vals->n ? vals->n : 1) * sizeof *keys);
	uint32_t n = 0;
	for (int i = 0; i < vals->n; i++)
		keys[n++] = canon(l, vals->v[i]);
	qsort(keys, n, sizeof *keys, key_cmp);
	uint32_t kept = 0;
	for (uint32_t i = 0; i < n; i++)
		if (!kept || key_cmp(&keys[kept - 1], &keys[i]))
			keys[kept++] = keys[i];
	/* offsets first (n + 1 of them), then the bytes */
	l->offs = xrealloc(l->offs, (l->noffs + kept + 1) * sizeof *l->offs);
	uint32_t first = l->noffs;
	for (uint32_t i = 0; i < kept; i++) {
		l->offs[l->noffs++] = l->npool;
		l->pool = xrealloc(l->pool, l->npool + keys[i].n + 1);
		memcpy(l->pool + l->npool, keys[i].s, keys[i].n);
		l->npool += keys[i].n;
	}
	l->offs[l->noffs++] = l->npool;
	free(keys);
	c->set_key0 = xrealloc(c->set_key0, (index + 1) * sizeof *c->set_key0);
	c->set_key0[index] = first;
	l->sets = xrealloc(l->sets, (index + 1) * sizeof *l->sets);
	l->sets[index] = (wcsp_set){ NULL, kept };
	return index;
}

static uint32_t add_cond(lctx *c, uint8_t op, uint32_t a, uint32_t b)
{
	lowered *l = c->l;
	GROW(l->conds, l->nconds, c->cap_conds);
	l->conds[l->nconds] = (wcsp_cond){ op, a, b };
	return l->nconds++;
}

static uint32_t lower_cond(lctx *c, const wcond *w)
{
	static const uint8_t ops[] = {
		[C_EQ] = WCSP_C_EQ, [C_NE] = WCSP_C_NE, [C_LT] = WCSP_C_LT, [C_LE] = WCSP_C_LE,
		[C_GT] = WCSP_C_GT, [C_GE] = WCSP_C_GE, [C_GLOB] = WCSP_C_GLOB,
	};
	switch (w->op) {
	case C_AND: case C_OR: {
		uint32_t a = lower_cond(c, w->l), b = lower_cond(c, w->r);
		return add_cond(c, w->op == C_AND ? WCSP_C_AND : WCSP_C_OR, a, b);
	}
	case C_NOT:
		return add_cond(c, WCSP_C_NOT, lower_cond(c, w->l), 0);
	case C_EXISTS:
		return add_cond(c, WCSP_C_EXISTS, add_path(c, w->path), 0);
	case C_INSET: {
		uint32_t set = 0;
		while (!wstr_eq(c->p->sets.v[set]->name, w->setname.s, w->setname.n))
			set++;
		return add_cond(c, WCSP_C_IN, add_path(c, w->path), set);
	}
	case C_INLIST: {
		uint32_t path = add_path(c, w->path);
		return add_cond(c, WCSP_C_IN, path, add_set(c, &w->list, c->l->pol.nsets++));
	}
	default: {
		uint32_t path = add_path(c, w->path);
		return add_cond(c, ops[w->op], path, add_value(c, w->val, 0));
	}
	}
}

static uint32_t lower_guard(lctx *c, const wstmt *s)
{
	if (!s->guard)
		return WCSP_NONE;
	uint32_t g = lower_cond(c, s->guard);
	return s->unless ? add_cond(c, WCSP_C_NOT, g, 0) : g;
}

static const char *loc_text(lowered *l, wloc at)
{
	sbuf b = { 0 };
	sb_printf(&b, "%s:%d", src_get(at.file)->name, at.line);
	return own(l, sb_take(&b, NULL));
}

/* Step 1: a row per allow/deny and per override, in file order. */
static void lower_rows(lctx *c)
{
	lowered *l = c->l;
	uint32_t caprules = 0, capovrs = 0;
	for (int i = 0; i < c->p->blocks.n; i++) {
		wblock *b = c->p->blocks.v[i];
		for (int j = 0; j < b->stmts.n; j++) {
			wstmt *s = b->stmts.v[j];
			if (s->kind == S_ALLOW || s->kind == S_DENY) {
				wcsp_rule r = { s->kind == S_ALLOW ? WCSP_R_ALLOW : WCSP_R_DENY,
					(uint16_t)(s->kind == S_ALLOW ? 200 : s->status ? s->status : 403),
					WCSP_NONE, { "", 0 }, NULL };
				r.cond = lower_guard(c, s);
				r.loc = loc_text(l, s->loc);
				if (s->kind == S_DENY) {
					sbuf body = { 0 };
					sb_puts(&body, "{\"error\":\"denied\",\"reason\":");
					if (s->reason.s)
						sb_json_str(&body, s->reason.s, s->reason.n);
					else
						sb_puts(&body, "\"denied by policy\"");
					sb_puts(&body, "}");
					size_t n;
					char *t = sb_take(&body, &n);
					own(l, t);
					r.body = (wcsp_str){ t, (uint32_t)n };
				}
				GROW(l->rules, c->nrules, caprules);
				s->idx = (int)c->nrules;
				l->rules[c->nrules++] = r;
			} else if (s->kind == S_OVERRIDE) {
				wcsp_override o;        /* rows are numbered in this order */
				o.path = add_path(c, s->path);
				o.value = add_value(c, s->val, 1);
				o.cond = lower_guard(c, s);
				o.loc = loc_text(l, s->loc);
				GROW(l->ovrs, c->novrs, capovrs);
				s->idx = (int)c->novrs;
				l->ovrs[c->novrs++] = o;
			}
		}
	}
	l->pol.nrules = c->nrules;
	l->pol.noverrides = c->novrs;
}

static int app_applies(const wblock *b, int app) { return b->app < 0 || b->app == app; }

/* Resolved settings of (app, method): the statement deciding each, or NULL. */
typedef struct settings {
	const wstmt *onerror, *rexclude, *cexclude, *disable;
} settings;

static settings resolve(const lctx *c, int app, int m)
{
	settings s = { 0 };
	int lv[4] = { 99, 99, 99, 99 };
	for (int i = 0; i < c->p->blocks.n; i++) {
		const wblock *b = c->p->blocks.v[i];
		if (!app_applies(b, app) || !sema_covers(c->p, b, m))
			continue;
		int level = sema_level(b);
		for (int j = 0; j < b->stmts.n; j++) {
			const wstmt *st = b->stmts.v[j];
			int k = st->kind == S_ONERROR ? 0 : st->kind == S_REXCLUDE ? 1
				: st->kind == S_CEXCLUDE ? 2 : st->kind == S_DISABLE ? 3 : -1;
			if (k < 0 || level >= lv[k])
				continue;
			lv[k] = level;
			const wstmt **slot[] = { &s.onerror, &s.rexclude, &s.cexclude, &s.disable };
			*slot[k] = st;
		}
	}
	return s;
}

static void paths_csv(sbuf *b, const wstmt *s)
{
	sbuf t = { 0 };
	for (int i = 0; s && i < s->paths.n; i++) {
		if (i)
			sb_put(&t, ",", 1);
		for (int k = 0; k < s->paths.v[i]->seg.n; k++) {
			if (k)
				sb_put(&t, ".", 1);
			sb_put(&t, s->paths.v[i]->seg.v[k].s, s->paths.v[i]->seg.v[k].n);
		}
	}
	sb_json_str(b, t.s ? t.s : "", t.n);
	free(t.s);
}

/* p is q or lies inside it: writing q replaces what p wrote. */
static int covers_path(const wpath *q, const wpath *p)
{
	if (q->seg.n > p->seg.n)
		return 0;
	for (int i = 0; i < q->seg.n; i++)
		if (!wstr_eq(p->seg.v[i], q->seg.v[i].s, q->seg.v[i].n))
			return 0;
	return 1;
}

/* Override s (statement j of block bi's stmts) in the chain of (app, m): is an unguarded
 * later override of the same field, or of a field holding it, in the same chain? */
static void overwritten(lctx *c, int app, int m, const wblock *from, int j, const wstmt *s)
{
	wstmt *w = (wstmt *)s;
	w->n_in++;
	int after = 0;
	for (int i = 0; i < c->p->blocks.n; i++) {
		const wblock *b = c->p->blocks.v[i];
		if (b == from)
			after = 1;
		if (!after || !app_applies(b, app) || !sema_covers(c->p, b, m))
			continue;
		for (int k = b == from ? j + 1 : 0; k < b->stmts.n; k++) {
			const wstmt *t = b->stmts.v[k];
			if (t->kind == S_OVERRIDE && !t->guard && covers_path(t->path, s->path)) {
				w->n_dead++;
				w->shadow = t;
				return;
			}
		}
	}
}

/* A note when WCS is not documented to take this field from the method's reply. */
static void note_adoption(int m, const wstmt *s)
{
	if (s->noted || m >= cat_nmethods)
		return;
	const char *adopts = cat_methods[m].adopts;
	wstr top = s->path->seg.v[0];
	if (adopts && strlen(adopts) == top.n && !memcmp(adopts, top.s, top.n))
		return;
	((wstmt *)s)->noted = 1;
	diag(DIAG_NOTE, s->path->loc, "WCS is not documented to take '%s' from a %s reply; "
	     "restOverwrite lists it, but WCS may keep its own value", top.s, cat_methods[m].name);
}

/* After every chain is built: statements that can never act in any chain they are in. */
static void report_dead(lctx *c)
{
	for (int i = 0; i < c->p->blocks.n; i++) {
		const wblock *b = c->p->blocks.v[i];
		for (int j = 0; j < b->stmts.n; j++) {
			const wstmt *s = b->stmts.v[j];
			if (!s->n_in || s->n_dead < s->n_in)
				continue;
			const wsrc *src = src_get(s->shadow->loc.file);
			if (s->kind == S_OVERRIDE)
				diag(DIAG_WARNING, s->loc, "this override never survives: the override at "
				     "%s:%d always writes the field after it", src->name, s->shadow->loc.line);
			else
				diag(DIAG_WARNING, s->loc, "this rule is never reached: the %s at %s:%d "
				     "decides every request first", s->shadow->kind == S_ALLOW ? "allow" : "deny",
				     src->name, s->shadow->loc.line);
		}
	}
}

/* Steps 4 and 5 for one app row: chains, checks, restClientConfig. */
static int lower_app(lctx *c, int app, wcsp_chain *chains, wcsp_str *rcc)
{
	lowered *l = c->l;
	int errors = 0;
	sbuf out = { 0 };
	for (uint32_t t = 0; t < l->pol.nmethods; t++) {
		int m = c->sema_of[t];
		wcsp_chain *ch = &chains[t];
		int covered = 0, denies = 0;
		const wstmt *first_rule = NULL, *decider = NULL;
		ch->rule_first = l->nitems;
		for (int i = 0; i < c->p->blocks.n; i++) {
			const wblock *b = c->p->blocks.v[i];
			if (!app_applies(b, app) || !sema_covers(c->p, b, m))
				continue;
			covered = 1;
			for (int j = 0; j < b->stmts.n; j++) {
				const wstmt *s = b->stmts.v[j];
				if (s->kind != S_ALLOW && s->kind != S_DENY)
					continue;
				GROW(l->items, l->nitems, c->cap_items);
				l->items[l->nitems++] = (uint32_t)s->idx;
				denies |= s->kind == S_DENY;
				if (!first_rule) first_rule = s;
				wstmt *w = (wstmt *)s;
				w->n_in++;
				if (decider) {
					w->n_dead++;
					w->shadow = decider;
				} else if (!s->guard)
					decider = s;    /* decides every request of this chain */
			}
		}
		ch->nrules = l->nitems - ch->rule_first;
		ch->ovr_first = l->nitems;
		sbuf overwrite = { 0 };
		for (int i = 0; i < c->p->blocks.n; i++) {
			const wblock *b = c->p->blocks.v[i];
			if (!app_applies(b, app) || !sema_covers(c->p, b, m))
				continue;
			for (int j = 0; j < b->stmts.n; j++) {
				const wstmt *s = b->stmts.v[j];
				if (s->kind != S_OVERRIDE)
					continue;
				GROW(l->items, l->nitems, c->cap_items);
				l->items[l->nitems++] = (uint32_t)s->idx;
				if (!first_rule) first_rule = s;
				overwritten(c, app, m, b, j, s);
				note_adoption(m, s);
				wstr top = s->path->seg.v[0];
				int seen = 0;       /* first-use order, each top-level name once */
				for (const char *q = overwrite.s; q && !seen; q = strchr(q, ',')) {
					q += *q == ',';
					const char *e = strchr(q, ',');
					size_t qn = e ? (size_t)(e - q) : strlen(q);
					seen = qn == top.n && !memcmp(q, top.s, qn);
				}
				if (!seen) {
					if (overwrite.n)
						sb_put(&overwrite, ",", 1);
					sb_put(&overwrite, top.s, top.n);
				}
			}
		}
		ch->novr = l->nitems - ch->ovr_first;
		if (!covered || m == 0) {       /* connect configures the others, not itself */
			free(overwrite.s);
			continue;
		}
		settings st = resolve(c, app, m);
		const char *name = sema_method_name(c->p, m);
		if (st.disable && first_rule && !((wstmt *)first_rule)->reported) {
			diag(DIAG_ERROR, first_rule->loc, "'%s' is disabled (%s:%d): WCS never calls it, "
			     "so this statement never runs", name, src_get(st.disable->loc.file)->name,
			     st.disable->loc.line);
			((wstmt *)first_rule)->reported = 1;
			errors++;
		}
		if (st.onerror && !st.onerror->fail && denies && !((wstmt *)st.onerror)->reported) {
			diag(DIAG_WARNING, st.onerror->loc, "restOnError LOG on '%s', which has a deny: "
			     "WCS will log the refusal and go on", name);
			((wstmt *)st.onerror)->reported = 1;
		}
		sb_puts(&out, out.n ? "," : "{");
		sb_json_str(&out, name, strlen(name));
		sb_puts(&out, ":{\"clientExclude\":");
		paths_csv(&out, st.cexclude);
		sb_puts(&out, ",\"restExclude\":");
		paths_csv(&out, st.rexclude);
		sb_printf(&out, ",\"restOnError\":\"%s\",\"restPolicy\":\"%s\",\"restOverwrite\":",
			  st.onerror ? (st.onerror->fail ? "FAIL" : "LOG") : denies ? "FAIL" : "LOG",
			  st.disable ? "DISABLE" : ch->novr ? "OVERWRITE" : "NOTIFY");
		sb_json_str(&out, overwrite.s ? overwrite.s : "", overwrite.n);
		sb_puts(&out, "}");
		free(overwrite.s);
	}
	if (out.n) {
		sb_puts(&out, "}");
		size_t n;
		char *s = sb_take(&out, &n);
		own(l, s);
		*rcc = (wcsp_str){ s, (uint32_t)n };
	} else
		*rcc = (wcsp_str){ "", 0 };
	return errors;
}

static int name_cmp(const void *a, const void *b) { return key_cmp(a, b); }

static const wpolicy *sort_pol;
static int app_cmp(const void *a, const void *b)
{
	const wstr *x = &sort_pol->apps.v[*(const int *)a].key, *y = &sort_pol->apps.v[*(const int *)b].key;
	wcsp_str sx = { x->s, (uint32_t)x->n }, sy = { y->s, (uint32_t)y->n };
	return key_cmp(&sx, &sy);
}

static void lower_accept(lctx *c)
{
	lowered *l = c->l;
	l->accept = xcalloc((size_t)c->p->accept.n, sizeof *l->accept);
	for (int i = 0; i < c->p->accept.n; i++) {
		const waddr *a = &c->p->accept.v[i];       /* parsed by check.c */
		memcpy(l->accept[i].addr, a->addr, sizeof a->addr);
		l->accept[i].prefix = (uint8_t)a->prefix;
	}
	l->pol.accept = l->accept;
	l->pol.naccept = (uint32_t)c->p->accept.n;
}

static void hash_inputs(lowered *l)
{
	struct sha256_ctx h;
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_init(&h);
	l->nsrc = src_count();
	l->srcnames = xcalloc((size_t)l->nsrc, sizeof *l->srcnames);
	for (int i = 0; i < l->nsrc; i++) {
		const wsrc *s = src_get(i);
		sha256_update(&h, s->len, (const uint8_t *)s->text);
		l->srcnames[i] = s->name;
	}
	sha256_digest(&h, sizeof d, d);
	char *hex = xmalloc(2 * sizeof d + 1);
	for (size_t i = 0; i < sizeof d; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
	l->pol.hash = own(l, hex);
}

int lower_policy(wpolicy *p, const char *source, lowered *l, int tests)
{
	memset(l, 0, sizeof *l);
	lctx c = { .l = l, .p = p, .nm = sema_nmethods(p) };
	l->pol.abi = WCSP_ABI_VERSION;
	l->pol.source = own_str(l, source, strlen(source)).s;
	if (p->name.s)
		l->pol.name = own_str(l, p->name.s, p->name.n).s;
	else {
		const char *base = strrchr(source, '/') ? strrchr(source, '/') + 1 : source;
		size_t n = strlen(base);
		if (n > 5 && !strcmp(base + n - 5, ".wcsp"))
			n -= 5;
		l->pol.name = own_str(l, base, n).s;
	}
	hash_inputs(l);

	/* sets first: inline lists in guards are numbered after the named sets */
	l->pol.nsets = (uint32_t)p->sets.n;
	for (int i = 0; i < p->sets.n; i++)
		add_set(&c, &p->sets.v[i]->vals, (uint32_t)i);
	lower_rows(&c);
	for (int i = 0; tests && i < p->tests.n; i++)
		for (int j = 0; j < p->tests.v[i]->expects.n; j++) {
			wexpect *e = p->tests.v[i]->expects.v[j];
			e->cond_idx = e->cond ? lower_cond(&c, e->cond) : WCSP_NONE;
		}

	/* step 3: the method table */
	c.table_of = xmalloc((size_t)c.nm * sizeof *c.table_of);
	int nt = 0;
	for (int m = 0; m < c.nm; m++) {
		int covered = m == 0;
		for (int i = 0; i < p->blocks.n && !covered; i++)
			covered = sema_covers(p, p->blocks.v[i], m);
		c.table_of[m] = covered ? nt++ : -1;
	}
	l->methods = xcalloc((size_t)nt, sizeof *l->methods);
	for (int m = 0; m < c.nm; m++)
		if (c.table_of[m] >= 0) {
			const char *n = sema_method_name(p, m);
			l->methods[c.table_of[m]] = (wcsp_str){ n, (uint32_t)strlen(n) };
		}
	qsort(l->methods, (size_t)nt, sizeof *l->methods, name_cmp);
	c.sema_of = xmalloc((size_t)nt * sizeof *c.sema_of);
	l->mtypes = xmalloc((size_t)nt);
	for (int t = 0; t < nt; t++) {
		l->methods[t] = own_str(l, l->methods[t].s, l->methods[t].n);
		for (int m = 0; m < c.nm; m++)
			if (!strcmp(sema_method_name(p, m), l->methods[t].s)) {
				c.sema_of[t] = m;
				c.table_of[m] = t;
			}
		l->mtypes[t] = (uint8_t)sema_method_type(p, c.sema_of[t]);
		if (c.sema_of[t] == 0)
			l->pol.connect = (uint32_t)t;
	}
	l->pol.nmethods = (uint32_t)nt;

	/* step 4 and 5: app rows, sorted by appKey, the default row last */
	int na = p->apps.n;
	int *order = xmalloc((size_t)(na + 1) * sizeof *order);
	for (int i = 0; i < na; i++)
		order[i] = i;
	sort_pol = p;
	qsort(order, (size_t)na, sizeof *order, app_cmp);
	order[na] = -1;
	l->apps = xcalloc((size_t)na + 1, sizeof *l->apps);
	l->chains = xcalloc((size_t)(na + 1) * (size_t)(nt ? nt : 1), sizeof *l->chains);
	int errors = 0;
	for (int a = 0; a <= na; a++) {
		if (order[a] >= 0)
			l->apps[a].key = own_str(l, p->apps.v[order[a]].key.s, p->apps.v[order[a]].key.n);
		else
			l->apps[a].key = (wcsp_str){ "", 0 };
		errors += lower_app(&c, order[a], l->chains + (size_t)a * (size_t)nt, &l->apps[a].rcc);
	}
	free(order);
	report_dead(&c);
	l->pol.napps = (uint32_t)na;
	lower_accept(&c);
	l->pol.require_signature = (uint8_t)p->require_sig;

	/* the arrays stop moving: point the tables at them */
	for (uint32_t i = 0; i < l->npaths; i++)
		l->paths[i].seg = l->segs + c.path_seg0[i];
	for (uint32_t i = 0; i < l->pol.nsets; i++)
		l->sets[i].off = l->offs + c.set_key0[i];
	l->pol.set_pool = l->pool ? l->pool : "";
	for (int a = 0; a <= na; a++)
		l->apps[a].chains = l->chains + (size_t)a * (size_t)nt;
	l->pol.methods = l->methods;
	l->pol.method_types = l->mtypes;
	l->pol.apps = l->apps;
	l->pol.rules = l->rules;
	l->pol.overrides = l->ovrs;
	l->pol.chain_items = l->items;
	l->pol.conds = l->conds;
	l->pol.paths = l->paths;
	l->pol.values = l->values;
	l->pol.tparts = l->tparts;
	l->pol.sets = l->sets;
	free(c.path_seg0);
	free(c.set_key0);
	free(c.table_of);
	free(c.sema_of);
	return errors ? -1 : 0;
}

void lower_free(lowered *l)
{
	free(l->methods); free(l->mtypes); free(l->apps); free(l->chains); free(l->rules);
	free(l->ovrs); free(l->items); free(l->conds); free(l->paths); free(l->segs);
	free(l->values); free(l->tparts); free(l->sets); free(l->pool); free(l->offs);
	free(l->accept);
	free(l->srcnames);
	for (int i = 0; i < l->nowned; i++)
		free(l->owned[i]);
	free(l->owned);
	memset(l, 0, sizeof *l);
}

wcsp_str lower_rcc(const lowered *l, const char *app)
{
	for (uint32_t a = 0; app && a < l->pol.napps; a++)
		if (strlen(app) == l->apps[a].key.n && !memcmp(app, l->apps[a].key.s, l->apps[a].key.n))
			return l->apps[a].rcc;
	return l->apps[l->pol.napps].rcc;
}
