/*
 * json.c -- strict JSON: the validating pass, jsmn's tokens, duplicate keys, readers.
 *
 * scan() walks the body once with an explicit stack of the open containers (at most
 * WJ_MAX_DEPTH: a deeper body is refused at the first byte past the limit). It checks the
 * grammar between and inside tokens: strings (escapes, paired surrogates, UTF-8, no raw
 * control bytes; plain runs eight bytes at a time), numbers, literals and separators. On
 * the same pass it writes jsmn's tokens (jsmn 1.1.0 with JSMN_STRICT and JSMN_PARENT_LINKS:
 * preorder, a container at its bracket, a string between its quotes, a primitive from its
 * first byte; parent and size as jsmn sets them) with next[] and esc[]: one pass over the
 * body instead of two (check_keys() then sets the objects' order[]). jsmn_parse() is the
 * reference: with wj_check_jsmn set (the unit tests and the fuzzers set it) wj_parse() runs
 * it too and aborts unless its tokens are the same, field for field.
 *
 * Invariants once wj_parse() has returned 0:
 *  - buf[0..len) is whitespace, one object, whitespace; tok[0] is that object; jsmn's sizes
 *    are right (object: number of keys, array: number of items, key: 1).
 *  - every string is valid UTF-8 with valid escapes; every primitive is a JSON number or
 *    literal followed by whitespace, ',', ']' or '}' (so strtod stops at its end); no
 *    container is more than WJ_MAX_DEPTH deep (tok[0] has depth 1); no object holds two
 *    keys that decode alike.
 *  - next[i] is one past token i's subtree. Keys are leaves (next[k] == k+1), so the members
 *    of object o are (k, k+1) for k = o+1, next[k+1], ... while k < next[o].
 *  - esc[i] != 0 iff token i is a string holding a backslash.
 *  - order[o] >= 0 iff o is an object with at least 2 keys; its key tokens are
 *    keytok[order[o] .. order[o] + tok[o].size): sorted by decoded bytes when it has more
 *    than WJ_SMALL_OBJECT keys, else in document order with keyword[] beside them (each
 *    key's key_word(), 0 for an escaped key). order[] is set for objects only (readers
 *    look at it only after checking the type).
 * On error ntok is 0 and the arrays keep their capacity.
 */
#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS       /* json.h defines it too: one token layout */
#include <jsmn.h>	/* the implementation, once; json.h's JSMN_HEADER include is a no-op */
#include "json.h"
#include "utf8.h"
#include "wcsp_abi.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define WJ_BIG_ENDIAN 1         /* memory order is read little-endian: the first byte lowest */
#else
#define WJ_BIG_ENDIAN 0
#endif

static int is_space(int c)      /* most bytes tested are above ' ': one comparison */
{
	return c <= ' ' && (c == ' ' || c == '\t' || c == '\n' || c == '\r');
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* what may follow a number or a literal */
static int is_delim(int c) { return is_space(c) || c == ',' || c == ']' || c == '}'; }

void wj_init(wj_doc *d) { memset(d, 0, sizeof *d); }

void wj_free(wj_doc *d)
{
	free(d->tok);
	free(d->next);
	free(d->esc);
	free(d->order);
	free(d->keytok);
	free(d->keyword);
	free(d->keys);
	free(d->kbuf);
	wj_init(d);
}

static int resize(void **p, size_t n, size_t size)
{
	void *q = realloc(*p, n * size);
	if (!q)
		return -1;
	*p = q;
	return 0;
}

/* Double the token capacity; cap changes only once every array has grown. */
static int grow(wj_doc *d)
{
	size_t n = d->cap ? (size_t)d->cap * 2 : 64;
	if (n > INT_MAX / 2 || n > SIZE_MAX / sizeof(jsmntok_t))
		return -1;
	if (resize((void **)&d->tok, n, sizeof *d->tok) ||
	    resize((void **)&d->next, n, sizeof *d->next) || resize((void **)&d->esc, n, 1) ||
	    resize((void **)&d->order, n, sizeof *d->order) ||
	    resize((void **)&d->keytok, n, sizeof *d->keytok) ||
	    resize((void **)&d->keyword, n, sizeof *d->keyword))
		return -1;
	d->cap = (int)n;
	return 0;
}

static int hex4(const unsigned char *s)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		int c = s[i];
		if (is_digit(c))
			v = v << 4 | (c - '0');
		else if ((c | 32) >= 'a' && (c | 32) <= 'f')
			v = v << 4 | ((c | 32) - 'a' + 10);
		else
			return -1;
	}
	return v;
}

