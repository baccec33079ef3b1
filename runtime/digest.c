/*
 * digest.c -- `field == md5("...") hex` and kin: a hash or an HMAC (nettle) of a rendered
 * template, encoded, compared with the field in constant time. Hex compares without
 * regard to case; base64 and base64url ignore trailing '=' on both sides, so a link
 * signed with padding matches one without.
 */
#include <nettle/hmac.h>
#include <nettle/md5.h>
#include <nettle/memops.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include <string.h>

#include "codec.h"
#include "crypto.h"
#include "keys.h"

#define DIGEST_MAX SHA512_DIGEST_SIZE
#define TEXT_MAX (2 * DIGEST_MAX + 4)   /* the longest encoding: hex */

/* The HMAC secret of a key: its first entry that is a secret, or NULL. */
static const wcsp_keyent *secret_of(const wcsp_keyset *ks)
{
	for (int i = 0; ks && i < ks->n; i++)
		if (ks->ent[i].kind == WK_SECRET)
			return &ks->ent[i];
	return NULL;
}

static size_t compute(const wcsp_digest *d, const wcsp_keyent *k, const char *in, size_t n,
		      uint8_t *out)
{
	const uint8_t *m = (const uint8_t *)in;
	if (k) {
		switch (d->hash) {
		case WCSP_H_MD5: {
			struct hmac_md5_ctx c;
			hmac_md5_set_key(&c, k->len, k->secret);
			hmac_md5_update(&c, n, m);
			hmac_md5_digest(&c, MD5_DIGEST_SIZE, out);
			return MD5_DIGEST_SIZE;
		}
		case WCSP_H_SHA1: {
			struct hmac_sha1_ctx c;
			hmac_sha1_set_key(&c, k->len, k->secret);
			hmac_sha1_update(&c, n, m);
			hmac_sha1_digest(&c, SHA1_DIGEST_SIZE, out);
			return SHA1_DIGEST_SIZE;
		}
		case WCSP_H_SHA256: {
			struct hmac_sha256_ctx c;
			hmac_sha256_set_key(&c, k->len, k->secret);
			hmac_sha256_update(&c, n, m);
			hmac_sha256_digest(&c, SHA256_DIGEST_SIZE, out);
			return SHA256_DIGEST_SIZE;
		}
		default: {
			struct hmac_sha512_ctx c;
			hmac_sha512_set_key(&c, k->len, k->secret);
			hmac_sha512_update(&c, n, m);
			hmac_sha512_digest(&c, SHA512_DIGEST_SIZE, out);
			return SHA512_DIGEST_SIZE;
		}
		}
	}
	switch (d->hash) {
	case WCSP_H_MD5: {
		struct md5_ctx c;
		md5_init(&c);
		md5_update(&c, n, m);
		md5_digest(&c, MD5_DIGEST_SIZE, out);
		return MD5_DIGEST_SIZE;
	}
	case WCSP_H_SHA1: {
		struct sha1_ctx c;
		sha1_init(&c);
		sha1_update(&c, n, m);
		sha1_digest(&c, SHA1_DIGEST_SIZE, out);
		return SHA1_DIGEST_SIZE;
	}
	case WCSP_H_SHA256: {
		struct sha256_ctx c;
		sha256_init(&c);
		sha256_update(&c, n, m);
		sha256_digest(&c, SHA256_DIGEST_SIZE, out);
		return SHA256_DIGEST_SIZE;
	}
	default: {
		struct sha512_ctx c;
		sha512_init(&c);
		sha512_update(&c, n, m);
		sha512_digest(&c, SHA512_DIGEST_SIZE, out);
		return SHA512_DIGEST_SIZE;
	}
	}
}

static int matches(const wcsp_digest *d, const wcsp_keyset *key, const char *bytes, size_t n,
		   const char *field, size_t fn)
{
	const wcsp_keyent *k = NULL;
	uint8_t raw[DIGEST_MAX];
	char want[TEXT_MAX], got[TEXT_MAX];
	if (d->key != WCSP_NONE && !(k = secret_of(key)))
		return 0;               /* an HMAC needs a secret: a public key never matches */
	size_t len = compute(d, k, bytes, n, raw), wn;
	if (d->enc == WCSP_E_HEX) {
		wn = codec_hex(raw, len, want);
		if (fn != wn)
			return 0;
		for (size_t i = 0; i < fn; i++)         /* case does not matter in hex */
			got[i] = field[i] >= 'A' && field[i] <= 'F' ? (char)(field[i] | 0x20)
								    : field[i];
	} else {
		wn = codec_b64_encode(d->enc == WCSP_E_BASE64URL, raw, len, want);
		while (wn > 0 && want[wn - 1] == '=')
			wn--;
		while (fn > 0 && field[fn - 1] == '=')
			fn--;
		if (fn != wn)
			return 0;
		memcpy(got, field, fn);
	}
	return memeql_sec(want, got, wn);
}

const struct wcsp_digest_ops wcsp_digest_impl = { keys_load_secret, keys_free, matches };
