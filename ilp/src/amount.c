/*
 * amount.c - exact amount conversion and rate parsing (see amount.h).
 *
 * IMPLEMENTATION NOTES
 * A conversion reduces to integers (amt_job):
 *   N = from.num * to.den, D = from.den * to.num (each < 2^64),
 *   k = to.scale - from.scale (-255..255),
 *   out = floor(in * N * 10^k / D)            when k >= 0,
 *   out = floor(in * N / (D * 10^-k))         when k < 0.
 * One floor at the very end, so there is no double rounding.
 * Bounds that make 128 bits enough:
 *   - in * N < 2^128 always. If in * N * 10^k passes 2^128, the quotient by
 *     D < 2^64 is above 2^64: ILP_ERR_RANGE.
 *   - If D * 10^-k passes 2^128 it exceeds in * N, so the result is 0.
 *   - A quotient above UINT64_MAX is ILP_ERR_RANGE.
 * Two implementations with one contract: unsigned __int128 where the
 * compiler has it, and a portable one on pairs of uint64_t (64x64->128
 * multiply, multiply by a word with overflow detection, binary long
 * division). ilp_amount_convert() uses the first when available unless
 * ILP_AMOUNT_FORCE_PORTABLE is defined; the tests compare both.
 */
#include "ilp/amount.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amount_internal.h"

/* 10^0 .. 10^19, the powers of ten that fit in 64 bits. */
static const uint64_t amt_pow10[20] = {
	1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u,
	100000000u, 1000000000u, 10000000000u, 100000000000u,
	1000000000000u, 10000000000000u, 100000000000000u,
	1000000000000000u, 10000000000000000u, 100000000000000000u,
	1000000000000000000u, 10000000000000000000u
};
#define AMT_POW10_MAX 19u

/* floor(in * n * 10^up / (d * 10^down)); at most one of up, down is > 0. */
struct amt_job {
	uint64_t in;
	uint64_t n;
	uint64_t d;
	unsigned up;
	unsigned down;
};

/* Fills j from the arguments. ILP_OK with *done set when the answer is
 * already in *out (identity conversion), else ILP_OK and *done false.
 * ILP_ERR_ARG on a NULL pointer or a zero rate term. */
static int amt_prepare(uint64_t in, const struct ilp_rate *from,
		       const struct ilp_rate *to, uint64_t *out,
		       struct amt_job *j, bool *done)
{
	*done = false;
	if (from == NULL || to == NULL || out == NULL)
		return ILP_ERR_ARG;
	if (from->num == 0 || from->den == 0 || to->num == 0 || to->den == 0)
		return ILP_ERR_ARG;
	j->in = in;
	j->n = (uint64_t)from->num * to->den;
	j->d = (uint64_t)from->den * to->num;
	j->up = 0;
	j->down = 0;
	if (to->scale >= from->scale)
		j->up = (unsigned)(to->scale - from->scale);
	else
		j->down = (unsigned)(from->scale - to->scale);
	if (j->n == j->d && j->up == 0 && j->down == 0) {
		*out = in;
		*done = true;
	}
	return ILP_OK;
}

/* ---- portable 128-bit arithmetic -------------------------------------- */

struct amt_u128 {
	uint64_t hi;
	uint64_t lo;
};

static struct amt_u128 amt_mul64(uint64_t a, uint64_t b)
{
	const uint64_t m32 = 0xFFFFFFFFu;
	uint64_t a0 = a & m32, a1 = a >> 32;
	uint64_t b0 = b & m32, b1 = b >> 32;
	uint64_t p00 = a0 * b0, p01 = a0 * b1;
	uint64_t p10 = a1 * b0, p11 = a1 * b1;
	/* < 3 * 2^32: cannot overflow. */
	uint64_t mid = (p00 >> 32) + (p01 & m32) + (p10 & m32);
	struct amt_u128 r;

	r.lo = (mid << 32) | (p00 & m32);
	r.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
	return r;
}

/* x *= m; false (x unspecified) if the product reaches 2^128. */
static bool amt_mul_word(struct amt_u128 *x, uint64_t m)
{
	struct amt_u128 lo = amt_mul64(x->lo, m);
	struct amt_u128 hi = amt_mul64(x->hi, m);
	uint64_t top;

	if (hi.hi != 0)
		return false;
	top = hi.lo + lo.hi;
	if (top < hi.lo)
		return false;
	x->hi = top;
	x->lo = lo.lo;
	return true;
}

/* x *= 10^k; false if the product reaches 2^128. */
static bool amt_mul_pow10(struct amt_u128 *x, unsigned k)
{
	while (k > 0) {
		unsigned step = k > AMT_POW10_MAX ? AMT_POW10_MAX : k;

		if (!amt_mul_word(x, amt_pow10[step]))
			return false;
		k -= step;
	}
	return true;
}

static bool amt_ge(struct amt_u128 a, struct amt_u128 b)
{
	return a.hi > b.hi || (a.hi == b.hi && a.lo >= b.lo);
}

/* a - b for a >= b. */
static struct amt_u128 amt_sub(struct amt_u128 a, struct amt_u128 b)
{
	struct amt_u128 r;

	r.lo = a.lo - b.lo;
	r.hi = a.hi - b.hi - (a.lo < b.lo ? 1u : 0u);
	return r;
}

/* floor(num / den) by binary long division; den != 0. */
static struct amt_u128 amt_div(struct amt_u128 num, struct amt_u128 den)
{
	struct amt_u128 q = { 0, 0 }, r = { 0, 0 };
	int i;

