/*
 * server.c -- libmicrohttpd daemon: admission, routing, body collection, replies, deadlines,
 * life cycle.
 *
 * A connection is admitted by accept_policy() before MHD reads a byte: a caller outside
 * `accept from` gets one of SRV_OUTSIDER_CONNS shared slots (its requests are answered 403,
 * so a misconfigured caller learns why) or, when they are taken, is closed at once. Every
 * connection then has a struct conn (MHD's socket context) that sits in one of two deadline
 * lists until it closes: a request must have arrived whole within --request-timeout of the
 * connection's start, or within --timeout + --request-timeout of the previous reply on a
 * kept-alive connection. The reaper thread shuts down the socket of a connection past its
 * deadline (MHD then closes it): headers or a body trickled a byte at a time cannot hold a
 * slot, and nothing polls.
 *
 * One request goes through handle() several times: first with the headers (admit, check the
 * framing, route, refuse early, or start the connection's struct req), then once per body
 * piece (append), then a last time with no data (decide and reply). completed() ends the
 * struct req, whatever happened.
 *
 * Invariants:
 *  - The connections waiting for a request are a binary min-heap by queued time (heap[],
 *    under dl_mu), so the reaper only ever looks at heap[0]. A connection's deadline is
 *    never earlier than its queued time: a kept-alive connection answering another request
 *    moves its deadline on without dl_mu (one atomic store), and the reaper, finding the
 *    root's queued time past but its deadline not, queues it again at its deadline. The
 *    reaper thus wakes once per --timeout + --request-timeout of a busy connection, not per
 *    request, and every change of the heap costs O(log n). A struct conn is in the heap
 *    (slot >= 0) or not (-1), and leaves it under dl_mu before MHD closes its socket
 *    (NOTIFY_CLOSED comes first): the reaper never shuts down a socket number that has
 *    been reused.
 *  - *rc is NULL before first_call() (or &nul_path when the raw URL holds %00), and
 *    non-NULL after it: a struct req, or one of the markers info_req, refused_req and
 *    deferred_req. A reply queued on the first call makes libmicrohttpd close the
 *    connection, so a refusal that leaves the framing intact (404, 405) waits for the last
 *    call (deferred_req, details in the struct conn): WCS's kept-alive connection stays.
 *    inflight counts the requests whose first_call() has run and whose completed() has not.
 *  - nconns counts open connections. A stop signal sets draining (every reply from then on
 *    closes its connection), closes the listening socket and waits for both to reach 0,
 *    at most SRV_DRAIN_MS: requests already sent on kept-alive connections get answered.
 *  - The listening socket is bound here (--listen, --reuse-port) or handed over by a service
 *    manager (LISTEN_FDS, fd 3), which keeps its own copy: closing ours never shuts the
 *    socket down (no shutdown(2) on it, and MHD_quiesce_daemon() first, so MHD does none),
 *    and connections waiting in its queue stay there for the next process. A socket of a
 *    --reuse-port group is the only one its queue belongs to: before it closes, new
 *    connections are steered to the group's other socket and the queue is accepted empty
 *    (hand_off()).
 *  - r->len <= r->cap and r->len <= max_body; a body that would pass max_body is dropped at
 *    once (r->over) and the rest of it only drained, so memory stays bounded per request.
 *    The buffer grows with the bytes that arrive, never from Content-Length alone.
 *  - No allocation per request at steady state: the struct req, its body buffer and the
 *    buffer spliced replies are written to (out) belong to the struct conn and are reused
 *    by each request of the connection; a buffer past CONN_KEEP bytes is freed when its
 *    request completes, so an idle connection holds little. A reply is never copied: the
 *    request's own bytes, the connection's out or a rule's static body go to MHD as a
 *    persistent buffer. That is safe because libmicrohttpd calls handle() for a
 *    connection's next request only after completed() of the one before, once the reply
 *    has been sent.
 *  - Canned replies are built once and shared by all threads.
 *  - Each polling thread has its own wcsp_ctx, made on its first decision; all of them are
 *    on the ctxs list and freed after MHD_stop_daemon, when no thread can use them.
 *  - The world (keys and live sets, world.h) is loaded before the daemon starts and again
 *    on SIGHUP, in the main thread. Each polling thread holds the world its decisions use
 *    (a count under world_mu) and takes the current one at its first decision after a
 *    swap (world_gen moved): a reload swaps the pointer at once and the old world is freed
 *    by whoever lets go of it last, no request sees a half-loaded set, none waits, and a
 *    decision takes no lock. A thread that decides nothing after a reload keeps the old
 *    world until its next decision or the end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "decide.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "transport.h"

#define BODY_MIN 4096              /* first allocation of a body */
#define CONN_KEEP 65536            /* a connection's buffers larger than this are freed after
				      each request */
#define CANNED_MAX 400             /* bytes of a canned reply */
#define DRAIN_STEP_MS 10
#define LISTEN_FDS_START 3         /* sd_listen_fds(3): the first socket handed over */
#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif
#ifndef SO_DETACH_REUSEPORT_BPF
#define SO_DETACH_REUSEPORT_BPF 68
#endif
#define JSON "application/json"
#define PROMETHEUS "text/plain; version=0.0.4"

enum canned {
	C_HEALTH, C_NOT_FOUND, C_NUL_PATH, C_HOOK_METHOD, C_INFO_METHOD, C_TOO_LARGE,
	C_NOT_ACCEPTED, C_NO_SIGNATURE, C_BAD_SIGNATURE, C_HEADER_NAME, C_TWO_LENGTHS,
	C_LENGTH_AND_CHUNKED, C_TRANSFER_ENCODING,
	NCANNED
};

struct req {
	char *body;
	size_t len, cap;
	unsigned long long t0;     /* microseconds, monotonic, at the first call */
	int over;                  /* body passed max_body: draining, 413 at the end */
};

/* Deadlines: a new connection's first request, a kept-alive connection's next. */
enum { DL_NEW, DL_KEPT, NDEADLINES };

