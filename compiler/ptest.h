/*
 * ptest.h -- wcspc test: policy test cases run in process over the lowered tables.
 */
#ifndef WCSP_PTEST_H
#define WCSP_PTEST_H

#include "ast.h"
#include "lower.h"

/* Run every test of p over l (lowered with tests). Prints one line per failed expectation
 * and a summary; with coverage, the rules no test exercised. threshold < 0: none.
 * Returns 0, or 3 when a test failed or coverage is below the threshold. */
int ptest_run(const wpolicy *p, const lowered *l, int coverage, double threshold);

#endif
