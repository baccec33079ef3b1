/*
 * parser.y -- the .wcsp grammar (pure, with locations; see docs/wcsp.5).
 *
 * Items are appended to px->pol as they reduce, so the policy's lists are in file order,
 * and an `include` is parsed at the point of its reduction: spliced in place.
 * Names: a field path's first segment may be any identifier or keyword except the ones that
 * start or continue a condition (not exists in and or if unless) and the literals
 * (true false null); later segments may be any keyword; a quoted segment may be any key.
 */
%define api.pure full
%define parse.error custom
%define parse.lac full
%define api.location.type {wloc}
%locations
%expect 0
%param {yyscan_t scanner}
%parse-param {pctx *px}

%code requires {
#include "frontend.h"
#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif
}

%code provides {
int yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);
lexstate *yyget_extra(yyscan_t scanner);
#define YYLLOC_DEFAULT(Cur, Rhs, N) do { \
	if (N) { \
		(Cur).file = YYRHSLOC(Rhs, 1).file; \
		(Cur).line = YYRHSLOC(Rhs, 1).line; \
		(Cur).col = YYRHSLOC(Rhs, 1).col; \
		(Cur).last_line = YYRHSLOC(Rhs, N).last_line; \
		(Cur).last_col = YYRHSLOC(Rhs, N).last_col; \
	} else { \
		(Cur).file = YYRHSLOC(Rhs, 0).file; \
		(Cur).line = (Cur).last_line = YYRHSLOC(Rhs, 0).last_line; \
		(Cur).col = (Cur).last_col = YYRHSLOC(Rhs, 0).last_col; \
	} \
} while (0)
}

