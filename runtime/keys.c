/*
 * keys.c -- key files into key entries (world.h). What a file holds is read off its bytes:
 *   -----BEGIN PUBLIC KEY-----      a SubjectPublicKeyInfo: RSA (at least 2048 bits), EC
 *                                   P-256 or P-384 (uncompressed point), Ed25519;
 *   -----BEGIN RSA PUBLIC KEY-----  a PKCS#1 RSAPublicKey;
 *   {"keys": [ ... ]}               a JWKS: one entry per JWK (picked by "kid");
 *   {"kty": ... }                   a JWK: "oct" (the secret is "k"), "RSA", "EC", "OKP";
 *   anything else                   an HMAC secret: the bytes as they are.
 * A private key (PEM or a JWK with "d") is refused: the server only ever verifies.
 * This file reads the secrets and dispatches the rest to a keys_public (pubkeys.c): a
 * policy with digests but no token links no public-key code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "json.h"
#include "keys.h"

int keys_kind_verifies(int kind, int alg)
{
	switch (kind) {
	case WK_SECRET: return alg == WCSP_A_HS256 || alg == WCSP_A_HS384 || alg == WCSP_A_HS512;
	case WK_RSA:
		return alg == WCSP_A_RS256 || alg == WCSP_A_RS384 || alg == WCSP_A_RS512 ||
		       alg == WCSP_A_PS256;
	case WK_EC256: return alg == WCSP_A_ES256;
	case WK_EC384: return alg == WCSP_A_ES384;
	case WK_ED25519: return alg == WCSP_A_EDDSA;
	}
	return 0;
}

int keys_why(char *why, size_t whylen, const char *msg)
{
	snprintf(why, whylen, "%s", msg);
	return -1;
}

wcsp_keyent *keys_new_entry(wcsp_keyset *ks)
{
	wcsp_keyent *e = realloc(ks->ent, (size_t)(ks->n + 1) * sizeof *e);
	if (!e)
		return NULL;
	ks->ent = e;
	e = &ks->ent[ks->n++];
	memset(e, 0, sizeof *e);
	e->alg = -1;
	return e;
}

static void clear_entry(wcsp_keyent *e)
{
	if (e->secret) {
		memset(e->secret, 0, e->len);
		free(e->secret);
	}
	free(e->pub);           /* pubkeys_free has cleared what it points to */
	free(e->kid);
	memset(e, 0, sizeof *e);
}

void keys_free(wcsp_keyset *ks)
{
	for (int i = 0; i < ks->n; i++)
		clear_entry(&ks->ent[i]);
	free(ks->ent);
	ks->ent = NULL;
	ks->n = 0;
}

int keys_set_secret(wcsp_keyent *e, const void *bytes, size_t n)
{
	if (!(e->secret = malloc(n ? n : 1)))
		return -1;
	memcpy(e->secret, bytes, n);
	e->len = n;
	e->kind = WK_SECRET;
	return 0;
}

/* String member name of JWK object o, base64url-decoded into out (room cap). */
size_t keys_jwk_bytes(const wj_doc *d, int o, const char *name, unsigned char *out, size_t cap)
{
	int t = wj_get(d, o, name, strlen(name));
	if (t < 0 || wj_kind(d, t) != WJ_STRING || d->esc[t])
		return CODEC_BAD;
	return codec_b64_decode(1, d->buf + d->tok[t].start,
				(size_t)(d->tok[t].end - d->tok[t].start), out, cap);
}

int keys_jwk_is(const wj_doc *d, int o, const char *name, const char *value)
{
	int t = wj_get(d, o, name, strlen(name));
	return t >= 0 && wj_kind(d, t) == WJ_STRING && wj_str_eq(d, t, value, strlen(value));
}

/* One JWK at token o; public kinds through pub (NULL: WK_PUBLIC). 1: skipped (a key for
 * encryption). */
