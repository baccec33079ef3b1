/*
 * alloc-count.c -- an LD_PRELOAD object that counts heap allocations, split by who called.
 *
 *   LD_PRELOAD=alloc-count.so ALLOC_COUNT_OUT=FILE ./server ...
 *
 * malloc, calloc, realloc (a growth, not a shrink), posix_memalign, aligned_alloc and
 * memalign are counted in two counters: "main" when the caller (the return address) lies in
 * the main executable (a wcsp server: the runtime, the tables and main.o), "libs" for every
 * other caller (libmicrohttpd, libc itself, ...). At exit the counts go to FILE as
 *
 *   main N
 *   libs N
 *
 * tests/alloc.sh runs a server twice, with 200 and with 1,200 requests on one kept-alive
 * connection, and divides the difference by 1,000: the allocations a request costs at
 * steady state, start-up and shutdown cancelled. glibc only: the real functions are its
 * __libc_* entry points, so no dlsym (which allocates) is needed.
 */
#define _GNU_SOURCE
#include <link.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static atomic_ulong n_main, n_libs;
static uintptr_t lo = 1, hi;       /* the main executable's loaded range; empty until known */

static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
		if (hi == 0 || a < lo)
			lo = a;
		if (b > hi)
			hi = b;
	}
	return 1;                  /* the first object is the main program */
}

__attribute__((constructor)) static void start(void)
{
	dl_iterate_phdr(first_object, NULL);
}

__attribute__((destructor)) static void finish(void)
{
	const char *path = getenv("ALLOC_COUNT_OUT");
	FILE *f = path != NULL ? fopen(path, "w") : NULL;

	if (f == NULL)
		return;
	fprintf(f, "main %lu\nlibs %lu\n", atomic_load(&n_main), atomic_load(&n_libs));
	fclose(f);
}

static void count(const void *caller)
{
	uintptr_t a = (uintptr_t)caller;

	atomic_fetch_add_explicit(a >= lo && a < hi ? &n_main : &n_libs, 1, memory_order_relaxed);
}

void *malloc(size_t n)
{
	count(__builtin_return_address(0));
	return __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
	count(__builtin_return_address(0));
	return __libc_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
	if (p == NULL || n > malloc_usable_size(p))
		count(__builtin_return_address(0));
	return __libc_realloc(p, n);
}

int posix_memalign(void **p, size_t align, size_t n)
{
	count(__builtin_return_address(0));
	*p = __libc_memalign(align, n);
	return *p != NULL ? 0 : 12;   /* ENOMEM */
}

void *aligned_alloc(size_t align, size_t n)
{
	count(__builtin_return_address(0));
	return __libc_memalign(align, n);
}

void *memalign(size_t align, size_t n)
{
	count(__builtin_return_address(0));
	return __libc_memalign(align, n);
}