%code {
#define YYMAXDEPTH 10000        /* bison's default, named here for the message below */
#include "wcsp_abi.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bison's own messages: only "memory exhausted", when its stack (YYMAXDEPTH) overflows. */
static void yyerror(const wloc *l, yyscan_t scanner, pctx *px, const char *msg)
{
	(void)scanner; (void)px;
	if (!strcmp(msg, "memory exhausted"))
		diag(DIAG_ERROR, *l, "nested too deeply: the parser holds at most %d open parentheses, "
		     "'not's and unfinished operators", YYMAXDEPTH);
	else
		diag(DIAG_ERROR, *l, "%s", msg);
}

static wpath *path_new(wstr seg, wloc l)
{
	wpath *p = xcalloc(1, sizeof *p);
	VEC_PUSH(p->seg, seg);
	p->loc = l;
	return p;
}

static wvalue *value_new(enum wval_kind k, wloc l)
{
	wvalue *v = xcalloc(1, sizeof *v);
	v->kind = k;
	v->loc = l;
	return v;
}

static wcond *cond_new(enum wcond_op op, wloc l)
{
	wcond *c = xcalloc(1, sizeof *c);
	c->op = op;
	c->loc = l;
	return c;
}

static wcond *pred(enum wcond_op op, wpath *p, wvalue *v, wloc l)
{
	wcond *c = cond_new(op, l);
	c->path = p;
	c->val = v;
	return c;
}

static wstmt *stmt_new(enum wstmt_kind k, wloc l)
{
	wstmt *s = xcalloc(1, sizeof *s);
	s->kind = k;
	s->loc = l;
	return s;
}

static void guard_set(wstmt *s, wguard g) { s->guard = g.c; s->unless = g.unless; }

static wstr kw(int tok) { const char *s = frontend_keyword_name(tok); return wstr_dup(s, strlen(s)); }

/* Which list of a token declaration a ',' continues. */
enum { OPT_KEYS, OPT_ALGS, OPT_ISSUER, OPT_AUDIENCE, OPT_REQUIRE, OPT_LEEWAY };

static wtoken *token_new(wstr name, wloc at, wpath *path, wstr key, wloc key_at)
{
	wtoken *t = xcalloc(1, sizeof *t);
	t->name = name;
	t->loc = at;
	t->path = path;
	VEC_PUSH(t->keys, key);
	VEC_PUSH(t->key_locs, key_at);
	t->opt = OPT_KEYS;
	return t;
}

/* One more entry of a token declaration's list opt: a name (ident) or a string. */
static void token_add(wtoken *t, int opt, wstr v, int ident, wloc at)
{
	static const char *const what[] = { "key", "algorithm", "issuer", "audience", "claim",
					     "leeway" };
	t->opt = opt;
	if ((opt == OPT_KEYS || opt == OPT_ALGS) && !ident) {
		diag(DIAG_ERROR, at, "a %s is a name, not a string", what[opt]);
		free(v.s);
		return;
	}
	switch (opt) {
	case OPT_KEYS:
		VEC_PUSH(t->keys, v);
		VEC_PUSH(t->key_locs, at);
		return;
	case OPT_ALGS:
		for (int a = 0; a < WCSP_NALGS; a++)
			if (!strcmp(v.s, wcsp_alg_names[a])) {
				if (t->algs & 1u << a)
					diag(DIAG_WARNING, at, "algorithm %s is listed twice", v.s);
				t->algs |= 1u << a;
				t->alg_locs[a] = at;
				free(v.s);
				return;
			}
		if (!strcmp(v.s, "none"))
			diag(DIAG_ERROR, at, "algorithm none is never accepted: a token must be signed");
		else
			diag(DIAG_ERROR, at, "unknown algorithm '%s' (HS256 HS384 HS512 RS256 RS384 "
			     "RS512 PS256 ES256 ES384 EdDSA)", v.s);
		free(v.s);
		return;
	case OPT_ISSUER:
	case OPT_AUDIENCE:
		if (ident) {
			diag(DIAG_ERROR, at, "an %s is a string: write \"%s\"", what[opt], v.s);
			free(v.s);
			return;
		}
		if (opt == OPT_ISSUER)
			VEC_PUSH(t->issuers, v);
		else
			VEC_PUSH(t->audiences, v);
		return;
	case OPT_REQUIRE:
		VEC_PUSH(t->claims, v);
		return;
	default:
		diag(DIAG_ERROR, at, "leeway takes one number");
		free(v.s);
	}
}

/* `now`, `now + N`, `now - N`: N whole seconds. */
static wvalue *now_value(double n, const char *text, wloc at)
{
	wvalue *v = xcalloc(1, sizeof *v);
	v->kind = V_NOW;
	v->loc = at;
	if (n != (long long)n || n > 1e12 || n < -1e12)
		diag(DIAG_ERROR, at, "now is whole seconds: %s is not a whole number of seconds "
		     "(at most 1e12)", text);
	else
		v->num = n;
	return v;
}

/* `md5("...") hex`, `hmac_sha1(k, "...") base64`. */
static wvalue *digest_new(wstr fn, wloc fn_at, wstr key, wloc key_at, wstr tmpl, wloc tmpl_at,
			  wstr enc, wloc enc_at, wloc at)
{
	static const char *const hashes[] = { "md5", "sha1", "sha256", "sha512" };
	static const char *const encs[] = { "hex", "base64", "base64url" };
	wvalue *v = xcalloc(1, sizeof *v);
	wdigest *d = v->dig = xcalloc(1, sizeof *d);
	v->kind = V_DIGEST;
	v->loc = at;
	d->key = key;
	d->key_loc = key_at;
	d->tmpl = xcalloc(1, sizeof *d->tmpl);
	d->tmpl->kind = V_STRING;
	d->tmpl->str = tmpl;
	d->tmpl->loc = tmpl_at;
	int hmac = !strncmp(fn.s, "hmac_", 5);
	d->hash = -1;
	for (int i = 0; i < 4; i++)
		if (!strcmp(fn.s + (hmac ? 5 : 0), hashes[i]))
			d->hash = i;
	if (d->hash < 0)
		diag(DIAG_ERROR, fn_at, "unknown digest '%s' (md5 sha1 sha256 sha512, or hmac_md5 "
		     "hmac_sha1 hmac_sha256 hmac_sha512 with a key)", fn.s);
	else if (hmac && !key.s)
		diag(DIAG_ERROR, fn_at, "%s takes a key first: %s(KEY, \"...\")", fn.s, fn.s);
	else if (!hmac && key.s)
		diag(DIAG_ERROR, key_at, "%s takes no key (an HMAC does: hmac_%s(%s, \"...\"))",
		     fn.s, fn.s, key.s);
	d->enc = -1;
	for (int i = 0; enc.s && i < 3; i++)
		if (!strcmp(enc.s, encs[i]))
			d->enc = i;
	if (!enc.s)
		diag(DIAG_ERROR, enc_at, "a digest needs its encoding after it: hex, base64 or "
		     "base64url");
	else if (d->enc < 0)
		diag(DIAG_ERROR, enc_at, "unknown encoding '%s' (hex, base64 or base64url)", enc.s);
	free(fn.s);
	free(enc.s);
	return v;
}

/* `now` on the left of a comparison: reported, and a stand-in predicate returned. */
static wcond *now_left(wvalue *now, int op, wvalue *v, wloc at)
{
	static const char *const ops[] = { [C_EQ] = "==", [C_NE] = "!=", [C_LT] = "<",
					   [C_LE] = "<=", [C_GT] = ">", [C_GE] = ">=" };
	static const char *const turned[] = { [C_EQ] = "==", [C_NE] = "!=", [C_LT] = ">",
					      [C_LE] = ">=", [C_GT] = "<", [C_GE] = "<=" };
	if (op == C_EQ || op == C_NE)
		diag(DIAG_ERROR, now->loc, "now stands only on the right of <, <=, > or >=");
	else
		diag(DIAG_ERROR, now->loc, "now stands only on the right of a comparison: turn it "
		     "around (FIELD %s now, not now %s FIELD)", turned[op], ops[op]);
	ast_free_value(now);
	ast_free_value(v);
	wcond *c = cond_new(C_EXISTS, at);
	c->path = path_new(wstr_dup("now", 3), at);
	c->path->quoted = 1;
	return c;
}
}

