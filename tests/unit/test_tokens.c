/*
 * test_tokens.c -- what tests/semantics/tokens.wcsp cannot see from the outside: the cache
 * of verified tokens (a new world empties it, an entry goes at its exp, more tokens than
 * slots still verify), no allocation once a context is warm, the strictness of base64 and of
 * key files, and world loading errors.
 *
 * Links the tables of tests/unit/tokens.wcsp (key and live set under tests/unit/); mints its
 * own HS256 tokens with nettle. malloc, calloc and realloc are wrapped to count calls.
 */
#include <nettle/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "decide.h"
#include "keys.h"

#define P (&wcsp_compiled_policy)
#define DIR "tests/unit"

static int nfail;
static long allocs;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n)
{
	allocs++;
	return __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t m)
{
	allocs++;
	return __real_calloc(n, m);
}
void *__wrap_realloc(void *p, size_t n)
{
	allocs++;
	return __real_realloc(p, n);
}

static void result(const char *name, int ok, const char *what)
{
	printf(ok ? "PASS %s\n" : "FAIL %s: %s\n", name, what);
	nfail += !ok;
}

/* A compact HS256 JWS of claims, keyed by secret. */
static void mint(char *out, const char *secret, const char *claims)
{
	static const char header[] = "{\"alg\":\"HS256\"}";
	struct hmac_sha256_ctx h;
	uint8_t mac[SHA256_DIGEST_SIZE];
	size_t n = codec_b64_encode(1, (const unsigned char *)header, strlen(header), out);
	out[n++] = '.';
	n += codec_b64_encode(1, (const unsigned char *)claims, strlen(claims), out + n);
	hmac_sha256_set_key(&h, strlen(secret), (const uint8_t *)secret);
	hmac_sha256_update(&h, n, (const uint8_t *)out);
	hmac_sha256_digest(&h, sizeof mac, mac);
	out[n++] = '.';
	n += codec_b64_encode(1, mac, sizeof mac, out + n);
	out[n] = 0;
}

/* The hex HMAC-SHA256 of text under secret (the policy's custom.sig). */
static void sign(char *out, const char *secret, const char *text)
{
	struct hmac_sha256_ctx h;
	uint8_t mac[SHA256_DIGEST_SIZE];
	hmac_sha256_set_key(&h, strlen(secret), (const uint8_t *)secret);
	hmac_sha256_update(&h, strlen(text), (const uint8_t *)text);
	hmac_sha256_digest(&h, sizeof mac, mac);
	out[codec_hex(mac, sizeof mac, out)] = 0;
}

static char body[4096];

/* Decide a connect carrying token tok (and the signature of "sub:cam" under secret). */
static wcsp_reply *decide(wcsp_ctx *c, const char *tok, const char *sub, const char *secret)
{
	static wcsp_reply r;
	char sig[80], text[128];
	snprintf(text, sizeof text, "%s:cam", sub);
	sign(sig, secret, text);
	snprintf(body, sizeof body,
		 "{\"name\":\"cam\",\"custom\":{\"token\":\"%s\",\"sig\":\"%s\"}}", tok, sig);
	wcsp_reply_free(&r);
	wcsp_decide(P, c, "connect", 7, body, strlen(body), &r);
	return &r;
}