struct conn {
	long slot;                 /* index in heap[], or -1; under dl_mu */
	unsigned long long queued; /* its key in the heap; under dl_mu */
	_Atomic unsigned long long deadline;    /* >= queued; written by the connection's
						   thread only */
	int kept;                  /* the connection's thread queued it for DL_KEPT (the reaper
				      may have taken it out since: then its socket is shut) */
	MHD_socket fd;
	int outsider;              /* outside `accept from`: holds an outsider slot */
	/* a request refused once its body is drained (the connection stays open) */
	enum canned refusal;
	enum met_reason why;
	int status;
	unsigned long long t0;
	size_t drained;
	struct req req;            /* the request in progress (*rc), reused */
	sp_buf out;                /* spliced replies and error bodies (wcsp_ctx.out), reused */
};

struct tctx {
	wcsp_ctx c;
	struct tctx *next;
	struct held *held;         /* the world this thread decides with (one user of it) */
	unsigned gen;              /* world_gen when held was taken */
};

/* A loaded world and the decisions using it. */
struct held {
	wcsp_world *w;
	int users;
};

static const wcsp_policy *pol;
static const char *secret;         /* HMAC key: set when the policy requires signatures */
static size_t secret_len;
static struct req info_req;        /* *rc of a GET/HEAD /healthz or /metrics: no state */
static struct req refused_req;     /* *rc of a request answered by its first call */
static struct req deferred_req;    /* *rc of a request refused once its body is drained */
static struct req nul_path;        /* *rc before the first call: the raw URL holds %00 */
static size_t max_body;
static atomic_int inflight;
static atomic_int nconns;          /* open connections (MHD_OPTION_NOTIFY_CONNECTION) */
static atomic_int outsiders;       /* open connections from outside `accept from` */
static atomic_int draining;        /* a stop signal came: every reply closes its connection */
static struct MHD_Response *canned[NCANNED], *canned_close[NCANNED];
static struct tctx *ctxs;
static pthread_mutex_t ctxs_mu = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local struct tctx *my_ctx;
static unsigned token_cache;       /* verified tokens a thread keeps */
static struct held *world;         /* the current world, under world_mu */
static atomic_uint world_gen;      /* bumped by each swap, under world_mu */
static pthread_mutex_t world_mu = PTHREAD_MUTEX_INITIALIZER;

/* deadlines: offsets[l] is added to the time a connection is queued for deadline l;
 * heap[i]->queued <= the queued time of heap[2i + 1] and heap[2i + 2], heap[i]->slot == i */
static pthread_mutex_t dl_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t dl_cond;
static struct conn **heap;
static size_t nheap, capheap;
static unsigned long long offsets[NDEADLINES];
static int reaper_stop;
static pthread_t reaper_thread;

static unsigned long long clock_us(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (unsigned long long)t.tv_sec * 1000000 + (unsigned long long)t.tv_nsec / 1000;
}

/* Latency: the precise clock. */
static unsigned long long now_us(void) { return clock_us(CLOCK_MONOTONIC); }

/* Deadlines (seconds long): the coarse clock, which lags CLOCK_MONOTONIC by at most its
 * resolution (a tick, coarse_tick_us) and costs a fifth of it. The reaper waits on
 * CLOCK_MONOTONIC one tick past the next deadline, so that it wakes when the coarse clock
 * has reached it (never spinning while that clock stands still), at most two ticks late. */
#ifdef CLOCK_MONOTONIC_COARSE
#define DEADLINE_CLOCK CLOCK_MONOTONIC_COARSE
#else
#define DEADLINE_CLOCK CLOCK_MONOTONIC
#endif
static unsigned long long coarse_tick_us;

static unsigned long long deadline_now(void) { return clock_us(DEADLINE_CLOCK); }

/* ---------------------------------------------------------------- deadlines */

static void dl_place(size_t i, struct conn *c)
{
	heap[i] = c;
	c->slot = (long)i;
}

