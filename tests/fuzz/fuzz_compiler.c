/*
 * fuzz_compiler.c -- libFuzzer target for the compiler front end and everything after it.
 *
 * Input: the text of one policy file. Per input, as `wcspc` does it (compile() in
 * compiler/wcspc.c): frontend_parse_text -> check_policy -> (no errors) lower_policy ->
 * emit_c into a memory stream; then everything is freed (lower_free, ast_free_policy,
 * src_free_all, diag_reset), so nothing survives from one input to the next.
 *
 * Beyond "does not crash, does not leak", it checks what the compiler promises:
 *   - emitted C starts with the banner and defines wcsp_compiled_policy;
 *   - the lowered tables work with the runtime: every (app, method) row decides a few fixed
 *     request bodies through wcsp_decide() (as `wcspc test` does), replies are valid JSON;
 *   - `wcspc fmt` (fmt_source) on a file that parses: gives text, is idempotent, and the
 *     formatted text compiles to the same tables (counts, method names, restClientConfig).
 * Inputs with `test` blocks take the `wcspc test` path instead (lowered with tests, then
 * ptest_run) when their length is odd.
 *
 * Files: includes and set files are read relative to the input's name, which lies in a
 * private directory made at start-up (/tmp/wcsp-fuzz-compiler-PID-XXXXXX) and holding a few files
 * to include (inc.wcsp,
 * inc/middle.wcsp, loop.wcsp, fuzz.wcsp) and set files (publishers.txt, tokens.txt,
 * empty.txt). fopen is wrapped at link time (-Wl,--wrap=fopen, see fuzz.mk): while an
 * input is compiled, reads are limited to regular files inside that directory, so an input
 * such as `include "/dev/zero";` cannot hang or exhaust the fuzzer.
 *
 * Diagnostics: diag.c prints to `stderr` (the stdio stream). While an input is compiled,
 * the `stderr` and `stdout` streams are pointed at /dev/null; libFuzzer keeps its own copy
 * of the original stream, and sanitizer reports write to fd 2 directly, so both stay
 * visible.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "decide.h"
#include "diag.h"
#include "emit.h"
#include "fmt.h"
#include "frontend.h"
#include "lower.h"
#include "ptest.h"

#define FUZZ_MAX_INPUT (256 * 1024)
#define MAX_FILE (1024 * 1024)
#define MAX_DECIDES 256

static char sandbox[PATH_MAX];          /* realpath of the private directory */
static char policy_name[PATH_MAX + 16]; /* sandbox/fuzz.wcsp: the name inputs are parsed as */
static FILE *devnull;
static FILE *real_stderr, *real_stdout;

/* ------------------------------------------------------------------ the file sandbox */

FILE *__real_fopen(const char *path, const char *mode);

/* While an input is compiled (confined), reads are limited to regular files inside the
 * sandbox of at most MAX_FILE bytes. The wrap covers every object of the link, libFuzzer's
 * own included: writes (crash reproducers) and anything outside a compilation pass. */
static int confined;

FILE *__wrap_fopen(const char *path, const char *mode)
{
	if (!confined || strchr(mode, 'w') || strchr(mode, 'a') || strchr(mode, '+'))
		return __real_fopen(path, mode);
	char real[PATH_MAX];
	struct stat st;
	size_t n = strlen(sandbox);
	if (!realpath(path, real))
		return NULL;    /* errno from realpath, e.g. ENOENT */
	if (strncmp(real, sandbox, n) || real[n] != '/' || stat(real, &st) ||
	    !S_ISREG(st.st_mode) || st.st_size > MAX_FILE) {
		errno = EACCES;
		return NULL;
	}
	return __real_fopen(real, mode);
}

static void put_file(const char *rel, const char *text)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", sandbox, rel);
	FILE *f = __real_fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		fprintf(stderr, "fuzz_compiler: cannot write %s: %s\n", path, strerror(errno));
		abort();
	}
}

#define SANDBOX_PREFIX "wcsp-fuzz-compiler-"

/* The files put_file() makes, children first, then the directory itself. */
static void remove_dir(const char *dir)
{
	static const char *const files[] = { "inc.wcsp", "inc/middle.wcsp", "inc/bad.wcsp",
		"loop.wcsp", "fuzz.wcsp", "publishers.txt", "tokens.txt", "empty.txt", "inc", "" };
	char path[PATH_MAX + 64];
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		if (remove(path) && errno != ENOENT)
			fprintf(stderr, "fuzz_compiler: cannot remove %s: %s\n", path,
				strerror(errno));
	}
}

