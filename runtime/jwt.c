/*
 * jwt.c -- JSON Web Tokens (RFC 7519) in the JWS compact serialization (RFC 7515), checked
 * as ../shared/spec/tokens.md says, with nettle and hogweed for every primitive.
 *
 * A check, in the order tokens.md gives its failures:
 *   1. the field's text, less a "Bearer " prefix: three base64url parts joined by '.', each
 *      decoding;
 *   2. the header: a JSON object with "alg" (one of wcsp_alg_names, and in the token's
 *      algorithms; "none" never), maybe "kid", no "crit";
 *   3. the key: with a kid, the entries of the token's keys that carry it (none: key
 *      unknown); without, every entry; of those, the ones whose kind verifies alg (and whose
 *      own JWK "alg", if any, is alg): none is "algorithm not allowed";
 *   4. the signature over the first two parts, by any of those keys;
 *   5. the claims: a JSON object; exp and nbf numbers when present;
 *   6. time: valid while now < exp + leeway, and once now >= nbf - leeway;
 *   7. iss among the issuers, aud (a string or an array) meeting the audiences, every
 *      required claim present.
 * Steps 1 to 5 and 7 depend on the token's bytes and the keys alone: their outcome is kept
 * in a cache (per thread, bounded, direct-mapped with a short probe) keyed by those bytes,
 * so a session's connect, publish and keep-alives verify its token once; step 6 runs on
 * every use, and an entry found past its exp is dropped. A world loaded on SIGHUP has a new
 * epoch, which empties the cache.
 */
#include <nettle/bignum.h>
#include <nettle/dsa.h>
#include <nettle/ecdsa.h>
#include <nettle/eddsa.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <nettle/rsa.h>
#include <nettle/sha2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "crypto.h"
#include "json.h"
#include "keys.h"

#define CACHE_TOKEN 2048        /* longest token kept in the cache */
#define CACHE_PAYLOAD 2048      /* largest claims kept with it */
#define CACHE_PROBE 4
#define HEADER_MAX 1024
#define SIGNATURE_MAX 1024

typedef struct centry {
	uint64_t hash;
	unsigned epoch;                 /* 0: empty */
	uint32_t tok;
	int status;                     /* steps 1-5 and 7: -1 passed, else the failure */
	unsigned char has_exp, has_nbf;
	double exp, nbf;
	uint16_t tlen, plen;
	char *bytes;                    /* the token, then the claims */
} centry;

/* What a thread (a decision context) keeps between checks: the cache, and the JSON
 * documents of one check, reused so that a check allocates nothing once warm. */
typedef struct cache {
	unsigned n;                     /* 0: no cache */
	centry *e;
	char *store;
	wj_doc header, claims;
} cache;

static int alg_of(const wj_doc *d, int t)
{
	for (int a = 0; a < WCSP_NALGS; a++)
		if (wj_str_eq(d, t, wcsp_alg_names[a], strlen(wcsp_alg_names[a])))
			return a;
	return -1;
}

static int verify_hmac(const wcsp_keyent *k, int alg, const char *in, size_t n,
		       const unsigned char *sig, size_t siglen)
{
	uint8_t mac[SHA512_DIGEST_SIZE];
	size_t len;
	if (alg == WCSP_A_HS256) {
		struct hmac_sha256_ctx c;
		hmac_sha256_set_key(&c, k->len, k->secret);
		hmac_sha256_update(&c, n, (const uint8_t *)in);
		hmac_sha256_digest(&c, len = SHA256_DIGEST_SIZE, mac);
	} else if (alg == WCSP_A_HS384) {
		struct hmac_sha384_ctx c;
		hmac_sha384_set_key(&c, k->len, k->secret);
		hmac_sha384_update(&c, n, (const uint8_t *)in);
		hmac_sha384_digest(&c, len = SHA384_DIGEST_SIZE, mac);
	} else {
		struct hmac_sha512_ctx c;
		hmac_sha512_set_key(&c, k->len, k->secret);
		hmac_sha512_update(&c, n, (const uint8_t *)in);
		hmac_sha512_digest(&c, len = SHA512_DIGEST_SIZE, mac);
	}
	return siglen == len && memeql_sec(mac, sig, len);
}

/* PKCS#1 v1.5 DigestInfo of SHA-384 (RFC 8017, 9.2 note 1): nettle has no rsa_sha384 */
static const uint8_t sha384_info[] = {
	0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
	0x05, 0x00, 0x04, 0x30
};

