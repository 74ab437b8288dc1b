/*
 * test_settle.c - ilp/settle.h: the settlement decision (ilp-connector's
 * sign: settle when the balance falls below settle_threshold, up to
 * settle_to), scale conversion both ways with remainders kept and never
 * rounded in ilpd's favour, accept / refuse / fail bookkeeping, backoff,
 * the incoming key table and the amount parser.
 */
#include <stdint.h>
#include <string.h>

#include "ilp/settle.h"
#include "th.h"

static struct settle_state S;

static void test_pow10(void)
{
	uint64_t v;

	CHECK_EQ(settle_pow10_mul(0, 255, &v), ILP_OK);
	CHECK_EQ_U64(v, 0);
	CHECK_EQ(settle_pow10_mul(7, 0, &v), ILP_OK);
	CHECK_EQ_U64(v, 7);
	CHECK_EQ(settle_pow10_mul(1, 19, &v), ILP_OK);
	CHECK_EQ_U64(v, 10000000000000000000ull);
	CHECK_EQ(settle_pow10_mul(2, 19, &v), ILP_ERR_RANGE);
	CHECK_EQ(settle_pow10_mul(1, 20, &v), ILP_ERR_RANGE);
	CHECK_EQ(settle_pow10_mul(1844674407370955161ull, 1, &v), ILP_OK);
	CHECK_EQ_U64(v, 18446744073709551610ull);
	CHECK_EQ(settle_pow10_mul(1844674407370955162ull, 1, &v), ILP_ERR_RANGE);
}

static void test_to_engine(void)
{
	uint64_t e, u;

	settle_to_engine(12345, 2, 2, &e, &u);
	CHECK_EQ_U64(e, 12345);
	CHECK_EQ_U64(u, 12345);
	/* finer engine: exact multiply */
	settle_to_engine(12345, 2, 9, &e, &u);
	CHECK_EQ_U64(e, 123450000000ull);
	CHECK_EQ_U64(u, 12345);
	/* coarser engine: whole units only, the remainder stays owed */
	settle_to_engine(12345, 9, 6, &e, &u);
	CHECK_EQ_U64(e, 12);
	CHECK_EQ_U64(u, 12000);
	settle_to_engine(999, 9, 6, &e, &u);
	CHECK_EQ_U64(e, 0);
	CHECK_EQ_U64(u, 0);
	/* overflow: cut to what fits */
	settle_to_engine(UINT64_MAX, 0, 1, &e, &u);
	CHECK_EQ_U64(u, UINT64_MAX / 10);
	CHECK_EQ_U64(e, UINT64_MAX / 10 * 10);
	settle_to_engine(5, 0, 20, &e, &u);
	CHECK_EQ_U64(e, 0);
	CHECK_EQ_U64(u, 0);
	settle_to_engine(5, 255, 0, &e, &u);
	CHECK_EQ_U64(e, 0);
	CHECK_EQ_U64(u, 0);
	settle_to_engine(5, 0, 255, &e, &u);
	CHECK_EQ_U64(e, 0);
	/* the largest amount that converts whole */
	CHECK_EQ_U64(settle_engine_max(9, 9), UINT64_MAX);
	CHECK_EQ_U64(settle_engine_max(9, 2), UINT64_MAX);
	CHECK_EQ_U64(settle_engine_max(0, 1), UINT64_MAX / 10);
	CHECK_EQ_U64(settle_engine_max(9, 28), 1);
	CHECK_EQ_U64(settle_engine_max(9, 29), 0);
	settle_to_engine(settle_engine_max(9, 28) + 5, 9, 28, &e, &u);
	CHECK_EQ_U64(u, settle_engine_max(9, 28));
}

