/*
 * emit.c -- prints lowered tables as C: a banner, then one `static const` array per table,
 * then `wcsp_compiled_policy`. Output depends only on the tables, so the same policy gives
 * the same bytes. Pointers into the flat arrays are written as `base + offset`; empty arrays
 * are written as NULL (C has no empty initialisers). Each rule, override, condition, path and
 * set row carries the source text it came from in a comment; the two long index arrays
 * (chain_items, set_offsets) are written in the narrowest unsigned type that holds them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ast.h"
#include "emit.h"

/* A C string literal: printable ASCII as is (but not '?', to keep clear of trigraphs),
 * everything else as a three-digit octal escape. */
static void cstr(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f && c != '?')
			fputc(c, f);
		else
			fprintf(f, "\\%03o", c);
	}
	fputc('"', f);
}

/* Text inside a C comment, from the policy: printable ASCII only, and nothing that ends
 * the comment, opens another or forms a trigraph. */
static void ctext(FILE *f, const char *s)
{
	for (char prev = 0; *s; prev = *s++) {
		char c = *s >= 0x20 && *s < 0x7f ? *s : '?';
		if ((prev == '*' && c == '/') || (prev == '/' && c == '*') ||
		    (prev == '?' && c == '?'))
			fputc('\\', f);
		fputc(c, f);
	}
}

static void comment(FILE *f, const char *text)
{
	fputs("\t/* ", f);
	ctext(f, text);
	fputs(" */", f);
}

/* Strings longer than ISO C's translation limit for a literal (4095 bytes) are written
 * as char arrays ahead of the tables: collected here while the tables are printed. */
#define LONG_LITERAL 4000
static wcsp_str *longs;
static int nlongs, caplongs;

static void wstr_lit(FILE *f, wcsp_str s)
{
	if (s.n > LONG_LITERAL) {
		if (nlongs == caplongs)
			longs = xrealloc(longs, (size_t)(caplongs = caplongs ? caplongs * 2 : 4) *
							sizeof *longs);
		longs[nlongs] = s;
		fprintf(f, "{long_%d, %u}", nlongs++, s.n);
		return;
	}
	fputc('{', f);
	cstr(f, s.s, s.n);
	fprintf(f, ", %u}", s.n);
}

/* A file name inside the banner comment: a star followed by a slash must not end it. */
static void banner_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		fputc(*s, f);
		if (s[0] == '*' && s[1] == '/')
			fputc(' ', f);
	}
}

/*
 * Bytes as adjacent string literals, about 72 columns a line: what a C compiler reads
 * fastest (a byte array of numbers costs it ten times more), built here without stdio's
 * formatting (which cost wcspc two thirds of its time on a 200,000-entry set). Printable
 * ASCII stands as itself but for '"', '\\' and '?'; every other byte is a three-digit octal
 * escape, which no following digit can extend.
 */
#define ISO_LITERAL 4095        /* the longest string literal C11 promises to take */
static int overlength;          /* a blob longer than that was written */

static void blob(FILE *f, const char *s, size_t n)
{
	char line[128];
	size_t k = 0;
	overlength |= n > ISO_LITERAL;
	do {
		size_t o = 0;
		line[o++] = '\t';
		line[o++] = '"';
		for (; k < n && o < 76; k++) {
			unsigned char c = (unsigned char)s[k];
			if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
				line[o++] = (char)c;
				continue;
			}
			line[o++] = '\\';
			line[o++] = (char)('0' + (c >> 6));
			line[o++] = (char)('0' + (c >> 3 & 7));
			line[o++] = (char)('0' + (c & 7));
		}
		line[o++] = '"';
		line[o++] = '\n';
		fwrite(line, 1, o, f);
	} while (k < n);
}

static void long_arrays(FILE *f)
{
	for (int i = 0; i < nlongs; i++) {
		fprintf(f, "\nstatic const char long_%d[%u] =\n", i, longs[i].n + 1);
		blob(f, longs[i].s, longs[i].n);
		fputs(";\n", f);
	}
	free(longs);
	longs = NULL;
	nlongs = caplongs = 0;
}

