/*
 * amount.h - exact amount conversion between two peers' assets.
 *
 * A peer's asset is described by its scale and a rational price: rate =
 * num/den is the value of one whole unit of the peer's asset in the
 * connector's reference unit (any unit the operator picks, as long as every
 * peer uses the same one). For peers in the same asset, num = den = 1.
 *
 *   out = floor( in * (from.num / from.den) * 10^-from.scale
 *                   / ((to.num / to.den) * 10^-to.scale) )
 *       = floor( in * from.num * to.den * 10^to.scale
 *                   / (from.den * to.num * 10^from.scale) )
 *
 * computed exactly in 128-bit integers (rounding down, never up: the
 * connector never forwards more value than it received). A result above
 * 2^64-1 is ILP_ERR_RANGE, never wrapped. Memory: 12 bytes per struct; no
 * heap; reentrant.
 */
#ifndef ILP_AMOUNT_H
#define ILP_AMOUNT_H

#include <stdint.h>

#include "ilp/ilp_err.h"

struct ilp_rate {
	uint32_t num;   /* > 0 */
	uint32_t den;   /* > 0 */
	uint8_t scale;
};

/* Converts `in` from one asset to another. ILP_ERR_RANGE if the result does
 * not fit in 64 bits; ILP_ERR_ARG if a rate has a zero term. */
int ilp_amount_convert(uint64_t in, const struct ilp_rate *from,
		       const struct ilp_rate *to, uint64_t *out) ILP_CHECK_RESULT;

/* Parses a positive decimal rate ("1", "0.998", "1234.5") into num/den with
 * den a power of ten, both fitting in 32 bits. ILP_ERR_INVALID otherwise. */
int ilp_rate_parse(const char *s, uint32_t *num, uint32_t *den) ILP_CHECK_RESULT;

#endif /* ILP_AMOUNT_H */
