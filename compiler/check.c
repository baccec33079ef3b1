/*
 * check.c -- name resolution and the checks that need no per-app view: unknown methods,
 * refusals WCS ignores, sets, predicate operand types, templates, settings given twice at
 * one level, transport statements. Per-(app, method) checks (disable with rules, LOG on a
 * method that denies) run in lower.c, where that resolution is made.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "catalog.h"
#include "check.h"
#include "template.h"

int sema_nmethods(const wpolicy *p) { return cat_nmethods + p->custom.n; }

const char *sema_method_name(const wpolicy *p, int m)
{
	return m < cat_nmethods ? cat_methods[m].name : p->custom.v[m - cat_nmethods].s;
}

enum wcsp_method_type sema_method_type(const wpolicy *p, int m)
{
	(void)p;
	return m < cat_nmethods ? cat_methods[m].type : WCSP_MT_CUSTOM;
}

int sema_covers(const wpolicy *p, const wblock *b, int m)
{
	switch (b->target) {
	case T_METHOD:
	case T_NAMED: return b->method == m;
	case T_DIRECT: return sema_method_type(p, m) == WCSP_MT_DIRECT;
	case T_EVENTS: return sema_method_type(p, m) == WCSP_MT_EVENT;
	case T_INCOMING: return sema_method_type(p, m) == WCSP_MT_INCOMING;
	case T_ALL: return 1;
	}
	return 0;
}

/* The set named name, or NULL. */
static wset *sema_set(const wpolicy *p, wstr name)
{
	for (int i = 0; i < p->sets.n; i++)
		if (wstr_eq(p->sets.v[i]->name, name.s, name.n))
			return p->sets.v[i];
	return NULL;
}

static const char *target_name(const wpolicy *p, const wblock *b)
{
	static const char *const groups[] = { NULL, NULL, "direct", "events", "incoming", "all" };
	_Static_assert(sizeof groups / sizeof *groups == T_ALL + 1, "one entry per enum wtarget");
	return b->target == T_METHOD || b->target == T_NAMED
		? (b->method >= 0 ? sema_method_name(p, b->method) : b->name.s) : groups[b->target];
}

/* Levenshtein distance, case-insensitive, on short names (<= 63 bytes). */
static size_t distance(const char *a, size_t na, const char *b, size_t nb)
{
	size_t row[64];
	if (na > 63 || nb > 63)
		return (size_t)-1;
	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) !=
				      tolower((unsigned char)b[j - 1]);
			size_t best = diag + cost;
			if (up + 1 < best) best = up + 1;
			if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[nb];
}

/* The catalog name nearest to name (edit distance, case-insensitive), or NULL if none is close. */
static const char *suggest_method(const char *name, size_t n)
{
	const char *best = NULL;
	size_t bd = (size_t)-1;
	for (int i = 0; i < cat_nmethods; i++) {
		const char *c = cat_methods[i].name;
		size_t d = distance(name, n, c, strlen(c));
		if (d < bd) { bd = d; best = c; }
	}
	/* close enough: at most a third of the name, and at least one edit allowed */
	size_t limit = n / 3 > 1 ? n / 3 : 2;
	return bd <= limit ? best : NULL;
}

static void resolve_target(wpolicy *p, wblock *b)
{
	int m = cat_find(b->name.s, b->name.n);
	if (b->target == T_METHOD) {
		if (m >= 0) {
			b->method = m;
			return;
		}
		const char *near = suggest_method(b->name.s, b->name.n);
		if (near)
			diag(DIAG_ERROR, b->name_loc, "unknown method '%s'; did you mean '%s'? "
			     "(name a method the catalog lacks with method \"%s\" { ... })",
			     b->name.s, near, b->name.s);
		else
			diag(DIAG_ERROR, b->name_loc,
			     "unknown method '%s' (name a method the catalog "
			     "lacks with method \"%s\" { ... })",
			     b->name.s, b->name.s);
		return;
	}
	if (m >= 0) {               /* method "publishStream": the catalog's own */
		b->method = m;
		return;
	}
	int ok = b->name.n > 0;
	for (size_t i = 0; ok && i < b->name.n; i++) {
		char c = b->name.s[i];
		ok = c == '_' || ((c | 32) >= 'a' && (c | 32) <= 'z') ||
		     (i && c >= '0' && c <= '9');
	}
	if (!ok) {
		diag(DIAG_ERROR, b->name_loc,
		     "a method name is letters, digits and '_', not starting "
		     "with a digit: the server routes only such URL segments");
		return;
	}
	for (int i = 0; i < p->custom.n; i++)
		if (wstr_eq(p->custom.v[i], b->name.s, b->name.n)) {
			b->method = cat_nmethods + i;
			return;
		}
	VEC_PUSH(p->custom, wstr_dup(b->name.s, b->name.n));
	b->method = cat_nmethods + p->custom.n - 1;
}