static void test_from_engine(void)
{
	uint64_t l, eu;

	settle_from_engine(123456789, 9, 6, INT64_MAX, &l, &eu);
	CHECK_EQ_U64(l, 123456);
	CHECK_EQ_U64(eu, 123456000);     /* 789 left with the engine */
	settle_from_engine(12, 2, 4, INT64_MAX, &l, &eu);
	CHECK_EQ_U64(l, 1200);
	CHECK_EQ_U64(eu, 12);
	/* room bounds the credit in both directions */
	settle_from_engine(12, 2, 4, 1250, &l, &eu);
	CHECK_EQ_U64(l, 1200);
	CHECK_EQ_U64(eu, 12);
	settle_from_engine(12, 2, 4, 1199, &l, &eu);
	CHECK_EQ_U64(l, 1100);
	CHECK_EQ_U64(eu, 11);
	settle_from_engine(5000, 3, 0, 2, &l, &eu);
	CHECK_EQ_U64(l, 2);
	CHECK_EQ_U64(eu, 2000);
	settle_from_engine(UINT64_MAX, 255, 0, INT64_MAX, &l, &eu);
	CHECK_EQ_U64(l, 0);
	CHECK_EQ_U64(eu, 0);
	settle_from_engine(1, 0, 255, INT64_MAX, &l, &eu);
	CHECK_EQ_U64(l, 0);
	CHECK_EQ_U64(eu, 0);
	settle_from_engine(UINT64_MAX, 0, 0, INT64_MAX, &l, &eu);
	CHECK_EQ_U64(l, (uint64_t)INT64_MAX);
	CHECK_EQ_U64(eu, (uint64_t)INT64_MAX);
}

static void test_accepted_ledger(void)
{
	CHECK_EQ_U64(settle_accepted_ledger(0, 9, 2, 100), 0);
	CHECK_EQ_U64(settle_accepted_ledger(15, 3, 2, 100), 2);   /* 1.5 -> 2 */
	CHECK_EQ_U64(settle_accepted_ledger(20, 3, 2, 100), 2);
	CHECK_EQ_U64(settle_accepted_ledger(7, 2, 3, 100), 70);
	CHECK_EQ_U64(settle_accepted_ledger(7, 2, 3, 50), 50);
	CHECK_EQ_U64(settle_accepted_ledger(1, 255, 0, 50), 1);
	CHECK_EQ_U64(settle_accepted_ledger(1, 0, 255, 50), 50);
}

static void test_due(void)
{
	struct settle_cfg c = { true, -1000, 0, 2, 2 };
	struct settle_peer p;
	uint64_t l, e;

	memset(&p, 0, sizeof(p));
	CHECK_EQ(settle_due(&c, &p, 0, &l, &e), 0);
	CHECK_EQ(settle_due(&c, &p, -1000, &l, &e), 0);    /* not below */
	CHECK_EQ(settle_due(&c, &p, -1001, &l, &e), 1);
	CHECK_EQ_U64(l, 1001);
	CHECK_EQ_U64(e, 1001);
	c.settle_to = -200;
	CHECK_EQ(settle_due(&c, &p, -1500, &l, &e), 1);
	CHECK_EQ_U64(l, 1300);
	/* engine coarser: whole engine units only */
	c.engine_scale = 0;
	CHECK_EQ(settle_due(&c, &p, -1550, &l, &e), 1);
	CHECK_EQ_U64(e, 13);
	CHECK_EQ_U64(l, 1300);                     /* 50 stays owed */
	c.settle_to = -1000;
	c.threshold = -1001;
	CHECK_EQ(settle_due(&c, &p, -1050, &l, &e), 0);    /* < 1 engine unit */
	c.engine_scale = 2;
	CHECK_EQ(settle_due(&c, &p, -1050, &l, &e), 1);
	CHECK_EQ_U64(l, 50);
	/* open request: nothing new */
	settle_begin(&p, 50, 50, 77);
	CHECK_EQ(settle_due(&c, &p, -5000, &l, &e), 0);
	memset(&p, 0, sizeof(p));
	/* disabled, none */
	c.enabled = false;
	CHECK_EQ(settle_due(&c, &p, -5000, &l, &e), 0);
	c.enabled = true;
	c.threshold = INT64_MAX;
	CHECK_EQ(settle_due(&c, &p, -5000, &l, &e), 0);
	/* extremes: INT64_MIN balance, settle_to INT64_MAX - 1 */
	c.threshold = INT64_MAX - 2;
	c.settle_to = INT64_MAX - 1;
	CHECK_EQ(settle_due(&c, &p, INT64_MIN, &l, &e), 1);
	CHECK_EQ_U64(l, (uint64_t)INT64_MAX);
	c.threshold = 0;
	c.settle_to = 10;
	CHECK_EQ(settle_due(&c, &p, INT64_MIN, &l, &e), 1);
	CHECK_EQ_U64(l, (uint64_t)INT64_MAX);
}

