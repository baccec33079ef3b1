/*
 * main.c -- the generated server's command line: serve, --eval one decision, --version, --help.
 *
 * Links with the tables wcspc generated (wcsp_compiled_policy) and the runtime archive.
 * Exit status: 0 done, 1 out of memory or unreadable input, 2 usage or cannot listen.
 * Every usage error is one line on stderr naming the problem and pointing at --help.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "transport.h"

#define VERSION "0.1.0"
#define MAX_THREADS 256
#define MAX_TIMEOUT 86400
#define READ_CHUNK 65536
#define MAX_TOKEN_CACHE 1048576

enum { O_LISTEN = 256, O_THREADS, O_MAX_BODY, O_TIMEOUT, O_REQUEST_TIMEOUT, O_MAX_CONNS,
	O_MAX_CONNS_PER_IP, O_CONN_MEMORY, O_LOG_LEVEL, O_LOG_FORMAT, O_SECRET_FILE, O_DATA_DIR,
	O_TOKEN_CACHE, O_REUSE_PORT, O_EVAL, O_APP, O_VERSION, O_HELP };

static const struct option options[] = {
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "max-body", required_argument, NULL, O_MAX_BODY },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "request-timeout", required_argument, NULL, O_REQUEST_TIMEOUT },
	{ "max-conns", required_argument, NULL, O_MAX_CONNS },
	{ "max-conns-per-ip", required_argument, NULL, O_MAX_CONNS_PER_IP },
	{ "conn-memory", required_argument, NULL, O_CONN_MEMORY },
	{ "log-level", required_argument, NULL, O_LOG_LEVEL },
	{ "log-format", required_argument, NULL, O_LOG_FORMAT },
	{ "secret-file", required_argument, NULL, O_SECRET_FILE },
	{ "data-dir", required_argument, NULL, O_DATA_DIR },
	{ "token-cache", required_argument, NULL, O_TOKEN_CACHE },
	{ "reuse-port", no_argument, NULL, O_REUSE_PORT },
	{ "eval", required_argument, NULL, O_EVAL },
	{ "app", required_argument, NULL, O_APP },
	{ "version", no_argument, NULL, O_VERSION },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 }
};

static const char *prog = "wcsp";

static void usage(void)
{
	printf("usage: %s [--listen ADDR:PORT] [--threads N] [--max-body BYTES]\n"
	    "          [--timeout SECONDS] [--request-timeout SECONDS] [--max-conns N]\n"
	    "          [--max-conns-per-ip N] [--conn-memory BYTES]\n"
	    "          [--log-level error|warn|info|debug]\n"
	    "          [--log-format text|json] [--secret-file PATH]\n"
	    "          [--data-dir DIR] [--token-cache N] [--reuse-port]\n"
	    "       %s --eval METHOD [--app KEY] [--data-dir DIR] < body.json\n"
	    "       %s --version | --help\n"
	    "\n"
	    "Answers Flashphoner WCS REST hooks (POST /any/prefix/METHOD) for policy %s.\n"
	    "\n"
	    "  --listen ADDR:PORT   address to bind, A.B.C.D:PORT or [IPv6]:PORT; port 0 picks\n"
	    "                       a free one (default %s)\n"
	    "  --threads N          polling threads, 1..%d (default %d)\n"
	    "  --max-body BYTES     largest request body; larger gets 413 (default %d)\n"
	    "  --timeout SECONDS    idle connection timeout, 1..%d (default %d)\n"
	    "  --request-timeout SECONDS\n"
	    "                       longest a request may take to arrive whole (default %d)\n"
	    "  --max-conns N        connections served at once (default %d)\n"
	    "  --max-conns-per-ip N connections from one address, 0: no limit (default %d)\n"
	    "  --conn-memory BYTES  per connection, for headers and reads; bigger headers\n"
	    "                       get 431 (default %d)\n"
	    "  --log-level LEVEL    error, warn, info or debug; below info no access log\n"
	    "                       (default info)\n"
	    "  --log-format FORMAT  text or json (default text)\n"
	    "  --secret-file PATH   WCS's rest_hook_secret_key, for `require signature`\n"
	    "                       (mode 600; or set WCSP_SECRET)\n"
	    "  --data-dir DIR       where the policy's key files and live sets are, when\n"
	    "                       their paths are relative (default: the current\n"
	    "                       directory); read at start and again on SIGHUP\n"
	    "  --token-cache N      verified tokens kept per thread, 0 (no cache) to %d\n"
	    "                       (default %d)\n"
	    "  --reuse-port         bind with SO_REUSEPORT, so that a new server can start on\n"
	    "                       the same address before this one is stopped\n"
	    "  --eval METHOD        decide one request read from stdin, print\n"
	    "                       `STATUS DECISION RULE` and the reply, no network\n"
	    "  --app KEY            with --eval: decide as appKey KEY\n"
	    "\n"
	    "GET /healthz answers 200, GET /metrics Prometheus text. SIGTERM drains and exits 0;\n"
	    "SIGHUP reloads key files and live sets (a file that fails keeps the old data).\n"
	    "With LISTEN_PID and LISTEN_FDS=1 (systemd socket activation) it serves the\n"
	    "listening socket on fd 3 and ignores --listen and --reuse-port.\n",
	    prog, prog, prog, wcsp_compiled_policy.name, SRV_LISTEN, MAX_THREADS, SRV_THREADS,
	    SRV_MAX_BODY, MAX_TIMEOUT, SRV_TIMEOUT, SRV_REQUEST_TIMEOUT, SRV_MAX_CONNS,
	    SRV_MAX_CONNS_PER_IP, SRV_CONN_MEMORY, MAX_TOKEN_CACHE, WCSP_TOKEN_CACHE);
}

static int __attribute__((format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("wcsp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see %s --help)\n", prog);
	return 2;
}

/* A decimal number in lo..hi, digits only. */
static int number(const char *s, unsigned long long lo, unsigned long long hi,
		  unsigned long long *v)
{
	unsigned long long x = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (unsigned long long)(s[i] - '0');
		if (x > hi)
			return -1;
	}
	if (i == 0 || x < lo)
		return -1;
	*v = x;
	return 0;
}

