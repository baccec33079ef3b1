/*
 * server.c -- libmicrohttpd daemon: routing, body collection, replies, life cycle.
 *
 * One request goes through handle() several times: first with the headers (route, refuse
 * early, or allocate a struct req), then once per body piece (append), then a last time
 * with no data (decide and reply). completed() frees the struct req, whatever happened.
 *
 * Invariants:
 *  - inflight counts requests whose first call has run and whose completed() has not;
 *    nconns counts open connections. A stop signal sets draining (every reply from then on
 *    closes its connection), closes the listening socket and waits for both to reach 0,
 *    at most SRV_DRAIN_MS: requests already sent on kept-alive connections get answered.
 *  - r->len <= r->cap and r->len <= max_body; a body that would pass max_body is dropped at
 *    once (r->over) and the rest of it only drained, so memory stays bounded per request.
 *  - A reply is never copied: a spliced reply (rep.owned) or the request's own bytes are
 *    handed to MHD and freed with the response; a rule's static body is used in place.
 *  - Canned replies (healthz, 404, 405, 413, 403) are built once and shared by all threads.
 *  - Each polling thread has its own wcsp_ctx, made on its first decision; all of them are
 *    on the ctxs list and freed after MHD_stop_daemon, when no thread can use them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "decide.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "transport.h"

#define BODY_MIN 4096              /* first allocation of a body of unknown length */
#define DRAIN_STEP_MS 10
#define JSON "application/json"
#define PROMETHEUS "text/plain; version=0.0.4"

enum canned { C_HEALTH, C_NOT_FOUND, C_HOOK_METHOD, C_INFO_METHOD, C_TOO_LARGE, C_NOT_ACCEPTED,
	C_NO_SIGNATURE, C_BAD_SIGNATURE, NCANNED };

struct req {
	char *body;
	size_t len, cap;
	unsigned long long t0;     /* microseconds, monotonic, at the first call */
	int over;                  /* body passed max_body: draining, 413 at the end */
};

struct tctx {
	wcsp_ctx c;
	struct tctx *next;
};

static const wcsp_policy *pol;
static const char *secret;         /* HMAC key: set when the policy requires signatures */
static size_t secret_len;
static struct req info_req;        /* *rc of a GET/HEAD /healthz or /metrics: no state */
static size_t max_body;
static unsigned long long request_us;   /* --request-timeout */
static atomic_int inflight;
static atomic_int nconns;          /* open connections (MHD_OPTION_NOTIFY_CONNECTION) */
static atomic_int draining;        /* a stop signal came: every reply closes its connection */
static struct MHD_Response *canned[NCANNED], *canned_close[NCANNED];
static char too_large_body[96];
static struct tctx *ctxs;
static pthread_mutex_t ctxs_mu = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local struct tctx *my_ctx;

static unsigned long long
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (unsigned long long)t.tv_sec * 1000000 + (unsigned long long)t.tv_nsec / 1000;
}

static wcsp_ctx *
thread_ctx(void)
{
	struct tctx *t = my_ctx;

	if (t != NULL)
		return &t->c;
	if ((t = malloc(sizeof *t)) == NULL)
		return NULL;
	wcsp_ctx_init(&t->c);
	pthread_mutex_lock(&ctxs_mu);
	t->next = ctxs;
	ctxs = t;
	pthread_mutex_unlock(&ctxs_mu);
	my_ctx = t;
	return &t->c;
}

static void
free_ctxs(void)
{
	struct tctx *t;

	while ((t = ctxs) != NULL) {
		ctxs = t->next;
		wcsp_ctx_free(&t->c);
		free(t);
	}
}