/* Restore the heap order around slot i, whose queued time changed. */
static void dl_fix(size_t i)
{
	struct conn *c = heap[i];

	while (i > 0 && heap[(i - 1) / 2]->queued > c->queued) {
		dl_place(i, heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (size_t k; (k = 2 * i + 1) < nheap; i = k) {
		if (k + 1 < nheap && heap[k + 1]->queued < heap[k]->queued)
			k++;
		if (heap[k]->queued >= c->queued)
			break;
		dl_place(i, heap[k]);
	}
	dl_place(i, c);
}

static void dl_unlink(struct conn *c)
{
	struct conn *last;

	if (c->slot < 0)
		return;
	last = heap[--nheap];
	if (last != c) {
		dl_place((size_t)c->slot, last);
		dl_fix((size_t)last->slot);
	}
	c->slot = -1;
}

/* Queue c at time due (it enters the heap, or moves in it); -1 when the heap cannot grow. */
static int dl_queue(struct conn *c, unsigned long long due)
{
	if (c->slot < 0) {
		if (nheap == capheap) {
			size_t cap = capheap ? capheap * 2 : 64;
			struct conn **h = realloc(heap, cap * sizeof *h);
			if (h == NULL)
				return -1;
			heap = h;
			capheap = cap;
		}
		dl_place(nheap++, c);
	}
	c->queued = due;
	dl_fix((size_t)c->slot);
	return 0;
}

/* c is due at now + offsets[l]. A kept-alive connection already queued for DL_KEPT only
 * moves its deadline on: the reaper queues it again when its old time comes. */
static void dl_enter(struct conn *c, int l)
{
	unsigned long long due = deadline_now() + offsets[l];

	atomic_store_explicit(&c->deadline, due, memory_order_relaxed);
	if (l == DL_KEPT && c->kept)
		return;
	pthread_mutex_lock(&dl_mu);
	if (dl_queue(c, due) == 0) {    /* else no deadline: MHD's idle timeout still holds */
		c->kept = l == DL_KEPT;
		if (heap[0] == c)
			pthread_cond_signal(&dl_cond);  /* the reaper may be waiting for later */
	}
	pthread_mutex_unlock(&dl_mu);
}

static void dl_leave(struct conn *c)
{
	pthread_mutex_lock(&dl_mu);
	dl_unlink(c);
	c->kept = 0;
	pthread_mutex_unlock(&dl_mu);
}

/* Shut down every connection past its deadline; sleep until the next one is due. */
static void *reaper(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "wcsp-deadlines");  /* as ps -L and top -H show it */
	pthread_mutex_lock(&dl_mu);
	while (!reaper_stop) {
		unsigned long long now = deadline_now(), next;
		struct conn *c;
		while (nheap > 0 && (c = heap[0])->queued <= now) {
			unsigned long long due =
			    atomic_load_explicit(&c->deadline, memory_order_relaxed);
			if (due > now) {        /* it answered a request since */
				c->queued = due;
				dl_fix(0);
				continue;
			}
			dl_unlink(c);
			shutdown(c->fd, SHUT_RDWR);
			met_reject(MET_TOO_SLOW);
			log_msg(LOGL_DEBUG, "request not complete within its deadline: "
			    "connection closed");
		}
		if (nheap == 0) {
			pthread_cond_wait(&dl_cond, &dl_mu);
			continue;
		}
		next = heap[0]->queued;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		unsigned long long wait = next - now + coarse_tick_us +
		    (unsigned long long)ts.tv_nsec / 1000;
		ts.tv_sec += (time_t)(wait / 1000000);
		ts.tv_nsec = (long)(wait % 1000000) * 1000;
		pthread_cond_timedwait(&dl_cond, &dl_mu, &ts);
	}
	pthread_mutex_unlock(&dl_mu);
	return NULL;
}

static int reaper_start(void)
{
	pthread_condattr_t a;
	struct timespec res;

	if (clock_getres(DEADLINE_CLOCK, &res) == 0)
		coarse_tick_us = (unsigned long long)res.tv_sec * 1000000 +
		    (unsigned long long)res.tv_nsec / 1000 + 1;
	if (pthread_condattr_init(&a) != 0 || pthread_condattr_setclock(&a, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&dl_cond, &a) != 0)
		return -1;
	pthread_condattr_destroy(&a);
	return pthread_create(&reaper_thread, NULL, reaper, NULL) == 0 ? 0 : -1;
}

static void reaper_end(void)
{
	pthread_mutex_lock(&dl_mu);
	reaper_stop = 1;
	pthread_cond_signal(&dl_cond);
	pthread_mutex_unlock(&dl_mu);
	pthread_join(reaper_thread, NULL);
	pthread_cond_destroy(&dl_cond);
	free(heap);                     /* no connection is left to leave it */
	heap = NULL;
	nheap = capheap = 0;
}

/* ---------------------------------------------------------------- admission */

/* Before any byte is read: insiders always, outsiders while a slot of theirs is free. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
	(void)cls;
	(void)len;
	if (pol->naccept == 0 || tr_accept(pol, addr) ||
	    atomic_load(&outsiders) < SRV_OUTSIDER_CONNS)
		return MHD_YES;
	met_reject(MET_ACCEPT);
	return MHD_NO;
}

static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	struct conn *k = *socket_context;

	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		atomic_fetch_add(&nconns, 1);
		const union MHD_ConnectionInfo *fd, *addr;
		fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		addr = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if ((k = calloc(1, sizeof *k)) == NULL || fd == NULL)
			return; /* no deadline for this one: MHD's idle timeout still holds */
		*socket_context = k;
		k->slot = -1;
		k->fd = fd->connect_fd;
		k->outsider =
			pol->naccept > 0 && (addr == NULL || !tr_accept(pol, addr->client_addr));
		if (k->outsider)
			atomic_fetch_add(&outsiders, 1);
		dl_enter(k, DL_NEW);
		return;
	}
	atomic_fetch_sub(&nconns, 1);
	if (k == NULL)
		return;
	dl_leave(k);
	if (k->outsider)
		atomic_fetch_sub(&outsiders, 1);
	free(k->req.body);
	free(k->out.s);
	free(k);
	*socket_context = NULL;
}

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

/* The raw request target, before MHD decodes it: a %00 would cut the decoded path short
 * (`/rest/x%00/publishStream` would route to `x`), so such a path is refused. */
static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls;
	(void)c;
	if (strchr(uri, '%') == NULL)   /* most targets: nothing to look at */
		return NULL;
	for (const char *p = uri; *p != '\0' && *p != '?'; p++)
		if (p[0] == '%' && p[1] == '0' && p[2] == '0')
			return &nul_path;
	return NULL;
}

/* ---------------------------------------------------------------- replies */

static struct tctx *thread_ctx(void)
{
	struct tctx *t = my_ctx;

	if (t != NULL)
		return t;
	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	wcsp_ctx_init(&t->c);
	t->c.token_cache = token_cache;
	pthread_mutex_lock(&ctxs_mu);
	t->next = ctxs;
	ctxs = t;
	pthread_mutex_unlock(&ctxs_mu);
	my_ctx = t;
	return t;
}

static void world_drop(struct held *h)
{
	int last;

	pthread_mutex_lock(&world_mu);
	last = --h->users == 0 && h != world;
	pthread_mutex_unlock(&world_mu);
	if (last) {
		world_free(h->w);
		free(h);
	}
}

/* The world thread t decides with: the one it holds, unless a swap came since. */
static wcsp_world *world_for(struct tctx *t)
{
	struct held *old = t->held;
	unsigned gen = atomic_load_explicit(&world_gen, memory_order_acquire);

	if (old != NULL && t->gen == gen)
		return old->w;
	pthread_mutex_lock(&world_mu);
	t->held = world;
	t->held->users++;
	t->gen = atomic_load_explicit(&world_gen, memory_order_relaxed);
	pthread_mutex_unlock(&world_mu);
	if (old != NULL)
		world_drop(old);
	return t->held->w;
}

/* Make w the world every decision from now on uses; the old one goes with its last user. */
static void world_swap(wcsp_world *w, struct held *h)
{
	struct held *old;
	int unused;

	h->w = w;
	h->users = 0;
	pthread_mutex_lock(&world_mu);
	old = world;
	world = h;
	atomic_fetch_add_explicit(&world_gen, 1, memory_order_release);
	unused = old != NULL && old->users == 0;
	pthread_mutex_unlock(&world_mu);
	if (unused) {
		world_free(old->w);
		free(old);
	}
}

