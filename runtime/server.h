/*
 * server.h -- the HTTP front of the generated server: libmicrohttpd in, wcsp_decide() out.
 *
 * srv_run() owns the process from start to exit: it loads the policy's keys and live sets,
 * takes the listening socket a service manager handed over (LISTEN_FDS, sd_listen_fds(3)) or
 * binds --listen, blocks SIGTERM, SIGINT and SIGHUP in every thread, reloads keys and live sets
 * on each SIGHUP, serves until a stop signal arrives, then stops accepting, drains in-flight
 * requests (up to SRV_DRAIN_MS) and frees everything it made. Routes: GET/HEAD /healthz,
 * GET/HEAD /metrics, and POST on any other path whose last segment names the hook method.
 * Callers outside the policy's `accept from` get 403 on every route, /healthz and /metrics
 * included.
 */
#ifndef WCSP_SERVER_H
#define WCSP_SERVER_H

#include <stddef.h>
#include <sys/socket.h>
#include "wcsp_abi.h"

#define SRV_LISTEN "127.0.0.1:9277"   /* loopback; 9277 is "wcsp" on a phone keypad */
#define SRV_THREADS 1                 /* one epoll thread beat a pool of 2 on 2 cores */
#define SRV_MAX_BODY 1048576          /* bytes */
#define SRV_MAX_BODY_LIMIT (1024u * 1048576u)
#define SRV_TIMEOUT 10                /* seconds an idle connection is kept */
/* seconds a request may take to arrive whole, from the connection's start or the previous
 * reply's end plus the idle timeout */
#define SRV_REQUEST_TIMEOUT 10
#define SRV_MAX_CONNS 1024            /* WCS keeps a pool of keep-alive connections: dozens */
/* WCS calls from one address; a runaway client cannot take every slot */
#define SRV_MAX_CONNS_PER_IP 256
#define SRV_MAX_CONNS_LIMIT 65536
/* connections from outside `accept from` held at once (each answered 403); more are closed
 * unread */
#define SRV_OUTSIDER_CONNS 8
/* headers + read buffer; MHD clears what a request used of it, so bigger costs throughput
 * (bench/callgrind.md: 8 KiB against 32 KiB saves about a fifth of a request's instructions;
 * WCS's headers take a few hundred bytes) */
#define SRV_CONN_MEMORY 8192
#define SRV_CONN_MEMORY_MIN 8192
#define SRV_CONN_MEMORY_MAX (1024 * 1024)
#define SRV_DRAIN_MS 5000             /* how long shutdown waits for in-flight requests */
/* --reuse-port, on a stop signal: how long new connections are steered to the other sockets
 * of the port while this one's accept queue empties */
#define SRV_HANDOFF_MS 1000
#define SRV_HANDOFF_SETTLE_MS 50      /* handshakes begun before the steering complete */
#define SRV_HANDOFF_ENV "WCSP_REUSE_PORT_STEER" /* "0": close at once, steer nothing */

typedef struct srv_opts {
	const char *listen;       /* "A.B.C.D:PORT" or "[IPv6]:PORT"; port 0: any free port */
	unsigned threads;         /* > 1: a pool of that many polling threads */
	size_t max_body;          /* 1 .. SRV_MAX_BODY_LIMIT */
	unsigned timeout;         /* seconds, > 0: idle connections are closed */
	unsigned request_timeout; /* seconds, > 0: a request not whole by then is dropped */
	unsigned max_conns;       /* > 0 */
	unsigned max_conns_per_ip;/* 0: no limit */
	size_t conn_memory;       /* bytes per connection for headers and reads */
	const char *secret;       /* the HMAC key when the policy requires signatures */
	size_t secret_len;
	const char *data_dir;     /* relative key and live set files: against it (NULL: cwd) */
	unsigned token_cache;     /* verified tokens each polling thread keeps; 0: none */
	int reuse_port;           /* bind with SO_REUSEPORT; ignored for a socket handed over */
} srv_opts;

/* Parse a --listen value into *ss; 0, or -1 when it is not ADDR:PORT as above. */
int srv_parse_listen(const char *s, struct sockaddr_storage *ss);

/* Serve policy p until SIGTERM or SIGINT. Returns the exit status: 0 after a clean drain,
 * 2 when a key or live set file cannot be read, the address cannot be bound, the socket
 * handed over is not one listening TCP socket or the daemon does not start, 1 when out of
 * memory. */
int srv_run(const wcsp_policy *p, const srv_opts *o);

#endif
