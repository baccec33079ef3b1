/*
 * template.c -- splitting override strings into literal text and ${path} fields.
 */
#include <stdlib.h>
#include <string.h>
#include "template.h"

static void lit(tpieces *out, const char *s, size_t n)
{
	if (out->n && !out->v[out->n - 1].path) {       /* extend the previous literal */
		wstr *w = &out->v[out->n - 1].lit;
		w->s = xrealloc(w->s, w->n + n + 1);
		memcpy(w->s + w->n, s, n);
		w->n += n;
		w->s[w->n] = 0;
		return;
	}
	VEC_PUSH(*out, ((tpiece){ NULL, wstr_dup(s, n) }));
}

int tmpl_split(const wvalue *v, tpieces *out)
{
	const char *s = v->str.s, *end = s + v->str.n;
	int fields = 0;
	while (s < end) {
		const char *d = memchr(s, '$', (size_t)(end - s));
		if (!d) {
			lit(out, s, (size_t)(end - s));
			break;
		}
		if (end - d >= 3 && d[1] == '$' && d[2] == '{') {       /* $${ -> ${ */
			lit(out, s, (size_t)(d - s) + 1);
			lit(out, "{", 1);
			s = d + 3;
			continue;
		}
		if (end - d < 2 || d[1] != '{') {
			lit(out, s, (size_t)(d - s) + 1);
			s = d + 1;
			continue;
		}
		if (d > s)
			lit(out, s, (size_t)(d - s));
		const char *close = memchr(d, '}', (size_t)(end - d));
		if (!close) {
			diag(DIAG_ERROR, v->loc,
			     "'${' without a closing '}' (write $${ for a literal ${)");
			return -1;
		}
		wpath *p = xcalloc(1, sizeof *p);
		p->loc = v->loc;
		for (const char *a = d + 2; ; ) {
			const char *dot = memchr(a, '.', (size_t)(close - a));
			const char *b = dot ? dot : close;
			if (b == a || memchr(a, 0, (size_t)(b - a))) {
				diag(DIAG_ERROR, v->loc, "empty or invalid field name in '${%.*s}'",
				     (int)(close - d - 2), d + 2);
				ast_free_path(p);
				return -1;
			}
			VEC_PUSH(p->seg, wstr_dup(a, (size_t)(b - a)));
			if (!dot)
				break;
			a = dot + 1;
		}
		VEC_PUSH(*out, ((tpiece){ p, { NULL, 0 } }));
		fields = 1;
		s = close + 1;
	}
	return fields;
}

void tmpl_free(tpieces *t)
{
	for (int i = 0; i < t->n; i++) {
		ast_free_path(t->v[i].path);
		free(t->v[i].lit.s);
	}
	free(t->v);
	memset(t, 0, sizeof *t);
}
