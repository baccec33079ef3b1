/*
 * check.h -- semantic checks, and the method numbering shared with lower.c.
 *
 * Method index m: 0 .. cat_nmethods-1 are the catalog's rows; cat_nmethods + i is the i-th
 * custom method (`method "Name"` for a name the catalog lacks), in first-use order.
 */
#ifndef WCSP_CHECK_H
#define WCSP_CHECK_H

#include "ast.h"
#include "wcsp_abi.h"

int sema_nmethods(const wpolicy *p);
const char *sema_method_name(const wpolicy *p, int m);
enum wcsp_method_type sema_method_type(const wpolicy *p, int m);
/* Block b names method m or a group holding it. */
int sema_covers(const wpolicy *p, const wblock *b, int m);
/* Settings precedence of a block: 0 (method in app) .. 5 (`all` outside apps). */
int sema_level(const wblock *b);

/* The key or token named s[0..n): its index, or -1. */
int sema_key(const wpolicy *p, const char *s, size_t n);
int sema_token(const wpolicy *p, const char *s, size_t n);
/* The token whose claims path reads (its unquoted first segment names one), or NULL. */
wtoken *sema_claims_of(const wpolicy *p, const wpath *path);

/* Resolve names and report every error and warning that needs no per-app resolution. */
void check_policy(wpolicy *p);

#endif