/* A secret others may read is worth a line each time it is loaded (--secret-file refuses
 * one; a key file is only warned about, as public keys sit beside secrets). */
static void warn_open(const wcsp_policy *p, const wcsp_world *w, const char *dir)
{
	for (uint32_t i = 0; i < p->nkeys; i++)
		if (w->open_secret[i])
			log_msg(LOGL_WARN,
				"key '%s' (%s%s%s): an HMAC secret that group or others "
				"may read: chmod 600 it",
				p->keys[i].name.s,
				p->keys[i].file[0] != '/' && dir != NULL ? dir : "",
				p->keys[i].file[0] != '/' && dir != NULL ? "/" : "",
				p->keys[i].file);
}

/* SIGHUP: read keys and live sets again; on any failure keep the old ones. */
static void reload(const wcsp_policy *p, const char *dir)
{
	char err[512];
	struct held *h = malloc(sizeof *h);
	wcsp_world *w = h != NULL ? world_load(p, dir, err, sizeof err) : NULL;

	if (w == NULL) {
		if (h == NULL)
			snprintf(err, sizeof err, "out of memory");
		free(h);
		met_reload(0, 0);
		log_msg(LOGL_ERROR, "reload: %s; the keys and live sets loaded before stay", err);
		return;
	}
	world_swap(w, h);
	met_reload(1, w->loaded);
	warn_open(p, w, dir);
	log_msg(LOGL_INFO, "reload: %u key%s and %u live set%s loaded", p->nkeys,
	    p->nkeys == 1 ? "" : "s", world_nlive(p), world_nlive(p) == 1 ? "" : "s");
}

static void free_ctxs(void)
{
	struct tctx *t;

	while ((t = ctxs) != NULL) {
		ctxs = t->next;
		if (t->held != NULL)
			world_drop(t->held);
		wcsp_ctx_free(&t->c);
		free(t);
	}
}

static int make_canned(void)
{
	/* the error envelope of every refusal (decide.c's wcsp_error_body); error NULL: a body
	 * of its own */
	static const struct {
		const char *error, *reason, *allow;
	} spec[NCANNED] = {
		[C_HEALTH] = { NULL, "{\"status\":\"ok\"}", NULL },
		[C_NOT_FOUND] = { "not found", "no hook method in the path", NULL },
		[C_NUL_PATH] = { "not found", "NUL byte in the path", NULL },
		[C_HOOK_METHOD] = { "method not allowed", "hooks are called with POST", "POST" },
		[C_INFO_METHOD] = { "method not allowed", "use GET or HEAD", "GET, HEAD" },
		[C_TOO_LARGE] = { "payload too large", NULL, NULL }, /* reason: max_body */
		[C_NOT_ACCEPTED] = { "forbidden", "caller not accepted", NULL },
		[C_NO_SIGNATURE] = { "forbidden", "missing signature", NULL },
		[C_BAD_SIGNATURE] = { "forbidden", "bad signature", NULL },
		[C_HEADER_NAME] = { "bad request", "malformed header name", NULL },
		[C_TWO_LENGTHS] = { "bad request", "more than one Content-Length", NULL },
		[C_LENGTH_AND_CHUNKED] = { "bad request",
					   "both Content-Length and Transfer-Encoding", NULL },
		[C_TRANSFER_ENCODING] = { "bad request", "unsupported Transfer-Encoding", NULL },
	};
	static char bodies[NCANNED][CANNED_MAX];
	char too_large[64];
	snprintf(too_large, sizeof too_large, "body over %zu bytes", max_body);
	for (int k = 0; k < NCANNED; k++) {
		const char *reason = k == C_TOO_LARGE ? too_large : spec[k].reason;
		if (!spec[k].error)
			snprintf(bodies[k], sizeof bodies[k], "%s", reason);
		else if (!wcsp_error_body(bodies[k], sizeof bodies[k], spec[k].error, reason,
					  strlen(reason)))
			return -1;
	}
	for (int i = 0; i < 2 * NCANNED; i++) {
		int k = i % NCANNED, close_it = i >= NCANNED;
		struct MHD_Response *rs = MHD_create_response_from_buffer(strlen(bodies[k]),
		    bodies[k], MHD_RESPMEM_PERSISTENT);
		if (((close_it ? canned_close : canned)[k] = rs) == NULL ||
		    MHD_add_response_header(rs, MHD_HTTP_HEADER_CONTENT_TYPE, JSON) != MHD_YES ||
		    (spec[k].allow != NULL && MHD_add_response_header(rs, MHD_HTTP_HEADER_ALLOW,
								      spec[k].allow) != MHD_YES) ||
		    (close_it &&
		     MHD_add_response_header(rs, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES))
			return -1;
	}
	return 0;
}

static void free_canned(void)
{
	for (int i = 0; i < NCANNED; i++) {
		if (canned[i] != NULL)
			MHD_destroy_response(canned[i]);
		if (canned_close[i] != NULL)
			MHD_destroy_response(canned_close[i]);
		canned[i] = canned_close[i] = NULL;
	}
}

/* Queue rs, then account for the request: latency histogram and access log. */
static enum MHD_Result respond(struct MHD_Connection *c, struct MHD_Response *rs, log_rec *l,
			       unsigned long long t0)
{
	enum MHD_Result ok = MHD_queue_response(c, (unsigned)l->status, rs);

	l->us = now_us() - t0;
	met_latency(l->us);
	if (log_on(LOGL_INFO)) {
		const union MHD_ConnectionInfo *ci;
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		l->from = ci != NULL ? ci->client_addr : NULL;
		log_access(l);
	}
	return ok;
}

static int content_length(const char *v, size_t max, size_t *n);
/* Answer on the first call with a canned reply. close_it: the connection ends after it
 * (its framing cannot be trusted, or it is an outsider's). */
static enum MHD_Result refuse(struct MHD_Connection *c, void **rc, unsigned long long t0,
			      const char *seg, size_t slen, enum met_reason why, int status,
			      enum canned k, int close_it)
{
	log_rec l = { .app = "", .method = seg, .mlen = slen,
	    .decision = met_reason_names[why], .status = status };

	if (*rc == NULL || *rc == &nul_path)
		*rc = &refused_req;     /* a struct req stays: completed() ends it */
	met_reject(why);
	return respond(c, close_it || atomic_load(&draining) ? canned_close[k] : canned[k], &l, t0);
}

/* Refuse once the body is drained (and dropped), so that the connection is kept. */
static enum MHD_Result refuse_later(struct MHD_Connection *c, void **rc, int oversize,
				    unsigned long long t0, const char *seg, size_t slen,
				    enum met_reason why, int status, enum canned k)
{
	struct conn *x = conn_of(c);

	if (x == NULL || oversize)
		return refuse(c, rc, t0, seg, slen, why, status, k, 0);
	x->refusal = k;
	x->why = why;
	x->status = status;
	x->t0 = t0;
	x->drained = 0;
	*rc = &deferred_req;
	return MHD_YES;
}

/* The hook method: the last segment of the URL path (MHD has cut the query off). */
static const char *last_segment(const char *url, size_t *n)
{
	const char *s = strrchr(url, '/');

	s = s != NULL ? s + 1 : url;
	*n = strlen(s);
	return s;
}

/* [A-Za-z_][A-Za-z0-9_]* */
static int is_ident(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int c = s[i] | 0x20;
		if (!(c >= 'a' && c <= 'z') && s[i] != '_' &&
		    !(i > 0 && s[i] >= '0' && s[i] <= '9'))
			return 0;
	}
	return n > 0;
}

