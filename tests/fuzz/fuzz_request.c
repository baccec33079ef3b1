/*
 * fuzz_request.c -- libFuzzer target for the request path: wcsp_decide() over the tables
 * of tests/fuzz/request.wcsp (emitted at build time by `wcspc emit`, see fuzz.mk), with the
 * policy's keys and live set loaded from tests/fuzz/ (FUZZ_DATA_DIR, set by fuzz.mk, so the
 * binary runs from any directory; FUZZ_REQUEST_DATA_DIR in the environment overrides it).
 *
 * Input: byte 0 picks the method and the clock: methods[b % (nmethods + 1)], the last
 * choice being a method the policy does not name, and clocks[b / (nmethods + 1)] (fixed
 * instants around the seed tokens' nbf and exp, or the real time read once per input);
 * the remaining bytes are the request body. (Byte 0 below nmethods + 1 is the first clock:
 * a seed keeps the method it had before clocks existed, and the server that
 * tests/hardening.sh feeds the seeds to reads byte 0 as the method alone.)
 *
 * What every reply must satisfy (abort() with a description otherwise):
 *   - status 400 (decision bad) exactly when wj_parse() refuses the body;
 *   - the app row is the body's appKey when an app block names it, else the default row;
 *   - a method the policy does not name is echoed byte for byte;
 *   - a deny has a 4xx/5xx status, names its rule, and its body is a JSON object
 *     {"error":"denied","reason":"..."};
 *   - an allowed reply is a valid JSON object; every top-level field of the request that no
 *     override of this (app, method) touches (nor restClientConfig on connect) comes back
 *     with the same bytes, and no other field appears; on connect, restClientConfig is
 *     exactly the app's derived one; a field whose last override is unconditional holds
 *     what it writes when that is known here: a constant, or a template whose fields are
 *     missing (claims of a token that is not valid among them: ""), scalars or strings;
 *   - deciding the same input twice with the same (reused) context gives the same reply and
 *     the same deciding rule and applied overrides, and so does a context without a token
 *     cache (the cache, warm with other inputs at other clocks, changes no outcome);
 *   - for an accepted body, the tables wj_parse() builds agree with jsmn's byte spans:
 *     next[] (one past each subtree), esc[] (a backslash in the string), and the sorted keys
 *     of large objects (strictly increasing by decoded bytes, so no duplicates).
 * Tokens, digests and time (tokens.md), checked against what this file works out alone:
 *   - a deny whose reason starts with "token " carries exactly {"error":"denied","reason":R}
 *     with R one of tokens.md's reasons ("token claim missing: NAME" with NAME a required
 *     claim), and R is the reply's reason; no other deny has a reason; a token's bytes
 *     never appear in a deny body (unless the policy's own text holds them);
 *   - each token is worked out by hand as far as tokens.md pins it down: missing (field
 *     absent, empty, "Bearer " alone), malformed (not a string, not three base64url parts,
 *     a header that is not a JSON object with a string alg, a kid that is not a string, a
 *     crit, undecodable signature, claims that are not an object or whose exp/nbf is not a
 *     number), algorithm not allowed (none, unknown, outside `algorithms`, no key of the
 *     right kind or JWK alg), key unknown (a kid no key has), the HMAC signatures (nettle,
 *     here), then time with leeway, issuer, audience and required claims in that order;
 *     an asymmetric signature is left to the runtime, but once it says the signature
 *     passed, the rest must agree. Where `deny unless valid T` is a chain's first rule, the
 *     reply shows T's outcome, which must be the one worked out;
 *   - every guard is evaluated here in three values (true, false, unknown): valid T, any
 *     predicate on a claim of a token known not valid (false), exists, comparisons with
 *     numbers and with now, == and != against constants, and == and != against digests
 *     (md5, sha1, sha256, sha512, their HMACs, hex, base64 and base64url, computed here
 *     with nettle from the request as received, ${KEY} the key's secret); no rule before
 *     the deciding one holds, the deciding one does not fail, and of an allowed chain's
 *     overrides none whose guard holds is skipped and none whose guard fails is applied.
 * At start-up it also checks the tables against this file's list of overridden top-level
 * names (kept by hand from request.wcsp) and every restClientConfig against the chains.
 *
 * FUZZ_REQUEST_SHOW=1 in the environment prints one line per input: method, clock,
 * status, decision, rule and reason (what a seed reaches).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nettle/hmac.h>
#include <nettle/md5.h>
#include <nettle/nettle-meta.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>

#include "crypto.h"
#include "decide.h"
#include "world.h"

#define P (&wcsp_compiled_policy)

/* The top-level names request.wcsp overrides somewhere (by hand; checked against the tables). */
static const char *const policy_overrides[] = {
	"custom", "name", "record", "meta-data", "tags", "rate", "note", "login", "published",
	"hasVideo", "wcspChecked", "payload", "status", "owner",
};
#define NPOLICY_OVERRIDES (sizeof policy_overrides / sizeof *policy_overrides)

static const char unknown_method[] = "FutureHookEvent";

/* The clocks byte 0 picks from (see the header): T0 is the seed tokens' iat; they are
 * valid from nbf = T0 - 60 to exp = T0 + 3600, viewer with leeway 30, pub with none. */
#define T0 1700000000LL
static const long long clocks[] = {
	T0,             /* every seed token valid */
	-1,             /* the real time, read once per input: every seed token expired */
	T0 + 3600,      /* at exp: pub expired, viewer still valid by its leeway */
	T0 + 3630,      /* exp + leeway: viewer expired too */
	T0 - 61,        /* before nbf: pub not yet valid, viewer valid by its leeway */
	T0 - 91,        /* before nbf - leeway: viewer not yet valid (methods 0..25 only) */
};
#define NCLOCKS (sizeof clocks / sizeof *clocks)

#ifndef FUZZ_DATA_DIR
#define FUZZ_DATA_DIR "tests/fuzz"      /* fuzz.mk passes the absolute path */
#endif

static wcsp_ctx ctx, cold;              /* cold: no token cache */
static const wcsp_world *world;
static long long now;
static uint8_t *rule_hit, *ovr_hit, *rule_hit1, *ovr_hit1;
static wj_doc req, rep;
static char *keybuf;
static size_t keycap;

/* what is being decided, for failure reports */
static const char *cur_method = "";
static unsigned cur_clock;
static int show_each;           /* FUZZ_REQUEST_SHOW: a line per input */
static const char *cur_body = "";
static size_t cur_len;
static const wcsp_reply *cur_reply;

static void show(const char *label, const char *s, size_t n)
{
	fprintf(stderr, "%s (%zu bytes): ", label, n);
	for (size_t i = 0; i < n && i < 600; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f)
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fputs(n > 600 ? "...\n" : "\n", stderr);
}

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;
	fputs("fuzz_request: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nmethod: %s, clock %u (now %lld)\n", cur_method, cur_clock, now);
	show("request", cur_body, cur_len);
	if (cur_reply) {
		fprintf(stderr, "reply status %d, decision %d, rule %s\n", cur_reply->status,
			(int)cur_reply->decision, cur_reply->rule ? cur_reply->rule : "-");
		show("reply", cur_reply->body, cur_reply->len);
	}
	abort();
}

/* ------------------------------------------------------------------ small helpers */

typedef struct names {
	const char *s[64];
	size_t n[64];
	int count;
} names;

static int names_has(const names *ns, const char *s, size_t n)
{
	for (int i = 0; i < ns->count; i++)
		if (ns->n[i] == n && !memcmp(ns->s[i], s, n))
			return 1;
	return 0;
}