%union {
	wstr str;
	wnum num;
	wpath *path;
	wvalue *val;
	wvlist vlist;
	wplist plist;
	wcond *cond;
	wstmt *stmt;
	wblock *block;
	wguard guard;
	wtgt tgt;
	int ival;
	wtest *test;
	wexpect *expect;
	wtoken *token;
}

%token <str> TOK_IDENT "identifier" TOK_STRING "string" TOK_ADDR "address" TOK_JSON "JSON object"
%token <num> TOK_NUMBER "number"
%token TOK_COMMENT "comment"    /* only when formatting: the parser never sees one */
%token TOK_EQ "==" TOK_NE "!=" TOK_LE "<=" TOK_GE ">="
%token K_POLICY "policy" K_INCLUDE "include" K_SET "set" K_FILE "file" K_REQUIRE "require"
%token K_ACCEPT "accept" K_FROM "from" K_APP "app" K_METHOD "method" K_DIRECT "direct"
%token K_EVENTS "events" K_INCOMING "incoming" K_ALL "all" K_ALLOW "allow" K_DENY "deny"
%token K_OVERRIDE "override" K_RESTONERROR "restOnError" K_RESTEXCLUDE "restExclude"
%token K_CLIENTEXCLUDE "clientExclude" K_DISABLE "disable" K_IF "if" K_UNLESS "unless"
%token K_AND "and" K_OR "or" K_NOT "not" K_EXISTS "exists" K_IN "in"
%token K_TRUE "true" K_FALSE "false" K_NULL "null"
%token K_TEST "test" K_REQUEST "request" K_EXPECT "expect"
%token K_KEY "key" K_TOKEN "token" K_JWT "jwt" K_ALGORITHMS "algorithms" K_ISSUER "issuer"
%token K_AUDIENCE "audience" K_LEEWAY "leeway" K_LIVE "live" K_VALID "valid" K_NOW "now"
%token K_CLOCK "clock"

%type <str> head name
%type <path> path qpath
%type <val> value nowv digest
%type <str> encoding
%type <ival> cmpop
%type <token> tokdecl
%type <vlist> values setexpr
%type <plist> paths
%type <cond> cond pred
%type <guard> guard
%type <stmt> stmt deny
%type <block> stmts
%type <tgt> target
%type <ival> status
%type <test> tstmts
%type <expect> expectation

%destructor { free($$.s); } <str>
%destructor { free($$.text.s); } <num>
%destructor { ast_free_path($$); } <path>
%destructor { ast_free_value($$); } <val>
%destructor { for (int i = 0; i < $$.n; i++) ast_free_value($$.v[i]); free($$.v); } <vlist>
%destructor { for (int i = 0; i < $$.n; i++) ast_free_path($$.v[i]); free($$.v); } <plist>
%destructor { ast_free_cond($$); } <cond>
%destructor { ast_free_cond($$.c); } <guard>
%destructor { ast_free_stmt($$); } <stmt>
%destructor { ast_free_block($$); } <block>
%destructor { free($$.name.s); } <tgt>
%destructor { ast_free_test($$); } <test>
%destructor { ast_free_cond($$->cond); free($$); } <expect>
%destructor { ast_free_token($$); } <token>

%left K_OR
%left K_AND
%precedence K_NOT

%%

file
	: %empty
	| file item
	;