/* A deny in b: is it one WCS can act on? */
static void check_deny(const wpolicy *p, const wblock *b, const wstmt *s)
{
	if (b->target == T_EVENTS || b->target == T_ALL) {
		diag(DIAG_ERROR, s->loc, "a deny in '%s' covers events, which WCS cannot refuse; "
		     "put it in a method block or in 'direct'/'incoming'", target_name(p, b));
		return;
	}
	if (b->target == T_DIRECT && !s->reported) {
		diag(DIAG_WARNING, s->loc,
		     "this deny in 'direct' also covers hangup, unPublishStream "
		     "and stopStream: allowed, but not advisable (the client is leaving anyway)");
		return;
	}
	if (b->method < 0 || b->method >= cat_nmethods)
		return;
	const cat_method *c = &cat_methods[b->method];
	if (c->refuse == CAT_REFUSE_NO)
		diag(DIAG_ERROR, s->loc, "'%s' is an event: it has already happened and WCS cannot "
		     "refuse it (only StreamKeepAliveEvent can be denied)", c->name);
	else if (c->refuse == CAT_REFUSE_UNADVISABLE)
		diag(DIAG_WARNING, s->loc, "denying '%s' is allowed but not advisable: the client "
		     "is leaving anyway", c->name);
	else if (c->refuse == CAT_REFUSE_UNDOCUMENTED)
		diag(DIAG_WARNING, s->loc, "WCS is not documented to honour a refusal of '%s': the "
		     "deny may be logged and ignored", c->name);
	else if (!strcmp(c->name, "StreamKeepAliveEvent") && s->status && s->status != 403)
		diag(DIAG_WARNING, s->status_loc, "only a 403 stops a stream: WCS reports a %d on "
		     "StreamKeepAliveEvent as an error and keeps the stream", s->status);
}

static int is_const(const wvalue *v) { return v->kind != V_PATH; }

static void check_cond(wpolicy *p, const wcond *c)
{
	if (!c)
		return;
	switch (c->op) {
	case C_AND: case C_OR:
		check_cond(p, c->r);
		/* fallthrough */
	case C_NOT:
		check_cond(p, c->l);
		return;
	case C_LT: case C_LE: case C_GT: case C_GE:
		if (c->val->kind != V_NUMBER)
			diag(DIAG_ERROR, c->val->loc,
			     "'<', '<=', '>', '>=' compare numbers: write a number here");
		return;
	case C_GLOB:
		if (c->val->kind != V_STRING)
			diag(DIAG_ERROR, c->val->loc, "'~' takes a glob pattern string");
		else if (!c->val->str.n)
			diag(DIAG_ERROR, c->val->loc,
			     "empty glob pattern: it matches only the empty "
			     "string; write == \"\" if that is meant");
		return;
	case C_INSET: {
		wset *s = sema_set(p, c->setname);
		if (s)
			s->used = 1;
		else
			diag(DIAG_ERROR, c->setloc,
			     "no set named '%s' (define it with set %s = { ... };)", c->setname.s,
			     c->setname.s);
		return;
	}
	case C_INLIST:
		for (int i = 0; i < c->list.n; i++)
			if (!is_const(c->list.v[i]))
				diag(DIAG_ERROR, c->list.v[i]->loc,
				     "set members must be constants, not fields");
		return;
	default:
		return;
	}
}

/*
 * restClientConfig lists fields as text: restOverwrite the top-level names of the
 * overridden fields, restExclude and clientExclude dotted paths, each list joined with ','.
 * A name holding ',' (or, in a listed path, '.') would be read by WCS as other fields.
 */
