/*
 * sbuf.c -- growing buffers and JSON escaping.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ast.h"
#include "sbuf.h"
#include "utf8.h"

static void grow(sbuf *b, size_t more)
{
	if (b->n + more + 1 <= b->cap)
		return;
	b->cap = (b->n + more + 1) * 2;
	b->s = xrealloc(b->s, b->cap);
}

void sb_put(sbuf *b, const char *s, size_t n)
{
	grow(b, n);
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = 0;
}

void sb_puts(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

void sb_printf(sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

void sb_json_text(sbuf *b, const char *s, size_t n)
{
	grow(b, 6 * n);
	b->n += utf8_json_escape(b->s + b->n, s, n);
	b->s[b->n] = 0;
}

void sb_json_str(sbuf *b, const char *s, size_t n)
{
	sb_put(b, "\"", 1);
	sb_json_text(b, s, n);
	sb_put(b, "\"", 1);
}

char *sb_take(sbuf *b, size_t *n)
{
	if (!b->s)
		sb_put(b, "", 0);
	char *s = b->s;
	if (n)
		*n = b->n;
	b->s = NULL;
	b->n = b->cap = 0;
	return s;
}
