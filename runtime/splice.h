/*
 * splice.h -- the reply to an allowed request: the request's own bytes with only the
 * overridden fields replaced or inserted. Untouched JSON is never re-serialised.
 */
#ifndef WCSP_SPLICE_H
#define WCSP_SPLICE_H

#include <stddef.h>
#include "json.h"
#include "wcsp_abi.h"

/* One field to write: the path, and the JSON text of its new value. */
typedef struct sp_edit {
	const wcsp_str *seg;
	uint32_t nseg;
	const char *text;
	size_t len;
} sp_edit;

/* A node of the patch tree built from the edits (file order, the last write wins). */
typedef struct sp_node {
	const wcsp_str *seg;     /* key; the root has none */
	int child, next;         /* first child, next sibling; -1 ends */
	int edit;                /* leaf: index of the edit whose value lands here; -1 interior */
	int fresh;               /* interior replacing a value an earlier, shorter edit wrote */
	int tok;                 /* walk: the field's value token in the request, -1 missing */
} sp_node;

/* Edit values of SP_OUTSIDE bytes or more stay where they are (a connect's derived
 * restClientConfig, 2 KB and more, is copied once, into the reply): text[pos] is where
 * s[0 .. n) goes. */
#define SP_OUTSIDE 128
typedef struct sp_outside {
	size_t pos;
	const char *s;
	size_t n;
} sp_outside;

/* Request bytes [at, end) give way (at == end: an insertion) to text[text_off ..
 * text_off + text_len) with outside[first_out .. first_out + nout) in its places. */
typedef struct sp_piece {
	size_t at, end;
	size_t text_off, text_len;
	int first_out, nout;
	size_t out_len;          /* the bytes of those outside values */
} sp_piece;

typedef struct sp_state {
	sp_node *node;
	int nnode, capnode;
	sp_piece *piece;
	int npiece, cappiece;
	char *text;              /* inserted or replacing text, pieces point in by offset */
	size_t ntext, captext;
	sp_outside *outside;     /* long values the text refers to, in the order of their pos */
	int nout, capout;
} sp_state;

void sp_init(sp_state *s);
void sp_free(sp_state *s);

/* A reply buffer that grows as needed and is reused (it allocates only when it grows). */
typedef struct sp_buf {
	char *s;
	size_t len, cap;
} sp_buf;

/* Room for n bytes in b; 0, or -1 out of memory. */
int sp_reserve(sp_buf *b, size_t n);

/* The request d->buf with edits applied, into out (out->len its length). 0, or -1 out of
 * memory. */
int sp_splice(sp_state *s, const wj_doc *d, const sp_edit *e, int n, sp_buf *out);

#endif