static void check_listed(const wpath *p, int nseg, const char *list, const char *what)
{
	for (int i = 0; i < nseg; i++) {
		const wstr *g = &p->seg.v[i];
		int comma = memchr(g->s, ',', g->n) != NULL, dot = memchr(g->s, '.', g->n) != NULL;
		if (!comma && !dot)
			continue;
		diag(DIAG_ERROR, p->loc,
		     "field name \"%s\" holds a '%c': %s is a list of %s joined with "
		     "',', so WCS would read other fields",
		     g->s, comma ? ',' : '.', list, what);
		return;
	}
}

/* A test's method that neither the catalog nor the policy knows is echoed, whatever the
 * policy says: most likely a misspelling, which `expect allow` would otherwise hide. */
static void check_test_method(const wpolicy *p, const wtest *t)
{
	if (!t->method.s || cat_find(t->method.s, t->method.n) >= 0)
		return;
	for (int i = 0; i < p->custom.n; i++)
		if (wstr_eq(p->custom.v[i], t->method.s, t->method.n))
			return;
	const char *near = suggest_method(t->method.s, t->method.n);
	if (near)
		diag(DIAG_WARNING, t->method_loc,
		     "test \"%s\": method '%s' is neither in the catalog nor "
		     "named by the policy, so the request is echoed; did you mean '%s'?",
		     t->name.s, t->method.s, near);
	else
		diag(DIAG_WARNING, t->method_loc,
		     "test \"%s\": method '%s' is neither in the catalog nor "
		     "named by the policy, so the request is echoed",
		     t->name.s, t->method.s);
}

/* Settings precedence level of a block: 0 method in app .. 5 `all` outside apps. */
int sema_level(const wblock *b)
{
	int l = b->target == T_METHOD || b->target == T_NAMED ? 0 : b->target == T_ALL ? 2 : 1;
	return b->app >= 0 ? l : l + 3;
}

static const char *setting_name(enum wstmt_kind k)
{
	return k == S_ONERROR ? "restOnError" : k == S_REXCLUDE ? "restExclude"
		: k == S_CEXCLUDE ? "clientExclude" : "disable";
}

static int is_setting(enum wstmt_kind k)
{
	return k == S_ONERROR || k == S_REXCLUDE || k == S_CEXCLUDE || k == S_DISABLE;
}

/* The same setting twice for one method at one level (same app) is an error. */
static void check_settings(wpolicy *p)
{
	int nm = sema_nmethods(p);
	for (int i = 0; i < p->blocks.n; i++) {
		wblock *b = p->blocks.v[i];
		for (int j = 0; j < b->stmts.n; j++) {
			wstmt *s = b->stmts.v[j];
			if (!is_setting(s->kind))
				continue;
			for (int k = 0; k <= i && !s->reported; k++) {
				wblock *a = p->blocks.v[k];
				if (a->app != b->app || sema_level(a) != sema_level(b))
					continue;
				int overlap = 0;
				for (int m = 0; m < nm && !overlap; m++)
					overlap = sema_covers(p, a, m) && sema_covers(p, b, m);
				if (!overlap)
					continue;
				for (int t = 0; t < (k == i ? j : a->stmts.n); t++)
					if (a->stmts.v[t]->kind == s->kind) {
						const wstmt *first = a->stmts.v[t];
						diag(DIAG_ERROR, s->loc,
						     "%s is already set for '%s' at this level "
						     "(%s:%d)",
						     setting_name(s->kind), target_name(p, b),
						     src_get(first->loc.file)->name,
						     first->loc.line);
						s->reported = 1;
						break;
					}
			}
		}
	}
}

