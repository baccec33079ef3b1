/*
 * pubkeys.c -- public keys for JWS verification (hogweed): PEM SubjectPublicKeyInfo (RSA of
 * at least 2048 bits, EC P-256 and P-384 with an uncompressed point, Ed25519), PEM PKCS#1
 * RSA, and JWK "RSA", "EC", "OKP". An EC point is checked to lie on its curve. Key files
 * come here from keys.c's keys_load() when the policy has tokens.
 */
#include <nettle/asn1.h>
#include <nettle/bignum.h>   /* gmp.h, or nettle's mini-gmp.h in a static runtime */
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/eddsa.h>
#include <nettle/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "keys.h"

#define RSA_MIN_BITS 2048

static const char *const pem_public = "-----BEGIN PUBLIC KEY-----";
static const char *const pem_rsa = "-----BEGIN RSA PUBLIC KEY-----";

/* DER object identifiers, contents only */
static const unsigned char oid_rsa[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
static const unsigned char oid_ec[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
static const unsigned char oid_p256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const unsigned char oid_p384[] = { 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const unsigned char oid_ed25519[] = { 0x2b, 0x65, 0x70 };

static int make_rsa(wcsp_keyent *e, const mpz_t n, const mpz_t pe)
{
	struct rsa_public_key *k = malloc(sizeof *k);
	if (!k)
		return -1;
	rsa_public_key_init(k);
	mpz_set(k->n, n);
	mpz_set(k->e, pe);
	if (!rsa_public_key_prepare(k) || mpz_sizeinbase(k->n, 2) < RSA_MIN_BITS) {
		rsa_public_key_clear(k);
		free(k);
		return -1;
	}
	e->pub = k;
	e->kind = WK_RSA;
	return 0;
}

/* An EC point (x, y) of P-256 (bytes 32) or P-384 (48), checked to lie on the curve. */
static int make_ec(wcsp_keyent *e, const unsigned char *x, const unsigned char *y, size_t bytes)
{
	const struct ecc_curve *curve = bytes == 32 ? nettle_get_secp_256r1() :
		bytes == 48 ? nettle_get_secp_384r1() : NULL;
	if (!curve)
		return -1;
	struct ecc_point *p = malloc(sizeof *p);
	mpz_t mx, my;
	if (!p)
		return -1;
	ecc_point_init(p, curve);
	mpz_init(mx);
	mpz_init(my);
	nettle_mpz_set_str_256_u(mx, bytes, x);
	nettle_mpz_set_str_256_u(my, bytes, y);
	int ok = ecc_point_set(p, mx, my);
	mpz_clear(mx);
	mpz_clear(my);
	if (!ok) {
		ecc_point_clear(p);
		free(p);
		return -1;
	}
	e->pub = p;
	e->kind = bytes == 32 ? WK_EC256 : WK_EC384;
	return 0;
}

static int oid_is(const struct asn1_der_iterator *i, const unsigned char *oid, size_t n)
{
	return i->type == ASN1_IDENTIFIER && i->length == n && !memcmp(i->data, oid, n);
}

/* A DER SubjectPublicKeyInfo. */
static int parse_spki(const unsigned char *der, size_t n, wcsp_keyent *e, char *why, size_t wl)
{
	struct asn1_der_iterator i, alg;
	if (asn1_der_iterator_first(&i, n, der) != ASN1_ITERATOR_CONSTRUCTED ||
	    i.type != ASN1_SEQUENCE ||
	    asn1_der_decode_constructed_last(&i) != ASN1_ITERATOR_CONSTRUCTED ||
	    i.type != ASN1_SEQUENCE ||
	    asn1_der_decode_constructed(&i, &alg) != ASN1_ITERATOR_PRIMITIVE ||
	    asn1_der_iterator_next(&i) != ASN1_ITERATOR_PRIMITIVE || i.type != ASN1_BITSTRING)
		return keys_why(why, wl, "not a public key (SubjectPublicKeyInfo)");
	if (oid_is(&alg, oid_rsa, sizeof oid_rsa)) {
		struct rsa_public_key k;
		rsa_public_key_init(&k);
		int ok = asn1_der_decode_bitstring_last(&i) == ASN1_ITERATOR_CONSTRUCTED &&
			 rsa_public_key_from_der_iterator(&k, 16384, &i);
		ok = ok && !make_rsa(e, k.n, k.e);
		rsa_public_key_clear(&k);
		return ok ? 0 : keys_why(why, wl, "not an RSA public key of at least 2048 bits");
	}
	if (oid_is(&alg, oid_ed25519, sizeof oid_ed25519)) {
		if (i.length != 1 + ED25519_KEY_SIZE || i.data[0] != 0)
			return keys_why(why, wl, "not an Ed25519 public key");
		e->kind = WK_ED25519;
		if (!(e->secret = malloc(ED25519_KEY_SIZE)))
			return keys_why(why, wl, "out of memory");
		memcpy(e->secret, i.data + 1, ED25519_KEY_SIZE);
		e->len = ED25519_KEY_SIZE;
		return 0;
	}
	if (oid_is(&alg, oid_ec, sizeof oid_ec) &&
	    asn1_der_iterator_next(&alg) == ASN1_ITERATOR_PRIMITIVE) {
		size_t bytes = oid_is(&alg, oid_p256, sizeof oid_p256) ? 32 :
			oid_is(&alg, oid_p384, sizeof oid_p384) ? 48 : 0;
		/* BIT STRING: no unused bits, then 04 || x || y */
		if (bytes && i.length == 2 + 2 * bytes && i.data[0] == 0 && i.data[1] == 4 &&
		    !make_ec(e, i.data + 2, i.data + 2 + bytes, bytes))
			return 0;
		return keys_why(why, wl, "not an EC public key on P-256 or P-384 (uncompressed)");
	}
	return keys_why(why, wl, "a public key of a kind wcsp does not verify (RSA, EC P-256 or "
		       "P-384, Ed25519)");
}

/* The base64 between a PEM file's BEGIN and END lines, decoded into der. */
static size_t pem_body(const char *text, size_t n, const char *begin, unsigned char *der,
		       size_t cap)
{
	const char *a = strstr(text, begin);
	if (!a || (size_t)(a - text) >= n)
		return CODEC_BAD;
	a += strlen(begin);
	const char *b = strstr(a, "-----END ");
	if (!b)
		return CODEC_BAD;
	char *compact = malloc((size_t)(b - a) + 1);
	size_t m = 0;
	if (!compact)
		return CODEC_BAD;
	for (const char *p = a; p < b; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			compact[m++] = *p;
	size_t len = codec_b64_decode(0, compact, m, der, cap);
	free(compact);
	return len;
}

static int parse_pem(const char *text, size_t n, wcsp_keyset *ks, char *why, size_t wl)
{
	if (strstr(text, "PRIVATE KEY-----"))
		return keys_why(why, wl, "a private key: give the server the public key only "
				"(openssl pkey -pubout)");
	unsigned char *der = malloc(n);
	wcsp_keyent *e = der ? keys_new_entry(ks) : NULL;
	int rc = -1;
	size_t len;
	if (!e)
		rc = keys_why(why, wl, "out of memory");
	else if ((len = pem_body(text, n, pem_public, der, n)) != CODEC_BAD)
		rc = parse_spki(der, len, e, why, wl);
	else if ((len = pem_body(text, n, pem_rsa, der, n)) != CODEC_BAD) {
		struct rsa_public_key k;
		rsa_public_key_init(&k);
		rc = rsa_keypair_from_der(&k, NULL, 16384, len, der) && !make_rsa(e, k.n, k.e) ? 0 :
			keys_why(why, wl, "not an RSA public key of at least 2048 bits");
		rsa_public_key_clear(&k);
	} else
		rc = keys_why(why, wl, "a PEM file without a public key in it");
	free(der);
	return rc;
}

static int parse_jwk(const wj_doc *d, int o, wcsp_keyent *e, char *why, size_t wl)
{
	unsigned char a[1024], b[1024];
	size_t n, m;
	if (keys_jwk_is(d, o, "kty", "RSA")) {
		mpz_t mn, me;
		if ((n = keys_jwk_bytes(d, o, "n", a, sizeof a)) == CODEC_BAD ||
		    (m = keys_jwk_bytes(d, o, "e", b, sizeof b)) == CODEC_BAD)
			return keys_why(why, wl,
					"a JWK \"RSA\" without \"n\" and \"e\" in base64url");
		mpz_init(mn);
		mpz_init(me);
		nettle_mpz_set_str_256_u(mn, n, a);
		nettle_mpz_set_str_256_u(me, m, b);
		int rc = make_rsa(e, mn, me);
		mpz_clear(mn);
		mpz_clear(me);
		return rc ? keys_why(why, wl,
				     "a JWK \"RSA\" that is not a key of at least 2048 bits")
			  : 0;
	}
	if (keys_jwk_is(d, o, "kty", "EC")) {
		size_t bytes = keys_jwk_is(d, o, "crv", "P-256") ? 32 :
			keys_jwk_is(d, o, "crv", "P-384") ? 48 : 0;
		if (!bytes || keys_jwk_bytes(d, o, "x", a, sizeof a) != bytes ||
		    keys_jwk_bytes(d, o, "y", b, sizeof b) != bytes || make_ec(e, a, b, bytes))
			return keys_why(why, wl,
					"a JWK \"EC\" that is not a point of P-256 or P-384");
		return 0;
	}
	if (keys_jwk_is(d, o, "kty", "OKP")) {
		if (!keys_jwk_is(d, o, "crv", "Ed25519") ||
		    keys_jwk_bytes(d, o, "x", a, sizeof a) != ED25519_KEY_SIZE)
			return keys_why(why, wl, "a JWK \"OKP\" that is not an Ed25519 public key");
		if (keys_set_secret(e, a, ED25519_KEY_SIZE))
			return keys_why(why, wl, "out of memory");
		e->kind = WK_ED25519;
		return 0;
	}
	return keys_why(why, wl, "a JWK of a kind wcsp does not verify (\"kty\" is not oct, RSA, "
			"EC or OKP)");
}

void pubkeys_free(wcsp_keyset *ks)
{
	for (int i = 0; i < ks->n; i++) {
		wcsp_keyent *e = &ks->ent[i];
		if (e->pub && e->kind == WK_RSA)
			rsa_public_key_clear(e->pub);
		else if (e->pub)
			ecc_point_clear(e->pub);
	}
	keys_free(ks);
}

static const keys_public public_parsers = { parse_pem, parse_jwk, pubkeys_free };

int keys_load_any(const char *text, size_t n, wcsp_keyset *ks, char *why, size_t wl)
{
	return keys_load(text, n, ks, &public_parsers, why, wl);
}
