/*
 * json.c -- strict JSON over jsmn's tokens: validation and readers.
 *
 * jsmn (strict mode, parent links for linear time) only tokenises. Besides raw bytes in strings and
 * primitives like `1x2`, it lets missing, doubled and stray ',' and ':' through
 * (`[1 2]`, `{"a":1 "b":2}`, `[1,]`, `{,}`, `["a":1]`, `{"a":}`), because it never looks
 * at what lies between tokens. So validate() rechecks every byte between two tokens
 * against the grammar, walking jsmn's preorder by byte spans with an explicit stack.
 *
 * Invariants once wj_parse() has returned 0:
 *  - buf[0..len) is whitespace, one object, whitespace; tok[0] is that object and every
 *    one of the ntok tokens lies inside it; jsmn's sizes are then right (object: number
 *    of keys, array: number of items, key: 1).
 *  - every primitive is a JSON number or literal; every string is valid UTF-8 with valid
 *    escapes and paired surrogates; no object holds two keys that decode alike; no
 *    container is more than WJ_MAX_DEPTH deep (tok[0] has depth 1).
 *  - next[i] is one past token i's subtree. Keys are leaves (next[k] == k+1), so the
 *    members of object o are (k, k+1) for k = o+1, next[k+1], ... while k < next[o].
 *  - esc[i] != 0 iff token i is a string holding a backslash.
 * On error ntok is 0 and the arrays keep their capacity. next[] holds 2*cap ints: the
 * upper half is scratch for sorting the keys of large objects (an object has fewer
 * than ntok/2 keys, so index + merge buffers fit in cap).
 */
#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS       /* linear time; json.h defines it too: one token layout */
#include <jsmn.h>	/* implementation, once; json.h's JSMN_HEADER include is then a no-op */
#include "json.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SMALL_OBJ 16	/* up to this many keys, duplicates are found pairwise */

