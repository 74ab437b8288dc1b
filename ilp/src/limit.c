/*
 * limit.c - the token bucket of limit.h (per-peer rate and throughput
 * limits). Memory: none beyond the caller's struct ilp_bucket. Rules: whole
 * tokens plus a carried fraction in thousandths; every sum saturates.
 */
#include "ilp/limit.h"

/* Past a year without a take the bucket is full whatever the rate. */
#define LIMIT_FULL_AFTER_MS (366LL * 86400 * 1000)

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void ilp_bucket_init(struct ilp_bucket *b, uint64_t rate, uint64_t capacity)
{
	b->rate = rate;
	b->capacity = rate == 0 ? 0 : capacity == 0 ? rate : capacity;
	b->tokens = b->capacity;
	b->last = INT64_MIN;
	b->frac = 0;
}

static void bucket_refill(struct ilp_bucket *b, int64_t now)
{
	uint64_t d, whole, add, q;

	if (b->last == INT64_MIN || now <= b->last) {
		b->last = now;   /* first use, or the clock went back: no refill */
		return;
	}
	d = (uint64_t)now - (uint64_t)b->last;
	b->last = now;
	if (b->tokens >= b->capacity) {
		b->frac = 0;
		return;
	}
	if (d >= (uint64_t)LIMIT_FULL_AFTER_MS) {
		b->tokens = b->capacity;
		b->frac = 0;
		return;
	}
	/* rate * d / 1000 = d * (rate / 1000) + d * (rate % 1000) / 1000 */
	whole = d * (b->rate % 1000u) + b->frac;   /* < 3.2e10 * 1000 + 1000 */
	add = whole / 1000u;
	b->frac = (uint32_t)(whole % 1000u);
	q = b->rate / 1000u;
	if (q != 0)
		add = d > UINT64_MAX / q ? UINT64_MAX : sat_add(add, d * q);
	b->tokens = sat_add(b->tokens, add);
	if (b->tokens >= b->capacity) {
		b->tokens = b->capacity;
		b->frac = 0;
	}
}

bool ilp_bucket_take(struct ilp_bucket *b, int64_t now, uint64_t n)
{
	if (b->rate == 0)
		return true;
	bucket_refill(b, now);
	if (b->tokens < n)
		return false;
	b->tokens -= n;
	return true;
}

uint64_t ilp_bucket_left(struct ilp_bucket *b, int64_t now)
{
	if (b->rate == 0)
		return UINT64_MAX;
	bucket_refill(b, now);
	return b->tokens;
}
