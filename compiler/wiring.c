/*
 * wiring.c -- wcspc wiring: the WCS command-line interface lines that point each app of a
 * policy at its server and enable exactly the hooks WCS must send, and `--check`, which
 * compares what WCS's `show app-rest-methods APP` printed with the policy.
 *
 * The hooks of an app: connect, always (its reply carries the restClientConfig that makes
 * WCS enforce the rest), and every method that a block covers for the app (its own blocks
 * and the blocks outside any app), unless `disable` resolves for it there. A method no block
 * covers is left out: the server would echo it, which is what WCS does when it asks nobody.
 * Apps the policy does not name are decided by the blocks outside any app (the default row
 * of the tables), so their hooks are connect and what those blocks cover.
 *
 * Order, the same for the same policy: apps in byte order of their keys; within an app,
 * connect first, then the others in byte order of their names.
 *
 * The lines only add. `remove app-rest-method -a APP` first would leave WCS, for a moment,
 * not calling connect at all, and a client connecting then would not be asked about; what
 * an app has beyond the policy's hooks (harmless: those hooks are echoed) is what --check
 * reports as extra, with the line that removes it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "catalog.h"
#include "check.h"
#include "frontend.h"
#include "wiring.h"

#define DEFAULT_APP "defaultApp"

/* The sema method indexes of one app's hooks, in output order. */
typedef struct hooks {
	int *m;
	int n;
} hooks;

int wiring_url_ok(const char *url)
{
	size_t skip = !strncmp(url, "http://", 7) ? 7 : !strncmp(url, "https://", 8) ? 8 : 0;
	if (!skip || !url[skip])
		return 0;
	for (const unsigned char *c = (const unsigned char *)url; *c; c++)
		if (*c <= ' ' || *c == 0x7f || strchr("\"'\\?#", *c))
			return 0;
	return 1;
}

int wiring_key_ok(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == 0x7f || c == '"' || c == '\'' || c == '\\')
			return 0;
	}
	return 1;
}

/* The index of the app whose key is s[0..n), or -1 (the default row). */
static int app_index(const wpolicy *p, const char *s, size_t n)
{
	for (int i = 0; i < p->apps.n; i++)
		if (wstr_eq(p->apps.v[i].key, s, n))
			return i;
	return -1;
}

static int before(const wpolicy *p, int a, int b)
{
	if (a == 0 || b == 0)           /* connect */
		return a == 0 && b != 0;
	return strcmp(sema_method_name(p, a), sema_method_name(p, b)) < 0;
}

/* The hooks of app (an index into p->apps, or -1 for the apps the policy does not name). */
static void app_hooks(const wpolicy *p, int app, hooks *h)
{
	int nm = sema_nmethods(p);
	h->m = xmalloc((size_t)nm * sizeof *h->m);
	h->n = 0;
	for (int m = 0; m < nm; m++) {
		int covered = m == 0, disabled = 0;
		for (int i = 0; i < p->blocks.n; i++) {
			const wblock *b = p->blocks.v[i];
			if ((b->app >= 0 && b->app != app) || !sema_covers(p, b, m))
				continue;
			covered = 1;
			for (int j = 0; j < b->stmts.n; j++)
				disabled |= b->stmts.v[j]->kind == S_DISABLE;
		}
		if (!covered || disabled)
			continue;
		int k = h->n++;
		for (; k > 0 && before(p, m, h->m[k - 1]); k--)
			h->m[k] = h->m[k - 1];
		h->m[k] = m;
	}
}

/* Text from the policy on a comment line: control bytes become '?'. */
static void put_clean(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < ' ' || *s == 0x7f ? '?' : *s, out);
}

static void banner(FILE *out, const lowered *l, const char *what)
{
	fprintf(out, "# wcspc wiring%s (policy ", what);
	put_clean(out, l->pol.name);
	fputs(", source ", out);
	put_clean(out, l->pol.source);
	fprintf(out, ", sha256 %s)\n", l->pol.hash);
}