item
	: K_POLICY TOK_STRING ';' {
		if (px->pol->name.s) {
			diag(DIAG_ERROR, @$, "the policy is already named \"%s\"", px->pol->name.s);
			free($2.s);
		} else {
			px->pol->name = $2;
			px->pol->name_loc = @2;
		}
	}
	| K_INCLUDE TOK_STRING ';' { frontend_include(px, $2, @$); free($2.s); }
	| K_SET TOK_IDENT '=' setexpr ';' {
		wset *s = xcalloc(1, sizeof *s);
		s->name = $2;
		s->loc = @2;
		s->vals = $4;
		VEC_PUSH(px->pol->sets, s);
	}
	| K_SET TOK_IDENT '=' K_FILE TOK_STRING ';' {
		wset *s = xcalloc(1, sizeof *s);
		s->name = $2;
		s->loc = @2;
		VEC_PUSH(px->pol->sets, s);
		frontend_set_file(px, s, $5, @5);
		free($5.s);
	}
	| K_SET TOK_IDENT '=' K_FILE TOK_STRING K_LIVE ';' {
		wset *s = xcalloc(1, sizeof *s);
		s->name = $2;
		s->loc = @2;
		s->from_file = s->live = 1;
		s->file = $5;
		VEC_PUSH(px->pol->sets, s);
	}
	| K_KEY TOK_IDENT '=' K_FILE TOK_STRING ';' {
		wkey *k = xcalloc(1, sizeof *k);
		k->name = $2;
		k->loc = @2;
		k->file = $5;
		k->file_loc = @5;
		VEC_PUSH(px->pol->keys, k);
	}
	| tokdecl ';' { $1->idx = px->pol->tokens.n; VEC_PUSH(px->pol->tokens, $1); }
	| K_REQUIRE TOK_IDENT ';' {
		if (strcmp($2.s, "signature"))
			diag(DIAG_ERROR, @2, "unknown requirement '%s' (only 'require signature;' exists)", $2.s);
		else if (px->pol->require_sig)
			diag(DIAG_WARNING, @$, "'require signature' given twice");
		else {
			px->pol->require_sig = 1;
			px->pol->sig_loc = @$;
		}
		free($2.s);
	}
	| K_ACCEPT K_FROM addrs ';' { if (!px->pol->accept_loc.line) px->pol->accept_loc = @$; }
	| K_APP TOK_STRING '{' { px->app = frontend_app(px, $2, @2); } blocks '}' {
		px->app = -1;
		free($2.s);     /* here, not above: on an error the destructor frees it */
	}
	| block
	| K_TEST TOK_STRING '{' tstmts '}' {
		$4->name = $2;
		$4->loc = @1;
		if (!$4->nrequests)
			diag(DIAG_ERROR, @2, "test \"%s\" has no request (request METHOD { ... };)", $2.s);
		VEC_PUSH(px->pol->tests, $4);
	}
	| error ';' { px->app = -1; }
	| error '}' { px->app = -1; }
	;

tokdecl
	: K_TOKEN TOK_IDENT '=' K_JWT qpath K_KEY TOK_IDENT { $$ = token_new($2, @2, $5, $7, @7); }
	| tokdecl ',' TOK_IDENT { $$ = $1; token_add($$, $$->opt, $3, 1, @3); }
	| tokdecl ',' TOK_STRING { $$ = $1; token_add($$, $$->opt, $3, 0, @3); }
	| tokdecl K_ALGORITHMS TOK_IDENT { $$ = $1; token_add($$, OPT_ALGS, $3, 1, @3); }
	| tokdecl K_ISSUER TOK_STRING { $$ = $1; token_add($$, OPT_ISSUER, $3, 0, @3); }
	| tokdecl K_AUDIENCE TOK_STRING { $$ = $1; token_add($$, OPT_AUDIENCE, $3, 0, @3); }
	| tokdecl K_REQUIRE TOK_IDENT { $$ = $1; token_add($$, OPT_REQUIRE, $3, 1, @3); }
	| tokdecl K_REQUIRE TOK_STRING { $$ = $1; token_add($$, OPT_REQUIRE, $3, 0, @3); }
	| tokdecl K_LEEWAY TOK_NUMBER {
		$$ = $1;
		$$->opt = OPT_LEEWAY;
		double v = $3.v;
		if (!(v >= 0 && v <= 86400) || v != (uint32_t)v)   /* range first: the cast needs it */
			diag(DIAG_ERROR, @3, "leeway is whole seconds, 0..86400, not %s", $3.text.s);
		else
			$$->leeway = (uint32_t)v;
		free($3.text.s);
	}
	;

