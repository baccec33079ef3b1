/*
 * template.h -- override and digest strings with ${path} interpolation (in a digest's,
 * ${KEY} is a key's bytes). `$${` is a literal `${`.
 * Inside ${...} a path is segments split at '.', each non-empty, no '}' in it.
 */
#ifndef WCSP_TEMPLATE_H
#define WCSP_TEMPLATE_H

#include "ast.h"

typedef struct tpiece {
	wpath *path;    /* NULL: literal */
	wstr lit;       /* decoded literal text */
} tpiece;

typedef VEC(tpiece) tpieces;

/* Split v (a V_STRING) into pieces. 1: has a field; 0: plain text; -1: malformed (reported). */
int tmpl_split(const wvalue *v, tpieces *out);
void tmpl_free(tpieces *t);

#endif
