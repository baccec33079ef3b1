/*
 * log.c -- access log (stdout, fully buffered) and diagnostics (stderr), text or json.
 *
 * A line is built in a fixed buffer and written with one fwrite. Fields are cut to FIELD_MAX
 * input bytes and messages to MSG_MAX before escaping, so the worst case (every byte escaped
 * to six) still fits LINE_SIZE and a line is never truncated mid-escape. Text values escape
 * space, quote, backslash, control bytes and invalid UTF-8 as \xHH (messages keep space and
 * quotes); json values use JSON escapes and turn invalid UTF-8 (an appKey cut mid-character)
 * into U+FFFD. Access lines are text `key=value ...` or one JSON object with the same keys.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "utf8.h"

#define FIELD_MAX 128            /* input bytes kept of one untrusted field */
#define MSG_MAX 1024             /* input bytes kept of one message */
#define LINE_SIZE (6 * MSG_MAX + 64)
#define OUTBUF_SIZE 65536
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

int log_level = LOGL_INFO;
static int log_format = LOGF_TEXT;
static char outbuf[OUTBUF_SIZE];

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const char *const format_names[] = { "text", "json" };
_Static_assert(NELEM(level_names) == LOGL_DEBUG + 1, "one name per enum log_level");
_Static_assert(NELEM(format_names) == LOGF_JSON + 1, "one name per enum log_format");

enum { ESC_WORD, ESC_PROSE, ESC_JSON, ESC_QUOTED };

typedef struct line {
	char b[LINE_SIZE];
	size_t n;
} line;

static int lookup(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

int log_parse_level(const char *s)
{
	return lookup(level_names, NELEM(level_names), s);
}

int log_parse_format(const char *s)
{
	return lookup(format_names, NELEM(format_names), s);
}

void log_init(int level, int format)
{
	log_level = level;
	log_format = format;
	setvbuf(stdout, outbuf, level >= LOGL_DEBUG ? _IOLBF : _IOFBF, sizeof outbuf);
}

void log_flush(void)
{
	fflush(stdout);
}

static void put(line *l, const char *s, size_t n)
{
	if (n > sizeof l->b - 1 - l->n)
		n = sizeof l->b - 1 - l->n;
	memcpy(l->b + l->n, s, n);
	l->n += n;
}

static void puts0(line *l, const char *s)
{
	put(l, s, strlen(s));
}

/* Whether ASCII byte c is written as is in text: WORD (a value) escapes space, quote and
 * backslash too; QUOTED (a value between quotes) quote and backslash; PROSE (a message)
 * only control bytes. */
static int plain(unsigned c, int mode)
{
	if (c < 0x20 || c == 0x7f)
		return 0;
	if (c == ' ')
		return mode != ESC_WORD;
	if (c == '"' || c == '\\')
		return mode == ESC_PROSE;
	return 1;
}

/* Append s[0..n) escaped: JSON string content (the input is cut so that its worst case,
 * six bytes each, fits), or text with \xHH for what is not written as is. */
static void esc(line *l, const char *s, size_t n, int mode)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	char e[4];
	size_t i, k;

	if (mode == ESC_JSON) {
		if (6 * n <= sizeof l->b - 1 - l->n)
			l->n += utf8_json_escape(l->b + l->n, s, n);
		return;
	}
	for (i = 0; i < n; i += k) {
		for (k = 0; i + k < n && u[i + k] < 0x80 && plain(u[i + k], mode); k++)
			;
		if (k == 0 && u[i] >= 0x80)
			k = utf8_seq(u + i, n - i);
		if (k > 0) {
			put(l, s + i, k);
			continue;
		}
		k = 1;
		e[0] = '\\', e[1] = 'x', e[2] = hex[u[i] >> 4], e[3] = hex[u[i] & 15];
		put(l, e, 4);
	}
}

