/*
 * wcspc.c -- the compiler's command line: policy -> checks -> tables -> C -> server binary.
 *
 * Exit codes: 0 success, 1 the policy has errors, 2 usage, 3 tests failed,
 * 4 the C toolchain failed.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "emit.h"
#include "fmt.h"
#include "frontend.h"
#include "lower.h"
#include "ptest.h"
#include "wiring.h"

#ifndef WCSP_RT_DIR
#define WCSP_RT_DIR "/usr/local/lib/wcsp"
#endif
#ifndef WCSP_RT_INC
#define WCSP_RT_INC "/usr/local/include/wcsp"
#endif
#ifndef WCSP_LDLIBS
#define WCSP_LDLIBS "-lmicrohttpd -lhogweed -lnettle -lgmp"
#endif
#ifndef WCSP_CC
#define WCSP_CC "cc"
#endif

enum { EXIT_OK, EXIT_POLICY, EXIT_USAGE, EXIT_TESTS, EXIT_TOOLCHAIN };
#define EXIT_IO EXIT_USAGE     /* an output that cannot be written */

static const char usage[] =
	"usage: wcspc build  POLICY.wcsp [-o BINARY] [--static [--target ARCH]] [--cc CC]\n"
	"       wcspc emit   POLICY.wcsp [-o FILE.c]\n"
	"       wcspc check  POLICY.wcsp [-q]\n"
	"       wcspc config POLICY.wcsp [--app KEY]\n"
	"       wcspc wiring POLICY.wcsp --url URL [--app KEY]\n"
	"       wcspc wiring POLICY.wcsp --check FILE [--app KEY]\n"
	"       wcspc fmt    POLICY.wcsp [-w | --check]\n"
	"       wcspc test   POLICY.wcsp [TESTFILE ...] [--coverage] [--threshold PCT]\n"
	"                    [--data-dir DIR]\n"
	"       wcspc --version | --help\n"
	"\n"
	"  build   policy -> server binary       emit    policy -> C tables only\n"
	"  check   diagnostics only              config  the derived restClientConfig\n"
	"  wiring  the WCS command lines for it, or (--check) how WCS's differ\n"
	"  fmt     canonical formatting          test    run the policy's test cases\n"
	"\n"
	"options for every command: -Werror (warnings are errors), -q (errors only),\n"
	"  --max-input BYTES (largest policy, include or set file read; default 64 MiB)\n";

static int usage_error(const char *fmt, const char *arg)
{
	fputs("wcspc: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n(wcspc --help for usage)\n", stderr);
	return EXIT_USAGE;
}

typedef struct opts {
	const char *cmd, *policy, *out, *app, *cc, *data_dir;
	const char *target;             /* build --static --target: x86_64 or aarch64 */
	const char *url, *check_file;   /* wiring */
	const char *after_check;        /* the argument after --check (wiring's FILE) */
	int is_static, write, check, coverage;
	double threshold;           /* -1: none */
	char **testfiles;
	int ntestfiles;
} opts;

/* Parse (the policy, then any test files), check and lower. Returns EXIT_OK with *l
 * filled, or EXIT_POLICY. *lowered_ok says whether *l needs lower_free. */
static int compile(const opts *o, wpolicy *pol, lowered *l, int *lowered_ok)
{
	*lowered_ok = 0;
	if (frontend_parse(pol, o->policy) < 0) {
		diag_summary();
		return EXIT_POLICY;
	}
	for (int i = 0; i < o->ntestfiles; i++) {
		int blocks = pol->blocks.n, sets = pol->sets.n,
		    other = pol->accept.n + pol->require_sig;
		if (frontend_parse(pol, o->testfiles[i]) < 0)
			continue;
		if (pol->blocks.n != blocks || pol->sets.n != sets ||
		    pol->accept.n + pol->require_sig != other)
			diag_plain(DIAG_ERROR, "%s: a test file holds only test blocks",
				   o->testfiles[i]);
	}
	check_policy(pol);
	int tests = !strcmp(o->cmd, "test");
	if (!diag_nerrors && lower_policy(pol, o->policy, l, tests) == 0 && !diag_nerrors)
		*lowered_ok = 1;
	else if (l->pol.abi)
		*lowered_ok = 2;        /* lowered, but with errors: free it */
	diag_summary();
	return *lowered_ok == 1 ? EXIT_OK : EXIT_POLICY;
}