static int verify_rsa(const struct rsa_public_key *k, int alg, const char *in, size_t n,
		      const unsigned char *sig, size_t siglen)
{
	uint8_t digest[sizeof sha384_info + SHA512_DIGEST_SIZE];
	mpz_t s;
	int ok = 0;
	if (siglen != k->size)
		return 0;
	mpz_init(s);
	nettle_mpz_set_str_256_u(s, siglen, sig);
	if (alg == WCSP_A_RS256 || alg == WCSP_A_PS256) {
		struct sha256_ctx c;
		sha256_init(&c);
		sha256_update(&c, n, (const uint8_t *)in);
		sha256_digest(&c, SHA256_DIGEST_SIZE, digest);
		ok = alg == WCSP_A_RS256 ? rsa_sha256_verify_digest(k, digest, s) :
			rsa_pss_sha256_verify_digest(k, SHA256_DIGEST_SIZE, digest, s);
	} else if (alg == WCSP_A_RS384) {
		struct sha384_ctx c;
		memcpy(digest, sha384_info, sizeof sha384_info);
		sha384_init(&c);
		sha384_update(&c, n, (const uint8_t *)in);
		sha384_digest(&c, SHA384_DIGEST_SIZE, digest + sizeof sha384_info);
		ok = rsa_pkcs1_verify(k, sizeof sha384_info + SHA384_DIGEST_SIZE, digest, s);
	} else {
		struct sha512_ctx c;
		sha512_init(&c);
		sha512_update(&c, n, (const uint8_t *)in);
		sha512_digest(&c, SHA512_DIGEST_SIZE, digest);
		ok = rsa_sha512_verify_digest(k, digest, s);
	}
	mpz_clear(s);
	return ok;
}

/* ES256/ES384: the signature is r || s, each the size of the curve's order */
static int verify_ec(const struct ecc_point *p, int alg, const char *in, size_t n,
		     const unsigned char *sig, size_t siglen)
{
	size_t half = alg == WCSP_A_ES256 ? 32 : 48;
	uint8_t digest[SHA384_DIGEST_SIZE];
	struct dsa_signature rs;
	if (siglen != 2 * half)
		return 0;
	if (alg == WCSP_A_ES256) {
		struct sha256_ctx c;
		sha256_init(&c);
		sha256_update(&c, n, (const uint8_t *)in);
		sha256_digest(&c, SHA256_DIGEST_SIZE, digest);
	} else {
		struct sha384_ctx c;
		sha384_init(&c);
		sha384_update(&c, n, (const uint8_t *)in);
		sha384_digest(&c, SHA384_DIGEST_SIZE, digest);
	}
	dsa_signature_init(&rs);
	nettle_mpz_set_str_256_u(rs.r, half, sig);
	nettle_mpz_set_str_256_u(rs.s, half, sig + half);
	int ok = ecdsa_verify(p, half, digest, &rs);
	dsa_signature_clear(&rs);
	return ok;
}

static int verify(const wcsp_keyent *k, int alg, const char *in, size_t n,
		  const unsigned char *sig, size_t siglen)
{
	switch (k->kind) {
	case WK_SECRET: return verify_hmac(k, alg, in, n, sig, siglen);
	case WK_RSA: return verify_rsa(k->pub, alg, in, n, sig, siglen);
	case WK_EC256: case WK_EC384: return verify_ec(k->pub, alg, in, n, sig, siglen);
	case WK_ED25519:
		return siglen == ED25519_SIGNATURE_SIZE &&
		       ed25519_sha512_verify(k->secret, n, (const uint8_t *)in, sig);
	}
	return 0;
}

static int is_number(const wj_doc *d, int t) { return t < 0 || wj_kind(d, t) == WJ_NUMBER; }

