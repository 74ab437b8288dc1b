/*
 * test_amount.c - ilp_amount_convert() and ilp_rate_parse().
 *
 * Known answers, then random cross-checks of both implementations (the
 * portable one on every target, __int128 where the compiler has it) against
 * an oracle that does no division at all: for a claimed quotient q it checks
 * q * den <= num < (q + 1) * den on plain multi-word integers, and for
 * ILP_ERR_RANGE it checks num >= 2^64 * den.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ilp/amount.h"
#include "th.h"

#include "../../ilp/src/amount_internal.h"

/* ---- oracle: little-endian base-2^32 integers, 1088 bits -------------- */

#define BN_WORDS 34 /* in * N * 10^255 < 2^128 * 2^848 */

struct bn {
	uint32_t w[BN_WORDS];
};

static void bn_set(struct bn *a, uint64_t v)
{
	memset(a, 0, sizeof(*a));
	a->w[0] = (uint32_t)v;
	a->w[1] = (uint32_t)(v >> 32);
}

/* a *= m (m < 2^32); the top word never carries out at these sizes. */
static void bn_mul_small(struct bn *a, uint32_t m)
{
	uint64_t carry = 0;
	int i;

	for (i = 0; i < BN_WORDS; i++) {
		uint64_t t = (uint64_t)a->w[i] * m + carry;

		a->w[i] = (uint32_t)t;
		carry = t >> 32;
	}
	CHECK(carry == 0);
}

/* r = a * v for a 64-bit v, as a * lo + (a * hi) << 32. */
static void bn_mul_u64(struct bn *r, const struct bn *a, uint64_t v)
{
	struct bn lo = *a, hi = *a;
	uint64_t carry = 0;
	int i;

	bn_mul_small(&lo, (uint32_t)v);
	bn_mul_small(&hi, (uint32_t)(v >> 32));
	CHECK(hi.w[BN_WORDS - 1] == 0);
	for (i = 0; i < BN_WORDS; i++) {
		uint64_t t = (uint64_t)lo.w[i] + carry +
			     (i > 0 ? hi.w[i - 1] : 0u);

		r->w[i] = (uint32_t)t;
		carry = t >> 32;
	}
	CHECK(carry == 0);
}

static void bn_add(struct bn *a, const struct bn *b)
{
	uint64_t carry = 0;
	int i;

	for (i = 0; i < BN_WORDS; i++) {
		uint64_t t = (uint64_t)a->w[i] + b->w[i] + carry;

		a->w[i] = (uint32_t)t;
		carry = t >> 32;
	}
	CHECK(carry == 0);
}

static int bn_cmp(const struct bn *a, const struct bn *b)
{
	int i;

	for (i = BN_WORDS - 1; i >= 0; i--) {
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	}
	return 0;
}

/* num and den of the conversion, straight from the formula in amount.h. */
static void oracle_terms(uint64_t in, const struct ilp_rate *from,
			 const struct ilp_rate *to, struct bn *num,
			 struct bn *den)
{
	int s;

	bn_set(num, in);
	bn_mul_small(num, from->num);
	bn_mul_small(num, to->den);
	for (s = 0; s < to->scale; s++)
		bn_mul_small(num, 10);
	bn_set(den, from->den);
	bn_mul_small(den, to->num);
	for (s = 0; s < from->scale; s++)
		bn_mul_small(den, 10);
}

/* True if (r, out) is the right answer for this conversion. */
static bool oracle_agrees(uint64_t in, const struct ilp_rate *from,
			  const struct ilp_rate *to, int r, uint64_t out)
{
	struct bn num, den, lo, hi;

	oracle_terms(in, from, to, &num, &den);
	if (r == ILP_ERR_RANGE) {
		/* 2^64 * den, i.e. den shifted up two words. */
		memset(&hi, 0, sizeof(hi));
		memcpy(&hi.w[2], &den.w[0], (BN_WORDS - 2) * sizeof(uint32_t));
		CHECK(den.w[BN_WORDS - 1] == 0 && den.w[BN_WORDS - 2] == 0);
		return bn_cmp(&num, &hi) >= 0;
	}
	if (r != ILP_OK)
		return false;
	bn_mul_u64(&lo, &den, out);
	hi = lo;
	bn_add(&hi, &den);
	return bn_cmp(&lo, &num) <= 0 && bn_cmp(&num, &hi) < 0;
}

