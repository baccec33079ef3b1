/*
 * splice.c -- reply splicing.
 *
 * The edits become a patch tree keyed by field names (sp_node). Walking it against the
 * request's object tree yields pieces: a field that exists gets its value's byte span
 * replaced; a field that does not gets `"key":value` inserted before its object's closing
 * brace (a missing parent object is created whole, `"custom":{"role":"x"}`). A field that
 * exists but is not an object where the path must go deeper is replaced by a new object.
 * Pieces never overlap (a replaced value is not descended into), so sorting them by
 * position and copying the bytes between them gives the reply. A long edit value is not
 * copied into the text but referred to where it stands (sp_outside).
 */
#include <stdlib.h>
#include <string.h>
#include "splice.h"
#include "utf8.h"

void sp_init(sp_state *s) { memset(s, 0, sizeof *s); }

void sp_free(sp_state *s)
{
	free(s->node);
	free(s->piece);
	free(s->text);
	free(s->outside);
	memset(s, 0, sizeof *s);
}

static int grow(void **p, int n, int *cap, size_t size)
{
	if (n < *cap)
		return 0;
	int c = *cap ? *cap * 2 : 16;
	void *q = realloc(*p, (size_t)c * size);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static int put(sp_state *s, const char *t, size_t n)
{
	if (s->ntext + n > s->captext) {
		size_t c = (s->ntext + n) * 2 + 64;
		char *q = realloc(s->text, c);
		if (!q)
			return -1;
		s->text = q;
		s->captext = c;
	}
	if (t)
		memcpy(s->text + s->ntext, t, n);
	s->ntext += n;
	return 0;
}

/* str[0..n) as JSON string content (no quotes), appended to the text buffer. */
static int sp_text_json(sp_state *s, const char *str, size_t n)
{
	if (put(s, NULL, 6 * n))        /* room for the worst case */
		return -1;
	s->ntext -= 6 * n;
	s->ntext += utf8_json_escape(s->text + s->ntext, str, n);
	return 0;
}

static int new_node(sp_state *s, const wcsp_str *seg)
{
	if (grow((void **)&s->node, s->nnode, &s->capnode, sizeof *s->node))
		return -1;
	s->node[s->nnode] = (sp_node){ seg, -1, -1, -1, 0, -1 };
	return s->nnode++;
}

static int child(sp_state *s, int parent, const wcsp_str *seg)
{
	for (int c = s->node[parent].child; c >= 0; c = s->node[c].next)
		if (s->node[c].seg->n == seg->n && wcsp_mem_eq(s->node[c].seg->s, seg->s, seg->n))
			return c;
	int c = new_node(s, seg);
	if (c < 0)
		return -1;
	s->node[c].next = s->node[parent].child;   /* reversed; fixed by the serialiser order */
	s->node[parent].child = c;
	return c;
}

static int build(sp_state *s, const sp_edit *e, int n)
{
	s->nnode = 0;
	if (new_node(s, NULL) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		int at = 0;
		for (uint32_t k = 0; k < e[i].nseg; k++) {
			if (s->node[at].edit >= 0) {        /* an earlier edit wrote a value here */
				s->node[at].edit = -1;
				s->node[at].fresh = 1;
			}
			if ((at = child(s, at, &e[i].seg[k])) < 0)
				return -1;
		}
		s->node[at].edit = i;                     /* the last write wins ... */
		s->node[at].child = -1;                   /* ... over deeper earlier ones too */
		s->node[at].fresh = 0;
	}
	return 0;
}

/* Children were prepended; emit them in insertion order by recursing on the list tail. */
static int ser_members(sp_state *s, const sp_edit *e, int c, int *first);

/* The value t[0 .. n): copied into the text when short, else referred to. */
static int put_value(sp_state *s, const char *t, size_t n)
{
	if (n < SP_OUTSIDE)
		return put(s, t, n);
	if (grow((void **)&s->outside, s->nout, &s->capout, sizeof *s->outside))
		return -1;
	s->outside[s->nout++] = (sp_outside){ s->ntext, t, n };
	return 0;
}

static int ser_value(sp_state *s, const sp_edit *e, int nd)
{
	if (s->node[nd].edit >= 0)
		return put_value(s, e[s->node[nd].edit].text, e[s->node[nd].edit].len);
	int first = 1;
	return put(s, "{", 1) || ser_members(s, e, s->node[nd].child, &first) || put(s, "}", 1);
}

static int ser_member(sp_state *s, const sp_edit *e, int c, int *first)
{
	int r = (*first ? 0 : put(s, ",", 1)) || put(s, "\"", 1) ||
		sp_text_json(s, s->node[c].seg->s, s->node[c].seg->n) || put(s, "\":", 2) ||
		ser_value(s, e, c);
	*first = 0;
	return r;
}

static int ser_members(sp_state *s, const sp_edit *e, int c, int *first)
{
	if (c < 0)
		return 0;
	return ser_members(s, e, s->node[c].next, first) || ser_member(s, e, c, first);
}

/* A piece for [at, end) of everything written since text offset off and outside value
 * first_out. */
static int piece(sp_state *s, size_t at, size_t end, size_t off, int first_out)
{
	size_t n = 0;
	if (grow((void **)&s->piece, s->npiece, &s->cappiece, sizeof *s->piece))
		return -1;
	for (int i = first_out; i < s->nout; i++)
		n += s->outside[i].n;
	s->piece[s->npiece++] =
		(sp_piece){ at, end, off, s->ntext - off, first_out, s->nout - first_out, n };
	return 0;
}

static int walk(sp_state *s, const wj_doc *d, const sp_edit *e, int nd, int obj);

/* Child c of an object token obj: replace, descend, or queue for insertion. */
static int visit(sp_state *s, const wj_doc *d, const sp_edit *e, int c, int obj, int *nins)
{
	if (s->node[c].next >= 0 && visit(s, d, e, s->node[c].next, obj, nins))
		return -1;
	int t = s->node[c].tok = wj_get(d, obj, s->node[c].seg->s, s->node[c].seg->n);
	if (t < 0)
		return (*nins)++, 0;
	if (s->node[c].edit < 0 && !s->node[c].fresh && wj_kind(d, t) == WJ_OBJECT)
		return walk(s, d, e, c, t);
	size_t a, b, off = s->ntext;
	int first_out = s->nout;
	wj_span(d, t, &a, &b);
	return ser_value(s, e, c) || piece(s, a, b, off, first_out);
}

static int insert_missing(sp_state *s, const wj_doc *d, const sp_edit *e, int c, int obj,
			  int *first)
{
	if (c < 0)
		return 0;
	if (insert_missing(s, d, e, s->node[c].next, obj, first))
		return -1;
	if (s->node[c].tok >= 0)        /* visit() looked it up */
		return 0;
	return ser_member(s, e, c, first);
}

static int walk(sp_state *s, const wj_doc *d, const sp_edit *e, int nd, int obj)
{
	int nins = 0;
	if (s->node[nd].child >= 0 && visit(s, d, e, s->node[nd].child, obj, &nins))
		return -1;
	if (!nins)
		return 0;
	size_t off = s->ntext, close = (size_t)d->tok[obj].end - 1;
	int first = d->tok[obj].size == 0, first_out = s->nout;
	return insert_missing(s, d, e, s->node[nd].child, obj, &first) ||
	       piece(s, close, close, off, first_out);
}

static int by_position(const void *a, const void *b)
{
	const sp_piece *x = a, *y = b;
	return (x->at > y->at) - (x->at < y->at);
}

int sp_reserve(sp_buf *b, size_t n)
{
	if (n <= b->cap && b->s)
		return 0;
	size_t cap = n > 4096 ? n + n / 2 : 4096;
	char *q = realloc(b->s, cap);
	if (!q)
		return -1;
	b->s = q;
	b->cap = cap;
	return 0;
}

/* Piece p's text with its outside values in their places, at o; the end of what it wrote. */
static char *put_piece(char *o, const sp_state *s, const sp_piece *p)
{
	const char *text = s->text != NULL ? s->text : "";     /* none yet: every value outside */
	size_t t = p->text_off;
	for (int i = p->first_out; i < p->first_out + p->nout; i++) {
		const sp_outside *x = &s->outside[i];
		memcpy(o, text + t, x->pos - t);
		o += x->pos - t;
		memcpy(o, x->s, x->n);
		o += x->n;
		t = x->pos;
	}
	memcpy(o, text + t, p->text_off + p->text_len - t);
	return o + (p->text_off + p->text_len - t);
}

int sp_splice(sp_state *s, const wj_doc *d, const sp_edit *e, int n, sp_buf *out)
{
	s->npiece = 0;
	s->ntext = 0;
	s->nout = 0;
	if (build(s, e, n) || walk(s, d, e, 0, 0))
		return -1;
	if (s->npiece > 1)
		qsort(s->piece, (size_t)s->npiece, sizeof *s->piece, by_position);
	size_t total = d->len;
	for (int i = 0; i < s->npiece; i++)
		total += s->piece[i].text_len + s->piece[i].out_len -
			 (s->piece[i].end - s->piece[i].at);
	if (sp_reserve(out, total))
		return -1;
	char *o = out->s;
	size_t at = 0;
	for (int i = 0; i < s->npiece; i++) {
		const sp_piece *p = &s->piece[i];
		memcpy(o, d->buf + at, p->at - at);
		o = put_piece(o + (p->at - at), s, p);
		at = p->end;
	}
	memcpy(o, d->buf + at, d->len - at);
	out->len = (size_t)(o - out->s) + (d->len - at);
	return 0;
}