static int isws (int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int isdig (int c) { return c >= '0' && c <= '9'; }
/* span with the quotes of a string */
static int ostart (const jsmntok_t *t) { return t->start - (t->type == JSMN_STRING); }

void wj_init (wj_doc *d) { memset(d, 0, sizeof *d); }

void wj_free (wj_doc *d) {
	free(d->tok); free(d->next); free(d->esc);
	wj_init(d);
}

/* double the capacity; cap only changes once all three arrays have grown */
static int grow (wj_doc *d) {
	int n = d->cap ? d->cap : 32;
	void *p;
	if (n > INT_MAX / 4 || (size_t)n > SIZE_MAX / (4 * sizeof(jsmntok_t))) return -1;
	n *= 2;
	if (!(p = realloc(d->tok, (size_t)n * sizeof(jsmntok_t)))) return -1;
	d->tok = p;
	if (!(p = realloc(d->next, (size_t)n * 2 * sizeof(int)))) return -1;
	d->next = p;
	if (!(p = realloc(d->esc, (size_t)n))) return -1;
	d->esc = p;
	d->cap = n;
	return 0;
}

static int hex4 (const unsigned char *s) {
	int v = 0, i, c;
	for (i = 0; i < 4; i++) {
		c = s[i];
		if (isdig(c)) v = v << 4 | (c - '0');
		else if ((c | 32) >= 'a' && (c | 32) <= 'f') v = v << 4 | ((c | 32) - 'a' + 10);
		else return -1;
	}
	return v;
}

/* string body s[i..e): escapes, surrogate pairs, UTF-8 */
static const char *chkstr (const unsigned char *s, int i, int e, unsigned char *esc) {
	while (i < e) {
		unsigned c = s[i], lo = 0x80, hi = 0xBF;
		int n, u, k;
		if (c >= 0x20 && c < 0x80 && c != '\\') { i++; continue; }
		if (c < 0x20) return "control character in string";
		if (c == '\\') {
			*esc = 1;
			if (i + 1 >= e) return "bad escape";
			if (s[i + 1] != 'u') {
				if (!memchr("\"\\/bfnrt", s[i + 1], 8)) return "bad escape";
				i += 2; continue;
			}
			if (e - i < 6 || (u = hex4(s + i + 2)) < 0) return "bad escape";
			i += 6;
			if (u >= 0xDC00 && u <= 0xDFFF) return "unpaired surrogate";
			if (u >= 0xD800 && u <= 0xDBFF) {
				if (e - i < 6 || s[i] != '\\' || s[i + 1] != 'u') return "unpaired surrogate";
				u = hex4(s + i + 2);
				if (u < 0xDC00 || u > 0xDFFF) return "unpaired surrogate";
				i += 6;
			}
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) n = 1;
		else if (c >= 0xE0 && c <= 0xEF) { n = 2; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
		else if (c >= 0xF0 && c <= 0xF4) { n = 3; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
		else return "invalid UTF-8";
		if (e - i <= n || s[i + 1] < lo || s[i + 1] > hi) return "invalid UTF-8";
		for (k = 2; k <= n; k++)
			if ((s[i + k] & 0xC0) != 0x80) return "invalid UTF-8";
		i += n + 1;
	}
	return NULL;
}

/* primitive s[i..e): true, false, null or -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *chkprim (const char *s, int i, int e) {
	const char *lit = s[i] == 't' ? "true" : s[i] == 'f' ? "false" : s[i] == 'n' ? "null" : NULL;
	if (lit) return (size_t)(e - i) == strlen(lit) && !memcmp(s + i, lit, e - i) ? NULL : "bad literal";
	if (s[i] == '-') i++;
	if (i < e && s[i] == '0') i++;
	else if (i < e && isdig(s[i])) while (i < e && isdig(s[i])) i++;
	else return "bad number";
	if (i < e && s[i] == '.') {
		if (++i == e || !isdig(s[i])) return "bad number";
		while (i < e && isdig(s[i])) i++;
	}
	if (i < e && (s[i] | 32) == 'e') {
		if (++i < e && (s[i] == '+' || s[i] == '-')) i++;
		if (i == e || !isdig(s[i])) return "bad number";
		while (i < e && isdig(s[i])) i++;
	}
	return i == e ? NULL : "bad number";
}

/* bytes s[i..e) between two tokens: whitespace, then `want` if nonzero, then whitespace */
static const char *gap (const char *s, int i, int e, int want) {
	while (i < e && isws(s[i])) i++;
	if (want) {
		if (i >= e || s[i] != want) return want == ':' ? "missing colon" : "missing comma";
		for (i++; i < e && isws(s[i]); i++) ;
	}
	return i == e ? NULL : "stray separator";
}

/* decoded bytes of a validated string token, one at a time */
typedef struct { const unsigned char *p, *e; unsigned char b[4]; int n, i; } wj_dec;

static void dinit (wj_dec *it, const wj_doc *d, int t) {
	it->p = (const unsigned char *)d->buf + d->tok[t].start;
	it->e = (const unsigned char *)d->buf + d->tok[t].end;
	it->n = it->i = 0;
}

static int dnext (wj_dec *it) {	/* next byte, -1 at the end */
	unsigned c, u;
	if (it->i < it->n) return it->b[it->i++];
	if (it->p == it->e) return -1;
	if ((c = *it->p++) != '\\') return c;
	switch (c = *it->p++) {
	case 'b': return '\b'; case 'f': return '\f'; case 'n': return '\n';
	case 'r': return '\r'; case 't': return '\t'; case 'u': break;
	default: return c;	/* " \ / */
	}
	u = hex4(it->p); it->p += 4;
	if (u >= 0xD800 && u <= 0xDBFF) {	/* validated: a low surrogate escape follows */
		u = 0x10000 + ((u - 0xD800) << 10) + (hex4(it->p + 2) - 0xDC00);
		it->p += 6;
	}
	if (u < 0x80) return u;
	if (u < 0x800) { it->b[0] = 0xC0 | u >> 6; it->n = 2; }
	else if (u < 0x10000) { it->b[0] = 0xE0 | u >> 12; it->n = 3; }
	else { it->b[0] = 0xF0 | u >> 18; it->n = 4; }
	for (c = 1; c < (unsigned)it->n; c++) it->b[c] = 0x80 | (u >> 6 * (it->n - 1 - c) & 0x3F);
	it->i = 1;
	return it->b[0];
}

/* order of string tokens a and b by decoded bytes; 0 iff they decode alike */
static int dcmp (const wj_doc *d, int a, int b) {
	const jsmntok_t *x = &d->tok[a], *y = &d->tok[b];
	wj_dec p, q;
	int c, e;
	if (!d->esc[a] && !d->esc[b]) {
		int la = x->end - x->start, lb = y->end - y->start;
		int r = memcmp(d->buf + x->start, d->buf + y->start, la < lb ? la : lb);
		return r ? r : (la > lb) - (la < lb);
	}
	dinit(&p, d, a); dinit(&q, d, b);
	do { c = dnext(&p); e = dnext(&q); } while (c == e && c >= 0);
	return c - e;
}

/* bottom-up merge sort of key indices a[0..n) (b is scratch); returns the sorted array */
static int *msort (const wj_doc *d, int *a, int *b, int n) {
	int w, lo, *t;
	for (w = 1; w < n; w *= 2, t = a, a = b, b = t)
		for (lo = 0; lo < n; lo += 2 * w) {
			int m = n - lo > w ? lo + w : n, hi = n - lo > 2 * w ? lo + 2 * w : n;
			int i = lo, j = m, k = lo;
			while (k < hi)
				b[k++] = j >= hi || (i < m && dcmp(d, a[i], a[j]) <= 0) ? a[i++] : a[j++];
		}
	return a;
}

/* object o is complete (next[] set for it and its subtree) */
static const char *dupkeys (wj_doc *d, int o) {
	int n = d->tok[o].size, end = d->next[o], i, j, k, *a;
	if (n < 2) return NULL;
	if (n <= SMALL_OBJ) {
		for (i = o + 1; i < end; i = d->next[i + 1])
			for (j = d->next[i + 1]; j < end; j = d->next[j + 1])
				if (!dcmp(d, i, j)) return "duplicate key";
		return NULL;
	}
	a = d->next + d->cap;
	for (k = 0, i = o + 1; i < end && k < n; i = d->next[i + 1]) a[k++] = i;
	a = msort(d, a, a + n, k);
	for (i = 1; i < k; i++)
		if (!dcmp(d, a[i - 1], a[i])) return "duplicate key";
	return NULL;
}

/* state of an open container: 0 empty, 1 after a key, 2 after a value */
static const char *validate (wj_doc *d) {
	const jsmntok_t *tok = d->tok;
	int st[WJ_MAX_DEPTH], sv[WJ_MAX_DEPTH], sp = 1, cur = tok[0].start + 1, t, os, c, obj;
	const char *why;
	st[0] = sv[0] = 0; d->esc[0] = 0;
	for (t = 1; ; t++) {
		os = t < d->ntok ? ostart(&tok[t]) : INT_MAX;
		while (sp > 0 && tok[st[sp - 1]].end <= os) {	/* close what ends before t */
			c = st[--sp];
			if (sv[sp] == 1) return "missing value";
			if ((why = gap(d->buf, cur, tok[c].end - 1, 0))) return why;
			d->next[c] = t; cur = tok[c].end;
			if (tok[c].type == JSMN_OBJECT && (why = dupkeys(d, c))) return why;
		}
		if (t == d->ntok) return NULL;
		if (sp == 0) return "trailing bytes after the object";
		obj = tok[st[sp - 1]].type == JSMN_OBJECT;
		if ((why = gap(d->buf, cur, os, "\0:,"[sv[sp - 1]]))) return why;
		if (obj && sv[sp - 1] != 1 && tok[t].type != JSMN_STRING) return "object key is not a string";
		sv[sp - 1] = obj && sv[sp - 1] != 1 ? 1 : 2;
		d->esc[t] = 0;
		switch (tok[t].type) {
		case JSMN_OBJECT: case JSMN_ARRAY:
			if (sp == WJ_MAX_DEPTH) return "nesting too deep";
			st[sp] = t; sv[sp++] = 0; cur = tok[t].start + 1;
			break;
		case JSMN_STRING:
			why = chkstr((const unsigned char *)d->buf, tok[t].start, tok[t].end, &d->esc[t]);
			if (why) return why;
			d->next[t] = t + 1; cur = tok[t].end + 1;
			break;
		default:
			if ((why = chkprim(d->buf, tok[t].start, tok[t].end))) return why;
			d->next[t] = t + 1; cur = tok[t].end;
		}
	}
}

static int fail (const char **why, const char *w) { if (why) *why = w; return -1; }

int wj_parse (wj_doc *d, const char *buf, size_t len, const char **why) {
	jsmn_parser p;
	const char *w;
	size_t i = 0;
	int r;
	d->buf = buf; d->len = len; d->ntok = 0;
	if (len > INT_MAX) return fail(why, "body too large");
	while (i < len && isws(buf[i])) i++;
	if (i == len) return fail(why, "empty body");
	if (buf[i] != '{') return fail(why, "body is not a JSON object");
	if (!d->cap && grow(d)) return fail(why, "out of memory");
	jsmn_init(&p);	/* on NOMEM jsmn rewinds to the token it could not store: resume */
	while ((r = jsmn_parse(&p, buf, len, d->tok, (unsigned)d->cap)) == JSMN_ERROR_NOMEM)
		if (grow(d)) return fail(why, "out of memory");
	if (r < 0) {
		if (p.toknext > 0 && d->tok[0].end >= 0) return fail(why, "trailing bytes after the object");
		/* jsmn stops at a NUL byte and reports a truncation */
		return fail(why, r == JSMN_ERROR_PART && !memchr(buf, 0, len) ? "truncated JSON" : "invalid JSON");
	}
	for (i = (size_t)d->tok[0].end; i < len; i++)
		if (!isws(buf[i])) return fail(why, "trailing bytes after the object");
	d->ntok = (int)p.toknext;
	if ((w = validate(d))) { d->ntok = 0; return fail(why, w); }
	return 0;
}

int wj_get (const wj_doc *d, int obj, const char *key, size_t klen) {
	int k;
	if (obj < 0 || obj >= d->ntok || d->tok[obj].type != JSMN_OBJECT) return -1;
	for (k = obj + 1; k < d->next[obj]; k = d->next[k + 1])
		if (wj_str_eq(d, k, key, klen)) return k + 1;
	return -1;
}

enum wj_kind wj_kind (const wj_doc *d, int t) {
	switch (d->tok[t].type) {
	case JSMN_OBJECT: return WJ_OBJECT;
	case JSMN_ARRAY: return WJ_ARRAY;
	case JSMN_STRING: return WJ_STRING;
	default: break;
	}
	switch (d->buf[d->tok[t].start]) {
	case 't': return WJ_TRUE;
	case 'f': return WJ_FALSE;
	case 'n': return WJ_NULL;
	default: return WJ_NUMBER;
	}
}

int wj_str_eq (const wj_doc *d, int t, const char *s, size_t n) {
	const jsmntok_t *k = &d->tok[t];
	wj_dec it;
	size_t i;
	int c;
	if (!d->esc[t])
		return (size_t)(k->end - k->start) == n && (!n || !memcmp(d->buf + k->start, s, n));
	dinit(&it, d, t);
	for (i = 0; (c = dnext(&it)) >= 0; i++)
		if (i == n || c != (unsigned char)s[i]) return 0;
	return i == n;
}

size_t wj_str_decode (const wj_doc *d, int t, char *out) {
	const jsmntok_t *k = &d->tok[t];
	size_t n = 0;
	wj_dec it;
	int c;
	if (!d->esc[t]) {
		n = (size_t)(k->end - k->start);
		if (n) memcpy(out, d->buf + k->start, n);
		return n;
	}
	dinit(&it, d, t);
	while ((c = dnext(&it)) >= 0) out[n++] = (char)c;
	return n;
}

/* strtod on a NUL-terminated copy (on the heap if long); NAN if that copy cannot be made */
double wj_number (const wj_doc *d, int t) {
	char tmp[64], *p = tmp;
	size_t n = (size_t)(d->tok[t].end - d->tok[t].start);
	double v;
	if (n >= sizeof tmp && !(p = malloc(n + 1))) return NAN;
	memcpy(p, d->buf + d->tok[t].start, n);
	p[n] = 0;
	v = strtod(p, NULL);
	if (p != tmp) free(p);
	return v;
}

/* objects: same key count, no duplicates, so every key of a found in b with an equal value */
int wj_equal (const wj_doc *d, int a, int b) {
	enum wj_kind k = wj_kind(d, a);
	int i, j;
	if (k != wj_kind(d, b)) return 0;
	switch (k) {
	case WJ_STRING: return !dcmp(d, a, b);
	case WJ_NUMBER: return wj_number(d, a) == wj_number(d, b);
	case WJ_ARRAY:
		if (d->tok[a].size != d->tok[b].size) return 0;
		for (i = a + 1, j = b + 1; i < d->next[a]; i = d->next[i], j = d->next[j])
			if (!wj_equal(d, i, j)) return 0;
		return 1;
	case WJ_OBJECT:
		if (d->tok[a].size != d->tok[b].size) return 0;
		for (i = a + 1; i < d->next[a]; i = d->next[i + 1]) {
			for (j = b + 1; j < d->next[b] && dcmp(d, i, j); j = d->next[j + 1]) ;
			if (j >= d->next[b] || !wj_equal(d, i + 1, j + 1)) return 0;
		}
		return 1;
	default: return 1;
	}
}

void wj_span (const wj_doc *d, int t, size_t *start, size_t *end) {
	int q = d->tok[t].type == JSMN_STRING;
	*start = (size_t)(d->tok[t].start - q);
	*end = (size_t)(d->tok[t].end + q);
}