/* What the headers say about where the body ends. */
struct framing {
	int bad_name, lengths, encodings, chunked;
	const char *length;     /* the Content-Length value, when there is one */
	int oversize;           /* it announces more than --max-body bytes */
};

/* RFC 9110 token characters, what a header name is made of: 1 in this table. */
static const unsigned char tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
	['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
	['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
	['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
	['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
	['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

/* s equals lower, a lowercase constant, ignoring ASCII case (strcasecmp() goes through the
 * locale, at several times the cost, for every request). */
static int ascii_caseeq(const char *s, const char *lower)
{
	for (; *lower != '\0'; s++, lower++)
		if ((*s >= 'A' && *s <= 'Z' ? *s + ('a' - 'A') : *s) != *lower)
			return 0;
	return *s == '\0';
}

static enum MHD_Result frame_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	struct framing *f = cls;
	const char *p = key;
	unsigned char all = 1;

	(void)kind;
	for (; *p != '\0'; p++)
		all &= tchar[(unsigned char)*p];
	f->bad_name |= !all;
	switch (p - key) {      /* only names of these lengths need comparing */
	case 0:
		f->bad_name = 1;
		break;
	case sizeof MHD_HTTP_HEADER_CONTENT_LENGTH - 1:
		if (ascii_caseeq(key, "content-length")) {
			f->lengths++;
			f->length = value;
		}
		break;
	case sizeof MHD_HTTP_HEADER_TRANSFER_ENCODING - 1:
		if (ascii_caseeq(key, "transfer-encoding")) {
			f->encodings++;
			f->chunked = value != NULL && ascii_caseeq(value, "chunked");
		}
		break;
	default:
		break;
	}
	return MHD_YES;
}

/* libmicrohttpd 0.9.75 reads the first Content-Length, prefers Transfer-Encoding, and
 * keeps a header named "Content-Length " as another header: each is a way to make it
 * take the end of a body for the start of the next request. Refuse them all. */
static enum canned framing_error(struct MHD_Connection *c, struct framing *f)
{
	size_t n;

	*f = (struct framing){ 0 };
	MHD_get_connection_values(c, MHD_HEADER_KIND, frame_header, f);
	f->oversize = content_length(f->length, max_body, &n) && n > max_body;
	if (f->bad_name)
		return C_HEADER_NAME;
	if (f->lengths > 1)
		return C_TWO_LENGTHS;
	if (f->lengths > 0 && f->encodings > 0)
		return C_LENGTH_AND_CHUNKED;
	if (f->encodings > 1 || (f->encodings == 1 && !f->chunked))
		return C_TRANSFER_ENCODING;
	return NCANNED;
}

/* 1 and *n when v, a Content-Length value (NULL: none), is digits; n saturates past max. */
static int content_length(const char *v, size_t max, size_t *n)
{
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
static enum MHD_Result serve_info(struct MHD_Connection *c, const char *url)
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

/* The first call: headers only. Admit, check framing, route, refuse what can be refused
 * now, else start a body. */
static enum MHD_Result first_call(struct MHD_Connection *c, const char *url, const char *method,
				  void **rc)
{
	unsigned long long t0 = now_us();
	struct conn *k = conn_of(c);
	size_t slen;
	const char *seg = last_segment(url, &slen);
	struct framing f;
	enum canned bad;

	atomic_fetch_add(&inflight, 1);
	if (k != NULL && k->outsider)   /* /healthz and /metrics too: they name the policy */
		return refuse(c, rc, t0, seg, slen, MET_ACCEPT, MHD_HTTP_FORBIDDEN,
		    C_NOT_ACCEPTED, 1);
	if ((bad = framing_error(c, &f)) != NCANNED)
		return refuse(c, rc, t0, seg, slen, MET_FRAMING, MHD_HTTP_BAD_REQUEST, bad, 1);
	if (*rc == &nul_path)
		return refuse_later(c, rc, f.oversize, t0, seg, slen, MET_NOT_FOUND,
		    MHD_HTTP_NOT_FOUND, C_NUL_PATH);
	if (strcmp(url, "/healthz") == 0 || strcmp(url, "/metrics") == 0) {
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			return refuse_later(c, rc, f.oversize, t0, seg, slen, MET_BAD_METHOD,
			    MHD_HTTP_METHOD_NOT_ALLOWED, C_INFO_METHOD);
		*rc = &info_req;
		return MHD_YES;
	}
	if (!is_ident(seg, slen))
		return refuse_later(c, rc, f.oversize, t0, seg, slen, MET_NOT_FOUND,
		    MHD_HTTP_NOT_FOUND, C_NOT_FOUND);
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return refuse_later(c, rc, f.oversize, t0, seg, slen, MET_BAD_METHOD,
		    MHD_HTTP_METHOD_NOT_ALLOWED, C_HOOK_METHOD);
	if (f.oversize)
		return refuse(c, rc, t0, seg, slen, MET_TOO_LARGE, MHD_HTTP_CONTENT_TOO_LARGE,
		    C_TOO_LARGE, 0);
	if (k == NULL)                  /* its calloc failed at the connection's start */
		return MHD_NO;
	k->req.len = 0;
	k->req.over = 0;
	k->req.t0 = t0;
	*rc = &k->req;
	return MHD_YES;
}

/* Store one body piece; past max_body drop what was stored and only drain the rest. */
static enum MHD_Result append(struct req *r, const char *data, size_t n)
{
	if (r->over)
		return MHD_YES;
	if (n > max_body - r->len) {
		r->len = 0;
		r->over = 1;
		return MHD_YES;
	}
	if (n > r->cap - r->len) {
		size_t cap = r->cap > BODY_MIN / 2 ? r->cap * 2 : BODY_MIN;
		if (cap < r->len + n)
			cap = r->len + n;
		if (cap > max_body)
			cap = max_body;
		char *p = realloc(r->body, cap);
		if (p == NULL)
			return MHD_NO;
		r->body = p;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	return MHD_YES;
}

/* The reply as a response, without a copy: see the invariants at the top. A body
 * malloc'd for this reply alone (rep->owned, when the context had no out) goes with it. */
static struct MHD_Response *reply_response(wcsp_reply *rep)
{
	struct MHD_Response *rs;

	if (rep->owned == NULL)
		return MHD_create_response_from_buffer(rep->len, (void *)rep->body,
		    MHD_RESPMEM_PERSISTENT);
	rs = MHD_create_response_from_buffer_with_free_callback_cls(rep->len, (void *)rep->body,
	    free, rep->owned);
	if (rs != NULL)
		rep->owned = NULL;
	return rs;
}

/* The last call: the whole body is in. */
static enum MHD_Result final_call(struct MHD_Connection *c, void **rc, struct req *r,
				  const char *url)
{
	struct MHD_Response *rs;
	enum MHD_Result ok;
	struct tctx *t;
	/* r is always the connection's own (first_call): no lookup through libmicrohttpd */
	struct conn *k = (struct conn *)(void *)((char *)r - offsetof(struct conn, req));
	wcsp_reply rep;
	wcsp_ctx *x;
	size_t slen;
	const char *seg = last_segment(url, &slen);

	if (r->over)
		return refuse(c, rc, r->t0, seg, slen, MET_TOO_LARGE, MHD_HTTP_CONTENT_TOO_LARGE,
		    C_TOO_LARGE, 0);
	if (pol->require_signature) {       /* over the exact bytes received */
		enum tr_sig sig = tr_signature(secret, secret_len, MHD_lookup_connection_value(c,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), r->body != NULL ? r->body : "",
		    r->len);
		if (sig != TR_SIG_OK)
			return refuse(c, rc, r->t0, seg, slen, MET_SIGNATURE, MHD_HTTP_FORBIDDEN,
			    sig == TR_SIG_MISSING ? C_NO_SIGNATURE : C_BAD_SIGNATURE, 0);
	}
	if ((t = thread_ctx()) == NULL)
		return MHD_NO;
	x = &t->c;
	x->world = world_for(t);
	x->out = &k->out;
	wcsp_decide(pol, x, seg, slen, r->body != NULL ? r->body : "", r->len, &rep);
	x->out = NULL;
	x->world = NULL;
	rs = reply_response(&rep);
	if (rs == NULL ||
	    MHD_add_response_header(rs, MHD_HTTP_HEADER_CONTENT_TYPE, JSON) != MHD_YES ||
	    (atomic_load(&draining) &&
	     MHD_add_response_header(rs, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES))
		ok = MHD_NO;
	else {
		if (rep.decision == WCSP_D_BAD || rep.decision == WCSP_D_ERROR)
			met_reject(rep.decision == WCSP_D_BAD ? MET_BAD_JSON : MET_INTERNAL);
		met_request(&rep, seg, slen);
		log_rec l = { .app = rep.app, .alen = rep.app_len, .method = seg, .mlen = slen,
		    .decision = wcsp_decision_names[rep.decision], .status = rep.status,
		    .rule = rep.rule, .reason = rep.reason };
		ok = respond(c, rs, &l, r->t0);
	}
	if (rs != NULL)
		MHD_destroy_response(rs);
	wcsp_reply_free(&rep);
	return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *size, void **rc)
{
	(void)cls;
	(void)version;
	if (*rc == NULL || *rc == &nul_path)
		return first_call(c, url, method, rc);
	if (*rc == &refused_req) {      /* answered already; the rest of the body is drained */
		*size = 0;
		return MHD_YES;
	}
	if (*rc == &deferred_req) {     /* drop the body (up to --max-body), then refuse */
		struct conn *x = conn_of(c);
		size_t slen;
		const char *seg = last_segment(url, &slen);
		if (*size == 0)
			return refuse(c, rc, x->t0, seg, slen, x->why, x->status, x->refusal, 0);
		if ((x->drained += *size) > max_body)
			return MHD_NO;
		*size = 0;
		return MHD_YES;
	}
	if (*size == 0)
		return *rc == &info_req ? serve_info(c, url) : final_call(c, rc, *rc, url);
	enum MHD_Result ok = *rc == &info_req ? MHD_YES : append(*rc, data, *size);
	*size = 0;
	return ok;
}

static void completed(void *cls, struct MHD_Connection *c, void **rc,
		      enum MHD_RequestTerminationCode toe)
{
	struct req *r = *rc;
	struct conn *k;

	(void)cls;
	if (r == NULL || r == &nul_path)
		return;                 /* MHD answered it (400, 431...) before any first call */
	*rc = NULL;
	atomic_fetch_sub(&inflight, 1);
	if ((k = conn_of(c)) == NULL)
		return;
	if (r == &k->req) {
		r->len = 0;
		if (r->cap > CONN_KEEP) {       /* a large body: not kept while idle */
			free(r->body);
			r->body = NULL;
			r->cap = 0;
		}
	}
	if (k->out.cap > CONN_KEEP) {
		free(k->out.s);
		k->out = (sp_buf){ NULL, 0, 0 };
	}
	/* the connection stays for another request: it has until this deadline for it */
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		dl_enter(k, DL_KEPT);
}

/* MHD's own messages (client errors, mostly) are for debugging: a caller must not be able
 * to fill the log with them. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	log_vmsg(LOGL_DEBUG, fmt, ap);
}

/* Port: 1 to 5 digits, at most 65535. */
static int parse_port(const char *s, in_port_t *port)
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

int srv_parse_listen(const char *s, struct sockaddr_storage *ss)
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

/* The listening socket a service manager handed over, found as sd_listen_fds(3) finds it but
 * without libsystemd: LISTEN_PID names this process and LISTEN_FDS counts the sockets from
 * fd 3. The variables go either way, so that no child takes them for its own. Returns the fd
 * (close-on-exec from now on), -1 when none is meant for this process, or -2 after a line
 * on stderr when it cannot be served: more than one, or not a listening TCP socket. */
static int inherited_socket(void)
{
	const char *e;
	char pid[32], fds[32];
	int fd = LISTEN_FDS_START, flags, type = 0, proto = 0, family = 0, listening = 0;
	socklen_t n;

	e = getenv("LISTEN_PID");
	snprintf(pid, sizeof pid, "%s", e != NULL ? e : "");
	e = getenv("LISTEN_FDS");
	snprintf(fds, sizeof fds, "%s", e != NULL ? e : "");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (fds[0] == '\0' || pid[0] == '\0' || strspn(pid, "0123456789") != strlen(pid) ||
	    strtoull(pid, NULL, 10) != (unsigned long long)getpid())
		return -1;
	if (strcmp(fds, "1") != 0) {
		fprintf(stderr, "wcsp: LISTEN_FDS is '%s': the server takes exactly one listening "
		    "socket (one ListenStream=, Accept=no)\n", fds);
		return -2;
	}
	if ((flags = fcntl(fd, F_GETFD)) < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
		fprintf(stderr, "wcsp: LISTEN_FDS is 1 but fd %d is not open\n", fd);
		return -2;
	}
	/* each stays 0 when fd is not a socket */
	n = sizeof type;
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &n);
	n = sizeof proto;
	getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &n);
	n = sizeof family;
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &n);
	n = sizeof listening;
	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &n);
	if (type != SOCK_STREAM || proto != IPPROTO_TCP || listening != 1 ||
	    (family != AF_INET && family != AF_INET6)) {
		fprintf(stderr, "wcsp: the socket handed over on fd %d (LISTEN_FDS) is not a "
		    "listening TCP socket\n", fd);
		return -2;
	}
	return fd;
}

/* --reuse-port, on a stop signal. The kernel numbers the sockets of a reuse-port group in
 * the order they joined and resets the connections waiting in a socket's accept queue when
 * it closes. So new connections are steered, by a classic BPF program that answers "socket
 * 1" for the whole group, to the newest socket: the server that replaces this one joined
 * after it (a group of one has no socket 1, and the kernel falls back to its hash). Then
 * this server keeps accepting, its replies closing their connections, until its own queue
 * is empty (TCP_INFO's tcpi_unacked on a listening socket) for SRV_HANDOFF_SETTLE_MS, or
 * SRV_HANDOFF_MS have passed. */
static void hand_off(MHD_socket fd)
{
	/* struct sock_filter and struct sock_fprog of <linux/filter.h>, not included so that
	 * the runtime builds against any libc's headers; BPF_RET | BPF_K is 0x06 */
	struct { uint16_t code; uint8_t jt, jf; uint32_t k; } ret1 = { 0x06, 0, 0, 1 };
	struct { unsigned short len; void *filter; } prog = { 1, &ret1 };
	const struct timespec step = { 0, DRAIN_STEP_MS * 1000000L };
	struct tcp_info ti;
	socklen_t n;
	int waited = 0, empty = 0;
	const char *e = getenv(SRV_HANDOFF_ENV);

	if (e != NULL && strcmp(e, "0") == 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog) != 0) {
		log_msg(LOGL_WARN, "reuse-port: cannot steer new connections away (%s): the "
		    "ones queued when the socket closes are reset", strerror(errno));
		return;
	}
	for (;;) {
		n = sizeof ti;
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &n) != 0)
			return;
		empty = ti.tcpi_unacked == 0 ? empty + DRAIN_STEP_MS : 0;
		if (empty >= SRV_HANDOFF_SETTLE_MS || waited >= SRV_HANDOFF_MS)
			break;
		nanosleep(&step, NULL);
		waited += DRAIN_STEP_MS;
	}
	log_msg(ti.tcpi_unacked == 0 ? LOGL_INFO : LOGL_WARN, "reuse-port: new connections "
	    "steered to the newest socket; %u left in the accept queue after %d ms",
	    ti.tcpi_unacked, waited);
}

