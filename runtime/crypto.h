/*
 * crypto.h -- the entry points of the code that checks tokens (jwt.c, keys.c) and digests
 * (digest.c), reached only through a policy's `jwt` and `digest` pointers: generated tables
 * take their address only when the policy has tokens or digests, so that a server without
 * them links none of this code (nor hogweed's public-key arithmetic).
 */
#ifndef WCSP_CRYPTO_H
#define WCSP_CRYPTO_H

#include <stddef.h>
#include "wcsp_abi.h"
#include "world.h"

#define JWT_MAX 8192            /* bytes of a token, after any "Bearer " */
#define JWT_PAYLOAD_MAX 6144    /* bytes of its decoded claims */

struct wcsp_jwt_ops {
	wcsp_key_loader *load_key;      /* secrets, PEM public keys, JWK, JWKS */
	wcsp_key_freer *free_keys;
	/* What checks keep between them: a cache of verified tokens (slots entries, 0: none)
	 * keyed by the exact token bytes, and scratch; NULL when memory is short. */
	void *(*cache_new)(unsigned slots);
	void (*cache_free)(void *cache);
	/*
	 * Check token t of p: raw[0..n) is its field's decoded text. Returns -1 when it is
	 * valid at `now` (its claims, JSON, in payload[0..*plen)), else its failure
	 * (enum wcsp_token_failure, WCSP_T_CLAIM + i for the i-th missing claim).
	 */
	int (*check)(const wcsp_policy *p, const wcsp_world *w, uint32_t t, const char *raw,
		     size_t n, long long now, void *cache, char *payload, size_t *plen);
};

struct wcsp_digest_ops {
	wcsp_key_loader *load_key;      /* secrets only: raw bytes, a JWK "oct" */
	wcsp_key_freer *free_keys;
	/* Does field[0..fn) equal digest d of bytes[0..n)? HMAC keyed by key's secret (NULL:
	 * not a secret, so never). Compared in constant time. */
	int (*matches)(const wcsp_digest *d, const wcsp_keyset *key, const char *bytes, size_t n,
		       const char *field, size_t fn);
};

#endif
