/*
 * fuzz_util.h - shared helpers for the libFuzzer targets in tests/fuzz.
 *
 * FUZZ_CHECK states a property the code under test promises; a violation
 * traps, so libFuzzer records it as a crash with the input that caused it.
 * Memory errors are found by ASan/UBSan; these checks find logic bugs.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ilp/ilp_err.h"

/* The libFuzzer entry point every target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                     \
	do {                                                                 \
		if (!(cond))                                                 \
			__builtin_trap();                                    \
	} while (0)

/* True if r is one of the codes a decoder may return. */
static inline int fuzz_decode_result_ok(int r)
{
	return r == ILP_OK || r == ILP_ERR_NEED_MORE || r == ILP_ERR_INVALID ||
	       r == ILP_ERR_UNSUPPORTED;
}

/* True if a[0..an) and b[0..bn) hold the same bytes. */
static inline int fuzz_same(const uint8_t *a, size_t an, const uint8_t *b,
			    size_t bn)
{
	if (an != bn)
		return 0;
	return an == 0 || memcmp(a, b, an) == 0;
}

/* Consumes up to n bytes from a fuzz input as a big-endian integer. */
static inline uint64_t fuzz_take(const uint8_t **p, const uint8_t *end,
				 size_t n)
{
	uint64_t v = 0;

	while (n-- > 0 && *p < end) {
		v = (v << 8) | **p;
		(*p)++;
	}
	return v;
}

#endif /* FUZZ_UTIL_H */
