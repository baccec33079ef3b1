/*
 * test_index.c -- rule indexes decide exactly as the plain walk does.
 *
 * Random policies (a fixed seed, so a failure replays) made of runs of rules guarded by
 * `path == constant`, `path in {...}` and `path in SET` on a few paths, broken by guards an
 * index cannot take (`unless`, `!=`, `~`, `exists`, `and`), overrides between rules,
 * several blocks, an app; compiled in process (frontend, checks, lowering), then
 * random requests (strings, numbers, true/false/null, objects, missing fields, equal values
 * written differently: 1 and 1.0, escapes) decided twice, with the indexes and with the plain
 * walk (wcsp_ctx.plain_walk): status, decision, deciding rule and reply must be the same.
 * Also: the indexes exist (a test that indexed nothing would prove nothing), and the
 * policy of 1,000 `deny if name == ...` rules the performance bar uses is indexed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "decide.h"
#include "frontend.h"
#include "lower.h"
#include "sbuf.h"

static int nfail;
static unsigned long long rng = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void result(const char *name, int ok, const char *what)
{
	printf(ok ? "PASS %s\n" : "FAIL %s: %s\n", name, what);
	nfail += !ok;
}

static const char *const paths[] = { "name", "custom.a", "custom.\"b c\"" };
static const char *const consts[] = { "\"v0\"", "\"v1\"", "\"v2\"", "\"v3\"", "\"\\u0076\"",
				      "\"v\"", "0", "1", "1.0", "-0", "2.5", "true", "false",
				      "null", "\"\"" };
#define NPATHS (sizeof paths / sizeof *paths)
#define NCONSTS (sizeof consts / sizeof *consts)

static const char *path_of(int run_path) { return paths[run_path]; }

/* One guard: indexable on path p most of the time, else one that breaks a run. */
static void guard(sbuf *b, unsigned p)
{
	switch (rnd(12)) {
	case 0: sb_printf(b, "unless %s == %s", path_of((int)p), consts[rnd(NCONSTS)]); return;
	case 1: sb_printf(b, "if %s != %s", path_of((int)p), consts[rnd(NCONSTS)]); return;
	case 2: sb_printf(b, "if exists %s", path_of((int)rnd(NPATHS))); return;
	case 3: sb_printf(b, "if %s ~ \"v*\"", path_of((int)p)); return;
	case 4:
		sb_printf(b, "if %s == %s and %s == %s", path_of((int)p), consts[rnd(NCONSTS)],
			  path_of((int)rnd(NPATHS)), consts[rnd(NCONSTS)]);
		return;
	case 5: sb_printf(b, "if %s in s%u", path_of((int)p), rnd(3)); return;
	case 6:
		sb_printf(b, "if %s in {%s, %s}", path_of((int)p), consts[rnd(NCONSTS)],
			  consts[rnd(NCONSTS)]);
		return;
	default: sb_printf(b, "if %s == %s", path_of((int)p), consts[rnd(NCONSTS)]); return;
	}
}

static void block(sbuf *b, const char *target, int *rule)
{
	sb_printf(b, "%s {\n", target);
	unsigned p = rnd(NPATHS), n = 1 + rnd(24);
	for (unsigned i = 0; i < n; i++) {
		if (rnd(8) == 0)
			p = rnd(NPATHS);        /* a run on another path */
		if (rnd(10) == 0)
			sb_printf(b, "    override custom.o%u = %u;\n", i, i);
		if (rnd(3))
			sb_printf(b, "    deny 403 \"r%d\" ", (*rule)++);
		else
			sb_puts(b, "    allow ");
		guard(b, p);
		sb_puts(b, ";\n");
	}
	sb_puts(b, "}\n");
}

static char *policy(void)
{
	sbuf b = { 0 };
	int rule = 0;
	sb_puts(&b, "set s0 = { \"v0\", \"v2\", 1, null };\nset s1 = { \"v1\", true, -0 };\n"
		    "set s2 = { \"\", \"v\", 2.5, false };\n");
	unsigned nb = 1 + rnd(4);
	for (unsigned i = 0; i < nb; i++) {
		int in_app = rnd(3) == 0;
		if (in_app)
			sb_puts(&b, "app \"A\" {\n");
		block(&b, rnd(2) ? "publishStream" : "method \"m1\"", &rule);
		if (in_app)
			sb_puts(&b, "}\n");
	}
	/* every set used, so no warning needs -q */
	sb_puts(&b, "method \"m2\" { deny 403 if name in s0 or name in s1 or name in s2; }\n");
	return sb_take(&b, NULL);
}

static void value(sbuf *b)
{
	static const char *const extra[] = { "{\"v0\":1}", "[\"v0\"]", "\"V0\"", "1e0", "-0.0",
					     "\"v\\u0030\"" };
	if (rnd(6) == 0)
		sb_puts(b, extra[rnd(sizeof extra / sizeof *extra)]);
	else
		sb_puts(b, consts[rnd(NCONSTS)]);
}

