/*
 * settle.c - settlement state, decision and exact scale conversion for
 * RFC 38 settlement engines (see settle.h for the model and the rounding
 * rules).
 *
 * Pure: no I/O, no clock, no heap; only string.h from libc. Memory: a
 * 160-byte table of powers of ten (const) and the caller's struct
 * settle_state.
 */
#include <string.h>

#include "ilp/settle.h"

static const uint64_t settle_p10[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
	10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
	100000000000ull, 1000000000000ull, 10000000000000ull,
	100000000000000ull, 1000000000000000ull, 10000000000000000ull,
	100000000000000000ull, 1000000000000000000ull,
	10000000000000000000ull
};

void settle_init(struct settle_state *s)
{
	memset(s, 0, sizeof(*s));
}

void settle_clear_peer(struct settle_state *s, size_t i)
{
	if (i < ILPD_MAX_PEERS)
		memset(&s->peer[i], 0, sizeof(s->peer[i]));
}

int settle_pow10_mul(uint64_t a, unsigned e, uint64_t *out)
{
	if (a == 0) {
		*out = 0;
		return ILP_OK;
	}
	if (e > 19 || a > UINT64_MAX / settle_p10[e])
		return ILP_ERR_RANGE;
	*out = a * settle_p10[e];
	return ILP_OK;
}

void settle_to_engine(uint64_t amount, uint8_t ledger_scale, uint8_t engine_scale,
		      uint64_t *engine, uint64_t *used)
{
	unsigned d;
	uint64_t p;

	*engine = 0;
	*used = 0;
	if (engine_scale >= ledger_scale) {
		d = (unsigned)(engine_scale - ledger_scale);
		if (d > 19)
			return;    /* one ledger unit is more than 2^64-1 engine units */
		p = settle_p10[d];
		*used = amount < UINT64_MAX / p ? amount : UINT64_MAX / p;
		*engine = *used * p;
	} else {
		d = (unsigned)(ledger_scale - engine_scale);
		if (d > 19)
			return;    /* one engine unit is more than any amount */
		p = settle_p10[d];
		*engine = amount / p;
		*used = *engine * p;
	}
}

uint64_t settle_engine_max(uint8_t ledger_scale, uint8_t engine_scale)
{
	unsigned d;

	if (engine_scale <= ledger_scale)
		return UINT64_MAX;
	d = (unsigned)(engine_scale - ledger_scale);
	return d > 19 ? 0 : UINT64_MAX / settle_p10[d];
}

void settle_from_engine(uint64_t engine, uint8_t engine_scale, uint8_t ledger_scale,
			uint64_t room, uint64_t *ledger, uint64_t *engine_used)
{
	unsigned d;
	uint64_t p, q;

	*ledger = 0;
	*engine_used = 0;
	if (ledger_scale >= engine_scale) {
		d = (unsigned)(ledger_scale - engine_scale);
		if (d > 19)
			return;    /* one engine unit is more than any room */
		p = settle_p10[d];
		q = room / p;
		*engine_used = engine < q ? engine : q;
		*ledger = *engine_used * p;
	} else {
		d = (unsigned)(engine_scale - ledger_scale);
		if (d > 19)
			return;    /* less than one ledger unit */
		p = settle_p10[d];
		q = engine / p;
		if (q > room)
			q = room;
		*ledger = q;
		*engine_used = q * p;
	}
}

uint64_t settle_accepted_ledger(uint64_t engine, uint8_t engine_scale,
				uint8_t ledger_scale, uint64_t cap)
{
	unsigned d;
	uint64_t p, q;

	if (engine == 0)
		return 0;
	if (ledger_scale >= engine_scale) {
		d = (unsigned)(ledger_scale - engine_scale);
		if (settle_pow10_mul(engine, d, &q) != ILP_OK)
			return cap;
	} else {
		d = (unsigned)(engine_scale - ledger_scale);
		if (d > 19) {
			q = 1;     /* a positive fraction of a unit, rounded up */
		} else {
			p = settle_p10[d];
			q = engine / p + (engine % p != 0);
		}
	}
	return q < cap ? q : cap;
}

int settle_due(const struct settle_cfg *c, const struct settle_peer *p, int64_t balance,
	       uint64_t *ledger_amount, uint64_t *engine_amount)
{
	uint64_t want, eng, used;

	*ledger_amount = 0;
	*engine_amount = 0;
	if (!c->enabled || c->threshold == INT64_MAX || p->settling != 0)
		return 0;
	if (balance >= c->threshold || c->settle_to <= balance)
		return 0;
	/* settle_to - balance > 0, exact in uint64 (two's complement wrap of
	 * the difference of two int64 values that is positive). */
	want = (uint64_t)c->settle_to - (uint64_t)balance;
	if (want > (uint64_t)INT64_MAX)
		want = (uint64_t)INT64_MAX;     /* the ledger moves int64 amounts */
	settle_to_engine(want, c->ledger_scale, c->engine_scale, &eng, &used);
	if (eng == 0 || used == 0)
		return 0;
	*ledger_amount = used;
	*engine_amount = eng;
	return 1;
}

