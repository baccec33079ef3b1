/*
 * utf8.h -- UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF) and JSON string escaping: the one copy every part of wcsp uses.
 */
#ifndef WCSP_UTF8_H
#define WCSP_UTF8_H

#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence at s[0..n), or 0 when it is not one. */
size_t utf8_seq(const unsigned char *s, size_t n);

/* Offset of the first byte of s[0..n) that does not start a valid sequence, or n. */
size_t utf8_check(const char *s, size_t n);

/*
 * s[0..n) as the content of a JSON string (no quotes), written to out, which has room for
 * 6 * n bytes. Quote and backslash are escaped, control bytes as \n \r \t or \u00XX; bytes
 * that are not valid UTF-8 become \ufffd. Returns the length written.
 */
size_t utf8_json_escape(char *out, const char *s, size_t n);

#endif