static char *request(void)
{
	sbuf b = { 0 };
	sb_puts(&b, "{");
	if (rnd(3))
		sb_puts(&b, "\"appKey\":\"A\",");
	if (rnd(5)) {
		sb_puts(&b, "\"name\":");
		value(&b);
		sb_puts(&b, ",");
	}
	sb_puts(&b, "\"custom\":{");
	if (rnd(4)) {
		sb_puts(&b, "\"a\":");
		value(&b);
		sb_puts(&b, ",");
	}
	sb_puts(&b, "\"b c\":");
	value(&b);
	sb_puts(&b, "}}");
	return sb_take(&b, NULL);
}

static int same(const wcsp_reply *x, const wcsp_reply *y)
{
	return x->status == y->status && x->decision == y->decision && x->rule == y->rule &&
	       x->len == y->len && !memcmp(x->body, y->body, x->len);
}

/* Compile text in process; 0 with l filled, -1 when it does not compile. */
static int compile(const char *text, wpolicy *pol, lowered *l)
{
	memset(pol, 0, sizeof *pol);
	frontend_parse_text(pol, "random.wcsp", text, strlen(text));
	check_policy(pol);
	return diag_nerrors || lower_policy(pol, "random.wcsp", l, 0) || diag_nerrors ? -1 : 0;
}

static void randomized(void)
{
	int policies = 0, indexed = 0, decisions = 0, differ = 0, broken = 0;
	char what[512] = "";
	wcsp_ctx a, b;
	wcsp_ctx_init(&a);
	wcsp_ctx_init(&b);
	b.plain_walk = 1;
	for (int k = 0; k < 400; k++) {
		char *text = policy();
		wpolicy pol;
		lowered l;
		if (compile(text, &pol, &l)) {
			if (!broken++)
				snprintf(what, sizeof what,
					 "a generated policy does not compile:\n%s", text);
			ast_free_policy(&pol);
			src_free_all();
			diag_reset();
			free(text);
			continue;
		}
		policies++;
		indexed += l.pol.nindexes > 0;
		static const char *const methods[] = { "publishStream", "m1", "m2" };
		for (int r = 0; r < 60; r++) {
			char *body = request();
			const char *m = methods[rnd(3)];
			wcsp_reply x, y;
			wcsp_decide(&l.pol, &a, m, strlen(m), body, strlen(body), &x);
			wcsp_decide(&l.pol, &b, m, strlen(m), body, strlen(body), &y);
			decisions++;
			if (!same(&x, &y) && !differ++)
				snprintf(what, sizeof what, "%s %s: indexed %d %s, plain %d %s\n%s",
					 m, body, x.status, x.rule ? x.rule : "-", y.status,
					 y.rule ? y.rule : "-", text);
			wcsp_reply_free(&x);
			wcsp_reply_free(&y);
			free(body);
		}
		lower_free(&l);
		ast_free_policy(&pol);
		src_free_all();
		diag_reset();
		free(text);
	}
	char name[160];
	snprintf(name, sizeof name, "%d random policies (%d with indexes), %d decisions: indexed "
		 "and plain walk agree", policies, indexed, decisions);
	result(name, !differ && !broken && indexed > policies / 3, what[0] ? what :
	       "too few policies had an index");
	wcsp_ctx_free(&a);
	wcsp_ctx_free(&b);
}

static void thousand(void)
{
	sbuf b = { 0 };
	sb_puts(&b, "method \"many\" {\n");
	for (int i = 0; i < 1000; i++)
		sb_printf(&b, "    deny 403 \"r%d\" if name == \"s%d\";\n", i, i);
	sb_puts(&b, "}\n");
	char *text = sb_take(&b, NULL);
	wpolicy pol;
	lowered l;
	int ok = !compile(text, &pol, &l);
	char what[128] = "does not compile";
	if (ok) {
		ok = l.pol.nindexes == 1 && l.indexes[0].nrules == 1000;
		snprintf(what, sizeof what, "%u indexes", l.pol.nindexes);
		wcsp_ctx c;
		wcsp_ctx_init(&c);
		for (int i = 0; ok && i <= 1000; i += 111) {
			char body[64];
			wcsp_reply r;
			snprintf(body, sizeof body, "{\"name\":\"s%d\"}", i);
			wcsp_decide(&l.pol, &c, "many", 4, body, strlen(body), &r);
			char want[32];
			snprintf(want, sizeof want, "random.wcsp:%d", i + 2);
			ok = i < 1000 ? r.status == 403 && !strcmp(r.rule, want) : r.status == 200;
			if (!ok)
				snprintf(what, sizeof what, "%s: %d %s", body, r.status,
					 r.rule ? r.rule : "-");
			wcsp_reply_free(&r);
		}
		wcsp_ctx_free(&c);
		lower_free(&l);
	}
	result("1,000 `deny if name == ...` rules are one index, and decide by it", ok, what);
	ast_free_policy(&pol);
	src_free_all();
	diag_reset();
	free(text);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	diag_quiet = 1;
	wj_check_jsmn = 1;
	randomized();
	thousand();
	return nfail ? 1 : 0;
}