/* Step 7: issuer, audience, required claims, over the claims in claims_doc. */
static int check_claims(const wcsp_policy *p, const wcsp_token *tk, const wj_doc *d)
{
	if (tk->niss) {
		int t = wj_get(d, 0, "iss", 3), ok = 0;
		for (uint32_t i = 0; t >= 0 && wj_kind(d, t) == WJ_STRING && i < tk->niss && !ok;
		     i++)
			ok = wj_str_eq(d, t, p->strs[tk->iss_first + i].s,
				       p->strs[tk->iss_first + i].n);
		if (!ok)
			return WCSP_T_ISSUER;
	}
	if (tk->naud) {
		int t = wj_get(d, 0, "aud", 3), ok = 0;
		if (t >= 0 && wj_kind(d, t) == WJ_ARRAY) {
			for (int e = t + 1; e < d->next[t] && !ok; e = d->next[e])
				for (uint32_t i = 0;
				     wj_kind(d, e) == WJ_STRING && i < tk->naud && !ok; i++)
					ok = wj_str_eq(d, e, p->strs[tk->aud_first + i].s,
						       p->strs[tk->aud_first + i].n);
		} else
			for (uint32_t i = 0;
			     t >= 0 && wj_kind(d, t) == WJ_STRING && i < tk->naud && !ok; i++)
				ok = wj_str_eq(d, t, p->strs[tk->aud_first + i].s,
					       p->strs[tk->aud_first + i].n);
		if (!ok)
			return WCSP_T_AUDIENCE;
	}
	for (uint32_t i = 0; i < tk->nclaims; i++)
		if (wj_get(d, 0, p->strs[tk->claim_first + i].s, p->strs[tk->claim_first + i].n) <
		    0)
			return WCSP_T_CLAIM + (int)i;
	return -1;
}

/* Steps 1 to 5 and 7 into e (the claims into payload[0..*plen)). */
static void check_static(const wcsp_policy *p, const wcsp_world *w, uint32_t t, const char *raw,
			 size_t n, char *payload, size_t *plen, centry *e, cache *c)
{
	wj_doc *hd = &c->header, *cd = &c->claims;
	const wcsp_token *tk = &p->tokens[t];
	const char *d1 = memchr(raw, '.', n),
		   *d2 = d1 ? memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - raw)) : NULL;
	unsigned char head[HEADER_MAX], sig[SIGNATURE_MAX];
	size_t hn, sn, pn;
	e->status = WCSP_T_MALFORMED;
	e->has_exp = e->has_nbf = 0;
	*plen = 0;
	/* step 1: every part decodes (a token that does not is malformed, whatever else) */
	if (!d2 || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - raw)) ||
	    (hn = codec_b64_decode(1, raw, (size_t)(d1 - raw), head, sizeof head)) == CODEC_BAD ||
	    (pn = codec_b64_decode(1, d1 + 1, (size_t)(d2 - d1 - 1), (unsigned char *)payload,
				   JWT_PAYLOAD_MAX)) == CODEC_BAD ||
	    (sn = codec_b64_decode(1, d2 + 1, n - (size_t)(d2 + 1 - raw), sig, sizeof sig)) ==
		    CODEC_BAD ||
	    wj_parse(hd, (const char *)head, hn, NULL))
		return;
	int at = wj_get(hd, 0, "alg", 3), kt = wj_get(hd, 0, "kid", 3);
	if (at < 0 || wj_kind(hd, at) != WJ_STRING ||
	    (kt >= 0 && wj_kind(hd, kt) != WJ_STRING) || wj_get(hd, 0, "crit", 4) >= 0)
		return;
	int alg = alg_of(hd, at);
	e->status = WCSP_T_ALGORITHM;
	if (alg < 0 || (tk->algs && !(tk->algs & 1u << alg)))
		return;
	/* step 3: the candidate keys, then step 4 */
	int kid_found = 0, usable = 0, verified = 0;
	const char *in = raw;
	size_t inlen = (size_t)(d2 - raw);
	for (uint32_t i = 0; i < tk->nkeys && !verified; i++) {
		const wcsp_keyset *ks = &w->keys[p->token_keys[tk->key_first + i]];
		for (int j = 0; j < ks->n && !verified; j++) {
			const wcsp_keyent *k = &ks->ent[j];
			if (kt >= 0 && !(k->kid && wj_str_eq(hd, kt, k->kid, k->kidlen)))
				continue;
			kid_found = 1;
			if (!keys_kind_verifies(k->kind, alg) || (k->alg >= 0 && k->alg != alg))
				continue;
			usable = 1;
			verified = verify(k, alg, in, inlen, sig, sn);
		}
	}
	if (!verified) {
		e->status = kt >= 0 && !kid_found ? WCSP_T_KEY_UNKNOWN
			    : !usable ? WCSP_T_ALGORITHM : WCSP_T_SIGNATURE;
		return;
	}
	/* step 5: the claims are a JSON object (checked after the signature: a signed payload
	 * that is no claims set, as RFC 8037's example, is malformed; a forged one is not ours) */
	e->status = WCSP_T_MALFORMED;
	if (wj_parse(cd, payload, pn, NULL))
		return;
	int xt = wj_get(cd, 0, "exp", 3), nt = wj_get(cd, 0, "nbf", 3);
	if (!is_number(cd, xt) || !is_number(cd, nt))
		return;
	if ((e->has_exp = xt >= 0))
		e->exp = wj_number(cd, xt);
	if ((e->has_nbf = nt >= 0))
		e->nbf = wj_number(cd, nt);
	*plen = pn;
	e->status = check_claims(p, tk, cd);
}

