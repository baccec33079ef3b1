/*
 * json.h -- strict JSON for hook bodies: jsmn tokenises, this module validates and reads.
 *
 * jsmn accepts far more than JSON (trailing objects, `{"a":1x2}`, raw control characters)
 * and never decodes escapes. wj_parse() accepts exactly one JSON object (RFC 8259), valid
 * UTF-8, at most WJ_MAX_DEPTH levels deep, with no duplicate keys in any object (compared
 * after decoding), and only then fills the token arrays the readers below walk.
 *
 * Token layout (jsmn's preorder): tok[0] is the top-level object. In an object, a key token
 * is followed by its value's subtree. next[i] is the index just past token i's subtree, so
 * sibling walks never rescan. esc[i] != 0 when string token i holds a backslash escape (the
 * readers then decode; otherwise they compare raw bytes).
 *
 * A wj_doc is reusable: wj_parse() keeps its arrays' capacity between calls.
 */
#ifndef WCSP_JSON_H
#define WCSP_JSON_H

#include <stddef.h>
/* Parent links make jsmn linear: without them it rescans earlier tokens at every ',' and
 * closing bracket, quadratic in a container's width (1 MB bodies took seconds). */
#define JSMN_PARENT_LINKS
#define JSMN_HEADER
#include <jsmn.h>
#undef JSMN_HEADER

#define WJ_MAX_DEPTH 64

typedef struct wj_doc {
	const char *buf;
	size_t len;
	jsmntok_t *tok;
	int *next;
	unsigned char *esc;
	int ntok;
	int cap;
} wj_doc;

void wj_init(wj_doc *d);
void wj_free(wj_doc *d);

/* 0 when buf[0..len) is exactly one valid JSON object (whitespace around it allowed);
 * otherwise -1 and *why points at a short static reason, e.g. "trailing bytes after the object". */
int wj_parse(wj_doc *d, const char *buf, size_t len, const char **why);

/* The value token of key in object token obj (key compared decoded), or -1. */
int wj_get(const wj_doc *d, int obj, const char *key, size_t klen);

/* Value kinds of a token. */
enum wj_kind { WJ_OBJECT, WJ_ARRAY, WJ_STRING, WJ_NUMBER, WJ_TRUE, WJ_FALSE, WJ_NULL };
enum wj_kind wj_kind(const wj_doc *d, int t);

/* String token t decodes to exactly s[0..n). */
int wj_str_eq(const wj_doc *d, int t, const char *s, size_t n);

/* Decode string token t into out (room for tok[t].end - tok[t].start bytes); returns length. */
size_t wj_str_decode(const wj_doc *d, int t, char *out);

/* The number token t as a double. */
double wj_number(const wj_doc *d, int t);

/* JSON equality of two value tokens of the same document: same kind; strings decoded equal;
 * numbers numerically equal; arrays element-wise; objects with the same keys, any order. */
int wj_equal(const wj_doc *d, int a, int b);

/* Byte span of value token t's JSON text in buf, quotes included for strings. */
void wj_span(const wj_doc *d, int t, size_t *start, size_t *end);

#endif