static void names_add(names *ns, const char *s, size_t n)
{
	if (names_has(ns, s, n))
		return;
	if (ns->count == 64)
		fail("more than 64 overridden names: raise the limit");
	ns->s[ns->count] = s;
	ns->n[ns->count++] = n;
}

/* The top-level names the overrides of one (app row, method) chain write, first use first. */
static void chain_names(uint32_t row, uint32_t m, names *ns)
{
	const wcsp_chain *ch = &P->apps[row].chains[m];
	ns->count = 0;
	for (uint32_t i = 0; i < ch->novr; i++) {
		const wcsp_override *o = &P->overrides[wcsp_ix(P->chain_items, ch->ovr_first + i)];
		const wcsp_path *path = &P->paths[o->path];
		if (!path->nseg)
			fail("override at %s has an empty path", o->loc);
		names_add(ns, path->seg[0].s, path->seg[0].n);
	}
}

/* Decoded text of string token t of d (valid until the next call). */
static const char *decoded(const wj_doc *d, int t, size_t *n)
{
	size_t need = (size_t)(d->tok[t].end - d->tok[t].start) + 1;
	if (need > keycap) {
		char *k = realloc(keybuf, need);
		if (!k)
			fail("out of memory");
		keybuf = k;
		keycap = need;
	}
	*n = wj_str_decode(d, t, keybuf);
	return keybuf;
}

static int raw_equal(const wj_doc *a, int ta, const wj_doc *b, int tb)
{
	size_t a0, a1, b0, b1;
	wj_span(a, ta, &a0, &a1);
	wj_span(b, tb, &b0, &b1);
	return a1 - a0 == b1 - b0 && !memcmp(a->buf + a0, b->buf + b0, a1 - a0);
}

static int raw_is(const wj_doc *d, int t, const char *s, size_t n)
{
	size_t a, b;
	wj_span(d, t, &a, &b);
	return b - a == n && !memcmp(d->buf + a, s, n);
}

/* ------------------------------------------------------------------ growable buffers */

typedef struct buf {
	char *s;
	size_t cap;
} buf;

static char *room(buf *b, size_t n)
{
	if (n + 1 > b->cap) {
		size_t cap = (n + 1) * 2;
		char *q = realloc(b->s, cap);
		if (!q)
			fail("out of memory");
		b->s = q;
		b->cap = cap;
	}
	return b->s;
}

static void put(buf *b, size_t *at, const char *s, size_t n)
{
	room(b, *at + n);
	if (n)
		memcpy(b->s + *at, s, n);
	*at += n;
}

/* s[0..n) inside h[0..hn) */
static int contains(const char *h, size_t hn, const char *s, size_t n)
{
	for (size_t i = 0; n && i + n <= hn; i++)
		if (h[i] == s[0] && !memcmp(h + i, s, n))
			return 1;
	return 0;
}

/* Where a path's segments lead in document d (the request, or a token's claims), or -1. */
static int lookup(const wj_doc *d, const wcsp_path *path)
{
	int t = 0;
	for (uint32_t i = 0; i < path->nseg && t >= 0; i++)
		t = wj_kind(d, t) == WJ_OBJECT ? wj_get(d, t, path->seg[i].s, path->seg[i].n) : -1;
	return t;
}

/* String token t of d decodes to exactly s[0..n) (worked out with decoded(), not wj_str_eq) */
static int str_is(const wj_doc *d, int t, const char *s, size_t n)
{
	size_t k;
	const char *x = decoded(d, t, &k);
	return k == n && !memcmp(x, s, n);
}

/* ------------------------------------------------------------------ tokens, by hand */

/* tokens.md's failure reasons, in the order of enum wcsp_token_failure */
static const char *const token_reasons[] = {
	"token missing", "token malformed", "token algorithm not allowed", "token key unknown",
	"token signature invalid", "token expired", "token not yet valid",
	"token issuer not accepted", "token audience not accepted",
};
#define NREASONS (sizeof token_reasons / sizeof *token_reasons)
static const char claim_reason[] = "token claim missing: ";

/* tokens.md's algorithms, in the order of enum wcsp_alg */
static const char *const alg_names[] = { "HS256", "HS384", "HS512", "RS256", "RS384",
					 "RS512", "PS256", "ES256", "ES384", "EdDSA" };
#define NALGS (sizeof alg_names / sizeof *alg_names)

/* What a token is, as far as this file can tell: */
#define TS_UNKNOWN (-3) /* it cannot: an asymmetric signature, or what tokens.md leaves open */
#define TS_INVALID (-2) /* not valid, for a reason tokens.md does not pin down */
#define TS_VALID (-1)
/* >= 0: that failure (enum wcsp_token_failure; WCSP_T_CLAIM + i: required claim i) */

typedef struct tokref {
	int done;               /* worked out for the current input */
	int status;             /* TS_* or a failure */
	int if_signed;          /* status TS_UNKNOWN for want of a signature check: what the
				   token is once the runtime says its signature passed */
	int has_claims;         /* status TS_VALID: cdoc holds the claims */
	buf text, head, sig, claims, kid;
	wj_doc hdoc, cdoc;
} tokref;
static tokref *refs;            /* [P->ntokens] */

static int known_invalid(int st) { return st >= 0 || st == TS_INVALID; }

static const char *outcome_name(const wcsp_token *tk, int st)
{
	static char b[300];
	if (st == TS_VALID)
		return "valid";
	if (st == TS_INVALID)
		return "not valid";
	if (st == TS_UNKNOWN)
		return "unknown";
	if (st < (int)NREASONS)
		return token_reasons[st];
	const wcsp_str *c = &P->strs[tk->claim_first + (uint32_t)(st - WCSP_T_CLAIM)];
	snprintf(b, sizeof b, "%s%.*s", claim_reason, (int)c->n, c->s);
	return b;
}

/* The failure reason s[0..n) names for token tk, or -1. */
static int reason_index(const wcsp_token *tk, const char *s, size_t n)
{
	size_t cl = sizeof claim_reason - 1;
	for (size_t i = 0; i < NREASONS; i++)
		if (strlen(token_reasons[i]) == n && !memcmp(token_reasons[i], s, n))
			return (int)i;
	if (n > cl && !memcmp(s, claim_reason, cl))
		for (uint32_t i = 0; i < tk->nclaims; i++) {
			const wcsp_str *c = &P->strs[tk->claim_first + i];
			if (c->n == n - cl && !memcmp(c->s, s + cl, c->n))
				return WCSP_T_CLAIM + (int)i;
		}
	return -1;
}

enum { B64_OK, B64_BAD, B64_OPEN };

static int b64_value(unsigned char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* s[0..n) as base64url (RFC 7515: no padding) into b, its length in *len. B64_BAD: not
 * base64url at all (a character outside the alphabet, '=' inside, a length no encoding
 * has); B64_OPEN: trailing '=' or non-zero trailing bits, which tokens.md leaves open. */
static int b64url_decode(const char *s, size_t n, buf *b, size_t *len)
{
	size_t body = n, k = 0;
	while (body && s[body - 1] == '=')
		body--;
	for (size_t i = 0; i < body; i++)
		if (b64_value((unsigned char)s[i], 1) < 0)
			return B64_BAD;
	if (body % 4 == 1)
		return B64_BAD;
	unsigned char *o = (unsigned char *)room(b, body);
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < body; i++) {
		acc = acc << 6 | (uint32_t)b64_value((unsigned char)s[i], 1);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	*len = k;
	return body != n || acc ? B64_OPEN : B64_OK;
}

static size_t b64_encode(int url, const uint8_t *in, size_t n, char *out)
{
	const char *abc = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			      : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t k = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);
		out[k++] = abc[v >> 18];
		out[k++] = abc[v >> 12 & 63];
		if (i + 1 < n)
			out[k++] = abc[v >> 6 & 63];
		if (i + 2 < n)
			out[k++] = abc[v & 63];
	}
	return k;       /* no padding: both sides are compared without it */
}