tstmts
	: %empty { $$ = xcalloc(1, sizeof *$$); }
	| tstmts K_REQUEST TOK_IDENT TOK_JSON ';' {
		$$ = $1;
		if ($$->nrequests++) {
			diag(DIAG_ERROR, @2, "a test sends one request; write another test for this one");
			free($3.s);
			free($4.s);
		} else {
			$$->method = $3;
			$$->method_loc = @3;
			$$->body = $4;
			$$->body_loc = @4;
		}
	}
	| tstmts K_APP TOK_STRING ';' {
		$$ = $1;
		free($$->app.s);
		$$->app = $3;
	}
	| tstmts K_EXPECT expectation ';' { $$ = $1; $3->loc = @3; VEC_PUSH($$->expects, $3); }
	| tstmts K_CLOCK TOK_NUMBER ';' {
		$$ = $1;
		double v = $3.v;
		if (!(v >= 0 && v <= 1e12) || v != (long long)v)   /* range first: the cast needs it */
			diag(DIAG_ERROR, @3, "clock is Unix seconds, a whole number from 0, not %s",
			     $3.text.s);
		else if ($$->has_clock)
			diag(DIAG_ERROR, @2, "this test's clock is already set");
		else {
			$$->has_clock = 1;
			$$->clock = (long long)v;
		}
		free($3.text.s);
	}
	| tstmts error ';' { $$ = $1; }
	;

expectation
	: K_ALLOW { $$ = xcalloc(1, sizeof *$$); $$->kind = E_ALLOW; }
	| K_DENY { $$ = xcalloc(1, sizeof *$$); $$->kind = E_DENY; }
	| K_DENY status { $$ = xcalloc(1, sizeof *$$); $$->kind = E_DENY; $$->status = $2; }
	| TOK_NUMBER {
		$$ = xcalloc(1, sizeof *$$);
		$$->kind = E_STATUS;
		/* range first: converting an out-of-range double to int is undefined */
		int ok = $1.v >= 100 && $1.v <= 599 && $1.v == (int)$1.v;
		$$->status = ok ? (int)$1.v : 0;
		if (!ok)
			diag(DIAG_ERROR, @1, "%s is not an HTTP status", $1.text.s);
		free($1.text.s);
	}
	| TOK_IDENT {
		$$ = xcalloc(1, sizeof *$$);
		$$->kind = E_ECHO;
		if (strcmp($1.s, "echo"))
			diag(DIAG_ERROR, @1, "expect takes allow, deny [STATUS], echo, a status or a "
			     "condition on the reply, not '%s'", $1.s);
		free($1.s);
	}
	| cond { $$ = xcalloc(1, sizeof *$$); $$->kind = E_COND; $$->cond = $1; }
	;

addrs
	: TOK_ADDR { VEC_PUSH(px->pol->accept, ((waddr){ .text = $1, .loc = @1 })); }
	| addrs ',' TOK_ADDR { VEC_PUSH(px->pol->accept, ((waddr){ .text = $3, .loc = @3 })); }
	;

blocks
	: %empty
	| blocks block
	| blocks error '}'
	;

block
	: target '{' stmts '}' {
		wblock *b = $3;
		b->target = $1.kind;
		b->name = $1.name;
		b->name_loc = $1.name_loc;
		b->loc = @1;
		b->app = px->app;
		b->method = -1;
		VEC_PUSH(px->pol->blocks, b);
	}
	;

target
	: TOK_IDENT { $$ = (wtgt){ T_METHOD, $1, @1 }; }
	| K_METHOD TOK_STRING { $$ = (wtgt){ T_NAMED, $2, @2 }; }
	| K_DIRECT { $$ = (wtgt){ T_DIRECT, { NULL, 0 }, @1 }; }
	| K_EVENTS { $$ = (wtgt){ T_EVENTS, { NULL, 0 }, @1 }; }
	| K_INCOMING { $$ = (wtgt){ T_INCOMING, { NULL, 0 }, @1 }; }
	| K_ALL { $$ = (wtgt){ T_ALL, { NULL, 0 }, @1 }; }
	;

stmts
	: %empty { $$ = xcalloc(1, sizeof *$$); }
	| stmts stmt { $$ = $1; VEC_PUSH($$->stmts, $2); }
	| stmts error ';' { $$ = $1; }
	;

