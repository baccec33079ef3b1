/*
 * wcsp_abi.h -- the table ABI: the one header the compiler and the runtime share.
 *
 * wcspc lowers a policy into a `wcsp_policy` (compiler/lower.c) and either prints it as
 * static const C (compiler/emit.c) or evaluates it in process (`wcspc test`). The runtime
 * (runtime/decide.c) only ever reads these tables; it never sees the AST.
 *
 * All indexes are uint32_t into the arrays of the same policy. WCSP_NONE marks "no entry".
 * The two long index arrays (chain_items, set_offsets) are stored in the narrowest unsigned
 * type that holds their largest entry (wcsp_ixs); read them with wcsp_ix().
 * Strings are (pointer, length) pairs: policy strings are decoded JSON and may hold NUL.
 *
 * Layout, from the request inwards:
 *
 *   methods[]   sorted by name (memcmp order, shorter first on a tie): the methods some
 *               block covers, plus "connect" always. Binary search gives the method index m.
 *   apps[]      sorted by appKey; apps[napps] (one past the end) is the row for requests
 *               whose appKey names no `app` block: it holds the blocks outside any app.
 *   app.chains  [nmethods] rows, one per method: the rules and overrides that cover
 *               (app, method), already in file order. Evaluation walks one row, nothing else.
 *   rules[]     allow/deny statements; overrides[]: override statements. Each carries its
 *               guard (a cond index) and its source location "file:line".
 *   conds[]     a tree of condition nodes (children before parents is not guaranteed).
 *   paths[]     field paths: arrays of decoded key segments, in the request or in a
 *               token's claims.
 *   values[]    constants and field references used by predicates and overrides.
 *   sets[]      sorted canonical keys (see wcsp_set) for O(log n) membership; the keys'
 *               bytes live in one char pool, addressed by set_offsets, so a 100,000-entry
 *               set costs no pointer (and no load-time relocation) per entry.
 *   app.rcc     the JSON text of the restClientConfig the connect reply of that app carries
 *               (empty: the app covers no method besides connect; connect is a pure echo).
 *   keys[]      `key NAME = file "PATH"`: names and paths only. The server reads the files
 *               at start and on SIGHUP (runtime/world.c); no key byte is ever in the tables.
 *   tokens[]    `token NAME = jwt PATH key ...`: where the token is, which keys verify it,
 *               what its claims must say, and the deny bodies of its failures.
 *   digests[]   `md5("...") hex` and the like: a hash or HMAC over a template, encoded.
 *   indexes[]   runs of rules guarded by `path == constant` (or `in`) on one path, found
 *               with one lookup (wcsp_index); the rules keep their guards, so a plain walk
 *               decides the same.
 * Policies with tokens or digests point at the code that checks them (jwt, digest), so a
 * policy without them links none of it.
 */
#ifndef WCSP_ABI_H
#define WCSP_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define WCSP_ABI_VERSION 5u
#define WCSP_NONE 0xffffffffu

typedef struct wcsp_str {
	const char *s;
	uint32_t n;
} wcsp_str;

/* An array of indexes, each `width` bytes (1, 2 or 4), in the machine's byte order. */
typedef struct wcsp_ixs {
	const void *v;
	uint8_t width;
} wcsp_ixs;

static inline uint32_t wcsp_ix(wcsp_ixs a, uint32_t i)
{
	if (a.width == 1)
		return ((const uint8_t *)a.v)[i];
	if (a.width == 2)
		return ((const uint16_t *)a.v)[i];
	return ((const uint32_t *)a.v)[i];
}

/* A field path: nseg decoded key segments, `custom."user-id"` -> {"custom", "user-id"}.
 * token != WCSP_NONE: the segments name a claim of that token (`viewer.sub` -> {"sub"}). */
typedef struct wcsp_path {
	const wcsp_str *seg;
	uint32_t nseg;
	uint32_t token;
} wcsp_path;

