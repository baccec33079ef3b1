/*
 * log.h -- the server's logs: one access-log line per request on stdout, everything else
 * (warnings, errors, debug notes) on stderr.
 *
 * Invariants: the access log is written only when log_level >= LOGL_INFO, and callers test
 * log_on() before building a record, so a quiet server formats nothing. Each line goes out
 * in one stdio call, so lines from several threads never interleave. Untrusted strings
 * (app, method) are escaped: a line never holds a raw control character, and in the json
 * format it is always one valid JSON object.
 */
#ifndef WCSP_LOG_H
#define WCSP_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>

enum log_level { LOGL_ERROR, LOGL_WARN, LOGL_INFO, LOGL_DEBUG };
enum log_format { LOGF_TEXT, LOGF_JSON };

extern int log_level;

#define log_on(l) ((int)(l) <= log_level)

/* One request, as the access log records it. */
typedef struct log_rec {
	const char *app;              /* decoded appKey (may hold NUL); "" when unknown */
	size_t alen;
	const char *method;           /* the last path segment, untrusted */
	size_t mlen;
	const char *decision;         /* allow, deny, echo, bad, too_large, not_found, ... */
	int status;
	const char *rule;             /* "file:line", or NULL */
	const char *reason;           /* why a request was refused (a token's failure, a bad
	                                 body), or NULL: written only when there is one */
	unsigned long long us;        /* latency in microseconds */
	const struct sockaddr *from;  /* the caller, or NULL */
} log_rec;

/* "error", "warn", "info", "debug" -> level; "text", "json" -> format; -1 when unknown. */
int log_parse_level(const char *s);
int log_parse_format(const char *s);

/* Set level and format, and buffer stdout (call before anything is written to it). */
void log_init(int level, int format);
void log_access(const log_rec *r);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap);
void log_flush(void);

#endif
