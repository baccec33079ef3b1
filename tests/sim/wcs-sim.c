/*
 * wcs-sim.c -- plays Flashphoner Web Call Server (WCS) against a running wcsp server.
 *
 *   wcs-sim --server 127.0.0.1:PORT [--timeout SECONDS] [--prefix /rest/my_api] FLOW...
 *
 * WCS POSTs a JSON body to <app url>/<method> for every hook and acts on the reply under the
 * restClientConfig that the connect reply handed it. This program does the same from a
 * scenario file (tests/sim/README.md has the format): it sends connect, keeps the
 * restClientConfig (defaults when absent: restOnError LOG, restPolicy NOTIFY, empty lists),
 * and for every later hook applies the rules of ../shared/spec/wcs-rest-hooks.md to decide
 * what WCS would do:
 *
 *   - method type from the spec's Appendix A (connect / direct / event / incoming);
 *   - restPolicy DISABLE: WCS does not call the backend (the WCS 4 reading, the one the
 *     brief and wcspc use), so the hook is NOT sent; the operation goes on as the client
 *     asked;
 *   - restExclude: those fields are cut from the body before sending;
 *   - 200: NOTIFY ignores the reply's fields; OVERWRITE takes the fields named in
 *     restOverwrite from the reply;
 *   - non-200 (section 5.1): connect -> session refused whatever restOnError says;
 *     direct + FAIL -> stopped, the client sees the matching event FAILED;
 *     event + FAIL -> WCS goes on, the client gets an ErrorEvent (StreamKeepAliveEvent +
 *     FAIL: the stream is terminated); incoming + FAIL -> stopped, the SIP caller gets 403;
 *     LOG (any non-connect type) -> logged, WCS goes on.
 *
 * Model choices the spec leaves open (marked "inferred" in the README):
 *   - every hook of a session carries the session's nodeId/appKey/sessionId;
 *   - once a publishStream/playStream name was overwritten, the later hooks of that
 *     mediaSessionId (status events, keep-alives, unpublish/stop) carry the adopted name;
 *   - no hook is sent for a session that was refused or has disconnected, and no
 *     keep-alive for a stream that was refused, stopped or terminated;
 *   - WCS serialises its own objects, so bodies go out as compact JSON; every string and
 *     number keeps the exact JSON text of the body file (escapes such as \u0061 survive).
 *
 * HTTP: one persistent HTTP/1.1 connection with WCS's headers, Content-Length bodies;
 * replies with Content-Length or chunked bodies; SO_RCVTIMEO/SO_SNDTIMEO on every socket
 * operation; a reused connection that the server closed is reopened once (WCS retries
 * send-time errors).
 *
 * Output: one "PASS <scenario>:<line> <expectation>: <what WCS does>" or
 * "FAIL <scenario>:<line> <expectation>: <what differed>; <what WCS does>" line per
 * expectation, a FAIL line for every protocol violation of the server (a 200 that is not a
 * JSON object, a malformed restClientConfig, a broken HTTP reply), and one INFO line per
 * scenario with the outcome of every hook. Exit 0 when every scenario could run (whatever
 * the expectations say), 2 on usage or when a scenario could not run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "json.h"

#define MAX_REPLY (16u << 20)
#define MAX_TOKENS 64

/* ------------------------------------------------------------------ small helpers */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		fprintf(stderr, "wcs-sim: out of memory\n");
		exit(2);
	}
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n ? n : 1)) == NULL) {
		fprintf(stderr, "wcs-sim: out of memory\n");
		exit(2);
	}
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

typedef struct {
	char *p;
	size_t n, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		sb_put(b, tmp, (size_t)n);
		return;
	}
	char *big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_put(b, big, (size_t)n);
	free(big);
}

static const char *sb_str(sbuf *b)
{
	return b->p != NULL ? b->p : "";
}

static void sb_clear(sbuf *b)
{
	b->n = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

/* a short printable excerpt for diagnostics */
static void sb_peek(sbuf *b, const char *s, size_t n, size_t max)
{
	size_t i;

	for (i = 0; i < n && i < max; i++) {
		char c = s[i];
		sb_put(b, (c >= 0x20 && c < 0x7f) ? &c : ".", 1);
	}
	if (n > max)
		sb_puts(b, "...");
}

/* ------------------------------------------------------------------ JSON values
 *
 * A small tree built from runtime/json.c's validated tokens. Scalars keep their JSON text as
 * written (raw), strings also their decoded bytes; object keys keep both forms. Serialising
 * writes the raw texts back, compactly.
 */
typedef struct jv jv;
struct jv {
	enum wj_kind kind;
	char *raw;          /* scalars: JSON text as written, quotes included for strings */
	char *str;          /* strings: decoded */
	size_t slen;
	double num;
	int n, cap;         /* objects and arrays: members */
	char **kraw;        /* objects: keys as written, quotes included */
	char **key;         /* objects: keys decoded */
	size_t *klen;
	jv **v;
};

static jv *jv_new(enum wj_kind k)
{
	jv *j = xmalloc(sizeof *j);

	memset(j, 0, sizeof *j);
	j->kind = k;
	return j;
}

static void jv_free(jv *j)
{
	int i;

	if (j == NULL)
		return;
	for (i = 0; i < j->n; i++) {
		jv_free(j->v[i]);
		if (j->kind == WJ_OBJECT) {
			free(j->kraw[i]);
			free(j->key[i]);
		}
	}
	free(j->v);
	free(j->kraw);
	free(j->key);
	free(j->klen);
	free(j->raw);
	free(j->str);
	free(j);
}

static void jv_grow(jv *j)
{
	if (j->n < j->cap)
		return;
	j->cap = j->cap ? j->cap * 2 : 8;
	j->v = xrealloc(j->v, (size_t)j->cap * sizeof *j->v);
	if (j->kind == WJ_OBJECT) {
		j->kraw = xrealloc(j->kraw, (size_t)j->cap * sizeof *j->kraw);
		j->key = xrealloc(j->key, (size_t)j->cap * sizeof *j->key);
		j->klen = xrealloc(j->klen, (size_t)j->cap * sizeof *j->klen);
	}
}

static jv *jv_build(const wj_doc *d, int t)
{
	enum wj_kind k = wj_kind(d, t);
	jv *j = jv_new(k);
	size_t s, e;
	int i;

	if (k == WJ_OBJECT) {
		for (i = t + 1; i < d->next[t]; i = d->next[i + 1]) {
			jv_grow(j);
			wj_span(d, i, &s, &e);
			j->kraw[j->n] = xstrndup(d->buf + s, e - s);
			j->key[j->n] = xmalloc((size_t)(d->tok[i].end - d->tok[i].start) + 1);
			j->klen[j->n] = wj_str_decode(d, i, j->key[j->n]);
			j->key[j->n][j->klen[j->n]] = '\0';
			j->v[j->n] = jv_build(d, i + 1);
			j->n++;
		}
		return j;
	}
	if (k == WJ_ARRAY) {
		for (i = t + 1; i < d->next[t]; i = d->next[i]) {
			jv_grow(j);
			j->v[j->n++] = jv_build(d, i);
		}
		return j;
	}
	wj_span(d, t, &s, &e);
	j->raw = xstrndup(d->buf + s, e - s);
	if (k == WJ_STRING) {
		j->str = xmalloc((size_t)(d->tok[t].end - d->tok[t].start) + 1);
		j->slen = wj_str_decode(d, t, j->str);
		j->str[j->slen] = '\0';
	} else if (k == WJ_NUMBER) {
		j->num = wj_number(d, t);
	}
	return j;
}

/* One JSON object from buf, or NULL and *why. */
static jv *jv_parse(const char *buf, size_t len, const char **why)
{
	wj_doc d;
	jv *j = NULL;

	wj_init(&d);
	if (wj_parse(&d, buf, len, why) == 0)
		j = jv_build(&d, 0);
	wj_free(&d);
	return j;
}

/* One JSON value (any kind) from text, via {"v":TEXT}. */
static jv *jv_parse_value(const char *text, const char **why)
{
	sbuf b = { 0 };
	jv *o, *v;

	sb_puts(&b, "{\"v\":");
	sb_puts(&b, text);
	sb_puts(&b, "}");
	o = jv_parse(b.p, b.n, why);
	free(b.p);
	if (o == NULL)
		return NULL;
	v = o->v[0];
	o->v[0] = NULL;
	jv_free(o);
	return v;
}

static void json_quote(sbuf *b, const char *s, size_t n)
{
	size_t i;

	sb_put(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			sb_put(b, e, 2);
		} else if (c < 0x20) {
			sb_printf(b, "\\u%04x", c);
		} else {
			sb_put(b, (const char *)&c, 1);
		}
	}
	sb_put(b, "\"", 1);
}

static jv *jv_string(const char *s)
{
	sbuf b = { 0 };
	jv *j = jv_new(WJ_STRING);

	json_quote(&b, s, strlen(s));
	j->raw = b.p;
	j->str = xstrdup(s);
	j->slen = strlen(s);
	return j;
}

static jv *jv_copy(const jv *a)
{
	jv *j = jv_new(a->kind);
	int i;

	if (a->raw != NULL)
		j->raw = xstrdup(a->raw);
	if (a->str != NULL) {
		j->str = xstrndup(a->str, a->slen);
		j->slen = a->slen;
	}
	j->num = a->num;
	for (i = 0; i < a->n; i++) {
		jv_grow(j);
		if (a->kind == WJ_OBJECT) {
			j->kraw[i] = xstrdup(a->kraw[i]);
			j->key[i] = xstrndup(a->key[i], a->klen[i]);
			j->klen[i] = a->klen[i];
		}
		j->v[i] = jv_copy(a->v[i]);
		j->n++;
	}
	return j;
}