static void idx(FILE *f, uint32_t v)
{
	if (v == WCSP_NONE)
		fputs("WCSP_NONE", f);
	else
		fprintf(f, "%u", v);
}

static const char *const value_kind[] = {
	"WCSP_V_STRING", "WCSP_V_NUMBER", "WCSP_V_TRUE", "WCSP_V_FALSE", "WCSP_V_NULL",
	"WCSP_V_PATH", "WCSP_V_TEMPLATE", "WCSP_V_NOW", "WCSP_V_DIGEST"
};
_Static_assert(sizeof value_kind / sizeof *value_kind == WCSP_V_DIGEST + 1,
	       "one name per enum wcsp_value_kind");
static const char *const cond_op[] = {
	"WCSP_C_AND", "WCSP_C_OR", "WCSP_C_NOT", "WCSP_C_EQ", "WCSP_C_NE", "WCSP_C_LT", "WCSP_C_LE",
	"WCSP_C_GT", "WCSP_C_GE", "WCSP_C_GLOB", "WCSP_C_IN", "WCSP_C_EXISTS", "WCSP_C_VALID",
	"WCSP_C_IN_ARRAY"
};
_Static_assert(sizeof cond_op / sizeof *cond_op == WCSP_C_IN_ARRAY + 1,
	       "one name per enum wcsp_cond_op");
static const char *const hash_name[] = { "WCSP_H_MD5", "WCSP_H_SHA1", "WCSP_H_SHA256",
					 "WCSP_H_SHA512" };
_Static_assert(sizeof hash_name / sizeof *hash_name == WCSP_H_SHA512 + 1,
	       "one name per enum wcsp_hash");
static const char *const enc_name[] = { "WCSP_E_HEX", "WCSP_E_BASE64", "WCSP_E_BASE64URL" };
_Static_assert(sizeof enc_name / sizeof *enc_name == WCSP_E_BASE64URL + 1,
	       "one name per enum wcsp_encoding");
static const char *const method_type[] = {
	"WCSP_MT_CONNECT", "WCSP_MT_DIRECT", "WCSP_MT_EVENT", "WCSP_MT_INCOMING", "WCSP_MT_CUSTOM"
};
_Static_assert(sizeof method_type / sizeof *method_type == WCSP_MT_CUSTOM + 1,
	       "one name per enum wcsp_method_type");

#define OPEN(f, type, name, n)                                                                     \
	do {                                                                                       \
		if (n)                                                                             \
			fprintf(f, "\nstatic const %s %s[%u] = {\n", type, name, (unsigned)(n));   \
	} while (0)
#define CLOSE(f, n) do { if (n) fputs("};\n", f); } while (0)

static void str_array(FILE *f, const char *name, const wcsp_str *v, uint32_t n)
{
	OPEN(f, "wcsp_str", name, n);
	for (uint32_t i = 0; i < n; i++) {
		fputc('\t', f);
		wstr_lit(f, v[i]);
		fputs(",\n", f);
	}
	CLOSE(f, n);
}

