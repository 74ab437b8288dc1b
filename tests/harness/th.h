/*
 * th.h - the unit-test harness: checks that count and report, never abort,
 * so one run shows every failure. A test file defines test functions, lists
 * them in main() with TH_RUN, and returns th_finish(), which prints
 * "N passed, N failed" and exits non-zero on any failure.
 */
#ifndef TH_H
#define TH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern int th_failed_checks;

void th_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void th_run(const char *name, void (*fn)(void));
int th_finish(void);

/* Hex helpers: th_unhex returns the byte count or -1 on bad hex. */
long th_unhex(const char *hex, uint8_t *out, size_t cap);
void th_hex(const uint8_t *p, size_t n, char *out /* 2n+1 */);

#define TH_RUN(fn) th_run(#fn, fn)

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			th_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);     \
	} while (0)

#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		long long th_a_ = (long long)(a), th_b_ = (long long)(b);    \
		if (th_a_ != th_b_)                                          \
			th_fail(__FILE__, __LINE__, "%s == %lld, want %s == %lld", \
				#a, th_a_, #b, th_b_);                       \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                   \
	do {                                                                 \
		unsigned long long th_a_ = (unsigned long long)(a);          \
		unsigned long long th_b_ = (unsigned long long)(b);          \
		if (th_a_ != th_b_)                                          \
			th_fail(__FILE__, __LINE__, "%s == %llu, want %llu", \
				#a, th_a_, th_b_);                           \
	} while (0)

#define CHECK_MEM(a, b, n)                                                   \
	do {                                                                 \
		if (memcmp((a), (b), (n)) != 0)                              \
			th_fail(__FILE__, __LINE__, "memcmp(%s, %s, %s) != 0", \
				#a, #b, #n);                                 \
	} while (0)

#endif /* TH_H */
