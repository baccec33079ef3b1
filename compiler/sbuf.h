/*
 * sbuf.h -- a growing byte buffer, and JSON string escaping for text wcspc generates.
 */
#ifndef WCSP_SBUF_H
#define WCSP_SBUF_H

#include <stddef.h>

typedef struct sbuf {
	char *s;
	size_t n, cap;
} sbuf;

void sb_put(sbuf *b, const char *s, size_t n);
void sb_puts(sbuf *b, const char *s);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s[0..n) as JSON string content (no quotes); invalid UTF-8 becomes U+FFFD. */
void sb_json_text(sbuf *b, const char *s, size_t n);
/* s[0..n) as a quoted JSON string. */
void sb_json_str(sbuf *b, const char *s, size_t n);
/* Take the buffer's bytes (NUL-terminated) and reset it. */
char *sb_take(sbuf *b, size_t *n);

#endif