/*
 * Of eight bytes w (in memory order, read little-endian), the bytes a string may not hold as
 * they are: at or above 0x80, a control byte, a quote or a backslash. The result has the
 * high bit of such a byte set; the lowest one set is the first such byte. (x - k...) sets a
 * byte's high bit where that byte is below k, and a borrow only runs up from a byte already
 * flagged, so the lowest flag is always right (higher ones may be spurious).
 */
static uint64_t special8(uint64_t w)
{
	uint64_t q = w ^ 0x22 * ONES, b = w ^ 0x5c * ONES;
	return (w | (w - 0x20 * ONES) | (q - ONES) | (b - ONES)) & HIGHS;
}

/* The escapes a string may hold, by the byte after the backslash: 1 for one byte, 2 for u. */
static const unsigned char escapes[256] = {
	['"'] = 1, ['\\'] = 1, ['/'] = 1, ['b'] = 1, ['f'] = 1, ['n'] = 1, ['r'] = 1, ['t'] = 1,
	['u'] = 2,
};

/* The body of a string from s[*at] (past its opening quote) through its closing quote. */
static const char *scan_string(const unsigned char *s, size_t n, size_t *at, unsigned char *esc)
{
	size_t i = *at;
	for (;;) {
		/* plain runs eight bytes at a time, then straight to the first byte that is not;
		 * a one-byte escape (\n, \", ...: SDP is full of them) is stepped over here */
		while (i + 8 <= n) {
			uint64_t w, m;
			memcpy(&w, s + i, 8);
			if (WJ_BIG_ENDIAN)
				w = __builtin_bswap64(w);
			if ((m = special8(w))) {
				i += (size_t)__builtin_ctzll(m) >> 3;
				if (s[i] != '\\' || i + 1 >= n || escapes[s[i + 1]] != 1)
					break;
				*esc = 1;
				i += 2;
				continue;
			}
			i += 8;
		}
		if (i >= n)
			return "truncated JSON";
		unsigned c = s[i];
		if (c == '"') {
			*at = i + 1;
			return NULL;
		}
		if (c >= 0x20 && c < 0x80 && c != '\\') {
			i++;
			continue;
		}
		if (c < 0x20)
			return "control character in string";
		if (c >= 0x80) {
			size_t k = utf8_seq(s + i, n - i);
			if (!k)
				return "invalid UTF-8";
			i += k;
			continue;
		}
		*esc = 1;
		if (i + 1 >= n)
			return "truncated JSON";
		if (escapes[s[i + 1]] != 2) {
			if (!escapes[s[i + 1]])
				return "bad escape";
			i += 2;
			continue;
		}
		int u = n - i >= 6 ? hex4(s + i + 2) : -1;
		if (u < 0)
			return n - i >= 6 ? "bad escape" : "truncated JSON";
		i += 6;
		if (u >= 0xdc00 && u <= 0xdfff)
			return "unpaired surrogate";
		if (u >= 0xd800 && u <= 0xdbff) {
			if (n - i < 6 || s[i] != '\\' || s[i + 1] != 'u')
				return "unpaired surrogate";
			u = hex4(s + i + 2);
			if (u < 0xdc00 || u > 0xdfff)
				return "unpaired surrogate";
			i += 6;
		}
	}
}

/* A number at s[*at]: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, then a delimiter. */
static const char *scan_number(const unsigned char *s, size_t n, size_t *at)
{
	size_t i = *at;
	if (s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && is_digit(s[i]))
		while (i < n && is_digit(s[i]))
			i++;
	else
		return "bad number";
	if (i < n && s[i] == '.') {
		if (++i == n || !is_digit(s[i]))
			return "bad number";
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && (s[i] | 32) == 'e') {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i == n || !is_digit(s[i]))
			return "bad number";
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && !is_delim(s[i]))
		return "bad number";
	*at = i;
	return NULL;
}