static void remove_sandbox(void)
{
	if (sandbox[0])
		remove_dir(sandbox);
	sandbox[0] = 0;
}

/* libFuzzer often ends with _Exit (crash, time limit), skipping atexit: the directories
 * of fuzzers that are gone (/tmp/wcsp-fuzz-compiler-PID-XXXXXX) are removed at start-up. */
static void remove_stale(void)
{
	DIR *d = opendir("/tmp");
	struct dirent *e;
	size_t n = strlen(SANDBOX_PREFIX);
	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		if (strncmp(e->d_name, SANDBOX_PREFIX, n))
			continue;
		long pid = strtol(e->d_name + n, &end, 10);
		if (end == e->d_name + n || *end != '-' || pid <= 0 || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, "/tmp/%s", e->d_name);
		remove_dir(dir);
	}
	closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	wj_check_jsmn = 1;      /* the validating pass's tokens against jsmn's */
	char tmpl[64];
	remove_stale();
	snprintf(tmpl, sizeof tmpl, "/tmp/" SANDBOX_PREFIX "%ld-XXXXXX", (long)getpid());
	if (!mkdtemp(tmpl) || !realpath(tmpl, sandbox)) {
		fprintf(stderr, "fuzz_compiler: cannot make a private directory: %s\n",
			strerror(errno));
		abort();
	}
	char sub[PATH_MAX + 8];
	snprintf(sub, sizeof sub, "%s/inc", sandbox);
	if (mkdir(sub, 0700)) {
		fprintf(stderr, "fuzz_compiler: cannot make %s: %s\n", sub, strerror(errno));
		abort();
	}
	atexit(remove_sandbox);
	put_file("inc.wcsp", "# included\nset incset = { \"a\", 1, true };\n"
		 "playStream { deny 404 \"not here\" unless name in incset; }\n");
	put_file("inc/middle.wcsp", "# included by include-chain.wcsp\ninclude \"bad.wcsp\";\n");
	put_file("inc/bad.wcsp", "publishStream {\n    deny 99 \"not a status\";\n}\n");
	put_file("loop.wcsp", "include \"loop.wcsp\";\n");
	put_file("fuzz.wcsp", "policy \"on disk\";\n");   /* `include "fuzz.wcsp"` is a cycle */
	put_file("publishers.txt", "# tokens\n7c1f0e42d9a84b6b\na93d55e0c2f14e17\n");
	put_file("tokens.txt",
		 "  alice  # a comment\n#x\n\nbob\r\n\"quoted\"\n\xc3\xa9t\xc3\xa9\n");
	put_file("empty.txt", "");
	snprintf(policy_name, sizeof policy_name, "%s/fuzz.wcsp", sandbox);

	devnull = __real_fopen("/dev/null", "w");
	if (!devnull) {
		fprintf(stderr, "fuzz_compiler: cannot open /dev/null: %s\n", strerror(errno));
		abort();
	}
	real_stderr = stderr;
	real_stdout = stdout;
	return 0;
}

/* ------------------------------------------------------------------ checks */

static const uint8_t *cur_data;
static size_t cur_size;

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;
	confined = 0;
	stderr = real_stderr;
	stdout = real_stdout;
	fputs("fuzz_compiler: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ninput (%zu bytes): %.*s\n", cur_size,
		(int)(cur_size < 400 ? cur_size : 400), (const char *)cur_data);
	abort();
}

/* A few request bodies every lowered policy must answer without trouble. */
static const char *const bodies[] = {
	("{\"nodeId\":\"n@10.0.0.1\",\"appKey\":\"defaultApp\","
	 "\"sessionId\":\"/10.0.0.2:5000/10.0.0.1:8443\",\"name\":\"cam-01\",\"published\":true,"
	 "\"hasVideo\":true,\"hasAudio\":false,\"record\":false,\"width\":1920,\"height\":1080,"
	 "\"bitrate\":0,\"login\":\"bob\",\"origin\":\"https://example.com\","
	 "\"custom\":{\"token\":\"7c1f0e42d9a84b6b\",\"user-id\":\"u1\",\"level\":2.5,"
	 "\"record\":\"yes\"},"
	 "\"payload\":{\"command\":{\"op\":\"shutdown\"},\"message\":\"hi \\\"there\\\"\"},"
	 "\"restClientConfig\":{\"publishStream\":{\"restOnError\":\"LOG\"}}}"),
	("{\"custom\":\"not an object\",\"name\":\"\\u0061dmin\",\"login\":null,"
	 "\"caller\":667,\"tags\":[1,{\"a\":[]}]}"),
	"{}",
};

