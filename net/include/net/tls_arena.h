/*
 * tls_arena.h - the fixed static arena that mbedTLS allocates from (the
 * mbedTLS backend of net/tls.h only).
 *
 * Debian's mbedTLS 2.28 is built without MBEDTLS_PLATFORM_MEMORY, so it
 * calls libc's calloc() and free() directly. Executables that link the
 * mbedTLS backend are linked with -Wl,--wrap=calloc -Wl,--wrap=free (set
 * on the `net` target): every reference to calloc/free in the objects and
 * static libraries of the link (mbedTLS's among them) then resolves to
 * __wrap_calloc/__wrap_free below. glibc's own internal callers (fopen,
 * ...) are not affected: they live in libc.so.
 *
 *   __wrap_calloc  carves from ILPD_TLS_ARENA_BYTES of static memory and
 *                  returns NULL when the arena (or the test limit) is
 *                  exhausted; mbedTLS reports that as *_ALLOC_FAILED and
 *                  the TLS engine as TLS_ERR_INTERNAL.
 *   __wrap_free    returns arena blocks; a pointer from outside the arena
 *                  came from libc's malloc in some other library of the
 *                  link (Debian's libinih.a refers to malloc, realloc and
 *                  free: its free is wrapped too) and is handed to the real
 *                  free (__real_free), counted in foreign_frees.
 *
 * Only static libraries are wrapped: a shared libmbedtls.so would keep
 * calling glibc (toolchain/deps.cmake links the .a files). The link also
 * gets -u __wrap_calloc/__wrap_free so this object is always pulled in.
 *
 * Memory: ILPD_TLS_ARENA_BYTES (net_opts.h) of .bss; 16 bytes of header
 * per block on 64-bit targets (8 on 32-bit), payloads aligned for
 * max_align_t. Thread: none (ilpd runs one event loop; the allocator has
 * no lock).
 */
#ifndef NET_TLS_ARENA_H
#define NET_TLS_ARENA_H

#include <stddef.h>

struct tls_arena_stats {
	size_t capacity;       /* bytes usable for blocks (headers included) */
	size_t in_use;         /* bytes in allocated blocks, headers included */
	size_t high_water;     /* largest in_use since start or the last reset */
	size_t largest_free;   /* the biggest single allocation possible now */
	size_t blocks;         /* allocated blocks */
	unsigned long allocs;  /* successful calloc calls */
	unsigned long frees;   /* arena blocks freed */
	unsigned long failures;       /* calloc calls answered with NULL */
	unsigned long foreign_frees;  /* non-arena pointers passed to free */
	unsigned long invalid_frees;  /* arena pointers that were not a live block */
};

/* Copies the current statistics into st. */
void tls_arena_stats(struct tls_arena_stats *st);

/* Allocations refused so far (cheap; the engine compares it around
 * mbedTLS calls to tell an exhausted arena from other failures). */
unsigned long tls_arena_failures(void);

/* Sets high_water to the current in_use (to measure one phase). */
void tls_arena_reset_high_water(void);

/* Test hook: refuse any allocation that would take in_use above limit
 * bytes (0 = no limit, the default). Simulates an exhausted arena. */
void tls_arena_set_limit(size_t limit);

/* Checks the arena's invariants (block chain, free lists, counters);
 * 0 if consistent, -1 if not. For tests; walks every block. */
int tls_arena_check(void);

/* The linker-wrapped allocator entry points (see above). Not for direct
 * use by ilpd code, which never allocates. */
void *__wrap_calloc(size_t nmemb, size_t size);
void __wrap_free(void *ptr);

#endif /* NET_TLS_ARENA_H */