static const char *scan_literal(const unsigned char *s, size_t n, size_t *at)
{
	int i = s[*at] == 't' ? 0 : s[*at] == 'f' ? 1 : 2;
	const char *l = (const char *const[]){ "true", "false", "null" }[i];
	size_t k = i == 1 ? 5 : 4;
	if (n - *at < k || !wcsp_mem_eq(s + *at, l, k) || (n - *at > k && !is_delim(s[*at + k])))
		return "bad literal";
	*at += k;
	return NULL;
}

/* What stood before a value or a key: chooses the message when none is there. */
enum { AT_ARRAY_FIRST, AT_ARRAY_NEXT, AT_MEMBER, AT_KEY_FIRST, AT_KEY_NEXT };

static const char *no_value(int at, unsigned c)
{
	if (c == ':')
		return "stray separator";
	if (at == AT_MEMBER)
		return c == '}' || c == ',' ? "missing value" : "invalid JSON";
	if (c == ',' || (at == AT_ARRAY_NEXT && c == ']') || (at == AT_KEY_NEXT && c == '}'))
		return "stray separator";
	if (at >= AT_KEY_FIRST && (c == '{' || c == '[' || c == '-' || is_digit(c) || c == 't' ||
	    c == 'f' || c == 'n'))
		return "object key is not a string";
	return "invalid JSON";
}

int wj_check_jsmn;

/* The next token's index (a leaf until its container closes), or -1 out of memory. Its
 * jsmn parent is up (-1: none), whose size grows by one, as jsmn counts. */
static inline __attribute__((always_inline)) int new_token(wj_doc *d, int *ntok,
							     jsmntype_t type, int start, int up)
{
	if (*ntok == d->cap && grow(d))
		return -1;
	int t = (*ntok)++;
	d->esc[t] = 0;
	d->next[t] = t + 1;
	d->tok[t] = (jsmntok_t){ .type = type, .start = start, .end = -1, .size = 0,
	    .parent = up };
	if (up >= 0)
		d->tok[up].size++;
	return t;
}

/*
 * The validating pass: sets d->ntok, tok[], next[] and esc[]. The stack holds the
 * token index of each open container; obj[] says whether it is an object. key is the key
 * whose value comes next in the innermost object (jsmn's parent of that value).
 */
static const char *scan(wj_doc *d, const unsigned char *s, size_t n)
{
	int open[WJ_MAX_DEPTH], sp = 0, ntok = 0, at, key = -1;
	unsigned char obj[WJ_MAX_DEPTH];
	const char *why;
	size_t i = 0;
	unsigned c;

	while (i < n && is_space(s[i]))
		i++;
	if (i == n)
		return "empty body";
	if (s[i] != '{')
		return "body is not a JSON object";
	at = AT_MEMBER;
	for (;;) {
		/* a value starts here (after whitespace) */
		while (i < n && is_space(s[i]))
			i++;
		if (i == n)
			return "truncated JSON";
		c = s[i];
		int t = new_token(d, &ntok, c == '{' ? JSMN_OBJECT : c == '[' ? JSMN_ARRAY :
		    c == '"' ? JSMN_STRING : JSMN_PRIMITIVE, c == '"' ? (int)i + 1 : (int)i,
		    sp == 0 ? -1 : obj[sp - 1] ? key : open[sp - 1]);
		if (t < 0)
			return "out of memory";
		if (c == '{' || c == '[') {
			if (sp == WJ_MAX_DEPTH)
				return "nesting too deep";
			open[sp] = t;
			obj[sp++] = c == '{';
			for (i++; i < n && is_space(s[i]); i++)
				;
			if (i == n)
				return "truncated JSON";
			if (s[i] == (c == '{' ? '}' : ']')) {
				d->tok[open[--sp]].end = (int)++i;
				d->next[open[sp]] = ntok;
				goto after;
			}
			if (c == '[') {
				at = AT_ARRAY_FIRST;
				continue;
			}
			at = AT_KEY_FIRST;
			goto key;
		}
		if (c == '"') {
			i++;
			why = scan_string(s, n, &i, &d->esc[t]);
			d->tok[t].end = (int)i - 1;
		} else {
			if (c == '-' || is_digit(c))
				why = scan_number(s, n, &i);
			else if (c == 't' || c == 'f' || c == 'n')
				why = scan_literal(s, n, &i);
			else
				why = no_value(at, c);
			d->tok[t].end = (int)i;
		}
		if (why)
			return why;
after:
		/* a value has ended: a separator, a closing bracket, or the end */
		if (sp == 0) {
			while (i < n && is_space(s[i]))
				i++;
			d->ntok = ntok;
			return i == n ? NULL : "trailing bytes after the object";
		}
		while (i < n && is_space(s[i]))
			i++;
		if (i == n)
			return "truncated JSON";
		c = s[i];
		if (c == (obj[sp - 1] ? '}' : ']')) {
			d->tok[open[--sp]].end = (int)++i;
			d->next[open[sp]] = ntok;
			goto after;
		}
		if (c == '}' || c == ']')
			return "invalid JSON";
		if (c != ',')
			return "missing comma";
		i++;
		if (!obj[sp - 1]) {
			at = AT_ARRAY_NEXT;
			continue;
		}
		at = AT_KEY_NEXT;
key:
		/* a key starts here (after whitespace), then a colon */
		while (i < n && is_space(s[i]))
			i++;
		if (i == n)
			return "truncated JSON";
		if (s[i] != '"')
			return no_value(at, s[i]);
		if ((t = new_token(d, &ntok, JSMN_STRING, (int)i + 1, open[sp - 1])) < 0)
			return "out of memory";
		i++;
		if ((why = scan_string(s, n, &i, &d->esc[t])))
			return why;
		d->tok[t].end = (int)i - 1;
		key = t;
		while (i < n && is_space(s[i]))
			i++;
		if (i == n)
			return "truncated JSON";
		if (s[i] != ':')
			return s[i] == '}' ? "missing value" : "missing colon";
		i++;
		at = AT_MEMBER;
	}
}

