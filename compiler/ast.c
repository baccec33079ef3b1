/*
 * ast.c -- strings and destructors for the parsed policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ast.h"

wstr wstr_dup(const char *s, size_t n)
{
	wstr w = { xmalloc(n + 1), n };
	memcpy(w.s, s, n);
	w.s[n] = 0;
	return w;
}

int wstr_eq(wstr a, const char *s, size_t n) { return a.n == n && memcmp(a.s, s, n) == 0; }

void ast_free_path(wpath *p)
{
	if (!p) return;
	for (int i = 0; i < p->seg.n; i++) free(p->seg.v[i].s);
	free(p->seg.v);
	free(p);
}

void ast_free_value(wvalue *v)
{
	if (!v) return;
	free(v->str.s);
	ast_free_path(v->path);
	if (v->dig) {
		free(v->dig->key.s);
		ast_free_value(v->dig->tmpl);
		free(v->dig);
	}
	free(v);
}

static void free_vlist(wvlist *l)
{
	for (int i = 0; i < l->n; i++) ast_free_value(l->v[i]);
	free(l->v);
}

void ast_free_cond(wcond *c)
{
	if (!c) return;
	ast_free_cond(c->l);
	ast_free_cond(c->r);
	ast_free_path(c->path);
	ast_free_value(c->val);
	free(c->setname.s);
	free_vlist(&c->list);
	free(c);
}

void ast_free_stmt(wstmt *s)
{
	if (!s) return;
	free(s->reason.s);
	ast_free_cond(s->guard);
	ast_free_path(s->path);
	ast_free_value(s->val);
	for (int i = 0; i < s->paths.n; i++) ast_free_path(s->paths.v[i]);
	free(s->paths.v);
	free(s);
}

void ast_free_block(wblock *b)
{
	if (!b) return;
	free(b->name.s);
	for (int i = 0; i < b->stmts.n; i++) ast_free_stmt(b->stmts.v[i]);
	free(b->stmts.v);
	free(b);
}

void ast_free_test(wtest *t)
{
	if (!t) return;
	free(t->name.s);
	free(t->method.s);
	free(t->body.s);
	free(t->app.s);
	for (int i = 0; i < t->expects.n; i++) {
		ast_free_cond(t->expects.v[i]->cond);
		free(t->expects.v[i]);
	}
	free(t->expects.v);
	free(t);
}

static void free_strs(wstr *v, int n)
{
	for (int i = 0; i < n; i++) free(v[i].s);
	free(v);
}

void ast_free_token(wtoken *t)
{
	if (!t) return;
	free(t->name.s);
	ast_free_path(t->path);
	free_strs(t->keys.v, t->keys.n);
	free(t->key_locs.v);
	free_strs(t->issuers.v, t->issuers.n);
	free_strs(t->audiences.v, t->audiences.n);
	free_strs(t->claims.v, t->claims.n);
	free(t);
}

void ast_free_policy(wpolicy *p)
{
	free(p->name.s);
	for (int i = 0; i < p->accept.n; i++) free(p->accept.v[i].text.s);
	free(p->accept.v);
	for (int i = 0; i < p->sets.n; i++) {
		wset *s = p->sets.v[i];
		free(s->name.s);
		free(s->file.s);
		free_vlist(&s->vals);
		free(s);
	}
	free(p->sets.v);
	for (int i = 0; i < p->keys.n; i++) {
		free(p->keys.v[i]->name.s);
		free(p->keys.v[i]->file.s);
		free(p->keys.v[i]);
	}
	free(p->keys.v);
	for (int i = 0; i < p->tokens.n; i++) ast_free_token(p->tokens.v[i]);
	free(p->tokens.v);
	for (int i = 0; i < p->apps.n; i++) free(p->apps.v[i].key.s);
	free(p->apps.v);
	for (int i = 0; i < p->blocks.n; i++) ast_free_block(p->blocks.v[i]);
	free(p->blocks.v);
	for (int i = 0; i < p->tests.n; i++) ast_free_test(p->tests.v[i]);
	free(p->tests.v);
	for (int i = 0; i < p->custom.n; i++) free(p->custom.v[i].s);
	free(p->custom.v);
	memset(p, 0, sizeof *p);
}