static int reason_is(const wcsp_reply *r, const char *why)
{
	return r->reason && !strcmp(r->reason, why);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void cache(void)
{
	char err[256], tok[1024], t2[1024];
	wcsp_world *w = world_load(P, DIR, err, sizeof err);
	result("world loads from " DIR, w != NULL, err);
	if (!w)
		return;
	wcsp_ctx c;
	wcsp_ctx_init(&c);
	c.world = w;
	c.clock = 1700000000;
	mint(tok, "unit-secret", "{\"sub\":\"ann\",\"exp\":1700000100}");
	wcsp_reply *r = decide(&c, tok, "ann", "unit-secret");
	result("a valid token and digest are allowed", r->decision == WCSP_D_ALLOW &&
	       strstr(r->body, "\"who\":\"ann-cam\""), r->body);

	/* warm: the token, its claims, the digest and the live set allocate nothing; an allowed
	 * reply with an override is one allocation, the reply itself (handed to the server) */
	for (int i = 0; i < 3; i++)
		decide(&c, tok, "ann", "unit-secret");
	allocs = 0;
	int ok = 1;
	for (int i = 0; i < 1000; i++)
		ok &= decide(&c, tok, "ann", "unit-secret")->decision == WCSP_D_ALLOW;
	char what[64];
	snprintf(what, sizeof what, "%ld allocations in 1000 decisions", allocs);
	result("1000 warm allowed decisions: one allocation each, the spliced reply", ok &&
	       allocs == 1000, what);
	allocs = 0;
	ok = 1;
	for (int i = 0; i < 1000; i++)
		ok &= decide(&c, tok, "ann", "wrong-secret")->decision == WCSP_D_DENY;
	snprintf(what, sizeof what, "%ld allocations in 1000 decisions", allocs);
	result("1000 warm denied decisions (token checked, digest computed) allocate nothing",
	       ok && allocs == 0, what);
	/* with a reply buffer, as the server gives each connection: nothing at all */
	sp_buf out = { NULL, 0, 0 };
	c.out = &out;
	decide(&c, tok, "ann", "unit-secret");
	allocs = 0;
	ok = 1;
	for (int i = 0; i < 1000; i++)
		ok &= decide(&c, tok, "ann", "unit-secret")->decision == WCSP_D_ALLOW;
	snprintf(what, sizeof what, "%ld allocations in 1000 decisions", allocs);
	result("1000 warm allowed decisions into a reply buffer allocate nothing", ok &&
	       allocs == 0, what);
	c.out = NULL;
	free(out.s);

	/* the cache keeps the outcome, but time is checked on every use */
	c.clock = 1700000100;
	r = decide(&c, tok, "ann", "unit-secret");
	result("a cached token at its exp is expired", reason_is(r, "token expired"),
	       r->reason ? r->reason : "no reason");
	c.clock = 1700000000;
	r = decide(&c, tok, "ann", "unit-secret");
	result("an entry dropped at exp verifies again before it", r->decision == WCSP_D_ALLOW,
	       r->body);

	/* a world loaded anew (SIGHUP) empties the cache: a rotated key refuses the old token */
	mkdir("/tmp/wcsp-unit-tokens", 0700);
	mkdir("/tmp/wcsp-unit-tokens/keys", 0700);
	write_file("/tmp/wcsp-unit-tokens/keys/unit.secret", "rotated-secret");
	write_file("/tmp/wcsp-unit-tokens/banned.txt", "mallory\n");
	wcsp_world *w2 = world_load(P, "/tmp/wcsp-unit-tokens", err, sizeof err);
	result("a second world loads", w2 != NULL, err);
	if (w2) {
		c.world = w2;
		r = decide(&c, tok, "ann", "rotated-secret");
		result("a new world re-verifies a cached token: the rotated key refuses it",
		       reason_is(r, "token signature invalid"), r->reason ? r->reason : r->body);
		mint(t2, "rotated-secret", "{\"sub\":\"ann\",\"exp\":1700000100}");
		r = decide(&c, t2, "ann", "rotated-secret");
		result("and verifies a token of the new key", r->decision == WCSP_D_ALLOW, r->body);
		c.world = w;
		world_free(w2);
	}
	unlink("/tmp/wcsp-unit-tokens/keys/unit.secret");
	unlink("/tmp/wcsp-unit-tokens/banned.txt");
	rmdir("/tmp/wcsp-unit-tokens/keys");
	rmdir("/tmp/wcsp-unit-tokens");

	/* more distinct tokens than slots, twice over: each one decided right every time */
	wcsp_ctx small;
	wcsp_ctx_init(&small);
	small.world = w;
	small.clock = 1700000000;
	small.token_cache = 8;
	int right = 1;
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 50; i++) {
			char claims[128], sub[32];
			snprintf(sub, sizeof sub, "user%d", i);
			snprintf(claims, sizeof claims, "{\"sub\":\"%s\",\"exp\":%d}", sub,
				 i % 5 ? 1700000100 : 1699999999);
			mint(t2, "unit-secret", claims);
			r = decide(&small, t2, sub, "unit-secret");
			right &=
				i % 5 ? r->decision == WCSP_D_ALLOW : reason_is(r, "token expired");
		}
	result("100 decisions over 50 tokens and 8 slots are each right", right, "a wrong one");

	/* no cache at all */
	small.token_cache = 0;
	wcsp_ctx none;
	wcsp_ctx_init(&none);
	none.world = w;
	none.clock = 1700000000;
	none.token_cache = 0;
	r = decide(&none, tok, "ann", "unit-secret");
	result("--token-cache 0 still verifies", r->decision == WCSP_D_ALLOW, r->body);
	r = decide(&none, tok, "mallory", "unit-secret");
	result("a claim-bound digest of another subject is refused", reason_is(r, NULL) ||
	       r->decision == WCSP_D_DENY, r->body);
	mint(t2, "unit-secret", "{\"sub\":\"mallory\"}");
	r = decide(&none, t2, "mallory", "unit-secret");
	result("a live set read by world_load", r->decision == WCSP_D_DENY &&
	       strstr(r->body, "banned"), r->body);
	mint(t2, "unit-secret", "{\"exp\":1700000100}");
	r = decide(&none, t2, "ann", "unit-secret");
	result("a required claim missing", reason_is(r, "token claim missing: sub"),
	       r->reason ? r->reason : r->body);

	/* no world: tokens fail as key unknown, live sets are empty, keyed digests never hold */
	wcsp_ctx bare;
	wcsp_ctx_init(&bare);
	bare.clock = 1700000000;
	r = decide(&bare, tok, "ann", "unit-secret");
	result("without a world a token is 'token key unknown'", reason_is(r, "token key unknown"),
	       r->reason ? r->reason : r->body);

	wcsp_reply_free(decide(&c, tok, "ann", "unit-secret"));
	wcsp_ctx_free(&c);
	wcsp_ctx_free(&small);
	wcsp_ctx_free(&none);
	wcsp_ctx_free(&bare);
	world_free(w);
}