/* ---- helpers ------------------------------------------------------------ */

static struct ilp_rate rate(uint32_t num, uint32_t den, uint8_t scale)
{
	struct ilp_rate x;

	x.num = num;
	x.den = den;
	x.scale = scale;
	return x;
}

typedef int (*convert_fn)(uint64_t, const struct ilp_rate *,
			  const struct ilp_rate *, uint64_t *);

static int conv_public(uint64_t in, const struct ilp_rate *from,
		       const struct ilp_rate *to, uint64_t *out)
{
	return ilp_amount_convert(in, from, to, out);
}

static const convert_fn impls[] = {
	conv_public,
	ilp_amount_convert_portable,
#ifdef ILP_AMOUNT_HAVE_I128
	ilp_amount_convert_i128,
#endif
};
#define N_IMPLS (sizeof(impls) / sizeof(impls[0]))

/* Runs every implementation; checks result code and (on ILP_OK) value. */
static void expect(uint64_t in, struct ilp_rate from, struct ilp_rate to,
		   int want_r, uint64_t want)
{
	size_t k;

	for (k = 0; k < N_IMPLS; k++) {
		uint64_t out = 0xA5A5A5A5A5A5A5A5u;
		int r = impls[k](in, &from, &to, &out);

		CHECK_EQ(r, want_r);
		if (r != want_r)
			th_fail(__FILE__, __LINE__, "impl %zu in=%llu", k,
				(unsigned long long)in);
		if (want_r == ILP_OK)
			CHECK_EQ_U64(out, want);
		else
			CHECK_EQ_U64(out, 0xA5A5A5A5A5A5A5A5u);
		if (want_r == ILP_OK || want_r == ILP_ERR_RANGE)
			CHECK(oracle_agrees(in, &from, &to, r, out));
	}
}

/* ---- known answers ------------------------------------------------------ */

static void test_same_asset(void)
{
	expect(0, rate(1, 1, 9), rate(1, 1, 9), ILP_OK, 0);
	expect(12345, rate(1, 1, 9), rate(1, 1, 9), ILP_OK, 12345);
	expect(UINT64_MAX, rate(7, 3, 2), rate(7, 3, 2), ILP_OK, UINT64_MAX);
	/* Equal value, different terms: 2/4 == 1/2. */
	expect(UINT64_MAX, rate(2, 4, 0), rate(1, 2, 0), ILP_OK, UINT64_MAX);
}

static void test_scale_change(void)
{
	/* Observed with ilp-connector: 500 at scale 6 is 500000 at scale 9. */
	expect(500, rate(1, 1, 6), rate(1, 1, 9), ILP_OK, 500000);
	expect(500000, rate(1, 1, 9), rate(1, 1, 6), ILP_OK, 500);
	expect(1, rate(1, 1, 0), rate(1, 1, 19), ILP_OK, 10000000000000000000u);
	expect(2, rate(1, 1, 0), rate(1, 1, 19), ILP_ERR_RANGE, 0);
	expect(1, rate(1, 1, 0), rate(1, 1, 20), ILP_ERR_RANGE, 0);
	expect(1844674407370955161u, rate(1, 1, 0), rate(1, 1, 1), ILP_OK,
	       18446744073709551610u);
	expect(1844674407370955162u, rate(1, 1, 0), rate(1, 1, 1),
	       ILP_ERR_RANGE, 0);
}

static void test_round_down(void)
{
	expect(999, rate(1, 1, 3), rate(1, 1, 0), ILP_OK, 0);
	expect(1999, rate(1, 1, 3), rate(1, 1, 0), ILP_OK, 1);
	expect(1000, rate(998, 1000, 0), rate(1, 1, 0), ILP_OK, 998);
	expect(1001, rate(998, 1000, 0), rate(1, 1, 0), ILP_OK, 998);
	expect(10, rate(1, 3, 0), rate(1, 1, 0), ILP_OK, 3);
	expect(10, rate(1, 1, 0), rate(3, 1, 0), ILP_OK, 3);
	expect(2, rate(1, 1, 0), rate(3, 1, 0), ILP_OK, 0);
	/* 1.5 at scale 2 to rate 2 at scale 3: 150 * 1.5 / 2 * 10 = 1125. */
	expect(150, rate(3, 2, 2), rate(2, 1, 3), ILP_OK, 1125);
	/* Never rounds up, even a hair below an integer. */
	expect(UINT64_MAX, rate(1, 1, 1), rate(1, 1, 0), ILP_OK,
	       1844674407370955161u);
}