/* Decimal digits of v ending at end; returns where they start. */
static char *digits(char *end, uint32_t v)
{
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

#define BLOB_INDEXES 4096       /* longer index arrays are written as bytes (index_array) */

/*
 * An index array in the narrowest type; returns its width in bytes (0 when empty). Up to
 * BLOB_INDEXES entries it is a C array of numbers, 16 to a line; a longer one (a large set's
 * offsets) is its little-endian bytes in a string literal, aligned by a union (NAME_le.c),
 * which a compiler reads several times faster. The emitted C then refuses a big-endian
 * target.
 */
static int index_array(FILE *f, const char *name, const uint32_t *v, uint32_t n)
{
	uint32_t max = 0;
	for (uint32_t i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	int width = max <= 0xff ? 1 : max <= 0xffff ? 2 : 4;
	if (n > BLOB_INDEXES) {
		char *b = xmalloc((size_t)n * (size_t)width);
		for (uint32_t i = 0; i < n; i++)
			for (int k = 0; k < width; k++)
				b[(size_t)i * (size_t)width + (size_t)k] = (char)(v[i] >> 8 * k);
		fprintf(f, "\n#if defined(__BYTE_ORDER__) && "
			"__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__\n"
			"#error \"%s is written little-endian\"\n#endif\n"
			"static const union {\n\tchar c[%zu];\n\tuint%d_t align;\n} %s_le = {\n",
			name, (size_t)n * (size_t)width + 1, 8 * width, name);
		blob(f, b, (size_t)n * (size_t)width);
		fputs("};\n", f);
		free(b);
		return width;
	}
	OPEN(f, width == 1 ? "uint8_t" : width == 2 ? "uint16_t" : "uint32_t", name, n);
	char line[16 * 12 + 4];
	for (uint32_t i = 0; i < n; i += 16) {
		size_t o = 0;
		line[o++] = '\t';
		for (uint32_t k = i; k < n && k < i + 16; k++) {
			char num[12], *d = digits(num + sizeof num, v[k]);
			memcpy(line + o, d, (size_t)(num + sizeof num - d));
			o += (size_t)(num + sizeof num - d);
			line[o++] = ',';
			line[o++] = k + 1 < n && k + 1 < i + 16 ? ' ' : '\n';
		}
		fwrite(line, 1, o, f);
	}
	CLOSE(f, n);
	return n ? width : 0;
}

static void ref(FILE *f, const char *base, const void *p, const void *start, size_t size)
{
	if (!p)
		fputs("NULL", f);
	else
		fprintf(f, "%s + %zu", base,
			(size_t)((const char *)p - (const char *)start) / size);
}

static void banner(const lowered *l, FILE *out)
{
	fprintf(out, "/*\n * Generated by wcspc %s from ", WCSPC_VERSION);
	banner_text(out, l->pol.source);
	fprintf(out, " -- do not edit.\n * sha256 %s of its input, in read order:\n", l->pol.hash);
	for (int i = 0; i < l->nsrc; i++) {
		fputs(" *   ", out);
		banner_text(out, l->srcnames[i]);
		fputc('\n', out);
	}
	fputs(" */\n#include <stddef.h>\n#include <stdint.h>\n#include \"wcsp_abi.h\"\n", out);
}

/* Field paths, values, template pieces, conditions. */
static void emit_conditions(const lowered *l, FILE *f)
{
	str_array(f, "segs", l->segs, l->nsegs);

	OPEN(f, "wcsp_path", "paths", l->npaths);
	for (uint32_t i = 0; i < l->npaths; i++) {
		fprintf(f, "\t{segs + %zu, %u, ", (size_t)(l->paths[i].seg - l->segs),
			l->paths[i].nseg);
		idx(f, l->paths[i].token);
		fputs("},", f);
		comment(f, l->path_src[i]);
		fputc('\n', f);
	}
	CLOSE(f, l->npaths);

	OPEN(f, "wcsp_value", "values", l->nvalues);
	for (uint32_t i = 0; i < l->nvalues; i++) {
		const wcsp_value *v = &l->values[i];
		fprintf(f, "\t{%s, %.17g, ", value_kind[v->kind], v->num);
		wstr_lit(f, v->str.s ? v->str : (wcsp_str){ "", 0 });
		fputs(", ", f);
		wstr_lit(f, v->json.s ? v->json : (wcsp_str){ "", 0 });
		fputs(", ", f);
		idx(f, v->path);
		fputs(", ", f);
		idx(f, v->part_first);
		fprintf(f, ", %u},\n", v->nparts);
	}
	CLOSE(f, l->nvalues);

	OPEN(f, "wcsp_tpart", "tparts", l->ntparts);
	for (uint32_t i = 0; i < l->ntparts; i++) {
		fputs("\t{", f);
		idx(f, l->tparts[i].path);
		fputs(", ", f);
		wstr_lit(f, l->tparts[i].lit);
		fputs(", ", f);
		idx(f, l->tparts[i].key);
		fputs("},\n", f);
	}
	CLOSE(f, l->ntparts);

	OPEN(f, "wcsp_digest", "digests", l->pol.ndigests);
	for (uint32_t i = 0; i < l->pol.ndigests; i++) {
		const wcsp_digest *d = &l->digests[i];
		fprintf(f, "\t{%s, %s, ", hash_name[d->hash], enc_name[d->enc]);
		idx(f, d->key);
		fprintf(f, ", %u, %u},", d->part_first, d->nparts);
		comment(f, l->digest_src[i]);
		fputc('\n', f);
	}
	CLOSE(f, l->pol.ndigests);

	OPEN(f, "wcsp_cond", "conds", l->nconds);
	for (uint32_t i = 0; i < l->nconds; i++) {
		fprintf(f, "\t{%s, %u, %u},", cond_op[l->conds[i].op], l->conds[i].a,
			l->conds[i].b);
		comment(f, l->cond_src[i]);
		fputc('\n', f);
	}
	CLOSE(f, l->nconds);
}

/* Set keys: one byte pool and offsets, no pointer per key. Returns the offsets' width. */
static int emit_sets(const lowered *l, FILE *f)
{
	if (l->npool && l->npool <= LONG_LITERAL) {        /* readable when it may be */
		fputs("\nstatic const char set_pool[] =\n\t", f);
		cstr(f, l->pool, l->npool);
		fputs(";\n", f);
	} else if (l->npool) {
		fprintf(f, "\nstatic const char set_pool[%u] =\n", l->npool + 1);
		blob(f, l->pool, l->npool);
		fputs(";\n", f);
	}
	int width = index_array(f, "set_offsets", l->offs, l->noffs);
	OPEN(f, "wcsp_set", "sets", l->pol.nsets);
	for (uint32_t i = 0; i < l->pol.nsets; i++) {
		fprintf(f, "\t{%u, %u, ", l->sets[i].first, l->sets[i].n);
		if (l->sets[i].file)
			cstr(f, l->sets[i].file, strlen(l->sets[i].file));
		else
			fputs("NULL", f);
		fputs("},", f);
		comment(f, l->set_src[i]);
		fputc('\n', f);
	}
	CLOSE(f, l->pol.nsets);
	return width;
}

static int target_width;        /* index_targets' width, once written */

/* Rules, their indexes, overrides and their chains. Returns chain_items' width. */
static int emit_rules(const lowered *l, FILE *f)
{
	const wcsp_policy *p = &l->pol;
	OPEN(f, "wcsp_rule", "rules", p->nrules);
	for (uint32_t i = 0; i < p->nrules; i++) {
		const wcsp_rule *r = &l->rules[i];
		comment(f, l->rule_src[i]);
		fprintf(f, "\n\t{%s, %u, ", r->kind == WCSP_R_DENY ? "WCSP_R_DENY" : "WCSP_R_ALLOW",
			r->status);
		idx(f, r->cond);
		fputs(", ", f);
		wstr_lit(f, r->body);
		fputs(", ", f);
		cstr(f, r->loc, strlen(r->loc));
		fputs(", ", f);
		idx(f, r->token);
		fputs(", ", f);
		idx(f, r->index);
		fputs("},\n", f);
	}
	CLOSE(f, p->nrules);

	OPEN(f, "wcsp_index", "indexes", p->nindexes);
	for (uint32_t i = 0; i < p->nindexes; i++) {
		const wcsp_index *x = &l->indexes[i];
		fprintf(f, "\t{%u, %u, %u, %u},\n", x->path, x->nrules, x->set, x->target_first);
	}
	CLOSE(f, p->nindexes);
	target_width = index_array(f, "index_targets", l->targets, l->ntargets);

	OPEN(f, "wcsp_override", "overrides", p->noverrides);
	for (uint32_t i = 0; i < p->noverrides; i++) {
		const wcsp_override *o = &l->ovrs[i];
		comment(f, l->ovr_src[i]);
		fprintf(f, "\n\t{%u, %u, ", o->path, o->value);
		idx(f, o->cond);
		fputs(", ", f);
		cstr(f, o->loc, strlen(o->loc));
		fputs("},\n", f);
	}
	CLOSE(f, p->noverrides);

	int width = index_array(f, "chain_items", l->items, l->nitems);
	uint32_t nchains = (p->napps + 1) * p->nmethods;
	fputs("\n/* one row per (app, method): rules, then overrides, as ranges of chain_items */",
	      f);
	OPEN(f, "wcsp_chain", "chains", nchains);
	for (uint32_t i = 0; i < nchains; i++) {
		const wcsp_chain *c = &l->chains[i];
		const wcsp_str *app = &l->apps[i / p->nmethods].key,
			       *m = &l->methods[i % p->nmethods];
		char what[160];
		snprintf(what, sizeof what, "%.*s / %.*s",
			 i / p->nmethods < p->napps ? (int)app->n : 9,
			 i / p->nmethods < p->napps ? app->s : "(default)", (int)m->n, m->s);
		fprintf(f, "\t{%u, %u, %u, %u},", c->rule_first, c->nrules, c->ovr_first, c->novr);
		comment(f, what);
		fputc('\n', f);
	}
	CLOSE(f, nchains);
	return width;
}

/* Keys (names and files only: key material is never compiled in) and tokens. */
static void emit_tokens(const lowered *l, FILE *f)
{
	const wcsp_policy *p = &l->pol;
	OPEN(f, "wcsp_key", "keys", p->nkeys);
	for (uint32_t i = 0; i < p->nkeys; i++) {
		fputs("\t{", f);
		wstr_lit(f, l->keys[i].name);
		fputs(", ", f);
		cstr(f, l->keys[i].file, strlen(l->keys[i].file));
		fputs("},\n", f);
	}
	CLOSE(f, p->nkeys);
	OPEN(f, "uint32_t", "token_keys", l->ntoken_keys);
	for (uint32_t i = 0; i < l->ntoken_keys; i++)
		fprintf(f, "\t%u,\n", l->token_keys[i]);
	CLOSE(f, l->ntoken_keys);
	str_array(f, "strs", l->strs, l->nstrs);
	str_array(f, "token_bodies", l->tbodies, l->ntbodies);
	str_array(f, "token_reasons", l->treasons, l->ntbodies);
	OPEN(f, "wcsp_token", "tokens", p->ntokens);
	for (uint32_t i = 0; i < p->ntokens; i++) {
		const wcsp_token *t = &l->tokens[i];
		fputs("\t{", f);
		wstr_lit(f, t->name);
		fprintf(f,
			", %u, %u, %u, 0x%x, %u, %u, %u, %u, %u, %u, %u,\n\t token_bodies + %zu, "
			"token_reasons + %zu},\n",
			t->path, t->key_first, t->nkeys, t->algs, t->iss_first, t->niss,
			t->aud_first, t->naud, t->claim_first, t->nclaims, t->leeway,
			(size_t)(t->bodies - l->tbodies), (size_t)(t->reasons - l->treasons));
	}
	CLOSE(f, p->ntokens);
}

void emit_c(const lowered *l, FILE *out)
{
	const wcsp_policy *p = &l->pol;
	char *text;
	size_t len;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		fputs("wcspc: out of memory\n", stderr);
		exit(1);
	}
	overlength = 0;
	emit_conditions(l, f);
	int off_width = emit_sets(l, f);
	int item_width = emit_rules(l, f);
	emit_tokens(l, f);

	OPEN(f, "wcsp_app", "apps", p->napps + 1);
	for (uint32_t a = 0; a <= p->napps; a++) {
		fputs("\t{", f);
		wstr_lit(f, l->apps[a].key);
		fputs(", ", f);
		ref(f, "chains", p->nmethods ? l->apps[a].chains : NULL, l->chains,
		    sizeof *l->chains);
		fputs(",\n\t ", f);
		wstr_lit(f, l->apps[a].rcc);
		fputs("},\n", f);
	}
	CLOSE(f, p->napps + 1);

	str_array(f, "methods", l->methods, p->nmethods);
	OPEN(f, "uint8_t", "method_types", p->nmethods);
	for (uint32_t i = 0; i < p->nmethods; i++)
		fprintf(f, "\t%s,\n", method_type[l->mtypes[i]]);
	CLOSE(f, p->nmethods);

	if (p->naccept) {
		OPEN(f, "wcsp_cidr", "accept", p->naccept);
		for (uint32_t i = 0; i < p->naccept; i++) {
			fputs("\t{{", f);
			for (int k = 0; k < 16; k++)
				fprintf(f, "%s%u", k ? ", " : "", l->accept[i].addr[k]);
			fprintf(f, "}, %u},\n", l->accept[i].prefix);
		}
		CLOSE(f, p->naccept);
	}

	fputs("\nconst wcsp_policy wcsp_compiled_policy = {\n", f);
	fprintf(f, "\t.abi = %u,\n\t.name = ", p->abi);      /* the number: the runtime compares */
	cstr(f, p->name, strlen(p->name));
	fputs(",\n\t.source = ", f);
	cstr(f, p->source, strlen(p->source));
	fprintf(f, ",\n\t.hash = \"%s\",\n", p->hash);
#define FIELD(field, name, n) fprintf(f, "\t." field " = %s,\n", (n) ? name : "NULL")
/* a wcsp_ixs: the array, or its little-endian blob past BLOB_INDEXES entries, and its width */
#define IXS(name, n, width) fprintf(f, "\t." name " = { %s, %d },\n", !(n) ? "NULL" : \
	(n) > BLOB_INDEXES ? name "_le.c" : name, width)
	FIELD("methods", "methods", p->nmethods);
	FIELD("method_types", "method_types", p->nmethods);
	fprintf(f, "\t.nmethods = %u,\n\t.connect = %u,\n", p->nmethods, p->connect);
	fprintf(f, "\t.apps = apps,\n\t.napps = %u,\n", p->napps);
	FIELD("rules", "rules", p->nrules);
	fprintf(f, "\t.nrules = %u,\n", p->nrules);
	FIELD("overrides", "overrides", p->noverrides);
	fprintf(f, "\t.noverrides = %u,\n", p->noverrides);
	IXS("chain_items", l->nitems, item_width);
	FIELD("conds", "conds", l->nconds);
	FIELD("paths", "paths", l->npaths);
	FIELD("values", "values", l->nvalues);
	FIELD("tparts", "tparts", l->ntparts);
	FIELD("sets", "sets", p->nsets);
	fprintf(f, "\t.nsets = %u,\n", p->nsets);
	IXS("set_offsets", l->noffs, off_width);
	fprintf(f, "\t.set_pool = %s,\n", l->npool ? "set_pool" : "\"\"");
	fprintf(f, "\t.require_signature = %u,\n", p->require_signature);
	FIELD("accept", "accept", p->naccept);
	fprintf(f, "\t.naccept = %u,\n", p->naccept);
	FIELD("keys", "keys", p->nkeys);
	fprintf(f, "\t.nkeys = %u,\n", p->nkeys);
	FIELD("tokens", "tokens", p->ntokens);
	fprintf(f, "\t.ntokens = %u,\n", p->ntokens);
	FIELD("token_keys", "token_keys", l->ntoken_keys);
	FIELD("strs", "strs", l->nstrs);
	FIELD("digests", "digests", p->ndigests);
	fprintf(f, "\t.ndigests = %u,\n", p->ndigests);
	/* the code of tokens and digests is linked only when the tables point at it */
	FIELD("jwt", "&wcsp_jwt_impl", p->ntokens);
	FIELD("digest", "&wcsp_digest_impl", p->ndigests);
	FIELD("indexes", "indexes", p->nindexes);
	fprintf(f, "\t.nindexes = %u,\n", p->nindexes);
	IXS("index_targets", l->ntargets, target_width);
	fputs("};\n", f);
#undef FIELD
#undef IXS
	fclose(f);
	banner(l, out);
	for (int i = 0; i < nlongs; i++)
		overlength |= longs[i].n > ISO_LITERAL;
	if (overlength)         /* a blob is longer than ISO C promises a literal can be */
		fputs("#pragma GCC diagnostic ignored \"-Woverlength-strings\"\n", out);
	long_arrays(out);
	fwrite(text, 1, len, out);
	free(text);
}