stmt
	: K_ALLOW ';' { $$ = stmt_new(S_ALLOW, @$); }
	| K_ALLOW guard ';' { $$ = stmt_new(S_ALLOW, @$); guard_set($$, $2); }
	| deny ';' { $$ = $1; $$->loc = @$; }
	| deny guard ';' { $$ = $1; $$->loc = @$; guard_set($$, $2); }
	| K_OVERRIDE qpath '=' value ';' {
		$$ = stmt_new(S_OVERRIDE, @$);
		$$->path = $2;
		$$->val = $4;
	}
	| K_OVERRIDE qpath '=' value guard ';' {
		$$ = stmt_new(S_OVERRIDE, @$);
		$$->path = $2;
		$$->val = $4;
		guard_set($$, $5);
	}
	| K_RESTONERROR TOK_IDENT ';' {
		$$ = stmt_new(S_ONERROR, @$);
		if (!strcmp($2.s, "FAIL"))
			$$->fail = 1;
		else if (strcmp($2.s, "LOG"))
			diag(DIAG_ERROR, @2, "restOnError takes FAIL or LOG, not '%s'", $2.s);
		free($2.s);
	}
	| K_RESTEXCLUDE paths ';' { $$ = stmt_new(S_REXCLUDE, @$); $$->paths = $2; }
	| K_CLIENTEXCLUDE paths ';' { $$ = stmt_new(S_CEXCLUDE, @$); $$->paths = $2; }
	| K_DISABLE ';' { $$ = stmt_new(S_DISABLE, @$); }
	;

deny
	: K_DENY { $$ = stmt_new(S_DENY, @$); }
	| K_DENY status { $$ = stmt_new(S_DENY, @$); $$->status = $2; $$->status_loc = @2; }
	| K_DENY TOK_STRING { $$ = stmt_new(S_DENY, @$); $$->reason = $2; }
	| K_DENY status TOK_STRING {
		$$ = stmt_new(S_DENY, @$);
		$$->status = $2;
		$$->status_loc = @2;
		$$->reason = $3;
	}
	;

status
	: TOK_NUMBER {
		double v = $1.v;
		if (!(v >= 400 && v <= 599) || v != (int)v) {  /* range first: the cast needs it */
			diag(DIAG_ERROR, @1, "deny status %s is not an HTTP error status (400..599)", $1.text.s);
			$$ = 403;
		} else
			$$ = (int)v;
		free($1.text.s);
	}
	;

paths
	: qpath { memset(&$$, 0, sizeof $$); VEC_PUSH($$, $1); }
	| paths ',' qpath { $$ = $1; VEC_PUSH($$, $3); }
	;

guard
	: K_IF cond { $$ = (wguard){ $2, 0 }; }
	| K_UNLESS cond { $$ = (wguard){ $2, 1 }; }
	;

cond
	: cond K_OR cond { $$ = cond_new(C_OR, @$); $$->l = $1; $$->r = $3; }
	| cond K_AND cond { $$ = cond_new(C_AND, @$); $$->l = $1; $$->r = $3; }
	| K_NOT cond { $$ = cond_new(C_NOT, @$); $$->l = $2; }
	| '(' cond ')' { $$ = $2; }
	| pred
	;

pred
	: qpath TOK_EQ value { $$ = pred(C_EQ, $1, $3, @$); }
	| qpath TOK_NE value { $$ = pred(C_NE, $1, $3, @$); }
	| qpath '<' value { $$ = pred(C_LT, $1, $3, @$); }
	| qpath TOK_LE value { $$ = pred(C_LE, $1, $3, @$); }
	| qpath '>' value { $$ = pred(C_GT, $1, $3, @$); }
	| qpath TOK_GE value { $$ = pred(C_GE, $1, $3, @$); }
	| qpath '~' value { $$ = pred(C_GLOB, $1, $3, @$); }
	| qpath TOK_EQ digest { $$ = pred(C_EQ, $1, $3, @$); }
	| qpath TOK_NE digest { $$ = pred(C_NE, $1, $3, @$); }
	| qpath K_IN qpath {
		if ($3->seg.n == 1 && !$3->quoted) {    /* a bare name: a set */
			$$ = pred(C_INSET, $1, NULL, @$);
			$$->setname = $3->seg.v[0];
			$$->setloc = @3;
			$3->seg.n = 0;
			ast_free_path($3);
		} else {
			wvalue *v = value_new(V_PATH, @3);
			v->path = $3;
			$$ = pred(C_INARRAY, $1, v, @$);
		}
	}
	| qpath K_IN '{' values '}' { $$ = pred(C_INLIST, $1, NULL, @$); $$->list = $4; }
	| K_EXISTS qpath { $$ = pred(C_EXISTS, $2, NULL, @$); }
	| K_VALID TOK_IDENT { $$ = cond_new(C_VALID, @$); $$->setname = $2; $$->setloc = @2; }
	| nowv cmpop value { $$ = now_left($1, $2, $3, @$); }
	;

cmpop
	: TOK_EQ { $$ = C_EQ; } | TOK_NE { $$ = C_NE; } | '<' { $$ = C_LT; }
	| TOK_LE { $$ = C_LE; } | '>' { $$ = C_GT; } | TOK_GE { $$ = C_GE; }
	;

