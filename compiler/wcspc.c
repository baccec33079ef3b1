/*
 * wcspc.c -- the compiler's command line: policy -> checks -> tables -> C -> server binary.
 *
 * Exit codes: 0 success, 1 the policy has errors, 2 usage, 3 tests failed,
 * 4 the C toolchain failed.
 */
#include <errno.h>
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

#ifndef WCSP_RT_DIR
#define WCSP_RT_DIR "/usr/local/lib/wcsp"
#endif
#ifndef WCSP_RT_INC
#define WCSP_RT_INC "/usr/local/include/wcsp"
#endif
#ifndef WCSP_LDLIBS
#define WCSP_LDLIBS "-lmicrohttpd -lnettle"
#endif
#ifndef WCSP_CC
#define WCSP_CC "cc"
#endif

enum { EXIT_OK, EXIT_POLICY, EXIT_USAGE, EXIT_TESTS, EXIT_TOOLCHAIN };

static const char usage[] =
	"usage: wcspc build POLICY.wcsp [-o BINARY] [--static] [--cc CC]   policy -> server binary\n"
	"       wcspc emit  POLICY.wcsp [-o FILE.c]                        policy -> C tables only\n"
	"       wcspc check POLICY.wcsp [-q]                               diagnostics only\n"
	"       wcspc config POLICY.wcsp [--app KEY]                       the derived restClientConfig\n"
	"       wcspc fmt   POLICY.wcsp [-w | --check]                     canonical formatting\n"
	"       wcspc test  POLICY.wcsp [TESTFILE ...] [--coverage] [--threshold PCT]\n"
	"                                                                  run policy test cases\n"
	"       wcspc --version | --help\n"
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
	const char *cmd, *policy, *out, *app, *cc;
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
		int blocks = pol->blocks.n, sets = pol->sets.n, other = pol->accept.n + pol->require_sig;
		if (frontend_parse(pol, o->testfiles[i]) < 0)
			continue;
		if (pol->blocks.n != blocks || pol->sets.n != sets || pol->accept.n + pol->require_sig != other)
			diag_plain(DIAG_ERROR, "%s: a test file holds only test blocks", o->testfiles[i]);
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

static int build(const opts *o, const lowered *l)
{
	char tmp[sizeof build_tmp];
	snprintf(tmp, sizeof tmp, "%s/wcspc-XXXXXX.c", env_or("TMPDIR", "/tmp"));
	catch_signals();
	sigset_t block, old;
	sigfillset(&block);
	sigprocmask(SIG_BLOCK, &block, &old);   /* the name is known to the handler before it exists */
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
		const char *base = strrchr(o->policy, '/') ? strrchr(o->policy, '/') + 1 : o->policy;
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
	char ldlibs[] = WCSP_LDLIBS, mhd_static[4200];
	argv[n++] = (char *)(o->cc ? o->cc : env_or("CC", WCSP_CC));
	char *fixed[] = { "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-s", inc, "-o", out,
		tmp, mainobj, lib };
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		argv[n++] = fixed[i];
	if (o->is_static) {
		/* a libmicrohttpd without HTTPS (make static-runtime), static nettle and libc */
		snprintf(mhd_static, sizeof mhd_static, "%s/mhd-static/lib/libmicrohttpd.a", rt);
		if (access(mhd_static, R_OK)) {
			fprintf(stderr, "wcspc: --static needs %s: run `make static-runtime` first\n", mhd_static);
			unlink(tmp);
			build_tmp[0] = 0;
			return EXIT_TOOLCHAIN;
		}
		char *st[] = { "-static", "-Wl,--gc-sections", mhd_static, "-lnettle" };
		for (size_t i = 0; i < sizeof st / sizeof *st; i++)
			argv[n++] = st[i];
	} else
		for (char *t = strtok(ldlibs, " "); t && n < 56; t = strtok(NULL, " "))
			argv[n++] = t;
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
		fprintf(stderr, "wcspc: built %s (%lld bytes, stripped%s)\n", out, (long long)st.st_size,
			o->is_static ? ", static" : "");
	return EXIT_OK;
}

