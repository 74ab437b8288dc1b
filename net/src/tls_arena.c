/*
 * tls_arena.c - a fixed static arena for mbedTLS's calloc/free (see
 * net/tls_arena.h for how the linker routes them here).
 *
 * IMPLEMENTATION NOTES
 * - Layout: the arena is one static array cut into blocks that tile it
 *   from start to end. Each block starts with a header { prev_size, size }
 *   (boundary tag): size counts the header and is a multiple of
 *   TA_ALIGN, its bit 0 says "in use"; prev_size is the size of the block
 *   just before it (0 for the first), so both neighbours are found in
 *   O(1) and freed blocks coalesce at once: no two free blocks are ever
 *   adjacent.
 * - Free blocks sit in segregated lists by size class: bin k holds sizes
 *   in [2^k, 2^(k+1)), doubly linked through the first two words of the
 *   payload, with a bitmap of non-empty bins. An allocation scans its own
 *   bin first-fit, then takes the head of the next non-empty bin (every
 *   block there is big enough), and splits off the remainder when it can
 *   hold a minimum block. mbedTLS allocates many small bignum limbs during
 *   a handshake, so the common case is a short scan of a small bin.
 * - calloc zeroes the requested bytes; overflow of nmemb * size and an
 *   exhausted arena (or the test limit) give NULL and count a failure.
 * - free of a pointer outside the arena goes to the real free (see the
 *   header: another library's malloc). A pointer inside the arena that is
 *   not the start of an allocated block (double free, corruption) is
 *   ignored and counted in invalid_frees: never a crash on the data path.
 * - Under AddressSanitizer the arena poisons what mbedTLS must not touch:
 *   free payloads (but their two link words) and the slack after each
 *   allocation, so ASan builds still catch overflows and use-after-free
 *   inside the arena. Headers stay addressable.
 */
#include "net/tls_arena.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/net_opts.h"

#if defined(__SANITIZE_ADDRESS__)
#define TA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TA_ASAN 1
#endif
#endif
#ifdef TA_ASAN
#include <sanitizer/asan_interface.h>
#define TA_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define TA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define TA_POISON(p, n) ((void)(p), (void)(n))
#define TA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* The real free of libc (resolved by the linker's --wrap=free). */
void __real_free(void *ptr);

struct ta_hdr {
	size_t prev_size;
	size_t size;                  /* bit 0: in use */
};

struct ta_links {
	struct ta_hdr *next;
	struct ta_hdr *prev;
};

#define TA_ALIGN (alignof(max_align_t))
#define TA_ROUND(n) (((n) + TA_ALIGN - 1) & ~(size_t)(TA_ALIGN - 1))
#define TA_HDR TA_ROUND(sizeof(struct ta_hdr))
#define TA_MIN_BLOCK (TA_HDR + TA_ROUND(sizeof(struct ta_links)))
#define TA_USED ((size_t)1)
#define TA_NBINS 48
#define TA_CAP (ILPD_TLS_ARENA_BYTES / TA_ALIGN * TA_ALIGN)

_Static_assert(ILPD_TLS_ARENA_BYTES >= 4096, "ILPD_TLS_ARENA_BYTES too small");
_Static_assert((TA_ALIGN & (TA_ALIGN - 1)) == 0 && TA_ALIGN >= 2, "alignment");

static union {
	max_align_t align;
	uint8_t bytes[ILPD_TLS_ARENA_BYTES];
} ta_mem;

static struct {
	bool ready;
	unsigned long long binmap;
	struct ta_hdr *bins[TA_NBINS];
	size_t limit;
	struct tls_arena_stats st;
} ta;

static uint8_t *ta_base(void)
{
	return ta_mem.bytes;
}

static size_t ta_size(const struct ta_hdr *b)
{
	return b->size & ~TA_USED;
}

static bool ta_used(const struct ta_hdr *b)
{
	return (b->size & TA_USED) != 0;
}

static struct ta_links *ta_links(struct ta_hdr *b)
{
	return (struct ta_links *)(void *)((uint8_t *)b + TA_HDR);
}

static struct ta_hdr *ta_next(struct ta_hdr *b)
{
	uint8_t *n = (uint8_t *)b + ta_size(b);

	return n < ta_base() + TA_CAP ? (struct ta_hdr *)(void *)n : NULL;
}

