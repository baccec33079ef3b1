/*
 * world.c -- loading a policy's keys and live sets from their files (see world.h).
 *
 * A file is read whole (regular files only, bounded), then handed to the loader of the
 * policy's tokens (wcsp_jwt_impl.load_key, which knows public keys) or else of its digests
 * (secrets only). A live set file has the format of a compiled set file: one value a line,
 * blanks around it dropped, `#` comments, UTF-8, no NUL; its keys are stored as a compiled
 * set's (canonical 's' keys, sorted by wcsp_key_cmp, distinct).
 * Every error is one line naming the file; a world is either wholly loaded or not at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "crypto.h"
#include "utf8.h"
#include "world.h"

static unsigned epochs;

/* path relative to dir, in buf */
static const char *resolve(const char *dir, const char *path, char *buf, size_t n)
{
	if (path[0] == '/' || !dir || !*dir)
		return path;
	snprintf(buf, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", path);
	return buf;
}

/* The bytes of a regular file of at most max bytes (NUL-terminated), or NULL with why. The
 * kind is checked before the file is opened (a FIFO would block) and again on the open file;
 * stdio reads it, so that the compiler's fuzz target can confine what it reads. */
static char *world_read(const char *path, size_t max, size_t *len, const char **why)
{
	struct stat st;
	if (stat(path, &st)) {
		*why = strerror(errno);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = S_ISDIR(st.st_mode) ? "it is a directory" : "it is not a regular file";
		return NULL;
	}
	FILE *f = fopen(path, "rbe");
	if (!f || fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		*why = f ? "it is not a regular file" : strerror(errno);
		if (f)
			fclose(f);
		return NULL;
	}
	if ((unsigned long long)st.st_size > max) {
		fclose(f);
		*why = "it is too large";
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	int err = ferror(f);
	fclose(f);
	if (!buf || err) {
		*why = buf ? strerror(EIO) : "out of memory";
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

typedef struct skey {
	const char *s;
	uint32_t n;
} skey;

static int skey_order(const void *a, const void *b)
{
	const skey *x = a, *y = b;
	return wcsp_key_cmp(x->s, x->n, y->s, y->n);
}

/* A live set file into s; 0, or -1 with a message (line numbers from 1). */
static int load_set(const char *text, size_t len, wcsp_liveset *s, char *why, size_t whylen)
{
	size_t cap = 0, n = 0, bytes = 0;
	skey *keys = NULL;
	int line = 1, rc = -1;
	for (const char *p = text, *end = text + len; p < end; line++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *a = p, *b;
		if (!eol)
			eol = end;
		b = eol;
		while (a < b && (*a == ' ' || *a == '\t' || *a == '\r'))
			a++;
		for (const char *h = a; h < b; h++)
			if (*h == '#' && (h == a || h[-1] == ' ' || h[-1] == '\t')) {
				b = h;
				break;
			}
		while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
			b--;
		p = eol + 1;
		if (b == a)
			continue;
		if (memchr(a, 0, (size_t)(b - a)) ||
		    utf8_check(a, (size_t)(b - a)) < (size_t)(b - a)) {
			snprintf(why, whylen, "line %d: %s", line, memchr(a, 0, (size_t)(b - a)) ?
				 "NUL byte in a value" : "invalid UTF-8 in a value");
			goto out;
		}
		if (n == cap) {
			skey *k = realloc(keys, (cap = cap ? cap * 2 : 256) * sizeof *keys);
			if (!k)
				goto oom;
			keys = k;
		}
		keys[n++] = (skey){ a, (uint32_t)(b - a) };
		bytes += (size_t)(b - a) + 1;
	}
	qsort(keys, n, sizeof *keys, skey_order);
	s->pool = malloc(bytes ? bytes : 1);
	s->off = malloc((n + 1) * sizeof *s->off);
	if (!s->pool || !s->off)
		goto oom;
	uint32_t at = 0;
	s->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && !skey_order(&keys[i - 1], &keys[i]))
			continue;
		s->off[s->n++] = at;
		s->pool[at++] = 's';            /* the canonical key of a string */
		memcpy(s->pool + at, keys[i].s, keys[i].n);
		at += keys[i].n;
	}
	s->off[s->n] = at;
	rc = 0;
	goto out;
oom:
	snprintf(why, whylen, "out of memory");
out:
	free(keys);
	return rc;
}

static void free_keys(const wcsp_policy *p, wcsp_keyset *ks)
{
	wcsp_key_freer *f = p->jwt ? p->jwt->free_keys : p->digest ? p->digest->free_keys : NULL;
	if (f)
		f(ks);
}

void world_free(wcsp_world *w)
{
	if (!w)
		return;
	for (uint32_t i = 0; w->keys && i < w->p->nkeys; i++)
		free_keys(w->p, &w->keys[i]);
	for (uint32_t i = 0; w->sets && i < w->p->nsets; i++) {
		free(w->sets[i].pool);
		free(w->sets[i].off);
	}
	free(w->keys);
	free(w->sets);
	free(w->open_secret);
	free(w);
}

static void fail(char *err, size_t errlen, const char *what, const char *name, const char *file,
		 const char *why)
{
	snprintf(err, errlen, "cannot load %s '%s' from %s: %s", what, name, file, why);
}

wcsp_world *world_load(const wcsp_policy *p, const char *dir, char *err, size_t errlen)
{
	wcsp_world *w = calloc(1, sizeof *w);
	char path[4096], why[256];
	if (!w || !(w->keys = calloc(p->nkeys + 1, sizeof *w->keys)) ||
	    !(w->sets = calloc(p->nsets + 1, sizeof *w->sets)) ||
	    !(w->open_secret = calloc(p->nkeys + 1, 1))) {
		snprintf(err, errlen, "out of memory");
		world_free(w);
		return NULL;
	}
	w->p = p;
	w->epoch = ++epochs;
	w->loaded = (long long)time(NULL);
	wcsp_key_loader *load = p->jwt ? p->jwt->load_key : p->digest ? p->digest->load_key : NULL;
	for (uint32_t i = 0; i < p->nkeys; i++) {
		const char *file = resolve(dir, p->keys[i].file, path, sizeof path), *e = NULL;
		size_t n;
		char *text = world_read(file, WORLD_FILE_MAX, &n, &e);
		if (!text || !load || load(text, n, &w->keys[i], why, sizeof why)) {
			fail(err, errlen, "key", p->keys[i].name.s, file, text ? (load ? why :
			     "no token or digest of the policy uses keys") : e);
			if (text)
				memset(text, 0, n); /* key bytes do not linger in freed memory */
			free(text);
			w->p = p;
			world_free(w);
			return NULL;
		}
		memset(text, 0, n);
		free(text);
		struct stat st;
		for (int k = 0; k < w->keys[i].n; k++)
			w->open_secret[i] |= w->keys[i].ent[k].kind == WK_SECRET &&
					     !stat(file, &st) && (st.st_mode & 077);
	}
	for (uint32_t i = 0; i < p->nsets; i++) {
		if (!p->sets[i].file)
			continue;
		const char *file = resolve(dir, p->sets[i].file, path, sizeof path), *e = NULL;
		size_t n;
		char *text = world_read(file, WORLD_SET_MAX, &n, &e);
		if (!text || load_set(text, n, &w->sets[i], why, sizeof why)) {
			snprintf(err, errlen, "cannot load live set from %s: %s", file,
				 text ? why : e);
			free(text);
			world_free(w);
			return NULL;
		}
		free(text);
	}
	return w;
}

uint32_t world_nlive(const wcsp_policy *p)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < p->nsets; i++)
		n += p->sets[i].file != NULL;
	return n;
}

int world_set_has(const wcsp_world *w, uint32_t s, const char *k, size_t kn)
{
	const wcsp_liveset *set = &w->sets[s];
	return wcsp_pool_find(set->pool, (wcsp_ixs){ set->off, 4 }, 0, set->n, k, kn) != WCSP_NONE;
}