/* Which algorithms a key kind verifies (tokens.md: an HMAC secret only HS*, an RSA key only
 * RS* and PS*, an EC key only its ES*, Ed25519 only EdDSA). */
static int kind_verifies(int kind, unsigned alg)
{
	const char *a = alg_names[alg];
	switch (kind) {
	case WK_SECRET: return a[0] == 'H';
	case WK_RSA: return a[0] == 'R' || a[0] == 'P';
	case WK_EC256: return !strcmp(a, "ES256");
	case WK_EC384: return !strcmp(a, "ES384");
	case WK_ED25519: return !strcmp(a, "EdDSA");
	}
	return 0;
}

/* HS256/384/512 (alg 0, 1, 2) of in[0..n) keyed by k is sig[0..sn) */
static int hmac_verifies(const wcsp_keyent *k, unsigned alg, const char *in, size_t n,
			 const uint8_t *sig, size_t sn)
{
	uint8_t mac[SHA512_DIGEST_SIZE];
	size_t len;
	const uint8_t *m = (const uint8_t *)in;
	if (alg == 0) {
		struct hmac_sha256_ctx c;
		hmac_sha256_set_key(&c, k->len, k->secret);
		hmac_sha256_update(&c, n, m);
		hmac_sha256_digest(&c, len = SHA256_DIGEST_SIZE, mac);
	} else if (alg == 1) {
		struct hmac_sha384_ctx c;
		hmac_sha384_set_key(&c, k->len, k->secret);
		hmac_sha384_update(&c, n, m);
		hmac_sha384_digest(&c, len = SHA384_DIGEST_SIZE, mac);
	} else {
		struct hmac_sha512_ctx c;
		hmac_sha512_set_key(&c, k->len, k->secret);
		hmac_sha512_update(&c, n, m);
		hmac_sha512_digest(&c, len = SHA512_DIGEST_SIZE, mac);
	}
	return sn == len && !memcmp(mac, sig, len);
}

/* The claims (the base64url part[0..n)) into f->cdoc: 1 when they are malformed (they do
 * not decode, are no JSON object, or their exp or nbf is no number), 0 when they are not,
 * -1 when tokens.md leaves it open (padding, or past the runtime's limit). */
static int claims_malformed(tokref *f, const char *part, size_t n)
{
	size_t len;
	int rc = b64url_decode(part, n, &f->claims, &len);
	if (rc == B64_BAD)
		return 1;
	if (rc == B64_OPEN || len + 8 > JWT_PAYLOAD_MAX)
		return -1;
	wj_doc *d = &f->cdoc;
	if (wj_parse(d, f->claims.s, len, NULL))
		return 1;
	int xt = wj_get(d, 0, "exp", 3), nt = wj_get(d, 0, "nbf", 3);
	return (xt >= 0 && wj_kind(d, xt) != WJ_NUMBER) || (nt >= 0 && wj_kind(d, nt) != WJ_NUMBER);
}

/* What well-formed claims (in f->cdoc) make of token tk at now: time with leeway, then
 * issuer, audience and required claims. */
static int claims_outcome(const wcsp_token *tk, tokref *f)
{
	wj_doc *d = &f->cdoc;
	int xt = wj_get(d, 0, "exp", 3), nt = wj_get(d, 0, "nbf", 3);
	if (xt >= 0 && !((double)now < wj_number(d, xt) + tk->leeway))
		return WCSP_T_EXPIRED;
	if (nt >= 0 && (double)now < wj_number(d, nt) - tk->leeway)
		return WCSP_T_NOT_YET;
	if (tk->niss) {
		int t = wj_get(d, 0, "iss", 3), ok = 0;
		for (uint32_t i = 0; t >= 0 && wj_kind(d, t) == WJ_STRING && i < tk->niss; i++)
			ok |= str_is(d, t, P->strs[tk->iss_first + i].s,
				     P->strs[tk->iss_first + i].n);
		if (!ok)
			return WCSP_T_ISSUER;
	}
	if (tk->naud) {
		int t = wj_get(d, 0, "aud", 3), ok = 0;
		int first = t, end = t + 1;     /* a string, or each element of an array */
		if (t >= 0 && wj_kind(d, t) == WJ_ARRAY)
			first = t + 1, end = d->next[t];
		for (int e = first; t >= 0 && e < end; e = d->next[e])
			for (uint32_t i = 0; wj_kind(d, e) == WJ_STRING && i < tk->naud; i++)
				ok |= str_is(d, e, P->strs[tk->aud_first + i].s,
					     P->strs[tk->aud_first + i].n);
		if (!ok)
			return WCSP_T_AUDIENCE;
	}
	for (uint32_t i = 0; i < tk->nclaims; i++) {
		const wcsp_str *c = &P->strs[tk->claim_first + i];
		if (wj_get(d, 0, c->s, c->n) < 0)
			return WCSP_T_CLAIM + (int)i;
	}
	return TS_VALID;
}

/*
 * Token t of the request, worked out from tokens.md alone (with nettle for HMACs). Its
 * steps: the text (less "Bearer "), three parts, the header, the algorithm, the keys, the
 * signature, the claims. tokens.md does not say which reason a token with two defects
 * gets when one of them is an encoding (an algorithm refused, a key unknown or an HMAC that
 * fails, and a signature or claims that do not decode): any failure then.
 */