void settle_begin(struct settle_peer *p, uint64_t ledger_amount, uint64_t engine_amount,
		  uint64_t key)
{
	p->settling = ledger_amount;
	p->engine_amount = engine_amount;
	p->key = key;
	p->failures = 0;
	p->requests++;
}

void settle_resume(struct settle_peer *p)
{
	p->failures = 0;
	p->requests++;
}

static void settle_close(struct settle_peer *p)
{
	p->settling = 0;
	p->engine_amount = 0;
	p->key = 0;
	p->failures = 0;
}

uint64_t settle_accepted(struct settle_peer *p, const struct settle_cfg *c,
			 uint64_t accepted_engine, uint8_t accepted_scale, int64_t now_ms)
{
	uint64_t acc, back;

	acc = settle_accepted_ledger(accepted_engine, accepted_scale, c->ledger_scale,
				     p->settling);
	back = p->settling - acc;
	p->settled_total += acc;
	p->last_ms = now_ms;
	p->last_amount = acc;
	p->engine_up = SETTLE_ENGINE_REACHABLE;
	settle_close(p);
	return back;
}

uint64_t settle_refused(struct settle_peer *p)
{
	uint64_t back = p->settling;

	p->engine_up = SETTLE_ENGINE_REACHABLE;
	p->failures_total++;
	settle_close(p);
	return back;
}

uint32_t settle_failed(struct settle_peer *p)
{
	if (p->failures < UINT32_MAX)
		p->failures++;
	p->failures_total++;
	return p->failures;
}

int64_t settle_backoff_ms(uint32_t n, int64_t base_ms, int64_t max_ms)
{
	int64_t t = base_ms;

	if (n == 0)
		return 0;
	while (--n > 0 && t < max_ms)
		t = t > max_ms / 2 ? max_ms : t * 2;
	return t < max_ms ? t : max_ms;
}

int64_t settle_msg_wait_ms(int64_t expires_at, int64_t now, int64_t max_ms)
{
	int64_t left;

	if (expires_at < now + SETTLE_MSG_MARGIN_MS + 1)
		return 1;
	left = expires_at - now - SETTLE_MSG_MARGIN_MS;
	return left < max_ms ? left : max_ms;
}

int settle_msg_reject_status(const uint8_t *code)
{
	return code != NULL && memcmp(code, "R00", 3) == 0 ? 504 : 502;
}

const struct settle_key_entry *settle_key_find(const struct settle_state *s,
					       const uint8_t digest[SETTLE_DIGEST])
{
	uint32_t i;

	for (i = 0; i < SETTLE_KEYS; i++)
		if (s->key[i].used && memcmp(s->key[i].digest, digest, SETTLE_DIGEST) == 0)
			return &s->key[i];
	return NULL;
}

uint32_t settle_key_add(struct settle_state *s, const uint8_t digest[SETTLE_DIGEST],
			uint16_t slot, uint64_t engine_amount, uint8_t scale)
{
	uint32_t i = s->key_next % SETTLE_KEYS;
	struct settle_key_entry *e = &s->key[i];

	memset(e, 0, sizeof(*e));
	memcpy(e->digest, digest, SETTLE_DIGEST);
	e->engine_amount = engine_amount;
	e->slot = slot;
	e->scale = scale;
	e->used = 1;
	s->key_next = (i + 1) % SETTLE_KEYS;
	s->key_adds++;
	return i;
}

void settle_key_put(struct settle_state *s, uint32_t idx, const struct settle_key_entry *e)
{
	if (idx >= SETTLE_KEYS)
		return;
	s->key[idx] = *e;
	s->key[idx].used = 1;
	s->key_next = (idx + 1) % SETTLE_KEYS;
}

int settle_parse_amount(const uint8_t *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > SETTLE_AMOUNT_DIGITS)
		return ILP_ERR_INVALID;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return ILP_ERR_INVALID;
	for (i = 0; i < n; i++) {
		unsigned dg = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - dg) / 10)
			return ILP_ERR_RANGE;
		v = v * 10 + dg;
	}
	*out = v;
	return ILP_OK;
}

size_t settle_format_amount(uint64_t v, char *out)
{
	char tmp[SETTLE_AMOUNT_DIGITS];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return n;
}

void settle_key_text(uint64_t key, char out[SETTLE_KEY_TEXT + 1])
{
	static const char hx[] = "0123456789abcdef";
	int i;

	memcpy(out, "ilpd-", 5);
	for (i = 0; i < 16; i++)
		out[5 + i] = hx[(key >> (60 - 4 * i)) & 0xFu];
	out[21] = '\0';
}
