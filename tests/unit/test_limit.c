/*
 * test_limit.c - the token bucket of ilp/limit.h with a fake clock: the
 * refill semantics of ilp-connector's token bucket (continuous, capped at
 * the capacity, a failed take takes nothing), exact fractional refill,
 * saturation at UINT64_MAX, a clock going back, rate 0 = off.
 */
#include <stdint.h>

#include "ilp/limit.h"
#include "th.h"

#define T0 1700000000000LL

static void test_off(void)
{
	struct ilp_bucket b;

	ilp_bucket_init(&b, 0, 5);
	CHECK(ilp_bucket_take(&b, T0, UINT64_MAX));
	CHECK(ilp_bucket_take(&b, T0, UINT64_MAX));
	CHECK_EQ(ilp_bucket_left(&b, T0), UINT64_MAX);
}

static void test_burst_and_refill(void)
{
	struct ilp_bucket b;
	int i;

	ilp_bucket_init(&b, 10, 0);      /* 10/s, capacity = one second's worth */
	CHECK_EQ(b.capacity, 10);
	for (i = 0; i < 10; i++)
		CHECK(ilp_bucket_take(&b, T0, 1));
	CHECK(!ilp_bucket_take(&b, T0, 1));
	CHECK(!ilp_bucket_take(&b, T0 + 99, 1));   /* 0.99 of a token */
	CHECK(ilp_bucket_take(&b, T0 + 100, 1));   /* exactly one after 100 ms */
	CHECK(!ilp_bucket_take(&b, T0 + 100, 1));
	/* a failed take takes nothing, and a partial refill is not lost */
	CHECK(!ilp_bucket_take(&b, T0 + 150, 1));
	CHECK(ilp_bucket_take(&b, T0 + 200, 1));
	/* capped at the capacity however long it waits */
	CHECK_EQ(ilp_bucket_left(&b, T0 + 3600000), 10);
	CHECK(!ilp_bucket_take(&b, T0 + 3600000, 11));   /* more than the burst: never */
	CHECK(ilp_bucket_take(&b, T0 + 3600000, 10));

	ilp_bucket_init(&b, 3, 50);      /* burst 50 at 3/s */
	CHECK(ilp_bucket_take(&b, T0, 50));
	CHECK_EQ(ilp_bucket_left(&b, T0 + 333), 0);
	CHECK_EQ(ilp_bucket_left(&b, T0 + 334), 1);   /* 1.002 */
	CHECK_EQ(ilp_bucket_left(&b, T0 + 1000), 3);  /* exact, many small steps */
}

static void test_fractions_many_steps(void)
{
	struct ilp_bucket b;
	int64_t t;
	uint64_t got = 0;

	/* 7 per second, polled every ms for 10 s: exactly 70 tokens */
	ilp_bucket_init(&b, 7, 1000);
	CHECK(ilp_bucket_take(&b, T0, 1000));
	for (t = 1; t <= 10000; t++)
		while (ilp_bucket_take(&b, T0 + t, 1))
			got++;
	CHECK_EQ(got, 70);
	/* 1234567 per second over 1 ms steps */
	ilp_bucket_init(&b, 1234567, 0);
	CHECK(ilp_bucket_take(&b, T0, 1234567));
	for (t = 1; t <= 1000; t++)
		(void)ilp_bucket_left(&b, T0 + t);
	CHECK_EQ(ilp_bucket_left(&b, T0 + 1000), 1234567);
}

static void test_amounts_and_saturation(void)
{
	struct ilp_bucket b;

	ilp_bucket_init(&b, UINT64_MAX, 0);
	CHECK(ilp_bucket_take(&b, T0, UINT64_MAX));
	CHECK(!ilp_bucket_take(&b, T0, 1));
	CHECK(ilp_bucket_take(&b, T0 + 1, UINT64_MAX / 1000));
	CHECK_EQ(ilp_bucket_left(&b, T0 + 5000), UINT64_MAX);
	CHECK_EQ(ilp_bucket_left(&b, INT64_MAX), UINT64_MAX);

	ilp_bucket_init(&b, 1000000000000000000ULL, 0);   /* 1e18 per second */
	CHECK(ilp_bucket_take(&b, T0, 1000000000000000000ULL));
	CHECK(!ilp_bucket_take(&b, T0 + 1, 1000000000000001ULL));
	CHECK(ilp_bucket_take(&b, T0 + 1, 1000000000000000ULL));
}

static void test_clock_back(void)
{
	struct ilp_bucket b;

	ilp_bucket_init(&b, 1, 1);
	CHECK(ilp_bucket_take(&b, T0, 1));
	CHECK(!ilp_bucket_take(&b, T0 - 60000, 1));   /* back a minute: no refill */
	CHECK(!ilp_bucket_take(&b, T0 - 59001, 1));
	CHECK(ilp_bucket_take(&b, T0 - 59000, 1));    /* a second after the jump */
}

int main(void)
{
	TH_RUN(test_off);
	TH_RUN(test_burst_and_refill);
	TH_RUN(test_fractions_many_steps);
	TH_RUN(test_amounts_and_saturation);
	TH_RUN(test_clock_back);
	return th_finish();
}