static int token_status(uint32_t t, tokref *f)
{
	const wcsp_token *tk = &P->tokens[t];
	f->if_signed = TS_UNKNOWN;
	f->has_claims = 0;
	int ft = lookup(&req, &P->paths[tk->path]);
	if (ft < 0)
		return WCSP_T_MISSING;
	if (wj_kind(&req, ft) != WJ_STRING)
		return WCSP_T_MALFORMED;
	size_t n;
	const char *x = decoded(&req, ft, &n);
	char *s = room(&f->text, n);
	memcpy(s, x, n);
	if (n >= 7 && !memcmp(s, "Bearer ", 7))
		s += 7, n -= 7;
	if (!n)
		return WCSP_T_MISSING;
	if (n > JWT_MAX)
		return TS_UNKNOWN;      /* the runtime's limit, which tokens.md leaves open */
	const char *d1 = memchr(s, '.', n),
		   *d2 = d1 ? memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - s)) : NULL;
	if (!d2 || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - s)))
		return WCSP_T_MALFORMED;
	size_t hn, sn;
	int rc = b64url_decode(s, (size_t)(d1 - s), &f->head, &hn);
	if (rc == B64_BAD)
		return WCSP_T_MALFORMED;
	if (rc == B64_OPEN || hn + 8 > 1024)
		return TS_UNKNOWN;      /* (1024: the runtime's header limit) */
	wj_doc *h = &f->hdoc;
	if (wj_parse(h, f->head.s, hn, NULL))
		return WCSP_T_MALFORMED;
	int at = wj_get(h, 0, "alg", 3), kt = wj_get(h, 0, "kid", 3);
	if (at < 0 || wj_kind(h, at) != WJ_STRING || (kt >= 0 && wj_kind(h, kt) != WJ_STRING) ||
	    wj_get(h, 0, "crit", 4) >= 0)
		return WCSP_T_MALFORMED;
	/* the signature and the claims as encodings: a defect there blurs a later reason */
	int src = b64url_decode(d2 + 1, n - (size_t)(d2 + 1 - s), &f->sig, &sn);
	int cm = claims_malformed(f, d1 + 1, (size_t)(d2 - d1 - 1));
	int blur = src != B64_OK || sn + 8 > 1024 || cm != 0;
	unsigned alg = NALGS;
	for (unsigned a = 0; a < NALGS; a++)
		if (str_is(h, at, alg_names[a], strlen(alg_names[a])))
			alg = a;
	if (alg == NALGS || (tk->algs && !(tk->algs & 1u << alg)))
		return blur ? TS_INVALID : WCSP_T_ALGORITHM;    /* "none" among them */
	size_t kn = 0;
	const char *kid = NULL;
	if (kt >= 0) {
		x = decoded(h, kt, &kn);
		kid = memcpy(room(&f->kid, kn), x, kn);
	}
	/* the keys: with a kid, those that carry it; of those, the ones that verify alg */
	const wcsp_keyent *use[64];
	int nuse = 0, kid_found = 0;
	for (uint32_t i = 0; i < tk->nkeys; i++) {
		const wcsp_keyset *ks = &world->keys[P->token_keys[tk->key_first + i]];
		for (int j = 0; j < ks->n; j++) {
			const wcsp_keyent *k = &ks->ent[j];
			if (kid && !(k->kid && k->kidlen == kn && !memcmp(k->kid, kid, kn)))
				continue;
			kid_found = 1;
			if (!kind_verifies(k->kind, alg) || (k->alg >= 0 && k->alg != (int)alg))
				continue;
			if (nuse == 64)
				fail("more than 64 keys verify one token: raise the limit");
			use[nuse++] = k;
		}
	}
	if (!nuse && blur)
		return TS_INVALID;
	if (!nuse)
		return kid && !kid_found ? WCSP_T_KEY_UNKNOWN : WCSP_T_ALGORITHM;
	if (src == B64_BAD)
		return WCSP_T_MALFORMED;
	if (src == B64_OPEN || sn + 8 > 1024)
		return TS_UNKNOWN;      /* (1024: the runtime's signature limit) */
	int post = cm > 0 ? WCSP_T_MALFORMED : cm < 0 ? TS_UNKNOWN : claims_outcome(tk, f);
	if (alg > 2) {                  /* an asymmetric signature: the runtime's word */
		f->if_signed = post;
		return TS_UNKNOWN;
	}
	int ok = 0;
	for (int i = 0; i < nuse && !ok; i++)
		ok = hmac_verifies(use[i], alg, s, (size_t)(d2 - s), (const uint8_t *)f->sig.s, sn);
	if (!ok)
		return blur ? TS_INVALID : WCSP_T_SIGNATURE;
	f->has_claims = post == TS_VALID;
	return post;
}

static tokref *token_ref(uint32_t t)
{
	tokref *f = &refs[t];
	if (!f->done) {
		f->done = 1;
		f->status = token_status(t, f);
	}
	return f;
}

/* The reply says token t's outcome is obs: it must be what tokens.md makes of it. */
static void check_outcome(uint32_t t, int obs, const char *how)
{
	const wcsp_token *tk = &P->tokens[t];
	tokref *f = token_ref(t);
	int want = f->status;
	if (want == TS_UNKNOWN) {
		if (obs == WCSP_T_SIGNATURE || f->if_signed == TS_UNKNOWN)
			return;
		want = f->if_signed;    /* the signature passed: the rest is known */
	}
	if (want == TS_INVALID ? obs == TS_VALID : obs != want) {
		char o[300];
		snprintf(o, sizeof o, "%s", outcome_name(tk, obs));
		fail("token %.*s: %s \"%s\", but tokens.md makes it \"%s\"%s", (int)tk->name.n,
		     tk->name.s, how, o, outcome_name(tk, want),
		     f->status == TS_UNKNOWN ? " (once its signature passed)" : "");
	}
}

/* ------------------------------------------------------------------ guards, by hand */

enum { NO, YES, MAYBE };

/* Where path row i leads: YES with (*d, *t); NO: missing (a claim of a token that is not
 * valid among them); MAYBE: a claim this file cannot read. */
static int ref_path(uint32_t i, const wj_doc **d, int *t)
{
	const wcsp_path *path = &P->paths[i];
	if (path->token == WCSP_NONE) {
		*d = &req;
		*t = lookup(&req, path);
		return *t >= 0 ? YES : NO;
	}
	tokref *f = token_ref(path->token);
	if (known_invalid(f->status))
		return NO;
	if (!f->has_claims)
		return MAYBE;
	*d = &f->cdoc;
	*t = lookup(&f->cdoc, path);
	return *t >= 0 ? YES : NO;
}

/* The HMAC secret of key row k in the world: its first secret entry, or NULL. */
static const wcsp_keyent *secret_of(uint32_t k)
{
	const wcsp_keyset *ks = &world->keys[k];
	for (int i = 0; i < ks->n; i++)
		if (ks->ent[i].kind == WK_SECRET)
			return &ks->ent[i];
	return NULL;
}

static buf dig;

union hash_ctx {
	struct md5_ctx md5;
	struct sha1_ctx sha1;
	struct sha256_ctx sha256;
	struct sha512_ctx sha512;
};

/* hash (enum wcsp_hash) of in[0..n) into out, an HMAC keyed by k unless k is NULL */
static size_t hash_of(unsigned hash, const wcsp_keyent *k, const uint8_t *in, size_t n,
		      uint8_t *out)
{
	static const struct nettle_hash *const hs[] = { &nettle_md5, &nettle_sha1, &nettle_sha256,
							&nettle_sha512 };
	const struct nettle_hash *h = hs[hash];
	union hash_ctx outer, inner, state;
	if (k) {
		hmac_set_key(&outer, &inner, &state, h, k->len, k->secret);
		hmac_update(&state, h, n, in);
		hmac_digest(&outer, &inner, &state, h, h->digest_size, out);
	} else {
		h->init(&state);
		h->update(&state, n, in);
		h->digest(&state, h->digest_size, out);
	}
	return h->digest_size;
}

/* Does field (fd, ft) equal digest row di of its template rendered from the request as
 * received? YES, NO, MAYBE (a claim this file cannot read), or -1: it cannot be computed
 * (no secret for the key), so neither == nor != holds. */
