/*
 * test_transport.c -- the checks before any rule: `accept from` ranges against IPv4, IPv6
 * and IPv4-mapped IPv6 callers, and the hook signature (HMAC-MD5 of the body).
 * Prints `PASS <name>` or `FAIL <name>: <what differed>` per case; exits 1 on any failure.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"

static int nfail;

static void result(const char *name, int ok, const char *what)
{
	if (ok)
		printf("PASS %s\n", name);
	else {
		printf("FAIL %s: %s\n", name, what);
		nfail++;
	}
}

/* A range as lower.c writes it: IPv4 as ::ffff:a.b.c.d with the prefix counted on 128 bits. */
static wcsp_cidr range(const char *text)
{
	wcsp_cidr c = { { 0 }, 0 };
	char host[64];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	memcpy(host, text, n);
	host[n] = 0;
	if (strchr(host, ':')) {
		inet_pton(AF_INET6, host, c.addr);
		c.prefix = (uint8_t)(slash ? atoi(slash + 1) : 128);
	} else {
		c.addr[10] = c.addr[11] = 0xff;
		inet_pton(AF_INET, host, c.addr + 12);
		c.prefix = (uint8_t)(96 + (slash ? atoi(slash + 1) : 32));
	}
	return c;
}

/* Is caller (an IPv4 or IPv6 address as text) accepted by the one range given? */
static int accepts(const char *cidr, const char *caller)
{
	wcsp_cidr c = range(cidr);
	wcsp_policy p;
	memset(&p, 0, sizeof p);
	p.accept = &c;
	p.naccept = 1;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	if (strchr(caller, ':')) {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
		v6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, caller, &v6->sin6_addr);
	} else {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
		v4->sin_family = AF_INET;
		inet_pton(AF_INET, caller, &v4->sin_addr);
	}
	return tr_accept(&p, (struct sockaddr *)&ss);
}

static void accept_cases(void)
{
	static const struct { const char *cidr, *caller; int want; } cases[] = {
		{ "127.0.0.1", "127.0.0.1", 1 },
		{ "127.0.0.1", "127.0.0.2", 0 },
		{ "10.0.0.0/8", "10.200.3.4", 1 },
		{ "10.0.0.0/8", "11.0.0.1", 0 },
		{ "10.0.0.0/8", "::ffff:10.1.2.3", 1 },         /* mapped: matched as IPv4 */
		{ "0.0.0.0/0", "192.0.2.1", 1 },
		{ "0.0.0.0/0", "::ffff:192.0.2.1", 1 },
		{ "0.0.0.0/0", "2001:db8::1", 0 },
		{ "::1", "::1", 1 },
		{ "::1", "127.0.0.1", 0 },
		{ "2001:db8::/32", "2001:db8:1::5", 1 },
		{ "2001:db8::/32", "2001:db9::5", 0 },
		{ "::/64", "::1", 1 },
		{ "::/64", "127.0.0.1", 0 },                    /* the mapped form lies in ::/64 */
		{ "::/64", "::ffff:127.0.0.1", 0 },
		{ "::/0", "10.0.0.1", 0 },
		{ "::/0", "2001:db8::1", 1 },
		{ "::/80", "192.0.2.7", 0 },
		{ "::ffff:0:0/96", "192.0.2.7", 1 },             /* IPv4 written the IPv6 way */
		{ "::ffff:0:0/96", "::1", 0 },
		{ "10.0.0.1/32", "10.0.0.1", 1 },
		{ "192.168.0.0/23", "192.168.1.255", 1 },
		{ "192.168.0.0/23", "192.168.2.0", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char name[128];
		snprintf(name, sizeof name, "accept from %s, caller %s -> %s", cases[i].cidr,
		    cases[i].caller, cases[i].want ? "in" : "out");
		result(name, accepts(cases[i].cidr, cases[i].caller) == cases[i].want, "wrong");
	}
	wcsp_policy none;
	memset(&none, 0, sizeof none);
	struct sockaddr_in v4 = { .sin_family = AF_INET };
	result("no accept from: every caller", tr_accept(&none, (struct sockaddr *)&v4) == 1,
	       "refused");
}

static void signature_cases(void)
{
	/* RFC 2104 test vector 2: key "Jefe", "what do ya want for nothing?" */
	const char *key = "Jefe", *body = "what do ya want for nothing?";
	const char *mac = "750c783e6ab0b503eaa86e310a5db738";
	char h[80];
	snprintf(h, sizeof h, "WCS %s", mac);
	result("signature good", tr_signature(key, 4, h, body, strlen(body)) == TR_SIG_OK,
	       "refused");
	snprintf(h, sizeof h, "wcs  750C783E6AB0B503EAA86E310A5DB738 ");
	result("signature upper case, lower-case scheme, spaces", tr_signature(key, 4, h, body,
	    strlen(body)) == TR_SIG_OK, "refused");
	snprintf(h, sizeof h, "WCS %.31s0", mac);
	result("signature last digit wrong",
	       tr_signature(key, 4, h, body, strlen(body)) == TR_SIG_BAD, "accepted");
	result("signature body changed",
	       tr_signature(key, 4, "WCS 750c783e6ab0b503eaa86e310a5db738",
			    "what do ya want for nothing!", 28) == TR_SIG_BAD,
	       "accepted");
	result("signature missing",
	       tr_signature(key, 4, NULL, body, strlen(body)) == TR_SIG_MISSING, "wrong");
	result("signature other scheme",
	       tr_signature(key, 4, "Basic 750c783e6ab0b503eaa86e310a5db738", body, strlen(body)) ==
		       TR_SIG_BAD,
	       "accepted");
	result("signature short",
	       tr_signature(key, 4, "WCS 750c", body, strlen(body)) == TR_SIG_BAD, "accepted");
	result("signature trailing text",
	       tr_signature(key, 4, "WCS 750c783e6ab0b503eaa86e310a5db738x", body, strlen(body)) ==
		       TR_SIG_BAD,
	       "accepted");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	accept_cases();
	signature_cases();
	return nfail ? 1 : 0;
}
