/*
 * test_json.c -- strict JSON layer: every accept/reject rule with its reason, readers,
 * duplicate keys (small and sorted paths), depth, reuse of one wj_doc.
 * Prints `PASS <name>` or `FAIL <name>: <what differed>` per case; exits 1 on any failure.
 */
#include "json.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int nfail, ncase;
static wj_doc D; /* shared: every case also exercises reuse */

static void result(const char *name, const char *fmt, ...)
{
	ncase++;
	if (!fmt) {
		printf("PASS %s\n", name);
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	printf("FAIL %s: ", name);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	nfail++;
}

/* parse body[0..n) into D; want == NULL means it must be accepted */
static void expect(const char *name, const char *body, size_t n, const char *want)
{
	const char *why = NULL;
	int r = wj_parse(&D, body, n, &why);
	if (!want && r != 0)
		result(name, "rejected: %s", why);
	else if (want && r == 0)
		result(name, "accepted, wanted \"%s\"", want);
	else if (want && (!why || strcmp(why, want)))
		result(name, "reason \"%s\", wanted \"%s\"", why ? why : "(null)", want);
	else if (want && D.ntok != 0)
		result(name, "ntok %d after error", D.ntok);
	else
		result(name, NULL);
}

#define OK(name, s) expect(name, s, sizeof(s) - 1, NULL)
#define BAD(name, s, why) expect(name, s, sizeof(s) - 1, why)

static int parse(const char *s)
{
	const char *why;
	return wj_parse(&D, s, strlen(s), &why);
}

/* value at a path of keys from tok[0] */
static int path(const char *k1, const char *k2)
{
	int t = wj_get(&D, 0, k1, strlen(k1));
	return t < 0 || !k2 ? t : wj_get(&D, t, k2, strlen(k2));
}

static void accept_rules(void)
{
	OK("accept simple", "{\"a\":1}");
	OK("accept empty object", "{}");
	OK("accept whitespace around", " \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" :{ } }\r\n\t ");
	OK("accept literals", "{\"t\":true,\"f\":false,\"n\":null}");
	OK("accept numbers",
	   "{\"a\":[0,-0,1,-1,10,1.5,-0.25,1e5,1E5,1e+5,1e-5,-1.5E-10,0.0,"
	   "123456789012345678901234567890]}");
	OK("accept empty string and containers", "{\"\":\"\",\"a\":[],\"o\":{},\"n\":[[],{}]}");
	OK("accept utf-8 boundaries",
	   "{\"s\":\"\x7f \xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf "
	   "\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\"}");
	OK("accept all escapes",
	   "{\"s\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u00e9 \\uD83D\\uDE00 \\uffff\"}");
	OK("accept escaped key", "{\"\\u0061\":1,\"b\\n\":2}");
}

static void reject_rules(void)
{
	expect("empty body", "", 0, "empty body");
	BAD("whitespace-only body", " \r\n\t", "empty body");
	BAD("top-level array", "[1,2]", "body is not a JSON object");
	BAD("top-level string", "\"abc\"", "body is not a JSON object");
	BAD("top-level number", " 12", "body is not a JSON object");
	BAD("top-level literal", "true", "body is not a JSON object");
	BAD("top-level bom", "\xef\xbb\xbf{}", "body is not a JSON object");
	BAD("trailing object", "{}{}", "trailing bytes after the object");
	BAD("trailing garbage", "{\"a\":1} x", "trailing bytes after the object");
	BAD("trailing comma", "{\"a\":1},", "trailing bytes after the object");
	BAD("trailing close", "{}}", "trailing bytes after the object");
	BAD("trailing open", "{} {", "trailing bytes after the object");
	BAD("trailing string", "{} \"abc", "trailing bytes after the object");
	BAD("trailing number", "{} 1", "trailing bytes after the object");
	BAD("trailing nul", "{}\0", "trailing bytes after the object");
	BAD("trailing form feed", "{}\f", "trailing bytes after the object");
	BAD("number 1x2", "{\"a\":1x2}", "bad number");
	BAD("number 01", "{\"a\":01}", "bad number");
	BAD("number -01", "{\"a\":-01}", "bad number");
	BAD("number 1.", "{\"a\":1.}", "bad number");
	BAD("number .5", "{\"a\":.5}", "invalid JSON");
	BAD("number +1", "{\"a\":+1}", "invalid JSON");
	BAD("number -", "{\"a\":-}", "bad number");
	BAD("number 1e", "{\"a\":1e}", "bad number");
	BAD("number 1e+", "{\"a\":[1e+]}", "bad number");
	BAD("number 1.e5", "{\"a\":1.e5}", "bad number");
	BAD("number 0x10", "{\"a\":0x10}", "bad number");
	BAD("number 1.5.2", "{\"a\":1.5.2}", "bad number");
	BAD("number -Infinity", "{\"a\":-Infinity}", "bad number");
	BAD("number Infinity", "{\"a\":Infinity}", "invalid JSON");
	BAD("number 1:2", "{\"a\":1:2}", "bad number");
	BAD("literal tru", "{\"a\":tru}", "bad literal");
	BAD("literal truee", "{\"a\":truee}", "bad literal");
	BAD("literal nul", "{\"a\":[nul]}", "bad literal");
	BAD("literal nan", "{\"a\":nan}", "bad literal");
	BAD("literal falsefalse", "{\"a\":falsefalse}", "bad literal");
	BAD("literal True", "{\"a\":True}", "invalid JSON");
	BAD("string raw control", "{\"a\":\"x\x01y\"}", "control character in string");
	BAD("string raw newline", "{\"a\":\"x\ny\"}", "control character in string");
	BAD("string raw tab in key", "{\"a\tb\":1}", "control character in string");
	BAD("string nul byte", "{\"a\":\"x\0y\"}", "control character in string");
	BAD("string bad escape", "{\"a\":\"\\x\"}", "bad escape");
	BAD("string short unicode escape", "{\"a\":\"\\u12\"}", "bad escape");
	BAD("string escape at the end", "{\"a\":\"\\u12", "truncated JSON");
	BAD("string non-hex unicode escape", "{\"a\":\"\\u12G4\"}", "bad escape");
	BAD("string lone high surrogate", "{\"a\":\"\\ud800\"}", "unpaired surrogate");
	BAD("string high then char", "{\"a\":\"\\ud800x\"}", "unpaired surrogate");
	BAD("string high then non-low", "{\"a\":\"\\ud800\\u0041\"}", "unpaired surrogate");
	BAD("string high then high", "{\"a\":\"\\ud800\\ud800\"}", "unpaired surrogate");
	BAD("string lone low surrogate", "{\"a\":\"\\udc00\"}", "unpaired surrogate");
	BAD("string reversed pair", "{\"a\":\"\\ude00\\ud83d\"}", "unpaired surrogate");
	BAD("string high then escape", "{\"a\":\"\\ud800\\n\"}", "unpaired surrogate");
	BAD("utf-8 lone continuation", "{\"a\":\"\x80\"}", "invalid UTF-8");
	BAD("utf-8 overlong c0", "{\"a\":\"\xc0\xaf\"}", "invalid UTF-8");
	BAD("utf-8 overlong c1", "{\"a\":\"\xc1\xbf\"}", "invalid UTF-8");
	BAD("utf-8 overlong e0", "{\"a\":\"\xe0\x80\xaf\"}", "invalid UTF-8");
	BAD("utf-8 overlong f0", "{\"a\":\"\xf0\x8f\xbf\xbf\"}", "invalid UTF-8");
	BAD("utf-8 surrogate ed a0", "{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8");
	BAD("utf-8 surrogate ed bf", "{\"a\":\"\xed\xbf\xbf\"}", "invalid UTF-8");
	BAD("utf-8 above 10ffff", "{\"a\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8");
	BAD("utf-8 f5 lead", "{\"a\":\"\xf5\x80\x80\x80\"}", "invalid UTF-8");
	BAD("utf-8 ff byte", "{\"a\":\"\xff\"}", "invalid UTF-8");
	BAD("utf-8 truncated 2-byte", "{\"a\":\"\xc3\"}", "invalid UTF-8");
	BAD("utf-8 truncated 3-byte", "{\"a\":\"\xe2\x82\"}", "invalid UTF-8");
	BAD("utf-8 truncated 4-byte", "{\"a\":\"\xf0\x9f\x98\"}", "invalid UTF-8");
	BAD("utf-8 bad continuation", "{\"a\":\"\xc3\x41\"}", "invalid UTF-8");
	BAD("utf-8 bad third byte", "{\"a\":\"\xe2\x82\xc0\"}", "invalid UTF-8");
	BAD("utf-8 in key", "{\"\xc3\x28\":1}", "invalid UTF-8");
	BAD("structure trailing comma in object", "{\"a\":1,}", "stray separator");
	BAD("structure lone comma", "{,}", "stray separator");
	BAD("structure trailing comma in array", "{\"a\":[1,]}", "stray separator");
	BAD("structure leading comma in array", "{\"a\":[,1]}", "stray separator");
	BAD("structure double comma in array", "{\"a\":[1,,2]}", "stray separator");
	BAD("structure double comma in object", "{\"a\":1,,\"b\":2}", "stray separator");
	BAD("structure missing colon", "{\"a\" 1}", "missing colon");
	BAD("structure missing colon string", "{\"a\" \"b\"}", "missing colon");
	BAD("structure missing value", "{\"a\":}", "missing value");
	BAD("structure key only", "{\"a\"}", "missing value");
	BAD("structure comma for colon", "{\"a\",\"b\"}", "missing colon");
	BAD("structure number key", "{1:2}", "object key is not a string");
	BAD("structure literal key", "{true:1}", "object key is not a string");
	BAD("structure object key", "{{}:1}", "object key is not a string");
	BAD("structure array key", "{[]:1}", "object key is not a string");
	BAD("structure colon first", "{:\"a\"}", "stray separator");
	BAD("structure double colon", "{\"a\"::1}", "stray separator");
	BAD("structure missing comma in object", "{\"a\":1 \"b\":2}", "missing comma");
	BAD("structure missing comma after object", "{\"a\":{} \"b\":2}", "missing comma");
	BAD("structure missing comma in array", "{\"a\":[1 2]}", "missing comma");
	BAD("structure missing comma strings", "{\"a\":[\"x\" \"y\"]}", "missing comma");
	BAD("structure colon in array", "{\"a\":[\"b\":1]}", "missing comma");
	BAD("structure colon opening array", "{\"a\":[:1]}", "stray separator");
	BAD("structure mismatched close", "{\"a\":[1}", "invalid JSON");
	BAD("structure unclosed", "{\"a\":1", "truncated JSON");
	BAD("structure unclosed string", "{\"a\":\"x", "truncated JSON");
	BAD("structure unclosed array", "{\"a\":[1,2", "truncated JSON");
	BAD("structure unclosed key", "{\"a", "truncated JSON");
	BAD("structure single quotes", "{'a':1}", "invalid JSON");
	expect("body too large", "{}", (size_t)INT_MAX + 1, "body too large");
}

static void depth(void)
{
	char buf[512];
	int n, i, k;
	for (n = 64; n <= 65; n++) { /* {"a":[{"a":[ ... n levels, objects and arrays alternating */
		for (k = i = 0; i < n - 1; i++)
			k += sprintf(buf + k, i % 2 ? "[" : "{\"a\":");
		k += sprintf(buf + k, i % 2 ? "[]" : "{}");
		for (i = n - 2; i >= 0; i--)
			buf[k++] = i % 2 ? ']' : '}';
		expect(n == 64 ? "depth 64 accepted" : "depth 65 rejected", buf, (size_t)k,
		       n == 64 ? NULL : "nesting too deep");
	}
	k = 0;
	for (i = 0; i < 200; i++)
		buf[k++] = '[';
	for (i = 0; i < 200; i++)
		buf[k++] = ']';
	buf[k] = 0;
	char wrapped[600];
	snprintf(wrapped, sizeof wrapped, "{\"a\":%s}", buf);
	expect("depth 201 arrays rejected", wrapped, strlen(wrapped), "nesting too deep");
}

static void dupkeys(void)
{
	BAD("dup simple", "{\"a\":1,\"a\":2}", "duplicate key");
	BAD("dup after decoding", "{\"a\":1,\"\\u0061\":2}", "duplicate key");
	BAD("dup both escaped", "{\"\\n\":1,\"\\u000a\":2}", "duplicate key");
	BAD("dup surrogate vs raw", "{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}",
	    "duplicate key");
	BAD("dup nested", "{\"x\":{\"b\":1,\"c\":{},\"b\":2}}", "duplicate key");
	BAD("dup in array element", "{\"x\":[1,{\"k\":1,\"k\":1}]}", "duplicate key");
	OK("no dup same key at other levels", "{\"a\":1,\"b\":{\"a\":2,\"b\":[{\"a\":3}]}}");
	OK("no dup prefixes", "{\"a\":1,\"ab\":2,\"\":3,\"a\\u0000\":4}");

	size_t cap = 1000 * 24 + 64, k;
	char *b = malloc(cap);
	int i, j, variant;
	static const char *names[] = { "large 1000 keys accepted", "large dup first and last",
				       "large dup adjacent",       "large dup escaped",
				       "just past small, dup",     "just past small, accepted" };
	for (variant = 0; variant < 6; variant++) {
		int n = variant >= 4 ? WJ_SMALL_OBJECT + 1 : 1000;
		k = 0;
		b[k++] = '{';
		for (i = 0; i < n; i++) {
			j = (i * 7919) % n; /* not in sorted order */
			if (variant == 1 && i == n - 1)
				j = (0 * 7919) % n;
			if (variant == 2 && i == 501)
				j = (500 * 7919) % n;
			if (variant == 4 && i == WJ_SMALL_OBJECT)
				j = (3 * 7919) % n;
			if (variant == 3 && i == 999) /* "k<j>" with the k escaped */
				k += (size_t)sprintf(b + k, "%s\"\\u006b%d\":%d", i ? "," : "",
						     (123 * 7919) % n, i);
			else
				k += (size_t)sprintf(b + k, "%s\"k%d\":%d", i ? "," : "", j, i);
		}
		b[k++] = '}';
		expect(names[variant], b, k, variant == 0 || variant == 5 ? NULL : "duplicate key");
		if (variant == 0) {
			int t = wj_get(&D, 0, "k999", 4), v = wj_get(&D, 0, "k0", 2);
			if (D.tok[0].size != 1000 || t < 0 || v < 0 || wj_number(&D, v) != 0.0)
				result("large wj_get", "size %d, k999 %d, k0 %d", D.tok[0].size, t,
				       v);
			else
				result("large wj_get", NULL);
		}
	}
	free(b);
}

/* Keys that fool cheap filters: same length, same first, second and last bytes. */
static const char *const twins[] = {
	"hasVideo", "hasAudio", "minBitrate", "maxBitrate", "a", "b", "ab", "ba", "aab", "abb",
	"aXb", "aYb", "", "name", "nime", "custom", "cUstom", "k\xc3\xa9y", "k\xc3\xa8y",
};

/* Random objects of 2 to WJ_SMALL_OBJECT + 4 keys drawn from twins[], some written with a
 * \u escape: rejected as "duplicate key" exactly when two keys decode alike (checked here
 * by the index drawn), in both the small and the sorted path. In an accepted one, wj_get()
 * finds each key drawn at its value and no other twin. */
static void dup_property(void)
{
	enum { NT = sizeof twins / sizeof *twins, ROUNDS = 20000 };
	char *b = malloc(1 << 14);
	unsigned seed = 12345;
	int bad = 0, dups = 0, lost = 0;
	for (int round = 0; round < ROUNDS && bad < 5 && lost < 5; round++) {
		int n = 2 + (int)((seed = seed * 1103515245 + 12345) >> 16) % (WJ_SMALL_OBJECT + 3);
		int used[NT] = { 0 }, at[NT], want = 0;
		size_t k = 0;
		b[k++] = '{';
		for (int i = 0; i < n; i++) {
			int t;
			if (i < NT) {   /* mostly distinct keys, now and then a repeat */
				seed = seed * 1103515245 + 12345;
				t = (int)(seed >> 16) % NT;
				if (used[t] && ((seed >> 8) & 7))
					for (t = 0; used[t] && t < NT - 1; t++)
						;
			} else
				t = i % NT;
			want |= used[t]++ > 0;
			at[t] = i;
			seed = seed * 1103515245 + 12345;
			int escape = (seed >> 20) & 3;      /* 0: the key's first byte as \u00XX */
			const char *key = twins[t];
			k += (size_t)sprintf(b + k, "%s\"", i ? "," : "");
			if (!escape && key[0] && (unsigned char)key[0] < 0x80)
				k += (size_t)sprintf(b + k, "\\u%04x%s", (unsigned char)key[0],
						     key + 1);
			else
				k += (size_t)sprintf(b + k, "%s", key);
			k += (size_t)sprintf(b + k, "\":%d", i);
		}
		b[k++] = '}';
		const char *why = NULL;
		int r = wj_parse(&D, b, k, &why);
		dups += want;
		if (want ? r == 0 || strcmp(why, "duplicate key") : r != 0) {
			bad++;
			printf("  object %.*s: %s\n", (int)k, b, r ? why : "accepted");
		}
		for (int t = 0; r == 0 && t < NT; t++) {
			int v = wj_get(&D, 0, twins[t], strlen(twins[t]));
			if (used[t] ? v < 0 || wj_number(&D, v) != at[t] : v >= 0) {
				lost++;
				printf("  object %.*s: get \"%s\" gives %d\n", (int)k, b, twins[t],
				       v);
			}
		}
	}
	result("duplicate keys: random objects with look-alike keys", bad ? "%d wrong" : NULL,
	       bad);
	result("get: every key of random objects with look-alike keys", lost ? "%d wrong" : NULL,
	       lost);
	result("duplicate keys: random objects include both outcomes",
	       dups > ROUNDS / 10 && dups < ROUNDS * 9 / 10 ? NULL : "%d of %d with a dup", dups,
	       (int)ROUNDS);
	free(b);
}

static void sdp(void)
{
	static const char *lines[] = {
		"v=0",
		"o=- 4611731400430051336 2 IN IP4 127.0.0.1",
		"s=-",
		"t=0 0",
		"a=group:BUNDLE 0 1",
		"a=msid-semantic: WMS stream",
		"m=audio 9 UDP/TLS/RTP/SAVPF 111 103 104 9 0 8 106 105 13 110 112 113 126",
		"c=IN IP4 0.0.0.0",
		"a=rtcp:9 IN IP4 0.0.0.0",
		"a=ice-ufrag:abcd",
		"a=ice-pwd:0123456789abcdefghijklmn",
		("a=fingerprint:sha-256 12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:"
		 "78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0"),
		"a=setup:actpass",
		"a=mid:0",
		"a=sendrecv",
		"a=rtcp-mux",
		"a=rtpmap:111 opus/48000/2",
		"a=fmtp:111 minptime=10;useinbandfec=1",
		"a=ssrc:1001 cname:x/y\"quoted\""
	};
	char *body = malloc(8192), *want = malloc(8192), *out;
	size_t bn = 0, wn = 0, n;
	int i, r, t;
	const char *why;
	bn += (size_t)sprintf(body + bn, "{\"type\":\"offer\",\"meta\":{\"id\":42},\"sdp\":\"");
	for (r = 0; bn < 3500; r++)
		for (i = 0; i < (int)(sizeof lines / sizeof *lines) && bn < 3500; i++) {
			const char *p;
			for (p = lines[i]; *p; p++) {
				if (*p == '"' || *p == '/')
					body[bn++] = '\\'; /* \/ escapes too */
				body[bn++] = *p;
				want[wn++] = *p;
			}
			memcpy(body + bn, "\\r\\n", 4);
			bn += 4;
			memcpy(want + wn, "\r\n", 2);
			wn += 2;
		}
	bn += (size_t)sprintf(body + bn, "\",\"end\":true}");
	r = wj_parse(&D, body, bn, &why);
	t = path("sdp", NULL);
	if (r || t < 0) {
		result("sdp body parses", "%s", r ? why : "no sdp");
		free(body);
		free(want);
		return;
	}
	result("sdp body parses", bn > 3400 && bn < 4000 ? NULL : "body is %zu bytes", bn);
	out = malloc((size_t)(D.tok[t].end - D.tok[t].start));
	n = wj_str_decode(&D, t, out);
	result("sdp decode",
	       n == wn && !memcmp(out, want, n) ? NULL : "decoded %zu bytes, wanted %zu", n, wn);
	result("sdp str_eq",
	       wj_str_eq(&D, t, want, wn) && !wj_str_eq(&D, t, want, wn - 1) ? NULL : "mismatch");
	result("sdp siblings", path("end", NULL) > t && wj_kind(&D, path("end", NULL)) == WJ_TRUE &&
					       wj_number(&D, path("meta", "id")) == 42 && D.esc[t]
				       ? NULL
				       : "bad siblings");
	free(out);
	free(body);
	free(want);
}

static void readers(void)
{
	char out[64];
	size_t n, s, e;
	int t, u;
	const char *body =
		"{\"a\":{\"b\":{\"c\":[1,2,{\"d\":\"x\"}]},\"z\":null},\"e\":5,"
		"\"\\u0061dmin\":\"\\u0061dmin\",\"pair\":\"\\ud83d\\ude00\",\"sl\":\"a\\/b\","
		"\"nul\":\"\\u0000\","
		"\"mb\":\"\\u00e9\\u20ac\",\"num\":-1.5e2,\"long\":"
		"1234567890123456789012345678901234567890"
		"12345678901234567890123456789012345678901234567890e-80,\"f\":false}";
	if (parse(body)) {
		result("readers parse", "rejected");
		return;
	}
	result("readers parse", NULL);
	t = path("a", "b");
	u = t < 0 ? -1 : wj_get(&D, t, "c", 1);
	result("get nested",
	       u >= 0 && wj_kind(&D, u) == WJ_ARRAY && D.tok[u].size == 3 ? NULL : "a.b.c %d", u);
	t = u < 0 ? -1 : wj_get(&D, D.next[D.next[u + 1]], "d", 1);
	result("get in array element", t >= 0 && wj_str_eq(&D, t, "x", 1) ? NULL : "d %d", t);
	t = path("e", NULL);
	result("get skips nested", t >= 0 && wj_number(&D, t) == 5 ? NULL : "e %d", t);
	result("get missing", path("b", NULL) == -1 && path("a", "c") == -1 && path("a", "z") >= 0
				      ? NULL
				      : "found");
	result("get on non-object", wj_get(&D, path("e", NULL), "x", 1) == -1 &&
						    wj_get(&D, -1, "a", 1) == -1 &&
						    wj_get(&D, D.ntok, "a", 1) == -1
					    ? NULL
					    : "not -1");
	t = path("admin", NULL);
	result("escaped key equals admin",
	       t >= 0 && wj_str_eq(&D, t, "admin", 5) && !wj_str_eq(&D, t, "admi", 4) &&
			       !wj_str_eq(&D, t, "adminx", 6)
		       ? NULL
		       : "t %d",
	       t);
	n = wj_str_decode(&D, t, out);
	result("decode \\u0061dmin", n == 5 && !memcmp(out, "admin", 5) ? NULL : "%zu bytes", n);
	n = wj_str_decode(&D, path("pair", NULL), out);
	result("decode surrogate pair",
	       n == 4 && !memcmp(out, "\xf0\x9f\x98\x80", 4) ? NULL : "%zu bytes", n);
	result("str_eq surrogate pair",
	       wj_str_eq(&D, path("pair", NULL), "\xf0\x9f\x98\x80", 4) ? NULL : "differs");
	n = wj_str_decode(&D, path("sl", NULL), out);
	result("decode solidus", n == 3 && !memcmp(out, "a/b", 3) ? NULL : "%zu bytes", n);
	n = wj_str_decode(&D, path("nul", NULL), out);
	result("decode \\u0000",
	       n == 1 && out[0] == 0 && wj_str_eq(&D, path("nul", NULL), "", 1) ? NULL
										: "%zu bytes",
	       n);
	n = wj_str_decode(&D, path("mb", NULL), out);
	result("decode 2- and 3-byte",
	       n == 5 && !memcmp(out, "\xc3\xa9\xe2\x82\xac", 5) ? NULL : "%zu bytes", n);
	result("number", wj_number(&D, path("num", NULL)) == -150.0 ? NULL : "%g",
	       wj_number(&D, path("num", NULL)));
	result("long number",
	       wj_number(&D, path("long", NULL)) == 1.2345678901234567890e9 ? NULL : "%.17g",
	       wj_number(&D, path("long", NULL)));
	result("kinds", wj_kind(&D, 0) == WJ_OBJECT && wj_kind(&D, path("a", "z")) == WJ_NULL &&
					wj_kind(&D, path("f", NULL)) == WJ_FALSE &&
					wj_kind(&D, path("e", NULL)) == WJ_NUMBER &&
					wj_kind(&D, path("num", NULL)) == WJ_NUMBER &&
					wj_kind(&D, path("sl", NULL)) == WJ_STRING
				? NULL
				: "wrong kind");
	result("esc flags", D.esc[path("sl", NULL)] && !D.esc[path("a", "b") - 1] ? NULL : "wrong");
	result("next of root", D.next[0] == D.ntok && D.next[path("a", NULL)] == path("e", NULL) - 1
				       ? NULL
				       : "wrong");
	wj_span(&D, path("sl", NULL), &s, &e);
	result("span string has quotes",
	       e - s == 6 && !memcmp(body + s, "\"a\\/b\"", 6) ? NULL : "%zu..%zu", s, e);
	wj_span(&D, path("a", "b"), &s, &e);
	result("span object",
	       e - s == 21 && !memcmp(body + s, "{\"c\":[1,2,{\"d\":\"x\"}]}", 21) ? NULL
										   : "%zu..%zu",
	       s, e);
	wj_span(&D, path("num", NULL), &s, &e);
	result("span number", e - s == 6 && !memcmp(body + s, "-1.5e2", 6) ? NULL : "%zu..%zu", s,
	       e);
	wj_span(&D, 0, &s, &e);
	result("span root", s == 0 && e == strlen(body) ? NULL : "%zu..%zu", s, e);
}

/* "l" and "r" of {"l":...,"r":...} compared */
static void eq(const char *name, const char *l, const char *r, int want)
{
	char buf[512];
	int got;
	snprintf(buf, sizeof buf, "{\"l\":%s,\"r\":%s}", l, r);
	if (parse(buf)) {
		result(name, "rejected %s", buf);
		return;
	}
	got = wj_equal(&D, path("l", NULL), path("r", NULL));
	result(name,
	       got == want && wj_equal(&D, path("r", NULL), path("l", NULL)) == want ? NULL
										     : "got %d",
	       got);
}

static void equality(void)
{
	eq("equal strings escaped", "\"admin\"", "\"\\u0061dmin\"", 1);
	eq("equal strings differ", "\"admin\"", "\"admins\"", 0);
	eq("equal numbers forms", "1", "1.0e0", 1);
	eq("equal numbers differ", "1", "1.0000001", 0);
	eq("equal zero signs", "0", "-0", 1);
	eq("equal kinds differ", "1", "\"1\"", 0);
	eq("equal literals", "true", "true", 1);
	eq("equal true false", "true", "false", 0);
	eq("equal null", "null", "null", 1);
	eq("equal arrays", "[1,[2,3],{\"a\":\"b\"}]", "[1.0,[2,3],{\"\\u0061\":\"b\"}]", 1);
	eq("equal arrays order", "[1,2]", "[2,1]", 0);
	eq("equal arrays length", "[1,2]", "[1,2,3]", 0);
	eq("equal objects any order", "{\"a\":1,\"b\":{\"c\":[true]}}",
	   "{\"b\":{\"c\":[true]},\"a\":1}", 1);
	eq("equal objects value differs", "{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":3}", 0);
	eq("equal objects key differs", "{\"a\":1,\"b\":2}", "{\"a\":1,\"c\":2}", 0);
	eq("equal objects key count", "{\"a\":1}", "{\"a\":1,\"b\":2}", 0);
	eq("equal empty containers", "{}", "[]", 0);
}

/* The eight-byte fast path of string scanning: a special byte at every offset of a run. */
static void words(void)
{
	static const unsigned char special[] = { 0x00, 0x01, 0x1f, 0x80, 0xff, '\\', '"' };
	char body[128];
	int bad = 0;
	for (size_t k = 0; k < sizeof special; k++)
		for (int len = 1; len <= 40; len++)
			for (int pos = 0; pos < len; pos++) {
				int n = sprintf(body, "{\"s\":\"");
				for (int i = 0; i < len; i++)
					body[n++] =
						i == pos ? (char)special[k] : (char)('a' + i % 26);
				n += sprintf(body + n, "\"}");
				const char *why = NULL;
				int r = wj_parse(&D, body, (size_t)n, &why);
				/* a quote ends the string early: the rest is then not JSON; a
				 * backslash
				 * escapes the next letter, which is not an escape (only b f n r t
				 * are) */
				int want_ok = 0;
				if (special[k] == '\\') {
					char next =
						pos + 1 < len ? (char)('a' + (pos + 1) % 26) : '"';
					want_ok = next == 'b' || next == 'f' || next == 'n' ||
						  next == 'r' || next == 't';
				}
				if ((r == 0) != want_ok)
					bad++;
			}
	result("eight-byte runs: every special byte at every offset", bad ? "%d wrong" : NULL, bad);
	OK("eight-byte runs: plain 7-bit text",
	   "{\"s\":\"abcdefghijklmnopqrstuvwxyz ~!@#$%^&*()_+-=[]{}|;':,"
	   "./<>?`ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\"}");
	OK("eight-byte runs: 0x7f and 0x20",
	   "{\"s\":\"\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x20\x20\x20\x20\x20\x20\x20\x20\"}");
}

/* Nesting is refused at the first byte past the limit, whatever follows. */
static void deep(void)
{
	size_t n = 1 << 20;
	char *b = malloc(n);
	memset(b, '[', n);
	b[0] = '{';
	b[1] = '"';
	b[2] = 'a';
	b[3] = '"';
	b[4] = ':';
	expect("1 MiB of [ refused", b, n, "nesting too deep");
	for (size_t i = 5; i + 6 <= n; i += 6)
		memcpy(b + i, "[{\"a\":", 6);
	expect("1 MiB of [{\"a\": refused", b, n, "nesting too deep");
	free(b);
}

/* Objects over WJ_SMALL_OBJECT keys: binary search and equality over sorted keys. */
static void large_objects(void)
{
	char *b = malloc(1 << 16);
	int k = 0, i;
	k += sprintf(b + k, "{\"l\":{");
	for (i = 0; i < 100; i++)
		k += sprintf(b + k, "%s\"key%03d\":%d", i ? "," : "", i, i);
	k += sprintf(b + k, ",\"\\u00e9t\\u00e9\":\"summer\"},\"r\":{");
	k += sprintf(b + k, "\"\\u00e9t\\u00e9\":\"summer\"");
	for (i = 99; i >= 0; i--)
		k += sprintf(b + k, ",\"k\\u0065y%03d\":%d.0", i, i);
	k += sprintf(b + k, "},\"x\":{");
	for (i = 0; i < 101; i++)
		k += sprintf(b + k, "%s\"key%03d\":%d", i ? "," : "", i, i);
	k += sprintf(b + k, "}}");
	const char *why;
	if (wj_parse(&D, b, (size_t)k, &why)) {
		result("large objects parse", "%s", why);
		free(b);
		return;
	}
	int l = path("l", NULL), r = path("r", NULL), x = path("x", NULL), bad = 0;
	for (i = 0; i < 100; i++) {
		char key[16];
		sprintf(key, "key%03d", i);
		int t = wj_get(&D, l, key, 6), u = wj_get(&D, r, key, 6);
		if (t < 0 || u < 0 || wj_number(&D, t) != i || wj_number(&D, u) != i)
			bad++;
	}
	result("large get: every key, raw and escaped", bad ? "%d missing" : NULL, bad);
	result("large get: decoded key", wj_get(&D, l, "\xc3\xa9t\xc3\xa9", 5) >= 0 &&
							 wj_get(&D, r, "\xc3\xa9t\xc3\xa9", 5) >= 0
						 ? NULL
						 : "not found");
	result("large get: absent keys",
	       wj_get(&D, l, "key100", 6) < 0 && wj_get(&D, l, "", 0) < 0 &&
			       wj_get(&D, l, "key00", 5) < 0 && wj_get(&D, l, "key0000", 7) < 0
		       ? NULL
		       : "found");
	result("large equal: same keys, other order and escapes",
	       wj_equal(&D, l, r) && wj_equal(&D, r, l) ? NULL : "differ");
	result("large equal: other keys",
	       !wj_equal(&D, l, x) && !wj_equal(&D, x, r) ? NULL : "equal");
	free(b);
}

static void reuse(void)
{
	static const char *bodies[] = {
		"{\"a\":[1,2,3]}",    "{\"a\":1,}", "{\"b\":{\"c\":\"d\"}}", "[1]", "",
		"{\"x\":\"\\ud800\"}"
	};
	char big[4096];
	const jsmntok_t *tok;
	const char *why;
	int i, bad = 0, k = 0, cap;
	wj_doc d;
	wj_init(&d);
	wj_free(&d);
	wj_free(&d); /* freeing an empty doc is fine, twice */
	k += sprintf(big + k, "{\"a\":[");
	for (i = 0; i < 500; i++)
		k += sprintf(big + k, "%s%d", i ? "," : "", i);
	k += sprintf(big + k, "]}");
	if (wj_parse(&d, big, (size_t)k, &why) || d.ntok != 503)
		bad |= 1; /* grows from cap 0 */
	tok = d.tok;
	cap = d.cap;
	for (i = 0; i < 3000; i++) {
		const char *b = bodies[i % 6];
		int r = wj_parse(&d, b, strlen(b), &why), ok = i % 6 == 0 || i % 6 == 2;
		if ((r == 0) != ok || (!ok && d.ntok) ||
		    (ok && wj_get(&d, 0, i % 6 ? "b" : "a", 1) < 0))
			bad |= 2;
		if (!ok && wj_get(&d, 0, "a", 1) != -1)
			bad |= 4;
	}
	if (d.tok != tok || d.cap != cap)
		bad |= 8; /* no reallocation once warmed */
	if (wj_parse(&d, big, (size_t)k, &why) || wj_number(&d, wj_get(&d, 0, "a", 1) + 500) != 499)
		bad |= 16;
	result("reuse one doc across parses and errors", bad ? "flags %d" : NULL, bad);
	wj_free(&d);
	result("free resets",
	       !d.tok && !d.next && !d.esc && !d.cap && !d.ntok ? NULL : "not reset");
	k = 0; /* regrow after free, with many tokens */
	char *huge = malloc(20000 * 16 + 32);
	k += sprintf(huge + k, "{\"a\":[");
	for (i = 0; i < 20000; i++)
		k += sprintf(huge + k, "%s{\"k\":%d}", i ? "," : "", i);
	k += sprintf(huge + k, "]}");
	i = wj_parse(&d, huge, (size_t)k, &why);
	result("regrow after free", !i && d.ntok == 3 + 20000 * 3 ? NULL : "r %d ntok %d", i,
	       d.ntok);
	wj_free(&d);
	free(huge);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	wj_check_jsmn = 1;      /* every valid body's tokens compared with jsmn's */
	wj_init(&D);
	accept_rules();
	reject_rules();
	depth();
	dupkeys();
	dup_property();
	sdp();
	readers();
	equality();
	words();
	deep();
	large_objects();
	reuse();
	wj_free(&D);
	fprintf(stderr, "%d cases, %d failed\n", ncase, nfail);
	return nfail ? 1 : 0;
}