/* decoded bytes of a validated string token, one at a time */
typedef struct wj_dec {
	const unsigned char *p, *e;
	unsigned char b[4];
	int n, i;
} wj_dec;

static void dinit(wj_dec *it, const wj_doc *d, int t)
{
	it->p = (const unsigned char *)d->buf + d->tok[t].start;
	it->e = (const unsigned char *)d->buf + d->tok[t].end;
	it->n = it->i = 0;
}

static int dnext(wj_dec *it)    /* the next byte, -1 at the end */
{
	unsigned c, u;
	if (it->i < it->n)
		return it->b[it->i++];
	if (it->p == it->e)
		return -1;
	if ((c = *it->p++) != '\\')
		return c;
	switch (c = *it->p++) {
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'u': break;
	default: return c;      /* " \ / */
	}
	u = (unsigned)hex4(it->p);
	it->p += 4;
	if (u >= 0xd800 && u <= 0xdbff) {       /* validated: a low surrogate escape follows */
		u = 0x10000 + ((u - 0xd800) << 10) + ((unsigned)hex4(it->p + 2) - 0xdc00);
		it->p += 6;
	}
	if (u < 0x80)
		return (int)u;
	if (u < 0x800) {
		it->b[0] = (unsigned char)(0xc0 | u >> 6);
		it->n = 2;
	} else if (u < 0x10000) {
		it->b[0] = (unsigned char)(0xe0 | u >> 12);
		it->n = 3;
	} else {
		it->b[0] = (unsigned char)(0xf0 | u >> 18);
		it->n = 4;
	}
	for (c = 1; c < (unsigned)it->n; c++)
		it->b[c] = (unsigned char)(0x80 | (u >> 6 * (it->n - 1 - c) & 0x3f));
	it->i = 1;
	return it->b[0];
}

/* Order of string token t's decoded bytes against s[0..n). */
static int tok_cmp(const wj_doc *d, int t, const char *s, size_t n)
{
	const jsmntok_t *k = &d->tok[t];
	if (!d->esc[t])
		return wcsp_key_cmp(d->buf + k->start, (size_t)(k->end - k->start), s, n);
	wj_dec it;
	size_t i = 0;
	int c;
	dinit(&it, d, t);
	for (; (c = dnext(&it)) >= 0; i++) {
		if (i == n)
			return 1;
		if (c != (unsigned char)s[i])
			return c - (unsigned char)s[i];
	}
	return i == n ? 0 : -1;
}

