/*
 * alloc_count.c - an LD_PRELOAD interposer that counts heap calls made
 * after the program says its start-up is over.
 *
 *   LD_PRELOAD=./alloc_count.so ILPD_ALLOC_REPORT=/tmp/r ./ilpd ...
 *
 * ilpd declares `extern void ilpd_alloc_mark(void) __attribute__((weak));`
 * and calls it once initialisation is done. Without this library the
 * symbol resolves to NULL and nothing happens; with it, the call "arms"
 * the counters. Every malloc, calloc, realloc, reallocarray, free (of a
 * non-NULL pointer), posix_memalign, aligned_alloc, memalign, valloc and
 * pvalloc after that point is counted.
 *
 * Report (file named by ILPD_ALLOC_REPORT, else stderr), one line:
 *   armed=1 allocs_after_mark=0 frees_after_mark=0 calls_before_mark=N exited=1
 * It is written once when armed (exited=0) and again at exit (exited=1),
 * so a process that died by a signal leaves exited=0 behind. Counting
 * stops when exit() starts (an atexit handler registered at the mark runs
 * before every earlier one), so the C library's own teardown is not
 * counted; the shutdown code in main() before exit() is. After it,
 * one line per recorded call site (the first ALLOC_SITES calls after the
 * mark): "site=0x... fn=malloc object=/path symbol=name+0x12".
 * ILPD_ALLOC_ABORT=1 calls abort() at the first counted call instead, so
 * a debugger or core dump shows the stack.
 *
 * IMPLEMENTATION NOTES
 * - The real functions come from dlsym(RTLD_NEXT, ...). dlsym itself may
 *   call calloc/malloc (for its error buffer) before we know the real
 *   calloc: those requests are served from a small static arena, and
 *   free()/realloc() recognise arena pointers and never pass them on.
 * - Counters are updated with __atomic builtins (relaxed), so a threaded
 *   program counts correctly; the site table is claimed with an atomic
 *   index.
 * - The report is written with open/write/snprintf on a stack buffer:
 *   nothing in the report path allocates (dladdr does not either).
 * - This file is a test tool, not part of ilpd: it is the one place in the
 *   tree that is *meant* to define malloc. It is built by tests/alloc/run.sh,
 *   not by CMake, so the no-heap check never sees it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARENA_SIZE (64 * 1024)
#define ALLOC_SITES 16

void ilpd_alloc_mark(void);
void *malloc(size_t n);
void *calloc(size_t k, size_t n);
void *realloc(void *p, size_t n);
void *reallocarray(void *p, size_t k, size_t n);
void free(void *p);
int posix_memalign(void **out, size_t align, size_t n);
void *aligned_alloc(size_t align, size_t n);
void *memalign(size_t align, size_t n);
void *valloc(size_t n);
void *pvalloc(size_t n);

typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);
typedef int (*pmemalign_fn)(void **, size_t, size_t);
typedef void *(*aligned_fn)(size_t, size_t);
typedef void *(*valloc_fn)(size_t);

static struct {
	malloc_fn malloc;
	calloc_fn calloc;
	realloc_fn realloc;
	free_fn free;
	pmemalign_fn posix_memalign;
	aligned_fn aligned_alloc;
	aligned_fn memalign;
	valloc_fn valloc;
	valloc_fn pvalloc;
} real;

static _Alignas(max_align_t) unsigned char arena[ARENA_SIZE];
static size_t arena_used;
static int resolving;          /* inside resolve(): serve from the arena */
static int resolved;

static int armed;
static int reported;           /* the exit report has been written */
static unsigned long long calls_before;
static unsigned long long allocs_after;
static unsigned long long frees_after;

struct site {
	void *caller;
	const char *fn;
};
static struct site sites[ALLOC_SITES];
static unsigned nsites;

static int is_arena(const void *p)
{
	const unsigned char *c = p;

	return c >= arena && c < arena + ARENA_SIZE;
}

static void *arena_take(size_t n)
{
	size_t a = _Alignof(max_align_t);
	size_t start = (arena_used + a - 1) / a * a;

	if (n > ARENA_SIZE - start)
		return NULL;
	arena_used = start + n;
	return arena + start;
}

