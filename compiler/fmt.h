/*
 * fmt.h -- canonical layout of one policy file.
 */
#ifndef WCSP_FMT_H
#define WCSP_FMT_H

#include <stddef.h>

/* The formatted text (malloc'd), or NULL when the text does not lex (the lexer's errors
 * are reported, as for source `file`). */
char *fmt_source(const char *text, size_t len, int file);

/* Do a and b lex to the same tokens, comments included, byte for byte? (fmt changes white
 * space only; this is how wcspc checks it before writing anything.) */
int fmt_same_tokens(const char *a, size_t an, const char *b, size_t bn, int file);

#endif