static void base64(void)
{
	unsigned char out[64];
	result("base64url decodes", codec_b64_decode(1, "QUJD", 4, out, sizeof out) == 3 &&
	       !memcmp(out, "ABC", 3), "QUJD");
	result("base64url without padding", codec_b64_decode(1, "QQ", 2, out, sizeof out) == 1,
	       "QQ");
	result("base64url: stray low bits refused", codec_b64_decode(1, "QR", 2, out, sizeof out) ==
	       CODEC_BAD, "QR");
	result("base64url: padding is optional", codec_b64_decode(1, "QQ==", 4, out, sizeof out) ==
	       1, "QQ==");
	result("base64url: misplaced padding refused", codec_b64_decode(1, "Q=Q=", 4, out,
	       sizeof out) == CODEC_BAD && codec_b64_decode(1, "QQ=", 3, out, sizeof out) ==
	       CODEC_BAD && codec_b64_decode(1, "Q===", 4, out, sizeof out) == CODEC_BAD, "Q=Q=");
	result("base64url: '+' refused", codec_b64_decode(1, "a+b_", 4, out, sizeof out) ==
	       CODEC_BAD, "a+b_");
	result("base64url: a lone char refused", codec_b64_decode(1, "QUJDR", 5, out, sizeof out) ==
	       CODEC_BAD, "QUJDR");
	result("base64url: white space refused", codec_b64_decode(1, "QU JD", 5, out, sizeof out) ==
	       CODEC_BAD, "QU JD");
	result("base64url: too long for the buffer", codec_b64_decode(1, "QUJD", 4, out, 2) ==
	       CODEC_BAD, "cap 2");
	result("base64 with padding", codec_b64_decode(0, "QQ==", 4, out, sizeof out) == 1, "QQ==");
	char enc[16];
	result("base64url encodes without padding",
	       codec_b64_encode(1, (const unsigned char *)"A", 1, enc) == 2 &&
		       !memcmp(enc, "QQ", 2),
	       enc);
	result("base64 encodes with padding", codec_b64_encode(0, (const unsigned char *)"A", 1,
	       enc) == 4 && !memcmp(enc, "QQ==", 4), enc);
}

/* A key file that must be refused, with the reason holding want. */
static void refused(const char *file, const char *want)
{
	char path[256], why[256] = "", name[300];
	snprintf(path, sizeof path, DIR "/keys/%s", file);
	FILE *f = fopen(path, "rb");
	char text[8192];
	size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = 0;
	wcsp_keyset ks = { 0 };
	int rc = keys_load_any(text, n, &ks, why, sizeof why);
	snprintf(name, sizeof name, "key file %s is refused (%s)", file, want);
	result(name, f && rc < 0 && strstr(why, want), why);
	pubkeys_free(&ks);
}

static void keyfiles(void)
{
	refused("rsa1024.pem", "2048");
	refused("ec-private.pem", "private");
	refused("ec-private.jwk", "private");
	refused("enc-only.jwks", "without a key for signatures");
	refused("empty.secret", "empty");
	char err[512];
	wcsp_world *w = world_load(P, "/nonexistent-wcsp-dir", err, sizeof err);
	result("a missing key file: one line naming it",
	       !w && strstr(err, "cannot load key 'unit'") &&
		       strstr(err, "/nonexistent-wcsp-dir/keys/unit.secret") && !strchr(err, '\n'),
	       err);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (chdir(getenv("WCSP_ROOT") ? getenv("WCSP_ROOT") : ".") != 0)
		return 1;
	cache();
	base64();
	keyfiles();
	return nfail ? 1 : 0;
}