static void test_outcomes(void)
{
	struct settle_cfg c = { true, -1000, 0, 2, 4 };
	struct settle_peer p;

	memset(&p, 0, sizeof(p));
	settle_begin(&p, 1500, 150000, 9);
	CHECK_EQ(settle_failed(&p), 1);
	CHECK_EQ(settle_failed(&p), 2);
	CHECK_EQ_U64(p.settling, 1500);
	CHECK_EQ_U64(p.key, 9);
	/* accepted in full, in another scale */
	CHECK_EQ_U64(settle_accepted(&p, &c, 15, 0, 1234), 0);
	CHECK_EQ_U64(p.settling, 0);
	CHECK_EQ_U64(p.key, 0);
	CHECK_EQ_U64(p.settled_total, 1500);
	CHECK_EQ(p.last_ms, 1234);
	CHECK_EQ(p.failures, 0);
	CHECK_EQ(p.failures_total, 2);
	/* accepted in part: the rest (rounded down) goes back */
	settle_begin(&p, 1500, 150000, 10);
	CHECK_EQ_U64(settle_accepted(&p, &c, 100050, 4, 2000), 499);
	CHECK_EQ_U64(p.last_amount, 1001);
	/* more than asked: never more than settling */
	settle_begin(&p, 10, 1000, 11);
	CHECK_EQ_U64(settle_accepted(&p, &c, 999999, 4, 2001), 0);
	CHECK_EQ_U64(p.last_amount, 10);
	/* refused: all back */
	settle_begin(&p, 10, 1000, 12);
	CHECK_EQ_U64(settle_refused(&p), 10);
	CHECK_EQ_U64(p.settling, 0);
	CHECK_EQ(p.requests, 4);
}

static void test_backoff(void)
{
	CHECK_EQ(settle_backoff_ms(0, 500, 30000), 0);
	CHECK_EQ(settle_backoff_ms(1, 500, 30000), 500);
	CHECK_EQ(settle_backoff_ms(2, 500, 30000), 1000);
	CHECK_EQ(settle_backoff_ms(6, 500, 30000), 16000);
	CHECK_EQ(settle_backoff_ms(7, 500, 30000), 30000);
	CHECK_EQ(settle_backoff_ms(UINT32_MAX, 500, 30000), 30000);
	CHECK_EQ(settle_backoff_ms(100, INT64_MAX / 2 + 1, INT64_MAX), INT64_MAX);
}

static void test_resume(void)
{
	struct settle_peer p;

	memset(&p, 0, sizeof(p));
	p.settling = 10;
	p.key = 5;
	p.failures = 3;
	/* a settlement held again after a restart is a request of this run */
	settle_resume(&p);
	CHECK_EQ(p.requests, 1);
	CHECK_EQ(p.failures, 0);
	CHECK_EQ_U64(p.settling, 10);
	CHECK_EQ_U64(p.key, 5);
	/* a refusal counts as a failure in failures_total */
	(void)settle_refused(&p);
	CHECK_EQ(p.failures_total, 1);
	CHECK_EQ(p.engine_up, SETTLE_ENGINE_REACHABLE);
}

static void test_messages(void)
{
	/* the peer's ilpd gives its engine until 1 s before the expiry, so
	 * its reject arrives before the sender's own expiry */
	CHECK_EQ(settle_msg_wait_ms(20000, 10000, 10000), 9000);
	CHECK_EQ(settle_msg_wait_ms(60000, 10000, 10000), 10000);
	CHECK_EQ(settle_msg_wait_ms(10500, 10000, 10000), 1);
	CHECK_EQ(settle_msg_wait_ms(5000, 10000, 10000), 1);
	/* a timeout (R00) is 504 to the sender's engine, like a silent peer */
	CHECK_EQ(settle_msg_reject_status((const uint8_t *)"R00"), 504);
	CHECK_EQ(settle_msg_reject_status((const uint8_t *)"T00"), 502);
	CHECK_EQ(settle_msg_reject_status((const uint8_t *)"F02"), 502);
	CHECK_EQ(settle_msg_reject_status(NULL), 502);
}

