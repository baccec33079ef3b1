/*
 * ref-echo.c -- the reference a policy server is measured against: a bare libmicrohttpd +
 * jsmn echo, the least a hook backend can do. One epoll polling thread and MHD's defaults
 * (its 32 KiB connection pool included), POST bodies collected into a buffer that grows as
 * needed, tokenised by jsmn (strict, into a token array that grows as needed; a body jsmn
 * refuses gets 400), and echoed with 200 and Content-Type application/json.
 *
 *   ref-echo [PORT [POOL [PAD]]]  listens on 127.0.0.1:PORT (default 9278; 0 picks one),
 *                       prints "ref-echo: listening on 127.0.0.1:PORT", stops on
 *                       SIGTERM/SIGINT. POOL: MHD's per-connection memory (default or 0:
 *                       MHD's, 32 KiB), to compare with a server that sets a smaller one.
 *                       PAD: bytes of spaces after each echoed object (JSON allows them), so
 *                       that its replies are as long as another server's: what sending
 *                       those bytes costs, apart from deciding what they are.
 *
 * No access log, no limits, no validation beyond jsmn's: what it costs is the floor.
 */
#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct body {
	char *s;
	size_t n, cap;
};

static jsmntok_t *toks;
static unsigned ntoks = 256;
static size_t pad;

static int tokenise(const char *s, size_t n)
{
	for (;;) {
		jsmn_parser p;
		jsmn_init(&p);
		int r = jsmn_parse(&p, s, n, toks, ntoks);
		if (r != JSMN_ERROR_NOMEM)
			return r;
		jsmntok_t *t = realloc(toks, 2 * ntoks * sizeof *t);
		if (!t)
			return JSMN_ERROR_NOMEM;
		toks = t;
		ntoks *= 2;
	}
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *s, size_t n,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(n, s, mode);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	enum MHD_Result ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *size, void **rc)
{
	struct body *b = *rc;
	(void)cls;
	(void)url;
	(void)version;
	if (strcmp(method, "POST"))
		return reply(c, 405, "{}", 2, MHD_RESPMEM_PERSISTENT);
	if (!b) {
		if (!(b = calloc(1, sizeof *b)))
			return MHD_NO;
		*rc = b;
		return MHD_YES;
	}
	if (*size) {
		if (b->n + *size > b->cap) {
			size_t cap = (b->n + *size) * 2;
			char *s = realloc(b->s, cap);
			if (!s)
				return MHD_NO;
			b->s = s;
			b->cap = cap;
		}
		memcpy(b->s + b->n, data, *size);
		b->n += *size;
		*size = 0;
		return MHD_YES;
	}
	if (tokenise(b->s ? b->s : "", b->n) < 1)
		return reply(c, 400, "{\"error\":\"bad request\"}", 23, MHD_RESPMEM_PERSISTENT);
	if (pad) {
		char *s = realloc(b->s, b->n + pad);
		if (!s)
			return MHD_NO;
		memset(s + b->n, ' ', pad);
		b->s = s;
		b->n += pad;
	}
	enum MHD_Result ok = reply(c, 200, b->s, b->n, MHD_RESPMEM_MUST_FREE);
	b->s = NULL;
	return ok;
}

static void completed(void *cls, struct MHD_Connection *c, void **rc,
		      enum MHD_RequestTerminationCode toe)
{
	struct body *b = *rc;
	(void)cls;
	(void)c;
	(void)toe;
	if (b) {
		free(b->s);
		free(b);
	}
	*rc = NULL;
}

int main(int argc, char **argv)
{
	unsigned port = argc > 1 ? (unsigned)atoi(argv[1]) : 9278;
	size_t pool = argc > 2 ? (size_t)atol(argv[2]) : 0;
	pad = argc > 3 ? (size_t)atol(argv[3]) : 0;
	sigset_t sigs;
	int sig;
	toks = malloc(ntoks * sizeof *toks);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
						0, NULL, NULL, handle, NULL,
						MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
						MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
						pool ? MHD_OPTION_CONNECTION_MEMORY_LIMIT :
						MHD_OPTION_END, pool,
						MHD_OPTION_END);
	if (!toks || !d) {
		fputs("ref-echo: cannot start\n", stderr);
		return 2;
	}
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	fprintf(stderr, "ref-echo: listening on 127.0.0.1:%u\n", i ? i->port : port);
	sigwait(&sigs, &sig);
	MHD_stop_daemon(d);
	free(toks);
	return 0;
}
