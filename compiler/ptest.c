/*
 * ptest.c -- wcspc test: run a policy's test cases in process.
 *
 * Each test sends its request through the runtime's own wcsp_decide() over the lowered
 * tables (no server, no C compiler), then checks its expectations: the decision or status,
 * and conditions over the reply body, evaluated by the runtime's wcsp_holds() on rows
 * lowered with the policy. One line per failure with file:line; a summary; optionally the
 * rules no test exercised.
 *
 * Key files and live sets are read once, before the first test, relative to --data-dir or
 * else to the root policy's directory (the server reads them relative to its --data-dir). A test's
 * `clock N;` fixes now for its request and its expectations; without it, real time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decide.h"
#include "ptest.h"

/* The source text of an expectation (its first line). */
static void print_src(FILE *f, wloc at)
{
	const wsrc *s = src_get(at.file);
	const char *p = s->text, *end = s->text + s->len;
	for (int l = 1; l < at.line && p < end; p++)
		if (*p == '\n')
			l++;
	p += at.col - 1;
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	size_t n = at.last_line == at.line ? (size_t)(at.last_col - at.col)
					   : (size_t)((eol ? eol : end) - p);
	fprintf(f, "%.*s", (int)n, p);
}

/* The decision, and what made it: a rule, the default allow, or an echo. */
static void print_outcome(FILE *f, const wtest *t, const wcsp_reply *r)
{
	if (r->decision == WCSP_D_ECHO)
		fprintf(f, "echo (the policy names no '%s': the request is echoed as it came)",
			t->method.s);
	else if (r->rule)
		fprintf(f, "%s (rule %s)", wcsp_decision_names[r->decision], r->rule);
	else if (r->decision == WCSP_D_ALLOW)
		fprintf(f, "allow (no rule decided: allowed by default)");
	else
		fprintf(f, "%s", wcsp_decision_names[r->decision]);
}

static void print_reply(FILE *f, const wcsp_reply *r)
{
	size_t n = r->len < 240 ? r->len : 240;
	fprintf(f, "    reply %d %s: %.*s%s\n", r->status, wcsp_decision_names[r->decision], (int)n,
		r->body, n < r->len ? "..." : "");
}

/* Check one expectation; 1 if it holds. */
static int expect_holds(const lowered *l, wcsp_ctx *reply, int loaded, const wexpect *e,
			uint32_t cond, const wcsp_reply *r)
{
	switch (e->kind) {
	case E_ALLOW: return r->decision == WCSP_D_ALLOW;
	case E_DENY: return r->decision == WCSP_D_DENY && (!e->status || r->status == e->status);
	case E_ECHO: return r->decision == WCSP_D_ECHO;
	case E_STATUS: return r->status == e->status;
	case E_COND: return loaded && wcsp_holds(&l->pol, reply, cond);
	}
	return 0;
}

/* Run test t; conds[i] is the cond row of its expectation i. */
static int run_one(const lowered *l, const wtest *t, const uint32_t *conds, wcsp_ctx *c,
		   wcsp_ctx *reply)
{
	const wsrc *src = src_get(t->loc.file);
	wcsp_reply r;
	c->force_app = t->app.s;
	c->force_app_len = t->app.n;
	c->clock = reply->clock = t->has_clock ? t->clock : -1;
	wcsp_decide(&l->pol, c, t->method.s, t->method.n, t->body.s, t->body.n, &r);
	if (r.decision == WCSP_D_BAD) {
		printf("%s:%d: test \"%s\": the request is not a valid JSON object: %s\n",
		       src->name, t->body_loc.line, t->name.s, r.reason);
		wcsp_reply_free(&r);
		return 0;
	}
	const char *why = NULL;
	int loaded = wcsp_ctx_load(reply, r.body, r.len, &why) == 0;
	int ok = 1;
	for (int i = 0; i < t->expects.n; i++) {
		const wexpect *e = t->expects.v[i];
		if (expect_holds(l, reply, loaded, e, conds[i], &r))
			continue;
		if (ok)
			ok = 0;
		printf("%s:%d: test \"%s\": ", src->name, e->loc.line, t->name.s);
		switch (e->kind) {
		case E_ALLOW: case E_ECHO: case E_DENY: case E_STATUS:
			printf("expected ");
			print_src(stdout, e->loc);
			printf(", got %d ", r.status);
			print_outcome(stdout, t, &r);
			putchar('\n');
			break;
		case E_COND:
			printf("expected ");
			print_src(stdout, e->loc);
			printf(" to hold on the reply%s%s\n", loaded ? "" : ", which is not JSON: ",
			       loaded ? "" : why);
			break;
		}
	}
	if (!ok)
		print_reply(stdout, &r);
	wcsp_reply_free(&r);
	return ok;
}

int ptest_run(const wpolicy *p, const lowered *l, const char *data_dir, int coverage,
	      double threshold)
{
	if (!p->tests.n) {
		fprintf(stderr,
			"wcspc test: no tests (write test blocks in the policy or pass test "
			"files)\n");
		return 3;
	}
	char err[512];
	char *dir = data_dir ? xstrdup(data_dir) : xstrndup(l->rootdir, l->nrootdir);
	wcsp_world *w = world_load(&l->pol, dir, err, sizeof err);
	free(dir);
	if (!w) {
		fprintf(stderr, "wcspc test: %s\n", err);
		return 1;
	}
	wcsp_ctx c, reply;
	wcsp_ctx_init(&c);
	wcsp_ctx_init(&reply);
	c.world = reply.world = w;
	c.rule_hit = xcalloc(l->pol.nrules + 1, 1);
	c.ovr_hit = xcalloc(l->pol.noverrides + 1, 1);
	int passed = 0;
	for (int i = 0, k = 0; i < p->tests.n; k += p->tests.v[i++]->expects.n)
		passed += run_one(l, p->tests.v[i], l->expect_cond + k, &c, &reply);
	int failed = p->tests.n - passed;
	printf("wcspc test: %d test%s, %d passed, %d failed\n", p->tests.n,
	       p->tests.n == 1 ? "" : "s", passed, failed);

	int below = 0;
	if (coverage || threshold >= 0) {
		uint32_t total = l->pol.nrules + l->pol.noverrides, hit = 0;
		for (uint32_t i = 0; i < l->pol.nrules; i++)
			hit += c.rule_hit[i];
		for (uint32_t i = 0; i < l->pol.noverrides; i++)
			hit += c.ovr_hit[i];
		double pct = total ? 100.0 * hit / total : 100.0;
		printf("coverage: %u of %u rules exercised (%.1f%%)\n", hit, total, pct);
		for (uint32_t i = 0; coverage && i < l->pol.nrules; i++)
			if (!c.rule_hit[i])
				printf("  not exercised: %s %s\n", l->pol.rules[i].loc,
				       l->pol.rules[i].kind == WCSP_R_DENY ? "deny" : "allow");
		for (uint32_t i = 0; coverage && i < l->pol.noverrides; i++)
			if (!c.ovr_hit[i])
				printf("  not exercised: %s override\n", l->pol.overrides[i].loc);
		if (threshold >= 0 && pct < threshold) {
			printf("coverage %.1f%% is below the threshold of %g%%\n", pct, threshold);
			below = 1;
		}
	}
	free(c.rule_hit);
	free(c.ovr_hit);
	c.rule_hit = c.ovr_hit = NULL;
	wcsp_ctx_free(&c);
	wcsp_ctx_free(&reply);
	world_free(w);
	return failed || below ? 3 : 0;
}
