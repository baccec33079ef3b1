/*
 * xalloc.c -- allocations that cannot fail (see xalloc.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xalloc.h"

static void *check(void *p)
{
	if (!p) {
		fputs("wcspc: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

void *xmalloc(size_t n) { return check(malloc(n ? n : 1)); }
void *xcalloc(size_t n, size_t m) { return check(calloc(n ? n : 1, m ? m : 1)); }
void *xrealloc(void *p, size_t n) { return check(realloc(p, n ? n : 1)); }
char *xstrdup(const char *s) { return check(strdup(s)); }
char *xstrndup(const char *s, size_t n) { return check(strndup(s, n)); }
