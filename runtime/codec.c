/*
 * codec.c -- base64, base64url and hex for tokens, keys and digests, over nettle's base64.
 * Decoding is strict: only the alphabet's characters (nettle would skip blanks), canonical
 * trailing bits, padding optional (JWS leaves it out) but never misplaced.
 */
#include <nettle/base64.h>
#include <string.h>

#include "codec.h"

size_t codec_b64_decode(int url, const char *s, size_t n, unsigned char *out, size_t cap)
{
	const char *extra = url ? "-_" : "+/";
	size_t body = n;
	while (body > 0 && s[body - 1] == '=')
		body--;
	if (n - body > 2 || (n != body && n % 4))
		return CODEC_BAD;
	for (size_t i = 0; i < body; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == extra[0] || c == extra[1]))
			return CODEC_BAD;
	}
	if (body % 4 == 1 || BASE64_DECODE_LENGTH(body) > cap)
		return CODEC_BAD;
	struct base64_decode_ctx ctx;
	size_t len = cap, pad = (4 - body % 4) % 4;
	if (url)
		base64url_decode_init(&ctx);
	else
		base64_decode_init(&ctx);
	if (!base64_decode_update(&ctx, &len, out, body, s) ||
	    !base64_decode_update(&ctx, &(size_t){ 0 }, out + len, pad, "=="))
		return CODEC_BAD;
	return base64_decode_final(&ctx) ? len : CODEC_BAD;
}

size_t codec_b64_encode(int url, const unsigned char *in, size_t n, char *out)
{
	struct base64_encode_ctx ctx;
	if (url)
		base64url_encode_init(&ctx);
	else
		base64_encode_init(&ctx);
	size_t len = base64_encode_update(&ctx, out, n, in);
	len += base64_encode_final(&ctx, out + len);
	if (url)
		while (len > 0 && out[len - 1] == '=')
			len--;
	return len;
}

size_t codec_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	return 2 * n;
}
