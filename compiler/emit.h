/*
 * emit.h -- lowered tables to C source.
 */
#ifndef WCSP_EMIT_H
#define WCSP_EMIT_H

#include <stdio.h>
#include "lower.h"

#define WCSPC_VERSION "0.1.0"

void emit_c(const lowered *l, FILE *f);

#endif