static void test_u64_edge(void)
{
	expect(UINT64_MAX, rate(2, 1, 0), rate(1, 1, 0), ILP_ERR_RANGE, 0);
	expect(UINT64_MAX, rate(1, 2, 0), rate(1, 1, 0), ILP_OK,
	       UINT64_MAX / 2);
	expect(UINT64_MAX / 2, rate(2, 1, 0), rate(1, 1, 0), ILP_OK,
	       UINT64_MAX - 1);
	expect(UINT64_MAX / 2 + 1, rate(2, 1, 0), rate(1, 1, 0),
	       ILP_ERR_RANGE, 0);
	/* Biggest terms: N = D = (2^32-1)^2 with the scales differing. */
	expect(UINT64_MAX, rate(UINT32_MAX, 1, 3),
	       rate(UINT32_MAX, 1, 3), ILP_OK, UINT64_MAX);
	expect(UINT64_MAX, rate(UINT32_MAX, 1, 0), rate(1, UINT32_MAX, 0),
	       ILP_ERR_RANGE, 0);
	expect(UINT64_MAX, rate(1, UINT32_MAX, 0), rate(UINT32_MAX, 1, 0),
	       ILP_OK, 1);
	/* D = (2^32-1)^2 = 0xFFFFFFFE00000001. */
	expect(0xFFFFFFFE00000001u, rate(1, UINT32_MAX, 0),
	       rate(UINT32_MAX, 1, 0), ILP_OK, 1);
	expect(0xFFFFFFFE00000000u, rate(1, UINT32_MAX, 0),
	       rate(UINT32_MAX, 1, 0), ILP_OK, 0);
	/* in * N just below 2^128 and D = 1: hits the 128-bit top. */
	expect(UINT64_MAX, rate(UINT32_MAX, 1, 0), rate(1, UINT32_MAX, 4),
	       ILP_ERR_RANGE, 0);
}

static void test_scale_255(void)
{
	expect(1, rate(1, 1, 255), rate(1, 1, 0), ILP_OK, 0);
	expect(UINT64_MAX, rate(1, 1, 255), rate(1, 1, 0), ILP_OK, 0);
	expect(UINT64_MAX, rate(UINT32_MAX, 1, 255), rate(1, UINT32_MAX, 0),
	       ILP_OK, 0);
	expect(0, rate(1, 1, 0), rate(1, 1, 255), ILP_OK, 0);
	expect(1, rate(1, 1, 0), rate(1, 1, 255), ILP_ERR_RANGE, 0);
	expect(1, rate(1, UINT32_MAX, 0), rate(UINT32_MAX, 1, 255),
	       ILP_ERR_RANGE, 0);
	expect(10000000000000000000u, rate(1, 1, 255), rate(1, 1, 236),
	       ILP_OK, 1);
	expect(UINT64_MAX, rate(1, 1, 255), rate(1, 1, 236), ILP_OK, 1);
	expect(123, rate(1, 1, 255), rate(1, 1, 255), ILP_OK, 123);
	expect(123, rate(3, 1, 200), rate(1, 1, 201), ILP_OK, 3690);
}

static void test_bad_args(void)
{
	struct ilp_rate one = rate(1, 1, 0);
	uint64_t out = 7;

	expect(1, rate(0, 1, 0), one, ILP_ERR_ARG, 0);
	expect(1, rate(1, 0, 0), one, ILP_ERR_ARG, 0);
	expect(1, one, rate(0, 1, 0), ILP_ERR_ARG, 0);
	expect(1, one, rate(1, 0, 0), ILP_ERR_ARG, 0);
	CHECK_EQ(ilp_amount_convert(1, NULL, &one, &out), ILP_ERR_ARG);
	CHECK_EQ(ilp_amount_convert(1, &one, NULL, &out), ILP_ERR_ARG);
	CHECK_EQ(ilp_amount_convert(1, &one, &one, NULL), ILP_ERR_ARG);
	CHECK_EQ_U64(out, 7);
}

