/*
 * diag.c -- GNU-form diagnostics: `file:line:col: error: message`, the source line, and a
 * caret run `^~~~` under the span. Included files get an `in file included from` chain.
 *
 * Diagnostics are collected while the parser and the checks run (they find problems in
 * different orders) and printed by diag_summary() sorted by file, line and column, each
 * file in read order; ties keep the order they were found in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diag.h"
#include "xalloc.h"

int diag_nerrors, diag_nwarnings, diag_werror, diag_quiet;

static wsrc *srcs;
static int nsrcs, capsrcs;

int src_add(const char *name, char *text, size_t len, wloc from, int is_policy)
{
	if (nsrcs == capsrcs) {
		capsrcs = capsrcs ? capsrcs * 2 : 8;
		srcs = xrealloc(srcs, (size_t)capsrcs * sizeof *srcs);
	}
	srcs[nsrcs] = (wsrc){ xstrdup(name), text, len, from, is_policy };
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
_Static_assert(sizeof sev_name / sizeof *sev_name == DIAG_NOTE + 1, "one name per enum diag_sev");

typedef struct record {
	int file, line, col, seq;
	char *text;
	size_t len;
} record;

static record *recs;
static int nrecs, caprecs;
static FILE *out;          /* the record being written */
static char *out_text;
static size_t out_len;

static void begin(wloc at)
{
	out = open_memstream(&out_text, &out_len);
	if (!out) {
		fputs("wcspc: out of memory\n", stderr);
		exit(1);
	}
	if (nrecs == caprecs) {
		caprecs = caprecs ? caprecs * 2 : 16;
		recs = xrealloc(recs, (size_t)caprecs * sizeof *recs);
	}
	recs[nrecs] = (record){ at.file, at.line, at.col, nrecs, NULL, 0 };
}

static void end(void)
{
	fclose(out);
	recs[nrecs].text = out_text;
	recs[nrecs].len = out_len;
	nrecs++;
	out = NULL;
}

static int by_place(const void *a, const void *b)
{
	const record *x = a, *y = b;
	if (x->file != y->file) return x->file < y->file ? -1 : 1;
	if (x->line != y->line) return x->line < y->line ? -1 : 1;
	if (x->col != y->col) return x->col < y->col ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

void diag_flush(void)
{
	if (nrecs > 1)
		qsort(recs, (size_t)nrecs, sizeof *recs, by_place);
	for (int i = 0; i < nrecs; i++) {
		fwrite(recs[i].text, 1, recs[i].len, stderr);
		free(recs[i].text);
	}
	free(recs);
	recs = NULL;
	nrecs = caprecs = 0;
}

/* The includers of s, nearest first, as GCC prints them. */
static void include_chain(const wsrc *s)
{
	for (; s && s->from.file >= 0; s = src_get(s->from.file))
		fprintf(out, "in file included from %s:%d:\n", src_get(s->from.file)->name,
			s->from.line);
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
	fprintf(out, "%.*s\n", width, p);
	int c0 = at.col - 1, c1 = at.last_line == at.line ? at.last_col - 1 : width;
	if (c0 > width) c0 = width;
	if (c1 > width) c1 = width;
	if (c1 <= c0) c1 = c0 + 1;
	for (int i = 0; i < c0; i++)
		fputc(p[i] == '\t' ? '\t' : ' ', out);
	fputc('^', out);
	for (int i = c0 + 1; i < c1; i++)
		fputc('~', out);
	fputc('\n', out);
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
	begin(at);
	include_chain(s);
	if (s)
		fprintf(out, "%s:%d:%d: ", s->name, at.line, at.col);
	fprintf(out, "%s: ", sev == DIAG_WARNING && diag_werror ? "error" : sev_name[sev]);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	if (sev == DIAG_WARNING && diag_werror)
		fputs(" [-Werror]", out);
	fputc('\n', out);
	if (s && s->is_policy && at.line > 0)
		quote(s, at);
	end();
}

void diag_plain(enum diag_sev sev, const char *fmt, ...)
{
	if (!count(sev))
		return;
	begin((wloc){ .file = -1 });
	fprintf(out, "wcspc: %s: ", sev_name[sev]);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	end();
}

void diag_reset(void)
{
	diag_flush();
	diag_nerrors = diag_nwarnings = 0;
}

void diag_summary(void)
{
	diag_flush();
	int e = diag_nerrors, w = diag_quiet ? 0 : diag_nwarnings;
	if (!e && !w)
		return;
	if (e && w)
		fprintf(stderr, "%d error%s, %d warning%s\n", e, e == 1 ? "" : "s", w,
			w == 1 ? "" : "s");
	else if (e)
		fprintf(stderr, "%d error%s\n", e, e == 1 ? "" : "s");
	else
		fprintf(stderr, "%d warning%s\n", w, w == 1 ? "" : "s");
}
