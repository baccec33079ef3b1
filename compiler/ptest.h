/*
 * ptest.h -- wcspc test: policy test cases run in process over the lowered tables.
 */
#ifndef WCSP_PTEST_H
#define WCSP_PTEST_H

#include "ast.h"
#include "lower.h"

/* Run every test of p over l (lowered with tests), key files and live sets read relative to
 * data_dir (NULL: the policy's directory). Prints one line per failed expectation
 * and a summary; with coverage, the rules no test exercised. threshold < 0: none.
 * Returns 0, 1 when a key file or live set cannot be read, or 3 when a test failed or
 * coverage is below the threshold. */
int ptest_run(const wpolicy *p, const lowered *l, const char *data_dir, int coverage,
	      double threshold);

#endif
