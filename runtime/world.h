/*
 * world.h -- what a server reads from files rather than from its tables: the policy's keys
 * and its live sets. The server loads a world at start and again on SIGHUP, and swaps the
 * whole world at once, so a request sees the old one or the new one, never a mix;
 * `wcspc test` and --eval load one too. The tables name the files; no key byte is compiled
 * in, and none is ever written to a reply or a log line.
 *
 * Key files are read by the code of the policy's tokens or digests (wcsp_jwt_ops,
 * wcsp_digest_ops in wcsp_abi.h), so a policy without them links no key parser.
 */
#ifndef WCSP_WORLD_H
#define WCSP_WORLD_H

#include <stddef.h>
#include "wcsp_abi.h"

#define WORLD_FILE_MAX (1 << 20)        /* bytes of one key file */
#define WORLD_SET_MAX (64u << 20)       /* bytes of one live set file */

/* What one key (a JWK of a JWKS, or the whole file) is. WK_PUBLIC: a public key of a policy
 * whose only use of it is a digest, which needs a secret: kept unparsed, it matches nothing. */
enum wcsp_key_kind { WK_SECRET, WK_RSA, WK_EC256, WK_EC384, WK_ED25519, WK_PUBLIC };

typedef struct wcsp_keyent {
	int kind;                       /* enum wcsp_key_kind */
	char *kid;                      /* the JWK's "kid", or NULL */
	size_t kidlen;
	int alg; /* the JWK's "alg" (enum wcsp_alg), or -1: any its kind allows */
	unsigned char *secret;          /* WK_SECRET: the bytes; others: an Ed25519 key's 32 */
	size_t len;
	void *pub;                      /* WK_RSA, WK_EC*: the parsed public key (jwt.c's) */
} wcsp_keyent;

typedef struct wcsp_keyset {
	wcsp_keyent *ent;
	int n;
} wcsp_keyset;

/* A live set's keys, as a compiled set's: sorted canonical keys in one pool. */
typedef struct wcsp_liveset {
	char *pool;
	uint32_t *off;                  /* n + 1 offsets */
	uint32_t n;
} wcsp_liveset;

typedef struct wcsp_world {
	const wcsp_policy *p;
	wcsp_keyset *keys;              /* [p->nkeys] */
	wcsp_liveset *sets;             /* [p->nsets]: the live ones filled */
	unsigned char *open_secret;     /* [p->nkeys]: a secret whose file others may read */
	unsigned epoch;                 /* a token verified under another world is checked again */
	long long loaded;               /* unix seconds of this load */
} wcsp_world;

/* How the code of tokens and digests reads a key file (and frees what it made). */
typedef int wcsp_key_loader(const char *bytes, size_t n, wcsp_keyset *out, char *why,
			    size_t whylen);
typedef void wcsp_key_freer(wcsp_keyset *ks);

/*
 * Load p's keys and live sets, relative paths against dir (NULL: the current directory).
 * NULL on failure, with one line in err naming the file and what is wrong with it. A
 * policy with neither keys nor live sets gets an empty world.
 */
wcsp_world *world_load(const wcsp_policy *p, const char *dir, char *err, size_t errlen);
void world_free(wcsp_world *w);

/* How many of p's sets are live. */
uint32_t world_nlive(const wcsp_policy *p);

/* Does the live set s of w hold the canonical key k? */
int world_set_has(const wcsp_world *w, uint32_t s, const char *k, size_t kn);

#endif