static int
make_canned(void)
{
	static const struct { const char *body, *type, *allow; } spec[NCANNED] = {
		[C_HEALTH] = { "{\"status\":\"ok\"}", JSON, NULL },
		[C_NOT_FOUND] = { "{\"error\":\"not found\","
		    "\"reason\":\"no hook method in the path\"}", JSON, NULL },
		[C_HOOK_METHOD] = { "{\"error\":\"method not allowed\","
		    "\"reason\":\"hooks are called with POST\"}", JSON, "POST" },
		[C_INFO_METHOD] = { "{\"error\":\"method not allowed\","
		    "\"reason\":\"use GET or HEAD\"}", JSON, "GET, HEAD" },
		[C_TOO_LARGE] = { too_large_body, JSON, NULL },
		[C_NOT_ACCEPTED] = { "{\"error\":\"forbidden\","
		    "\"reason\":\"caller not accepted\"}", JSON, NULL },
		[C_NO_SIGNATURE] = { "{\"error\":\"forbidden\","
		    "\"reason\":\"missing signature\"}", JSON, NULL },
		[C_BAD_SIGNATURE] = { "{\"error\":\"forbidden\","
		    "\"reason\":\"bad signature\"}", JSON, NULL },
	};
	struct MHD_Response *rs;
	int i;

	snprintf(too_large_body, sizeof too_large_body,
	    "{\"error\":\"payload too large\",\"reason\":\"body over %zu bytes\"}", max_body);
	for (i = 0; i < 2 * NCANNED; i++) {
		int k = i % NCANNED, close_it = i >= NCANNED;
		rs = MHD_create_response_from_buffer(strlen(spec[k].body),
		    (void *)spec[k].body, MHD_RESPMEM_PERSISTENT);
		if (((close_it ? canned_close : canned)[k] = rs) == NULL ||
		    MHD_add_response_header(rs, MHD_HTTP_HEADER_CONTENT_TYPE, spec[k].type) != MHD_YES ||
		    (spec[k].allow != NULL &&
		    MHD_add_response_header(rs, MHD_HTTP_HEADER_ALLOW, spec[k].allow) != MHD_YES) ||
		    (close_it && MHD_add_response_header(rs, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES))
			return -1;
	}
	return 0;
}

static void
free_canned(void)
{
	int i;

	for (i = 0; i < NCANNED; i++) {
		if (canned[i] != NULL)
			MHD_destroy_response(canned[i]);
		if (canned_close[i] != NULL)
			MHD_destroy_response(canned_close[i]);
		canned[i] = canned_close[i] = NULL;
	}
}

/* Queue rs, then account for the request: latency histogram and access log. */
static enum MHD_Result
respond(struct MHD_Connection *c, struct MHD_Response *rs, log_rec *l, unsigned long long t0)
{
	const union MHD_ConnectionInfo *ci;
	enum MHD_Result ok;

	ok = MHD_queue_response(c, (unsigned)l->status, rs);
	l->us = now_us() - t0;
	met_latency(l->us);
	if (log_on(LOGL_INFO)) {
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		l->from = ci != NULL ? ci->client_addr : NULL;
		log_access(l);
	}
	return ok;
}

static enum MHD_Result
refuse(struct MHD_Connection *c, unsigned long long t0, const char *seg, size_t slen,
    enum met_reason why, int status, enum canned k)
{
	log_rec l = { .app = "", .method = seg, .mlen = slen,
	    .decision = met_reason_names[why], .status = status };

	met_reject(why);
	return respond(c, atomic_load(&draining) ? canned_close[k] : canned[k], &l, t0);
}

/* The hook method: the last segment of the URL path (MHD has cut the query off). */
static const char *
last_segment(const char *url, size_t *n)
{
	const char *s = strrchr(url, '/');

	s = s != NULL ? s + 1 : url;
	*n = strlen(s);
	return s;
}

/* [A-Za-z_][A-Za-z0-9_]* */
static int
is_ident(const char *s, size_t n)
{
	size_t i;
	int c;

	for (i = 0; i < n; i++) {
		c = s[i] | 0x20;
		if (!(c >= 'a' && c <= 'z') && s[i] != '_' && !(i > 0 && s[i] >= '0' && s[i] <= '9'))
			return 0;
	}
	return n > 0;
}

/* `accept from`: the caller's address, before any body byte is stored. */
static int
caller_accepted(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;

	if (pol->naccept == 0)
		return 1;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	return ci != NULL && tr_accept(pol, ci->client_addr);
}

/* 1 and *n when the request carries a Content-Length of digits; n saturates past max. */
static int
content_length(struct MHD_Connection *c, size_t max, size_t *n)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long x = 0;

	if (v == NULL || *v == '\0')
		return 0;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9')
			return 0;
		if (x <= max)
			x = x * 10 + (unsigned long long)(*v - '0');
	}
	*n = x <= max ? (size_t)x : max + 1;
	return 1;
}