/* Read all of stdin into a malloc'd buffer. */
static char *slurp(size_t *len)
{
	size_t cap = READ_CHUNK, n = 0, k;
	char *buf = malloc(cap), *p;

	while (buf != NULL) {
		k = fread(buf + n, 1, cap - n, stdin);
		n += k;
		if (n < cap) {
			if (ferror(stdin))
				break;
			*len = n;
			return buf;
		}
		if ((p = realloc(buf, cap *= 2)) == NULL)
			break;
		buf = p;
	}
	free(buf);
	return NULL;
}

static int eval(const char *method, const char *app, const char *data_dir)
{
	char err[512];
	wcsp_world *w;
	wcsp_reply rep;
	wcsp_ctx ctx;
	size_t len;
	char *body;

	if ((w = world_load(&wcsp_compiled_policy, data_dir, err, sizeof err)) == NULL) {
		fprintf(stderr, "wcsp: %s\n", err);
		return 2;
	}
	if ((body = slurp(&len)) == NULL) {
		fputs("wcsp: cannot read the request body from stdin\n", stderr);
		world_free(w);
		return 1;
	}
	wcsp_ctx_init(&ctx);
	ctx.world = w;
	if (app != NULL) {
		ctx.force_app = app;
		ctx.force_app_len = strlen(app);
	}
	wcsp_decide(&wcsp_compiled_policy, &ctx, method, strlen(method), body, len, &rep);
	printf("%d %s %s\n", rep.status, wcsp_decision_names[rep.decision],
	    rep.rule != NULL ? rep.rule : "-");
	fwrite(rep.body, 1, rep.len, stdout);
	putchar('\n');
	wcsp_reply_free(&rep);
	wcsp_ctx_free(&ctx);
	world_free(w);
	free(body);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Load the signature key when the policy wants one (or a file is given), then serve. */
static int serve(srv_opts *o, const char *secret_file)
{
	const wcsp_policy *p = &wcsp_compiled_policy;
	char err[512], *key = NULL;
	size_t keylen = 0;
	int r = 1, status;

	if (p->require_signature || secret_file != NULL)
		r = tr_load_secret(secret_file, &key, &keylen, err, sizeof err);
	if (r < 0) {
		fprintf(stderr, "wcsp: %s\n", err);
		return 2;
	}
	if (r > 0 && p->require_signature) {
		fprintf(stderr, "wcsp: the policy requires signed hooks: give --secret-file PATH "
		    "or set %s to WCS's rest_hook_secret_key\n", TR_SECRET_ENV);
		return 2;
	}
	o->secret = key;
	o->secret_len = keylen;
	status = srv_run(p, o);
	free(key);
	return status;
}

int main(int argc, char **argv)
{
	srv_opts o = { SRV_LISTEN, SRV_THREADS, SRV_MAX_BODY, SRV_TIMEOUT, SRV_REQUEST_TIMEOUT,
	    SRV_MAX_CONNS, SRV_MAX_CONNS_PER_IP, SRV_CONN_MEMORY, NULL, 0, NULL, WCSP_TOKEN_CACHE,
	    0 };
	const char *method = NULL, *app = NULL, *secret_file = NULL;
	int c, level = LOGL_INFO, format = LOGF_TEXT;
	struct sockaddr_storage ss;
	unsigned long long v;

	if (argv[0] != NULL && argv[0][0] != '\0')
		prog = argv[0];
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		switch (c) {
		case O_LISTEN:
			if (srv_parse_listen(optarg, &ss) != 0)
				return bad_usage("--listen wants A.B.C.D:PORT or [IPv6]:PORT,"
				    " not '%s'", optarg);
			o.listen = optarg;
			break;
		case O_THREADS:
			if (number(optarg, 1, MAX_THREADS, &v) != 0)
				return bad_usage("--threads wants 1..%d, not '%s'",
				    MAX_THREADS, optarg);
			o.threads = (unsigned)v;
			break;
		case O_MAX_BODY:
			if (number(optarg, 1, SRV_MAX_BODY_LIMIT, &v) != 0)
				return bad_usage("--max-body wants 1..%u bytes, not '%s'",
				    SRV_MAX_BODY_LIMIT, optarg);
			o.max_body = (size_t)v;
			break;
		case O_TIMEOUT:
			if (number(optarg, 1, MAX_TIMEOUT, &v) != 0)
				return bad_usage("--timeout wants 1..%d seconds, not '%s'",
				    MAX_TIMEOUT, optarg);
			o.timeout = (unsigned)v;
			break;
		case O_REQUEST_TIMEOUT:
			if (number(optarg, 1, MAX_TIMEOUT, &v) != 0)
				return bad_usage("--request-timeout wants 1..%d seconds, not '%s'",
				    MAX_TIMEOUT, optarg);
			o.request_timeout = (unsigned)v;
			break;
		case O_MAX_CONNS:
			if (number(optarg, 1, SRV_MAX_CONNS_LIMIT, &v) != 0)
				return bad_usage("--max-conns wants 1..%d, not '%s'",
				    SRV_MAX_CONNS_LIMIT, optarg);
			o.max_conns = (unsigned)v;
			break;
		case O_MAX_CONNS_PER_IP:
			if (number(optarg, 0, SRV_MAX_CONNS_LIMIT, &v) != 0)
				return bad_usage("--max-conns-per-ip wants 0..%d, not '%s'",
				    SRV_MAX_CONNS_LIMIT, optarg);
			o.max_conns_per_ip = (unsigned)v;
			break;
		case O_CONN_MEMORY:
			if (number(optarg, SRV_CONN_MEMORY_MIN, SRV_CONN_MEMORY_MAX, &v) != 0)
				return bad_usage("--conn-memory wants %d..%d bytes, not '%s'",
				    SRV_CONN_MEMORY_MIN, SRV_CONN_MEMORY_MAX, optarg);
			o.conn_memory = (size_t)v;
			break;
		case O_LOG_LEVEL:
			if ((level = log_parse_level(optarg)) < 0)
				return bad_usage("--log-level wants error, warn, info or"
				    " debug, not '%s'", optarg);
			break;
		case O_LOG_FORMAT:
			if ((format = log_parse_format(optarg)) < 0)
				return bad_usage("--log-format wants text or json, not '%s'",
				    optarg);
			break;
		case O_SECRET_FILE:
			secret_file = optarg;
			break;
		case O_DATA_DIR:
			if (optarg[0] == '\0')
				return bad_usage("--data-dir wants a directory");
			o.data_dir = optarg;
			break;
		case O_TOKEN_CACHE:
			if (number(optarg, 0, MAX_TOKEN_CACHE, &v) != 0)
				return bad_usage("--token-cache wants 0..%d, not '%s'",
				    MAX_TOKEN_CACHE, optarg);
			o.token_cache = (unsigned)v;
			break;
		case O_REUSE_PORT:
			o.reuse_port = 1;
			break;
		case O_EVAL:
			method = optarg;
			break;
		case O_APP:
			app = optarg;
			break;
		case O_VERSION:
			printf("wcsp %s (policy %s, source %s, sha256 %s)\n", VERSION,
			    wcsp_compiled_policy.name, wcsp_compiled_policy.source,
			    wcsp_compiled_policy.hash);
			return 0;
		case O_HELP:
			usage();
			return 0;
		case ':':
			return bad_usage("%s needs a value", argv[optind - 1]);
		default:
			return bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument '%s'", argv[optind]);
	if (app != NULL && method == NULL)
		return bad_usage("--app needs --eval");
	if (wcsp_compiled_policy.abi != WCSP_ABI_VERSION) {
		fprintf(stderr, "wcsp: policy tables have ABI %u, this runtime %u: rebuild them\n",
		    wcsp_compiled_policy.abi, WCSP_ABI_VERSION);
		return 2;
	}
	if (method != NULL)
		return eval(method, app, o.data_dir);
	log_init(level, format);
	return serve(&o, secret_file);
}
