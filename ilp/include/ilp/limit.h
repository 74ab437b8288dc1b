/*
 * limit.h - a token bucket for per-peer rate and throughput limits, as
 * ilp-connector's rateLimit and throughput middlewares use (its
 * lib/token-bucket: continuous refill of `rate` tokens per second up to
 * `capacity`, a take of n tokens succeeds only when n are left, nothing is
 * given back later).
 *
 * Integer arithmetic only: tokens are whole, the refill's fraction of a
 * token is carried in thousandths (milliseconds x rate), so a rate of 1 per
 * second refills exactly one token per 1000 ms and nothing is lost between
 * calls however often they come. Saturating: any rate and capacity up to
 * UINT64_MAX, any clock (a clock going back refills nothing).
 *
 * Memory: struct ilp_bucket is 40 bytes; no heap, no clock (the caller
 * passes now, in milliseconds). Not reentrant per bucket.
 */
#ifndef ILP_LIMIT_H
#define ILP_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ilp_bucket {
	uint64_t tokens;      /* whole tokens left */
	int64_t last;         /* ms of the last refill; INT64_MIN: never used (full) */
	uint64_t rate;        /* tokens per second; 0: no limit */
	uint64_t capacity;    /* most tokens it holds (the burst); >= 1 when rate > 0 */
	uint32_t frac;        /* thousandths of a token refilled but not yet whole */
};

/* Sets the limits and fills the bucket (rate 0: unlimited). A capacity of 0
 * with a rate means one second's worth (as ilp-connector: capacity =
 * refillCount). */
void ilp_bucket_init(struct ilp_bucket *b, uint64_t rate, uint64_t capacity);

/* Takes n tokens at `now` if there are that many after the refill: true;
 * false (nothing taken) otherwise. Always true when the rate is 0. */
bool ilp_bucket_take(struct ilp_bucket *b, int64_t now, uint64_t n);

/* Tokens left at `now` (after the refill), for observability. */
uint64_t ilp_bucket_left(struct ilp_bucket *b, int64_t now);

#endif /* ILP_LIMIT_H */