/* GET or HEAD /healthz or /metrics, on the last call: a reply queued on the first call
 * would make MHD close the connection, as it must when a body may still be unread. */
static enum MHD_Result
serve_info(struct MHD_Connection *c, const char *url)
{
	struct MHD_Response *rs;
	enum MHD_Result ok;
	size_t n;
	char *text;

	if (strcmp(url, "/healthz") == 0)
		return MHD_queue_response(c, MHD_HTTP_OK,
		    atomic_load(&draining) ? canned_close[C_HEALTH] : canned[C_HEALTH]);
	if ((text = met_render(&n)) == NULL)
		return MHD_NO;
	if ((rs = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE)) == NULL) {
		free(text);
		return MHD_NO;
	}
	ok = MHD_add_response_header(rs, MHD_HTTP_HEADER_CONTENT_TYPE, PROMETHEUS);
	if (ok == MHD_YES && atomic_load(&draining))
		ok = MHD_add_response_header(rs, MHD_HTTP_HEADER_CONNECTION, "close");
	if (ok == MHD_YES)
		ok = MHD_queue_response(c, MHD_HTTP_OK, rs);
	MHD_destroy_response(rs);
	return ok;
}

/* The first call: headers only. Route, refuse what can be refused now, else start a body. */
static enum MHD_Result
first_call(struct MHD_Connection *c, const char *url, const char *method, void **rc)
{
	unsigned long long t0 = now_us();
	struct req *r;
	const char *seg;
	size_t slen, n;

	atomic_fetch_add(&inflight, 1);
	seg = last_segment(url, &slen);
	if (strcmp(url, "/healthz") == 0 || strcmp(url, "/metrics") == 0) {
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			return refuse(c, t0, seg, slen, MET_BAD_METHOD,
			    MHD_HTTP_METHOD_NOT_ALLOWED, C_INFO_METHOD);
		*rc = &info_req;
		return MHD_YES;
	}
	if (!is_ident(seg, slen))
		return refuse(c, t0, seg, slen, MET_NOT_FOUND, MHD_HTTP_NOT_FOUND, C_NOT_FOUND);
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return refuse(c, t0, seg, slen, MET_BAD_METHOD, MHD_HTTP_METHOD_NOT_ALLOWED,
		    C_HOOK_METHOD);
	if (!caller_accepted(c))
		return refuse(c, t0, seg, slen, MET_ACCEPT, MHD_HTTP_FORBIDDEN, C_NOT_ACCEPTED);
	if (!content_length(c, max_body, &n))
		n = 0;
	else if (n > max_body)
		return refuse(c, t0, seg, slen, MET_TOO_LARGE, MHD_HTTP_CONTENT_TOO_LARGE,
		    C_TOO_LARGE);
	if ((r = calloc(1, sizeof *r)) == NULL)
		return MHD_NO;
	r->t0 = t0;
	*rc = r;
	if (n > 0 && (r->body = malloc(n)) == NULL)
		return MHD_NO;
	r->cap = n;
	return MHD_YES;
}