static int ref_digest(uint32_t di, const wj_doc *fd, int ft)
{
	const wcsp_digest *g = &P->digests[di];
	const wcsp_keyent *hk = NULL;
	if (g->hash > WCSP_H_SHA512 || g->enc > WCSP_E_BASE64URL)
		fail("digest row %u has hash %u, encoding %u", di, g->hash, g->enc);
	if (g->key != WCSP_NONE && !(hk = secret_of(g->key)))
		return -1;
	size_t n = 0;
	for (uint32_t i = 0; i < g->nparts; i++) {
		const wcsp_tpart *tp = &P->tparts[g->part_first + i];
		const char *s = tp->lit.s;
		size_t len = tp->lit.n;
		if (tp->key != WCSP_NONE) {
			const wcsp_keyent *k = secret_of(tp->key);
			if (!k)
				return -1;
			s = (const char *)k->secret;
			len = k->len;
		} else if (tp->path != WCSP_NONE) {
			const wj_doc *d;
			int t, w = ref_path(tp->path, &d, &t);
			if (w == MAYBE)
				return MAYBE;
			len = 0;
			if (w == YES && wj_kind(d, t) == WJ_STRING)
				s = decoded(d, t, &len);        /* strings decoded */
			else if (w == YES) {
				size_t a, b;                    /* others: their JSON text */
				wj_span(d, t, &a, &b);
				s = d->buf + a;
				len = b - a;
			}
		}
		put(&dig, &n, s, len);
	}
	if (wj_kind(fd, ft) != WJ_STRING)
		return NO;
	uint8_t raw[SHA512_DIGEST_SIZE];
	char want[2 * SHA512_DIGEST_SIZE];
	size_t rn = hash_of(g->hash, hk, (const uint8_t *)room(&dig, n), n, raw), wn = 0, fn;
	const char *field = decoded(fd, ft, &fn);
	if (g->enc == WCSP_E_HEX) {
		for (size_t i = 0; i < rn; i++) {
			want[wn++] = "0123456789abcdef"[raw[i] >> 4];
			want[wn++] = "0123456789abcdef"[raw[i] & 15];
		}
		if (fn != wn)
			return NO;
		for (size_t i = 0; i < fn; i++) {       /* hex: case does not matter */
			char c = field[i];
			if ((c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c) != want[i])
				return NO;
		}
		return YES;
	}
	wn = b64_encode(g->enc == WCSP_E_BASE64URL, raw, rn, want);
	while (fn && field[fn - 1] == '=')              /* padding ignored on both sides */
		fn--;
	return fn == wn && !memcmp(field, want, wn) ? YES : NO;
}

/* Does condition row ci hold for the request, as far as this file can tell? */
static int tri(uint32_t ci)
{
	if (ci == WCSP_NONE)
		return YES;
	const wcsp_cond *k = &P->conds[ci];
	int a, b;
	switch (k->op) {
	case WCSP_C_AND:
		if ((a = tri(k->a)) == NO || (b = tri(k->b)) == NO)
			return NO;
		return a == YES && b == YES ? YES : MAYBE;
	case WCSP_C_OR:
		if ((a = tri(k->a)) == YES || (b = tri(k->b)) == YES)
			return YES;
		return a == NO && b == NO ? NO : MAYBE;
	case WCSP_C_NOT:
		a = tri(k->a);
		return a == MAYBE ? MAYBE : a == YES ? NO : YES;
	case WCSP_C_VALID: {
		int st = token_ref(k->a)->status;
		return st == TS_VALID ? YES : known_invalid(st) ? NO : MAYBE;
	}
	default: break;
	}
	const wj_doc *d, *bd;
	int t, bt, w = ref_path(k->a, &d, &t);
	if (w != YES)
		return w;               /* a predicate on a missing field (or claim) is false */
	if (k->op == WCSP_C_EXISTS)
		return YES;
	if (k->op == WCSP_C_IN)
		return MAYBE;
	if (k->op == WCSP_C_IN_ARRAY) {
		if ((w = ref_path(k->b, &bd, &bt)) != YES)
			return w;
		return wj_kind(bd, bt) == WJ_ARRAY ? MAYBE : NO;
	}
	const wcsp_value *v = &P->values[k->b];
	enum wj_kind kind = wj_kind(d, t);
	int eq;
	switch (k->op) {
	case WCSP_C_EQ:
	case WCSP_C_NE:
		switch (v->kind) {
		case WCSP_V_STRING:
			eq = kind == WJ_STRING && str_is(d, t, v->str.s, v->str.n);
			break;
		case WCSP_V_NUMBER: eq = kind == WJ_NUMBER && wj_number(d, t) == v->num; break;
		case WCSP_V_TRUE: eq = kind == WJ_TRUE; break;
		case WCSP_V_FALSE: eq = kind == WJ_FALSE; break;
		case WCSP_V_NULL: eq = kind == WJ_NULL; break;
		case WCSP_V_PATH:       /* against a missing field neither == nor != holds */
			return ref_path(v->path, &bd, &bt) == NO ? NO : MAYBE;
		case WCSP_V_DIGEST:
			if ((w = ref_digest(v->path, d, t)) == MAYBE)
				return MAYBE;
			if (w < 0)
				return NO;      /* not computable: neither == nor != holds */
			eq = w == YES;
			break;
		default: return MAYBE;
		}
		return (k->op == WCSP_C_EQ) == eq ? YES : NO;
	case WCSP_C_LT:
	case WCSP_C_LE:
	case WCSP_C_GT:
	case WCSP_C_GE: {
		if (kind != WJ_NUMBER)
			return NO;
		if (v->kind != WCSP_V_NUMBER && v->kind != WCSP_V_NOW)
			return MAYBE;
		double x = wj_number(d, t);
		double y = v->kind == WCSP_V_NOW ? (double)now + v->num : v->num;
		int r = k->op == WCSP_C_LT ? x < y : k->op == WCSP_C_LE ? x <= y
			: k->op == WCSP_C_GT ? x > y : x >= y;
		return r ? YES : NO;
	}
	default: return MAYBE;  /* globs */
	}
}

/* The JSON an override writing template v puts in the reply, when this file knows it:
 * literals as they are (JSON-escaped in the tables), fields missing as "", strings as their
 * escaped text, other scalars as their JSON text. 0: it does not know (objects and arrays,
 * claims it cannot read). */
static int ref_template(const wcsp_value *v, buf *b, size_t *n)
{
	*n = 0;
	put(b, n, "\"", 1);
	for (uint32_t i = 0; i < v->nparts; i++) {
		const wcsp_tpart *tp = &P->tparts[v->part_first + i];
		if (tp->path == WCSP_NONE) {
			put(b, n, tp->lit.s, tp->lit.n);
			continue;
		}
		const wj_doc *d;
		int t, w = ref_path(tp->path, &d, &t);
		if (w == MAYBE)
			return 0;
		if (w == NO)
			continue;
		enum wj_kind kind = wj_kind(d, t);
		size_t a, e;
		if (kind == WJ_OBJECT || kind == WJ_ARRAY)
			return 0;
		wj_span(d, t, &a, &e);
		if (kind == WJ_STRING)
			a++, e--;
		put(b, n, d->buf + a, e - a);
	}
	put(b, n, "\"", 1);
	return 1;
}

/* ------------------------------------------------------------------ start-up checks */

/* The restClientConfig of app row `row` agrees with the chains: restOverwrite lists the
 * top-level names the chain's overrides write, in first-use order; OVERWRITE iff any. */
