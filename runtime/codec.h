/*
 * codec.h -- base64, base64url and hex (see codec.c).
 */
#ifndef WCSP_CODEC_H
#define WCSP_CODEC_H

#include <stddef.h>

#define CODEC_BAD ((size_t)-1)

/* Decode s[0..n) (url: the base64url alphabet) into out (room for cap bytes); the length,
 * or CODEC_BAD when s is not canonical base64 or does not fit. */
size_t codec_b64_decode(int url, const char *s, size_t n, unsigned char *out, size_t cap);

/* Encode in[0..n) into out (room for 4 * (n + 2) / 3 + 1 bytes): base64 with padding, or
 * base64url without. Returns the length. */
size_t codec_b64_encode(int url, const unsigned char *in, size_t n, char *out);

/* Lower-case hex of in[0..n) into out (room for 2 * n bytes); returns 2 * n. */
size_t codec_hex(const unsigned char *in, size_t n, char *out);

#endif