/* Store one body piece; past max_body drop what was stored and only drain the rest. */
static enum MHD_Result
append(struct req *r, const char *data, size_t n)
{
	size_t cap;
	char *p;

	if (r->over)
		return MHD_YES;
	if (n > max_body - r->len) {
		free(r->body);
		r->body = NULL;
		r->len = r->cap = 0;
		r->over = 1;
		return MHD_YES;
	}
	if (n > r->cap - r->len) {
		cap = r->cap > BODY_MIN / 2 ? r->cap * 2 : BODY_MIN;
		if (cap < r->len + n)
			cap = r->len + n;
		if (cap > max_body)
			cap = max_body;
		if ((p = realloc(r->body, cap)) == NULL)
			return MHD_NO;
		r->body = p;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	return MHD_YES;
}

/* The reply as a response, without a copy: see the invariants at the top. */
static struct MHD_Response *
reply_response(struct req *r, wcsp_reply *rep)
{
	uintptr_t b = (uintptr_t)rep->body, q = (uintptr_t)r->body;
	struct MHD_Response *rs;
	void *base = rep->owned;

	if (base == NULL && r->body != NULL && b >= q && b <= q + r->len)
		base = r->body;
	if (base == NULL)
		return MHD_create_response_from_buffer(rep->len, (void *)rep->body,
		    MHD_RESPMEM_PERSISTENT);
	rs = MHD_create_response_from_buffer_with_free_callback_cls(rep->len, (void *)rep->body,
	    free, base);
	if (rs != NULL && base == r->body)
		r->body = NULL;
	else if (rs != NULL)
		rep->owned = NULL;
	return rs;
}

/* The last call: the whole body is in. */
static enum MHD_Result
final_call(struct MHD_Connection *c, struct req *r, const char *url)
{
	struct MHD_Response *rs;
	enum MHD_Result ok;
	wcsp_reply rep;
	wcsp_ctx *x;
	size_t slen;
	const char *seg = last_segment(url, &slen);
	log_rec l;

	if (r->over)
		return refuse(c, r->t0, seg, slen, MET_TOO_LARGE, MHD_HTTP_CONTENT_TOO_LARGE,
		    C_TOO_LARGE);
	if (pol->require_signature) {       /* over the exact bytes received */
		enum tr_sig sig = tr_signature(secret, secret_len, MHD_lookup_connection_value(c,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), r->body != NULL ? r->body : "",
		    r->len);
		if (sig != TR_SIG_OK)
			return refuse(c, r->t0, seg, slen, MET_SIGNATURE, MHD_HTTP_FORBIDDEN,
			    sig == TR_SIG_MISSING ? C_NO_SIGNATURE : C_BAD_SIGNATURE);
	}
	if ((x = thread_ctx()) == NULL)
		return MHD_NO;
	wcsp_decide(pol, x, seg, slen, r->body != NULL ? r->body : "", r->len, &rep);
	rs = reply_response(r, &rep);
	if (rs == NULL || MHD_add_response_header(rs, MHD_HTTP_HEADER_CONTENT_TYPE, JSON) != MHD_YES ||
	    (atomic_load(&draining) &&
	    MHD_add_response_header(rs, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES))
		ok = MHD_NO;
	else {
		if (rep.decision == WCSP_D_BAD)
			met_reject(MET_BAD_JSON);
		met_request(&rep);
		l = (log_rec){ .app = rep.app, .method = seg, .mlen = slen,
		    .decision = met_decision_names[rep.decision], .status = rep.status,
		    .rule = rep.rule };
		ok = respond(c, rs, &l, r->t0);
	}
	if (rs != NULL)
		MHD_destroy_response(rs);
	wcsp_reply_free(&rep);
	return ok;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *data, size_t *size, void **rc)
{
	enum MHD_Result ok;

	(void)cls;
	(void)version;
	if (*rc == NULL)
		return first_call(c, url, method, rc);
	if (*size == 0)
		return *rc == &info_req ? serve_info(c, url) : final_call(c, *rc, url);
	/* a body trickling in slower than --request-timeout allows: drop the connection
	 * (the idle timeout alone would let one byte every few seconds hold it forever) */
	if (*rc != &info_req && now_us() - ((struct req *)*rc)->t0 > request_us) {
		log_msg(LOGL_WARN, "request body too slow: connection dropped after %u s",
		    (unsigned)(request_us / 1000000));
		met_reject(MET_TOO_SLOW);
		return MHD_NO;
	}
	ok = *rc == &info_req ? MHD_YES : append(*rc, data, *size);
	*size = 0;
	return ok;
}

static void
completed(void *cls, struct MHD_Connection *c, void **rc, enum MHD_RequestTerminationCode toe)
{
	struct req *r = *rc;

	(void)cls;
	(void)c;
	(void)toe;
	if (r != NULL && r != &info_req) {
		free(r->body);
		free(r);
		*rc = NULL;
	}
	atomic_fetch_sub(&inflight, 1);
}

/* MHD's own messages (client errors, mostly) are for debugging: a caller must not be able
 * to fill the log with them. */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	log_vmsg(LOGL_DEBUG, fmt, ap);
}

/* Port: 1 to 5 digits, at most 65535. */
static int
parse_port(const char *s, in_port_t *port)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i == 5)
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (i == 0 || v > 65535)
		return -1;
	*port = htons((uint16_t)v);
	return 0;
}

