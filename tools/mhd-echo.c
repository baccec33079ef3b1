/*
 * tools/mhd-echo.c -- a bare libmicrohttpd echo: the yardstick of a static server's size.
 *
 *   mhd-echo PORT      answers every request on 127.0.0.1:PORT with its own body (200)
 *
 * `make static-runtime` builds it for each ARCH as $(B)/static/ARCH/work/mhd-echo, with the
 * same compiler, flags and libmicrohttpd as a static server (so what a server adds to it is
 * wcsp's own cost), and tests/static.sh reports both sizes. Like the server: one internal
 * epoll thread, bodies collected in memory and handed over without a copy, stop on SIGTERM.
 */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct body {
	char *p;
	size_t n;
};

static enum MHD_Result echo(void *cls, struct MHD_Connection *c, const char *url,
			    const char *method, const char *version, const char *data,
			    size_t *size, void **state)
{
	struct body *b = *state;
	struct MHD_Response *rs;
	enum MHD_Result ok;
	char *p;

	(void)cls, (void)url, (void)method, (void)version;
	if (b == NULL) {
		if ((b = calloc(1, sizeof *b)) == NULL)
			return MHD_NO;
		*state = b;
		return MHD_YES;
	}
	if (*size != 0) {
		if ((p = realloc(b->p, b->n + *size)) == NULL)
			return MHD_NO;
		memcpy(p + b->n, data, *size);
		b->p = p;
		b->n += *size;
		*size = 0;
		return MHD_YES;
	}
	rs = MHD_create_response_from_buffer(b->n, b->p, MHD_RESPMEM_MUST_FREE);
	if (rs == NULL)
		return MHD_NO;
	b->p = NULL;
	ok = MHD_queue_response(c, MHD_HTTP_OK, rs);
	MHD_destroy_response(rs);
	return ok;
}

static void done(void *cls, struct MHD_Connection *c, void **state,
		 enum MHD_RequestTerminationCode toe)
{
	struct body *b = *state;

	(void)cls, (void)c, (void)toe;
	if (b != NULL) {
		free(b->p);
		free(b);
	}
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	sigset_t sigs;
	int sig;

	if (argc != 2) {
		fprintf(stderr, "usage: mhd-echo PORT\n");
		return 2;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
	    (uint16_t)atoi(argv[1]), NULL, NULL, echo, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "mhd-echo: cannot listen on port %s\n", argv[1]);
		return 1;
	}
	fprintf(stderr, "mhd-echo: listening on port %s\n", argv[1]);
	sigwait(&sigs, &sig);
	MHD_stop_daemon(d);
	return 0;
}