/* A field: text `key=value` ("-" when empty or absent), json `"key":"value"` or null. */
static void field(line *l, const char *key, const char *s, size_t n, int first)
{
	if (log_format == LOGF_JSON) {
		puts0(l, first ? "{\"" : ",\"");
		puts0(l, key);
		if (s == NULL) {
			puts0(l, "\":null");
			return;
		}
		puts0(l, "\":\"");
		esc(l, s, n < FIELD_MAX ? n : FIELD_MAX, ESC_JSON);
		puts0(l, "\"");
		return;
	}
	if (!first)
		puts0(l, " ");
	puts0(l, key);
	puts0(l, "=");
	if (s == NULL || n == 0)
		puts0(l, "-");
	else
		esc(l, s, n < FIELD_MAX ? n : FIELD_MAX, ESC_WORD);
}

/* A numeric field, formatted by hand: printf costs a tenth of the whole request here. */
static void number(line *l, const char *key, unsigned long long v)
{
	char t[24];
	size_t i = sizeof t;

	do
		t[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	puts0(l, log_format == LOGF_JSON ? ",\"" : " ");
	puts0(l, key);
	puts0(l, log_format == LOGF_JSON ? "\":" : "=");
	put(l, t + i, sizeof t - i);
}

/* Dotted quad into out (16 bytes), without inet_ntop's sprintf. */
static const char *ipv4(char *out, const unsigned char *a)
{
	char *p = out;
	int i;

	for (i = 0; i < 4; i++) {
		if (a[i] >= 100)
			*p++ = (char)('0' + a[i] / 100);
		if (a[i] >= 10)
			*p++ = (char)('0' + a[i] / 10 % 10);
		*p++ = (char)('0' + a[i] % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
	return out;
}

void log_access(const log_rec *r)
{
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)(const void *)r->from;
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)(const void *)r->from;
	char addr[INET6_ADDRSTRLEN];
	const char *from = NULL;
	line l;

	if (!log_on(LOGL_INFO))
		return;
	if (r->from != NULL && r->from->sa_family == AF_INET)
		from = ipv4(addr, (const unsigned char *)&v4->sin_addr);
	else if (r->from != NULL && r->from->sa_family == AF_INET6)
		from = inet_ntop(AF_INET6, &v6->sin6_addr, addr, sizeof addr);
	l.n = 0;
	field(&l, "app", r->app, r->alen, 1);
	field(&l, "method", r->method, r->mlen, 0);
	field(&l, "decision", r->decision, strlen(r->decision), 0);
	number(&l, "status", (unsigned long long)r->status);
	field(&l, "rule", r->rule, r->rule ? strlen(r->rule) : 0, 0);
	if (r->reason != NULL && log_format == LOGF_JSON)
		field(&l, "reason", r->reason, strlen(r->reason), 0);
	else if (r->reason != NULL) {   /* prose: between quotes, spaces as they are */
		puts0(&l, " reason=\"");
		esc(&l, r->reason, strnlen(r->reason, FIELD_MAX), ESC_QUOTED);
		puts0(&l, "\"");
	}
	number(&l, "us", r->us);
	field(&l, "from", from, from ? strlen(from) : 0, 0);
	if (log_format == LOGF_JSON)
		puts0(&l, "}");
	l.b[l.n++] = '\n';
	fwrite(l.b, 1, l.n, stdout);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
	char m[MSG_MAX];
	size_t n;
	line l;
	int k;

	if (!log_on(level))
		return;
	k = vsnprintf(m, sizeof m, fmt, ap);
	if (k < 0)
		return;
	n = (size_t)k < sizeof m ? (size_t)k : sizeof m - 1;
	while (n > 0 && m[n - 1] == '\n')
		n--;
	l.n = 0;
	if (log_format == LOGF_JSON) {
		field(&l, "level", level_names[level], strlen(level_names[level]), 1);
		puts0(&l, ",\"msg\":\"");
		esc(&l, m, n, ESC_JSON);
		puts0(&l, "\"}");
	} else {
		puts0(&l, "wcsp: ");
		puts0(&l, level_names[level]);
		puts0(&l, ": ");
		esc(&l, m, n, ESC_PROSE);
	}
	l.b[l.n++] = '\n';
	fwrite(l.b, 1, l.n, stderr);
}