int
srv_parse_listen(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN];
	size_t n;

	memset(ss, 0, sizeof *ss);
	if (colon == NULL)
		return -1;
	n = (size_t)(colon - s);
	if (s[0] == '[') {
		if (n < 3 || s[n - 1] != ']' || n - 2 >= sizeof host)
			return -1;
		memcpy(host, s + 1, n - 2);
		host[n - 2] = '\0';
		v6->sin6_family = AF_INET6;
		return inet_pton(AF_INET6, host, &v6->sin6_addr) == 1 &&
		    parse_port(colon + 1, &v6->sin6_port) == 0 ? 0 : -1;
	}
	if (n >= sizeof host)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	v4->sin_family = AF_INET;
	return inet_pton(AF_INET, host, &v4->sin_addr) == 1 &&
	    parse_port(colon + 1, &v4->sin_port) == 0 ? 0 : -1;
}

static void
notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	(void)c;
	(void)socket_context;
	atomic_fetch_add(&nconns, code == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

/* Wait until every connection is gone, or SRV_DRAIN_MS have passed. A request already in a
 * socket buffer is answered (with Connection: close) before its connection goes; an idle
 * kept-alive connection ends at the idle timeout or when the wait ends. */
static void
drain(void)
{
	const struct timespec step = { 0, DRAIN_STEP_MS * 1000000L };
	int waited;

	for (waited = 0; (atomic_load(&nconns) > 0 || atomic_load(&inflight) > 0) &&
	    waited < SRV_DRAIN_MS; waited += DRAIN_STEP_MS)
		nanosleep(&step, NULL);
}

static void
teardown(void)
{
	free_ctxs();
	free_canned();
	met_free();
	log_flush();
}

int
srv_run(const wcsp_policy *p, const srv_opts *o)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;
	struct sockaddr_storage ss;
	char host[INET6_ADDRSTRLEN];
	struct MHD_Daemon *d;
	MHD_socket lfd;
	const struct timespec log_period = { 1, 0 };
	sigset_t sigs;
	int sig, err;

	if (srv_parse_listen(o->listen, &ss) != 0) {
		fprintf(stderr, "wcsp: cannot listen on %s: not ADDR:PORT\n", o->listen);
		return 2;
	}
	/* [::] takes IPv4 callers too (as ::ffff:a.b.c.d, which `accept from` understands) */
	if (ss.ss_family == AF_INET6)
		flags |= IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr) ?
		    MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	pol = p;
	max_body = o->max_body;
	secret = o->secret;
	secret_len = o->secret_len;
	request_us = (unsigned long long)o->request_timeout * 1000000;
	if (met_init(p) != 0 || make_canned() != 0) {
		fprintf(stderr, "wcsp: out of memory\n");
		teardown();
		return 1;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	/* The logger comes first so that it sees every message; the pool option comes last,
	 * replaced by the end marker when there is no pool (MHD warns about a size of 0 or 1). */
	d = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_TIMEOUT, o->timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->conn_memory,
	    MHD_OPTION_CONNECTION_LIMIT, o->max_conns,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_conns_per_ip,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, notify_connection, NULL,
	    o->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, o->threads,
	    MHD_OPTION_END);
	if (d == NULL) {
		err = errno;
		fprintf(stderr, "wcsp: cannot listen on %s: %s\n", o->listen,
		    strerror(err != 0 ? err : EINVAL));
		teardown();
		return 2;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	inet_ntop(ss.ss_family, ss.ss_family == AF_INET6 ?
	    (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr :
	    (void *)&((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
	fprintf(stderr, ss.ss_family == AF_INET6 ? "wcsp: listening on [%s]:%u (policy %s)\n" :
	    "wcsp: listening on %s:%u (policy %s)\n", host, di != NULL ? di->port : 0, p->name);
	/* wait for a stop signal; meanwhile the access log reaches its file once a second */
	while ((sig = sigtimedwait(&sigs, NULL, &log_period)) < 0)
		log_flush();
	atomic_store(&draining, 1);
	log_msg(LOGL_INFO, "signal %d: stopping, %d requests in flight on %d connections", sig,
	    atomic_load(&inflight), atomic_load(&nconns));
	lfd = MHD_quiesce_daemon(d);    /* no new connections: the socket goes at once */
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	drain();
	MHD_stop_daemon(d);
	teardown();
	return 0;
}
