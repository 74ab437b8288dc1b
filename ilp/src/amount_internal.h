/*
 * amount_internal.h - the two implementations behind ilp_amount_convert(),
 * exported so that the unit tests can compare them on every target. Not a
 * public API: only ilp/src/amount.c and tests/unit/test_amount.c include it.
 * Both functions have exactly the contract of ilp_amount_convert().
 */
#ifndef ILP_AMOUNT_INTERNAL_H
#define ILP_AMOUNT_INTERNAL_H

#include <stdint.h>

#include "ilp/amount.h"

/* 128-bit arithmetic on two uint64_t words: builds on every target. */
int ilp_amount_convert_portable(uint64_t in, const struct ilp_rate *from,
				const struct ilp_rate *to,
				uint64_t *out) ILP_CHECK_RESULT;

#ifdef __SIZEOF_INT128__
/* The compiler's unsigned __int128 (64-bit targets only). */
#define ILP_AMOUNT_HAVE_I128 1
int ilp_amount_convert_i128(uint64_t in, const struct ilp_rate *from,
			    const struct ilp_rate *to,
			    uint64_t *out) ILP_CHECK_RESULT;
#endif

#endif /* ILP_AMOUNT_INTERNAL_H */