/* Order of string token a of da and b of db by decoded bytes; 0 iff they decode alike. */
static int dcmp2(const wj_doc *da, int a, const wj_doc *db, int b)
{
	if (!db->esc[b])
		return tok_cmp(da, a, db->buf + db->tok[b].start,
			       (size_t)(db->tok[b].end - db->tok[b].start));
	if (!da->esc[a])
		return -tok_cmp(db, b, da->buf + da->tok[a].start,
				(size_t)(da->tok[a].end - da->tok[a].start));
	wj_dec p, q;
	int c, e;
	dinit(&p, da, a);
	dinit(&q, db, b);
	do {
		c = dnext(&p);
		e = dnext(&q);
	} while (c == e && c >= 0);
	return c - e;
}

static int dcmp(const wj_doc *d, int a, int b) { return dcmp2(d, a, d, b); }

/* Keys compare by their 8-byte prefixes first: most comparisons end there. */
static int key_cmp(const wj_key *a, const wj_key *b)
{
	if (a->pre != b->pre)
		return a->pre < b->pre ? -1 : 1;
	return wcsp_key_cmp(a->p, a->n, b->p, b->n);
}

static unsigned long long prefix(const char *p, unsigned n)
{
	unsigned long long v = 0;
	for (unsigned i = 0; i < 8; i++)
		v = v << 8 | (i < n ? (unsigned char)p[i] : 0);
	return v;
}

/* Bottom-up merge sort of k[0..n) (t is scratch of n); returns the sorted array. */
static wj_key *merge_sort(wj_key *k, wj_key *t, int n)
{
	for (int w = 1; w < n; w *= 2) {
		for (int lo = 0; lo < n; lo += 2 * w) {
			int m = n - lo > w ? lo + w : n, hi = n - lo > 2 * w ? lo + 2 * w : n;
			int i = lo, j = m, o = lo;
			while (o < hi)
				t[o++] = j >= hi || (i < m && key_cmp(&k[i], &k[j]) <= 0) ? k[i++]
											  : k[j++];
		}
		wj_key *s = k;
		k = t;
		t = s;
	}
	return k;
}

/* A large object's keys, decoded (escaped ones into kbuf) and sorted into keytok[]. */
static const char *sort_keys(wj_doc *d, int o)
{
	int n = d->tok[o].size, k = 0;
	if (n > d->capkeys) {
		if (resize((void **)&d->keys, (size_t)n * 2, sizeof *d->keys))
			return "out of memory";
		d->capkeys = n;
	}
	if (d->capkbuf < d->len) {
		if (resize((void **)&d->kbuf, d->len, 1))
			return "out of memory";
		d->capkbuf = d->len;
	}
	size_t used = 0;
	for (int t = o + 1; t < d->next[o]; t = d->next[t + 1]) {
		const jsmntok_t *kt = &d->tok[t];
		wj_key *e = &d->keys[k++];
		e->tok = t;
		if (!d->esc[t]) {
			e->p = d->buf + kt->start;
			e->n = (unsigned)(kt->end - kt->start);
		} else {
			e->p = d->kbuf + used;
			e->n = (unsigned)wj_str_decode(d, t, d->kbuf + used);
			used += e->n;
		}
		e->pre = prefix(e->p, e->n);
	}
	wj_key *s = merge_sort(d->keys, d->keys + n, n);
	d->order[o] = d->nkeys;
	for (int i = 0; i < n; i++) {
		if (i && !key_cmp(&s[i - 1], &s[i]))
			return "duplicate key";
		d->keytok[d->nkeys++] = s[i].tok;
	}
	return NULL;
}

/* Decoded key bytes b[0 .. n) as one word: keys that decode alike have the same word (the
 * length, the first two bytes and the last), never 0. */
static uint32_t word_of(const unsigned char *b, uint32_t n)
{
	uint32_t w = n ? n << 24 | (uint32_t)b[0] << 16 | (uint32_t)b[n > 1] << 8 | b[n - 1] : 1;
	return w ? w : 1;
}