static int parse_jwk(const wj_doc *d, int o, const keys_public *pub, wcsp_keyset *ks, char *why,
		     size_t wl)
{
	unsigned char a[1024];
	if (wj_kind(d, o) != WJ_OBJECT)
		return keys_why(why, wl, "a JWK that is not an object");
	if (keys_jwk_is(d, o, "use", "enc"))
		return 1;
	if (wj_get(d, o, "d", 1) >= 0 && !keys_jwk_is(d, o, "kty", "oct"))
		return keys_why(why, wl, "a private key (the JWK has \"d\"): give the server the "
			       "public key only");
	wcsp_keyent *e = keys_new_entry(ks);
	if (!e)
		return keys_why(why, wl, "out of memory");
	int t = wj_get(d, o, "kid", 3);
	if (t >= 0 && wj_kind(d, t) == WJ_STRING) {
		size_t n = (size_t)(d->tok[t].end - d->tok[t].start);
		if (!(e->kid = malloc(n + 1)))
			return keys_why(why, wl, "out of memory");
		e->kidlen = wj_str_decode(d, t, e->kid);
	}
	if ((t = wj_get(d, o, "alg", 3)) >= 0) {
		for (int k = 0; k < WCSP_NALGS; k++)
			if (wj_kind(d, t) == WJ_STRING && wj_str_eq(d, t, wcsp_alg_names[k],
								     strlen(wcsp_alg_names[k])))
				e->alg = k;
		if (e->alg < 0) {       /* RSA-OAEP, ECDH-ES...: a key for something else */
			ks->n--;
			free(e->kid);
			return 1;
		}
	}
	size_t n;
	if (keys_jwk_is(d, o, "kty", "oct")) {
		if ((n = keys_jwk_bytes(d, o, "k", a, sizeof a)) == CODEC_BAD || !n)
			return keys_why(why, wl, "a JWK \"oct\" whose \"k\" is not base64url");
		return keys_set_secret(e, a, n) ? keys_why(why, wl, "out of memory") : 0;
	}
	if (!pub) {             /* a digest's key: it never matches (see WK_PUBLIC) */
		e->kind = WK_PUBLIC;
		return 0;
	}
	return pub->jwk(d, o, e, why, wl);
}

/* A PEM key read by a policy that uses it only in digests: see WK_PUBLIC. */
static int public_entry(wcsp_keyset *ks, char *why, size_t wl)
{
	wcsp_keyent *e = keys_new_entry(ks);
	if (!e)
		return keys_why(why, wl, "out of memory");
	e->kind = WK_PUBLIC;
	return 0;
}

int keys_load(const char *text, size_t n, wcsp_keyset *ks, const keys_public *pub, char *why,
	      size_t wl)
{
	size_t i = 0;
	memset(ks, 0, sizeof *ks);
	while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	int rc = 0;
	if (!strncmp(text + i, "-----BEGIN", 10))
		rc = pub ? pub->pem(text, n, ks, why, wl) : public_entry(ks, why, wl);
	else if (i < n && text[i] == '{') {
		wj_doc d;
		wj_init(&d);
		int keys = -1;
		if (!wj_parse(&d, text, n, NULL) &&
		    ((keys = wj_get(&d, 0, "keys", 4)) >= 0 || wj_get(&d, 0, "kty", 3) >= 0)) {
			if (keys < 0)
				rc = parse_jwk(&d, 0, pub, ks, why, wl) < 0 ? -1 : 0;
			else if (wj_kind(&d, keys) != WJ_ARRAY)
				rc = keys_why(why, wl, "a JWKS whose \"keys\" is not an array");
			else
				for (int k = keys + 1; k < d.next[keys] && !rc; k = d.next[k])
					rc = parse_jwk(&d, k, pub, ks, why, wl) < 0 ? -1 : 0;
			if (!rc && !ks->n)
				rc = keys_why(why, wl, "a JWKS without a key for signatures");
		} else {                        /* JSON of another shape: a secret that looks so */
			wcsp_keyent *e = keys_new_entry(ks);
			rc = !e || keys_set_secret(e, text, n) ? keys_why(why, wl, "out of memory")
							       : 0;
		}
		wj_free(&d);
	} else if (!n)
		rc = keys_why(why, wl, "an empty file: an HMAC secret cannot be empty");
	else {
		wcsp_keyent *e = keys_new_entry(ks);
		rc = !e || keys_set_secret(e, text, n) ? keys_why(why, wl, "out of memory") : 0;
	}
	if (rc)
		(pub ? pub->free : keys_free)(ks);
	return rc;
}

int keys_load_secret(const char *text, size_t n, wcsp_keyset *ks, char *why, size_t wl)
{
	return keys_load(text, n, ks, NULL, why, wl);
}
