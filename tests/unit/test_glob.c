/*
 * test_glob.c -- wcsp_glob() (the `~` operator) against a plain recursive matcher written
 * from language.md's words: '*' any run of characters (also none), '?' one character, '\'
 * makes the next byte literal (a trailing one is itself), every other byte itself. Every
 * pattern of up to 4 symbols against every string of up to 5, then random longer ones with
 * a two-byte character; both the literal-and-star path and the general one are reached.
 * Prints `PASS <name>` or `FAIL <name>: <what differed>` per case; exits 1 on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decide.h"

static int nfail, ncase;

static void result(const char *name, int bad, const char *p, size_t pn, const char *s,
		   size_t sn, int got)
{
	ncase++;
	if (!bad) {
		printf("PASS %s\n", name);
		return;
	}
	printf("FAIL %s: %d wrong, e.g. pattern \"%.*s\" string \"%.*s\": %d\n", name, bad,
	       (int)pn, p, (int)sn, s, got);
	nfail++;
}

/* bytes of the UTF-8 character at s (the strings here are valid UTF-8) */
static size_t clen(const char *s)
{
	unsigned char c = (unsigned char)*s;
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

static int ref(const char *p, size_t pn, const char *s, size_t sn)
{
	if (pn == 0)
		return sn == 0;
	if (p[0] == '*')
		return ref(p + 1, pn - 1, s, sn) ||
		       (sn > 0 && ref(p, pn, s + clen(s), sn - clen(s)));
	if (p[0] == '?')
		return sn > 0 && ref(p + 1, pn - 1, s + clen(s), sn - clen(s));
	if (p[0] == '\\' && pn > 1)
		return sn > 0 && s[0] == p[1] && ref(p + 2, pn - 2, s + 1, sn - 1);
	return sn > 0 && s[0] == p[0] && ref(p + 1, pn - 1, s + 1, sn - 1);
}

/* text of n symbols from alphabet a (k symbols), numbered by x in base k */
static size_t spell(char *out, const char *const *a, int k, int n, long x)
{
	size_t m = 0;
	for (int i = 0; i < n; i++, x /= k) {
		strcpy(out + m, a[x % k]);
		m += strlen(a[x % k]);
	}
	return m;
}

struct miss {
	int bad, got;
	char p[512], s[512];
	size_t pn, sn;
};

static void check(struct miss *m, const char *p, size_t pn, const char *s, size_t sn)
{
	int got = wcsp_glob(p, pn, s, sn);
	if (!got == !ref(p, pn, s, sn))
		return;
	if (!m->bad++) {
		memcpy(m->p, p, pn);
		memcpy(m->s, s, sn);
		m->pn = pn;
		m->sn = sn;
		m->got = got;
	}
}

static void exhaustive(const char *name, const char *const *pa, int pk, const char *const *sa,
		       int sk)
{
	struct miss m = { 0 };
	char p[512], s[512];
	for (int pl = 0; pl <= 4; pl++) {
		long np = 1;
		for (int i = 0; i < pl; i++)
			np *= pk;
		for (long x = 0; x < np; x++) {
			size_t pn = spell(p, pa, pk, pl, x);
			for (int sl = 0; sl <= 5; sl++) {
				long ns = 1;
				for (int i = 0; i < sl; i++)
					ns *= sk;
				for (long y = 0; y < ns; y++)
					check(&m, p, pn, s, spell(s, sa, sk, sl, y));
			}
		}
	}
	result(name, m.bad, m.p, m.pn, m.s, m.sn, m.got);
}

static void random_cases(const char *name, const char *const *pa, int pk, const char *const *sa,
			 int sk)
{
	struct miss m = { 0 };
	char p[512], s[512];
	unsigned seed = 2024;
	for (int i = 0; i < 200000; i++) {
		seed = seed * 1103515245 + 12345;
		int pl = (int)(seed >> 16) % 9, sl = (int)(seed >> 8) % 12;
		size_t pn = 0, sn = 0;
		for (int j = 0; j < pl; j++) {
			seed = seed * 1103515245 + 12345;
			const char *t = pa[(seed >> 16) % (unsigned)pk];
			strcpy(p + pn, t);
			pn += strlen(t);
		}
		for (int j = 0; j < sl; j++) {
			seed = seed * 1103515245 + 12345;
			const char *t = sa[(seed >> 16) % (unsigned)sk];
			strcpy(s + sn, t);
			sn += strlen(t);
		}
		check(&m, p, pn, s, sn);
	}
	result(name, m.bad, m.p, m.pn, m.s, m.sn, m.got);
}

int main(void)
{
	static const char *const stars[] = { "a", "b", "*" };
	static const char *const ab[] = { "a", "b" };
	static const char *const all[] = { "a", "b", "*", "?", "\\" };
	static const char *const text[] = { "a", "b", "*", "?", "\\" };
	static const char *const wide_p[] = { "a", ".", "*", "*", "\xc3\xa9", "ab", "?", "\\*" };
	static const char *const wide_s[] = { "a", ".", "\xc3\xa9", "b", "*", "ab" };
	static const char *const origin_p[] = { "https://", "*", ".example.com", ":", "*", "8" };
	static const char *const origin_s[] = { "https://", "live", ".example.com", ":8888",
						".", "x", ":" };

	setvbuf(stdout, NULL, _IOLBF, 0);
	exhaustive("glob: every pattern of a, b, * (up to 4) on every string of a, b (up to 5)",
		   stars, 3, ab, 2);
	exhaustive("glob: every pattern of a, b, *, ?, \\ on strings of the same symbols", all, 5,
		   text, 5);
	random_cases("glob: random patterns with a two-byte character, '?' and escapes", wide_p,
		     8, wide_s, 6);
	random_cases("glob: random origins against wildcard hosts and ports", origin_p, 6,
		     origin_s, 7);
	fprintf(stderr, "%d cases, %d failed\n", ncase, nfail);
	return nfail ? 1 : 0;
}