enum wcsp_value_kind {
	WCSP_V_STRING,   /* str: decoded text; json: its JSON encoding with quotes */
	WCSP_V_NUMBER,   /* num: value; json: the JSON text as written */
	WCSP_V_TRUE,     /* json: true */
	WCSP_V_FALSE,    /* json: false */
	WCSP_V_NULL,     /* json: null */
	WCSP_V_PATH,     /* path: a request field (raw JSON copied for overrides) */
	WCSP_V_TEMPLATE, /* parts[part_first .. +nparts]: a string with ${path} interpolations */
	WCSP_V_NOW,      /* num: seconds added to the request's clock (now + num) */
	WCSP_V_DIGEST    /* path: the digests[] row to compute */
};

typedef struct wcsp_value {
	uint8_t kind;
	double num;
	wcsp_str str;
	wcsp_str json;
	uint32_t path;
	uint32_t part_first, nparts;
} wcsp_value;

/* One piece of a template: literal text, a field, or (in a digest's template) a key's
 * secret bytes. An override's literals are JSON-escaped text; a digest's the raw bytes. */
typedef struct wcsp_tpart {
	uint32_t path;   /* WCSP_NONE: literal or key */
	wcsp_str lit;
	uint32_t key;    /* WCSP_NONE, or keys[] row */
} wcsp_tpart;

/* A digest: alg over the template's bytes (HMAC keyed by keys[key]), encoded as enc. */
enum wcsp_hash { WCSP_H_MD5, WCSP_H_SHA1, WCSP_H_SHA256, WCSP_H_SHA512 };
enum wcsp_encoding { WCSP_E_HEX, WCSP_E_BASE64, WCSP_E_BASE64URL };

typedef struct wcsp_digest {
	uint8_t hash;    /* enum wcsp_hash */
	uint8_t enc;     /* enum wcsp_encoding */
	uint32_t key;    /* HMAC: keys[] row; WCSP_NONE: a plain hash */
	uint32_t part_first, nparts;
} wcsp_digest;

enum wcsp_cond_op {
	WCSP_C_AND,     /* a, b: conds */
	WCSP_C_OR,      /* a, b: conds */
	WCSP_C_NOT,     /* a: cond */
	WCSP_C_EQ,      /* a: path, b: value */
	WCSP_C_NE,      /* a: path, b: value; false when either side is missing */
	WCSP_C_LT,      /* a: path, b: value (a number) */
	WCSP_C_LE,
	WCSP_C_GT,
	WCSP_C_GE,
	WCSP_C_GLOB,    /* a: path, b: value (a string pattern: '*' any run, '?' one char) */
	WCSP_C_IN,      /* a: path, b: set */
	WCSP_C_EXISTS,  /* a: path */
	WCSP_C_VALID,   /* a: token: it verified, and its claims passed */
	WCSP_C_IN_ARRAY /* a: path, b: path to an array holding an element equal to a */
};

typedef struct wcsp_cond {
	uint8_t op;
	uint32_t a, b;
} wcsp_cond;

/*
 * A set: n canonical keys sorted by wcsp_key_cmp(). Key i is set_pool[o(i) .. o(i + 1))
 * with o(i) = wcsp_ix(set_offsets, first + i): each set has n + 1 offsets.
 * Canonical key of a JSON value: 's' + decoded string bytes; wcsp_number_key() of a number;
 * "t", "f", "z" for true, false, null.
 */
typedef struct wcsp_set {
	uint32_t first;
	uint32_t n;
	const char *file;   /* a live set: read at start and on SIGHUP; NULL: compiled in */
} wcsp_set;

/* Key order: bytes (memcmp) over the shorter length, then the shorter first. */
int wcsp_key_cmp(const char *a, size_t an, const char *b, size_t bn);

/* The first 8 bytes at p when wide, else the first 4: a word to compare, no call. */
static inline uint64_t wcsp_word(const unsigned char *p, int wide)
{
	uint64_t w8;
	uint32_t w4;

	if (wide)
		return memcpy(&w8, p, 8), w8;
	return memcpy(&w4, p, 4), w4;
}

/* a[0 .. n) == b[0 .. n). Inline, as the keys and values a request compares are mostly
 * short: 4 to 16 bytes take two overlapping words a side, no call to memcmp. */
static inline int wcsp_mem_eq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	if (n >= 4 && n <= 16) {
		int wide = n >= 8;
		size_t last = n - (wide ? 8 : 4);
		return ((wcsp_word(x, wide) ^ wcsp_word(y, wide)) |
			(wcsp_word(x + last, wide) ^ wcsp_word(y + last, wide))) == 0;
	}
	if (n > 16)
		return memcmp(a, b, n) == 0;
	return n == 0 || (x[0] == y[0] && x[n / 2] == y[n / 2] && x[n - 1] == y[n - 1]);
}