/* ---- random cross-checks ----------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Du;
}

/* Random value with a random bit length, so small and huge both occur. */
static uint64_t rng_bits(unsigned max_bits)
{
	unsigned bits = (unsigned)(rng() % (max_bits + 1u));

	if (bits == 0)
		return 0;
	return rng() >> (64u - bits);
}

static uint32_t rng_term(void)
{
	uint32_t v = (uint32_t)rng_bits(32);

	return v == 0 ? 1u : v;
}

static uint8_t rng_scale(void)
{
	switch (rng() % 4) {
	case 0:
		return (uint8_t)rng();
	case 1:
		return (uint8_t)(rng() % 40);
	default:
		return (uint8_t)(rng() % 12);
	}
}

static void test_random_vs_oracle(void)
{
	int n, bad = 0, ok = 0, range = 0;

	for (n = 0; n < 3000 && bad < 5; n++) {
		struct ilp_rate from = rate(rng_term(), rng_term(), rng_scale());
		struct ilp_rate to = rate(rng_term(), rng_term(), rng_scale());
		uint64_t in = rng_bits(64), out_p = 0;
		int rp = ilp_amount_convert_portable(in, &from, &to, &out_p);

		if (!oracle_agrees(in, &from, &to, rp, out_p))
			bad++;
		if (rp == ILP_OK)
			ok++;
		else if (rp == ILP_ERR_RANGE)
			range++;
#ifdef ILP_AMOUNT_HAVE_I128
		{
			uint64_t out_w = 0;
			int rw = ilp_amount_convert_i128(in, &from, &to, &out_w);

			if (rw != rp || (rw == ILP_OK && out_w != out_p))
				bad++;
		}
#endif
		if (bad)
			th_fail(__FILE__, __LINE__,
				"in=%llu from=%u/%u@%u to=%u/%u@%u r=%d out=%llu",
				(unsigned long long)in, from.num, from.den,
				from.scale, to.num, to.den, to.scale, rp,
				(unsigned long long)out_p);
	}
	CHECK_EQ(bad, 0);
	/* The generator must exercise both outcomes. */
	CHECK(ok > 500);
	CHECK(range > 100);
}

/* Denominators D * 10^20 in [2^127, 2^128) with numerators near 2^128: the
 * top of the long division's range. */
