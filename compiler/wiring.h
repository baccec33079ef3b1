/*
 * wiring.h -- wcspc wiring: the WCS command-line lines that point apps at the server and
 * enable the hooks the policy needs, and the check of what WCS says it has enabled.
 */
#ifndef WCSP_WIRING_H
#define WCSP_WIRING_H

#include <stdio.h>
#include "ast.h"
#include "lower.h"

/* url is a URL WCS can append "/METHOD" to: http:// or https://, no blank, quote, '\',
 * '?' or '#'. s is an appKey the WCS command line can take as one word. */
int wiring_url_ok(const char *url);
int wiring_key_ok(const char *s, size_t n);

/* Print the lines for app (NULL: every app the policy names, or defaultApp when it names
 * none) to out. 0; 1 when an app's key cannot be written on a command line; 2 when out
 * cannot be written. */
int wiring_print(const wpolicy *p, const lowered *l, const char *url, const char *app,
		 FILE *out);

/* Compare file ("-": the standard input), what WCS printed for `show app-rest-methods`,
 * with the policy, and print the differences to out. 0 when every app in it matches, 1
 * when one does not, 2 when file cannot be read, names no app where one is needed, or out
 * cannot be written. */
int wiring_check(const wpolicy *p, const lowered *l, const char *file, const char *app,
		 FILE *out);

#endif