static void check_rcc(uint32_t row)
{
	const wcsp_str *rcc = &P->apps[row].rcc;
	const char *why;
	wj_doc d;
	if (!rcc->n)
		return;
	wj_init(&d);
	if (wj_parse(&d, rcc->s, rcc->n, &why))
		fail("restClientConfig of app row %u is not a JSON object: %s", row, why);
	for (int k = 1; k < d.next[0]; k = d.next[k + 1]) {
		size_t n;
		const char *name = decoded(&d, k, &n);
		uint32_t m = wcsp_find_method(P, name, n);
		if (m == WCSP_NONE)
			fail("restClientConfig of app row %u names %.*s, which is not in the "
			     "method table",
			     row, (int)n, name);
		if (m == P->connect)
			fail("restClientConfig of app row %u has an entry for connect", row);
		names ns;
		chain_names(row, m, &ns);
		char want[1024];
		size_t w = 0;
		for (int i = 0; i < ns.count; i++)
			w += (size_t)snprintf(want + w, sizeof want - w, "%s%.*s", i ? "," : "",
					      (int)ns.n[i], ns.s[i]);
		int ov = wj_get(&d, k + 1, "restOverwrite", 13),
		    po = wj_get(&d, k + 1, "restPolicy", 10);
		if (ov < 0 || po < 0 || wj_kind(&d, ov) != WJ_STRING ||
		    wj_kind(&d, po) != WJ_STRING)
			fail("restClientConfig entry %.*s of app row %u lacks "
			     "restOverwrite/restPolicy",
			     (int)n, name, row);
		if (!wj_str_eq(&d, ov, want, w))
			fail("restClientConfig of app row %u: %.*s restOverwrite is not \"%s\"",
			     row, (int)n, name, want);
		int overwrite = wj_str_eq(&d, po, "OVERWRITE", 9);
		if (overwrite != (ns.count > 0))
			fail("restClientConfig of app row %u: %.*s restPolicy disagrees with its "
			     "%d "
			     "overridden names",
			     row, (int)n, name, ns.count);
	}
	wj_free(&d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	wj_check_jsmn = 1;      /* the validating pass's tokens against jsmn's, on every body */
	if (P->abi != WCSP_ABI_VERSION || !P->nmethods || P->connect >= P->nmethods)
		fail("the compiled policy has ABI %u, %u methods, connect at %u", P->abi,
		     P->nmethods, P->connect);
	/* the hand list and the tables name the same overridden top-level fields */
	names all = { .count = 0 };
	for (uint32_t i = 0; i < P->noverrides; i++) {
		const wcsp_path *path = &P->paths[P->overrides[i].path];
		names_add(&all, path->seg[0].s, path->seg[0].n);
	}
	for (size_t i = 0; i < NPOLICY_OVERRIDES; i++)
		if (!names_has(&all, policy_overrides[i], strlen(policy_overrides[i])))
			fail("request.wcsp no longer overrides '%s': update policy_overrides[]",
			     policy_overrides[i]);
	for (int i = 0; i < all.count; i++) {
		size_t j;
		for (j = 0; j < NPOLICY_OVERRIDES; j++)
			if (strlen(policy_overrides[j]) == all.n[i] &&
			    !memcmp(policy_overrides[j], all.s[i], all.n[i]))
				break;
		if (j == NPOLICY_OVERRIDES)
			fail("request.wcsp overrides '%.*s', which policy_overrides[] lacks",
			     (int)all.n[i], all.s[i]);
	}
	for (uint32_t row = 0; row <= P->napps; row++)
		check_rcc(row);

	/* tokens and digests: this file's lists agree with the ABI, the policy uses them, and no
	 * deny of its own gives a reason that looks like a token's */
	if (NALGS != WCSP_NALGS || NREASONS != WCSP_T_CLAIM)
		fail("tokens.md lists %zu algorithms and %zu reasons, the ABI %d and %d", NALGS,
		     NREASONS, WCSP_NALGS, WCSP_T_CLAIM);
	for (unsigned a = 0; a < NALGS; a++)
		if (strcmp(alg_names[a], wcsp_alg_names[a]))
			fail("algorithm %u is %s here, %s in the ABI", a, alg_names[a],
			     wcsp_alg_names[a]);
	if (!P->ntokens || !P->ndigests || !P->jwt || !P->digest || !world_nlive(P))
		fail("request.wcsp no longer has tokens, digests and a live set");
	for (uint32_t i = 0; i < P->nrules; i++) {
		const wcsp_rule *r = &P->rules[i];
		if (r->kind == WCSP_R_DENY && r->token == WCSP_NONE &&
		    contains(r->body.s, r->body.n, "\"reason\":\"token ",
			     sizeof "\"reason\":\"token " - 1))
			fail("the deny at %s has a reason starting \"token \": the checks here "
			     "take it for a token's",
			     r->loc);
	}
	show_each = getenv("FUZZ_REQUEST_SHOW") != NULL;
	const char *dir = getenv("FUZZ_REQUEST_DATA_DIR");
	char err[512];
	if (!dir || !*dir)
		dir = FUZZ_DATA_DIR;
	if (!(world = world_load(P, dir, err, sizeof err)))
		fail("cannot load the keys and live set of request.wcsp from %s: %s", dir, err);
	if (!(refs = calloc(P->ntokens, sizeof *refs)) ||
	    !(rule_hit = calloc(P->nrules + 1, 1)) || !(rule_hit1 = calloc(P->nrules + 1, 1)) ||
	    !(ovr_hit = calloc(P->noverrides + 1, 1)) || !(ovr_hit1 = calloc(P->noverrides + 1, 1)))
		fail("out of memory");
	for (uint32_t t = 0; t < P->ntokens; t++) {
		wj_init(&refs[t].hdoc);
		wj_init(&refs[t].cdoc);
	}
	wcsp_ctx_init(&ctx);
	wcsp_ctx_init(&cold);
	ctx.world = cold.world = world;
	cold.token_cache = 0;
	ctx.rule_hit = cold.rule_hit = rule_hit;
	ctx.ovr_hit = cold.ovr_hit = ovr_hit;
	wj_init(&req);
	wj_init(&rep);
	return 0;
}

/* ------------------------------------------------------------------ per input */

/* The app row the body's appKey selects (decided independently of decide.c). */
static uint32_t expected_row(void)
{
	int t = wj_get(&req, 0, "appKey", 6);
	if (t < 0 || wj_kind(&req, t) != WJ_STRING)
		return P->napps;
	size_t n;
	const char *k = decoded(&req, t, &n);
	for (uint32_t a = 0; a < P->napps; a++)
		if (P->apps[a].key.n == n && !memcmp(P->apps[a].key.s, k, n))
			return a;
	return P->napps;
}

static buf reason;       /* the decoded reason of the last deny checked */
static size_t reason_len;

static void check_deny(const wcsp_reply *r)
{
	const char *why;
	if (r->status < 401 || r->status > 599)
		fail("deny with status %d", r->status);
	if (!r->rule)
		fail("a deny that names no rule");
	if (wj_parse(&rep, r->body, r->len, &why))
		fail("deny body is not a JSON object: %s", why);
	int e = wj_get(&rep, 0, "error", 5), re = wj_get(&rep, 0, "reason", 6);
	if (e < 0 || !wj_str_eq(&rep, e, "denied", 6) || re < 0 || wj_kind(&rep, re) != WJ_STRING)
		fail("deny body is not {\"error\":\"denied\",\"reason\":...}");
	size_t n;
	const char *x = decoded(&rep, re, &n);
	reason_len = 0;
	put(&reason, &reason_len, x, n);
}

/* A deny that reports a token's failure: tokens.md's reason, nothing else in the body, the
 * same reason for the access log; and no deny body carries a token's bytes. */
static void check_token_deny(const wcsp_reply *r, const wcsp_rule *rule)
{
	const char *rs = room(&reason, reason_len);
	int is_token = reason_len >= 6 && !memcmp(rs, "token ", 6);
	if (is_token) {
		if (!rule || rule->token == WCSP_NONE)
			fail("a deny gives the token reason \"%.*s\", but its rule is no "
			     "`deny unless valid T`",
			     (int)reason_len, rs);
		if (reason_index(&P->tokens[rule->token], rs, reason_len) < 0)
			fail("token reason \"%.*s\" is none of tokens.md's", (int)reason_len, rs);
		int members = 0;
		for (int k = 1; k < rep.next[0]; k = rep.next[k + 1])
			members++;
		if (members != 2)
			fail("a token failure's body has %d members, not error and reason",
			     members);
		if (!r->reason || strlen(r->reason) != reason_len ||
		    memcmp(r->reason, rs, reason_len))
			fail("the reply's reason (for the log) is \"%s\", the body's \"%.*s\"",
			     r->reason ? r->reason : "(none)", (int)reason_len, rs);
	} else if (r->reason)
		fail("a deny with reason \"%.*s\" reports \"%s\" to the log", (int)reason_len, rs,
		     r->reason);
	for (uint32_t t = 0; t < P->ntokens; t++) {
		int ft = lookup(&req, &P->paths[P->tokens[t].path]);
		if (ft < 0 || wj_kind(&req, ft) != WJ_STRING)
			continue;
		size_t n;
		const char *x = decoded(&req, ft, &n);
		if (n >= 7 && !memcmp(x, "Bearer ", 7))
			x += 7, n -= 7;
		if (n < 16 || !contains(r->body, r->len, x, n))
			continue;
		/* only where the policy's own text has those bytes */
		int policy_text = 0;
		for (uint32_t i = 0; i < P->nrules && !policy_text; i++)
			policy_text = contains(P->rules[i].body.s, P->rules[i].body.n, x, n);
		for (uint32_t i = 0; i < P->ntokens && !policy_text; i++)
			for (uint32_t j = 0; j < WCSP_T_CLAIM + P->tokens[i].nclaims; j++)
				policy_text |= contains(P->tokens[i].bodies[j].s,
							P->tokens[i].bodies[j].n, x, n);
		if (!policy_text)
			fail("the deny body carries the bytes of token %.*s",
			     (int)P->tokens[t].name.n, P->tokens[t].name.s);
	}
}

/* The chain of (row, m) decided r: its rules and overrides against the guards worked out
 * here, and what its `deny unless valid T` rules show of their tokens. */
static void check_chain(const wcsp_reply *r, uint32_t row, uint32_t m)
{
	const wcsp_chain *ch = &P->apps[row].chains[m];
	uint32_t decided = ch->nrules, hits = 0;
	for (uint32_t i = 0; i < P->nrules; i++)
		hits += rule_hit[i] != 0;
	for (uint32_t i = 0; i < ch->nrules; i++)
		if (rule_hit[wcsp_ix(P->chain_items, ch->rule_first + i)] && decided == ch->nrules)
			decided = i;
	if (hits != (decided < ch->nrules))
		fail("%u rules marked deciding, %s of the chain", hits,
		     decided < ch->nrules ? "one" : "none");
	const wcsp_rule *rule = decided < ch->nrules ?
		&P->rules[wcsp_ix(P->chain_items, ch->rule_first + decided)] : NULL;
	if (r->decision == WCSP_D_DENY) {
		if (!rule || rule->kind != WCSP_R_DENY || r->rule != rule->loc ||
		    r->status != rule->status)
			fail("a deny that is not its deciding rule's (%s)",
			     rule ? rule->loc : "none");
		check_token_deny(r, rule);
	} else if (rule ? rule->kind != WCSP_R_ALLOW || r->rule != rule->loc : r->rule != NULL)
		fail("an allow whose rule is not the deciding one (%s)", rule ? rule->loc : "none");

	for (uint32_t i = 0; i <= decided && i < ch->nrules; i++) {
		const wcsp_rule *ru = &P->rules[wcsp_ix(P->chain_items, ch->rule_first + i)];
		/* `deny unless valid T`: passed over, T is valid; deciding, the reason says
		 * why not */
		if (ru->kind == WCSP_R_DENY && ru->token != WCSP_NONE && i < decided)
			check_outcome(ru->token, TS_VALID,
				      "its `deny unless valid` was passed over:");
		else if (ru->kind == WCSP_R_DENY && ru->token != WCSP_NONE)
			check_outcome(ru->token,
				      reason_index(&P->tokens[ru->token], room(&reason, reason_len),
						   reason_len),
				      "the reply says");
		int h = tri(ru->cond);
		if (i < decided && h == YES)
			fail("the guard of the rule at %s holds, yet a later rule (or none) "
			     "decided",
			     ru->loc);
		if (i == decided && h == NO)
			fail("the rule at %s decided, yet its guard does not hold", ru->loc);
	}
	for (uint32_t i = 0; i < ch->novr; i++) {
		uint32_t oi = wcsp_ix(P->chain_items, ch->ovr_first + i);
		const wcsp_override *o = &P->overrides[oi];
		if (r->decision != WCSP_D_ALLOW) {
			if (ovr_hit[oi])
				fail("a deny applied the override at %s", o->loc);
			continue;
		}
		int h = tri(o->cond);
		if (ovr_hit[oi] && h == NO)
			fail("the override at %s was applied, yet its guard does not hold", o->loc);
		if (!ovr_hit[oi] && h == YES)
			fail("the override at %s was skipped, yet its guard holds", o->loc);
	}
}

static void check_allow(const wcsp_reply *r, uint32_t row, uint32_t m)
{
	const char *why;
	if (r->status != 200)
		fail("allow with status %d", r->status);
	if (wj_parse(&rep, r->body, r->len, &why))
		fail("the allowed reply is not a JSON object: %s", why);

	names touched;
	chain_names(row, m, &touched);
	const wcsp_str *rcc = &P->apps[row].rcc;
	int with_rcc = m == P->connect && rcc->n;
	if (with_rcc)
		names_add(&touched, "restClientConfig", 16);

	/* untouched request fields come back byte for byte */
	for (int k = 1; k < req.next[0]; k = req.next[k + 1]) {
		size_t n;
		const char *key = decoded(&req, k, &n);
		if (names_has(&touched, key, n))
			continue;
		int t = wj_get(&rep, 0, key, n);
		if (t < 0)
			fail("untouched field '%.*s' is missing from the reply", (int)n, key);
		if (!raw_equal(&req, k + 1, &rep, t))
			fail("untouched field '%.*s' changed in the reply", (int)n, key);
	}
	/* and nothing appears that no override writes */
	for (int k = 1; k < rep.next[0]; k = rep.next[k + 1]) {
		size_t n;
		const char *key = decoded(&rep, k, &n);
		if (!names_has(&touched, key, n) && wj_get(&req, 0, key, n) < 0)
			fail("the reply has a field '%.*s' that neither the request nor an "
			     "override has",
			     (int)n, key);
	}
	if (with_rcc) {
		int t = wj_get(&rep, 0, "restClientConfig", 16);
		if (t < 0 || !raw_is(&rep, t, rcc->s, rcc->n))
			fail("connect reply lacks the app's restClientConfig");
	}
	/* a field whose last override is unconditional and constant holds that constant */
	const wcsp_chain *ch = &P->apps[row].chains[m];
	for (int i = 0; i < touched.count; i++) {
		const wcsp_override *last = NULL;
		for (uint32_t j = 0; j < ch->novr; j++) {
			const wcsp_override *o =
				&P->overrides[wcsp_ix(P->chain_items, ch->ovr_first + j)];
			const wcsp_str *s0 = &P->paths[o->path].seg[0];
			if (s0->n == touched.n[i] && !memcmp(s0->s, touched.s[i], s0->n))
				last = o;
		}
		if (!last || last->cond != WCSP_NONE || P->paths[last->path].nseg != 1)
			continue;
		const wcsp_value *v = &P->values[last->value];
		static buf tv;
		const char *want = v->json.s;
		size_t wn = v->json.n;
		if (with_rcc && touched.n[i] == 16 && !memcmp(touched.s[i], "restClientConfig", 16))
			continue;
		if (v->kind == WCSP_V_TEMPLATE) {
			if (!ref_template(v, &tv, &wn))
				continue;
			want = tv.s;
		} else if (v->kind > WCSP_V_NULL)
			continue;
		int t = wj_get(&rep, 0, touched.s[i], touched.n[i]);
		if (t < 0 || !raw_is(&rep, t, want, wn))
			fail("field '%.*s' does not hold %.*s written by the unconditional "
			     "override at %s",
			     (int)touched.n[i], touched.s[i], (int)wn, want, last->loc);
	}
}

/* The tables of an accepted document, recomputed from jsmn's spans alone. */
static void check_doc(const wj_doc *d)
{
	for (int i = 0; i < d->ntok; i++) {
		const jsmntok_t *t = &d->tok[i];
		int j = i + 1;
		while (j < d->ntok && d->tok[j].start < t->end)
			j++;
		if (d->next[i] != j)
			fail("next[%d] is %d, the spans say %d", i, d->next[i], j);
		int esc = t->type == JSMN_STRING &&
			  memchr(d->buf + t->start, '\\', (size_t)(t->end - t->start));
		if (!d->esc[i] != !esc)
			fail("esc[%d] is %d, the string says %d", i, d->esc[i], esc);
		if (t->type != JSMN_OBJECT)
			continue;       /* order[] is defined for objects only */
		if ((d->order[i] >= 0) != (t->size >= 2))
			fail("object %d of %d keys has order %d", i, t->size, d->order[i]);
		if (d->order[i] < 0)
			continue;
		const int *k = d->keytok + d->order[i];
		if (t->size <= WJ_SMALL_OBJECT) {
			/* in document order, each found by wj_get() under its decoded name */
			for (int a = 0, m = i + 1; a < t->size; a++, m = d->next[m + 1]) {
				size_t yn;
				const char *y = decoded(d, m, &yn);
				if (k[a] != m)
					fail("key %d of small object %d is token %d, not %d", a, i,
					     k[a], m);
				if ((d->keyword[d->order[i] + a] == 0) != (d->esc[m] != 0))
					fail("key %d of object %d: word 0 iff escaped", a, i);
				if (wj_get(d, i, y, yn) != m + 1)
					fail("wj_get does not find key %d of object %d", a, i);
			}
			continue;
		}
		for (int a = 1; a < t->size; a++) {
			size_t xn, yn;
			const char *x = decoded(d, k[a - 1], &xn);
			char *copy = malloc(xn + 1);
			if (!copy)
				fail("out of memory");
			memcpy(copy, x, xn);
			const char *y = decoded(d, k[a], &yn);
			int r = memcmp(copy, y, xn < yn ? xn : yn);
			free(copy);
			if (r > 0 || (r == 0 && xn >= yn))
				fail("keys of object %d are not strictly sorted at %d", i, a);
			if (wj_get(d, i, y, yn) != k[a] + 1)
				fail("wj_get does not find key %d of object %d", a, i);
		}
	}
}

static int same_reply(const wcsp_reply *a, const wcsp_reply *b)
{
	return a->status == b->status && a->decision == b->decision && a->len == b->len &&
	       !memcmp(a->body, b->body, a->len) && a->rule == b->rule &&
	       !a->reason == !b->reason && (!a->reason || !strcmp(a->reason, b->reason));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t sel = data[0] % (P->nmethods + 1);
	const char *method = sel < P->nmethods ? P->methods[sel].s : unknown_method;
	size_t mlen = sel < P->nmethods ? P->methods[sel].n : sizeof unknown_method - 1;
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	cur_clock = (unsigned)(data[0] / (P->nmethods + 1) % NCLOCKS);
	now = clocks[cur_clock] >= 0 ? clocks[cur_clock] : (long long)time(NULL);
	ctx.clock = cold.clock = now;   /* the real time too: the same for all three decisions */
	cur_method = method;
	cur_body = body;
	cur_len = len;
	cur_reply = NULL;
	for (uint32_t t = 0; t < P->ntokens; t++)
		refs[t].done = 0;

	const char *why;
	int valid = wj_parse(&req, body, len, &why) == 0;
	if (valid)
		check_doc(&req);
	wcsp_reply r, again;
	memset(rule_hit, 0, P->nrules);
	memset(ovr_hit, 0, P->noverrides);
	int st = wcsp_decide(P, &ctx, method, mlen, body, len, &r);
	cur_reply = &r;
	if (show_each)
		fprintf(stderr, "%s clock %u: %d %s %s %s\n", method, cur_clock, r.status,
			wcsp_decision_names[r.decision], r.rule ? r.rule : "-",
			r.reason ? r.reason : "-");
	if (st != r.status)
		fail("wcsp_decide returned %d, the reply says %d", st, r.status);
	if (!valid) {
		if (st != 400 || r.decision != WCSP_D_BAD)
			fail("wj_parse refuses the body (%s) but the decision is not 400 bad", why);
		if (wj_parse(&rep, r.body, r.len, &why))
			fail("the 400 body is not a JSON object: %s", why);
	} else {
		if (st == 400 || r.decision == WCSP_D_BAD)
			fail("400 for a body wj_parse accepts");
		uint32_t row = expected_row(), m = sel < P->nmethods ? sel : WCSP_NONE;
		if (r.app_row != row || r.method_row != m)
			fail("decided as app row %u, method row %u; want %u, %u", r.app_row,
			     r.method_row, row, m);
		switch (r.decision) {
		case WCSP_D_ECHO:
			if (m != WCSP_NONE)
				fail("a method the policy names was echoed");
			if (r.status != 200 || r.len != len || memcmp(r.body, body, len))
				fail("the echo differs from the request");
			break;
		case WCSP_D_DENY:
			check_deny(&r);
			break;
		case WCSP_D_ALLOW:
			if (m == WCSP_NONE)
				fail("a method the policy does not name was decided, not echoed");
			break;
		default:
			fail("unexpected decision %d", (int)r.decision);
		}
		if (m != WCSP_NONE)
			check_chain(&r, row, m);
		if (r.decision == WCSP_D_ALLOW)
			check_allow(&r, row, m);
	}
	/* the same input again: on the context the first call left behind (its token cache
	 * warm), then on one without a token cache */
	memcpy(rule_hit1, rule_hit, P->nrules);
	memcpy(ovr_hit1, ovr_hit, P->noverrides);
	for (int pass = 0; pass < 2; pass++) {
		memset(rule_hit, 0, P->nrules);
		memset(ovr_hit, 0, P->noverrides);
		wcsp_decide(P, pass ? &cold : &ctx, method, mlen, body, len, &again);
		if (!same_reply(&again, &r) || memcmp(rule_hit, rule_hit1, P->nrules) ||
		    memcmp(ovr_hit, ovr_hit1, P->noverrides)) {
			show("other reply", again.body, again.len);
			fail("%s decision of the same input differs (status %d, rule %s, "
			     "reason %s)",
			     pass ? "a decision without the token cache" : "a second",
			     again.status, again.rule ? again.rule : "-",
			     again.reason ? again.reason : "-");
		}
		wcsp_reply_free(&again);
	}
	wcsp_reply_free(&r);
	cur_reply = NULL;
	return 0;
}
