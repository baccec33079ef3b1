/*
 * fmt.c -- canonical layout of a policy file (wcspc fmt).
 *
 * Works on the token stream, comments included, so it changes only white space: every
 * token is copied from the source byte for byte. Layout:
 *   - four spaces per block level; one statement a line; `{` ends its line, `}` has its own;
 *   - one space between tokens, none before `; , . )` nor after `. (`, none between a name
 *     and its `(` (a digest: `md5("...")`);
 *   - a token declaration that would pass 100 columns puts each option (algorithms, issuer,
 *     audience, leeway, require) on a line of its own, one level deeper;
 *   - a value list `{ a, b }` stays on one line when it was on one line, else one value a
 *     line;
 *   - a comment after code on its line stays there (one space before it); a comment on its
 *     own line keeps its own line;
 *   - blank lines between statements and items are kept, at most one in a row.
 * The output lexes to the same tokens in the same order, so it compiles to the same tables
 * but for the `file:line` of each rule.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fmt.h"
#include "frontend.h"
#include "parser.h"
#include "lexer.h"
#include "sbuf.h"

typedef struct ftok {
	int kind;
	size_t a, b;            /* source bytes */
	int line, last_line;
	int match;              /* inline '{': index of its '}' */
	int block;              /* '{' or '}' of a block (not a value list) */
} ftok;

static void free_value(int kind, YYSTYPE *v)
{
	if (kind == TOK_IDENT || kind == TOK_STRING || kind == TOK_ADDR || kind == TOK_JSON)
		free(v->str.s);
	else if (kind == TOK_NUMBER)
		free(v->num.text.s);
}

/* Every token of text, comments included; -1 when the lexer finds an error (reported). */
static int lex_all(const char *text, size_t len, int file, ftok **out)
{
	lexstate ls = { .file = file, .line = 1, .col = 1, .keep_comments = 1 };
	yyscan_t sc;
	if (yylex_init_extra(&ls, &sc))
		return -1;
	yy_scan_bytes(text, (int)len, sc);
	int n = 0, cap = 0, errors = diag_nerrors;
	ftok *t = NULL;
	for (;;) {
		YYSTYPE v;
		wloc l;
		int k = yylex(&v, &l, sc);
		if (k == YYerror || diag_nerrors > errors) {
			yylex_destroy(sc);
			free(ls.buf);
			free(t);
			return -1;
		}
		if (k == 0)
			break;
		free_value(k, &v);
		if (n == cap)
			t = xrealloc(t, (size_t)(cap = cap ? cap * 2 : 64) * sizeof *t);
		t[n++] = (ftok){ k, ls.tok_start, ls.off, l.line, l.last_line, -1, 0 };
	}
	yylex_destroy(sc);
	free(ls.buf);
	/* value-list braces follow `=` or `in`; every other brace is a block's */
	int stack[256], sp = 0;
	for (int i = 0; i < n; i++) {
		int prev = i - 1;
		while (prev >= 0 && t[prev].kind == TOK_COMMENT)
			prev--;
		if (t[i].kind == '{') {
			t[i].block = !(prev >= 0 && (t[prev].kind == '=' || t[prev].kind == K_IN));
			if (sp < 256)
				stack[sp++] = i;
		} else if (t[i].kind == '}' && sp > 0) {
			int o = stack[--sp];
			t[i].block = t[o].block;
			t[o].match = i;
		}
	}
	*out = t;
	return n;
}

static int is_option(int kind)
{
	return kind == K_ALGORITHMS || kind == K_ISSUER || kind == K_AUDIENCE ||
	       kind == K_LEEWAY || kind == K_REQUIRE;
}

/* Columns the statement starting at token i takes on one line (comments left out). */
static size_t one_line(const ftok *t, int n, int i)
{
	size_t w = 0;
	for (int k = i; k < n && t[k].kind != ';'; k++)
		if (t[k].kind != TOK_COMMENT)
			w += t[k].b - t[k].a + 1;
	return w + 1;
}

