/*
 * diag.h -- source files and diagnostics.
 *
 * Every byte the compiler reads (policies, includes, set files) is registered here once, so
 * a diagnostic can quote its line and so the banner hash covers all input in read order.
 * A location is (file index, first line/col, last line/col), 1-based, columns in bytes.
 */
#ifndef WCSP_DIAG_H
#define WCSP_DIAG_H

#include <stddef.h>
#include <stdarg.h>

typedef struct wloc {
	int file;
	int line, col;
	int last_line, last_col;
} wloc;

typedef struct wsrc {
	char *name;       /* path as the compiler opened it */
	char *text;       /* contents, NUL-terminated */
	size_t len;
	wloc from;        /* the include statement that pulled it in; from.file < 0 for the root */
	int is_policy;    /* policy text (quoted in diagnostics) rather than a set file */
} wsrc;

enum diag_sev { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

extern int diag_nerrors, diag_nwarnings;
extern int diag_werror;       /* -Werror: warnings count as errors */
extern int diag_quiet;        /* suppress warnings and notes (still counted) */

int src_add(const char *name, char *text, size_t len, wloc from, int is_policy);
const wsrc *src_get(int file);
int src_count(void);
void src_free_all(void);

void diag(enum diag_sev sev, wloc at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_plain(enum diag_sev sev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print the collected diagnostics, sorted by place. */
void diag_flush(void);
/* Flush and zero the counts (a new compilation in the same process). */
void diag_reset(void);
/* Flush, then "N errors, M warnings" on stderr when any were reported. */
void diag_summary(void);

#endif
