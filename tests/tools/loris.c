/*
 * loris.c -- slow clients and a timed normal client, for the limits suite and bench/.
 *
 *   loris slow   --to ADDR:PORT [--from ADDR] --conns N --seconds S [--interval-ms MS]
 *       opens N connections (from source address ADDR when given) and trickles a request's
 *       headers into each, one byte every MS milliseconds (default 1000), for S seconds.
 *       Prints one line:
 *         slow: opened N, closed at once R, closed later C (first F s, last L s), open O
 *       "closed at once" means the server ended the connection within 0.5 s of its opening
 *       without a reply (refused before reading), "closed later" ended after that.
 *
 *   loris client --to ADDR:PORT [--from ADDR] --requests N --body FILE [--path PATH]
 *       sends N POSTs with FILE as the body, one after another on a kept-alive connection
 *       (reconnecting when the server closes it), and prints:
 *         client: requests N, 2xx K, other O, errors E, reconnects R, p50 A us, p99 B us, max C us
 *
 * IPv4 only; loopback tests use 127.0.0.x source addresses to act as several callers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "loris: %s\n", what);
	exit(2);
}

static struct sockaddr_in addr_of(const char *s, int with_port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char host[64];
	const char *colon = with_port ? strrchr(s, ':') : NULL;
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	if (n >= sizeof host || (with_port && !colon))
		die("address wanted as A.B.C.D:PORT");
	memcpy(host, s, n);
	host[n] = 0;
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		die("not an IPv4 address");
	if (colon)
		a.sin_port = htons((unsigned short)atoi(colon + 1));
	return a;
}

static int open_conn(const struct sockaddr_in *to, const char *from, int nonblock)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (from) {
		struct sockaddr_in f = addr_of(from, 0);
		if (bind(fd, (struct sockaddr *)&f, sizeof f)) {
			close(fd);
			return -1;
		}
	}
	if (nonblock)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (const struct sockaddr *)to, sizeof *to) && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static int slow(const struct sockaddr_in *to, const char *from, int nconns, double seconds,
		int interval_ms)
{
	static const char req[] =
		"POST /slow/publishStream HTTP/1.1\r\nHost: loris\r\n"
		"X-Trickle: "
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"a"
		"a"
		"a"
		"a"
		"a"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	struct pollfd *p = calloc((size_t)nconns, sizeof *p);
	double *opened = calloc((size_t)nconns, sizeof *opened), t0 = now(), first = -1, last = -1;
	size_t *sent = calloc((size_t)nconns, sizeof *sent);
	int at_once = 0, later = 0, open = 0;
	if (!p || !opened || !sent)
		die("out of memory");
	for (int i = 0; i < nconns; i++) {
		p[i].fd = open_conn(to, from, 1);
		p[i].events = POLLIN;
		opened[i] = now();
		if (p[i].fd < 0)
			at_once++;
		else
			open++;
	}
	double next_byte = now();
	while (now() - t0 < seconds && open > 0) {
		int wait = (int)((next_byte - now()) * 1000);
		if (poll(p, (nfds_t)nconns, wait > 0 ? wait : 0) > 0)
			for (int i = 0; i < nconns; i++) {
				if (p[i].fd < 0 || !p[i].revents)
					continue;
				char b[512];
				ssize_t r = recv(p[i].fd, b, sizeof b, 0);
				if (r > 0)
					continue;       /* a reply: keep reading until the close */
				if (r < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				double t = now();
				if (t - opened[i] < 0.5)
					at_once++;
				else {
					later++;
					if (first < 0)
						first = t - t0;
					last = t - t0;
				}
				close(p[i].fd);
				p[i].fd = -1;
				open--;
			}
		if (now() >= next_byte) {
			for (int i = 0; i < nconns; i++)
				if (p[i].fd >= 0 && sent[i] < sizeof req - 1 &&
				    send(p[i].fd, req + sent[i], 1, MSG_NOSIGNAL) == 1)
					sent[i]++;
			next_byte += interval_ms / 1000.0;
		}
	}
	printf("slow: opened %d, closed at once %d, closed later %d (first %.1f s, last %.1f s), "
	       "open %d\n",
	       nconns, at_once, later, first, last, open);
	for (int i = 0; i < nconns; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	free(p);
	free(opened);
	free(sent);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* One request on fd; its status, or -1 when the connection failed. */
static int exchange(int fd, const char *head, size_t hn, const char *body, size_t bn, int *closes)
{
	static char in[1 << 16];
	if (send(fd, head, hn, MSG_NOSIGNAL) != (ssize_t)hn ||
	    send(fd, body, bn, MSG_NOSIGNAL) != (ssize_t)bn)
		return -1;
	size_t got = 0;
	for (;;) {
		ssize_t r = recv(fd, in + got, sizeof in - 1 - got, 0);
		if (r <= 0)
			return -1;
		got += (size_t)r;
		in[got] = 0;
		char *end = strstr(in, "\r\n\r\n");
		if (!end)
			continue;
		char *cl = strcasestr(in, "\r\ncontent-length:");
		size_t want =
			(size_t)(end + 4 - in) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		if (got < want)
			continue;
		*closes = strcasestr(in, "\r\nconnection: close") != NULL;
		return atoi(in + 9);
	}
}

static int client(const struct sockaddr_in *to, const char *from, int n, const char *file,
		  const char *path)
{
	FILE *f = fopen(file, "rb");
	static char body[1 << 20];
	size_t bn = f ? fread(body, 1, sizeof body, f) : 0;
	if (!f)
		die("cannot read the body file");
	fclose(f);
	char head[512];
	int hn = snprintf(head, sizeof head, "POST %s HTTP/1.1\r\nHost: loris\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\n\r\n", path, bn);
	double *lat = calloc((size_t)n, sizeof *lat);
	int ok = 0, other = 0, errors = 0, reconnects = -1, fd = -1;
	for (int i = 0; i < n; i++) {
		if (fd < 0) {
			fd = open_conn(to, from, 0);
			reconnects++;
		}
		double t = now();
		int closes = 0,
		    st = fd < 0 ? -1 : exchange(fd, head, (size_t)hn, body, bn, &closes);
		lat[i] = (now() - t) * 1e6;
		if (st < 0) {
			errors++;
			if (fd >= 0)
				close(fd);
			fd = -1;
			continue;
		}
		if (st >= 200 && st < 300)
			ok++;
		else
			other++;
		if (closes) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	qsort(lat, (size_t)n, sizeof *lat, cmp_double);
	printf("client: requests %d, 2xx %d, other %d, errors %d, reconnects %d, p50 %.0f us, "
	    "p99 %.0f us, max %.0f us\n", n, ok, other, errors, reconnects, lat[n / 2],
	    lat[(int)(n * 0.99)], lat[n - 1]);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	const char *to = NULL, *from = NULL, *body = NULL, *path = "/rest/publishStream";
	int conns = 100, requests = 1000, interval = 1000;
	double seconds = 10;
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		die("usage: loris slow|client --to ADDR:PORT ...");
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (!strcmp(k, "--to")) to = v;
		else if (!strcmp(k, "--from")) from = v;
		else if (!strcmp(k, "--conns")) conns = atoi(v);
		else if (!strcmp(k, "--seconds")) seconds = atof(v);
		else if (!strcmp(k, "--interval-ms")) interval = atoi(v);
		else if (!strcmp(k, "--requests")) requests = atoi(v);
		else if (!strcmp(k, "--body")) body = v;
		else if (!strcmp(k, "--path")) path = v;
		else die("unknown option");
	}
	if (!to || conns < 1 || requests < 1 || interval < 1)
		die("--to ADDR:PORT is needed, counts are positive");
	struct sockaddr_in a = addr_of(to, 1);
	if (!strcmp(argv[1], "slow"))
		return slow(&a, from, conns, seconds, interval);
	if (!strcmp(argv[1], "client") && body)
		return client(&a, from, requests, body, path);
	die("loris slow ... | loris client --body FILE ...");
	return 2;
}
