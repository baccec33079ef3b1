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
#include "frontend.h"
#include "keys.h"
#include "template.h"
#include "world.h"

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

int sema_key(const wpolicy *p, const char *s, size_t n)
{
	for (int i = 0; i < p->keys.n; i++)
		if (wstr_eq(p->keys.v[i]->name, s, n))
			return i;
	return -1;
}

int sema_token(const wpolicy *p, const char *s, size_t n)
{
	for (int i = 0; i < p->tokens.n; i++)
		if (wstr_eq(p->tokens.v[i]->name, s, n))
			return i;
	return -1;
}

wtoken *sema_claims_of(const wpolicy *p, const wpath *path)
{
	if (path->quoted || !path->seg.n)
		return NULL;
	int t = sema_token(p, path->seg.v[0].s, path->seg.v[0].n);
	return t < 0 ? NULL : p->tokens.v[t];
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

/* A path may not name a key: a secret never reaches a reply, a log line or a comparison
 * an attacker can probe. Claims paths mark their token used. */
static void check_path(wpolicy *p, const wpath *path)
{
	if (!path || path->quoted || !path->seg.n)
		return;
	const wstr *g = &path->seg.v[0];
	int k = sema_key(p, g->s, g->n);
	if (k >= 0)
		p->keys.v[k]->used = 1;         /* reported here, not as unused too */
	if (k >= 0)
		diag(DIAG_ERROR, path->loc,
		     "key '%s' stands only in a token declaration, as an HMAC "
		     "digest's key or as ${%s} in a digest's template: a secret never reaches a "
		     "reply, a log line or a comparison (write \"%s\" for a field of that name)",
		     g->s, g->s, g->s);
	wtoken *t = sema_claims_of(p, path);
	if (t)
		t->used = 1;
}

/* `now` is a right-hand side of < <= > >= only. */
static void no_now(const wvalue *v)
{
	if (v && v->kind == V_NOW)
		diag(DIAG_ERROR, v->loc, "now stands only on the right of <, <=, > or >=");
}

/* The ${...} of a template: fields, or (in a digest's) keys. */
static void check_template(wpolicy *p, const wvalue *v, int digest)
{
	tpieces t = { 0 };
	tmpl_split(v, &t);
	for (int i = 0; i < t.n; i++) {
		const wpath *f = t.v[i].path;
		if (!f)
			continue;
		int k = f->seg.n == 1 ? sema_key(p, f->seg.v[0].s, f->seg.v[0].n) : -1;
		if (k >= 0 && digest) {
			wkey *key = p->keys.v[k];
			key->used = 1;
			if (key->kinds && !(key->kinds & 1u << WK_SECRET))
				diag(DIAG_ERROR, v->loc,
				     "key '%s' is not a secret (its file holds a "
				     "public key): ${KEY} in a digest is the secret's bytes",
				     key->name.s);
		} else if (k >= 0 || (f->seg.n > 1 && sema_key(p, f->seg.v[0].s,
								   f->seg.v[0].n) >= 0)) {
			p->keys.v[sema_key(p, f->seg.v[0].s, f->seg.v[0].n)]->used = 1;
			diag(DIAG_ERROR, v->loc, "key '%s' in ${...}: %s", f->seg.v[0].s,
			     digest ? "a key's bytes are ${NAME}, no field of it"
				    : "only a digest's template may hold a key; a secret never "
				      "reaches a reply");
		} else
			check_path(p, f);
	}
	tmpl_free(&t);
}

static void check_digest(wpolicy *p, const wdigest *d)
{
	if (d->key.s) {
		int k = sema_key(p, d->key.s, d->key.n);
		if (k < 0)
			diag(DIAG_ERROR, d->key_loc, "no key named '%s' (declare it: key %s = file "
			     "\"PATH\";)", d->key.s, d->key.s);
		else {
			wkey *key = p->keys.v[k];
			key->used = 1;
			if (key->kinds && !(key->kinds & 1u << WK_SECRET))
				diag(DIAG_ERROR, d->key_loc,
				     "key '%s' is not an HMAC secret: its file "
				     "holds a public key, which verifies tokens but keys no HMAC",
				     key->name.s);
		}
	}
	check_template(p, d->tmpl, 1);
}

static void check_value(wpolicy *p, const wvalue *v)
{
	if (!v)
		return;
	if (v->kind == V_PATH)
		check_path(p, v->path);
	else if (v->kind == V_DIGEST)
		check_digest(p, v->dig);
}

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
	default:
		break;
	}
	check_path(p, c->path);
	check_value(p, c->val);
	switch (c->op) {
	case C_EQ: case C_NE:
		no_now(c->val);
		return;
	case C_LT: case C_LE: case C_GT: case C_GE:
		if (c->val->kind != V_NUMBER && c->val->kind != V_NOW)
			diag(DIAG_ERROR, c->val->loc,
			     "'<', '<=', '>', '>=' compare numbers: write a number or now here");
		return;
	case C_GLOB:
		if (c->val->kind == V_NOW)
			no_now(c->val);
		else if (c->val->kind != V_STRING)
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
			if (c->list.v[i]->kind == V_NOW)
				no_now(c->list.v[i]);
			else if (!is_const(c->list.v[i]))
				diag(DIAG_ERROR, c->list.v[i]->loc,
				     "set members must be constants, not fields");
		return;
	case C_VALID: {
		int t = sema_token(p, c->setname.s, c->setname.n);
		if (t >= 0)
			p->tokens.v[t]->used = 1;
		else
			diag(DIAG_ERROR, c->setloc,
			     "no token named '%s' (declare it: token %s = jwt "
			     "FIELD key KEY;)",
			     c->setname.s, c->setname.s);
		return;
	}
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

/* The kinds of key the file of k holds (bits of enum wcsp_key_kind), when it can be read
 * relative to dir; 0 when it cannot (the file may exist only where the server runs). A file
 * that is there but is no key is an error now rather than at the server's start. */
static unsigned key_kinds(const char *dir, const wkey *k)
{
	size_t n, dn = strlen(dir);
	const char *why = NULL;
	char *path = xmalloc(dn + k->file.n + 2);
	if (k->file.s[0] == '/' || !dn)
		strcpy(path, k->file.s);
	else
		sprintf(path, "%s/%s", dir, k->file.s);
	char *text = memchr(k->file.s, 0, k->file.n) ? NULL : frontend_read_file(path, &n, &why);
	free(path);
	if (!text)
		return 0;
	if (n > WORLD_FILE_MAX) {
		diag(DIAG_ERROR, k->file_loc, "key '%s': its file is larger than %d bytes",
		     k->name.s, WORLD_FILE_MAX);
		free(text);
		return 0;
	}
	wcsp_keyset ks = { 0 };
	char err[256];
	unsigned kinds = 0;
	if (keys_load_any(text, n, &ks, err, sizeof err))
		diag(DIAG_ERROR, k->file_loc, "key '%s': %s", k->name.s, err);
	for (int i = 0; i < ks.n; i++)
		kinds |= 1u << ks.ent[i].kind;
	pubkeys_free(&ks);
	memset(text, 0, n);
	free(text);
	return kinds;
}

static const char *kind_name(unsigned kinds)
{
	static const char *const names[] = { "an HMAC secret", "an RSA public key",
		"an EC P-256 public key", "an EC P-384 public key", "an Ed25519 public key",
		"a public key" };
	_Static_assert(sizeof names / sizeof *names == WK_PUBLIC + 1, "one per wcsp_key_kind");
	for (int k = 0; k <= WK_PUBLIC; k++)
		if (kinds & 1u << k)
			return names[k];
	return "no key";
}

static void check_keys(wpolicy *p)
{
	const char *root = src_count() ? src_get(0)->name : "";
	const char *slash = strrchr(root, '/');
	char *dir = slash ? xstrdup(root) : xstrdup("");
	if (slash)
		dir[slash - root] = 0;
	if (slash == root)
		strcpy(dir, "/");
	for (int i = 0; i < p->keys.n; i++) {
		wkey *k = p->keys.v[i];
		for (int j = 0; j < i; j++)
			if (wstr_eq(p->keys.v[j]->name, k->name.s, k->name.n)) {
				diag(DIAG_ERROR, k->loc, "key '%s' is already declared (%s:%d)",
				     k->name.s, src_get(p->keys.v[j]->loc.file)->name,
				     p->keys.v[j]->loc.line);
				k->used = 1;
				break;
			}
		if (!k->file.n)
			diag(DIAG_ERROR, k->file_loc, "key '%s' needs a file name", k->name.s);
		else
			k->kinds = key_kinds(dir, k);
	}
	free(dir);
}

static void check_tokens(wpolicy *p)
{
	for (int i = 0; i < p->tokens.n; i++) {
		wtoken *t = p->tokens.v[i];
		for (int j = 0; j < i; j++)
			if (wstr_eq(p->tokens.v[j]->name, t->name.s, t->name.n)) {
				diag(DIAG_ERROR, t->loc, "token '%s' is already declared (%s:%d)",
				     t->name.s, src_get(p->tokens.v[j]->loc.file)->name,
				     p->tokens.v[j]->loc.line);
				t->used = 1;
				break;
			}
		if (sema_key(p, t->name.s, t->name.n) >= 0)
			diag(DIAG_ERROR, t->loc, "'%s' names a key already: a token and a key need "
			     "different names", t->name.s);
		if (sema_claims_of(p, t->path))
			diag(DIAG_ERROR, t->path->loc, "a token is read from a request field, not "
			     "from a token's claims (write \"%s\" for a field of that name)",
			     t->path->seg.v[0].s);
		else
			check_path(p, t->path);
		unsigned kinds = 0;
		int known = 1;
		for (int j = 0; j < t->keys.n; j++) {
			int k = sema_key(p, t->keys.v[j].s, t->keys.v[j].n);
			if (k < 0) {
				diag(DIAG_ERROR, t->key_locs.v[j],
				     "no key named '%s' (declare it: key "
				     "%s = file \"PATH\";)",
				     t->keys.v[j].s, t->keys.v[j].s);
				known = 0;
				continue;
			}
			p->keys.v[k]->used = 1;
			kinds |= p->keys.v[k]->kinds;
			known &= p->keys.v[k]->kinds != 0;
		}
		/* an algorithm no key can verify refuses every token it signs */
		for (int a = 0; known && a < WCSP_NALGS; a++) {
			if (!(t->algs & 1u << a))
				continue;
			int ok = 0;
			for (int k = 0; k < WK_PUBLIC && !ok; k++)
				ok = kinds & 1u << k && keys_kind_verifies(k, a);
			if (!ok)
				diag(DIAG_ERROR, t->alg_locs[a],
				     "no key of token '%s' verifies %s: %s "
				     "%s %s",
				     t->name.s, wcsp_alg_names[a],
				     t->keys.n == 1 ? "its key holds" : "its keys hold",
				     kind_name(kinds),
				     "(HS* needs an HMAC secret, RS* and PS256 an "
				     "RSA key, ES256 P-256, ES384 P-384, EdDSA Ed25519)");
		}
	}
}

/* A deny's reason is sent as written: ${NAME} of a key there would look like a leak. */
static void check_reason(const wpolicy *p, const wstmt *s)
{
	for (const char *r = s->reason.s; r && (r = strstr(r, "${")); r += 2)
		for (int k = 0; k < p->keys.n; k++) {
			const wstr *n = &p->keys.v[k]->name;
			if (!strncmp(r + 2, n->s, n->n) && r[2 + n->n] == '}')
				diag(DIAG_ERROR, s->loc,
				     "a deny reason is sent as written and never "
				     "holds a key: remove '${%s}'",
				     n->s);
		}
}

void check_policy(wpolicy *p)
{
	check_keys(p);
	check_tokens(p);
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
			if (p->sets.v[i]->vals.v[j]->kind == V_NOW)
				no_now(p->sets.v[i]->vals.v[j]);
			else if (!is_const(p->sets.v[i]->vals.v[j]))
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
			if (s->kind == S_DENY) {
				check_deny(p, b, s);
				check_reason(p, s);
			}
			if (s->kind == S_OVERRIDE && s->val->kind == V_STRING)
				check_template(p, s->val, 0);
			if (s->kind == S_OVERRIDE) {
				check_path(p, s->path);
				check_value(p, s->val);
				no_now(s->val);
			}
			for (int k = 0; k < s->paths.n; k++)
				check_path(p, s->paths.v[k]);
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
	for (int i = 0; i < p->keys.n; i++)
		if (!p->keys.v[i]->used)
			diag(DIAG_WARNING, p->keys.v[i]->loc, "key '%s' is never used",
			     p->keys.v[i]->name.s);
	for (int i = 0; i < p->tokens.n; i++)
		if (!p->tokens.v[i]->used)
			diag(DIAG_WARNING, p->tokens.v[i]->loc, "token '%s' is never used",
			     p->tokens.v[i]->name.s);

	for (int i = 0; i < p->accept.n; i++)
		check_addr(&p->accept.v[i]);
}