static struct ta_hdr *ta_prev(struct ta_hdr *b)
{
	if ((uint8_t *)b == ta_base())
		return NULL;
	return (struct ta_hdr *)(void *)((uint8_t *)b - b->prev_size);
}

static unsigned ta_bin(size_t size)
{
	unsigned k = 63u - (unsigned)__builtin_clzll((unsigned long long)size);

	return k < TA_NBINS ? k : TA_NBINS - 1;
}

/* Poisons a free block's payload, all but its link words. */
static void ta_poison_free(struct ta_hdr *b)
{
	size_t keep = TA_HDR + sizeof(struct ta_links);

	TA_UNPOISON((uint8_t *)b, keep);
	TA_POISON((uint8_t *)b + keep, ta_size(b) - keep);
}

static void ta_insert(struct ta_hdr *b)
{
	unsigned k = ta_bin(ta_size(b));
	struct ta_links *l;

	ta_poison_free(b);
	l = ta_links(b);
	l->prev = NULL;
	l->next = ta.bins[k];
	if (l->next)
		ta_links(l->next)->prev = b;
	ta.bins[k] = b;
	ta.binmap |= 1ull << k;
}

static void ta_remove(struct ta_hdr *b)
{
	unsigned k = ta_bin(ta_size(b));
	struct ta_links *l = ta_links(b);

	if (l->prev)
		ta_links(l->prev)->next = l->next;
	else
		ta.bins[k] = l->next;
	if (l->next)
		ta_links(l->next)->prev = l->prev;
	if (!ta.bins[k])
		ta.binmap &= ~(1ull << k);
}

static void ta_init(void)
{
	struct ta_hdr *b = (struct ta_hdr *)(void *)ta_base();

	TA_UNPOISON(ta_base(), TA_CAP);
	b->prev_size = 0;
	b->size = TA_CAP;
	ta_insert(b);
	ta.st.capacity = TA_CAP;
	ta.ready = true;
}

/* A free block of at least need bytes, removed from its bin, or NULL. */
static struct ta_hdr *ta_find(size_t need)
{
	unsigned k = ta_bin(need);
	struct ta_hdr *b;
	unsigned long long above;

	for (b = ta.bins[k]; b; b = ta_links(b)->next) {
		if (ta_size(b) >= need) {
			ta_remove(b);
			return b;
		}
	}
	if (k + 1 >= TA_NBINS)
		return NULL;
	above = ta.binmap & ~((2ull << k) - 1);
	if (!above)
		return NULL;
	b = ta.bins[__builtin_ctzll(above)];
	ta_remove(b);
	return b;
}

/* Cuts b (free, out of the bins) to need bytes; the rest becomes free. */
static void ta_split(struct ta_hdr *b, size_t need)
{
	size_t have = ta_size(b);
	struct ta_hdr *rest, *after;

	if (have - need < TA_MIN_BLOCK)
		return;
	rest = (struct ta_hdr *)(void *)((uint8_t *)b + need);
	TA_UNPOISON(rest, TA_HDR);
	rest->prev_size = need;
	rest->size = have - need;
	b->size = need;
	after = ta_next(rest);
	if (after)
		after->prev_size = rest->size;
	ta_insert(rest);
}

static void *ta_alloc(size_t bytes)
{
	size_t need, sz;
	struct ta_hdr *b;
	uint8_t *p;

	if (!ta.ready)
		ta_init();
	if (bytes > TA_CAP)
		goto fail;
	need = TA_HDR + TA_ROUND(bytes);
	if (need < TA_MIN_BLOCK)
		need = TA_MIN_BLOCK;
	if (ta.limit && ta.st.in_use + need > ta.limit)
		goto fail;
	b = ta_find(need);
	if (!b)
		goto fail;
	ta_split(b, need);
	b->size |= TA_USED;
	sz = ta_size(b);
	p = (uint8_t *)b + TA_HDR;
	TA_UNPOISON(p, bytes);
	TA_POISON(p + bytes, sz - TA_HDR - bytes);
	memset(p, 0, bytes);
	ta.st.in_use += sz;
	if (ta.st.in_use > ta.st.high_water)
		ta.st.high_water = ta.st.in_use;
	ta.st.blocks++;
	ta.st.allocs++;
	return p;
fail:
	ta.st.failures++;
	return NULL;
}

