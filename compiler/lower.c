/*
 * lower.c -- from the checked AST to the ABI tables.
 *
 * Order of work, each step deterministic (file order, or sorted by bytes):
 *   1. rows: every allow/deny becomes a rule row and every override an override row, in
 *      file order, with its guard lowered to cond rows (`unless c` is NOT c); every row
 *      keeps its statement's source text for the comments of the emitted C;
 *   2. sets: sorted, de-duplicated canonical keys in one byte pool;
 *   3. methods: every method some block covers, plus connect, sorted by name;
 *   4. chains: one per (app, method): the covering rows in file order, blocks outside any
 *      app included in every app; the default row (appKey names no app) has those only;
 *   5. analysis, over every chain a statement is in: rules that can never decide, overrides
 *      a later one always overwrites, fields WCS is not documented to adopt;
 *   6. restClientConfig: settings resolve per (app, method), most specific level first, and
 *      the checks that need that view run there;
 *   7. indexes: within a block, a run of INDEX_MIN or more consecutive rules guarded by
 *      `path == constant` or `path in` a list or compiled set on one path gets a wcsp_index:
 *      the keys that satisfy some rule of the run, each mapped to the first such rule.
 * What the analysis learns of a statement lives in this file's context (stmt_info, one per
 * statement, numbered block by block in file order), never in the AST.
 */
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "catalog.h"
#include "check.h"
#include "decide.h"
#include "lower.h"
#include "sbuf.h"
#include "template.h"

#define GROW(arr, n, cap) do { if ((n) == (cap)) { (cap) = (cap) ? (cap) * 2 : 16; \
	(arr) = xrealloc((arr), (size_t)(cap) * sizeof *(arr)); } } while (0)
/* the same for a table and its array of comments */
#define GROW2(arr, notes, n, cap) do { if ((n) == (cap)) { (cap) = (cap) ? (cap) * 2 : 16; \
	(arr) = xrealloc((arr), (size_t)(cap) * sizeof *(arr)); \
	(notes) = xrealloc((notes), (size_t)(cap) * sizeof *(notes)); } } while (0)

#define NOTE_MAX 72             /* bytes of source text in one comment */
#define INDEX_MIN 4             /* shorter runs of indexable rules are walked */
#define INDEX_SET_MAX 65536     /* a larger set in a guard ends a run (its keys would be copied) */

/* What the analysis knows of one statement. */
typedef struct stmt_info {
	uint32_t row;           /* its rule or override row */
	int n_in, n_dead;       /* chains it is in; chains where it can never act */
	const wstmt *shadow;    /* the statement that makes it dead */
	int noted;              /* the adoption note was given */
	int reported;           /* a per-statement error or warning was given */
} stmt_info;

typedef struct lctx {
	lowered *l;
	const wpolicy *p;
	uint32_t cap_conds, cap_paths, cap_segs, cap_values, cap_tparts, cap_items, cap_sets;
	uint32_t cap_digests, cap_indexes, cap_targets;
	uint32_t *path_seg0;    /* each path's first segment, until segs stops moving */
	uint32_t *path_slot;    /* [npath_slots], a power of two: open addressing over the path
				   rows by their key (path_key); UINT32_MAX empty */
	char **path_keys;       /* [npaths]: each row's key */
	uint32_t npath_slots;
	int *first;             /* [nblocks]: info index of each block's first statement */
	stmt_info *info;
	int nm;                 /* sema methods */
	int *table_of;          /* sema method -> table index, -1 when not in the table */
	int *sema_of;           /* table index -> sema method */
	int errors;
} lctx;

static stmt_info *info_of(lctx *c, int block, int stmt) { return &c->info[c->first[block] + stmt]; }

/* The same, for a block known by its pointer. */
static stmt_info *info_of_stmt(lctx *c, const wblock *b, int stmt)
{
	int i = 0;
	while (c->p->blocks.v[i] != b)
		i++;
	return info_of(c, i, stmt);
}

static int app_applies(const wblock *b, int app) { return b->app < 0 || b->app == app; }

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

/* The source text of span at, on one line: blanks collapsed, at most NOTE_MAX bytes. */
static const char *src_text(lowered *l, wloc at, const char *prefix)
{
	const wsrc *src = src_get(at.file);
	sbuf b = { 0 };
	sb_puts(&b, prefix);
	if (src) {
		const char *p = src->text, *end = src->text + src->len;
		for (int line = 1; line < at.line && p < end; p++)
			line += *p == '\n';
		p += at.col - 1;
		int line = at.line, col = at.col, blank = 0;
		for (; p < end &&
		       (line < at.last_line || (line == at.last_line && col < at.last_col));
		     p++) {
			int sp = *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n';
			if (*p == '\n')
				line++, col = 1;
			else
				col++;
			if (sp)
				blank = 1;
			else {
				if (blank && b.n > strlen(prefix))
					sb_put(&b, " ", 1);
				blank = 0;
				sb_put(&b, p, 1);
			}
			if (b.n > NOTE_MAX) {
				sb_puts(&b, "...");
				break;
			}
		}
	}
	return own(l, sb_take(&b, NULL));
}

/* A path's identity: its claims token row, then each segment as its length and bytes, as
 * text (lengths in decimal, ':' after each): "T:3:abc4:defg". */
static char *path_key(const wtoken *t, const wpath *p)
{
	sbuf b = { 0 };
	char num[24];

	sb_put(&b, num, (size_t)snprintf(num, sizeof num, "%d:", t ? t->idx : -1));
	for (int i = t != NULL; i < p->seg.n; i++) {
		sb_put(&b, num, (size_t)snprintf(num, sizeof num, "%zu:", p->seg.v[i].n));
		sb_put(&b, p->seg.v[i].s, (size_t)p->seg.v[i].n);
	}
	return sb_take(&b, NULL);
}

static uint32_t key_hash(const char *k)
{
	uint32_t h = 2166136261u;               /* FNV-1a */
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h;
}

/* The slot of key k: where its row is, or the empty slot where it would go. */
static uint32_t *path_find(lctx *c, const char *k)
{
	uint32_t m = c->npath_slots - 1, i = key_hash(k) & m;
	while (c->path_slot[i] != UINT32_MAX && strcmp(c->path_keys[c->path_slot[i]], k))
		i = (i + 1) & m;
	return &c->path_slot[i];
}

/* The row of path p: one row per distinct path (the runtime remembers a row's lookup
 * within a request, so a field read by several guards is looked up once). */