/* "wcsp: listening on ADDR:PORT (policy NAME)" with the address the socket has. */
static void say_listening(MHD_socket fd, const char *policy, int inherited)
{
	struct sockaddr_storage ss;
	socklen_t n = sizeof ss;
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	memset(&ss, 0, sizeof ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &n) == 0 && ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
		port = ntohs(v6->sin6_port);
	} else if (ss.ss_family == AF_INET) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
		port = ntohs(v4->sin_port);
	}
	fprintf(stderr, ss.ss_family == AF_INET6 ? "wcsp: listening on [%s]:%u (policy %s%s)\n" :
	    "wcsp: listening on %s:%u (policy %s%s)\n", host, port, policy,
	    inherited ? ", socket handed over" : "");
}

/* Wait until every connection is gone, or SRV_DRAIN_MS have passed. A request already in a
 * socket buffer is answered (with Connection: close) before its connection goes; an idle
 * kept-alive connection ends at the idle timeout or when the wait ends. */
static void drain(void)
{
	const struct timespec step = { 0, DRAIN_STEP_MS * 1000000L };

	for (int waited = 0; (atomic_load(&nconns) > 0 || atomic_load(&inflight) > 0) &&
	    waited < SRV_DRAIN_MS; waited += DRAIN_STEP_MS)
		nanosleep(&step, NULL);
}

