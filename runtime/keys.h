/*
 * keys.h -- reading key files (keys.c: secrets and the dispatch; pubkeys.c: public keys).
 * Reached through the policy's jwt and digest pointers (crypto.h), never called directly by
 * the server.
 */
#ifndef WCSP_KEYS_H
#define WCSP_KEYS_H

#include "json.h"
#include "world.h"

/* The public-key parsers keys_load() hands PEM files and public JWKs to. */
typedef struct keys_public {
	int (*pem)(const char *text, size_t n, wcsp_keyset *ks, char *why, size_t whylen);
	int (*jwk)(const wj_doc *d, int o, wcsp_keyent *e, char *why, size_t whylen);
	void (*free)(wcsp_keyset *ks);
} keys_public;

/* A key file into ks; public keys through pub (NULL: kept unparsed, WK_PUBLIC). 0, or -1 with
 * the reason in why. */
int keys_load(const char *text, size_t n, wcsp_keyset *ks, const keys_public *pub, char *why,
	      size_t whylen);
/* Secrets only: raw bytes, JWK "oct". */
int keys_load_secret(const char *text, size_t n, wcsp_keyset *ks, char *why, size_t whylen);
/* Every kind: secrets, RSA, EC P-256 and P-384, Ed25519 (PEM, JWK, JWKS). */
int keys_load_any(const char *text, size_t n, wcsp_keyset *ks, char *why, size_t whylen);
/* Free a key set of secrets (keys_free) or of any kind (pubkeys_free). */
void keys_free(wcsp_keyset *ks);
void pubkeys_free(wcsp_keyset *ks);

/* Can a key of this kind (enum wcsp_key_kind) verify alg (enum wcsp_alg)? */
int keys_kind_verifies(int kind, int alg);

/* Helpers the two files share. */
int keys_why(char *why, size_t whylen, const char *msg);
wcsp_keyent *keys_new_entry(wcsp_keyset *ks);
int keys_set_secret(wcsp_keyent *e, const void *bytes, size_t n);
size_t keys_jwk_bytes(const wj_doc *d, int o, const char *name, unsigned char *out, size_t cap);
int keys_jwk_is(const wj_doc *d, int o, const char *name, const char *value);

#endif