static int finish(FILE *out)
{
	if (ferror(out) || fflush(out)) {
		fprintf(stderr, "wcspc: cannot write the wiring: %s\n",
			strerror(errno ? errno : EIO));
		return 2;
	}
	return 0;
}

static int key_order(const void *a, const void *b)
{
	const wstr *x = *(const wstr *const *)a, *y = *(const wstr *const *)b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->s, y->s, n);
	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* The apps to wire when --app is not given: the policy's, sorted; NULL when it names none. */
static const wstr **sorted_apps(const wpolicy *p)
{
	if (!p->apps.n)
		return NULL;
	const wstr **v = xmalloc((size_t)p->apps.n * sizeof *v);
	for (int i = 0; i < p->apps.n; i++)
		v[i] = &p->apps.v[i].key;
	qsort(v, (size_t)p->apps.n, sizeof *v, key_order);
	return v;
}

static int outside_blocks(const wpolicy *p)
{
	for (int i = 0; i < p->blocks.n; i++)
		if (p->blocks.v[i]->app < 0)
			return 1;
	return 0;
}

int wiring_print(const wpolicy *p, const lowered *l, const char *url, const char *app,
		 FILE *out)
{
	wstr one = { (char *)(app ? app : DEFAULT_APP), strlen(app ? app : DEFAULT_APP) };
	const wstr *only = &one, **apps = app ? NULL : sorted_apps(p);
	int napps = apps ? p->apps.n : 1;
	for (int a = 0; a < napps; a++) {
		const wstr *k = apps ? apps[a] : only;
		if (!wiring_key_ok(k->s, k->n)) {
			fputs("wcspc wiring: app '", stderr);
			put_clean(stderr, k->s);
			fputs("' cannot be written on a WCS command line (a blank, a quote, a "
			      "backslash or a control character): rename the app\n", stderr);
			free(apps);
			return 1;
		}
	}
	banner(out, l, "");
	for (int a = 0; a < napps; a++) {
		const wstr *k = apps ? apps[a] : only;
		hooks h;
		app_hooks(p, app_index(p, k->s, k->n), &h);
		fprintf(out, "update app -l %s %s\n", url, k->s);
		for (int i = 0; i < h.n; i++)
			fprintf(out, "add app-rest-method %s %s\n", k->s,
				sema_method_name(p, h.m[i]));
		free(h.m);
	}
	if (apps && outside_blocks(p)) {
		fputs("# apps the policy does not name get the blocks outside any app: wcspc "
		      "wiring ", out);
		put_clean(out, l->pol.source);
		fprintf(out, " --url %s --app KEY\n", url);
	}
	free(apps);
	return finish(out);
}

/* ------------------------------------------------------------------ --check */

/* What the file shows for one app. */
typedef struct section {
	char *key;              /* NULL: not known (the lines before any command, when the
	                           policy names several apps and --app is not given) */
	VEC(char *) names;      /* distinct, in the order read */
	int used;               /* a command named it, or a name was read into it */
} section;

typedef VEC(section) sections;

static int shaped(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (*s != '_' && !isalnum((unsigned char)*s))
			return 0;
	return 1;
}

static int known(const wpolicy *p, const char *s)
{
	size_t n = strlen(s);
	if (cat_find(s, n) >= 0)
		return 1;
	for (int i = 0; i < p->custom.n; i++)
		if (wstr_eq(p->custom.v[i], s, n))
			return 1;
	return 0;
}

/* A column heading of a table, skipped when no method has that name. */
static int heading(const char *s)
{
	static const char *const words[] = { "method", "methods", "name", "names", "restmethod",
		"restmethods", "rest_method", "rest_methods", "app", "appkey", "key" };
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (!strcasecmp(s, words[i]))
			return 1;
	return 0;
}

static void add_name(section *sec, const char *s)
{
	for (int i = 0; i < sec->names.n; i++)
		if (!strcmp(sec->names.v[i], s))
			return;
	VEC_PUSH(sec->names, xstrdup(s));
}

