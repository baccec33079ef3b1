/*
 * lower.h -- a checked policy turned into the ABI tables (wcsp_abi.h), in memory.
 *
 * `pol` is a complete wcsp_policy: emit.c prints it as C, and `wcspc test` evaluates it with
 * the runtime's own wcsp_decide(). Every array it points to is one flat allocation owned
 * here, so the emitter writes each pointer as base + offset. Index arrays are uint32_t here
 * (width 4); the emitter narrows them. Beside the tables, lowering keeps what the emitted C
 * says in its comments: each rule's, override's, condition's and path's source text.
 */
#ifndef WCSP_LOWER_H
#define WCSP_LOWER_H

#include "ast.h"
#include "wcsp_abi.h"

typedef struct lowered {
	wcsp_policy pol;
	/* the flat arrays behind pol (counts where pol has none) */
	wcsp_str *methods;
	uint8_t *mtypes;
	wcsp_app *apps;
	wcsp_chain *chains;          /* [(napps + 1) * nmethods] */
	wcsp_rule *rules;
	wcsp_override *ovrs;
	uint32_t *items;             /* chain_items */
	uint32_t nitems;
	wcsp_cond *conds;
	uint32_t nconds;
	wcsp_path *paths;
	uint32_t npaths;
	wcsp_str *segs;
	uint32_t nsegs;
	wcsp_value *values;
	uint32_t nvalues;
	wcsp_tpart *tparts;
	uint32_t ntparts;
	wcsp_set *sets;
	char *pool;                  /* set keys' bytes */
	uint32_t npool;
	uint32_t *offs;              /* set_offsets: each set's n + 1, one set after another */
	uint32_t noffs;
	wcsp_cidr *accept;
	wcsp_key *keys;
	wcsp_token *tokens;
	uint32_t *token_keys;        /* each token's keys[] rows, one token after another */
	uint32_t ntoken_keys;
	wcsp_str *strs;              /* issuers, audiences, required claims */
	uint32_t nstrs;
	wcsp_str *tbodies, *treasons;/* each token's deny bodies and reasons, one after another */
	uint32_t ntbodies;
	wcsp_digest *digests;
	wcsp_index *indexes;
	uint32_t *targets;           /* index_targets */
	uint32_t ntargets;
	/* source text for the emitted comments, one per row */
	const char **rule_src, **ovr_src, **cond_src, **path_src, **set_src, **digest_src;
	/* with tests: each expectation's cond row (WCSP_NONE: none), tests then expectations
	 * in file order */
	uint32_t *expect_cond;
	char **owned;                /* every string the tables point to */
	int nowned, capowned;
	const char **srcnames;       /* input files in read order, for the banner */
	int nsrc;
	const char *rootdir;         /* the root policy's directory as given, "" or ending in '/' */
	size_t nrootdir;
} lowered;

/* Lower p (already checked without errors). Reports the per-(app, method) diagnostics;
 * returns 0, or -1 when one of them is an error. `source` names the root file. With
 * `tests`, the tests' expectations get cond rows too (expect_cond): tables for
 * `wcspc test`, never emitted. */
int lower_policy(const wpolicy *p, const char *source, lowered *out, int tests);
void lower_free(lowered *l);

/* The restClientConfig of appKey (or of the default row when NULL / not an app). */
wcsp_str lower_rcc(const lowered *l, const char *app);

#endif