nowv
	: K_NOW { $$ = now_value(0, "0", @$); }
	| K_NOW '+' TOK_NUMBER { $$ = now_value($3.v, $3.text.s, @$); free($3.text.s); }
	| K_NOW '-' TOK_NUMBER { $$ = now_value(-$3.v, $3.text.s, @$); free($3.text.s); }
	| K_NOW TOK_NUMBER {
		if ($2.text.s[0] == '-')                /* `now -30`: the lexer read -30 */
			$$ = now_value($2.v, $2.text.s, @$);
		else {
			diag(DIAG_ERROR, @2, "write now + %s", $2.text.s);
			$$ = now_value(0, "0", @$);
		}
		free($2.text.s);
	}
	;

digest
	: TOK_IDENT '(' TOK_STRING ')' encoding {
		$$ = digest_new($1, @1, (wstr){ NULL, 0 }, @1, $3, @3, $5, @5, @$);
	}
	| TOK_IDENT '(' TOK_IDENT ',' TOK_STRING ')' encoding {
		$$ = digest_new($1, @1, $3, @3, $5, @5, $7, @7, @$);
	}
	;

encoding
	: %empty { $$ = (wstr){ NULL, 0 }; }
	| TOK_IDENT
	;

setexpr
	: '{' values '}' { $$ = $2; }
	;

values
	: value { memset(&$$, 0, sizeof $$); VEC_PUSH($$, $1); }
	| values ',' value { $$ = $1; VEC_PUSH($$, $3); }
	;

value
	: TOK_STRING { $$ = value_new(V_STRING, @$); $$->str = $1; }
	| TOK_NUMBER { $$ = value_new(V_NUMBER, @$); $$->str = $1.text; $$->num = $1.v; }
	| K_TRUE { $$ = value_new(V_TRUE, @$); }
	| K_FALSE { $$ = value_new(V_FALSE, @$); }
	| K_NULL { $$ = value_new(V_NULL, @$); }
	| path { $$ = value_new(V_PATH, @$); $$->path = $1; }
	| nowv
	;

/* A path whose first segment may also be quoted: where a string literal cannot stand. */
qpath
	: head { $$ = path_new($1, @1); }
	| TOK_STRING { $$ = path_new($1, @1); $$->quoted = 1; }
	| qpath '.' name { $$ = $1; VEC_PUSH($$->seg, $3); $$->loc.last_line = @3.last_line; $$->loc.last_col = @3.last_col; }
	| qpath '.' TOK_STRING { $$ = $1; VEC_PUSH($$->seg, $3); $$->loc.last_line = @3.last_line; $$->loc.last_col = @3.last_col; }
	;

path
	: head { $$ = path_new($1, @1); }
	| path '.' name { $$ = $1; VEC_PUSH($$->seg, $3); $$->loc.last_line = @3.last_line; $$->loc.last_col = @3.last_col; }
	| path '.' TOK_STRING { $$ = $1; VEC_PUSH($$->seg, $3); $$->loc.last_line = @3.last_line; $$->loc.last_col = @3.last_col; }
	;

head
	: TOK_IDENT
	| K_POLICY { $$ = kw(K_POLICY); } | K_INCLUDE { $$ = kw(K_INCLUDE); } | K_SET { $$ = kw(K_SET); }
	| K_FILE { $$ = kw(K_FILE); } | K_REQUIRE { $$ = kw(K_REQUIRE); } | K_ACCEPT { $$ = kw(K_ACCEPT); }
	| K_FROM { $$ = kw(K_FROM); } | K_APP { $$ = kw(K_APP); } | K_METHOD { $$ = kw(K_METHOD); }
	| K_DIRECT { $$ = kw(K_DIRECT); } | K_EVENTS { $$ = kw(K_EVENTS); } | K_INCOMING { $$ = kw(K_INCOMING); }
	| K_ALL { $$ = kw(K_ALL); } | K_ALLOW { $$ = kw(K_ALLOW); } | K_DENY { $$ = kw(K_DENY); }
	| K_OVERRIDE { $$ = kw(K_OVERRIDE); } | K_RESTONERROR { $$ = kw(K_RESTONERROR); }
	| K_RESTEXCLUDE { $$ = kw(K_RESTEXCLUDE); } | K_CLIENTEXCLUDE { $$ = kw(K_CLIENTEXCLUDE); }
	| K_DISABLE { $$ = kw(K_DISABLE); } | K_TEST { $$ = kw(K_TEST); }
	| K_REQUEST { $$ = kw(K_REQUEST); } | K_EXPECT { $$ = kw(K_EXPECT); }
	| K_KEY { $$ = kw(K_KEY); } | K_TOKEN { $$ = kw(K_TOKEN); } | K_JWT { $$ = kw(K_JWT); }
	| K_ALGORITHMS { $$ = kw(K_ALGORITHMS); } | K_ISSUER { $$ = kw(K_ISSUER); }
	| K_AUDIENCE { $$ = kw(K_AUDIENCE); } | K_LEEWAY { $$ = kw(K_LEEWAY); }
	| K_LIVE { $$ = kw(K_LIVE); } | K_VALID { $$ = kw(K_VALID); } | K_CLOCK { $$ = kw(K_CLOCK); }
	;