static void jv_write(sbuf *b, const jv *j)
{
	int i;

	switch (j->kind) {
	case WJ_OBJECT:
		sb_put(b, "{", 1);
		for (i = 0; i < j->n; i++) {
			if (i)
				sb_put(b, ",", 1);
			sb_puts(b, j->kraw[i]);
			sb_put(b, ":", 1);
			jv_write(b, j->v[i]);
		}
		sb_put(b, "}", 1);
		break;
	case WJ_ARRAY:
		sb_put(b, "[", 1);
		for (i = 0; i < j->n; i++) {
			if (i)
				sb_put(b, ",", 1);
			jv_write(b, j->v[i]);
		}
		sb_put(b, "]", 1);
		break;
	default:
		sb_puts(b, j->raw);
	}
}

/* a value for messages: strings decoded in quotes, the rest as JSON, cut at max bytes */
static void jv_show(sbuf *b, const jv *j, size_t max)
{
	sbuf t = { 0 };

	if (j == NULL) {
		sb_puts(b, "(absent)");
		return;
	}
	if (j->kind == WJ_STRING) {
		sb_put(&t, "\"", 1);
		sb_put(&t, j->str, j->slen);
		sb_put(&t, "\"", 1);
	} else {
		jv_write(&t, j);
	}
	if (t.n > max) {
		sb_put(b, t.p, max);
		sb_puts(b, "...");
	} else {
		sb_put(b, sb_str(&t), t.n);
	}
	free(t.p);
}