/* Binary search for k in n strings sorted by wcsp_key_cmp, the first at v and each stride
 * bytes after the one before (the names of a table's rows); its index, or WCSP_NONE. */
uint32_t wcsp_str_search(const wcsp_str *v, uint32_t n, size_t stride, const char *k, size_t kn);

/* Where k is among the n keys first .. first + n - 1 of a pool, sorted by wcsp_key_cmp, key
 * i being pool[wcsp_ix(off, i) .. wcsp_ix(off, i + 1)): its position (0 .. n - 1), or
 * WCSP_NONE. A binary search. */
uint32_t wcsp_pool_find(const char *pool, wcsp_ixs off, uint32_t first, uint32_t n,
			const char *k, size_t kn);

/* The canonical key of a number: 'n' and "%.17g" of it (-0 as 0). out has room for
 * WCSP_NUMBER_KEY bytes; returns the length. */
#define WCSP_NUMBER_KEY 32
size_t wcsp_number_key(double v, char *out);

enum wcsp_rule_kind { WCSP_R_ALLOW, WCSP_R_DENY };

typedef struct wcsp_rule {
	uint8_t kind;
	uint16_t status;     /* deny: 400..599; allow: 200 */
	uint32_t cond;       /* WCSP_NONE: unconditional */
	wcsp_str body;       /* deny: the JSON reply body, {"error":"denied","reason":...} */
	const char *loc;     /* "file:line" */
	uint32_t token;      /* a deny `unless valid T` without a reason: T, whose failure is the
	                        reason (tokens[T].bodies); WCSP_NONE otherwise */
	uint32_t index;      /* WCSP_NONE, or the indexes[] row of the run this rule starts */
} wcsp_rule;

/*
 * A run of nrules consecutive rules of one block (rule rows r .. r + nrules - 1, and as many
 * consecutive chain items wherever the block applies), each guarded by `path == constant`,
 * `path in {...}` or `path in SET` (compiled) on the same path, with no other rule between:
 * the first of them that holds is found with one lookup instead of nrules. sets[set] holds
 * the canonical keys that satisfy some rule of the run; key i (in sorted order) is satisfied
 * first by rule r + wcsp_ix(index_targets, target_first + i). A value whose key is not there
 * satisfies none (a missing field, an object or an array, none either).
 */
typedef struct wcsp_index {
	uint32_t path;
	uint32_t nrules;
	uint32_t set;
	uint32_t target_first;
} wcsp_index;

typedef struct wcsp_override {
	uint32_t path;       /* the field written */
	uint32_t value;      /* what is written */
	uint32_t cond;       /* WCSP_NONE: unconditional */
	const char *loc;
} wcsp_override;

/* The rules and overrides that cover one (app, method): index ranges into chain_items. */
typedef struct wcsp_chain {
	uint32_t rule_first, nrules;  /* chain_items[rule_first ..]: indexes into rules[] */
	uint32_t ovr_first, novr;     /* chain_items[ovr_first ..]: indexes into overrides[] */
} wcsp_chain;

typedef struct wcsp_app {
	wcsp_str key;                 /* appKey; the default row has n == 0 */
	const wcsp_chain *chains;     /* [nmethods] */
	wcsp_str rcc;                 /* restClientConfig JSON object text, or n == 0 */
} wcsp_app;

enum wcsp_method_type {
	WCSP_MT_CONNECT, WCSP_MT_DIRECT, WCSP_MT_EVENT, WCSP_MT_INCOMING, WCSP_MT_CUSTOM
};

/* A key's name and file, as the policy wrote them. */
typedef struct wcsp_key {
	wcsp_str name;
	const char *file;
} wcsp_key;

/* JWS algorithms, as bits of wcsp_token.algs. */
enum wcsp_alg {
	WCSP_A_HS256, WCSP_A_HS384, WCSP_A_HS512, WCSP_A_RS256, WCSP_A_RS384, WCSP_A_RS512,
	WCSP_A_PS256, WCSP_A_ES256, WCSP_A_ES384, WCSP_A_EDDSA, WCSP_NALGS
};
extern const char *const wcsp_alg_names[WCSP_NALGS];