/* Parse an `accept from` range into a->addr and a->prefix, the form the server compares. */
static void check_addr(waddr *a)
{
	static const uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char host[64];
	const char *slash = strchr(a->text.s, '/');
	size_t hn = slash ? (size_t)(slash - a->text.s) : a->text.n;
	int v6 = memchr(a->text.s, ':', hn) != NULL;
	if (hn >= sizeof host) {
		diag(DIAG_ERROR, a->loc, "'%s' is not an IPv4 or IPv6 address", a->text.s);
		return;
	}
	memcpy(host, a->text.s, hn);
	host[hn] = 0;
	memset(a->addr, 0, sizeof a->addr);
	if (!v6)
		a->addr[10] = a->addr[11] = 0xff;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, v6 ? a->addr : a->addr + 12) != 1) {
		diag(DIAG_ERROR, a->loc, "'%s' is not an IPv4 or IPv6 address", host);
		return;
	}
	long len = v6 ? 128 : 32;
	if (slash) {
		char *end;
		len = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || slash[1] == '-' || slash[1] == '+' || len < 0 ||
		    len > (v6 ? 128 : 32)) {
			diag(DIAG_ERROR, a->loc,
			     "prefix length '/%s' is out of range for %s (0..%d)", slash + 1,
			     v6 ? "IPv6" : "IPv4", v6 ? 128 : 32);
			return;
		}
	}
	a->prefix = (int)(v6 ? len : 96 + len);
	/* an IPv6 range wider than /96 over ::ffff:0:0 would hold every IPv4 caller: the server
	 * matches IPv4 callers (also when they arrive as ::ffff:a.b.c.d) against IPv4 ranges
	 * only */
	if (v6 && a->prefix < 96) {
		int covers = 1;
		for (int bit = 0; bit < a->prefix && covers; bit++)
			covers = ((a->addr[bit / 8] ^ mapped[bit / 8]) >> (7 - bit % 8) & 1) == 0;
		if (covers)
			diag(DIAG_WARNING, a->loc,
			     "'%s' holds the IPv4-mapped range ::ffff:0:0/96, but "
			     "IPv4 callers match only IPv4 ranges: add one (0.0.0.0/0 for all) if "
			     "they "
			     "are meant",
			     a->text.s);
	}
}

void check_policy(wpolicy *p)
{
	for (int i = 0; i < p->blocks.n; i++)
		if (p->blocks.v[i]->target == T_METHOD || p->blocks.v[i]->target == T_NAMED)
			resolve_target(p, p->blocks.v[i]);

	for (int i = 0; i < p->sets.n; i++)
		for (int j = 0; j < i; j++)
			if (wstr_eq(p->sets.v[j]->name, p->sets.v[i]->name.s,
				    p->sets.v[i]->name.n)) {
				diag(DIAG_ERROR, p->sets.v[i]->loc,
				     "set '%s' is already defined (%s:%d)", p->sets.v[i]->name.s,
				     src_get(p->sets.v[j]->loc.file)->name, p->sets.v[j]->loc.line);
				p->sets.v[i]->used = 1;     /* one message is enough */
				break;
			}
	for (int i = 0; i < p->sets.n; i++)
		for (int j = 0; j < p->sets.v[i]->vals.n; j++)
			if (!is_const(p->sets.v[i]->vals.v[j]))
				diag(DIAG_ERROR, p->sets.v[i]->vals.v[j]->loc,
				     "set members must be constants, not fields");

	for (int i = 0; i < p->blocks.n; i++) {
		wblock *b = p->blocks.v[i];
		for (int j = 0; j < b->stmts.n; j++) {
			wstmt *s = b->stmts.v[j];
			if (b->method == 0 && is_setting(s->kind))
				diag(DIAG_ERROR, s->loc,
				     "connect takes no '%s': restClientConfig arrives in "
				     "connect's own reply and configures the methods after it",
				     setting_name(s->kind));
			check_cond(p, s->guard);
			if (s->kind == S_DENY)
				check_deny(p, b, s);
			if (s->kind == S_OVERRIDE && s->val->kind == V_STRING)
				tmpl_check(s->val);
			if (s->kind == S_OVERRIDE)
				check_listed(s->path, 1, "restOverwrite", "top-level names");
			for (int k = 0; k < s->paths.n; k++)
				check_listed(s->paths.v[k], s->paths.v[k]->seg.n,
					     s->kind == S_REXCLUDE ? "restExclude"
								   : "clientExclude",
					     "dotted paths");
			if (s->kind == S_OVERRIDE && s->path->seg.n > 32)
				diag(DIAG_ERROR, s->path->loc,
				     "override path deeper than 32 fields");
		}
	}
	check_settings(p);
	for (int i = 0; i < p->tests.n; i++) {
		const wtest *t = p->tests.v[i];
		for (int j = 0; j < t->expects.n; j++)
			check_cond(p, t->expects.v[j]->cond);
		check_test_method(p, t);
	}

	for (int i = 0; i < p->sets.n; i++)
		if (!p->sets.v[i]->used)
			diag(DIAG_WARNING, p->sets.v[i]->loc, "set '%s' is never used",
			     p->sets.v[i]->name.s);

	for (int i = 0; i < p->accept.n; i++)
		check_addr(&p->accept.v[i]);
}
