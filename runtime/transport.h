/*
 * transport.h -- the checks that come before any rule: the caller allowlist
 * (`accept from`) and the hook signature (`require signature`: WCS sends
 * `Authorization: WCS <hex HMAC-MD5 of the body>` keyed by rest_hook_secret_key).
 * No HTTP here: the server hands in the peer address and the header's value.
 */
#ifndef WCSP_TRANSPORT_H
#define WCSP_TRANSPORT_H

#include <stddef.h>
#include <sys/socket.h>
#include "wcsp_abi.h"

#define TR_SECRET_ENV "WCSP_SECRET"
#define TR_SECRET_MAX 4096

enum tr_sig { TR_SIG_OK, TR_SIG_MISSING, TR_SIG_BAD };

/* Is the peer inside one of p->accept? (Every peer is when the policy has none.) */
int tr_accept(const wcsp_policy *p, const struct sockaddr *peer);

/* The secret: the file's contents (one trailing newline dropped), refused when the file
 * is readable or writable by group or others; else $WCSP_SECRET. Returns 0 with *key
 * malloc'd, 1 when neither is given, -1 with a one-line reason in err. */
int tr_load_secret(const char *file, char **key, size_t *keylen, char *err, size_t errlen);

/* Check an Authorization header value against the HMAC-MD5 of body under key: scheme
 * "WCS", then 32 hex digits in either case; compared in constant time. */
enum tr_sig tr_signature(const char *key, size_t keylen, const char *header,
			 const char *body, size_t len);

#endif