static void test_keys(void)
{
	uint8_t d[SETTLE_DIGEST];
	const struct settle_key_entry *e;
	uint32_t i;

	settle_init(&S);
	memset(d, 0, sizeof(d));
	CHECK(settle_key_find(&S, d) == NULL);  /* an all-zero digest is not "used" */
	for (i = 0; i < SETTLE_KEYS + 3; i++) {
		memcpy(d, &i, sizeof(i));
		CHECK_EQ(settle_key_add(&S, d, (uint16_t)(i % 5), i * 10, 9), i % SETTLE_KEYS);
	}
	/* the three oldest were overwritten */
	for (i = 0; i < 3; i++) {
		memcpy(d, &i, sizeof(i));
		CHECK(settle_key_find(&S, d) == NULL);
	}
	i = SETTLE_KEYS + 2;
	memcpy(d, &i, sizeof(i));
	e = settle_key_find(&S, d);
	CHECK(e != NULL);
	if (e != NULL) {
		CHECK_EQ_U64(e->engine_amount, (uint64_t)i * 10);
		CHECK_EQ(e->slot, i % 5);
		CHECK_EQ(e->scale, 9);
		settle_key_put(&S, 7, e);
		CHECK_EQ(S.key_next, 8 % SETTLE_KEYS);   /* the slot after 7 */
	}
}

static void test_parse(void)
{
	uint64_t v;
	char buf[32];

	CHECK_EQ(settle_parse_amount((const uint8_t *)"0", 1, &v), ILP_OK);
	CHECK_EQ_U64(v, 0);
	CHECK_EQ(settle_parse_amount((const uint8_t *)"00042", 5, &v), ILP_OK);
	CHECK_EQ_U64(v, 42);
	CHECK_EQ(settle_parse_amount((const uint8_t *)"18446744073709551615", 20, &v), ILP_OK);
	CHECK_EQ_U64(v, UINT64_MAX);
	CHECK_EQ(settle_parse_amount((const uint8_t *)"18446744073709551616", 20, &v), ILP_ERR_RANGE);
	CHECK_EQ(settle_parse_amount((const uint8_t *)"99999999999999999999", 20, &v), ILP_ERR_RANGE);
	CHECK_EQ(settle_parse_amount((const uint8_t *)"000000000000000000001", 21, &v), ILP_ERR_INVALID);
	CHECK_EQ(settle_parse_amount((const uint8_t *)"", 0, &v), ILP_ERR_INVALID);
	CHECK_EQ(settle_parse_amount((const uint8_t *)"-1", 2, &v), ILP_ERR_INVALID);
	CHECK_EQ(settle_parse_amount((const uint8_t *)"+1", 2, &v), ILP_ERR_INVALID);
	CHECK_EQ(settle_parse_amount((const uint8_t *)"1.5", 3, &v), ILP_ERR_INVALID);
	CHECK_EQ(settle_parse_amount((const uint8_t *)"1e3", 3, &v), ILP_ERR_INVALID);
	CHECK_EQ(settle_format_amount(0, buf), 1);
	CHECK(strcmp(buf, "0") == 0);
	CHECK_EQ(settle_format_amount(UINT64_MAX, buf), 20);
	CHECK(strcmp(buf, "18446744073709551615") == 0);
	settle_key_text(0x0123456789abcdefull, buf);
	CHECK(strcmp(buf, "ilpd-0123456789abcdef") == 0);
	CHECK_EQ(strlen(buf), SETTLE_KEY_TEXT);
}

int main(void)
{
	TH_RUN(test_pow10);
	TH_RUN(test_to_engine);
	TH_RUN(test_from_engine);
	TH_RUN(test_accepted_ledger);
	TH_RUN(test_due);
	TH_RUN(test_outcomes);
	TH_RUN(test_backoff);
	TH_RUN(test_resume);
	TH_RUN(test_messages);
	TH_RUN(test_keys);
	TH_RUN(test_parse);
	return th_finish();
}