static section *section_for(sections *secs, const char *key, size_t n)
{
	for (int i = 0; i < secs->n; i++)
		if (secs->v[i].key && strlen(secs->v[i].key) == n &&
		    !memcmp(secs->v[i].key, key, n))
			return &secs->v[i];
	VEC_PUSH(*secs, ((section){ xstrndup(key, n), { NULL, 0, 0 }, 0 }));
	return &secs->v[secs->n - 1];
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

/*
 * One line of the file. Accepted, since the format of `show app-rest-methods` is not
 * documented: one name a line; a table row (cells between '|'), each cell that is a name;
 * a list with ',' (brackets and quotes dropped). A name is letters, digits and '_', not
 * starting with a digit. Skipped: blank lines, table borders (only - + = | and blanks),
 * column headings, a cell holding the app's own key. A line `... show app-rest-methods KEY`
 * (the command, with any prompt before it) makes the lines after it KEY's. Any other line
 * is reported (unless -q) and ignored.
 */
static void read_line(const wpolicy *p, sections *secs, section **cur, char *line,
		      const char *file, int lineno, int *commands)
{
	char *t = trim(line), *cmd = strstr(t, "show app-rest-methods");
	if (!*t || strspn(t, " \t-+=|") == strlen(t))
		return;
	if (cmd) {
		char *k = cmd + strlen("show app-rest-methods");
		k += strspn(k, " \t\"'");
		size_t n = strcspn(k, " \t\"'");
		if (n) {
			*cur = section_for(secs, k, n);
			(*cur)->used = 1;
			++*commands;
			return;
		}
	}
	char *text = xstrdup(t);
	int found = 0, other = 0, head = 0;
	const char *seps = strchr(t, '|') ? "|" : strchr(t, ',') ? "," : "\n";
	for (char *save = NULL, *c = strtok_r(t, seps, &save); c; c = strtok_r(NULL, seps, &save)) {
		c = trim(c);
		c += strspn(c, "[\"'");
		c[strcspn(c, "]\"'")] = 0;
		c = trim(c);
		if (!*c)
			continue;
		if (!shaped(c)) {
			other = 1;
			continue;
		}
		if ((heading(c) && !known(p, c)) || ((*cur)->key && !strcmp((*cur)->key, c))) {
			head = 1;
			continue;
		}
		add_name(*cur, c);
		(*cur)->used = found = 1;
	}
	if (!found && !head && other && !diag_quiet) {
		fprintf(stderr, "%s:%d: not a method name, ignored: ", file, lineno);
		put_clean(stderr, text);
		fputc('\n', stderr);
	}
	free(text);
}

/* The whole of the standard input, at most frontend_max_input bytes, or NULL with *why. */
static char *read_stdin(size_t *len, const char **why)
{
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	for (size_t got; (got = fread(buf + n, 1, cap - n - 1, stdin)) > 0;) {
		n += got;
		if (n > frontend_max_input)
			break;
		if (cap - n - 1 == 0)
			buf = xrealloc(buf, cap *= 2);
	}
	if (ferror(stdin) || n > frontend_max_input) {
		free(buf);
		*why = ferror(stdin) ? strerror(EIO) : "it is larger than --max-input bytes";
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

static void free_sections(sections *secs)
{
	for (int i = 0; i < secs->n; i++) {
		for (int j = 0; j < secs->v[i].names.n; j++)
			free(secs->v[i].names.v[j]);
		free(secs->v[i].names.v);
		free(secs->v[i].key);
	}
	free(secs->v);
}

static int name_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Compare one app's section with its hooks; the number of differences. */
static int compare(const wpolicy *p, const char *key, section *sec, FILE *out)
{
	hooks h;
	app_hooks(p, app_index(p, key, strlen(key)), &h);
	int diffs = 0;
	for (int i = 0; i < h.n; i++) {
		const char *m = sema_method_name(p, h.m[i]);
		int have = 0;
		for (int j = 0; j < sec->names.n && !have; j++)
			have = !strcmp(sec->names.v[j], m);
		if (!have) {
			fprintf(out, "%s: missing %s (add app-rest-method %s %s)\n", key, m, key,
				m);
			diffs++;
		}
	}
	if (sec->names.n)
		qsort(sec->names.v, (size_t)sec->names.n, sizeof *sec->names.v, name_order);
	for (int j = 0; j < sec->names.n; j++) {
		int want = 0;
		for (int i = 0; i < h.n && !want; i++)
			want = !strcmp(sec->names.v[j], sema_method_name(p, h.m[i]));
		if (!want) {
			fprintf(out, "%s: extra %s (remove app-rest-method %s %s)\n", key,
				sec->names.v[j], key, sec->names.v[j]);
			diffs++;
		}
	}
	if (!diffs)
		fprintf(out, "%s: OK, the %d method%s the policy needs and no other\n", key, h.n,
			h.n == 1 ? "" : "s");
	free(h.m);
	return diffs;
}

int wiring_check(const wpolicy *p, const lowered *l, const char *file, const char *app,
		 FILE *out)
{
	size_t len;
	const char *why = NULL;
	int stdin_file = !strcmp(file, "-");
	char *text = stdin_file ? read_stdin(&len, &why) : frontend_read_file(file, &len, &why);
	if (!text) {
		fprintf(stderr, "wcspc: cannot read '%s': %s\n",
			stdin_file ? "standard input" : file, why);
		return 2;
	}
	if (memchr(text, 0, len)) {
		fprintf(stderr, "wcspc: '%s' holds a NUL byte: not the output of show "
			"app-rest-methods\n", file);
		free(text);
		return 2;
	}
	/* the lines before any command: --app's, or the policy's only app, or defaultApp */
	const char *lead = app ? app : p->apps.n == 1 ? p->apps.v[0].key.s
			   : !p->apps.n ? DEFAULT_APP : NULL;
	const char *shown = stdin_file ? "the standard input" : file;
	sections secs = { 0 };
	VEC_PUSH(secs, ((section){ lead ? xstrdup(lead) : NULL, { NULL, 0, 0 }, 0 }));
	section *cur = &secs.v[0];
	int lineno = 0, commands = 0;
	for (char *ln = text, *nl; ln && *ln; ln = nl) {
		nl = strchr(ln, '\n');
		if (nl)
			*nl++ = 0;
		read_line(p, &secs, &cur, ln, shown, ++lineno, &commands);
	}
	free(text);
	/* without a command, the whole file is the lead app's, even when it lists nothing */
	secs.v[0].used |= !commands;
	if (secs.v[0].used && !secs.v[0].key) {
		fprintf(stderr, "wcspc: %s names no app before its first method (no line 'show "
			"app-rest-methods KEY') and the policy names %d: give --app KEY\n", shown,
			p->apps.n);
		free_sections(&secs);
		return 2;
	}
	banner(out, l, " --check");
	int diffs = 0, napps = 0;
	for (int i = 0; i < secs.n; i++)
		if (secs.v[i].used) {
			diffs += compare(p, secs.v[i].key, &secs.v[i], out);
			napps++;
		}
	for (int a = 0; !app && a < p->apps.n; a++) {
		int seen = 0;
		for (int i = 0; i < secs.n && !seen; i++)
			seen = secs.v[i].used && !strcmp(secs.v[i].key, p->apps.v[a].key.s);
		if (!seen)
			fprintf(out, "%s: not in %s, not checked\n", p->apps.v[a].key.s, shown);
	}
	if (diffs)
		fprintf(out, "%d difference%s in %d app%s\n", diffs, diffs == 1 ? "" : "s", napps,
			napps == 1 ? "" : "s");
	else
		fprintf(out, "no difference in %d app%s\n", napps, napps == 1 ? "" : "s");
	free_sections(&secs);
	int rc = finish(out);
	return rc ? rc : diffs ? 1 : 0;
}