static uint32_t add_path(lctx *c, const wpath *p)
{
	lowered *l = c->l;
	const wtoken *t = sema_claims_of(c->p, p);      /* `viewer.sub`: claim sub */
	char *key = path_key(t, p);
	if (2 * (l->npaths + 1) > c->npath_slots) {     /* at most half full */
		uint32_t n = c->npath_slots ? c->npath_slots * 2 : 64;
		free(c->path_slot);
		c->path_slot = xmalloc((size_t)n * sizeof *c->path_slot);
		memset(c->path_slot, 0xff, (size_t)n * sizeof *c->path_slot);
		c->npath_slots = n;
		for (uint32_t i = 0; i < l->npaths; i++)
			*path_find(c, c->path_keys[i]) = i;
	}
	uint32_t *slot = path_find(c, key);
	if (*slot != UINT32_MAX) {
		free(key);
		return *slot;
	}
	uint32_t cap = c->cap_paths;
	GROW2(l->paths, l->path_src, l->npaths, c->cap_paths);
	if (cap != c->cap_paths) {
		c->path_seg0 = xrealloc(c->path_seg0, (size_t)c->cap_paths * sizeof *c->path_seg0);
		c->path_keys = xrealloc(c->path_keys, (size_t)c->cap_paths * sizeof *c->path_keys);
	}
	c->path_seg0[l->npaths] = l->nsegs;
	c->path_keys[l->npaths] = key;
	*slot = l->npaths;
	sbuf dotted = { 0 };
	for (int i = 0; i < p->seg.n; i++) {
		if (i)
			sb_put(&dotted, ".", 1);
		sb_put(&dotted, p->seg.v[i].s, p->seg.v[i].n);
		if (t && !i)
			continue;
		GROW(l->segs, l->nsegs, c->cap_segs);
		l->segs[l->nsegs++] = own_str(l, p->seg.v[i].s, p->seg.v[i].n);
	}
	l->path_src[l->npaths] = own(l, sb_take(&dotted, NULL));
	l->paths[l->npaths] = (wcsp_path){ NULL, (uint32_t)p->seg.n - (t != NULL),
					   t ? (uint32_t)t->idx : WCSP_NONE };
	return l->npaths++;
}

