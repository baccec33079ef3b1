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

/* A field path. Resolved by check.c: when its first segment (unquoted) names a token, the
 * path reads that token's claims (`viewer.sub`), and token points at it. */
typedef struct wpath {
	VEC(wstr) seg;
	wloc loc;
	int quoted;                 /* the first segment was written as a string */
	struct wtoken *token;       /* NULL: a request field */
} wpath;

enum wval_kind { V_STRING, V_NUMBER, V_TRUE, V_FALSE, V_NULL, V_PATH, V_NOW, V_DIGEST };

/* `md5("...") hex`, `hmac_sha1(k, "...") base64`: hash, the key of an HMAC, the template. */
typedef struct wdigest {
	int hash;               /* enum wcsp_hash */
	int enc;                /* enum wcsp_encoding; -1: not written (reported) */
	wstr key;               /* HMAC: the key's name; s == NULL: a plain hash */
	wloc key_loc;
	struct wvalue *tmpl;    /* V_STRING: the template as written */
} wdigest;

typedef struct wvalue {
	enum wval_kind kind;
	wstr str;          /* V_STRING: decoded text; V_NUMBER: the JSON text as written */
	double num;        /* V_NUMBER; V_NOW: the seconds added to now (negative: now - N) */
	wpath *path;       /* V_PATH */
	wdigest *dig;      /* V_DIGEST */
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
	C_EXISTS,
	C_VALID,           /* valid setname (a token) */
	C_INARRAY          /* path in val (a V_PATH: an array field or claim) */
};

typedef struct wcond {
	enum wcond_op op;
	struct wcond *l, *r;   /* AND, OR: both; NOT: l */
	wpath *path;
	wvalue *val;
	wstr setname;      /* C_INSET: the set; C_VALID: the token */
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
	wstr file;              /* the resolved path; a live set: the path as written */
	int live;               /* `file "..." live`: read by the server, not compiled in */
	int used;
} wset;

/* `key NAME = file "PATH";`: the file is the server's to read; the compiler only looks at
 * it (when it can) to tell what kind of key it is. */
typedef struct wkey {
	wstr name;
	wloc loc;
	wstr file;              /* as written */
	wloc file_loc;
	unsigned kinds;         /* check.c: bits of enum wcsp_key_kind the file holds; 0: not
	                           known (the compiler could not read it) */
	int used;
} wkey;

/* `token NAME = jwt PATH key K, ... options;` */
typedef struct wtoken {
	wstr name;
	wloc loc;
	wpath *path;            /* the request field holding the token */
	VEC(wstr) keys;
	VEC(wloc) key_locs;
	uint32_t algs;          /* bits of enum wcsp_alg; 0: every algorithm the keys allow */
	wloc alg_locs[16];      /* where each algorithm was written */
	VEC(wstr) issuers;
	VEC(wstr) audiences;
	VEC(wstr) claims;       /* `require`d */
	uint32_t leeway;
	int idx;                /* its index in wpolicy.tokens */
	int used;
	int opt;                /* the parser: the list a ',' continues */
} wtoken;

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
	int has_clock;          /* `clock N;`: now is N for this test */
	long long clock;
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
	VEC(wkey *) keys;
	VEC(wtoken *) tokens;
	VEC(wapp) apps;         /* distinct appKeys in first-use order */
	VEC(wblock *) blocks;   /* file order */
	VEC(wstr) custom;       /* `method "Name"` names the catalog lacks (check.c) */
	VEC(wtest *) tests;     /* file order, policy then test files */
} wpolicy;

wstr wstr_dup(const char *s, size_t n);
int wstr_eq(wstr a, const char *s, size_t n);

void ast_free_path(wpath *p);
void ast_free_value(wvalue *v);
void ast_free_token(wtoken *t);
void ast_free_cond(wcond *c);
void ast_free_stmt(wstmt *s);
void ast_free_block(wblock *b);
void ast_free_test(wtest *t);
void ast_free_policy(wpolicy *p);

#endif