static void check_reply(const wcsp_reply *r, wj_doc *d, const char *method)
{
	const char *why;
	if (r->decision == WCSP_D_BAD)
		fail("a valid body was refused (%d, %s) for %s", r->status,
		     r->reason ? r->reason : "-", method);
	if (r->decision == WCSP_D_DENY) {
		if (r->status < 400 || r->status > 599 || !r->rule)
			fail("deny with status %d, rule %s for %s", r->status,
			     r->rule ? r->rule : "(none)", method);
	} else if (r->status != 200)
		fail("allow with status %d for %s", r->status, method);
	if (wj_parse(d, r->body, r->len, &why))
		fail("reply for %s is not a JSON object (%s): %.*s", method, why, (int)r->len,
		     r->body);
}

/* Every (app, method) row of the tables decides the fixed bodies. */
static void decide_all(const wcsp_policy *tables)
{
	const wcsp_policy *p = tables;
	wcsp_ctx c;
	wj_doc d;
	int budget = MAX_DECIDES;
	wcsp_ctx_init(&c);
	wj_init(&d);
	for (uint32_t a = 0; a <= p->napps && budget > 0; a++) {
		/* the default row: an appKey no app block names */
		c.force_app = a < p->napps ? p->apps[a].key.s : "\x01no such app";
		c.force_app_len = a < p->napps ? p->apps[a].key.n : 13;
		uint32_t want_row = p->napps;
		for (uint32_t k = 0; k < p->napps; k++)
			if (p->apps[k].key.n == c.force_app_len &&
			    !memcmp(p->apps[k].key.s, c.force_app, c.force_app_len))
				want_row = k;
		for (uint32_t m = 0; m < p->nmethods && budget > 0; m++, budget--) {
			size_t b =
				(a + m) % (sizeof bodies / sizeof *bodies); /* each row one body */
			wcsp_reply r;
			int st = wcsp_decide(p, &c, p->methods[m].s, p->methods[m].n, bodies[b],
					     strlen(bodies[b]), &r);
			if (st != r.status)
				fail("wcsp_decide returned %d but the reply says %d", st, r.status);
			check_reply(&r, &d, p->methods[m].s);
			if (r.app_row != want_row || r.method_row != m)
				fail("decided as app row %u method %u, asked for %u, %u", r.app_row,
				     r.method_row, want_row, m);
			/* rule indexes only find faster what the plain walk finds */
			wcsp_reply plain;
			c.plain_walk = 1;
			wcsp_decide(p, &c, p->methods[m].s, p->methods[m].n, bodies[b],
				    strlen(bodies[b]), &plain);
			c.plain_walk = 0;
			if (plain.status != r.status || plain.rule != r.rule ||
			    plain.len != r.len || memcmp(plain.body, r.body, r.len))
				fail("the rule indexes decide %d %s, the plain walk %d %s",
				     r.status, r.rule ? r.rule : "-", plain.status,
				     plain.rule ? plain.rule : "-");
			wcsp_reply_free(&plain);
			wcsp_reply_free(&r);
		}
	}
	wj_free(&d);
	wcsp_ctx_free(&c);
}

static void check_emitted(const lowered *l)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		fail("open_memstream: %s", strerror(errno));
	emit_c(l, f);
	if (fclose(f))
		fail("emit: cannot close the memory stream");
	if (len < 20 || strncmp(text, "/*\n * Generated by wcspc ", 25) ||
	    !strstr(text, "const wcsp_policy wcsp_compiled_policy"))
		fail("emitted C lacks the banner or wcsp_compiled_policy (%zu bytes)", len);
	free(text);
}

