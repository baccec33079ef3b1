/*
 * fmt.h -- canonical layout of one policy file.
 */
#ifndef WCSP_FMT_H
#define WCSP_FMT_H

#include <stddef.h>

/* The formatted text (malloc'd), or NULL. The file must lex and parse without errors. */
char *fmt_source(const char *text, size_t len, int file);

#endif
