/*
 * hammer.c -- steady load with every reply's status counted, for the reload tests.
 *
 *   hammer --to ADDR:PORT --conns N --seconds S --body FILE [--path PATH] [--close]
 *
 * N threads, each with one kept-alive connection (reconnecting when the server closes it),
 * POST FILE to PATH (default /rest/connect) one request after another for S seconds, and
 * read each reply whole (Content-Length). --close sends each request on a new connection
 * (Connection: close). Prints one line:
 *
 *   hammer: requests R, errors E, reconnects C, status 403 A, status 409 B, ...
 *
 * "errors" counts requests that got no complete reply (a reset, a timeout of 5 s, a reply
 * that does not parse). Exits 0, or 2 on a usage error. IPv4 only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define REPLY_MAX 65536

typedef struct worker {
	pthread_t th;
	unsigned long requests, errors, reconnects;
	unsigned long status[600];
} worker;

static struct sockaddr_in to;
static const char *path = "/rest/connect";
static int close_each;
static char *request;
static size_t request_len;
static double deadline;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int usage(const char *why)
{
	fprintf(stderr,
		"hammer: %s\nusage: hammer --to ADDR:PORT --conns N --seconds S --body FILE "
		"[--path PATH] [--close]\n",
		why);
	return 2;
}

static int connect_to(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read until the reply is whole; its status, or -1. *closing: the server said close. */
static int read_reply(int fd, int *closing)
{
	char buf[REPLY_MAX];
	size_t n = 0;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 5000) != 1)
			return -1;
		ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = 0;
		char *end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		int status;
		if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1 || status < 100 || status > 599)
			return -1;
		const char *cl = strcasestr(buf, "\r\ncontent-length:");
		size_t len = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
		*closing = strcasestr(buf, "\r\nconnection: close") != NULL;
		if (n >= (size_t)(end + 4 - buf) + len)
			return status;
		if (n == sizeof buf - 1)
			return -1;
	}
}

static void *work(void *arg)
{
	worker *w = arg;
	int fd = -1;
	while (now() < deadline) {
		if (fd < 0 && (fd = connect_to()) < 0) {
			w->errors++;
			usleep(10000);
			continue;
		}
		int closing = 0, status = -1;
		w->requests++;
		if (write(fd, request, request_len) == (ssize_t)request_len)
			status = read_reply(fd, &closing);
		if (status < 0)
			w->errors++;
		else
			w->status[status]++;
		if (status < 0 || closing) {
			close(fd);
			fd = -1;
			w->reconnects++;
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *body = NULL;
	int conns = 0;
	double seconds = 0;
	for (int i = 1; i < argc; i += 2) {
		if (!strcmp(argv[i], "--close")) {  /* the one option without a value */
			close_each = 1;
			i--;
			continue;
		}
		if (i + 1 >= argc)
			return usage("an option needs a value");
		if (!strcmp(argv[i], "--to"))
			addr = argv[i + 1];
		else if (!strcmp(argv[i], "--conns"))
			conns = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--body"))
			body = argv[i + 1];
		else if (!strcmp(argv[i], "--path"))
			path = argv[i + 1];
		else
			return usage("unknown option");
	}
	if (!addr || !body || conns < 1 || conns > MAX_CONNS || seconds <= 0)
		return usage("--to, --conns (1..256), --seconds and --body are needed");
	const char *colon = strrchr(addr, ':');
	char host[64];
	if (!colon || (size_t)(colon - addr) >= sizeof host)
		return usage("--to wants A.B.C.D:PORT");
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	to.sin_family = AF_INET;
	to.sin_port = htons((unsigned short)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &to.sin_addr) != 1)
		return usage("--to wants A.B.C.D:PORT");

	FILE *f = fopen(body, "rb");
	if (!f)
		return usage("cannot read the body file");
	char data[REPLY_MAX];
	size_t dn = fread(data, 1, sizeof data, f);
	fclose(f);
	request = malloc(dn + 512);
	if (!request)
		return usage("out of memory");
	request_len = (size_t)sprintf(request,
				      "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: "
				      "application/json\r\nContent-Length: %zu\r\n%s\r\n",
				      path, addr, dn, close_each ? "Connection: close\r\n" : "");
	memcpy(request + request_len, data, dn);
	request_len += dn;

	static worker w[MAX_CONNS];
	deadline = now() + seconds;
	for (int i = 0; i < conns; i++)
		if (pthread_create(&w[i].th, NULL, work, &w[i]) != 0)
			return usage("cannot start a thread");
	unsigned long total[600] = { 0 }, req = 0, err = 0, rec = 0;
	for (int i = 0; i < conns; i++) {
		pthread_join(w[i].th, NULL);
		req += w[i].requests;
		err += w[i].errors;
		rec += w[i].reconnects;
		for (int s = 0; s < 600; s++)
			total[s] += w[i].status[s];
	}
	printf("hammer: requests %lu, errors %lu, reconnects %lu", req, err, rec);
	for (int s = 0; s < 600; s++)
		if (total[s])
			printf(", status %d %lu", s, total[s]);
	putchar('\n');
	free(request);
	return 0;
}