static void indent(sbuf *b, int depth)
{
	for (int i = 0; i < depth; i++)
		sb_puts(b, "    ");
}

char *fmt_source(const char *text, size_t len, int file)
{
	ftok *t;
	if (len > INT_MAX)
		return NULL;
	int n = lex_all(text, len, file, &t);
	if (n < 0)
		return NULL;
	sbuf b = { 0 };
	int depth = 0, bol = 1, pending = 0, prev = -1;
	int listml[256], lp = 0;        /* open value lists: multi-line? */
	int wrap = 0;                   /* in a long token declaration: options on lines */
	for (int i = 0; i < n; i++) {
		ftok *k = &t[i];
		const char *s = text + k->a;
		size_t sn = k->b - k->a;
		int same_line = prev >= 0 && k->line == t[prev].last_line;
		if (k->kind == TOK_COMMENT && same_line && (pending || !bol)) {
			sb_put(&b, " ", 1);
			sb_put(&b, s, sn);
			sb_put(&b, "\n", 1);
			pending = 0;
			bol = 1;
			prev = i;
			continue;
		}
		int closes = k->kind == '}' && k->block;
		if (k->kind == '}' && !k->block && lp > 0)
			pending |= listml[--lp]; /* a multi-line list closes on its own line */
		if (pending || (k->kind == TOK_COMMENT && !bol) || (closes && !bol)) {
			sb_put(&b, "\n", 1);
			bol = 1;
			pending = 0;
		}
		if (closes)
			depth--;
		if (bol && k->kind == K_TOKEN)
			wrap = 4 * (size_t)depth + one_line(t, n, i) > 100;
		if (wrap && !bol && is_option(k->kind)) {
			sb_put(&b, "\n", 1);
			indent(&b, depth + lp + 1);
			bol = 1;
		} else if (bol) {
			int opened = prev >= 0 && t[prev].kind == '{' && t[prev].block;
			if (prev >= 0 && k->line > t[prev].last_line + 1 && !opened && !closes)
				sb_put(&b, "\n", 1);
			indent(&b, depth + lp);
		} else {
			int tight = k->kind == ';' || k->kind == ',' || k->kind == '.' ||
				    k->kind == ')' || t[prev].kind == '.' || t[prev].kind == '(' ||
				    (k->kind == '(' && t[prev].kind == TOK_IDENT);
			if (!tight)
				sb_put(&b, " ", 1);
		}
		sb_put(&b, s, sn);
		bol = 0;
		if (k->kind == TOK_COMMENT) {
			sb_put(&b, "\n", 1);
			bol = 1;
		} else if (k->kind == ';' || (k->kind == '{' && k->block) || closes) {
			wrap = 0;
			pending = 1;
			depth += k->kind == '{';
		} else if (k->kind == '{') {
			int ml = k->match >= 0 && t[k->match].line > k->line;
			if (lp < 256)
				listml[lp++] = ml;
			if (ml)
				pending = 1;
		} else if (k->kind == ',' && lp > 0 && listml[lp - 1])
			pending = 1;
		prev = i;
	}
	if (!bol || pending)
		sb_put(&b, "\n", 1);
	free(t);
	return sb_take(&b, NULL);
}

int fmt_same_tokens(const char *a, size_t an, const char *b, size_t bn, int file)
{
	ftok *x, *y;
	if (an > INT_MAX || bn > INT_MAX)
		return 0;
	int nx = lex_all(a, an, file, &x);
	if (nx < 0)
		return 0;
	int ny = lex_all(b, bn, file, &y), same = nx == ny;
	for (int i = 0; same && i < nx; i++)
		same = x[i].kind == y[i].kind && x[i].b - x[i].a == y[i].b - y[i].a &&
			!memcmp(a + x[i].a, b + y[i].a, x[i].b - x[i].a);
	free(x);
	if (ny >= 0)
		free(y);
	return same;
}
