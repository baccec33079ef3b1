/*
 * transport.c -- caller allowlist and hook signatures.
 *
 * Addresses are compared on a 16-byte form: IPv6 as is, IPv4 (and IPv4-mapped IPv6) as
 * ::ffff:a.b.c.d, with the prefix length counted on that form (wcsp_cidr). Signatures are
 * nettle's HMAC-MD5 over the exact bytes received, compared with memeql_sec.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "transport.h"

/* The peer as 16 bytes, IPv4 as ::ffff:a.b.c.d; -1 for another family. */
static int to16(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return 0;
	}
	if (sa->sa_family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	return -1;
}

/* ::ffff:a.b.c.d: an IPv4 address, whether it came as IPv4 or IPv4-mapped IPv6. */
static int is_v4(const uint8_t a[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return !memcmp(a, mapped, sizeof mapped);
}

static int in_prefix(const uint8_t a[16], const wcsp_cidr *c)
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;
	if (memcmp(a, c->addr, full))
		return 0;
	if (!rest)
		return 1;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (c->addr[full] & mask);
}

/* IPv4 callers match IPv4 ranges only (a range is IPv4 when it lies in ::ffff:0:0/96), and
 * IPv6 callers IPv6 ranges only: `::/64` must not let every IPv4 caller in. */
int tr_accept(const wcsp_policy *p, const struct sockaddr *peer)
{
	uint8_t a[16];
	if (!p->naccept)
		return 1;
	if (!peer || to16(peer, a))
		return 0;
	int v4 = is_v4(a);
	for (uint32_t i = 0; i < p->naccept; i++) {
		const wcsp_cidr *c = &p->accept[i];
		if ((c->prefix >= 96 && is_v4(c->addr)) == v4 && in_prefix(a, c))
			return 1;
	}
	return 0;
}

int tr_load_secret(const char *file, char **key, size_t *keylen, char *err, size_t errlen)
{
	if (!file) {
		const char *env = getenv(TR_SECRET_ENV);
		if (!env || !*env)
			return 1;
		*keylen = strlen(env);
		if (!(*key = strdup(env))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	int fd = open(file, O_RDONLY | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errlen, "cannot read secret file %s: %s", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "secret file %s is open to group or others (mode %03o): "
			 "chmod 600 %s", file, (unsigned)(st.st_mode & 0777), file);
		close(fd);
		return -1;
	}
	char *buf = malloc(TR_SECRET_MAX + 1);
	ssize_t n = buf ? read(fd, buf, TR_SECRET_MAX + 1) : -1;
	close(fd);
	if (n < 0 || n > TR_SECRET_MAX) {
		snprintf(err, errlen, "cannot read secret file %s: %s", file,
			 n < 0 ? strerror(errno) : "longer than 4096 bytes");
		free(buf);
		return -1;
	}
	if (n > 0 && buf[n - 1] == '\n') n--;
	if (n > 0 && buf[n - 1] == '\r') n--;
	if (n == 0) {
		snprintf(err, errlen, "secret file %s is empty", file);
		free(buf);
		return -1;
	}
	*key = buf;
	*keylen = (size_t)n;
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'                 ? c - '0'
	       : (c | 32) >= 'a' && (c | 32) <= 'f' ? (c | 32) - 'a' + 10
						    : -1;
}

enum tr_sig tr_signature(const char *key, size_t keylen, const char *header,
			 const char *body, size_t len)
{
	uint8_t want[MD5_DIGEST_SIZE], got[MD5_DIGEST_SIZE];
	if (!header)
		return TR_SIG_MISSING;
	while (*header == ' ' || *header == '\t')
		header++;
	if (strncasecmp(header, "WCS", 3) || (header[3] != ' ' && header[3] != '\t'))
		return TR_SIG_BAD;
	const char *h = header + 4;
	while (*h == ' ' || *h == '\t')
		h++;
	for (int i = 0; i < MD5_DIGEST_SIZE; i++) {
		int hi = hexval(h[2 * i]), lo = hi < 0 ? -1 : hexval(h[2 * i + 1]);
		if (lo < 0)
			return TR_SIG_BAD;
		got[i] = (uint8_t)(hi << 4 | lo);
	}
	for (h += 2 * MD5_DIGEST_SIZE; *h == ' ' || *h == '\t'; h++)
		;
	if (*h)
		return TR_SIG_BAD;
	struct hmac_md5_ctx ctx;
	hmac_md5_set_key(&ctx, keylen, (const uint8_t *)key);
	hmac_md5_update(&ctx, len, (const uint8_t *)body);
	hmac_md5_digest(&ctx, MD5_DIGEST_SIZE, want);
	return memeql_sec(want, got, MD5_DIGEST_SIZE) ? TR_SIG_OK : TR_SIG_BAD;
}
