/*
 * catalog.h -- the WCS REST methods wcsp knows, with their type (wcs-rest-hooks.md,
 * Appendix A, and the method-type list of WCS's own documentation). The compiler's checks
 * read the type and the refusal rule, lowering the groups (direct, events, incoming, all);
 * the server's metrics label requests with the names.
 */
#ifndef WCSP_CATALOG_H
#define WCSP_CATALOG_H

#include <stddef.h>
#include "wcsp_abi.h"

enum cat_refuse {
	CAT_REFUSE_YES,          /* WCS honours a refusal (with restOnError FAIL) */
	CAT_REFUSE_UNADVISABLE,  /* possible but not useful: hangup, unPublishStream, stopStream */
	CAT_REFUSE_NO,           /* an event: it already happened */
	CAT_REFUSE_UNDOCUMENTED  /* WCS's pages do not say whether it honours a refusal */
};

typedef struct cat_method {
	const char *name;
	enum wcsp_method_type type;
	enum cat_refuse refuse;
	const char *adopts;      /* fields WCS is documented to take from an OVERWRITE reply */
} cat_method;

extern const cat_method cat_methods[];
extern const int cat_nmethods;

/* Index in cat_methods, or -1. */
int cat_find(const char *name, size_t n);

#endif