static int jv_equal(const jv *a, const jv *b)
{
	int i, k;

	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case WJ_STRING:
		return a->slen == b->slen && memcmp(a->str, b->str, a->slen) == 0;
	case WJ_NUMBER:
		return a->num == b->num;
	case WJ_ARRAY:
		if (a->n != b->n)
			return 0;
		for (i = 0; i < a->n; i++)
			if (!jv_equal(a->v[i], b->v[i]))
				return 0;
		return 1;
	case WJ_OBJECT:
		if (a->n != b->n)
			return 0;
		for (i = 0; i < a->n; i++) {
			for (k = 0; k < b->n; k++)
				if (a->klen[i] == b->klen[k] &&
				    memcmp(a->key[i], b->key[k], a->klen[i]) == 0)
					break;
			if (k == b->n || !jv_equal(a->v[i], b->v[k]))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}

static int jv_find(const jv *o, const char *k, size_t n)
{
	int i;

	if (o == NULL || o->kind != WJ_OBJECT)
		return -1;
	for (i = 0; i < o->n; i++)
		if (o->klen[i] == n && memcmp(o->key[i], k, n) == 0)
			return i;
	return -1;
}

static jv *jv_member(const jv *o, const char *k)
{
	int i = jv_find(o, k, strlen(k));

	return i < 0 ? NULL : o->v[i];
}

/* a dotted path: "custom.token" */
static jv *jv_get(const jv *o, const char *path)
{
	const char *s = path, *dot;
	int i;

	for (;;) {
		dot = strchr(s, '.');
		i = jv_find(o, s, dot ? (size_t)(dot - s) : strlen(s));
		if (i < 0)
			return NULL;
		if (dot == NULL)
			return o->v[i];
		o = o->v[i];
		s = dot + 1;
	}
}

/* set a dotted path, creating objects on the way (a non-object on the way is replaced);
 * takes ownership of val */
static void jv_set(jv *o, const char *path, jv *val)
{
	const char *s = path, *dot;
	size_t n;
	int i;

	for (;;) {
		dot = strchr(s, '.');
		n = dot ? (size_t)(dot - s) : strlen(s);
		i = jv_find(o, s, n);
		if (i < 0) {
			sbuf kb = { 0 };
			jv_grow(o);
			i = o->n++;
			json_quote(&kb, s, n);
			o->kraw[i] = kb.p;
			o->key[i] = xstrndup(s, n);
			o->klen[i] = n;
			o->v[i] = dot ? jv_new(WJ_OBJECT) : NULL;
		}
		if (dot == NULL) {
			jv_free(o->v[i]);
			o->v[i] = val;
			return;
		}
		if (o->v[i]->kind != WJ_OBJECT) {
			jv_free(o->v[i]);
			o->v[i] = jv_new(WJ_OBJECT);
		}
		o = o->v[i];
		s = dot + 1;
	}
}

/* remove a dotted path; 1 when something was removed */
static int jv_del(jv *o, const char *path)
{
	const char *dot = strrchr(path, '.');
	char *parent;
	int i;

	if (dot != NULL) {
		parent = xstrndup(path, (size_t)(dot - path));
		o = jv_get(o, parent);
		free(parent);
		path = dot + 1;
	}
	if ((i = jv_find(o, path, strlen(path))) < 0)
		return 0;
	jv_free(o->v[i]);
	free(o->kraw[i]);
	free(o->key[i]);
	memmove(o->v + i, o->v + i + 1, (size_t)(o->n - i - 1) * sizeof *o->v);
	memmove(o->kraw + i, o->kraw + i + 1, (size_t)(o->n - i - 1) * sizeof *o->kraw);
	memmove(o->key + i, o->key + i + 1, (size_t)(o->n - i - 1) * sizeof *o->key);
	memmove(o->klen + i, o->klen + i + 1, (size_t)(o->n - i - 1) * sizeof *o->klen);
	o->n--;
	return 1;
}

/* the decoded string of a member, or NULL when absent or not a string */
static const char *jv_str_at(const jv *o, const char *path)
{
	const jv *v = jv_get(o, path);

	return v != NULL && v->kind == WJ_STRING ? v->str : NULL;
}

/* A scenario value: JSON text when it parses as a JSON value, else a bare string. */
static jv *value_arg(const char *text)
{
	const char *why;
	jv *v = NULL;

	if (text[0] == '"' || text[0] == '{' || text[0] == '[' || text[0] == '-' ||
	    (text[0] >= '0' && text[0] <= '9') || !strcmp(text, "true") ||
	    !strcmp(text, "false") || !strcmp(text, "null"))
		v = jv_parse_value(text, &why);
	return v != NULL ? v : jv_string(text);
}

/* ------------------------------------------------------------------ HTTP client */

typedef struct {
	char host[64];
	int port;
	int timeout_s;
	int fd;
	int nconn;           /* TCP connections opened so far */
	int nreq;            /* requests answered */
	int err_no;          /* errno of the last failed recv */
	char *buf;           /* received bytes not consumed yet */
	size_t len, cap;
} http_conn;

typedef struct {
	int status;
	char reason[64];
	char *body;
	size_t blen;
	int chunked, close, has_clen;
} http_reply;

static void http_close(http_conn *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	h->len = 0;
}

static int http_open(http_conn *h, sbuf *err)
{
	struct sockaddr_in a;
	struct timeval tv = { .tv_sec = h->timeout_s, .tv_usec = 0 };
	int one = 1;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)h->port);
	if (inet_pton(AF_INET, h->host, &a.sin_addr) != 1) {
		sb_printf(err, "bad IPv4 address %s", h->host);
		return -1;
	}
	if ((h->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
		sb_printf(err, "socket: %s", strerror(errno));
		return -1;
	}
	/* Linux applies SO_SNDTIMEO to connect() too */
	if (setsockopt(h->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
	    setsockopt(h->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
		sb_printf(err, "setsockopt: %s", strerror(errno));
		http_close(h);
		return -1;
	}
	setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(h->fd, (struct sockaddr *)&a, sizeof a) != 0) {
		sb_printf(err, "connect %s:%d: %s", h->host, h->port, strerror(errno));
		http_close(h);
		return -1;
	}
	h->nconn++;
	h->len = 0;
	return 0;
}

static int send_all(int fd, const char *p, size_t n, sbuf *err)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			sb_printf(err, "send: %s",
				  w < 0 ? (errno == EAGAIN || errno == EWOULDBLOCK
						   ? "timed out"
						   : strerror(errno))
					: "wrote nothing");
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* read more bytes into h->buf: >0 read, 0 EOF, -1 error (err filled) */
static int fill(http_conn *h, sbuf *err)
{
	ssize_t r;

	if (h->len + 4096 > h->cap) {
		h->cap = h->cap ? h->cap * 2 : 16384;
		h->buf = xrealloc(h->buf, h->cap);
	}
	for (;;) {
		r = recv(h->fd, h->buf + h->len, h->cap - h->len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		break;
	}
	if (r < 0) {
		h->err_no = errno;
		sb_printf(err, "recv: %s", (h->err_no == EAGAIN || h->err_no == EWOULDBLOCK) ?
		    "timed out" : strerror(h->err_no));
		return -1;
	}
	h->len += (size_t)r;
	return (int)r;
}

static void consume(http_conn *h, size_t n)
{
	memmove(h->buf, h->buf + n, h->len - n);
	h->len -= n;
}

static const char *find_crlf(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++)
		if (s[i] == '\r' && s[i + 1] == '\n')
			return s + i;
	return NULL;
}

static int hdr_is(const char *line, size_t n, const char *name, const char **val, size_t *vlen)
{
	size_t k = strlen(name), i;

	if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
		return 0;
	for (i = k + 1; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	*val = line + i;
	*vlen = n - i;
	while (*vlen > 0 && (line[i + *vlen - 1] == ' ' || line[i + *vlen - 1] == '\t'))
		(*vlen)--;
	return 1;
}

/*
 * Read one reply. Returns 0 on success; -1 on error; -2 when the connection was closed
 * before the first byte of the reply (the caller may reopen and retry).
 */
static int read_reply(http_conn *h, http_reply *rp, sbuf *err)
{
	const char *p, *e, *line;
	size_t hlen = 0, clen = 0, i;
	int r, got_any = h->len > 0;

	memset(rp, 0, sizeof *rp);
	for (;;) {   /* headers */
		for (i = 0; i + 3 < h->len; i++)
			if (!memcmp(h->buf + i, "\r\n\r\n", 4)) {
				hlen = i + 4;
				break;
			}
		if (hlen)
			break;
		if (h->len > 65536) {
			sb_puts(err, "reply headers over 64 KiB");
			return -1;
		}
		if ((r = fill(h, err)) < 0) {
			/* a reset before any byte of the reply: the server had closed the
			 * kept-alive connection, the request never reached it */
			if (!got_any && (h->err_no == ECONNRESET || h->err_no == EPIPE))
				return -2;
			return -1;
		}
		if (r == 0) {
			if (!got_any)
				return -2;
			sb_puts(err, "connection closed inside the reply headers");
			return -1;
		}
		got_any = 1;
	}
	/* status line */
	p = h->buf;
	e = find_crlf(p, hlen);
	if (e - p < 12 || (memcmp(p, "HTTP/1.1 ", 9) != 0 && memcmp(p, "HTTP/1.0 ", 9) != 0) ||
	    p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9') {
		sb_puts(err, "bad status line: ");
		sb_peek(err, p, (size_t)(e - p), 80);
		return -1;
	}
	rp->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (e - p > 13)
		snprintf(rp->reason, sizeof rp->reason, "%.*s", (int)(e - p - 13), p + 13);
	if (memcmp(p, "HTTP/1.0 ", 9) == 0)
		rp->close = 1;
	for (line = e + 2; line < h->buf + hlen - 2; line = e + 2) {
		const char *v;
		size_t vl;
		e = find_crlf(line, (size_t)(h->buf + hlen - line));
		if (hdr_is(line, (size_t)(e - line), "Content-Length", &v, &vl)) {
			size_t k;
			if (vl == 0 || vl > 9) {
				sb_puts(err, "bad Content-Length");
				return -1;
			}
			for (clen = 0, k = 0; k < vl; k++) {
				if (v[k] < '0' || v[k] > '9') {
					sb_puts(err, "bad Content-Length");
					return -1;
				}
				clen = clen * 10 + (size_t)(v[k] - '0');
			}
			rp->has_clen = 1;
		} else if (hdr_is(line, (size_t)(e - line), "Transfer-Encoding", &v, &vl)) {
			rp->chunked = vl == 7 && strncasecmp(v, "chunked", 7) == 0;
		} else if (hdr_is(line, (size_t)(e - line), "Connection", &v, &vl)) {
			if (vl == 5 && strncasecmp(v, "close", 5) == 0)
				rp->close = 1;
		}
	}
	consume(h, hlen);
	if (rp->chunked) {
		sbuf body = { 0 };
		for (;;) {
			size_t sz = 0, k;
			while ((e = find_crlf(h->buf, h->len)) == NULL) {
				if ((r = fill(h, err)) <= 0) {
					if (r == 0)
						sb_puts(err,
							"connection closed inside a chunk header");
					free(body.p);
					return -1;
				}
			}
			for (k = 0; h->buf + k < e; k++) {
				int c = h->buf[k], d;
				if (c >= '0' && c <= '9') d = c - '0';
				else if ((c | 32) >= 'a' && (c | 32) <= 'f')
					d = (c | 32) - 'a' + 10;
				else if (c == ';') break;
				else {
					sb_puts(err, "bad chunk size");
					free(body.p);
					return -1;
				}
				sz = sz * 16 + (size_t)d;
				if (sz > MAX_REPLY) {
					sb_puts(err, "chunk too large");
					free(body.p);
					return -1;
				}
			}
			consume(h, (size_t)(e - h->buf) + 2);
			while (h->len < sz + 2) {
				if ((r = fill(h, err)) <= 0) {
					if (r == 0)
						sb_puts(err, "connection closed inside a chunk");
					free(body.p);
					return -1;
				}
			}
			if (sz == 0) {   /* no trailers expected: the last CRLF */
				if (memcmp(h->buf, "\r\n", 2) != 0) {
					sb_puts(err,
						"trailers after the last chunk are not handled");
					free(body.p);
					return -1;
				}
				consume(h, 2);
				break;
			}
			sb_put(&body, h->buf, sz);
			if (memcmp(h->buf + sz, "\r\n", 2) != 0) {
				sb_puts(err, "chunk not followed by CRLF");
				free(body.p);
				return -1;
			}
			consume(h, sz + 2);
			if (body.n > MAX_REPLY) {
				sb_puts(err, "reply over 16 MiB");
				free(body.p);
				return -1;
			}
		}
		rp->body = body.p != NULL ? body.p : xstrdup("");
		rp->blen = body.n;
	} else if (rp->has_clen) {
		if (clen > MAX_REPLY) {
			sb_puts(err, "reply over 16 MiB");
			return -1;
		}
		while (h->len < clen) {
			if ((r = fill(h, err)) <= 0) {
				if (r == 0)
					sb_printf(err,
						  "connection closed after %zu of %zu body bytes",
						  h->len, clen);
				return -1;
			}
		}
		rp->body = xstrndup(h->buf, clen);
		rp->blen = clen;
		consume(h, clen);
	} else if (rp->status / 100 == 1 || rp->status == 204 || rp->status == 304) {
		rp->body = xstrdup("");
	} else {
		/* neither length nor chunks: the body runs to the close (HTTP/1.1 allows it,
		 * but a keep-alive client then cannot reuse the connection) */
		while ((r = fill(h, err)) > 0)
			if (h->len > MAX_REPLY) {
				sb_puts(err, "reply over 16 MiB");
				return -1;
			}
		if (r < 0)
			return -1;
		rp->body = xstrndup(h->buf, h->len);
		rp->blen = h->len;
		h->len = 0;
		rp->close = 1;
	}
	return 0;
}

/* POST path with WCS's headers; one retry on a reused connection the server closed */
static int http_post(http_conn *h, const char *path, const char *body, size_t blen, http_reply *rp,
		     sbuf *err)
{
	sbuf req = { 0 };
	int attempt, r = -1, reused;

	sb_printf(&req, "POST %s HTTP/1.1\r\n"
	    "Accept: application/json\r\n"
	    "Content-Type: application/json;charset=UTF-8\r\n"
	    "User-Agent: Java/1.8.0_111\r\n"
	    "Host: %s:%d\r\n"
	    "Connection: keep-alive\r\n"
	    "Content-Length: %zu\r\n\r\n", path, h->host, h->port, blen);
	sb_put(&req, body, blen);   /* one write, as a Java client's buffered stream does */
	for (attempt = 0; attempt < 2; attempt++) {
		sb_clear(err);
		if (h->fd >= 0 && h->len == 0) {
			/* like a Java client's stale-connection check: a kept-alive connection
			 * the server has closed reads EOF (or a reset) at once */
			char c;
			ssize_t k = recv(h->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
			if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
				http_close(h);
		}
		reused = h->fd >= 0;
		if (!reused && http_open(h, err) != 0)
			break;
		if (send_all(h->fd, req.p, req.n, err) != 0) {
			http_close(h);
			if (reused)
				continue;
			break;
		}
		r = read_reply(h, rp, err);
		if (r == -2) {
			http_close(h);
			sb_puts(err, "connection closed before the reply");
			r = -1;
			if (reused)
				continue;
			break;
		}
		if (r != 0 || rp->close)
			http_close(h);
		break;
	}
	free(req.p);
	if (r == 0)
		h->nreq++;
	return r;
}

/* ------------------------------------------------------------------ WCS's rules */

enum mtype { T_CONNECT, T_DIRECT, T_EVENT, T_INCOMING, T_UNKNOWN };
static const char *const mtype_names[] = { "connect", "direct invocation", "event",
	"incoming invocation", "method of unknown type" };
_Static_assert(sizeof mtype_names / sizeof *mtype_names == T_UNKNOWN + 1,
	       "one name per enum mtype");

/* ../shared/spec/wcs-rest-hooks.md, Appendix A (types only; both spellings kept) */
static const struct { const char *name; enum mtype type;
} method_table[] = {
	{ "connect", T_CONNECT },
	{ "call", T_DIRECT },
	{ "answer", T_DIRECT },
	{ "hold", T_DIRECT },
	{ "unhold", T_DIRECT },
	{ "transfer", T_DIRECT },
	{ "sendDtmf", T_DIRECT },
	{ "sendDTMF", T_DIRECT },
	{ "sendMessage", T_DIRECT },
	{ "sendIMDN", T_DIRECT },
	{ "subscribe", T_DIRECT },
	{ "sendXcapRequest", T_DIRECT },
	{ "publishStream", T_DIRECT },
	{ "playStream", T_DIRECT },
	{ "playHLS", T_DIRECT },
	{ "playRTSP", T_DIRECT },
	{ "OnDataEvent", T_DIRECT },
	{ "sendBugReport", T_DIRECT },
	{ "submitBugReport", T_DIRECT },
	{ "hangup", T_DIRECT },
	{ "unPublishStream", T_DIRECT },
	{ "stopStream", T_DIRECT },
	{ "pauseStream", T_DIRECT },
	{ "snapshot", T_DIRECT },
	{ "pushLogs", T_DIRECT },
	{ "sessionDebug", T_DIRECT },
	{ "ConnectionStatusEvent", T_EVENT },
	{ "RegistrationStatusEvent", T_EVENT },
	{ "CallStatusEvent", T_EVENT },
	{ "TransferStatusEvent", T_EVENT },
	{ "MessageStatusEvent", T_EVENT },
	{ "StreamStatusEvent", T_EVENT },
	{ "StreamKeepAliveEvent", T_EVENT },
	{ "SessionDebugStatusEvent", T_EVENT },
	{ "DataStatusEvent", T_EVENT },
	{ "BugReportStatusEvent", T_EVENT },
	{ "ErrorEvent", T_EVENT },
	{ "OnCallEvent", T_INCOMING },
	{ "OnMessageEvent", T_INCOMING },
};

static enum mtype method_type(const char *m)
{
	size_t i;

	for (i = 0; i < sizeof method_table / sizeof method_table[0]; i++)
		if (!strcmp(method_table[i].name, m))
			return method_table[i].type;
	return T_UNKNOWN;
}

/* the event in which WCS reports a failed direct/incoming invocation to the client */
static const char *matching_event(const char *m)
{
	static const struct { const char *m, *ev;
	} t[] = {
		{ "publishStream", "StreamStatusEvent" },
		{ "playStream", "StreamStatusEvent" },
		{ "unPublishStream", "StreamStatusEvent" },
		{ "stopStream", "StreamStatusEvent" },
		{ "playHLS", "StreamStatusEvent" },
		{ "playRTSP", "StreamStatusEvent" },
		{ "pauseStream", "StreamStatusEvent" },
		{ "call", "CallStatusEvent" },
		{ "answer", "CallStatusEvent" },
		{ "hold", "CallStatusEvent" },
		{ "unhold", "CallStatusEvent" },
		{ "sendDtmf", "CallStatusEvent" },
		{ "sendDTMF", "CallStatusEvent" },
		{ "hangup", "CallStatusEvent" },
		{ "OnCallEvent", "CallStatusEvent" },
		{ "transfer", "TransferStatusEvent" },
		{ "OnDataEvent", "DataStatusEvent" },
		{ "sendMessage", "MessageStatusEvent" },
		{ "sendIMDN", "MessageStatusEvent" },
		{ "sessionDebug", "SessionDebugStatusEvent" },
		{ "sendBugReport", "BugReportStatusEvent" },
		{ "submitBugReport", "BugReportStatusEvent" },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (!strcmp(t[i].m, m))
			return t[i].ev;
	return "ErrorEvent";
}

/* what the operation is, in words */
static const char *op_words(const char *m)
{
	static const struct { const char *m, *w;
	} t[] = {
		{ "connect", "session" },
		{ "publishStream", "publication" },
		{ "playStream", "playback" },
		{ "unPublishStream", "unpublishing" },
		{ "stopStream", "stopping the player" },
		{ "call", "outgoing call" },
		{ "answer", "answer" },
		{ "hangup", "hangup" },
		{ "OnCallEvent", "incoming SIP call" },
		{ "OnDataEvent", "data message" },
		{ "StreamKeepAliveEvent", "stream" },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (!strcmp(t[i].m, m))
			return t[i].w;
	return "operation";
}

typedef struct {
	char *method;
	char *clientExclude, *restExclude, *restOnError, *restPolicy, *restOverwrite;
} rcc_entry;

enum outcome { O_NONE, O_ESTABLISHED, O_CONNECT_REFUSED, O_PROCEEDS, O_ERROR_IGNORED, O_STOPPED,
	O_ERROR_EVENT, O_TERMINATED, O_NOT_SENT, O_NO_SESSION, O_NO_STREAM, O_UNKNOWN_REACTION };
static const char *const outcome_names[] = { "none", "established", "connect-refused",
	"proceeds", "error-ignored", "stopped", "error-event", "terminated", "not-sent",
	"no-session", "no-stream", "unknown-reaction" };
_Static_assert(sizeof outcome_names / sizeof *outcome_names == O_UNKNOWN_REACTION + 1,
	       "one name per enum outcome");

enum { S_NONE, S_ESTABLISHED, S_REFUSED, S_CLOSED };
static const char *const session_names[] = { "none", "established", "refused", "closed" };
_Static_assert(sizeof session_names / sizeof *session_names == S_CLOSED + 1,
	       "one name per session state");

typedef struct {
	char *msid, *name, *state;
} stream_rec;

typedef struct {
	char *id, *state;
} call_rec;

typedef struct {
	int line;
	char method[64];
	enum mtype type;
	int sent, status;
	size_t sent_size;
	jv *body;      /* what WCS had before sending (after session stamping and set/unset) */
	jv *sentb;     /* what went to the backend */
	jv *reply;     /* the backend's reply, when JSON */
	jv *eff;       /* what WCS goes on with */
	sbuf sent_raw, reply_raw;   /* the bytes on the wire */
	enum outcome out;
	int error_event;
	char client_ev[48], client_st[24];
	int sip;       /* status WCS answers the SIP caller with; 0 none */
	const rcc_entry *cfg;
	sbuf words;
} step;

typedef struct {
	const char *file;
	char name[128];
	http_conn *h;
	const char *prefix;
	/* session */
	int sess;
	int have_rcc;
	jv *ids;        /* nodeId/appKey/sessionId of the session */
	rcc_entry *rcc;
	int nrcc;
	stream_rec *streams;
	int nstreams;
	call_rec *calls;
	int ncalls;
	/* scenario */
	step cur;
	int have_step;
	char **sent_methods;
	int nsent, nhooks, nnot, nposted;
	sbuf summary;
	int pass, fail, bad;
} scen;

static const rcc_entry rcc_default = { "(default)", "", "", "LOG", "NOTIFY", "" };

static const rcc_entry *rcc_for(const scen *s, const char *m)
{
	int i;

	for (i = 0; i < s->nrcc; i++)
		if (!strcmp(s->rcc[i].method, m))
			return &s->rcc[i];
	return &rcc_default;
}

static void rcc_clear(scen *s)
{
	int i;

	for (i = 0; i < s->nrcc; i++) {
		free(s->rcc[i].method);
		free(s->rcc[i].clientExclude);
		free(s->rcc[i].restExclude);
		free(s->rcc[i].restOnError);
		free(s->rcc[i].restPolicy);
		free(s->rcc[i].restOverwrite);
	}
	free(s->rcc);
	s->rcc = NULL;
	s->nrcc = 0;
	s->have_rcc = 0;
}

static void session_clear(scen *s)
{
	int i;

	rcc_clear(s);
	jv_free(s->ids);
	s->ids = NULL;
	for (i = 0; i < s->nstreams; i++) {
		free(s->streams[i].msid);
		free(s->streams[i].name);
		free(s->streams[i].state);
	}
	free(s->streams);
	s->streams = NULL;
	s->nstreams = 0;
	for (i = 0; i < s->ncalls; i++) {
		free(s->calls[i].id);
		free(s->calls[i].state);
	}
	free(s->calls);
	s->calls = NULL;
	s->ncalls = 0;
	s->sess = S_NONE;
}

static void step_clear(step *st)
{
	jv_free(st->body);
	jv_free(st->sentb);
	jv_free(st->reply);
	jv_free(st->eff);
	free(st->words.p);
	free(st->sent_raw.p);
	free(st->reply_raw.p);
	memset(st, 0, sizeof *st);
}

static stream_rec *stream_by_msid(scen *s, const char *msid)
{
	int i;

	for (i = 0; msid != NULL && i < s->nstreams; i++)
		if (!strcmp(s->streams[i].msid, msid))
			return &s->streams[i];
	return NULL;
}

static void stream_set(scen *s, const char *msid, const char *name, const char *state)
{
	stream_rec *r;

	if (msid == NULL)
		return;
	if ((r = stream_by_msid(s, msid)) == NULL) {
		s->streams = xrealloc(s->streams, (size_t)(s->nstreams + 1) * sizeof *s->streams);
		r = &s->streams[s->nstreams++];
		r->msid = xstrdup(msid);
		r->name = NULL;
		r->state = NULL;
	}
	if (name != NULL) {
		free(r->name);
		r->name = xstrdup(name);
	}
	free(r->state);
	r->state = xstrdup(state);
}

static void call_set(scen *s, const char *id, const char *state)
{
	int i;

	if (id == NULL)
		return;
	for (i = 0; i < s->ncalls; i++)
		if (!strcmp(s->calls[i].id, id))
			break;
	if (i == s->ncalls) {
		s->calls = xrealloc(s->calls, (size_t)(s->ncalls + 1) * sizeof *s->calls);
		s->calls[i].id = xstrdup(id);
		s->calls[i].state = NULL;
		s->ncalls++;
	}
	free(s->calls[i].state);
	s->calls[i].state = xstrdup(state);
}

static int live_stream_state(const char *st)
{
	return !strcmp(st, "publishing") || !strcmp(st, "playing");
}

/* ------------------------------------------------------------------ reporting */

static void report(scen *s, int ok, int line, const char *what, const char *detail)
{
	step *st = &s->cur;

	if (ok) {
		printf("PASS %s:%d %s: %s\n", s->name, line, what,
		    s->have_step ? sb_str(&st->words) : "(no hook yet)");
		s->pass++;
	} else {
		printf("FAIL %s:%d %s: %s%s%s\n", s->name, line, what, detail,
		    s->have_step ? "; WCS: " : "", s->have_step ? sb_str(&st->words) : "");
		s->fail++;
	}
}

/* a problem with the scenario or the server's protocol, not an expectation */
static void problem(scen *s, int line, const char *what, const char *detail)
{
	printf("FAIL %s:%d %s: %s\n", s->name, line, what, detail);
	s->fail++;
}

/* ------------------------------------------------------------------ connect's reply */

static int rcc_load(scen *s, const jv *reply, sbuf *err)
{
	const jv *r = jv_member(reply, "restClientConfig");
	static const char *const fields[] = { "clientExclude", "restExclude", "restOnError",
		"restPolicy", "restOverwrite" };
	int i, f;

	rcc_clear(s);
	if (r == NULL)
		return 0;
	if (r->kind != WJ_OBJECT) {
		sb_puts(err, "restClientConfig is not an object");
		return -1;
	}
	s->have_rcc = 1;
	for (i = 0; i < r->n; i++) {
		const jv *e = r->v[i];
		rcc_entry x;
		char **slot[5] = { &x.clientExclude, &x.restExclude, &x.restOnError, &x.restPolicy,
			&x.restOverwrite };
		if (e->kind != WJ_OBJECT) {
			sb_printf(err, "restClientConfig.%s is not an object", r->key[i]);
			return -1;
		}
		x.method = xstrdup(r->key[i]);
		for (f = 0; f < 5; f++) {
			const jv *v = jv_member(e, fields[f]);
			const char *dflt = f == 2 ? "LOG" : f == 3 ? "NOTIFY" : "";
			if (v != NULL && v->kind != WJ_STRING) {
				sb_printf(err, "restClientConfig.%s.%s is not a string", r->key[i],
					  fields[f]);
				*slot[f] = xstrdup(dflt);
			} else {
				*slot[f] = xstrdup(v != NULL ? v->str : dflt);
			}
		}
		if (strcmp(x.restOnError, "LOG") && strcmp(x.restOnError, "FAIL"))
			sb_printf(
				err,
				"restClientConfig.%s.restOnError \"%s\" is neither LOG nor FAIL; ",
				x.method, x.restOnError);
		if (strcmp(x.restPolicy, "NOTIFY") && strcmp(x.restPolicy, "OVERWRITE") &&
		    strcmp(x.restPolicy, "DISABLE"))
			sb_printf(
				err,
				"restClientConfig.%s.restPolicy \"%s\" is not NOTIFY, OVERWRITE or "
				"DISABLE; ",
				x.method, x.restPolicy);
		if (e->n != 5)
			sb_printf(err, "restClientConfig.%s has %d fields, WCS's have 5; ",
				  x.method, e->n);
		s->rcc = xrealloc(s->rcc, (size_t)(s->nrcc + 1) * sizeof *s->rcc);
		s->rcc[s->nrcc++] = x;
	}
	return err->n ? -1 : 0;
}

/* for each comma-separated name in list: fn(name) */
static int each_name(const char *list, int (*fn)(void *, const char *), void *arg)
{
	const char *p = list, *c;
	int n = 0;

	while (*p) {
		char *name;
		size_t a, b;
		c = strchr(p, ',');
		b = c ? (size_t)(c - p) : strlen(p);
		for (a = 0; a < b && p[a] == ' '; a++)
			;
		while (b > a && p[b - 1] == ' ')
			b--;
		if (b > a) {
			name = xstrndup(p + a, b - a);
			n += fn(arg, name);
			free(name);
		}
		if (c == NULL)
			break;
		p = c + 1;
	}
	return n;
}

static int del_cb(void *o, const char *name)
{
	return jv_del(o, name);
}

struct ow { jv *eff; const jv *reply; sbuf *words; };

static int overwrite_cb(void *a, const char *name)
{
	struct ow *w = a;
	const jv *v = jv_get(w->reply, name);
	const jv *old = jv_get(w->eff, name);

	if (v == NULL)
		return 0;
	if (old == NULL || !jv_equal(old, v)) {
		sb_printf(w->words, "%s%s=", w->words->n ? ", " : "", name);
		jv_show(w->words, v, 80);
	}
	jv_set(w->eff, name, jv_copy(v));
	return 1;
}

/* ------------------------------------------------------------------ one hook */

static void note_method(scen *s, const char *m)
{
	int i;

	for (i = 0; i < s->nsent; i++)
		if (!strcmp(s->sent_methods[i], m))
			return;
	s->sent_methods =
		xrealloc(s->sent_methods, (size_t)(s->nsent + 1) * sizeof *s->sent_methods);
	s->sent_methods[s->nsent++] = xstrdup(m);
}

static void summary_add(scen *s, const char *m, const char *what)
{
	sb_printf(&s->summary, "%s%s %s", s->summary.n ? ", " : "", m, what);
}

/* bookkeeping of streams, calls and the session once WCS's outcome is known */
static void update_state(scen *s, step *st)
{
	const char *m = st->method;
	const jv *b = st->eff != NULL ? st->eff : st->body;
	const char *msid = jv_str_at(b, "mediaSessionId"), *name = jv_str_at(b, "name");
	const char *callid = jv_str_at(b, "callId"), *status = jv_str_at(b, "status");
	int goes_on = st->out == O_PROCEEDS || st->out == O_ERROR_IGNORED ||
		      st->out == O_NOT_SENT || st->out == O_ERROR_EVENT;

	if (!strcmp(m, "publishStream"))
		stream_set(s, msid, name, goes_on ? "publishing" : "refused");
	else if (!strcmp(m, "playStream"))
		stream_set(s, msid, name, goes_on ? "playing" : "refused");
	else if (!strcmp(m, "unPublishStream") && goes_on)
		stream_set(s, msid, name, "unpublished");
	else if (!strcmp(m, "stopStream") && goes_on)
		stream_set(s, msid, name, "stopped");
	else if (!strcmp(m, "StreamKeepAliveEvent") && st->out == O_TERMINATED)
		stream_set(s, msid, name, "terminated");
	else if (!strcmp(m, "StreamStatusEvent") && status != NULL) {
		static const struct { const char *st, *to;
		} t[] = {
			{ "PUBLISHING", "publishing" },   { "PLAYING", "playing" },
			{ "UNPUBLISHED", "unpublished" }, { "STOPPED", "stopped" },
			{ "FAILED", "failed" },
		};
		size_t i;
		for (i = 0; i < sizeof t / sizeof t[0]; i++)
			if (!strcmp(status, t[i].st))
				stream_set(s, msid, name, t[i].to);
	} else if (!strcmp(m, "call"))
		call_set(s, callid, goes_on ? "calling" : "refused");
	else if (!strcmp(m, "OnCallEvent"))
		call_set(s, callid, goes_on ? "ringing" : "rejected");
	else if (!strcmp(m, "answer"))
		call_set(s, callid, goes_on ? "established" : "refused");
	else if (!strcmp(m, "hangup") && goes_on)
		call_set(s, callid, "finished");
	else if (!strcmp(m, "ConnectionStatusEvent") && status != NULL &&
	    (!strcmp(status, "DISCONNECTED") || !strcmp(status, "FAILED")))
		s->sess = S_CLOSED;
}

/* describe the outcome in words (st->words) */
static void describe(scen *s, step *st, const sbuf *ow)
{
	sbuf *w = &st->words;
	const char *m = st->method, *op = op_words(m);
	const rcc_entry *c = st->cfg;

	(void)s;
	switch (st->out) {
	case O_ESTABLISHED:
		sb_printf(w, "connect answered %d: session established", st->status);
		if (!s->have_rcc)
			sb_puts(w, "; no restClientConfig, so every method keeps LOG/NOTIFY");
		else {
			int i;
			sb_printf(w, "; restClientConfig for %d method%s:", s->nrcc,
				  s->nrcc == 1 ? "" : "s");
			for (i = 0; i < s->nrcc; i++) {
				const rcc_entry *e = &s->rcc[i];
				sb_printf(w, " %s{%s,%s", e->method, e->restOnError, e->restPolicy);
				if (*e->restOverwrite)
					sb_printf(w, " %s", e->restOverwrite);
				if (*e->restExclude)
					sb_printf(w, ",exclude %s", e->restExclude);
				sb_puts(w, "}");
			}
		}
		break;
	case O_CONNECT_REFUSED:
		sb_printf(w,
			  "connect answered %d: session refused; client sees ConnectionStatusEvent "
			  "FAILED (SESSION_STATUS.FAILED, \"REST App failed\")",
			  st->status);
		break;
	case O_PROCEEDS:
		sb_printf(w, "%s answered %d", m, st->status);
		if (!strcmp(c->restPolicy, "OVERWRITE")) {
			if (ow->n)
				sb_printf(w, ", OVERWRITE %s: WCS goes on with %s",
					  c->restOverwrite, ow->p);
			else
				sb_printf(w, ", OVERWRITE %s: nothing changed, WCS goes on",
					  c->restOverwrite);
		} else {
			sb_printf(w, ": %s goes ahead", op);
		}
		if (!strcmp(m, "OnDataEvent"))
			sb_puts(w, "; sender sees DataStatusEvent ACCEPTED");
		else if (!strcmp(m, "OnCallEvent"))
			sb_puts(w, "; the call rings at the client");
		break;
	case O_ERROR_IGNORED:
		sb_printf(
			w,
			"%s answered %d but restOnError is LOG: WCS logs it and the %s goes ahead",
			m, st->status, op);
		if (!strcmp(m, "OnDataEvent"))
			sb_puts(w, "; sender sees DataStatusEvent ACCEPTED");
		break;
	case O_STOPPED:
		sb_printf(w, "%s answered %d, restOnError FAIL: %s refused", m, st->status, op);
		if (st->type == T_INCOMING)
			sb_printf(w, "; SIP caller gets %d FORBIDDEN; client warned with %s %s "
			    "(SESSION_STATUS.WARN)", st->sip, st->client_ev, st->client_st);
		else if (!strcmp(st->client_ev, "DataStatusEvent"))
			sb_printf(w, "; sender sees DataStatusEvent FAILED (sendData() rejects)");
		else
			sb_printf(w, "; client sees %s %s", st->client_ev, st->client_st);
		break;
	case O_ERROR_EVENT:
		sb_printf(w,
			  "%s answered %d, restOnError FAIL on an event: WCS goes on and sends the "
			  "client an ErrorEvent",
			  m, st->status);
		if (!strcmp(m, "StreamKeepAliveEvent"))
			sb_puts(w,
				" (only a 403 is documented to stop a stream: it keeps running)");
		break;
	case O_TERMINATED:
		sb_printf(w, "StreamKeepAliveEvent answered %d, restOnError FAIL: stream",
			  st->status);
		{
			const char *n = jv_str_at(st->body, "name");
			if (n != NULL)
				sb_printf(w, " \"%s\"", n);
		}
		sb_puts(w, " terminated; client gets an ErrorEvent");
		break;
	case O_NOT_SENT:
		sb_printf(
			w,
			"%s has restPolicy DISABLE: WCS does not call the backend; the %s goes "
			"ahead "
			"as the client asked",
			m, op);
		break;
	case O_NO_SESSION:
		sb_printf(w, "%s not sent: the session is %s, WCS has nothing to ask about", m,
		    session_names[s->sess]);
		break;
	case O_NO_STREAM:
		sb_printf(w, "%s not sent: the stream is no longer live", m);
		break;
	case O_UNKNOWN_REACTION:
		sb_printf(w, "%s answered %d, restOnError FAIL on a %s: WCS's reaction is not "
		    "documented", m, st->status, mtype_names[st->type]);
		break;
	default:
		sb_puts(w, "?");
	}
	if (st->sent && *c->restExclude)
		sb_printf(w, " [sent %zu bytes without %s]", st->sent_size, c->restExclude);
}

static const char *short_outcome(const step *st)
{
	return outcome_names[st->out];
}

/*
 * One hook as WCS would handle it. args: set PATH=VALUE / unset PATH / app=KEY.
 * Returns 0, or -1 when the scenario cannot go on (transport failure).
 */
static int do_hook(scen *s, int line, const char *method, const char *file, char **args, int nargs)
{
	step *st = &s->cur;
	sbuf err = { 0 }, ow = { 0 }, out = { 0 }, path = { 0 };
	FILE *f;
	char *text = NULL;
	size_t tlen = 0, cap = 0, r;
	const char *why = NULL;
	http_reply rp;
	int i, rc = 0, name_set = 0;
	int is_connect = !strcmp(method, "connect");

	step_clear(st);
	s->have_step = 1;
	st->line = line;
	snprintf(st->method, sizeof st->method, "%s", method);
	st->type = method_type(method);
	st->cfg = &rcc_default;

	/* the body */
	if ((f = fopen(file, "rb")) == NULL) {
		sb_printf(&err, "cannot open %s: %s", file, strerror(errno));
		problem(s, line, "scenario", sb_str(&err));
		s->bad = 1;
		free(err.p);
		return -1;
	}
	for (;;) {
		if (tlen + 4096 > cap)
			text = xrealloc(text, cap = cap ? cap * 2 : 8192);
		r = fread(text + tlen, 1, cap - tlen, f);
		tlen += r;
		if (r == 0)
			break;
	}
	fclose(f);
	st->body = jv_parse(text, tlen, &why);
	free(text);
	if (st->body == NULL) {
		sb_printf(&err, "%s is not a JSON object: %s", file, why);
		problem(s, line, "scenario", sb_str(&err));
		s->bad = 1;
		free(err.p);
		return -1;
	}

	if (is_connect) {
		session_clear(s);
	} else if (s->ids != NULL) {
		/* every hook of a session carries the session's ids */
		for (i = 0; i < s->ids->n; i++)
			jv_set(st->body, s->ids->key[i], jv_copy(s->ids->v[i]));
	}
	for (i = 0; i < nargs; i++) {
		if (!strcmp(args[i], "set") && i + 1 < nargs) {
			char *eq = strchr(args[++i], '=');
			if (eq == NULL || eq == args[i]) {
				problem(s, line, "scenario", "set wants PATH=VALUE");
				s->bad = 1;
				return -1;
			}
			*eq = '\0';
			jv_set(st->body, args[i], value_arg(eq + 1));
			if (!strcmp(args[i], "name"))
				name_set = 1;
			*eq = '=';
		} else if (!strcmp(args[i], "unset") && i + 1 < nargs) {
			jv_del(st->body, args[++i]);
		} else if (!strncmp(args[i], "app=", 4) && is_connect) {
			jv_set(st->body, "appKey", jv_string(args[i] + 4));
		} else {
			sb_printf(&err, "unknown argument \"%s\"", args[i]);
			problem(s, line, "scenario", sb_str(&err));
			s->bad = 1;
			free(err.p);
			return -1;
		}
	}
	/* a renamed stream keeps its adopted name in later hooks (inferred), unless the
	 * scenario sets the name itself */
	if (!is_connect && !name_set && strcmp(method, "publishStream") &&
	    strcmp(method, "playStream")) {
		stream_rec *sr = stream_by_msid(s, jv_str_at(st->body, "mediaSessionId"));
		if (sr != NULL && sr->name != NULL && jv_get(st->body, "name") != NULL)
			jv_set(st->body, "name", jv_string(sr->name));
	}
	s->nhooks++;

	/* hooks WCS never sends */
	if (!is_connect && (s->sess == S_REFUSED || s->sess == S_CLOSED)) {
		st->out = O_NO_SESSION;
		goto done;
	}
	if (!strcmp(method, "StreamKeepAliveEvent")) {
		stream_rec *sr = stream_by_msid(s, jv_str_at(st->body, "mediaSessionId"));
		if (sr != NULL && !live_stream_state(sr->state)) {
			st->out = O_NO_STREAM;
			goto done;
		}
	}
	if (!is_connect)
		st->cfg = rcc_for(s, method);
	if (!is_connect && !strcmp(st->cfg->restPolicy, "DISABLE")) {
		st->out = O_NOT_SENT;
		st->eff = jv_copy(st->body);
		goto done;
	}

	/* what goes to the backend */
	st->sentb = jv_copy(st->body);
	each_name(st->cfg->restExclude, del_cb, st->sentb);
	jv_write(&out, st->sentb);
	st->sent_size = out.n;
	sb_printf(&path, "%s/%s", s->prefix, method);
	if (http_post(s->h, path.p, out.p, out.n, &rp, &err) != 0) {
		sbuf d = { 0 };
		sb_printf(&d, "%s: no HTTP reply from %s:%d: %s", method, s->h->host, s->h->port,
		    sb_str(&err));
		problem(s, line, "transport", d.p);
		free(d.p);
		summary_add(s, method, "no reply");
		s->bad = 1;
		rc = -1;
		goto out;
	}
	st->sent = 1;
	s->nposted++;
	note_method(s, method);
	st->status = rp.status;
	sb_put(&st->sent_raw, out.p, out.n);
	sb_put(&st->reply_raw, rp.body, rp.blen);
	if (rp.blen > 0)
		st->reply = jv_parse(rp.body, rp.blen, &why);

	if (rp.status == 200) {
		if (strcmp(rp.reason, "OK") != 0) {
			sbuf d = { 0 };
			sb_printf(&d, "%s answered \"200 %s\"; WCS expects the reason phrase OK",
				  method, rp.reason);
			problem(s, line, "protocol", d.p);
			free(d.p);
		}
		if (st->reply == NULL) {
			sbuf d = { 0 };
			sb_printf(&d,
				  "%s answered 200 with a body that is not a JSON object (%s): ",
				  method, rp.blen ? why : "empty body");
			sb_peek(&d, rp.body, rp.blen, 120);
			problem(s, line, "protocol", d.p);
			free(d.p);
		}
		st->eff = jv_copy(st->body);
		if (is_connect) {
			sb_clear(&err);
			if (st->reply != NULL && rcc_load(s, st->reply, &err) != 0) {
				sbuf d = { 0 };
				sb_printf(&d, "connect reply: %s", err.p);
				problem(s, line, "protocol", d.p);
				free(d.p);
			}
			s->sess = S_ESTABLISHED;
			s->ids = jv_new(WJ_OBJECT);
			{
				static const char *const keys[] = { "nodeId", "appKey",
								    "sessionId" };
				size_t k;
				for (k = 0; k < 3; k++) {
					const jv *v = jv_member(st->body, keys[k]);
					if (v != NULL)
						jv_set(s->ids, keys[k], jv_copy(v));
				}
			}
			st->out = O_ESTABLISHED;
		} else {
			if (!strcmp(st->cfg->restPolicy, "OVERWRITE") && st->reply != NULL) {
				struct ow w = { st->eff, st->reply, &ow };
				each_name(st->cfg->restOverwrite, overwrite_cb, &w);
			}
			st->out = O_PROCEEDS;
		}
	} else {
		int fail = !strcmp(st->cfg->restOnError, "FAIL");
		switch (st->type) {
		case T_CONNECT:
			st->out = O_CONNECT_REFUSED;
			s->sess = S_REFUSED;
			snprintf(st->client_ev, sizeof st->client_ev, "ConnectionStatusEvent");
			snprintf(st->client_st, sizeof st->client_st, "FAILED");
			break;
		case T_DIRECT:
		case T_INCOMING:
			if (!fail) {
				st->out = O_ERROR_IGNORED;
				st->eff = jv_copy(st->body);
				break;
			}
			st->out = O_STOPPED;
			snprintf(st->client_ev, sizeof st->client_ev, "%s", matching_event(method));
			snprintf(st->client_st, sizeof st->client_st, "FAILED");
			if (st->type == T_INCOMING)
				st->sip = 403;
			break;
		case T_EVENT:
			st->eff = jv_copy(st->body);
			if (!fail) {
				st->out = O_ERROR_IGNORED;
				break;
			}
			/* [S52-keepalive]: a 403 (with FAIL) ends the stream; any other error is
			 * an ordinary event error (section 5.1) */
			st->out = !strcmp(method, "StreamKeepAliveEvent") && rp.status == 403 ?
			    O_TERMINATED : O_ERROR_EVENT;
			st->error_event = 1;
			snprintf(st->client_ev, sizeof st->client_ev, "ErrorEvent");
			break;
		default:
			st->eff = jv_copy(st->body);
			st->out = fail ? O_UNKNOWN_REACTION : O_ERROR_IGNORED;
		}
	}
	free(rp.body);
done:
	if (st->out == O_NOT_SENT || st->out == O_NO_SESSION || st->out == O_NO_STREAM)
		s->nnot++;
	update_state(s, st);
	describe(s, st, &ow);
	{
		sbuf sm = { 0 };
		if (st->sent && st->out == O_CONNECT_REFUSED)
			sb_printf(&sm, "refused/%d", st->status);
		else if (st->sent)
			sb_printf(&sm, "%s/%d", short_outcome(st), st->status);
		else
			sb_puts(&sm, short_outcome(st));
		summary_add(s, method, sm.p);
		free(sm.p);
	}
out:
	free(err.p);
	free(ow.p);
	free(out.p);
	free(path.p);
	return rc;
}

/* ------------------------------------------------------------------ expectations */

static int parse_pv(char *arg, char **path, jv **val)
{
	char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg)
		return -1;
	*eq = '\0';
	*path = arg;
	*val = value_arg(eq + 1);
	return 0;
}

static void check_value(scen *s, int line, const char *what, const jv *in, const char *where,
			char *arg)
{
	char *p;
	jv *want;
	sbuf d = { 0 };
	const jv *got;

	if (parse_pv(arg, &p, &want) != 0) {
		problem(s, line, what, "wants PATH=VALUE");
		return;
	}
	got = in != NULL ? jv_get(in, p) : NULL;
	if (got != NULL && jv_equal(got, want)) {
		report(s, 1, line, what, NULL);
	} else {
		sb_printf(&d, "%s %s is ", where, p);
		if (in == NULL)
			sb_puts(&d, "(no such body)");
		else
			jv_show(&d, got, 100);
		sb_puts(&d, ", want ");
		jv_show(&d, want, 100);
		report(s, 0, line, what, d.p);
	}
	free(d.p);
	jv_free(want);
}

static void do_expect(scen *s, int line, char **tk, int n, const char *text)
{
	step *st = &s->cur;
	sbuf d = { 0 };
	const char *k = n > 0 ? tk[0] : "";
	int ok = 0;

	if (n == 0) {
		problem(s, line, "scenario", "expect what?");
		return;
	}
	/* expectations about the scenario as a whole */
	if (!strcmp(k, "not-sent") && n == 2) {
		int i;
		for (i = 0; i < s->nsent; i++)
			if (!strcmp(s->sent_methods[i], tk[1]))
				break;
		if (i == s->nsent)
			report(s, 1, line, text, NULL);
		else {
			sb_printf(&d, "%s was sent to the backend", tk[1]);
			report(s, 0, line, text, d.p);
		}
		goto out;
	}
	if (!strcmp(k, "was-sent") && n == 2) {
		int i;
		for (i = 0; i < s->nsent; i++)
			if (!strcmp(s->sent_methods[i], tk[1]))
				break;
		if (i < s->nsent)
			report(s, 1, line, text, NULL);
		else {
			sb_printf(&d, "no %s reached the backend", tk[1]);
			report(s, 0, line, text, d.p);
		}
		goto out;
	}
	if (!strcmp(k, "session") && n == 2) {
		ok = !strcmp(session_names[s->sess], tk[1]);
		sb_printf(&d, "session is %s", session_names[s->sess]);
		report(s, ok, line, text, d.p);
		goto out;
	}
	if (!strcmp(k, "config") && n == 3) {
		const rcc_entry *c = rcc_for(s, tk[1]);
		char *eq = strchr(tk[2], '=');
		const char *got = NULL;
		if (eq == NULL) {
			problem(s, line, text, "config wants METHOD FIELD=VALUE");
			goto out;
		}
		*eq = '\0';
		if (!strcmp(tk[2], "restOnError")) got = c->restOnError;
		else if (!strcmp(tk[2], "restPolicy")) got = c->restPolicy;
		else if (!strcmp(tk[2], "restOverwrite")) got = c->restOverwrite;
		else if (!strcmp(tk[2], "restExclude")) got = c->restExclude;
		else if (!strcmp(tk[2], "clientExclude")) got = c->clientExclude;
		if (got == NULL) {
			*eq = '=';
			problem(s, line, text, "config FIELD is one of restOnError restPolicy "
			    "restOverwrite restExclude clientExclude");
			goto out;
		}
		ok = !strcmp(got, eq + 1);
		sb_printf(&d, "%s.%s is \"%s\"%s", tk[1], tk[2], got,
		    c == &rcc_default ? " (default: not in restClientConfig)" : "");
		*eq = '=';
		report(s, ok, line, text, d.p);
		goto out;
	}
	if (!strcmp(k, "stream") && n == 3) {
		int i;
		for (i = 0; i < s->nstreams; i++)
			if (s->streams[i].name != NULL && !strcmp(s->streams[i].name, tk[1]))
				break;
		if (i == s->nstreams)
			sb_printf(&d, "no stream named \"%s\"", tk[1]);
		else {
			ok = !strcmp(s->streams[i].state, tk[2]);
			sb_printf(&d, "stream \"%s\" is %s", tk[1], s->streams[i].state);
		}
		report(s, ok, line, text, d.p);
		goto out;
	}
	if (!strcmp(k, "call") && n == 3) {
		int i;
		for (i = 0; i < s->ncalls; i++)
			if (!strcmp(s->calls[i].id, tk[1]))
				break;
		if (i == s->ncalls)
			sb_printf(&d, "no call \"%s\"", tk[1]);
		else {
			ok = !strcmp(s->calls[i].state, tk[2]);
			sb_printf(&d, "call is %s", s->calls[i].state);
		}
		report(s, ok, line, text, d.p);
		goto out;
	}
	if (!strcmp(k, "connections") && n == 2) {
		ok = s->h->nconn == atoi(tk[1]);
		sb_printf(&d, "%d TCP connection%s opened for %d requests", s->h->nconn,
		    s->h->nconn == 1 ? "" : "s", s->h->nreq);
		report(s, ok, line, text, d.p);
		goto out;
	}

	/* expectations about the last hook */
	if (!s->have_step) {
		problem(s, line, text, "no hook before this expectation");
		goto out;
	}
	if (!strcmp(k, "outcome") && n == 2) {
		ok = !strcmp(outcome_names[st->out], tk[1]);
		sb_printf(&d, "outcome is %s", outcome_names[st->out]);
		report(s, ok, line, text, d.p);
	} else if (!strcmp(k, "not-sent") && n == 1) {
		report(s, !st->sent, line, text, "it was sent");
	} else if (!strcmp(k, "status") && n == 2) {
		if (!st->sent)
			sb_puts(&d, "not sent");
		else {
			ok = st->status == atoi(tk[1]);
			sb_printf(&d, "status %d", st->status);
		}
		report(s, ok, line, text, d.p);
	} else if (!strcmp(k, "field") && n == 2) {
		check_value(s, line, text, st->eff, "WCS goes on with", tk[1]);
	} else if ((!strcmp(k, "no-field") || !strcmp(k, "field-has")) && n == 2) {
		const jv *v = st->eff != NULL ? jv_get(st->eff, tk[1]) : NULL;
		if (st->eff == NULL)
			sb_puts(&d, "WCS does not go on");
		else {
			sb_printf(&d, "WCS goes on with %s = ", tk[1]);
			jv_show(&d, v, 80);
		}
		report(s, st->eff != NULL && (v == NULL) == !strcmp(k, "no-field"), line, text,
		       d.p);
	} else if ((!strcmp(k, "client-lacks") || !strcmp(k, "client-has")) && n == 2) {
		/* what WCS passes on to the client: the body it goes on with, minus
		 * clientExclude */
		jv *cv;
		const jv *v;
		if (st->eff == NULL) {
			report(s, 0, line, text,
			       "WCS does not go on, the client gets no such message");
			goto out;
		}
		cv = jv_copy(st->eff);
		each_name(st->cfg->clientExclude, del_cb, cv);
		v = jv_get(cv, tk[1]);
		ok = (v != NULL) == !strcmp(k, "client-has");
		sb_printf(&d, "what the client gets %s %s (clientExclude \"%s\")",
			  v ? "has" : "lacks", tk[1], st->cfg->clientExclude);
		jv_free(cv);
		report(s, ok, line, text, d.p);
	} else if (!strcmp(k, "reply") && n == 2) {
		check_value(s, line, text, st->reply, "the reply's", tk[1]);
	} else if (!strcmp(k, "sent") && n == 2) {
		check_value(s, line, text, st->sentb, "the body sent has", tk[1]);
	} else if ((!strcmp(k, "sent-lacks") || !strcmp(k, "sent-has")) && n == 2) {
		const jv *v = st->sentb != NULL ? jv_get(st->sentb, tk[1]) : NULL;
		int want = !strcmp(k, "sent-has");
		if (!st->sent)
			sb_puts(&d, "not sent");
		else {
			ok = (v != NULL) == want;
			sb_printf(&d, "the body sent %s %s", v != NULL ? "has" : "lacks", tk[1]);
		}
		report(s, ok, line, text, d.p);
	} else if (!strcmp(k, "sent-size") && n == 3) {
		long lim = atol(tk[2]);
		long got = (long)st->sent_size;
		if (!st->sent)
			sb_puts(&d, "not sent");
		else {
			if (!strcmp(tk[1], "<")) ok = got < lim;
			else if (!strcmp(tk[1], "<=")) ok = got <= lim;
			else if (!strcmp(tk[1], ">")) ok = got > lim;
			else if (!strcmp(tk[1], ">=")) ok = got >= lim;
			else if (!strcmp(tk[1], "==")) ok = got == lim;
			sb_printf(&d, "%ld bytes sent", got);
		}
		report(s, ok, line, text, d.p);
	} else if (!strcmp(k, "error-event") && n == 1) {
		report(s, st->error_event, line, text, "the client gets no ErrorEvent");
	} else if (!strcmp(k, "no-error-event") && n == 1) {
		report(s, !st->error_event, line, text, "the client gets an ErrorEvent");
	} else if (!strcmp(k, "client") && n == 3) {
		ok = !strcmp(st->client_ev, tk[1]) && !strcmp(st->client_st, tk[2]);
		/* OnDataEvent that goes ahead: the sender sees DataStatusEvent ACCEPTED */
		if (!strcmp(st->method, "OnDataEvent") && !strcmp(tk[1], "DataStatusEvent") &&
		    !strcmp(tk[2], "ACCEPTED"))
			ok = st->out == O_PROCEEDS || st->out == O_ERROR_IGNORED ||
			     st->out == O_NOT_SENT;
		sb_printf(&d, "the client sees %s %s", *st->client_ev ? st->client_ev : "no error",
		    st->client_st);
		report(s, ok, line, text, d.p);
	} else if (!strcmp(k, "sip-caller") && n == 2) {
		if (!strcmp(tk[1], "none"))
			ok = st->sip == 0;
		else
			ok = st->sip == atoi(tk[1]);
		sb_printf(&d, "the SIP caller gets %d", st->sip);
		report(s, ok, line, text, d.p);
	} else if (!strcmp(k, "echo-bytes") && n == 1) {
		/* EchoApp: the reply is the request's own bytes */
		if (!st->sent)
			sb_puts(&d, "not sent");
		else if (st->reply_raw.n == st->sent_raw.n &&
		    memcmp(sb_str(&st->reply_raw), sb_str(&st->sent_raw), st->sent_raw.n) == 0)
			ok = 1;
		else {
			size_t i = 0;
			while (i < st->reply_raw.n && i < st->sent_raw.n &&
			    st->reply_raw.p[i] == st->sent_raw.p[i])
				i++;
			sb_printf(&d,
				  "reply (%zu bytes) differs from the %zu bytes sent at byte %zu: ",
				  st->reply_raw.n, st->sent_raw.n, i);
			sb_peek(&d, sb_str(&st->reply_raw) + i, st->reply_raw.n - i, 60);
		}
		report(s, ok, line, text, d.p);
	} else if ((!strcmp(k, "mirror") || !strcmp(k, "echo")) && n == 1) {
		/* mirror: every field sent comes back (connect's rule); echo: nothing else
		 * changed */
		int i;
		if (!st->sent || st->reply == NULL) {
			report(s, 0, line, text, st->sent ? "the reply is not JSON" : "not sent");
			goto out;
		}
		ok = 1;
		for (i = 0; i < st->sentb->n; i++) {
			const jv *v = jv_member(st->reply, st->sentb->key[i]);
			if (v == NULL || (!strcmp(k, "echo") && !jv_equal(v, st->sentb->v[i]))) {
				sb_printf(&d, "%s%s %s", ok ? "" : ", ", st->sentb->key[i],
				    v == NULL ? "missing from the reply" : "changed in the reply");
				ok = 0;
			}
		}
		if (!strcmp(k, "echo"))
			for (i = 0; i < st->reply->n; i++)
				if (jv_member(st->sentb, st->reply->key[i]) == NULL &&
				    strcmp(st->reply->key[i], "restClientConfig") != 0) {
					sb_printf(&d, "%s%s added by the reply", ok ? "" : ", ",
					    st->reply->key[i]);
					ok = 0;
				}
		report(s, ok, line, text, d.p);
	} else {
		problem(s, line, "scenario", "unknown expectation (see tests/sim/README.md)");
	}
out:
	free(d.p);
}

/* ------------------------------------------------------------------ scenario files */

/* split a line into tokens: blanks separate; "..." (with \" escapes) may appear inside a
 * token and is kept as written; # outside quotes starts a comment */
static int tokenize(char *line, char **tk, int max)
{
	int n = 0;
	char *p = line, *o;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#' || *p == '\n' || *p == '\r')
			break;
		if (n == max)
			return -1;
		tk[n++] = o = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			if (*p == '"') {
				*o++ = *p++;
				while (*p && *p != '"') {
					if (*p == '\\' && p[1])
						*o++ = *p++;
					*o++ = *p++;
				}
				if (*p != '"')
					return -2;
			}
			*o++ = *p++;
		}
		if (*p)
			p++;
		*o = '\0';
	}
	return n;
}

static int run_flow(const char *file, http_conn *h, const char *prefix)
{
	FILE *f = fopen(file, "r");
	char line[8192], text[8192];
	char *tk[MAX_TOKENS];
	int lineno = 0, n, i;
	scen s;
	const char *base;

	memset(&s, 0, sizeof s);
	/* every scenario starts with a fresh WCS: a new connection pool */
	http_close(h);
	h->nconn = h->nreq = 0;
	s.file = file;
	s.h = h;
	s.prefix = prefix;
	base = strrchr(file, '/');
	base = base ? base + 1 : file;
	snprintf(s.name, sizeof s.name, "%s", base);
	if (strlen(s.name) > 5 && !strcmp(s.name + strlen(s.name) - 5, ".flow"))
		s.name[strlen(s.name) - 5] = '\0';
	if (f == NULL) {
		printf("FAIL %s: cannot open %s: %s\n", s.name, file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		snprintf(text, sizeof text, "%s", line);
		text[strcspn(text, "\r\n")] = '\0';
		n = tokenize(line, tk, MAX_TOKENS);
		if (n < 0) {
			problem(&s, lineno, "scenario",
				n == -1 ? "too many words" : "unclosed quote");
			s.bad = 1;
			break;
		}
		if (n == 0)
			continue;
		if (!strcmp(tk[0], "scenario") && n == 2) {
			snprintf(s.name, sizeof s.name, "%s", tk[1]);
		} else if (!strcmp(tk[0], "policy") || !strcmp(tk[0], "server") ||
		    !strcmp(tk[0], "server-log-lacks") || !strcmp(tk[0], "server-log-has")) {
			/* for tests/sim/run.sh */
		} else if (!strcmp(tk[0], "pause") && n == 2) {
			/* idle time between hooks (at most 5 s): kept-alive connections age */
			double sec = atof(tk[1]);
			struct timespec ts;
			if (sec < 0 || sec > 5) {
				problem(&s, lineno, "scenario", "pause takes 0 to 5 seconds");
				s.bad = 1;
				continue;
			}
			ts.tv_sec = (time_t)sec;
			ts.tv_nsec = (long)((sec - (double)ts.tv_sec) * 1e9);
			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				;
		} else if (!strcmp(tk[0], "connect") && n >= 2) {
			if (do_hook(&s, lineno, "connect", tk[1], tk + 2, n - 2) != 0)
				break;
		} else if (!strcmp(tk[0], "send") && n >= 3) {
			if (do_hook(&s, lineno, tk[1], tk[2], tk + 3, n - 3) != 0)
				break;
		} else if (!strcmp(tk[0], "expect")) {
			const char *t = text;
			while (*t == ' ' || *t == '\t')
				t++;
			t += 6;
			while (*t == ' ' || *t == '\t')
				t++;
			{
				char what[600];
				const char *hash = NULL;
				size_t L;
				/* the expectation's text without a trailing comment */
				for (const char *q = t; *q; q++)
					if (*q == '#' &&
					    (q == t || q[-1] == ' ' || q[-1] == '\t')) {
						hash = q;
						break;
					}
				L = hash ? (size_t)(hash - t) : strlen(t);
				while (L > 0 && (t[L - 1] == ' ' || t[L - 1] == '\t'))
					L--;
				snprintf(what, sizeof what, "expect %.*s", (int)(L < 580 ? L : 580),
					 t);
				do_expect(&s, lineno, tk + 1, n - 1, what);
			}
		} else {
			problem(&s, lineno, "scenario", "unknown line (see tests/sim/README.md)");
			s.bad = 1;
		}
	}
	fclose(f);
	printf("INFO %s: %d/%d checks passed; %d hooks, %d sent, %d not sent, %d TCP connection%s: "
	    "%s\n", s.name, s.pass, s.pass + s.fail, s.nhooks, s.nposted, s.nnot, h->nconn,
	    h->nconn == 1 ? "" : "s", s.summary.n ? s.summary.p : "no hooks");
	step_clear(&s.cur);
	session_clear(&s);
	for (i = 0; i < s.nsent; i++)
		free(s.sent_methods[i]);
	free(s.sent_methods);
	free(s.summary.p);
	if (s.pass + s.fail == 0) {
		printf("FAIL %s: the scenario has no expectation\n", s.name);
		return -1;
	}
	return s.bad ? -1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: wcs-sim --server HOST:PORT [--timeout SECONDS] [--prefix PATH] "
	    "FLOW...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	http_conn h;
	const char *prefix = "/rest/my_api";
	int i, rc = 0;
	char *colon;

	memset(&h, 0, sizeof h);
	h.fd = -1;
	h.timeout_s = 5;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--server") && i + 1 < argc) {
			colon = strrchr(argv[++i], ':');
			if (colon == NULL || (size_t)(colon - argv[i]) >= sizeof h.host)
				usage();
			snprintf(h.host, sizeof h.host, "%.*s", (int)(colon - argv[i]), argv[i]);
			h.port = atoi(colon + 1);
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			h.timeout_s = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--prefix") && i + 1 < argc) {
			prefix = argv[++i];
		} else if (argv[i][0] == '-') {
			usage();
		} else {
			break;
		}
	}
	if (h.port <= 0 || h.port > 65535 || h.timeout_s <= 0 || i == argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (; i < argc; i++)
		if (run_flow(argv[i], &h, prefix) != 0)
			rc = 2;
	http_close(&h);
	free(h.buf);
	return rc;
}
