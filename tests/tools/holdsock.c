/*
 * holdsock.c -- hold a listening socket and run a server on it, as systemd does for a .socket
 * unit, and replace that server on a signal: the upgrade test's service manager.
 *
 *   holdsock [--listen ADDR:PORT] [--overlap-ms N] SERVER [ARGS...]
 *
 * Binds ADDR:PORT (default 127.0.0.1:0; [IPv6]:PORT, [::] taking IPv4 too), listens, prints
 * "holdsock: listening on ADDR:PORT" on stderr, and runs SERVER ARGS with the socket on fd 3,
 * LISTEN_FDS=1 and LISTEN_PID set to the server's pid (sd_listen_fds(3)). holdsock keeps its
 * own copy of the socket for as long as it runs, so connections queue in the kernel while no
 * server accepts them. Signals:
 *
 *   SIGUSR1   replace, overlapping: start SERVER again (the file as it is now), wait N ms
 *             (default 200), then SIGTERM the old server, unless the new one has exited
 *   SIGUSR2   replace, restart (systemctl restart): SIGTERM the old server, wait until it
 *             exits, then start SERVER again
 *   SIGHUP    passed to the server
 *   SIGTERM, SIGINT   passed to the server; holdsock exits with its exit status
 *
 * Each replacement prints one line on stderr:
 *
 *   holdsock: restart: pid A exited 0 after T ms, pid B started
 *   holdsock: overlap: pid B started, pid A stopped N ms later (exited 0 after T ms)
 *
 * A server that exits on its own ends holdsock with its status (128 + signal when killed);
 * a server whose holdsock dies gets SIGTERM. Exits 2 on a usage error or when the address
 * cannot be bound. Linux, loopback tests only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FD_HIGH 10                 /* the held socket stays above fd 3 */

static int sock = -1;
static char **server;              /* SERVER ARGS..., NULL-terminated */
static sigset_t handled;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int usage(const char *why)
{
	fprintf(stderr, "holdsock: %s\nusage: holdsock [--listen ADDR:PORT] [--overlap-ms N] "
		"SERVER [ARGS...]\n", why);
	return 2;
}

/* A listening socket on "A.B.C.D:PORT" or "[IPv6]:PORT", at fd FD_HIGH or above. */
static int listen_on(const char *addr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	const char *colon = strrchr(addr, ':');
	char host[64];
	size_t n;
	int fd, high, one = 1, off = 0;

	memset(&ss, 0, sizeof ss);
	if (colon == NULL || (n = (size_t)(colon - addr)) >= sizeof host)
		return -1;
	if (addr[0] == '[' && n > 2 && addr[n - 1] == ']') {
		memcpy(host, addr + 1, n - 2);
		host[n - 2] = '\0';
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((unsigned short)atoi(colon + 1));
		if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1)
			return -1;
	} else {
		memcpy(host, addr, n);
		host[n] = '\0';
		v4->sin_family = AF_INET;
		v4->sin_port = htons((unsigned short)atoi(colon + 1));
		if (inet_pton(AF_INET, host, &v4->sin_addr) != 1)
			return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
			   IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr) ? &off : &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, ss.ss_family == AF_INET6 ? sizeof *v6 : sizeof *v4) !=
		    0 ||
	    listen(fd, SOMAXCONN) != 0 || (high = fcntl(fd, F_DUPFD_CLOEXEC, FD_HIGH)) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return high;
}

static void say_address(void)
{
	struct sockaddr_storage ss;
	socklen_t n = sizeof ss;
	char host[INET6_ADDRSTRLEN] = "?";

	getsockname(sock, (struct sockaddr *)&ss, &n);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
		fprintf(stderr, "holdsock: listening on [%s]:%u\n", host, ntohs(v6->sin6_port));
	} else {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
		fprintf(stderr, "holdsock: listening on %s:%u\n", host, ntohs(v4->sin_port));
	}
}

/* Run the server with the socket on fd 3, as sd_listen_fds(3) expects it. */
static pid_t spawn(void)
{
	sigset_t none;
	char pid[32];
	pid_t parent = getpid(), p = fork();

	if (p != 0)
		return p;
	/* a test's clean-up kills holdsock: its servers must not outlive it */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(sock, 3) != 3)
		_exit(127);
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
	unsetenv("LISTEN_FDNAMES");
	execvp(server[0], server);
	fprintf(stderr, "holdsock: cannot run %s: %s\n", server[0], strerror(errno));
	_exit(127);
}

static int status_of(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* Wait for pid to exit; its exit status as status_of() gives it. */
static int reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status_of(st);
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1:0";
	double overlap = 200, t;
	pid_t cur, old;
	int i, sig, st;

	for (i = 1; i < argc && argv[i][0] == '-'; i += 2) {
		if (i + 1 >= argc)
			return usage("an option needs a value");
		if (strcmp(argv[i], "--listen") == 0)
			addr = argv[i + 1];
		else if (strcmp(argv[i], "--overlap-ms") == 0)
			overlap = atof(argv[i + 1]);
		else
			return usage("unknown option");
	}
	if (i >= argc)
		return usage("no SERVER to run");
	server = argv + i;
	if ((sock = listen_on(addr)) < 0) {
		fprintf(stderr, "holdsock: cannot listen on %s: %s\n", addr, strerror(errno));
		return 2;
	}
	say_address();
	sigemptyset(&handled);
	sigaddset(&handled, SIGUSR1);
	sigaddset(&handled, SIGUSR2);
	sigaddset(&handled, SIGHUP);
	sigaddset(&handled, SIGTERM);
	sigaddset(&handled, SIGINT);
	sigaddset(&handled, SIGCHLD);
	sigprocmask(SIG_BLOCK, &handled, NULL);
	if ((cur = spawn()) < 0)
		return 2;
	for (;;) {
		if ((sig = sigwaitinfo(&handled, NULL)) < 0)
			continue;
		if (sig == SIGCHLD) {
			/* the current server exited on its own: the service is over */
			while ((old = waitpid(-1, &st, WNOHANG)) > 0)
				if (old == cur)
					return status_of(st);
		} else if (sig == SIGHUP) {
			kill(cur, SIGHUP);
		} else if (sig == SIGTERM || sig == SIGINT) {
			kill(cur, SIGTERM);
			return reap(cur);
		} else if (sig == SIGUSR2) {
			t = now_ms();
			old = cur;
			kill(old, SIGTERM);
			st = reap(old);
			t = now_ms() - t;
			cur = spawn();
			fprintf(stderr, "holdsock: restart: pid %ld exited %d after %.0f ms, "
				"pid %ld started\n", (long)old, st, t, (long)cur);
		} else if (sig == SIGUSR1) {
			const struct timespec wait = { (time_t)(overlap / 1000),
						       (long)(overlap * 1e6) % 1000000000L };
			pid_t fresh = spawn();
			nanosleep(&wait, NULL);
			if (waitpid(fresh, &st, WNOHANG) == fresh) {
				fprintf(stderr, "holdsock: overlap: new pid %ld exited %d; pid %ld "
					"stays\n", (long)fresh, status_of(st), (long)cur);
				continue;
			}
			old = cur;
			cur = fresh;
			t = now_ms();
			kill(old, SIGTERM);
			st = reap(old);
			fprintf(stderr, "holdsock: overlap: pid %ld started, pid %ld stopped "
				"%.0f ms later (exited %d after %.0f ms)\n", (long)cur, (long)old,
				overlap, st, now_ms() - t);
		}
	}
}