static void *sym(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static void resolve(void)
{
	if (resolved)
		return;
	resolving = 1;
	*(void **)&real.malloc = sym("malloc");
	*(void **)&real.calloc = sym("calloc");
	*(void **)&real.realloc = sym("realloc");
	*(void **)&real.free = sym("free");
	*(void **)&real.posix_memalign = sym("posix_memalign");
	*(void **)&real.aligned_alloc = sym("aligned_alloc");
	*(void **)&real.memalign = sym("memalign");
	*(void **)&real.valloc = sym("valloc");
	*(void **)&real.pvalloc = sym("pvalloc");
	resolving = 0;
	resolved = 1;
	if (!real.malloc || !real.calloc || !real.realloc || !real.free) {
		static const char m[] = "alloc_count: dlsym(RTLD_NEXT) failed\n";
		ssize_t w = write(2, m, sizeof m - 1);

		(void)w;
		abort();
	}
}

static void count(const char *fn, void *caller)
{
	if (!__atomic_load_n(&armed, __ATOMIC_RELAXED)) {
		__atomic_fetch_add(&calls_before, 1, __ATOMIC_RELAXED);
		return;
	}
	if (fn[0] == 'f')
		__atomic_fetch_add(&frees_after, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&allocs_after, 1, __ATOMIC_RELAXED);
	unsigned i = __atomic_fetch_add(&nsites, 1, __ATOMIC_RELAXED);
	if (i < ALLOC_SITES) {
		sites[i].caller = caller;
		sites[i].fn = fn;
	}
	const char *ab = getenv("ILPD_ALLOC_ABORT");
	if (ab && ab[0] == '1')
		abort();
}

#define CALLER __builtin_return_address(0)

void *malloc(size_t n)
{
	if (resolving)
		return arena_take(n);
	resolve();
	count("malloc", CALLER);
	return real.malloc(n);
}

void *calloc(size_t k, size_t n)
{
	if (resolving) {
		/* The arena is zero (static) and never reused. */
		if (n && k > SIZE_MAX / n)
			return NULL;
		return arena_take(k * n);
	}
	resolve();
	count("calloc", CALLER);
	return real.calloc(k, n);
}

void *realloc(void *p, size_t n)
{
	if (resolving)
		return arena_take(n);   /* dlsym never reallocs in practice */
	resolve();
	count("realloc", CALLER);
	if (p && is_arena(p)) {
		void *q = real.malloc(n);

		if (q) {
			size_t have = (size_t)(arena + ARENA_SIZE -
					       (unsigned char *)p);
			memcpy(q, p, n < have ? n : have);
		}
		return q;
	}
	return real.realloc(p, n);
}

void *reallocarray(void *p, size_t k, size_t n)
{
	if (n && k > SIZE_MAX / n) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, k * n);
}

void free(void *p)
{
	if (!p || is_arena(p))
		return;
	resolve();
	count("free", CALLER);
	real.free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	resolve();
	count("posix_memalign", CALLER);
	return real.posix_memalign(out, align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	resolve();
	count("aligned_alloc", CALLER);
	return real.aligned_alloc(align, n);
}

void *memalign(size_t align, size_t n)
{
	resolve();
	count("memalign", CALLER);
	return real.memalign(align, n);
}

void *valloc(size_t n)
{
	resolve();
	count("valloc", CALLER);
	return real.valloc(n);
}

void *pvalloc(size_t n)
{
	resolve();
	count("pvalloc", CALLER);
	return real.pvalloc(n);
}

/* snprintf into a stack buffer never allocates for these formats. */
static void put(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put(int fd, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
	const char *c = buf;
	while (len > 0) {
		ssize_t w = write(fd, c, len);

		if (w <= 0)
			return;
		c += w;
		len -= (size_t)w;
	}
}

static void report(int exited, int armed_now)
{
	const char *path = getenv("ILPD_ALLOC_REPORT");
	int fd = 2;

	if (path && path[0]) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return;
	}
	put(fd, "armed=%d allocs_after_mark=%llu frees_after_mark=%llu "
	    "calls_before_mark=%llu exited=%d\n",
	    armed_now,
	    __atomic_load_n(&allocs_after, __ATOMIC_RELAXED),
	    __atomic_load_n(&frees_after, __ATOMIC_RELAXED),
	    __atomic_load_n(&calls_before, __ATOMIC_RELAXED), exited);
	unsigned n = __atomic_load_n(&nsites, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < n && i < ALLOC_SITES; i++) {
		Dl_info di;
		const char *obj = "?", *name = "?";
		uintptr_t off = 0;

		memset(&di, 0, sizeof di);
		if (dladdr(sites[i].caller, &di)) {
			obj = di.dli_fname ? di.dli_fname : "?";
			if (di.dli_sname) {
				name = di.dli_sname;
				off = (uintptr_t)sites[i].caller -
				      (uintptr_t)di.dli_saddr;
			} else {
				off = (uintptr_t)sites[i].caller -
				      (uintptr_t)di.dli_fbase;
			}
		}
		put(fd, "site=%p fn=%s object=%s symbol=%s+0x%lx\n",
		    sites[i].caller, sites[i].fn, obj, name,
		    (unsigned long)off);
	}
	if (fd != 2)
		close(fd);
}

/* Runs first among exit handlers (registered last): the window counted is
 * from the mark to exit(), not the C library's own teardown after it. */
static void alloc_count_exit(void)
{
	if (__atomic_exchange_n(&reported, 1, __ATOMIC_RELAXED))
		return;
	report(1, __atomic_load_n(&armed, __ATOMIC_RELAXED));
	__atomic_store_n(&armed, 0, __ATOMIC_RELAXED);
}

void ilpd_alloc_mark(void)
{
	if (__atomic_load_n(&armed, __ATOMIC_RELAXED) || reported)
		return;   /* a second mark changes nothing */
	/* Both may allocate: do them before arming. */
	if (atexit(alloc_count_exit) != 0)
		abort();
	report(0, 1);
	__atomic_store_n(&armed, 1, __ATOMIC_RELAXED);
}

/* A program that never marks still gets a report (armed=0). */
__attribute__((destructor)) static void alloc_count_fini(void)
{
	alloc_count_exit();
}