static void test_random_huge_den(void)
{
	int n, bad = 0, hits = 0;

	/* N = (2^32-1)^2, D = (2^32-1) * 594000000: den ~ 1.5 * 2^127. */
	expect(UINT64_MAX, rate(UINT32_MAX, UINT32_MAX, 20),
	       rate(594000000u, UINT32_MAX, 0), ILP_OK, 1);
	for (n = 0; n < 1000; n++) {
		struct ilp_rate from = rate(0x80000000u | (uint32_t)rng(),
					    (uint32_t)(rng() % 0x80000000u) + 1u,
					    20);
		struct ilp_rate to = rate((uint32_t)(rng() % 0x80000000u) + 1u,
					  0x80000000u | (uint32_t)rng(), 0);
		uint64_t in = rng() | 0x8000000000000000u, out = 0;
		uint64_t d = (uint64_t)from.den * to.num;
		int r = ilp_amount_convert_portable(in, &from, &to, &out);

		/* 2^127 / 10^20 ~ 1.70e18 */
		if (d >= 1701411834604692318u)
			hits++;
		if (!oracle_agrees(in, &from, &to, r, out))
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK(hits > 50);
}

/* Small values: the quotient by repeated subtraction in 64 bits. */
static void test_small_vs_subtraction(void)
{
	int n;

	for (n = 0; n < 2000; n++) {
		struct ilp_rate from = rate((uint32_t)(rng() % 50 + 1),
					    (uint32_t)(rng() % 50 + 1),
					    (uint8_t)(rng() % 3));
		struct ilp_rate to = rate((uint32_t)(rng() % 50 + 1),
					  (uint32_t)(rng() % 50 + 1),
					  (uint8_t)(rng() % 3));
		uint64_t in = rng() % 1000, num, den, q = 0, out = 0;
		int s;

		num = in * from.num * to.den;
		den = (uint64_t)from.den * to.num;
		for (s = 0; s < to.scale; s++)
			num *= 10u;
		for (s = 0; s < from.scale; s++)
			den *= 10u;
		while (num >= den) {
			num -= den;
			q++;
		}
		CHECK_EQ(ilp_amount_convert_portable(in, &from, &to, &out),
			 ILP_OK);
		CHECK_EQ_U64(out, q);
		CHECK_EQ(ilp_amount_convert(in, &from, &to, &out), ILP_OK);
		CHECK_EQ_U64(out, q);
	}
}

/* The oracle itself must be able to say no. */
static void test_oracle_rejects(void)
{
	struct ilp_rate one = rate(1, 1, 0), ten = rate(1, 1, 1);

	CHECK(oracle_agrees(5, &one, &ten, ILP_OK, 50));
	CHECK(!oracle_agrees(5, &one, &ten, ILP_OK, 49));
	CHECK(!oracle_agrees(5, &one, &ten, ILP_OK, 51));
	CHECK(!oracle_agrees(5, &one, &ten, ILP_ERR_RANGE, 0));
	CHECK(oracle_agrees(UINT64_MAX, &one, &ten, ILP_ERR_RANGE, 0));
	CHECK(!oracle_agrees(UINT64_MAX, &one, &ten, ILP_OK, UINT64_MAX));
}

/* ---- ilp_rate_parse ----------------------------------------------------- */

static void parse_ok(const char *s, uint32_t num, uint32_t den)
{
	uint32_t n = 0, d = 0;

	CHECK_EQ(ilp_rate_parse(s, &n, &d), ILP_OK);
	CHECK_EQ_U64(n, num);
	CHECK_EQ_U64(d, den);
	if (n != num || d != den)
		th_fail(__FILE__, __LINE__, "input \"%s\"", s);
}

static void parse_bad(const char *s)
{
	uint32_t n = 11, d = 12;

	CHECK_EQ(ilp_rate_parse(s, &n, &d), ILP_ERR_INVALID);
	CHECK(n == 11 && d == 12);
	if (n != 11 || d != 12)
		th_fail(__FILE__, __LINE__, "input \"%s\"", s);
}

static void test_rate_parse_good(void)
{
	parse_ok("1", 1, 1);
	parse_ok("0.998", 998, 1000);
	parse_ok("1234.5", 12345, 10);
	parse_ok("1.50", 15, 10);
	parse_ok("1.0", 1, 1);
	parse_ok("2.000000000000000000000000", 2, 1);
	parse_ok("007", 7, 1);
	parse_ok("0.5", 5, 10);
	parse_ok("4294967295", UINT32_MAX, 1);
	parse_ok("429496729.5", UINT32_MAX, 10);
	parse_ok("0.000000001", 1, 1000000000);
	parse_ok("0.429496729", 429496729, 1000000000);
	parse_ok("1.000000001", 1000000001, 1000000000);
}

static void test_rate_parse_bad(void)
{
	uint32_t n, d;

	parse_bad("");
	parse_bad("0");
	parse_bad("0.0");
	parse_bad("000.000");
	parse_bad("-1");
	parse_bad("+1");
	parse_bad("1e3");
	parse_bad("1E3");
	parse_bad(".5");
	parse_bad("5.");
	parse_bad(" 1");
	parse_bad("1 ");
	parse_bad("1. 5");
	parse_bad("1.2.3");
	parse_bad("1,5");
	parse_bad("abc");
	parse_bad("0x10");
	parse_bad("4294967296");
	parse_bad("99999999999999999999");
	parse_bad("429496729.6");
	parse_bad("0.0000000001");  /* den 10^10 */
	parse_bad("0.4294967295");  /* den 10^10 */
	parse_bad("4.294967296");   /* num past 2^32 */
	CHECK_EQ(ilp_rate_parse(NULL, &n, &d), ILP_ERR_INVALID);
	CHECK_EQ(ilp_rate_parse("1", NULL, &d), ILP_ERR_INVALID);
	CHECK_EQ(ilp_rate_parse("1", &n, NULL), ILP_ERR_INVALID);
}

int main(void)
{
	TH_RUN(test_oracle_rejects);
	TH_RUN(test_same_asset);
	TH_RUN(test_scale_change);
	TH_RUN(test_round_down);
	TH_RUN(test_u64_edge);
	TH_RUN(test_scale_255);
	TH_RUN(test_bad_args);
	TH_RUN(test_random_vs_oracle);
	TH_RUN(test_random_huge_den);
	TH_RUN(test_small_vs_subtraction);
	TH_RUN(test_rate_parse_good);
	TH_RUN(test_rate_parse_bad);
	return th_finish();
}