static uint32_t new_value(lctx *c, uint8_t kind)
{
	lowered *l = c->l;
	GROW(l->values, l->nvalues, c->cap_values);
	l->values[l->nvalues] =
		(wcsp_value){ .kind = kind, .path = WCSP_NONE, .part_first = WCSP_NONE };
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

/* A template's pieces: literal text already JSON-escaped, and fields. */
static uint32_t add_template(lctx *c, const tpieces *t)
{
	lowered *l = c->l;
	uint32_t i = new_value(c, WCSP_V_TEMPLATE);
	l->values[i].part_first = l->ntparts;
	l->values[i].nparts = (uint32_t)t->n;
	for (int k = 0; k < t->n; k++) {
		wcsp_tpart part = { WCSP_NONE, { "", 0 }, WCSP_NONE };
		if (t->v[k].path)
			part.path = add_path(c, t->v[k].path);
		else {
			sbuf b = { 0 };
			sb_json_text(&b, t->v[k].lit.s, t->v[k].lit.n);
			size_t n;
			char *s = sb_take(&b, &n);
			own(l, s);
			part.lit = (wcsp_str){ s, (uint32_t)n };
		}
		GROW(l->tparts, l->ntparts, c->cap_tparts);
		l->tparts[l->ntparts++] = part;
	}
	return i;
}

/* A digest's template: literal bytes as they are, fields, and ${KEY} for a key's bytes. */
static uint32_t add_digest(lctx *c, const wdigest *d, const char *note)
{
	lowered *l = c->l;
	tpieces t = { 0 };
	tmpl_split(d->tmpl, &t);
	GROW2(l->digests, l->digest_src, l->pol.ndigests, c->cap_digests);
	uint32_t row = l->pol.ndigests++;
	int key = d->key.s ? sema_key(c->p, d->key.s, d->key.n) : -1;
	l->digest_src[row] = note;
	l->digests[row] = (wcsp_digest){ (uint8_t)d->hash, (uint8_t)d->enc,
					 key < 0 ? WCSP_NONE : (uint32_t)key, l->ntparts,
					 (uint32_t)t.n };
	for (int k = 0; k < t.n; k++) {
		wcsp_tpart part = { WCSP_NONE, { "", 0 }, WCSP_NONE };
		const wpath *f = t.v[k].path;
		int kk = f && f->seg.n == 1 ? sema_key(c->p, f->seg.v[0].s, f->seg.v[0].n) : -1;
		if (kk >= 0)
			part.key = (uint32_t)kk;
		else if (f)
			part.path = add_path(c, f);
		else
			part.lit = own_str(l, t.v[k].lit.s, t.v[k].lit.n);
		GROW(l->tparts, l->ntparts, c->cap_tparts);
		l->tparts[l->ntparts++] = part;
	}
	tmpl_free(&t);
	return row;
}

/* A value; in an override, strings are templates. */
static uint32_t add_value(lctx *c, const wvalue *v, int in_override)
{
	lowered *l = c->l;
	uint32_t i;
	switch (v->kind) {
	case V_STRING: {
		tpieces t = { 0 };
		wstr text = v->str;
		if (in_override && tmpl_split(v, &t) > 0) {
			i = add_template(c, &t);
			tmpl_free(&t);
			return i;
		}
		if (in_override)        /* plain text: $${ already read as ${ */
			text = t.n ? t.v[0].lit : (wstr){ "", 0 };
		i = new_value(c, WCSP_V_STRING);
		l->values[i].str = own_str(l, text.s, text.n);
		l->values[i].json = json_of(l, text.s, text.n);
		tmpl_free(&t);
		return i;
	}
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
	case V_NOW:
		i = new_value(c, WCSP_V_NOW);
		l->values[i].num = v->num;
		return i;
	case V_DIGEST: {
		uint32_t d = add_digest(c, v->dig, src_text(l, v->loc, ""));
		i = new_value(c, WCSP_V_DIGEST);
		l->values[i].path = d;
		return i;
	}
	}
	return WCSP_NONE;
}

/* Canonical set key of a constant (see wcsp_set in wcsp_abi.h). */
static wcsp_str canon(lowered *l, const wvalue *v)
{
	char num[WCSP_NUMBER_KEY];
	switch (v->kind) {
	case V_STRING: {
		char *s = xmalloc(v->str.n + 1);
		s[0] = 's';
		memcpy(s + 1, v->str.s, v->str.n);
		own(l, s);
		return (wcsp_str){ s, (uint32_t)v->str.n + 1 };
	}
	case V_NUMBER: return own_str(l, num, wcsp_number_key(v->num, num));
	case V_TRUE: return (wcsp_str){ "t", 1 };
	case V_FALSE: return (wcsp_str){ "f", 1 };
	default: return (wcsp_str){ "z", 1 };
	}
}

static int key_order(const void *a, const void *b)
{
	const wcsp_str *x = a, *y = b;
	return wcsp_key_cmp(x->s, x->n, y->s, y->n);
}

/* Step 2 for one set: its keys sorted and distinct, appended to the pool and offsets. */
/* Sorted, distinct canonical keys (keys[0 .. n), sorted in place) into the pool and offsets;
 * their number. */
static uint32_t pool_keys(lowered *l, wcsp_str *keys, uint32_t n, uint32_t *first)
{
	uint32_t kept = 0;
	uint32_t sorted = 1;    /* set files often come sorted: then the check is the sort */
	while (sorted < n && key_order(&keys[sorted - 1], &keys[sorted]) <= 0)
		sorted++;
	if (sorted < n)
		qsort(keys, n, sizeof *keys, key_order);
	for (uint32_t i = 0; i < n; i++)
		if (!kept || key_order(&keys[kept - 1], &keys[i]))
			keys[kept++] = keys[i];
	l->offs = xrealloc(l->offs, (l->noffs + kept + 1) * sizeof *l->offs);
	size_t bytes = 0;
	for (uint32_t i = 0; i < kept; i++)
		bytes += keys[i].n;
	l->pool = xrealloc(l->pool, l->npool + bytes + 1);
	for (uint32_t i = 0; i < kept; i++) {
		l->offs[l->noffs++] = l->npool;
		memcpy(l->pool + l->npool, keys[i].s, keys[i].n);
		l->npool += keys[i].n;
	}
	l->offs[l->noffs++] = l->npool;
	*first = l->noffs - kept - 1;
	return kept;
}

static uint32_t add_set(lctx *c, const wvlist *vals, const char *note)
{
	lowered *l = c->l;
	wcsp_str *keys = xmalloc((size_t)(vals->n ? vals->n : 1) * sizeof *keys);
	uint32_t n = 0, first;
	for (int i = 0; i < vals->n; i++)
		keys[n++] = canon(l, vals->v[i]);
	uint32_t kept = pool_keys(l, keys, n, &first);
	free(keys);
	GROW2(l->sets, l->set_src, l->pol.nsets, c->cap_sets);
	l->set_src[l->pol.nsets] = note;
	l->sets[l->pol.nsets] = (wcsp_set){ first, kept, NULL };
	return l->pol.nsets++;
}

static uint32_t add_cond(lctx *c, uint8_t op, uint32_t a, uint32_t b, const char *note)
{
	lowered *l = c->l;
	GROW2(l->conds, l->cond_src, l->nconds, c->cap_conds);
	l->cond_src[l->nconds] = note;
	l->conds[l->nconds] = (wcsp_cond){ op, a, b };
	return l->nconds++;
}

static uint32_t lower_cond(lctx *c, const wcond *w)
{
	static const uint8_t ops[] = {
		[C_EQ] = WCSP_C_EQ, [C_NE] = WCSP_C_NE, [C_LT] = WCSP_C_LT, [C_LE] = WCSP_C_LE,
		[C_GT] = WCSP_C_GT, [C_GE] = WCSP_C_GE, [C_GLOB] = WCSP_C_GLOB,
	};
	const char *note = src_text(c->l, w->loc, "");
	switch (w->op) {
	case C_AND: case C_OR: {
		uint32_t a = lower_cond(c, w->l), b = lower_cond(c, w->r);
		return add_cond(c, w->op == C_AND ? WCSP_C_AND : WCSP_C_OR, a, b, note);
	}
	case C_NOT:
		return add_cond(c, WCSP_C_NOT, lower_cond(c, w->l), 0, note);
	case C_EXISTS:
		return add_cond(c, WCSP_C_EXISTS, add_path(c, w->path), 0, note);
	case C_INSET: {
		uint32_t set = 0;
		while (!wstr_eq(c->p->sets.v[set]->name, w->setname.s, w->setname.n))
			set++;
		return add_cond(c, WCSP_C_IN, add_path(c, w->path), set, note);
	}
	case C_INLIST: {
		uint32_t path = add_path(c, w->path);
		return add_cond(c, WCSP_C_IN, path, add_set(c, &w->list, note), note);
	}
	case C_VALID:
		return add_cond(c, WCSP_C_VALID,
				(uint32_t)sema_token(c->p, w->setname.s, w->setname.n), 0, note);
	case C_INARRAY: {
		uint32_t path = add_path(c, w->path);
		return add_cond(c, WCSP_C_IN_ARRAY, path, add_path(c, w->val->path), note);
	}
	default: {
		uint32_t path = add_path(c, w->path);
		return add_cond(c, ops[w->op], path, add_value(c, w->val, 0), note);
	}
	}
}

static uint32_t lower_guard(lctx *c, const wstmt *s)
{
	if (!s->guard)
		return WCSP_NONE;
	uint32_t g = lower_cond(c, s->guard);
	return s->unless ? add_cond(c, WCSP_C_NOT, g, 0, src_text(c->l, s->guard->loc, "unless "))
			 : g;
}

/* A source file's name as the tables show it: relative to the root policy's directory (the
 * root itself by its base name), so the same policy gives the same C from any directory. */
static const char *table_name(const lowered *l, int file)
{
	const char *name = src_get(file)->name;
	return !strncmp(name, l->rootdir, l->nrootdir) ? name + l->nrootdir : name;
}

static const char *loc_text(lowered *l, wloc at)
{
	sbuf b = { 0 };
	sb_printf(&b, "%s:%d", table_name(l, at.file), at.line);
	return own(l, sb_take(&b, NULL));
}

/* The reply of a deny: the error envelope every refusal carries. */
static wcsp_str deny_body(lowered *l, const wstmt *s)
{
	const char *why = s->reason.s ? s->reason.s : "denied by policy";
	size_t n = s->reason.s ? s->reason.n : strlen(why), cap = 6 * n + 32;
	char *body = xmalloc(cap);
	n = wcsp_error_body(body, cap, "denied", why, n);
	own(l, body);
	return (wcsp_str){ body, (uint32_t)n };
}

/* `deny unless valid T` (or `if not valid T`) without a reason: T's failure is the reason. */
static uint32_t reason_token(const lctx *c, const wstmt *s)
{
	const wcond *g = s->guard;
	if (s->kind != S_DENY || s->reason.s || !g)
		return WCSP_NONE;
	if (!s->unless && g->op == C_NOT)
		g = g->l;
	else if (!s->unless)
		return WCSP_NONE;
	return g->op == C_VALID ? (uint32_t)sema_token(c->p, g->setname.s, g->setname.n)
				: WCSP_NONE;
}

/* Step 1: a row per allow/deny and per override, in file order. */
static void lower_rows(lctx *c)
{
	lowered *l = c->l;
	uint32_t caprules = 0, capovrs = 0;
	for (int i = 0; i < c->p->blocks.n; i++) {
		const wblock *b = c->p->blocks.v[i];
		for (int j = 0; j < b->stmts.n; j++) {
			const wstmt *s = b->stmts.v[j];
			const char *note = src_text(l, s->loc, "");
			if (s->kind == S_ALLOW || s->kind == S_DENY) {
				wcsp_rule r = { s->kind == S_ALLOW ? WCSP_R_ALLOW : WCSP_R_DENY,
						(uint16_t)(s->kind == S_ALLOW ? 200
							   : s->status        ? s->status
									      : 403),
						lower_guard(c, s),
						{ "", 0 },
						loc_text(l, s->loc),
						reason_token(c, s),
						WCSP_NONE };
				if (s->kind == S_DENY)
					r.body = deny_body(l, s);
				GROW2(l->rules, l->rule_src, l->pol.nrules, caprules);
				l->rule_src[l->pol.nrules] = note;
				info_of(c, i, j)->row = l->pol.nrules;
				l->rules[l->pol.nrules++] = r;
			} else if (s->kind == S_OVERRIDE) {
				wcsp_override o;        /* rows are numbered in this order */
				o.path = add_path(c, s->path);
				o.value = add_value(c, s->val, 1);
				o.cond = lower_guard(c, s);
				o.loc = loc_text(l, s->loc);
				GROW2(l->ovrs, l->ovr_src, l->pol.noverrides, capovrs);
				l->ovr_src[l->pol.noverrides] = note;
				info_of(c, i, j)->row = l->pol.noverrides;
				l->ovrs[l->pol.noverrides++] = o;
			}
		}
	}
}

/* Step 3: the method table, sorted by name, with the maps between its rows and sema's. */
static void lower_methods(lctx *c)
{
	lowered *l = c->l;
	const wpolicy *p = c->p;
	int nt = 0;
	c->table_of = xmalloc((size_t)c->nm * sizeof *c->table_of);
	for (int m = 0; m < c->nm; m++) {
		int covered = m == 0;           /* connect is always in the table */
		for (int i = 0; i < p->blocks.n && !covered; i++)
			covered = sema_covers(p, p->blocks.v[i], m);
		c->table_of[m] = covered ? nt++ : -1;
	}
	l->methods = xcalloc((size_t)nt, sizeof *l->methods);
	for (int m = 0; m < c->nm; m++)
		if (c->table_of[m] >= 0) {
			const char *n = sema_method_name(p, m);
			l->methods[c->table_of[m]] = own_str(l, n, strlen(n));
		}
	qsort(l->methods, (size_t)nt, sizeof *l->methods, key_order);
	c->sema_of = xmalloc((size_t)(nt ? nt : 1) * sizeof *c->sema_of);
	l->mtypes = xmalloc((size_t)(nt ? nt : 1));
	for (int t = 0; t < nt; t++) {
		for (int m = 0; m < c->nm; m++)
			if (c->table_of[m] >= 0 &&
			    !strcmp(sema_method_name(p, m), l->methods[t].s)) {
				c->sema_of[t] = m;
				c->table_of[m] = t;
			}
		l->mtypes[t] = (uint8_t)sema_method_type(p, c->sema_of[t]);
		if (c->sema_of[t] == 0)
			l->pol.connect = (uint32_t)t;
	}
	l->pol.nmethods = (uint32_t)nt;
}

/* Step 4: the chain of (app, method m): rule rows, then override rows, in file order. */
static void build_chain(lctx *c, int app, int m, wcsp_chain *ch)
{
	lowered *l = c->l;
	for (int pass = 0; pass < 2; pass++) {
		uint32_t start = l->nitems;
		for (int i = 0; i < c->p->blocks.n; i++) {
			const wblock *b = c->p->blocks.v[i];
			if (!app_applies(b, app) || !sema_covers(c->p, b, m))
				continue;
			for (int j = 0; j < b->stmts.n; j++) {
				enum wstmt_kind k = b->stmts.v[j]->kind;
				if (pass == 0 ? k != S_ALLOW && k != S_DENY : k != S_OVERRIDE)
					continue;
				GROW(l->items, l->nitems, c->cap_items);
				l->items[l->nitems++] = info_of(c, i, j)->row;
			}
		}
		if (pass == 0)
			*ch = (wcsp_chain){ start, l->nitems - start, 0, 0 };
		else
			ch->ovr_first = start, ch->novr = l->nitems - start;
	}
}

/* q is p or holds it: writing q replaces what p wrote. */
static int covers_path(const wpath *q, const wpath *p)
{
	if (q->seg.n > p->seg.n)
		return 0;
	for (int i = 0; i < q->seg.n; i++)
		if (!wstr_eq(p->seg.v[i], q->seg.v[i].s, q->seg.v[i].n))
			return 0;
	return 1;
}

/* A note when WCS is not documented to take this field from the method's reply. */
static void note_adoption(int m, const wstmt *s, stmt_info *in)
{
	if (in->noted || m >= cat_nmethods)
		return;
	const char *adopts = cat_methods[m].adopts;
	wstr top = s->path->seg.v[0];
	if (adopts && strlen(adopts) == top.n && !memcmp(adopts, top.s, top.n))
		return;
	in->noted = 1;
	diag(DIAG_NOTE, s->path->loc, "WCS is not documented to take '%s' from a %s reply; "
	     "restOverwrite lists it, but WCS may keep its own value", top.s, cat_methods[m].name);
}

/* Step 5 for the chain of (app, method m): which rule or override can never act there.
 * A rule after an unguarded one never decides; an override followed by an unguarded one
 * of the same field (or of a field holding it) never survives. */
static void analyse_chain(lctx *c, int app, int m)
{
	const wstmt *decider = NULL;
	for (int i = 0; i < c->p->blocks.n; i++) {
		const wblock *b = c->p->blocks.v[i];
		if (!app_applies(b, app) || !sema_covers(c->p, b, m))
			continue;
		for (int j = 0; j < b->stmts.n; j++) {
			const wstmt *s = b->stmts.v[j];
			stmt_info *in = info_of(c, i, j);
			if (s->kind == S_ALLOW || s->kind == S_DENY) {
				in->n_in++;
				if (decider) {
					in->n_dead++;
					in->shadow = decider;
				} else if (!s->guard)
					decider = s;
				continue;
			}
			if (s->kind != S_OVERRIDE)
				continue;
			in->n_in++;
			note_adoption(m, s, in);
			const wstmt *later = NULL;
			for (int i2 = i; i2 < c->p->blocks.n && !later; i2++) {
				const wblock *b2 = c->p->blocks.v[i2];
				if (!app_applies(b2, app) || !sema_covers(c->p, b2, m))
					continue;
				for (int j2 = i2 == i ? j + 1 : 0; j2 < b2->stmts.n && !later;
				     j2++) {
					const wstmt *t = b2->stmts.v[j2];
					if (t->kind == S_OVERRIDE && !t->guard &&
					    covers_path(t->path, s->path))
						later = t;
				}
			}
			if (later) {
				in->n_dead++;
				in->shadow = later;
			}
		}
	}
}

/* After every chain is analysed: statements that can never act in any chain they are in. */
static void report_dead(lctx *c)
{
	for (int i = 0; i < c->p->blocks.n; i++) {
		const wblock *b = c->p->blocks.v[i];
		for (int j = 0; j < b->stmts.n; j++) {
			const wstmt *s = b->stmts.v[j];
			const stmt_info *in = info_of(c, i, j);
			if (!in->n_in || in->n_dead < in->n_in)
				continue;
			const wsrc *src = src_get(in->shadow->loc.file);
			if (s->kind == S_OVERRIDE)
				diag(DIAG_WARNING, s->loc,
				     "this override never survives: the override at "
				     "%s:%d always writes the field after it",
				     src->name, in->shadow->loc.line);
			else
				diag(DIAG_WARNING, s->loc,
				     "this rule is never reached: the %s at %s:%d "
				     "decides every request first",
				     in->shadow->kind == S_ALLOW ? "allow" : "deny", src->name,
				     in->shadow->loc.line);
		}
	}
}

/* Resolved settings of (app, method): the statement deciding each, or NULL. */
typedef struct settings {
	const wstmt *onerror, *rexclude, *cexclude, *disable;
	int onerror_block, onerror_stmt;
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
			if (k == 0)
				s.onerror_block = i, s.onerror_stmt = j;
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

/* What restClientConfig needs of one (app, method): whether a block covers it, whether it
 * denies, its first rule or override, and its overridden top-level names in first-use
 * order, comma-separated. */
typedef struct chain_sum {
	int covered, denies, overrides;
	const wstmt *first;     /* the first rule, else the first override */
	int first_block, first_stmt, first_is_rule;
	sbuf overwrite;
} chain_sum;

static void summarise(const lctx *c, int app, int m, chain_sum *sum)
{
	memset(sum, 0, sizeof *sum);
	for (int i = 0; i < c->p->blocks.n; i++) {
		const wblock *b = c->p->blocks.v[i];
		if (!app_applies(b, app) || !sema_covers(c->p, b, m))
			continue;
		sum->covered = 1;
		for (int j = 0; j < b->stmts.n; j++) {
			const wstmt *s = b->stmts.v[j];
			if (s->kind != S_ALLOW && s->kind != S_DENY && s->kind != S_OVERRIDE)
				continue;
			int rule = s->kind != S_OVERRIDE;
			if (!sum->first || (rule && !sum->first_is_rule)) {
				sum->first = s;
				sum->first_block = i;
				sum->first_stmt = j;
				sum->first_is_rule = rule;
			}
			sum->denies |= s->kind == S_DENY;
			if (s->kind != S_OVERRIDE)
				continue;
			sum->overrides++;
			wstr top = s->path->seg.v[0];
			int seen = 0;
			for (const char *q = sum->overwrite.s; q && !seen; q = strchr(q, ',')) {
				q += *q == ',';
				const char *e = strchr(q, ',');
				size_t qn = e ? (size_t)(e - q) : strlen(q);
				seen = qn == top.n && !memcmp(q, top.s, qn);
			}
			if (!seen) {
				if (sum->overwrite.n)
					sb_put(&sum->overwrite, ",", 1);
				sb_put(&sum->overwrite, top.s, top.n);
			}
		}
	}
}

/* Step 6 for one app row: its restClientConfig, and the checks that need resolved settings. */
static wcsp_str app_rcc(lctx *c, int app)
{
	lowered *l = c->l;
	sbuf out = { 0 };
	for (uint32_t t = 0; t < l->pol.nmethods; t++) {
		int m = c->sema_of[t];
		chain_sum sum;
		summarise(c, app, m, &sum);
		if (!sum.covered || m == 0) {   /* connect configures the others, not itself */
			free(sum.overwrite.s);
			continue;
		}
		settings st = resolve(c, app, m);
		const char *name = sema_method_name(c->p, m);
		if (st.disable && sum.first &&
		    !info_of(c, sum.first_block, sum.first_stmt)->reported) {
			diag(DIAG_ERROR, sum.first->loc,
			     "'%s' is disabled (%s:%d): WCS never calls it, "
			     "so this statement never runs",
			     name, src_get(st.disable->loc.file)->name, st.disable->loc.line);
			info_of(c, sum.first_block, sum.first_stmt)->reported = 1;
			c->errors++;
		}
		if (st.onerror && !st.onerror->fail && sum.denies &&
		    !info_of(c, st.onerror_block, st.onerror_stmt)->reported) {
			diag(DIAG_WARNING, st.onerror->loc,
			     "restOnError LOG on '%s', which has a deny: "
			     "WCS will log the refusal and go on",
			     name);
			info_of(c, st.onerror_block, st.onerror_stmt)->reported = 1;
		}
		sb_puts(&out, out.n ? "," : "{");
		sb_json_str(&out, name, strlen(name));
		sb_puts(&out, ":{\"clientExclude\":");
		paths_csv(&out, st.cexclude);
		sb_puts(&out, ",\"restExclude\":");
		paths_csv(&out, st.rexclude);
		sb_printf(&out, ",\"restOnError\":\"%s\",\"restPolicy\":\"%s\",\"restOverwrite\":",
			  st.onerror   ? (st.onerror->fail ? "FAIL" : "LOG")
			  : sum.denies ? "FAIL"
				       : "LOG",
			  st.disable      ? "DISABLE"
			  : sum.overrides ? "OVERWRITE"
					  : "NOTIFY");
		sb_json_str(&out, sum.overwrite.s ? sum.overwrite.s : "", sum.overwrite.n);
		sb_puts(&out, "}");
		free(sum.overwrite.s);
	}
	if (!out.n)
		return (wcsp_str){ "", 0 };
	sb_puts(&out, "}");
	size_t n;
	char *s = sb_take(&out, &n);
	own(l, s);
	return (wcsp_str){ s, (uint32_t)n };
}

static const wpolicy *sort_pol;         /* qsort has no context argument */
static int app_order(const void *a, const void *b)
{
	const wstr *x = &sort_pol->apps.v[*(const int *)a].key,
		   *y = &sort_pol->apps.v[*(const int *)b].key;
	return wcsp_key_cmp(x->s, x->n, y->s, y->n);
}

/* Steps 4 to 6 for every app row, sorted by appKey, the default row last. */
static void lower_apps(lctx *c)
{
	lowered *l = c->l;
	const wpolicy *p = c->p;
	uint32_t nt = l->pol.nmethods;
	int na = p->apps.n;
	int *order = xmalloc((size_t)(na + 1) * sizeof *order);
	for (int i = 0; i < na; i++)
		order[i] = i;
	sort_pol = p;
	qsort(order, (size_t)na, sizeof *order, app_order);
	order[na] = -1;
	l->apps = xcalloc((size_t)na + 1, sizeof *l->apps);
	l->chains = xcalloc((size_t)(na + 1) * (nt ? nt : 1), sizeof *l->chains);
	for (int a = 0; a <= na; a++) {
		int app = order[a];
		l->apps[a].key = app >= 0 ? own_str(l, p->apps.v[app].key.s, p->apps.v[app].key.n)
			: (wcsp_str){ "", 0 };
		for (uint32_t t = 0; t < nt; t++) {
			build_chain(c, app, c->sema_of[t], &l->chains[(size_t)a * nt + t]);
			analyse_chain(c, app, c->sema_of[t]);
		}
		l->apps[a].rcc = app_rcc(c, app);
	}
	free(order);
	report_dead(c);
	l->pol.napps = (uint32_t)na;
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

/* Keys by name and file; tokens with their keys, claims and the body of each failure. */
static void lower_tokens(lctx *c)
{
	lowered *l = c->l;
	const wpolicy *p = c->p;
	l->pol.nkeys = (uint32_t)p->keys.n;
	l->keys = xcalloc((size_t)p->keys.n + 1, sizeof *l->keys);
	for (int i = 0; i < p->keys.n; i++)
		l->keys[i] = (wcsp_key){ own_str(l, p->keys.v[i]->name.s, p->keys.v[i]->name.n),
					 own_str(l, p->keys.v[i]->file.s, p->keys.v[i]->file.n).s };
	l->pol.ntokens = (uint32_t)p->tokens.n;
	l->tokens = xcalloc((size_t)p->tokens.n + 1, sizeof *l->tokens);
	uint32_t nkeys = 0, nstrs = 0, nbodies = 0;
	for (int i = 0; i < p->tokens.n; i++) {
		const wtoken *t = p->tokens.v[i];
		nkeys += (uint32_t)t->keys.n;
		nstrs += (uint32_t)(t->issuers.n + t->audiences.n + t->claims.n);
		nbodies += WCSP_T_CLAIM + (uint32_t)t->claims.n;
	}
	l->token_keys = xcalloc(nkeys + 1, sizeof *l->token_keys);
	l->strs = xcalloc(nstrs + 1, sizeof *l->strs);
	l->tbodies = xcalloc(nbodies + 1, sizeof *l->tbodies);
	l->treasons = xcalloc(nbodies + 1, sizeof *l->treasons);
	for (int i = 0; i < p->tokens.n; i++) {
		const wtoken *t = p->tokens.v[i];
		wcsp_token *o = &l->tokens[i];
		o->name = own_str(l, t->name.s, t->name.n);
		o->path = add_path(c, t->path);
		o->key_first = l->ntoken_keys;
		o->nkeys = (uint32_t)t->keys.n;
		for (int k = 0; k < t->keys.n; k++)
			l->token_keys[l->ntoken_keys++] =
				(uint32_t)sema_key(p, t->keys.v[k].s, t->keys.v[k].n);
		o->algs = t->algs;
		o->iss_first = l->nstrs;
		o->niss = (uint32_t)t->issuers.n;
		for (int k = 0; k < t->issuers.n; k++)
			l->strs[l->nstrs++] = own_str(l, t->issuers.v[k].s, t->issuers.v[k].n);
		o->aud_first = l->nstrs;
		o->naud = (uint32_t)t->audiences.n;
		for (int k = 0; k < t->audiences.n; k++)
			l->strs[l->nstrs++] = own_str(l, t->audiences.v[k].s, t->audiences.v[k].n);
		o->claim_first = l->nstrs;
		o->nclaims = (uint32_t)t->claims.n;
		for (int k = 0; k < t->claims.n; k++)
			l->strs[l->nstrs++] = own_str(l, t->claims.v[k].s, t->claims.v[k].n);
		o->leeway = t->leeway;
		o->bodies = l->tbodies + l->ntbodies;  /* allocated whole above: they stay put */
		o->reasons = l->treasons + l->ntbodies;
		for (uint32_t f = 0; f < WCSP_T_CLAIM + o->nclaims; f++) {
			sbuf why = { 0 };
			if (f < WCSP_T_CLAIM)
				sb_puts(&why, wcsp_token_reasons[f]);
			else {
				sb_puts(&why, "token claim missing: ");
				sb_put(&why, t->claims.v[f - WCSP_T_CLAIM].s,
				       t->claims.v[f - WCSP_T_CLAIM].n);
			}
			size_t n;
			char *r = sb_take(&why, &n), *body = xmalloc(6 * n + 32);
			size_t bn = wcsp_error_body(body, 6 * n + 32, "denied", r, n);
			own(l, body);
			l->treasons[l->ntbodies] = (wcsp_str){ own(l, r), (uint32_t)n };
			l->tbodies[l->ntbodies++] = (wcsp_str){ body, (uint32_t)bn };
		}
	}
	l->pol.token_keys = l->token_keys;
	l->pol.strs = l->strs;
	l->pol.keys = l->keys;
	if (p->tokens.n)
		l->pol.jwt = &wcsp_jwt_impl;
}

/* The path and canonical keys of a rule guard that an index can decide: `if path == constant`,
 * `if path in {...}`, `if path in SET` (compiled, at most INDEX_SET_MAX keys); NULL else.
 * keys[0 .. *nkeys) are the guard's keys; *set_row is the set's row when from a set. */
static const wpath *indexable(lctx *c, const wstmt *s, wcsp_str *one, uint32_t *set_row)
{
	const wcond *g = s->guard;
	*set_row = WCSP_NONE;
	if ((s->kind != S_ALLOW && s->kind != S_DENY) || !g || s->unless)
		return NULL;
	if (g->op == C_EQ && g->val->kind != V_PATH && g->val->kind != V_NOW &&
	    g->val->kind != V_DIGEST) {
		*one = canon(c->l, g->val);
		return g->path;
	}
	if (g->op == C_INLIST || g->op == C_INSET) {
		uint32_t set = 0;
		if (g->op == C_INSET) {
			while (!wstr_eq(c->p->sets.v[set]->name, g->setname.s, g->setname.n))
				set++;
			if (c->p->sets.v[set]->live || c->l->sets[set].n > INDEX_SET_MAX)
				return NULL;
			*set_row = set;
		} else
			*set_row = WCSP_NONE - 1;       /* the keys of the list, lowered below */
		return g->path;
	}
	return NULL;
}

static int same_path(const lctx *c, const wpath *a, const wpath *b)
{
	if (a->seg.n != b->seg.n || a->quoted != b->quoted ||
	    sema_claims_of(c->p, a) != sema_claims_of(c->p, b))
		return 0;
	for (int i = 0; i < a->seg.n; i++)
		if (!wstr_eq(a->seg.v[i], b->seg.v[i].s, b->seg.v[i].n))
			return 0;
	return 1;
}

typedef struct ikey {
	wcsp_str key;
	uint32_t target;        /* offset in the run of the rule it satisfies */
} ikey;

static int ikey_order(const void *a, const void *b)
{
	const ikey *x = a, *y = b;
	int r = wcsp_key_cmp(x->key.s, x->key.n, y->key.s, y->key.n);
	return r ? r : (x->target > y->target) - (x->target < y->target);
}

/* The keys rule s of a run satisfies, appended to *v. */
static void run_keys(lctx *c, const wstmt *s, uint32_t target, ikey **v, uint32_t *n,
		     uint32_t *cap)
{
	lowered *l = c->l;
	wcsp_str one;
	uint32_t set;
	indexable(c, s, &one, &set);
	if (set == WCSP_NONE) {
		GROW(*v, *n, *cap);
		(*v)[(*n)++] = (ikey){ one, target };
		return;
	}
	if (set == WCSP_NONE - 1) {
		for (int i = 0; i < s->guard->list.n; i++) {
			GROW(*v, *n, *cap);
			(*v)[(*n)++] = (ikey){ canon(l, s->guard->list.v[i]), target };
		}
		return;
	}
	for (uint32_t i = 0; i < l->sets[set].n; i++) {
		uint32_t a = l->offs[l->sets[set].first + i],
			 b = l->offs[l->sets[set].first + i + 1];
		GROW(*v, *n, *cap);
		(*v)[(*n)++] = (ikey){ { l->pool + a, b - a }, target };
	}
}

/* Step 7 for one run: rules rows row .. row + nrules - 1, statements first .. of block b. */
static void add_index(lctx *c, const wblock *b, int first, uint32_t nrules)
{
	lowered *l = c->l;
	ikey *v = NULL;
	uint32_t n = 0, cap = 0, t = 0, row = WCSP_NONE;
	const wpath *path = NULL;
	for (int j = first; t < nrules; j++) {
		const wstmt *s = b->stmts.v[j];
		if (s->kind != S_ALLOW && s->kind != S_DENY)
			continue;
		if (row == WCSP_NONE) {
			row = info_of_stmt(c, b, j)->row;
			path = s->guard->path;
		}
		run_keys(c, s, t++, &v, &n, &cap);
	}
	/* pool keys point into the pool, which moves: copy them first */
	for (uint32_t i = 0; i < n; i++)
		v[i].key = own_str(l, v[i].key.s, v[i].key.n);
	qsort(v, n, sizeof *v, ikey_order);
	uint32_t kept = 0;
	for (uint32_t i = 0; i < n; i++)         /* the first rule a key satisfies */
		if (!kept || wcsp_key_cmp(v[kept - 1].key.s, v[kept - 1].key.n, v[i].key.s,
					  v[i].key.n))
			v[kept++] = v[i];
	wcsp_str *keys = xmalloc((size_t)(kept ? kept : 1) * sizeof *keys);
	for (uint32_t i = 0; i < kept; i++)
		keys[i] = v[i].key;
	uint32_t firstoff;
	pool_keys(l, keys, kept, &firstoff);    /* sorted and distinct: kept as they are */
	free(keys);
	sbuf note = { 0 };
	sb_printf(&note, "index of %u rules at %s", nrules, l->rules[row].loc);
	GROW2(l->sets, l->set_src, l->pol.nsets, c->cap_sets);
	l->set_src[l->pol.nsets] = own(l, sb_take(&note, NULL));
	l->sets[l->pol.nsets] = (wcsp_set){ firstoff, kept, NULL };
	GROW(l->indexes, l->pol.nindexes, c->cap_indexes);
	l->indexes[l->pol.nindexes] = (wcsp_index){ add_path(c, path), nrules, l->pol.nsets++,
						    l->ntargets };
	for (uint32_t i = 0; i < kept; i++) {
		GROW(l->targets, l->ntargets, c->cap_targets);
		l->targets[l->ntargets++] = v[i].target;
	}
	l->rules[row].index = l->pol.nindexes++;
	free(v);
}

/* Step 7: every run of INDEX_MIN or more indexable rules on one path, block by block. */
static void lower_indexes(lctx *c)
{
	for (int i = 0; i < c->p->blocks.n; i++) {
		const wblock *b = c->p->blocks.v[i];
		int start = -1;
		uint32_t count = 0;
		const wpath *path = NULL;
		for (int j = 0; j <= b->stmts.n; j++) {
			const wstmt *s = j < b->stmts.n ? b->stmts.v[j] : NULL;
			if (s && s->kind != S_ALLOW && s->kind != S_DENY)
				continue;       /* overrides, settings: not in the rule walk */
			wcsp_str one;
			uint32_t set;
			const wpath *p = s ? indexable(c, s, &one, &set) : NULL;
			if (p && count && same_path(c, p, path)) {
				count++;
				continue;
			}
			if (count >= INDEX_MIN)
				add_index(c, b, start, count);
			start = p ? j : -1;
			count = p ? 1 : 0;
			path = p;
		}
	}
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
		l->srcnames[i] = table_name(l, i);
	}
	sha256_digest(&h, sizeof d, d);
	char *hex = xmalloc(2 * sizeof d + 1);
	for (size_t i = 0; i < sizeof d; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
	l->pol.hash = own(l, hex);
}

/* The arrays stop moving: point the tables at them. */
static void link_tables(lctx *c)
{
	lowered *l = c->l;
	for (uint32_t i = 0; i < l->npaths; i++)
		l->paths[i].seg = l->segs + c->path_seg0[i];
	for (uint32_t a = 0; a <= l->pol.napps; a++)
		l->apps[a].chains = l->chains + (size_t)a * l->pol.nmethods;
	l->pol.set_pool = l->pool ? l->pool : "";
	l->pol.set_offsets = (wcsp_ixs){ l->offs, 4 };
	l->pol.chain_items = (wcsp_ixs){ l->items, 4 };
	l->pol.methods = l->methods;
	l->pol.method_types = l->mtypes;
	l->pol.apps = l->apps;
	l->pol.rules = l->rules;
	l->pol.overrides = l->ovrs;
	l->pol.conds = l->conds;
	l->pol.paths = l->paths;
	l->pol.values = l->values;
	l->pol.tparts = l->tparts;
	l->pol.sets = l->sets;
	l->pol.tokens = l->tokens;
	l->pol.digests = l->digests;
	l->pol.indexes = l->indexes;
	l->pol.index_targets = (wcsp_ixs){ l->targets, 4 };
	if (l->pol.ndigests)
		l->pol.digest = &wcsp_digest_impl;
}

int lower_policy(const wpolicy *p, const char *source, lowered *l, int tests)
{
	memset(l, 0, sizeof *l);
	lctx c = { .l = l, .p = p, .nm = sema_nmethods(p) };
	int nstmts = 0;
	c.first = xmalloc((size_t)(p->blocks.n ? p->blocks.n : 1) * sizeof *c.first);
	for (int i = 0; i < p->blocks.n; i++) {
		c.first[i] = nstmts;
		nstmts += p->blocks.v[i]->stmts.n;
	}
	c.info = xcalloc((size_t)(nstmts ? nstmts : 1), sizeof *c.info);

	l->pol.abi = WCSP_ABI_VERSION;
	const char *slash = strrchr(source, '/');
	l->rootdir = source;
	l->nrootdir = slash ? (size_t)(slash - source) + 1 : 0;
	l->pol.source = own_str(l, source + l->nrootdir, strlen(source + l->nrootdir)).s;
	if (p->name.s)
		l->pol.name = own_str(l, p->name.s, p->name.n).s;
	else {
		size_t n = strlen(l->pol.source);
		if (n > 5 && !strcmp(l->pol.source + n - 5, ".wcsp"))
			n -= 5;
		l->pol.name = own_str(l, l->pol.source, n).s;
	}
	hash_inputs(l);

	/* named sets first: the lists written inline in guards are numbered after them */
	for (int i = 0; i < p->sets.n; i++) {
		sbuf b = { 0 };
		sb_printf(&b, "set %s", p->sets.v[i]->name.s);
		add_set(&c, &p->sets.v[i]->vals, own(l, sb_take(&b, NULL)));
	}
	for (int i = 0; i < p->sets.n; i++)
		if (p->sets.v[i]->live)
			l->sets[i].file = own_str(l, p->sets.v[i]->file.s, p->sets.v[i]->file.n).s;
	lower_tokens(&c);
	lower_rows(&c);
	lower_indexes(&c);
	if (tests) {
		int n = 0;
		for (int i = 0; i < p->tests.n; i++)
			n += p->tests.v[i]->expects.n;
		l->expect_cond = xmalloc((size_t)(n ? n : 1) * sizeof *l->expect_cond);
		n = 0;
		for (int i = 0; i < p->tests.n; i++)
			for (int j = 0; j < p->tests.v[i]->expects.n; j++) {
				const wexpect *e = p->tests.v[i]->expects.v[j];
				l->expect_cond[n++] = e->cond ? lower_cond(&c, e->cond) : WCSP_NONE;
			}
	}
	lower_methods(&c);
	lower_apps(&c);
	lower_accept(&c);
	l->pol.require_signature = (uint8_t)p->require_sig;
	link_tables(&c);
	free(c.path_seg0);
	for (uint32_t i = 0; i < l->npaths; i++)
		free(c.path_keys[i]);
	free(c.path_keys);
	free(c.path_slot);
	free(c.first);
	free(c.info);
	free(c.table_of);
	free(c.sema_of);
	return c.errors ? -1 : 0;
}

void lower_free(lowered *l)
{
	free(l->methods); free(l->mtypes); free(l->apps); free(l->chains); free(l->rules);
	free(l->ovrs); free(l->items); free(l->conds); free(l->paths); free(l->segs);
	free(l->values); free(l->tparts); free(l->sets); free(l->pool); free(l->offs);
	free(l->accept); free(l->rule_src); free(l->ovr_src); free(l->cond_src);
	free(l->path_src); free(l->set_src); free(l->expect_cond); free(l->srcnames);
	free(l->keys); free(l->tokens); free(l->token_keys); free(l->strs); free(l->tbodies);
	free(l->treasons); free(l->digests); free(l->digest_src); free(l->indexes);
	free(l->targets);
	for (int i = 0; i < l->nowned; i++)
		free(l->owned[i]);
	free(l->owned);
	memset(l, 0, sizeof *l);
}

wcsp_str lower_rcc(const lowered *l, const char *app)
{
	for (uint32_t a = 0; app && a < l->pol.napps; a++)
		if (strlen(app) == l->apps[a].key.n &&
		    !memcmp(app, l->apps[a].key.s, l->apps[a].key.n))
			return l->apps[a].rcc;
	return l->apps[l->pol.napps].rcc;
}