/* The same tables but for file:line: what fmt must preserve. */
static void same_tables(const wcsp_policy *a, const wcsp_policy *b)
{
	if (a->nmethods != b->nmethods || a->napps != b->napps || a->nrules != b->nrules ||
	    a->noverrides != b->noverrides || a->nsets != b->nsets || a->naccept != b->naccept ||
	    a->require_signature != b->require_signature)
		fail("fmt changed the tables: methods %u/%u apps %u/%u rules %u/%u overrides %u/%u "
		     "sets %u/%u",
		     a->nmethods, b->nmethods, a->napps, b->napps, a->nrules, b->nrules,
		     a->noverrides, b->noverrides, a->nsets, b->nsets);
	for (uint32_t m = 0; m < a->nmethods; m++)
		if (a->methods[m].n != b->methods[m].n ||
		    memcmp(a->methods[m].s, b->methods[m].s, a->methods[m].n))
			fail("fmt changed method %u", m);
	for (uint32_t i = 0; i <= a->napps; i++)
		if (a->apps[i].rcc.n != b->apps[i].rcc.n ||
		    (a->apps[i].rcc.n &&
		     memcmp(a->apps[i].rcc.s, b->apps[i].rcc.s, a->apps[i].rcc.n)))
			fail("fmt changed the restClientConfig of app row %u", i);
	for (uint32_t i = 0; i < a->nrules; i++)
		if (a->rules[i].kind != b->rules[i].kind ||
		    a->rules[i].status != b->rules[i].status ||
		    a->rules[i].body.n != b->rules[i].body.n ||
		    memcmp(a->rules[i].body.s, b->rules[i].body.s, a->rules[i].body.n))
			fail("fmt changed rule %u", i);
}

/*
 * fmt: the formatted text is a fixed point of fmt and compiles like the original.
 * `orig` is the original's lowering when it compiled cleanly, else NULL.
 */
static void check_fmt(const char *text, size_t len, const lowered *orig)
{
	char *once = fmt_source(text, len, 0);
	if (!once)
		fail("fmt_source gave nothing for a file that parses");
	size_t n1 = strlen(once);
	char *twice = fmt_source(once, n1, 0);
	if (!twice || strcmp(once, twice))
		fail("fmt is not idempotent:\n--- once\n%s\n--- twice\n%s", once,
		     twice ? twice : "(null)");
	free(twice);
	if (orig) {
		wpolicy pol = { 0 };
		lowered l = { 0 };
		frontend_parse_text(&pol, policy_name, once, n1);
		check_policy(&pol);
		if (diag_nerrors)
			fail("the formatted policy has errors:\n%s", once);
		int rc = lower_policy(&pol, policy_name, &l, 0);
		if (rc || diag_nerrors)
			fail("the formatted policy does not lower:\n%s", once);
		same_tables(&orig->pol, &l.pol);
		lower_free(&l);
		ast_free_policy(&pol);
	}
	free(once);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	cur_data = data;
	cur_size = size;
	confined = 1;
	stderr = devnull;
	stdout = devnull;

	wpolicy pol = { 0 };
	lowered l = { 0 };
	int lowered_ok = 0;
	frontend_parse_text(&pol, policy_name, (const char *)data, size);
	int parsed = !diag_nerrors;
	check_policy(&pol);
	int tests_path = pol.tests.n > 0 && (size & 1);
	if (!diag_nerrors) {
		int rc = lower_policy(&pol, policy_name, &l, tests_path);
		lowered_ok = rc == 0 && !diag_nerrors;
		if (lowered_ok && l.pol.abi != WCSP_ABI_VERSION)
			fail("lowered tables carry ABI %u", l.pol.abi);
		if (lowered_ok && tests_path) {
			/* key files and live sets relative to the sandbox; 1: one cannot be read */
			int t = ptest_run(&pol, &l, sandbox, 1, -1);
			if (t != 0 && t != 1 && t != 3)
				fail("ptest_run returned %d", t);
		} else if (lowered_ok) {
			check_emitted(&l);
			decide_all(&l.pol);
		}
	}
	/* fmt reads the root file's own text (src 0), as `wcspc fmt` does; a file that parsed
	 * holds no NUL outside strings, and fmt_source() returns a C string */
	if (parsed && src_count() > 0 && !memchr(data, 0, size)) {
		const wsrc *s = src_get(0);
		check_fmt(s->text, s->len, lowered_ok && !tests_path ? &l : NULL);
	}
	if (l.pol.abi)
		lower_free(&l);
	ast_free_policy(&pol);
	src_free_all();
	diag_reset();

	stderr = real_stderr;
	stdout = real_stdout;
	confined = 0;
	return 0;
}
