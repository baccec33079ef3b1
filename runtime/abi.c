/*
 * abi.c -- the functions that define the formats of wcsp_abi.h's tables: the compiler writes
 * set keys with them and the runtime looks keys up with them, so both agree by construction.
 */
#include <stdio.h>
#include <string.h>
#include "wcsp_abi.h"

const char *const wcsp_alg_names[WCSP_NALGS] = {
	"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"
};
_Static_assert(sizeof wcsp_alg_names / sizeof *wcsp_alg_names == WCSP_NALGS,
	       "one name per enum wcsp_alg");

const char *const wcsp_token_reasons[WCSP_T_CLAIM] = {
	"token missing",       "token malformed",           "token algorithm not allowed",
	"token key unknown",   "token signature invalid",   "token expired",
	"token not yet valid", "token issuer not accepted", "token audience not accepted"
};
_Static_assert(sizeof wcsp_token_reasons / sizeof *wcsp_token_reasons == WCSP_T_CLAIM,
	       "one reason per enum wcsp_token_failure before WCSP_T_CLAIM");

int wcsp_key_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t m = an < bn ? an : bn, i = 0;
	/* Most comparisons of a search end in the first 8 bytes (a set's strings all start
	 * with 's'): compared as one big-endian word, or byte by byte when shorter. */
#if defined __BYTE_ORDER__ && (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ || \
				__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
	if (m >= 8) {
		uint64_t x, y;
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			x = __builtin_bswap64(x);
			y = __builtin_bswap64(y);
#endif
			return x < y ? -1 : 1;
		}
		i = 8;
	}
#endif
	for (; i < m && i < 8; i++)
		if (a[i] != b[i])
			return (unsigned char)a[i] - (unsigned char)b[i];
	int r = m > i ? memcmp(a + i, b + i, m - i) : 0;
	return r ? r : (an > bn) - (an < bn);
}

uint32_t wcsp_str_search(const wcsp_str *v, uint32_t n, size_t stride, const char *k, size_t kn)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const wcsp_str *s =
			(const wcsp_str *)(const void *)((const char *)v + mid * stride);
		int r = wcsp_key_cmp(s->s, s->n, k, kn);
		if (!r)
			return mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return WCSP_NONE;
}

uint32_t wcsp_pool_find(const char *pool, wcsp_ixs off, uint32_t first, uint32_t n,
			const char *k, size_t kn)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint32_t a = wcsp_ix(off, first + mid), b = wcsp_ix(off, first + mid + 1);
		int r = wcsp_key_cmp(pool + a, b - a, k, kn);
		if (!r)
			return mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return WCSP_NONE;
}

size_t wcsp_number_key(double v, char *out)
{
	int n = snprintf(out, WCSP_NUMBER_KEY, "n%.17g", v == 0 ? 0.0 : v);
	return n > 0 && n < WCSP_NUMBER_KEY ? (size_t)n : 0;
}
