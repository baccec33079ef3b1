/*
 * frontend.c -- files in, AST out: runs the lexer and parser over a policy and over every
 * file it includes (in place, relative to the including file), and reads set files.
 * Every file read is registered with diag (src_add), in read order.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "frontend.h"
#include "utf8.h"
#include "parser.h"
#include "lexer.h"

size_t frontend_max_input = FRONTEND_MAX_INPUT;

/*
 * The bytes of path, NUL-terminated, or NULL with *why: only a regular file of at most
 * frontend_max_input bytes is read. A FIFO would block the compiler and /dev/zero would never
 * end, so the kind is checked before the file is opened (and again on the open file).
 */
char *frontend_read_file(const char *path, size_t *len, const char **why)
{
	static char toolarge[128];
	struct stat st;
	snprintf(toolarge, sizeof toolarge, "it is larger than %zu bytes (wcspc --max-input BYTES "
		 "raises the limit)", frontend_max_input);
	if (stat(path, &st)) {
		*why = strerror(errno);
		return NULL;
	}
	if (S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode)) {
		*why = S_ISDIR(st.st_mode) ? "it is a directory" : "it is not a regular file";
		return NULL;
	}
	if ((unsigned long long)st.st_size > frontend_max_input) {
		*why = toolarge;
		return NULL;
	}
	FILE *f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		*why = f ? "it is not a regular file" : strerror(errno);
		if (f)
			fclose(f);
		return NULL;
	}
	size_t cap = (size_t)st.st_size + 2, n = 0;
	char *buf = xmalloc(cap);
	for (size_t got; (got = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
		n += got;
		if (n > frontend_max_input)
			break;          /* it grew while being read */
		if (cap - n - 1 == 0)
			buf = xrealloc(buf, cap *= 2);
	}
	int err = ferror(f);
	fclose(f);
	if (err || n > frontend_max_input) {
		free(buf);
		*why = err ? strerror(EIO) : toolarge;
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

/* rel resolved against the directory of base (malloc'd). */
static char *resolve(const char *base, const char *rel)
{
	const char *slash = strrchr(base, '/');
	if (rel[0] == '/' || !slash)
		return xstrdup(rel);
	size_t d = (size_t)(slash - base) + 1;
	char *out = xmalloc(d + strlen(rel) + 1);
	memcpy(out, base, d);
	strcpy(out + d, rel);
	return out;
}

static void parse_text(pctx *px, const char *path, const char *real, char *text, size_t len,
		       wloc from);

static void parse_source(pctx *px, const char *path, wloc from)
{
	char real[PATH_MAX];
	size_t len;
	char *text = NULL;
	const char *why = NULL;
	if (!realpath(path, real))
		why = strerror(errno);
	else
		text = frontend_read_file(path, &len, &why);
	if (!text) {
		if (from.file < 0)
			diag_plain(DIAG_ERROR, "cannot read '%s': %s", path, why);
		else
			diag(DIAG_ERROR, from, "cannot read included file '%s': %s", path, why);
		return;
	}
	parse_text(px, path, real, text, len, from);
}

/* Parse text (malloc'd, NUL-terminated; diag owns it from here) as the file path. */
static void parse_text(pctx *px, const char *path, const char *real, char *text, size_t len,
		       wloc from)
{
	for (int i = 0; i < px->depth; i++)
		if (!strcmp(px->stack[i], real)) {
			diag(DIAG_ERROR, from, "include cycle: '%s' is already being read", path);
			free(text);
			return;
		}
	if (px->depth == FRONTEND_MAX_DEPTH) {
		diag(DIAG_ERROR, from, "includes nested deeper than %d files", FRONTEND_MAX_DEPTH);
		free(text);
		return;
	}
	int file = src_add(path, text, len, from, 1);
	int saved_file = px->file, saved_app = px->app;
	px->stack[px->depth++] = xstrdup(real);
	px->file = file;
	px->app = -1;

	lexstate ls = { .file = file, .line = 1, .col = 1 };
	yyscan_t sc;
	if (yylex_init_extra(&ls, &sc)) {
		perror("wcspc");
		exit(1);
	}
	if (len > INT_MAX - 2) {        /* flex counts in int */
		diag(DIAG_ERROR, from, "'%s' is larger than %d bytes", path, INT_MAX - 2);
	} else {
		yy_scan_bytes(text, (int)len, sc);
		yyparse(sc, px);
	}
	yylex_destroy(sc);
	free(ls.buf);

	free(px->stack[--px->depth]);
	px->file = saved_file;
	px->app = saved_app;
}

int frontend_parse_text(wpolicy *pol, const char *name, const char *text, size_t len)
{
	pctx px = { .pol = pol, .file = -1, .app = -1 };
	char *copy = xmalloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = 0;
	parse_text(&px, name, name, copy, len, (wloc){ .file = -1 });
	return 0;
}

int frontend_parse(wpolicy *pol, const char *path)
{
	pctx px = { .pol = pol, .file = -1, .app = -1 };
	int before = src_count();
	parse_source(&px, path, (wloc){ .file = -1 });
	return src_count() > before ? 0 : -1;
}

int frontend_parse_alone(wpolicy *pol, const char *path, const char *text, size_t len)
{
	pctx px = { .pol = pol, .file = -1, .app = -1, .alone = 1 };
	int before = src_count();
	if (!text) {
		parse_source(&px, path, (wloc){ .file = -1 });
		return src_count() > before ? 0 : -1;
	}
	char *copy = xmalloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = 0;
	parse_text(&px, path, path, copy, len, (wloc){ .file = -1 });
	return 0;
}

void frontend_include(pctx *px, wstr path, wloc at)
{
	if (px->alone)
		return;
	if (memchr(path.s, 0, path.n)) {
		diag(DIAG_ERROR, at, "include path holds a NUL byte");
		return;
	}
	char *p = resolve(src_get(px->file)->name, path.s);
	parse_source(px, p, at);
	free(p);
}

/* The keywords, sorted by strcmp for bsearch: what the lexer returns for each name, and the
 * name the parser gives back where a keyword stands as a field or method name. */
static const struct keyword {
	const char *name;
	int tok;
} keywords[] = {
	{ "accept", K_ACCEPT },
	{ "algorithms", K_ALGORITHMS },
	{ "all", K_ALL },
	{ "allow", K_ALLOW },
	{ "and", K_AND },
	{ "app", K_APP },
	{ "audience", K_AUDIENCE },
	{ "clientExclude", K_CLIENTEXCLUDE },
	{ "clock", K_CLOCK },
	{ "deny", K_DENY },
	{ "direct", K_DIRECT },
	{ "disable", K_DISABLE },
	{ "events", K_EVENTS },
	{ "exists", K_EXISTS },
	{ "expect", K_EXPECT },
	{ "false", K_FALSE },
	{ "file", K_FILE },
	{ "from", K_FROM },
	{ "if", K_IF },
	{ "in", K_IN },
	{ "include", K_INCLUDE },
	{ "incoming", K_INCOMING },
	{ "issuer", K_ISSUER },
	{ "jwt", K_JWT },
	{ "key", K_KEY },
	{ "leeway", K_LEEWAY },
	{ "live", K_LIVE },
	{ "method", K_METHOD },
	{ "not", K_NOT },
	{ "now", K_NOW },
	{ "null", K_NULL },
	{ "or", K_OR },
	{ "override", K_OVERRIDE },
	{ "policy", K_POLICY },
	{ "request", K_REQUEST },
	{ "require", K_REQUIRE },
	{ "restExclude", K_RESTEXCLUDE },
	{ "restOnError", K_RESTONERROR },
	{ "set", K_SET },
	{ "test", K_TEST },
	{ "token", K_TOKEN },
	{ "true", K_TRUE },
	{ "unless", K_UNLESS },
	{ "valid", K_VALID },
};
#define NKEYWORDS (sizeof keywords / sizeof *keywords)

int frontend_keyword(const char *s, size_t n)
{
	size_t lo = 0, hi = NKEYWORDS;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strncmp(keywords[mid].name, s, n);
		if (!r && keywords[mid].name[n])
			r = 1;          /* the keyword is longer */
		if (!r)
			return keywords[mid].tok;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

const char *frontend_keyword_name(int tok)
{
	for (size_t i = 0; i < NKEYWORDS; i++)
		if (keywords[i].tok == tok)
			return keywords[i].name;
	return "";
}

static int blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

void frontend_set_file(pctx *px, wset *set, wstr path, wloc at)
{
	if (px->alone) {
		set->from_file = 1;
		return;
	}
	char *p = resolve(src_get(px->file)->name, path.s);
	size_t len;
	const char *why = "the path holds a NUL byte";
	char *text = memchr(path.s, 0, path.n) ? NULL : frontend_read_file(p, &len, &why);
	set->from_file = 1;
	set->file = wstr_dup(p, strlen(p));
	if (!text) {
		diag(DIAG_ERROR, at, "cannot read set file '%s' (resolved to '%s'): %s", path.s, p,
		     why);
		free(p);
		return;
	}
	int file = src_add(p, text, len, at, 0);
	free(p);
	int line = 1;
	for (char *s = text, *end = text + len; s < end; line++) {
		char *eol = memchr(s, '\n', (size_t)(end - s));
		if (!eol)
			eol = end;
		char *a = s, *b = eol;
		while (a < b && blank(*a)) a++;
		/* a comment is a line starting with '#', or ' #' after the value */
		for (char *h = a; h < b; h++)
			if (*h == '#' && (h == a || blank(h[-1]))) { b = h; break; }
		while (b > a && blank(b[-1])) b--;
		const char *nul = memchr(a, 0, (size_t)(b - a));
		size_t bad = utf8_check(a, (size_t)(b - a));
		if (nul || bad < (size_t)(b - a)) {
			const char *at_byte = nul && (size_t)(nul - a) < bad ? nul : a + bad;
			int col = (int)(at_byte - s) + 1;
			diag(DIAG_ERROR, (wloc){ file, line, col, line, col + 1 },
			     "%s in a set value (a set "
			     "file holds UTF-8 text, one value a line)",
			     at_byte == nul ? "NUL byte" : "invalid UTF-8");
		} else if (b > a) {
			wvalue *v = xcalloc(1, sizeof *v);
			v->kind = V_STRING;
			v->str = wstr_dup(a, (size_t)(b - a));
			v->loc = (wloc){ file, line, (int)(a - s) + 1, line, (int)(b - s) + 1 };
			VEC_PUSH(set->vals, v);
		}
		s = eol + 1;
	}
}

int frontend_app(pctx *px, wstr key, wloc at)
{
	wpolicy *pol = px->pol;
	for (int i = 0; i < pol->apps.n; i++)
		if (wstr_eq(pol->apps.v[i].key, key.s, key.n))
			return i;
	VEC_PUSH(pol->apps, ((wapp){ wstr_dup(key.s, key.n), at }));
	return pol->apps.n - 1;
}