/* Key token k's word; 0 for an escaped key, which only decoding can compare. */
static uint32_t key_word(const wj_doc *d, int k)
{
	const jsmntok_t *t = &d->tok[k];

	if (d->esc[k])
		return 0;
	return word_of((const unsigned char *)d->buf + t->start, (uint32_t)(t->end - t->start));
}

/* Small object o: its keys and their words into keytok[] and keyword[] (for wj_get()); 1
 * when two keys are alike. Keys that differ in key_word() differ; a 256-bit filter over
 * the words finds the keys whose word may repeat an earlier one, and only those are
 * compared. An escaped key (word 0) sends the object to the pairwise walk. */
static int small_dup(wj_doc *d, int o)
{
	uint32_t *w = d->keyword + d->nkeys;
	int *key = d->keytok + d->nkeys, n = 0, escaped = 0;
	uint64_t seen[4] = { 0, 0, 0, 0 };

	d->order[o] = d->nkeys;
	for (int k = o + 1; k < d->next[o]; k = d->next[k + 1]) {
		key[n] = k;
		escaped |= !(w[n++] = key_word(d, k));
	}
	d->nkeys += n;
	for (int i = 0; i < n; i++) {
		uint32_t h = (w[i] * 0x9e3779b1u) >> 24;
		if (!escaped && !(seen[h >> 6] >> (h & 63) & 1)) {
			seen[h >> 6] |= 1ull << (h & 63);
			continue;
		}
		for (int j = 0; j < i; j++)
			if ((w[i] == w[j] || !w[i] || !w[j]) && !dcmp(d, key[i], key[j]))
				return 1;
	}
	return 0;
}

/* Every object: no two keys alike (small ones by small_dup(), large ones by sorting). Sets
 * order[] of every object. */
static const char *check_keys(wj_doc *d)
{
	d->nkeys = 0;
	for (int o = 0; o < d->ntok; o++) {
		if (d->tok[o].type != JSMN_OBJECT)
			continue;
		d->order[o] = -1;
		if (d->tok[o].size < 2)
			continue;
		if (d->tok[o].size > WJ_SMALL_OBJECT) {
			const char *why = sort_keys(d, o);
			if (why)
				return why;
		} else if (small_dup(d, o))
			return "duplicate key";
	}
	return NULL;
}

/* jsmn_parse() over the same body must give the tokens scan() wrote, or this aborts. */
static void check_against_jsmn(const wj_doc *d)
{
	jsmntok_t *ref = malloc((size_t)d->ntok * sizeof *ref);
	jsmn_parser p;

	if (ref == NULL)
		return;
	jsmn_init(&p);
	if (jsmn_parse(&p, d->buf, d->len, ref, (unsigned)d->ntok) != d->ntok)
		abort();
	for (int t = 0; t < d->ntok; t++)
		if (ref[t].type != d->tok[t].type || ref[t].start != d->tok[t].start ||
		    ref[t].end != d->tok[t].end || ref[t].size != d->tok[t].size ||
		    ref[t].parent != d->tok[t].parent)
			abort();
	free(ref);
}

static int fail(wj_doc *d, const char **why, const char *w)
{
	d->ntok = 0;
	if (why)
		*why = w;
	return -1;
}

int wj_parse(wj_doc *d, const char *buf, size_t len, const char **why)
{
	const char *w;
	d->buf = buf;
	d->len = len;
	d->ntok = 0;
	if (len > INT_MAX)
		return fail(d, why, "body too large");
	if ((w = scan(d, (const unsigned char *)buf, len)))
		return fail(d, why, w);
	if (wj_check_jsmn)
		check_against_jsmn(d);
	if ((w = check_keys(d)))
		return fail(d, why, w);
	return 0;
}