static void teardown(void)
{
	free_ctxs();                    /* no decision runs any more */
	if (world != NULL) {
		world_free(world->w);
		free(world);
		world = NULL;
	}
	free_canned();
	met_free();
	log_flush();
}

int srv_run(const wcsp_policy *p, const srv_opts *o)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;
	struct MHD_OptionItem opts[4];
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;
	MHD_socket lfd;
	const struct timespec log_period = { 1, 0 };
	struct held *h;
	wcsp_world *w;
	char why[512];
	sigset_t sigs;
	int sig, err, v6only = 0, one = 1, inherited;
	socklen_t n;
	size_t k = 0;

	if ((inherited = inherited_socket()) == -2)
		return 2;
	if (inherited < 0 && srv_parse_listen(o->listen, &ss) != 0) {
		fprintf(stderr, "wcsp: cannot listen on %s: not ADDR:PORT\n", o->listen);
		return 2;
	}
	if (inherited >= 0) {           /* the flags follow the socket as the manager made it */
		n = sizeof ss;
		if (getsockname(inherited, (struct sockaddr *)&ss, &n) == 0 &&
		    ss.ss_family == AF_INET6) {
			n = sizeof v6only;
			getsockopt(inherited, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &n);
			flags |= v6only ? MHD_USE_IPv6 : MHD_USE_DUAL_STACK;
		}
		opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, inherited, NULL };
	} else {
		/* [::] takes IPv4 callers too (as ::ffff:a.b.c.d, which `accept from`
		 * understands) */
		if (ss.ss_family == AF_INET6)
			flags |= IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr) ?
			    MHD_USE_DUAL_STACK : MHD_USE_IPv6;
		opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &ss };
		if (o->reuse_port)
			opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_LISTENING_ADDRESS_REUSE,
			    1, NULL };
	}
	/* the pool option only when there is a pool: MHD warns about a size of 0 or 1 */
	if (o->threads > 1)
		opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, o->threads,
		    NULL };
	opts[k] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	/* keys and live sets: a file that cannot be read stops the start */
	h = malloc(sizeof *h);
	w = h != NULL ? world_load(p, o->data_dir, why, sizeof why) : NULL;
	if (w == NULL) {
		fprintf(stderr, "wcsp: %s\n", h != NULL ? why : "out of memory");
		free(h);
		return 2;
	}
	world_swap(w, h);
	met_reload(1, w->loaded);
	warn_open(p, w, o->data_dir);
	token_cache = o->token_cache;
	pol = p;
	max_body = o->max_body;
	secret = o->secret;
	secret_len = o->secret_len;
	offsets[DL_NEW] = (unsigned long long)o->request_timeout * 1000000;
	offsets[DL_KEPT] = offsets[DL_NEW] + (unsigned long long)o->timeout * 1000000;
	if (met_init(p) != 0 || make_canned() != 0) {
		fprintf(stderr, "wcsp: out of memory\n");
		teardown();
		return 1;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (reaper_start() != 0) {
		fprintf(stderr, "wcsp: cannot start the deadline thread\n");
		teardown();
		return 1;
	}
	errno = 0;
	/* The logger comes first so that it sees every message; the socket, the address reuse
	 * and the pool come last, in an array, as each may be absent. */
	d = MHD_start_daemon(flags, 0, accept_policy, NULL, handle, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, o->timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->conn_memory,
	    MHD_OPTION_CONNECTION_LIMIT, o->max_conns,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_conns_per_ip,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, notify_connection, NULL,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_logger, NULL,
	    MHD_OPTION_ARRAY, opts,
	    MHD_OPTION_END);
	if (d == NULL) {
		err = errno;
		if (inherited >= 0)
			fprintf(stderr, "wcsp: cannot serve the socket handed over on fd %d: %s\n",
			    inherited, strerror(err != 0 ? err : EINVAL));
		else
			fprintf(stderr, "wcsp: cannot listen on %s: %s\n", o->listen,
			    strerror(err != 0 ? err : EINVAL));
		reaper_end();
		teardown();
		return 2;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
	lfd = di != NULL ? di->listen_fd : MHD_INVALID_SOCKET;
	/* a steering program left by a server this one replaced: hash connections again */
	if (inherited < 0 && o->reuse_port)
		setsockopt(lfd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &one, sizeof one);
	say_listening(lfd, p->name, inherited >= 0);
	/* wait for a stop signal; meanwhile the access log reaches its file once a second, and
	 * SIGHUP reloads keys and live sets */
	while ((sig = sigtimedwait(&sigs, NULL, &log_period)) < 0 || sig == SIGHUP) {
		if (sig == SIGHUP)
			reload(p, o->data_dir);
		log_flush();
	}
	log_msg(LOGL_INFO, "signal %d: stopping, %d requests in flight on %d connections", sig,
	    atomic_load(&inflight), atomic_load(&nconns));
	/* Replies close their connections from when the callers' new ones go elsewhere: once
	 * they are steered away (--reuse-port), else once the socket is closed. */
	if (inherited < 0 && o->reuse_port) {
		atomic_store(&draining, 1);
		hand_off(lfd);
	}
	/* no new connections: our copy of the socket goes at once (a manager's stays open) */
	lfd = MHD_quiesce_daemon(d);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	atomic_store(&draining, 1);
	drain();
	MHD_stop_daemon(d);
	reaper_end();
	teardown();
	return 0;
}
