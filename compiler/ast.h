/*
 * ast.h -- the parsed policy.
 *
 * The parser appends to one wpolicy as it reduces, so every list below is in file order
 * (includes spliced in place). Strings are decoded, malloc'd, NUL-terminated, and carry
 * their length because a decoded string may hold NUL. Nothing here is resolved: names of
 * methods and sets are checked by check.c, and lower.c turns the result into tables.
 */
#ifndef WCSP_AST_H
#define WCSP_AST_H

#include <stddef.h>
#include <stdint.h>
#include "diag.h"
#include "xalloc.h"

typedef struct wstr {
	char *s;
	size_t n;
} wstr;

#define VEC(T) struct { T *v; int n, cap; }
#define VEC_PUSH(vec, item) do { \
	if ((vec).n == (vec).cap) { \
		(vec).cap = (vec).cap ? (vec).cap * 2 : 4; \
		(vec).v = xrealloc((vec).v, (size_t)(vec).cap * sizeof *(vec).v); \
	} \
	(vec).v[(vec).n++] = (item); \
} while (0)

typedef struct wpath {
	VEC(wstr) seg;
	wloc loc;
} wpath;

enum wval_kind { V_STRING, V_NUMBER, V_TRUE, V_FALSE, V_NULL, V_PATH };

typedef struct wvalue {
	enum wval_kind kind;
	wstr str;          /* V_STRING: decoded text; V_NUMBER: the JSON text as written */
	double num;        /* V_NUMBER */
	wpath *path;       /* V_PATH */
	wloc loc;
} wvalue;

typedef VEC(wvalue *) wvlist;
typedef VEC(struct wpath *) wplist;

enum wcond_op {
	C_AND, C_OR, C_NOT,
	C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE,
	C_GLOB,            /* path ~ val (a string) */
	C_INSET,           /* path in setname */
	C_INLIST,          /* path in { list } */
	C_EXISTS
};

typedef struct wcond {
	enum wcond_op op;
	struct wcond *l, *r;   /* AND, OR: both; NOT: l */
	wpath *path;
	wvalue *val;
	wstr setname;
	wloc setloc;
	wvlist list;
	wloc loc;
} wcond;

enum wstmt_kind { S_ALLOW, S_DENY, S_OVERRIDE, S_ONERROR, S_REXCLUDE, S_CEXCLUDE, S_DISABLE };

typedef struct wstmt {
	enum wstmt_kind kind;
	wloc loc;               /* the whole statement */
	int status;             /* S_DENY: 0 when not written (403) */
	wloc status_loc;
	wstr reason;            /* S_DENY: s == NULL when not written */
	wcond *guard;           /* NULL: unconditional */
	int unless;             /* guard is `unless` */
	wpath *path;            /* S_OVERRIDE */
	wvalue *val;            /* S_OVERRIDE */
	int fail;               /* S_ONERROR: FAIL (1) or LOG (0) */
	wplist paths;           /* S_REXCLUDE, S_CEXCLUDE */
	int reported;           /* a per-statement diagnostic was already given */
	int idx;                /* lower.c: index of its rule or override row */
	int n_in, n_dead;       /* lower.c: chains it is in, chains where it can never act */
	const struct wstmt *shadow;   /* the statement that makes it dead */
	int noted;
} wstmt;

enum wtarget { T_METHOD, T_NAMED, T_DIRECT, T_EVENTS, T_INCOMING, T_ALL };

typedef struct wblock {
	enum wtarget target;
	wstr name;              /* T_METHOD, T_NAMED */
	wloc loc, name_loc;
	int app;                /* index into wpolicy.apps, -1 outside any app */
	VEC(wstmt *) stmts;
	int method;             /* T_METHOD/T_NAMED: method index (see check.h), -1 unresolved */
} wblock;

typedef struct wset {
	wstr name;
	wloc loc;
	wvlist vals;
	int from_file;          /* `file "..."` */
	wstr file;              /* the resolved path */
	int used;
} wset;

/* An `accept from` range: as written, then as check.c parsed it (the wcsp_cidr form). */
typedef struct waddr {
	wstr text;
	wloc loc;
	uint8_t addr[16];       /* IPv6, or IPv4 as ::ffff:a.b.c.d */
	int prefix;             /* bits of addr, counted on the 16-byte form */
} waddr;

typedef struct wapp {
	wstr key;
	wloc loc;
} wapp;

/* A policy test (`test "name" { request M {...}; expect ...; }`), for wcspc test. */
enum wexpect_kind { E_ALLOW, E_DENY, E_ECHO, E_STATUS, E_COND };

typedef struct wexpect {
	enum wexpect_kind kind;
	int status;             /* E_DENY (0: any), E_STATUS */
	wcond *cond;            /* E_COND: over the reply body */
	wloc loc;
} wexpect;

typedef struct wtest {
	wstr name;
	wloc loc;
	int nrequests;
	wstr method;
	wloc method_loc;
	wstr body;              /* the JSON text as written */
	wloc body_loc;
	wstr app;               /* s == NULL: the body's appKey decides */
	VEC(wexpect *) expects;
} wtest;

typedef struct wpolicy {
	wstr name;              /* s == NULL: unnamed */
	wloc name_loc;
	int require_sig;
	wloc sig_loc;
	VEC(waddr) accept;
	wloc accept_loc;
	VEC(wset *) sets;
	VEC(wapp) apps;         /* distinct appKeys in first-use order */
	VEC(wblock *) blocks;   /* file order */
	VEC(wstr) custom;       /* `method "Name"` names the catalog lacks (check.c) */
	VEC(wtest *) tests;     /* file order, policy then test files */
} wpolicy;

wstr wstr_dup(const char *s, size_t n);
int wstr_eq(wstr a, const char *s, size_t n);

void ast_free_path(wpath *p);
void ast_free_value(wvalue *v);
void ast_free_cond(wcond *c);
void ast_free_stmt(wstmt *s);
void ast_free_block(wblock *b);
void ast_free_test(wtest *t);
void ast_free_policy(wpolicy *p);

#endif
