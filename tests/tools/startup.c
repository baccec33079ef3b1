/*
 * startup.c -- how long a server takes from exec to its first `GET /healthz` 200.
 *
 *   startup [--runs N] [--] SERVER [ARGS...]
 *
 * Each run picks a free loopback port (bind port 0, read it, close) and spawns (posix_spawn,
 * stderr to /dev/null) `SERVER ARGS... --listen 127.0.0.1:PORT --log-level error`. From just
 * before the spawn it connects to the port in a loop (a refused connection is retried at once)
 * and sends `GET /healthz`; the time is taken when a reply whose status line says 200 has
 * arrived. Then SIGTERM, and the child must exit 0. Prints one line:
 *
 *   startup: runs N, median U us, min U us, max U us, idle RSS K kB
 *
 * (the RSS is the server's VmRSS after its first reply, in the last run). Exit 0, or 1 when
 * a run fails (no reply within 5 s, a status other than 200, a bad exit), with a line
 * saying which.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 1000

extern char **environ;
#define GIVE_UP_US 5000000.0

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t n = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &n) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* One GET /healthz: the status code, 0 when the connection is refused or cut. */
static int healthz(int port)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char buf[256];
	size_t got = 0;
	ssize_t k;
	int fd = socket(AF_INET, SOCK_STREAM, 0), status = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1)) {
		while (got < 13 && (k = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
			got += (size_t)k;
		buf[got] = '\0';
		if (got >= 12 && sscanf(buf, "HTTP/1.%*c %d", &status) != 1)
			status = 0;
	}
	close(fd);
	return status;
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static double took[MAX_RUNS];
	int runs = 10, i = 1, st, port, status;
	long rss = -1;
	char listen[64];
	const struct timespec pause = { 0, 50000 };
	posix_spawn_file_actions_t fa;

	/* the server's stderr (its listening line) to /dev/null */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);

	if (i + 1 < argc && !strcmp(argv[i], "--runs")) {
		runs = atoi(argv[i + 1]);
		i += 2;
	}
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: startup [--runs 1..%d] [--] SERVER [ARGS...]\n", MAX_RUNS);
		return 2;
	}
	int nargs = argc - i;
	char **args = calloc((size_t)nargs + 6, sizeof *args);
	if (args == NULL)
		return 2;
	memcpy(args, argv + i, (size_t)nargs * sizeof *args);
	args[nargs] = "--listen";
	args[nargs + 1] = listen;
	args[nargs + 2] = "--log-level";
	args[nargs + 3] = "error";
	for (int r = 0; r < runs; r++) {
		if ((port = free_port()) < 0) {
			printf("startup: FAIL no free port: %s\n", strerror(errno));
			return 1;
		}
		snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
		double t0 = now_us();
		pid_t pid;
		if (posix_spawn(&pid, args[0], &fa, NULL, args, environ) != 0) {
			printf("startup: FAIL cannot run %s: %s\n", args[0], strerror(errno));
			return 1;
		}
		/* a refused connection costs microseconds; 50 us between tries leave the CPU to
		 * the server */
		while ((status = healthz(port)) == 0 && now_us() - t0 < GIVE_UP_US &&
		       waitpid(pid, &st, WNOHANG) == 0)
			nanosleep(&pause, NULL);
		took[r] = now_us() - t0;
		if (status == 200 && r == runs - 1)
			rss = rss_kb(pid);
		kill(pid, SIGTERM);
		if (waitpid(pid, &st, 0) != pid)
			st = -1;
		if (status != 200) {
			printf("startup: FAIL run %d: /healthz gave %d after %.0f us\n", r + 1,
			       status, took[r]);
			return 1;
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("startup: FAIL run %d: no exit 0 on SIGTERM\n", r + 1);
			return 1;
		}
	}
	qsort(took, (size_t)runs, sizeof *took, cmp_double);
	printf("startup: runs %d, median %.0f us, min %.0f us, max %.0f us, idle RSS %ld kB\n",
	       runs, runs % 2 ? took[runs / 2] : (took[runs / 2 - 1] + took[runs / 2]) / 2,
	       took[0], took[runs - 1], rss);
	free(args);
	return 0;
}
