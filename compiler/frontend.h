/*
 * frontend.h -- reading policy files: the parser context shared by lexer.l and parser.y,
 * includes (spliced in place, relative to the including file, cycles refused) and set
 * files (read at compile time, relative to the policy file that names them).
 */
#ifndef WCSP_FRONTEND_H
#define WCSP_FRONTEND_H

#include "ast.h"

#define FRONTEND_MAX_DEPTH 32
#define FRONTEND_MAX_INPUT (64u << 20)  /* bytes of one policy, include or set file */

/* The largest file read (wcspc --max-input). */
extern size_t frontend_max_input;

/* The parser's context: the policy being built and where we are in it. */
typedef struct pctx {
	wpolicy *pol;
	int file;                               /* source index being parsed */
	int app;                                /* enclosing `app` block, -1 outside */
	int depth;
	char *stack[FRONTEND_MAX_DEPTH];        /* real paths of the files being parsed */
	int alone;                              /* this file's text only: includes and set files
	                                           are not read (wcspc fmt) */
} pctx;

/* Lexer state (yyextra). */
typedef struct lexstate {
	int file;
	int line, col;
	int depth;              /* JSON body nesting */
	wloc prev_end;          /* the last token returned (the parser's lookahead) */
	wloc before_end;        /* the one before it: a missing ';' is reported after it */
	wloc str_start;
	size_t off;             /* bytes consumed so far */
	size_t tok_start;       /* byte span of the last token (strings: from the quote) */
	size_t str_off;
	int keep_comments;      /* fmt: return comments as TOK_COMMENT */
	char *buf;
	size_t len, cap;
} lexstate;

/* A number token: its text as written and its value. */
typedef struct wnum {
	wstr text;
	double v;
} wnum;

typedef struct wguard {
	wcond *c;
	int unless;
} wguard;

typedef struct wtgt {
	enum wtarget kind;
	wstr name;
	wloc name_loc;
} wtgt;

/* Parse `path` and everything it includes into pol. Returns 0, or -1 when the root file
 * could not be read (reported). Syntax and semantic errors are counted in diag. */
int frontend_parse(wpolicy *pol, const char *path);

/* The same for text in memory named `name` (fuzzing, tests); includes and set files are
 * still read relative to name. */
int frontend_parse_text(wpolicy *pol, const char *name, const char *text, size_t len);

/* Parse path's own text, or text in memory named `name` when text is not NULL, without
 * reading what it includes or its set files: enough for syntax errors and for wcspc fmt,
 * which needs nothing but the text. */
int frontend_parse_alone(wpolicy *pol, const char *path, const char *text, size_t len);

/* The bytes of the regular file path (at most frontend_max_input of them), malloc'd and
 * NUL-terminated, or NULL with *why. Every file the compiler reads comes through here. */
char *frontend_read_file(const char *path, size_t *len, const char **why);

/* The keyword token spelled s[0..n) (yytokentype), or 0 for a plain name. */
int frontend_keyword(const char *s, size_t n);
/* The name a keyword token stands for, "policy" for K_POLICY. */
const char *frontend_keyword_name(int tok);

/* Parser actions. */
void frontend_include(pctx *px, wstr path, wloc at);
void frontend_set_file(pctx *px, wset *set, wstr path, wloc at);
int frontend_app(pctx *px, wstr key, wloc at);

#endif