name
	: head
	| K_IF { $$ = kw(K_IF); } | K_UNLESS { $$ = kw(K_UNLESS); } | K_AND { $$ = kw(K_AND); }
	| K_OR { $$ = kw(K_OR); } | K_NOT { $$ = kw(K_NOT); } | K_EXISTS { $$ = kw(K_EXISTS); }
	| K_IN { $$ = kw(K_IN); } | K_TRUE { $$ = kw(K_TRUE); } | K_FALSE { $$ = kw(K_FALSE); }
	| K_NULL { $$ = kw(K_NULL); } | K_NOW { $$ = kw(K_NOW); }
	;

%%

/* A token as a message names it: keywords and punctuation quoted, classes with an article. */
static const char *spell(yysymbol_kind_t k, char *buf, size_t n)
{
	static const char *const classes[][2] = {
		{ "end of file", "the end of the file" }, { "identifier", "a name" },
		{ "string", "a string" }, { "number", "a number" }, { "address", "an address" },
		{ "invalid token", "an invalid token" },
	};
	const char *name = yysymbol_name(k);
	for (size_t i = 0; i < sizeof classes / sizeof *classes; i++)
		if (!strcmp(name, classes[i][0]))
			return classes[i][1];
	if (name[0] == '\'')
		return name;
	snprintf(buf, n, "'%s'", name);
	return buf;
}

/*
 * Syntax errors: "unexpected X, expected A, B or C". When a ';' would have ended the
 * statement and the offending token starts a new line, the error points just past the
 * previous token instead: the usual mistake is a missing ';' at the end of a line.
 */
static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, pctx *px)
{
	(void)px;
	enum { MAX = 64, LIST = 5 };
	yysymbol_kind_t exp[MAX];
	int n = yypcontext_expected_tokens(ctx, exp, MAX);
	yysymbol_kind_t got = yypcontext_token(ctx);
	wloc at = *yypcontext_location(ctx);
	const lexstate *ls = yyget_extra(scanner);
	char b1[64], b2[64];
	int semi = 0, value = 0;
	for (int i = 0; i < n; i++) {
		semi |= !strcmp(yysymbol_name(exp[i]), "';'");
		value |= exp[i] == YYSYMBOL_K_TRUE;     /* a value may stand here */
	}
	if (got == YYSYMBOL_YYerror)
		return 0;       /* the lexer has reported it */
	if (semi && ls->before_end.line && ls->before_end.last_line < at.line) {
		wloc end = ls->before_end;
		end.line = end.last_line;
		end.col = end.last_col;
		end.last_col = end.col + 1;
		diag(DIAG_ERROR, end, "expected ';' at the end of the statement");
		return 0;
	}
	char msg[512];
	int len;
	const wsrc *src = src_get(at.file);
	int n0 = at.last_line == at.line ? at.last_col - at.col : 0;
	if ((got == YYSYMBOL_TOK_IDENT || got == YYSYMBOL_TOK_NUMBER) && src && n0 > 0 && n0 <= 40) {
		const char *p = src->text;      /* quote the offending name or number itself */
		for (int l = 1; l < at.line; p++)
			l += *p == '\n';
		len = snprintf(msg, sizeof msg, "unexpected '%.*s'", n0, p + at.col - 1);
	} else if (got == YYSYMBOL_YYEOF)
		len = snprintf(msg, sizeof msg, "unexpected end of file");
	else
		len = snprintf(msg, sizeof msg, "unexpected %s", spell(got, b1, sizeof b1));
	if (value)
		snprintf(msg + len, sizeof msg - (size_t)len, ", expected a value (a string, a number, "
			 "true, false, null or a field)");
	else if (n > 0 && n <= LIST)
		for (int i = 0; i < n && len < (int)sizeof msg; i++)
			len += snprintf(msg + len, sizeof msg - (size_t)len, "%s%s", i == 0 ? ", expected "
					: i == n - 1 ? " or " : ", ", spell(exp[i], b2, sizeof b2));
	diag(DIAG_ERROR, at, "%s", msg);
	return 0;
}