/* The block whose payload starts at p, or NULL if p is not one. */
static struct ta_hdr *ta_block_of(uint8_t *p)
{
	struct ta_hdr *b;

	if (((size_t)(p - ta_base()) & (TA_ALIGN - 1)) != 0 ||
	    p < ta_base() + TA_HDR)
		return NULL;
	b = (struct ta_hdr *)(void *)(p - TA_HDR);
	if (!ta_used(b) || ta_size(b) < TA_MIN_BLOCK ||
	    ta_size(b) > (size_t)(ta_base() + TA_CAP - (uint8_t *)b))
		return NULL;
	return b;
}

static void ta_release(struct ta_hdr *b)
{
	struct ta_hdr *n, *p;

	b->size &= ~TA_USED;
	ta.st.in_use -= ta_size(b);
	ta.st.blocks--;
	ta.st.frees++;
	p = ta_prev(b);
	if (p && !ta_used(p)) {
		ta_remove(p);
		p->size += ta_size(b);
		b = p;
	}
	n = ta_next(b);
	if (n && !ta_used(n)) {
		ta_remove(n);
		b->size += ta_size(n);
	}
	n = ta_next(b);
	if (n)
		n->prev_size = ta_size(b);
	ta_insert(b);
}

void *__wrap_calloc(size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size) {
		ta.st.failures++;
		return NULL;
	}
	return ta_alloc(nmemb * size);
}

void __wrap_free(void *ptr)
{
	uint8_t *p = ptr;
	struct ta_hdr *b;

	if (!p)
		return;
	if (p < ta_base() || p >= ta_base() + TA_CAP) {
		ta.st.foreign_frees++;
		__real_free(ptr);
		return;
	}
	b = ta.ready ? ta_block_of(p) : NULL;
	if (!b) {
		ta.st.invalid_frees++;
		return;
	}
	ta_release(b);
}

void tls_arena_stats(struct tls_arena_stats *st)
{
	struct tls_arena_stats s;
	struct ta_hdr *b;
	unsigned k;

	if (!ta.ready)
		ta_init();
	s = ta.st;
	s.largest_free = 0;
	if (ta.binmap) {
		k = 63u - (unsigned)__builtin_clzll(ta.binmap);
		for (b = ta.bins[k]; b; b = ta_links(b)->next)
			if (ta_size(b) - TA_HDR > s.largest_free)
				s.largest_free = ta_size(b) - TA_HDR;
	}
	*st = s;
}

unsigned long tls_arena_failures(void)
{
	return ta.st.failures;
}

void tls_arena_reset_high_water(void)
{
	ta.st.high_water = ta.st.in_use;
}

void tls_arena_set_limit(size_t limit)
{
	ta.limit = limit;
}

/* Counts the free blocks in the bins, checking each is in its right bin. */
static int ta_count_bins(size_t *nfree)
{
	unsigned k;
	struct ta_hdr *b;

	*nfree = 0;
	for (k = 0; k < TA_NBINS; k++) {
		if (!ta.bins[k] != !(ta.binmap & (1ull << k)))
			return -1;
		for (b = ta.bins[k]; b; b = ta_links(b)->next) {
			if (ta_used(b) || ta_bin(ta_size(b)) != k)
				return -1;
			(*nfree)++;
		}
	}
	return 0;
}

int tls_arena_check(void)
{
	uint8_t *p, *end = ta_base() + TA_CAP;
	size_t prev = 0, used = 0, nused = 0, nfree = 0, inbins;
	bool prev_free = false;

	if (!ta.ready)
		ta_init();
	for (p = ta_base(); p < end;) {
		struct ta_hdr *b = (struct ta_hdr *)(void *)p;
		size_t sz = ta_size(b);

		if (b->prev_size != prev || sz < TA_MIN_BLOCK || sz % TA_ALIGN ||
		    sz > (size_t)(end - p))
			return -1;
		if (ta_used(b)) {
			used += sz;
			nused++;
			prev_free = false;
		} else {
			if (prev_free)
				return -1;         /* missed coalescing */
			nfree++;
			prev_free = true;
		}
		prev = sz;
		p += sz;
	}
	if (ta_count_bins(&inbins) != 0 || inbins != nfree)
		return -1;
	return used == ta.st.in_use && nused == ta.st.blocks ? 0 : -1;
}