/* wcspc fmt: the file must parse; its own text is laid out (includes are not followed). */
static int format(const opts *o)
{
	wpolicy pol = { 0 };
	int rc = EXIT_OK;
	if (frontend_parse(&pol, o->policy) < 0 || diag_nerrors) {
		diag_summary();
		rc = EXIT_POLICY;
		goto out;
	}
	diag_flush();           /* warnings of the parse, if any */
	const wsrc *src = src_get(0);
	char *text = fmt_source(src->text, src->len, 0);
	if (!text) {
		fprintf(stderr, "wcspc: cannot format %s\n", o->policy);
		rc = EXIT_POLICY;
		goto out;
	}
	int same = strlen(text) == src->len && !memcmp(text, src->text, src->len);
	if (o->check) {
		if (!same) {
			fprintf(stderr, "%s: not formatted (wcspc fmt -w %s)\n", o->policy, o->policy);
			rc = EXIT_POLICY;
		}
	} else if (o->write) {
		FILE *f = same ? NULL : fopen(o->policy, "w");
		if (!same && (!f || fputs(text, f) < 0 || fclose(f))) {
			fprintf(stderr, "wcspc: cannot write %s: %s\n", o->policy, strerror(errno));
			rc = EXIT_USAGE;
		}
	} else
		fputs(text, stdout);
	free(text);
out:
	ast_free_policy(&pol);
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

int main(int argc, char **argv)
{
	opts o = { .threshold = -1 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--version")) {
			printf("wcspc %s (table ABI %u)\n", WCSPC_VERSION, WCSP_ABI_VERSION);
			return EXIT_OK;
		} else if (!strcmp(a, "-Werror")) {
			diag_werror = 1;
		} else if (!strcmp(a, "-q")) {
			diag_quiet = 1;
		} else if (!strcmp(a, "--static")) {
			o.is_static = 1;
		} else if (!strcmp(a, "-w")) {
			o.write = 1;
		} else if (!strcmp(a, "--check")) {
			o.check = 1;
		} else if (!strcmp(a, "--coverage")) {
			o.coverage = 1;
		} else if (!strcmp(a, "--max-input")) {
			char *end;
			if (i + 1 == argc)
				return usage_error("%s needs a value", a);
			unsigned long long v = strtoull(argv[++i], &end, 10);
			if (*end || end == argv[i] || argv[i][0] == '-' || v == 0 || v > SIZE_MAX / 2)
				return usage_error("--max-input takes a number of bytes, not '%s'", argv[i]);
			frontend_max_input = (size_t)v;
		} else if (!strcmp(a, "--threshold")) {
			char *end;
			if (i + 1 == argc)
				return usage_error("%s needs a value", a);
			o.threshold = strtod(argv[++i], &end);
			if (*end || end == argv[i] || o.threshold < 0 || o.threshold > 100)
				return usage_error("--threshold takes a percentage, not '%s'", argv[i]);
		} else if (!strcmp(a, "-o") || !strcmp(a, "--app") || !strcmp(a, "--cc")) {
			if (i + 1 == argc)
				return usage_error("%s needs a value", a);
			const char **slot = a[1] == 'o' ? &o.out : a[2] == 'a' ? &o.app : &o.cc;
			*slot = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			return usage_error("unknown option '%s'", a);
		} else if (!o.cmd) {
			o.cmd = a;
		} else if (!o.policy) {
			o.policy = a;
		} else if (!strcmp(o.cmd, "test")) {
			o.testfiles = xrealloc(o.testfiles, (size_t)(o.ntestfiles + 1) * sizeof *o.testfiles);
			o.testfiles[o.ntestfiles++] = argv[i];
		} else {
			return usage_error("unexpected argument '%s'", a);
		}
	}
	if (!o.cmd)
		return usage_error("%s", "no command given");
	static const char *const cmds[] = { "build", "emit", "check", "config", "fmt", "test" };
	int known = 0;
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		known |= !strcmp(o.cmd, cmds[i]);
	if (!known)
		return usage_error("unknown command '%s'", o.cmd);
	if (!o.policy)
		return usage_error("%s needs a policy file", o.cmd);
	if (o.out && strcmp(o.cmd, "build") && strcmp(o.cmd, "emit"))
		return usage_error("-o goes with build and emit, not %s", o.cmd);
	if (o.app && strcmp(o.cmd, "config"))
		return usage_error("--app goes with config, not %s", o.cmd);

	if ((o.write || o.check) && strcmp(o.cmd, "fmt"))
		return usage_error("-w and --check go with fmt, not %s", o.cmd);
	if ((o.coverage || o.threshold >= 0) && strcmp(o.cmd, "test"))
		return usage_error("--coverage and --threshold go with test, not %s", o.cmd);
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
			rc = ptest_run(&pol, &l, o.coverage, o.threshold);
		} else if (!strcmp(o.cmd, "check")) {
			int nm = covered_methods(&pol), ns = pol.sets.n;
			unsigned nr = l.pol.nrules + l.pol.noverrides;
			if (!diag_quiet)
				printf("%s: OK (%d method%s, %u rule%s, %d set%s)\n", o.policy, nm,
				       nm == 1 ? "" : "s", nr, nr == 1 ? "" : "s", ns, ns == 1 ? "" : "s");
		} else if (!strcmp(o.cmd, "config")) {
			wcsp_str rcc = lower_rcc(&l, o.app);
			printf("%s\n", rcc.n ? rcc.s : "{}");
		} else if (!strcmp(o.cmd, "emit")) {
			FILE *f = o.out ? fopen(o.out, "w") : stdout;
			if (!f) {
				fprintf(stderr, "wcspc: cannot write %s: %s\n", o.out, strerror(errno));
				rc = EXIT_USAGE;
			} else {
				emit_c(&l, f);
				if ((f != stdout ? fclose(f) : fflush(f)) != 0) {
					fprintf(stderr, "wcspc: cannot write %s: %s\n", o.out ? o.out : "stdout", strerror(errno));
					rc = EXIT_USAGE;
				}
			}
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