/* While `build` runs: its temporary C file, removed if a signal ends wcspc, and the C
 * compiler's process group (the compiler's own children too), which gets the same signal. */
static char build_tmp[4096];
static volatile pid_t build_child;

static void on_signal(int sig)
{
	if (build_child > 0)
		kill(-build_child, sig);
	if (build_tmp[0])
		unlink(build_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		sigaction(sigs[i], &sa, NULL);
}

static int run(char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	setpgid(pid, pid);      /* both sides: whichever runs first */
	build_child = pid;
	if (pid == 0) {
		setpgid(0, 0);
		execvp(argv[0], argv);
		fprintf(stderr, "wcspc: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			build_child = 0;
			return -1;
		}
	build_child = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

/* A --target name as the static runtime's folder names it, or NULL when there is none. */
static const char *static_arch(const char *name)
{
	if (!strcmp(name, "x86_64") || !strcmp(name, "amd64"))
		return "x86_64";
	if (!strcmp(name, "aarch64") || !strcmp(name, "arm64"))
		return "aarch64";
	return NULL;
}

#if defined(__x86_64__)
#define HOST_ARCH "x86_64"
#elif defined(__aarch64__)
#define HOST_ARCH "aarch64"
#else
#define HOST_ARCH NULL
#endif

/*
 * The command line of `build --static [--target ARCH]`, from the static runtime RT/static/ARCH/
 * that `make static-runtime` builds (and `make install` copies):
 *   toolchain                 line 1: the compiler (words), line 2: its flags (words)
 *   wcsp_main.o               runtime/main.c
 *   libwcsprt.a, libmicrohttpd.a, libhogweed.a, libnettle.a
 * --cc replaces line 1. The archives lend only what the tables reach: a policy without
 * tokens links no public-key code. Fills argv from argv[0], sets *n; 0, or -1 (reported).
 */
static int static_argv(const opts *o, const char *rt, char *inc, char *out, char *tmp,
		       char **argv, int *n, int cap)
{
	static char dir[4200], words[2][1024], paths[6][4300];
	static const char *const files[] = { "wcsp_main.o", "libwcsprt.a", "libmicrohttpd.a",
		"libhogweed.a", "libnettle.a" };
	const char *arch = o->target ? static_arch(o->target) : HOST_ARCH;
	FILE *f;

	if (!arch) {
		fprintf(stderr, "wcspc: --static here needs --target x86_64 or aarch64\n");
		return -1;
	}
	snprintf(dir, sizeof dir, "%s/static/%s", rt, arch);
	snprintf(paths[5], sizeof paths[5], "%s/toolchain", dir);
	f = fopen(paths[5], "r");
	if (!f || !fgets(words[0], sizeof words[0], f) || !fgets(words[1], sizeof words[1], f)) {
		fprintf(stderr, "wcspc: --static%s%s needs the static runtime in %s/: run "
			"`make static-runtime` (or install the wcspc package)\n",
			o->target ? " --target " : "", o->target ? arch : "", dir);
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(paths[i], sizeof paths[i], "%s/%s", dir, files[i]);
		if (access(paths[i], R_OK)) {
			fprintf(stderr, "wcspc: the static runtime in %s/ has no %s: run `make "
				"static-runtime` again\n", dir, files[i]);
			return -1;
		}
	}
	char *const fixed[] = { "-std=c11", "-Wall", "-Wextra", "-Werror", "-s", inc, "-o", out,
		tmp };
	*n = 0;
	for (int w = 0; w < 2; w++) {
		if (w == 0 && o->cc) {
			argv[(*n)++] = (char *)o->cc;
			continue;
		}
		for (char *t = strtok(words[w], " \t\n"); t && *n < cap - 24;
		     t = strtok(NULL, " \t\n"))
			argv[(*n)++] = t;
	}
	if (*n == 0) {
		fprintf(stderr, "wcspc: %s/toolchain names no compiler\n", dir);
		return -1;
	}
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		argv[(*n)++] = fixed[i];
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		argv[(*n)++] = paths[i];
	return 0;
}

static int build(const opts *o, const lowered *l)
{
	char tmp[sizeof build_tmp];
	snprintf(tmp, sizeof tmp, "%s/wcspc-XXXXXX.c", env_or("TMPDIR", "/tmp"));
	catch_signals();
	sigset_t block, old;
	sigfillset(&block);
	sigprocmask(SIG_BLOCK, &block,
		    &old); /* the name is known to the handler before it exists */
	int fd = mkstemps(tmp, 2);
	if (fd >= 0)
		memcpy(build_tmp, tmp, sizeof tmp);
	sigprocmask(SIG_SETMASK, &old, NULL);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		fprintf(stderr, "wcspc: cannot create a temporary file: %s\n", strerror(errno));
		return EXIT_TOOLCHAIN;
	}
	emit_c(l, f);
	if (fclose(f)) {
		fprintf(stderr, "wcspc: cannot write %s: %s\n", tmp, strerror(errno));
		unlink(tmp);
		build_tmp[0] = 0;
		return EXIT_TOOLCHAIN;
	}

	char out[4096];
	if (o->out)
		snprintf(out, sizeof out, "%s", o->out);
	else {
		const char *base =
			strrchr(o->policy, '/') ? strrchr(o->policy, '/') + 1 : o->policy;
		size_t n = strlen(base);
		if (n > 5 && !strcmp(base + n - 5, ".wcsp"))
			n -= 5;
		snprintf(out, sizeof out, "%.*s", (int)n, base);
	}
	const char *rt = env_or("WCSP_RUNTIME_DIR", WCSP_RT_DIR);
	char inc[4200], mainobj[4200], lib[4200];
	snprintf(inc, sizeof inc, "-I%s", env_or("WCSP_INCLUDE_DIR", WCSP_RT_INC));
	snprintf(mainobj, sizeof mainobj, "%s/wcsp_main.o", rt);
	snprintf(lib, sizeof lib, "%s/libwcsprt.a", rt);

	char *argv[64];
	int n = 0;
	char ldlibs[] = WCSP_LDLIBS;
	if (o->is_static) {
		if (static_argv(o, rt, inc, out, tmp, argv, &n, sizeof argv / sizeof *argv) != 0) {
			unlink(tmp);
			build_tmp[0] = 0;
			return EXIT_TOOLCHAIN;
		}
	} else {
		argv[n++] = (char *)(o->cc ? o->cc : env_or("CC", WCSP_CC));
		char *fixed[] = { "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-s", inc, "-o",
			out, tmp, mainobj, lib };
		for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
			argv[n++] = fixed[i];
		/* a policy without tokens needs no hogweed nor gmp: not even as NEEDED */
		argv[n++] = "-Wl,--as-needed";
		for (char *t = strtok(ldlibs, " "); t && n < 56; t = strtok(NULL, " "))
			argv[n++] = t;
	}
	argv[n++] = "-lpthread";
	argv[n++] = "-lm";
	argv[n] = NULL;
	int rc = run(argv);
	unlink(tmp);
	build_tmp[0] = 0;
	if (rc != 0) {
		fprintf(stderr, "wcspc: the C toolchain failed (%s exited %d)\n", argv[0], rc);
		return EXIT_TOOLCHAIN;
	}
	struct stat st;
	if (stat(out, &st) == 0)
		fprintf(stderr, "wcspc: built %s (%lld bytes, stripped%s%s)\n", out,
			(long long)st.st_size, o->is_static ? ", static " : "",
			o->is_static ? (o->target ? static_arch(o->target) : HOST_ARCH) : "");
	return EXIT_OK;
}

/* Write text to path through a temporary file in the same directory and a rename, keeping
 * path's permissions: path is either untouched or wholly replaced. 0, or -1 (reported). */
static int replace_file(const char *path, const char *text, size_t len)
{
	char tmp[4096];
	struct stat st;
	const char *slash = strrchr(path, '/');
	int dn = slash ? (int)(slash - path + 1) : 0;
	if (snprintf(tmp, sizeof tmp, "%.*s.%s.XXXXXX", dn, path, slash ? slash + 1 : path) >=
		    (int)sizeof tmp ||
	    stat(path, &st)) {
		fprintf(stderr, "wcspc: cannot write %s: %s\n", path,
			strerror(errno ? errno : ENAMETOOLONG));
		return -1;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "wcspc: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	int ok = done == len && fchmod(fd, st.st_mode & 07777) == 0 && fsync(fd) == 0;
	ok = close(fd) == 0 && ok && rename(tmp, path) == 0;
	if (!ok) {
		fprintf(stderr, "wcspc: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * wcspc fmt: the file's own text is laid out; what it includes and its set files are not
 * read. Nothing is printed or written unless the text parses, the layout lexes to the same
 * tokens (comments included) byte for byte, and the laid-out text parses again.
 */
static int format(const opts *o)
{
	wpolicy pol = { 0 }, again = { 0 };
	char *text = NULL;
	int rc = EXIT_POLICY;
	if (frontend_parse_alone(&pol, o->policy, NULL, 0) < 0 || diag_nerrors)
		goto out;
	const wsrc *src = src_get(0);
	text = fmt_source(src->text, src->len, 0);
	if (!text || diag_nerrors)
		goto out;
	size_t n = strlen(text);
	if (!fmt_same_tokens(src->text, src->len, text, n, 0) ||
	    (frontend_parse_alone(&again, o->policy, text, n), diag_nerrors)) {
		diag_summary();
		fprintf(stderr,
			"wcspc: fmt would change more than white space in %s: nothing written "
			"(a bug in wcspc fmt)\n",
			o->policy);
		goto out;
	}
	rc = EXIT_OK;
	int same = n == src->len && !memcmp(text, src->text, n);
	if (o->check) {
		if (!same) {
			fprintf(stderr, "%s: not formatted (wcspc fmt -w %s)\n", o->policy,
				o->policy);
			rc = EXIT_POLICY;
		}
	} else if (o->write) {
		if (!same && replace_file(o->policy, text, n))
			rc = EXIT_IO;
	} else if (fwrite(text, 1, n, stdout) != n || fflush(stdout)) {
		fprintf(stderr, "wcspc: cannot write the formatted policy: %s\n", strerror(errno));
		rc = EXIT_IO;
	}
out:
	diag_summary();
	free(text);
	ast_free_policy(&pol);
	ast_free_policy(&again);
	src_free_all();
	return rc;
}

static int covered_methods(const wpolicy *p)
{
	int n = 0;
	for (int m = 0; m < sema_nmethods(p); m++)
		for (int i = 0; i < p->blocks.n; i++)
			if (sema_covers(p, p->blocks.v[i], m)) {
				n++;
				break;
			}
	return n;
}

enum { O_STATIC = 256, O_CC, O_APP, O_CHECK, O_COVERAGE, O_THRESHOLD, O_MAX_INPUT, O_VERSION,
	O_WERROR, O_DATA_DIR };
enum { O_URL = 512, O_TARGET };  /* wiring, build --target */

/* The command line into o; -1 when wcspc is done (help, version), else EXIT_OK or the usage
 * error's status. Options may stand anywhere; `-Werror` is getopt's `-W error`. */
static int parse_args(int argc, char **argv, opts *o)
{
	static const struct option longs[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ "static", no_argument, NULL, O_STATIC },
		{ "cc", required_argument, NULL, O_CC },
		{ "app", required_argument, NULL, O_APP },
		{ "check", no_argument, NULL, O_CHECK },
		{ "coverage", no_argument, NULL, O_COVERAGE },
		{ "threshold", required_argument, NULL, O_THRESHOLD },
		{ "max-input", required_argument, NULL, O_MAX_INPUT },
		{ "data-dir", required_argument, NULL, O_DATA_DIR },
		{ "url", required_argument, NULL, O_URL },
		{ "target", required_argument, NULL, O_TARGET },
		{ "error", no_argument, NULL, O_WERROR },       /* -Werror */
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hqwo:W;", longs, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return -1;
		case O_VERSION:
			printf("wcspc %s (table ABI %u)\n", WCSPC_VERSION, WCSP_ABI_VERSION);
			return -1;
		case O_WERROR: diag_werror = 1; break;
		case 'q': diag_quiet = 1; break;
		case 'w': o->write = 1; break;
		case 'o': o->out = optarg; break;
		case O_STATIC: o->is_static = 1; break;
		case O_CC: o->cc = optarg; break;
		case O_APP: o->app = optarg; break;
		case O_CHECK:
			o->check = 1;
			/* wiring's --check FILE: the word after it, wherever getopt moves it */
			if (optind < argc && (argv[optind][0] != '-' || !argv[optind][1]))
				o->after_check = argv[optind];
			break;
		case O_URL: o->url = optarg; break;
		case O_TARGET: o->target = optarg; break;
		case O_COVERAGE: o->coverage = 1; break;
		case O_DATA_DIR: o->data_dir = optarg; break;
		case O_THRESHOLD:
			o->threshold = strtod(optarg, &end);
			if (*end || end == optarg || o->threshold < 0 || o->threshold > 100)
				return usage_error("--threshold takes a percentage, not '%s'",
						   optarg);
			break;
		case O_MAX_INPUT: {
			unsigned long long v = strtoull(optarg, &end, 10);
			if (*end || end == optarg || optarg[0] == '-' || v == 0 || v > INT_MAX - 2)
				return usage_error("--max-input takes a number of bytes, not '%s'",
						   optarg);
			frontend_max_input = (size_t)v;
			break;
		}
		case ':':
			return usage_error("%s needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	for (int i = optind; i < argc; i++) {
		if (!o->cmd)
			o->cmd = argv[i];
		else if (argv[i] == o->after_check && !strcmp(o->cmd, "wiring"))
			o->check_file = argv[i];
		else if (!o->policy)
			o->policy = argv[i];
		else if (!strcmp(o->cmd, "test")) {
			o->testfiles = xrealloc(o->testfiles,
						(size_t)(o->ntestfiles + 1) * sizeof *o->testfiles);
			o->testfiles[o->ntestfiles++] = argv[i];
		} else
			return usage_error("unexpected argument '%s'", argv[i]);
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	opts o = { .threshold = -1 };
	int parsed = parse_args(argc, argv, &o);
	if (parsed != EXIT_OK) {
		free(o.testfiles);
		return parsed < 0 ? EXIT_OK : parsed;
	}
	if (!o.cmd)
		return usage_error("%s", "no command given");
	static const char *const cmds[] = { "build", "emit", "check", "config", "fmt", "test",
		"wiring" };
	int known = 0;
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		known |= !strcmp(o.cmd, cmds[i]);
	if (!known)
		return usage_error("unknown command '%s'", o.cmd);
	if (!o.policy)
		return usage_error("%s needs a policy file", o.cmd);
	if (o.out && strcmp(o.cmd, "build") && strcmp(o.cmd, "emit"))
		return usage_error("-o goes with build and emit, not %s", o.cmd);
	if (o.app && strcmp(o.cmd, "config") && strcmp(o.cmd, "wiring"))
		return usage_error("--app goes with config and wiring, not %s", o.cmd);

	if ((o.write || o.check) && strcmp(o.cmd, "fmt") && strcmp(o.cmd, "wiring"))
		return usage_error("-w and --check go with fmt, not %s", o.cmd);
	if (o.target && (!o.is_static || strcmp(o.cmd, "build")))
		return usage_error("%s", "--target goes with build --static");
	if (o.target && !static_arch(o.target))
		return usage_error("--target takes x86_64 (amd64) or aarch64 (arm64), not '%s'",
				   o.target);
	if (o.url && strcmp(o.cmd, "wiring"))
		return usage_error("--url goes with wiring, not %s", o.cmd);
	if (!strcmp(o.cmd, "wiring")) {
		if (o.write)
			return usage_error("%s", "-w goes with fmt, not wiring");
		if (o.check && !o.check_file)
			return usage_error("%s", "wiring --check needs a FILE: what WCS "
					   "printed for show app-rest-methods");
		if (o.check == (o.url != NULL))
			return usage_error("%s", o.url ? "wiring takes --url or --check, "
						       "not both" : "wiring needs --url URL (or "
						       "--check FILE)");
		if (o.url && !wiring_url_ok(o.url))
			return usage_error("--url takes an http:// or https:// URL without blanks, "
					   "quotes, '\\', '?' or '#', not '%s'", o.url);
		if (o.app && !wiring_key_ok(o.app, strlen(o.app)))
			return usage_error("--app takes a key the WCS command line can take as one "
					   "word (no blank, quote, '\\' or control character), not "
					   "'%s'", o.app);
	}
	if ((o.coverage || o.threshold >= 0) && strcmp(o.cmd, "test"))
		return usage_error("--coverage and --threshold go with test, not %s", o.cmd);
	if (o.data_dir && strcmp(o.cmd, "test"))
		return usage_error("--data-dir goes with test, not %s", o.cmd);
	if (o.write && o.check)
		return usage_error("%s", "fmt takes -w or --check, not both");
	if (!strcmp(o.cmd, "fmt"))
		return format(&o);

	wpolicy pol = { 0 };
	lowered l = { 0 };
	int ok;
	int rc = compile(&o, &pol, &l, &ok);
	if (rc == EXIT_OK) {
		if (!strcmp(o.cmd, "test")) {
			rc = ptest_run(&pol, &l, o.data_dir, o.coverage, o.threshold);
		} else if (!strcmp(o.cmd, "check")) {
			int nm = covered_methods(&pol), ns = pol.sets.n;
			unsigned nr = l.pol.nrules + l.pol.noverrides;
			if (!diag_quiet)
				printf("%s: OK (%d method%s, %u rule%s, %d set%s)\n", o.policy, nm,
				       nm == 1 ? "" : "s", nr, nr == 1 ? "" : "s", ns,
				       ns == 1 ? "" : "s");
		} else if (!strcmp(o.cmd, "config")) {
			wcsp_str rcc = lower_rcc(&l, o.app);
			printf("%s\n", rcc.n ? rcc.s : "{}");
		} else if (!strcmp(o.cmd, "emit")) {
			FILE *f = o.out ? fopen(o.out, "w") : stdout;
			if (!f) {
				fprintf(stderr, "wcspc: cannot write %s: %s\n", o.out,
					strerror(errno));
				rc = EXIT_USAGE;
			} else {
				emit_c(&l, f);
				if ((f != stdout ? fclose(f) : fflush(f)) != 0) {
					fprintf(stderr, "wcspc: cannot write %s: %s\n",
						o.out ? o.out : "stdout", strerror(errno));
					rc = EXIT_USAGE;
				}
			}
		} else if (!strcmp(o.cmd, "wiring")) {
			rc = o.check ? wiring_check(&pol, &l, o.check_file, o.app, stdout)
				     : wiring_print(&pol, &l, o.url, o.app, stdout);
		} else {
			rc = build(&o, &l);
		}
	}
	if (ok)
		lower_free(&l);
	free(o.testfiles);
	ast_free_policy(&pol);
	src_free_all();
	return rc;
}