int wj_get(const wj_doc *d, int obj, const char *key, size_t klen)
{
	if (obj < 0 || obj >= d->ntok || d->tok[obj].type != JSMN_OBJECT)
		return -1;
	int size = d->tok[obj].size;
	if (d->order[obj] >= 0 && size <= WJ_SMALL_OBJECT) {
		/* one word compare a key; the bytes only when the words agree */
		const int *kt = d->keytok + d->order[obj];
		const uint32_t *kw = d->keyword + d->order[obj];
		uint32_t want = word_of((const unsigned char *)key, (uint32_t)klen);
		for (int i = 0; i < size; i++)
			if (kw[i] == 0 ? !tok_cmp(d, kt[i], key, klen) :
			    kw[i] == want && wcsp_mem_eq(d->buf + d->tok[kt[i]].start, key, klen))
				return kt[i] + 1;
		return -1;
	}
	if (d->order[obj] >= 0) {
		const int *s = d->keytok + d->order[obj];
		int lo = 0, hi = size;
		while (lo < hi) {
			int mid = lo + (hi - lo) / 2, r = tok_cmp(d, s[mid], key, klen);
			if (!r)
				return s[mid] + 1;
			if (r < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return -1;
	}
	/* unescaped keys by length first, inline: most keys end at the length */
	for (int k = obj + 1; k < d->next[obj]; k = d->next[k + 1]) {
		const jsmntok_t *t = &d->tok[k];
		if (d->esc[k] ? !tok_cmp(d, k, key, klen) : (size_t)(t->end - t->start) == klen &&
		    wcsp_mem_eq(d->buf + t->start, key, klen))
			return k + 1;
	}
	return -1;
}

enum wj_kind wj_kind(const wj_doc *d, int t)
{
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

int wj_str_eq(const wj_doc *d, int t, const char *s, size_t n)
{
	const jsmntok_t *k = &d->tok[t];
	if (!d->esc[t])
		return (size_t)(k->end - k->start) == n && wcsp_mem_eq(d->buf + k->start, s, n);
	return !tok_cmp(d, t, s, n);
}

size_t wj_str_decode(const wj_doc *d, int t, char *out)
{
	const jsmntok_t *k = &d->tok[t];
	size_t n = 0;
	if (!d->esc[t]) {
		n = (size_t)(k->end - k->start);
		if (n)
			memcpy(out, d->buf + k->start, n);
		return n;
	}
	wj_dec it;
	int c;
	dinit(&it, d, t);
	while ((c = dnext(&it)) >= 0)
		out[n++] = (char)c;
	return n;
}

/* strtod stops at the delimiter after the token (see the invariants): no copy needed */
double wj_number(const wj_doc *d, int t)
{
	return strtod(d->buf + d->tok[t].start, NULL);
}

/* Objects: same key count, no duplicates, so every key of a found in b with an equal value.
 * Large objects walk their sorted keys side by side. */
int wj_equal_in(const wj_doc *da, int a, const wj_doc *db, int b)
{
	enum wj_kind k = wj_kind(da, a);
	if (k != wj_kind(db, b))
		return 0;
	switch (k) {
	case WJ_STRING:
		return !dcmp2(da, a, db, b);
	case WJ_NUMBER:
		return wj_number(da, a) == wj_number(db, b);
	case WJ_ARRAY:
		if (da->tok[a].size != db->tok[b].size)
			return 0;
		for (int i = a + 1, j = b + 1; i < da->next[a]; i = da->next[i], j = db->next[j])
			if (!wj_equal_in(da, i, db, j))
				return 0;
		return 1;
	case WJ_OBJECT:
		if (da->tok[a].size != db->tok[b].size)
			return 0;
		if (da->tok[a].size > WJ_SMALL_OBJECT) {
			const int *x = da->keytok + da->order[a], *y = db->keytok + db->order[b];
			for (int i = 0; i < da->tok[a].size; i++)
				if (dcmp2(da, x[i], db, y[i]) ||
				    !wj_equal_in(da, x[i] + 1, db, y[i] + 1))
					return 0;
			return 1;
		}
		for (int i = a + 1; i < da->next[a]; i = da->next[i + 1]) {
			int j = b + 1;
			while (j < db->next[b] && dcmp2(da, i, db, j))
				j = db->next[j + 1];
			if (j >= db->next[b] || !wj_equal_in(da, i + 1, db, j + 1))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}

int wj_equal(const wj_doc *d, int a, int b) { return wj_equal_in(d, a, d, b); }

void wj_span(const wj_doc *d, int t, size_t *start, size_t *end)
{
	int q = d->tok[t].type == JSMN_STRING;
	*start = (size_t)(d->tok[t].start - q);
	*end = (size_t)(d->tok[t].end + q);
}