/* Why a token is not valid: the index of its deny body, and of its reason text. A missing
 * required claim i is WCSP_T_CLAIM + i. */
enum wcsp_token_failure {
	WCSP_T_MISSING, WCSP_T_MALFORMED, WCSP_T_ALGORITHM, WCSP_T_KEY_UNKNOWN, WCSP_T_SIGNATURE,
	WCSP_T_EXPIRED, WCSP_T_NOT_YET, WCSP_T_ISSUER, WCSP_T_AUDIENCE, WCSP_T_CLAIM
};
extern const char *const wcsp_token_reasons[WCSP_T_CLAIM];   /* "token missing", ... */

/* A JWT: read from the request field paths[path], verified by one of the keys
 * token_keys[key_first .. +nkeys], its algorithm one of algs (bits of enum wcsp_alg), its
 * claims checked against strs[iss_first ..] (issuers), strs[aud_first ..] (audiences) and
 * strs[claim_first ..] (claims that must be there), exp and nbf with leeway seconds. */
typedef struct wcsp_token {
	wcsp_str name;
	uint32_t path;
	uint32_t key_first, nkeys;
	uint32_t algs;
	uint32_t iss_first, niss;
	uint32_t aud_first, naud;
	uint32_t claim_first, nclaims;
	uint32_t leeway;
	const wcsp_str *bodies;       /* [WCSP_T_CLAIM + nclaims]: the deny body of each failure */
	const wcsp_str *reasons;      /* [WCSP_T_CLAIM + nclaims]: its reason, for the access log */
} wcsp_token;

/* The code of tokens and of digests (runtime/crypto.h): tables point at it when they need it. */
struct wcsp_jwt_ops;
struct wcsp_digest_ops;
extern const struct wcsp_jwt_ops wcsp_jwt_impl;
extern const struct wcsp_digest_ops wcsp_digest_impl;

/* One allowed caller range for `accept from`: 16 address bytes (IPv4 as ::ffff:a.b.c.d). */
typedef struct wcsp_cidr {
	uint8_t addr[16];
	uint8_t prefix;               /* 0..128, counted on the 16-byte form */
} wcsp_cidr;

typedef struct wcsp_policy {
	uint32_t abi;                 /* WCSP_ABI_VERSION */
	const char *name;             /* `policy "..."`, or the file name */
	const char *source;           /* the policy file as given to wcspc */
	const char *hash;             /* sha256 hex of every input byte, in read order */

	const wcsp_str *methods;      /* [nmethods], sorted */
	const uint8_t *method_types;  /* [nmethods], enum wcsp_method_type */
	uint32_t nmethods;
	uint32_t connect;             /* index of "connect" in methods[] */

	const wcsp_app *apps;         /* [napps + 1], sorted, default row last */
	uint32_t napps;

	const wcsp_rule *rules;
	uint32_t nrules;
	const wcsp_override *overrides;
	uint32_t noverrides;
	wcsp_ixs chain_items;
	const wcsp_cond *conds;
	const wcsp_path *paths;
	const wcsp_value *values;
	const wcsp_tpart *tparts;
	const wcsp_set *sets;
	uint32_t nsets;
	wcsp_ixs set_offsets;
	const char *set_pool;         /* the bytes of every set's keys */

	uint8_t require_signature;
	const wcsp_cidr *accept;      /* [naccept]; naccept == 0: every caller */
	uint32_t naccept;

	const wcsp_key *keys;
	uint32_t nkeys;
	const wcsp_token *tokens;
	uint32_t ntokens;
	const uint32_t *token_keys;   /* keys[] rows, each token's in a run */
	const wcsp_str *strs;         /* issuers, audiences, claim names */
	const wcsp_digest *digests;
	uint32_t ndigests;
	const struct wcsp_jwt_ops *jwt;        /* NULL: no token */
	const struct wcsp_digest_ops *digest;  /* NULL: no digest */

	const wcsp_index *indexes;
	uint32_t nindexes;
	wcsp_ixs index_targets;
} wcsp_policy;

/* The symbol generated code defines and the server's main() reads. */
extern const wcsp_policy wcsp_compiled_policy;

#endif
