/*
 * test_bytes.c -- the byte comparisons every lookup rests on, against plain references:
 * wcsp_key_cmp() (the order of set keys, method and app rows: memcmp over the shorter
 * length, then the shorter first) and wcsp_mem_eq() (memcmp() == 0). Random strings from
 * small alphabets, so that long equal prefixes are common, with bytes above 0x7f (which
 * must order as unsigned), every length from 0 to 40 and every offset of a word.
 * Prints `PASS <name>` or `FAIL <name>: <what differed>` per case; exits 1 on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wcsp_abi.h"

static int nfail, ncase;

static void result(const char *name, int bad, const char *a, size_t an, const char *b,
		   size_t bn)
{
	ncase++;
	if (!bad) {
		printf("PASS %s\n", name);
		return;
	}
	printf("FAIL %s: %d wrong, e.g. \"%.*s\" (%zu) and \"%.*s\" (%zu)\n", name, bad, (int)an,
	       a, an, (int)bn, b, bn);
	nfail++;
}

static int sign(int v) { return (v > 0) - (v < 0); }

static int ref_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);
	return r ? sign(r) : (an > bn) - (an < bn);
}

static unsigned seed = 2718281;

static unsigned rnd(void)
{
	seed = seed * 1103515245 + 12345;
	return seed >> 16;
}

/* n bytes from an alphabet of k symbols, one of them above 0x7f */
static void fill(char *s, size_t n, unsigned k)
{
	static const char sym[] = { 'a', 'b', (char)0xc3, 's', '0', (char)0xff, 'z', '\0' };
	for (size_t i = 0; i < n; i++)
		s[i] = sym[rnd() % k];
}

int main(void)
{
	enum { ROUNDS = 400000, MAXLEN = 40 };
	char buf[2][MAXLEN + 8];
	int bad_cmp = 0, bad_eq = 0, bad_sym = 0;
	const char *ea = "", *eb = "", *qa = "", *qb = "";
	size_t ean = 0, ebn = 0, qn = 0;

	for (int r = 0; r < ROUNDS; r++) {
		size_t an = rnd() % (MAXLEN + 1), bn = rnd() % 4 ? an : rnd() % (MAXLEN + 1);
		unsigned k = 2 + rnd() % 6;
		/* b starts as a copy of a, then one byte (or none) changes: equal prefixes */
		char *a = buf[0] + rnd() % 8, *b = buf[1] + rnd() % 8;
		fill(a, an, k);
		memcpy(b, a, an < bn ? an : bn);
		if (bn > an)
			fill(b + an, bn - an, k);
		if (bn && rnd() % 3)
			b[rnd() % bn] = (char)(rnd() % 2 ? 0xc3 : 'b');
		int got = sign(wcsp_key_cmp(a, an, b, bn)), want = ref_cmp(a, an, b, bn);
		if (got != want && !bad_cmp++)
			ea = a, ean = an, eb = b, ebn = bn;
		if (got != -sign(wcsp_key_cmp(b, bn, a, an)))
			bad_sym++;
		size_t n = an < bn ? an : bn;
		if (wcsp_mem_eq(a, b, n) != !memcmp(a, b, n) && !bad_eq++)
			qa = a, qb = b, qn = n;
	}
	result("wcsp_key_cmp orders as memcmp, then the shorter first", bad_cmp, ea, ean, eb,
	       ebn);
	result("wcsp_key_cmp is antisymmetric", bad_sym, "", 0, "", 0);
	result("wcsp_mem_eq agrees with memcmp", bad_eq, qa, qn, qb, qn);

	/* the edges: empty keys, a difference in the last byte of the first word and in the
	 * first byte after it, a byte above 0x7f against one below */
	static const struct { const char *a, *b; int want; } edge[] = {
		{ "", "", 0 }, { "", "a", -1 }, { "abcdefgh", "abcdefgi", -1 },
		{ "abcdefghX", "abcdefghY", -1 }, { "abcdefgh", "abcdefgh0", -1 },
		{ "\xc3" "bcdefgh", "abcdefgh", 1 }, { "s\xc3", "sz", 1 },
		{ "s7c1f0e42d9a84b6b", "s7c1f0e42d9a84b6b", 0 },
	};
	int bad_edge = 0;
	for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
		size_t an = strlen(edge[i].a), bn = strlen(edge[i].b);
		if (sign(wcsp_key_cmp(edge[i].a, an, edge[i].b, bn)) != edge[i].want ||
		    wcsp_mem_eq(edge[i].a, edge[i].b, an < bn ? an : bn) !=
		    !memcmp(edge[i].a, edge[i].b, an < bn ? an : bn))
			bad_edge++;
	}
	result("key order and equality at the edges", bad_edge, "", 0, "", 0);
	printf("%d cases, %d failed\n", ncase, nfail);
	return nfail != 0;
}
