/*
 * json.h -- strict JSON for hook bodies: one validating pass, jsmn for the tokens, readers.
 *
 * jsmn accepts far more than JSON (trailing objects, `{"a":1x2}`, raw control characters),
 * never decodes escapes, and closes brackets in time proportional to the nesting depth.
 * wj_parse() therefore checks the body in one linear pass of its own: exactly one JSON
 * object (RFC 8259), valid UTF-8, at most WJ_MAX_DEPTH levels deep (refused at the first
 * byte past the limit). The same pass writes the tokens jsmn would (jsmntok_t, jsmn's
 * strict mode with parent links: the reference, compared token for token when
 * wj_check_jsmn is set), so the body is read once; then every object's keys are checked
 * for duplicates (compared after decoding). Every step is linear in the body (sorting the
 * keys of a large object: n log n).
 *
 * Token layout (jsmn's preorder): tok[0] is the top-level object. In an object, a key token
 * is followed by its value's subtree. next[i] is the index just past token i's subtree, so
 * sibling walks never rescan. esc[i] != 0 when string token i holds a backslash escape (the
 * readers then decode; otherwise they compare raw bytes). An object with more than
 * WJ_SMALL_OBJECT keys also has its keys sorted by decoded bytes: sorted[order[o] ..
 * order[o] + size) are its key tokens, so wj_get() is a binary search there.
 *
 * A wj_doc is reusable: wj_parse() keeps its arrays' capacity between calls.
 */
#ifndef WCSP_JSON_H
#define WCSP_JSON_H

#include <stddef.h>
#include <stdint.h>
/* Parent links make jsmn linear in a container's width (without them it rescans earlier
 * tokens at every ','); the depth limit, checked before jsmn runs, bounds its walk up. */
#define JSMN_PARENT_LINKS
#define JSMN_HEADER
#include <jsmn.h>
#undef JSMN_HEADER

#define WJ_MAX_DEPTH 64
#define WJ_SMALL_OBJECT 32      /* up to this many keys an object is searched linearly */

typedef struct wj_key {
	unsigned long long pre; /* the first 8 decoded bytes, big-endian, zero-padded */
	const char *p;          /* decoded key bytes (the body's, or kbuf's when escaped) */
	unsigned n;
	int tok;
} wj_key;

typedef struct wj_doc {
	const char *buf;
	size_t len;
	jsmntok_t *tok;
	int *next;
	unsigned char *esc;
	int *order;             /* [ntok]: objects of 2 keys or more, where their keys start */
	int *keytok;            /* key tokens of those objects: a large one's sorted */
	uint32_t *keyword;      /* beside keytok[]: a small object's key words */
	int ntok, nkeys;
	int cap;                /* room in tok, next, esc, order, keytok and keyword */
	wj_key *keys;           /* scratch: the keys of one object being sorted, and a copy */
	int capkeys;
	char *kbuf;             /* scratch: decoded escaped keys */
	size_t capkbuf;
} wj_doc;

void wj_init(wj_doc *d);
void wj_free(wj_doc *d);

/* 0 when buf[0..len) is exactly one valid JSON object (whitespace around it allowed);
 * otherwise -1 and *why points at a short static reason, e.g. "trailing bytes after the object". */
int wj_parse(wj_doc *d, const char *buf, size_t len, const char **why);

/* Nonzero: wj_parse() also runs jsmn_parse() and aborts unless its tokens are the ones the
 * validating pass wrote (set by the unit tests and the fuzzers; 0 in servers). */
extern int wj_check_jsmn;

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
/* The same for token a of da and token b of db (a request field and a token's claim). */
int wj_equal_in(const wj_doc *da, int a, const wj_doc *db, int b);

/* Byte span of value token t's JSON text in buf, quotes included for strings. */
void wj_span(const wj_doc *d, int t, size_t *start, size_t *end);

#endif