	/* Before each shift r <= num >> (i + 1) < 2^127, so the shift
	 * never loses a bit. */
	for (i = 127; i >= 0; i--) {
		uint64_t bit = i >= 64 ? (num.hi >> (i - 64)) & 1u
				       : (num.lo >> i) & 1u;

		r.hi = (r.hi << 1) | (r.lo >> 63);
		r.lo = (r.lo << 1) | bit;
		if (amt_ge(r, den)) {
			r = amt_sub(r, den);
			if (i >= 64)
				q.hi |= (uint64_t)1 << (i - 64);
			else
				q.lo |= (uint64_t)1 << i;
		}
	}
	return q;
}

int ilp_amount_convert_portable(uint64_t in, const struct ilp_rate *from,
				const struct ilp_rate *to, uint64_t *out)
{
	struct amt_job j;
	struct amt_u128 num, den, q;
	bool done;
	int r = amt_prepare(in, from, to, out, &j, &done);

	if (r != ILP_OK || done)
		return r;
	num = amt_mul64(j.in, j.n);
	den.hi = 0;
	den.lo = j.d;
	if (!amt_mul_pow10(&num, j.up))
		return ILP_ERR_RANGE;
	if (!amt_mul_pow10(&den, j.down)) {
		*out = 0;
		return ILP_OK;
	}
	q = amt_div(num, den);
	if (q.hi != 0)
		return ILP_ERR_RANGE;
	*out = q.lo;
	return ILP_OK;
}

/* ---- compiler 128-bit arithmetic -------------------------------------- */

#ifdef ILP_AMOUNT_HAVE_I128
__extension__ typedef unsigned __int128 amt_wide;

/* x *= 10^k; false if the product reaches 2^128. */
static bool amt_wide_mul_pow10(amt_wide *x, unsigned k)
{
	const amt_wide max = ~(amt_wide)0;

	while (k > 0) {
		unsigned step = k > AMT_POW10_MAX ? AMT_POW10_MAX : k;
		uint64_t m = amt_pow10[step];

		if (*x > max / m)
			return false;
		*x *= m;
		k -= step;
	}
	return true;
}

int ilp_amount_convert_i128(uint64_t in, const struct ilp_rate *from,
			    const struct ilp_rate *to, uint64_t *out)
{
	struct amt_job j;
	amt_wide num, den, q;
	bool done;
	int r = amt_prepare(in, from, to, out, &j, &done);

	if (r != ILP_OK || done)
		return r;
	num = (amt_wide)j.in * j.n;
	den = j.d;
	if (!amt_wide_mul_pow10(&num, j.up))
		return ILP_ERR_RANGE;
	if (!amt_wide_mul_pow10(&den, j.down)) {
		*out = 0;
		return ILP_OK;
	}
	q = num / den;
	if (q > UINT64_MAX)
		return ILP_ERR_RANGE;
	*out = (uint64_t)q;
	return ILP_OK;
}
#endif /* ILP_AMOUNT_HAVE_I128 */

int ilp_amount_convert(uint64_t in, const struct ilp_rate *from,
		       const struct ilp_rate *to, uint64_t *out)
{
#if defined(ILP_AMOUNT_HAVE_I128) && !defined(ILP_AMOUNT_FORCE_PORTABLE)
	return ilp_amount_convert_i128(in, from, to, out);
#else
	return ilp_amount_convert_portable(in, from, to, out);
#endif
}

/* ---- rate parsing ------------------------------------------------------- */

static bool amt_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* v = v * 10 + digit, false if it leaves 32 bits. */
static bool amt_push_digit(uint32_t *v, char c)
{
	uint32_t d = (uint32_t)(c - '0');

	if (*v > (UINT32_MAX - d) / 10u)
		return false;
	*v = *v * 10u + d;
	return true;
}

/* Grammar: digits [ "." digits ], nothing else (no sign, exponent, space).
 * Leading zeros are accepted ("007" is 7). Trailing fractional zeros are
 * dropped before the 32-bit checks ("1.50" is 15/10). */
int ilp_rate_parse(const char *s, uint32_t *num, uint32_t *den)
{
	size_t i, int_len = 0, frac_len = 0, frac_keep = 0;
	uint32_t n = 0, d = 1;

	if (s == NULL || num == NULL || den == NULL)
		return ILP_ERR_INVALID;
	while (amt_is_digit(s[int_len]))
		int_len++;
	if (int_len == 0)
		return ILP_ERR_INVALID;
	if (s[int_len] == '.') {
		const char *f = s + int_len + 1;

		while (amt_is_digit(f[frac_len])) {
			frac_len++;
			if (f[frac_len - 1] != '0')
				frac_keep = frac_len;
		}
		if (frac_len == 0 || f[frac_len] != '\0')
			return ILP_ERR_INVALID;
	} else if (s[int_len] != '\0') {
		return ILP_ERR_INVALID;
	}
	for (i = 0; i < int_len; i++)
		if (!amt_push_digit(&n, s[i]))
			return ILP_ERR_INVALID;
	for (i = 0; i < frac_keep; i++) {
		if (!amt_push_digit(&n, s[int_len + 1 + i]) ||
		    !amt_push_digit(&d, '0'))
			return ILP_ERR_INVALID;
	}
	if (n == 0)
		return ILP_ERR_INVALID;
	*num = n;
	*den = d;
	return ILP_OK;
}
