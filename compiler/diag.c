/*
 * diag.c -- GNU-form diagnostics: `file:line:col: error: message`, the source line, and a
 * caret run `^~~~` under the span. Included files get an `in file included from` chain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diag.h"

int diag_nerrors, diag_nwarnings, diag_werror, diag_quiet;

static wsrc *srcs;
static int nsrcs, capsrcs;

int src_add(const char *name, char *text, size_t len, wloc from, int is_policy)
{
	if (nsrcs == capsrcs) {
		capsrcs = capsrcs ? capsrcs * 2 : 8;
		srcs = realloc(srcs, (size_t)capsrcs * sizeof *srcs);
		if (!srcs) { perror("wcspc"); exit(1); }
	}
	srcs[nsrcs] = (wsrc){ strdup(name), text, len, from, is_policy };
	return nsrcs++;
}

const wsrc *src_get(int file) { return file >= 0 && file < nsrcs ? &srcs[file] : NULL; }
int src_count(void) { return nsrcs; }

void src_free_all(void)
{
	for (int i = 0; i < nsrcs; i++) { free(srcs[i].name); free(srcs[i].text); }
	free(srcs);
	srcs = NULL;
	nsrcs = capsrcs = 0;
}

static const char *const sev_name[] = { "error", "warning", "note" };

static void include_chain(const wsrc *s)
{
	if (!s || s->from.file < 0)
		return;
	const wsrc *up = src_get(s->from.file);
	include_chain(up);
	fprintf(stderr, "in file included from %s:%d:\n", up->name, s->from.line);
}

/* Print line `line` of s and a caret run from col to (last_col or end of that line). */
static void quote(const wsrc *s, wloc at)
{
	const char *p = s->text, *end = s->text + s->len;
	for (int l = 1; l < at.line && p < end; p++)
		if (*p == '\n')
			l++;
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	int width = (int)(eol - p);
	if (width > 0 && p[width - 1] == '\r')
		width--;
	fprintf(stderr, "%.*s\n", width, p);
	int c0 = at.col - 1, c1 = at.last_line == at.line ? at.last_col - 1 : width;
	if (c0 > width) c0 = width;
	if (c1 > width) c1 = width;
	if (c1 <= c0) c1 = c0 + 1;
	for (int i = 0; i < c0; i++)
		fputc(p[i] == '\t' ? '\t' : ' ', stderr);
	fputc('^', stderr);
	for (int i = c0 + 1; i < c1; i++)
		fputc('~', stderr);
	fputc('\n', stderr);
}

static int count(enum diag_sev sev)
{
	if (sev == DIAG_ERROR || (sev == DIAG_WARNING && diag_werror)) {
		diag_nerrors++;   /* -Werror: a warning is an error in every count */
		return 1;
	}
	if (sev == DIAG_WARNING)
		diag_nwarnings++;
	return !diag_quiet;
}

void diag(enum diag_sev sev, wloc at, const char *fmt, ...)
{
	if (!count(sev))
		return;
	const wsrc *s = src_get(at.file);
	include_chain(s);
	if (s)
		fprintf(stderr, "%s:%d:%d: ", s->name, at.line, at.col);
	fprintf(stderr, "%s: ", sev == DIAG_WARNING && diag_werror ? "error" : sev_name[sev]);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (sev == DIAG_WARNING && diag_werror)
		fputs(" [-Werror]", stderr);
	fputc('\n', stderr);
	if (s && s->is_policy && at.line > 0)
		quote(s, at);
}

void diag_plain(enum diag_sev sev, const char *fmt, ...)
{
	if (!count(sev))
		return;
	fprintf(stderr, "wcspc: %s: ", sev_name[sev]);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void diag_summary(void)
{
	int e = diag_nerrors, w = diag_nwarnings;
	if (!e && !w)
		return;
	if (e && w)
		fprintf(stderr, "%d error%s, %d warning%s\n", e, e == 1 ? "" : "s", w, w == 1 ? "" : "s");
	else if (e)
		fprintf(stderr, "%d error%s\n", e, e == 1 ? "" : "s");
	else
		fprintf(stderr, "%d warning%s\n", w, w == 1 ? "" : "s");
}
