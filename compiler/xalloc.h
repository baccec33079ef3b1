/*
 * xalloc.h -- the compiler's allocations: each one succeeds or ends wcspc with a message
 * (exit 1). A compiler that runs out of memory has nothing better to do.
 */
#ifndef WCSP_XALLOC_H
#define WCSP_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