/* Step 6, then the rest: the failure to report first, as tokens.md orders them. */
static int outcome(const wcsp_token *tk, const centry *e, long long now)
{
	if (e->status >= 0 && e->status < WCSP_T_EXPIRED)
		return e->status;
	if (e->has_exp && !((double)now < e->exp + tk->leeway))
		return WCSP_T_EXPIRED;
	if (e->has_nbf && (double)now < e->nbf - tk->leeway)
		return WCSP_T_NOT_YET;
	return e->status;
}

/* The cache's hash: the token's length, its declaration and its last (at most) 32 bytes,
 * which are signature bytes. Hashing the whole token cost a tenth of a cache hit; tokens that
 * differ only before their tail share a probe run, and the full compare tells them apart. */
static uint64_t tail_hash(const char *s, size_t n, uint32_t t)
{
	uint64_t h = 0xcbf29ce484222325ull ^ ((uint64_t)n << 32) ^ t;
	for (size_t i = n < 32 ? 0 : n - 32; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h ^ h >> 31;
}

static int check(const wcsp_policy *p, const wcsp_world *w, uint32_t t, const char *raw, size_t n,
		 long long now, void *cachep, char *payload, size_t *plen)
{
	const wcsp_token *tk = &p->tokens[t];
	cache *c = cachep;
	*plen = 0;
	if (n >= 7 && !memcmp(raw, "Bearer ", 7))
		raw += 7, n -= 7;
	if (!n)
		return WCSP_T_MISSING;
	if (n > JWT_MAX)
		return WCSP_T_MALFORMED;
	uint64_t h = c->n ? tail_hash(raw, n, t) : 0;
	centry *slot = NULL;
	for (unsigned k = 0; c->n && k < CACHE_PROBE; k++) {
		centry *e = &c->e[(h + k) % c->n];
		if (e->epoch == w->epoch && e->hash == h && e->tok == t && e->tlen == n &&
		    !memcmp(e->bytes, raw, n)) {
			int r = outcome(tk, e, now);
			if (r == WCSP_T_EXPIRED)
				e->epoch = 0;   /* dropped at its exp */
			memcpy(payload, e->bytes + e->tlen, e->plen);
			*plen = e->plen;
			return r;
		}
		if (!slot && e->epoch != w->epoch)
			slot = e;
	}
	centry fresh;
	check_static(p, w, t, raw, n, payload, plen, &fresh, c);
	int r = outcome(tk, &fresh, now);
	if (c->n && n <= CACHE_TOKEN && *plen <= CACHE_PAYLOAD && r != WCSP_T_EXPIRED) {
		if (!slot)
			slot = &c->e[h % c->n];
		char *bytes = slot->bytes;
		*slot = fresh;
		slot->bytes = bytes;
		slot->hash = h;
		slot->epoch = w->epoch;
		slot->tok = t;
		slot->tlen = (uint16_t)n;
		slot->plen = (uint16_t)*plen;
		memcpy(bytes, raw, n);
		memcpy(bytes + n, payload, *plen);
	}
	return r;
}

static void *cache_new(unsigned slots)
{
	cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	wj_init(&c->header);
	wj_init(&c->claims);
	if (!(c->n = slots))
		return c;
	c->e = calloc(slots, sizeof *c->e);
	c->store = malloc((size_t)slots * (CACHE_TOKEN + CACHE_PAYLOAD));
	if (!c->e || !c->store) {
		free(c->e);
		free(c->store);
		free(c);
		return NULL;
	}
	for (unsigned i = 0; i < slots; i++)
		c->e[i].bytes = c->store + (size_t)i * (CACHE_TOKEN + CACHE_PAYLOAD);
	return c;
}

static void cache_free(void *cachep)
{
	cache *c = cachep;
	if (!c)
		return;
	wj_free(&c->header);
	wj_free(&c->claims);
	free(c->e);
	free(c->store);
	free(c);
}

const struct wcsp_jwt_ops wcsp_jwt_impl = {
	keys_load_any, pubkeys_free, cache_new, cache_free, check
};
